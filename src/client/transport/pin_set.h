// Certificate pinning policy of libztm: per-host sets of SPKI SHA-256 pins (the format of
// RFC 7469 §2.4 and TrustKit, spelled "sha256/<base64>"), validated once at load, and the
// evaluation of a verified certificate chain against them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::client {

// What a pin mismatch does: abort the connection, or only report it.
enum class PinMode { kEnforce, kReportOnly };

// A pin set as configured, before validation.
struct PinSetConfig {
  // A DNS name or an IP literal (IPv6 without brackets); no wildcards.
  std::string host;
  // "sha256/<base64 of SHA-256 over a DER SubjectPublicKeyInfo>". At least two: one for the
  // live key and one for a backup key that is not in the live chain (RFC 7469 §4.3).
  std::vector<std::string> pins;
  // Unix seconds after which the set is no longer enforced (a warning is raised instead),
  // so an app that is never updated does not brick itself when its pins rotate away.
  std::optional<std::int64_t> expires;
  // Also applies to every subdomain of `host` (DNS names only).
  bool include_subdomains = false;
  PinMode mode = PinMode::kEnforce;
  // https URL that pin failure reports are POSTed to; empty for no reports.
  std::string report_uri;
};

// A pin: SHA-256 of a DER SubjectPublicKeyInfo.
using SpkiSha256 = std::array<std::uint8_t, 32>;

// RFC 7469 allows any number of pins; 32 is far more than a live key, backups and a few
// CAs, and bounds the per-handshake comparison work.
inline constexpr std::size_t kMaxPinsPerSet = 32;
// A few dozen pinned hosts is typical for an app; the bound keeps lookups trivially cheap.
inline constexpr std::size_t kMaxPinSets = 256;
// Report URLs are configuration, not user data; 2 KiB is above any sane endpoint URL.
inline constexpr std::size_t kMaxReportUriLength = 2048;

// Returns the SHA-256 of `spki_der`, the value a pin names.
SpkiSha256 SpkiHash(ByteView spki_der);

// PinSet is one host's validated pins. Immutable; safe to share across threads.
class PinSet {
 public:
  // Validates `config`: a non-empty host that is a DNS name (LDH labels, no wildcard) or an
  // IP literal, include_subdomains only for DNS names, 2..kMaxPinsPerSet pins each
  // "sha256/" + canonical padded base64 of exactly 32 bytes, no duplicate pins, and an
  // https report URI if one is given. Fails with kPinSetInvalid.
  static Result<PinSet> Create(const PinSetConfig& config);

  // Returns true if `host` (already lowercase, IPv6 without brackets) is this set's host, or
  // a subdomain of it when include_subdomains is set.
  bool AppliesTo(std::string_view host) const;
  // Returns true if `spki_hash` is one of the pins.
  bool Contains(const SpkiSha256& spki_hash) const;
  // Returns true when the set has expired at `now` (Unix seconds) and is not enforced.
  bool ExpiredAt(std::int64_t now) const { return expires_ && now > *expires_; }

  const std::string& host() const { return host_; }
  bool include_subdomains() const { return include_subdomains_; }
  PinMode mode() const { return mode_; }
  const std::string& report_uri() const { return report_uri_; }
  std::optional<std::int64_t> expires() const { return expires_; }
  // The pins in their configured spelling ("sha256/..."), for reports.
  const std::vector<std::string>& pin_strings() const { return pin_strings_; }

 private:
  PinSet() = default;
  std::string host_;
  bool is_ip_literal_ = false;
  bool include_subdomains_ = false;
  PinMode mode_ = PinMode::kEnforce;
  std::optional<std::int64_t> expires_;
  std::string report_uri_;
  std::vector<std::string> pin_strings_;
  std::vector<SpkiSha256> pins_;
};

// The outcome of checking a verified chain against the pin policy.
enum class PinVerdict {
  kNotPinned,    // no pin set applies to the host
  kMatched,      // a certificate of the verified chain has a pinned key
  kFailed,       // no certificate of the verified chain has a pinned key
  kNotEnforced,  // the applicable pin set has expired; a warning is due
};

struct PinEvaluation {
  PinVerdict verdict = PinVerdict::kNotPinned;
  // The applicable set, or null when kNotPinned. Points into the PinPolicy evaluated.
  const PinSet* pin_set = nullptr;
};

// PinPolicy is the app's whole pinning configuration and its evaluator. Immutable; safe to
// share across threads.
class PinPolicy {
 public:
  // Validates every set (see PinSet::Create) and refuses two sets for the same host and more
  // than kMaxPinSets sets. Fails with kPinSetInvalid.
  static Result<PinPolicy> Create(const std::vector<PinSetConfig>& configs);

  // Returns the set that applies to `host` (case-insensitive; IPv6 with or without
  // brackets): the exact-host set if there is one, else the include_subdomains set of the
  // closest parent domain, else null.
  const PinSet* Find(std::string_view host) const;

  // Evaluates `verified_chain_spki_der` — the DER SubjectPublicKeyInfo of each certificate in
  // the chain built to a trust anchor, NOT the certificates the server sent — for `host` at
  // `now` (Unix seconds). Any certificate of the chain may match (leaf, intermediate or root).
  PinEvaluation Evaluate(std::string_view host, const std::vector<Bytes>& verified_chain_spki_der,
                         std::int64_t now) const;

  bool empty() const { return sets_.empty(); }

 private:
  PinPolicy() = default;
  std::vector<PinSet> sets_;
};

// Returns `host` lowercased, with the brackets of an IPv6 literal removed, or an error when
// it is empty or not a DNS name / IP literal. Used for pin set hosts and request hosts.
Result<std::string> NormalizeHost(std::string_view host);

}  // namespace ztm::client
