#include "server/api/json_logger.h"

#include <chrono>
#include <ctime>
#include <string>

#include <boost/json/object.hpp>

#include "core/json.h"

namespace ztm::server {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// RFC 3339 UTC with milliseconds.
std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const std::size_t length = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  char with_millis[40];
  std::snprintf(with_millis, sizeof(with_millis), "%.*s.%03dZ", static_cast<int>(length), buffer,
                static_cast<int>(millis % 1000));
  return with_millis;
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return Error{Code::kConfigInvalid, "log_level must be debug, info, warn or error"};
}

void JsonLogger::Log(LogLevel level, std::string_view msg, LogFields fields) {
  if (!Enabled(level)) return;
  boost::json::object line;
  line["time"] = Timestamp();
  line["level"] = LevelName(level);
  line["msg"] = msg;
  boost::json::object field_object;
  for (const LogField& field : fields) field_object[field.name] = field.value;
  line["fields"] = std::move(field_object);
  std::string text = json::Serialize(line);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace ztm::server
