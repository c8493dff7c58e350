#include "core/net_address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/config.hpp"
#include "core/error.hpp"

namespace de::core::net {

Address from_v4(const in_addr& v4) {
  Address out{};
  out[10] = out[11] = 0xff;
  std::memcpy(out.data() + 12, &v4, 4);
  return out;
}

bool Network::contains(const Address& address) const {
  int whole = prefix / 8, rest = prefix % 8;
  if (!std::equal(address.begin(), address.begin() + whole, base.begin())) return false;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[whole] & mask) == (base[whole] & mask);
}

std::optional<Address> parse_literal(std::string_view host) {
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  std::string text(host.substr(0, host.find('%')));  // an IPv6 zone: the address is what counts
  if (text.empty()) return std::nullopt;
  in6_addr six{};
  if (::inet_pton(AF_INET6, text.c_str(), &six) == 1) {
    Address out;
    std::memcpy(out.data(), &six, 16);
    return out;
  }
  // inet_aton takes what getaddrinfo takes as IPv4: 127.1, 0x7f000001, 2130706433, octal parts.
  in_addr four{};
  if (text.find_first_not_of("0123456789abcdefABCDEFxX.") == std::string::npos && ::inet_aton(text.c_str(), &four))
    return from_v4(four);
  return std::nullopt;
}

std::optional<Address> from_sockaddr(const sockaddr* address) {
  if (address->sa_family == AF_INET) return from_v4(reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  if (address->sa_family != AF_INET6) return std::nullopt;
  Address out;
  std::memcpy(out.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
  return out;
}

std::string to_text(const Address& address) {
  char text[INET6_ADDRSTRLEN] = {};
  Address mapped_prefix{};
  mapped_prefix[10] = mapped_prefix[11] = 0xff;
  if (Network{mapped_prefix, 96}.contains(address))
    ::inet_ntop(AF_INET, address.data() + 12, text, sizeof text);
  else
    ::inet_ntop(AF_INET6, address.data(), text, sizeof text);
  return text;
}

std::optional<Network> parse_network(std::string_view entry, std::string_view setting) {
  auto slash = entry.find('/');
  std::string text(entry.substr(0, slash));
  in6_addr six{};
  in_addr four{};
  Network network;
  int bits;
  if (::inet_pton(AF_INET6, text.c_str(), &six) == 1) {
    std::memcpy(network.base.data(), &six, 16);
    bits = 128;
  } else if (::inet_pton(AF_INET, text.c_str(), &four) == 1) {
    network.base = from_v4(four);
    bits = 32;
  } else {
    return std::nullopt;
  }
  network.prefix = bits;
  if (slash != std::string_view::npos) {
    auto prefix = entry.substr(slash + 1);
    auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), network.prefix);
    if (ec != std::errc() || end != prefix.data() + prefix.size() || network.prefix < 0 || network.prefix > bits)
      throw Error(ErrorKind::bad_request,
                  fmt::format("{}: {:?} has a prefix length that is not between 0 and {}", setting, entry, bits));
  }
  network.prefix += 128 - bits;
  return network;
}

std::vector<Network> parse_networks(std::string_view list, std::string_view setting) {
  std::vector<Network> networks;
  for (const auto& entry : split_list(list)) {
    if (entry.empty()) continue;
    auto network = parse_network(entry, setting);
    if (!network)
      throw Error(ErrorKind::bad_request,
                  fmt::format("{}: {:?} is neither an address nor a CIDR such as 10.0.0.0/8", setting, entry));
    networks.push_back(*network);
  }
  return networks;
}

bool contains(const std::vector<Network>& networks, const Address& address) {
  return std::any_of(networks.begin(), networks.end(), [&](const Network& n) { return n.contains(address); });
}

}  // namespace de::core::net
