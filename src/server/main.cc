// ztm-gateway: loads the configuration, opens the store and the master key, builds the gateway
// and serves it until SIGTERM or SIGINT, then stops gracefully. Logs are JSON lines on stderr;
// the "listening" line carries the bound address and port (the ephemeral one for port 0).
//
//   ztm-gateway --config FILE                serve
//   ztm-gateway --config FILE --check-config validate the file and exit (0 valid, 1 not)
//
// Exit codes: 0 clean stop or valid config, 1 refused config or failed start, 2 usage.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "server/api/gateway.h"
#include "server/api/json_logger.h"
#include "server/config.h"
#include "server/http/server.h"
#include "server/store/sqlite_store.h"
#include "server/tokens/master_key.h"

namespace {

using ztm::server::JsonLogger;
using ztm::server::LogLevel;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
// In-flight requests get this long to finish after SIGTERM before connections are closed.
constexpr std::int64_t kShutdownGraceSeconds = 10;
// Used when listen.threads is 0 and the core count is unknown.
constexpr int kFallbackThreads = 2;

constexpr std::string_view kUsage =
    "usage: ztm-gateway --config FILE [--check-config]\n"
    "  --config FILE     the gateway's YAML configuration (docs/configuration.md)\n"
    "  --check-config    validate the configuration and exit (0: valid, 1: refused)\n";

struct Arguments {
  std::string config_path;
  bool check_only = false;
};

// Returns false (after printing why) for a usage error.
bool ParseArguments(int argc, char** argv, Arguments& arguments, bool& help) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return true;
    }
    if (arg == "--check-config") {
      arguments.check_only = true;
    } else if (arg == "--config") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ztm-gateway: --config needs a FILE\n");
        return false;
      }
      arguments.config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      arguments.config_path = std::string(arg.substr(std::strlen("--config=")));
    } else {
      std::fprintf(stderr, "ztm-gateway: unknown argument %s\n", argv[i]);
      return false;
    }
  }
  if (arguments.config_path.empty()) {
    std::fprintf(stderr, "ztm-gateway: --config FILE is required\n");
    return false;
  }
  return true;
}

int Fail(JsonLogger& logger, std::string_view what, const ztm::Error& error) {
  logger.Error(what, {{"code", ztm::CodeName(error.code)}, {"error", error.message}});
  return kExitFailed;
}

int Serve(const ztm::server::GatewayConfig& config, JsonLogger& logger) {
  using namespace ztm::server;
  auto master_key = LoadOrCreateMasterKey(config.storage.master_key_file);
  if (!master_key.ok()) return Fail(logger, "master key refused", master_key.error());
  auto store = SqliteStore::Open(config.storage.sqlite_path, StoreOpenMode::kCreateIfMissing);
  if (!store.ok()) return Fail(logger, "store refused", store.error());
  auto gateway = Gateway::Create(config, **store, std::move(master_key).value(),
                                 ztm::SystemClock::Instance(), logger);
  if (!gateway.ok()) return Fail(logger, "gateway refused to start", gateway.error());

  http::ServerOptions options;
  options.address = config.listen.address;
  options.port = config.listen.port;
  if (config.listen.tls) {
    http::ServerTls tls;
    tls.certificate_file = config.listen.tls->certificate_file;
    tls.private_key_file = config.listen.tls->private_key_file;
    tls.client_ca_file = config.listen.tls->client_ca_file;
    tls.require_client_certificate = config.listen.tls->require_client_certificate;
    options.tls = std::move(tls);
  }
  int threads = config.listen.threads;
  if (threads <= 0) {
    const unsigned cores = std::thread::hardware_concurrency();
    threads = cores == 0 ? kFallbackThreads : static_cast<int>(cores);
  }
  options.threads = threads;
  options.max_header_bytes = config.limits.max_header_bytes;
  options.max_body_bytes = config.limits.max_body_bytes;
  options.read_timeout_seconds = config.limits.read_timeout_seconds;
  options.idle_timeout_seconds = config.limits.idle_timeout_seconds;
  Gateway* gateway_ptr = gateway->get();
  options.on_transport_event = [gateway_ptr](http::TransportEvent event) {
    gateway_ptr->RecordTransportEvent(event);
  };

  auto server = http::HttpServer::Create(std::move(options), (*gateway)->handler());
  if (!server.ok()) return Fail(logger, "cannot listen", server.error());
  (*server)->Start();
  if (config.listen.public_origins.empty()) {
    logger.Warn(
        "listen.public_origins is not set: any Host is accepted, so DPoP htu and "
        "RFC 9421 @target-uri bind only the path of a request, not the server it was "
        "made for");
  }
  logger.Info("listening", {{"address", config.listen.address},
                            {"port", static_cast<int>((*server)->port())},
                            {"tls", config.listen.tls.has_value() ? "on" : "off"},
                            {"mode", config.mode == GatewayMode::kAuthRequest ? "auth_request"
                                                                              : "reverse_proxy"},
                            {"threads", threads},
                            {"signing_kid", (*gateway)->key_ring().active_kid()}});

  // The signals were blocked in every thread (main() did so before any thread started), so
  // this thread receives them here, synchronously, and no handler runs in a worker.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  while (sigwait(&signals, &received) != 0) {
  }
  logger.Info("stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"},
                           {"grace_seconds", kShutdownGraceSeconds}});
  (*server)->Stop(kShutdownGraceSeconds);
  logger.Info("stopped");
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments arguments;
  bool help = false;
  if (!ParseArguments(argc, argv, arguments, help)) {
    std::fputs(kUsage.data(), stderr);
    return kExitUsage;
  }
  if (help) {
    std::fputs(kUsage.data(), stdout);
    return kExitOk;
  }
  // Block SIGTERM/SIGINT before any thread exists, so every thread inherits the mask and only
  // the main thread's sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A peer closing a socket mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);

  JsonLogger startup_logger(LogLevel::kInfo);
  auto config = ztm::server::LoadConfig(arguments.config_path);
  if (!config.ok()) return Fail(startup_logger, "configuration refused", config.error());
  if (arguments.check_only) {
    std::printf("%s: configuration is valid\n", arguments.config_path.c_str());
    return kExitOk;
  }
  auto level = ztm::server::ParseLogLevel(config->log_level);
  if (!level.ok()) return Fail(startup_logger, "configuration refused", level.error());
  JsonLogger logger(*level);
  return Serve(*config, logger);
}
