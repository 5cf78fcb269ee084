// The metrics registry and its Prometheus text exposition (format 0.0.4), see metrics.h.
#include "server/metrics.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "core/text.h"

namespace ztm::server {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Prometheus data model: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(std::string_view name) {
  if (name.empty() || IsDigit(name[0])) return false;
  for (char c : name) {
    if (!IsAsciiLetter(c) && !IsDigit(c) && c != '_' && c != ':') return false;
  }
  return true;
}

// Label names match [a-zA-Z_][a-zA-Z0-9_]*; names starting with "__" are reserved.
bool IsValidLabelName(std::string_view name) {
  if (name.empty() || IsDigit(name[0]) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!IsAsciiLetter(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

// Label values are kept to printable ASCII: every value the gateway uses (route prefixes,
// reason codes, event kinds) is, and it keeps the exposition valid UTF-8 by construction.
bool IsAcceptableLabelValue(std::string_view value) {
  if (value.size() > kMaxLabelValueBytes) return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// Exposition format: label values escape backslash, double quote and line feed.
void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// Exposition format: HELP text escapes backslash and line feed.
void AppendEscapedHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Sample values: Go's ParseFloat syntax; "+Inf", "-Inf", "NaN" for the special values and
// the shortest decimal that round-trips otherwise.
std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buffer, end);
}

Status CheckLabelNames(const std::vector<std::string>& label_names, bool histogram) {
  if (label_names.size() > kMaxMetricLabels) {
    return Error{Code::kInvalidArgument, "metrics: at most 2 labels per metric"};
  }
  std::set<std::string_view> seen;
  for (const std::string& label : label_names) {
    if (!IsValidLabelName(label)) {
      return Error{Code::kInvalidArgument,
                   "metrics: invalid label name \"" + ForMessage(label) + "\""};
    }
    if (histogram && label == "le") {
      return Error{Code::kInvalidArgument, "metrics: \"le\" is reserved in histograms"};
    }
    if (!seen.insert(label).second) {
      return Error{Code::kInvalidArgument, "metrics: duplicate label name \"" + label + "\""};
    }
  }
  return OkStatus();
}

}  // namespace

namespace metrics_detail {

template <typename Map>
Family::SeriesKey Family::KeyFor(std::initializer_list<std::string_view> labels,
                                 const Map& series) const {
  const SeriesKey overflow(label_names_.size(), std::string(kOverflowLabelValue));
  if (labels.size() != label_names_.size()) return overflow;
  SeriesKey key;
  key.reserve(labels.size());
  for (std::string_view value : labels) {
    if (!IsAcceptableLabelValue(value)) return overflow;
    key.emplace_back(value);
  }
  if (series.count(key) != 0) return key;
  // One slot stays reserved for the overflow series.
  if (series.size() + (series.count(overflow) != 0 ? 0 : 1) >= max_series_) return overflow;
  return key;
}

void Family::RenderHeader(std::string& out, std::string_view type) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  AppendEscapedHelp(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type;
  out += '\n';
}

std::string Family::SeriesName(std::string_view suffix, const SeriesKey& key,
                               std::string_view extra_name, std::string_view extra_value) const {
  std::string out = name_;
  out += suffix;
  if (key.empty() && extra_name.empty()) return out;
  out += '{';
  bool first = true;
  auto append = [&](std::string_view label, std::string_view value) {
    if (!first) out += ',';
    first = false;
    out += label;
    out += "=\"";
    AppendEscapedLabelValue(out, value);
    out += '"';
  };
  for (std::size_t i = 0; i < key.size(); ++i) append(label_names_[i], key[i]);
  if (!extra_name.empty()) append(extra_name, extra_value);
  out += '}';
  return out;
}

}  // namespace metrics_detail

void Counter::Increment(std::initializer_list<std::string_view> labels, std::uint64_t amount) {
  std::lock_guard lock(mutex_);
  std::uint64_t& count = series_[KeyFor(labels, series_)];
  // Saturate rather than wrap: a counter going backwards reads as a process restart.
  count = amount > std::numeric_limits<std::uint64_t>::max() - count
              ? std::numeric_limits<std::uint64_t>::max()
              : count + amount;
}

std::uint64_t Counter::Value(std::initializer_list<std::string_view> labels) const {
  std::lock_guard lock(mutex_);
  SeriesKey key;
  for (std::string_view value : labels) key.emplace_back(value);
  auto found = series_.find(key);
  return found == series_.end() ? 0 : found->second;
}

void Counter::Render(std::string& out) const {
  std::lock_guard lock(mutex_);
  RenderHeader(out, "counter");
  // An unlabelled counter always has its one series, so a scrape sees 0 before the first
  // event instead of a missing metric.
  if (label_names_.empty() && series_.empty()) {
    out += name_ + " 0\n";
    return;
  }
  for (const auto& [key, count] : series_) {
    out += SeriesName("", key);
    out += ' ';
    out += std::to_string(count);
    out += '\n';
  }
}

void Gauge::Set(double value) {
  std::lock_guard lock(mutex_);
  value_ = value;
}

void Gauge::Add(double delta) {
  std::lock_guard lock(mutex_);
  value_ += delta;
}

double Gauge::Value() const {
  if (read_) return read_();
  std::lock_guard lock(mutex_);
  return value_;
}

void Gauge::Render(std::string& out) const {
  const double value = Value();
  RenderHeader(out, "gauge");
  out += name_;
  out += ' ';
  out += FormatDouble(value);
  out += '\n';
}

void Histogram::Observe(double value, std::initializer_list<std::string_view> labels) {
  if (std::isnan(value)) return;
  std::lock_guard lock(mutex_);
  Data& data = series_[KeyFor(labels, series_)];
  if (data.bucket_counts.empty()) data.bucket_counts.assign(upper_bounds_.size() + 1, 0);
  std::size_t bucket = 0;
  while (bucket < upper_bounds_.size() && value > upper_bounds_[bucket]) ++bucket;
  ++data.bucket_counts[bucket];
  ++data.count;
  data.sum += value;
}

void Histogram::Render(std::string& out) const {
  std::lock_guard lock(mutex_);
  RenderHeader(out, "histogram");
  auto render_series = [&](const SeriesKey& key, const Data* data) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
      if (data != nullptr) cumulative += data->bucket_counts[i];
      const std::string le = i < upper_bounds_.size() ? FormatDouble(upper_bounds_[i]) : "+Inf";
      out += SeriesName("_bucket", key, "le", le);
      out += ' ';
      out += std::to_string(cumulative);
      out += '\n';
    }
    out += SeriesName("_sum", key) + ' ' + FormatDouble(data != nullptr ? data->sum : 0) + '\n';
    out +=
        SeriesName("_count", key) + ' ' + std::to_string(data != nullptr ? data->count : 0) + '\n';
  };
  if (label_names_.empty() && series_.empty()) {
    render_series({}, nullptr);
    return;
  }
  for (const auto& [key, data] : series_) render_series(key, &data);
}

Status MetricsRegistry::CheckNew(const std::string& name) const {
  if (!IsValidMetricName(name)) {
    return Error{Code::kInvalidArgument,
                 "metrics: invalid metric name \"" + ForMessage(name) + "\""};
  }
  for (const auto& family : families_) {
    if (family->name() == name) {
      return Error{Code::kInvalidArgument, "metrics: " + name + " is already registered"};
    }
  }
  return OkStatus();
}

Result<Counter*> MetricsRegistry::AddCounter(std::string name, std::string help,
                                             std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckNew(name));
  if (!name.ends_with("_total")) {
    return Error{Code::kInvalidArgument, "metrics: counter " + name + " must end in _total"};
  }
  ZTM_RETURN_IF_ERROR(CheckLabelNames(label_names, /*histogram=*/false));
  auto counter = std::make_unique<Counter>(std::move(name), std::move(help), std::move(label_names),
                                           max_series_per_metric_);
  Counter* raw = counter.get();
  families_.push_back(std::move(counter));
  return raw;
}

Result<Gauge*> MetricsRegistry::AddGauge(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckNew(name));
  auto gauge = std::make_unique<Gauge>(std::move(name), std::move(help), nullptr);
  Gauge* raw = gauge.get();
  families_.push_back(std::move(gauge));
  return raw;
}

Result<Gauge*> MetricsRegistry::AddCallbackGauge(std::string name, std::string help,
                                                 std::function<double()> read) {
  if (!read) return Error{Code::kInvalidArgument, "metrics: gauge " + name + " has no callback"};
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckNew(name));
  auto gauge = std::make_unique<Gauge>(std::move(name), std::move(help), std::move(read));
  Gauge* raw = gauge.get();
  families_.push_back(std::move(gauge));
  return raw;
}

Result<Histogram*> MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                 std::vector<double> upper_bounds,
                                                 std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckNew(name));
  ZTM_RETURN_IF_ERROR(CheckLabelNames(label_names, /*histogram=*/true));
  if (upper_bounds.empty()) {
    return Error{Code::kInvalidArgument, "metrics: histogram " + name + " has no buckets"};
  }
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i]) || (i > 0 && upper_bounds[i] <= upper_bounds[i - 1])) {
      return Error{Code::kInvalidArgument,
                   "metrics: histogram " + name + " buckets must be finite and increasing"};
    }
  }
  auto histogram =
      std::make_unique<Histogram>(std::move(name), std::move(help), std::move(label_names),
                                  max_series_per_metric_, std::move(upper_bounds));
  Histogram* raw = histogram.get();
  families_.push_back(std::move(histogram));
  return raw;
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& family : families_) family->Render(out);
  return out;
}

}  // namespace ztm::server
