// The outbound guard's address classifier and policy (core/outbound.hpp).
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "core/outbound.hpp"

using namespace de::core;

namespace {

// The unit tests' stand-in servers listen on loopback, as the contract suites' do: the process
// allows it, as tests/support/server.py's servers are told to (DE_OUTBOUND_ALLOW).
[[maybe_unused]] const bool loopback_allowed = [] {
  outbound::set_policy(outbound::Policy::parse("127.0.0.1/32,::1/128"));
  return true;
}();

std::string kind_of(const char* host) {
  auto address = net::parse_literal(host);
  EXPECT_TRUE(address) << host;
  return address ? std::string(outbound::refused_kind(*address)) : "";
}

}  // namespace

TEST(OutboundGuard, RefusesInternalAddressesInEveryWriting) {
  for (const char* host : {"127.0.0.1", "127.1", "0x7f000001", "2130706433", "0177.0.0.1", "127.255.255.254", "::1",
                           "[::1]", "::ffff:127.0.0.1", "[::ffff:7f00:1]", "64:ff9b::7f00:1"})
    EXPECT_EQ(kind_of(host), "a loopback address") << host;
  for (const char* host : {"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fc00::1", "fd12:3456::1",
                           "::ffff:10.1.2.3", "fec0::1"})
    EXPECT_EQ(kind_of(host), "a private network address") << host;
  EXPECT_EQ(kind_of("169.254.169.254"), "a link-local address (cloud metadata services live there)");
  EXPECT_EQ(kind_of("::ffff:169.254.169.254"), "a link-local address (cloud metadata services live there)");
  EXPECT_EQ(kind_of("fe80::1%eth0"), "a link-local address");
  EXPECT_EQ(kind_of("0.0.0.0"), "an unspecified (0.0.0.0/8) address");
  EXPECT_EQ(kind_of("0"), "an unspecified (0.0.0.0/8) address");
  EXPECT_EQ(kind_of("::"), "an unspecified or IPv4-compatible address");
  EXPECT_EQ(kind_of("::127.0.0.1"), "an unspecified or IPv4-compatible address");
  EXPECT_EQ(kind_of("100.64.0.1"), "a shared (carrier-grade NAT) address");
  EXPECT_EQ(kind_of("224.0.0.1"), "a multicast address");
  EXPECT_EQ(kind_of("ff02::1"), "a multicast address");
  EXPECT_EQ(kind_of("255.255.255.255"), "a reserved or broadcast address");
}

TEST(OutboundGuard, LetsPublicAddressesAndTheirNeighboursThrough) {
  for (const char* host : {"93.184.216.34", "8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255",
                           "100.128.0.1", "169.253.0.1", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8",
                           "64:ff9b::808:808", "11.0.0.1"})
    EXPECT_EQ(kind_of(host), "") << host;
}

TEST(OutboundGuard, TellsNamesFromAddresses) {
  for (const char* host : {"example.com", "localhost", "api.hubapi.com", "1.2.3.4.nip.io", "deadbeef.example", ""})
    EXPECT_FALSE(net::parse_literal(host)) << host;
}

TEST(OutboundGuard, AllowsWhatThePolicyLists) {
  auto policy = outbound::Policy::parse(" 127.0.0.1/32, 10.0.0.0/8,fd00::/8 ,CRM.Internal.");
  auto refusal = [&](const char* host, const char* address) {
    return policy.refusal(host, *net::parse_literal(address));
  };
  EXPECT_EQ(refusal("127.0.0.1", "127.0.0.1"), "");
  EXPECT_EQ(refusal("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"), "") << "the same address written in IPv6";
  EXPECT_EQ(refusal("127.0.0.2", "127.0.0.2"),
            "refused to connect to 127.0.0.2: it is a loopback address; DE_OUTBOUND_ALLOW can allow it");
  EXPECT_EQ(refusal("localhost", "::1"),
            "refused to connect to localhost (::1): it is a loopback address; DE_OUTBOUND_ALLOW can allow it");
  EXPECT_EQ(refusal("db", "10.9.8.7"), "");
  EXPECT_EQ(refusal("fd01::5", "fd01::5"), "");
  EXPECT_NE(refusal("fc01::5", "fc01::5"), "");
  EXPECT_EQ(refusal("crm.internal", "192.168.7.7"), "") << "an allowed name reaches whatever it resolves to";
  EXPECT_NE(refusal("other.internal", "192.168.7.7"), "");
  EXPECT_NE(refusal("rebind.example", "169.254.169.254"), "") << "a name checked on what it resolves to";
  EXPECT_EQ(refusal("example.com", "93.184.216.34"), "");
}

TEST(OutboundGuard, ChecksTheHostOfAUrlAsItIsSaved) {
  auto none = outbound::Policy::parse("");
  EXPECT_NE(none.refusal_for_host("2130706433"), "");
  EXPECT_NE(none.refusal_for_host("::ffff:127.0.0.1"), "");
  EXPECT_NE(none.refusal_for_host("LOCALHOST"), "");
  EXPECT_NE(none.refusal_for_host("app.localhost."), "");
  EXPECT_EQ(none.refusal_for_host("example.com"), "") << "names are resolved when called";
  EXPECT_EQ(none.refusal_for_host("{{input.host}}"), "");
  auto loopback = outbound::Policy::parse("127.0.0.0/8");
  EXPECT_EQ(loopback.refusal_for_host("localhost"), "");
  EXPECT_EQ(loopback.refusal_for_host("127.1"), "");
}

TEST(OutboundGuard, RefusesAnAllowListItCannotRead) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/x", "http://x", "a b", "10.0.0.0/8/1"}) {
    try {
      outbound::Policy::parse(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_request);
      EXPECT_NE(std::string(e.what()).find("DE_OUTBOUND_ALLOW"), std::string::npos) << e.what();
    }
  }
}
