#include "core/outbound.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "core/config.hpp"
#include "core/error.hpp"

namespace de::core::outbound {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A host name as compared: lower case, without the trailing dot of a fully qualified name.
std::string normal_name(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  return lower(host);
}

bool in(const Address& address, const Address& base, int prefix) { return net::Network{base, prefix}.contains(address); }

// An IPv4 network as its IPv4-mapped IPv6 one.
bool in_v4(const Address& address, std::uint8_t a, std::uint8_t b, int prefix) {
  Address base{};
  base[10] = base[11] = 0xff;
  base[12] = a;
  base[13] = b;
  return in(address, base, 96 + prefix);
}

std::string_view refused_v4(const Address& address) {
  if (in_v4(address, 0, 0, 8)) return "an unspecified (0.0.0.0/8) address";  // Linux connects 0.0.0.0 to itself
  if (in_v4(address, 127, 0, 8)) return "a loopback address";
  if (in_v4(address, 10, 0, 8) || in_v4(address, 172, 16, 12) || in_v4(address, 192, 168, 16))
    return "a private network address";
  if (in_v4(address, 169, 254, 16)) return "a link-local address (cloud metadata services live there)";
  if (in_v4(address, 100, 64, 10)) return "a shared (carrier-grade NAT) address";
  if (in_v4(address, 224, 0, 4)) return "a multicast address";
  if (in_v4(address, 240, 0, 4)) return "a reserved or broadcast address";
  return {};
}

Address v6(std::initializer_list<std::uint8_t> leading) {
  Address out{};
  std::copy(leading.begin(), leading.end(), out.begin());
  return out;
}

}  // namespace

std::string_view refused_kind(const Address& address) {
  if (in(address, v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}), 96)) return refused_v4(address);
  // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last four bytes.
  if (in(address, v6({0, 0x64, 0xff, 0x9b}), 96)) {
    Address embedded{};
    embedded[10] = embedded[11] = 0xff;
    std::copy(address.begin() + 12, address.end(), embedded.begin() + 12);
    return refused_v4(embedded);
  }
  Address loopback{};
  loopback[15] = 1;
  if (address == loopback) return "a loopback address";
  // :: itself, and the deprecated IPv4-compatible ::a.b.c.d.
  if (in(address, Address{}, 96)) return "an unspecified or IPv4-compatible address";
  if (in(address, v6({0xfc}), 7) || in(address, v6({0xfe, 0xc0}), 10)) return "a private network address";
  if (in(address, v6({0xfe, 0x80}), 10)) return "a link-local address";
  if (in(address, v6({0xff}), 8)) return "a multicast address";
  return {};
}

Policy Policy::parse(std::string_view allow) {
  Policy policy;
  for (const auto& entry : split_list(allow)) {
    if (entry.empty()) continue;
    if (auto network = net::parse_network(entry, "DE_OUTBOUND_ALLOW")) {
      policy.networks_.push_back(*network);
    } else if (entry.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
               std::string::npos) {
      policy.names_.push_back(normal_name(entry));
    } else {
      throw Error(ErrorKind::bad_request,
                  fmt::format("DE_OUTBOUND_ALLOW: {:?} is neither an address, a CIDR such as 10.0.0.0/8, nor a host name",
                              entry));
    }
  }
  return policy;
}

bool Policy::allows_name(std::string_view host) const {
  auto name = normal_name(host);
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

bool Policy::allows_address(const Address& address) const {
  return net::contains(networks_, address);
}

std::string Policy::refusal(std::string_view host, const Address& address) const {
  auto kind = refused_kind(address);
  if (kind.empty() || allows_name(host) || allows_address(address)) return {};
  auto shown = net::to_text(address);
  auto named = net::parse_literal(host) ? shown : fmt::format("{} ({})", host, shown);
  return fmt::format("refused to connect to {}: it is {}; DE_OUTBOUND_ALLOW can allow it", named, kind);
}

std::string Policy::refusal_for_host(std::string_view host) const {
  if (auto address = net::parse_literal(host)) return refusal(host, *address);
  auto name = normal_name(host);
  if ((name == "localhost" || name.ends_with(".localhost")) && !allows_name(host)) {
    Address loopback = net::from_v4(in_addr{htonl(INADDR_LOOPBACK)});
    if (!allows_address(loopback))
      return fmt::format("refused to connect to {}: it is a loopback address; DE_OUTBOUND_ALLOW can allow it", host);
  }
  return {};
}

namespace {
Policy& current() {
  static Policy policy;
  return policy;
}
}  // namespace

const Policy& policy() { return current(); }
void set_policy(Policy policy) { current() = std::move(policy); }

}  // namespace de::core::outbound
