// Showing untrusted text in error messages. Error messages end up in logs, terminals and
// HTTP problem details, so text chosen by a peer (a JWK member, a header name, a label) is
// shown bounded and as printable ASCII only: it can neither forge log lines nor flood them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ztm {

// How many bytes of untrusted text an error message shows: enough to recognise a name or a
// value ("P-384", "enc", a label), short enough that a message stays one readable line.
inline constexpr std::size_t kMaxShownBytes = 64;

// Returns `text` as it may appear inside an error message: its first kMaxShownBytes bytes,
// printable ASCII (0x20-0x7E) kept except '"' and '\', every other byte written as "\xNN"
// (uppercase hex), and "..." appended when `text` was longer. The result is printable ASCII
// and unambiguous: distinct inputs of at most kMaxShownBytes bytes give distinct outputs.
std::string ForMessage(std::string_view text);

}  // namespace ztm
