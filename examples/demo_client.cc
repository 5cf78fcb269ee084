// ztm-demo: a stand-in for a mobile app, run against a real ztm-gateway over TLS. It narrates
// each step of ztm's protocol (register the device, sign in, a signed DPoP-bound API call,
// refresh, logout) and a series of attacks the gateway must refuse, then says whether
// everything behaved. Built on ztm's core library (src/core) and a small HTTPS client; libztm
// (issue #4) will take over keystore, secure storage, token management and certificate pinning.
//
//   ztm-demo --gateway https://localhost:PORT --ca CA.pem [--username U] [--password-file F]
//            [--json]
//
// Without --password-file the password is read from the first line of standard input.
// Exit codes: 0 every legitimate step accepted and every attack refused for the expected
// reason; 1 something misbehaved (or the gateway could not be reached); 2 usage error.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/keys.h"
#include "core/httpsig/content_digest.h"
#include "core/json.h"
#include "demo_protocol.h"
#include "https_client.h"
#include "narrator.h"

namespace ztm::demo {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitMisbehaved = 1;
constexpr int kExitUsage = 2;
// A password file holds one line; anything longer is not a password file.
constexpr std::size_t kMaxPasswordBytes = 1024;
// Tokens shown in the narration are cut here (the prefix shows their JOSE header).
constexpr std::size_t kShownTokenChars = 64;
// An upstream answer longer than this is cut in the narration (the demo's is about 100 bytes).
constexpr std::size_t kShownBodyChars = 300;

constexpr char kOrderBody[] = R"({"item":42,"quantity":1})";
constexpr char kTamperedOrderBody[] = R"({"item":42,"quantity":9})";

// The order the app places in step 3, with `access_token`.
ApiCall OrderCall(const std::string& access_token) {
  ApiCall call;
  call.method = "POST";
  call.target = "/api/orders";
  call.body = kOrderBody;
  call.access_token = access_token;
  return call;
}

std::string Shorten(const std::string& value, std::size_t keep) {
  return value.size() <= keep ? value : value.substr(0, keep) + "...";
}

// The demo's run: one device, one user, the steps in order.
class Demo {
 public:
  Demo(HttpsClient client, std::string username, std::string password, Narrator& narrator)
      : client_(std::move(client)),
        username_(std::move(username)),
        password_(std::move(password)),
        out_(narrator) {}

  // Runs the story; true when every step behaved.
  bool Run() {
    if (!Register()) return out_.Abort("the device could not register");
    if (!SignIn("login", "POST /v1/token  grant_type=password", true)) {
      return out_.Abort("the user could not sign in");
    }
    std::optional<HttpsRequest> call = CallApi();
    if (!call) return out_.Abort("the protected API call could not be made");
    if (!RefreshTokens()) return out_.Abort("the tokens could not be refreshed");
    Attacks(*call);
    LogOut();
    return out_.Summary();
  }

 private:
  // Sends `request` and classifies the answer against what `step` expects. Returns the
  // response, or nullopt after a transport failure (recorded in `step`).
  std::optional<HttpsResponse> Exchange(StepReport& step, const HttpsRequest& request) {
    auto response = client_.Send(request);
    if (!response.ok()) {
      step.reason = response.error().message;
      step.problem = "the request did not complete";
      return std::nullopt;
    }
    step.status = response->status;
    const bool accepted = step.status >= 200 && step.status < 300;
    const bool refused = step.status >= 400 && step.status < 500;
    if (!accepted) {
      step.reason = RefusalReason(*response);
      std::optional<boost::json::object> body = JsonBody(*response);
      step.error = body ? StringMember(*body, "error") : std::string();
    }
    if (step.expected == Expect::kAccepted && !accepted) {
      step.problem = "a legitimate request was not accepted";
    } else if (step.expected == Expect::kRefused) {
      if (accepted) {
        step.problem = "the gateway accepted it";
      } else if (!refused) {
        step.problem = "the gateway failed instead of refusing";
      } else if (!step.expected_error.empty() && step.error != step.expected_error) {
        step.problem = "refused, but not as " + step.expected_error;
      }
    }
    return std::move(response).value();
  }

  // The steps below return false when the story cannot continue.

  bool Register() {
    out_.Section("1. Register the device",
                 {"The app creates its device key, P-256 (on a phone it is made inside the secure",
                  "hardware and never leaves it), asks the gateway for a one-time challenge and",
                  "registers the public key, answering the challenge with \"software\" attestation",
                  "(the key signs it; a phone would send Play Integrity / App Attest evidence)."});
    auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
    if (!key.ok()) {
      Broken(Step("device_key", "create the device key"), key.error());
      return false;
    }
    key_ = std::move(key).value();
    jkt_ = KeyThumbprint(*key_);

    StepReport challenge_step = Step("challenge", "POST /v1/challenge");
    auto challenge_response = Exchange(challenge_step, ChallengeRequest());
    std::string challenge;
    if (challenge_response && challenge_step.problem.empty()) {
      auto body = JsonBody(*challenge_response);
      challenge = body ? StringMember(*body, "challenge") : "";
      if (challenge.empty()) challenge_step.problem = "the answer has no challenge";
      challenge_step.details.push_back({"challenge", Shorten(challenge, 16) + " (single use)"});
    }
    out_.Report(challenge_step);
    if (!challenge_step.problem.empty()) return false;

    StepReport step = Step("register", "POST /v1/devices  (public JWK + attestation)");
    auto request = RegistrationRequest(*key_, challenge);
    if (!request.ok()) {
      Broken(step, request.error());
      return false;
    }
    auto response = Exchange(step, *request);
    if (response && step.problem.empty()) {
      auto body = JsonBody(*response);
      device_id_ = body ? StringMember(*body, "device_id") : "";
      if (device_id_.empty()) step.problem = "the answer has no device_id";
      step.details = {{"device id", device_id_},
                      {"key thumbprint", jkt_ + "  (RFC 7638: tokens get bound to it)"}};
      step.json_details = {{"device_id", device_id_}, {"jkt", jkt_}};
    }
    out_.Report(step);
    return step.problem.empty();
  }

  // A password grant for the device; `narrate` adds the section text (step 2).
  bool SignIn(const std::string& id, const std::string& label, bool narrate) {
    if (narrate) {
      out_.Section("2. Sign in",
                   {"The app sends the user's password (OAuth password grant, RFC 6749 §4.3) with",
                    "a DPoP proof (RFC 9449): a JWT signed by the device key for this one request.",
                    "The gateway binds the tokens it issues to that key."});
    }
    StepReport step = Step(id, label);
    auto request = TokenRequest(*key_, client_.origin(),
                                {{"grant_type", "password"},
                                 {"username", username_},
                                 {"password", password_},
                                 {"device_id", device_id_}});
    if (!request.ok()) {
      Broken(step, request.error());
      return false;
    }
    auto response = Exchange(step, *request);
    if (response && step.problem.empty()) ReadTokens(step, *response, /*show_binding=*/narrate);
    out_.Report(step);
    return step.problem.empty();
  }

  // Takes the tokens of a successful token response into the device's state.
  void ReadTokens(StepReport& step, const HttpsResponse& response, bool show_binding) {
    auto body = JsonBody(response);
    if (!body) {
      step.problem = "the token response is not JSON";
      return;
    }
    const std::string token_type = StringMember(*body, "token_type");
    const boost::json::value* expires_in = body->if_contains("expires_in");
    access_token_ = StringMember(*body, "access_token");
    refresh_token_ = StringMember(*body, "refresh_token");
    if (token_type != "DPoP") step.problem = "token_type is \"" + token_type + "\", not DPoP";
    if (access_token_.empty() || refresh_token_.empty()) step.problem = "tokens are missing";
    if (!show_binding || !step.problem.empty()) return;

    // Shown, not trusted: the gateway verifies its own tokens; the app only reads them.
    std::string jkt;
    std::string subject;
    if (auto claims = UnverifiedClaims(access_token_); claims.ok()) {
      subject = StringMember(*claims, "sub");
      if (const boost::json::value* cnf = claims->if_contains("cnf"); cnf && cnf->is_object()) {
        jkt = StringMember(cnf->get_object(), "jkt");
      }
    }
    const std::int64_t lifetime =
        expires_in && expires_in->is_int64() ? expires_in->get_int64() : 0;
    step.details = {
        {"token type", token_type + " (usable only with a proof by the device key)"},
        {"access token", "a signed JWT for " + subject + ", valid " + std::to_string(lifetime) +
                             " s; refresh token: opaque, single use"},
        {"binding", "cnf.jkt = " + jkt +
                        (jkt == jkt_ ? "  = the device key's thumbprint"
                                     : "  != the device key's thumbprint")}};
    step.json_details = {{"token_type", token_type},
                         {"expires_in", lifetime},
                         {"cnf_jkt", jkt},
                         {"jkt_matches", jkt == jkt_}};
    if (jkt != jkt_) step.problem = "the access token is not bound to the device key";
  }

  std::optional<HttpsRequest> CallApi() {
    out_.Section(
        "3. Call the protected API",
        {"Every call carries the token, a fresh DPoP proof for this method and URL with the",
         "token's hash (ath), a Content-Digest of the body (RFC 9530) and an RFC 9421 signature",
         "by the device key over method, URL, token and digest, with a time and a nonce."});
    StepReport step = Step("call", "POST /api/orders " + std::string(kOrderBody));
    auto request = SignedApiCall(*key_, device_id_, client_.origin(), OrderCall(access_token_));
    if (!request.ok()) {
      Broken(step, request.error());
      return std::nullopt;
    }
    out_.Note("| " + request->method + " " + request->target + " HTTP/1.1");
    out_.Note("| host: " + client_.origin().authority);
    // Tokens are cut (they are long and say nothing to a reader); the rest is shown in full.
    for (const auto& [name, value] : request->headers) {
      const bool token = name == "authorization" || name == "dpop";
      out_.Note("| " + name + ": " + (token ? Shorten(value, kShownTokenChars) : value));
    }
    out_.Note("|");
    out_.Note("| " + request->body);
    auto response = Exchange(step, *request);
    if (response && step.problem.empty()) {
      auto body = JsonBody(*response);
      const std::string subject = body ? StringMember(*body, "subject") : "";
      const std::string device = body ? StringMember(*body, "device") : "";
      step.details = {{"the upstream API answered", Shorten(response->body, kShownBodyChars)},
                      {"identity", "the gateway told it who called: X-ZTM-Subject " + subject +
                                       ", X-ZTM-Device " + device}};
      if (body) step.json_details = {{"upstream", *body}};
      if (subject != username_ || device != device_id_) {
        step.problem = "the upstream did not receive the caller's identity";
      }
    }
    out_.Report(step);
    if (!step.problem.empty()) return std::nullopt;
    return std::move(request).value();
  }

  bool RefreshTokens() {
    out_.Section("4. Refresh",
                 {"Access tokens are short-lived. The app trades its refresh token, with a DPoP",
                  "proof by the same key, for new tokens; the refresh token is rotated: each one",
                  "works once (RFC 9700 §4.14.2)."});
    StepReport step = Step("refresh", "POST /v1/token  grant_type=refresh_token");
    first_refresh_token_ = refresh_token_;
    const std::string first_access_token = access_token_;
    auto request = RefreshRequest(refresh_token_);
    if (!request.ok()) {
      Broken(step, request.error());
      return false;
    }
    auto response = Exchange(step, *request);
    if (response && step.problem.empty()) {
      ReadTokens(step, *response, /*show_binding=*/false);
      const bool rotated = refresh_token_ != first_refresh_token_;
      step.details = {
          {"refresh token", "..." + Tail(first_refresh_token_) + " -> ..." + Tail(refresh_token_) +
                                (rotated ? "  (rotated)" : "  (NOT rotated)")},
          {"access token", std::string(access_token_ != first_access_token ? "new" : "unchanged")}};
      step.json_details = {{"rotated", rotated}};
      if (step.problem.empty() && !rotated) step.problem = "the refresh token was not rotated";
    }
    out_.Report(step);
    return step.problem.empty();
  }

  void Attacks(const HttpsRequest& recorded_call) {
    out_.Section(
        "5. Attacks",
        {"Each must be refused, with the gateway's reason; none may reach the upstream", "API."});

    Try(Refusal("attack_replay",
                "replay: the request of step 3, recorded on the network, is sent again",
                "request_replayed",
                "the gateway remembers each signature nonce (and DPoP jti) for as long as the "
                "signature is fresh"),
        recorded_call);

    // A proxy in the path (or malware) rewrites the order after the app signed it. Each
    // tampered request starts from a fresh signing, so what is refused is the tampering, not a
    // replay.
    auto tampered = SignedApiCall(*key_, device_id_, client_.origin(), OrderCall(access_token_));
    if (tampered.ok()) tampered->body = kTamperedOrderBody;
    Try(Refusal("attack_tampered_body",
                "tampered body: quantity 1 -> 9, the Content-Digest left as signed",
                "content_digest_mismatch", "the body no longer matches its Content-Digest"),
        tampered);

    auto redigested = SignedApiCall(*key_, device_id_, client_.origin(), OrderCall(access_token_));
    if (redigested.ok()) {
      redigested->body = kTamperedOrderBody;
      for (auto& [name, value] : redigested->headers) {
        if (name != "content-digest") continue;
        auto digest = httpsig::ContentDigest(AsBytes(std::string_view(kTamperedOrderBody)));
        if (!digest.ok())
          return Broken(Step("attack_tampered_body_redigested", "digest"), digest.error());
        value = *digest;
      }
    }
    Try(Refusal("attack_tampered_body_redigested",
                "tampered body: quantity 1 -> 9, and Content-Digest recomputed to match",
                "request_signature_invalid",
                "the device's signature covers the Content-Digest, and only the device key can "
                "sign"),
        redigested);

    ApiCall other_url = OrderCall(access_token_);
    other_url.proof_target = "/api/profile";
    Try(Refusal("attack_proof_for_other_url",
                "a DPoP proof made for POST /api/profile is used on POST /api/orders",
                "dpop_proof_invalid",
                "a proof names the one method and URL it was made for (htm, htu)"),
        SignedApiCall(*key_, device_id_, client_.origin(), other_url));

    // The thief has the access token (and the device id inside it) but not the device key.
    auto thief_key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
    if (!thief_key.ok()) {
      return Broken(Step("attack_stolen_access_token", "thief's key"), thief_key.error());
    }
    Try(Refusal("attack_stolen_access_token",
                "a stolen access token, with a proof and signature by the thief's own key",
                "dpop_proof_invalid",
                "the token is bound to the device key (cnf.jkt); the thief's key has another "
                "thumbprint"),
        SignedApiCall(*thief_key, device_id_, client_.origin(), OrderCall(access_token_)));

    // Malware that copied the refresh token of step 2 (and can use the device key) replays it
    // after the app has already rotated it in step 4.
    Try(Refusal("attack_refresh_token_reuse",
                "a stolen copy of the refresh token of step 2, used after step 4 used it",
                "invalid_grant",
                "a refresh token works once; a second use means one of two holders is a thief, so "
                "the gateway revokes the whole session (token family)"),
        RefreshRequest(first_refresh_token_));
    Try(Refusal("refresh_after_reuse",
                "...and then the app's own refresh, with its current refresh token",
                "invalid_grant",
                "the reuse revoked the session: the thief's copy is worthless, and the user "
                "signs in again"),
        RefreshRequest(refresh_token_));
  }

  void LogOut() {
    out_.Section("6. Sign in again, then log out",
                 {"Logout is a signed, DPoP-bound request like any API call; it revokes the",
                  "session: its refresh token and its access token stop working at once (the",
                  "gateway checks the session of every request)."});
    if (!SignIn("login_again", "POST /v1/token  grant_type=password  (a new session)", false)) {
      return;
    }
    ApiCall logout;
    logout.method = "POST";
    logout.target = "/v1/logout";
    logout.access_token = access_token_;
    StepReport step = Step("logout", "POST /v1/logout  (signed)");
    auto request = SignedApiCall(*key_, device_id_, client_.origin(), logout);
    if (!request.ok()) return Broken(step, request.error());
    Exchange(step, *request);
    out_.Report(step);

    Try(Refusal("refresh_after_logout", "the refresh token of the logged-out session",
                "invalid_grant", "logout revoked the session"),
        RefreshRequest(refresh_token_));
    ApiCall after_logout;
    after_logout.access_token = access_token_;
    Try(Refusal("call_after_logout", "an API call with the logged-out session's access token",
                "session_revoked", "the access token belongs to a revoked session"),
        SignedApiCall(*key_, device_id_, client_.origin(), after_logout));
  }

  Result<HttpsRequest> RefreshRequest(const std::string& refresh_token) const {
    return TokenRequest(*key_, client_.origin(),
                        {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}});
  }

  // Sends a request built for an expected refusal (an attack, or a token that must no longer
  // work) and reports it.
  void Try(StepReport step, const Result<HttpsRequest>& request) {
    if (!request.ok()) return Broken(step, request.error());
    Exchange(step, *request);
    out_.Report(step);
  }

  // A request the demo itself could not build (a bug in the demo, never the gateway's doing).
  void Broken(StepReport step, const Error& error) {
    step.problem = std::string("the demo could not build the request: ") + CodeName(error.code) +
                   ": " + error.message;
    out_.Report(step);
  }

  static std::string Tail(const std::string& token) {
    constexpr std::size_t kShown = 6;
    return token.size() <= kShown ? token : token.substr(token.size() - kShown);
  }

  HttpsClient client_;
  const std::string username_;
  const std::string password_;
  Narrator& out_;
  std::optional<crypto::PrivateKey> key_;
  std::string jkt_;
  std::string device_id_;
  std::string access_token_;
  std::string refresh_token_;
  std::string first_refresh_token_;
};

// The first line of `path` (or of standard input for an empty path), without its line end.
std::optional<std::string> ReadPassword(const std::string& path) {
  std::string text;
  if (path.empty()) {
    std::getline(std::cin, text);
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    text = text.substr(0, text.find('\n'));
  }
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty() || text.size() > kMaxPasswordBytes) return std::nullopt;
  return text;
}

int Main(int argc, char** argv) {
  CLI::App app{"ztm-demo: a demo app against ztm-gateway, with the attacks it refuses"};
  std::string gateway_url;
  std::string ca_file;
  std::string username = "alice";
  std::string password_file;
  bool json_output = false;
  app.add_option("--gateway", gateway_url, "the gateway, e.g. https://localhost:8443")->required();
  app.add_option("--ca", ca_file, "PEM file of the CA that issued the gateway's certificate")
      ->required();
  app.add_option("--username", username, "the user to sign in as (default: alice)");
  app.add_option("--password-file", password_file,
                 "file whose first line is the password (default: read it from stdin)");
  app.add_flag("--json", json_output, "one JSON object per step instead of the narration");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }

  auto origin = ParseGatewayOrigin(gateway_url);
  if (!origin.ok()) {
    std::cerr << "ztm-demo: --gateway: " << origin.error().message << '\n';
    return kExitUsage;
  }
  std::optional<std::string> password = ReadPassword(password_file);
  if (!password) {
    std::cerr << "ztm-demo: no password (an empty or unreadable first line, or longer than "
              << kMaxPasswordBytes << " bytes)\n";
    return kExitUsage;
  }
  auto client = HttpsClient::Create(*origin, ca_file);
  if (!client.ok()) {
    std::cerr << "ztm-demo: --ca: " << client.error().message << '\n';
    return kExitUsage;
  }
  Narrator narrator(json_output, isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr);
  narrator.Title(origin->Url(""), ca_file, username);
  Demo demo(std::move(client).value(), username, std::move(*password), narrator);
  return demo.Run() ? kExitOk : kExitMisbehaved;
}

}  // namespace
}  // namespace ztm::demo

int main(int argc, char** argv) { return ztm::demo::Main(argc, argv); }
