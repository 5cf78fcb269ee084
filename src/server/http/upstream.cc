// UpstreamClient on Boost.Beast (see upstream.h): one HTTP/1.1 connection per forwarded
// request to a plain-HTTP upstream, bodies streamed both ways in bounded pieces (buffer_body
// parser and serializer), a timeout on every step, hop-by-hop fields dropped both ways, and
// errors answered as 502/504 JSON without internal detail.
#include "server/http/upstream.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "core/text.h"

namespace ztm::server::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using ErrorCode = boost::system::error_code;

// Forwards in flight at once. Each holds a socket and up to the response cap in memory;
// past this the upstream is the bottleneck anyway, and the gateway answers 503 rather than
// queueing without bound.
constexpr std::size_t kMaxConcurrentForwards = 1024;
// Interim (1xx) responses skipped before the final one; an upstream sending more is broken.
constexpr int kMaxInterimResponses = 4;
// A request target longer than this never came through the server's header limit.
constexpr std::size_t kMaxTargetBytes = 64 * 1024;

Response JsonError(int status, std::string_view code) {
  return Response::Json(status, "{\"error\":\"" + std::string(code) + "\"}");
}

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// RFC 9110 §5.6.2 token.
bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// RFC 9110 §5.5: no CR, LF or NUL in a field value.
bool IsSafeFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// RFC 9112 §3.2.1 origin-form: starts with "/", visible ASCII only (no space or control
// byte that would end the request line early).
bool IsOriginForm(std::string_view target) {
  if (target.empty() || target.front() != '/' || target.size() > kMaxTargetBytes) return false;
  return std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

class Exchange;

struct ClientState {
  explicit ClientState(UpstreamAddress upstream_address, std::chrono::seconds exchange_timeout)
      : address(std::move(upstream_address)), timeout(exchange_timeout) {}

  const UpstreamAddress address;
  const std::chrono::seconds timeout;
  asio::io_context io{1};
  std::mutex mutex;  // guards the two below
  std::unordered_map<const void*, std::weak_ptr<Exchange>> exchanges;
  bool closing = false;
};

// A request body given whole (Request::body): one piece.
class WholeBody final : public BodyReader {
 public:
  explicit WholeBody(std::string body) : body_(std::move(body)) {}
  void Read(OnChunk on_chunk) override { on_chunk(BodyChunk{std::move(body_), true}); }
  std::optional<std::uint64_t> declared_length() const override { return body_.size(); }

 private:
  std::string body_;
};

// Methods whose requests carry no content unless they say so: without a body, no
// Content-Length: 0 is added to them (RFC 9110 §8.6 "SHOULD NOT" for requests without content).
bool MethodUsuallyWithoutContent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "DELETE" || method == "OPTIONS" ||
         method == "TRACE";
}

Response BodyErrorResponse(const Error& error) {
  switch (error.code) {
    case Code::kHttpBodyTimeout:
      return JsonError(408, "request_timeout");
    case Code::kInputTooLarge:
      return JsonError(413, "request_body_too_large");
    default:
      return JsonError(400, "bad_request");
  }
}

// One forwarded request: resolve, connect, stream the request, read the response header,
// deliver, then stream the response content to whoever reads it. Runs on its own strand; each
// step has the client's timeout.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<ClientState> state, Respond respond)
      : state_(std::move(state)),
        respond_(std::move(respond)),
        strand_(asio::make_strand(state_->io)),
        resolver_(strand_),
        stream_(strand_),
        resolve_timer_(strand_) {}

  ~Exchange() {
    std::lock_guard lock(state_->mutex);
    state_->exchanges.erase(this);
  }

  // Builds the upstream request header; a 4xx/5xx Response if `request` cannot be sent as is.
  std::optional<Response> Prepare(Request request) {
    if (!IsToken(request.method)) return JsonError(500, "internal_error");
    if (!IsOriginForm(request.target)) return JsonError(400, "bad_request");
    head_ = request.method == "HEAD";
    message_.method_string(request.method);
    message_.target(state_->address.path_prefix + request.target);
    message_.version(11);
    for (const auto& [name, value] : WithoutHopByHopHeaders(request.headers)) {
      if (!IsToken(name) || !IsSafeFieldValue(value)) return JsonError(500, "internal_error");
      const std::string lower = Lowercase(name);
      // Host is the upstream's; the length is recomputed; the 100-continue handshake was
      // the client's with us.
      if (lower == "host" || lower == "content-length" || lower == "expect") continue;
      message_.insert(name, value);
    }
    message_.set(bhttp::field::host, state_->address.host_header);
    body_ = request.body_stream != nullptr ? std::move(request.body_stream)
                                           : std::make_shared<WholeBody>(std::move(request.body));
    // RFC 9112 §6: the declared length frames the body; a stream of unknown length goes
    // chunked.
    const auto length = body_->declared_length();
    if (!length) {
      message_.chunked(true);
    } else if (*length > 0 || !MethodUsuallyWithoutContent(request.method)) {
      message_.content_length(*length);
    }
    message_.keep_alive(false);
    return std::nullopt;
  }

  // Waits for the first piece of the body before connecting: a body refused before it is
  // released (see DigestCheckedBody) never reaches the upstream at all, not even as a header.
  void Start() {
    body_->Read([self = shared_from_this()](Result<BodyChunk> piece) mutable {
      asio::post(self->strand_, [self, piece = std::move(piece)]() mutable {
        if (!piece.ok()) return self->Finish(BodyErrorResponse(piece.error()));
        self->first_piece_ = std::move(piece);
        self->Resolve();
      });
    });
  }

  // Answers without touching the network (the exchange never started, so nothing else
  // uses it concurrently).
  void Refuse(Response response) { Finish(std::move(response)); }

  // From any thread: abandon the exchange (the client is shutting down).
  void PostCancel() {
    asio::post(strand_, [self = shared_from_this()] {
      self->cancelled_ = true;
      self->resolver_.cancel();
      self->resolve_timer_.cancel();
      self->stream_.cancel();
    });
  }

  // The next piece of the response content (see UpstreamBody).
  void PostReadResponsePiece(BodyReader::OnChunk on_chunk) {
    asio::post(strand_, [self = shared_from_this(), on_chunk = std::move(on_chunk)]() mutable {
      self->ReadResponsePiece(std::move(on_chunk));
    });
  }

 private:
  void Resolve() {
    if (cancelled_) return Finish(JsonError(502, "upstream_unavailable"));
    // The resolver has no timeout of its own: a timer cancels it at the deadline.
    resolve_timer_.expires_after(state_->timeout);
    resolve_timer_.async_wait([self = shared_from_this()](const ErrorCode& ec) {
      if (ec) return;
      self->resolve_timed_out_ = true;
      self->resolver_.cancel();
    });
    resolver_.async_resolve(
        state_->address.host, std::to_string(state_->address.port),
        [self = shared_from_this()](const ErrorCode& ec, tcp::resolver::results_type results) {
          self->OnResolve(ec, std::move(results));
        });
  }

  void OnResolve(const ErrorCode& ec, tcp::resolver::results_type results) {
    resolve_timer_.cancel();
    if (resolve_timed_out_) return Finish(JsonError(504, "upstream_timeout"));
    if (ec || cancelled_) return Finish(JsonError(502, "upstream_unavailable"));
    stream_.expires_after(state_->timeout);
    stream_.async_connect(
        results, [self = shared_from_this()](const ErrorCode& error, const tcp::endpoint&) {
          self->OnConnect(error);
        });
  }

  void OnConnect(const ErrorCode& ec) {
    if (ec || cancelled_) return Fail(ec, "upstream_unavailable");
    message_.body().data = nullptr;
    message_.body().more = true;
    serializer_.emplace(message_);
    stream_.expires_after(state_->timeout);
    bhttp::async_write_header(stream_, *serializer_,
                              [self = shared_from_this()](const ErrorCode& error, std::size_t) {
                                if (error || self->cancelled_) {
                                  return self->Fail(error, "upstream_unavailable");
                                }
                                Result<BodyChunk> first = std::move(*self->first_piece_);
                                self->first_piece_.reset();
                                self->OnRequestPiece(std::move(first));
                              });
  }

  // The request body goes on piece by piece as the client sends it; the upstream's timeout
  // does not run while we wait for the client (the client's own read timeout does).
  void PullRequestPiece() {
    body_->Read([self = shared_from_this()](Result<BodyChunk> piece) mutable {
      asio::post(self->strand_, [self, piece = std::move(piece)]() mutable {
        self->OnRequestPiece(std::move(piece));
      });
    });
  }

  void OnRequestPiece(Result<BodyChunk> piece) {
    if (cancelled_ || finished_) return Finish(JsonError(502, "upstream_unavailable"));
    if (!piece.ok()) {
      // The body failed (the client stalled or left, or a filter refused it): the upstream
      // must not take a partial body for a whole one, so its connection is reset (RST, not a
      // FIN an upstream might read as the end of a close-delimited stream) before the request
      // is complete.
      AbortStream();
      return Finish(BodyErrorResponse(piece.error()));
    }
    if (piece->data.empty() && !piece->last) return PullRequestPiece();
    request_piece_ = std::move(piece->data);
    auto& body = message_.body();
    body.data = request_piece_.empty() ? nullptr : request_piece_.data();
    body.size = request_piece_.size();
    body.more = !piece->last;
    stream_.expires_after(state_->timeout);
    bhttp::async_write(stream_, *serializer_,
                       [self = shared_from_this()](ErrorCode ec, std::size_t) {
                         if (ec == bhttp::error::need_buffer) ec = {};
                         if (ec || self->cancelled_) {
                           return self->Fail(ec, "upstream_unavailable");
                         }
                         if (!self->serializer_->is_done()) return self->PullRequestPiece();
                         self->body_.reset();
                         self->ReadResponseHeader();
                       });
  }

  void ReadResponseHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(kMaxUpstreamResponseHeaderBytes));
    // The content is streamed, never held whole: no size limit is needed for memory.
    parser_->body_limit(boost::none);
    // RFC 9110 §9.3.2: a response to HEAD has no content whatever its Content-Length says.
    if (head_) parser_->skip(true);
    stream_.expires_after(state_->timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const ErrorCode& ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(const ErrorCode& ec) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      return Finish(JsonError(502, "bad_upstream_response"));
    }
    if (ec || cancelled_) return Fail(ec, "bad_upstream_response");
    auto& response = parser_->get();
    const unsigned status = response.result_int();
    // RFC 9110 §15.2: interim responses precede the final one; 101 would switch protocols,
    // which a verifying proxy does not do.
    if (status >= 100 && status < 200 && status != 101 &&
        ++interim_responses_ <= kMaxInterimResponses) {
      return ReadResponseHeader();
    }
    if (status < 200 || status > 599) return Finish(JsonError(502, "bad_upstream_response"));

    Response out;
    out.status = static_cast<int>(status);
    HeaderList headers;
    for (const auto& field : response) {
      headers.emplace_back(Lowercase(field.name_string()), std::string(field.value()));
    }
    out.headers = WithoutHopByHopHeaders(headers);
    if (parser_->is_done()) return Finish(std::move(out));  // no content
    std::optional<std::uint64_t> length;
    if (const auto declared = parser_->content_length()) length = *declared;
    out.body_stream = std::make_shared<UpstreamBody>(shared_from_this(), length);
    Deliver(std::move(out));
  }

  void ReadResponsePiece(BodyReader::OnChunk on_chunk) {
    if (!parser_ || parser_->is_done() || cancelled_ || !stream_.socket().is_open()) {
      return on_chunk(Error{Code::kHttpBodyIncomplete, "the upstream response ended"});
    }
    auto piece = std::make_shared<std::string>(kBodyChunkBytes, '\0');
    parser_->get().body().data = piece->data();
    parser_->get().body().size = piece->size();
    stream_.expires_after(state_->timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this(), piece, on_chunk = std::move(on_chunk)](ErrorCode ec,
                                                                           std::size_t) mutable {
          if (ec == bhttp::error::need_buffer) ec = {};
          if (ec || self->cancelled_) {
            self->CloseStream();
            return on_chunk(Error{
                ec == beast::error::timeout ? Code::kHttpBodyTimeout : Code::kHttpBodyIncomplete,
                "the upstream response ended early"});
          }
          piece->resize(piece->size() - self->parser_->get().body().size);
          const bool last = self->parser_->is_done();
          if (last) self->CloseStream();
          on_chunk(BodyChunk{std::move(*piece), last});
        });
  }

  // The response content, read from the upstream connection as the client takes it.
  class UpstreamBody final : public BodyReader {
   public:
    UpstreamBody(std::shared_ptr<Exchange> exchange, std::optional<std::uint64_t> length)
        : exchange_(std::move(exchange)), length_(length) {}
    // Dropped before the end (the client left): the upstream connection closes.
    ~UpstreamBody() override { exchange_->PostCancel(); }
    void Read(OnChunk on_chunk) override { exchange_->PostReadResponsePiece(std::move(on_chunk)); }
    std::optional<std::uint64_t> declared_length() const override { return length_; }

   private:
    std::shared_ptr<Exchange> exchange_;
    std::optional<std::uint64_t> length_;
  };

  // Maps a transport error: a timeout → 504; anything else → 502.
  void Fail(const ErrorCode& ec, std::string_view code) {
    if (ec == beast::error::timeout) return Finish(JsonError(504, "upstream_timeout"));
    Finish(JsonError(502, cancelled_ ? "upstream_unavailable" : code));
  }

  // Closes with a TCP reset: SO_LINGER with a zero timeout discards unsent data.
  void AbortStream() {
    ErrorCode ignored;
    if (stream_.socket().is_open()) {
      stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
    }
    stream_.close();
  }

  void CloseStream() {
    ErrorCode ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  // Ends the exchange with `response` (no content follows from the upstream).
  void Finish(Response response) {
    if (finished_) return;
    CloseStream();
    body_.reset();
    Deliver(std::move(response));
  }

  void Deliver(Response response) {
    if (finished_) return;
    finished_ = true;
    Respond respond = std::move(respond_);
    respond(std::move(response));
  }

  const std::shared_ptr<ClientState> state_;
  Respond respond_;
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer resolve_timer_;
  bhttp::request<bhttp::buffer_body> message_;
  std::optional<bhttp::request_serializer<bhttp::buffer_body>> serializer_;
  std::shared_ptr<BodyReader> body_;              // the request body, until it is sent
  std::string request_piece_;                     // the piece being written
  std::optional<Result<BodyChunk>> first_piece_;  // read before connecting
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  bool head_ = false;
  bool cancelled_ = false;
  bool resolve_timed_out_ = false;
  bool finished_ = false;
  int interim_responses_ = 0;
};

class UpstreamClientImpl final : public UpstreamClient {
 public:
  UpstreamClientImpl(UpstreamAddress address, std::chrono::seconds timeout)
      : state_(std::make_shared<ClientState>(std::move(address), timeout)),
        work_(asio::make_work_guard(state_->io)),
        thread_([state = state_] { state->io.run(); }) {}

  ~UpstreamClientImpl() override {
    std::vector<std::shared_ptr<Exchange>> live;
    {
      std::lock_guard lock(state_->mutex);
      state_->closing = true;
      for (const auto& [key, weak] : state_->exchanges) {
        if (auto exchange = weak.lock()) live.push_back(std::move(exchange));
      }
    }
    // Every exchange in flight answers 502 and ends; then run() runs out of work.
    for (const auto& exchange : live) exchange->PostCancel();
    live.clear();
    work_.reset();
    thread_.join();
  }

  void Forward(Request request, Respond respond) override {
    auto exchange = std::make_shared<Exchange>(state_, std::move(respond));
    // Prepare before registering: a refused request never touches the network.
    std::optional<Response> refused = exchange->Prepare(std::move(request));
    {
      std::lock_guard lock(state_->mutex);
      if (!refused && state_->closing) refused = JsonError(502, "upstream_unavailable");
      if (!refused && state_->exchanges.size() >= kMaxConcurrentForwards) {
        refused = JsonError(503, "upstream_busy");
      }
      if (!refused) state_->exchanges.emplace(exchange.get(), exchange);
    }
    if (refused) return exchange->Refuse(std::move(*refused));
    exchange->Start();
  }

 private:
  std::shared_ptr<ClientState> state_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace

Result<UpstreamAddress> ParseUpstreamUrl(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return Error{Code::kInvalidArgument, "\"" + ForMessage(url) + "\" is not a URL"};
  const boost::urls::url_view& view = *parsed;
  if (view.scheme_id() != boost::urls::scheme::http) {
    return Error{Code::kInvalidArgument,
                 "must be an http:// URL (the upstream is reached over a trusted network)"};
  }
  if (view.has_userinfo()) return Error{Code::kInvalidArgument, "must not contain user info"};
  if (view.has_query() || view.has_fragment()) {
    return Error{Code::kInvalidArgument, "must not have a query or fragment"};
  }

  UpstreamAddress address;
  switch (view.host_type()) {
    case boost::urls::host_type::ipv4:
      address.host = view.host_ipv4_address().to_string();
      address.host_header = address.host;
      break;
    case boost::urls::host_type::ipv6:
      address.host = view.host_ipv6_address().to_string();
      address.host_header = "[" + address.host + "]";
      break;
    case boost::urls::host_type::name: {
      const std::string_view name = view.encoded_host();
      if (name.empty() || name.find('%') != std::string_view::npos) {
        return Error{Code::kInvalidArgument, "must name a host without percent-encoding"};
      }
      address.host = Lowercase(name);
      address.host_header = address.host;
      break;
    }
    case boost::urls::host_type::ipvfuture:
    case boost::urls::host_type::none:
      return Error{Code::kInvalidArgument, "must name a host"};
  }

  if (view.has_port()) {
    const std::string_view port = view.port();
    std::uint32_t number = 0;
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      for (char c : port) number = number * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (!digits || number == 0 || number > 65535) {
      return Error{Code::kInvalidArgument, "port must be 1..65535"};
    }
    address.port = static_cast<std::uint16_t>(number);
    address.host_header += ":" + std::to_string(number);
  }

  std::string path(view.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.empty() && path.front() != '/') {
    return Error{Code::kInvalidArgument, "the path must start with \"/\""};
  }
  if (!IsOriginForm(path.empty() ? "/" : path)) {
    return Error{Code::kInvalidArgument, "the path must be printable ASCII"};
  }
  address.path_prefix = std::move(path);
  return address;
}

Result<std::unique_ptr<UpstreamClient>> UpstreamClient::Create(const std::string& base_url,
                                                               std::int64_t timeout_seconds) {
  auto address = ParseUpstreamUrl(base_url);
  if (!address.ok()) {
    return Error{Code::kInvalidArgument, "upstream: " + address.error().message};
  }
  if (timeout_seconds < 1) {
    return Error{Code::kInvalidArgument, "upstream: the timeout must be at least 1 second"};
  }
  return std::unique_ptr<UpstreamClient>(
      new UpstreamClientImpl(std::move(address).value(), std::chrono::seconds(timeout_seconds)));
}

}  // namespace ztm::server::http
