// Pin set validation and evaluation (see pin_set.h).
#include "client/transport/pin_set.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/text.h"

namespace ztm::client {
namespace {

constexpr std::string_view kPinPrefix = "sha256/";
// RFC 1035 §2.3.4: a name is at most 253 characters in text form, a label at most 63.
constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;

Error Invalid(std::string message) { return Error{Code::kPinSetInvalid, std::move(message)}; }

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// RFC 1123 §2.1 LDH labels. Underscores are refused: certificates cannot name them.
bool IsDnsName(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostLength) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = host.find('.', start);
    std::string_view label =
        host.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (label.empty() || label.size() > kMaxLabelLength) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

Result<SpkiSha256> ParsePin(std::string_view pin) {
  if (pin.substr(0, kPinPrefix.size()) != kPinPrefix) {
    return Invalid("pin does not start with \"sha256/\": \"" + ForMessage(pin) + "\"");
  }
  auto decoded = Base64Decode(pin.substr(kPinPrefix.size()));
  if (!decoded.ok()) return Invalid("pin is not canonical base64: \"" + ForMessage(pin) + "\"");
  if (decoded->size() != SpkiSha256{}.size()) {
    return Invalid("pin is not 32 bytes: \"" + ForMessage(pin) + "\"");
  }
  SpkiSha256 hash;
  std::copy(decoded->begin(), decoded->end(), hash.begin());
  return hash;
}

}  // namespace

SpkiSha256 SpkiHash(ByteView spki_der) {
  Bytes digest = crypto::Sha256(spki_der);
  SpkiSha256 hash;
  std::copy(digest.begin(), digest.end(), hash.begin());
  return hash;
}

Result<std::string> NormalizeHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return Invalid("host is empty");
  if (host.size() > kMaxHostLength) return Invalid("host is too long");
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find('*') != std::string::npos) {
    return Invalid("host \"" + ForMessage(host) + "\" is a wildcard; use include_subdomains");
  }
  if (!IsIpLiteral(lower) && !IsDnsName(lower)) {
    return Invalid("host \"" + ForMessage(host) + "\" is not a DNS name or IP literal");
  }
  return lower;
}

Result<PinSet> PinSet::Create(const PinSetConfig& config) {
  PinSet set;
  ZTM_ASSIGN_OR_RETURN(set.host_, NormalizeHost(config.host));
  set.is_ip_literal_ = IsIpLiteral(set.host_);
  if (set.is_ip_literal_ && config.include_subdomains) {
    return Invalid("host " + set.host_ + ": include_subdomains needs a DNS name, not an IP");
  }
  // RFC 7469 §4.3: a pin set must contain a backup pin, so at least two.
  if (config.pins.size() < 2) {
    return Invalid("host " + set.host_ + ": at least two pins are required (one a backup key)");
  }
  if (config.pins.size() > kMaxPinsPerSet) {
    return Invalid("host " + set.host_ + ": more than " + std::to_string(kMaxPinsPerSet) + " pins");
  }
  for (const std::string& pin : config.pins) {
    ZTM_ASSIGN_OR_RETURN(SpkiSha256 hash, ParsePin(pin));
    if (std::find(set.pins_.begin(), set.pins_.end(), hash) != set.pins_.end()) {
      return Invalid("host " + set.host_ + ": duplicate pin \"" + ForMessage(pin) + "\"");
    }
    set.pins_.push_back(hash);
    set.pin_strings_.push_back(pin);
  }
  if (!config.report_uri.empty()) {
    if (config.report_uri.size() > kMaxReportUriLength) {
      return Invalid("host " + set.host_ + ": report_uri is too long");
    }
    if (config.report_uri.rfind("https://", 0) != 0) {
      return Invalid("host " + set.host_ + ": report_uri must be an https URL");
    }
  }
  set.include_subdomains_ = config.include_subdomains;
  set.mode_ = config.mode;
  set.expires_ = config.expires;
  set.report_uri_ = config.report_uri;
  return set;
}

bool PinSet::AppliesTo(std::string_view host) const {
  if (host == host_) return true;
  if (!include_subdomains_ || host.size() <= host_.size() + 1) return false;
  // "a.example.com" is a subdomain of "example.com"; "badexample.com" is not.
  return host.ends_with(host_) && host[host.size() - host_.size() - 1] == '.';
}

bool PinSet::Contains(const SpkiSha256& spki_hash) const {
  // Pins are public values; a plain comparison leaks nothing secret.
  return std::find(pins_.begin(), pins_.end(), spki_hash) != pins_.end();
}

Result<PinPolicy> PinPolicy::Create(const std::vector<PinSetConfig>& configs) {
  if (configs.size() > kMaxPinSets) {
    return Invalid("more than " + std::to_string(kMaxPinSets) + " pin sets");
  }
  PinPolicy policy;
  for (const PinSetConfig& config : configs) {
    ZTM_ASSIGN_OR_RETURN(PinSet set, PinSet::Create(config));
    for (const PinSet& other : policy.sets_) {
      if (other.host() == set.host()) return Invalid("two pin sets for host " + set.host());
    }
    policy.sets_.push_back(std::move(set));
  }
  return policy;
}

const PinSet* PinPolicy::Find(std::string_view host) const {
  auto normalized = NormalizeHost(host);
  if (!normalized.ok()) return nullptr;
  const PinSet* best = nullptr;
  for (const PinSet& set : sets_) {
    if (!set.AppliesTo(*normalized)) continue;
    // The longest matching host is the most specific (an exact match is the longest).
    if (best == nullptr || set.host().size() > best->host().size()) best = &set;
  }
  return best;
}

PinEvaluation PinPolicy::Evaluate(std::string_view host,
                                  const std::vector<Bytes>& verified_chain_spki_der,
                                  std::int64_t now) const {
  const PinSet* set = Find(host);
  if (set == nullptr) return {PinVerdict::kNotPinned, nullptr};
  if (set->ExpiredAt(now)) return {PinVerdict::kNotEnforced, set};
  for (const Bytes& spki : verified_chain_spki_der) {
    if (set->Contains(SpkiHash(spki))) return {PinVerdict::kMatched, set};
  }
  return {PinVerdict::kFailed, set};
}

}  // namespace ztm::client
