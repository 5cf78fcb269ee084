// Who may read GET /metrics: a list of IP networks (CIDR), checked against the TCP peer. The
// metrics reveal traffic volumes, failure reasons and route names, so by default only the
// host itself (loopback) may scrape them; everyone else is told the endpoint does not exist.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace ztm::server {

// An IPv4 or IPv6 network: an address and a prefix length. Immutable once parsed.
class IpNetwork {
 public:
  // Parses "a.b.c.d/n" (n 0..32) or an RFC 4291 §2.2 IPv6 address with "/n" (n 0..128); a
  // bare address is the single host (/32 or /128). Strict: decimal prefix without sign or
  // leading zeros, no zone id ("%eth0"), and no bits set past the prefix ("10.0.0.1/8" is
  // refused: it is either a typo or a misunderstanding of what is allowed). Fails with
  // kInvalidArgument and a reason.
  static Result<IpNetwork> Parse(std::string_view cidr);

  // Returns true if `address` (the text form of a peer address, e.g. "127.0.0.1", "::1" or
  // "::ffff:10.0.0.5") lies in this network. An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2,
  // what a dual-stack socket reports for an IPv4 peer) is matched as the IPv4 address it
  // maps. Unparsable text is in no network.
  bool Contains(std::string_view address) const;

  // The canonical "address/prefix" form, e.g. "127.0.0.0/8".
  std::string ToString() const;

 private:
  IpNetwork() = default;
  bool ipv4_ = false;
  // IPv4 in the first 4 bytes, the rest zero.
  std::array<std::uint8_t, 16> address_{};
  int prefix_length_ = 0;
};

// The default metrics.allow: 127.0.0.0/8 and ::1/128.
std::vector<IpNetwork> LoopbackNetworks();

// Returns true if `address` lies in any of `networks`.
bool AnyContains(const std::vector<IpNetwork>& networks, std::string_view address);

}  // namespace ztm::server
