// Signs an app's request the way the gateway's RequestVerifier checks it
// (src/server/verify/request_verifier.cc): token, DPoP proof, Content-Digest, RFC 9421 signature.
#include "client/session/request_signer.h"

#include <algorithm>
#include <array>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/crypto/crypto.h"
#include "core/dpop/dpop.h"
#include "core/encoding.h"
#include "core/httpsig/content_digest.h"
#include "core/httpsig/http_message.h"
#include "core/httpsig/signature_base.h"
#include "core/sf/syntax.h"
#include "core/text.h"

namespace ztm::client {
namespace {

Error RequestInvalid(std::string message) {
  return Error{Code::kTransportRequestInvalid, "request signer: " + std::move(message)};
}

// Header fields the signer writes (or, for host, the transport derives from the URL). A copy
// from the caller would either be overwritten silently or contradict what is signed.
constexpr std::array<std::string_view, 6> kReservedHeaders = {
    "authorization", "dpop", "content-digest", "signature", "signature-input", "host"};

// RFC 9110 §9.1: method = token.
bool IsMethodToken(std::string_view method) {
  return !method.empty() && std::all_of(method.begin(), method.end(), sf::syntax::IsTchar);
}

// RFC 9110 §11.2: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=",
// the form the gateway parses after "DPoP ".
bool IsToken68(std::string_view token) {
  std::size_t end = 0;
  const auto token_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  };
  while (end < token.size() && token_char(token[end])) ++end;
  if (end == 0) return false;
  while (end < token.size() && token[end] == '=') ++end;
  return end == token.size();
}

// The parts of an absolute https URL the request is sent to, as the gateway will see them:
// the Host the transport sends (the URL's authority) and the request target.
struct TargetParts {
  std::string authority;
  std::string target;  // path (at least "/") and "?query"
};

Result<TargetParts> SplitHttpsUrl(std::string_view url) {
  if (url.size() > dpop::kMaxUriBytes) return RequestInvalid("URL is too long");
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return RequestInvalid("URL is not an absolute URI");
  const boost::urls::url_view& view = *parsed;
  // Only lowercase "https": the gateway rebuilds @target-uri as "https://" + Host + target,
  // so any other spelling of the scheme would sign a URI the gateway never sees.
  if (view.scheme() != "https") return RequestInvalid("URL scheme must be https");
  if (!view.has_authority() || view.encoded_host().empty())
    return RequestInvalid("URL has no host");
  // RFC 9110 §4.2.4: no userinfo in http(s) URIs.
  if (view.has_userinfo()) return RequestInvalid("URL carries userinfo");
  // A fragment is never sent, so it cannot be signed.
  if (view.has_fragment()) return RequestInvalid("URL has a fragment");
  TargetParts parts;
  parts.authority = std::string(view.encoded_authority());
  parts.target = std::string(view.encoded_path());
  if (parts.target.empty()) parts.target = "/";
  if (parts.target.front() != '/') return RequestInvalid("URL path must start with \"/\"");
  if (view.has_query()) parts.target += "?" + std::string(view.encoded_query());
  return parts;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// KeyStoreSigner

Result<std::shared_ptr<const KeyStoreSigner>> KeyStoreSigner::Create(std::shared_ptr<KeyStore> keys,
                                                                     std::string_view alias,
                                                                     const Clock& clock,
                                                                     std::int64_t hold_seconds) {
  if (keys == nullptr) return Error{Code::kInvalidArgument, "request signer: no key store"};
  if (hold_seconds != 0) ZTM_RETURN_IF_ERROR(ValidateSigningKeyHold(hold_seconds));
  ZTM_ASSIGN_OR_RETURN(crypto::PublicKey public_key, keys->SigningPublicKey(alias));
  if (public_key.type() != crypto::KeyType::kEcP256) {
    return Error{Code::kCryptoKeyTypeMismatch, "request signer: the device key is not P-256"};
  }
  return std::shared_ptr<const KeyStoreSigner>(new KeyStoreSigner(
      std::move(keys), std::string(alias), std::move(public_key), clock, hold_seconds));
}

Result<std::shared_ptr<const crypto::Signer>> KeyStoreSigner::Reopen() const {
  ZTM_ASSIGN_OR_RETURN(std::shared_ptr<const crypto::Signer> opened,
                       keys_->OpenSigningKey(alias_, clock_, hold_seconds_));
  // A key deleted and created again under the alias is another key: its signatures would not
  // match the public key this signer already handed out (the DPoP jwk, the registration).
  if (opened->algorithm() != algorithm() ||
      !ConstantTimeEqual(opened->public_key().ToSpkiDer(), public_key_.ToSpkiDer())) {
    return Error{Code::kKeyNotFound, "key " + alias_ + " was replaced by another key"};
  }
  return opened;
}

Result<Bytes> KeyStoreSigner::SignMessage(ByteView message) const {
  if (hold_seconds_ == 0) return keys_->Sign(alias_, message);
  std::shared_ptr<const crypto::Signer> held;
  {
    std::lock_guard lock(mutex_);
    if (cannot_hold_) return keys_->Sign(alias_, message);
    held = held_;
  }
  if (held != nullptr) {
    auto signature = held->Sign(message);
    if (signature.ok()) return signature;
    // Expired, or the store changed: drop it and open the key again (below).
  }
  auto reopened = Reopen();
  if (!reopened.ok()) {
    std::lock_guard lock(mutex_);
    held_.reset();
    if (reopened.code() != Code::kUserPresenceRequired) return std::move(reopened).error();
    cannot_hold_ = true;
  }
  if (!reopened.ok()) return keys_->Sign(alias_, message);
  {
    std::lock_guard lock(mutex_);
    held_ = *reopened;
  }
  return (*reopened)->Sign(message);
}

// ---------------------------------------------------------------------------------------
// RequestSigner

Result<std::unique_ptr<RequestSigner>> RequestSigner::Create(std::shared_ptr<KeyStore> keys,
                                                             std::string_view alias,
                                                             std::string_view device_id,
                                                             const Clock& clock,
                                                             RequestSignerOptions options) {
  ZTM_ASSIGN_OR_RETURN(
      std::shared_ptr<const KeyStoreSigner> signer,
      KeyStoreSigner::Create(std::move(keys), alias, clock, options.key_hold_seconds));
  return Create(std::move(signer), device_id, clock);
}

Result<std::unique_ptr<RequestSigner>> RequestSigner::Create(
    std::shared_ptr<const crypto::Signer> signer, std::string_view device_id, const Clock& clock) {
  if (signer == nullptr) return Error{Code::kInvalidArgument, "request signer: no signer"};
  // RFC 8941 §3.3.3: keyid is a String, printable ASCII only.
  if (device_id.empty() || !std::all_of(device_id.begin(), device_id.end(),
                                        [](char c) { return c >= 0x20 && c <= 0x7e; })) {
    return Error{Code::kInvalidArgument, "request signer: device id must be printable ASCII"};
  }
  if (signer->algorithm() == crypto::SignatureAlgorithm::kEcdsaP256Sha256Der) {
    return Error{Code::kInvalidArgument, "request signer: the signer must sign R || S or Ed25519"};
  }
  const httpsig::HttpSigAlgorithm algorithm =
      signer->algorithm() == crypto::SignatureAlgorithm::kEd25519
          ? httpsig::HttpSigAlgorithm::kEd25519
          : httpsig::HttpSigAlgorithm::kEcdsaP256Sha256;
  ZTM_ASSIGN_OR_RETURN(httpsig::HttpSigner http_signer,
                       httpsig::HttpSigner::Create(algorithm, signer));
  return std::unique_ptr<RequestSigner>(
      new RequestSigner(std::move(signer), std::string(device_id), clock, std::move(http_signer)));
}

Result<std::string> RequestSigner::Proof(std::string_view method, std::string_view url,
                                         std::optional<std::string_view> access_token,
                                         std::optional<std::string_view> dpop_nonce) const {
  if (!IsMethodToken(method)) return RequestInvalid("method is not an HTTP token");
  ZTM_RETURN_IF_ERROR(SplitHttpsUrl(url));
  dpop::ProofInput input;
  input.htm = std::string(method);
  input.htu = std::string(url);
  input.iat = clock_.NowSeconds();
  if (access_token) input.access_token = std::string(*access_token);
  if (dpop_nonce) input.nonce = std::string(*dpop_nonce);
  return dpop::CreateProof(*signer_, input);
}

Result<std::string> RequestSigner::TokenEndpointProof(
    std::string_view method, std::string_view url,
    std::optional<std::string_view> dpop_nonce) const {
  return Proof(method, url, std::nullopt, dpop_nonce);
}

Result<SignedHeaders> RequestSigner::Sign(const OutgoingRequest& request,
                                          std::string_view access_token,
                                          std::optional<std::string_view> dpop_nonce) const {
  if (access_token.empty() || access_token.size() > kMaxAccessTokenBytes ||
      !IsToken68(access_token)) {
    return Error{Code::kInvalidArgument,
                 "request signer: the access token is not a token68 of at most " +
                     std::to_string(kMaxAccessTokenBytes) + " bytes"};
  }
  if (!IsMethodToken(request.method)) return RequestInvalid("method is not an HTTP token");
  ZTM_ASSIGN_OR_RETURN(const TargetParts parts, SplitHttpsUrl(request.url));

  // The message as the gateway will rebuild it: its control data, the caller's fields and ours.
  httpsig::HttpRequest message;
  message.method = request.method;
  message.target = parts.target;
  message.scheme = "https";
  message.authority = parts.authority;
  message.body = ToBytes(request.body);
  for (const auto& [name, value] : request.headers) {
    if (!message.fields.Add(name, value).ok()) {
      return RequestInvalid("header \"" + ForMessage(name) + "\" has an invalid name or value");
    }
    const std::string_view stored = message.fields.lines().back().name;
    if (std::find(kReservedHeaders.begin(), kReservedHeaders.end(), stored) !=
        kReservedHeaders.end()) {
      return RequestInvalid("header \"" + std::string(stored) + "\" is set by the signer");
    }
  }

  // RFC 9449 §7.1: the token travels under the DPoP scheme, and the proof carries its hash.
  ZTM_ASSIGN_OR_RETURN(std::string proof,
                       Proof(request.method, request.url, access_token, dpop_nonce));
  SignedHeaders out;
  out.headers.emplace_back("authorization", "DPoP " + std::string(access_token));
  out.headers.emplace_back("dpop", std::move(proof));
  if (!request.body.empty()) {
    // RFC 9530 §2: sha-256 of the content, which the signature then covers.
    ZTM_ASSIGN_OR_RETURN(std::string digest, httpsig::ContentDigest(AsBytes(request.body)));
    out.headers.emplace_back("content-digest", std::move(digest));
  }
  for (const auto& [name, value] : out.headers)
    ZTM_RETURN_IF_ERROR(message.fields.Add(name, value));

  // RFC 9421 §2.2.2 @target-uri binds scheme, host, path and query; authorization binds the
  // token; content-digest binds the body (RFC 9530 §6.3).
  httpsig::SignatureParameters params;
  params.components = {httpsig::Component("@method"), httpsig::Component("@target-uri"),
                       httpsig::Component("authorization")};
  if (!request.body.empty()) params.components.push_back(httpsig::Component("content-digest"));
  params.created = clock_.NowSeconds();
  params.nonce = Base64UrlEncode(crypto::RandomBytes(kSignatureNonceBytes));
  params.keyid = device_id_;
  ZTM_ASSIGN_OR_RETURN(httpsig::SignatureFields fields,
                       http_signer_.Sign(message, kRequestSignatureLabel, params));
  out.headers.emplace_back("signature-input", std::move(fields.signature_input));
  out.headers.emplace_back("signature", std::move(fields.signature));
  return out;
}

}  // namespace ztm::client
