#pragma once
// IP addresses and networks as the server judges them: the outbound guard's policy
// (core/outbound.hpp) and the proxies trusted to say who the client is (DE_TRUSTED_PROXIES).
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace de::core::net {

// An IPv4 or IPv6 address as 16 bytes: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d).
using Address = std::array<std::uint8_t, 16>;

// The address a host written in a URL is, in any form the system's resolver takes as an
// address (127.0.0.1, 127.1, 0x7f000001, 2130706433, 0177.0.0.1, ::1, ::ffff:127.0.0.1; IPv6
// with or without brackets); nullopt for a name.
std::optional<Address> parse_literal(std::string_view host);
// The address of an AF_INET or AF_INET6 socket address; nullopt for any other family.
std::optional<Address> from_sockaddr(const sockaddr* address);
Address from_v4(const in_addr& v4);
std::string to_text(const Address& address);

struct Network {
  Address base{};
  int prefix = 0;  // bits, of the 128
  bool contains(const Address& address) const;
};

// A CIDR (10.0.0.0/8, fd00::/8) or an address alone (a /32 or /128), in the strict dotted or
// colon form; nullopt when `entry` is neither. Throws core::Error(bad_request) naming `setting`
// and the entry when the prefix length is out of range.
std::optional<Network> parse_network(std::string_view entry, std::string_view setting);
// A comma-separated list of them (spaces around entries ignored); throws naming the bad entry.
std::vector<Network> parse_networks(std::string_view list, std::string_view setting);
bool contains(const std::vector<Network>& networks, const Address& address);

}  // namespace de::core::net
