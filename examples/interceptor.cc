// Reads examples/demo_network.py's interception log (JSON lines) and writes its rules file.
#include "interceptor.h"

#include <filesystem>
#include <fstream>

#include <boost/json/object.hpp>

#include "core/json.h"

namespace ztm::demo {
namespace {

// The demo makes a few dozen requests of a few KiB each; a log larger than this is not the
// demo's, and reading it whole would be a mistake.
constexpr std::uintmax_t kMaxLogBytes = 16 * 1024 * 1024;
// One record holds a request and the gateway's answer, each under the interceptor's 1 MiB
// body cap, plus headers.
constexpr std::size_t kMaxRecordBytes = 3 * 1024 * 1024;

std::string String(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::vector<std::pair<std::string, std::string>> Headers(const boost::json::object& object,
                                                         std::string_view key) {
  std::vector<std::pair<std::string, std::string>> headers;
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_array()) return headers;
  for (const boost::json::value& pair : value->get_array()) {
    if (!pair.is_array() || pair.get_array().size() != 2 || !pair.get_array()[0].is_string() ||
        !pair.get_array()[1].is_string()) {
      continue;
    }
    headers.emplace_back(std::string(pair.get_array()[0].get_string()),
                         std::string(pair.get_array()[1].get_string()));
  }
  return headers;
}

Status WriteAtomically(const std::string& path, std::string_view text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return Error{Code::kInvalidArgument, "cannot write " + temporary};
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return Error{Code::kInvalidArgument, "cannot write " + path + ": " + error.message()};
  return OkStatus();
}

}  // namespace

std::optional<std::string> InterceptedEvent::Header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (field == name) return value;
  }
  return std::nullopt;
}

Result<std::vector<InterceptedEvent>> Interceptor::Events() const {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(log_path_, error);
  if (error || size > kMaxLogBytes) {
    return Error{Code::kInvalidArgument, "cannot read the interceptor's log " + log_path_};
  }
  std::ifstream in(log_path_, std::ios::binary);
  std::vector<InterceptedEvent> events;
  std::string line;
  while (std::getline(in, line)) {
    auto record = json::ParseObject(line, kMaxRecordBytes);
    if (!record.ok()) {
      return Error{Code::kInvalidArgument, "the interceptor's log has a line that is not JSON"};
    }
    InterceptedEvent event;
    event.kind = String(*record, "event");
    event.error = String(*record, "error");
    if (const auto* bytes = record->if_contains("request_bytes"); bytes && bytes->is_int64()) {
      event.request_bytes = bytes->get_int64();
    }
    event.method = String(*record, "method");
    event.path = String(*record, "path");
    event.headers = Headers(*record, "headers");
    event.body = String(*record, "body");
    event.tampered = record->contains("forwarded_body");
    event.forwarded_body = String(*record, "forwarded_body");
    if (const auto* status = record->if_contains("status"); status && status->is_int64()) {
      event.status = static_cast<int>(status->get_int64());
    }
    event.answer = String(*record, "answer");
    if (event.kind.empty()) {
      return Error{Code::kInvalidArgument, "the interceptor's log has a record without event"};
    }
    events.push_back(std::move(event));
  }
  return events;
}

Status Interceptor::Tamper(std::string_view from, std::string_view to, bool fix_digest) const {
  const boost::json::object rules{{"replace", from}, {"with", to}, {"fix_digest", fix_digest}};
  return WriteAtomically(rules_path_, json::Serialize(rules));
}

Status Interceptor::StopTampering() const { return WriteAtomically(rules_path_, "{}"); }

HttpsRequest Resend(const InterceptedEvent& request) {
  HttpsRequest resent{request.method, request.path, {}, request.body};
  for (const auto& [name, value] : request.headers) {
    if (name != "host" && name != "content-length") resent.headers.emplace_back(name, value);
  }
  return resent;
}

}  // namespace ztm::demo
