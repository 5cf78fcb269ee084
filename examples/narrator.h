// How ztm-demo tells its story: each step's expectation and outcome (StepReport), printed for
// people or as one JSON object per step, with the score kept for the final verdict.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

namespace ztm::demo {

enum class Expect { kAccepted, kRefused };

// One step: what it must do, and what happened.
struct StepReport {
  std::string id;     // stable name, the "step" of --json output
  std::string label;  // what happened, for people
  Expect expected = Expect::kAccepted;
  std::string expected_error;  // for a refusal: the gateway's "error" code it must carry
  std::string defense;         // for an attack: why ztm refuses it
  // "accepted", "refused" or "error" (a failure that is not a refusal, or no answer).
  std::string outcome = "error";
  // Who refused: "gateway" (an HTTP 4xx answer) or "app" (libztm itself: a pinned key
  // missing from the server's certificate chain, a session the gateway ended).
  std::string refused_by;
  int status = 0;      // 0: no HTTP response
  std::string error;   // the gateway's error code ("error" of its JSON body), or libztm's code
  std::string reason;  // the refusal reason, or the failure
  std::vector<std::pair<std::string, std::string>> details;  // shown under the step
  boost::json::object json_details;                          // the same, for --json
  std::string problem;  // non-empty: the step misbehaved; says how

  // Records an HTTP answer: "accepted" for 2xx, "refused" (by the gateway) for 4xx, else
  // "error"; `error` and `reason` as the gateway gave them.
  void Answered(int http_status, std::string gateway_error, std::string why);
  // Checks the outcome against the expectation; sets `problem` when they differ.
  void Judge();
};

// A step that must be accepted.
StepReport Step(std::string id, std::string label);

// A step that must be refused with the gateway error `expected_error`, for the reason `defense`.
StepReport Refusal(std::string id, std::string label, std::string expected_error,
                   std::string defense);

// Prints the story on stdout, for people (default) or as one JSON object per step (`json`),
// and keeps the score. Colours only when `color` and not `json`.
class Narrator {
 public:
  Narrator(bool json, bool color) : json_(json), color_(color && !json) {}

  // The opening lines (people only).
  void Title(const std::vector<std::string>& lines);
  // A numbered part of the story and what it is about (people only).
  void Section(const std::string& title, const std::vector<std::string>& explanation);
  // One indented line (people only).
  void Note(const std::string& text);
  // Prints `step` and counts it as behaved (no problem) or misbehaved.
  void Report(const StepReport& step);
  // Prints the verdict; true when every step behaved and the story was not cut short.
  bool Summary();
  // Prints that the story cannot go on (`why`; the step that failed was already reported),
  // then the verdict; returns false.
  bool Abort(const std::string& why);

 private:
  void PrintJson(const StepReport& step, bool as_expected);
  std::string Paint(const std::string& text, const char* color) const;
  std::string Bold(const std::string& text) const;

  const bool json_;
  const bool color_;
  int behaved_ = 0;
  int misbehaved_ = 0;
  std::vector<std::string> problems_;
  std::string stopped_early_;
};

}  // namespace ztm::demo
