// SecurePinReportStore: pin failure reports kept in the SecureStore until they are delivered,
// so they survive an app restart and stay encrypted at rest (they name the app, the device and
// the hosts it talks to). Each report is one item, "ztm.pin-report.<32 hex of SHA-256(id)>",
// holding {"v":1,"seq":N,"id":...,"report_uri":...,"json":...}; seq orders them oldest first.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/storage/secure_store.h"
#include "client/transport/pin_report.h"
#include "core/error.h"

namespace ztm::client {

// The item-name prefix of stored reports; the SecureStore's other items never use it.
inline constexpr std::string_view kPinReportItemPrefix = "ztm.pin-report.";

class SecurePinReportStore final : public PinReportStore {
 public:
  // As InMemoryPinReportStore: a device that failed pinning this often is being intercepted
  // wholesale, and more copies tell the collector nothing new. It also leaves most of the
  // SecureStore's kMaxSecureItems to the session's own items.
  static constexpr std::size_t kCapacity = 64;

  // Keeps reports in `store`, which must outlive this object. `on_warning` (optional, must be
  // thread-safe) hears of reports that were dropped because their item was tampered with or
  // unreadable.
  explicit SecurePinReportStore(SecureStore& store,
                                std::function<void(std::string_view)> on_warning = {})
      : store_(store), on_warning_(std::move(on_warning)) {}

  // Save stores `report` (replacing one with the same id, which then counts as newest). Fails
  // with kPinReportStoreFull at kCapacity reports, kInvalidArgument for an empty id, and with
  // the SecureStore's errors (kInputTooLarge for a report over kMaxSecureItemBytes,
  // kSecureStoreFull, ...).
  Status Save(const StoredPinReport& report) override;
  // Pending returns up to `max_reports` reports, oldest first. An item that fails
  // authentication or does not hold a report is removed and reported to on_warning, never
  // returned: it can never be read again and would otherwise hold a place forever.
  Result<std::vector<StoredPinReport>> Pending(std::size_t max_reports) override;
  // Remove deletes the report `id`; an unknown id succeeds.
  Status Remove(std::string_view id) override;

 private:
  struct Entry {
    std::int64_t seq = 0;
    std::string name;
    StoredPinReport report;
  };
  // Every readable report, oldest first; unreadable items are removed and warned about.
  Result<std::vector<Entry>> LoadAll();
  void Warn(std::string_view message) const;

  SecureStore& store_;
  const std::function<void(std::string_view)> on_warning_;
  std::mutex mutex_;  // makes Save's count check and write one step
};

}  // namespace ztm::client
