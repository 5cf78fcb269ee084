// The gateway's metrics: a small thread-safe registry of counters, gauges and histograms,
// rendered for `GET /metrics` in the Prometheus text exposition format 0.0.4. Label
// cardinality is bounded per metric so a peer cannot grow memory by varying a label.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace ztm::server {

// A metric has at most two labels (e.g. requests_total{route,outcome}); more is a sign
// that a label is carrying data that belongs in a log line.
inline constexpr std::size_t kMaxMetricLabels = 2;
// Distinct label-value combinations kept per metric (the "other" series included). Routes
// come from the config and reasons from closed enums, so real use stays far below this;
// past it, new combinations are counted under the overflow series.
inline constexpr std::size_t kDefaultMaxSeriesPerMetric = 256;
// Label values longer than this are collapsed into the overflow series: no legitimate
// route prefix or reason code is this long.
inline constexpr std::size_t kMaxLabelValueBytes = 128;
// The value every label of the overflow series takes.
inline constexpr std::string_view kOverflowLabelValue = "other";

// Request latency buckets in seconds: 1 ms to 10 s, the range a verifying proxy's latency
// spans from a cache hit to a slow upstream.
inline const std::vector<double>& DefaultLatencyBuckets() {
  static const std::vector<double> buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};
  return buckets;
}

namespace metrics_detail {

// What the registry knows of every metric: its name, help, labels and how to render it.
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::size_t max_series)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        max_series_(max_series) {}
  virtual ~Family() = default;
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  const std::string& name() const { return name_; }
  // Appends this metric's HELP, TYPE and sample lines.
  virtual void Render(std::string& out) const = 0;

 protected:
  using SeriesKey = std::vector<std::string>;
  // The series `labels` is counted under: the values themselves, or the overflow series
  // when the count of labels is wrong, a value is unprintable or too long, or the metric
  // already holds its maximum number of series. Caller holds mutex_.
  template <typename Map>
  SeriesKey KeyFor(std::initializer_list<std::string_view> labels, const Map& series) const;
  void RenderHeader(std::string& out, std::string_view type) const;
  // `name{label="value",...,extra_name="extra_value"}` with values escaped.
  std::string SeriesName(std::string_view suffix, const SeriesKey& key,
                         std::string_view extra_name = {}, std::string_view extra_value = {}) const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::size_t max_series_;
  mutable std::mutex mutex_;
};

}  // namespace metrics_detail

// A monotonically increasing count, e.g. verification_failures_total{reason}. Thread-safe.
class Counter final : public metrics_detail::Family {
 public:
  using Family::Family;
  // Adds `amount` to the series named by `labels` (one value per label, in declaration
  // order; see kOverflowLabelValue for values that do not fit).
  void Increment(std::initializer_list<std::string_view> labels = {}, std::uint64_t amount = 1);
  // The current count of the series named by `labels` (0 if never incremented).
  std::uint64_t Value(std::initializer_list<std::string_view> labels = {}) const;
  void Render(std::string& out) const override;

 private:
  std::map<SeriesKey, std::uint64_t> series_;
};

// A value that goes up and down, e.g. replay_cache_entries: set by the owner, or read from
// a callback at render time. Thread-safe.
class Gauge final : public metrics_detail::Family {
 public:
  Gauge(std::string name, std::string help, std::function<double()> read)
      : Family(std::move(name), std::move(help), {}, 1), read_(std::move(read)) {}
  void Set(double value);
  void Add(double delta);
  // The value a scrape would see now.
  double Value() const;
  void Render(std::string& out) const override;

 private:
  const std::function<double()> read_;  // when set, Set/Add are ignored
  double value_ = 0;
};

// A distribution of observations in fixed buckets, e.g. request_duration_seconds.
// Thread-safe.
class Histogram final : public metrics_detail::Family {
 public:
  Histogram(std::string name, std::string help, std::vector<std::string> label_names,
            std::size_t max_series, std::vector<double> upper_bounds)
      : Family(std::move(name), std::move(help), std::move(label_names), max_series),
        upper_bounds_(std::move(upper_bounds)) {}
  // Records `value` (NaN is ignored: it would poison the sum forever).
  void Observe(double value, std::initializer_list<std::string_view> labels = {});
  void Render(std::string& out) const override;

 private:
  struct Data {
    std::vector<std::uint64_t> bucket_counts;  // per bucket, not cumulative; +Inf last
    std::uint64_t count = 0;
    double sum = 0;
  };
  const std::vector<double> upper_bounds_;  // strictly increasing, finite
  std::map<SeriesKey, Data> series_;
};

// MetricsRegistry owns the gateway's metrics and renders them. Metrics are registered at
// start (names and labels are validated then) and updated from any thread; the returned
// pointers stay valid for the registry's lifetime.
class MetricsRegistry {
 public:
  explicit MetricsRegistry(std::size_t max_series_per_metric = kDefaultMaxSeriesPerMetric)
      : max_series_per_metric_(max_series_per_metric < 1 ? 1 : max_series_per_metric) {}

  // Registers a counter. `name` must be a valid metric name ending in "_total", unique in
  // this registry; `label_names` at most kMaxMetricLabels valid, distinct label names.
  Result<Counter*> AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  // Registers a gauge the owner sets.
  Result<Gauge*> AddGauge(std::string name, std::string help);
  // Registers a gauge whose value `read` returns at each render. `read` runs on the
  // rendering thread with the registry locked: it must be thread-safe and must not call
  // back into this registry.
  Result<Gauge*> AddCallbackGauge(std::string name, std::string help, std::function<double()> read);
  // Registers a histogram with `upper_bounds` (finite, strictly increasing; the +Inf
  // bucket is implicit), e.g. DefaultLatencyBuckets(). "le" is not a valid label name here.
  Result<Histogram*> AddHistogram(std::string name, std::string help,
                                  std::vector<double> upper_bounds,
                                  std::vector<std::string> label_names = {});

  // Renders every metric in registration order, in the Prometheus text exposition format
  // 0.0.4 (Content-Type: text/plain; version=0.0.4; charset=utf-8).
  std::string RenderPrometheus() const;

 private:
  Status CheckNew(const std::string& name) const;

  const std::size_t max_series_per_metric_;
  mutable std::mutex mutex_;  // guards families_
  std::vector<std::unique_ptr<metrics_detail::Family>> families_;
};

// The Content-Type of RenderPrometheus()'s output.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace ztm::server
