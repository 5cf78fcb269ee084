// RFC 9421 signing and verification (see message_signature.h).
#include "core/httpsig/message_signature.h"

#include <algorithm>
#include <memory>

#include "core/crypto/crypto.h"
#include "core/httpsig/content_digest.h"
#include "core/text.h"

namespace ztm::httpsig {
namespace {

Error InputMalformed(std::string message) {
  return Error{Code::kHttpSigInputMalformed, std::move(message)};
}

// RFC 8941 §3.2: a Dictionary key, which is what a label is (RFC 9421 §4.1).
bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelBytes) return false;
  const auto lcalpha = [](char c) { return c >= 'a' && c <= 'z'; };
  if (!lcalpha(label.front()) && label.front() != '*') return false;
  return std::all_of(label.begin(), label.end(), [&](char c) {
    return lcalpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*';
  });
}

// Parses the lines of a Dictionary field combined with ", " (RFC 9110 §5.3).
Result<sf::Dictionary> ParseSignatureField(const HttpFields& fields, std::string_view name,
                                           std::string_view display_name) {
  const auto lines = fields.Values(name);
  if (lines.empty()) {
    return Error{Code::kHttpSigMissing, "message has no " + std::string(display_name) + " field"};
  }
  std::string combined;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) combined += ", ";
    combined += lines[i];
  }
  // RFC 9421 §4: a label names one signature. Structured fields would let a repeated label's
  // last value win; the strict parse refuses it instead (in one line or across lines).
  auto dictionary = sf::ParseDictionary(combined, sf::DuplicateKeys::kReject);
  if (!dictionary.ok()) {
    if (dictionary.code() == Code::kInputTooLarge) return std::move(dictionary).error();
    return InputMalformed(std::string(display_name) + " is not a valid Dictionary of unique " +
                          "labels (" + dictionary.error().message + ")");
  }
  if (dictionary->size() > kMaxSignaturesPerMessage) {
    return Error{Code::kInputTooLarge, std::string(display_name) + " holds more than " +
                                           std::to_string(kMaxSignaturesPerMessage) +
                                           " signatures"};
  }
  return std::move(dictionary).value();
}

// The chosen signature: its Signature-Input member and its Signature value.
struct SelectedSignature {
  std::string label;
  sf::InnerList input;
  Bytes signature;
};

// RFC 9421 §3.2 step 1-3: parse both fields, pick the label, read its two members.
Result<SelectedSignature> SelectSignature(const HttpFields& fields,
                                          std::optional<std::string_view> label) {
  ZTM_ASSIGN_OR_RETURN(const sf::Dictionary inputs,
                       ParseSignatureField(fields, "signature-input", "Signature-Input"));
  ZTM_ASSIGN_OR_RETURN(const sf::Dictionary signatures,
                       ParseSignatureField(fields, "signature", "Signature"));
  // §4: both fields carry the same labels.
  const auto all_in = [](const sf::Dictionary& a, const sf::Dictionary& b) {
    return std::all_of(a.begin(), a.end(),
                       [&](const auto& member) { return sf::FindMember(b, member.first); });
  };
  if (!all_in(inputs, signatures) || !all_in(signatures, inputs)) {
    return InputMalformed("Signature-Input and Signature do not have the same labels");
  }

  SelectedSignature selected;
  if (label) {
    if (sf::FindMember(inputs, *label) == nullptr) {
      return Error{Code::kHttpSigLabelNotFound, "no signature labelled " + ForMessage(*label)};
    }
    selected.label = std::string(*label);
  } else {
    if (inputs.size() != 1) {
      return Error{Code::kHttpSigLabelNotFound, "message has " + std::to_string(inputs.size()) +
                                                    " signatures; a label is needed"};
    }
    selected.label = inputs.front().first;
  }

  const auto* input = std::get_if<sf::InnerList>(sf::FindMember(inputs, selected.label));
  if (input == nullptr) return InputMalformed("Signature-Input member is not an inner list");
  for (const auto& item : input->items) {
    if (!std::holds_alternative<std::string>(item.value)) {
      return InputMalformed("covered components must be Strings");
    }
  }
  selected.input = *input;

  const auto* signature = std::get_if<sf::Item>(sf::FindMember(signatures, selected.label));
  const auto* bytes = signature ? std::get_if<Bytes>(&signature->value) : nullptr;
  if (bytes == nullptr) return InputMalformed("Signature member is not a Byte Sequence");
  selected.signature = *bytes;
  return selected;
}

// The signature parameters of RFC 9421 §2.3, typed.
struct ReadParameters {
  std::optional<std::int64_t> created;
  std::optional<std::int64_t> expires;
  std::optional<std::string> nonce;
  std::optional<std::string> keyid;
  std::optional<std::string> alg;
  std::optional<std::string> tag;
};

Result<ReadParameters> ReadSignatureParameters(const sf::Parameters& params) {
  ReadParameters out;
  for (const auto& [key, value] : params) {
    std::optional<std::int64_t>* integer = nullptr;
    std::optional<std::string>* text = nullptr;
    if (key == "created") integer = &out.created;
    if (key == "expires") integer = &out.expires;
    if (key == "nonce") text = &out.nonce;
    if (key == "keyid") text = &out.keyid;
    if (key == "alg") text = &out.alg;
    if (key == "tag") text = &out.tag;
    if (integer != nullptr) {
      const auto* seconds = std::get_if<std::int64_t>(&value);
      if (seconds == nullptr || *seconds < 0) {
        return InputMalformed(key + " must be a non-negative Integer");
      }
      *integer = *seconds;
    } else if (text != nullptr) {
      const auto* string = std::get_if<std::string>(&value);
      if (string == nullptr) return InputMalformed(key + " must be a String");
      *text = *string;
    }
  }
  if (out.created && out.expires && *out.expires < *out.created) {
    return InputMalformed("expires is before created");
  }
  return out;
}

// RFC 9530 §1.1, RFC 9421 §7.2.8: a covered Content-Digest binds the content only once the
// content is checked against it. Every covered component named content-digest counts,
// whatever its parameters: `sf` and `bs` change how the field is serialized, `key` which
// member is signed, `req` whose field (and so whose body) it is.
Status CheckCoveredContentDigests(HttpMessageView message, const std::vector<sf::Item>& covered) {
  bool check_own = false;
  bool check_request = false;
  for (const sf::Item& component : covered) {
    const auto* name = std::get_if<std::string>(&component.value);
    if (name == nullptr || *name != "content-digest") continue;
    if (const auto* key = sf::FindParam(component.params, "key")) {
      // Only the member named by `key` is signed; VerifyContentDigest ignores unknown and
      // deprecated algorithms, so a signed "md5" member would bind the body to nothing.
      const auto* algorithm = std::get_if<std::string>(key);
      if (algorithm == nullptr || (*algorithm != DigestAlgorithmKey(DigestAlgorithm::kSha256) &&
                                   *algorithm != DigestAlgorithmKey(DigestAlgorithm::kSha512))) {
        return Error{Code::kDigestUnsupportedAlgorithm,
                     "signature covers only a Content-Digest member that is not sha-256 or "
                     "sha-512"};
      }
    }
    if (sf::FindParam(component.params, "req") != nullptr) {
      check_request = true;
    } else {
      check_own = true;
    }
  }
  if (check_own) {
    const Bytes& body = message.request() ? message.request()->body : message.response()->body;
    ZTM_RETURN_IF_ERROR(VerifyContentDigest(message.fields(), body));
  }
  if (check_request) {
    // The signature base needed the related request to cover its field, so it is here.
    const HttpResponse* response = message.response();
    if (response == nullptr || !response->request) {
      return Error{Code::kDigestMissing, "content-digest;req needs the related request"};
    }
    ZTM_RETURN_IF_ERROR(VerifyContentDigest(response->request->fields, response->request->body));
  }
  return OkStatus();
}

crypto::SignatureAlgorithm CryptoAlgorithm(HttpSigAlgorithm algorithm) {
  return algorithm == HttpSigAlgorithm::kEd25519 ? crypto::SignatureAlgorithm::kEd25519
                                                 : crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw;
}

Status CheckKeyType(HttpSigAlgorithm algorithm, crypto::KeyType type) {
  if (algorithm == HttpSigAlgorithm::kHmacSha256) {
    return Error{Code::kInvalidArgument, "hmac-sha256 takes a secret key (CreateHmac)"};
  }
  if (crypto::KeyTypeFor(CryptoAlgorithm(algorithm)) != type) {
    return Error{Code::kCryptoKeyTypeMismatch,
                 "key does not fit " + std::string(HttpSigAlgorithmName(algorithm))};
  }
  return OkStatus();
}

Status CheckHmacKey(const Secret& key) {
  if (key.size() < kMinHmacKeyBytes) {
    return Error{Code::kCryptoKeyInvalid,
                 "hmac-sha256 key must be at least " + std::to_string(kMinHmacKeyBytes) + " bytes"};
  }
  return OkStatus();
}

}  // namespace

std::string_view HttpSigAlgorithmName(HttpSigAlgorithm algorithm) {
  switch (algorithm) {
    case HttpSigAlgorithm::kEd25519:
      return "ed25519";
    case HttpSigAlgorithm::kEcdsaP256Sha256:
      return "ecdsa-p256-sha256";
    case HttpSigAlgorithm::kHmacSha256:
      return "hmac-sha256";
  }
  __builtin_trap();
}

Result<HttpSigAlgorithm> ParseHttpSigAlgorithm(std::string_view name) {
  for (const auto algorithm : {HttpSigAlgorithm::kEd25519, HttpSigAlgorithm::kEcdsaP256Sha256,
                               HttpSigAlgorithm::kHmacSha256}) {
    if (HttpSigAlgorithmName(algorithm) == name) return algorithm;
  }
  return Error{Code::kHttpSigAlgUnsupported,
               "signature algorithm \"" + ForMessage(name) +
                   "\" is not supported (ed25519, ecdsa-p256-sha256, hmac-sha256)"};
}

sf::InnerList ToInnerList(const SignatureParameters& params, HttpSigAlgorithm algorithm) {
  sf::InnerList list;
  list.items = params.components;
  if (params.created) list.params.emplace_back("created", *params.created);
  if (params.expires) list.params.emplace_back("expires", *params.expires);
  if (params.nonce) list.params.emplace_back("nonce", *params.nonce);
  if (params.keyid) list.params.emplace_back("keyid", *params.keyid);
  if (params.include_alg) {
    list.params.emplace_back("alg", std::string(HttpSigAlgorithmName(algorithm)));
  }
  if (params.tag) list.params.emplace_back("tag", *params.tag);
  return list;
}

Result<HttpSigner> HttpSigner::Create(HttpSigAlgorithm algorithm, crypto::PrivateKey key) {
  ZTM_RETURN_IF_ERROR(CheckKeyType(algorithm, key.type()));
  ZTM_ASSIGN_OR_RETURN(
      crypto::PrivateKeySigner signer,
      crypto::PrivateKeySigner::Create(std::move(key), CryptoAlgorithm(algorithm)));
  return Create(algorithm, std::make_shared<const crypto::PrivateKeySigner>(std::move(signer)));
}

Result<HttpSigner> HttpSigner::Create(HttpSigAlgorithm algorithm,
                                      std::shared_ptr<const crypto::Signer> signer) {
  if (signer == nullptr) return Error{Code::kInvalidArgument, "no signer"};
  ZTM_RETURN_IF_ERROR(CheckKeyType(algorithm, signer->public_key().type()));
  // §3.3.4: ecdsa-p256-sha256 signatures are R || S; a DER signer does not fit.
  if (signer->algorithm() != CryptoAlgorithm(algorithm)) {
    return Error{
        Code::kCryptoKeyTypeMismatch,
        "signer does not produce " + std::string(HttpSigAlgorithmName(algorithm)) + " signatures"};
  }
  return HttpSigner(algorithm, std::move(signer), Secret());
}

Result<HttpSigner> HttpSigner::CreateHmac(Secret key) {
  ZTM_RETURN_IF_ERROR(CheckHmacKey(key));
  return HttpSigner(HttpSigAlgorithm::kHmacSha256, nullptr, std::move(key));
}

Result<SignatureFields> HttpSigner::Sign(HttpMessageView message, std::string_view label,
                                         const sf::InnerList& signature_params,
                                         const StructuredFieldTypes& field_types) const {
  if (!IsValidLabel(label)) {
    return Error{Code::kInvalidArgument, "label must be a lowercase Dictionary key of at most " +
                                             std::to_string(kMaxLabelBytes) + " bytes"};
  }
  ZTM_ASSIGN_OR_RETURN(const ReadParameters params,
                       ReadSignatureParameters(signature_params.params));
  if (params.alg && *params.alg != HttpSigAlgorithmName(algorithm_)) {
    return Error{Code::kHttpSigAlgMismatch, "alg parameter names another algorithm than the key's"};
  }
  ZTM_ASSIGN_OR_RETURN(const std::string base,
                       BuildSignatureBase(message, signature_params, field_types));

  Bytes signature;
  if (algorithm_ == HttpSigAlgorithm::kHmacSha256) {
    signature = crypto::HmacSha256(hmac_key_.view(), AsBytes(base));
  } else {
    ZTM_ASSIGN_OR_RETURN(signature, signer_->Sign(AsBytes(base)));
  }

  // RFC 9421 §4.1, §4.2: one member of each Dictionary field, under the same label.
  const std::string key(label);
  ZTM_ASSIGN_OR_RETURN(std::string input_member,
                       sf::SerializeDictionary({{key, signature_params}}));
  ZTM_ASSIGN_OR_RETURN(std::string signature_member,
                       sf::SerializeDictionary({{key, sf::Item{std::move(signature), {}}}}));
  return SignatureFields{std::move(input_member), std::move(signature_member)};
}

Result<SignatureFields> HttpSigner::Sign(HttpMessageView message, std::string_view label,
                                         const SignatureParameters& params) const {
  return Sign(message, label, ToInnerList(params, algorithm_));
}

bool VerifiedSignature::Covers(const sf::Item& component) const {
  return std::any_of(covered_components_.begin(), covered_components_.end(),
                     [&](const sf::Item& covered) { return SameComponent(covered, component); });
}

Status HttpSigVerifier::CheckOptions(const HttpSigVerifierOptions& options) {
  if (options.clock == nullptr) return Error{Code::kInvalidArgument, "verifier needs a clock"};
  if (options.clock_skew_seconds < 0 || options.clock_skew_seconds > kMaxClockSkewSeconds) {
    return Error{Code::kInvalidArgument,
                 "clock skew must be 0.." + std::to_string(kMaxClockSkewSeconds) + " seconds"};
  }
  if (options.max_age_seconds && *options.max_age_seconds <= 0) {
    return Error{Code::kInvalidArgument, "max age must be positive"};
  }
  if (options.required_components.empty() && !options.allow_no_required_components) {
    return Error{Code::kInvalidArgument,
                 "no required components: list them or set allow_no_required_components"};
  }
  for (const auto& component : options.required_components) {
    if (!std::holds_alternative<std::string>(component.value)) {
      return Error{Code::kInvalidArgument, "a required component must be a String item"};
    }
  }
  return OkStatus();
}

Result<HttpSigVerifier> HttpSigVerifier::Create(HttpSigAlgorithm algorithm, crypto::PublicKey key,
                                                HttpSigVerifierOptions options) {
  ZTM_RETURN_IF_ERROR(CheckKeyType(algorithm, key.type()));
  ZTM_RETURN_IF_ERROR(CheckOptions(options));
  return HttpSigVerifier(algorithm, std::move(key), Secret(), std::move(options));
}

Result<HttpSigVerifier> HttpSigVerifier::CreateHmac(Secret key, HttpSigVerifierOptions options) {
  ZTM_RETURN_IF_ERROR(CheckHmacKey(key));
  ZTM_RETURN_IF_ERROR(CheckOptions(options));
  return HttpSigVerifier(HttpSigAlgorithm::kHmacSha256, std::nullopt, std::move(key),
                         std::move(options));
}

Result<VerifiedSignature> HttpSigVerifier::Verify(HttpMessageView message,
                                                  std::optional<std::string_view> label) const {
  ZTM_ASSIGN_OR_RETURN(SelectedSignature selected, SelectSignature(message.fields(), label));
  ZTM_ASSIGN_OR_RETURN(const ReadParameters params, ReadSignatureParameters(selected.input.params));

  // §3.2 step 6: the algorithm is the verifier's; an `alg` parameter may only confirm it.
  if (params.alg && *params.alg != HttpSigAlgorithmName(algorithm_)) {
    return Error{Code::kHttpSigAlgMismatch, "alg parameter does not name the verifier's algorithm"};
  }
  if (options_.required_keyid && params.keyid != options_.required_keyid) {
    return Error{Code::kHttpSigKeyIdMismatch, "keyid is not the expected key"};
  }
  if (options_.required_tag && params.tag != options_.required_tag) {
    return Error{Code::kHttpSigTagMismatch, "tag is not the expected application tag"};
  }
  if (options_.require_nonce && !params.nonce) {
    return Error{Code::kHttpSigParameterMissing, "signature has no nonce"};
  }

  // §3.2.1: freshness, against the injected clock.
  const std::int64_t now = options_.clock->NowSeconds();
  const std::int64_t skew = options_.clock_skew_seconds;
  if (!params.created && (options_.require_created || options_.max_age_seconds)) {
    return Error{Code::kHttpSigParameterMissing, "signature has no created time"};
  }
  if (params.created) {
    if (*params.created > now + skew) {
      return Error{Code::kHttpSigCreatedInFuture, "signature created in the future"};
    }
    if (options_.max_age_seconds && now - *params.created > *options_.max_age_seconds) {
      return Error{Code::kHttpSigCreatedTooOld, "signature is older than the maximum age"};
    }
  }
  if (params.expires && now >= *params.expires + skew) {
    return Error{Code::kHttpSigExpired, "signature has expired"};
  }

  for (const auto& required : options_.required_components) {
    const bool covered =
        std::any_of(selected.input.items.begin(), selected.input.items.end(),
                    [&](const sf::Item& component) { return SameComponent(component, required); });
    if (!covered) {
      const auto serialized = sf::SerializeItem(required);
      return Error{Code::kHttpSigRequiredComponentMissing,
                   "signature does not cover " + (serialized.ok() ? *serialized : "a component")};
    }
  }

  // §3.2 step 7: the base from the received message and the received parameters as sent.
  ZTM_ASSIGN_OR_RETURN(const std::string base,
                       BuildSignatureBase(message, selected.input, options_.field_types));
  Status valid = OkStatus();
  if (algorithm_ == HttpSigAlgorithm::kHmacSha256) {
    valid = crypto::HmacVerify(crypto::HashAlgorithm::kSha256, hmac_key_.view(), AsBytes(base),
                               selected.signature);
  } else {
    valid = key_->Verify(CryptoAlgorithm(algorithm_), AsBytes(base), selected.signature);
  }
  if (!valid.ok()) return Error{Code::kHttpSigInvalid, "signature is not valid"};
  // Every required component is covered (checked above), so this also checks a required
  // content-digest.
  if (options_.verify_content_digest) {
    ZTM_RETURN_IF_ERROR(CheckCoveredContentDigests(message, selected.input.items));
  }

  VerifiedSignature verified;
  verified.signature_base_hash_ = crypto::Sha256(base);
  verified.label_ = std::move(selected.label);
  verified.algorithm_ = algorithm_;
  verified.covered_components_ = std::move(selected.input.items);
  verified.created_ = params.created;
  verified.expires_ = params.expires;
  verified.nonce_ = params.nonce;
  verified.keyid_ = params.keyid;
  verified.alg_ = params.alg;
  verified.tag_ = params.tag;
  return verified;
}

Result<UnverifiedSignatureInput> PeekSignatureInput(HttpMessageView message,
                                                    std::optional<std::string_view> label) {
  ZTM_ASSIGN_OR_RETURN(const SelectedSignature selected, SelectSignature(message.fields(), label));
  ZTM_ASSIGN_OR_RETURN(const ReadParameters params, ReadSignatureParameters(selected.input.params));
  return UnverifiedSignatureInput{selected.label, params.keyid, params.alg};
}

}  // namespace ztm::httpsig
