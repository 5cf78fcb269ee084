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

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "e2e/harness.h"
#include "ztm/client.h"

namespace ztm::e2e {
namespace {

using namespace std::chrono_literals;

constexpr char kPassword[] = "correct horse battery staple";

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// A pin no certificate here has: the offline backup key's.
std::string BackupPin() {
  return "sha256/" + Base64Encode(crypto::Sha256(std::string_view("ztm e2e backup key")));
}

PinConfig Pinned(std::vector<std::string> pins) {
  PinConfig config;
  config.host = "localhost";
  config.pins = std::move(pins);
  return config;
}

class LibztmE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    MakeTlsFiles(dir_->path());
    upstream_ = new Upstream(dir_->path());
    port_ = FreePort();
    WriteFile(dir_->File("gateway.yaml"), R"(listen:
  address: 127.0.0.1
  port: )" + std::to_string(port_) + R"(
  public_origins: ["https://localhost:)" + std::to_string(port_) +
                                              R"("]
  threads: 2
  tls:
    certificate_file: server.pem
    private_key_file: server.key
storage:
  sqlite_path: gateway.db
  master_key_file: master.key
tokens:
  issuer: https://gateway.e2e.test
  audience: https://api.e2e.test
  refresh_grace_seconds: 0
  refresh_grace_max_retries: 0
attestation:
  allow_software: true
mode: reverse_proxy
upstream:
  url: http://127.0.0.1:)" + std::to_string(upstream_->port()) +
                                              R"(
limits:
  per_ip_rate: 1000
  per_ip_burst: 1000
  per_device_rate: 1000
  per_device_burst: 1000
)");
    CommandResult added =
        RunCommand({ZTM_CLI_PATH, "users", "add", "alice", "--db", dir_->File("gateway.db")},
                   std::string(kPassword) + "\n");
    ASSERT_EQ(added.exit_code, 0) << added.err;
    CommandResult pin = RunCommand({ZTM_CLI_PATH, "pin", "spki", dir_->File("server.pem")});
    ASSERT_EQ(pin.exit_code, 0) << pin.err;
    server_pin_ = new std::string(Trim(pin.out));
    gateway_ = new Process({ZTM_GATEWAY_PATH, "--config", dir_->File("gateway.yaml")});
    ASSERT_TRUE(gateway_->WaitForLine("\"listening\"", 30s).has_value()) << gateway_->Output();
  }

  static void TearDownTestSuite() {
    delete gateway_;
    delete upstream_;
    delete server_pin_;
    delete dir_;
  }

  // Options for an app whose data lives in `name`, pinned to the gateway's key + a backup.
  static ClientOptions Options(const std::string& name) {
    ClientOptions options;
    options.gateway_url = "https://localhost:" + std::to_string(port_);
    options.data_directory = dir_->File(name);
    options.ca_file = dir_->File("ca.pem");
    options.pins = {Pinned({*server_pin_, BackupPin()})};
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

  static TempDir* dir_;
  static Upstream* upstream_;
  static Process* gateway_;
  static std::string* server_pin_;
  static int port_;
};

TempDir* LibztmE2E::dir_ = nullptr;
Upstream* LibztmE2E::upstream_ = nullptr;
Process* LibztmE2E::gateway_ = nullptr;
std::string* LibztmE2E::server_pin_ = nullptr;
int LibztmE2E::port_ = 0;

TEST_F(LibztmE2E, RegisterSignInAndSignedCallsReachTheUpstream) {
  auto client = SignedInClient("app-basic");
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->registered());
  EXPECT_FALSE(client->device_id().empty());
  const std::size_t before = upstream_->Requests().size();
  auto get = client->Call("GET", "/api/orders?page=2");
  ASSERT_TRUE(get.ok()) << get.error().message;
  EXPECT_EQ(get->status, 200) << get->body;
  auto post = client->Call("POST", "/api/orders", R"({"item":42,"quantity":1})",
                           {{"content-type", "application/json"}});
  ASSERT_TRUE(post.ok()) << post.error().message;
  EXPECT_EQ(post->status, 200) << post->body;
  const auto requests = upstream_->Requests();
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
  std::filesystem::copy(dir_->File("app-victim"), dir_->File("app-thief"),
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
  options.pins = {
      Pinned({"sha256/" + Base64Encode(crypto::Sha256(std::string_view("a"))), BackupPin()})};
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

  const std::string path = dir_->File("app-db/app.db");
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
  std::filesystem::copy(dir_->File("app-logout"), dir_->File("app-logout-copy"),
                        std::filesystem::copy_options::recursive);
  Status out = app->Logout();
  ASSERT_TRUE(out.ok()) << out.error().message;
  std::vector<std::string> left;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir_->File("app-logout"))) {
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
