// The assembled gateway, driven through its request handler (no sockets): registration, login,
// refresh, logout and revocation through the endpoints, verified requests reaching a fake
// upstream with the identity headers, refusals that never reach it, auth_request mode, rate
// limits, metrics, the audit trail and the logs. Real SQLite store in a temporary directory.
#include "server/api/gateway.h"

#include <gtest/gtest.h>

#include <atomic>

#include <chrono>
#include <condition_variable>
#include <future>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/json.h"
#include "server/api/form.h"
#include "server/api/forward_limiter.h"
#include "server/api/gateway_context.h"
#include "server/password.h"
#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::kTestNow;
using testing::MakeRequest;
using testing::Must;
using testing::RemoveHeader;
using testing::SetHeader;
using testing::SignedApiRequest;
using testing::TempDir;
using testing::TestDevice;
using testing::TestUrl;

constexpr const char* kPassword = "correct horse battery staple";

class FakeUpstream final : public http::UpstreamClient {
 public:
  void Forward(http::Request request, http::Respond respond) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(std::move(request));
      if (hold_) {
        // A slow upstream: the forward stays in flight until Release().
        held_.push_back(std::move(respond));
        return;
      }
    }
    http::Response response;
    response.status = 200;
    response.headers = {{"content-type", "text/plain"}};
    response.body = "upstream ok";
    respond(std::move(response));
  }
  std::vector<http::Request> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  void Hold(bool hold) {
    std::lock_guard<std::mutex> lock(mutex_);
    hold_ = hold;
  }
  // Answers every held forward.
  void Release() {
    std::vector<http::Respond> held;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held.swap(held_);
    }
    for (auto& respond : held) {
      http::Response response;
      response.status = 200;
      response.body = "upstream ok";
      respond(std::move(response));
    }
  }

 private:
  std::mutex mutex_;
  std::vector<http::Request> requests_;
  bool hold_ = false;
  std::vector<http::Respond> held_;
};

std::optional<std::string> HeaderOf(const http::Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

boost::json::object BodyOf(const http::Response& response) {
  auto body = json::ParseObject(response.body);
  if (!body.ok()) throw std::runtime_error("not JSON: " + response.body);
  return std::move(body).value();
}

std::string StringOf(const boost::json::object& object, const char* name) {
  auto value = json::GetString(object, name);
  if (!value.ok() || !value->has_value()) throw std::runtime_error(std::string("no ") + name);
  return **value;
}

struct Session {
  std::string access_token;
  std::string refresh_token;
};

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest() : config_(testing::TestConfig(dir_)) {}

  void SetUp() override {
    log_ = std::tmpfile();
    logger_ = std::make_unique<JsonLogger>(LogLevel::kDebug, log_);
    Must(store_->AddUser({"alice", Must(HashPassword(Secret(AsBytes(kPassword)))), kTestNow}));
  }
  void TearDown() override {
    gateway_.reset();
    std::fclose(log_);
  }

  void Start() {
    auto upstream = std::make_unique<FakeUpstream>();
    upstream_ = upstream.get();
    gateway_ = Must(Gateway::Create(config_, *store_, testing::TestMasterKey(), clock_, *logger_,
                                    std::move(upstream)));
  }

  // Sends `request` and waits for its answer (password grants are answered from a worker).
  http::Response Send(http::Request request) {
    auto answer = std::make_shared<std::promise<http::Response>>();
    auto future = answer->get_future();
    gateway_->handler().Handle(std::move(request), [answer](http::Response response) {
      answer->set_value(std::move(response));
    });
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      throw std::runtime_error("no response");
    }
    return future.get();
  }

  std::string Challenge() {
    http::Response response = Send(MakeRequest("POST", "/v1/challenge"));
    EXPECT_EQ(response.status, 200);
    auto body = BodyOf(response);
    EXPECT_EQ(body.at("expires_in").as_int64(), config_.attestation.challenge_ttl_seconds);
    return StringOf(body, "challenge");
  }

  http::Request Registration(const TestDevice& device, const std::string& challenge,
                             const std::string& evidence, const std::string& format = "software") {
    boost::json::object body;
    body["public_jwk"] = device.public_jwk_object();
    body["challenge"] = challenge;
    body["attestation"] = boost::json::object{{"format", format}, {"evidence", evidence}};
    return MakeRequest("POST", "/v1/devices", json::Serialize(body),
                       {{"content-type", "application/json"}});
  }

  std::string Register(const TestDevice& device) {
    const std::string challenge = Challenge();
    http::Response response = Send(Registration(device, challenge, device.Evidence(challenge)));
    EXPECT_EQ(response.status, 201) << response.body;
    return StringOf(BodyOf(response), "device_id");
  }

  http::Request TokenRequest(const TestDevice& device,
                             const std::vector<std::pair<std::string, std::string>>& parameters,
                             std::optional<std::string> nonce = std::nullopt) {
    return MakeRequest("POST", "/v1/token", FormUrlEncode(parameters),
                       {{"content-type", "application/x-www-form-urlencoded"},
                        {"dpop", device.Proof("POST", TestUrl("/v1/token"), clock_.NowSeconds(),
                                              std::nullopt, std::move(nonce))}});
  }

  http::Response PasswordLogin(const TestDevice& device, const std::string& device_id,
                               const std::string& password = kPassword,
                               const std::string& username = "alice") {
    return Send(TokenRequest(device, {{"grant_type", "password"},
                                      {"username", username},
                                      {"password", password},
                                      {"device_id", device_id}}));
  }

  Session Login(const TestDevice& device, const std::string& device_id) {
    http::Response response = PasswordLogin(device, device_id);
    EXPECT_EQ(response.status, 200) << response.body;
    auto body = BodyOf(response);
    EXPECT_EQ(StringOf(body, "token_type"), "DPoP");
    EXPECT_EQ(body.at("expires_in").as_int64(), config_.tokens.access_token_ttl_seconds);
    return {StringOf(body, "access_token"), StringOf(body, "refresh_token")};
  }

  http::Response Refresh(const TestDevice& device, const std::string& refresh_token) {
    return Send(
        TokenRequest(device, {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}}));
  }

  http::Request Api(const TestDevice& device, const std::string& device_id,
                    const std::string& access_token, const std::string& method = "GET",
                    const std::string& target = "/v1/orders", const std::string& body = "") {
    return SignedApiRequest(device, device_id, access_token, method, target, body,
                            clock_.NowSeconds());
  }

  std::vector<std::string> AuditTypes() {
    std::vector<std::string> types;
    for (const AuditEvent& event : Must(store_->TailAudit(1000))) types.push_back(event.type);
    return types;
  }
  std::size_t CountAudit(const std::string& type) {
    auto types = AuditTypes();
    return static_cast<std::size_t>(std::count(types.begin(), types.end(), type));
  }
  std::string Logs() {
    std::fflush(log_);
    std::rewind(log_);
    std::string text;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, log_)) > 0) text.append(buffer, n);
    return text;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = testing::OpenTestStore(dir_);
  GatewayConfig config_;
  FixedClock clock_{kTestNow};
  std::FILE* log_ = nullptr;
  std::unique_ptr<JsonLogger> logger_;
  FakeUpstream* upstream_ = nullptr;
  std::unique_ptr<Gateway> gateway_;
  TestDevice device_;
};

TEST_F(GatewayTest, HealthJwksAndMetrics) {
  Start();
  http::Response health = Send(MakeRequest("GET", "/healthz"));
  EXPECT_EQ(health.status, 200);
  http::Response jwks = Send(MakeRequest("GET", "/.well-known/jwks.json"));
  EXPECT_EQ(jwks.status, 200);
  EXPECT_EQ(HeaderOf(jwks, "content-type"), "application/jwk-set+json");
  auto keys = BodyOf(jwks).at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].as_object().at("kid").as_string(), gateway_->key_ring().active_kid());
  EXPECT_EQ(keys[0].as_object().count("d"), 0u);
  EXPECT_EQ(Send(MakeRequest("POST", "/healthz")).status, 405);
  EXPECT_EQ(Send(MakeRequest("GET", "/v1/token")).status, 405);
  http::Response metrics = Send(MakeRequest("GET", "/metrics"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("ztm_requests_total{route=\"/healthz\",status=\"200\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("ztm_replay_cache_entries"), std::string::npos);
}

TEST_F(GatewayTest, MetricsAnswerOnlyAllowedPeers) {
  Start();
  auto from = [](const std::string& peer, const std::string& method = "GET") {
    http::Request request = MakeRequest(method, "/metrics");
    request.peer_address = peer;
    return request;
  };
  // Default: loopback only, IPv4, IPv6 and IPv4-mapped.
  EXPECT_EQ(Send(from("127.0.0.1")).status, 200);
  EXPECT_EQ(Send(from("::1")).status, 200);
  EXPECT_EQ(Send(from("::ffff:127.0.0.1")).status, 200);
  // Anyone else is told there is no such endpoint, whatever the method.
  http::Response outsider = Send(from("203.0.113.5"));
  EXPECT_EQ(outsider.status, 404);
  EXPECT_EQ(outsider.body.find("ztm_"), std::string::npos);
  EXPECT_EQ(Send(from("203.0.113.5", "POST")).status, 404);
  EXPECT_EQ(Send(from("::ffff:10.0.0.1")).status, 404);
  EXPECT_EQ(Send(from("127.0.0.1", "POST")).status, 405);
  http::Response metrics = Send(from("127.0.0.1"));
  EXPECT_NE(metrics.body.find("ztm_metrics_refused_total 3"), std::string::npos) << metrics.body;
}

TEST_F(GatewayTest, MetricsAllowListReplacesLoopback) {
  config_.metrics.allow = {Must(IpNetwork::Parse("10.0.0.0/8"))};
  Start();
  http::Request local = MakeRequest("GET", "/metrics");
  EXPECT_EQ(Send(local).status, 404);
  http::Request monitor = MakeRequest("GET", "/metrics");
  monitor.peer_address = "10.20.30.40";
  EXPECT_EQ(Send(monitor).status, 200);
}

TEST_F(GatewayTest, MetricsDisabledIsNotFoundForEveryone) {
  config_.metrics.enabled = false;
  Start();
  EXPECT_EQ(Send(MakeRequest("GET", "/metrics")).status, 404);
  EXPECT_NE(gateway_->metrics().RenderPrometheus().find("ztm_metrics_refused_total 1"),
            std::string::npos);
}

TEST_F(GatewayTest, APrunedFamilyStillRefusesItsAccessTokens) {
  Start();
  const std::string device_id = Register(device_);
  Session revoked = Login(device_, device_id);
  Session expired = Login(device_, device_id);
  ASSERT_EQ(Send(Api(device_, device_id, revoked.access_token)).status, 200);
  ASSERT_EQ(Send(Api(device_, device_id, expired.access_token)).status, 200);
  ASSERT_EQ(Send(Api(device_, device_id, revoked.access_token, "POST", "/v1/logout")).status, 204);
  // A store pruned far ahead of this gateway's clock (another node, an operator running
  // `ztm db prune` with a skewed clock): both families are gone while their access tokens
  // are still within their lifetime here.
  auto counts =
      Must(store_->PruneExpired(kTestNow + config_.tokens.refresh_family_lifetime_seconds +
                                kPrunedFamilyRetentionSeconds + 1));
  ASSERT_EQ(counts.token_families, 2);
  for (const Session* session : {&revoked, &expired}) {
    http::Response refused = Send(Api(device_, device_id, session->access_token));
    EXPECT_EQ(refused.status, 401) << refused.body;
  }
  EXPECT_EQ(upstream_->requests().size(), 2u);
  EXPECT_NE(gateway_->metrics().RenderPrometheus().find(
                "ztm_verification_failures_total{reason=\"session_revoked\"} 2"),
            std::string::npos);
  // Their refresh tokens are unknown now: refused too.
  EXPECT_EQ(Refresh(device_, expired.refresh_token).status, 400);
}

TEST_F(GatewayTest, PrunesTheStoreInTheBackground) {
  Must(store_->PutChallenge(crypto::Sha256("expired challenge"), kTestNow - 1));
  config_.storage.prune_interval_seconds = 1;
  Start();
  const std::string counted = "ztm_store_pruned_rows_total{table=\"challenges\"} 1";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (gateway_->metrics().RenderPrometheus().find(counted) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(gateway_->metrics().RenderPrometheus().find(counted), std::string::npos);
  EXPECT_NE(Logs().find("\"msg\":\"store pruned\""), std::string::npos) << Logs();
}

TEST_F(GatewayTest, NoBackgroundPruningWhenDisabled) {
  Must(store_->PutChallenge(crypto::Sha256("expired challenge"), kTestNow - 1));
  config_.storage.prune_interval_seconds = 0;
  Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Logs().find("store pruned"), std::string::npos);
  EXPECT_EQ(Must(store_->PruneExpired(kTestNow)).challenges, 1);
}

TEST_F(GatewayTest, RegisterLoginCallRefreshLogout) {
  Start();
  const std::string device_id = Register(device_);
  EXPECT_EQ(device_id.size(), 22u);
  auto stored = Must(store_->FindDevice(device_id));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->jkt, device_.jkt());
  Session session = Login(device_, device_id);

  // A verified call reaches the upstream with the identity, and without the client's own
  // x-ztm-* headers.
  http::Request call =
      Api(device_, device_id, session.access_token, "POST", "/v1/orders", R"({"item":7})");
  call.headers.emplace_back("x-ztm-subject", "admin");
  call.headers.emplace_back("X-ZTM-ACR", "mfa");
  call.headers.emplace_back("x-ztm-device", "spoofed");
  testing::SignRequest(call, device_, device_id, kTestNow);
  http::Response response = Send(call);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "upstream ok");
  auto forwarded = upstream_->requests();
  ASSERT_EQ(forwarded.size(), 1u);
  const http::Request& seen = forwarded[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v1/orders");
  EXPECT_EQ(seen.body, R"({"item":7})");
  std::vector<std::string> subjects, devices, acrs;
  for (const auto& [name, value] : seen.headers) {
    if (name == "x-ztm-subject") subjects.push_back(value);
    if (name == "x-ztm-device") devices.push_back(value);
    if (name == "x-ztm-acr") acrs.push_back(value);
    EXPECT_NE(name, "X-ZTM-ACR");
  }
  EXPECT_EQ(subjects, std::vector<std::string>{"alice"});
  EXPECT_EQ(devices, std::vector<std::string>{device_id});
  EXPECT_EQ(acrs, std::vector<std::string>{"pwd"});

  // Refresh rotates; the new access token works.
  clock_.Set(kTestNow + 60);
  http::Response refreshed = Refresh(device_, session.refresh_token);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  Session next{StringOf(BodyOf(refreshed), "access_token"),
               StringOf(BodyOf(refreshed), "refresh_token")};
  EXPECT_NE(next.refresh_token, session.refresh_token);
  EXPECT_EQ(Send(Api(device_, device_id, next.access_token)).status, 200);

  // Logout revokes the session: its refresh token no longer works.
  http::Request logout = Api(device_, device_id, next.access_token, "POST", "/v1/logout");
  http::Response logged_out = Send(logout);
  EXPECT_EQ(logged_out.status, 204) << logged_out.body;
  clock_.Set(kTestNow + 120);
  http::Response after = Refresh(device_, next.refresh_token);
  EXPECT_EQ(after.status, 400);
  EXPECT_EQ(StringOf(BodyOf(after), "error"), "invalid_grant");

  auto types = AuditTypes();
  for (const char* type : {"device_registered", "token_issued", "revoked"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), type), types.end()) << type;
  }
}

TEST_F(GatewayTest, RegistrationRefusals) {
  Start();
  // A challenge answers one registration only.
  std::string challenge = Challenge();
  ASSERT_EQ(Send(Registration(device_, challenge, device_.Evidence(challenge))).status, 201);
  TestDevice second;
  http::Response reused = Send(Registration(second, challenge, second.Evidence(challenge)));
  EXPECT_EQ(reused.status, 400);
  EXPECT_EQ(StringOf(BodyOf(reused), "error"), "challenge_invalid");
  // Unknown and expired challenges.
  http::Response unknown = Send(Registration(second, "made-up", second.Evidence("made-up")));
  EXPECT_EQ(StringOf(BodyOf(unknown), "error"), "challenge_invalid");
  challenge = Challenge();
  clock_.Set(kTestNow + config_.attestation.challenge_ttl_seconds + 1);
  http::Response expired = Send(Registration(second, challenge, second.Evidence(challenge)));
  EXPECT_EQ(StringOf(BodyOf(expired), "error"), "challenge_invalid");
  clock_.Set(kTestNow);
  // The same key twice.
  challenge = Challenge();
  http::Response duplicate = Send(Registration(device_, challenge, device_.Evidence(challenge)));
  EXPECT_EQ(duplicate.status, 409);
  // Evidence by another key, for another challenge, of an unknown format.
  challenge = Challenge();
  http::Response mismatch = Send(Registration(second, challenge, device_.Evidence(challenge)));
  EXPECT_EQ(StringOf(BodyOf(mismatch), "error"), "attestation_key_mismatch");
  challenge = Challenge();
  http::Response wrong = Send(Registration(second, challenge, second.Evidence("other")));
  EXPECT_EQ(StringOf(BodyOf(wrong), "error"), "attestation_invalid");
  challenge = Challenge();
  http::Response format =
      Send(Registration(second, challenge, second.Evidence(challenge), "apple-appattest"));
  EXPECT_EQ(StringOf(BodyOf(format), "error"), "attestation_format_unsupported");
  // Not JSON.
  http::Request text = Registration(second, Challenge(), "x");
  SetHeader(text, "content-type", "text/plain");
  http::Response not_json = Send(text);
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(StringOf(BodyOf(not_json), "error"), "invalid_request");
  // A private key as public_jwk.
  boost::json::object body;
  body["public_jwk"] = Must(jose::Jwk::FromPrivateKey(second.key()).ToPrivateObject());
  body["challenge"] = Challenge();
  body["attestation"] = boost::json::object{{"format", "software"}, {"evidence", "x"}};
  http::Response private_key = Send(MakeRequest("POST", "/v1/devices", json::Serialize(body),
                                                {{"content-type", "application/json"}}));
  EXPECT_EQ(private_key.status, 400);
  EXPECT_EQ(private_key.body.find("\"d\""), std::string::npos);
}

TEST_F(GatewayTest, SoftwareAttestationDisallowedByConfig) {
  config_.attestation.allow_software = false;
  Start();
  const std::string challenge = Challenge();
  http::Response response = Send(Registration(device_, challenge, device_.Evidence(challenge)));
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(StringOf(BodyOf(response), "error"), "attestation_format_disabled");
}

TEST_F(GatewayTest, TokenEndpointRefusals) {
  Start();
  const std::string device_id = Register(device_);
  auto error_of = [](const http::Response& response) {
    return StringOf(BodyOf(response), "error");
  };
  EXPECT_EQ(error_of(PasswordLogin(device_, device_id, "wrong password")), "invalid_grant");
  EXPECT_EQ(error_of(PasswordLogin(device_, device_id, kPassword, "mallory")), "invalid_grant");
  EXPECT_EQ(error_of(PasswordLogin(device_, "no-such-device")), "invalid_grant");
  // The proof must be by the device's own key.
  TestDevice other;
  http::Response other_key = PasswordLogin(other, device_id);
  EXPECT_EQ(other_key.status, 400);
  EXPECT_EQ(error_of(other_key), "invalid_grant");
  // No proof.
  http::Request no_proof = TokenRequest(device_, {{"grant_type", "password"}});
  RemoveHeader(no_proof, "dpop");
  no_proof.body = FormUrlEncode({{"grant_type", "password"},
                                 {"username", "alice"},
                                 {"password", kPassword},
                                 {"device_id", device_id}});
  EXPECT_EQ(error_of(Send(no_proof)), "invalid_dpop_proof");
  // A proof for another URL.
  http::Request wrong_url = TokenRequest(device_, {{"grant_type", "password"},
                                                   {"username", "alice"},
                                                   {"password", kPassword},
                                                   {"device_id", device_id}});
  SetHeader(wrong_url, "dpop", device_.Proof("POST", TestUrl("/v1/other"), kTestNow));
  EXPECT_EQ(error_of(Send(wrong_url)), "invalid_dpop_proof");
  // A replayed proof.
  http::Request first = TokenRequest(device_, {{"grant_type", "password"},
                                               {"username", "alice"},
                                               {"password", kPassword},
                                               {"device_id", device_id}});
  EXPECT_EQ(Send(first).status, 200);
  EXPECT_EQ(error_of(Send(first)), "invalid_dpop_proof");
  // Request shape.
  EXPECT_EQ(error_of(Send(TokenRequest(device_, {{"grant_type", "client_credentials"}}))),
            "unsupported_grant_type");
  EXPECT_EQ(error_of(Send(
                TokenRequest(device_, {{"grant_type", "password"}, {"grant_type", "password"}}))),
            "invalid_request");
  EXPECT_EQ(error_of(Send(TokenRequest(device_, {{"grant_type", "password"}}))), "invalid_request");
  http::Request json_body = TokenRequest(device_, {{"grant_type", "password"}});
  SetHeader(json_body, "content-type", "application/json");
  EXPECT_EQ(error_of(Send(json_body)), "invalid_request");
  // The response never echoes the password.
  http::Response wrong = PasswordLogin(device_, device_id, "hunter2-secret-value");
  EXPECT_EQ(wrong.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(Logs().find("hunter2"), std::string::npos);
  EXPECT_EQ(Logs().find(kPassword), std::string::npos);
}

TEST_F(GatewayTest, RefreshReuseRevokesTheFamilyForEveryone) {
  config_.tokens.refresh_grace_seconds = 0;
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  clock_.Set(kTestNow + 10);
  http::Response legit = Refresh(device_, session.refresh_token);
  ASSERT_EQ(legit.status, 200);
  const std::string legit_refresh = StringOf(BodyOf(legit), "refresh_token");
  clock_.Set(kTestNow + 20);
  http::Response attacker = Refresh(device_, session.refresh_token);
  EXPECT_EQ(attacker.status, 400);
  EXPECT_EQ(StringOf(BodyOf(attacker), "error"), "invalid_grant");
  clock_.Set(kTestNow + 30);
  http::Response holder = Refresh(device_, legit_refresh);
  EXPECT_EQ(holder.status, 400);
  EXPECT_EQ(CountAudit("refresh_reuse"), 1u);
}

TEST_F(GatewayTest, GraceRetryGetsTheSameRefreshToken) {
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  clock_.Set(kTestNow + 10);
  http::Response first = Refresh(device_, session.refresh_token);
  http::Response retry = Refresh(device_, session.refresh_token);
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(StringOf(BodyOf(first), "refresh_token"), StringOf(BodyOf(retry), "refresh_token"));
}

TEST_F(GatewayTest, RevocationEndpoint) {
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  auto revoke = [&](const std::string& token) {
    return Send(MakeRequest("POST", "/v1/revoke", FormUrlEncode({{"token", token}}),
                            {{"content-type", "application/x-www-form-urlencoded"}}));
  };
  EXPECT_EQ(revoke("not-a-token").status, 200);
  EXPECT_EQ(revoke(session.refresh_token).status, 200);
  EXPECT_EQ(Refresh(device_, session.refresh_token).status, 400);
  EXPECT_EQ(CountAudit("revoked"), 1u);
  http::Response missing = Send(MakeRequest(
      "POST", "/v1/revoke", "", {{"content-type", "application/x-www-form-urlencoded"}}));
  EXPECT_EQ(missing.status, 400);
}

// One device cannot hold every upstream slot: past kMaxForwardsPerDevice forwards in flight its
// next request is refused (429) without reaching the upstream; finished forwards free slots.
TEST_F(GatewayTest, ForwardsInFlightAreCappedPerDevice) {
  config_.limits.per_device_rate = 1000;
  config_.limits.per_device_burst = 1000;
  config_.limits.per_ip_rate = 1000;
  config_.limits.per_ip_burst = 1000;
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  upstream_->Hold(true);
  std::atomic<int> answered{0};
  for (std::size_t i = 0; i < kMaxForwardsPerDevice; ++i) {
    gateway_->handler().Handle(Api(device_, device_id, session.access_token),
                               [&answered](http::Response) { ++answered; });
  }
  EXPECT_EQ(upstream_->requests().size(), kMaxForwardsPerDevice);
  EXPECT_EQ(answered.load(), 0);
  http::Response refused = Send(Api(device_, device_id, session.access_token));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(upstream_->requests().size(), kMaxForwardsPerDevice);
  upstream_->Release();
  EXPECT_EQ(answered.load(), static_cast<int>(kMaxForwardsPerDevice));
  upstream_->Hold(false);
  http::Response after = Send(Api(device_, device_id, session.access_token));
  EXPECT_EQ(after.status, 200) << after.body;
}

TEST_F(GatewayTest, RefusedRequestsNeverReachTheUpstream) {
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);

  http::Response no_token = Send(MakeRequest("GET", "/v1/orders"));
  EXPECT_EQ(no_token.status, 401);
  EXPECT_EQ(HeaderOf(no_token, "www-authenticate"), "DPoP algs=\"ES256 EdDSA\"");

  clock_.Set(kTestNow + config_.tokens.access_token_ttl_seconds + 60);
  http::Response expired = Send(Api(device_, device_id, session.access_token));
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(HeaderOf(expired, "www-authenticate")->find("error=\"invalid_token\""),
            std::string::npos);
  EXPECT_EQ(StringOf(BodyOf(expired), "error"), "access_token_expired");
  clock_.Set(kTestNow);

  http::Request replayed = Api(device_, device_id, session.access_token);
  EXPECT_EQ(Send(replayed).status, 200);
  http::Response again = Send(replayed);
  EXPECT_EQ(again.status, 401);
  EXPECT_EQ(StringOf(BodyOf(again), "error"), "request_replayed");

  http::Request tampered = Api(device_, device_id, session.access_token, "POST", "/v1/pay", "{}");
  tampered.body = R"({"to":"mallory"})";
  http::Response digest = Send(tampered);
  EXPECT_EQ(digest.status, 400);
  EXPECT_EQ(StringOf(BodyOf(digest), "error"), "content_digest_mismatch");

  Must(store_->RevokeDevice(device_id, kTestNow));
  http::Response revoked = Send(Api(device_, device_id, session.access_token));
  EXPECT_EQ(revoked.status, 403);
  EXPECT_EQ(StringOf(BodyOf(revoked), "error"), "device_revoked");

  EXPECT_EQ(upstream_->requests().size(), 1u);  // only the one good request
  http::Response metrics = Send(MakeRequest("GET", "/metrics"));
  for (const char* reason : {"access_token_missing", "access_token_expired", "request_replayed",
                             "content_digest_mismatch", "device_revoked"}) {
    EXPECT_NE(metrics.body.find(std::string("ztm_verification_failures_total{reason=\"") + reason +
                                "\"} 1"),
              std::string::npos)
        << reason;
  }
}

TEST_F(GatewayTest, RoutePoliciesFromTheConfig) {
  RoutePolicy admin;
  admin.path_prefix = "/v1/admin";
  admin.methods = {"GET"};
  admin.required_acr = "mfa";
  RoutePolicy read_only;
  read_only.path_prefix = "/v1/catalog";
  read_only.methods = {"GET", "HEAD"};
  RoutePolicy open;
  open.path_prefix = "/public/";
  open.public_route = true;
  open.require_token = open.require_dpop = open.require_signature = false;
  config_.routes = {admin, read_only, open};
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);

  http::Response method =
      Send(Api(device_, device_id, session.access_token, "DELETE", "/v1/catalog/1"));
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(HeaderOf(method, "allow"), "GET, HEAD");
  http::Response acr =
      Send(Api(device_, device_id, session.access_token, "GET", "/v1/admin/users"));
  EXPECT_EQ(acr.status, 403);
  EXPECT_NE(HeaderOf(acr, "www-authenticate")->find("insufficient_user_authentication"),
            std::string::npos);
  // An encoded path cannot dodge the admin route.
  http::Response encoded =
      Send(Api(device_, device_id, session.access_token, "GET", "/v1/%61dmin/users"));
  EXPECT_EQ(encoded.status, 403);  // routed as /v1/admin/users: the acr rule applies
  http::Response dots =
      Send(Api(device_, device_id, session.access_token, "GET", "/public/../v1/admin/users"));
  EXPECT_EQ(dots.status, 400);
  // Paths an upstream would resolve to /v1/admin/… (merged slashes, Tomcat/Spring "..;") are
  // refused before any route is matched, signed or not.
  for (const std::string target :
       {"//v1/admin/users", "/public/..;/v1/admin/users", "/public/%2e%2e;/v1/admin/users",
        "/public//v1/admin/users", "/%2e%2e/v1/admin/users"}) {
    http::Response refused = Send(Api(device_, device_id, session.access_token, "GET", target));
    EXPECT_EQ(refused.status, 400) << target;
    EXPECT_EQ(StringOf(BodyOf(refused), "error"), "request_path_ambiguous") << target;
    http::Response anonymous_refused = Send(MakeRequest("GET", target));
    EXPECT_EQ(anonymous_refused.status, 400) << target;
  }
  EXPECT_TRUE(upstream_->requests().empty());
  // A public route needs nothing, and gets no identity headers.
  http::Request anonymous =
      MakeRequest("GET", "/public/logo.png", "", {{"x-ztm-subject", "admin"}});
  EXPECT_EQ(Send(anonymous).status, 200);
  auto forwarded = upstream_->requests();
  ASSERT_EQ(forwarded.size(), 1u);
  for (const auto& header : forwarded[0].headers) EXPECT_NE(header.first, "x-ztm-subject");
  // The upstream gets the path the policy matched, not the raw target.
  EXPECT_EQ(Send(MakeRequest("GET", "/public/%6Cogo.png?v=%2F1")).status, 200);
  forwarded = upstream_->requests();
  ASSERT_EQ(forwarded.size(), 2u);
  EXPECT_EQ(forwarded[1].target, "/public/logo.png?v=%2F1");
}

TEST_F(GatewayTest, FailedLoginsAreLimitedPerUserAndPerDevice) {
  Start();
  const std::string device_id = Register(device_);
  for (int i = 0; i < 5; ++i) {
    http::Response wrong = PasswordLogin(device_, device_id, "wrong password " + std::to_string(i));
    EXPECT_EQ(wrong.status, 400) << i;
    EXPECT_EQ(StringOf(BodyOf(wrong), "error"), "invalid_grant");
  }
  // The sixth attempt is refused before any password is checked, even the right one...
  http::Response limited = PasswordLogin(device_, device_id);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(StringOf(BodyOf(limited), "error"), "rate_limited");
  EXPECT_TRUE(HeaderOf(limited, "retry-after").has_value());
  // ...and from another device too: the limit is per username.
  TestDevice other;
  const std::string other_id = Register(other);
  EXPECT_EQ(PasswordLogin(other, other_id).status, 429);
  // The device that guessed is limited for every username.
  Must(store_->AddUser({"bob", Must(HashPassword(Secret(AsBytes(kPassword)))), kTestNow}));
  EXPECT_EQ(PasswordLogin(device_, device_id, kPassword, "bob").status, 429);
  // Another user on another device is unaffected.
  EXPECT_EQ(PasswordLogin(other, other_id, kPassword, "bob").status, 200);
}

TEST_F(GatewayTest, PasswordFloodNeverBlocksOtherRequests) {
  Start();
  const std::string device_id = Register(device_);
  // Many password logins at once: Handle() returns at once for each (the Argon2id work is on
  // the password workers), the excess past the queue is refused with 503, and /healthz is
  // answered while they run.
  constexpr int kLogins = 40;
  std::mutex mutex;
  std::condition_variable done;
  std::vector<int> statuses;
  std::vector<std::optional<std::string>> retry_afters;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kLogins; ++i) {
    http::Request login = TokenRequest(device_, {{"grant_type", "password"},
                                                 {"username", "alice"},
                                                 {"password", kPassword},
                                                 {"device_id", device_id}});
    gateway_->handler().Handle(std::move(login), [&](http::Response response) {
      std::lock_guard lock(mutex);
      statuses.push_back(response.status);
      if (response.status == 503) {
        retry_afters.push_back(HeaderOf(response, "retry-after"));
        EXPECT_EQ(StringOf(BodyOf(response), "error"), "temporarily_unavailable");
      }
      done.notify_all();
    });
  }
  const auto submitted = std::chrono::steady_clock::now();
  // Logins that finished while the flood was still being submitted freed their queue slots
  // (a loaded or sanitizer build submits slowly), so the bound below allows for them.
  std::size_t finished_during_submission = 0;
  {
    std::lock_guard lock(mutex);
    finished_during_submission =
        static_cast<std::size_t>(std::count(statuses.begin(), statuses.end(), 200));
  }
  http::Response health = Send(MakeRequest("GET", "/healthz"));
  const auto answered = std::chrono::steady_clock::now();
  EXPECT_EQ(health.status, 200);
  // 40 Argon2id computations take seconds; submitting them and answering /healthz must not.
  EXPECT_LT(answered - started, std::chrono::milliseconds(500));
  EXPECT_LT(answered - submitted, std::chrono::milliseconds(100));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(done.wait_for(lock, std::chrono::seconds(60), [&] {
      return statuses.size() == static_cast<std::size_t>(kLogins);
    }));
  }
  const auto count = [&](int status) {
    return std::count(statuses.begin(), statuses.end(), status);
  };
  EXPECT_GT(count(200), 0);
  EXPECT_GT(count(503), 0);
  EXPECT_EQ(count(200) + count(503), kLogins);
  EXPECT_LE(count(200), static_cast<long>(kPasswordQueueCapacity + kPasswordWorkers +
                                          finished_during_submission));
  for (const auto& retry_after : retry_afters) EXPECT_EQ(retry_after, "1");
  EXPECT_LE(PeakConcurrentPasswordHashes(), kMaxConcurrentPasswordHashes);
}

TEST_F(GatewayTest, PublicOriginsRefuseRequestsForAnotherHost) {
  config_.listen.public_origins = {"https://gw.test"};
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  EXPECT_EQ(Send(Api(device_, device_id, session.access_token)).status, 200);
  // A proof and signature made for https://other.example/v1/orders, replayed here with its
  // own Host: valid for that server, refused by this one.
  http::Request elsewhere = Api(device_, device_id, session.access_token);
  SetHeader(elsewhere, "host", "other.example");
  SetHeader(
      elsewhere, "dpop",
      device_.Proof("GET", "https://other.example/v1/orders", kTestNow, session.access_token));
  testing::SignRequest(elsewhere, device_, device_id, kTestNow);
  http::Response refused = Send(elsewhere);
  EXPECT_EQ(refused.status, 421) << refused.body;
  EXPECT_EQ(StringOf(BodyOf(refused), "error"), "misdirected_request");
  http::Request token = TokenRequest(device_, {{"grant_type", "password"},
                                               {"username", "alice"},
                                               {"password", kPassword},
                                               {"device_id", device_id}});
  SetHeader(token, "host", "other.example");
  EXPECT_EQ(Send(token).status, 421);
  EXPECT_EQ(upstream_->requests().size(), 1u);
  // Health checks and scrapes reach the gateway by any name.
  http::Request health = MakeRequest("GET", "/healthz");
  SetHeader(health, "host", "10.0.0.7:8443");
  EXPECT_EQ(Send(health).status, 200);
}

TEST_F(GatewayTest, HeadersWithUnderscoresNeverReachTheUpstream) {
  RoutePolicy open;
  open.path_prefix = "/public/";
  open.public_route = true;
  open.require_token = open.require_dpop = open.require_signature = false;
  config_.routes = {open};
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  // CGI/WSGI/Rack/PHP turn X_ZTM_Subject into HTTP_X_ZTM_SUBJECT, as they do X-ZTM-Subject.
  const std::vector<std::pair<std::string, std::string>> spoofed = {
      {"x_ztm_subject", "admin"},
      {"X_ZTM_Acr", "mfa"},
      {"x-ztm_device", "spoofed"},
      {"x_forwarded_for", "10.0.0.1"}};
  http::Request call = Api(device_, device_id, session.access_token);
  for (const auto& field : spoofed) call.headers.push_back(field);
  EXPECT_EQ(Send(call).status, 200);
  http::Request anonymous = MakeRequest("GET", "/public/logo.png");
  for (const auto& field : spoofed) anonymous.headers.push_back(field);
  EXPECT_EQ(Send(anonymous).status, 200);
  auto forwarded = upstream_->requests();
  ASSERT_EQ(forwarded.size(), 2u);
  for (const http::Request& seen : forwarded) {
    std::vector<std::string> subjects;
    for (const auto& [name, value] : seen.headers) {
      EXPECT_EQ(name.find('_'), std::string::npos) << name;
      EXPECT_NE(value, "admin");
      EXPECT_NE(value, "spoofed");
      if (name == "x-ztm-subject") subjects.push_back(value);
    }
    if (&seen == &forwarded[0]) {
      EXPECT_EQ(subjects, std::vector<std::string>{"alice"});
    } else {
      EXPECT_TRUE(subjects.empty());
    }
  }
}

TEST_F(GatewayTest, ServerNoncesWhenRequired) {
  config_.verification.require_dpop_nonce = true;
  Start();
  const std::string device_id = Register(device_);
  // The token endpoint answers use_dpop_nonce with a nonce (RFC 9449 §8) ...
  http::Response first = PasswordLogin(device_, device_id);
  EXPECT_EQ(first.status, 400);
  EXPECT_EQ(StringOf(BodyOf(first), "error"), "use_dpop_nonce");
  auto nonce = HeaderOf(first, "dpop-nonce");
  ASSERT_TRUE(nonce.has_value());
  // ... and accepts the retry that carries it.
  http::Response retry = Send(TokenRequest(device_,
                                           {{"grant_type", "password"},
                                            {"username", "alice"},
                                            {"password", kPassword},
                                            {"device_id", device_id}},
                                           *nonce));
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_TRUE(HeaderOf(retry, "dpop-nonce").has_value());
  const std::string access_token = StringOf(BodyOf(retry), "access_token");
  // Resource requests too (RFC 9449 §9).
  http::Response call = Send(Api(device_, device_id, access_token));
  EXPECT_EQ(call.status, 401);
  EXPECT_NE(HeaderOf(call, "www-authenticate")->find("error=\"use_dpop_nonce\""),
            std::string::npos);
  ASSERT_TRUE(HeaderOf(call, "dpop-nonce").has_value());
  http::Request with_nonce = Api(device_, device_id, access_token);
  SetHeader(with_nonce, "dpop",
            device_.Proof("GET", TestUrl("/v1/orders"), kTestNow, access_token,
                          *HeaderOf(call, "dpop-nonce")));
  testing::SignRequest(with_nonce, device_, device_id, kTestNow);
  EXPECT_EQ(Send(with_nonce).status, 200);
}

TEST_F(GatewayTest, AuthRequestMode) {
  config_.mode = GatewayMode::kAuthRequest;
  config_.upstream.reset();
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  http::Request original =
      Api(device_, device_id, session.access_token, "POST", "/v1/orders", R"({"item":1})");
  http::Request sub = MakeRequest("GET", "/_ztm/auth", "",
                                  {{"x-original-method", "POST"},
                                   {"x-original-uri", "/v1/orders"},
                                   {"x-forwarded-proto", "https"},
                                   {"x-ztm-subject", "admin"}});
  for (const auto& header : original.headers) {
    if (header.first != "host") sub.headers.push_back(header);
  }
  http::Response allowed = Send(sub);
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(HeaderOf(allowed, "x-ztm-subject"), "alice");
  EXPECT_EQ(HeaderOf(allowed, "x-ztm-device"), device_id);
  EXPECT_EQ(HeaderOf(allowed, "x-ztm-acr"), "pwd");
  EXPECT_EQ(HeaderOf(allowed, "x-ztm-content-digest"), original.Header("content-digest"));
  http::Response denied = Send(MakeRequest(
      "GET", "/_ztm/auth", "", {{"x-original-method", "GET"}, {"x-original-uri", "/v1/orders"}}));
  EXPECT_EQ(denied.status, 401);
}

TEST_F(GatewayTest, RateLimitsPerIpAndPerDevice) {
  config_.limits.per_ip_rate = 0.001;
  config_.limits.per_ip_burst = 3;
  Start();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Send(MakeRequest("GET", "/healthz")).status, 200);
  http::Response limited = Send(MakeRequest("GET", "/healthz"));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(HeaderOf(limited, "retry-after"), "1");
  http::Request other_ip = MakeRequest("GET", "/healthz");
  other_ip.peer_address = "192.0.2.7";
  EXPECT_EQ(Send(other_ip).status, 200);
}

TEST_F(GatewayTest, PerDeviceRateLimit) {
  config_.limits.per_device_rate = 0.001;
  config_.limits.per_device_burst = 2;
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  EXPECT_EQ(Send(Api(device_, device_id, session.access_token)).status, 200);
  EXPECT_EQ(Send(Api(device_, device_id, session.access_token)).status, 200);
  http::Response limited = Send(Api(device_, device_id, session.access_token));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(upstream_->requests().size(), 2u);
}

TEST_F(GatewayTest, FailureAuditRowsAreRateLimited) {
  Start();
  for (int i = 0; i < 50; ++i) Send(MakeRequest("GET", "/v1/orders"));
  EXPECT_EQ(CountAudit("verification_failed"), 1u);
  clock_.Set(kTestNow + 1);
  Send(MakeRequest("GET", "/v1/orders"));
  EXPECT_EQ(CountAudit("verification_failed"), 2u);
}

TEST_F(GatewayTest, LogsAreJsonLinesWithoutSecrets) {
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  Send(Api(device_, device_id, session.access_token, "GET", "/v1/orders?card=4111111111111111"));
  Refresh(device_, session.refresh_token);
  const std::string logs = Logs();
  ASSERT_FALSE(logs.empty());
  std::size_t start = 0;
  int lines = 0;
  while (start < logs.size()) {
    const std::size_t end = logs.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    auto line = json::ParseObject(std::string_view(logs).substr(start, end - start));
    ASSERT_TRUE(line.ok()) << logs.substr(start, end - start);
    EXPECT_TRUE(line->contains("time"));
    EXPECT_TRUE(line->contains("level"));
    EXPECT_TRUE(line->contains("msg"));
    EXPECT_TRUE(line->contains("fields"));
    start = end + 1;
    ++lines;
  }
  EXPECT_GE(lines, 4);
  EXPECT_EQ(logs.find(session.access_token.substr(0, 40)), std::string::npos);
  EXPECT_EQ(logs.find(session.refresh_token), std::string::npos);
  EXPECT_EQ(logs.find("4111111111111111"), std::string::npos);
}

TEST_F(GatewayTest, RestartKeepsDevicesSessionsAndKeys) {
  Start();
  const std::string device_id = Register(device_);
  Session session = Login(device_, device_id);
  const std::string kid = gateway_->key_ring().active_kid();
  gateway_.reset();
  store_.reset();
  store_ = testing::OpenTestStore(dir_);
  Start();
  EXPECT_EQ(gateway_->key_ring().active_kid(), kid);
  EXPECT_EQ(Send(Api(device_, device_id, session.access_token)).status, 200);
  clock_.Set(kTestNow + 5);
  EXPECT_EQ(Refresh(device_, session.refresh_token).status, 200);
}

TEST_F(GatewayTest, TokenExchangeOfAnOidcIdToken) {
  auto idp_key = Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  boost::json::object jwk = Must(jose::Jwk::FromPublicKey(idp_key.public_key()).ToPublicObject());
  jwk["kid"] = "idp-1";
  const std::string jwks_path = dir_.File("idp-jwks.json");
  {
    boost::json::array keys;
    keys.push_back(jwk);
    std::ofstream(jwks_path) << json::Serialize(boost::json::object{{"keys", keys}});
  }
  config_.oidc_issuers.push_back({"https://idp.test", "ztm-app", jwks_path, std::nullopt});
  Start();
  const std::string device_id = Register(device_);
  boost::json::object claims{{"iss", "https://idp.test"},
                             {"aud", "ztm-app"},
                             {"sub", "user-123"},
                             {"iat", kTestNow - 5},
                             {"exp", kTestNow + 300}};
  const std::string id_token =
      Must(jose::SignCompact({{"kid", "idp-1"}}, AsBytes(json::Serialize(claims)),
                             jose::Jwk::FromPrivateKey(idp_key), jose::JwsAlgorithm::kEs256));
  auto exchange = [&](const std::string& token, const std::string& type) {
    return Send(
        TokenRequest(device_, {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                               {"subject_token", token},
                               {"subject_token_type", type},
                               {"device_id", device_id}}));
  };
  const std::string id_token_type = "urn:ietf:params:oauth:token-type:id_token";
  http::Response response = exchange(id_token, id_token_type);
  ASSERT_EQ(response.status, 200) << response.body;
  auto body = BodyOf(response);
  EXPECT_EQ(StringOf(body, "token_type"), "DPoP");
  EXPECT_EQ(StringOf(body, "issued_token_type"), "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(Send(Api(device_, device_id, StringOf(body, "access_token"))).status, 200);
  auto forwarded = upstream_->requests();
  ASSERT_EQ(forwarded.size(), 1u);
  bool saw_subject = false;
  for (const auto& [name, value] : forwarded[0].headers) {
    if (name == "x-ztm-subject") {
      EXPECT_EQ(value, "https://idp.test#user-123");
      saw_subject = true;
    }
    if (name == "x-ztm-acr") {
      EXPECT_EQ(value, "oidc");
    }
  }
  EXPECT_TRUE(saw_subject);
  // Each ID token is exchanged once.
  http::Response again = exchange(id_token, id_token_type);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(StringOf(BodyOf(again), "error"), "invalid_grant");
  EXPECT_EQ(StringOf(BodyOf(exchange(id_token, "urn:ietf:params:oauth:token-type:jwt")), "error"),
            "invalid_request");
  EXPECT_EQ(StringOf(BodyOf(exchange("forged.id.token", id_token_type)), "error"), "invalid_grant");
}

TEST_F(GatewayTest, TokenExchangeWithoutIssuersIsUnsupported) {
  Start();
  const std::string device_id = Register(device_);
  http::Response response = Send(
      TokenRequest(device_, {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                             {"subject_token", "x"},
                             {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"},
                             {"device_id", device_id}}));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(StringOf(BodyOf(response), "error"), "unsupported_grant_type");
}

TEST_F(GatewayTest, WrongMasterKeyRefusesToStart) {
  Start();
  gateway_.reset();
  auto other = Gateway::Create(config_, *store_, testing::TestMasterKey(0x99), clock_, *logger_,
                               std::make_unique<FakeUpstream>());
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.code(), Code::kSigningKeyUnavailable);
}

}  // namespace
}  // namespace ztm::server
