// ztm-demo's small helpers shared by the story's parts: how a libztm result or an HTTP answer
// becomes a step's outcome, and text cut for the narration.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "narrator.h"
#include "ztm/client.h"

namespace ztm::demo {

// The order the app places, and the one the interceptor turns it into.
inline constexpr char kOrderBody[] = R"({"item":42,"quantity":1})";

// `value`, cut after `keep` characters (with "..." when cut).
std::string Shorten(const std::string& value, std::size_t keep);

// The non-empty lines of the file `path` (none when it cannot be read).
std::vector<std::string> LinesOf(const std::string& path);

// Records libztm's error in `step`: its own refusals (a pin mismatch, a session the gateway
// ended) are refusals by the app; anything else is a failure.
void RecordError(StepReport& step, const Error& error);

// Records a libztm call without a response (Register, SignIn, Logout) and judges the step.
void RecordStatus(StepReport& step, const Status& status);

// Records a libztm API call: the gateway's answer, or libztm's error; judges the step.
void RecordResponse(StepReport& step, const Result<ApiResponse>& response);

}  // namespace ztm::demo
