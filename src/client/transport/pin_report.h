// Pin failure reports: what libztm records when a pinned host's verified chain holds none of
// its pins (TrustKit's report format, so existing TrustKit/HPKP report collectors accept
// them), where they wait until they can be sent, and how often an identical one is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"

namespace ztm::client {

// The app and device a report comes from (TrustKit's app-* fields).
struct ReportIdentity {
  std::string app_bundle_id;
  std::string app_version;
  std::string app_platform;  // "IOS", "ANDROID", "LINUX", ...
  std::string app_platform_version;
  std::string app_vendor_id;  // the device id
};

// The version string reports carry in "ztm-version" (TrustKit's "trustkit-version").
inline constexpr std::string_view kZtmReportVersion = "ztm-1";

// TrustKit's TSKTrustEvaluationResult: 1 is "failed, no matching pin".
inline constexpr int kValidationResultPinMismatch = 1;

// One pin validation failure, with TrustKit's fields.
struct PinFailureReport {
  ReportIdentity identity;
  std::string noted_hostname;  // the pin set's host (differs from hostname for subdomains)
  std::string hostname;        // the host the request went to
  std::uint16_t port = 0;
  std::vector<std::string> served_chain_pem;     // as the server sent it, leaf first
  std::vector<std::string> validated_chain_pem;  // as built to the trust anchor, leaf first
  std::vector<std::string> known_pins;           // "sha256/..." as configured
  std::int64_t time = 0;                         // Unix seconds
  bool include_subdomains = false;
  bool enforce_pinning = true;
  int validation_result = kValidationResultPinMismatch;
};

// Returns `report` as a compact JSON object with TrustKit's member names ("app-bundle-id",
// "served-certificate-chain", "date-time" as RFC 3339 UTC, "known-pins" as
// `pin-sha256="<base64>"`, ...).
std::string SerializePinFailureReport(const PinFailureReport& report);

// Returns `unix_seconds` as an RFC 3339 UTC timestamp, "2024-05-01T12:00:00Z".
std::string Rfc3339Utc(std::int64_t unix_seconds);

// A report waiting to be sent.
struct StoredPinReport {
  std::string id;          // unique within the store
  std::string report_uri;  // where to POST it
  std::string json;        // the serialized report
};

// PinReportStore keeps reports until they are delivered. Implementations must be thread-safe
// and should keep reports encrypted at rest (they name the app, the device and the hosts it
// talks to).
class PinReportStore {
 public:
  virtual ~PinReportStore() = default;
  // Stores `report` under its id. Fails with kPinReportStoreFull when the store is at its
  // bound (the report is dropped: reporting never blocks the app).
  virtual Status Save(const StoredPinReport& report) = 0;
  // Returns up to `max_reports` stored reports, oldest first.
  virtual Result<std::vector<StoredPinReport>> Pending(std::size_t max_reports) = 0;
  // Removes the report `id`; removing an unknown id succeeds.
  virtual Status Remove(std::string_view id) = 0;
};

// A PinReportStore in memory, for tests and for apps that do not persist reports.
class InMemoryPinReportStore final : public PinReportStore {
 public:
  // A device that failed pinning this often is being intercepted wholesale; more copies tell
  // the collector nothing new.
  static constexpr std::size_t kDefaultCapacity = 64;

  explicit InMemoryPinReportStore(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}
  Status Save(const StoredPinReport& report) override;
  Result<std::vector<StoredPinReport>> Pending(std::size_t max_reports) override;
  Status Remove(std::string_view id) override;
  // The number of stored reports.
  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<StoredPinReport> reports_;  // oldest first
};

// PinReportRateLimiter admits one report per host, port and served chain per window (TrustKit
// sends an identical report at most once a day). Thread-safe; memory bounded by `capacity`.
class PinReportRateLimiter {
 public:
  // TrustKit's interval: one identical report a day is enough to see an interception.
  static constexpr std::int64_t kWindowSeconds = 24 * 60 * 60;
  // Distinct (host, chain) pairs remembered; beyond it the oldest entry is forgotten, which
  // at worst lets one extra duplicate report through.
  static constexpr std::size_t kDefaultCapacity = 1024;

  explicit PinReportRateLimiter(const Clock& clock, std::size_t capacity = kDefaultCapacity)
      : clock_(clock), capacity_(capacity) {}

  // Returns true, and remembers the key, if no report for `hostname`:`port` with this served
  // chain was admitted in the last kWindowSeconds.
  bool Admit(std::string_view hostname, std::uint16_t port,
             const std::vector<std::string>& served_chain_pem);

 private:
  const Clock& clock_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::map<Bytes, std::int64_t> admitted_;  // SHA-256 of the key -> time admitted
};

}  // namespace ztm::client
