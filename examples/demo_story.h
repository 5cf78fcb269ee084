// ztm-demo's story: the app on libztm (ztm::Client) and the attackers around it, step by step,
// each step reported to the Narrator.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "https_client.h"
#include "interceptor.h"
#include "narrator.h"
#include "ztm/client.h"

namespace ztm::demo {

// Everything the story needs from the command line.
struct DemoSetup {
  std::string gateway_url;        // the real gateway
  std::string interceptor_url;    // the man in the middle, in front of the gateway
  std::string ca_file;            // what the app trusts: the demo CA plays the system store
  std::vector<std::string> pins;  // the gateway's SPKI pin and a backup pin
  std::string report_uri;         // where pin failure reports go
  std::string work_dir;           // the apps' data directories are made here
  std::string interceptor_log;
  std::string interceptor_rules;
  std::string collector_log;
  std::string upstream_log;
  std::string username = "alice";
  std::string password;
  Secret passphrase;  // the app's key store passphrase (a phone: the platform keystore)
};

// One run of the story. Run() once.
class Demo {
 public:
  Demo(DemoSetup setup, HttpsClient attacker, Narrator& narrator);

  // Tells the story; true when every legitimate step succeeded and every attack was refused
  // for the expected reason.
  bool Run();

 private:
  // The story's parts; those returning bool return false when the story cannot go on.
  bool RegisterAndSignIn();
  bool CallApi();
  bool RestartAndRefresh();
  void PinnedAppMeetsTheInterceptor();
  bool UnpinnedAppMeetsTheInterceptor();
  void AttacksWithWhatWasCaptured();
  void StolenAppFiles();
  void LogOutAndWipe();
  void CheckUpstream();

  // A client for the app whose data lives in work_dir/`name`, talking to `url`; pinned to
  // the gateway's keys (with the report URI) when `pinned`.
  Result<std::unique_ptr<Client>> OpenApp(const std::string& name, const std::string& url,
                                          bool pinned) const;
  std::string DataDirectory(const std::string& name) const;
  // The refresh token sealed in the app `name`'s secure store, read through libztm's own key
  // store and secure store with the passphrase; only while no Client has that directory open.
  Result<std::string> PeekRefreshToken(const std::string& name) const;
  // A libztm call to the protected API, recorded in `step` (and counted when it reached the
  // upstream API as expected).
  void AppCall(StepReport& step, Client& app, const std::string& method, const std::string& path,
               const std::string& body = "");
  // Sends an attacker's request through the interceptor and reports the step.
  void Send(StepReport step, const Result<HttpsRequest>& request);
  // Shows the files of the app `name`'s data directory; returns how many there are.
  std::size_t ShowFiles(const std::string& name, const std::string& when);
  // The interceptor's events from number `from` on (none when its log cannot be read).
  std::vector<InterceptedEvent> InterceptedSince(std::size_t from) const;
  std::size_t InterceptedCount() const;
  // Reports a step the demo itself could not carry out (a bug in the demo or its setup).
  void Broken(StepReport step, const std::string& what, const Error& error);

  const DemoSetup setup_;
  const HttpsClient attacker_;
  const Interceptor interceptor_;
  Narrator& out_;
  std::unique_ptr<Client> app_;  // the pinned app, when open
  // What the interceptor captured from the app without pins.
  std::vector<InterceptedEvent> captured_;
  // Calls the upstream API accepted, as the app saw them: the upstream's log must match.
  int upstream_calls_ = 0;
};

}  // namespace ztm::demo
