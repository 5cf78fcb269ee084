// Gateway config loading: a full file, the defaults, the sample in examples/, and one test
// per class of error with its exact message (unknown/duplicate keys, types, bounds,
// required fields, files, routes, mode and upstream).
#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "testdata.h"

namespace ztm::server {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "ztm_config_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = fs::path(pattern);
    fs::create_directories(dir_ / "tls");
    for (const char* file : {"tls/gateway.crt", "tls/gateway.key", "tls/clients.pem", "idp.jwks"}) {
      Write(file, "placeholder\n");
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  Result<GatewayConfig> Load(const std::string& yaml) {
    Write("gateway.yaml", yaml);
    return LoadConfig((dir_ / "gateway.yaml").string());
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // The smallest valid file; tests append or override sections.
  static std::string Minimal(const std::string& extra = "") {
    return "listen:\n"
           "  tls: {certificate_file: tls/gateway.crt, private_key_file: tls/gateway.key}\n"
           "tokens: {issuer: https://gw.example, audience: https://api.example}\n"
           "upstream: {url: \"http://127.0.0.1:8080\"}\n" +
           extra;
  }

  // Loads `yaml` and returns the error message ("" if it loaded).
  std::string ErrorOf(const std::string& yaml) {
    auto config = Load(yaml);
    if (config.ok()) return "";
    EXPECT_EQ(config.code(), Code::kConfigInvalid);
    return config.error().message;
  }

  fs::path dir_;
};

TEST_F(ConfigTest, LoadsFullFile) {
  auto config = Load(R"(# every option set
listen:
  address: 0.0.0.0
  port: 9443
  threads: 4
  allow_plaintext: false
  tls:
    certificate_file: tls/gateway.crt
    private_key_file: tls/gateway.key
    client_ca_file: tls/clients.pem
    require_client_certificate: true
storage:
  sqlite_path: state/gw.db
  master_key_file: /tmp/gw.key
tokens:
  issuer: https://gw.example
  audience: https://api.example
  access_token_ttl_seconds: 600
  refresh_family_lifetime_seconds: 864000
  refresh_grace_seconds: 10
  refresh_grace_max_retries: 3
  key_retirement_seconds: 7200
oidc_issuers:
  - issuer: https://accounts.example
    audience: ztm-client
    jwks_file: idp.jwks
  - issuer: https://login.example
    audience: other
    jwks_url: https://login.example/keys
attestation:
  allow_software: true
  challenge_ttl_seconds: 60
mode: reverse_proxy
upstream:
  url: http://10.0.0.2:8080/api
  timeout_seconds: 15
verification:
  signature_window_seconds: 30
  dpop_window_seconds: 45
  clock_skew_seconds: 2
  require_dpop_nonce: true
  replay_cache_capacity: 50000
routes:
  - path_prefix: /public/
    public_route: true
  - path_prefix: /v1/admin/
    methods: [GET, POST]
    required_acr: urn:ztm:acr:step-up
  - path_prefix: /v1/
    require_signature: false
limits:
  max_header_bytes: 8192
  max_body_bytes: 65536
  read_timeout_seconds: 5
  idle_timeout_seconds: 30
  per_ip_rate: 10.5
  per_ip_burst: 20
  per_device_rate: 2
  per_device_burst: 4
  rate_table_capacity: 5000
log_level: debug
)");
  fs::create_directories(dir_ / "state");  // sqlite_path's directory is checked at load
  config = LoadConfig(Path("gateway.yaml"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  const GatewayConfig& c = *config;
  EXPECT_EQ(c.listen.address, "0.0.0.0");
  EXPECT_EQ(c.listen.port, 9443);
  EXPECT_EQ(c.listen.threads, 4);
  EXPECT_FALSE(c.listen.allow_plaintext);
  ASSERT_TRUE(c.listen.tls);
  // Relative paths resolve against the config file's directory.
  EXPECT_EQ(c.listen.tls->certificate_file, Path("tls/gateway.crt"));
  EXPECT_EQ(c.listen.tls->private_key_file, Path("tls/gateway.key"));
  EXPECT_EQ(c.listen.tls->client_ca_file, Path("tls/clients.pem"));
  EXPECT_TRUE(c.listen.tls->require_client_certificate);
  EXPECT_EQ(c.storage.sqlite_path, Path("state/gw.db"));
  EXPECT_EQ(c.storage.master_key_file, "/tmp/gw.key");
  EXPECT_EQ(c.tokens.issuer, "https://gw.example");
  EXPECT_EQ(c.tokens.audience, "https://api.example");
  EXPECT_EQ(c.tokens.access_token_ttl_seconds, 600);
  EXPECT_EQ(c.tokens.refresh_family_lifetime_seconds, 864000);
  EXPECT_EQ(c.tokens.refresh_grace_seconds, 10);
  EXPECT_EQ(c.tokens.refresh_grace_max_retries, 3);
  EXPECT_EQ(c.tokens.key_retirement_seconds, 7200);
  ASSERT_EQ(c.oidc_issuers.size(), 2u);
  EXPECT_EQ(c.oidc_issuers[0].issuer, "https://accounts.example");
  EXPECT_EQ(c.oidc_issuers[0].audience, "ztm-client");
  EXPECT_EQ(c.oidc_issuers[0].jwks_file, Path("idp.jwks"));
  EXPECT_FALSE(c.oidc_issuers[0].jwks_url);
  EXPECT_EQ(c.oidc_issuers[1].jwks_file, "");
  EXPECT_EQ(c.oidc_issuers[1].jwks_url, "https://login.example/keys");
  EXPECT_TRUE(c.attestation.allow_software);
  EXPECT_EQ(c.attestation.challenge_ttl_seconds, 60);
  EXPECT_EQ(c.mode, GatewayMode::kReverseProxy);
  ASSERT_TRUE(c.upstream);
  EXPECT_EQ(c.upstream->url, "http://10.0.0.2:8080/api");
  EXPECT_EQ(c.upstream->timeout_seconds, 15);
  EXPECT_EQ(c.verification.signature_window_seconds, 30);
  EXPECT_EQ(c.verification.dpop_window_seconds, 45);
  EXPECT_EQ(c.verification.clock_skew_seconds, 2);
  EXPECT_TRUE(c.verification.require_dpop_nonce);
  EXPECT_EQ(c.verification.replay_cache_capacity, 50000u);
  ASSERT_EQ(c.routes.size(), 3u);
  EXPECT_EQ(c.routes[0].path_prefix, "/public/");
  EXPECT_TRUE(c.routes[0].public_route);
  EXPECT_FALSE(c.routes[0].require_token);
  EXPECT_FALSE(c.routes[0].require_dpop);
  EXPECT_FALSE(c.routes[0].require_signature);
  EXPECT_EQ(c.routes[1].methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(c.routes[1].required_acr, "urn:ztm:acr:step-up");
  EXPECT_TRUE(c.routes[1].require_token && c.routes[1].require_dpop &&
              c.routes[1].require_signature);
  EXPECT_FALSE(c.routes[1].public_route);
  EXPECT_TRUE(c.routes[2].require_token);
  EXPECT_FALSE(c.routes[2].require_signature);
  EXPECT_TRUE(c.routes[2].methods.empty());
  EXPECT_EQ(c.limits.max_header_bytes, 8192u);
  EXPECT_EQ(c.limits.max_body_bytes, 65536u);
  EXPECT_EQ(c.limits.read_timeout_seconds, 5);
  EXPECT_EQ(c.limits.idle_timeout_seconds, 30);
  EXPECT_DOUBLE_EQ(c.limits.per_ip_rate, 10.5);
  EXPECT_DOUBLE_EQ(c.limits.per_ip_burst, 20);
  EXPECT_DOUBLE_EQ(c.limits.per_device_rate, 2);
  EXPECT_DOUBLE_EQ(c.limits.per_device_burst, 4);
  EXPECT_EQ(c.limits.rate_table_capacity, 5000u);
  EXPECT_EQ(c.log_level, "debug");
}

TEST_F(ConfigTest, AppliesDefaults) {
  auto config = Load(Minimal());
  ASSERT_TRUE(config.ok()) << config.error().message;
  const GatewayConfig& c = *config;
  EXPECT_EQ(c.listen.address, "127.0.0.1");
  EXPECT_EQ(c.listen.port, 8443);
  EXPECT_EQ(c.listen.threads, 0);
  EXPECT_FALSE(c.listen.tls->client_ca_file);
  EXPECT_FALSE(c.listen.tls->require_client_certificate);
  EXPECT_EQ(c.storage.sqlite_path, Path("ztm-gateway.db"));
  EXPECT_EQ(c.storage.master_key_file, Path("ztm-gateway.key"));
  EXPECT_EQ(c.tokens.access_token_ttl_seconds, 900);
  EXPECT_EQ(c.tokens.refresh_family_lifetime_seconds, 1'209'600);
  EXPECT_EQ(c.tokens.refresh_grace_seconds, 5);
  EXPECT_EQ(c.tokens.refresh_grace_max_retries, 2);
  EXPECT_EQ(c.tokens.key_retirement_seconds, 3600);
  EXPECT_TRUE(c.oidc_issuers.empty());
  EXPECT_FALSE(c.attestation.allow_software);
  EXPECT_EQ(c.attestation.challenge_ttl_seconds, 120);
  EXPECT_EQ(c.mode, GatewayMode::kReverseProxy);
  EXPECT_EQ(c.upstream->timeout_seconds, 30);
  EXPECT_EQ(c.verification.signature_window_seconds, 60);
  EXPECT_EQ(c.verification.dpop_window_seconds, 60);
  EXPECT_EQ(c.verification.clock_skew_seconds, 5);
  EXPECT_FALSE(c.verification.require_dpop_nonce);
  EXPECT_EQ(c.verification.replay_cache_capacity, 1'000'000u);
  // One "/" route with every check.
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].path_prefix, "/");
  EXPECT_TRUE(c.routes[0].require_token && c.routes[0].require_dpop &&
              c.routes[0].require_signature);
  EXPECT_FALSE(c.routes[0].public_route);
  EXPECT_TRUE(c.routes[0].methods.empty());
  EXPECT_EQ(c.limits.max_header_bytes, 16u * 1024);
  EXPECT_EQ(c.limits.max_body_bytes, 1024u * 1024);
  EXPECT_EQ(c.limits.read_timeout_seconds, 10);
  EXPECT_EQ(c.limits.idle_timeout_seconds, 60);
  EXPECT_EQ(c.limits.rate_table_capacity, 100'000u);
  EXPECT_EQ(c.log_level, "info");
}

TEST_F(ConfigTest, AuthRequestModeAndPlaintext) {
  auto config = Load(
      "listen: {allow_plaintext: true, port: 0}\n"
      "tokens: {issuer: https://gw.example, audience: https://api.example}\n"
      "mode: auth_request\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->mode, GatewayMode::kAuthRequest);
  EXPECT_FALSE(config->upstream);
  EXPECT_FALSE(config->listen.tls);
  EXPECT_EQ(config->listen.port, 0);
}

TEST_F(ConfigTest, SampleConfigInExamplesLoads) {
  // examples/gateway.yaml, with the files the demo generates stood in by placeholders.
  const std::string sample = testing::ReadTestdata("../examples/gateway.yaml");
  fs::create_directories(dir_ / "tls");
  for (const char* file : {"tls/gateway.crt", "tls/gateway.key"}) Write(file, "x\n");
  auto config = Load(sample);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->attestation.allow_software);
  EXPECT_TRUE(config->listen.tls);
}

TEST_F(ConfigTest, FullExampleInDocsLoads) {
  const std::string doc = testing::ReadTestdata("../docs/configuration.md");
  const std::size_t section = doc.find("## Full example");
  ASSERT_NE(section, std::string::npos);
  const std::size_t start = doc.find("```yaml\n", section);
  ASSERT_NE(start, std::string::npos);
  const std::size_t end = doc.find("```", start + 8);
  ASSERT_NE(end, std::string::npos);
  for (const char* file : {"tls/clients-ca.crt", "idp-jwks.json"}) Write(file, "x\n");
  auto config = Load(doc.substr(start + 8, end - start - 8));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->routes.size(), 3u);
  ASSERT_EQ(config->oidc_issuers.size(), 2u);
  EXPECT_EQ(config->oidc_issuers[1].jwks_url, "https://login.example/.well-known/jwks.json");
}

TEST_F(ConfigTest, RefusesUnknownAndDuplicateKeys) {
  EXPECT_EQ(ErrorOf(Minimal("listne: {}\n")), "config: listne: unknown key");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\n"
                    "tokens: {issuer: i, audience: a, acess_ttl: 5}\n"),
            "config: tokens.acess_ttl: unknown key");
  EXPECT_EQ(ErrorOf(Minimal("routes:\n  - {path_prefix: /, require_tokn: false}\n")),
            "config: routes[0].require_tokn: unknown key");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\n"
                    "tokens: {issuer: a, issuer: b, audience: c}\n"),
            "config: tokens.issuer: duplicate key");
  EXPECT_EQ(ErrorOf(Minimal("log_level: info\nlog_level: debug\n")),
            "config: log_level: duplicate key");
  // Unprintable key text is shown escaped.
  EXPECT_EQ(ErrorOf(Minimal("\"bad\\tkey\": 1\n")), "config: bad\\x09key: unknown key");
}

TEST_F(ConfigTest, RefusesWrongTypes) {
  auto with_listen = [](const std::string& listen) {
    return "listen: {allow_plaintext: true, " + listen +
           "}\ntokens: {issuer: i, audience: a}\nmode: auth_request\n";
  };
  EXPECT_EQ(ErrorOf(with_listen("port: abc")),
            "config: listen.port: expected an integer, got \"abc\"");
  EXPECT_EQ(ErrorOf(with_listen("port: \"8443\"")),
            "config: listen.port: expected an integer, got a quoted or tagged value");
  EXPECT_EQ(ErrorOf(with_listen("port: [1]")),
            "config: listen.port: expected an integer, got a list");
  EXPECT_EQ(ErrorOf(with_listen("port: 0x10")),
            "config: listen.port: expected an integer, got \"0x10\"");
  EXPECT_EQ(ErrorOf(with_listen("port: 1e3")),
            "config: listen.port: expected an integer, got \"1e3\"");
  EXPECT_EQ(ErrorOf(with_listen("port: ")), "config: listen.port: expected an integer, got null");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: yes}\ntokens: {issuer: i, audience: a}\n"),
            "config: listen.allow_plaintext: expected true or false, got \"yes\"");
  EXPECT_EQ(ErrorOf(with_listen("address: {a: 1}")),
            "config: listen.address: expected a string, got a mapping");
  EXPECT_EQ(ErrorOf("listen: []\n"), "config: listen: expected a mapping, got a list");
  EXPECT_EQ(ErrorOf(Minimal("routes: {path_prefix: /}\n")),
            "config: routes: expected a list, got a mapping");
  EXPECT_EQ(ErrorOf(Minimal("limits: {per_ip_rate: fast}\n")),
            "config: limits.per_ip_rate: expected a number, got \"fast\"");
  EXPECT_EQ(ErrorOf(Minimal("limits: {per_ip_rate: .nan}\n")),
            "config: limits.per_ip_rate: expected a number, got \".nan\"");
  EXPECT_EQ(ErrorOf(Minimal("log_level: !!str info\n")),
            "config: log_level: explicit YAML tags are not supported");
}

TEST_F(ConfigTest, EnforcesEveryNumericBound) {
  struct Case {
    std::string section, key, value, message;
  };
  const std::vector<Case> cases = {
      {"tokens", "access_token_ttl_seconds", "30", "30 is outside 300..3600"},
      {"tokens", "access_token_ttl_seconds", "3601", "3601 is outside 300..3600"},
      {"tokens", "refresh_family_lifetime_seconds", "604799", "604799 is outside 604800..2592000"},
      {"tokens", "refresh_family_lifetime_seconds", "2592001",
       "2592001 is outside 604800..2592000"},
      {"tokens", "refresh_grace_seconds", "61", "61 is outside 0..60"},
      {"tokens", "refresh_grace_seconds", "-1", "-1 is outside 0..60"},
      {"tokens", "refresh_grace_max_retries", "6", "6 is outside 0..5"},
      {"tokens", "key_retirement_seconds", "899", "899 is outside 900..2592000"},
      {"attestation", "challenge_ttl_seconds", "9", "9 is outside 10..600"},
      {"attestation", "challenge_ttl_seconds", "601", "601 is outside 10..600"},
      {"verification", "signature_window_seconds", "4", "4 is outside 5..600"},
      {"verification", "signature_window_seconds", "601", "601 is outside 5..600"},
      {"verification", "dpop_window_seconds", "4", "4 is outside 5..600"},
      {"verification", "clock_skew_seconds", "61", "61 is outside 0..60"},
      {"verification", "replay_cache_capacity", "999", "999 is outside 1000..10000000"},
      {"upstream", "timeout_seconds", "0", "0 is outside 1..300"},
      {"limits", "max_header_bytes", "4095", "4095 is outside 4096..1048576"},
      {"limits", "max_body_bytes", "67108865", "67108865 is outside 0..67108864"},
      {"limits", "read_timeout_seconds", "0", "0 is outside 1..300"},
      {"limits", "idle_timeout_seconds", "3601", "3601 is outside 1..3600"},
      {"limits", "per_ip_rate", "0", "0 is outside 0.001..1000000"},
      {"limits", "per_ip_burst", "0.5", "0.5 is outside 1..1000000"},
      {"limits", "per_device_rate", "2e6", "2e6 is outside 0.001..1000000"},
      {"limits", "per_device_burst", "1000001", "1000001 is outside 1..1000000"},
      {"limits", "rate_table_capacity", "99", "99 is outside 100..10000000"},
      {"listen", "threads", "257", "257 is outside 0..256"},
      {"listen", "port", "65536", "65536 is outside 0..65535"},
  };
  for (const auto& c : cases) {
    std::string yaml;
    if (c.section == "listen") {
      yaml = "listen: {allow_plaintext: true, " + c.key + ": " + c.value +
             "}\ntokens: {issuer: i, audience: a}\nmode: auth_request\n";
    } else if (c.section == "tokens") {
      yaml = "listen: {allow_plaintext: true}\ntokens: {issuer: i, audience: a, " + c.key + ": " +
             c.value + "}\nmode: auth_request\n";
    } else if (c.section == "upstream") {
      yaml =
          "listen: {allow_plaintext: true}\ntokens: {issuer: i, audience: a}\n"
          "upstream: {url: \"http://u:1\", " +
          c.key + ": " + c.value + "}\n";
    } else {
      yaml = Minimal(c.section + ": {" + c.key + ": " + c.value + "}\n");
    }
    EXPECT_EQ(ErrorOf(yaml), "config: " + c.section + "." + c.key + ": " + c.message) << yaml;
  }
  // key_retirement_seconds follows a raised access-token lifetime.
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\nmode: auth_request\ntokens: {issuer: i, "
                    "audience: a, access_token_ttl_seconds: 1800, key_retirement_seconds: 1000}\n"),
            "config: tokens.key_retirement_seconds: 1000 is outside 1800..2592000");
}

TEST_F(ConfigTest, RequiresFields) {
  EXPECT_EQ(ErrorOf("tokens: {issuer: i, audience: a}\n"),
            "config: listen: required (at least listen.tls, or allow_plaintext: true)");
  EXPECT_EQ(ErrorOf("listen: {port: 1}\ntokens: {issuer: i, audience: a}\n"),
            "config: listen.tls: required (set listen.allow_plaintext: true only behind a "
            "TLS-terminating proxy or in tests)");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\n"),
            "config: tokens: required (tokens.issuer, tokens.audience)");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\ntokens: {audience: a}\n"),
            "config: tokens.issuer: required");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\ntokens: {issuer: i}\n"),
            "config: tokens.audience: required");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\ntokens: {issuer: \"\", audience: a}\n"),
            "config: tokens.issuer: must not be empty");
  EXPECT_EQ(ErrorOf("listen:\n  tls: {certificate_file: tls/gateway.crt}\n"
                    "tokens: {issuer: i, audience: a}\n"),
            "config: listen.tls.private_key_file: required");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\ntokens: {issuer: i, audience: a}\n"),
            "config: upstream: required when mode is reverse_proxy (upstream.url)");
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true}\ntokens: {issuer: i, audience: a}\n"
                    "upstream: {timeout_seconds: 5}\n"),
            "config: upstream.url: required");
}

TEST_F(ConfigTest, ChecksModeAndUpstream) {
  EXPECT_EQ(ErrorOf(Minimal("mode: proxy\n")),
            "config: mode: \"proxy\" is not one of reverse_proxy, auth_request");
  EXPECT_EQ(ErrorOf(Minimal("mode: auth_request\n")),
            "config: upstream: only used when mode is reverse_proxy");
  const std::string base =
      "listen: {allow_plaintext: true}\ntokens: {issuer: i, audience: a}\nupstream: {url: ";
  EXPECT_EQ(ErrorOf(base + "\"https://api\"}\n"),
            "config: upstream.url: must be an http:// URL (the upstream is reached over a "
            "trusted network)");
  EXPECT_EQ(ErrorOf(base + "\"http://api:99999\"}\n"),
            "config: upstream.url: port must be 1..65535");
  EXPECT_EQ(ErrorOf(base + "\"http://api/x?y=1\"}\n"),
            "config: upstream.url: must not have a query or fragment");
  EXPECT_EQ(ErrorOf(Minimal("log_level: verbose\n")),
            "config: log_level: \"verbose\" is not one of trace, debug, info, warn, error, "
            "critical, off");
}

TEST_F(ConfigTest, ChecksReferencedFiles) {
  EXPECT_EQ(ErrorOf("listen:\n  tls: {certificate_file: tls/missing.crt, private_key_file: "
                    "tls/gateway.key}\ntokens: {issuer: i, audience: a}\n"),
            "config: listen.tls.certificate_file: cannot read \"" + Path("tls/missing.crt") +
                "\": no such file");
  EXPECT_EQ(ErrorOf("listen:\n  tls: {certificate_file: tls/gateway.crt, private_key_file: "
                    "tls}\ntokens: {issuer: i, audience: a}\n"),
            "config: listen.tls.private_key_file: cannot read \"" + Path("tls") +
                "\": not a regular file");
  EXPECT_EQ(
      ErrorOf("listen:\n  tls: {certificate_file: tls/gateway.crt, private_key_file: "
              "tls/gateway.key, client_ca_file: nope.pem}\n"
              "tokens: {issuer: i, audience: a}\n"),
      "config: listen.tls.client_ca_file: cannot read \"" + Path("nope.pem") + "\": no such file");
  EXPECT_EQ(ErrorOf("listen:\n  tls: {certificate_file: tls/gateway.crt, private_key_file: "
                    "tls/gateway.key, require_client_certificate: true}\n"
                    "tokens: {issuer: i, audience: a}\n"),
            "config: listen.tls.require_client_certificate: needs client_ca_file (the CA that "
            "client certificates must chain to)");
  EXPECT_EQ(
      ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_file: none.json}\n")),
      "config: oidc_issuers[0].jwks_file: cannot read \"" + Path("none.json") + "\": no such file");
  EXPECT_EQ(
      ErrorOf(Minimal("storage: {sqlite_path: no/such/dir/gw.db}\n")),
      "config: storage.sqlite_path: directory \"" + Path("no/such/dir") + "\" does not exist");
  auto missing = LoadConfig(Path("absent.yaml"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "config: cannot read \"" + Path("absent.yaml") + "\"");
}

TEST_F(ConfigTest, ChecksOidcIssuers) {
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y}\n")),
            "config: oidc_issuers[0]: set exactly one of jwks_file and jwks_url");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_file: idp.jwks, "
                            "jwks_url: \"https://x/k\"}\n")),
            "config: oidc_issuers[0]: set exactly one of jwks_file and jwks_url");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_url: "
                            "\"http://x/k\"}\n")),
            "config: oidc_issuers[0].jwks_url: must be an https:// URL (the keys that vouch for "
            "users' identities)");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_file: idp.jwks}\n"
                            "  - {issuer: x, audience: z, jwks_file: idp.jwks}\n")),
            "config: oidc_issuers[1].issuer: issuer listed twice");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {audience: y, jwks_file: idp.jwks}\n")),
            "config: oidc_issuers[0].issuer: required");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_url: "
                            "\"https://u:p@x/k\"}\n")),
            "config: oidc_issuers[0].jwks_url: must not contain user info");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_url: "
                            "\"https://x/k#f\"}\n")),
            "config: oidc_issuers[0].jwks_url: must not have a fragment");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_url: "
                            "\"https:///k\"}\n")),
            "config: oidc_issuers[0].jwks_url: must name a host");
  // The jwks_url options mean nothing for a file.
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_file: idp.jwks, "
                            "jwks_ca_file: idp.jwks}\n")),
            "config: oidc_issuers[0].jwks_ca_file: only used with jwks_url");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_file: idp.jwks, "
                            "jwks_refresh_seconds: 600}\n")),
            "config: oidc_issuers[0].jwks_refresh_seconds: only used with jwks_url");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_url: "
                            "\"https://x/k\", jwks_refresh_seconds: 299}\n")),
            "config: oidc_issuers[0].jwks_refresh_seconds: 299 is outside 300..86400");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_url: "
                            "\"https://x/k\", jwks_refresh_seconds: 86401}\n")),
            "config: oidc_issuers[0].jwks_refresh_seconds: 86401 is outside 300..86400");
  EXPECT_EQ(ErrorOf(Minimal("oidc_issuers:\n  - {issuer: x, audience: y, jwks_url: "
                            "\"https://x/k\", jwks_ca_file: none.pem}\n")),
            "config: oidc_issuers[0].jwks_ca_file: cannot read \"" + Path("none.pem") +
                "\": no such file");
}

TEST_F(ConfigTest, LoadsJwksUrlOptions) {
  Write("idp-ca.pem", "placeholder\n");
  auto config = Load(Minimal(
      "oidc_issuers:\n"
      "  - {issuer: a, audience: y, jwks_url: \"https://idp.example/jwks\"}\n"
      "  - {issuer: b, audience: y, jwks_url: \"https://idp.internal:8443/keys?tenant=1\",\n"
      "     jwks_ca_file: idp-ca.pem, jwks_refresh_seconds: 600}\n"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->oidc_issuers.size(), 2u);
  const OidcIssuerConfig& defaults = config->oidc_issuers[0];
  EXPECT_EQ(defaults.jwks_url, "https://idp.example/jwks");
  EXPECT_FALSE(defaults.jwks_ca_file);
  EXPECT_EQ(defaults.jwks_refresh_seconds, 3600);
  const OidcIssuerConfig& custom = config->oidc_issuers[1];
  EXPECT_EQ(custom.jwks_ca_file, Path("idp-ca.pem"));
  EXPECT_EQ(custom.jwks_refresh_seconds, 600);
}

TEST_F(ConfigTest, ChecksRoutes) {
  auto route = [](const std::string& body) { return Minimal("routes:\n  - " + body + "\n"); };
  EXPECT_EQ(ErrorOf(route("{path_prefix: v1/}")),
            "config: routes[0].path_prefix: must start with \"/\"");
  EXPECT_EQ(ErrorOf(route("{require_token: true}")), "config: routes[0].path_prefix: required");
  for (const char* prefix : {"/v1/../admin", "/v1//x", "/./x", "/v1/.."}) {
    EXPECT_EQ(ErrorOf(route(std::string("{path_prefix: \"") + prefix + "\"}")),
              "config: routes[0].path_prefix: must be a normalized path (no \"//\", \".\" or "
              "\"..\" segments)")
        << prefix;
  }
  EXPECT_EQ(ErrorOf(route("{path_prefix: \"/a?b\"}")),
            "config: routes[0].path_prefix: must be a path without spaces, \"?\" or \"#\"");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /v1/, methods: [GET, get]}")),
            "config: routes[0].methods[1]: \"get\" is not an uppercase method name such as GET");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /v1/, methods: [GET, GET]}")),
            "config: routes[0].methods[1]: duplicate method GET");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /v1/, methods: []}")),
            "config: routes[0].methods: must not be empty (omit it to allow any method)");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /v1/, methods: [[GET]]}")),
            "config: routes[0].methods[0]: expected a method name such as GET");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /p/, public_route: true, require_token: false}")),
            "config: routes[0].require_token: not allowed on a public_route (a public route has "
            "no checks)");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /p/, public_route: true, required_acr: x}")),
            "config: routes[0].required_acr: not allowed on a public_route (a public route has "
            "no checks)");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /p/, require_token: false, require_dpop: false, "
                          "require_signature: false}")),
            "config: routes[0]: every check is off: set public_route: true to say so explicitly");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /p/, require_token: false}")),
            "config: routes[0].require_dpop: needs require_token (the proof is bound to the "
            "access token)");
  EXPECT_EQ(ErrorOf(route("{path_prefix: /p/, require_token: false, require_dpop: false, "
                          "require_signature: false, required_acr: x}")),
            "config: routes[0].required_acr: needs require_token (acr is a claim of the access "
            "token)");
  EXPECT_EQ(ErrorOf(Minimal("routes:\n  - {path_prefix: /a/}\n  - {path_prefix: /a/}\n")),
            "config: routes[1].path_prefix: same prefix as routes[0] (merge the two rules)");
  EXPECT_EQ(ErrorOf(Minimal("routes: []\n")),
            "config: routes: must not be empty (omit it for one \"/\" route with every check)");
  // A signature without a token: the verifier finds the device key through the token, so a
  // request without one would pass unsigned. The contradiction is refused at load.
  EXPECT_EQ(ErrorOf(route("{path_prefix: /telemetry/, require_token: false, require_dpop: "
                          "false}")),
            "config: routes[0].require_signature: needs require_token (the signature is checked "
            "with the device key the access token names)");
}

TEST_F(ConfigTest, PublicOrigins) {
  auto with_origins = [](const std::string& list) {
    return "listen: {allow_plaintext: true, public_origins: " + list +
           "}\ntokens: {issuer: i, audience: a}\nmode: auth_request\n";
  };
  auto config = Load(with_origins(
      R"(["HTTPS://Api.Example.com:443", "https://10.0.0.5:8443", "http://[::1]:8080"])"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->listen.public_origins,
            (std::vector<std::string>{"https://api.example.com", "https://10.0.0.5:8443",
                                      "http://[::1]:8080"}));
  for (const std::string bad :
       {"api.example.com", "https://api.example.com/", "https://api.example.com/v1",
        "https://user@api.example.com", "https://api.example.com:0", "https://api.example.com:x",
        "https://api.example.com:", "ftp://api.example.com", "https://", "https://[::1"}) {
    EXPECT_NE(ErrorOf(with_origins("[\"" + bad + "\"]")).find("listen.public_origins[0]: \""),
              std::string::npos)
        << bad;
  }
  EXPECT_EQ(ErrorOf(with_origins("[]")),
            "config: listen.public_origins: must not be empty (omit it to accept any Host)");
  EXPECT_EQ(ErrorOf(with_origins(R"(["https://a.test", "https://A.test:443"])")),
            "config: listen.public_origins[1]: duplicate origin https://a.test");
}

TEST_F(ConfigTest, ChecksListenAddressAndDocumentShape) {
  EXPECT_EQ(ErrorOf("listen: {allow_plaintext: true, address: localhost}\n"),
            "config: listen.address: \"localhost\" is not an IP address (e.g. 127.0.0.1, "
            "0.0.0.0 or ::)");
  auto ipv6 = Load(
      "listen: {allow_plaintext: true, address: \"::\"}\n"
      "tokens: {issuer: i, audience: a}\nmode: auth_request\n");
  EXPECT_TRUE(ipv6.ok()) << ipv6.error().message;
  EXPECT_EQ(ErrorOf(""), "config: the file is empty");
  EXPECT_EQ(ErrorOf("# only a comment\n"), "config: the file is empty");
  EXPECT_EQ(ErrorOf("- a\n- b\n"), "config: (top level): expected a mapping, got a list");
  EXPECT_EQ(ErrorOf(Minimal() + "---\nlisten: {}\n"), "config: more than one YAML document");
  const std::string syntax = ErrorOf("listen: {allow_plaintext: true\ntokens: [\n");
  EXPECT_EQ(syntax.rfind("config: line ", 0), 0u) << syntax;
  EXPECT_EQ(ErrorOf(Minimal("tokens2: 1\n")), "config: tokens2: unknown key");
  // ParseConfig (no file) resolves paths against the working directory.
  auto parsed = ParseConfig(
      "listen: {allow_plaintext: true}\ntokens: {issuer: i, audience: a}\n"
      "mode: auth_request\nstorage: {sqlite_path: \":memory:\"}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->storage.sqlite_path, ":memory:");
  EXPECT_EQ(parsed->storage.master_key_file, (fs::current_path() / "ztm-gateway.key").string());
}

TEST_F(ConfigTest, PruneInterval) {
  auto defaults = Load(Minimal());
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->storage.prune_interval_seconds, 3600);
  auto off = Load(Minimal("storage: {prune_interval_seconds: 0}\n"));
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->storage.prune_interval_seconds, 0);
  auto minute = Load(Minimal("storage: {prune_interval_seconds: 60}\n"));
  ASSERT_TRUE(minute.ok()) << minute.error().message;
  EXPECT_EQ(minute->storage.prune_interval_seconds, 60);
  EXPECT_EQ(ErrorOf(Minimal("storage: {prune_interval_seconds: 59}\n")),
            "config: storage.prune_interval_seconds: 59 is neither 0 (off) nor 60..604800");
  EXPECT_EQ(ErrorOf(Minimal("storage: {prune_interval_seconds: 604801}\n")),
            "config: storage.prune_interval_seconds: 604801 is outside 0..604800");
  EXPECT_EQ(ErrorOf(Minimal("storage: {prune_interval_seconds: -1}\n")),
            "config: storage.prune_interval_seconds: -1 is outside 0..604800");
}

TEST_F(ConfigTest, MetricsDefaultToLoopbackOnly) {
  auto config = Load(Minimal());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->metrics.enabled);
  std::vector<std::string> allow;
  for (const IpNetwork& network : config->metrics.allow) allow.push_back(network.ToString());
  EXPECT_EQ(allow, (std::vector<std::string>{"127.0.0.0/8", "::1/128"}));
}

TEST_F(ConfigTest, MetricsAllowList) {
  auto config =
      Load(Minimal("metrics:\n  enabled: true\n  allow: [10.1.0.0/16, 192.0.2.7, "
                   "\"fd00::/8\"]\n"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  std::vector<std::string> allow;
  for (const IpNetwork& network : config->metrics.allow) allow.push_back(network.ToString());
  // The list replaces the default: loopback is not added back.
  EXPECT_EQ(allow, (std::vector<std::string>{"10.1.0.0/16", "192.0.2.7/32", "fd00::/8"}));
  auto disabled = Load(Minimal("metrics: {enabled: false}\n"));
  ASSERT_TRUE(disabled.ok()) << disabled.error().message;
  EXPECT_FALSE(disabled->metrics.enabled);
}

TEST_F(ConfigTest, RefusesBadMetricsNetworks) {
  EXPECT_EQ(ErrorOf(Minimal("metrics: {allow: [10.0.0.1/8]}\n")),
            "config: metrics.allow[0]: \"10.0.0.1/8\" has bits set after the prefix length "
            "(write the network address)");
  EXPECT_EQ(ErrorOf(Minimal("metrics: {allow: [127.0.0.0/8, 10.0.0.0/33]}\n")),
            "config: metrics.allow[1]: \"10.0.0.0/33\" has a prefix length over 32");
  EXPECT_EQ(ErrorOf(Minimal("metrics: {allow: [\"::1/129\"]}\n")),
            "config: metrics.allow[0]: \"::1/129\" has a prefix length over 128");
  for (const char* bad :
       {"10.0.0.0/", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0/24", "010.0.0.0/8",
        "localhost", "10.0.0.0 /8", "fe80::1%eth0/128", "0x0a000000/8"}) {
    const std::string message =
        ErrorOf(Minimal(std::string("metrics: {allow: [\"") + bad + "\"]}\n"));
    EXPECT_EQ(message.rfind("config: metrics.allow[0]: ", 0), 0u) << bad << ": " << message;
  }
  EXPECT_EQ(ErrorOf(Minimal("metrics: {allow: []}\n")),
            "config: metrics.allow: must not be empty (set metrics.enabled: false to turn "
            "/metrics off)");
  EXPECT_EQ(ErrorOf(Minimal("metrics: {allow: 127.0.0.1}\n")),
            "config: metrics.allow: expected a list, got a scalar");
  EXPECT_EQ(ErrorOf(Minimal("metrics: {allow: [[127.0.0.1]]}\n")),
            "config: metrics.allow[0]: expected a network such as 10.0.0.0/8 or fd00::/8");
  EXPECT_EQ(ErrorOf(Minimal("metrics: {enabled: yes}\n")),
            "config: metrics.enabled: expected true or false, got \"yes\"");
  EXPECT_EQ(ErrorOf(Minimal("metrics: {allowed: []}\n")), "config: metrics.allowed: unknown key");
}

}  // namespace
}  // namespace ztm::server
