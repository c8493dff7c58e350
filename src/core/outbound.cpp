#include "core/outbound.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

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

Address mapped(const in_addr& v4) {
  Address out{};
  out[10] = out[11] = 0xff;
  std::memcpy(out.data() + 12, &v4, 4);
  return out;
}

bool in(const Address& address, const Address& base, int prefix) {
  int whole = prefix / 8, rest = prefix % 8;
  if (!std::equal(address.begin(), address.begin() + whole, base.begin())) return false;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[whole] & mask) == (base[whole] & mask);
}

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
    return mapped(four);
  return std::nullopt;
}

std::optional<Address> from_sockaddr(const sockaddr* address) {
  if (address->sa_family == AF_INET) return mapped(reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  if (address->sa_family != AF_INET6) return std::nullopt;
  Address out;
  std::memcpy(out.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
  return out;
}

std::string to_text(const Address& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (in(address, v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}), 96))
    ::inet_ntop(AF_INET, address.data() + 12, text, sizeof text);
  else
    ::inet_ntop(AF_INET6, address.data(), text, sizeof text);
  return text;
}

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
  while (!allow.empty()) {
    auto comma = allow.find(',');
    auto entry = allow.substr(0, comma);
    allow = comma == std::string_view::npos ? std::string_view() : allow.substr(comma + 1);
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.front()))) entry.remove_prefix(1);
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.back()))) entry.remove_suffix(1);
    if (entry.empty()) continue;
    auto bad = [&](std::string_view why) {
      return Error(ErrorKind::bad_request, fmt::format("DE_OUTBOUND_ALLOW: {:?} {}", entry, why));
    };
    auto slash = entry.find('/');
    auto address_text = entry.substr(0, slash);
    std::string text(address_text);
    in6_addr six{};
    in_addr four{};
    Network network;
    int bits;
    if (::inet_pton(AF_INET6, text.c_str(), &six) == 1) {
      std::memcpy(network.base.data(), &six, 16);
      bits = 128;
    } else if (::inet_pton(AF_INET, text.c_str(), &four) == 1) {
      network.base = mapped(four);
      bits = 32;
    } else if (slash == std::string_view::npos &&
               entry.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
                   std::string_view::npos) {
      policy.names_.push_back(normal_name(entry));
      continue;
    } else {
      throw bad("is neither an address, a CIDR such as 10.0.0.0/8, nor a host name");
    }
    network.prefix = bits;
    if (slash != std::string_view::npos) {
      auto prefix = entry.substr(slash + 1);
      auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), network.prefix);
      if (ec != std::errc() || end != prefix.data() + prefix.size() || network.prefix < 0 || network.prefix > bits)
        throw bad(fmt::format("has a prefix length that is not between 0 and {}", bits));
    }
    network.prefix += 128 - bits;
    policy.networks_.push_back(network);
  }
  return policy;
}

bool Policy::allows_name(std::string_view host) const {
  auto name = normal_name(host);
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

bool Policy::allows_address(const Address& address) const {
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const Network& n) { return in(address, n.base, n.prefix); });
}

std::string Policy::refusal(std::string_view host, const Address& address) const {
  auto kind = refused_kind(address);
  if (kind.empty() || allows_name(host) || allows_address(address)) return {};
  auto shown = to_text(address);
  auto named = parse_literal(host) ? shown : fmt::format("{} ({})", host, shown);
  return fmt::format("refused to connect to {}: it is {}; DE_OUTBOUND_ALLOW can allow it", named, kind);
}

std::string Policy::refusal_for_host(std::string_view host) const {
  if (auto address = parse_literal(host)) return refusal(host, *address);
  auto name = normal_name(host);
  if ((name == "localhost" || name.ends_with(".localhost")) && !allows_name(host)) {
    Address loopback = mapped(in_addr{htonl(INADDR_LOOPBACK)});
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
