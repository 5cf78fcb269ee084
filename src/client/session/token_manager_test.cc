#include "client/session/token_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/keystore/file_key_store.h"
#include "client/keystore/kek_source.h"
#include "client/storage/secure_store.h"
#include "client/storage/storage_test_util.h"
#include "core/crypto/crypto.h"

namespace ztm::client {
namespace {

using namespace std::chrono_literals;

// A clock tests move by hand.
class ManualClock final : public Clock {
 public:
  std::int64_t NowSeconds() const override { return now_.load(); }
  void Advance(std::int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<std::int64_t> now_{1'800'000'000};
};

Secret S(std::string_view text) { return Secret(AsBytes(text)); }
std::string Str(const Secret& secret) {
  return std::string(reinterpret_cast<const char*>(secret.view().data()), secret.view().size());
}

class TokenManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kek = RawKek::Create(crypto::RandomSecret(32));
    ASSERT_TRUE(kek.ok());
    auto keys = FileKeyStore::Open(dir_.Sub("keys"), std::move(kek).value());
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    keys_ = std::shared_ptr<KeyStore>(std::move(keys).value());
    auto store = SecureStore::Open(dir_.Sub("store"), keys_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
  }

  // A refresh function that rotates: each call returns access-N / refresh-N and checks it was
  // given the latest refresh token (as the gateway does; an older one is reuse).
  TokenManager::RefreshFunction Rotating(std::chrono::milliseconds delay = 0ms) {
    return [this, delay](const Secret& presented) -> Result<TokenGrant> {
      std::this_thread::sleep_for(delay);
      const int n = ++network_refreshes_;
      if (Str(presented) != "refresh-" + std::to_string(n - 1)) {
        return Error{Code::kOAuthInvalidGrant, "refresh token reused"};
      }
      return TokenGrant{S("access-" + std::to_string(n)), clock_.NowSeconds() + 900,
                        S("refresh-" + std::to_string(n))};
    };
  }

  TokenGrant SignIn() {
    return TokenGrant{S("access-0"), clock_.NowSeconds() + 900, S("refresh-0")};
  }

  testing::TemporaryDirectory dir_;
  std::shared_ptr<KeyStore> keys_;
  std::unique_ptr<SecureStore> store_;
  ManualClock clock_;
  std::atomic<int> network_refreshes_{0};
};

TEST_F(TokenManagerTest, FreshTokenIsUsedWithoutRefresh) {
  TokenManager tokens(*store_, clock_, Rotating());
  ASSERT_TRUE(tokens.Start(SignIn()).ok());
  auto token = tokens.AccessToken();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Str(*token), "access-0");
  EXPECT_EQ(network_refreshes_, 0);
  // The refresh token is in the SecureStore, sealed.
  auto stored = store_->Get(kRefreshTokenItem);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(Str(*stored), "refresh-0");
}

TEST_F(TokenManagerTest, RefreshesBeforeExpiryAndStoresTheRotatedToken) {
  TokenManager tokens(*store_, clock_, Rotating());
  ASSERT_TRUE(tokens.Start(SignIn()).ok());
  clock_.Advance(900 - kDefaultRefreshMarginSeconds);  // inside the margin
  auto token = tokens.AccessToken();
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(Str(*token), "access-1");
  EXPECT_EQ(Str(*store_->Get(kRefreshTokenItem)), "refresh-1");
  EXPECT_EQ(network_refreshes_, 1);
}

TEST_F(TokenManagerTest, ThirtyTwoConcurrentCallersShareOneRefresh) {
  TokenManager tokens(*store_, clock_, Rotating(/*delay=*/50ms));
  ASSERT_TRUE(tokens.Start(SignIn()).ok());
  clock_.Advance(1000);  // expired
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::atomic<int> right_token{0};
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      auto token = tokens.AccessToken();
      if (token.ok()) {
        ++ok;
        right_token += Str(*token) == "access-1";
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, 32);
  EXPECT_EQ(right_token, 32);
  EXPECT_EQ(network_refreshes_, 1);
  EXPECT_EQ(tokens.refresh_count(), 1u);
}

TEST_F(TokenManagerTest, RefusedRefreshEndsTheSessionOnceForEveryone) {
  std::atomic<int> ended{0};
  std::string reason;
  TokenManager tokens(*store_, clock_, [&](const Secret&) -> Result<TokenGrant> {
    std::this_thread::sleep_for(30ms);
    ++network_refreshes_;
    return Error{Code::kOAuthInvalidGrant, "refresh token reuse detected"};
  });
  tokens.SetSessionEndedCallback([&](const Error& error) {
    ++ended;
    reason = CodeName(error.code);
  });
  ASSERT_TRUE(tokens.Start(SignIn()).ok());
  clock_.Advance(1000);
  std::vector<std::thread> threads;
  std::atomic<int> session_ended{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto token = tokens.AccessToken();
      session_ended += !token.ok() && token.code() == Code::kSessionEnded;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(session_ended, 8);
  EXPECT_EQ(network_refreshes_, 1);
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(reason, "session_ended");
  // The useless refresh token is gone; later calls need a new sign-in.
  EXPECT_EQ(store_->Get(kRefreshTokenItem).code(), Code::kSecureItemNotFound);
  EXPECT_EQ(tokens.AccessToken().code(), Code::kNotSignedIn);
}

TEST_F(TokenManagerTest, TransientFailureKeepsTheSession) {
  bool network_down = true;
  TokenManager tokens(*store_, clock_, [&](const Secret& presented) -> Result<TokenGrant> {
    if (network_down) return Error{Code::kTransportConnectFailed, "offline"};
    EXPECT_EQ(Str(presented), "refresh-0");
    return TokenGrant{S("access-1"), clock_.NowSeconds() + 900, S("refresh-1")};
  });
  ASSERT_TRUE(tokens.Start(SignIn()).ok());
  clock_.Advance(1000);
  EXPECT_EQ(tokens.AccessToken().code(), Code::kTransportConnectFailed);
  network_down = false;
  auto token = tokens.AccessToken();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Str(*token), "access-1");
}

TEST_F(TokenManagerTest, SurvivesRestartThroughTheStoredRefreshToken) {
  {
    TokenManager tokens(*store_, clock_, Rotating());
    ASSERT_TRUE(tokens.Start(SignIn()).ok());
  }
  // A new process: no access token in memory, the refresh token is in the store.
  TokenManager restarted(*store_, clock_, Rotating());
  auto token = restarted.AccessToken();
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(Str(*token), "access-1");
}

TEST_F(TokenManagerTest, InvalidateForcesRefreshAndClearForgets) {
  TokenManager tokens(*store_, clock_, Rotating());
  ASSERT_TRUE(tokens.Start(SignIn()).ok());
  tokens.Invalidate();
  EXPECT_EQ(Str(*tokens.AccessToken()), "access-1");
  ASSERT_TRUE(tokens.Clear().ok());
  EXPECT_EQ(tokens.AccessToken().code(), Code::kNotSignedIn);
  EXPECT_EQ(tokens.RefreshToken().code(), Code::kNotSignedIn);
  EXPECT_TRUE(tokens.Clear().ok());  // idempotent
}

TEST_F(TokenManagerTest, ShortLivedTokenIsUsedForHalfItsLifetime) {
  TokenManager tokens(*store_, clock_, Rotating());
  ASSERT_TRUE(
      tokens.Start(TokenGrant{S("access-0"), clock_.NowSeconds() + 60, S("refresh-0")}).ok());
  clock_.Advance(29);
  EXPECT_EQ(Str(*tokens.AccessToken()), "access-0");
  clock_.Advance(1);
  EXPECT_EQ(Str(*tokens.AccessToken()), "access-1");
}

TEST_F(TokenManagerTest, StartRefusesGrantsWithoutTokens) {
  TokenManager tokens(*store_, clock_, Rotating());
  EXPECT_EQ(tokens.Start(TokenGrant{S("a"), clock_.NowSeconds() + 900, Secret()}).code(),
            Code::kGatewayProtocol);
  EXPECT_EQ(tokens.Start(TokenGrant{Secret(), clock_.NowSeconds() + 900, S("r")}).code(),
            Code::kGatewayProtocol);
}

}  // namespace
}  // namespace ztm::client
