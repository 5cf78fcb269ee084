// Loading ztm-gateway's YAML configuration into GatewayConfig (see config.h). Strict: an
// unknown or duplicate key, a value of the wrong type or outside its bounds, a missing
// required field or an unreadable referenced file is an error naming the full key path.
#include "server/config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <string_view>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "core/text.h"
#include "server/http/upstream.h"
#include "server/tokens/https_fetcher.h"
#include "server/verify/client_request.h"

namespace ztm::server {
namespace {

namespace fs = std::filesystem;

// A gateway config is a few kilobytes; a megabyte means the wrong file was given.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
// Enough for every API's path rules; bounds the per-request route match.
constexpr std::size_t kMaxRoutes = 1000;
constexpr std::size_t kMaxOidcIssuers = 32;
// Names one deployment is reached by (apex, www, api, a few ports); more is a mistake.
constexpr std::size_t kMaxPublicOrigins = 32;
// Methods per route: the registered HTTP methods number under 40; a rule listing more is
// a mistake.
constexpr std::size_t kMaxMethodsPerRoute = 16;
// The longest method name accepted (the longest registered one, UPDATEREDIRECTREF, has 17).
constexpr std::size_t kMaxMethodBytes = 32;
constexpr std::size_t kMaxPathPrefixBytes = 1024;
// Any other string value (names, URLs, paths): far above a real value, bounds error text.
constexpr std::size_t kMaxStringBytes = 4096;

// Numeric bounds (documented in config.h and docs/configuration.md).
constexpr std::int64_t kMinAccessTtl = 300, kMaxAccessTtl = 3600;
constexpr std::int64_t kDay = 86'400;
constexpr std::int64_t kMinFamilyLifetime = 7 * kDay, kMaxFamilyLifetime = 30 * kDay;
constexpr std::int64_t kMaxGraceSeconds = 60, kMaxGraceRetries = 5;
constexpr std::int64_t kMaxKeyRetirement = 30 * kDay;
constexpr std::int64_t kMinChallengeTtl = 10, kMaxChallengeTtl = 600;
constexpr std::int64_t kMinWindow = 5, kMaxWindow = 600;
constexpr std::int64_t kMaxClockSkew = 60;
constexpr std::int64_t kMinReplayCapacity = 1'000, kMaxReplayCapacity = 10'000'000;
constexpr std::int64_t kMaxThreads = 256;
constexpr std::int64_t kMinUpstreamTimeout = 1, kMaxUpstreamTimeout = 300;
// A DPoP-bound, signed request carries about 3 KiB of headers (token, proof, signature).
constexpr std::int64_t kMinHeaderBytes = 4 * 1024, kMaxHeaderBytes = 1024 * 1024;
// Bodies are buffered in memory before verification (the digest covers all of them).
constexpr std::int64_t kMaxBodyBytes = 64 * 1024 * 1024;
constexpr std::int64_t kMinReadTimeout = 1, kMaxReadTimeout = 300;
constexpr std::int64_t kMinIdleTimeout = 1, kMaxIdleTimeout = 3600;
constexpr double kMinRate = 0.001, kMaxRate = 1'000'000;
constexpr double kMinBurst = 1, kMaxBurst = 1'000'000;
constexpr std::int64_t kMinRateTable = 100, kMaxRateTable = 10'000'000;
// A prune more often than every minute only adds write-lock traffic; less often than weekly
// lets a busy gateway's tables grow for days.
constexpr std::int64_t kMinPruneInterval = 60, kMaxPruneInterval = 7 * 86'400;
// A scrape allow list names a few monitoring hosts or subnets.
constexpr std::size_t kMaxMetricsAllow = 64;

Error ConfigError(std::string_view path, std::string_view reason) {
  std::string message = "config: ";
  message += path;
  message += ": ";
  message += reason;
  return Error{Code::kConfigInvalid, std::move(message)};
}

std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string joined(path);
  joined += '.';
  joined += key;
  return joined;
}

std::string Indexed(std::string_view path, std::size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

std::string_view TypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// Bounds as people write them: 0.001, 1000000.
std::string FormatNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

bool IsPrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

bool HasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

// Numbers and booleans must be plain scalars ("300", not "'300'"); explicit YAML tags are
// not part of the config language.
Status CheckPlainScalar(const YAML::Node& node, std::string_view path, std::string_view expected) {
  if (!node.IsScalar()) {
    return ConfigError(
        path, "expected " + std::string(expected) + ", got " + std::string(TypeName(node)));
  }
  if (node.Tag() != "?") {
    return ConfigError(path,
                       "expected " + std::string(expected) + ", got a quoted or tagged value");
  }
  return OkStatus();
}

// Reads the keys of one YAML mapping. Created with the mapping's allowed keys: an unknown,
// duplicate or non-string key is an error before any value is read, so a misspelt key is
// reported as such rather than as the required key it failed to set.
class MapReader {
 public:
  static Result<MapReader> Create(const YAML::Node& node, std::string path,
                                  std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      return ConfigError(path.empty() ? "(top level)" : path,
                         "expected a mapping, got " + std::string(TypeName(node)));
    }
    std::set<std::string, std::less<>> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        return ConfigError(path.empty() ? "(top level)" : path, "keys must be plain strings");
      }
      const std::string& key = it->first.Scalar();
      const std::string key_path = Join(path, ForMessage(key));
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return ConfigError(key_path, "unknown key");
      }
      if (!seen.insert(key).second) return ConfigError(key_path, "duplicate key");
    }
    return MapReader(node, std::move(path));
  }

  // Const access only: yaml-cpp's non-const operator[] may add the key it looks up.
  bool Has(std::string_view key) const { return Get(key).IsDefined(); }
  std::string PathOf(std::string_view key) const { return Join(path_, key); }
  YAML::Node Get(std::string_view key) const { return node_[std::string(key)]; }

  // Each reader leaves `out` unchanged when the key is absent (its default stays).
  Status String(std::string_view key, std::string& out,
                std::size_t max_bytes = kMaxStringBytes) const {
    if (!Has(key)) return OkStatus();
    const YAML::Node value = Get(key);
    if (!value.IsScalar()) {
      return ConfigError(PathOf(key), "expected a string, got " + std::string(TypeName(value)));
    }
    if (value.Tag() != "?" && value.Tag() != "!") {
      return ConfigError(PathOf(key), "explicit YAML tags are not supported");
    }
    const std::string& text = value.Scalar();
    if (text.empty()) return ConfigError(PathOf(key), "must not be empty");
    if (text.size() > max_bytes) {
      return ConfigError(PathOf(key), "longer than " + std::to_string(max_bytes) + " bytes");
    }
    if (HasControlCharacter(text)) {
      return ConfigError(PathOf(key), "must not contain control characters");
    }
    out = text;
    return OkStatus();
  }

  Status OptionalString(std::string_view key, std::optional<std::string>& out) const {
    if (!Has(key)) return OkStatus();
    std::string value;
    ZTM_RETURN_IF_ERROR(String(key, value));
    out = std::move(value);
    return OkStatus();
  }

  Status RequiredString(std::string_view key, std::string& out,
                        std::size_t max_bytes = kMaxStringBytes) const {
    if (!Has(key)) return ConfigError(PathOf(key), "required");
    return String(key, out, max_bytes);
  }

  Status Bool(std::string_view key, bool& out) const {
    if (!Has(key)) return OkStatus();
    const YAML::Node value = Get(key);
    ZTM_RETURN_IF_ERROR(CheckPlainScalar(value, PathOf(key), "true or false"));
    if (value.Scalar() == "true") {
      out = true;
    } else if (value.Scalar() == "false") {
      out = false;
    } else {
      return ConfigError(PathOf(key),
                         "expected true or false, got \"" + ForMessage(value.Scalar()) + "\"");
    }
    return OkStatus();
  }

  template <typename Int>
  Status Integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max) const {
    if (!Has(key)) return OkStatus();
    const YAML::Node value = Get(key);
    ZTM_RETURN_IF_ERROR(CheckPlainScalar(value, PathOf(key), "an integer"));
    const std::string& text = value.Scalar();
    std::int64_t parsed = 0;
    // Decimal digits with an optional minus sign: no "+", hex, octal, exponent or "_".
    const bool digits_only = !text.empty() &&
                             std::all_of(text.begin() + (text[0] == '-' ? 1 : 0), text.end(),
                                         [](char c) { return c >= '0' && c <= '9'; }) &&
                             text != "-";
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (!digits_only || ec != std::errc() || end != text.data() + text.size()) {
      return ConfigError(PathOf(key), "expected an integer, got \"" + ForMessage(text) + "\"");
    }
    if (parsed < min || parsed > max) {
      return ConfigError(PathOf(key),
                         text + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    }
    out = static_cast<Int>(parsed);
    return OkStatus();
  }

  Status Number(std::string_view key, double& out, double min, double max) const {
    if (!Has(key)) return OkStatus();
    const YAML::Node value = Get(key);
    ZTM_RETURN_IF_ERROR(CheckPlainScalar(value, PathOf(key), "a number"));
    const std::string& text = value.Scalar();
    double parsed = 0;
    const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-';
    });
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (!plain || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(parsed)) {
      return ConfigError(PathOf(key), "expected a number, got \"" + ForMessage(text) + "\"");
    }
    if (parsed < min || parsed > max) {
      return ConfigError(PathOf(key), ForMessage(text) + " is outside " + FormatNumber(min) + ".." +
                                          FormatNumber(max));
    }
    out = parsed;
    return OkStatus();
  }

  Result<YAML::Node> Sequence(std::string_view key, std::size_t max_items) const {
    const YAML::Node value = Get(key);
    if (!value.IsSequence()) {
      return ConfigError(PathOf(key), "expected a list, got " + std::string(TypeName(value)));
    }
    if (value.size() > max_items) {
      return ConfigError(PathOf(key), "more than " + std::to_string(max_items) + " entries");
    }
    return value;
  }

 private:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  const YAML::Node node_;
  std::string path_;
};

// Resolves `path` against the config file's directory and checks that it names a readable
// regular file.
Status ResolveReadableFile(std::string_view key_path, const fs::path& base_dir, std::string& path) {
  fs::path resolved(path);
  if (resolved.is_relative()) resolved = base_dir / resolved;
  resolved = resolved.lexically_normal();
  path = resolved.string();
  std::error_code ec;
  if (!fs::is_regular_file(resolved, ec)) {
    const bool exists = fs::exists(resolved, ec);
    return ConfigError(key_path, "cannot read \"" + ForMessage(path) +
                                     "\": " + (exists ? "not a regular file" : "no such file"));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ConfigError(key_path,
                       "cannot read \"" + ForMessage(path) + "\": " + std::strerror(errno));
  }
  ::close(fd);
  return OkStatus();
}

// Resolves a file the gateway creates (database, master key): its directory must exist.
Status ResolveCreatableFile(std::string_view key_path, const fs::path& base_dir,
                            std::string& path) {
  fs::path resolved(path);
  if (resolved.is_relative()) resolved = base_dir / resolved;
  resolved = resolved.lexically_normal();
  path = resolved.string();
  std::error_code ec;
  if (fs::is_directory(resolved, ec)) {
    return ConfigError(key_path, "\"" + ForMessage(path) + "\" is a directory");
  }
  if (!fs::is_directory(resolved.parent_path(), ec)) {
    return ConfigError(key_path, "directory \"" + ForMessage(resolved.parent_path().string()) +
                                     "\" does not exist");
  }
  return OkStatus();
}

Status ParseTls(const YAML::Node& node, const std::string& path, const fs::path& base_dir,
                TlsConfig& tls) {
  ZTM_ASSIGN_OR_RETURN(MapReader reader,
                       MapReader::Create(node, path,
                                         {"certificate_file", "private_key_file", "client_ca_file",
                                          "require_client_certificate"}));
  ZTM_RETURN_IF_ERROR(reader.RequiredString("certificate_file", tls.certificate_file));
  ZTM_RETURN_IF_ERROR(reader.RequiredString("private_key_file", tls.private_key_file));
  ZTM_RETURN_IF_ERROR(reader.OptionalString("client_ca_file", tls.client_ca_file));
  ZTM_RETURN_IF_ERROR(reader.Bool("require_client_certificate", tls.require_client_certificate));
  ZTM_RETURN_IF_ERROR(
      ResolveReadableFile(reader.PathOf("certificate_file"), base_dir, tls.certificate_file));
  ZTM_RETURN_IF_ERROR(
      ResolveReadableFile(reader.PathOf("private_key_file"), base_dir, tls.private_key_file));
  if (tls.client_ca_file) {
    ZTM_RETURN_IF_ERROR(
        ResolveReadableFile(reader.PathOf("client_ca_file"), base_dir, *tls.client_ca_file));
  } else if (tls.require_client_certificate) {
    return ConfigError(reader.PathOf("require_client_certificate"),
                       "needs client_ca_file (the CA that client certificates must chain to)");
  }
  return OkStatus();
}

Status ParseListen(const YAML::Node& node, const fs::path& base_dir, ListenConfig& listen) {
  ZTM_ASSIGN_OR_RETURN(MapReader reader,
                       MapReader::Create(node, "listen",
                                         {"address", "port", "threads", "allow_plaintext", "tls",
                                          "public_origins"}));
  ZTM_RETURN_IF_ERROR(reader.String("address", listen.address));
  in6_addr scratch{};
  if (::inet_pton(AF_INET, listen.address.c_str(), &scratch) != 1 &&
      ::inet_pton(AF_INET6, listen.address.c_str(), &scratch) != 1) {
    return ConfigError(reader.PathOf("address"),
                       "\"" + ForMessage(listen.address) +
                           "\" is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::)");
  }
  // Port 0 asks the system for a free port (tests); the gateway logs the one it got.
  ZTM_RETURN_IF_ERROR(reader.Integer("port", listen.port, 0, 65535));
  ZTM_RETURN_IF_ERROR(reader.Integer("threads", listen.threads, 0, kMaxThreads));
  ZTM_RETURN_IF_ERROR(reader.Bool("allow_plaintext", listen.allow_plaintext));
  if (reader.Has("public_origins")) {
    ZTM_ASSIGN_OR_RETURN(YAML::Node origins, reader.Sequence("public_origins", kMaxPublicOrigins));
    for (std::size_t i = 0; i < origins.size(); ++i) {
      const std::string item_path = Indexed(reader.PathOf("public_origins"), i);
      const YAML::Node item = std::as_const(origins)[i];
      if (!item.IsScalar() || (item.Tag() != "?" && item.Tag() != "!") ||
          item.Scalar().size() > kMaxStringBytes) {
        return ConfigError(item_path, "expected an origin such as https://api.example.com");
      }
      auto origin = NormalizeOrigin(item.Scalar());
      if (!origin.ok()) {
        return ConfigError(item_path, "\"" + ForMessage(item.Scalar()) +
                                          "\" is not an origin such as https://api.example.com "
                                          "or https://10.0.0.5:8443");
      }
      if (std::find(listen.public_origins.begin(), listen.public_origins.end(), *origin) !=
          listen.public_origins.end()) {
        return ConfigError(item_path, "duplicate origin " + *origin);
      }
      listen.public_origins.push_back(std::move(*origin));
    }
    if (listen.public_origins.empty()) {
      return ConfigError(reader.PathOf("public_origins"),
                         "must not be empty (omit it to accept any Host)");
    }
  }
  if (reader.Has("tls")) {
    TlsConfig tls;
    ZTM_RETURN_IF_ERROR(ParseTls(reader.Get("tls"), reader.PathOf("tls"), base_dir, tls));
    listen.tls = std::move(tls);
  } else if (!listen.allow_plaintext) {
    return ConfigError(reader.PathOf("tls"),
                       "required (set listen.allow_plaintext: true only behind a TLS-terminating "
                       "proxy or in tests)");
  }
  return OkStatus();
}

Status ParseStorage(const YAML::Node& node, StorageConfig& storage) {
  ZTM_ASSIGN_OR_RETURN(MapReader reader, MapReader::Create(node, "storage",
                                                           {"sqlite_path", "master_key_file",
                                                            "prune_interval_seconds"}));
  ZTM_RETURN_IF_ERROR(reader.String("sqlite_path", storage.sqlite_path));
  ZTM_RETURN_IF_ERROR(reader.String("master_key_file", storage.master_key_file));
  ZTM_RETURN_IF_ERROR(reader.Integer("prune_interval_seconds", storage.prune_interval_seconds, 0,
                                     kMaxPruneInterval));
  if (storage.prune_interval_seconds != 0 && storage.prune_interval_seconds < kMinPruneInterval) {
    return ConfigError(reader.PathOf("prune_interval_seconds"),
                       std::to_string(storage.prune_interval_seconds) + " is neither 0 (off) nor " +
                           std::to_string(kMinPruneInterval) + ".." +
                           std::to_string(kMaxPruneInterval));
  }
  return OkStatus();
}

Status ParseMetrics(const YAML::Node& node, MetricsConfig& metrics) {
  ZTM_ASSIGN_OR_RETURN(MapReader reader, MapReader::Create(node, "metrics", {"enabled", "allow"}));
  ZTM_RETURN_IF_ERROR(reader.Bool("enabled", metrics.enabled));
  if (!reader.Has("allow")) return OkStatus();
  ZTM_ASSIGN_OR_RETURN(YAML::Node allow, reader.Sequence("allow", kMaxMetricsAllow));
  if (allow.size() == 0) {
    return ConfigError(reader.PathOf("allow"),
                       "must not be empty (set metrics.enabled: false to turn /metrics off)");
  }
  metrics.allow.clear();
  for (std::size_t i = 0; i < allow.size(); ++i) {
    const std::string item_path = Indexed(reader.PathOf("allow"), i);
    const YAML::Node item = std::as_const(allow)[i];
    if (!item.IsScalar() || (item.Tag() != "?" && item.Tag() != "!")) {
      return ConfigError(item_path, "expected a network such as 10.0.0.0/8 or fd00::/8");
    }
    auto network = IpNetwork::Parse(item.Scalar());
    if (!network.ok()) return ConfigError(item_path, network.error().message);
    metrics.allow.push_back(std::move(network).value());
  }
  return OkStatus();
}

Status ParseTokens(const YAML::Node& node, TokenConfig& tokens) {
  ZTM_ASSIGN_OR_RETURN(
      MapReader reader,
      MapReader::Create(
          node, "tokens",
          {"issuer", "audience", "access_token_ttl_seconds", "refresh_family_lifetime_seconds",
           "refresh_grace_seconds", "refresh_grace_max_retries", "key_retirement_seconds"}));
  ZTM_RETURN_IF_ERROR(reader.RequiredString("issuer", tokens.issuer));
  ZTM_RETURN_IF_ERROR(reader.RequiredString("audience", tokens.audience));
  ZTM_RETURN_IF_ERROR(reader.Integer("access_token_ttl_seconds", tokens.access_token_ttl_seconds,
                                     kMinAccessTtl, kMaxAccessTtl));
  ZTM_RETURN_IF_ERROR(reader.Integer("refresh_family_lifetime_seconds",
                                     tokens.refresh_family_lifetime_seconds, kMinFamilyLifetime,
                                     kMaxFamilyLifetime));
  ZTM_RETURN_IF_ERROR(
      reader.Integer("refresh_grace_seconds", tokens.refresh_grace_seconds, 0, kMaxGraceSeconds));
  ZTM_RETURN_IF_ERROR(reader.Integer("refresh_grace_max_retries", tokens.refresh_grace_max_retries,
                                     0, kMaxGraceRetries));
  // Retired keys must verify every token they signed: at least one access-token lifetime.
  ZTM_RETURN_IF_ERROR(reader.Integer("key_retirement_seconds", tokens.key_retirement_seconds,
                                     tokens.access_token_ttl_seconds, kMaxKeyRetirement));
  return OkStatus();
}

Status ParseOidcIssuer(const YAML::Node& node, const std::string& path, const fs::path& base_dir,
                       OidcIssuerConfig& issuer) {
  ZTM_ASSIGN_OR_RETURN(MapReader reader,
                       MapReader::Create(node, path,
                                         {"issuer", "audience", "jwks_file", "jwks_url",
                                          "jwks_ca_file", "jwks_refresh_seconds"}));
  ZTM_RETURN_IF_ERROR(reader.RequiredString("issuer", issuer.issuer));
  ZTM_RETURN_IF_ERROR(reader.RequiredString("audience", issuer.audience));
  ZTM_RETURN_IF_ERROR(reader.String("jwks_file", issuer.jwks_file));
  ZTM_RETURN_IF_ERROR(reader.OptionalString("jwks_url", issuer.jwks_url));
  ZTM_RETURN_IF_ERROR(reader.OptionalString("jwks_ca_file", issuer.jwks_ca_file));
  ZTM_RETURN_IF_ERROR(reader.Integer("jwks_refresh_seconds", issuer.jwks_refresh_seconds,
                                     kMinJwksRefreshSeconds, kMaxJwksRefreshSeconds));
  if (reader.Has("jwks_file") == issuer.jwks_url.has_value()) {
    return ConfigError(path, "set exactly one of jwks_file and jwks_url");
  }
  if (issuer.jwks_url) {
    if (!issuer.jwks_url->starts_with("https://")) {
      return ConfigError(reader.PathOf("jwks_url"),
                         "must be an https:// URL (the keys that vouch for users' identities)");
    }
    if (Status url = CheckHttpsUrl(*issuer.jwks_url); !url.ok()) {
      return ConfigError(reader.PathOf("jwks_url"), url.error().message);
    }
  } else {
    for (const char* key : {"jwks_ca_file", "jwks_refresh_seconds"}) {
      if (reader.Has(key)) return ConfigError(reader.PathOf(key), "only used with jwks_url");
    }
  }
  if (!issuer.jwks_file.empty()) {
    ZTM_RETURN_IF_ERROR(
        ResolveReadableFile(reader.PathOf("jwks_file"), base_dir, issuer.jwks_file));
  }
  if (issuer.jwks_ca_file) {
    ZTM_RETURN_IF_ERROR(
        ResolveReadableFile(reader.PathOf("jwks_ca_file"), base_dir, *issuer.jwks_ca_file));
  }
  return OkStatus();
}

Status ParseAttestation(const YAML::Node& node, AttestationConfig& attestation) {
  ZTM_ASSIGN_OR_RETURN(
      MapReader reader,
      MapReader::Create(node, "attestation", {"allow_software", "challenge_ttl_seconds"}));
  ZTM_RETURN_IF_ERROR(reader.Bool("allow_software", attestation.allow_software));
  ZTM_RETURN_IF_ERROR(reader.Integer("challenge_ttl_seconds", attestation.challenge_ttl_seconds,
                                     kMinChallengeTtl, kMaxChallengeTtl));
  return OkStatus();
}

Status ParseUpstream(const YAML::Node& node, UpstreamConfig& upstream) {
  ZTM_ASSIGN_OR_RETURN(MapReader reader,
                       MapReader::Create(node, "upstream", {"url", "timeout_seconds"}));
  ZTM_RETURN_IF_ERROR(reader.RequiredString("url", upstream.url));
  auto parsed = http::ParseUpstreamUrl(upstream.url);
  if (!parsed.ok()) return ConfigError(reader.PathOf("url"), parsed.error().message);
  ZTM_RETURN_IF_ERROR(reader.Integer("timeout_seconds", upstream.timeout_seconds,
                                     kMinUpstreamTimeout, kMaxUpstreamTimeout));
  return OkStatus();
}

Status ParseVerification(const YAML::Node& node, VerificationConfig& verification) {
  ZTM_ASSIGN_OR_RETURN(
      MapReader reader,
      MapReader::Create(node, "verification",
                        {"signature_window_seconds", "dpop_window_seconds", "clock_skew_seconds",
                         "require_dpop_nonce", "replay_cache_capacity"}));
  ZTM_RETURN_IF_ERROR(reader.Integer(
      "signature_window_seconds", verification.signature_window_seconds, kMinWindow, kMaxWindow));
  ZTM_RETURN_IF_ERROR(reader.Integer("dpop_window_seconds", verification.dpop_window_seconds,
                                     kMinWindow, kMaxWindow));
  ZTM_RETURN_IF_ERROR(
      reader.Integer("clock_skew_seconds", verification.clock_skew_seconds, 0, kMaxClockSkew));
  ZTM_RETURN_IF_ERROR(reader.Bool("require_dpop_nonce", verification.require_dpop_nonce));
  ZTM_RETURN_IF_ERROR(reader.Integer("replay_cache_capacity", verification.replay_cache_capacity,
                                     kMinReplayCapacity, kMaxReplayCapacity));
  return OkStatus();
}

// RFC 9110 §5.6.2 tchar, without lowercase letters: methods are case-sensitive and every
// registered one is uppercase, so "get" in a rule is a mistake that would never match.
bool IsUppercaseMethod(std::string_view method) {
  if (method.empty() || method.size() > kMaxMethodBytes) return false;
  for (char c : method) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// A prefix is compared with normalized request paths, so it must be normalized itself: it
// starts with "/" and has no empty, "." or ".." segment (a trailing "/" is allowed), no
// query or fragment, and only printable ASCII without spaces.
Status CheckPathPrefix(std::string_view key_path, std::string_view prefix) {
  if (!prefix.starts_with('/')) return ConfigError(key_path, "must start with \"/\"");
  if (!IsPrintableAscii(prefix) || prefix.find_first_of(" ?#") != std::string_view::npos) {
    return ConfigError(key_path, "must be a path without spaces, \"?\" or \"#\"");
  }
  std::size_t start = 1;
  while (start < prefix.size()) {
    const std::size_t end = std::min(prefix.find('/', start), prefix.size());
    const std::string_view segment = prefix.substr(start, end - start);
    if ((segment.empty() && end != prefix.size()) || segment == "." || segment == "..") {
      return ConfigError(key_path,
                         "must be a normalized path (no \"//\", \".\" or \"..\" segments)");
    }
    start = end + 1;
  }
  return OkStatus();
}

Status ParseRoute(const YAML::Node& node, const std::string& path, RoutePolicy& route) {
  ZTM_ASSIGN_OR_RETURN(MapReader reader,
                       MapReader::Create(node, path,
                                         {"path_prefix", "methods", "require_token", "require_dpop",
                                          "require_signature", "required_acr", "public_route"}));
  ZTM_RETURN_IF_ERROR(reader.RequiredString("path_prefix", route.path_prefix, kMaxPathPrefixBytes));
  ZTM_RETURN_IF_ERROR(CheckPathPrefix(reader.PathOf("path_prefix"), route.path_prefix));
  if (reader.Has("methods")) {
    ZTM_ASSIGN_OR_RETURN(YAML::Node methods, reader.Sequence("methods", kMaxMethodsPerRoute));
    for (std::size_t i = 0; i < methods.size(); ++i) {
      const std::string item_path = Indexed(reader.PathOf("methods"), i);
      const YAML::Node item = std::as_const(methods)[i];
      if (!item.IsScalar() || (item.Tag() != "?" && item.Tag() != "!")) {
        return ConfigError(item_path, "expected a method name such as GET");
      }
      const std::string& method = item.Scalar();
      if (!IsUppercaseMethod(method)) {
        return ConfigError(item_path, "\"" + ForMessage(method) +
                                          "\" is not an uppercase method name such as GET");
      }
      if (std::find(route.methods.begin(), route.methods.end(), method) != route.methods.end()) {
        return ConfigError(item_path, "duplicate method " + method);
      }
      route.methods.push_back(method);
    }
    if (route.methods.empty()) {
      return ConfigError(reader.PathOf("methods"),
                         "must not be empty (omit it to allow any method)");
    }
  }
  ZTM_RETURN_IF_ERROR(reader.Bool("public_route", route.public_route));
  if (route.public_route) {
    for (std::string_view flag :
         {"require_token", "require_dpop", "require_signature", "required_acr"}) {
      if (reader.Has(flag)) {
        return ConfigError(reader.PathOf(flag),
                           "not allowed on a public_route (a public route has no checks)");
      }
    }
    route.require_token = route.require_dpop = route.require_signature = false;
    return OkStatus();
  }
  ZTM_RETURN_IF_ERROR(reader.Bool("require_token", route.require_token));
  ZTM_RETURN_IF_ERROR(reader.Bool("require_dpop", route.require_dpop));
  ZTM_RETURN_IF_ERROR(reader.Bool("require_signature", route.require_signature));
  ZTM_RETURN_IF_ERROR(reader.OptionalString("required_acr", route.required_acr));
  // The acr is a claim of the access token: it means nothing without the token.
  if (route.required_acr && !route.require_token) {
    return ConfigError(reader.PathOf("required_acr"),
                       "needs require_token (acr is a claim of the access token)");
  }
  if (!route.require_token && !route.require_dpop && !route.require_signature) {
    return ConfigError(path, "every check is off: set public_route: true to say so explicitly");
  }
  // A DPoP proof is checked against the access token's cnf.jkt and ath (RFC 9449 §4.3): it
  // means nothing without the token.
  if (route.require_dpop && !route.require_token) {
    return ConfigError(reader.PathOf("require_dpop"),
                       "needs require_token (the proof is bound to the access token)");
  }
  // An RFC 9421 signature is checked against the device key named by the access token:
  // without the token there is no key to check it with, so the rule would demand a
  // signature nothing verifies.
  if (route.require_signature && !route.require_token) {
    return ConfigError(reader.PathOf("require_signature"),
                       "needs require_token (the signature is checked with the device key the "
                       "access token names)");
  }
  return OkStatus();
}

Status ParseLimits(const YAML::Node& node, LimitsConfig& limits) {
  ZTM_ASSIGN_OR_RETURN(
      MapReader reader,
      MapReader::Create(node, "limits",
                        {"max_header_bytes", "max_body_bytes", "read_timeout_seconds",
                         "idle_timeout_seconds", "per_ip_rate", "per_ip_burst", "per_device_rate",
                         "per_device_burst", "rate_table_capacity"}));
  ZTM_RETURN_IF_ERROR(reader.Integer("max_header_bytes", limits.max_header_bytes, kMinHeaderBytes,
                                     kMaxHeaderBytes));
  ZTM_RETURN_IF_ERROR(reader.Integer("max_body_bytes", limits.max_body_bytes, 0, kMaxBodyBytes));
  ZTM_RETURN_IF_ERROR(reader.Integer("read_timeout_seconds", limits.read_timeout_seconds,
                                     kMinReadTimeout, kMaxReadTimeout));
  ZTM_RETURN_IF_ERROR(reader.Integer("idle_timeout_seconds", limits.idle_timeout_seconds,
                                     kMinIdleTimeout, kMaxIdleTimeout));
  ZTM_RETURN_IF_ERROR(reader.Number("per_ip_rate", limits.per_ip_rate, kMinRate, kMaxRate));
  ZTM_RETURN_IF_ERROR(reader.Number("per_ip_burst", limits.per_ip_burst, kMinBurst, kMaxBurst));
  ZTM_RETURN_IF_ERROR(reader.Number("per_device_rate", limits.per_device_rate, kMinRate, kMaxRate));
  ZTM_RETURN_IF_ERROR(
      reader.Number("per_device_burst", limits.per_device_burst, kMinBurst, kMaxBurst));
  ZTM_RETURN_IF_ERROR(reader.Integer("rate_table_capacity", limits.rate_table_capacity,
                                     kMinRateTable, kMaxRateTable));
  return OkStatus();
}

Result<GatewayConfig> ParseConfigIn(const std::string& yaml_text, const fs::path& base_dir) {
  if (yaml_text.size() > kMaxConfigBytes) {
    return Error{Code::kConfigInvalid, "config: larger than 1 MiB"};
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports positions from 0.
    return Error{Code::kConfigInvalid, "config: line " + std::to_string(e.mark.line + 1) +
                                           ", column " + std::to_string(e.mark.column + 1) + ": " +
                                           e.msg};
  }
  if (documents.empty() || documents[0].IsNull()) {
    return Error{Code::kConfigInvalid, "config: the file is empty"};
  }
  if (documents.size() > 1) {
    return Error{Code::kConfigInvalid, "config: more than one YAML document"};
  }

  GatewayConfig config;
  try {
    ZTM_ASSIGN_OR_RETURN(MapReader top,
                         MapReader::Create(documents[0], "",
                                           {"listen", "storage", "tokens", "oidc_issuers",
                                            "attestation", "mode", "upstream", "verification",
                                            "routes", "limits", "metrics", "log_level"}));
    if (!top.Has("listen")) {
      return ConfigError("listen", "required (at least listen.tls, or allow_plaintext: true)");
    }
    ZTM_RETURN_IF_ERROR(ParseListen(top.Get("listen"), base_dir, config.listen));
    if (top.Has("storage")) {
      ZTM_RETURN_IF_ERROR(ParseStorage(top.Get("storage"), config.storage));
    }
    if (config.storage.sqlite_path != ":memory:") {
      ZTM_RETURN_IF_ERROR(
          ResolveCreatableFile("storage.sqlite_path", base_dir, config.storage.sqlite_path));
    }
    ZTM_RETURN_IF_ERROR(
        ResolveCreatableFile("storage.master_key_file", base_dir, config.storage.master_key_file));
    if (!top.Has("tokens"))
      return ConfigError("tokens", "required (tokens.issuer, tokens.audience)");
    ZTM_RETURN_IF_ERROR(ParseTokens(top.Get("tokens"), config.tokens));

    if (top.Has("oidc_issuers")) {
      ZTM_ASSIGN_OR_RETURN(YAML::Node issuers, top.Sequence("oidc_issuers", kMaxOidcIssuers));
      for (std::size_t i = 0; i < issuers.size(); ++i) {
        OidcIssuerConfig issuer;
        const std::string path = Indexed("oidc_issuers", i);
        ZTM_RETURN_IF_ERROR(ParseOidcIssuer(std::as_const(issuers)[i], path, base_dir, issuer));
        for (const auto& other : config.oidc_issuers) {
          if (other.issuer == issuer.issuer) {
            return ConfigError(path + ".issuer", "issuer listed twice");
          }
        }
        config.oidc_issuers.push_back(std::move(issuer));
      }
    }
    if (top.Has("attestation")) {
      ZTM_RETURN_IF_ERROR(ParseAttestation(top.Get("attestation"), config.attestation));
    }

    std::string mode = "reverse_proxy";
    ZTM_RETURN_IF_ERROR(top.String("mode", mode));
    if (mode == "reverse_proxy") {
      config.mode = GatewayMode::kReverseProxy;
    } else if (mode == "auth_request") {
      config.mode = GatewayMode::kAuthRequest;
    } else {
      return ConfigError("mode",
                         "\"" + ForMessage(mode) + "\" is not one of reverse_proxy, auth_request");
    }
    if (top.Has("upstream")) {
      if (config.mode != GatewayMode::kReverseProxy) {
        return ConfigError("upstream", "only used when mode is reverse_proxy");
      }
      UpstreamConfig upstream;
      ZTM_RETURN_IF_ERROR(ParseUpstream(top.Get("upstream"), upstream));
      config.upstream = std::move(upstream);
    } else if (config.mode == GatewayMode::kReverseProxy) {
      return ConfigError("upstream", "required when mode is reverse_proxy (upstream.url)");
    }

    if (top.Has("verification")) {
      ZTM_RETURN_IF_ERROR(ParseVerification(top.Get("verification"), config.verification));
    }
    if (top.Has("routes")) {
      ZTM_ASSIGN_OR_RETURN(YAML::Node routes, top.Sequence("routes", kMaxRoutes));
      if (routes.size() == 0) {
        return ConfigError("routes",
                           "must not be empty (omit it for one \"/\" route with every check)");
      }
      for (std::size_t i = 0; i < routes.size(); ++i) {
        RoutePolicy route;
        const std::string path = Indexed("routes", i);
        ZTM_RETURN_IF_ERROR(ParseRoute(std::as_const(routes)[i], path, route));
        for (std::size_t j = 0; j < config.routes.size(); ++j) {
          if (config.routes[j].path_prefix == route.path_prefix) {
            return ConfigError(path + ".path_prefix",
                               "same prefix as " + Indexed("routes", j) + " (merge the two rules)");
          }
        }
        config.routes.push_back(std::move(route));
      }
    } else {
      RoutePolicy everything;
      everything.path_prefix = "/";
      config.routes.push_back(std::move(everything));
    }
    if (top.Has("limits")) ZTM_RETURN_IF_ERROR(ParseLimits(top.Get("limits"), config.limits));
    if (top.Has("metrics")) ZTM_RETURN_IF_ERROR(ParseMetrics(top.Get("metrics"), config.metrics));

    ZTM_RETURN_IF_ERROR(top.String("log_level", config.log_level));
    static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                   "error", "critical", "off"};
    if (std::find(std::begin(kLevels), std::end(kLevels), config.log_level) == std::end(kLevels)) {
      return ConfigError("log_level", "\"" + ForMessage(config.log_level) +
                                          "\" is not one of trace, debug, info, warn, error, "
                                          "critical, off");
    }
  } catch (const YAML::Exception& e) {
    // Node accessors throw only on a malformed tree, which Load already refused; kept so a
    // yaml-cpp surprise is a config error, not a crash.
    return Error{Code::kConfigInvalid, std::string("config: ") + e.msg};
  }
  return config;
}

}  // namespace

Result<GatewayConfig> ParseConfig(const std::string& yaml_text) {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return Error{Code::kConfigInvalid, "config: cannot determine the current directory"};
  return ParseConfigIn(yaml_text, cwd);
}

Result<GatewayConfig> LoadConfig(const std::string& path) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  if (ec) return Error{Code::kConfigInvalid, "config: cannot resolve \"" + ForMessage(path) + "\""};
  std::ifstream file(absolute, std::ios::binary);
  if (!file || !fs::is_regular_file(absolute, ec)) {
    return Error{Code::kConfigInvalid, "config: cannot read \"" + ForMessage(path) + "\""};
  }
  std::string text;
  char buffer[8192];
  while (file.read(buffer, sizeof(buffer)) || file.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(file.gcount()));
    if (text.size() > kMaxConfigBytes) {
      return Error{Code::kConfigInvalid,
                   "config: \"" + ForMessage(path) + "\" is larger than 1 MiB"};
    }
  }
  if (file.bad()) {
    return Error{Code::kConfigInvalid, "config: cannot read \"" + ForMessage(path) + "\""};
  }
  return ParseConfigIn(text, absolute.parent_path());
}

}  // namespace ztm::server
