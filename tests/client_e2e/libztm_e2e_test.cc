// libztm end to end: ztm::Client against the real ztm-gateway binary over TLS on 127.0.0.1,
// with the embedded SQLite store and the Python upstream of the gateway's own e2e tests.
// (A separate binary from e2e_tests: libztm links SQLCipher, the gateway SQLite, and the two
// cannot share a process.)
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "client_e2e/live_gateway.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "e2e/harness.h"
#include "ztm/client.h"

namespace ztm::e2e {
namespace {

using namespace std::chrono_literals;

constexpr char kPassword[] = "correct horse battery staple";

PinConfig Pinned(std::vector<std::string> pins) {
  PinConfig config;
  config.host = "localhost";
  config.pins = std::move(pins);
  return config;
}

class LibztmE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    live_ = new LiveGateway("alice", kPassword);
    ASSERT_TRUE(live_->ok()) << live_->error();
  }

  static void TearDownTestSuite() {
    delete live_;
    live_ = nullptr;
  }

  // Options for an app whose data lives in `name`, pinned to the gateway's key + a backup.
  static ClientOptions Options(const std::string& name) {
    ClientOptions options;
    options.gateway_url = live_->url();
    options.data_directory = live_->File(name);
    options.ca_file = live_->ca_file();
    options.pins = {Pinned({live_->server_pin(), LiveGateway::BackupPin()})};
    options.passphrase = Secret(AsBytes(std::string_view("app passphrase for e2e")));
    options.app_id = "dev.ztm.e2e";
    options.app_version = "1.0";
    return options;
  }

  static std::unique_ptr<Client> OpenClient(ClientOptions options) {
    auto client = Client::Open(std::move(options));
    EXPECT_TRUE(client.ok()) << client.error().message;
    return client.ok() ? std::move(client).value() : nullptr;
  }

  static std::unique_ptr<Client> SignedInClient(const std::string& name) {
    auto client = OpenClient(Options(name));
    if (client == nullptr) return nullptr;
    Status registered = client->Register();
    EXPECT_TRUE(registered.ok()) << registered.error().message;
    Status signed_in = client->SignIn("alice", kPassword);
    EXPECT_TRUE(signed_in.ok()) << signed_in.error().message;
    return client;
  }

  static LiveGateway* live_;
};

LiveGateway* LibztmE2E::live_ = nullptr;

TEST_F(LibztmE2E, RegisterSignInAndSignedCallsReachTheUpstream) {
  auto client = SignedInClient("app-basic");
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->registered());
  EXPECT_FALSE(client->device_id().empty());
  const std::size_t before = live_->upstream().Requests().size();
  auto get = client->Call("GET", "/api/orders?page=2");
  ASSERT_TRUE(get.ok()) << get.error().message;
  EXPECT_EQ(get->status, 200) << get->body;
  auto post = client->Call("POST", "/api/orders", R"({"item":42,"quantity":1})",
                           {{"content-type", "application/json"}});
  ASSERT_TRUE(post.ok()) << post.error().message;
  EXPECT_EQ(post->status, 200) << post->body;
  const auto requests = live_->upstream().Requests();
  ASSERT_EQ(requests.size(), before + 2);
  std::string seen = requests.back();
  for (char& c : seen) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(seen.find("x-ztm-subject"), std::string::npos) << requests.back();
  EXPECT_NE(seen.find("alice"), std::string::npos) << requests.back();
  EXPECT_NE(requests.back().find(client->device_id()), std::string::npos);
  EXPECT_NE(requests.back().find("quantity"), std::string::npos);
}

// A restarted app has no access token (memory only): its first calls refresh with the stored
// refresh token, and 32 concurrent calls share one refresh — two would present the same
// rotated token and the gateway would revoke the session as a reuse.
TEST_F(LibztmE2E, RestartedAppRefreshesOnceForConcurrentCalls) {
  {
    auto first = SignedInClient("app-restart");
    ASSERT_NE(first, nullptr);
  }
  auto restarted = OpenClient(Options("app-restart"));
  ASSERT_NE(restarted, nullptr);
  ASSERT_TRUE(restarted->signed_in());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      auto response = restarted->Call("GET", "/api/profile");
      ok += response.ok() && response->status == 200;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, 32);
  // The session is still good: no reuse was detected.
  auto after = restarted->Call("GET", "/api/profile");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

// An attacker who copied the app's data (device key and sealed refresh token) and the app
// both refresh: the second use of one refresh token revokes the family, both are signed out,
// and the app is told to sign in again.
TEST_F(LibztmE2E, StolenRefreshTokenUsedTwiceEndsTheSession) {
  {
    auto app = SignedInClient("app-victim");
    ASSERT_NE(app, nullptr);
  }
  std::filesystem::copy(live_->File("app-victim"), live_->File("app-thief"),
                        std::filesystem::copy_options::recursive);
  auto thief = OpenClient(Options("app-thief"));
  ASSERT_NE(thief, nullptr);
  auto stolen = thief->Call("GET", "/api/orders");  // refreshes with the copied token
  ASSERT_TRUE(stolen.ok()) << stolen.error().message;
  EXPECT_EQ(stolen->status, 200);

  auto app = OpenClient(Options("app-victim"));
  ASSERT_NE(app, nullptr);
  std::atomic<int> ended{0};
  app->OnSessionEnded([&](const Error& reason) {
    EXPECT_EQ(reason.code, Code::kSessionEnded);
    ++ended;
  });
  auto refused = app->Call("GET", "/api/orders");  // same refresh token: reuse
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Code::kSessionEnded);
  EXPECT_EQ(ended, 1);
  // The thief's session (the same family) is revoked too: its access token is refused now
  // and its refresh fails.
  auto thief_after = thief->Call("GET", "/api/orders");
  EXPECT_TRUE(!thief_after.ok() || thief_after->status == 401);
}

// A man in the middle with a certificate the app trusts (same CA, right name) but another
// key: the pin check aborts the handshake, and a report is filed.
TEST_F(LibztmE2E, PinningRefusesAServerWithAnotherKey) {
  ClientOptions options = Options("app-mitm");
  options.pins = {Pinned(
      {"sha256/" + Base64Encode(crypto::Sha256(std::string_view("a"))), LiveGateway::BackupPin()})};
  auto client = OpenClient(std::move(options));
  ASSERT_NE(client, nullptr);
  Status registered = client->Register();
  ASSERT_FALSE(registered.ok());
  EXPECT_EQ(registered.code(), Code::kPinValidationFailed) << registered.error().message;
  EXPECT_FALSE(client->registered());
}

// The app's offline data: an SQLCipher file under a key from the secure store; nothing of
// it readable on disk, and gone after logout.
TEST_F(LibztmE2E, EncryptedDatabaseKeepsOfflineDataUntilLogout) {
  auto app = SignedInClient("app-db");
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)").ok());
  Status inserted = app->Exec("INSERT INTO notes (text) VALUES (?)",
                              {SqlValue(std::string("meet the courier at dawn"))});
  ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  auto rows = app->Query("SELECT text FROM notes WHERE id = ?", {SqlValue(std::int64_t{1})});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(std::get<std::string>((*rows)[0][0]), "meet the courier at dawn");
  EXPECT_EQ(app->Exec("INSERT INTO nowhere VALUES (1)").code(), Code::kDatabaseQueryFailed);

  const std::string path = live_->File("app-db/app.db");
  std::ifstream file(path, std::ios::binary);
  const std::string on_disk((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
  ASSERT_FALSE(on_disk.empty());
  EXPECT_EQ(on_disk.find("courier"), std::string::npos);
  EXPECT_NE(on_disk.rfind("SQLite format 3", 0), 0u);  // not a plain SQLite header

  // A restarted app reads it back (the key is in the secure store).
  app.reset();
  auto restarted = OpenClient(Options("app-db"));
  ASSERT_NE(restarted, nullptr);
  auto again = restarted->Query("SELECT count(*) FROM notes");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(std::get<std::int64_t>((*again)[0][0]), 1);
  ASSERT_TRUE(restarted->Logout().ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

// A platform attestation provider is asked with the gateway's challenge and the device key;
// its evidence goes to the gateway, which judges it (this gateway allows software only).
TEST_F(LibztmE2E, AttestationProviderSuppliesTheEvidence) {
  ClientOptions options = Options("app-attest");
  std::string seen_challenge;
  std::string seen_jwk;
  options.attestation_provider = [&](std::string_view challenge,
                                     std::string_view public_jwk) -> Result<AttestationEvidence> {
    seen_challenge = challenge;
    seen_jwk = public_jwk;
    return AttestationEvidence{"apple-appattest", "bm90IGEgcmVhbCBhdHRlc3RhdGlvbg"};
  };
  auto client = OpenClient(std::move(options));
  ASSERT_NE(client, nullptr);
  Status registered = client->Register();
  EXPECT_EQ(registered.code(), Code::kGatewayRefused);
  EXPECT_FALSE(client->registered());
  EXPECT_FALSE(seen_challenge.empty());
  EXPECT_NE(seen_jwk.find("\"kty\":\"EC\""), std::string::npos) << seen_jwk;

  ClientOptions failing = Options("app-attest-fails");
  failing.attestation_provider = [](std::string_view,
                                    std::string_view) -> Result<AttestationEvidence> {
    return Error{Code::kUserPresenceRequired, "the platform refused to attest"};
  };
  auto refused = OpenClient(std::move(failing));
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->Register().code(), Code::kUserPresenceRequired);
}

TEST_F(LibztmE2E, WrongPasswordIsRefused) {
  auto client = OpenClient(Options("app-wrong-password"));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Register().ok());
  Status signed_in = client->SignIn("alice", "not the password");
  EXPECT_EQ(signed_in.code(), Code::kGatewayRefused);
  EXPECT_FALSE(client->signed_in());
  EXPECT_EQ(client->Call("GET", "/api/orders").code(), Code::kNotSignedIn);
}

// Logout ends the session at the gateway (a copy of the data made before is useless) and
// leaves no file behind in the data directory.
TEST_F(LibztmE2E, LogoutRevokesAndWipes) {
  auto app = SignedInClient("app-logout");
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->Call("GET", "/api/orders").ok());
  std::filesystem::copy(live_->File("app-logout"), live_->File("app-logout-copy"),
                        std::filesystem::copy_options::recursive);
  Status out = app->Logout();
  ASSERT_TRUE(out.ok()) << out.error().message;
  std::vector<std::string> left;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(live_->File("app-logout"))) {
    if (entry.is_regular_file()) left.push_back(entry.path().string());
  }
  EXPECT_TRUE(left.empty()) << left.front();
  // The copy's refresh token belongs to the revoked session.
  auto copy = OpenClient(Options("app-logout-copy"));
  ASSERT_NE(copy, nullptr);
  auto after = copy->Call("GET", "/api/orders");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.code(), Code::kSessionEnded);
}

}  // namespace
}  // namespace ztm::e2e
