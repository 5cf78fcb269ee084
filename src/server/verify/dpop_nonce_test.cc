#include "server/verify/dpop_nonce.h"

#include <gtest/gtest.h>

#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::Must;

constexpr std::int64_t kNow = 1'700'000'000;  // a multiple of 60 plus 20
constexpr std::int64_t kStep = DpopNonceService::kStepSeconds;

TEST(DpopNonce, ValidInItsStepAndTheNext) {
  auto nonces = Must(DpopNonceService::Create(testing::TestMasterKey()));
  const std::string nonce = nonces.Issue(kNow);
  EXPECT_TRUE(nonces.Valid(nonce, kNow));
  EXPECT_TRUE(nonces.Valid(nonce, kNow + kStep));
  EXPECT_FALSE(nonces.Valid(nonce, kNow + 2 * kStep));
  // Not valid before it was issued either (a nonce from the future step).
  EXPECT_FALSE(nonces.Valid(nonces.Issue(kNow + kStep), kNow - kStep));
}

TEST(DpopNonce, OnlyThisMasterKeysNoncesAreValid) {
  auto nonces = Must(DpopNonceService::Create(testing::TestMasterKey(1)));
  auto other = Must(DpopNonceService::Create(testing::TestMasterKey(2)));
  EXPECT_FALSE(nonces.Valid(other.Issue(kNow), kNow));
  EXPECT_FALSE(nonces.Valid("", kNow));
  EXPECT_FALSE(nonces.Valid("not-a-nonce", kNow));
  std::string forged = nonces.Issue(kNow);
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(nonces.Valid(forged, kNow));
}

TEST(DpopNonce, TwoGatewaysWithOneMasterKeyAgree) {
  auto first = Must(DpopNonceService::Create(testing::TestMasterKey()));
  auto second = Must(DpopNonceService::Create(testing::TestMasterKey()));
  EXPECT_TRUE(second.Valid(first.Issue(kNow), kNow + 1));
}

}  // namespace
}  // namespace ztm::server
