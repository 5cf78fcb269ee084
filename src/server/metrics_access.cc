// IpNetwork: parsing with inet_pton (which accepts only the strict dotted-quad and RFC 4291
// forms) and matching by prefix bits.
#include "server/metrics_access.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>

#include "core/text.h"

namespace ztm::server {
namespace {

constexpr int kIpv4Bits = 32;
constexpr int kIpv6Bits = 128;
// The longest text form of an IPv6 address (INET6_ADDRSTRLEN includes the NUL): anything
// longer is refused before it is copied.
constexpr std::size_t kMaxAddressText = INET6_ADDRSTRLEN;

struct ParsedAddress {
  bool ipv4 = false;
  std::array<std::uint8_t, 16> bytes{};
};

// Parses an address in text form; nullopt if it is not one.
std::optional<ParsedAddress> ParseAddress(std::string_view text) {
  // inet_pton reads up to a NUL: one inside the text would make "10.0.0.0\0junk" parse.
  if (text.empty() || text.size() >= kMaxAddressText || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  char buffer[kMaxAddressText] = {};
  std::memcpy(buffer, text.data(), text.size());
  ParsedAddress parsed;
  if (inet_pton(AF_INET, buffer, parsed.bytes.data()) == 1) {
    parsed.ipv4 = true;
    return parsed;
  }
  if (inet_pton(AF_INET6, buffer, parsed.bytes.data()) == 1) return parsed;
  return std::nullopt;
}

// RFC 4291 §2.5.5.2: ::ffff:a.b.c.d is the IPv4 address a.b.c.d.
bool IsIpv4Mapped(const std::array<std::uint8_t, 16>& bytes) {
  for (int i = 0; i < 10; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

// Returns true if the first `bits` bits of `a` and `b` are equal.
bool PrefixEqual(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[i] != b[i]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (a[i] & mask) == (b[i] & mask);
}

Error Invalid(std::string_view cidr, std::string_view reason) {
  return Error{Code::kInvalidArgument, "\"" + ForMessage(cidr) + "\" " + std::string(reason)};
}

}  // namespace

Result<IpNetwork> IpNetwork::Parse(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  auto address = ParseAddress(cidr.substr(0, slash));
  if (!address) {
    return Invalid(cidr, "is not an IP network such as 10.0.0.0/8, 192.0.2.7 or fd00::/8");
  }
  const int max_bits = address->ipv4 ? kIpv4Bits : kIpv6Bits;
  int prefix = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view digits = cidr.substr(slash + 1);
    // 1 to 3 decimal digits, no sign, no leading zero ("/08" is refused, "/0" is not).
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) {
      return Invalid(cidr, "has a malformed prefix length");
    }
    prefix = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return Invalid(cidr, "has a malformed prefix length");
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > max_bits) {
      return Invalid(cidr, "has a prefix length over " + std::to_string(max_bits));
    }
  }
  IpNetwork network;
  network.ipv4_ = address->ipv4;
  network.address_ = address->bytes;
  network.prefix_length_ = prefix;
  std::array<std::uint8_t, 16> zero{};
  std::array<std::uint8_t, 16> host_bits = address->bytes;
  // Clearing the prefix leaves the host bits, which must all be zero.
  for (int bit = 0; bit < prefix; ++bit) {
    host_bits[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (host_bits != zero) {
    return Invalid(cidr, "has bits set after the prefix length (write the network address)");
  }
  return network;
}

bool IpNetwork::Contains(std::string_view address) const {
  auto parsed = ParseAddress(address);
  if (!parsed) return false;
  if (!parsed->ipv4 && IsIpv4Mapped(parsed->bytes)) {
    std::array<std::uint8_t, 16> ipv4{};
    std::memcpy(ipv4.data(), parsed->bytes.data() + 12, 4);
    parsed->bytes = ipv4;
    parsed->ipv4 = true;
  }
  if (parsed->ipv4 != ipv4_) return false;
  return PrefixEqual(parsed->bytes, address_, prefix_length_);
}

std::string IpNetwork::ToString() const {
  char buffer[kMaxAddressText] = {};
  inet_ntop(ipv4_ ? AF_INET : AF_INET6, address_.data(), buffer, sizeof buffer);
  return std::string(buffer) + "/" + std::to_string(prefix_length_);
}

std::vector<IpNetwork> LoopbackNetworks() {
  // Both literals parse: a failure here is a programming error caught by the tests.
  return {IpNetwork::Parse("127.0.0.0/8").value(), IpNetwork::Parse("::1/128").value()};
}

bool AnyContains(const std::vector<IpNetwork>& networks, std::string_view address) {
  for (const IpNetwork& network : networks) {
    if (network.Contains(address)) return true;
  }
  return false;
}

}  // namespace ztm::server
