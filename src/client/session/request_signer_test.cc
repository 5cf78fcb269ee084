// RequestSigner against the checks the gateway runs (src/server/verify/request_verifier.cc),
// rebuilt from the core verifiers without linking the server: DPoP (RFC 9449 §4.3) bound to the
// token and its key, the RFC 9421 signature over the components the gateway requires, with
// keyid and nonce, and Content-Digest (RFC 9530) against the body.
#include "client/session/request_signer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/keystore/file_key_store.h"
#include "client/storage/storage_test_util.h"
#include "core/dpop/dpop.h"
#include "core/httpsig/content_digest.h"
#include "core/httpsig/http_message.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/signature_base.h"
#include "core/jose/jwk.h"

namespace ztm::client {
namespace {

using testing::TemporaryDirectory;

constexpr std::int64_t kNow = 1'760'000'000;
constexpr char kAlias[] = "ztm.device";
constexpr char kDeviceId[] = "dev-0123";
constexpr char kToken[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
constexpr char kUrl[] = "https://api.example.com/api/orders?page=2";
constexpr char kBody[] = R"({"item":"book","quantity":1})";

std::optional<std::string> HeaderOf(const SignedHeaders& signed_headers, std::string_view name) {
  for (const auto& [key, value] : signed_headers.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// What the gateway receives: the request as sent, plus the signer's headers, with Host from
// the URL's authority (what the transport sends).
struct Received {
  std::string method;
  std::string url;
  std::string authority;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

Received Receive(const OutgoingRequest& request, const SignedHeaders& signed_headers) {
  Received received;
  received.method = request.method;
  received.url = request.url;
  const std::size_t authority_start = request.url.find("://") + 3;
  const std::size_t path_start = request.url.find('/', authority_start);
  received.authority = request.url.substr(authority_start, path_start - authority_start);
  received.target = request.url.substr(path_start);
  received.headers = request.headers;
  for (const auto& header : signed_headers.headers) received.headers.push_back(header);
  received.body = request.body;
  return received;
}

std::string HeaderIn(const Received& received, std::string_view name) {
  for (const auto& [key, value] : received.headers) {
    if (key == name) return value;
  }
  return "";
}

// The gateway's steps 1-3 and 5 for `received`, with `public_key` as the registered device key.
Status GatewayVerify(const Received& received, const crypto::PublicKey& public_key,
                     std::string_view expected_token,
                     std::optional<std::string_view> expected_nonce = std::nullopt) {
  const FixedClock clock(kNow);
  // 1. Authorization: DPoP <token>.
  const std::string authorization = HeaderIn(received, "authorization");
  if (authorization != "DPoP " + std::string(expected_token)) {
    return Error{Code::kAccessTokenInvalid, "authorization is not DPoP <token>"};
  }
  // 2. DPoP bound to the token and the token's key (cnf.jkt = the device key's thumbprint).
  const std::string jkt = jose::Jwk::FromPublicKey(public_key).Thumbprint();
  dpop::DpopRequestContext context;
  context.access_token = expected_token;
  context.expected_jkt = jkt;
  context.expected_nonce = expected_nonce;
  auto dpop_verifier = dpop::DpopVerifier::Create({});
  if (!dpop_verifier.ok()) return std::move(dpop_verifier).error();
  const std::string htu = "https://" + received.authority + received.target;
  auto proof =
      dpop_verifier->Verify(HeaderIn(received, "dpop"), received.method, htu, context, clock);
  if (!proof.ok()) return std::move(proof).error();
  // 3. The RFC 9421 signature, as the gateway requires it.
  httpsig::HttpRequest message;
  message.method = received.method;
  message.target = received.target;
  message.scheme = "https";
  message.authority = received.authority;
  message.body = ToBytes(received.body);
  for (const auto& [name, value] : received.headers) {
    ZTM_RETURN_IF_ERROR(message.fields.Add(name, value));
  }
  const bool has_digest = message.fields.Contains("content-digest");
  httpsig::HttpSigVerifierOptions options;
  options.required_components = {httpsig::Component("@method"), httpsig::Component("@target-uri"),
                                 httpsig::Component("authorization")};
  if (!received.body.empty() || has_digest) {
    options.required_components.push_back(httpsig::Component("content-digest"));
  }
  options.require_nonce = true;
  options.required_keyid = kDeviceId;
  options.clock = &clock;
  options.verify_content_digest = false;  // step 5, below, as the gateway does
  const httpsig::HttpSigAlgorithm algorithm = public_key.type() == crypto::KeyType::kEcP256
                                                  ? httpsig::HttpSigAlgorithm::kEcdsaP256Sha256
                                                  : httpsig::HttpSigAlgorithm::kEd25519;
  auto verifier = httpsig::HttpSigVerifier::Create(algorithm, public_key, options);
  if (!verifier.ok()) return std::move(verifier).error();
  auto signature = verifier->Verify(message);
  if (!signature.ok()) return std::move(signature).error();
  // 5. Content-Digest against the body.
  if (!received.body.empty() || has_digest) {
    if (!has_digest) return Error{Code::kContentDigestMismatch, "body without Content-Digest"};
    ZTM_RETURN_IF_ERROR(httpsig::VerifyContentDigest(message.fields, message.body));
  }
  return OkStatus();
}

class RequestSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kek = std::move(RawKek::Create(Secret(Bytes(kKekBytes, 7)))).value();
    FileKeyStoreOptions options;
    options.user_presence_prompt = [this](std::string_view) {
      ++prompts_;
      return OkStatus();
    };
    auto keys = FileKeyStore::Open(temp_.Sub("keys"), std::move(kek), options);
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    file_keys_ = keys->get();
    keys_ = std::move(keys).value();
    auto public_key = keys_->CreateSigningKey(kAlias, {});
    ASSERT_TRUE(public_key.ok()) << public_key.error().message;
    public_key_ = std::move(public_key).value();
  }

  std::unique_ptr<RequestSigner> MakeSigner(RequestSignerOptions options = {}) {
    auto signer = RequestSigner::Create(keys_, kAlias, kDeviceId, clock_, options);
    EXPECT_TRUE(signer.ok()) << signer.error().message;
    return signer.ok() ? std::move(signer).value() : nullptr;
  }

  static OutgoingRequest Post() {
    return OutgoingRequest{"POST", kUrl, {{"content-type", "application/json"}}, kBody};
  }

  TemporaryDirectory temp_;
  FixedClock clock_{kNow};
  int prompts_ = 0;
  FileKeyStore* file_keys_ = nullptr;
  std::shared_ptr<KeyStore> keys_;
  std::optional<crypto::PublicKey> public_key_;
};

TEST_F(RequestSignerTest, SignedPostPassesTheGatewayChecks) {
  for (std::int64_t hold : {std::int64_t{0}, kDefaultKeyHoldSeconds}) {
    auto signer = MakeSigner({hold});
    ASSERT_NE(signer, nullptr);
    const OutgoingRequest request = Post();
    auto signed_headers = signer->Sign(request, kToken, std::nullopt);
    ASSERT_TRUE(signed_headers.ok()) << signed_headers.error().message;
    std::vector<std::string> names;
    for (const auto& header : signed_headers->headers) names.push_back(header.first);
    EXPECT_EQ(names, (std::vector<std::string>{"authorization", "dpop", "content-digest",
                                               "signature-input", "signature"}));
    EXPECT_EQ(*HeaderOf(*signed_headers, "authorization"), std::string("DPoP ") + kToken);
    const std::string input = *HeaderOf(*signed_headers, "signature-input");
    EXPECT_EQ(input.rfind(R"(sig1=("@method" "@target-uri" "authorization" "content-digest"))", 0),
              0u)
        << input;
    EXPECT_NE(input.find("keyid=\"dev-0123\""), std::string::npos) << input;
    EXPECT_NE(input.find("created=1760000000"), std::string::npos) << input;
    Status verified = GatewayVerify(Receive(request, *signed_headers), *public_key_, kToken);
    EXPECT_TRUE(verified.ok()) << "hold " << hold << ": " << verified.error().message;
  }
}

TEST_F(RequestSignerTest, GetWithoutBodyHasNoDigest) {
  auto signer = MakeSigner();
  const OutgoingRequest request{"GET", "https://api.example.com/api/me", {}, ""};
  auto signed_headers = signer->Sign(request, kToken, std::nullopt);
  ASSERT_TRUE(signed_headers.ok()) << signed_headers.error().message;
  EXPECT_FALSE(HeaderOf(*signed_headers, "content-digest"));
  EXPECT_EQ(HeaderOf(*signed_headers, "signature-input")->find("content-digest"),
            std::string::npos);
  Status verified = GatewayVerify(Receive(request, *signed_headers), *public_key_, kToken);
  EXPECT_TRUE(verified.ok()) << verified.error().message;
}

TEST_F(RequestSignerTest, TamperingAfterSigningFails) {
  auto signer = MakeSigner();
  const OutgoingRequest request = Post();
  auto signed_headers = signer->Sign(request, kToken, std::nullopt);
  ASSERT_TRUE(signed_headers.ok());
  const Received genuine = Receive(request, *signed_headers);
  ASSERT_TRUE(GatewayVerify(genuine, *public_key_, kToken).ok());

  Received body = genuine;
  body.body = R"({"item":"book","quantity":9})";
  EXPECT_EQ(GatewayVerify(body, *public_key_, kToken).code(), Code::kDigestMismatch);

  Received method = genuine;
  method.method = "PUT";
  EXPECT_EQ(GatewayVerify(method, *public_key_, kToken).code(), Code::kDpopMethodMismatch);

  Received path = genuine;
  path.target = "/api/admin?page=2";
  EXPECT_EQ(GatewayVerify(path, *public_key_, kToken).code(), Code::kDpopUriMismatch);

  // The query is not in htu (RFC 9449 §4.2) but @target-uri covers it.
  Received query = genuine;
  query.target = "/api/orders?page=3";
  EXPECT_EQ(GatewayVerify(query, *public_key_, kToken).code(), Code::kHttpSigInvalid);

  Received host = genuine;
  host.authority = "evil.example.com";
  EXPECT_EQ(GatewayVerify(host, *public_key_, kToken).code(), Code::kDpopUriMismatch);

  // Another token in Authorization: the proof's ath no longer matches.
  constexpr char kOtherToken[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ2In0.c2lnbmF0dXJl";
  Received token = genuine;
  for (auto& [name, value] : token.headers) {
    if (name == "authorization") value = std::string("DPoP ") + kOtherToken;
  }
  EXPECT_EQ(GatewayVerify(token, *public_key_, kOtherToken).code(), Code::kDpopAthMismatch);

  // A key that is not the device's.
  auto other = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  EXPECT_EQ(GatewayVerify(genuine, other->public_key(), kToken).code(), Code::kDpopKeyMismatch);
}

TEST_F(RequestSignerTest, ServerNonceIsInTheProof) {
  auto signer = MakeSigner();
  const OutgoingRequest request = Post();
  auto with_nonce = signer->Sign(request, kToken, "n0nce-42");
  ASSERT_TRUE(with_nonce.ok()) << with_nonce.error().message;
  const Received received = Receive(request, *with_nonce);
  EXPECT_TRUE(GatewayVerify(received, *public_key_, kToken, "n0nce-42").ok());
  EXPECT_EQ(GatewayVerify(received, *public_key_, kToken, "n0nce-43").code(),
            Code::kDpopNonceMismatch);

  auto without = signer->Sign(request, kToken, std::nullopt);
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(GatewayVerify(Receive(request, *without), *public_key_, kToken, "n0nce-42").code(),
            Code::kDpopNonceRequired);
}

TEST_F(RequestSignerTest, EachRequestHasFreshNonceAndJti) {
  auto signer = MakeSigner();
  auto first = signer->Sign(Post(), kToken, std::nullopt);
  auto second = signer->Sign(Post(), kToken, std::nullopt);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*HeaderOf(*first, "dpop"), *HeaderOf(*second, "dpop"));
  EXPECT_NE(*HeaderOf(*first, "signature-input"), *HeaderOf(*second, "signature-input"));
}

TEST_F(RequestSignerTest, TokenEndpointProofHasNoAth) {
  auto signer = MakeSigner();
  auto proof = signer->TokenEndpointProof("POST", "https://api.example.com/v1/token", "srv-n");
  ASSERT_TRUE(proof.ok()) << proof.error().message;
  auto verifier = dpop::DpopVerifier::Create({});
  dpop::DpopRequestContext context;
  context.expected_nonce = "srv-n";
  auto verified = verifier->Verify(*proof, "POST", "https://api.example.com/v1/token", context,
                                   FixedClock(kNow));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->thumbprint(), jose::Jwk::FromPublicKey(*public_key_).Thumbprint());
  EXPECT_EQ(
      signer->TokenEndpointProof("POST", "http://api.example.com/v1/token", std::nullopt).code(),
      Code::kTransportRequestInvalid);
  EXPECT_EQ(
      signer->TokenEndpointProof("PO ST", "https://api.example.com/v1/token", std::nullopt).code(),
      Code::kTransportRequestInvalid);
}

TEST_F(RequestSignerTest, RefusesUrlsThatAreNotPlainHttps) {
  auto signer = MakeSigner();
  for (const char* url :
       {"http://api.example.com/x", "HTTPS://api.example.com/x", "https:///x", "/api/orders",
        "https://user:pw@api.example.com/x", "https://api.example.com/x#frag", "ftp://h/x",
        "https://api.example.com/x y", ""}) {
    OutgoingRequest request = Post();
    request.url = url;
    EXPECT_EQ(signer->Sign(request, kToken, std::nullopt).code(), Code::kTransportRequestInvalid)
        << url;
  }
}

TEST_F(RequestSignerTest, RefusesHeadersTheSignerOwns) {
  auto signer = MakeSigner();
  for (const char* name : {"Authorization", "authorization", "DPoP", "Content-Digest", "Signature",
                           "signature-input", "Host"}) {
    OutgoingRequest request = Post();
    request.headers.push_back({name, "x"});
    EXPECT_EQ(signer->Sign(request, kToken, std::nullopt).code(), Code::kTransportRequestInvalid)
        << name;
  }
}

TEST_F(RequestSignerTest, RefusesInvalidHeadersMethodsTokensAndNonces) {
  auto signer = MakeSigner();
  OutgoingRequest request = Post();
  request.headers.push_back({"x-note", "a\r\nInjected: yes"});
  EXPECT_EQ(signer->Sign(request, kToken, std::nullopt).code(), Code::kTransportRequestInvalid);
  request = Post();
  request.headers.push_back({"bad name", "v"});
  EXPECT_EQ(signer->Sign(request, kToken, std::nullopt).code(), Code::kTransportRequestInvalid);
  request = Post();
  request.method = "";
  EXPECT_EQ(signer->Sign(request, kToken, std::nullopt).code(), Code::kTransportRequestInvalid);
  request.method = "GET\r\n";
  EXPECT_EQ(signer->Sign(request, kToken, std::nullopt).code(), Code::kTransportRequestInvalid);

  for (std::string token : {std::string(""), std::string("a b"), std::string("tok\r\nX: y"),
                            std::string("=abc"), std::string(kMaxAccessTokenBytes + 1, 'a')}) {
    EXPECT_EQ(signer->Sign(Post(), token, std::nullopt).code(), Code::kInvalidArgument)
        << token.substr(0, 20);
  }
  for (const char* nonce : {"", "has space", "quote\"", "back\\slash"}) {
    EXPECT_EQ(signer->Sign(Post(), kToken, nonce).code(), Code::kInvalidArgument) << nonce;
  }
}

TEST_F(RequestSignerTest, FactoryValidatesItsInputs) {
  EXPECT_EQ(RequestSigner::Create(nullptr, kAlias, kDeviceId, clock_).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(RequestSigner::Create(keys_, kAlias, "", clock_).code(), Code::kInvalidArgument);
  EXPECT_EQ(RequestSigner::Create(keys_, kAlias, "dev\n1", clock_).code(), Code::kInvalidArgument);
  EXPECT_EQ(RequestSigner::Create(keys_, "missing", kDeviceId, clock_).code(), Code::kKeyNotFound);
  EXPECT_EQ(RequestSigner::Create(keys_, "../x", kDeviceId, clock_).code(), Code::kKeyAliasInvalid);
  ASSERT_TRUE(keys_->CreateSealingKey("sealing", {}).ok());
  EXPECT_EQ(RequestSigner::Create(keys_, "sealing", kDeviceId, clock_).code(),
            Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(RequestSigner::Create(keys_, kAlias, kDeviceId, clock_, {-1}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(RequestSigner::Create(keys_, kAlias, kDeviceId, clock_, {kMaxSigningKeyHoldSeconds + 1})
                .code(),
            Code::kInvalidArgument);
  std::shared_ptr<const crypto::Signer> no_signer;
  EXPECT_EQ(RequestSigner::Create(no_signer, kDeviceId, clock_).code(), Code::kInvalidArgument);
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  auto der =
      crypto::PrivateKeySigner::Create(*key, crypto::SignatureAlgorithm::kEcdsaP256Sha256Der);
  EXPECT_EQ(RequestSigner::Create(std::make_shared<crypto::PrivateKeySigner>(std::move(*der)),
                                  kDeviceId, clock_)
                .code(),
            Code::kInvalidArgument);
}

TEST_F(RequestSignerTest, InMemoryKeysOfBothTypesSign) {
  for (crypto::KeyType type : {crypto::KeyType::kEcP256, crypto::KeyType::kEd25519}) {
    auto key = crypto::PrivateKey::Generate(type);
    auto raw = crypto::PrivateKeySigner::Create(*key, crypto::RawSignatureAlgorithmFor(type));
    ASSERT_TRUE(raw.ok());
    auto signer = RequestSigner::Create(std::make_shared<crypto::PrivateKeySigner>(std::move(*raw)),
                                        kDeviceId, clock_);
    ASSERT_TRUE(signer.ok()) << signer.error().message;
    const OutgoingRequest request = Post();
    auto signed_headers = (*signer)->Sign(request, kToken, std::nullopt);
    ASSERT_TRUE(signed_headers.ok()) << signed_headers.error().message;
    Status verified = GatewayVerify(Receive(request, *signed_headers), key->public_key(), kToken);
    EXPECT_TRUE(verified.ok()) << verified.error().message;
  }
}

TEST_F(RequestSignerTest, HeldKeyIsReopenedAfterItExpires) {
  auto signer = MakeSigner({30});
  ASSERT_TRUE(signer->Sign(Post(), kToken, std::nullopt).ok());
  // The held key expired: opened again, transparently. (31 s ahead is inside the verifiers'
  // 60 s allowance for clocks ahead of the gateway's kNow.)
  clock_.Set(kNow + 31);
  auto signed_headers = signer->Sign(Post(), kToken, std::nullopt);
  ASSERT_TRUE(signed_headers.ok()) << signed_headers.error().message;
  EXPECT_TRUE(GatewayVerify(Receive(Post(), *signed_headers), *public_key_, kToken).ok());
}

TEST_F(RequestSignerTest, DeletedKeyStopsSigningEvenWhenHeld) {
  auto signer = MakeSigner({kMaxSigningKeyHoldSeconds});
  ASSERT_TRUE(signer->Sign(Post(), kToken, std::nullopt).ok());
  ASSERT_TRUE(keys_->Delete(kAlias).ok());
  EXPECT_EQ(signer->Sign(Post(), kToken, std::nullopt).code(), Code::kKeyNotFound);
}

TEST_F(RequestSignerTest, WipedStoreStopsSigningEvenWhenHeld) {
  auto signer = MakeSigner({kMaxSigningKeyHoldSeconds});
  ASSERT_TRUE(signer->Sign(Post(), kToken, std::nullopt).ok());
  ASSERT_TRUE(file_keys_->WipeAll().ok());
  EXPECT_EQ(signer->Sign(Post(), kToken, std::nullopt).code(), Code::kKeyStoreClosed);
}

TEST_F(RequestSignerTest, ReplacedKeyUnderTheAliasIsRefused) {
  auto signer = MakeSigner({kMaxSigningKeyHoldSeconds});
  ASSERT_TRUE(signer->Sign(Post(), kToken, std::nullopt).ok());
  ASSERT_TRUE(keys_->Delete(kAlias).ok());
  ASSERT_TRUE(keys_->CreateSigningKey(kAlias, {}).ok());
  auto refused = signer->Sign(Post(), kToken, std::nullopt);
  EXPECT_EQ(refused.code(), Code::kKeyNotFound);
}

TEST_F(RequestSignerTest, PresenceGatedKeyAsksForEverySignature) {
  ASSERT_TRUE(keys_->CreateSigningKey("gated", {.user_presence = true}).ok());
  auto signer = RequestSigner::Create(keys_, "gated", kDeviceId, clock_);
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  prompts_ = 0;
  ASSERT_TRUE((*signer)->Sign(Post(), kToken, std::nullopt).ok());
  EXPECT_EQ(prompts_, 2);  // the DPoP proof and the request signature
  ASSERT_TRUE((*signer)->Sign(Post(), kToken, std::nullopt).ok());
  EXPECT_EQ(prompts_, 4);
}

// ---------------------------------------------------------------------------------------
// KeyStore::OpenSigningKey

TEST_F(RequestSignerTest, FileKeyStoreHeldKeySignsUntilItExpires) {
  auto held = keys_->OpenSigningKey(kAlias, clock_, 10);
  ASSERT_TRUE(held.ok()) << held.error().message;
  auto signature = (*held)->Sign(AsBytes("message"));
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(
      public_key_
          ->Verify(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes("message"), *signature)
          .ok());
  clock_.Set(kNow + 9);
  EXPECT_TRUE((*held)->Sign(AsBytes("message")).ok());
  clock_.Set(kNow + 10);
  EXPECT_EQ((*held)->Sign(AsBytes("message")).code(), Code::kSigningKeyHandleExpired);
}

TEST_F(RequestSignerTest, FileKeyStoreRefusesToHoldWhatItShouldNot) {
  EXPECT_EQ(keys_->OpenSigningKey(kAlias, clock_, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(keys_->OpenSigningKey(kAlias, clock_, kMaxSigningKeyHoldSeconds + 1).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(keys_->OpenSigningKey("missing", clock_, 10).code(), Code::kKeyNotFound);
  ASSERT_TRUE(keys_->CreateSigningKey("gated", {.user_presence = true}).ok());
  EXPECT_EQ(keys_->OpenSigningKey("gated", clock_, 10).code(), Code::kUserPresenceRequired);
  ASSERT_TRUE(keys_->CreateSealingKey("sealing", {}).ok());
  EXPECT_EQ(keys_->OpenSigningKey("sealing", clock_, 10).code(), Code::kCryptoKeyTypeMismatch);
}

TEST_F(RequestSignerTest, FileKeyStoreHeldKeyDiesWithAnyDelete) {
  ASSERT_TRUE(keys_->CreateSigningKey("other", {}).ok());
  auto held = keys_->OpenSigningKey(kAlias, clock_, 10);
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(keys_->Delete("other").ok());
  EXPECT_EQ((*held)->Sign(AsBytes("message")).code(), Code::kKeyNotFound);
}

// A KeyStore that does not override OpenSigningKey, like a platform keystore adapter.
class ForwardingKeyStore final : public KeyStore {
 public:
  explicit ForwardingKeyStore(std::shared_ptr<KeyStore> inner) : inner_(std::move(inner)) {}
  Result<crypto::PublicKey> CreateSigningKey(std::string_view a, const KeyOptions& o) override {
    return inner_->CreateSigningKey(a, o);
  }
  Result<crypto::PublicKey> SigningPublicKey(std::string_view a) override {
    return inner_->SigningPublicKey(a);
  }
  Result<Bytes> Sign(std::string_view a, ByteView m) override {
    ++signs;
    return inner_->Sign(a, m);
  }
  Status CreateSealingKey(std::string_view a, const KeyOptions& o) override {
    return inner_->CreateSealingKey(a, o);
  }
  Result<Bytes> Seal(std::string_view a, ByteView p, ByteView d) override {
    return inner_->Seal(a, p, d);
  }
  Result<Secret> Open(std::string_view a, ByteView s, ByteView d) override {
    return inner_->Open(a, s, d);
  }
  Status Delete(std::string_view a) override { return inner_->Delete(a); }
  Result<bool> Exists(std::string_view a) override { return inner_->Exists(a); }
  int signs = 0;

 private:
  std::shared_ptr<KeyStore> inner_;
};

TEST_F(RequestSignerTest, DefaultOpenSigningKeySignsThroughTheStore) {
  auto forwarding = std::make_shared<ForwardingKeyStore>(keys_);
  auto held = forwarding->OpenSigningKey(kAlias, clock_, 10);
  ASSERT_TRUE(held.ok()) << held.error().message;
  EXPECT_TRUE((*held)->Sign(AsBytes("m")).ok());
  EXPECT_EQ(forwarding->signs, 1);
  clock_.Set(kNow + 10);
  EXPECT_EQ((*held)->Sign(AsBytes("m")).code(), Code::kSigningKeyHandleExpired);
  EXPECT_EQ(forwarding->OpenSigningKey(kAlias, clock_, 0).code(), Code::kInvalidArgument);

  clock_.Set(kNow);
  auto signer = RequestSigner::Create(forwarding, kAlias, kDeviceId, clock_);
  ASSERT_TRUE(signer.ok());
  auto signed_headers = (*signer)->Sign(Post(), kToken, std::nullopt);
  ASSERT_TRUE(signed_headers.ok()) << signed_headers.error().message;
  EXPECT_TRUE(GatewayVerify(Receive(Post(), *signed_headers), *public_key_, kToken).ok());
}

}  // namespace
}  // namespace ztm::client
