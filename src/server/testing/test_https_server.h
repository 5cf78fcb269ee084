// Test-only (header-only): a real HTTPS server on 127.0.0.1, the gateway's own HttpServer, that
// answers every request with a scripted response (optionally after a delay) and counts the
// requests, for tests of the gateway's outbound fetches (an OIDC issuer's JWKS).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "server/http/message.h"
#include "server/http/server.h"
#include "server/testing/test_pki.h"

namespace ztm::server::testing {

class ScriptedHttpsServer final : public http::RequestHandler {
 public:
  // Listens on 127.0.0.1 (an ephemeral port) with `certificate`; answers 404 until scripted.
  explicit ScriptedHttpsServer(const TestServerCertificate& certificate) {
    SetResponse(404, {}, "");
    http::ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.tls = http::ServerTls{certificate.certificate_file, certificate.private_key_file,
                                  std::nullopt, false};
    options.threads = 2;
    auto server = http::HttpServer::Create(std::move(options), *this);
    if (!server.ok()) throw std::runtime_error("test server: " + server.error().message);
    server_ = std::move(server).value();
    server_->Start();
  }
  ~ScriptedHttpsServer() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    server_->Stop(1);
  }

  void Handle(http::Request, http::Respond respond) override {
    std::unique_lock lock(mutex_);
    ++requests_;
    changed_.notify_all();
    // A delayed answer waits on the condition variable, so the destructor can cut it short.
    if (delay_.count() > 0) changed_.wait_for(lock, delay_, [&] { return stopping_; });
    http::Response response = response_;
    lock.unlock();
    respond(std::move(response));
  }

  // Every later request gets this response.
  void SetResponse(int status, http::HeaderList headers, std::string body) {
    std::lock_guard lock(mutex_);
    response_ = http::Response{};
    response_.status = status;
    response_.headers = std::move(headers);
    response_.body = std::move(body);
  }
  // A 200 application/json response with `body` and, if given, a Cache-Control field.
  void SetJson(std::string body, const std::string& cache_control = "") {
    http::HeaderList headers = {{"content-type", "application/json"}};
    if (!cache_control.empty()) headers.emplace_back("cache-control", cache_control);
    SetResponse(200, std::move(headers), std::move(body));
  }
  // Later requests are answered after `delay`.
  void SetDelay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    delay_ = delay;
  }

  std::size_t requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Waits until at least `count` requests arrived; false on timeout.
  bool WaitForRequests(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_ >= count; });
  }

  std::string Url(const std::string& path = "/jwks") const {
    return "https://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  // The same server named "localhost" (its certificate must name it).
  std::string LocalhostUrl(const std::string& path = "/jwks") const {
    return "https://localhost:" + std::to_string(server_->port()) + path;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  http::Response response_;
  std::chrono::milliseconds delay_{0};
  std::size_t requests_ = 0;
  bool stopping_ = false;
  // Last: destroyed first (after Stop() joined its threads in the destructor).
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace ztm::server::testing
