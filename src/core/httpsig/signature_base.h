// The signature base of HTTP Message Signatures (RFC 9421 §2): component identifiers, the
// derivation and canonicalization of each component's value from a message, and the exact
// byte string that is signed. Signers and verifiers both build it here, so both sides agree
// on every byte or the signature fails.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/httpsig/http_message.h"
#include "core/sf/structured_fields.h"

namespace ztm::httpsig {

// Covered components per signature. Real profiles cover 5-15; 64 leaves room and bounds the
// work an attacker can ask a verifier to do before the signature check.
inline constexpr std::size_t kMaxCoveredComponents = 64;
// The whole base. Each line repeats at most one message part, so with kMaxCoveredComponents
// the base of a legitimate message stays far below this.
inline constexpr std::size_t kMaxSignatureBaseBytes = 256 * 1024;

// The top-level type of a structured field (RFC 8941 §3).
enum class StructuredFieldType { kItem, kList, kDictionary };

// Which HTTP fields the application knows to be structured fields, and of which type. The
// `sf` component parameter (RFC 9421 §2.1.1) is only honoured for fields listed here: strict
// re-serialization needs the type.
class StructuredFieldTypes {
 public:
  // The fields whose standards define them as structured: Signature, Signature-Input,
  // Accept-Signature (RFC 9421), Content-Digest, Repr-Digest, Want-Content-Digest,
  // Want-Repr-Digest (RFC 9530), Client-Cert, Client-Cert-Chain (RFC 9440), Priority
  // (RFC 9218), Proxy-Status (RFC 9209) and Cache-Status (RFC 9211).
  static const StructuredFieldTypes& Standard();

  // Declares the field `name` (lowercase) to be of `type`, replacing an earlier declaration.
  StructuredFieldTypes& Declare(std::string_view name, StructuredFieldType type);
  // The declared type of `name`, or nullopt.
  std::optional<StructuredFieldType> Find(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, StructuredFieldType>> types_;
};

// A component identifier (RFC 9421 §2): a String item holding the component name (a
// lowercase field name or a derived component such as "@method") and its parameters
// (`sf`, `key`, `bs`, `req`, `name`, ...).
sf::Item Component(std::string_view name, sf::Parameters params = {});

// Compares two component identifiers as RFC 9421 §2 does: same name and the same parameters,
// in any order.
bool SameComponent(const sf::Item& a, const sf::Item& b);

// Builds the signature base (RFC 9421 §2.5) of `message` for `signature_params`: the inner
// list whose items are the covered component identifiers, in order, and whose parameters are
// the signature parameters (`created`, `expires`, `nonce`, `alg`, `keyid`, `tag`, and any
// others, kept in their order). The result is the lines `"<identifier>": <value>` joined by
// LF, then `"@signature-params": <inner list>`, without a trailing LF.
//
// Fails with:
//  - kHttpSigComponentInvalid: an item that is not a String, an unknown derived component,
//    an uppercase or invalid field name, "@signature-params" listed as a component, an
//    unknown or misplaced parameter, incompatible parameters (`bs` with `sf` or `key`), `req`
//    on a request, a request component of a response without `req`, `sf` on a field whose
//    type is not in `field_types`, a field value that does not parse as its structured type,
//    a query parameter name that occurs more than once, `tr` (trailers are not modelled);
//  - kHttpSigComponentMissing: a covered field, dictionary key or query parameter that is not
//    in the message, or `req` on a response without its related request;
//  - kHttpSigComponentDuplicate: the same component identifier listed twice;
//  - kHttpSigInputMalformed: `created`/`expires` not a non-negative Integer, `nonce`, `alg`,
//    `keyid` or `tag` not a String, or a list that does not serialize;
//  - kHttpMessageMalformed: a request whose method, target or authority is invalid;
//  - kInputTooLarge: more than kMaxCoveredComponents items or a base above
//    kMaxSignatureBaseBytes.
Result<std::string> BuildSignatureBase(
    HttpMessageView message, const sf::InnerList& signature_params,
    const StructuredFieldTypes& field_types = StructuredFieldTypes::Standard());

}  // namespace ztm::httpsig
