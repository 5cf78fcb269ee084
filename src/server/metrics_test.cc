// Metrics registry: exact Prometheus text exposition, escaping, cardinality bound, checks
// on names, and concurrent updates.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

namespace ztm::server {
namespace {

TEST(MetricsTest, RendersCountersWithLabels) {
  MetricsRegistry registry;
  auto requests =
      registry.AddCounter("requests_total", "Requests by route and outcome.", {"route", "outcome"});
  ASSERT_TRUE(requests.ok());
  (*requests)->Increment({"/v1/", "ok"});
  (*requests)->Increment({"/v1/", "ok"}, 2);
  (*requests)->Increment({"/v1/", "denied"});
  auto refusals = registry.AddCounter("transport_refusals_total", "Refused at the transport.");
  ASSERT_TRUE(refusals.ok());

  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP requests_total Requests by route and outcome.\n"
            "# TYPE requests_total counter\n"
            "requests_total{route=\"/v1/\",outcome=\"denied\"} 1\n"
            "requests_total{route=\"/v1/\",outcome=\"ok\"} 3\n"
            "# HELP transport_refusals_total Refused at the transport.\n"
            "# TYPE transport_refusals_total counter\n"
            "transport_refusals_total 0\n");
  EXPECT_EQ((*requests)->Value({"/v1/", "ok"}), 3u);
  EXPECT_EQ((*requests)->Value({"/v1/", "never"}), 0u);
}

TEST(MetricsTest, RendersGauges) {
  MetricsRegistry registry;
  auto set = registry.AddGauge("replay_cache_entries", "Entries in the replay cache.");
  ASSERT_TRUE(set.ok());
  (*set)->Set(41);
  (*set)->Add(1);
  std::atomic<int> live{7};
  auto read = registry.AddCallbackGauge("open_connections", "Open connections.",
                                        [&] { return static_cast<double>(live.load()); });
  ASSERT_TRUE(read.ok());
  auto fraction = registry.AddGauge("load_ratio", "A fraction.");
  ASSERT_TRUE(fraction.ok());
  (*fraction)->Set(0.1);

  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP replay_cache_entries Entries in the replay cache.\n"
            "# TYPE replay_cache_entries gauge\n"
            "replay_cache_entries 42\n"
            "# HELP open_connections Open connections.\n"
            "# TYPE open_connections gauge\n"
            "open_connections 7\n"
            "# HELP load_ratio A fraction.\n"
            "# TYPE load_ratio gauge\n"
            "load_ratio 0.1\n");
  live = 9;
  EXPECT_EQ((*read)->Value(), 9);
}

TEST(MetricsTest, RendersHistogramBucketsSumAndCount) {
  MetricsRegistry registry;
  auto latency =
      registry.AddHistogram("request_duration_seconds", "Request latency.", {0.01, 0.1, 1});
  ASSERT_TRUE(latency.ok());
  const std::string empty =
      "# HELP request_duration_seconds Request latency.\n"
      "# TYPE request_duration_seconds histogram\n"
      "request_duration_seconds_bucket{le=\"0.01\"} 0\n"
      "request_duration_seconds_bucket{le=\"0.1\"} 0\n"
      "request_duration_seconds_bucket{le=\"1\"} 0\n"
      "request_duration_seconds_bucket{le=\"+Inf\"} 0\n"
      "request_duration_seconds_sum 0\n"
      "request_duration_seconds_count 0\n";
  EXPECT_EQ(registry.RenderPrometheus(), empty);

  (*latency)->Observe(0.0078125);  // binary fractions keep the sum exact
  (*latency)->Observe(1);          // "le" is inclusive
  (*latency)->Observe(0.5);
  (*latency)->Observe(2);
  (*latency)->Observe(std::nan(""));  // ignored
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP request_duration_seconds Request latency.\n"
            "# TYPE request_duration_seconds histogram\n"
            "request_duration_seconds_bucket{le=\"0.01\"} 1\n"
            "request_duration_seconds_bucket{le=\"0.1\"} 1\n"
            "request_duration_seconds_bucket{le=\"1\"} 3\n"
            "request_duration_seconds_bucket{le=\"+Inf\"} 4\n"
            "request_duration_seconds_sum 3.5078125\n"
            "request_duration_seconds_count 4\n");
}

TEST(MetricsTest, RendersLabelledHistogram) {
  MetricsRegistry registry;
  auto latency = registry.AddHistogram("latency_seconds", "By route.", {1}, {"route"});
  ASSERT_TRUE(latency.ok());
  (*latency)->Observe(0.5, {"/a"});
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP latency_seconds By route.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/a\",le=\"1\"} 1\n"
            "latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
            "latency_seconds_sum{route=\"/a\"} 0.5\n"
            "latency_seconds_count{route=\"/a\"} 1\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  auto counter = registry.AddCounter("odd_total", "Help with \\ and\nnewline.", {"value"});
  ASSERT_TRUE(counter.ok());
  (*counter)->Increment({"a\"b\\c"});
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP odd_total Help with \\\\ and\\nnewline.\n"
            "# TYPE odd_total counter\n"
            "odd_total{value=\"a\\\"b\\\\c\"} 1\n");
}

TEST(MetricsTest, UnprintableOrLongLabelValuesGoToOverflowSeries) {
  MetricsRegistry registry;
  auto counter = registry.AddCounter("reasons_total", "Reasons.", {"reason"});
  ASSERT_TRUE(counter.ok());
  (*counter)->Increment({"line\nbreak"});
  (*counter)->Increment({"\xff"});
  (*counter)->Increment({std::string(kMaxLabelValueBytes + 1, 'x')});
  (*counter)->Increment({"one", "too many"});
  (*counter)->Increment({});
  EXPECT_EQ((*counter)->Value({"other"}), 5u);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP reasons_total Reasons.\n"
            "# TYPE reasons_total counter\n"
            "reasons_total{reason=\"other\"} 5\n");
}

TEST(MetricsTest, CardinalityIsBounded) {
  MetricsRegistry registry(/*max_series_per_metric=*/4);
  auto counter = registry.AddCounter("paths_total", "Paths.", {"route", "outcome"});
  ASSERT_TRUE(counter.ok());
  for (int i = 0; i < 100; ++i) (*counter)->Increment({"/p" + std::to_string(i), "ok"});
  // Three distinct series plus the overflow series.
  EXPECT_EQ((*counter)->Value({"/p0", "ok"}), 1u);
  EXPECT_EQ((*counter)->Value({"/p1", "ok"}), 1u);
  EXPECT_EQ((*counter)->Value({"/p2", "ok"}), 1u);
  EXPECT_EQ((*counter)->Value({"/p3", "ok"}), 0u);
  EXPECT_EQ((*counter)->Value({"other", "other"}), 97u);
  // Known series keep counting after the cap is reached.
  (*counter)->Increment({"/p1", "ok"});
  EXPECT_EQ((*counter)->Value({"/p1", "ok"}), 2u);
  const std::string text = registry.RenderPrometheus();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2 + 4);
}

TEST(MetricsTest, RefusesInvalidRegistrations) {
  MetricsRegistry registry;
  EXPECT_FALSE(registry.AddCounter("requests", "no _total suffix").ok());
  EXPECT_FALSE(registry.AddCounter("9lives_total", "leading digit").ok());
  EXPECT_FALSE(registry.AddCounter("bad-name_total", "dash").ok());
  EXPECT_FALSE(registry.AddCounter("a_total", "three labels", {"x", "y", "z"}).ok());
  EXPECT_FALSE(registry.AddCounter("b_total", "duplicate labels", {"x", "x"}).ok());
  EXPECT_FALSE(registry.AddCounter("c_total", "reserved label", {"__x"}).ok());
  EXPECT_FALSE(registry.AddCounter("d_total", "bad label", {"a-b"}).ok());
  EXPECT_FALSE(registry.AddHistogram("h", "le label", {1}, {"le"}).ok());
  EXPECT_FALSE(registry.AddHistogram("h", "no buckets", {}).ok());
  EXPECT_FALSE(registry.AddHistogram("h", "decreasing", {1, 0.5}).ok());
  EXPECT_FALSE(registry.AddHistogram("h", "infinite", {1, 1.0 / 0.0}).ok());
  EXPECT_FALSE(registry.AddCallbackGauge("g", "no callback", nullptr).ok());
  ASSERT_TRUE(registry.AddGauge("g", "fine").ok());
  EXPECT_FALSE(registry.AddCounter("g", "taken").ok());
  EXPECT_FALSE(registry.AddGauge("g", "taken").ok());
  EXPECT_EQ(registry.AddGauge("g", "taken").code(), Code::kInvalidArgument);
  EXPECT_EQ(registry.RenderPrometheus(), "# HELP g fine\n# TYPE g gauge\ng 0\n");
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry registry;
  auto counter = registry.AddCounter("hits_total", "Hits.", {"worker"});
  auto histogram = registry.AddHistogram("work_seconds", "Work.", DefaultLatencyBuckets());
  ASSERT_TRUE(counter.ok());
  ASSERT_TRUE(histogram.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        (*counter)->Increment({t % 2 == 0 ? "even" : "odd"});
        (*histogram)->Observe(0.002);
        if (i % 100 == 0) (void)registry.RenderPrometheus();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ((*counter)->Value({"even"}), 2000u);
  EXPECT_EQ((*counter)->Value({"odd"}), 2000u);
  EXPECT_NE(registry.RenderPrometheus().find("work_seconds_count 4000\n"), std::string::npos);
}

}  // namespace
}  // namespace ztm::server
