// The one error model of ztm: a closed enum of codes (grouped by domain prefix) and
// Result<T>, a value-or-error that must be used. Expected failures (bad token, bad input,
// failed verification) are values of these types, never exceptions.
#pragma once

#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace ztm {

// Every code has a stable snake_case name (CodeName) used by the CLI, metrics and logs.
// Add a code in its domain's block and to the switch in error.cc (no default: the compiler
// flags a missing entry).
enum class Code : std::uint16_t {
  // Generic
  kInvalidArgument,  // a caller passed something unusable (programming error at a boundary)
  kInputTooLarge,    // an input exceeded its documented bound
  kInternal,         // a library call failed in a way the caller cannot fix

  // Encoding
  kBase64Invalid,
  kHexInvalid,

  // JSON
  kJsonMalformed,
  kJsonDuplicateKey,
  kJsonTooDeep,
  kJsonWrongType,

  // Crypto
  kCryptoKeyInvalid,
  kCryptoKeyTypeMismatch,
  kCryptoUnsupportedAlgorithm,
  kCryptoSignatureInvalid,
  kCryptoDecryptFailed,

  // JWK / JWS / JWT
  kJwkInvalid,
  kJwkPrivateMember,
  kJwsMalformed,
  kJwsHeaderInvalid,
  kJwsAlgNotAllowed,
  kJwsSignatureInvalid,
  kJwtClaimsInvalid,
  kJwtExpired,
  kJwtNotYetValid,
  kJwtIssuedInFuture,
  kJwtIssuerMismatch,
  kJwtAudienceMismatch,
  kJwtTypeMismatch,
  kJwtMissingClaim,

  // DPoP (RFC 9449)
  kDpopMalformed,
  kDpopTypeInvalid,
  kDpopAlgNotAllowed,
  kDpopJwkInvalid,
  kDpopSignatureInvalid,
  kDpopMethodMismatch,
  kDpopUriMismatch,
  kDpopIatOutOfWindow,
  kDpopJtiMissing,
  kDpopAthMismatch,
  kDpopNonceRequired,
  kDpopNonceMismatch,
  kDpopKeyMismatch,

  // Structured Field Values (RFC 8941 / RFC 9651)
  kSfParseError,
  kSfSerializeError,

  // HTTP Message Signatures (RFC 9421) and digests (RFC 9530)
  kHttpMessageMalformed,
  kHttpSigInputMalformed,
  kHttpSigMissing,
  kHttpSigComponentMissing,
  kHttpSigComponentInvalid,
  kHttpSigAlgMismatch,
  kHttpSigExpired,
  kHttpSigCreatedInFuture,
  kHttpSigCreatedTooOld,
  kHttpSigInvalid,
  kHttpSigRequiredComponentMissing,
  kHttpSigComponentDuplicate,
  kHttpSigLabelNotFound,
  kHttpSigAlgUnsupported,
  kHttpSigParameterMissing,
  kHttpSigTagMismatch,
  kHttpSigKeyIdMismatch,
  kDigestMissing,
  kDigestMismatch,
  kDigestUnsupportedAlgorithm,
  kDigestMalformed,

  // Gateway: configuration and storage
  kConfigInvalid,
  kStoreUnavailable,  // cannot open, corrupt, or not a ztm database
  kStoreConflict,     // the record already exists
  kStoreNotFound,

  // Gateway: token-signing keys
  kMasterKeyInvalid,       // the master key file is unreadable, of the wrong size or too open
  kSigningKeyUnavailable,  // no usable token-signing key (unknown kid, unsealing failed)

  // Gateway: OAuth token endpoint (RFC 6749 §5.2)
  kOAuthInvalidRequest,
  kOAuthInvalidGrant,
  kOAuthUnsupportedGrantType,

  // Gateway: device registration and attestation
  kChallengeInvalid,  // unknown, expired or already used challenge
  kAttestationFormatUnsupported,
  kAttestationFormatDisabled,  // a known format the configuration does not allow
  kAttestationInvalid,
  kAttestationKeyMismatch,           // the evidence attests another key than the one registered
  kAttestationCounterNotIncreasing,  // an authentic assertion replayed or from a cloned key

  // Gateway: per-request verification; each code has one HTTP status and metric label
  kAccessTokenMissing,
  kAccessTokenInvalid,
  kAccessTokenExpired,
  kDpopProofInvalid,
  kUseDpopNonce,  // a server nonce is required (RFC 9449 §8, §9)
  kRequestSignatureMissing,
  kRequestSignatureInvalid,
  kRequestReplayed,  // a signature nonce or DPoP jti seen inside its window
  kReplayCacheFull,  // fail closed: the replay cache cannot remember another request
  kContentDigestMismatch,
  kDeviceRevoked,
  kMethodNotAllowed,
  kInsufficientUserAuthentication,  // RFC 9470: the route needs another acr
  kRateLimited,
  kRequestPathAmbiguous,  // a path the upstream may resolve differently ("//", ";", dot segments)
  kMisdirectedRequest,    // the Host is not one of listen.public_origins (RFC 9110 §15.5.20)
  kSessionRevoked,        // the access token's refresh family was revoked (logout, reuse)
  kServerBusy,            // every password-verification worker is busy: retry later

  // Gateway: HTTP transport
  kHttpListenFailed,    // cannot bind or listen on the configured address
  kHttpTlsSetupFailed,  // TLS certificate, key or client CA unusable
  kHttpBodyTimeout,     // a streamed body stalled past the read timeout
  kHttpBodyIncomplete,  // a streamed body ended early or broke its framing

  // Client (libztm): key store, secure store, encrypted database
  kKeyAliasInvalid,       // an alias or item name outside [A-Za-z0-9._-]{1,64}
  kKeyNotFound,           // no key under this alias
  kKeyExists,             // a key under this alias exists (never silently replaced)
  kKeyStoreInsecure,      // directory or file is group/world-accessible, a symlink or not ours
  kKeyStoreClosed,        // the store was wiped; open a new one
  kKekUnavailable,        // the key-encryption key cannot be obtained (keyring key missing)
  kKekInvalid,            // wrong passphrase or key-encryption key (key check failed)
  kVaultCorrupt,          // bad header, truncated, or failed authentication (tampered, swapped)
  kUserPresenceRequired,  // the key needs user presence and none was confirmed
  kSecureItemNotFound,
  kSecureItemTampered,      // failed authentication: modified, swapped or under another key
  kSecureStoreFull,         // kMaxSecureItems reached
  kDatabaseUnavailable,     // cannot open or create, or SQLCipher is missing
  kDatabaseNotEncrypted,    // a plain SQLite file where an encrypted database was expected
  kDatabaseKeyInvalid,      // wrong database key, or not a database
  kDatabaseQueryFailed,     // an SQL statement failed (syntax, constraint, type)
  kKeyStoreCallbackFailed,  // a platform keystore's C callback failed or broke its contract

  // Client (libztm): transport and certificate pinning
  kPinSetInvalid,            // a pin set configuration is refused (too few pins, bad pin, bad host)
  kPinValidationFailed,      // the verified chain holds none of the host's pinned keys
  kTlsFailed,                // the TLS handshake or certificate verification failed
  kTransportConnectFailed,   // name resolution or TCP connection failed (refused, unreachable)
  kTransportTimeout,         // the connection or the exchange exceeded its time limit
  kTransportRequestInvalid,  // the request cannot be sent as given (not https, bad header)
  kTransportFailed,          // any other transport failure (connection reset, bad response)
  kResponseTooLarge,         // response headers or body exceeded their bound
  kPinReportStoreFull,       // the pin failure report store holds its maximum
  kSigningKeyHandleExpired,  // a signing key held open (KeyStore::OpenSigningKey) outlived its time

  // Client (libztm): session and gateway protocol
  kNotRegistered,    // the device has no registration with the gateway yet
  kNotSignedIn,      // no session: sign in first
  kSessionEnded,     // the gateway ended the session (refresh reuse, revocation): sign in again
  kGatewayRefused,   // the gateway answered with an error (its code in the message)
  kGatewayProtocol,  // the gateway's answer does not follow the protocol (missing field, bad JSON)
};

// Returns the stable snake_case name of `code`, e.g. "jws_alg_not_allowed".
const char* CodeName(Code code);

// An error: a code for programs and a one-line message for people. The message never
// contains secrets or token material (callers must not put them there).
struct Error {
  Code code;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result;

namespace detail {
struct ErrorTag {};
}  // namespace detail

// Result<T> holds either a T or an Error. Accessing the wrong alternative aborts, so a
// caller cannot silently use a value that failed verification.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  Result(Code code, std::string message)
      : storage_(std::in_place_index<1>, Error{code, std::move(message)}) {}

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return Checked<0>(); }
  const T& value() const& { return Checked<0>(); }
  T&& value() && { return std::move(Checked<0>()); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return Checked<1>(); }
  Error&& error() && { return std::move(Checked<1>()); }
  Code code() const { return error().code; }

 private:
  template <std::size_t I>
  auto& Checked() {
    if (storage_.index() != I) __builtin_trap();
    return std::get<I>(storage_);
  }
  template <std::size_t I>
  const auto& Checked() const {
    if (storage_.index() != I) __builtin_trap();
    return std::get<I>(storage_);
  }
  std::variant<T, Error> storage_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  Result(Code code, std::string message) : error_{code, std::move(message)}, ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    if (ok_) __builtin_trap();
    return error_;
  }
  Error&& error() && {
    if (ok_) __builtin_trap();
    return std::move(error_);
  }
  Code code() const { return error().code; }

 private:
  Error error_{Code::kInternal, {}};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

}  // namespace ztm

// Propagates an error from an expression returning Result<...>/Status.
#define ZTM_RETURN_IF_ERROR(expr)                                 \
  do {                                                            \
    auto ztm_status_ = (expr);                                    \
    if (!ztm_status_.ok()) return std::move(ztm_status_).error(); \
  } while (0)

#define ZTM_CONCAT_INNER_(a, b) a##b
#define ZTM_CONCAT_(a, b) ZTM_CONCAT_INNER_(a, b)
// Assigns the value of a Result to `lhs`, or returns its error.
#define ZTM_ASSIGN_OR_RETURN(lhs, expr) \
  ZTM_ASSIGN_OR_RETURN_IMPL_(ZTM_CONCAT_(ztm_result_, __LINE__), lhs, expr)
#define ZTM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).error();    \
  lhs = std::move(tmp).value()
