// UpstreamClient against a plain Beast test server on 127.0.0.1: what reaches the wire
// (Host, prefix, framing, no hop-by-hop fields), what comes back, and the failure answers
// (502 when down or broken, 504 on timeout, bounded response size). Also ParseUpstreamUrl.
#include "server/http/upstream.h"

#include "server/http/body_test_support.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace ztm::server::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Serves each accepted connection with `serve` on one background thread.
class FakeUpstream {
 public:
  explicit FakeUpstream(std::function<void(tcp::socket&)> serve)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        serve_(std::move(serve)),
        thread_([this] { Loop(); }) {}

  ~FakeUpstream() {
    stop_ = true;
    // Wake the blocking accept with one last connection.
    boost::system::error_code ignored;
    tcp::socket waker(io_);
    waker.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // The last request the server parsed (see ReadRequest).
  bhttp::request<bhttp::string_body> last_request() {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

  // Reads one request from `socket` and records it.
  bool ReadRequest(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    boost::system::error_code ec;
    bhttp::read(socket, buffer, request, ec);
    if (ec) return false;
    std::lock_guard lock(mutex_);
    last_request_ = std::move(request);
    return true;
  }

 private:
  void Loop() {
    while (!stop_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      serve_(socket);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::function<void(tcp::socket&)> serve_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  bhttp::request<bhttp::string_body> last_request_;
  std::thread thread_;
};

void WriteRaw(tcp::socket& socket, const std::string& bytes) {
  boost::system::error_code ignored;
  asio::write(socket, asio::buffer(bytes), ignored);
}

Request MakeRequest(std::string method, std::string target, HeaderList headers = {}) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = std::move(headers);
  return request;
}

// Forwards `request` and waits for the answer's header.
Response ForwardForHeader(UpstreamClient& client, Request request) {
  auto promise = std::make_shared<std::promise<Response>>();
  auto future = promise->get_future();
  client.Forward(std::move(request),
                 [promise](Response response) { promise->set_value(std::move(response)); });
  EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
  return future.get();
}

// Forwards `request` and waits for the whole answer (its streamed content read into body).
Response ForwardAndWait(UpstreamClient& client, Request request) {
  Response response = ForwardForHeader(client, std::move(request));
  if (response.body_stream != nullptr) {
    EXPECT_TRUE(response.body.empty());
    testing::Drained drained = testing::Drain(*response.body_stream);
    EXPECT_TRUE(drained.body.ok()) << drained.body.error().message;
    if (drained.body.ok()) response.body = *drained.body;
    response.body_stream.reset();
  }
  return response;
}

std::unique_ptr<UpstreamClient> MakeClient(const std::string& url, std::int64_t timeout = 5) {
  auto client = UpstreamClient::Create(url, timeout);
  EXPECT_TRUE(client.ok()) << client.error().message;
  return std::move(client).value();
}

std::optional<std::string> HeaderOf(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

TEST(UpstreamClientTest, ForwardsRequestAndResponse) {
  FakeUpstream* self = nullptr;
  FakeUpstream upstream([&](tcp::socket& socket) {
    if (!self->ReadRequest(socket)) return;
    WriteRaw(
        socket,
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        "Connection: close, X-Hop\r\nX-Hop: internal\r\nKeep-Alive: timeout=5\r\n"
        "X-Upstream: yes\r\nX-Upstream: twice\r\nContent-Length: 13\r\n\r\n{\"id\":\"o-1\"}\n");
  });
  self = &upstream;
  auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()) + "/api/");

  Request request;
  request.method = "POST";
  request.target = "/v1/orders?x=1";
  request.headers = {{"host", "gateway.example"},
                     {"content-type", "application/json"},
                     {"connection", "x-drop"},
                     {"x-drop", "1"},
                     {"te", "trailers"},
                     {"content-length", "999"},
                     {"transfer-encoding", "chunked"},
                     {"x-ztm-subject", "alice"},
                     {"expect", "100-continue"}};
  request.body = "{\"qty\":2}";
  const Response response = ForwardAndWait(*client, request);

  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "{\"id\":\"o-1\"}\n");
  EXPECT_EQ(HeaderOf(response, "content-type"), "application/json");
  EXPECT_EQ(HeaderOf(response, "x-upstream"), "yes");
  EXPECT_FALSE(HeaderOf(response, "connection"));
  EXPECT_FALSE(HeaderOf(response, "x-hop"));
  EXPECT_FALSE(HeaderOf(response, "keep-alive"));
  int upstream_values = 0;
  for (const auto& [name, value] : response.headers) upstream_values += name == "x-upstream";
  EXPECT_EQ(upstream_values, 2);

  const auto seen = upstream.last_request();
  EXPECT_EQ(seen.method_string(), "POST");
  EXPECT_EQ(seen.target(), "/api/v1/orders?x=1");
  EXPECT_EQ(seen[bhttp::field::host], "127.0.0.1:" + std::to_string(upstream.port()));
  EXPECT_EQ(seen[bhttp::field::content_length], "9");
  EXPECT_EQ(seen[bhttp::field::content_type], "application/json");
  EXPECT_EQ(seen["x-ztm-subject"], "alice");
  EXPECT_EQ(seen.body(), "{\"qty\":2}");
  EXPECT_EQ(seen.count("x-drop"), 0u);
  EXPECT_EQ(seen.count(bhttp::field::te), 0u);
  EXPECT_EQ(seen.count(bhttp::field::transfer_encoding), 0u);
  EXPECT_EQ(seen.count(bhttp::field::expect), 0u);
  EXPECT_EQ(seen[bhttp::field::connection], "close");  // one connection per request
}

TEST(UpstreamClientTest, HeadResponseKeepsLengthWithoutBody) {
  FakeUpstream* self = nullptr;
  FakeUpstream upstream([&](tcp::socket& socket) {
    if (!self->ReadRequest(socket)) return;
    WriteRaw(socket, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  });
  self = &upstream;
  auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()));
  Request request = MakeRequest("HEAD", "/file");
  const Response response = ForwardAndWait(*client, request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(HeaderOf(response, "content-length"), "1234");
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(upstream.last_request().target(), "/file");
}

TEST(UpstreamClientTest, SkipsInterimResponses) {
  FakeUpstream* self = nullptr;
  FakeUpstream upstream([&](tcp::socket& socket) {
    if (!self->ReadRequest(socket)) return;
    WriteRaw(socket, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  self = &upstream;
  auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()));
  const Response response = ForwardAndWait(*client, MakeRequest("GET", "/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
}

TEST(UpstreamClientTest, UnreachableUpstreamIs502) {
  std::uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  auto client = MakeClient("http://127.0.0.1:" + std::to_string(port));
  const Response response = ForwardAndWait(*client, MakeRequest("GET", "/"));
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.body, "{\"error\":\"upstream_unavailable\"}");
  EXPECT_EQ(HeaderOf(response, "content-type"), "application/json");
}

TEST(UpstreamClientTest, SlowUpstreamIs504WithinTimeout) {
  FakeUpstream* self = nullptr;
  FakeUpstream upstream([&](tcp::socket& socket) {
    self->ReadRequest(socket);
    // Never answer; wait for the client to give up and close.
    char byte;
    boost::system::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
  });
  self = &upstream;
  auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()), /*timeout=*/1);
  const auto start = std::chrono::steady_clock::now();
  const Response response = ForwardAndWait(*client, MakeRequest("GET", "/"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response.status, 504);
  EXPECT_EQ(response.body, "{\"error\":\"upstream_timeout\"}");
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(UpstreamClientTest, OversizedOrBrokenResponseHeadersAre502) {
  const std::vector<std::string> answers = {
      "HTTP/1.1 200 OK\r\nX-Huge: " + std::string(kMaxUpstreamResponseHeaderBytes, 'h') +
          "\r\n\r\n",
      "this is not HTTP\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
  };
  for (const auto& answer : answers) {
    FakeUpstream* self = nullptr;
    FakeUpstream upstream([&](tcp::socket& socket) {
      if (!self->ReadRequest(socket)) return;
      WriteRaw(socket, answer);
    });
    self = &upstream;
    auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()));
    const Response response = ForwardAndWait(*client, MakeRequest("GET", "/"));
    EXPECT_EQ(response.status, 502) << answer.substr(0, 40);
    EXPECT_EQ(response.body, "{\"error\":\"bad_upstream_response\"}") << answer.substr(0, 40);
  }
}

TEST(UpstreamClientTest, ResponseCutShortFailsItsStream) {
  FakeUpstream* self = nullptr;
  FakeUpstream upstream([&](tcp::socket& socket) {
    if (!self->ReadRequest(socket)) return;
    WriteRaw(socket, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");  // then closes
  });
  self = &upstream;
  auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()));
  Response response = ForwardForHeader(*client, MakeRequest("GET", "/"));
  EXPECT_EQ(response.status, 200);
  ASSERT_NE(response.body_stream, nullptr);
  EXPECT_EQ(response.body_stream->declared_length(), 10u);
  const testing::Drained drained = testing::Drain(*response.body_stream);
  ASSERT_FALSE(drained.body.ok());
  EXPECT_EQ(drained.body.code(), Code::kHttpBodyIncomplete);
}

// Bodies far larger than one piece pass through in bounded pieces, with a declared length or
// chunked.
TEST(UpstreamClientTest, LargeResponsesStreamInBoundedPieces) {
  const std::string content(20 * 1024 * 1024 + 7, 'z');
  for (const bool chunked : {false, true}) {
    FakeUpstream* self = nullptr;
    FakeUpstream upstream([&](tcp::socket& socket) {
      if (!self->ReadRequest(socket)) return;
      bhttp::response<bhttp::string_body> answer{bhttp::status::ok, 11};
      answer.body() = content;
      if (chunked) {
        answer.chunked(true);
      } else {
        answer.prepare_payload();
      }
      boost::system::error_code ignored;
      bhttp::write(socket, answer, ignored);
    });
    self = &upstream;
    auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()));
    Response response = ForwardForHeader(*client, MakeRequest("GET", "/download"));
    ASSERT_EQ(response.status, 200);
    ASSERT_NE(response.body_stream, nullptr);
    EXPECT_EQ(response.body_stream->declared_length(),
              chunked ? std::nullopt : std::optional<std::uint64_t>(content.size()));
    const testing::Drained drained = testing::Drain(*response.body_stream);
    ASSERT_TRUE(drained.body.ok()) << drained.body.error().message;
    EXPECT_TRUE(*drained.body == content) << "chunked=" << chunked;
    EXPECT_LE(drained.largest_piece, kBodyChunkBytes);
    EXPECT_GE(drained.pieces, content.size() / kBodyChunkBytes);
  }
}

TEST(UpstreamClientTest, StreamsRequestBodyWithDeclaredLengthOrChunked) {
  const std::vector<std::string> pieces = {"{\"part\":1,", "", std::string(100000, 'b'), "}"};
  std::string whole;
  for (const auto& piece : pieces) whole += piece;
  for (const bool declared : {true, false}) {
    FakeUpstream* self = nullptr;
    FakeUpstream upstream([&](tcp::socket& socket) {
      if (!self->ReadRequest(socket)) return;
      WriteRaw(socket, "HTTP/1.1 204 No Content\r\n\r\n");
    });
    self = &upstream;
    auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()));
    Request request = MakeRequest("PUT", "/upload", {{"content-length", "1"}});
    request.body_stream = std::make_shared<testing::ScriptedBody>(
        pieces, declared ? std::optional<std::uint64_t>(whole.size()) : std::nullopt);
    const Response response = ForwardAndWait(*client, std::move(request));
    EXPECT_EQ(response.status, 204);
    const auto seen = upstream.last_request();
    EXPECT_TRUE(seen.body() == whole);
    if (declared) {
      EXPECT_EQ(seen[bhttp::field::content_length], std::to_string(whole.size()));
      EXPECT_EQ(seen.count(bhttp::field::transfer_encoding), 0u);
    } else {
      EXPECT_EQ(seen[bhttp::field::transfer_encoding], "chunked");
      EXPECT_EQ(seen.count(bhttp::field::content_length), 0u);
    }
  }
}

// A body refused before its first piece is released never reaches the upstream at all: no
// connection, not even a header a lenient upstream could act on with an empty body.
TEST(UpstreamClientTest, BodyRefusedBeforeFirstPieceNeverConnects) {
  std::atomic<int> connections{0};
  FakeUpstream upstream([&](tcp::socket&) { ++connections; });
  auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()));
  Request request = MakeRequest("POST", "/orders");
  request.body_stream = std::make_shared<testing::ScriptedBody>(
      std::vector<std::string>{}, 9, Error{Code::kContentDigestMismatch, "refused"});
  const Response response = ForwardAndWait(*client, std::move(request));
  EXPECT_EQ(response.status, 400);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(connections.load(), 0);
}

// A body that fails mid-way (a refused digest, a stalled client) never reaches the upstream as
// a complete request: the connection closes first, and the client hears the mapped status.
TEST(UpstreamClientTest, FailingRequestBodyNeverCompletesUpstream) {
  struct Case {
    Code code;
    int status;
  };
  for (const Case& failure :
       {Case{Code::kContentDigestMismatch, 400}, Case{Code::kHttpBodyTimeout, 408},
        Case{Code::kInputTooLarge, 413}, Case{Code::kHttpBodyIncomplete, 400}}) {
    for (const bool declared : {true, false}) {
      std::atomic<bool> upstream_read_whole{false};
      std::atomic<bool> upstream_saw_request{false};
      FakeUpstream upstream([&](tcp::socket& socket) {
        boost::beast::flat_buffer buffer;
        bhttp::request<bhttp::string_body> request;
        boost::system::error_code ec;
        bhttp::read(socket, buffer, request, ec);
        upstream_saw_request = true;
        if (!ec) {
          upstream_read_whole = true;
          WriteRaw(socket, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
      });
      auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()));
      Request request = MakeRequest("POST", "/orders");
      request.body_stream = std::make_shared<testing::ScriptedBody>(
          std::vector<std::string>{"abc", "def"},
          declared ? std::optional<std::uint64_t>(9) : std::nullopt,
          Error{failure.code, "refused"});
      const Response response = ForwardAndWait(*client, std::move(request));
      EXPECT_EQ(response.status, failure.status) << CodeName(failure.code);
      // Wait until the upstream has seen the connection end.
      for (int i = 0; i < 200 && !upstream_saw_request; ++i) std::this_thread::sleep_for(10ms);
      EXPECT_TRUE(upstream_saw_request);
      EXPECT_FALSE(upstream_read_whole) << CodeName(failure.code) << " declared=" << declared;
    }
  }
}

TEST(UpstreamClientTest, RefusesRequestsThatCannotBeSentAsIs) {
  auto client = MakeClient("http://127.0.0.1:9");
  // Not origin-form: never sent.
  Response response = ForwardAndWait(*client, MakeRequest("GET", "http://evil/"));
  EXPECT_EQ(response.status, 400);
  response = ForwardAndWait(*client, MakeRequest("GET", "/a b"));
  EXPECT_EQ(response.status, 400);
  // A header value that would inject a line: internal error, never sent.
  response = ForwardAndWait(*client, MakeRequest("GET", "/", {{"x-a", "1\r\nX-Admin: yes"}}));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, "{\"error\":\"internal_error\"}");
  response = ForwardAndWait(*client, MakeRequest("G T", "/"));
  EXPECT_EQ(response.status, 500);
}

TEST(UpstreamClientTest, DestroyingClientAnswersForwardsInFlight) {
  FakeUpstream* self = nullptr;
  FakeUpstream upstream([&](tcp::socket& socket) {
    self->ReadRequest(socket);
    char byte;
    boost::system::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
  });
  self = &upstream;
  auto client = MakeClient("http://127.0.0.1:" + std::to_string(upstream.port()), 30);
  auto promise = std::make_shared<std::promise<Response>>();
  auto future = promise->get_future();
  client->Forward(MakeRequest("GET", "/"),
                  [promise](Response response) { promise->set_value(std::move(response)); });
  std::this_thread::sleep_for(200ms);
  client.reset();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get().status, 502);
}

TEST(ParseUpstreamUrlTest, AcceptsHttpUrls) {
  auto plain = ParseUpstreamUrl("http://api.internal:8080");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->host, "api.internal");
  EXPECT_EQ(plain->port, 8080);
  EXPECT_EQ(plain->host_header, "api.internal:8080");
  EXPECT_EQ(plain->path_prefix, "");

  auto defaults = ParseUpstreamUrl("http://API.example/");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->host, "api.example");
  EXPECT_EQ(defaults->port, 80);
  EXPECT_EQ(defaults->host_header, "api.example");

  auto prefixed = ParseUpstreamUrl("http://10.0.0.5:9000/backend/v2/");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->host, "10.0.0.5");
  EXPECT_EQ(prefixed->path_prefix, "/backend/v2");

  auto ipv6 = ParseUpstreamUrl("http://[::1]:8081");
  ASSERT_TRUE(ipv6.ok());
  EXPECT_EQ(ipv6->host, "::1");
  EXPECT_EQ(ipv6->host_header, "[::1]:8081");
}

TEST(ParseUpstreamUrlTest, RefusesOtherShapes) {
  for (const char* url : {"", "api:8080", "https://api.example", "ftp://x", "http://user:pw@api",
                          "http://api/?q=1", "http://api/#f", "http://api:0", "http://api:65536",
                          "http://api:http", "http://", "http://ex%61mple.com", "/relative/path"}) {
    auto parsed = ParseUpstreamUrl(url);
    EXPECT_FALSE(parsed.ok()) << url;
  }
  auto create = UpstreamClient::Create("https://api.example", 5);
  ASSERT_FALSE(create.ok());
  EXPECT_EQ(create.code(), Code::kInvalidArgument);
  EXPECT_NE(create.error().message.find("http://"), std::string::npos);
  EXPECT_FALSE(UpstreamClient::Create("http://api.example", 0).ok());
}

}  // namespace
}  // namespace ztm::server::http
