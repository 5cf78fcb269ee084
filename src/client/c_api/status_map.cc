// ztm::Code → ztm_status. Codes that only the gateway or the core's parsers produce can still
// reach an app (the gateway names them in its answers, a broken gateway answer fails to parse),
// so each domain has a category rather than falling into a default.
#include "client/c_api/status_map.h"

// A Code missing from the switch below must stop the build, not just warn.
#pragma GCC diagnostic error "-Wswitch"

namespace ztm::c_api {

ztm_status StatusOf(Code code) noexcept {
  switch (code) {
    // A caller passed something unusable: options, arguments, a request that cannot be sent.
    case Code::kInvalidArgument:
    case Code::kInputTooLarge:
    case Code::kConfigInvalid:
    case Code::kKeyAliasInvalid:
    case Code::kPinSetInvalid:
    case Code::kTransportRequestInvalid:
      return ZTM_ERR_INVALID_ARGUMENT;

    case Code::kNotRegistered:
      return ZTM_ERR_NOT_REGISTERED;
    case Code::kNotSignedIn:
      return ZTM_ERR_NOT_SIGNED_IN;

    // The session is gone at the gateway: the user signs in again.
    case Code::kSessionEnded:
    case Code::kSessionRevoked:
      return ZTM_ERR_SESSION_ENDED;

    // The gateway said no, or said something outside the protocol. The gateway's own
    // verification and policy codes land here when it names them in an answer.
    case Code::kGatewayRefused:
    case Code::kGatewayProtocol:
    case Code::kOAuthInvalidRequest:
    case Code::kOAuthInvalidGrant:
    case Code::kOAuthUnsupportedGrantType:
    case Code::kChallengeInvalid:
    case Code::kAttestationFormatUnsupported:
    case Code::kAttestationFormatDisabled:
    case Code::kAttestationInvalid:
    case Code::kAttestationKeyMismatch:
    case Code::kAttestationCounterNotIncreasing:
    case Code::kAccessTokenMissing:
    case Code::kAccessTokenInvalid:
    case Code::kAccessTokenExpired:
    case Code::kDpopProofInvalid:
    case Code::kUseDpopNonce:
    case Code::kRequestSignatureMissing:
    case Code::kRequestSignatureInvalid:
    case Code::kRequestReplayed:
    case Code::kReplayCacheFull:
    case Code::kContentDigestMismatch:
    case Code::kDeviceRevoked:
    case Code::kMethodNotAllowed:
    case Code::kInsufficientUserAuthentication:
    case Code::kRateLimited:
    case Code::kRequestPathAmbiguous:
    case Code::kMisdirectedRequest:
    case Code::kServerBusy:
      return ZTM_ERR_GATEWAY_REFUSED;

    case Code::kPinValidationFailed:
      return ZTM_ERR_PIN_VALIDATION_FAILED;
    case Code::kTlsFailed:
      return ZTM_ERR_TLS_FAILED;

    // Worth a retry later, on a working network.
    case Code::kTransportConnectFailed:
    case Code::kTransportFailed:
    case Code::kResponseTooLarge:
    case Code::kHttpBodyIncomplete:
      return ZTM_ERR_NETWORK;
    case Code::kTransportTimeout:
    case Code::kHttpBodyTimeout:
      return ZTM_ERR_TIMEOUT;

    // The device's own storage: keys, vault, secure store, database, a platform keystore.
    case Code::kKeyNotFound:
    case Code::kKeyExists:
    case Code::kKeyStoreInsecure:
    case Code::kKeyStoreClosed:
    case Code::kKekUnavailable:
    case Code::kKekInvalid:
    case Code::kVaultCorrupt:
    case Code::kSecureItemNotFound:
    case Code::kSecureItemTampered:
    case Code::kSecureStoreFull:
    case Code::kDatabaseUnavailable:
    case Code::kDatabaseNotEncrypted:
    case Code::kDatabaseKeyInvalid:
    case Code::kDatabaseQueryFailed:
    case Code::kKeyStoreCallbackFailed:
    case Code::kPinReportStoreFull:
    case Code::kStoreUnavailable:
    case Code::kStoreConflict:
    case Code::kStoreNotFound:
      return ZTM_ERR_STORAGE;

    case Code::kUserPresenceRequired:
      return ZTM_ERR_USER_PRESENCE_REQUIRED;

    // libztm's own machinery failed (its encoders, parsers, signers): not the app's to fix.
    case Code::kInternal:
    case Code::kSigningKeyHandleExpired:
    case Code::kBase64Invalid:
    case Code::kHexInvalid:
    case Code::kJsonMalformed:
    case Code::kJsonDuplicateKey:
    case Code::kJsonTooDeep:
    case Code::kJsonWrongType:
    case Code::kCryptoKeyInvalid:
    case Code::kCryptoKeyTypeMismatch:
    case Code::kCryptoUnsupportedAlgorithm:
    case Code::kCryptoSignatureInvalid:
    case Code::kCryptoDecryptFailed:
    case Code::kJwkInvalid:
    case Code::kJwkPrivateMember:
    case Code::kJwsMalformed:
    case Code::kJwsHeaderInvalid:
    case Code::kJwsAlgNotAllowed:
    case Code::kJwsSignatureInvalid:
    case Code::kJwtClaimsInvalid:
    case Code::kJwtExpired:
    case Code::kJwtNotYetValid:
    case Code::kJwtIssuedInFuture:
    case Code::kJwtIssuerMismatch:
    case Code::kJwtAudienceMismatch:
    case Code::kJwtTypeMismatch:
    case Code::kJwtMissingClaim:
    case Code::kDpopMalformed:
    case Code::kDpopTypeInvalid:
    case Code::kDpopAlgNotAllowed:
    case Code::kDpopJwkInvalid:
    case Code::kDpopSignatureInvalid:
    case Code::kDpopMethodMismatch:
    case Code::kDpopUriMismatch:
    case Code::kDpopIatOutOfWindow:
    case Code::kDpopJtiMissing:
    case Code::kDpopAthMismatch:
    case Code::kDpopNonceRequired:
    case Code::kDpopNonceMismatch:
    case Code::kDpopKeyMismatch:
    case Code::kSfParseError:
    case Code::kSfSerializeError:
    case Code::kHttpMessageMalformed:
    case Code::kHttpSigInputMalformed:
    case Code::kHttpSigMissing:
    case Code::kHttpSigComponentMissing:
    case Code::kHttpSigComponentInvalid:
    case Code::kHttpSigAlgMismatch:
    case Code::kHttpSigExpired:
    case Code::kHttpSigCreatedInFuture:
    case Code::kHttpSigCreatedTooOld:
    case Code::kHttpSigInvalid:
    case Code::kHttpSigRequiredComponentMissing:
    case Code::kHttpSigComponentDuplicate:
    case Code::kHttpSigLabelNotFound:
    case Code::kHttpSigAlgUnsupported:
    case Code::kHttpSigParameterMissing:
    case Code::kHttpSigTagMismatch:
    case Code::kHttpSigKeyIdMismatch:
    case Code::kDigestMissing:
    case Code::kDigestMismatch:
    case Code::kDigestUnsupportedAlgorithm:
    case Code::kDigestMalformed:
    case Code::kMasterKeyInvalid:
    case Code::kSigningKeyUnavailable:
    case Code::kHttpListenFailed:
    case Code::kHttpTlsSetupFailed:
      return ZTM_ERR_INTERNAL;
  }
  return ZTM_ERR_INTERNAL;  // not a Code (a value cast from outside the enum)
}

Code CodeOf(ztm_status status) noexcept {
  switch (status) {
    case ZTM_ERR_INVALID_ARGUMENT:
      return Code::kInvalidArgument;
    case ZTM_ERR_NOT_REGISTERED:
      return Code::kNotRegistered;
    case ZTM_ERR_NOT_SIGNED_IN:
      return Code::kNotSignedIn;
    case ZTM_ERR_SESSION_ENDED:
      return Code::kSessionEnded;
    case ZTM_ERR_GATEWAY_REFUSED:
      return Code::kGatewayRefused;
    case ZTM_ERR_PIN_VALIDATION_FAILED:
      return Code::kPinValidationFailed;
    case ZTM_ERR_TLS_FAILED:
      return Code::kTlsFailed;
    case ZTM_ERR_NETWORK:
      return Code::kTransportFailed;
    case ZTM_ERR_TIMEOUT:
      return Code::kTransportTimeout;
    // A platform callback's storage failure: the same code as the keystore callbacks'.
    case ZTM_ERR_STORAGE:
      return Code::kKeyStoreCallbackFailed;
    case ZTM_ERR_USER_PRESENCE_REQUIRED:
      return Code::kUserPresenceRequired;
    case ZTM_OK:
    case ZTM_ERR_BUFFER_TOO_SMALL:
    case ZTM_ERR_NOT_FOUND:
    case ZTM_ERR_INTERNAL:
      return Code::kInternal;
  }
  return Code::kInternal;  // not a ztm_status (a value cast from outside the enum)
}

}  // namespace ztm::c_api
