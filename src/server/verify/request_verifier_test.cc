// The verification pipeline, check by check: each attack is refused by the check meant to
// catch it, with its code. Real SQLite store, real key ring, real core verifiers.
#include "server/verify/request_verifier.h"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>

#include "core/encoding.h"
#include "core/json.h"
#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::kTestNow;
using testing::MakeRequest;
using testing::Must;
using testing::RemoveHeader;
using testing::SetHeader;
using testing::SignedApiRequest;
using testing::SignRequest;
using testing::TempDir;
using testing::TestDevice;
using testing::TestUrl;

class RequestVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Must(store_->InsertDevice(device_a_.Record("device-a")));
    Must(store_->InsertDevice(device_b_.Record("device-b")));
    token_a_ = Issue("device-a", device_a_, kTestNow);
    TokenFamily family;
    family.family_id = "sid-1";
    family.subject = "alice";
    family.device_id = "device-a";
    family.jkt = device_a_.jkt();
    family.acr = "pwd";
    family.auth_time = kTestNow;
    family.created_at = kTestNow;
    family.expires_at = kTestNow + 86'400;
    Must(store_->CreateFamily(family, Bytes(32, 0x01)));
  }

  std::unique_ptr<RequestVerifier> MakeVerifier(RequestVerifierOptions options = {}) {
    return Must(RequestVerifier::Create(access_, *store_, *store_, *replay_, &nonces_, options));
  }
  std::string Issue(const std::string& device_id, const TestDevice& device, std::int64_t now,
                    const std::string& acr = "pwd") {
    return Must(access_.Issue({"alice", device_id, device.jkt(), acr, now, "sid-1"}, now)).token;
  }
  http::Request Good(const std::string& method = "GET", const std::string& target = "/v1/orders",
                     const std::string& body = "") {
    return SignedApiRequest(device_a_, "device-a", token_a_, method, target, body, kTestNow);
  }
  Result<VerifiedRequest> Verify(const http::Request& request, const RoutePolicy& policy,
                                 const RequestVerifier& verifier, std::int64_t now = kTestNow,
                                 GatewayMode mode = GatewayMode::kReverseProxy) {
    return verifier.Verify(request, Must(ClientRequestOf(request, mode)), policy, now);
  }
  Result<VerifiedRequest> Verify(const http::Request& request, std::int64_t now = kTestNow) {
    return Verify(request, policy_, *verifier_, now);
  }
  // Re-signs `request` (after a test changed something the signature covers) as device A.
  void Resign(http::Request& request) { SignRequest(request, device_a_, "device-a", kTestNow); }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = testing::OpenTestStore(dir_);
  std::unique_ptr<KeyRing> ring_ =
      Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow - 7200, 3600));
  AccessTokenService access_ = Must(
      AccessTokenService::Create(*ring_, testing::kTestIssuer, testing::kTestAudience, 900, 5));
  std::unique_ptr<InMemoryReplayCache> replay_ = Must(InMemoryReplayCache::Create(1000));
  DpopNonceService nonces_ = Must(DpopNonceService::Create(testing::TestMasterKey()));
  std::unique_ptr<RequestVerifier> verifier_ = MakeVerifier();
  RoutePolicy policy_;  // every check, any method
  TestDevice device_a_;
  TestDevice device_b_;
  std::string token_a_;
};

TEST_F(RequestVerifierTest, AGoodRequestPassesWithItsIdentity) {
  auto verified = Verify(Good());
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_TRUE(verified->authenticated());
  EXPECT_EQ(verified->subject(), "alice");
  EXPECT_EQ(verified->device_id(), "device-a");
  EXPECT_EQ(verified->acr(), "pwd");
  EXPECT_EQ(verified->jkt(), device_a_.jkt());
  EXPECT_EQ(verified->session_id(), "sid-1");
  EXPECT_FALSE(verified->token_jti().empty());
  EXPECT_FALSE(verified->content_digest().has_value());

  auto with_body = Verify(Good("POST", "/v1/orders?x=1", R"({"item":42})"));
  ASSERT_TRUE(with_body.ok()) << with_body.error().message;
  ASSERT_TRUE(with_body->content_digest().has_value());
  EXPECT_EQ(with_body->content_digest()->rfind("sha-256=:", 0), 0u);
}

TEST_F(RequestVerifierTest, Ed25519DevicesWork) {
  TestDevice ed(crypto::KeyType::kEd25519);
  Must(store_->InsertDevice(ed.Record("device-ed")));
  const std::string token = Issue("device-ed", ed, kTestNow);
  auto verified =
      Verify(SignedApiRequest(ed, "device-ed", token, "PUT", "/v1/x", "body", kTestNow));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->device_id(), "device-ed");
}

TEST_F(RequestVerifierTest, NoTokenIsMissing) {
  http::Request request = Good();
  RemoveHeader(request, "authorization");
  auto verified = Verify(request);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenMissing);
}

TEST_F(RequestVerifierTest, ExpiredTokenIsExpired) {
  const std::string old = Issue("device-a", device_a_, kTestNow - 1000);
  auto verified =
      Verify(SignedApiRequest(device_a_, "device-a", old, "GET", "/v1/orders", "", kTestNow));
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenExpired);
}

TEST_F(RequestVerifierTest, TokenByAnUnknownKeyIsInvalid) {
  auto attacker = Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  const std::string genuine = token_a_;
  const std::size_t first = genuine.find('.');
  const std::size_t second = genuine.find('.', first + 1);
  const Bytes claims = Must(Base64UrlDecode(genuine.substr(first + 1, second - first - 1)));
  auto forged =
      Must(jose::SignCompact({{"typ", "at+jwt"}, {"kid", ring_->active_kid()}}, claims,
                             jose::Jwk::FromPrivateKey(attacker), jose::JwsAlgorithm::kEs256));
  auto verified =
      Verify(SignedApiRequest(device_a_, "device-a", forged, "GET", "/v1/orders", "", kTestNow));
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
}

TEST_F(RequestVerifierTest, AlgNoneTokenIsInvalid) {
  const std::size_t first = token_a_.find('.');
  const std::size_t second = token_a_.find('.', first + 1);
  const std::string none = Base64UrlEncode(std::string(R"({"alg":"none","typ":"at+jwt","kid":")") +
                                           ring_->active_kid() + "\"}") +
                           token_a_.substr(first, second - first + 1);
  auto verified =
      Verify(SignedApiRequest(device_a_, "device-a", none, "GET", "/v1/orders", "", kTestNow));
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
}

TEST_F(RequestVerifierTest, BearerSchemeAndRepeatedAuthorizationAreInvalid) {
  http::Request bearer = Good();
  SetHeader(bearer, "authorization", "Bearer " + token_a_);
  auto verified = Verify(bearer);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);

  http::Request twice = Good();
  twice.headers.emplace_back("authorization", "DPoP " + token_a_);
  verified = Verify(twice);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);

  // The scheme is case-insensitive (RFC 9110 §11.1).
  http::Request lower = Good();
  SetHeader(lower, "authorization", "dpop " + token_a_);
  Resign(lower);
  EXPECT_TRUE(Verify(lower).ok());
}

TEST_F(RequestVerifierTest, TokenOfDeviceAWithProofOfDeviceBIsRefused) {
  http::Request request = Good();
  SetHeader(request, "dpop", device_b_.Proof("GET", TestUrl("/v1/orders"), kTestNow, token_a_));
  auto verified = Verify(request);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);
}

TEST_F(RequestVerifierTest, ProofForAnotherMethodOrUrlIsRefused) {
  http::Request method = Good();
  SetHeader(method, "dpop", device_a_.Proof("POST", TestUrl("/v1/orders"), kTestNow, token_a_));
  auto verified = Verify(method);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);

  http::Request url = Good();
  SetHeader(url, "dpop", device_a_.Proof("GET", TestUrl("/v1/admin"), kTestNow, token_a_));
  verified = Verify(url);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);

  http::Request host = Good();
  SetHeader(host, "dpop",
            device_a_.Proof("GET", "https://evil.test/v1/orders", kTestNow, token_a_));
  verified = Verify(host);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);
}

TEST_F(RequestVerifierTest, StaleOrFutureProofIsRefused) {
  http::Request stale = Good();
  SetHeader(stale, "dpop", device_a_.Proof("GET", TestUrl("/v1/orders"), kTestNow - 61, token_a_));
  auto verified = Verify(stale);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);

  http::Request future = Good();
  SetHeader(future, "dpop", device_a_.Proof("GET", TestUrl("/v1/orders"), kTestNow + 30, token_a_));
  verified = Verify(future);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);
}

TEST_F(RequestVerifierTest, MissingOrUnboundProofIsRefused) {
  http::Request missing = Good();
  RemoveHeader(missing, "dpop");
  auto verified = Verify(missing);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);

  // A proof without "ath" was not made for this token.
  http::Request unbound = Good();
  SetHeader(unbound, "dpop", device_a_.Proof("GET", TestUrl("/v1/orders"), kTestNow));
  verified = Verify(unbound);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);
}

TEST_F(RequestVerifierTest, TokenForAnUnknownDeviceIsInvalid) {
  TestDevice ghost;
  const std::string token = Issue("device-ghost", ghost, kTestNow);
  auto verified =
      Verify(SignedApiRequest(ghost, "device-ghost", token, "GET", "/v1/orders", "", kTestNow));
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
}

TEST_F(RequestVerifierTest, MissingSignatureHasItsOwnCode) {
  http::Request request = Good();
  RemoveHeader(request, "signature");
  RemoveHeader(request, "signature-input");
  auto verified = Verify(request);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureMissing);
}

TEST_F(RequestVerifierTest, SignatureByAnotherKeyOrKeyidIsRefused) {
  http::Request other_key = Good();
  SignRequest(other_key, device_b_, "device-a", kTestNow);
  auto verified = Verify(other_key);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);

  http::Request other_keyid = Good();
  SignRequest(other_keyid, device_a_, "device-b", kTestNow);
  verified = Verify(other_keyid);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);
}

TEST_F(RequestVerifierTest, SignatureMustCoverTheRequiredComponents) {
  for (const std::vector<std::string>& components :
       {std::vector<std::string>{"@method", "@target-uri"},
        std::vector<std::string>{"@method", "authorization"},
        std::vector<std::string>{"@target-uri", "authorization"}}) {
    http::Request request = Good();
    testing::SignatureSpec spec;
    spec.components = components;
    SignRequest(request, device_a_, "device-a", kTestNow, spec);
    auto verified = Verify(request);
    ASSERT_FALSE(verified.ok());
    EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);
  }
  // With a body, content-digest too.
  http::Request body = Good("POST", "/v1/orders", "{}");
  testing::SignatureSpec spec;
  spec.components = {"@method", "@target-uri", "authorization"};
  SignRequest(body, device_a_, "device-a", kTestNow, spec);
  auto verified = Verify(body);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);
}

TEST_F(RequestVerifierTest, SignatureNeedsANonceAndAFreshCreated) {
  http::Request no_nonce = Good();
  testing::SignatureSpec spec;
  spec.omit_nonce = true;
  SignRequest(no_nonce, device_a_, "device-a", kTestNow, spec);
  auto verified = Verify(no_nonce);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);

  http::Request stale = Good();
  SignRequest(stale, device_a_, "device-a", kTestNow - 61);
  verified = Verify(stale);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);

  http::Request long_nonce = Good();
  spec = {};
  spec.nonce = std::string(kMaxSignatureNonceBytes + 1, 'n');
  SignRequest(long_nonce, device_a_, "device-a", kTestNow, spec);
  verified = Verify(long_nonce);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);
}

TEST_F(RequestVerifierTest, ReplayedRequestIsRefused) {
  http::Request request = Good();
  ASSERT_TRUE(Verify(request).ok());
  auto replay = Verify(request, kTestNow + 1);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.code(), Code::kRequestReplayed);
}

TEST_F(RequestVerifierTest, ReplayedSignatureNonceWithAFreshProofIsRefused) {
  http::Request first = Good();
  testing::SignatureSpec spec;
  spec.nonce = "the-same-nonce";
  SignRequest(first, device_a_, "device-a", kTestNow, spec);
  ASSERT_TRUE(Verify(first).ok());
  http::Request second = Good();
  SignRequest(second, device_a_, "device-a", kTestNow, spec);
  auto replay = Verify(second);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.code(), Code::kRequestReplayed);
  // Another device may use the same nonce value: the cache is keyed per device.
  const std::string token_b = Issue("device-b", device_b_, kTestNow);
  http::Request other =
      SignedApiRequest(device_b_, "device-b", token_b, "GET", "/v1/orders", "", kTestNow);
  SignRequest(other, device_b_, "device-b", kTestNow, spec);
  EXPECT_TRUE(Verify(other).ok());
}

TEST_F(RequestVerifierTest, ReplayedProofJtiIsRefused) {
  const std::string proof =
      device_a_.Proof("GET", TestUrl("/v1/orders"), kTestNow, token_a_, std::nullopt, "fixed-jti");
  http::Request first = Good();
  SetHeader(first, "dpop", proof);
  ASSERT_TRUE(Verify(first).ok());
  http::Request second = Good();  // a fresh signature nonce, the same proof
  SetHeader(second, "dpop", proof);
  auto replay = Verify(second);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.code(), Code::kRequestReplayed);
}

TEST_F(RequestVerifierTest, RefusedRequestsDoNotFillTheReplayCache) {
  for (int i = 0; i < 5; ++i) {
    http::Request request = Good();
    SignRequest(request, device_b_, "device-a", kTestNow);  // bad signature
    EXPECT_FALSE(Verify(request).ok());
  }
  EXPECT_EQ(replay_->size(), 0u);
}

TEST_F(RequestVerifierTest, FullReplayCacheFailsClosed) {
  auto tiny = Must(InMemoryReplayCache::Create(1));
  auto verifier = Must(RequestVerifier::Create(access_, *store_, *store_, *tiny, &nonces_, {}));
  auto full = Verify(Good(), policy_, *verifier);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.code(), Code::kReplayCacheFull);
}

TEST_F(RequestVerifierTest, TamperedBodyIsADigestMismatch) {
  http::Request request = Good("POST", "/v1/transfers", R"({"amount":10})");
  request.body = R"({"amount":10000})";
  auto verified = Verify(request);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kContentDigestMismatch);

  // A matching digest for the new body breaks the signature instead.
  http::Request rehashed = Good("POST", "/v1/transfers", R"({"amount":10})");
  rehashed.body = R"({"amount":10000})";
  SetHeader(rehashed, "content-digest", Must(httpsig::ContentDigest(AsBytes(rehashed.body))));
  verified = Verify(rehashed);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);
}

TEST_F(RequestVerifierTest, BodyWithoutContentDigestIsRefused) {
  http::Request request = Good();
  request.method = "GET";
  request.body = "smuggled";
  auto verified = Verify(request);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);
}

TEST_F(RequestVerifierTest, TamperedPathOrQueryIsRefused) {
  // The path is in the proof's htu and the signature's @target-uri: the proof fails first.
  http::Request path = Good("GET", "/v1/accounts/1");
  path.target = "/v1/accounts/2";
  auto verified = Verify(path);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);
  // The query is not in htu (RFC 9449 §4.2) but is in @target-uri.
  http::Request query = Good("GET", "/v1/accounts?id=1");
  query.target = "/v1/accounts?id=2";
  verified = Verify(query);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kRequestSignatureInvalid);
}

TEST_F(RequestVerifierTest, RevokedDeviceIsForbidden) {
  Must(store_->RevokeDevice("device-a", kTestNow - 1));
  auto verified = Verify(Good());
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDeviceRevoked);
}

TEST_F(RequestVerifierTest, RoutePolicyMethodsAndAcr) {
  RoutePolicy read_only;
  read_only.methods = {"GET", "HEAD"};
  EXPECT_TRUE(Verify(Good("GET"), read_only, *verifier_).ok());
  auto verified = Verify(Good("DELETE"), read_only, *verifier_);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kMethodNotAllowed);

  RoutePolicy step_up;
  step_up.required_acr = "mfa";
  verified = Verify(Good(), step_up, *verifier_);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kInsufficientUserAuthentication);
  const std::string mfa_token = Issue("device-a", device_a_, kTestNow, "mfa");
  EXPECT_TRUE(
      Verify(SignedApiRequest(device_a_, "device-a", mfa_token, "GET", "/v1/x", "", kTestNow),
             step_up, *verifier_)
          .ok());
}

TEST_F(RequestVerifierTest, PublicAndOptionalTokenRoutes) {
  RoutePolicy open;
  open.public_route = true;
  auto verified = Verify(MakeRequest("GET", "/public/logo.png"), open, *verifier_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->authenticated());

  RoutePolicy optional;
  optional.require_token = false;
  optional.require_dpop = false;
  verified = Verify(MakeRequest("GET", "/v1/catalog"), optional, *verifier_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->authenticated());
  // A token, when sent, is still verified in full.
  http::Request bad = Good();
  SetHeader(bad, "authorization", "DPoP not-a-token");
  verified = Verify(bad, optional, *verifier_);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
}

TEST_F(RequestVerifierTest, ServerNoncesWhenRequired) {
  RequestVerifierOptions options;
  options.require_dpop_nonce = true;
  auto verifier = MakeVerifier(options);
  auto verified = Verify(Good(), policy_, *verifier);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kUseDpopNonce);

  http::Request with_nonce = Good();
  SetHeader(
      with_nonce, "dpop",
      device_a_.Proof("GET", TestUrl("/v1/orders"), kTestNow, token_a_, nonces_.Issue(kTestNow)));
  EXPECT_TRUE(Verify(with_nonce, policy_, *verifier).ok());

  http::Request stale_nonce = Good();
  SetHeader(stale_nonce, "dpop",
            device_a_.Proof("GET", TestUrl("/v1/orders"), kTestNow, token_a_,
                            nonces_.Issue(kTestNow - 3 * 60)));
  verified = Verify(stale_nonce, policy_, *verifier);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kUseDpopNonce);
}

TEST_F(RequestVerifierTest, AuthRequestModeSkipsTheBodyAndHandsOnTheDigest) {
  RequestVerifierOptions options;
  options.mode = GatewayMode::kAuthRequest;
  auto verifier = MakeVerifier(options);
  // What nginx sends: the original request's headers on a body-less sub-request.
  http::Request original = Good("POST", "/v1/orders", R"({"item":1})");
  http::Request sub = MakeRequest("GET", "/_ztm/auth");
  for (const auto& header : original.headers) {
    if (header.first != "host") sub.headers.push_back(header);
  }
  sub.headers.emplace_back("x-original-method", "POST");
  sub.headers.emplace_back("x-original-uri", "/v1/orders");
  sub.headers.emplace_back("x-forwarded-proto", "https");
  auto verified = Verify(sub, policy_, *verifier, kTestNow, GatewayMode::kAuthRequest);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  ASSERT_TRUE(verified->content_digest().has_value());
  EXPECT_EQ(*verified->content_digest(), *original.Header("content-digest"));
  // The signature still binds the method and URI named by the proxy.
  http::Request lied = sub;
  SetHeader(lied, "x-original-uri", "/v1/admin");
  verified = Verify(lied, policy_, *verifier, kTestNow + 1, GatewayMode::kAuthRequest);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kDpopProofInvalid);
}

TEST(DpopAccessToken, ParsesTheSchemeStrictly) {
  EXPECT_EQ(*DpopAccessToken("DPoP abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(*DpopAccessToken("dpop   abc"), "abc");
  EXPECT_EQ(*DpopAccessToken("DPoP abc=="), "abc==");
  for (const char* bad : {"", "DPoP", "DPoP ", "Bearer abc", "DPoPabc", "DPoP a b", "DPoP a=b",
                          "DPoP a\"b", "Basic dXNlcjpwYXNz"}) {
    auto parsed = DpopAccessToken(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
  }
}

}  // namespace
}  // namespace ztm::server

namespace ztm::server {
namespace {

TEST_F(RequestVerifierTest, RevokedOrUnknownSessionIsRefused) {
  ASSERT_TRUE(Verify(Good()).ok());
  // A token whose session the store does not know (forged sid, or a purged family).
  token_a_ = Must(access_.Issue({"alice", "device-a", device_a_.jkt(), "pwd", kTestNow, "no-such"},
                                kTestNow))
                 .token;
  auto unknown = Verify(Good());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.code(), Code::kSessionRevoked);
  // Logout / reuse / revocation: the family is revoked, its access tokens stop at once.
  token_a_ = Issue("device-a", device_a_, kTestNow);
  Must(store_->RevokeFamily("sid-1", kTestNow, "logout"));
  auto revoked = Verify(Good());
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.code(), Code::kSessionRevoked);
}

}  // namespace
}  // namespace ztm::server
