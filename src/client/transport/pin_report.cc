// Pin failure reports, their in-memory store and rate limiter (see pin_report.h).
#include "client/transport/pin_report.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdio>
#include <ctime>

#include "core/crypto/crypto.h"
#include "core/json.h"

namespace ztm::client {

std::string Rfc3339Utc(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string SerializePinFailureReport(const PinFailureReport& report) {
  boost::json::object out;
  out["app-bundle-id"] = report.identity.app_bundle_id;
  out["app-version"] = report.identity.app_version;
  out["app-platform"] = report.identity.app_platform;
  out["app-platform-version"] = report.identity.app_platform_version;
  out["app-vendor-id"] = report.identity.app_vendor_id;
  out["ztm-version"] = kZtmReportVersion;
  out["date-time"] = Rfc3339Utc(report.time);
  out["hostname"] = report.hostname;
  out["port"] = report.port;
  out["noted-hostname"] = report.noted_hostname;
  out["include-subdomains"] = report.include_subdomains;
  out["enforce-pinning"] = report.enforce_pinning;
  boost::json::array served;
  for (const std::string& pem : report.served_chain_pem) served.emplace_back(pem);
  out["served-certificate-chain"] = std::move(served);
  boost::json::array validated;
  for (const std::string& pem : report.validated_chain_pem) validated.emplace_back(pem);
  out["validated-certificate-chain"] = std::move(validated);
  // RFC 7469 §3: known pins are spelled as in the Public-Key-Pins header.
  boost::json::array pins;
  for (const std::string& pin : report.known_pins) {
    constexpr std::string_view kPrefix = "sha256/";
    std::string_view value = pin;
    if (value.starts_with(kPrefix)) value.remove_prefix(kPrefix.size());
    pins.emplace_back("pin-sha256=\"" + std::string(value) + "\"");
  }
  out["known-pins"] = std::move(pins);
  out["validation-result"] = report.validation_result;
  return json::Serialize(out);
}

Status InMemoryPinReportStore::Save(const StoredPinReport& report) {
  std::lock_guard lock(mutex_);
  if (reports_.size() >= capacity_) {
    return Error{Code::kPinReportStoreFull, "pin report store is full"};
  }
  auto same_id = [&](const StoredPinReport& r) { return r.id == report.id; };
  std::erase_if(reports_, same_id);
  reports_.push_back(report);
  return OkStatus();
}

Result<std::vector<StoredPinReport>> InMemoryPinReportStore::Pending(std::size_t max_reports) {
  std::lock_guard lock(mutex_);
  std::size_t count = std::min(max_reports, reports_.size());
  return std::vector<StoredPinReport>(reports_.begin(),
                                      reports_.begin() + static_cast<std::ptrdiff_t>(count));
}

Status InMemoryPinReportStore::Remove(std::string_view id) {
  std::lock_guard lock(mutex_);
  std::erase_if(reports_, [&](const StoredPinReport& r) { return r.id == id; });
  return OkStatus();
}

std::size_t InMemoryPinReportStore::size() const {
  std::lock_guard lock(mutex_);
  return reports_.size();
}

bool PinReportRateLimiter::Admit(std::string_view hostname, std::uint16_t port,
                                 const std::vector<std::string>& served_chain_pem) {
  // Length-prefixed fields, so no two different (host, port, chain) give the same key.
  std::string material;
  auto append = [&material](std::string_view field) {
    material += std::to_string(field.size());
    material += ':';
    material += field;
  };
  append(hostname);
  append(std::to_string(port));
  for (const std::string& pem : served_chain_pem) append(pem);
  Bytes key = crypto::Sha256(material);

  const std::int64_t now = clock_.NowSeconds();
  std::lock_guard lock(mutex_);
  auto found = admitted_.find(key);
  if (found != admitted_.end() && now - found->second < kWindowSeconds) return false;
  if (found == admitted_.end() && admitted_.size() >= capacity_) {
    std::erase_if(admitted_,
                  [now](const auto& entry) { return now - entry.second >= kWindowSeconds; });
    if (admitted_.size() >= capacity_) {
      auto oldest =
          std::min_element(admitted_.begin(), admitted_.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      admitted_.erase(oldest);
    }
  }
  admitted_[key] = now;
  return true;
}

}  // namespace ztm::client
