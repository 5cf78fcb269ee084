// HttpServer over real TLS on 127.0.0.1: a throwaway PKI generated at test time, a raw
// OpenSSL client that can stall or send half a request on purpose, and a handler that
// records what it saw. Covers requests and keep-alive, every transport refusal, hop-by-hop
// fields, client certificates, TLS policy, graceful Stop() and setup errors.
#include "server/http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "server/http/body_test_support.h"

namespace ztm::server::http {
namespace {

Response Reply(int status, HeaderList headers, std::string body) {
  Response response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------
// Test PKI

std::string MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "ztm_http_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) std::abort();
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

struct TestPki {
  std::string dir;
  std::string ca_cert;      // what clients trust for the server
  std::string server_cert;  // leaf for 127.0.0.1, issued by ca_cert
  std::string server_key;
  std::string other_key;       // a valid key matching no certificate
  std::string client_ca_cert;  // the CA for client certificates
  std::string client_cert;     // issued by client_ca_cert
  std::string client_key;
  std::string rogue_client_cert;  // self-signed, trusted by nobody
  std::string rogue_client_key;
};

EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) std::abort();
  return key;
}

X509* NewCertificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                     bool is_ca, const char* extended_usage) {
  static long serial = 1;
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (extension == nullptr) std::abort();
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  };
  if (is_ca) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add(NID_basic_constraints, "critical,CA:FALSE");
    add(NID_key_usage, "critical,digitalSignature");
    add(NID_ext_key_usage, extended_usage);
    add(NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  }
  if (X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) std::abort();
  return cert;
}

void WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) std::abort();
  if (cert != nullptr) PEM_write_X509(file, cert);
  if (key != nullptr) PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(file);
}

TestPki MakeTestPki() {
  TestPki pki;
  pki.dir = MakeTempDir();
  auto path = [&](const char* name) { return pki.dir + "/" + name; };

  EVP_PKEY* ca_key = NewKey();
  X509* ca = NewCertificate(ca_key, "ztm test server CA", nullptr, nullptr, true, nullptr);
  EVP_PKEY* server_key = NewKey();
  X509* server = NewCertificate(server_key, "127.0.0.1", ca, ca_key, false, "serverAuth");
  EVP_PKEY* other_key = NewKey();
  EVP_PKEY* client_ca_key = NewKey();
  X509* client_ca =
      NewCertificate(client_ca_key, "ztm test client CA", nullptr, nullptr, true, nullptr);
  EVP_PKEY* client_key = NewKey();
  X509* client =
      NewCertificate(client_key, "device-1", client_ca, client_ca_key, false, "clientAuth");
  EVP_PKEY* rogue_key = NewKey();
  X509* rogue = NewCertificate(rogue_key, "rogue", nullptr, nullptr, false, "clientAuth");

  WritePem(pki.ca_cert = path("ca.pem"), ca, nullptr);
  WritePem(pki.server_cert = path("server.pem"), server, nullptr);
  WritePem(pki.server_key = path("server.key"), nullptr, server_key);
  WritePem(pki.other_key = path("other.key"), nullptr, other_key);
  WritePem(pki.client_ca_cert = path("client_ca.pem"), client_ca, nullptr);
  WritePem(pki.client_cert = path("client.pem"), client, nullptr);
  WritePem(pki.client_key = path("client.key"), nullptr, client_key);
  WritePem(pki.rogue_client_cert = path("rogue.pem"), rogue, nullptr);
  WritePem(pki.rogue_client_key = path("rogue.key"), nullptr, rogue_key);

  for (X509* cert : {ca, server, client_ca, client, rogue}) X509_free(cert);
  for (EVP_PKEY* key : {ca_key, server_key, other_key, client_ca_key, client_key, rogue_key}) {
    EVP_PKEY_free(key);
  }
  return pki;
}

// ---------------------------------------------------------------------------------------
// A blocking test client over a raw socket (OpenSSL for TLS), with receive timeouts.

struct ClientTls {
  std::string trusted_ca;
  std::optional<std::string> client_cert;
  std::optional<std::string> client_key;
  int max_version = 0;  // 0: the library maximum
};

struct ParsedResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
};

class TestClient {
 public:
  // Connects to 127.0.0.1:`port`; null on failure with the reason in `error`.
  static std::unique_ptr<TestClient> Connect(std::uint16_t port, const ClientTls* tls,
                                             std::string* error = nullptr, int timeout_ms = 5000) {
    std::unique_ptr<TestClient> client(new TestClient());
    client->fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(client->fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(client->fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(client->fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      if (error != nullptr) *error = "connect failed";
      return nullptr;
    }
    if (tls == nullptr) return client;

    client->ssl_ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(client->ssl_ctx_, tls->trusted_ca.c_str(), nullptr);
    SSL_CTX_set_verify(client->ssl_ctx_, SSL_VERIFY_PEER, nullptr);
    if (tls->max_version != 0) {
      SSL_CTX_set_min_proto_version(client->ssl_ctx_, 0);
      SSL_CTX_set_max_proto_version(client->ssl_ctx_, tls->max_version);
      SSL_CTX_set_security_level(client->ssl_ctx_, 0);  // allow the old protocol to be offered
      SSL_CTX_set_cipher_list(client->ssl_ctx_, "ALL:@SECLEVEL=0");
    }
    if (tls->client_cert) {
      SSL_CTX_use_certificate_file(client->ssl_ctx_, tls->client_cert->c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(client->ssl_ctx_, tls->client_key->c_str(), SSL_FILETYPE_PEM);
    }
    client->ssl_ = SSL_new(client->ssl_ctx_);
    SSL_set_fd(client->ssl_, client->fd_);
    SSL_set1_host(client->ssl_, "127.0.0.1");
    if (SSL_connect(client->ssl_) != 1) {
      if (error != nullptr) {
        char reason[256];
        ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
        *error = reason;
      }
      ERR_clear_error();
      return nullptr;
    }
    return client;
  }

  ~TestClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
    if (fd_ >= 0) ::close(fd_);
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const long written = ssl_ != nullptr
                               ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                               : ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (written <= 0) {
        ERR_clear_error();
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
  }

  // Reads one response (1xx ones too); nullopt on EOF, error or timeout.
  std::optional<ParsedResponse> ReadResponse(bool head = false) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore()) return std::nullopt;
    }
    ParsedResponse response;
    std::istringstream lines(buffer_.substr(0, end));
    buffer_.erase(0, end + 4);
    std::string line;
    std::getline(lines, line);
    if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return std::nullopt;
    response.status = std::stoi(line.substr(9, 3));
    std::size_t content_length = 0;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) return std::nullopt;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") content_length = std::stoul(value);
      response.headers.emplace_back(std::move(name), std::move(value));
    }
    if (head || response.status < 200 || response.status == 204 || response.status == 304) {
      return response;
    }
    if (response.Header("transfer-encoding") == "chunked") {
      // RFC 9112 §7.1: size line, data, CRLF; a zero size ends the body (no trailers here).
      for (;;) {
        std::size_t line_end;
        while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
          if (!ReadMore()) return std::nullopt;
        }
        const std::size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
        buffer_.erase(0, line_end + 2);
        while (buffer_.size() < size + 2) {
          if (!ReadMore()) return std::nullopt;
        }
        response.body += buffer_.substr(0, size);
        buffer_.erase(0, size + 2);
        if (size == 0) return response;
      }
    }
    while (buffer_.size() < content_length) {
      if (!ReadMore()) return std::nullopt;
    }
    response.body = buffer_.substr(0, content_length);
    buffer_.erase(0, content_length);
    return response;
  }

  // True when the server closes (or resets) the connection without sending a byte.
  bool ReadsEof() {
    if (!buffer_.empty()) return false;
    return !ReadMore() && buffer_.empty() && !last_read_timed_out_;
  }

 private:
  TestClient() = default;

  bool ReadMore() {
    char chunk[16384];
    last_read_timed_out_ = false;
    long got;
    if (ssl_ != nullptr) {
      got = SSL_read(ssl_, chunk, sizeof(chunk));
      if (got <= 0) {
        const int reason = SSL_get_error(ssl_, static_cast<int>(got));
        last_read_timed_out_ =
            reason == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK);
        ERR_clear_error();
        return false;
      }
    } else {
      got = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (got <= 0) {
        last_read_timed_out_ = got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        return false;
      }
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  int fd_ = -1;
  SSL_CTX* ssl_ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  bool last_read_timed_out_ = false;
};

std::string SimpleRequest(std::string_view method, std::string_view target,
                          const std::vector<std::string>& extra_headers = {},
                          std::string_view body = {}) {
  std::string request = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  request += "Host: 127.0.0.1\r\n";
  for (const auto& header : extra_headers) request += header + "\r\n";
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n";
  request += body;
  return request;
}

// ---------------------------------------------------------------------------------------
// A handler that records every request and answers according to the target.

class RecordingHandler : public RequestHandler {
 public:
  // Targets under /stream/ take their body as a stream: echo reads it to the end on its own
  // thread and answers with what arrived; ignore answers at once without reading.
  bool WantsBodyStream(const Request& head) const override {
    return head.target.rfind("/stream/", 0) == 0;
  }

  void Handle(Request request, Respond respond) override {
    const std::string target = request.target;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    changed_.notify_all();
    if (target == "/slow") {
      std::thread([respond] {
        std::this_thread::sleep_for(600ms);
        respond(Reply(200, {}, "slow done"));
      }).detach();
      return;
    }
    if (target == "/slower") {  // longer than the read and idle timeouts
      std::thread([respond] {
        std::this_thread::sleep_for(1500ms);
        respond(Reply(200, {}, "slower done"));
      }).detach();
      return;
    }
    if (target == "/stream/echo") {
      std::thread([body = request.body_stream, respond] {
        const testing::Drained drained = testing::Drain(*body);
        if (!drained.body.ok()) {
          respond(Reply(499, {}, CodeName(drained.body.code())));
          return;
        }
        respond(Reply(200, {},
                      "bytes=" + std::to_string(drained.body->size()) +
                          " largest=" + std::to_string(drained.largest_piece) +
                          " sha256=" + HexEncode(crypto::Sha256(AsBytes(*drained.body)))));
      }).detach();
      return;
    }
    if (target == "/stream/ignore") {
      respond(Reply(200, {}, "not read"));
      return;
    }
    if (target.rfind("/download", 0) == 0) {
      // 3 pieces of 100 000 bytes; /download-chunked declares no length; /download-broken
      // fails after the first piece.
      const bool chunked = target == "/download-chunked";
      const bool broken = target == "/download-broken";
      std::vector<std::string> pieces = {std::string(100000, 'a'), std::string(100000, 'b')};
      if (!broken) pieces.push_back(std::string(100000, 'c'));
      Response response = Reply(200, {{"content-type", "application/octet-stream"}}, "");
      response.body_stream = std::make_shared<testing::ScriptedBody>(
          pieces, chunked ? std::nullopt : std::optional<std::uint64_t>(300000),
          broken ? std::optional<Error>(Error{Code::kHttpBodyIncomplete, "upstream left"})
                 : std::nullopt);
      respond(std::move(response));
      return;
    }
    if (target == "/throw") throw std::runtime_error("database password is hunter2");
    if (target == "/drop") return;  // drops the Respond without calling it
    if (target == "/twice") {
      respond(Reply(200, {}, "first"));
      respond(Reply(201, {}, "second"));
      return;
    }
    if (target == "/bad-header") {
      respond(Reply(200, {{"x-bad", "a\r\nInjected: 1"}}, "x"));
      return;
    }
    if (target == "/hop") {
      respond(Reply(200,
                    {{"connection", "x-internal"},
                     {"x-internal", "1"},
                     {"transfer-encoding", "chunked"},
                     {"keep-alive", "timeout=1"},
                     {"server", "upstream/1.0"},
                     {"content-length", "999"},
                     {"x-kept", "yes"}},
                    "hop"));
      return;
    }
    if (target == "/cert") {
      respond(Reply(200, {}, request.client_certificate_pem.value_or("none")));
      return;
    }
    respond(Reply(200, {{"content-type", "text/plain"}},
                  request.method + " " + request.target + " " + request.body));
  }

  std::size_t count() {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  Request last() {
    std::lock_guard lock(mutex_);
    return requests_.back();
  }
  bool WaitForCount(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Request> requests_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The raw test client writes with plain write(2): a server that closes first must
    // show up as a failed write, not kill the test binary.
    std::signal(SIGPIPE, SIG_IGN);
    pki_ = new TestPki(MakeTestPki());
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  ServerOptions Options() {
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.tls = ServerTls{pki_->server_cert, pki_->server_key, std::nullopt, false};
    options.threads = 2;
    options.max_header_bytes = 4096;
    options.max_body_bytes = 1024;
    options.read_timeout_seconds = 1;
    options.idle_timeout_seconds = 1;
    options.on_transport_event = [this](TransportEvent event) {
      std::lock_guard lock(events_mutex_);
      ++events_[event];
    };
    return options;
  }

  void StartServer(ServerOptions options) {
    auto server = HttpServer::Create(std::move(options), handler_);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
    server_->Start();
  }

  ClientTls Trusting() const { return ClientTls{pki_->ca_cert, std::nullopt, std::nullopt, 0}; }

  std::unique_ptr<TestClient> ConnectTls() {
    const ClientTls tls = Trusting();
    std::string error;
    auto client = TestClient::Connect(server_->port(), &tls, &error);
    EXPECT_NE(client, nullptr) << error;
    return client;
  }

  int EventCount(TransportEvent event) {
    std::lock_guard lock(events_mutex_);
    return events_[event];
  }

  static TestPki* pki_;
  RecordingHandler handler_;
  std::mutex events_mutex_;
  std::map<TransportEvent, int> events_;
  // Last, so it is destroyed (and its threads joined) before what its callbacks touch.
  std::unique_ptr<HttpServer> server_;
};

TestPki* HttpServerTest::pki_ = nullptr;

TEST_F(HttpServerTest, ServesGetOverTls) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(
      SimpleRequest("GET", "/v1/items?x=1", {"X-Trace: a", "Accept: text/plain", "x-trace: b"})));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /v1/items?x=1 ");
  EXPECT_EQ(response->Header("server"), "ztm-gateway");
  EXPECT_TRUE(response->Header("date"));
  EXPECT_EQ(response->Header("content-type"), "text/plain");

  const Request seen = handler_.last();
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/v1/items?x=1");
  EXPECT_TRUE(seen.tls);
  EXPECT_EQ(seen.peer_address, "127.0.0.1");
  EXPECT_FALSE(seen.client_certificate_pem);
  // Lowercase names, repeated fields kept with their values in order (grouped).
  const HeaderList expected = {
      {"host", "127.0.0.1"}, {"x-trace", "a"}, {"x-trace", "b"}, {"accept", "text/plain"}};
  EXPECT_EQ(seen.headers, expected);
  EXPECT_EQ(seen.CombinedHeader("x-trace"), "a, b");
}

TEST_F(HttpServerTest, ServesPostBodyAndChunkedBody) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(
      SimpleRequest("POST", "/orders", {"Content-Type: application/json"}, "{\"qty\":2}")));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /orders {\"qty\":2}");

  ASSERT_TRUE(
      client->Send("POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /chunked abcde");
  // The decoded body reached the handler; the framing field did not.
  EXPECT_FALSE(handler_.last().Header("transfer-encoding"));
}

TEST_F(HttpServerTest, KeepsConnectionAliveAndPipelines) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client->Send(SimpleRequest("GET", "/n" + std::to_string(i))));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "GET /n" + std::to_string(i) + " ");
    EXPECT_NE(response->Header("connection"), "close");
  }
  // Two requests in one write: answered in order on the same connection.
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/p1") + SimpleRequest("GET", "/p2")));
  auto first = client->ReadResponse();
  auto second = client->ReadResponse();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "GET /p1 ");
  EXPECT_EQ(second->body, "GET /p2 ");
  EXPECT_EQ(handler_.count(), 4u);
}

TEST_F(HttpServerTest, HonoursConnectionClose) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/bye", {"Connection: close"})));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(client->ReadsEof());
}

TEST_F(HttpServerTest, HandlerMayTakeLongerThanReadTimeout) {
  StartServer(Options());  // read and idle timeouts 1 s
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/slower")));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slower done");
  ASSERT_TRUE(client->Send(SimpleRequest("POST", "/slower", {}, "with a body")));
  response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "slower done");
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedSilently) {
  StartServer(Options());  // idle timeout 1 s
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/")));
  ASSERT_TRUE(client->ReadResponse());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client->ReadsEof());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(EventCount(TransportEvent::kReadTimeout), 0);
}

TEST_F(HttpServerTest, HeaderOverLimitIs431AndNeverHandled) {
  StartServer(Options());  // 4 KiB of header
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/", {"X-Big: " + std::string(6000, 'a')})));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_EQ(response->body, "{\"error\":\"request_header_too_large\"}");
  EXPECT_EQ(handler_.count(), 0u);
  EXPECT_EQ(EventCount(TransportEvent::kHeaderTooLarge), 1);
}

TEST_F(HttpServerTest, BodyOverLimitIs413AndNeverHandled) {
  StartServer(Options());  // 1 KiB of body
  {
    // Declared length over the cap: refused from the header alone.
    auto client = ConnectTls();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 4096\r\n\r\n"));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(response->Header("connection"), "close");
  }
  {
    // Chunked: no length up front; refused once the body passes the cap.
    auto client = ConnectTls();
    ASSERT_NE(client, nullptr);
    std::string chunk(800, 'b');
    ASSERT_TRUE(
        client->Send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "320\r\n" +
                     chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
  }
  {
    // Expect: 100-continue with a length over the cap: 413 and no 100 Continue.
    auto client = ConnectTls();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send(
        "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
  }
  EXPECT_EQ(handler_.count(), 0u);
  EXPECT_EQ(EventCount(TransportEvent::kBodyTooLarge), 3);
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(
      "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client->ReadResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client->Send("hello"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /up hello");
}

TEST_F(HttpServerTest, StalledRequestGets408WithinReadTimeout) {
  StartServer(Options());  // read timeout 1 s
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client->Send("POST /slowloris HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_EQ(response->Header("connection"), "close");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(handler_.count(), 0u);
  EXPECT_EQ(EventCount(TransportEvent::kReadTimeout), 1);

  // Half a header line stalls the same way.
  auto dribbler = ConnectTls();
  ASSERT_NE(dribbler, nullptr);
  ASSERT_TRUE(dribbler->Send("GET / HTTP/1.1\r\nHost: h\r\nX-Par"));
  response = dribbler->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
}

TEST_F(HttpServerTest, MalformedRequestsAre400) {
  StartServer(Options());
  const std::vector<std::string> malformed = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",                            // no Host (RFC 9112 §3.2)
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",      // two Hosts
      "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",  // space in a field name
      // Request smuggling shapes: both framings, or two lengths.
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      // Codings other than a final chunked: the body would be read as the next request.
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
      "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n"
      "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"
      "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",  // RFC 9112 §6.1
  };
  for (const auto& request : malformed) {
    auto client = ConnectTls();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send(request));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response) << request;
    EXPECT_EQ(response->status, 400) << request;
    EXPECT_EQ(response->body, "{\"error\":\"bad_request\"}");
  }
  EXPECT_EQ(handler_.count(), 0u);
  EXPECT_EQ(EventCount(TransportEvent::kBadRequest), static_cast<int>(malformed.size()));
}

// An error answered on a kept-alive connection is framed for the request it answers, not for
// the HEAD before it (a 400 after a HEAD still carries its body).
TEST_F(HttpServerTest, ErrorAfterHeadRequestHasItsBody) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("HEAD", "/")));
  ASSERT_TRUE(client->ReadResponse(/*head=*/true));
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, "{\"error\":\"bad_request\"}");
}

TEST_F(HttpServerTest, ConsumesHopByHopFieldsBothWays) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest(
      "GET", "/hop",
      {"Connection: keep-alive, X-Secret", "X-Secret: 1", "Keep-Alive: timeout=5", "TE: trailers",
       "Upgrade: h2c", "Proxy-Authorization: Basic Zm9vOmJhcg==", "X-End-To-End: kept"})));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  const HeaderList expected = {{"host", "127.0.0.1"}, {"x-end-to-end", "kept"}};
  EXPECT_EQ(handler_.last().headers, expected);

  // The handler's hop-by-hop fields, Server and Content-Length are replaced by the server's.
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hop");
  EXPECT_EQ(response->Header("content-length"), "3");
  EXPECT_EQ(response->Header("server"), "ztm-gateway");
  EXPECT_EQ(response->Header("x-kept"), "yes");
  EXPECT_FALSE(response->Header("x-internal"));
  EXPECT_FALSE(response->Header("transfer-encoding"));
  EXPECT_FALSE(response->Header("keep-alive"));
  // The connection stays usable.
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/after")));
  ASSERT_TRUE(client->ReadResponse());
}

TEST_F(HttpServerTest, HandlerFailuresBecomeGeneric500) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  for (const char* target : {"/throw", "/drop", "/bad-header"}) {
    ASSERT_TRUE(client->Send(SimpleRequest("GET", target)));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 500) << target;
    EXPECT_EQ(response->body, "{\"error\":\"internal_error\"}") << target;
    EXPECT_FALSE(response->Header("x-bad"));
    EXPECT_FALSE(response->Header("injected"));
  }
  // A second Respond call is ignored: the next request still gets its own answer.
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/twice")));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "first");
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/next")));
  response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /next ");
}

TEST_F(HttpServerTest, HeadResponsesHaveNoBody) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("HEAD", "/doc")));
  auto response = client->ReadResponse(/*head=*/true);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("content-length"), "10");  // "HEAD /doc "
  // No body bytes followed: the next response parses cleanly.
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/x")));
  response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /x ");
}

TEST_F(HttpServerTest, RefusesTls11) {
  StartServer(Options());
  ClientTls tls = Trusting();
  tls.max_version = TLS1_1_VERSION;
  std::string error;
  EXPECT_EQ(TestClient::Connect(server_->port(), &tls, &error), nullptr);
  EXPECT_EQ(handler_.count(), 0u);
}

TEST_F(HttpServerTest, PlainHttpToTlsPortFailsHandshake) {
  StartServer(Options());
  auto client = TestClient::Connect(server_->port(), nullptr);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/")));
  EXPECT_FALSE(client->ReadResponse());
  for (int i = 0; i < 50 && EventCount(TransportEvent::kTlsHandshakeFailed) == 0; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(EventCount(TransportEvent::kTlsHandshakeFailed), 1);
  EXPECT_EQ(handler_.count(), 0u);
}

class MutualTlsTest : public HttpServerTest {
 protected:
  void StartWithClientCa(bool require) {
    ServerOptions options = Options();
    options.tls->client_ca_file = pki_->client_ca_cert;
    options.tls->require_client_certificate = require;
    StartServer(std::move(options));
  }

  // A request over a fresh connection; nullopt if the handshake or the exchange fails.
  std::optional<ParsedResponse> Fetch(const ClientTls& tls) {
    auto client = TestClient::Connect(server_->port(), &tls);
    if (client == nullptr) return std::nullopt;
    // In TLS 1.3 the server checks the client's certificate after the client's handshake
    // has completed: a refusal shows as a failed first exchange.
    if (!client->Send(SimpleRequest("GET", "/cert"))) return std::nullopt;
    return client->ReadResponse();
  }

  ClientTls WithClientCert(bool rogue = false) const {
    ClientTls tls = Trusting();
    tls.client_cert = rogue ? pki_->rogue_client_cert : pki_->client_cert;
    tls.client_key = rogue ? pki_->rogue_client_key : pki_->client_key;
    return tls;
  }
};

TEST_F(MutualTlsTest, RequiredCertificateMissingFailsHandshake) {
  StartWithClientCa(/*require=*/true);
  EXPECT_FALSE(Fetch(Trusting()));
  EXPECT_EQ(handler_.count(), 0u);
  for (int i = 0; i < 50 && EventCount(TransportEvent::kTlsHandshakeFailed) == 0; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(EventCount(TransportEvent::kTlsHandshakeFailed), 1);
}

TEST_F(MutualTlsTest, CertificateFromClientCaIsAcceptedAndExposed) {
  StartWithClientCa(/*require=*/true);
  auto response = Fetch(WithClientCert());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, ReadFileOrDie(pki_->client_cert));
  EXPECT_EQ(handler_.last().client_certificate_pem, ReadFileOrDie(pki_->client_cert));
}

TEST_F(MutualTlsTest, UntrustedCertificateFailsEvenWhenOptional) {
  StartWithClientCa(/*require=*/false);
  EXPECT_FALSE(Fetch(WithClientCert(/*rogue=*/true)));
  EXPECT_EQ(handler_.count(), 0u);
}

TEST_F(MutualTlsTest, OptionalCertificateMayBeAbsent) {
  StartWithClientCa(/*require=*/false);
  auto response = Fetch(Trusting());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "none");
  response = Fetch(WithClientCert());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, ReadFileOrDie(pki_->client_cert));
}

TEST_F(HttpServerTest, StopLetsInFlightRequestFinish) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/slow")));
  ASSERT_TRUE(handler_.WaitForCount(1));
  // An idle kept-alive connection is closed at once by Stop().
  auto idle = ConnectTls();
  ASSERT_NE(idle, nullptr);

  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] { server_->Stop(5); });
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slow done");
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(idle->ReadsEof());
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);

  // No longer accepting; Stop() again is a no-op.
  std::string error;
  const ClientTls tls = Trusting();
  EXPECT_EQ(TestClient::Connect(server_->port(), &tls, &error, 1000), nullptr);
  server_->Stop(5);
}

TEST_F(HttpServerTest, StopGraceBoundsASlowHandler) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/slow")));  // answers after 600 ms
  ASSERT_TRUE(handler_.WaitForCount(1));
  const auto start = std::chrono::steady_clock::now();
  server_->Stop(0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(client->ReadResponse());
  server_.reset();  // the handler's late Respond must find nothing dangling
  std::this_thread::sleep_for(800ms);
}

TEST_F(HttpServerTest, ConcurrentStopsAreSafe) {
  StartServer(Options());
  std::vector<std::thread> stoppers;
  for (int i = 0; i < 3; ++i) stoppers.emplace_back([&] { server_->Stop(1); });
  for (auto& thread : stoppers) thread.join();
  server_.reset();
}

TEST_F(HttpServerTest, PlaintextWhenTlsIsAbsent) {
  ServerOptions options = Options();
  options.tls.reset();
  StartServer(std::move(options));
  auto client = TestClient::Connect(server_->port(), nullptr);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("POST", "/plain", {}, "body")));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /plain body");
  EXPECT_FALSE(handler_.last().tls);

  // The lingering close keeps a 413 readable even while the client still sends its body.
  auto uploader = TestClient::Connect(server_->port(), nullptr);
  ASSERT_NE(uploader, nullptr);
  ASSERT_TRUE(uploader->Send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
                             std::string("4000\r\n") + std::string(0x4000, 'z') + "\r\n"));
  response = uploader->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

TEST_F(HttpServerTest, ConnectionLimitClosesExtraConnections) {
  ServerOptions options = Options();
  options.max_connections = 1;
  StartServer(std::move(options));
  auto first = ConnectTls();
  ASSERT_NE(first, nullptr);
  const ClientTls tls = Trusting();
  std::string error;
  EXPECT_EQ(TestClient::Connect(server_->port(), &tls, &error, 2000), nullptr);
  EXPECT_EQ(EventCount(TransportEvent::kConnectionLimit), 1);
  ASSERT_TRUE(first->Send(SimpleRequest("GET", "/still-fine")));
  EXPECT_TRUE(first->ReadResponse());
}

// A body the handler takes as a stream arrives in bounded pieces (max_body_bytes still applies,
// counted as it streams).
TEST_F(HttpServerTest, StreamedRequestBodyArrivesInPieces) {
  ServerOptions options = Options();
  options.max_body_bytes = 1024 * 1024;
  StartServer(std::move(options));
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  const std::string body(300000, 'q');
  const std::string expected = "bytes=300000 largest=";
  ASSERT_TRUE(client->Send(SimpleRequest("POST", "/stream/echo", {}, body)));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->body.rfind(expected, 0), 0u) << response->body;
  EXPECT_NE(response->body.find(HexEncode(crypto::Sha256(AsBytes(body)))), std::string::npos);
  const std::size_t largest = std::stoul(response->body.substr(expected.size()));
  EXPECT_LE(largest, kBodyChunkBytes);
  EXPECT_TRUE(handler_.last().body.empty());
  EXPECT_EQ(handler_.last().body_stream->declared_length(), 300000u);

  // Chunked, on the same kept-alive connection (the body was read to its end).
  ASSERT_TRUE(
      client->Send("POST /stream/echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body.rfind("bytes=5 ", 0), 0u) << response->body;
  EXPECT_EQ(handler_.last().body_stream->declared_length(), std::nullopt);
}

TEST_F(HttpServerTest, StreamedRequestBodyKeepsLimitAndTimeout) {
  StartServer(Options());  // 1 KiB of body, read timeout 1 s
  {
    // Chunked past the limit: the stream fails with kInputTooLarge.
    auto client = ConnectTls();
    ASSERT_NE(client, nullptr);
    const std::string chunk(800, 'b');
    ASSERT_TRUE(client->Send(
        "POST /stream/echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" +
        chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "input_too_large");
    EXPECT_EQ(response->Header("connection"), "close");
  }
  {
    // A body that stalls: kHttpBodyTimeout after the read timeout.
    auto client = ConnectTls();
    ASSERT_NE(client, nullptr);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(
        client->Send("POST /stream/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "http_body_timeout");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  }
  EXPECT_EQ(EventCount(TransportEvent::kBodyTooLarge), 1);
  EXPECT_EQ(EventCount(TransportEvent::kReadTimeout), 1);
}

TEST_F(HttpServerTest, UnreadStreamedBodyClosesTheConnection) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  // The handler answers without reading: the rest of the body would be taken for the next
  // request if the connection stayed open.
  ASSERT_TRUE(client->Send(SimpleRequest("POST", "/stream/ignore", {}, "GET /smuggled HTTP/1.1")));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "not read");
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_FALSE(client->ReadResponse());
  EXPECT_EQ(handler_.count(), 1u);
}

// A streamed body is invited (100 Continue) only when the handler reads it: a request it
// refuses on the header alone gets the final answer without the invitation.
TEST_F(HttpServerTest, StreamedBodyIsInvitedOnlyWhenRead) {
  StartServer(Options());
  {
    auto client = ConnectTls();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(
        client->Send("POST /stream/ignore HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                     "Expect: 100-continue\r\n\r\n"));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "not read");
  }
  {
    auto client = ConnectTls();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(
        client->Send("POST /stream/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                     "Expect: 100-continue\r\n\r\n"));
    auto interim = client->ReadResponse();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(client->Send("hello"));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body.rfind("bytes=5 ", 0), 0u) << response->body;
  }
}

TEST_F(HttpServerTest, StreamsResponseBodies) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  const std::string expected =
      std::string(100000, 'a') + std::string(100000, 'b') + std::string(100000, 'c');
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/download")));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("content-length"), "300000");
  EXPECT_TRUE(response->body == expected);
  // Chunked when no length is declared; the connection stays usable.
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/download-chunked")));
  response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("transfer-encoding"), "chunked");
  EXPECT_FALSE(response->Header("content-length"));
  EXPECT_TRUE(response->body == expected);
  // HEAD: the length, no content.
  ASSERT_TRUE(client->Send(SimpleRequest("HEAD", "/download")));
  response = client->ReadResponse(/*head=*/true);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("content-length"), "300000");
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/")));
  response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET / ");
}

TEST_F(HttpServerTest, FailingResponseStreamTruncatesAndCloses) {
  StartServer(Options());
  auto client = ConnectTls();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(SimpleRequest("GET", "/download-broken")));
  // 300 000 bytes declared, 100 000 sent, then the connection closes: never a whole response.
  EXPECT_FALSE(client->ReadResponse());
}

TEST_F(HttpServerTest, CreateRefusesMismatchedKey) {
  ServerOptions options = Options();
  options.tls->private_key_file = pki_->other_key;
  auto server = HttpServer::Create(std::move(options), handler_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.code(), Code::kHttpTlsSetupFailed);
  EXPECT_NE(server.error().message.find("does not match the certificate"), std::string::npos)
      << server.error().message;
}

TEST_F(HttpServerTest, CreateRefusesUnreadableOrInvalidTlsFiles) {
  ServerOptions missing = Options();
  missing.tls->certificate_file = pki_->dir + "/nope.pem";
  auto server = HttpServer::Create(std::move(missing), handler_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.code(), Code::kHttpTlsSetupFailed);
  EXPECT_NE(server.error().message.find("cannot read certificate file"), std::string::npos)
      << server.error().message;

  ServerOptions swapped = Options();  // a key where the certificate belongs
  swapped.tls->certificate_file = pki_->server_key;
  server = HttpServer::Create(std::move(swapped), handler_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().message.find("no usable PEM certificate"), std::string::npos)
      << server.error().message;

  ServerOptions no_key = Options();
  no_key.tls->private_key_file = pki_->server_cert;
  server = HttpServer::Create(std::move(no_key), handler_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().message.find("no usable PEM private key"), std::string::npos)
      << server.error().message;

  ServerOptions bad_ca = Options();
  bad_ca.tls->client_ca_file = pki_->server_key;
  server = HttpServer::Create(std::move(bad_ca), handler_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.code(), Code::kHttpTlsSetupFailed);
}

TEST_F(HttpServerTest, CreateRefusesPortInUse) {
  StartServer(Options());
  ServerOptions options = Options();
  options.port = server_->port();
  auto second = HttpServer::Create(std::move(options), handler_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), Code::kHttpListenFailed);
  EXPECT_NE(second.error().message.find("127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos);
  EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
}

TEST_F(HttpServerTest, CreateRefusesBadOptions) {
  ServerOptions address = Options();
  address.address = "localhost";
  EXPECT_EQ(HttpServer::Create(std::move(address), handler_).code(), Code::kHttpListenFailed);
  ServerOptions threads = Options();
  threads.threads = -1;
  EXPECT_EQ(HttpServer::Create(std::move(threads), handler_).code(), Code::kInvalidArgument);
  ServerOptions timeout = Options();
  timeout.read_timeout_seconds = 0;
  EXPECT_EQ(HttpServer::Create(std::move(timeout), handler_).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ztm::server::http
