// SecurePinReportStore: reports survive a reopen, stay bounded and ordered, and a tampered
// item is skipped, removed and reported instead of crashing or being returned.
#include "client/transport/secure_pin_report_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "client/keystore/file_key_store.h"
#include "client/storage/storage_test_util.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::client {
namespace {

using testing::ReadRaw;
using testing::TemporaryDirectory;
using testing::WriteRaw;

class SecurePinReportStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kek = std::move(RawKek::Create(Secret(Bytes(kKekBytes, 7)))).value();
    auto keys = FileKeyStore::Open(temp_.Sub("keys"), std::move(kek));
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    keys_ = std::move(keys).value();
    Reopen();
  }
  void Reopen() {
    reports_.reset();
    store_.reset();
    auto store = SecureStore::Open(dir_, keys_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    reports_ = std::make_unique<SecurePinReportStore>(
        *store_, [this](std::string_view warning) { warnings_.emplace_back(warning); });
  }
  std::vector<std::string> PendingIds(std::size_t max = 1000) {
    auto pending = reports_->Pending(max);
    EXPECT_TRUE(pending.ok()) << pending.error().message;
    std::vector<std::string> ids;
    if (pending.ok()) {
      for (const auto& report : *pending) ids.push_back(report.id);
    }
    return ids;
  }
  std::string ItemPathFor(std::string_view id) const {
    return dir_ + "/" + std::string(kPinReportItemPrefix) +
           HexEncode(ByteView(crypto::Sha256(id)).first(16)) + std::string(kSecureItemSuffix);
  }

  TemporaryDirectory temp_;
  const std::string dir_ = temp_.Sub("secure");
  std::shared_ptr<KeyStore> keys_;
  std::unique_ptr<SecureStore> store_;
  std::unique_ptr<SecurePinReportStore> reports_;
  std::vector<std::string> warnings_;
};

TEST_F(SecurePinReportStoreTest, SavedReportsSurviveReopenOldestFirst) {
  ASSERT_TRUE(reports_->Save({"b-first", "https://collector.example/r", R"({"n":1})"}).ok());
  ASSERT_TRUE(reports_->Save({"a-second", "https://collector.example/r", R"({"n":2})"}).ok());
  Reopen();
  auto pending = reports_->Pending(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, "b-first");
  EXPECT_EQ((*pending)[0].report_uri, "https://collector.example/r");
  EXPECT_EQ((*pending)[0].json, R"({"n":1})");
  EXPECT_EQ((*pending)[1].id, "a-second");
  EXPECT_EQ(PendingIds(1), std::vector<std::string>{"b-first"});
}

TEST_F(SecurePinReportStoreTest, ReportsAreEncryptedAtRest) {
  ASSERT_TRUE(
      reports_->Save({"r1", "https://collector.example/r", R"({"hostname":"bank.example"})"}).ok());
  const Bytes raw = ReadRaw(ItemPathFor("r1"));
  ASSERT_FALSE(raw.empty());
  EXPECT_FALSE(testing::Contains(raw, AsBytes("bank.example")));
}

TEST_F(SecurePinReportStoreTest, RemoveDeletesAndUnknownIdSucceeds) {
  ASSERT_TRUE(reports_->Save({"r1", "https://c/", "{}"}).ok());
  ASSERT_TRUE(reports_->Save({"r2", "https://c/", "{}"}).ok());
  EXPECT_TRUE(reports_->Remove("r1").ok());
  EXPECT_TRUE(reports_->Remove("never-stored").ok());
  EXPECT_EQ(PendingIds(), std::vector<std::string>{"r2"});
}

TEST_F(SecurePinReportStoreTest, SameIdReplacesAndBecomesNewest) {
  ASSERT_TRUE(reports_->Save({"r1", "https://c/", "{}"}).ok());
  ASSERT_TRUE(reports_->Save({"r2", "https://c/", "{}"}).ok());
  ASSERT_TRUE(reports_->Save({"r1", "https://c/", R"({"v":2})"}).ok());
  EXPECT_EQ(PendingIds(), (std::vector<std::string>{"r2", "r1"}));
  EXPECT_EQ(reports_->Save({"", "https://c/", "{}"}).code(), Code::kInvalidArgument);
}

TEST_F(SecurePinReportStoreTest, CountIsBounded) {
  for (std::size_t i = 0; i < SecurePinReportStore::kCapacity; ++i) {
    ASSERT_TRUE(reports_->Save({"r" + std::to_string(i), "https://c/", "{}"}).ok()) << i;
  }
  EXPECT_EQ(reports_->Save({"one-more", "https://c/", "{}"}).code(), Code::kPinReportStoreFull);
  // Replacing an existing report is not a new one.
  EXPECT_TRUE(reports_->Save({"r0", "https://c/", "{}"}).ok());
  EXPECT_EQ(PendingIds().size(), SecurePinReportStore::kCapacity);
  // Other items of the secure store do not count against the reports.
  ASSERT_TRUE(reports_->Remove("r1").ok());
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("t")).ok());
  EXPECT_TRUE(reports_->Save({"again", "https://c/", "{}"}).ok());
  EXPECT_EQ(PendingIds().size(), SecurePinReportStore::kCapacity);
}

TEST_F(SecurePinReportStoreTest, TamperedItemIsSkippedRemovedAndReported) {
  ASSERT_TRUE(reports_->Save({"good", "https://c/", "{}"}).ok());
  ASSERT_TRUE(reports_->Save({"bad", "https://c/", "{}"}).ok());
  Bytes raw = ReadRaw(ItemPathFor("bad"));
  ASSERT_GT(raw.size(), 20u);
  raw[raw.size() / 2] ^= 0x01;
  WriteRaw(ItemPathFor("bad"), raw);
  Reopen();
  EXPECT_EQ(PendingIds(), std::vector<std::string>{"good"});
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("tampered"), std::string::npos) << warnings_[0];
  EXPECT_FALSE(std::filesystem::exists(ItemPathFor("bad")));
  // Reported once: the item is gone.
  EXPECT_EQ(PendingIds(), std::vector<std::string>{"good"});
  EXPECT_EQ(warnings_.size(), 1u);
}

TEST_F(SecurePinReportStoreTest, TruncatedAndSwappedItemsAreSkipped) {
  ASSERT_TRUE(reports_->Save({"one", "https://c/", "{}"}).ok());
  ASSERT_TRUE(reports_->Save({"two", "https://c/", "{}"}).ok());
  ASSERT_TRUE(reports_->Save({"three", "https://c/", "{}"}).ok());
  // "two"'s file copied over "one"'s: authenticated under another name.
  WriteRaw(ItemPathFor("one"), ReadRaw(ItemPathFor("two")));
  WriteRaw(ItemPathFor("three"), Bytes{'Z', 'T'});
  EXPECT_EQ(PendingIds(), std::vector<std::string>{"two"});
  EXPECT_EQ(warnings_.size(), 2u);
}

TEST_F(SecurePinReportStoreTest, WorksAsTheTransportsReportStore) {
  std::shared_ptr<PinReportStore> store = std::make_shared<SecurePinReportStore>(*store_);
  ASSERT_TRUE(store->Save({"r", "https://c/", "{}"}).ok());
  auto pending = store->Pending(8);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->size(), 1u);
}

}  // namespace
}  // namespace ztm::client
