#pragma once
// The guard on outbound requests to addresses users choose (integration base URLs, webhook
// subscriptions, workflow http steps, SMTP relays): a server-side request forgery defence.
// Loopback, private, link-local (cloud metadata at 169.254.169.254 included), unspecified,
// shared (CGNAT), multicast and reserved addresses, and IPv4 addresses written inside IPv6
// (mapped, NAT64), are refused unless the operator allows them in DE_OUTBOUND_ALLOW: a list of
// CIDRs and host names, such as `127.0.0.1/32,10.0.0.0/8,crm.internal`. Clients check the
// address they are about to connect to, after name resolution (a name that resolves to a
// refused address is refused, whatever it resolved to when it was saved); routes check the host
// a URL names when it is saved, for a clear answer early.
#include <string>
#include <string_view>
#include <vector>

#include "core/net_address.hpp"

namespace de::core::outbound {

using net::Address;

// What kind of address it is when the guard refuses that kind ("a loopback address", ...);
// empty for a public address.
std::string_view refused_kind(const Address& address);

class Policy {
 public:
  // DE_OUTBOUND_ALLOW's value: comma-separated CIDRs (an address alone is a /32 or /128) and
  // host names (exact, any case). Throws core::Error(bad_request) naming the bad entry.
  static Policy parse(std::string_view allow);

  // Empty when a connection to `address`, reached by resolving `host` (a name or the literal
  // itself), may go; else why not, in a sentence.
  std::string refusal(std::string_view host, const Address& address) const;

  // For a URL's host as it is saved: empty unless the host is an address literal the guard
  // refuses, or a loopback name (localhost, *.localhost). Names are resolved at connect time.
  std::string refusal_for_host(std::string_view host) const;

 private:
  bool allows_name(std::string_view host) const;
  bool allows_address(const Address& address) const;

  std::vector<net::Network> networks_;
  std::vector<std::string> names_;  // lower case, no trailing dot
};

// The process's policy: what DE_OUTBOUND_ALLOW says, set once at start-up (before any thread
// reads it); refuses every internal address until then.
const Policy& policy();
void set_policy(Policy policy);

}  // namespace de::core::outbound
