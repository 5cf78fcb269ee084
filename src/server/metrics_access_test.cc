// IpNetwork: strict CIDR parsing and prefix matching, IPv4-mapped IPv6 peers, and the
// loopback default of metrics.allow.
#include "server/metrics_access.h"

#include <gtest/gtest.h>

namespace ztm::server {
namespace {

IpNetwork Network(std::string_view cidr) {
  auto network = IpNetwork::Parse(cidr);
  EXPECT_TRUE(network.ok()) << cidr;
  return std::move(network).value();
}

TEST(IpNetwork, ParsesAndPrintsCanonically) {
  EXPECT_EQ(Network("10.0.0.0/8").ToString(), "10.0.0.0/8");
  EXPECT_EQ(Network("192.0.2.7").ToString(), "192.0.2.7/32");
  EXPECT_EQ(Network("0.0.0.0/0").ToString(), "0.0.0.0/0");
  EXPECT_EQ(Network("FD00:0::/8").ToString(), "fd00::/8");
  EXPECT_EQ(Network("::1").ToString(), "::1/128");
  EXPECT_EQ(Network("::/0").ToString(), "::/0");
}

TEST(IpNetwork, RefusesMalformedNetworks) {
  for (const char* bad : {"",
                          "/8",
                          "10.0.0.0/",
                          "10.0.0.0/08",
                          "10.0.0.0/-1",
                          "10.0.0.0/+8",
                          "10.0.0.0/33",
                          "10.0.0.0/1000",
                          "10.0.0.0/8/8",
                          "10.0.0.1/8",
                          "10.0.0/24",
                          "010.0.0.0/8",
                          "1.2.3.4.5",
                          "256.0.0.0/8",
                          "localhost",
                          " 10.0.0.0/8",
                          "10.0.0.0/8 ",
                          "fe80::1%eth0",
                          "::1/129",
                          "fd00::1/8",
                          "10.0.0.0/8\n"}) {
    auto network = IpNetwork::Parse(bad);
    ASSERT_FALSE(network.ok()) << bad;
    EXPECT_EQ(network.code(), Code::kInvalidArgument);
  }
  // A NUL inside the text is not silently cut there.
  EXPECT_FALSE(IpNetwork::Parse(std::string_view("10.0.0.0\0/8", 11)).ok());
}

TEST(IpNetwork, MatchesByPrefix) {
  const IpNetwork net = Network("10.1.0.0/16");
  EXPECT_TRUE(net.Contains("10.1.0.0"));
  EXPECT_TRUE(net.Contains("10.1.255.255"));
  EXPECT_FALSE(net.Contains("10.2.0.0"));
  EXPECT_FALSE(net.Contains("10.0.255.255"));
  const IpNetwork odd = Network("192.0.2.128/25");
  EXPECT_TRUE(odd.Contains("192.0.2.200"));
  EXPECT_FALSE(odd.Contains("192.0.2.127"));
  const IpNetwork host = Network("192.0.2.7");
  EXPECT_TRUE(host.Contains("192.0.2.7"));
  EXPECT_FALSE(host.Contains("192.0.2.6"));
  EXPECT_TRUE(Network("0.0.0.0/0").Contains("203.0.113.9"));
  EXPECT_FALSE(Network("0.0.0.0/0").Contains("2001:db8::1"));
  EXPECT_TRUE(Network("2001:db8::/32").Contains("2001:db8:ffff::1"));
  EXPECT_FALSE(Network("2001:db8::/32").Contains("2001:db9::1"));
}

TEST(IpNetwork, MatchesIpv4MappedPeersAsIpv4) {
  // A dual-stack listener reports an IPv4 peer as ::ffff:a.b.c.d.
  EXPECT_TRUE(Network("127.0.0.0/8").Contains("::ffff:127.0.0.1"));
  EXPECT_FALSE(Network("127.0.0.0/8").Contains("::ffff:10.0.0.1"));
  EXPECT_FALSE(Network("::1/128").Contains("::ffff:127.0.0.1"));
}

TEST(IpNetwork, UnparsablePeersAreInNoNetwork) {
  for (const char* peer : {"", "unknown", "127.0.0.1:443", "[::1]", "::1%lo", "127.0.0.1 "}) {
    EXPECT_FALSE(Network("0.0.0.0/0").Contains(peer)) << peer;
    EXPECT_FALSE(Network("::/0").Contains(peer)) << peer;
  }
  EXPECT_FALSE(Network("0.0.0.0/0").Contains(std::string(1000, '1')));
}

TEST(IpNetwork, LoopbackNetworks) {
  const std::vector<IpNetwork> loopback = LoopbackNetworks();
  EXPECT_TRUE(AnyContains(loopback, "127.0.0.1"));
  EXPECT_TRUE(AnyContains(loopback, "127.255.0.3"));
  EXPECT_TRUE(AnyContains(loopback, "::1"));
  EXPECT_TRUE(AnyContains(loopback, "::ffff:127.0.0.1"));
  EXPECT_FALSE(AnyContains(loopback, "10.0.0.1"));
  EXPECT_FALSE(AnyContains(loopback, "::2"));
  EXPECT_FALSE(AnyContains({}, "127.0.0.1"));
}

}  // namespace
}  // namespace ztm::server
