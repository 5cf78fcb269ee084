// CurlTransport against real TLS servers on 127.0.0.1 (tests/client/tls_server.py) with a PKI
// made by the test: pin matches on leaf, intermediate and a root the server never sends; a
// MITM server with a certificate from the trusted CA; a server appending the genuine pinned
// certificate to its own chain; key rotation to the backup pin; expiry; report-only; report
// storage, rate limiting and upload; ordinary TLS failures; limits; mTLS.
#include "client/transport/https_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "client/test_pki.h"
#include "core/json.h"

namespace ztm::client {
namespace {

using ::testing::HasSubstr;
using ::ztm::testing::TempDir;
using ::ztm::testing::TestCertificate;
using ::ztm::testing::TlsServer;
using ::ztm::testing::TlsServerOptions;

// One PKI for the whole suite (key generation is the slow part).
struct Pki {
  TestCertificate root = TestCertificate::Root("ztm test root");
  TestCertificate intermediate = TestCertificate::Intermediate("ztm test intermediate", root);
  TestCertificate live = TestCertificate::Server("live", intermediate);
  TestCertificate backup = TestCertificate::Server("backup", intermediate);
  // The attacker's certificate: right name, issued by the CA the client trusts.
  TestCertificate mitm = TestCertificate::Server("mitm", intermediate);
  // Trusted CA, but issued for another name.
  TestCertificate elsewhere =
      TestCertificate::Server("elsewhere", intermediate, "DNS:elsewhere.example");
  TestCertificate other_root = TestCertificate::Root("untrusted root");
  TestCertificate untrusted = TestCertificate::Server("untrusted", other_root);
  TestCertificate client = TestCertificate::Client("device", root);
};

const Pki& TestPki() {
  static const Pki* pki = new Pki();
  return *pki;
}

class HttpsTransportTest : public ::testing::Test {
 protected:
  HttpsTransportTest() : pki_(TestPki()), clock_(1'700'000'000) {
    ztm::testing::WriteTextFile(ca_file_, pki_.root.CertificatePem());
  }

  // A pin set for localhost with `pins`.
  PinSetConfig PinsForLocalhost(std::vector<std::string> pins) {
    PinSetConfig config;
    config.host = "localhost";
    config.pins = std::move(pins);
    return config;
  }

  std::unique_ptr<CurlTransport> MakeTransport(std::vector<PinSetConfig> pin_sets,
                                               CurlTransportOptions options = {}) {
    auto policy = PinPolicy::Create(pin_sets);
    EXPECT_TRUE(policy.ok()) << policy.error().message;
    options.ca_file = ca_file_;
    options.pin_policy = std::make_shared<PinPolicy>(std::move(policy).value());
    options.report_store = store_;
    options.report_identity = {"com.example.app", "1.0", "LINUX", "6.1", "device-1"};
    options.clock = &clock_;
    options.on_warning = [this](std::string_view warning) {
      std::lock_guard lock(warnings_mutex_);
      warnings_.emplace_back(warning);
    };
    auto transport = CurlTransport::Create(std::move(options));
    EXPECT_TRUE(transport.ok()) << transport.error().message;
    return std::move(transport).value();
  }

  std::unique_ptr<TlsServer> Serve(const std::string& name,
                                   std::vector<const TestCertificate*> chain,
                                   TlsServerOptions options = {}) {
    options.chain = std::move(chain);
    return std::make_unique<TlsServer>(dir_, name, options);
  }

  static HttpRequest Get(const TlsServer& server) { return {"GET", server.Url("/"), {}, {}}; }

  std::vector<boost::json::object> StoredReports() {
    std::vector<boost::json::object> reports;
    auto pending = store_->Pending(100);
    EXPECT_TRUE(pending.ok());
    for (const StoredPinReport& stored : *pending) {
      auto parsed = json::ParseObject(stored.json, 1 << 20);
      EXPECT_TRUE(parsed.ok());
      if (parsed.ok()) reports.push_back(*parsed);
    }
    return reports;
  }

  std::vector<std::string> Warnings() {
    std::lock_guard lock(warnings_mutex_);
    return warnings_;
  }

  const Pki& pki_;
  FixedClock clock_;
  TempDir dir_;
  const std::string ca_file_ = dir_.File("ca.pem");
  std::shared_ptr<InMemoryPinReportStore> store_ = std::make_shared<InMemoryPinReportStore>();
  std::mutex warnings_mutex_;
  std::vector<std::string> warnings_;
};

// The server log lines of complete requests.
std::vector<std::string> Requests(const std::vector<std::string>& log) {
  std::vector<std::string> requests;
  for (const std::string& line : log) {
    if (line.find("\"event\": \"request\"") != std::string::npos) requests.push_back(line);
  }
  return requests;
}

std::vector<std::string> Chain(const boost::json::object& report, std::string_view name) {
  std::vector<std::string> pems;
  for (const auto& pem : report.at(name).as_array()) pems.emplace_back(pem.as_string());
  return pems;
}

TEST_F(HttpsTransportTest, PinnedLeafKeyMatches) {
  auto server = Serve("live", {&pki_.live, &pki_.intermediate});
  auto transport = MakeTransport({PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()})});
  auto response = transport->Send(Get(*server));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->Header("content-type"), "text/plain");
  EXPECT_EQ(response->Header("x-test"), "padded");
  EXPECT_EQ(Requests(server->Log(1)).size(), 1u);
  EXPECT_EQ(store_->size(), 0u);
}

TEST_F(HttpsTransportTest, PinnedIntermediateMatches) {
  auto server = Serve("live", {&pki_.live, &pki_.intermediate});
  auto transport =
      MakeTransport({PinsForLocalhost({pki_.intermediate.Pin(), testing::UnusedPin()})});
  auto response = transport->Send(Get(*server));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpsTransportTest, PinnedRootTheServerNeverSendsMatches) {
  // The server sends leaf + intermediate; the root only exists in the client's trust store.
  auto server = Serve("live", {&pki_.live, &pki_.intermediate});
  auto transport = MakeTransport({PinsForLocalhost({pki_.root.Pin(), testing::UnusedPin()})});
  auto response = transport->Send(Get(*server));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpsTransportTest, MitmWithTrustedCaFailsBeforeAnyRequestByte) {
  PinSetConfig pins = PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()});
  auto mitm = Serve("mitm", {&pki_.mitm, &pki_.intermediate});
  pins.report_uri = "https://localhost:1/pin-report";
  auto transport = MakeTransport({pins});
  HttpRequest request{
      "POST", mitm->Url("/login"), {{"Authorization", "Bearer secret-token"}}, "password=secret"};
  auto response = transport->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kPinValidationFailed);
  EXPECT_THAT(response.error().message, HasSubstr("localhost:" + std::to_string(mitm->port())));

  // The server saw a connection whose handshake the client aborted, and no request at all.
  auto log = mitm->Log(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("handshake_failed"));
  EXPECT_TRUE(Requests(log).empty());

  auto reports = StoredReports();
  ASSERT_EQ(reports.size(), 1u);
  const auto& report = reports[0];
  EXPECT_EQ(report.at("hostname"), "localhost");
  EXPECT_EQ(report.at("noted-hostname"), "localhost");
  EXPECT_EQ(report.at("port").as_int64(), mitm->port());
  EXPECT_EQ(report.at("enforce-pinning"), true);
  EXPECT_EQ(report.at("app-vendor-id"), "device-1");
  EXPECT_EQ(report.at("date-time").as_string(), Rfc3339Utc(clock_.NowSeconds()));
  EXPECT_EQ(
      Chain(report, "served-certificate-chain"),
      (std::vector<std::string>{pki_.mitm.CertificatePem(), pki_.intermediate.CertificatePem()}));
  EXPECT_EQ(
      Chain(report, "validated-certificate-chain"),
      (std::vector<std::string>{pki_.mitm.CertificatePem(), pki_.intermediate.CertificatePem(),
                                pki_.root.CertificatePem()}));
  EXPECT_EQ(report.at("known-pins").as_array().size(), 2u);
  EXPECT_EQ(store_->Pending(1)->front().report_uri, "https://localhost:1/pin-report");
}

TEST_F(HttpsTransportTest, AppendedPinnedCertificateDoesNotSatisfyThePin) {
  // The attacker appends the genuine (public) certificate whose key is pinned to its chain.
  auto mitm = Serve("mitm", {&pki_.mitm, &pki_.intermediate, &pki_.live});
  PinSetConfig pins = PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()});
  pins.report_uri = "https://localhost:1/pin-report";
  auto transport = MakeTransport({pins});
  auto response = transport->Send(Get(*mitm));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kPinValidationFailed);
  EXPECT_TRUE(Requests(mitm->Log(1)).empty());

  auto reports = StoredReports();
  ASSERT_EQ(reports.size(), 1u);
  auto served = Chain(reports[0], "served-certificate-chain");
  auto validated = Chain(reports[0], "validated-certificate-chain");
  EXPECT_EQ(served.size(), 3u);
  EXPECT_EQ(served.back(), pki_.live.CertificatePem());  // it was sent...
  EXPECT_EQ(validated.size(), 3u);                       // ...but is not on the trust path
  EXPECT_THAT(validated, ::testing::Not(::testing::Contains(pki_.live.CertificatePem())));
}

TEST_F(HttpsTransportTest, RotationToTheBackupKeyKeepsWorking) {
  auto transport = MakeTransport({PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()})});
  {
    auto before = Serve("before", {&pki_.live, &pki_.intermediate});
    auto response = transport->Send(Get(*before));
    ASSERT_TRUE(response.ok()) << response.error().message;
  }
  auto after = Serve("after", {&pki_.backup, &pki_.intermediate});
  auto response = transport->Send(Get(*after));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(Requests(after->Log(1)).size(), 1u);
}

TEST_F(HttpsTransportTest, ExpiredPinSetIsNotEnforcedButWarns) {
  auto mitm = Serve("mitm", {&pki_.mitm, &pki_.intermediate});
  PinSetConfig pins = PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()});
  pins.expires = clock_.NowSeconds();
  pins.report_uri = "https://localhost:1/pin-report";
  auto transport = MakeTransport({pins});

  // Still valid at its expiry second: enforced.
  auto enforced = transport->Send(Get(*mitm));
  ASSERT_FALSE(enforced.ok());
  EXPECT_EQ(enforced.code(), Code::kPinValidationFailed);
  EXPECT_TRUE(Warnings().empty());

  clock_.Set(*pins.expires + 1);
  auto response = transport->Send(Get(*mitm));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  ASSERT_EQ(Warnings().size(), 1u);
  EXPECT_THAT(Warnings()[0], HasSubstr("expired"));
  EXPECT_EQ(store_->size(), 1u);  // only the enforced failure was reported
}

TEST_F(HttpsTransportTest, ReportOnlyAllowsTheRequestAndReports) {
  auto mitm = Serve("mitm", {&pki_.mitm, &pki_.intermediate});
  PinSetConfig pins = PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()});
  pins.mode = PinMode::kReportOnly;
  pins.report_uri = "https://localhost:1/pin-report";
  auto transport = MakeTransport({pins});
  auto response = transport->Send(Get(*mitm));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(Requests(mitm->Log(1)).size(), 1u);
  auto reports = StoredReports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].at("enforce-pinning"), false);
  ASSERT_EQ(Warnings().size(), 1u);
  EXPECT_THAT(Warnings()[0], HasSubstr("report-only"));
}

TEST_F(HttpsTransportTest, ReportIsUploadedAfterTheNextPinnedSuccessAndRemoved) {
  auto good = Serve("good", {&pki_.live, &pki_.intermediate});
  auto mitm = Serve("mitm", {&pki_.mitm, &pki_.intermediate});
  PinSetConfig pins = PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()});
  pins.report_uri = good->Url("/pin-report");
  auto transport = MakeTransport({pins});

  ASSERT_EQ(transport->Send(Get(*mitm)).code(), Code::kPinValidationFailed);
  ASSERT_EQ(store_->size(), 1u);

  auto response = transport->Send(Get(*good));
  ASSERT_TRUE(response.ok()) << response.error().message;
  auto requests = Requests(good->Log(2));
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[0], HasSubstr("GET / HTTP/1.1"));
  EXPECT_THAT(requests[1], HasSubstr("POST /pin-report HTTP/1.1"));
  auto logged = json::ParseObject(requests[1], 1 << 20);
  ASSERT_TRUE(logged.ok());
  auto report = json::ParseObject(std::string(logged->at("body").as_string()), 1 << 20);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->at("hostname"), "localhost");
  EXPECT_EQ(report->at("port").as_int64(), mitm->port());
  EXPECT_EQ(store_->size(), 0u);

  // Delivered once: the next success has nothing left to send.
  ASSERT_TRUE(transport->Send(Get(*good)).ok());
  EXPECT_EQ(Requests(good->Log(3)).size(), 3u);
}

TEST_F(HttpsTransportTest, ReportIsKeptWhenTheCollectorRefusesIt) {
  auto good = Serve("good", {&pki_.live, &pki_.intermediate});
  auto collector =
      Serve("collector", {&pki_.live, &pki_.intermediate}, {.chain = {}, .status = 500});
  auto mitm = Serve("mitm", {&pki_.mitm, &pki_.intermediate});
  PinSetConfig pins = PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()});
  pins.report_uri = collector->Url("/pin-report");
  auto transport = MakeTransport({pins});

  ASSERT_EQ(transport->Send(Get(*mitm)).code(), Code::kPinValidationFailed);
  ASSERT_TRUE(transport->Send(Get(*good)).ok());
  EXPECT_EQ(Requests(collector->Log(1)).size(), 1u);
  EXPECT_EQ(store_->size(), 1u);
  EXPECT_THAT(Warnings().back(), HasSubstr("HTTP 500"));
  // Backing off: the next success does not spend its time on the failing collector again.
  ASSERT_TRUE(transport->Send(Get(*good)).ok());
  EXPECT_EQ(Requests(collector->Log(1)).size(), 1u);
  EXPECT_EQ(store_->size(), 1u);
}

TEST_F(HttpsTransportTest, ReportIsNotUploadedThroughAnUnpinnedOrFailedConnection) {
  // A pin failure (even report-only) is no moment to trust the network with reports.
  auto mitm = Serve("mitm", {&pki_.mitm, &pki_.intermediate});
  PinSetConfig pins = PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()});
  pins.mode = PinMode::kReportOnly;
  pins.report_uri = mitm->Url("/pin-report");
  auto transport = MakeTransport({pins});
  ASSERT_TRUE(transport->Send(Get(*mitm)).ok());
  ASSERT_TRUE(transport->Send(Get(*mitm)).ok());
  EXPECT_EQ(Requests(mitm->Log(2)).size(), 2u);  // no POST /pin-report among them
  EXPECT_EQ(store_->size(), 1u);
}

TEST_F(HttpsTransportTest, IdenticalReportsAreRateLimitedPerDay) {
  auto mitm = Serve("mitm", {&pki_.mitm, &pki_.intermediate});
  auto appended = Serve("appended", {&pki_.mitm, &pki_.intermediate, &pki_.live});
  PinSetConfig pins = PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()});
  pins.report_uri = "https://localhost:1/pin-report";
  auto transport = MakeTransport({pins});

  ASSERT_EQ(transport->Send(Get(*mitm)).code(), Code::kPinValidationFailed);
  ASSERT_EQ(transport->Send(Get(*mitm)).code(), Code::kPinValidationFailed);
  EXPECT_EQ(store_->size(), 1u);
  ASSERT_EQ(transport->Send(Get(*appended)).code(), Code::kPinValidationFailed);
  EXPECT_EQ(store_->size(), 2u);  // another host:port and chain
  clock_.Set(clock_.NowSeconds() + PinReportRateLimiter::kWindowSeconds);
  ASSERT_EQ(transport->Send(Get(*mitm)).code(), Code::kPinValidationFailed);
  EXPECT_EQ(store_->size(), 3u);
}

TEST_F(HttpsTransportTest, UntrustedCertificateIsATlsErrorNotAPinError) {
  auto server = Serve("untrusted", {&pki_.untrusted});
  PinSetConfig pins = PinsForLocalhost({pki_.untrusted.Pin(), pki_.backup.Pin()});
  pins.report_uri = "https://localhost:1/pin-report";
  auto transport = MakeTransport({pins});
  // Pinning never rescues an untrusted chain, even when the pin matches.
  auto response = transport->Send(Get(*server));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kTlsFailed);
  // Refused inside the handshake, not after it.
  auto log = server->Log(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("handshake_failed"));
  EXPECT_EQ(store_->size(), 0u);
}

TEST_F(HttpsTransportTest, IpLiteralHostIsVerifiedAndPinned) {
  auto server = Serve("live", {&pki_.live, &pki_.intermediate});
  PinSetConfig pins = PinsForLocalhost({pki_.backup.Pin(), testing::UnusedPin()});
  pins.host = "127.0.0.1";
  auto transport = MakeTransport({pins});
  auto response =
      transport->Send({"GET", "https://127.0.0.1:" + std::to_string(server->port()) + "/", {}, {}});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kPinValidationFailed);
}

TEST_F(HttpsTransportTest, WrongHostnameIsATlsErrorEvenWhenPinned) {
  // Trusted CA, pinned key, but the certificate names another host.
  auto server = Serve("elsewhere", {&pki_.elsewhere, &pki_.intermediate});
  auto transport = MakeTransport({PinsForLocalhost({pki_.elsewhere.Pin(), pki_.backup.Pin()})});
  auto response = transport->Send(Get(*server));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kTlsFailed);
  // Refused inside the handshake, not after it.
  auto log = server->Log(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("handshake_failed"));
}

TEST_F(HttpsTransportTest, UnpinnedHostIsNotPinChecked) {
  auto server = Serve("live", {&pki_.live, &pki_.intermediate});
  PinSetConfig other;
  other.host = "api.example.com";
  other.pins = {pki_.backup.Pin(), testing::UnusedPin()};
  auto transport = MakeTransport({other});
  auto response = transport->Send(Get(*server));
  ASSERT_TRUE(response.ok()) << response.error().message;
}

TEST_F(HttpsTransportTest, ResponseBodyOverItsBoundIsRefused) {
  auto server = Serve("big", {&pki_.live, &pki_.intermediate}, {.chain = {}, .body_size = 4096});
  CurlTransportOptions options;
  options.max_response_body_bytes = 4096;
  auto fits = MakeTransport({}, options);
  ASSERT_TRUE(fits->Send(Get(*server)).ok());
  options.max_response_body_bytes = 4095;
  auto transport = MakeTransport({}, options);
  auto response = transport->Send(Get(*server));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kResponseTooLarge);
}

TEST_F(HttpsTransportTest, ResponseHeadersOverTheirBoundAreRefused) {
  auto server = Serve("live", {&pki_.live, &pki_.intermediate});
  CurlTransportOptions options;
  options.max_response_header_bytes = 64;
  auto transport = MakeTransport({}, options);
  auto response = transport->Send(Get(*server));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kResponseTooLarge);
}

TEST_F(HttpsTransportTest, MutualTlsPresentsTheClientCertificate) {
  auto server =
      Serve("mtls", {&pki_.live, &pki_.intermediate}, {.chain = {}, .client_ca = &pki_.root});
  auto anonymous = MakeTransport({PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()})});
  EXPECT_FALSE(anonymous->Send(Get(*server)).ok());

  CurlTransportOptions options;
  options.client_certificate_pem = pki_.client.CertificatePem();
  options.client_key_pem = Secret(AsBytes(pki_.client.KeyPem()));
  auto transport = MakeTransport({PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()})}, options);
  auto response = transport->Send(Get(*server));
  ASSERT_TRUE(response.ok()) << response.error().message;
  auto requests = Requests(server->Log(2));
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0], HasSubstr("\"client_certificate\": true"));
}

TEST_F(HttpsTransportTest, ConnectionRefusedIsItsOwnError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);  // nothing listens on this port now
  auto transport = MakeTransport({});
  auto response = transport->Send(
      {"GET", "https://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/", {}, {}});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kTransportConnectFailed);
}

TEST_F(HttpsTransportTest, SilentServerTimesOut) {
  // Listens but never accepts: the TCP connection opens, the TLS handshake never answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  CurlTransportOptions options;
  options.connect_timeout = std::chrono::milliseconds(300);
  auto transport = MakeTransport({}, options);
  auto response = transport->Send(
      {"GET", "https://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/", {}, {}});
  ::close(fd);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Code::kTransportTimeout);
}

TEST_F(HttpsTransportTest, RefusesRequestsItCannotSendSafely) {
  auto transport = MakeTransport({});
  for (const HttpRequest& request : std::vector<HttpRequest>{
           {"GET", "http://localhost:1/", {}, {}},
           {"GET", "ftp://localhost:1/", {}, {}},
           {"GET", "localhost:1/", {}, {}},
           {"GET", "", {}, {}},
           {"GET", "https://user:pass@localhost:1/", {}, {}},
           {"GE T", "https://localhost:1/", {}, {}},
           {"", "https://localhost:1/", {}, {}},
           {"GET", "https://localhost:1/", {{"X-A", "1\r\nX-Injected: 1"}}, {}},
           {"GET", "https://localhost:1/", {{"X-A", std::string("a\0b", 3)}}, {}},
           {"GET", "https://localhost:1/", {{"X A", "1"}}, {}},
           {"GET", "https://localhost:1/", {{"", "1"}}, {}},
       }) {
    auto response = transport->Send(request);
    ASSERT_FALSE(response.ok()) << request.url;
    EXPECT_EQ(response.code(), Code::kTransportRequestInvalid)
        << request.method << " " << request.url;
  }
}

TEST_F(HttpsTransportTest, SendsFromSeveralThreadsAtOnce) {
  auto server = Serve("live", {&pki_.live, &pki_.intermediate});
  auto transport = MakeTransport({PinsForLocalhost({pki_.live.Pin(), pki_.backup.Pin()})});
  constexpr int kThreads = 4, kPerThread = 3;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto response = transport->Send(Get(*server));
        if (response.ok() && response->status == 200) ++succeeded;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), kThreads * kPerThread);
}

TEST(CurlTransportCreateTest, RefusesUnusableOptions) {
  CurlTransportOptions no_clock;
  no_clock.clock = nullptr;
  EXPECT_EQ(CurlTransport::Create(no_clock).code(), Code::kInvalidArgument);
  CurlTransportOptions no_timeout;
  no_timeout.connect_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(CurlTransport::Create(no_timeout).code(), Code::kInvalidArgument);
  CurlTransportOptions no_body;
  no_body.max_response_body_bytes = 0;
  EXPECT_EQ(CurlTransport::Create(no_body).code(), Code::kInvalidArgument);
  CurlTransportOptions certificate_without_key;
  certificate_without_key.client_certificate_pem = "-----BEGIN CERTIFICATE-----";
  EXPECT_EQ(CurlTransport::Create(certificate_without_key).code(), Code::kInvalidArgument);
  EXPECT_TRUE(CurlTransport::Create({}).ok());
}

}  // namespace
}  // namespace ztm::client
