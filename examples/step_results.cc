// Step helpers for ztm-demo (see step_results.h).
#include "step_results.h"

#include <fstream>

#include "demo_protocol.h"

namespace ztm::demo {

std::string Shorten(const std::string& value, std::size_t keep) {
  return value.size() <= keep ? value : value.substr(0, keep) + "...";
}

std::vector<std::string> LinesOf(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Records libztm's error in `step`: its own refusals (a pin mismatch, a session the gateway
// ended) are refusals by the app; anything else is a failure.
void RecordError(StepReport& step, const Error& error) {
  step.error = CodeName(error.code);
  step.reason = step.error + ": " + error.message;
  if (error.code == Code::kPinValidationFailed || error.code == Code::kSessionEnded) {
    step.outcome = "refused";
    step.refused_by = "app";
  } else {
    step.outcome = "error";
  }
}

void RecordStatus(StepReport& step, const Status& status) {
  if (status.ok()) {
    step.outcome = "accepted";
  } else {
    RecordError(step, status.error());
  }
  step.Judge();
}

void RecordResponse(StepReport& step, const Result<ApiResponse>& response) {
  if (!response.ok()) {
    RecordError(step, response.error());
  } else {
    const auto challenge = response->Header("www-authenticate");
    step.Answered(
        response->status, response->status < 400 ? "" : GatewayError(response->body, challenge),
        response->status < 400 ? "" : RefusalReason(response->status, response->body, challenge));
  }
  step.Judge();
}

}  // namespace ztm::demo
