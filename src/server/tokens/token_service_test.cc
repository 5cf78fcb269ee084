// The token service over the real SQLite store: session start, refresh rotation, reuse
// detection (RFC 9700 §4.14.2), the grace window, DPoP key binding and revocation.
#include "server/tokens/token_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::kTestNow;
using testing::Must;
using testing::TempDir;
using testing::TestDevice;

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Must(store_->InsertDevice(device_.Record("device-1")));
    Must(store_->InsertDevice(other_device_.Record("device-2")));
  }

  TokenService Service(RefreshGrace grace = {5, 2}, std::int64_t lifetime = 7 * 86400) {
    TokenServiceOptions options;
    options.family_lifetime_seconds = lifetime;
    options.grace = grace;
    return TokenService(*store_, access_,
                        Must(RefreshTokenMinter::Create(testing::TestMasterKey())), options);
  }
  TokenGrant Start(TokenService& service) {
    auto device = Must(store_->FindDevice("device-1"));
    return Must(service.StartSession("alice", *device, "pwd", kTestNow, kTestNow));
  }
  std::vector<std::string> AuditTypes() {
    std::vector<std::string> types;
    for (const AuditEvent& event : Must(store_->TailAudit(100))) types.push_back(event.type);
    return types;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = testing::OpenTestStore(dir_);
  std::unique_ptr<KeyRing> ring_ =
      Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, 3600));
  AccessTokenService access_ = Must(
      AccessTokenService::Create(*ring_, testing::kTestIssuer, testing::kTestAudience, 900, 5));
  TestDevice device_;
  TestDevice other_device_;
};

TEST_F(TokenServiceTest, StartSessionIssuesBoundTokensAndAudits) {
  TokenService service = Service();
  TokenGrant grant = Start(service);
  EXPECT_TRUE(RefreshTokenMinter::WellFormed(grant.refresh_token));
  EXPECT_EQ(grant.expires_in, 900);
  auto token = Must(access_.Verify(grant.access_token, kTestNow));
  EXPECT_EQ(token.claims().subject, "alice");
  EXPECT_EQ(token.claims().jkt, device_.jkt());
  EXPECT_EQ(token.claims().session_id, grant.session_id);
  // The store holds the hash, never the token.
  auto family = Must(store_->FindFamilyByToken(RefreshTokenMinter::Hash(grant.refresh_token)));
  ASSERT_TRUE(family.has_value());
  EXPECT_EQ(family->family_id, grant.session_id);
  EXPECT_EQ(family->expires_at, kTestNow + 7 * 86400);
  EXPECT_EQ(AuditTypes(), std::vector<std::string>{"token_issued"});
}

TEST_F(TokenServiceTest, RefreshRotatesEveryTime) {
  TokenService service = Service();
  TokenGrant first = Start(service);
  auto second = service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 60);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_NE(second->refresh_token, first.refresh_token);
  EXPECT_EQ(second->session_id, first.session_id);
  EXPECT_TRUE(access_.Verify(second->access_token, kTestNow + 60).ok());
  auto third = service.Refresh(second->refresh_token, device_.jkt(), kTestNow + 120);
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_NE(third->refresh_token, second->refresh_token);
}

TEST_F(TokenServiceTest, ReuseRevokesTheFamilyAndTheHolderIsLockedOut) {
  TokenService service = Service({0, 0});
  TokenGrant first = Start(service);
  // The legitimate client refreshes; an attacker replays the stolen first token later.
  TokenGrant legit = Must(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 60));
  auto replay = service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 120);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.code(), Code::kOAuthInvalidGrant);
  EXPECT_NE(replay.error().message.find("revoked"), std::string::npos);
  // The family is revoked: the legitimate holder's next refresh fails too.
  auto next = service.Refresh(legit.refresh_token, device_.jkt(), kTestNow + 180);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.code(), Code::kOAuthInvalidGrant);
  auto family = Must(store_->FindFamilyByToken(RefreshTokenMinter::Hash(first.refresh_token)));
  ASSERT_TRUE(family.has_value());
  EXPECT_TRUE(family->revoked_at.has_value());
  EXPECT_EQ(family->revoked_reason, "reuse");
  auto types = AuditTypes();
  EXPECT_NE(std::find(types.begin(), types.end(), "refresh_reuse"), types.end());
}

TEST_F(TokenServiceTest, GraceRetryReturnsTheSameSuccessor) {
  TokenService service = Service({5, 2});
  TokenGrant first = Start(service);
  TokenGrant rotated = Must(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 60));
  // The response was lost; the client retries within the window.
  TokenGrant retry = Must(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 62));
  EXPECT_EQ(retry.refresh_token, rotated.refresh_token);
  EXPECT_NE(retry.access_token, rotated.access_token);
  EXPECT_TRUE(access_.Verify(retry.access_token, kTestNow + 62).ok());
  // The successor works, once.
  EXPECT_TRUE(service.Refresh(retry.refresh_token, device_.jkt(), kTestNow + 63).ok());
}

TEST_F(TokenServiceTest, RetryOutsideTheGraceWindowIsReuse) {
  TokenService service = Service({5, 2});
  TokenGrant first = Start(service);
  Must(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 60));
  auto late = service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 66);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.code(), Code::kOAuthInvalidGrant);
  auto family = Must(store_->FindFamilyByToken(RefreshTokenMinter::Hash(first.refresh_token)));
  EXPECT_EQ(family->revoked_reason, "reuse");
}

TEST_F(TokenServiceTest, GraceRetriesAreBoundedByCount) {
  TokenService service = Service({30, 2});
  TokenGrant first = Start(service);
  Must(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 60));
  EXPECT_TRUE(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 61).ok());
  EXPECT_TRUE(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 62).ok());
  EXPECT_FALSE(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 63).ok());
}

TEST_F(TokenServiceTest, RefreshNeedsTheFamilysKeyAndAMismatchRevokes) {
  TokenService service = Service();
  TokenGrant first = Start(service);
  auto stolen = service.Refresh(first.refresh_token, other_device_.jkt(), kTestNow + 60);
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.code(), Code::kOAuthInvalidGrant);
  // The theft is evident: the family is revoked and the owner must log in again.
  auto owner = service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 61);
  ASSERT_FALSE(owner.ok());
  auto family = Must(store_->FindFamilyByToken(RefreshTokenMinter::Hash(first.refresh_token)));
  EXPECT_EQ(family->revoked_reason, "key_mismatch");
  auto types = AuditTypes();
  EXPECT_NE(std::find(types.begin(), types.end(), "refresh_key_mismatch"), types.end());
}

TEST_F(TokenServiceTest, UnknownMalformedAndExpiredTokensAreInvalidGrant) {
  TokenService service = Service({5, 2}, 86400);
  for (const std::string& token :
       {std::string(""), std::string("short"), std::string(43, '!'),
        Must(RefreshTokenMinter::Create(testing::TestMasterKey())).NewToken()}) {
    auto refreshed = service.Refresh(token, device_.jkt(), kTestNow);
    ASSERT_FALSE(refreshed.ok());
    EXPECT_EQ(refreshed.code(), Code::kOAuthInvalidGrant);
  }
  TokenGrant first = Start(service);
  auto expired = service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 86400);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.code(), Code::kOAuthInvalidGrant);
}

TEST_F(TokenServiceTest, RevokedDeviceCannotRefresh) {
  TokenService service = Service();
  TokenGrant first = Start(service);
  Must(store_->RevokeDevice("device-1", kTestNow + 10));
  auto refreshed = service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 60);
  ASSERT_FALSE(refreshed.ok());
  EXPECT_EQ(refreshed.code(), Code::kOAuthInvalidGrant);
}

TEST_F(TokenServiceTest, RevocationAndLogoutRevokeTheFamily) {
  TokenService service = Service();
  TokenGrant first = Start(service);
  // RFC 7009: unknown tokens are fine.
  EXPECT_TRUE(service.RevokeByRefreshToken("nonsense", kTestNow).ok());
  EXPECT_TRUE(service.RevokeByRefreshToken(first.refresh_token, kTestNow + 1).ok());
  EXPECT_FALSE(service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 2).ok());
  auto family = Must(store_->FindFamilyByToken(RefreshTokenMinter::Hash(first.refresh_token)));
  EXPECT_EQ(family->revoked_reason, "revoked");

  TokenGrant second = Start(service);
  EXPECT_TRUE(service.EndSession(second.session_id, "alice", "device-1", kTestNow + 3).ok());
  EXPECT_FALSE(service.Refresh(second.refresh_token, device_.jkt(), kTestNow + 4).ok());
  family = Must(store_->FindFamilyByToken(RefreshTokenMinter::Hash(second.refresh_token)));
  EXPECT_EQ(family->revoked_reason, "logout");
}

TEST_F(TokenServiceTest, ConcurrentRefreshesOfOneTokenMintOneSuccessor) {
  TokenService service = Service({0, 0});
  TokenGrant first = Start(service);
  constexpr int kThreads = 64;
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      if (service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 60).ok()) ++successes;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(successes.load(), 1);
}

TEST_F(TokenServiceTest, ConcurrentRefreshesWithGraceMintOneSuccessorAndBoundedRetries) {
  constexpr int kMaxRetries = 2;
  TokenService service = Service({5, kMaxRetries});
  TokenGrant first = Start(service);
  constexpr int kThreads = 64;
  std::mutex mutex;
  std::vector<std::string> successors;
  std::vector<Code> refusals;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto grant = service.Refresh(first.refresh_token, device_.jkt(), kTestNow + 60);
      std::lock_guard lock(mutex);
      if (grant.ok()) {
        successors.push_back(grant->refresh_token);
      } else {
        refusals.push_back(grant.code());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // One rotation plus at most kMaxRetries grace retries, every one with the same successor;
  // everything past the retry budget is refused.
  ASSERT_EQ(successors.size(), static_cast<std::size_t>(1 + kMaxRetries));
  for (const std::string& successor : successors) EXPECT_EQ(successor, successors[0]);
  EXPECT_NE(successors[0], first.refresh_token);
  ASSERT_EQ(refusals.size(), static_cast<std::size_t>(kThreads - 1 - kMaxRetries));
  for (Code code : refusals) EXPECT_EQ(code, Code::kOAuthInvalidGrant);
}

TEST(RefreshTokenMinter, SuccessorIsDeterministicPerMasterKey) {
  auto minter = Must(RefreshTokenMinter::Create(testing::TestMasterKey(1)));
  auto other = Must(RefreshTokenMinter::Create(testing::TestMasterKey(2)));
  const std::string token = minter.NewToken();
  EXPECT_TRUE(RefreshTokenMinter::WellFormed(token));
  EXPECT_NE(minter.NewToken(), token);
  EXPECT_EQ(minter.Successor(token), minter.Successor(token));
  EXPECT_NE(minter.Successor(token), other.Successor(token));
  EXPECT_TRUE(RefreshTokenMinter::WellFormed(minter.Successor(token)));
  EXPECT_EQ(RefreshTokenMinter::Hash(token).size(), 32u);
  EXPECT_FALSE(RefreshTokenMinter::WellFormed(token + "A"));
  EXPECT_FALSE(RefreshTokenMinter::WellFormed(token.substr(0, 42) + "="));
}

}  // namespace
}  // namespace ztm::server
