#include "server/tokens/key_ring.h"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>

#include "core/json.h"
#include "server/testing/gateway_test_support.h"
#include "server/tokens/access_token.h"

namespace ztm::server {
namespace {

using testing::kTestNow;
using testing::Must;
using testing::TempDir;

constexpr std::int64_t kRetirement = 3600;

class KeyRingTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = testing::OpenTestStore(dir_);
};

TEST_F(KeyRingTest, LoadCreatesAFirstKeySealedAtRest) {
  auto ring = KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, kRetirement);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  auto keys = Must(store_->ListSigningKeys());
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].kid, (*ring)->active_kid());
  EXPECT_FALSE(keys[0].retired_at.has_value());
  // The stored private key is sealed: it does not parse as PKCS#8, and it opens only under the
  // master key with the kid as associated data.
  EXPECT_FALSE(crypto::PrivateKey::FromPkcs8Der(keys[0].sealed_private_key).ok());
  Secret master = testing::TestMasterKey();
  EXPECT_TRUE(
      crypto::AesGcmOpenWithNonce(master.view(), keys[0].sealed_private_key, AsBytes(keys[0].kid))
          .ok());
  EXPECT_FALSE(
      crypto::AesGcmOpenWithNonce(master.view(), keys[0].sealed_private_key, AsBytes("another kid"))
          .ok());
  // Loading again reuses the key.
  auto again = Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, kRetirement));
  EXPECT_EQ(again->active_kid(), (*ring)->active_kid());
  EXPECT_EQ(Must(store_->ListSigningKeys()).size(), 1u);
}

TEST_F(KeyRingTest, WrongMasterKeyIsRefused) {
  Must(KeyRing::Load(*store_, testing::TestMasterKey(0x01), kTestNow, kRetirement));
  auto ring = KeyRing::Load(*store_, testing::TestMasterKey(0x02), kTestNow, kRetirement);
  ASSERT_FALSE(ring.ok());
  EXPECT_EQ(ring.code(), Code::kSigningKeyUnavailable);
}

TEST_F(KeyRingTest, RotatedOutKeyVerifiesUntilRetirementEnds) {
  auto ring = Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, kRetirement));
  const std::string old_kid = ring->active_kid();
  auto tokens = Must(
      AccessTokenService::Create(*ring, testing::kTestIssuer, testing::kTestAudience, 3600, 0));
  AccessTokenClaims claims{"alice", "device-1", "jkt", "pwd", kTestNow, "sid-1"};
  const std::string old_token = Must(tokens.Issue(claims, kTestNow)).token;

  const std::int64_t rotated_at = kTestNow + 10;
  const std::string new_kid = Must(RotateSigningKey(*store_, testing::TestMasterKey(), rotated_at));
  ASSERT_NE(new_kid, old_kid);
  Must(ring->Reload(rotated_at));
  EXPECT_EQ(ring->active_kid(), new_kid);
  const std::string new_token = Must(tokens.Issue(claims, rotated_at)).token;

  // Both verify during the retirement period; JWKS lists both, active first.
  EXPECT_TRUE(tokens.Verify(old_token, rotated_at + 100).ok());
  EXPECT_TRUE(tokens.Verify(new_token, rotated_at + 100).ok());
  auto jwks = Must(json::ParseObject(ring->JwksJson(rotated_at + 100)));
  ASSERT_EQ(jwks["keys"].as_array().size(), 2u);
  EXPECT_EQ(jwks["keys"].as_array()[0].as_object().at("kid").as_string(), new_kid);
  EXPECT_EQ(jwks["keys"].as_array()[0].as_object().at("alg").as_string(), "ES256");
  EXPECT_EQ(jwks["keys"].as_array()[0].as_object().at("use").as_string(), "sig");
  EXPECT_EQ(jwks["keys"].as_array()[0].as_object().count("d"), 0u);

  // After retirement the old key no longer verifies (its tokens expired anyway) and leaves
  // the JWKS.
  const std::int64_t after = rotated_at + kRetirement;
  EXPECT_TRUE(ring->VerifierFor(new_kid, after).ok());
  auto retired = ring->VerifierFor(old_kid, after);
  ASSERT_FALSE(retired.ok());
  EXPECT_EQ(retired.code(), Code::kSigningKeyUnavailable);
  jwks = Must(json::ParseObject(ring->JwksJson(after)));
  EXPECT_EQ(jwks["keys"].as_array().size(), 1u);
}

TEST_F(KeyRingTest, UnknownKidTriggersARateLimitedReload) {
  // Two gateways on one store: the second rotates; the first learns the key on demand.
  auto first = Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, kRetirement));
  auto second = Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, kRetirement));
  const std::string rotated = Must(RotateSigningKey(*store_, testing::TestMasterKey(), kTestNow));
  EXPECT_TRUE(first->VerifierFor(rotated, kTestNow + 1).ok());
  // A made-up kid reloads at most once per interval: the next unknown one fails fast even
  // though a new key exists now.
  EXPECT_FALSE(first->VerifierFor("no-such-kid", kTestNow + 2).ok());
  const std::string another =
      Must(RotateSigningKey(*store_, testing::TestMasterKey(), kTestNow + 3));
  EXPECT_FALSE(first->VerifierFor(another, kTestNow + 3).ok());
  EXPECT_TRUE(
      first->VerifierFor(another, kTestNow + 2 + KeyRing::kUnknownKidReloadIntervalSeconds).ok());
  (void)second;
}

TEST_F(KeyRingTest, PeriodicReloadPicksUpRotation) {
  auto ring = Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, kRetirement));
  const std::string rotated = Must(RotateSigningKey(*store_, testing::TestMasterKey(), kTestNow));
  ring->ReloadIfDue(kTestNow + 1);
  EXPECT_NE(ring->active_kid(), rotated);
  ring->ReloadIfDue(kTestNow + KeyRing::kReloadIntervalSeconds);
  EXPECT_EQ(ring->active_kid(), rotated);
}

TEST_F(KeyRingTest, ListSigningKeyStatus) {
  Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, kRetirement));
  Must(RotateSigningKey(*store_, testing::TestMasterKey(), kTestNow + 5));
  auto keys = Must(ListSigningKeyStatus(*store_, kRetirement));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_TRUE(keys[0].active);
  EXPECT_FALSE(keys[0].verifies_until.has_value());
  EXPECT_FALSE(keys[1].active);
  EXPECT_EQ(keys[1].verifies_until, kTestNow + 5 + kRetirement);
}

}  // namespace
}  // namespace ztm::server
