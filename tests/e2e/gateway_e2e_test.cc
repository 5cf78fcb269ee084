// End to end: the real ztm-gateway binary over real TLS on 127.0.0.1, its embedded SQLite
// store in a real file, a real upstream HTTP server (tests/e2e/upstream.py), and clients that
// sign with ztm's core library or with an independent Python implementation. Every attack
// must be refused with the right status and code, and the upstream must never see it.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <regex>
#include <thread>

#include "core/clock.h"
#include "core/crypto/crypto.h"
#include "core/crypto/keys.h"
#include "core/dpop/dpop.h"
#include "core/encoding.h"
#include "core/httpsig/content_digest.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/signature_base.h"
#include "core/jose/jwk.h"
#include "core/jose/jws.h"
#include "core/json.h"
#include "e2e/harness.h"
#include "server/store/sqlite_store.h"
#include "server/tokens/access_token.h"
#include "server/tokens/key_ring.h"
#include "server/tokens/master_key.h"

namespace ztm::e2e {
namespace {

using namespace std::chrono_literals;
namespace bj = boost::json;

constexpr char kIssuer[] = "https://gateway.test";
constexpr char kAudience[] = "https://api.test";
constexpr char kPassword[] = "correct horse battery staple";

std::int64_t Now() { return SystemClock::Instance().NowSeconds(); }

std::string Url(std::uint16_t port, const std::string& target) {
  return "https://localhost:" + std::to_string(port) + target;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += name + '=';
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        char buffer[4];
        std::snprintf(buffer, sizeof buffer, "%%%02X", c);
        out += buffer;
      }
    }
  }
  return out;
}

bj::object JsonBody(const HttpsResponse& response) {
  auto parsed = json::ParseObject(response.body);
  if (!parsed.ok()) return {};
  return *parsed;
}

std::string Str(const bj::object& object, const char* key) {
  const bj::value* v = object.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// A device as an app would be: a P-256 key, its registration, its tokens.
struct Device {
  crypto::PrivateKey key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  std::string device_id;
  std::string access_token;
  std::string refresh_token;
  std::string jkt() const { return jose::Jwk::FromPublicKey(key.public_key()).Thumbprint(); }
};

// How a test wants a protected call built (each knob is one attack).
struct CallOptions {
  std::string method = "POST";
  std::string target = "/api/orders";
  std::string body = R"({"item":42,"quantity":1})";
  std::optional<std::string> access_token;        // default: the device's
  const Device* dpop_signer = nullptr;            // default: the device
  std::optional<std::string> dpop_htm, dpop_htu;  // proof made for another request
  std::optional<std::int64_t> dpop_iat;
  std::optional<std::string> signature_nonce;  // default: fresh
  bool sign = true;
  std::string send_body_instead;    // tamper the body after signing
  std::string send_target_instead;  // tamper the path after signing
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// What one suite changes in the gateway's configuration.
struct ConfigOverrides {
  std::optional<std::size_t> max_body_bytes;  // limits.max_body_bytes (default 1 MiB)
};

class GatewayE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { StartSuite({}); }

  // Starts the upstream and a gateway configured with `overrides`, shared by the suite.
  static void StartSuite(const ConfigOverrides& overrides) {
    dir_ = new TempDir();
    MakeTlsFiles(dir_->path());
    upstream_ = new Upstream(dir_->path());
    WriteConfig(overrides);
    CommandResult added = RunCommand({ZTM_CLI_PATH, "users", "add", "alice", "--db", Db()},
                                     std::string(kPassword) + "\n");
    ASSERT_EQ(added.exit_code, 0) << added.err;
    StartGateway();
  }

  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
    delete upstream_;
    upstream_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Db() { return dir_->File("gateway.db"); }

  static void WriteConfig(const ConfigOverrides& overrides = {}) {
    // A fixed port, chosen now, so that public_origins can name it.
    port_ = FreePort();
    std::string config = R"(listen:
  address: 127.0.0.1
  port: )" + std::to_string(port_) +
                         R"(
  public_origins: ["https://localhost:)" +
                         std::to_string(port_) + R"("]
  threads: 2
  tls:
    certificate_file: server.pem
    private_key_file: server.key
storage:
  sqlite_path: gateway.db
  master_key_file: master.key
tokens:
  issuer: )" + std::string(kIssuer) +
                         R"(
  audience: )" + std::string(kAudience) +
                         R"(
  access_token_ttl_seconds: 300
  refresh_grace_seconds: 0
  refresh_grace_max_retries: 0
attestation:
  allow_software: true
mode: reverse_proxy
upstream:
  url: http://127.0.0.1:)" +
                         std::to_string(upstream_->port()) + R"(
routes:
  - path_prefix: /admin/
    methods: [GET]
    required_acr: "urn:ztm:acr:step-up"
  - path_prefix: /public/
    public_route: true
  - path_prefix: /
limits:
  max_header_bytes: 8192
  per_ip_rate: 1000
  per_ip_burst: 1000
  per_device_rate: 1000
  per_device_burst: 1000
)";
    if (overrides.max_body_bytes) {
      config += "  max_body_bytes: " + std::to_string(*overrides.max_body_bytes) + "\n";
    }
    config += "log_level: info\n";
    WriteFile(dir_->File("gateway.yaml"), config);
  }

  static void StartGateway() {
    gateway_ = new Process({ZTM_GATEWAY_PATH, "--config", dir_->File("gateway.yaml")});
    auto line = gateway_->WaitForLine("\"listening\"", 30s);
    ASSERT_TRUE(line.has_value()) << gateway_->Output();
    std::smatch match;
    ASSERT_TRUE(std::regex_search(*line, match, std::regex("\"port\":([0-9]+)"))) << *line;
    EXPECT_EQ(std::stoi(match[1]), port_) << *line;
  }

  static int StopGateway() {
    int code = gateway_->Stop(SIGTERM, 20s);
    delete gateway_;
    gateway_ = nullptr;
    return code;
  }

  static HttpsResponse Send(const HttpsRequest& request) {
    return ztm::e2e::Send(port_, dir_->File("ca.pem"), request);
  }

  static std::string Proof(const Device& device, const std::string& method,
                           const std::string& target,
                           std::optional<std::string> access_token = std::nullopt,
                           std::optional<std::int64_t> iat = std::nullopt) {
    dpop::ProofInput input;
    input.htm = method;
    input.htu = Url(port_, target);
    input.iat = iat.value_or(Now());
    input.access_token = std::move(access_token);
    return dpop::CreateProof(device.key, input).value();
  }

  static void Register(Device& device) {
    HttpsResponse challenge = Send({"POST", "/v1/challenge", {}, ""});
    ASSERT_EQ(challenge.status, 200) << challenge.body;
    std::string nonce = Str(JsonBody(challenge), "challenge");
    ASSERT_FALSE(nonce.empty());
    jose::Jwk jwk = jose::Jwk::FromPrivateKey(device.key);
    bj::object header;
    header["typ"] = "ztm-attest+jwt";
    std::string evidence = jose::SignCompact(header, AsBytes(R"({"challenge":")" + nonce + "\"}"),
                                             jwk, jose::JwsAlgorithm::kEs256)
                               .value();
    bj::object body;
    body["public_jwk"] = jose::Jwk::FromPublicKey(device.key.public_key()).ToPublicObject().value();
    body["challenge"] = nonce;
    body["attestation"] = bj::object{{"format", "software"}, {"evidence", evidence}};
    HttpsResponse registered = Send(
        {"POST", "/v1/devices", {{"content-type", "application/json"}}, json::Serialize(body)});
    ASSERT_EQ(registered.status, 201) << registered.body;
    device.device_id = Str(JsonBody(registered), "device_id");
    ASSERT_FALSE(device.device_id.empty());
  }

  static HttpsResponse TokenRequest(const Device& proof_signer, const std::string& form) {
    return Send({"POST",
                 "/v1/token",
                 {{"content-type", "application/x-www-form-urlencoded"},
                  {"dpop", Proof(proof_signer, "POST", "/v1/token")}},
                 form});
  }

  static void Login(Device& device) {
    HttpsResponse response = TokenRequest(device, FormEncode({{"grant_type", "password"},
                                                              {"username", "alice"},
                                                              {"password", kPassword},
                                                              {"device_id", device.device_id}}));
    ASSERT_EQ(response.status, 200) << response.body;
    bj::object body = JsonBody(response);
    EXPECT_EQ(Str(body, "token_type"), "DPoP");
    device.access_token = Str(body, "access_token");
    device.refresh_token = Str(body, "refresh_token");
    ASSERT_FALSE(device.access_token.empty());
    ASSERT_FALSE(device.refresh_token.empty());
  }

  static HttpsResponse Refresh(const Device& proof_signer, const std::string& refresh_token) {
    return TokenRequest(proof_signer, FormEncode({{"grant_type", "refresh_token"},
                                                  {"refresh_token", refresh_token}}));
  }

  static Device NewSignedInDevice() {
    Device device;
    Register(device);
    Login(device);
    return device;
  }

  // A protected call as libztm makes it: Authorization: DPoP, DPoP proof with ath,
  // Content-Digest, and an RFC 9421 signature by the device key.
  static HttpsResponse Call(const Device& device, const CallOptions& options = {}) {
    std::string token = options.access_token.value_or(device.access_token);
    const Device& proof_signer = options.dpop_signer ? *options.dpop_signer : device;
    HttpsRequest request;
    request.method = options.method;
    request.target = options.target;
    request.body = options.body;
    request.headers.push_back({"authorization", "DPoP " + token});
    request.headers.push_back(
        {"dpop", Proof(proof_signer, options.dpop_htm.value_or(options.method),
                       options.dpop_htu.value_or(options.target), token, options.dpop_iat)});
    if (!options.body.empty()) {
      request.headers.push_back({"content-type", "application/json"});
      request.headers.push_back(
          {"content-digest",
           httpsig::ContentDigest(AsBytes(options.body), {httpsig::DigestAlgorithm::kSha256})
               .value()});
    }
    if (options.sign) {
      httpsig::HttpRequest message;
      message.method = request.method;
      message.target = request.target;
      message.authority = "localhost:" + std::to_string(port_);
      message.body = ToBytes(request.body);
      EXPECT_TRUE(message.fields.Add("host", message.authority).ok());
      for (const auto& [name, value] : request.headers) {
        EXPECT_TRUE(message.fields.Add(name, value).ok());
      }
      httpsig::SignatureParameters params;
      params.components = {httpsig::Component("@method"), httpsig::Component("@target-uri"),
                           httpsig::Component("authorization")};
      if (!options.body.empty()) params.components.push_back(httpsig::Component("content-digest"));
      params.created = Now();
      params.nonce = options.signature_nonce.value_or(Base64UrlEncode(crypto::RandomBytes(16)));
      params.keyid = device.device_id;
      auto signer =
          httpsig::HttpSigner::Create(httpsig::HttpSigAlgorithm::kEcdsaP256Sha256, device.key)
              .value();
      auto fields = signer.Sign(message, "sig1", params).value();
      request.headers.push_back({"signature-input", fields.signature_input});
      request.headers.push_back({"signature", fields.signature});
    }
    if (!options.send_body_instead.empty()) request.body = options.send_body_instead;
    if (!options.send_target_instead.empty()) request.target = options.send_target_instead;
    for (const auto& header : options.extra_headers) request.headers.push_back(header);
    return Send(request);
  }

  // Asserts a refused call: status, WWW-Authenticate error (if any), and no upstream request.
  // `error`, when given, is the JSON body's "error" code.
  static void ExpectRefused(const HttpsResponse& response, int status,
                            const std::string& www_authenticate_error, std::size_t upstream_before,
                            const std::string& error = "") {
    EXPECT_EQ(response.status, status) << response.body;
    if (!error.empty()) {
      EXPECT_EQ(Str(JsonBody(response), "error"), error) << response.body;
    }
    if (!www_authenticate_error.empty()) {
      auto challenge = response.Header("www-authenticate");
      ASSERT_TRUE(challenge.has_value()) << response.body;
      EXPECT_NE(challenge->find("error=\"" + www_authenticate_error + "\""), std::string::npos)
          << *challenge;
    }
    EXPECT_EQ(upstream_->Requests().size(), upstream_before)
        << "the upstream saw a refused request";
  }

  // An access token signed by the gateway's own key, minted with claims of the test's choice
  // (reads the gateway's store and master key as an operator could).
  static std::string MintWithGatewayKey(const Device& device, std::int64_t issued_at) {
    auto store = server::SqliteStore::Open(Db()).value();
    auto master = server::LoadMasterKey(dir_->File("master.key")).value();
    auto ring = server::KeyRing::Load(*store, std::move(master), Now(), 3600).value();
    auto service = server::AccessTokenService::Create(*ring, kIssuer, kAudience, 300, 0).value();
    server::AccessTokenClaims claims;
    claims.subject = "alice";
    claims.device_id = device.device_id;
    claims.jkt = device.jkt();
    claims.acr = "pwd";
    claims.auth_time = issued_at;
    claims.session_id = "forged-session";
    return service.Issue(claims, issued_at).value().token;
  }

  static TempDir* dir_;
  static Upstream* upstream_;
  static Process* gateway_;
  static std::uint16_t port_;
};

TempDir* GatewayE2E::dir_ = nullptr;
Upstream* GatewayE2E::upstream_ = nullptr;
Process* GatewayE2E::gateway_ = nullptr;
std::uint16_t GatewayE2E::port_ = 0;

TEST_F(GatewayE2E, SignedDpopBoundCallReachesTheUpstreamWithIdentityHeaders) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  HttpsResponse response = Call(device, {.extra_headers = {{"x-ztm-subject", "mallory"}}});
  ASSERT_EQ(response.status, 200) << response.body;
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), before + 1);
  const std::string& seen = requests.back();
  EXPECT_NE(seen.find(R"(["x-ztm-subject", "alice"])"), std::string::npos) << seen;
  EXPECT_NE(seen.find(R"(["x-ztm-device", ")" + device.device_id + "\"]"), std::string::npos)
      << seen;
  EXPECT_EQ(seen.find("mallory"), std::string::npos) << "incoming X-ZTM-* must be stripped";
  EXPECT_NE(seen.find(R"("body": "{\"item\":42,\"quantity\":1}")"), std::string::npos) << seen;
}

TEST_F(GatewayE2E, PathTricksCannotDodgeTheAdminRoute) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  // The route itself: the password session's acr is not step-up.
  HttpsResponse direct = Call(device, {.method = "GET", .target = "/admin/x", .body = ""});
  ExpectRefused(direct, 403, "insufficient_user_authentication", before);
  // Paths the upstream (or a framework behind it) would resolve to /admin/x: merged slashes,
  // Tomcat/Spring path parameters ("..;"), encoded dot segments. Each is refused whether it
  // is signed for or sent bare, and the upstream never sees one.
  for (const std::string target :
       {"//admin/x", "/public/..;/admin/x", "/public/%2e%2e;/admin/x", "/%2e%2e/admin/x",
        "/public//admin/x", "/public/../admin/x", "/admin;x=1/x", "/public/.%3B/admin/x"}) {
    HttpsResponse signed_call = Call(device, {.method = "GET", .target = target, .body = ""});
    ExpectRefused(signed_call, 400, "", before);
    EXPECT_EQ(Str(JsonBody(signed_call), "error"), "request_path_ambiguous") << target;
    HttpsResponse bare = Send({"GET", target, {}, ""});
    ExpectRefused(bare, 400, "", before);
    EXPECT_EQ(Str(JsonBody(bare), "error"), "request_path_ambiguous") << target;
  }
  // The public route still works, and the upstream gets the normalized path.
  ASSERT_EQ(Send({"GET", "/public/%6Cogo.png?v=1", {}, ""}).status, 200);
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), before + 1);
  EXPECT_NE(requests.back().find(R"("path": "/public/logo.png?v=1")"), std::string::npos)
      << requests.back();
}

TEST_F(GatewayE2E, IdentityHeadersWithUnderscoresAreDropped) {
  Device device = NewSignedInDevice();
  const std::vector<std::pair<std::string, std::string>> spoofed = {
      {"X_ZTM_Subject", "mallory"},
      {"x_ztm_acr", "urn:ztm:acr:step-up"},
      {"X-ZTM_Device", "mallory-device"},
      {"X-ZTM-Subject", "mallory"}};
  std::size_t before = upstream_->Requests().size();
  ASSERT_EQ(Call(device, {.extra_headers = spoofed}).status, 200);
  HttpsResponse open = Send({"GET", "/public/readme", spoofed, ""});
  ASSERT_EQ(open.status, 200) << open.body;
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), before + 2);
  for (std::size_t i = before; i < requests.size(); ++i) {
    const std::string& seen = requests[i];
    EXPECT_EQ(seen.find("mallory"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("x_ztm"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("x-ztm_"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("step-up"), std::string::npos) << seen;
  }
  EXPECT_NE(requests[before].find(R"(["x-ztm-subject", "alice"])"), std::string::npos);
  EXPECT_EQ(requests[before + 1].find("x-ztm-subject"), std::string::npos);
}

TEST_F(GatewayE2E, RequestForAnotherOriginIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  // A proof and a signature made for https://other.example, replayed here with that Host.
  HttpsRequest request;
  request.method = "GET";
  request.target = "/api/orders";
  request.headers = {{"host", "other.example"}, {"authorization", "DPoP " + device.access_token}};
  dpop::ProofInput input;
  input.htm = "GET";
  input.htu = "https://other.example/api/orders";
  input.iat = Now();
  input.access_token = device.access_token;
  request.headers.push_back({"dpop", dpop::CreateProof(device.key, input).value()});
  httpsig::HttpRequest message;
  message.method = "GET";
  message.target = "/api/orders";
  message.authority = "other.example";
  for (const auto& [name, value] : request.headers) {
    ASSERT_TRUE(message.fields.Add(name, value).ok());
  }
  httpsig::SignatureParameters params;
  params.components = {httpsig::Component("@method"), httpsig::Component("@target-uri"),
                       httpsig::Component("authorization")};
  params.created = Now();
  params.nonce = Base64UrlEncode(crypto::RandomBytes(16));
  params.keyid = device.device_id;
  auto signer =
      httpsig::HttpSigner::Create(httpsig::HttpSigAlgorithm::kEcdsaP256Sha256, device.key).value();
  auto fields = signer.Sign(message, "sig1", params).value();
  request.headers.push_back({"signature-input", fields.signature_input});
  request.headers.push_back({"signature", fields.signature});
  HttpsResponse response = Send(request);
  ExpectRefused(response, 421, "", before);
  EXPECT_EQ(Str(JsonBody(response), "error"), "misdirected_request");
  // The same Host on the token endpoint and on a bare request.
  HttpsResponse token = Send({"POST", "/v1/challenge", {{"host", "other.example"}}, ""});
  EXPECT_EQ(token.status, 421) << token.body;
  ExpectRefused(Send({"GET", "/public/x", {{"host", "other.example"}}, ""}), 421, "", before);
  // The configured origin still works (Host: localhost:<port>).
  EXPECT_EQ(Call(device).status, 200);
}

TEST_F(GatewayE2E, RequestWithoutTokenIsRefused) {
  std::size_t before = upstream_->Requests().size();
  HttpsResponse response = Send({"GET", "/api/orders", {}, ""});
  ExpectRefused(response, 401, "", before);
  auto challenge = response.Header("www-authenticate");
  ASSERT_TRUE(challenge.has_value());
  EXPECT_EQ(challenge->rfind("DPoP", 0), 0u) << *challenge;
}

TEST_F(GatewayE2E, ExpiredTokenIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  std::string expired = MintWithGatewayKey(device, Now() - 3600);
  ExpectRefused(Call(device, {.access_token = expired}), 401, "invalid_token", before);
}

TEST_F(GatewayE2E, TokenSignedByUnknownKeyIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  auto parts = device.access_token;
  std::string payload_b64 =
      parts.substr(parts.find('.') + 1, parts.rfind('.') - parts.find('.') - 1);
  auto payload = Base64UrlDecode(payload_b64).value();
  crypto::PrivateKey attacker = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  bj::object header;
  header["typ"] = "at+jwt";
  header["kid"] = "attacker-key";
  std::string forged = jose::SignCompact(header, payload, jose::Jwk::FromPrivateKey(attacker),
                                         jose::JwsAlgorithm::kEs256)
                           .value();
  ExpectRefused(Call(device, {.access_token = forged}), 401, "invalid_token", before);
}

TEST_F(GatewayE2E, AlgNoneTokenIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  std::string token = device.access_token;
  std::string payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
  std::string none =
      Base64UrlEncode(std::string(R"({"alg":"none","typ":"at+jwt"})")) + "." + payload + ".";
  ExpectRefused(Call(device, {.access_token = none}), 401, "invalid_token", before);
}

TEST_F(GatewayE2E, TokenOfDeviceAWithProofOfDeviceBIsRefused) {
  Device a = NewSignedInDevice();
  Device b = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  ExpectRefused(Call(a, {.dpop_signer = &b}), 401, "invalid_dpop_proof", before);
}

TEST_F(GatewayE2E, ProofForAnotherMethodOrUrlIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  ExpectRefused(Call(device, {.dpop_htm = "GET"}), 401, "invalid_dpop_proof", before);
  ExpectRefused(Call(device, {.dpop_htu = "/api/transfers"}), 401, "invalid_dpop_proof", before);
}

TEST_F(GatewayE2E, StaleProofIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  ExpectRefused(Call(device, {.dpop_iat = Now() - 3600}), 401, "invalid_dpop_proof", before);
}

TEST_F(GatewayE2E, ReplayedRequestIsRefused) {
  Device device = NewSignedInDevice();
  ASSERT_EQ(Call(device, {.signature_nonce = "replay-nonce-1"}).status, 200);
  std::size_t before = upstream_->Requests().size();
  HttpsResponse replay = Call(device, {.signature_nonce = "replay-nonce-1"});
  ExpectRefused(replay, 401, "invalid_request", before, "request_replayed");
}

TEST_F(GatewayE2E, TamperedBodyIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  // A body that contradicts its own Content-Digest is a malformed request (400), not an
  // authentication failure.
  HttpsResponse response = Call(device, {.send_body_instead = R"({"item":42,"quantity":9})"});
  ExpectRefused(response, 400, "", before);
  EXPECT_EQ(Str(JsonBody(response), "error"), "content_digest_mismatch");
}

TEST_F(GatewayE2E, TamperedPathIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  // The DPoP proof's htu names the signed path, so the proof check refuses it first.
  ExpectRefused(Call(device, {.send_target_instead = "/api/transfers"}), 401, "invalid_dpop_proof",
                before, "dpop_proof_invalid");
}

TEST_F(GatewayE2E, TamperedQueryIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  // RFC 9449 §4.2: htu excludes the query, so only the RFC 9421 signature (over @target-uri)
  // catches a changed query.
  ExpectRefused(Call(device, {.target = "/api/orders?amount=1",
                              .send_target_instead = "/api/orders?amount=1000"}),
                401, "invalid_request", before, "request_signature_invalid");
}

TEST_F(GatewayE2E, UnsignedRequestIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  ExpectRefused(Call(device, {.sign = false}), 401, "invalid_request", before,
                "request_signature_missing");
}

TEST_F(GatewayE2E, RefreshRotatesAndReuseRevokesTheWholeFamily) {
  Device device = NewSignedInDevice();
  HttpsResponse first = Refresh(device, device.refresh_token);
  ASSERT_EQ(first.status, 200) << first.body;
  std::string successor = Str(JsonBody(first), "refresh_token");
  ASSERT_FALSE(successor.empty());
  EXPECT_NE(successor, device.refresh_token);

  // An attacker replays the old token: invalid_grant, and the family is revoked...
  HttpsResponse reuse = Refresh(device, device.refresh_token);
  EXPECT_EQ(reuse.status, 400) << reuse.body;
  EXPECT_EQ(Str(JsonBody(reuse), "error"), "invalid_grant");
  // ...so the legitimate holder's next refresh fails too.
  HttpsResponse legitimate = Refresh(device, successor);
  EXPECT_EQ(legitimate.status, 400) << legitimate.body;
  EXPECT_EQ(Str(JsonBody(legitimate), "error"), "invalid_grant");

  CommandResult audit = RunCommand({ZTM_CLI_PATH, "audit", "tail", "--db", Db(), "-n", "200"});
  EXPECT_NE(audit.out.find("refresh_reuse"), std::string::npos) << audit.out;
}

TEST_F(GatewayE2E, AccessTokenStopsWorkingAfterRefreshReuse) {
  Device device = NewSignedInDevice();
  ASSERT_EQ(Call(device).status, 200);
  HttpsResponse first = Refresh(device, device.refresh_token);
  ASSERT_EQ(first.status, 200) << first.body;
  Device rotated = device;
  rotated.access_token = Str(JsonBody(first), "access_token");
  ASSERT_EQ(Call(rotated).status, 200);
  // Reuse of the old refresh token revokes the family: every access token of the session,
  // the old and the rotated one, is refused from the next call on, not at its exp.
  ASSERT_EQ(Refresh(device, device.refresh_token).status, 400);
  std::size_t before = upstream_->Requests().size();
  for (const Device* holder : {&device, &rotated}) {
    HttpsResponse response = Call(*holder);
    ExpectRefused(response, 401, "invalid_token", before);
    EXPECT_EQ(Str(JsonBody(response), "error"), "session_revoked");
  }
}

TEST_F(GatewayE2E, AccessTokenStopsWorkingAfterLogout) {
  Device device = NewSignedInDevice();
  Device other = NewSignedInDevice();  // another session of the same user
  ASSERT_EQ(Call(device).status, 200);
  HttpsResponse logout = Call(device, {.target = "/v1/logout", .body = ""});
  ASSERT_EQ(logout.status, 204) << logout.body;
  std::size_t before = upstream_->Requests().size();
  HttpsResponse response = Call(device);
  ExpectRefused(response, 401, "invalid_token", before);
  EXPECT_EQ(Str(JsonBody(response), "error"), "session_revoked");
  EXPECT_EQ(Call(other).status, 200);  // only the session that logged out ends
}

TEST_F(GatewayE2E, RefreshNeedsAProofByTheDeviceKey) {
  Device device = NewSignedInDevice();
  Device thief;
  HttpsResponse stolen = Refresh(thief, device.refresh_token);
  EXPECT_EQ(stolen.status, 400) << stolen.body;
}

TEST_F(GatewayE2E, SixtyFourConcurrentRefreshesOfOneTokenMintExactlyOneSuccessor) {
  Device device = NewSignedInDevice();
  constexpr int kThreads = 64;
  std::vector<std::string> proofs;
  for (int i = 0; i < kThreads; ++i) proofs.push_back(Proof(device, "POST", "/v1/token"));
  std::string form =
      FormEncode({{"grant_type", "refresh_token"}, {"refresh_token", device.refresh_token}});
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        HttpsResponse response = Send({"POST",
                                       "/v1/token",
                                       {{"content-type", "application/x-www-form-urlencoded"},
                                        {"dpop", proofs[static_cast<std::size_t>(i)]}},
                                       form});
        if (response.status == 200) {
          ++ok;
        } else if (response.status == 400) {
          ++refused;
        } else {
          ++other;
        }
      } catch (const std::exception&) {
        ++other;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(GatewayE2E, RevokedDeviceIsRefused) {
  Device device = NewSignedInDevice();
  ASSERT_EQ(Call(device).status, 200);
  CommandResult revoked =
      // "--": a base64url device id may start with '-' (1 in 64), which CLI11 would read as
      // an option.
      RunCommand({ZTM_CLI_PATH, "devices", "revoke", "--db", Db(), "--", device.device_id});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  std::size_t before = upstream_->Requests().size();
  ExpectRefused(Call(device), 403, "", before);
  EXPECT_EQ(Refresh(device, device.refresh_token).status, 400);
}

TEST_F(GatewayE2E, OversizedHeaderIsRefused) {
  Device device = NewSignedInDevice();
  std::size_t before = upstream_->Requests().size();
  HttpsResponse response =
      Call(device, {.extra_headers = {{"x-padding", std::string(16 * 1024, 'a')}}});
  EXPECT_EQ(response.status, 431) << response.body;
  EXPECT_EQ(upstream_->Requests().size(), before);
}

TEST_F(GatewayE2E, IndependentPythonClientCompletesTheFlow) {
  WriteFile(dir_->File("password.txt"), kPassword);
  std::size_t before = upstream_->Requests().size();
  CommandResult run = RunCommand(
      {"/usr/bin/python3", std::string(ZTM_SOURCE_DIR) + "/tests/e2e/independent_client.py",
       "--port", std::to_string(port_), "--ca", dir_->File("ca.pem"), "--username", "alice",
       "--password-file", dir_->File("password.txt"), "--path", "/api/python"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(R"({"step": "challenge", "status": 200})"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(R"({"step": "register", "status": 201})"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(R"({"step": "login", "status": 200})"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(R"({"step": "call", "status": 200)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(R"({"step": "refresh", "status": 200, "rotated": true})"),
            std::string::npos)
      << run.out;
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), before + 1);
  EXPECT_NE(requests.back().find("/api/python"), std::string::npos);
  EXPECT_NE(requests.back().find(R"(["x-ztm-subject", "alice"])"), std::string::npos);
}

// Last in the file: restarts the gateway.
TEST_F(GatewayE2E, RestartKeepsDevicesFamiliesAndKeys) {
  Device device = NewSignedInDevice();
  ASSERT_EQ(Call(device).status, 200);
  ASSERT_EQ(StopGateway(), 0);
  StartGateway();
  // The access token still verifies (signing key persisted), the device is still known...
  EXPECT_EQ(Call(device).status, 200);
  // ...and the refresh-token family survived.
  HttpsResponse refreshed = Refresh(device, device.refresh_token);
  EXPECT_EQ(refreshed.status, 200) << refreshed.body;
}

// Streamed uploads: the gateway forwards the body to the upstream while it arrives, checking
// the signed Content-Digest as it goes, and withholds the end of a body that does not match.
class GatewayE2EStreaming : public GatewayE2E {
 protected:
  static constexpr std::size_t kUploadBytes = 5 * 1024 * 1024;
  static void SetUpTestSuite() { StartSuite({.max_body_bytes = 8 * 1024 * 1024}); }

  // kUploadBytes of random base64url text (3 bytes of randomness per 4 characters).
  static std::string RandomUpload() {
    std::string body = Base64UrlEncode(crypto::RandomBytes(kUploadBytes / 4 * 3));
    EXPECT_EQ(body.size(), kUploadBytes);
    return body;
  }

  // Waits up to 10 s for the upstream to have noted `count` aborted requests.
  static std::vector<std::string> WaitForAborted(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    auto aborted = upstream_->AbortedRequests();
    while (aborted.size() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      aborted = upstream_->AbortedRequests();
    }
    return aborted;
  }
};

TEST_F(GatewayE2EStreaming, SignedFiveMebibyteUploadReachesTheUpstreamIntact) {
  Device device = NewSignedInDevice();
  const std::string body = RandomUpload();
  const std::size_t before = upstream_->Requests().size();
  HttpsResponse response = Call(device, {.target = "/api/upload", .body = body});
  ASSERT_EQ(response.status, 200) << response.body;
  auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), before + 1);
  auto record = json::ParseObject(requests.back());
  ASSERT_TRUE(record.ok()) << requests.back().substr(0, 512);
  EXPECT_EQ(Str(*record, "path"), "/api/upload");
  const bj::value* length = record->if_contains("body_length");
  ASSERT_TRUE(length != nullptr && length->is_int64());
  EXPECT_EQ(length->as_int64(), static_cast<std::int64_t>(kUploadBytes));
  EXPECT_EQ(Str(*record, "body_sha256"), HexEncode(crypto::Sha256(body)));
  EXPECT_NE(requests.back().find(R"(["x-ztm-subject", "alice"])"), std::string::npos);
}

TEST_F(GatewayE2EStreaming, UploadWithItsLastByteChangedIsRefusedAndNeverCompleted) {
  Device device = NewSignedInDevice();
  const std::string body = RandomUpload();
  std::string tampered = body;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  const std::size_t before = upstream_->Requests().size();
  const std::size_t aborted_before = upstream_->AbortedRequests().size();
  HttpsResponse response =
      Call(device, {.target = "/api/upload", .body = body, .send_body_instead = tampered});
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(Str(JsonBody(response), "error"), "content_digest_mismatch") << response.body;
  // The upstream was sent all but the end of the body, then the connection was closed: it
  // notes an aborted request and never records (or answers) a complete one.
  auto aborted = WaitForAborted(aborted_before + 1);
  ASSERT_EQ(aborted.size(), aborted_before + 1);
  auto record = json::ParseObject(aborted.back());
  ASSERT_TRUE(record.ok()) << aborted.back();
  EXPECT_EQ(Str(*record, "path"), "/api/upload");
  const bj::value* declared = record->if_contains("content_length");
  const bj::value* received = record->if_contains("received");
  ASSERT_TRUE(declared != nullptr && declared->is_int64() && received != nullptr &&
              received->is_int64());
  EXPECT_EQ(declared->as_int64(), static_cast<std::int64_t>(kUploadBytes));
  EXPECT_LT(received->as_int64(), declared->as_int64());
  EXPECT_EQ(upstream_->Requests().size(), before);
  // The untampered upload still goes through afterwards.
  ASSERT_EQ(Call(device, {.target = "/api/upload", .body = body}).status, 200);
  EXPECT_EQ(upstream_->Requests().size(), before + 1);
}

}  // namespace
}  // namespace ztm::e2e
