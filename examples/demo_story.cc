// The steps of ztm-demo (see demo_story.h): what each one does, what it expects, and why ztm
// refuses each attack.
#include "demo_story.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "client/keystore/file_key_store.h"
#include "client/keystore/kek_source.h"
#include "client/session/token_manager.h"
#include "client/storage/secure_store.h"
#include "core/crypto/crypto.h"
#include "core/crypto/keys.h"
#include "core/encoding.h"
#include "demo_protocol.h"
#include "step_results.h"

namespace ztm::demo {
namespace {

namespace fs = std::filesystem;

// An upstream answer longer than this is cut in the narration (the demo's is about 100 bytes).
constexpr std::size_t kShownBodyChars = 200;
// Characters shown of a refresh token's end to tell two apart.
constexpr std::size_t kShownTokenTailChars = 6;

// The secure store's item holding the sealed refresh token (libztm's name for it).
constexpr char kRefreshTokenFile[] = "secure/ztm.refresh-token.item";

// The end of a token: enough to tell two apart, too little to use.
std::string Tail(const std::string& token) {
  return token.size() <= kShownTokenTailChars ? token
                                              : token.substr(token.size() - kShownTokenTailChars);
}

// What a file in a libztm data directory is, from its place and name (docs/client.md).
std::string Describe(const std::string& relative) {
  if (relative == "keys/keystore.meta") return "key store metadata, ends in a key-check value";
  if (relative.starts_with("keys/")) return "a key, sealed (AES-256-GCM) under the KEK";
  if (relative == kRefreshTokenFile) return "the refresh token, sealed";
  if (relative.starts_with("secure/ztm.pin-report.")) return "a pin failure report, sealed";
  if (relative.starts_with("secure/ztm.device-id")) return "the device id, sealed";
  if (relative.starts_with("secure/")) return "a secret, sealed";
  return "";
}

}  // namespace

Demo::Demo(DemoSetup setup, HttpsClient attacker, Narrator& narrator)
    : setup_(std::move(setup)),
      attacker_(std::move(attacker)),
      interceptor_(setup_.interceptor_log, setup_.interceptor_rules),
      out_(narrator) {}

bool Demo::Run() {
  out_.Title({"gateway      " + setup_.gateway_url + "  (TLS, certificate from the demo CA)",
              "interceptor  " + setup_.interceptor_url +
                  "  (a man in the middle: certificate from the SAME CA, another key)",
              "trust        " + setup_.ca_file + "  (the demo CA plays the phone's system store)",
              "pins         " + setup_.pins[0] + "  (the gateway's key) + a backup pin",
              "user         " + setup_.username});
  if (!RegisterAndSignIn()) return out_.Abort("the app could not register and sign in");
  if (!CallApi()) return out_.Abort("the protected API call failed");
  if (!RestartAndRefresh()) return out_.Abort("the restarted app could not refresh");
  PinnedAppMeetsTheInterceptor();
  if (UnpinnedAppMeetsTheInterceptor()) AttacksWithWhatWasCaptured();
  StolenAppFiles();
  LogOutAndWipe();
  CheckUpstream();
  return out_.Summary();
}

bool Demo::RegisterAndSignIn() {
  out_.Section("1. Register the device, sign in",
               {"The app opens libztm (ztm::Client::Open) on its data directory: a key store",
                "sealed under a key-encryption key (here from a passphrase, Argon2id; a phone",
                "uses its platform keystore) and a secure store. Register() makes the P-256",
                "device key inside the key store (it never leaves it), answers the gateway's",
                "challenge with software attestation and keeps the device id. SignIn() sends the",
                "password with a DPoP proof (RFC 9449): the gateway binds the tokens to the key.",
                "Every connection is pinned to the gateway's key."});
  StepReport open_step = Step("open", "ztm::Client::Open  (data directory app/)");
  auto app = OpenApp("app", setup_.gateway_url, /*pinned=*/true);
  if (!app.ok()) {
    Broken(open_step, "open the app", app.error());
    return false;
  }
  app_ = std::move(app).value();
  open_step.outcome = "accepted";
  out_.Report(open_step);

  StepReport registered = Step("register", "Register()  POST /v1/challenge, POST /v1/devices");
  RecordStatus(registered, app_->Register());
  if (registered.problem.empty()) {
    registered.details = {{"device id", app_->device_id()}};
    registered.json_details = {{"device_id", app_->device_id()}};
  }
  out_.Report(registered);
  if (!registered.problem.empty()) return false;

  StepReport signed_in = Step(
      "login", "SignIn(\"" + setup_.username + "\", password)  POST /v1/token grant_type=password");
  RecordStatus(signed_in, app_->SignIn(setup_.username, setup_.password));
  if (signed_in.problem.empty()) {
    signed_in.details = {{"tokens",
                          "the access token stays in memory; the refresh token is "
                          "sealed in the secure store"}};
  }
  out_.Report(signed_in);
  return signed_in.problem.empty();
}

bool Demo::CallApi() {
  out_.Section("2. Call the protected API",
               {"Call() adds the access token, a fresh DPoP proof for this method and URL with",
                "the token's hash (ath), a Content-Digest of the body (RFC 9530) and an RFC 9421",
                "signature by the device key over method, URL, token and digest, with a time",
                "and a nonce. (Section 5 shows such a request as an interceptor sees it.)"});
  StepReport step =
      Step("call", "Call(\"POST\", \"/api/orders\", " + std::string(kOrderBody) + ")");
  AppCall(step, *app_, "POST", "/api/orders", kOrderBody);
  out_.Report(step);
  if (!step.problem.empty()) return false;
  ShowFiles("app", "What the app keeps on disk: everything sealed, nothing readable");
  return true;
}

bool Demo::RestartAndRefresh() {
  out_.Section("3. Restart the app: its first call refreshes the session",
               {"The access token lived in memory only, so the restarted app has none. Its first",
                "call trades the sealed refresh token, with a DPoP proof by the device key, for",
                "new tokens; the gateway rotates the refresh token: each one works once",
                "(RFC 9700 §4.14.2)."});
  app_.reset();
  auto before = PeekRefreshToken("app");
  StepReport open_step = Step("restart", "the app restarts: ztm::Client::Open on the same data");
  auto app = OpenApp("app", setup_.gateway_url, /*pinned=*/true);
  if (!app.ok()) {
    Broken(open_step, "reopen the app", app.error());
    return false;
  }
  app_ = std::move(app).value();
  open_step.outcome = "accepted";
  open_step.details = {
      {"signed in", app_->signed_in() ? "yes (a sealed refresh token is on disk)" : "NO"}};
  if (!app_->signed_in()) open_step.problem = "the restarted app is not signed in";
  out_.Report(open_step);
  if (!open_step.problem.empty()) return false;

  StepReport step = Step("refresh", "Call(\"GET\", \"/api/profile\")  (refreshes first)");
  AppCall(step, *app_, "GET", "/api/profile");
  // The demo knows the passphrase, so it can look inside the secure store (with the app
  // closed): the refresh token the app holds now is not the one it started with.
  app_.reset();
  auto after = PeekRefreshToken("app");
  if (!before.ok() || !after.ok()) {
    Broken(step, "read the stored refresh token", before.ok() ? after.error() : before.error());
    return false;
  }
  const bool rotated = *before != *after;
  step.details.push_back({"rotation", "the sealed refresh token, unsealed by the demo: ..." +
                                          Tail(*before) + " -> ..." + Tail(*after) +
                                          (rotated ? "  (rotated)" : "  (NOT rotated)")});
  step.json_details["refresh_token_rotated"] = rotated;
  if (step.problem.empty() && !rotated) step.problem = "the refresh token was not rotated";
  auto reopened = OpenApp("app", setup_.gateway_url, /*pinned=*/true);
  if (!reopened.ok()) {
    Broken(step, "reopen the app", reopened.error());
    return false;
  }
  app_ = std::move(reopened).value();
  out_.Report(step);
  return step.problem.empty();
}

void Demo::StolenAppFiles() {
  out_.Section("7. A stolen copy of the app's files: the refresh token used twice",
               {"Malware copies the app's data directory and learns its passphrase (on a phone:",
                "a backup, or a rooted device). The copy holds the device key and the sealed",
                "refresh token, so its first refresh works. But when the real app refreshes with",
                "the same token, the gateway sees a refresh token used twice: one holder is a",
                "thief, so it revokes the whole session (token family) and the app is told."});
  app_.reset();  // the app is closed while the files are copied
  std::error_code error;
  fs::copy(DataDirectory("app"), DataDirectory("stolen-copy"), fs::copy_options::recursive, error);
  StepReport thief_step = Step("thief_refresh",
                               "the thief opens the copy: Call(\"GET\", \"/api/orders\") "
                               "(refreshes with the copied token)");
  if (error) {
    return Broken(thief_step, "copy the data directory",
                  Error{Code::kInvalidArgument, error.message()});
  }
  auto thief = OpenApp("stolen-copy", setup_.gateway_url, /*pinned=*/true);
  if (!thief.ok()) return Broken(thief_step, "open the copy", thief.error());
  AppCall(thief_step, **thief, "GET", "/api/orders");
  thief_step.details.push_back({"so far", "the gateway cannot tell the copy from the app"});
  out_.Report(thief_step);

  auto app = OpenApp("app", setup_.gateway_url, /*pinned=*/true);
  StepReport reuse = Refusal("attack_refresh_token_reuse",
                             "the real app's next call: it refreshes with the same (now used) "
                             "refresh token",
                             "session_ended",
                             "a refresh token works once; a second use revokes the token family, "
                             "and libztm ends the session and tells the app (OnSessionEnded)");
  if (!app.ok()) return Broken(reuse, "reopen the app", app.error());
  app_ = std::move(app).value();
  std::atomic<int> told{0};
  std::string told_reason;
  app_->OnSessionEnded([&](const Error& reason) {
    ++told;
    told_reason = CodeName(reason.code);
  });
  RecordResponse(reuse, app_->Call("GET", "/api/orders"));
  reuse.details.push_back(
      {"OnSessionEnded", told == 1
                             ? "called once (" + told_reason + "): the app asks the user to sign in"
                             : "called " + std::to_string(told) + " times"});
  reuse.json_details["session_ended_callbacks"] = told.load();
  if (reuse.problem.empty() && told != 1) reuse.problem = "OnSessionEnded was not called once";
  out_.Report(reuse);
  app_->OnSessionEnded(nullptr);

  StepReport thief_after = Refusal(
      "thief_after_reuse", "the thief's next call, with the access token it got", "session_revoked",
      "the reuse revoked the session: the thief's tokens are "
      "worthless too");
  RecordResponse(thief_after, (*thief)->Call("GET", "/api/orders"));
  out_.Report(thief_after);
}

void Demo::LogOutAndWipe() {
  out_.Section("8. Sign in again, then log out with the wipe",
               {"Logout() revokes the session at the gateway (a signed request), then wipes",
                "everything local, keys first: without the keys, any copy of the sealed files",
                "is noise. The data directory must be empty afterwards."});
  StepReport signed_in = Step("login_again", "SignIn(\"" + setup_.username + "\", password)");
  RecordStatus(signed_in, app_->SignIn(setup_.username, setup_.password));
  out_.Report(signed_in);
  if (!signed_in.problem.empty()) return;
  StepReport call = Step("call_again", "Call(\"GET\", \"/api/orders\")");
  AppCall(call, *app_, "GET", "/api/orders");
  out_.Report(call);

  std::error_code error;
  fs::copy(DataDirectory("app"), DataDirectory("backup-before-logout"), fs::copy_options::recursive,
           error);
  ShowFiles("app", "Before logout (a backup of these files is taken, for the last check)");
  StepReport logout = Step("logout", "Logout()  POST /v1/logout, then the wipe");
  RecordStatus(logout, app_->Logout());
  app_.reset();
  out_.Report(logout);
  const std::size_t left = ShowFiles("app", "After logout");
  StepReport wiped = Step("wiped", "the data directory after logout");
  wiped.outcome = "accepted";
  wiped.details = {{"files left", std::to_string(left)}};
  wiped.json_details = {{"files_left", left}};
  if (left != 0) wiped.problem = "files are left after the wipe";
  out_.Report(wiped);

  StepReport backup = Refusal("backup_after_logout",
                              "the backup taken before logout: Call(\"GET\", \"/api/orders\")",
                              "session_ended", "logout revoked the session at the gateway");
  if (error) {
    return Broken(backup, "copy the data directory",
                  Error{Code::kInvalidArgument, error.message()});
  }
  auto copy = OpenApp("backup-before-logout", setup_.gateway_url, /*pinned=*/true);
  if (!copy.ok()) return Broken(backup, "open the backup", copy.error());
  RecordResponse(backup, (*copy)->Call("GET", "/api/orders"));
  out_.Report(backup);
}

void Demo::CheckUpstream() {
  StepReport step = Step("upstream_requests", "what reached the upstream API (its own log)");
  const std::size_t seen = LinesOf(setup_.upstream_log).size();
  step.outcome = "accepted";
  step.details = {{"requests", std::to_string(seen) + ", the " + std::to_string(upstream_calls_) +
                                   " calls accepted above; none of the attacks"}};
  step.json_details = {{"count", seen}, {"expected_count", upstream_calls_}};
  if (seen != static_cast<std::size_t>(upstream_calls_)) {
    step.problem = std::to_string(seen) + " requests reached the upstream where " +
                   std::to_string(upstream_calls_) + " were expected";
  }
  out_.Section("9. The upstream API's own record", {});
  out_.Report(step);
}

Result<std::unique_ptr<Client>> Demo::OpenApp(const std::string& name, const std::string& url,
                                              bool pinned) const {
  ClientOptions options;
  options.gateway_url = url;
  options.data_directory = DataDirectory(name);
  options.ca_file = setup_.ca_file;
  if (pinned) {
    PinConfig pins;
    pins.host = "localhost";
    pins.pins = setup_.pins;
    pins.report_uri = setup_.report_uri;
    options.pins = {std::move(pins)};
  }
  options.passphrase = setup_.passphrase;
  options.app_id = "dev.ztm.demo";
  options.app_version = "1.0";
  return Client::Open(std::move(options));
}

Result<std::string> Demo::PeekRefreshToken(const std::string& name) const {
  const std::string directory = DataDirectory(name);
  ZTM_ASSIGN_OR_RETURN(std::unique_ptr<client::PassphraseKek> kek,
                       client::PassphraseKek::Create(setup_.passphrase));
  ZTM_ASSIGN_OR_RETURN(std::shared_ptr<client::KeyStore> keys,
                       client::FileKeyStore::Open(directory + "/keys", std::move(kek)));
  ZTM_ASSIGN_OR_RETURN(std::unique_ptr<client::SecureStore> store,
                       client::SecureStore::Open(directory + "/secure", std::move(keys)));
  ZTM_ASSIGN_OR_RETURN(Secret token, store->Get(client::kRefreshTokenItem));
  return std::string(AsString(token.view()));
}

std::string Demo::DataDirectory(const std::string& name) const {
  return setup_.work_dir + "/" + name;
}

void Demo::AppCall(StepReport& step, Client& app, const std::string& method,
                   const std::string& path, const std::string& body) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!body.empty()) headers.emplace_back("content-type", "application/json");
  auto response = app.Call(method, path, body, std::move(headers));
  RecordResponse(step, response);
  if (!response.ok() || step.outcome != "accepted") return;
  if (step.expected == Expect::kAccepted) ++upstream_calls_;
  auto answer = JsonBody(response->body);
  const std::string subject = answer ? StringMember(*answer, "subject") : "";
  const std::string device = answer ? StringMember(*answer, "device") : "";
  step.details.push_back({"upstream", Shorten(response->body, kShownBodyChars)});
  if (answer) step.json_details["upstream"] = *answer;
  if (step.problem.empty() && (subject != setup_.username || device != app.device_id())) {
    step.problem = "the upstream did not receive the caller's identity";
  }
}

void Demo::Send(StepReport step, const Result<HttpsRequest>& request) {
  if (!request.ok()) return Broken(step, "build the request", request.error());
  auto response = attacker_.Send(*request);
  if (!response.ok()) {
    step.reason = response.error().message;
    step.outcome = "error";
  } else {
    const auto challenge = response->Header("www-authenticate");
    step.Answered(response->status, GatewayError(response->body, challenge),
                  RefusalReason(response->status, response->body, challenge));
  }
  step.Judge();
  out_.Report(step);
}

std::size_t Demo::ShowFiles(const std::string& name, const std::string& when) {
  const std::string root = DataDirectory(name);
  std::vector<std::string> files;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file()) files.push_back(fs::relative(it->path(), root).string());
  }
  std::sort(files.begin(), files.end());
  if (!when.empty()) {
    out_.Note("");
    out_.Note(when + ":");
  }
  if (files.empty()) out_.Note("  " + name + "/  (no files)");
  for (const std::string& file : files) {
    std::error_code size_error;
    const auto size = fs::file_size(root + "/" + file, size_error);
    std::string line = "  " + name + "/" + file + "  " +
                       (size_error ? std::string("?") : std::to_string(size)) + " bytes";
    if (std::string what = Describe(file); !what.empty()) line += "  " + what;
    out_.Note(line);
  }
  return files.size();
}

std::vector<InterceptedEvent> Demo::InterceptedSince(std::size_t from) const {
  auto events = interceptor_.Events();
  if (!events.ok() || events->size() <= from) return {};
  return std::vector<InterceptedEvent>(events->begin() + static_cast<std::ptrdiff_t>(from),
                                       events->end());
}

std::size_t Demo::InterceptedCount() const {
  auto events = interceptor_.Events();
  return events.ok() ? events->size() : 0;
}

void Demo::Broken(StepReport step, const std::string& what, const Error& error) {
  step.outcome = "error";
  step.problem = "the demo could not " + what + ": " + CodeName(error.code) + ": " + error.message;
  out_.Report(step);
}

}  // namespace ztm::demo