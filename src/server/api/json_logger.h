// Structured logs: one JSON object per line on stderr, {"time", "level", "msg", "fields"}, so
// log shippers parse them without patterns. Callers pass identifiers and outcomes, never tokens,
// proofs, passwords or keys: nothing here can tell a secret from an identifier.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/json/value.hpp>

#include "core/error.h"

namespace ztm::server {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Parses "debug", "info", "warn" or "error". Fails with kConfigInvalid otherwise.
Result<LogLevel> ParseLogLevel(std::string_view name);

// One "fields" member: a name and a string or number.
struct LogField {
  LogField(std::string_view field_name, std::string_view text) : name(field_name), value(text) {}
  LogField(std::string_view field_name, const std::string& text)
      : name(field_name), value(std::string_view(text)) {}
  LogField(std::string_view field_name, const char* text)
      : name(field_name), value(std::string_view(text)) {}
  template <typename Number>
  requires std::is_arithmetic_v<Number> LogField(std::string_view field_name, Number number)
      : name(field_name), value(number) {}

  std::string_view name;
  boost::json::value value;
};
using LogFields = std::initializer_list<LogField>;

// Thread-safe: each line is written whole under a lock and flushed.
class JsonLogger {
 public:
  // Logs at `min_level` and above to `out` (not owned).
  explicit JsonLogger(LogLevel min_level, std::FILE* out = stderr)
      : min_level_(min_level), out_(out) {}

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  // Writes {"time":"2025-01-01T00:00:00.000Z","level":"info","msg":msg,"fields":{...}}.
  void Log(LogLevel level, std::string_view msg, LogFields fields = {});

  void Info(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kInfo, msg, fields); }
  void Warn(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kWarn, msg, fields); }
  void Error(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kError, msg, fields); }

 private:
  const LogLevel min_level_;
  std::FILE* const out_;
  std::mutex mutex_;
};

}  // namespace ztm::server
