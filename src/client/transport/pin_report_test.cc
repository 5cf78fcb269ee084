// Pin failure report format, the in-memory report store and the report rate limiter.
#include "client/transport/pin_report.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace ztm::client {
namespace {

TEST(PinReportTest, Rfc3339Utc) {
  EXPECT_EQ(Rfc3339Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339Utc(1714564800), "2024-05-01T12:00:00Z");
}

TEST(PinReportTest, SerializesTrustKitFields) {
  PinFailureReport report;
  report.identity = {"com.example.app", "1.2.3", "LINUX", "6.1", "device-42"};
  report.noted_hostname = "example.com";
  report.hostname = "api.example.com";
  report.port = 443;
  report.served_chain_pem = {"LEAF", "EXTRA"};
  report.validated_chain_pem = {"LEAF", "ROOT"};
  report.known_pins = {"sha256/AAAA", "sha256/BBBB"};
  report.time = 1714564800;
  report.include_subdomains = true;
  report.enforce_pinning = false;
  auto parsed = json::ParseObject(SerializePinFailureReport(report));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const boost::json::object& o = *parsed;
  EXPECT_EQ(o.at("app-bundle-id"), "com.example.app");
  EXPECT_EQ(o.at("app-version"), "1.2.3");
  EXPECT_EQ(o.at("app-platform"), "LINUX");
  EXPECT_EQ(o.at("app-platform-version"), "6.1");
  EXPECT_EQ(o.at("app-vendor-id"), "device-42");
  EXPECT_EQ(o.at("ztm-version").as_string(), kZtmReportVersion);
  EXPECT_EQ(o.at("date-time"), "2024-05-01T12:00:00Z");
  EXPECT_EQ(o.at("hostname"), "api.example.com");
  EXPECT_EQ(o.at("noted-hostname"), "example.com");
  EXPECT_EQ(o.at("port").as_int64(), 443);
  EXPECT_EQ(o.at("include-subdomains"), true);
  EXPECT_EQ(o.at("enforce-pinning"), false);
  EXPECT_EQ(o.at("served-certificate-chain"), (boost::json::array{"LEAF", "EXTRA"}));
  EXPECT_EQ(o.at("validated-certificate-chain"), (boost::json::array{"LEAF", "ROOT"}));
  EXPECT_EQ(o.at("known-pins"), (boost::json::array{"pin-sha256=\"AAAA\"", "pin-sha256=\"BBBB\""}));
  EXPECT_EQ(o.at("validation-result").as_int64(), kValidationResultPinMismatch);
}

TEST(InMemoryPinReportStoreTest, SavePendingRemove) {
  InMemoryPinReportStore store(2);
  ASSERT_TRUE(store.Save({"1", "https://r/", "{}"}).ok());
  ASSERT_TRUE(store.Save({"2", "https://r/", "{}"}).ok());
  EXPECT_EQ(store.Save({"3", "https://r/", "{}"}).code(), Code::kPinReportStoreFull);
  auto pending = store.Pending(1);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().id, "1");  // oldest first
  ASSERT_TRUE(store.Remove("1").ok());
  ASSERT_TRUE(store.Remove("unknown").ok());
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.Pending(10)->front().id, "2");
}

TEST(PinReportRateLimiterTest, OneReportPerHostAndChainPerDay) {
  FixedClock clock(1'000'000);
  PinReportRateLimiter limiter(clock);
  EXPECT_TRUE(limiter.Admit("a.com", 443, {"LEAF"}));
  EXPECT_FALSE(limiter.Admit("a.com", 443, {"LEAF"}));
  EXPECT_TRUE(limiter.Admit("b.com", 443, {"LEAF"}));       // another host
  EXPECT_TRUE(limiter.Admit("a.com", 8443, {"LEAF"}));      // another port
  EXPECT_TRUE(limiter.Admit("a.com", 443, {"LEAF", "X"}));  // another chain
  EXPECT_TRUE(limiter.Admit("a.com", 443, {"LEA", "FX"}));  // same bytes, other split
  clock.Set(1'000'000 + PinReportRateLimiter::kWindowSeconds - 1);
  EXPECT_FALSE(limiter.Admit("a.com", 443, {"LEAF"}));
  clock.Set(1'000'000 + PinReportRateLimiter::kWindowSeconds);
  EXPECT_TRUE(limiter.Admit("a.com", 443, {"LEAF"}));
  EXPECT_FALSE(limiter.Admit("a.com", 443, {"LEAF"}));
}

TEST(PinReportRateLimiterTest, MemoryIsBounded) {
  FixedClock clock(1'000'000);
  PinReportRateLimiter limiter(clock, 2);
  EXPECT_TRUE(limiter.Admit("a.com", 443, {}));
  clock.Set(1'000'001);
  EXPECT_TRUE(limiter.Admit("b.com", 443, {}));
  clock.Set(1'000'002);
  EXPECT_TRUE(limiter.Admit("c.com", 443, {}));  // evicts a.com, the oldest
  EXPECT_FALSE(limiter.Admit("c.com", 443, {}));
  EXPECT_FALSE(limiter.Admit("b.com", 443, {}));
  EXPECT_TRUE(limiter.Admit("a.com", 443, {}));  // forgotten: admitted again
}

}  // namespace
}  // namespace ztm::client
