// ztm-demo's man in the middle (demo_story.h, sections 4 to 6): the pinned app refuses the
// interceptor and reports it; an app without pins lets it read everything; and what the
// interceptor then tries with what it read, each attempt refused by the gateway.
#include <chrono>
#include <thread>

#include "core/crypto/keys.h"
#include "demo_protocol.h"
#include "demo_story.h"
#include "step_results.h"

namespace ztm::demo {
namespace {

// Tokens and signatures shown in the narration are cut here (the prefix shows their kind).
constexpr std::size_t kShownTokenChars = 48;
// A Signature-Input is shown whole (it is the signature's recipe), up to this length.
constexpr std::size_t kShownSignatureInputChars = 200;
// The pin failure report is uploaded right after the next pinned request succeeds; the
// collector writes it before answering, so it is there at once. This only absorbs a slow
// machine.
constexpr std::chrono::milliseconds kReportWait{3000};
constexpr std::chrono::milliseconds kPoll{50};
// The interceptor's edit of the order.
constexpr char kQuantityOne[] = R"("quantity":1)";
constexpr char kQuantityNine[] = R"("quantity":9)";

// The value of the parameter `name` in a Signature-Input field (RFC 9421 §4.1), e.g. keyid.
std::string SignatureParameter(const std::string& signature_input, const std::string& name) {
  const std::string key = ";" + name + "=\"";
  const std::size_t at = signature_input.find(key);
  if (at == std::string::npos) return "";
  const std::size_t start = at + key.size();
  const std::size_t end = signature_input.find('"', start);
  return end == std::string::npos ? "" : signature_input.substr(start, end - start);
}

}  // namespace

void Demo::PinnedAppMeetsTheInterceptor() {
  out_.Section(
      "4. A man in the middle",
      {"The network sends the app to an interceptor (a hostile Wi-Fi, a DNS spoof; here it",
       "listens on its own port). Its certificate names localhost and comes from the CA the",
       "app trusts, as a certificate from a compromised or coerced public CA, or a corporate",
       "proxy's CA installed on the phone, would: ordinary TLS verification accepts it. But",
       "its key is not one of the app's pins."});
  const std::size_t mark = InterceptedCount();
  StepReport step = Refusal(
      "attack_mitm_pinned", "the app (pinned) calls GET /api/profile through the interceptor",
      "pin_validation_failed",
      "libztm checks the chain OpenSSL built to a trusted CA against the pins; none matches, so "
      "the handshake is aborted before a byte of the request (token, proof, body) is sent");
  app_.reset();
  auto app = OpenApp("app", setup_.interceptor_url, /*pinned=*/true);
  if (!app.ok()) return Broken(step, "open the app", app.error());
  RecordResponse(step, (*app)->Call("GET", "/api/profile"));
  std::size_t requests = 0;
  std::string refusal;
  for (const InterceptedEvent& event : InterceptedSince(mark)) {
    if (event.kind == "request") ++requests;
    if (event.kind != "request" && refusal.empty()) refusal = event.error;
  }
  step.details.push_back({"the interceptor", std::to_string(requests) +
                                                 " request(s) received; the connection ended " +
                                                 (refusal.empty() ? "?" : "in: " + refusal)});
  step.json_details["interceptor_requests"] = requests;
  if (step.problem.empty() && requests != 0) step.problem = "a request reached the interceptor";
  out_.Report(step);
  app->reset();

  out_.Note("");
  out_.Note("The failure was filed as a report (TrustKit's format), sealed in the secure store:");
  ShowFiles("app", "");
  StepReport upload =
      Step("pin_report_uploaded",
           "back on a safe network: Call(\"GET\", \"/api/profile\") to the gateway");
  const std::size_t reports_before = LinesOf(setup_.collector_log).size();
  auto reopened = OpenApp("app", setup_.gateway_url, /*pinned=*/true);
  if (!reopened.ok()) return Broken(upload, "reopen the app", reopened.error());
  app_ = std::move(reopened).value();
  AppCall(upload, *app_, "GET", "/api/profile");
  std::vector<std::string> reports = LinesOf(setup_.collector_log);
  for (auto waited = std::chrono::milliseconds(0);
       reports.size() == reports_before && waited < kReportWait; waited += kPoll) {
    std::this_thread::sleep_for(kPoll);
    reports = LinesOf(setup_.collector_log);
  }
  if (reports.size() > reports_before) {
    auto record = JsonBody(reports.back());
    const boost::json::value* report = record ? record->if_contains("report") : nullptr;
    if (report != nullptr && report->is_object()) {
      const boost::json::object& fields = report->get_object();
      const boost::json::value* port = fields.if_contains("port");
      const boost::json::value* pins = fields.if_contains("known-pins");
      upload.details.push_back(
          {"report",
           "the pinned connection succeeded, so the pending report went to " + setup_.report_uri});
      upload.details.push_back(
          {"  says",
           "hostname " + StringMember(fields, "hostname") + ", port " +
               (port != nullptr && port->is_int64() ? std::to_string(port->get_int64()) : "?") +
               ", noted-hostname " + StringMember(fields, "noted-hostname") + ", at " +
               StringMember(fields, "date-time")});
      upload.details.push_back(
          {"  pins",
           std::to_string(pins != nullptr && pins->is_array() ? pins->get_array().size() : 0) +
               " known pins; the served chain (the interceptor's certificate) is "
               "attached as PEM"});
      // The report without its certificate chains (PEM), which would swamp the output.
      boost::json::object summary;
      for (const char* key : {"hostname", "port", "noted-hostname", "date-time", "known-pins",
                              "enforce-pinning", "validation-result"}) {
        if (const boost::json::value* value = fields.if_contains(key)) summary[key] = *value;
      }
      upload.json_details["report"] = std::move(summary);
    }
  } else if (upload.problem.empty()) {
    upload.problem = "no pin failure report reached the collector";
  }
  out_.Report(upload);
}

bool Demo::UnpinnedAppMeetsTheInterceptor() {
  out_.Section("5. The same interceptor, and an app without pins",
               {"For contrast: a second install of the app, built without pins, on the same",
                "hostile network. TLS verification passes (same CA, right name): the interceptor",
                "decrypts and relays everything. This is why pinning is needed."});
  StepReport open_step = Step("open_unpinned",
                              "ztm::Client::Open  (no pins; data directory "
                              "app-without-pins/)");
  auto opened = OpenApp("app-without-pins", setup_.interceptor_url, /*pinned=*/false);
  if (!opened.ok()) {
    Broken(open_step, "open the app without pins", opened.error());
    return false;
  }
  std::unique_ptr<Client> app = std::move(opened).value();
  open_step.outcome = "accepted";
  out_.Report(open_step);
  const std::size_t mark = InterceptedCount();
  StepReport registered = Step("unpinned_register", "Register() and SignIn() via the interceptor");
  Status status = app->Register();
  if (status.ok()) status = app->SignIn(setup_.username, setup_.password);
  RecordStatus(registered, status);
  out_.Report(registered);
  if (!registered.problem.empty()) return false;
  StepReport order = Step("unpinned_call", "Call(\"POST\", \"/api/orders\", " +
                                               std::string(kOrderBody) + ") via the interceptor");
  AppCall(order, *app, "POST", "/api/orders", kOrderBody);
  out_.Report(order);
  StepReport profile = Step("unpinned_call_profile",
                            "Call(\"GET\", \"/api/profile\") via the "
                            "interceptor");
  AppCall(profile, *app, "GET", "/api/profile");
  out_.Report(profile);
  if (!order.problem.empty() || !profile.problem.empty()) return false;

  captured_ = InterceptedSince(mark);
  const InterceptedEvent* shown = nullptr;
  std::string refresh_token;
  for (const InterceptedEvent& event : captured_) {
    if (event.kind == "request" && event.path == "/api/orders") shown = &event;
    if (event.kind == "request" && event.path == "/v1/token") {
      if (auto answer = JsonBody(event.answer))
        refresh_token = StringMember(*answer, "refresh_token");
    }
  }
  if (shown == nullptr) {
    Broken(Step("captured", "what the interceptor captured"), "find the app's order in the log",
           Error{Code::kInvalidArgument, "the interceptor recorded no POST /api/orders"});
    return false;
  }
  out_.Note("");
  out_.Note("What the interceptor read (its log): the app's signed request, in the clear");
  out_.Note("| " + shown->method + " " + shown->path + " HTTP/1.1");
  for (const auto& [name, value] : shown->headers) {
    if (name == "authorization" || name == "dpop" || name == "signature" || name == "host" ||
        name == "signature-input" || name == "content-digest" || name == "content-type") {
      out_.Note(
          "| " + name + ": " +
          Shorten(value, name == "signature-input" ? kShownSignatureInputChars : kShownTokenChars));
    }
  }
  out_.Note("|");
  out_.Note("| " + shown->body);
  out_.Note("and the gateway's answers: the access token and the refresh token (" +
            Shorten(refresh_token, 12) + ") of the sign-in.");
  out_.Note("What it does not have: the device key, which never left the app's key store.");
  return true;
}

void Demo::AttacksWithWhatWasCaptured() {
  out_.Section(
      "6. The interceptor attacks with what it read",
      {"Each must be refused with the gateway's reason; none may reach the upstream", "API."});
  const InterceptedEvent* order = nullptr;
  const InterceptedEvent* profile = nullptr;
  std::string refresh_token;
  for (const InterceptedEvent& event : captured_) {
    if (event.kind != "request") continue;
    if (event.path == "/api/orders" && event.method == "POST") order = &event;
    if (event.path == "/api/profile" && event.method == "GET") profile = &event;
    if (event.path == "/v1/token") {
      if (auto answer = JsonBody(event.answer))
        refresh_token = StringMember(*answer, "refresh_token");
    }
  }
  if (order == nullptr || profile == nullptr || refresh_token.empty()) {
    return Broken(Step("captured", "the captured requests"), "find the captured requests",
                  Error{Code::kInvalidArgument, "the interceptor's log lacks them"});
  }

  Send(Refusal("attack_replay", "replay: the captured POST /api/orders, sent again byte for byte",
               "request_replayed",
               "the gateway remembers each signature nonce (and DPoP jti) for as long as the "
               "signature is fresh"),
       Resend(*order));

  // Tampering happens in flight: the interceptor rewrites the app's next request before the
  // gateway has seen it, so what is refused is the tampering, not a replay.
  auto app = OpenApp("app-without-pins", setup_.interceptor_url, /*pinned=*/false);
  if (!app.ok()) return Broken(Step("attack_tampered_body", "tamper"), "open the app", app.error());
  struct Tampering {
    const char* id;
    const char* label;
    bool fix_digest;
    const char* expected_error;
    const char* defense;
  };
  const Tampering tamperings[] = {
      {"attack_tampered_body",
       "in flight, the interceptor changes the app's order: quantity 1 -> 9, Content-Digest "
       "left as signed",
       false, "content_digest_mismatch", "the body no longer matches its Content-Digest"},
      {"attack_tampered_body_redigested",
       "in flight: quantity 1 -> 9, and the interceptor recomputes Content-Digest to match", true,
       "request_signature_invalid",
       "the device's signature covers the Content-Digest, and only the device key can sign"}};
  for (const Tampering& tampering : tamperings) {
    StepReport step =
        Refusal(tampering.id, tampering.label, tampering.expected_error, tampering.defense);
    const std::size_t mark = InterceptedCount();
    Status rules = interceptor_.Tamper(kQuantityOne, kQuantityNine, tampering.fix_digest);
    if (!rules.ok()) return Broken(step, "instruct the interceptor", rules.error());
    RecordResponse(step, (*app)->Call("POST", "/api/orders", kOrderBody,
                                      {{"content-type", "application/json"}}));
    bool tampered = false;
    for (const InterceptedEvent& event : InterceptedSince(mark)) tampered |= event.tampered;
    if (step.problem.empty() && !tampered) step.problem = "the interceptor did not tamper";
    out_.Report(step);
  }
  Status stopped = interceptor_.StopTampering();
  if (!stopped.ok())
    return Broken(Step("stop_tampering", "tamper"), "stop tampering", stopped.error());

  HttpsRequest retargeted = Resend(*profile);
  retargeted.target = "/api/orders";
  Send(Refusal("attack_proof_for_other_url",
               "the captured GET /api/profile (token, proof, signature) re-aimed at GET "
               "/api/orders",
               "dpop_proof_invalid",
               "a proof names the one method and URL it was made for (htm, htu); the signature "
               "covers them too"),
       retargeted);

  const std::string authorization = order->Header("authorization").value_or("");
  const std::string access_token =
      authorization.starts_with("DPoP ") ? authorization.substr(5) : authorization;
  const std::string device_id =
      SignatureParameter(order->Header("signature-input").value_or(""), "keyid");
  auto thief_key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  if (!thief_key.ok()) {
    return Broken(Step("attack_stolen_access_token", "thief's key"), "make a key",
                  thief_key.error());
  }
  std::string bound_to;
  if (auto claims = UnverifiedClaims(access_token); claims.ok()) {
    if (const boost::json::value* cnf = claims->if_contains("cnf"); cnf && cnf->is_object()) {
      bound_to = StringMember(cnf->get_object(), "jkt");
    }
  }
  ApiCall call;
  call.method = "POST";
  call.target = "/api/orders";
  call.body = kOrderBody;
  call.access_token = access_token;
  StepReport stolen = Refusal(
      "attack_stolen_access_token",
      "the captured access token, with a new proof and signature by the interceptor's own key",
      "dpop_proof_invalid",
      "the token is bound to the device key (cnf.jkt " + Shorten(bound_to, 12) +
          "); the interceptor's key has another thumbprint (" +
          Shorten(KeyThumbprint(*thief_key), 12) + ")");
  Send(stolen, SignedApiCall(*thief_key, device_id, attacker_.origin(), call));

  Send(Refusal("attack_stolen_refresh_token",
               "the captured refresh token, presented with a DPoP proof by the interceptor's key",
               "invalid_grant",
               "a refresh token is bound to the device key like the access token: only a proof "
               "by that key redeems it"),
       TokenRequest(*thief_key, attacker_.origin(),
                    {{"grant_type", "refresh_token"},
                     {"refresh_token", refresh_token},
                     {"device_id", device_id}}));
}

}  // namespace ztm::demo
