// HttpServer on Boost.Beast + Asio + OpenSSL (see server.h). The shape follows Beast's
// async-ssl server example: a listener accepting into a strand per connection, one Session
// object per connection kept alive by shared_from_this, a timer armed before the TLS
// handshake and every read and write, and a fresh parser per request with header and body
// limits. What it adds: transport refusals answered with 431/413/408/400, keep-alive with
// an idle timeout, Expect: 100-continue, hop-by-hop header handling, client certificates,
// a connection cap and a graceful Stop().
#include "server/http/server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace ztm::server::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Seconds = std::chrono::seconds;

// Sending one response must finish within this: a client that stops reading holds its
// connection and the response buffer at most this long. A minute lets a slow mobile link
// receive a large upstream response.
constexpr Seconds kWriteTimeout{60};
// Closing politely (TLS close_notify, or draining what a refused client still sends so the
// kernel does not answer it with a reset that could destroy our error response) is worth
// a short wait, never a long one.
constexpr Seconds kCloseTimeout{2};
// While the server stops, clients that keep a finished connection open must not hold up
// the shutdown: the polite close gets this long instead.
constexpr std::chrono::milliseconds kCloseTimeoutWhileStopping{250};
constexpr std::size_t kMaxLingerBytes = 256 * 1024;
// Bytes read per socket read; also the slack the read buffer has beyond the header limit.
constexpr std::size_t kReadChunkBytes = 16 * 1024;
// After the grace period, connections still open are closed; this is how long Stop()
// then waits for their handlers to notice before it stops the I/O threads.
constexpr Seconds kForcedCloseWait{1};
// After a failed accept (e.g. out of file descriptors) the listener pauses this long
// instead of spinning on the error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
// Client certificate chains: leaf, intermediates, root. Deeper chains are not ours.
constexpr int kMaxClientChainDepth = 4;
// Worker threads accepted: far above any core count this runs on.
constexpr int kMaxThreads = 256;

// Mozilla "intermediate" TLS 1.2 suites: forward-secret ECDHE with AEAD ciphers only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kTlsGroups = "X25519:P-256:P-384";
constexpr std::string_view kServerName = "ztm-gateway";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

Response ErrorResponse(int status, std::string_view code) {
  return Response::Json(status, "{\"error\":\"" + std::string(code) + "\"}");
}

Response InternalError() { return ErrorResponse(500, "internal_error"); }

// RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return buffer;
}

// RFC 9110 §5.6.2 token.
bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// RFC 9110 §5.5: a field value never contains CR, LF or NUL (the bytes that would let a
// value start a new header line).
bool IsSafeFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

bool IsHttpParseError(const ErrorCode& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

class SessionBase;

// Everything the sessions share; kept alive by every session, so a handler that answers
// after the server object is gone still finds a valid io_context to post to.
struct ServerCore {
  ServerCore(ServerOptions opts, RequestHandler& request_handler, int thread_count)
      : options(std::move(opts)), handler(request_handler), io(thread_count) {}

  void Report(TransportEvent event) const {
    if (options.on_transport_event) options.on_transport_event(event);
  }

  const ServerOptions options;
  RequestHandler& handler;
  asio::io_context io;
  std::unique_ptr<ssl::context> tls;  // null: plaintext
  std::atomic<bool> stopping{false};

  // Live sessions, for Stop(). Guarded by `mutex`; `drained` signals when one leaves.
  std::mutex mutex;
  std::condition_variable drained;
  std::unordered_map<const void*, std::weak_ptr<SessionBase>> sessions;
  // False once the I/O threads are gone for good: responses are then dropped, not queued
  // on an io_context nobody runs. Guarded by `mutex`.
  bool accepting_posts = true;
};

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // Each posts to the session's strand (callable from any thread).
  virtual void PostResponse(Response response) = 0;
  virtual void PostCloseIfIdle() = 0;
  virtual void PostForceClose() = 0;
  // Reads the next piece of a streamed request body on the session's strand.
  virtual void PostReadBody(BodyReader::OnChunk on_chunk) = 0;
  // Closes the socket and cancels every wait, on the calling thread: only when nothing
  // else can run on the session's strand (no I/O thread, or the session never started).
  virtual void CloseNow() = 0;
};

// The Respond callback's state: delivers at most once, and if the handler drops its last
// copy without answering, the client still gets a 500 instead of a silent hang.
class PendingResponse {
 public:
  explicit PendingResponse(std::shared_ptr<SessionBase> session) : session_(std::move(session)) {}
  ~PendingResponse() {
    if (!delivered_.exchange(true)) session_->PostResponse(InternalError());
  }
  void Deliver(Response response) {
    if (delivered_.exchange(true)) return;
    session_->PostResponse(std::move(response));
  }

 private:
  std::shared_ptr<SessionBase> session_;
  std::atomic<bool> delivered_{false};
};

// The body of a request the handler takes as a stream: each Read is one read on the session.
class StreamedRequestBody final : public BodyReader {
 public:
  StreamedRequestBody(std::shared_ptr<SessionBase> session, std::optional<std::uint64_t> length)
      : session_(std::move(session)), length_(length) {}
  void Read(OnChunk on_chunk) override { session_->PostReadBody(std::move(on_chunk)); }
  std::optional<std::uint64_t> declared_length() const override { return length_; }

 private:
  std::shared_ptr<SessionBase> session_;
  std::optional<std::uint64_t> length_;
};

// A response whose content comes from a BodyReader, written piece by piece.
struct StreamedWrite {
  bhttp::response<bhttp::buffer_body> message;
  std::optional<bhttp::response_serializer<bhttp::buffer_body>> serializer;
  std::shared_ptr<BodyReader> body;
  std::string piece;  // the piece being written (the serializer points into it)
  bool close = false;
};

template <bool kTls>
class Session final : public SessionBase {
 public:
  using Stream = std::conditional_t<kTls, ssl::stream<tcp::socket>, tcp::socket>;

  Session(std::shared_ptr<ServerCore> core, tcp::socket socket)
      : core_(std::move(core)),
        stream_(MakeStream(std::move(socket), core_.get())),
        timer_(Socket().get_executor()),
        buffer_(core_->options.max_header_bytes + kReadChunkBytes) {}

  ~Session() override {
    std::lock_guard lock(core_->mutex);
    core_->sessions.erase(this);
    core_->drained.notify_all();
  }

  // Runs on the session's strand (the accepted socket's executor).
  void Start() {
    ErrorCode ec;
    const tcp::endpoint peer = Socket().remote_endpoint(ec);
    if (ec || core_->stopping) return CloseSocket();
    peer_address_ = peer.address().to_string();
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      Arm(Seconds(core_->options.read_timeout_seconds));
      stream_.async_handshake(ssl::stream_base::server, [self = Self()](const ErrorCode& error) {
        self->OnHandshake(error);
      });
    } else {
      WaitForRequest();
    }
  }

  void PostResponse(Response response) override {
    std::lock_guard lock(core_->mutex);
    if (!core_->accepting_posts) return;
    asio::post(Socket().get_executor(), [self = Self(), response = std::move(response)]() mutable {
      self->WriteResponse(std::move(response), /*close=*/false);
    });
  }

  void PostCloseIfIdle() override {
    asio::post(Socket().get_executor(), [self = Self()] {
      // A connection waiting for its next request (or still shaking hands) has nothing in
      // flight: wake its read so it closes. Reads of a started request continue.
      if (self->phase_ == Phase::kIdle || self->phase_ == Phase::kHandshake) {
        ErrorCode ignored;
        self->Socket().cancel(ignored);
      }
    });
  }

  void PostForceClose() override {
    asio::post(Socket().get_executor(), [self = Self()] { self->CloseSocket(); });
  }

  void CloseNow() override { CloseSocket(); }

  void PostReadBody(BodyReader::OnChunk on_chunk) override {
    asio::post(Socket().get_executor(), [self = Self(), on_chunk = std::move(on_chunk)]() mutable {
      self->ReadBodyPiece(std::move(on_chunk));
    });
  }

  auto executor() { return Socket().get_executor(); }

 private:
  // kStreamingBody: the handler has the request and is reading its body piece by piece.
  enum class Phase {
    kHandshake,
    kIdle,
    kReading,
    kHandling,
    kStreamingBody,
    kWriting,
    kClosing,
    kClosed
  };

  static Stream MakeStream(tcp::socket socket, ServerCore* core) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *core->tls);
    } else {
      (void)core;
      return socket;
    }
  }

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }

  tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // One timer per session; what its expiry means depends on the phase (OnTimeout). The
  // generation count makes a stale expiry (one that raced a completed operation) a no-op.
  void Arm(std::chrono::steady_clock::duration timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = Self(), generation = ++timer_generation_](const ErrorCode& ec) {
      if (ec || generation != self->timer_generation_) return;
      self->OnTimeout();
    });
  }

  void Disarm() {
    ++timer_generation_;
    timer_.cancel();
  }

  void OnTimeout() {
    if (phase_ == Phase::kReading || phase_ == Phase::kStreamingBody) {
      // A request (or the next piece of a streamed body) did not arrive in time: cancel the
      // read; it answers 408 (or fails the body stream with kHttpBodyTimeout).
      read_timed_out_ = true;
      ErrorCode ignored;
      Socket().cancel(ignored);
      return;
    }
    // Handshake, idle keep-alive, write or close that took too long: just close.
    if (phase_ != Phase::kHandling) CloseSocket();
  }

  void OnHandshake(const ErrorCode& ec) {
    Disarm();
    if (ec) {
      core_->Report(TransportEvent::kTlsHandshakeFailed);
      return CloseSocket();
    }
    handshake_done_ = true;
    if constexpr (kTls) ReadClientCertificate();
    WaitForRequest();
  }

  // The PEM of the client certificate OpenSSL verified against client_ca_file, if any.
  void ReadClientCertificate() {
    if constexpr (kTls) {
      if (!core_->options.tls || !core_->options.tls->client_ca_file) return;
      SSL* native = stream_.native_handle();
      X509* certificate = SSL_get1_peer_certificate(native);
      if (certificate == nullptr) return;
      if (SSL_get_verify_result(native) == X509_V_OK) {
        BIO* bio = BIO_new(BIO_s_mem());
        if (bio != nullptr && PEM_write_bio_X509(bio, certificate) == 1) {
          char* data = nullptr;
          const long length = BIO_get_mem_data(bio, &data);
          if (length > 0)
            client_certificate_pem_ = std::string(data, static_cast<std::size_t>(length));
        }
        BIO_free(bio);
      }
      X509_free(certificate);
    }
  }

  void WaitForRequest() {
    if (core_->stopping) return GracefulClose();
    body_parser_.reset();
    body_pending_ = false;
    continue_pending_ = false;
    // What frames an error answered before the next request line is parsed: not the last
    // request's HEAD or HTTP/1.0.
    is_head_ = false;
    version_ = 11;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(core_->options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(core_->options.max_body_bytes);
    read_timed_out_ = false;
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    // Until the first byte of a request arrives the connection is idle: a new connection
    // gets the read timeout, a kept-alive one the idle timeout, and either simply closes.
    phase_ = Phase::kIdle;
    Arm(Seconds(first_request_ ? core_->options.read_timeout_seconds
                               : core_->options.idle_timeout_seconds));
    stream_.async_read_some(
        buffer_.prepare(kReadChunkBytes),
        [self = Self()](const ErrorCode& ec, std::size_t bytes) { self->OnFirstBytes(ec, bytes); });
  }

  void OnFirstBytes(const ErrorCode& ec, std::size_t bytes) {
    Disarm();
    if (ec) {
      // The peer left, the idle timer closed the socket, or Stop() woke us: nothing is in
      // flight. ssl::error::stream_truncated (TCP closed without close_notify) lands here
      // too and is harmless: HTTP/1.1 messages are self-delimiting, and between messages
      // there is no data a truncation attack could cut short.
      if (Socket().is_open() && core_->stopping) return GracefulClose();
      return CloseSocket();
    }
    buffer_.commit(bytes);
    ReadHeader();
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    // One deadline for the whole request, header and body: a client dribbling bytes gets
    // no more time than one that sends nothing.
    Arm(Seconds(core_->options.read_timeout_seconds));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = Self()](const ErrorCode& ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(const ErrorCode& ec) {
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return OnRequestRead();
    const auto& message = parser_->get();
    if (!CheckFraming()) return;
    // The handler may take the body as a stream instead of waiting for all of it.
    Request head = BuildRequest();
    const bool stream = core_->handler.WantsBodyStream(head);
    // RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits for an interim
    // response before the body. The limits were checked on the header already, so a body
    // over max_body_bytes is refused before the client sends it. A streamed body is invited
    // only when the handler first reads it: a request refused on its header (no token, a bad
    // signature) gets the final answer and never the invitation to upload.
    const auto expect = message.find(bhttp::field::expect);
    const bool expects_continue = message.version() >= 11 && expect != message.end() &&
                                  Lowercase(expect->value()) == "100-continue";
    if (stream) {
      continue_pending_ = expects_continue;
      return DispatchStreamed(std::move(head));
    }
    if (expects_continue) {
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = Self()](const ErrorCode& error, std::size_t) {
                          if (error) return self->OnReadError(error);
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  // Refuses with 400 (and closes) a request whose framing or Host this server and the
  // upstream could read differently:
  //  - RFC 9112 §3.2: an HTTP/1.1 request with no Host field, or more than one;
  //  - RFC 9112 §6.1, §6.3: Transfer-Encoding in an HTTP/1.0 request, or any coding but a
  //    single "chunked" (the parser would read "identity", "gzip" or "chunked, identity" as
  //    a request without body and take the body for the next request: a desync a front
  //    proxy that reads them as chunked could exploit). Both framings at once, or two
  //    lengths, the parser refuses itself.
  bool CheckFraming() {
    const auto& message = parser_->get();
    version_ = message.version();
    is_head_ = message.method() == bhttp::verb::head;
    bool bad = message.version() == 11 && message.count(bhttp::field::host) != 1;
    if (const auto count = message.count(bhttp::field::transfer_encoding); count > 0) {
      const auto field = message.find(bhttp::field::transfer_encoding);
      std::string value = Lowercase(field->value());
      const auto first = value.find_first_not_of(" \t");
      const auto last = value.find_last_not_of(" \t");
      value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
      bad = bad || message.version() < 11 || count != 1 || value != "chunked";
    }
    if (!bad) return true;
    Disarm();
    phase_ = Phase::kHandling;
    keep_alive_ = false;
    core_->Report(TransportEvent::kBadRequest);
    WriteResponse(ErrorResponse(400, "bad_request"), /*close=*/true);
    return false;
  }

  // The request as the handler sees it, from the parsed header (the body is added by the
  // caller).
  Request BuildRequest() {
    const auto& message = parser_->get();
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    is_head_ = message.method() == bhttp::verb::head;
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    HeaderList headers;
    for (const auto& field : message) {
      headers.emplace_back(Lowercase(field.name_string()), std::string(field.value()));
    }
    // RFC 9110 §7.6.1: this server is the recipient of the hop-by-hop fields; the handler
    // (and anything it forwards to) sees only end-to-end ones.
    request.headers = WithoutHopByHopHeaders(headers);
    request.peer_address = peer_address_;
    request.tls = kTls;
    request.client_certificate_pem = client_certificate_pem_;
    return request;
  }

  // Hands the request to the handler with its body still to be read through body_stream.
  void DispatchStreamed(Request request) {
    Disarm();
    phase_ = Phase::kHandling;
    std::optional<std::uint64_t> length;
    if (const auto declared = parser_->content_length()) length = *declared;
    body_parser_.emplace(std::move(*parser_));
    parser_.reset();
    body_parser_->body_limit(core_->options.max_body_bytes);
    body_pending_ = true;
    request.body_stream = std::make_shared<StreamedRequestBody>(Self(), length);
    Dispatch(std::move(request));
  }

  // One piece of a streamed body: up to kBodyChunkBytes, each read within the read timeout
  // (a large upload takes as long as it needs while its bytes keep coming).
  void ReadBodyPiece(BodyReader::OnChunk on_chunk) {
    if (!body_pending_ || !body_parser_ || phase_ != Phase::kHandling || !Socket().is_open()) {
      return on_chunk(Error{Code::kHttpBodyIncomplete, "the request body is no longer readable"});
    }
    phase_ = Phase::kStreamingBody;
    read_timed_out_ = false;
    Arm(Seconds(core_->options.read_timeout_seconds));
    if (continue_pending_) {
      continue_pending_ = false;
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = Self(), on_chunk = std::move(on_chunk)](const ErrorCode& error,
                                                                        std::size_t) mutable {
                          if (error) {
                            return self->OnBodyPiece(error, std::string(), std::move(on_chunk));
                          }
                          self->ReadBodyPieceNow(std::move(on_chunk));
                        });
      return;
    }
    ReadBodyPieceNow(std::move(on_chunk));
  }

  void ReadBodyPieceNow(BodyReader::OnChunk on_chunk) {
    auto piece = std::make_shared<std::string>(kBodyChunkBytes, '\0');
    body_parser_->get().body().data = piece->data();
    body_parser_->get().body().size = piece->size();
    bhttp::async_read(
        stream_, buffer_, *body_parser_,
        [self = Self(), piece, on_chunk = std::move(on_chunk)](ErrorCode ec, std::size_t) mutable {
          self->OnBodyPiece(ec, std::move(*piece), std::move(on_chunk));
        });
  }

  void OnBodyPiece(ErrorCode ec, std::string piece, BodyReader::OnChunk on_chunk) {
    // A buffer_body read stops when the piece is full: more is to come.
    if (ec == bhttp::error::need_buffer) ec = {};
    if (phase_ == Phase::kStreamingBody) {
      Disarm();
      phase_ = Phase::kHandling;
    }
    if (ec) {
      // body_pending_ stays set: the connection is mid-request and closes after the response.
      body_parser_.reset();
      if (read_timed_out_) {
        core_->Report(TransportEvent::kReadTimeout);
        return on_chunk(Error{Code::kHttpBodyTimeout, "the request body stalled"});
      }
      if (ec == bhttp::error::body_limit) {
        core_->Report(TransportEvent::kBodyTooLarge);
        return on_chunk(Error{Code::kInputTooLarge, "the request body is over the limit"});
      }
      if (IsHttpParseError(ec)) core_->Report(TransportEvent::kBadRequest);
      return on_chunk(Error{Code::kHttpBodyIncomplete, "the request body ended early"});
    }
    piece.resize(piece.size() - body_parser_->get().body().size);
    const bool last = body_parser_->is_done();
    if (last) body_pending_ = false;
    on_chunk(BodyChunk{std::move(piece), last});
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = Self()](const ErrorCode& ec, std::size_t) {
                        if (ec) return self->OnReadError(ec);
                        self->OnRequestRead();
                      });
  }

  void OnReadError(const ErrorCode& ec) {
    Disarm();
    if (read_timed_out_) {
      core_->Report(TransportEvent::kReadTimeout);
      return WriteResponse(ErrorResponse(408, "request_timeout"), /*close=*/true);
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      core_->Report(TransportEvent::kHeaderTooLarge);
      return WriteResponse(ErrorResponse(431, "request_header_too_large"), /*close=*/true);
    }
    if (ec == bhttp::error::body_limit) {
      core_->Report(TransportEvent::kBodyTooLarge);
      return WriteResponse(ErrorResponse(413, "request_body_too_large"), /*close=*/true);
    }
    // The peer closed mid-request (or, with TLS, without close_notify: stream_truncated,
    // safe as above since the request is incomplete and will not be handled): nobody is
    // left to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      return CloseSocket();
    }
    if (IsHttpParseError(ec)) {
      core_->Report(TransportEvent::kBadRequest);
      return WriteResponse(ErrorResponse(400, "bad_request"), /*close=*/true);
    }
    CloseSocket();  // a transport error (reset, TLS alert, forced close)
  }

  void OnRequestRead() {
    // The handler's time is its own (it bounds upstream calls itself): no timer runs while
    // the request is handled.
    Disarm();
    phase_ = Phase::kHandling;
    if (!CheckFraming()) return;
    Request request = BuildRequest();
    request.body = std::move(parser_->get().body());
    Dispatch(std::move(request));
  }

  void Dispatch(Request request) {
    phase_ = Phase::kHandling;
    auto pending = std::make_shared<PendingResponse>(Self());
    try {
      core_->handler.Handle(std::move(request), [pending](Response response) {
        pending->Deliver(std::move(response));
      });
    } catch (const std::exception&) {
      // Never echo what went wrong inside: the client gets a generic 500.
      pending->Deliver(InternalError());
    }
  }

  // Fills `out` from the handler's response; false if the response cannot be sent as is.
  // With a buffer_body `out`, the content is the caller's to send (`streamed` says whether it
  // has any).
  template <class Body>
  bool BuildMessage(const Response& response, bhttp::response<Body>& out,
                    bool* streamed = nullptr) const {
    if (streamed != nullptr) *streamed = false;
    if (response.status < 200 || response.status > 599) return false;
    out.result(static_cast<unsigned>(response.status));
    out.version(version_);
    std::optional<std::string> head_length;
    for (const auto& [name, value] : WithoutHopByHopHeaders(response.headers)) {
      if (!IsToken(name) || !IsSafeFieldValue(value)) return false;
      const std::string lower = Lowercase(name);
      // Framing and these two are the server's own.
      if (lower == "date" || lower == "server") continue;
      if (lower == "content-length") {
        head_length = value;
        continue;
      }
      out.insert(name, value);
    }
    out.set(bhttp::field::date, HttpDate());
    out.set(bhttp::field::server, kServerName);
    const unsigned status = static_cast<unsigned>(response.status);
    if (status == 204 || status == 304) {
      // RFC 9110 §6.4.1: these never have content.
      return true;
    }
    if (is_head_) {
      // RFC 9110 §9.3.2: a HEAD response has no content but may say how long the GET's
      // would be (as a forwarded upstream response does).
      const bool numeric = head_length && !head_length->empty() &&
                           std::all_of(head_length->begin(), head_length->end(),
                                       [](char c) { return c >= '0' && c <= '9'; }) &&
                           head_length->size() <= 18;
      std::optional<std::uint64_t> declared;
      if (response.body_stream != nullptr) declared = response.body_stream->declared_length();
      if (numeric) {
        out.content_length(std::stoull(*head_length));
      } else if (declared) {
        out.content_length(*declared);
      } else {
        out.content_length(response.body.size());
      }
      return true;
    }
    if constexpr (std::is_same_v<Body, bhttp::string_body>) {
      out.body() = response.body;
      out.prepare_payload();
    } else {
      // RFC 9112 §6.3: the declared length frames the content; without one, HTTP/1.1 sends
      // it chunked and HTTP/1.0 ends it by closing the connection.
      const auto length = response.body_stream->declared_length();
      if (length) {
        out.content_length(*length);
      } else if (version_ >= 11) {
        out.chunked(true);
      }
      if (streamed != nullptr) *streamed = true;
    }
    return true;
  }

  void WriteResponse(Response response, bool close) {
    if (!Socket().is_open() || phase_ == Phase::kWriting || phase_ == Phase::kClosing ||
        phase_ == Phase::kClosed) {
      return;
    }
    // A streamed request body the handler did not read to the end leaves the connection
    // mid-request: it cannot carry another one.
    close = close || body_pending_;
    if (response.body_stream != nullptr && !is_head_ && response.status != 204 &&
        response.status != 304) {
      return WriteStreamed(std::move(response), close);
    }
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
    if (!BuildMessage(response, *message)) {
      *message = {};
      BuildMessage(InternalError(), *message);
    }
    close = close || !keep_alive_ || core_->stopping;
    message->keep_alive(!close);
    phase_ = Phase::kWriting;
    Arm(kWriteTimeout);
    bhttp::async_write(stream_, *message,
                       [self = Self(), message, close](const ErrorCode& ec, std::size_t) {
                         self->Disarm();
                         if (ec) return self->CloseSocket();
                         if (close) return self->GracefulClose();
                         self->first_request_ = false;
                         self->WaitForRequest();
                       });
  }

  void WriteStreamed(Response response, bool close) {
    auto write = std::make_shared<StreamedWrite>();
    write->body = response.body_stream;
    bool streamed = false;
    if (!BuildMessage(response, write->message, &streamed)) {
      return WriteResponse(InternalError(), /*close=*/true);
    }
    if (!streamed) return WriteResponse(InternalError(), /*close=*/true);
    close = close || !keep_alive_ || core_->stopping ||
            (version_ < 11 && !write->message.has_content_length());
    write->close = close;
    write->message.keep_alive(!close);
    write->message.body().data = nullptr;
    write->message.body().more = true;
    write->serializer.emplace(write->message);
    phase_ = Phase::kWriting;
    Arm(kWriteTimeout);
    bhttp::async_write_header(stream_, *write->serializer,
                              [self = Self(), write](const ErrorCode& ec, std::size_t) {
                                self->Disarm();
                                if (ec) return self->CloseSocket();
                                self->PullPiece(write);
                              });
  }

  // Waiting for the next piece counts toward the write timeout: a source that stalls
  // cannot hold the connection for ever.
  void PullPiece(const std::shared_ptr<StreamedWrite>& write) {
    Arm(kWriteTimeout);
    write->body->Read([self = Self(), write](Result<BodyChunk> piece) mutable {
      asio::post(self->Socket().get_executor(), [self, write, piece = std::move(piece)]() mutable {
        self->OnResponsePiece(write, std::move(piece));
      });
    });
  }

  void OnResponsePiece(const std::shared_ptr<StreamedWrite>& write, Result<BodyChunk> piece) {
    if (phase_ != Phase::kWriting || !Socket().is_open()) return;
    // The header is out: a failing source can only be reported by closing the connection
    // before the content is complete, which the client sees as a truncated response.
    if (!piece.ok()) return CloseSocket();
    if (piece->data.empty() && !piece->last) return PullPiece(write);
    write->piece = std::move(piece->data);
    auto& body = write->message.body();
    body.data = write->piece.empty() ? nullptr : write->piece.data();
    body.size = write->piece.size();
    body.more = !piece->last;
    bhttp::async_write(stream_, *write->serializer,
                       [self = Self(), write](ErrorCode ec, std::size_t) {
                         if (ec == bhttp::error::need_buffer) ec = {};
                         if (ec) return self->CloseSocket();
                         if (!write->serializer->is_done()) return self->PullPiece(write);
                         self->Disarm();
                         write->body.reset();
                         if (write->close) return self->GracefulClose();
                         self->first_request_ = false;
                         self->WaitForRequest();
                       });
  }

  // Ends the connection politely, bounded by kCloseTimeout.
  void GracefulClose() {
    if (!Socket().is_open()) return CloseSocket();
    phase_ = Phase::kClosing;
    if (core_->stopping) {
      Arm(kCloseTimeoutWhileStopping);
    } else {
      Arm(kCloseTimeout);
    }
    if constexpr (kTls) {
      if (!handshake_done_) return CloseSocket();
      // Sends close_notify and waits for the peer's. A peer that just closes TCP yields
      // stream_truncated here, harmless at this point: our response was complete.
      stream_.async_shutdown([self = Self()](const ErrorCode&) { self->CloseSocket(); });
    } else {
      // Half-close, then read and drop what the client still sends (e.g. the rest of a
      // body we refused) until it closes: closing with unread data makes the kernel send
      // a reset, which can destroy the error response before the client reads it.
      ErrorCode ignored;
      Socket().shutdown(tcp::socket::shutdown_send, ignored);
      Linger();
    }
  }

  void Linger() {
    if constexpr (!kTls) {
      stream_.async_read_some(asio::buffer(linger_buffer_),
                              [self = Self()](const ErrorCode& ec, std::size_t bytes) {
                                self->lingered_bytes_ += bytes;
                                if (ec || self->lingered_bytes_ > kMaxLingerBytes) {
                                  return self->CloseSocket();
                                }
                                self->Linger();
                              });
    }
  }

  void CloseSocket() {
    Disarm();
    phase_ = Phase::kClosed;
    ErrorCode ignored;
    Socket().shutdown(tcp::socket::shutdown_both, ignored);
    Socket().close(ignored);
  }

  // Declared first so it is destroyed last: the socket and timer below belong to its
  // io_context.
  const std::shared_ptr<ServerCore> core_;
  Stream stream_;
  asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  // A streamed request body's parser (converted from parser_ once the header is in), and
  // whether some of that body is still unread.
  std::optional<bhttp::request_parser<bhttp::buffer_body>> body_parser_;
  bool body_pending_ = false;
  // The client expects "100 Continue" before it sends the streamed body (sent on first read).
  bool continue_pending_ = false;
  Phase phase_ = Phase::kIdle;
  bool handshake_done_ = false;
  bool first_request_ = true;
  bool read_timed_out_ = false;
  bool keep_alive_ = false;
  bool is_head_ = false;
  unsigned version_ = 11;
  std::string peer_address_;
  std::optional<std::string> client_certificate_pem_;
  std::array<char, 4096> linger_buffer_{};
  std::size_t lingered_bytes_ = 0;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(std::shared_ptr<ServerCore> core)
      : core_(std::move(core)),
        acceptor_(asio::make_strand(core_->io)),
        retry_timer_(acceptor_.get_executor()) {}

  Status Open(const tcp::endpoint& endpoint) {
    ErrorCode ec;
    const std::string where =
        endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    acceptor_.open(endpoint.protocol(), ec);
    // SO_REUSEADDR lets a restarted gateway bind while old connections sit in TIME_WAIT;
    // on Linux it never lets two listeners share a port.
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error{Code::kHttpListenFailed,
                   "listen: cannot listen on " + where + ": " + ec.message()};
    }
    return OkStatus();
  }

  std::uint16_t port() const {
    ErrorCode ec;
    const auto endpoint = acceptor_.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
  }

  void Run() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
  }

  void PostClose() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      ErrorCode ignored;
      self->acceptor_.close(ignored);
      self->retry_timer_.cancel();
    });
  }

  void CloseNow() {
    ErrorCode ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
  }

 private:
  void Accept() {
    if (!acceptor_.is_open()) return;
    acceptor_.async_accept(asio::make_strand(core_->io),
                           [self = shared_from_this()](const ErrorCode& ec, tcp::socket socket) {
                             self->OnAccept(ec, std::move(socket));
                           });
  }

  void OnAccept(const ErrorCode& ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;
    if (ec) {
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](const ErrorCode& error) {
        if (!error) self->Accept();
      });
      return;
    }
    StartSession(std::move(socket));
    Accept();
  }

  void StartSession(tcp::socket socket) {
    std::shared_ptr<SessionBase> session;
    if (core_->tls) {
      session = std::make_shared<Session<true>>(core_, std::move(socket));
    } else {
      session = std::make_shared<Session<false>>(core_, std::move(socket));
    }
    {
      std::lock_guard lock(core_->mutex);
      if (core_->sessions.size() >= core_->options.max_connections) {
        core_->Report(TransportEvent::kConnectionLimit);
        session->CloseNow();  // its socket's strand has no other work yet
        return;
      }
      core_->sessions.emplace(session.get(), session);
    }
    if (core_->tls) {
      auto typed = std::static_pointer_cast<Session<true>>(session);
      asio::post(typed->executor(), [typed] { typed->Start(); });
    } else {
      auto typed = std::static_pointer_cast<Session<false>>(session);
      asio::post(typed->executor(), [typed] { typed->Start(); });
    }
  }

  std::shared_ptr<ServerCore> core_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
};

// Loads the certificate chain and key (refusing a mismatched pair), the cipher policy and
// optionally the client CA.
Status ConfigureTls(ssl::context& context, const ServerTls& tls);

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(std::shared_ptr<ServerCore> core, std::shared_ptr<Listener> listener,
                 int thread_count)
      : core_(std::move(core)), listener_(std::move(listener)), thread_count_(thread_count) {}

  ~HttpServerImpl() override {
    Stop(0);
    // No I/O thread runs now: close whatever is left, then run the aborted handlers once so
    // sessions release themselves instead of staying queued on a dead io_context.
    listener_->CloseNow();
    for (const auto& session : LiveSessions()) session->CloseNow();
    {
      std::lock_guard lock(core_->mutex);
      core_->accepting_posts = false;
    }
    // Each round runs the handlers the previous one made ready (a cancelled TLS shutdown
    // completes through its inner socket operation); a handful of rounds drains them all.
    core_->io.restart();
    for (int round = 0; round < 16 && core_->io.poll() > 0; ++round) {
    }
  }

  std::uint16_t port() const override { return listener_->port(); }

  void Start() override {
    std::lock_guard lock(lifecycle_mutex_);
    if (started_ || stopped_) return;
    started_ = true;
    // Handlers answer from their own threads: with no socket operation pending, run()
    // would return and leave their responses queued. The guard keeps the threads until
    // Stop().
    work_.emplace(core_->io.get_executor());
    listener_->Run();
    for (int i = 0; i < thread_count_; ++i) {
      threads_.emplace_back([core = core_] { core->io.run(); });
    }
  }

  void Stop(std::int64_t grace_seconds) override {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_) return;
    stopped_ = true;
    core_->stopping = true;
    if (!started_) return;

    listener_->PostClose();
    for (const auto& session : LiveSessions()) session->PostCloseIfIdle();
    WaitForSessions(Seconds(std::max<std::int64_t>(0, grace_seconds)));
    for (const auto& session : LiveSessions()) session->PostForceClose();
    WaitForSessions(kForcedCloseWait);

    work_.reset();
    core_->io.stop();
    for (auto& thread : threads_) {
      // Stop() called from a handler on an I/O thread cannot join that thread; the
      // io_context is stopped, so it returns as soon as the handler does.
      if (thread.get_id() == std::this_thread::get_id()) {
        thread.detach();
      } else {
        thread.join();
      }
    }
    threads_.clear();
  }

 private:
  std::vector<std::shared_ptr<SessionBase>> LiveSessions() {
    std::vector<std::shared_ptr<SessionBase>> live;
    std::lock_guard lock(core_->mutex);
    for (const auto& [key, weak] : core_->sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    return live;
  }

  void WaitForSessions(Seconds timeout) {
    std::unique_lock lock(core_->mutex);
    core_->drained.wait_for(lock, timeout, [&] { return core_->sessions.empty(); });
  }

  std::shared_ptr<ServerCore> core_;
  std::shared_ptr<Listener> listener_;
  const int thread_count_;
  std::mutex lifecycle_mutex_;
  bool started_ = false;
  bool stopped_ = false;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

// OpenSSL's first queued error reason, for operator-facing setup errors (never secrets:
// these describe files, not their contents).
std::string OpenSslReason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown error";
}

Status CheckReadable(const std::string& what, const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error{Code::kHttpTlsSetupFailed,
                 "tls: cannot read " + what + " \"" + path + "\": " + std::strerror(errno)};
  }
  ::close(fd);
  return OkStatus();
}

// Refuses to prompt for a passphrase on the terminal: encrypted keys fail to load instead.
int NoPassphrase(char*, int, int, void*) { return 0; }

Status ConfigureTls(ssl::context& context, const ServerTls& tls) {
  SSL_CTX* native = context.native_handle();
  ERR_clear_error();
  auto fail = [](std::string message) {
    return Error{Code::kHttpTlsSetupFailed,
                 "tls: " + std::move(message) + " (" + OpenSslReason() + ")"};
  };
  // TLS 1.2 minimum (RFC 8996 deprecates 1.0 and 1.1); no compression (CRIME), no
  // renegotiation, our cipher preference.
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) return fail("cannot set TLS 1.2");
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(native, kTlsGroups) != 1) {
    return fail("cannot set the cipher policy");
  }
  SSL_CTX_set_default_passwd_cb(native, NoPassphrase);

  ZTM_RETURN_IF_ERROR(CheckReadable("certificate file", tls.certificate_file));
  ZTM_RETURN_IF_ERROR(CheckReadable("private key file", tls.private_key_file));
  if (SSL_CTX_use_certificate_chain_file(native, tls.certificate_file.c_str()) != 1) {
    return fail("\"" + tls.certificate_file + "\" holds no usable PEM certificate chain");
  }
  BIO* key_bio = BIO_new_file(tls.private_key_file.c_str(), "r");
  EVP_PKEY* key = key_bio != nullptr
                      ? PEM_read_bio_PrivateKey(key_bio, nullptr, NoPassphrase, nullptr)
                      : nullptr;
  BIO_free(key_bio);
  if (key == nullptr) {
    return fail("\"" + tls.private_key_file +
                "\" holds no usable PEM private key (encrypted keys are not supported)");
  }
  X509* leaf = SSL_CTX_get0_certificate(native);
  const bool matches = leaf != nullptr && X509_check_private_key(leaf, key) == 1;
  const bool used = matches && SSL_CTX_use_PrivateKey(native, key) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    ERR_clear_error();
    return Error{Code::kHttpTlsSetupFailed, "tls: the private key in \"" + tls.private_key_file +
                                                "\" does not match the certificate in \"" +
                                                tls.certificate_file + "\""};
  }
  if (!used || SSL_CTX_check_private_key(native) != 1) return fail("cannot use the private key");

  if (tls.client_ca_file) {
    ZTM_RETURN_IF_ERROR(CheckReadable("client CA file", *tls.client_ca_file));
    if (SSL_CTX_load_verify_locations(native, tls.client_ca_file->c_str(), nullptr) != 1) {
      return fail("\"" + *tls.client_ca_file + "\" holds no usable PEM CA certificate");
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file->c_str());
    if (names == nullptr) return fail("cannot read CA names from \"" + *tls.client_ca_file + "\"");
    SSL_CTX_set_client_CA_list(native, names);
    // Request a certificate; with require_client_certificate, a client without one fails
    // the handshake. A presented certificate that does not verify always fails it.
    SSL_CTX_set_verify(
        native,
        SSL_VERIFY_PEER | (tls.require_client_certificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        nullptr);
    SSL_CTX_set_verify_depth(native, kMaxClientChainDepth);
    // Resumed sessions keep the verified client identity; OpenSSL requires a context id
    // for that when peers are verified.
    static constexpr unsigned char kSessionContext[] = "ztm-gateway";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);
  } else if (tls.require_client_certificate) {
    return Error{Code::kHttpTlsSetupFailed,
                 "tls: require_client_certificate needs a client CA file"};
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Create(ServerOptions options,
                                                       RequestHandler& handler) {
  int threads = options.threads;
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (threads < 1 || threads > kMaxThreads) {
    return Error{Code::kInvalidArgument, "server: threads must be 0..256"};
  }
  if (options.max_header_bytes == 0 || options.read_timeout_seconds < 1 ||
      options.idle_timeout_seconds < 1 || options.max_connections == 0) {
    return Error{Code::kInvalidArgument, "server: limits and timeouts must be positive"};
  }
  ErrorCode ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) {
    return Error{Code::kHttpListenFailed,
                 "listen: \"" + options.address + "\" is not an IP address"};
  }
  const tcp::endpoint endpoint(address, options.port);

  auto core = std::make_shared<ServerCore>(options, handler, threads);
  if (options.tls) {
    core->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    ZTM_RETURN_IF_ERROR(ConfigureTls(*core->tls, *options.tls));
  }
  auto listener = std::make_shared<Listener>(core);
  ZTM_RETURN_IF_ERROR(listener->Open(endpoint));
  return std::unique_ptr<HttpServer>(
      new HttpServerImpl(std::move(core), std::move(listener), threads));
}

}  // namespace ztm::server::http
