// The demo's HTTPS transport: Boost.Beast over OpenSSL, one connection per request, run as a
// coroutine on a private io_context so that every step (resolve, connect, handshake, write,
// read) is bounded by a timer and the whole exchange by an outer deadline.
#include "https_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <chrono>

namespace ztm::demo {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// Each network step (resolve, connect, TLS handshake, write, read) must finish within this:
// the gateway runs on the same machine and answers in milliseconds.
constexpr std::chrono::seconds kStepTimeout{10};
// The whole exchange, whatever the number of steps, ends by then.
constexpr std::chrono::seconds kExchangeTimeout{30};
// The gateway's answers are small JSON documents; the upstream's are under a kilobyte here.
constexpr std::uint64_t kMaxResponseBodyBytes = 1024 * 1024;
// Matches the gateway's own default header limit (limits.max_header_bytes).
constexpr std::uint32_t kMaxResponseHeaderBytes = 16 * 1024;
constexpr std::uint16_t kHttpsDefaultPort = 443;

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// What the coroutine hands back to Send.
struct Exchange {
  bool done = false;
  std::string failure;  // empty on success
  HttpsResponse response;
};

std::string TlsFailure(SSL* ssl, const beast::error_code& error) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return std::string("the gateway's certificate was refused: ") +
           X509_verify_cert_error_string(verify);
  }
  return "TLS handshake failed: " + error.message();
}

asio::awaitable<void> Run(asio::ssl::context& tls, const GatewayOrigin& origin,
                          const HttpsRequest& request, Exchange& exchange) {
  auto executor = co_await asio::this_coro::executor;
  beast::error_code error;
  auto check = asio::redirect_error(asio::use_awaitable, error);
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  auto& tcp_stream = beast::get_lowest_layer(stream);
  auto fail = [&](std::string what) {
    exchange.failure = std::move(what);
    exchange.done = true;
  };

  // RFC 6125 §6 name check done by OpenSSL during chain verification; RFC 6066 §3: SNI carries
  // host names only, never IP literals.
  SSL* ssl = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  beast::error_code not_an_address;
  asio::ip::make_address_v4(origin.host, not_an_address);
  const bool is_address = !not_an_address;
  if (is_address) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, origin.host.c_str()) != 1) {
      co_return fail("cannot set the expected IP address");
    }
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, origin.host.c_str(), origin.host.size()) != 1 ||
        SSL_set_tlsext_host_name(ssl, origin.host.c_str()) != 1) {
      co_return fail("cannot set the expected host name");
    }
  }

  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(origin.host, std::to_string(origin.port), check);
  if (error) co_return fail("cannot resolve " + origin.host + ": " + error.message());
  tcp_stream.expires_after(kStepTimeout);
  co_await tcp_stream.async_connect(endpoints, check);
  if (error) co_return fail("cannot connect to " + origin.authority + ": " + error.message());
  tcp_stream.expires_after(kStepTimeout);
  co_await stream.async_handshake(asio::ssl::stream_base::client, check);
  if (error) co_return fail(TlsFailure(ssl, error));

  bhttp::request<bhttp::string_body> message;
  message.method_string(request.method);
  message.target(request.target);
  message.version(11);
  message.set(bhttp::field::host, origin.authority);
  for (const auto& [name, value] : request.headers) message.insert(name, value);
  message.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    message.prepare_payload();
  }
  tcp_stream.expires_after(kStepTimeout);
  co_await bhttp::async_write(stream, message, check);
  if (error) co_return fail("cannot send the request: " + error.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxResponseBodyBytes);
  parser.header_limit(kMaxResponseHeaderBytes);
  tcp_stream.expires_after(kStepTimeout);
  co_await bhttp::async_read(stream, buffer, parser, check);
  if (error) co_return fail("cannot read the response: " + error.message());

  const auto& response = parser.get();
  exchange.response.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    exchange.response.headers.emplace_back(Lowercase(field.name_string()),
                                           std::string(field.value()));
  }
  exchange.response.body = response.body();
  exchange.done = true;
  // A TLS close_notify is a courtesy here: the response is complete, and a peer that closes
  // without one (stream_truncated) cannot have cut anything we still needed.
  tcp_stream.expires_after(kStepTimeout);
  co_await stream.async_shutdown(check);
}

}  // namespace

std::string GatewayOrigin::Url(std::string_view target) const {
  return "https://" + authority + std::string(target);
}

Result<GatewayOrigin> ParseGatewayOrigin(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return Error{Code::kInvalidArgument, "not an absolute URL: " + std::string(url)};
  const auto& uri = *parsed;
  if (Lowercase(uri.scheme()) != "https") {
    return Error{Code::kInvalidArgument, "the gateway URL must start with https://"};
  }
  if (uri.has_userinfo() || uri.has_query() || uri.has_fragment() ||
      !(uri.encoded_path().empty() || uri.encoded_path() == "/")) {
    return Error{Code::kInvalidArgument,
                 "the gateway URL must name only a host and a port, e.g. https://localhost:8443"};
  }
  const auto host_type = uri.host_type();
  if ((host_type != boost::urls::host_type::name && host_type != boost::urls::host_type::ipv4) ||
      uri.encoded_host().empty() || uri.encoded_host().find('%') != std::string_view::npos) {
    return Error{Code::kInvalidArgument, "the gateway URL needs a host name or an IPv4 address"};
  }
  GatewayOrigin origin;
  origin.host = Lowercase(uri.encoded_host());
  origin.port = kHttpsDefaultPort;
  if (uri.has_port()) {
    const std::string_view port = uri.port();
    unsigned value = 0;
    const auto [end, status] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (status != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Error{Code::kInvalidArgument, "the gateway URL's port must be within 1..65535"};
    }
    origin.port = static_cast<std::uint16_t>(value);
  }
  origin.authority = origin.host;
  if (origin.port != kHttpsDefaultPort) origin.authority += ":" + std::to_string(origin.port);
  return origin;
}

std::optional<std::string> HttpsResponse::Header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (field == name) return value;
  }
  return std::nullopt;
}

struct HttpsClient::Tls {
  asio::ssl::context context{asio::ssl::context::tls_client};
};

Result<HttpsClient> HttpsClient::Create(GatewayOrigin origin, const std::string& ca_file) {
  auto tls = std::make_shared<Tls>();
  beast::error_code error;
  tls->context.load_verify_file(ca_file, error);
  if (error) {
    return Error{Code::kInvalidArgument,
                 "cannot load the CA file " + ca_file + ": " + error.message()};
  }
  tls->context.set_verify_mode(asio::ssl::verify_peer);
  if (SSL_CTX_set_min_proto_version(tls->context.native_handle(), TLS1_2_VERSION) != 1) {
    return Error{Code::kInternal, "cannot require TLS 1.2"};
  }
  return HttpsClient(std::move(origin), std::move(tls));
}

Result<HttpsResponse> HttpsClient::Send(const HttpsRequest& request) const {
  Exchange exchange;
  {
    // The coroutine owns the socket; if the deadline passes, destroying the io_context
    // destroys the suspended coroutine and with it the connection.
    asio::io_context io;
    asio::co_spawn(io, Run(tls_->context, origin_, request, exchange), asio::detached);
    io.run_for(kExchangeTimeout);
  }
  if (!exchange.done) {
    return Error{Code::kInternal, "no answer from " + origin_.authority + " within " +
                                      std::to_string(kExchangeTimeout.count()) + " s"};
  }
  if (!exchange.failure.empty()) return Error{Code::kInternal, exchange.failure};
  return std::move(exchange.response);
}

}  // namespace ztm::demo
