// ztm-demo's narration: the layout of a step for people (verdict, the gateway's answer, why ztm
// refuses an attack, details) and its JSON form.
#include "narrator.h"

#include <iostream>
#include <string_view>

#include "core/json.h"

namespace ztm::demo {
namespace {

// The narration's lines are wrapped to fit a 100-column terminal.
constexpr std::size_t kWidth = 100;
// Lines under a step start here, under its label (3 spaces, then a 10-column verdict).
constexpr std::size_t kIndentColumns = 13;
constexpr const char* kGreen = "\033[32m";
constexpr const char* kRed = "\033[31m";

void Line(const std::string& text) { std::cout << text << '\n' << std::flush; }

// `text` with control characters (which could drive the terminal) shown as '?': reasons and
// details come from the network.
std::string Printable(std::string_view text) {
  std::string clean(text);
  for (char& c : clean) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return clean;
}

// `text` cut into lines of at most `width` characters at spaces (a longer word gets its own
// line).
std::vector<std::string> Wrap(std::string_view text, std::size_t width) {
  std::vector<std::string> lines(1);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (!lines.back().empty() && lines.back().size() + 1 + word.size() > width) {
      lines.emplace_back();
    }
    if (!lines.back().empty()) lines.back() += ' ';
    lines.back() += word;
    start = end + 1;
  }
  return lines;
}

}  // namespace

void StepReport::Answered(int http_status, std::string gateway_error, std::string why) {
  status = http_status;
  error = std::move(gateway_error);
  reason = std::move(why);
  if (status >= 200 && status < 300) {
    outcome = "accepted";
  } else if (status >= 400 && status < 500) {
    outcome = "refused";
    refused_by = "gateway";
  } else {
    outcome = "error";
  }
}

void StepReport::Judge() {
  if (!problem.empty()) return;
  if (expected == Expect::kAccepted) {
    if (outcome != "accepted") problem = "a legitimate request was not accepted";
    return;
  }
  if (outcome == "accepted") {
    problem = refused_by.empty() && status == 0 ? "it was not refused" : "it was accepted";
  } else if (outcome != "refused") {
    problem = "it failed instead of being refused";
  } else if (!expected_error.empty() && error != expected_error) {
    problem = "refused, but not as " + expected_error;
  }
}

StepReport Step(std::string id, std::string label) {
  StepReport step;
  step.id = std::move(id);
  step.label = std::move(label);
  return step;
}

StepReport Refusal(std::string id, std::string label, std::string expected_error,
                   std::string defense) {
  StepReport step = Step(std::move(id), std::move(label));
  step.expected = Expect::kRefused;
  step.expected_error = std::move(expected_error);
  step.defense = std::move(defense);
  return step;
}

void Narrator::Title(const std::vector<std::string>& lines) {
  if (json_) return;
  Line(Bold("ztm demo: an app built on libztm talks to ztm-gateway, and attackers try to get in"));
  for (const std::string& line : lines) Line("   " + Printable(line));
}

void Narrator::Section(const std::string& title, const std::vector<std::string>& explanation) {
  if (json_) return;
  Line("");
  Line(Bold(title));
  for (const std::string& line : explanation) Line("   " + line);
}

void Narrator::Note(const std::string& text) {
  if (!json_) Line("   " + Printable(text));
}

void Narrator::Report(const StepReport& step) {
  const bool as_expected = step.problem.empty();
  (as_expected ? behaved_ : misbehaved_)++;
  if (!as_expected) problems_.push_back(step.label + ": " + step.problem);
  if (json_) return PrintJson(step, as_expected);

  const std::string indent(kIndentColumns, ' ');
  const std::string& outcome = step.outcome;
  std::string verdict = outcome == "accepted"  ? "ACCEPTED"
                        : outcome == "refused" ? "REFUSED"
                                               : "FAILED";
  verdict.resize(kIndentColumns - 3, ' ');
  const std::string line = "   " + Paint(verdict, as_expected ? kGreen : kRed) + step.label;
  // An accepted request's label is the request itself: its status fits on the same line.
  if (outcome == "accepted") {
    Line(step.status != 0 ? line + "  -> " + std::to_string(step.status) : line);
  } else {
    Line(line);
    Line(indent + (step.status != 0 ? "-> " + std::to_string(step.status) + " " : "") +
         Printable(step.reason));
  }
  if (!step.defense.empty()) {
    const std::string why = "why: ";
    const auto lines = Wrap(step.defense, kWidth - kIndentColumns - why.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      Line(indent + (i == 0 ? why : std::string(why.size(), ' ')) + lines[i]);
    }
  }
  for (const auto& [name, value] : step.details) Line(indent + name + ": " + Printable(value));
  if (!as_expected) Line(indent + Paint("MISBEHAVED: " + step.problem, kRed));
}

bool Narrator::Summary() {
  const bool ok = misbehaved_ == 0 && stopped_early_.empty();
  if (json_) {
    boost::json::object summary{
        {"step", "summary"}, {"ok", ok}, {"as_expected", behaved_}, {"misbehaved", misbehaved_}};
    if (!stopped_early_.empty()) summary["stopped_early"] = stopped_early_;
    Line(json::Serialize(summary));
    return ok;
  }
  Line("");
  Line(Bold("Summary"));
  if (ok) {
    Line("   " + Paint("all " + std::to_string(behaved_) + " steps behaved as expected:", kGreen) +
         " every legitimate request was");
    Line("   accepted, and every attack was refused for the reason shown.");
  } else {
    Line("   " + Paint(std::to_string(misbehaved_) + " step(s) misbehaved:", kRed));
    for (const std::string& problem : problems_) Line("   - " + problem);
    if (!stopped_early_.empty()) Line("   The demo stopped early: " + stopped_early_ + ".");
  }
  return ok;
}

bool Narrator::Abort(const std::string& why) {
  stopped_early_ = why;
  if (json_) {
    Line(json::Serialize(boost::json::object{{"step", "abort"}, {"reason", why}}));
  } else {
    Line("   " + Paint("cannot go on: " + why, kRed));
  }
  Summary();
  return false;
}

void Narrator::PrintJson(const StepReport& step, bool as_expected) {
  boost::json::object out{{"step", step.id},
                          {"expected", step.expected == Expect::kAccepted ? "accepted" : "refused"},
                          {"outcome", step.outcome},
                          {"status", step.status},
                          {"error", step.error},
                          {"reason", step.reason},
                          {"ok", as_expected}};
  if (!step.refused_by.empty()) out["refused_by"] = step.refused_by;
  if (!as_expected) out["problem"] = step.problem;
  for (const auto& [key, value] : step.json_details) out[key] = value;
  Line(json::Serialize(out));
}

std::string Narrator::Paint(const std::string& text, const char* color) const {
  return color_ ? color + text + "\033[0m" : text;
}

std::string Narrator::Bold(const std::string& text) const {
  return color_ ? "\033[1m" + text + "\033[0m" : text;
}

}  // namespace ztm::demo
