// The gateway's HTTP/1.1 server on Boost.Beast + Asio + OpenSSL: TLS 1.2/1.3 (optional client
// certificate verification), keep-alive, a strand per connection, a timeout before every
// read and write, header and body caps per request, and graceful shutdown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "server/http/message.h"

namespace ztm::server::http {

struct ServerTls {
  std::string certificate_file;
  std::string private_key_file;
  std::optional<std::string> client_ca_file;
  bool require_client_certificate = false;
};

// Transport-level refusals the server answers itself (the handler never sees the request).
enum class TransportEvent {
  kHeaderTooLarge,  // 431
  kBodyTooLarge,    // 413
  kReadTimeout,     // 408
  kBadRequest,      // 400 (malformed HTTP)
  kTlsHandshakeFailed,
  kConnectionLimit,  // a connection refused because max_connections are open
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;        // 0: an ephemeral port (see HttpServer::port)
  std::optional<ServerTls> tls;  // absent: plaintext
  int threads = 1;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::int64_t read_timeout_seconds = 10;
  std::int64_t idle_timeout_seconds = 60;
  // Connections open at once; past it new ones are closed on accept. Each costs a socket,
  // buffers up to max_header_bytes + max_body_bytes and, with TLS, ~50 KiB of state.
  std::size_t max_connections = 10'000;
  // Called for each transport-level refusal (for metrics); may be empty.
  std::function<void(TransportEvent)> on_transport_event;
};

class HttpServer {
 public:
  // Binds and listens (fails with a clear message if the address is in use, the TLS files
  // are unreadable or do not match), but does not yet serve.
  static Result<std::unique_ptr<HttpServer>> Create(ServerOptions options, RequestHandler& handler);
  virtual ~HttpServer() = default;

  // The bound port (the ephemeral one when options.port was 0).
  virtual std::uint16_t port() const = 0;
  // Starts the worker threads and returns.
  virtual void Start() = 0;
  // Stops accepting, lets in-flight requests finish (up to `grace_seconds`), closes every
  // connection and joins the threads. Safe to call from a signal-handling thread; idempotent.
  virtual void Stop(std::int64_t grace_seconds = 10) = 0;
};

}  // namespace ztm::server::http
