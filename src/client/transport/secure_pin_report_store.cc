// SecurePinReportStore (see secure_pin_report_store.h).
#include "client/transport/secure_pin_report_store.h"

#include <algorithm>
#include <utility>

#include <boost/json/object.hpp>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/json.h"

namespace ztm::client {
namespace {

// The item format's version, so a later layout can be told apart.
constexpr std::int64_t kItemVersion = 1;
// 128 bits of the id's hash name the item: ids are free text, item names are not.
constexpr std::size_t kNameHashBytes = 16;

std::string ItemName(std::string_view id) {
  const Bytes hash = crypto::Sha256(id);
  return std::string(kPinReportItemPrefix) + HexEncode(ByteView(hash).first(kNameHashBytes));
}

}  // namespace

void SecurePinReportStore::Warn(std::string_view message) const {
  if (on_warning_) on_warning_(message);
}

Result<std::vector<SecurePinReportStore::Entry>> SecurePinReportStore::LoadAll() {
  ZTM_ASSIGN_OR_RETURN(std::vector<std::string> names, store_.List());
  std::vector<Entry> entries;
  for (const std::string& name : names) {
    if (!name.starts_with(kPinReportItemPrefix)) continue;
    auto item = store_.Get(name);
    if (!item.ok() && item.code() == Code::kSecureItemNotFound) continue;  // removed meanwhile
    if (!item.ok() && item.code() != Code::kSecureItemTampered) return std::move(item).error();
    std::optional<Entry> entry;
    if (item.ok()) {
      auto object = json::ParseObject(AsString(item->view()));
      if (object.ok()) {
        auto version = json::GetInt(*object, "v");
        auto seq = json::GetInt(*object, "seq");
        auto id = json::GetString(*object, "id");
        auto uri = json::GetString(*object, "report_uri");
        auto text = json::GetString(*object, "json");
        // The item's name is derived from its id: a report under another name is not one we
        // wrote there.
        if (version.ok() && *version == kItemVersion && seq.ok() && *seq && id.ok() && *id &&
            uri.ok() && *uri && text.ok() && *text && ItemName(**id) == name) {
          entry = Entry{**seq, name, StoredPinReport{**id, **uri, **text}};
        }
      }
    }
    if (!entry) {
      Warn("pin failure report " + name + " is unreadable (tampered or corrupt); dropped");
      Status removed = store_.Remove(name);
      if (!removed.ok() && removed.code() != Code::kSecureItemNotFound) {
        Warn("cannot remove pin failure report " + name + ": " + removed.error().message);
      }
      continue;
    }
    entries.push_back(std::move(*entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  return entries;
}

Status SecurePinReportStore::Save(const StoredPinReport& report) {
  if (report.id.empty()) return Error{Code::kInvalidArgument, "pin report: empty id"};
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(std::vector<Entry> entries, LoadAll());
  const std::string name = ItemName(report.id);
  const bool replacing = std::any_of(entries.begin(), entries.end(),
                                     [&](const Entry& entry) { return entry.name == name; });
  if (!replacing && entries.size() >= kCapacity) {
    return Error{Code::kPinReportStoreFull, "pin report store is full"};
  }
  boost::json::object item;
  item["v"] = kItemVersion;
  item["seq"] = entries.empty() ? std::int64_t{1} : entries.back().seq + 1;
  item["id"] = report.id;
  item["report_uri"] = report.report_uri;
  item["json"] = report.json;
  return store_.Put(name, AsBytes(json::Serialize(item)));
}

Result<std::vector<StoredPinReport>> SecurePinReportStore::Pending(std::size_t max_reports) {
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(std::vector<Entry> entries, LoadAll());
  std::vector<StoredPinReport> reports;
  for (Entry& entry : entries) {
    if (reports.size() >= max_reports) break;
    reports.push_back(std::move(entry.report));
  }
  return reports;
}

Status SecurePinReportStore::Remove(std::string_view id) {
  std::lock_guard lock(mutex_);
  Status removed = store_.Remove(ItemName(id));
  if (!removed.ok() && removed.code() == Code::kSecureItemNotFound) return OkStatus();
  return removed;
}

}  // namespace ztm::client
