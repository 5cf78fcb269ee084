// Builds the attacker's requests with ztm's core library (src/core): dpop for proofs, httpsig
// for Content-Digest and the RFC 9421 signature.
#include "demo_protocol.h"

#include <cctype>
#include <cstdio>

#include "core/clock.h"
#include "core/crypto/crypto.h"
#include "core/dpop/dpop.h"
#include "core/encoding.h"
#include "core/httpsig/content_digest.h"
#include "core/httpsig/http_message.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/signature_base.h"
#include "core/jose/jwk.h"
#include "core/json.h"

namespace ztm::demo {
namespace {

// RFC 9421 §2.3 nonce: 128 random bits make a repeat by chance negligible, so the gateway's
// replay cache only ever matches a request that was really sent twice.
constexpr std::size_t kSignatureNonceBytes = 16;

Result<std::string> Proof(const crypto::PrivateKey& key, const std::string& method,
                          const std::string& url, std::optional<std::string> access_token) {
  dpop::ProofInput input;
  input.htm = method;
  input.htu = url;
  input.iat = SystemClock::Instance().NowSeconds();
  input.access_token = std::move(access_token);
  return dpop::CreateProof(key, input);
}

}  // namespace

Result<HttpsRequest> TokenRequest(const crypto::PrivateKey& proof_key, const GatewayOrigin& origin,
                                  const std::vector<std::pair<std::string, std::string>>& fields) {
  ZTM_ASSIGN_OR_RETURN(std::string proof,
                       Proof(proof_key, "POST", origin.Url("/v1/token"), std::nullopt));
  return HttpsRequest{"POST",
                      "/v1/token",
                      {{"content-type", "application/x-www-form-urlencoded"}, {"dpop", proof}},
                      FormUrlEncode(fields)};
}

Result<HttpsRequest> SignedApiCall(const crypto::PrivateKey& key, std::string_view device_id,
                                   const GatewayOrigin& origin, const ApiCall& call) {
  HttpsRequest request{call.method, call.target, {}, call.body};
  const std::string& proof_target = call.proof_target.empty() ? call.target : call.proof_target;
  // RFC 9449 §7.1: the token travels under the DPoP scheme, and the proof carries its hash.
  ZTM_ASSIGN_OR_RETURN(std::string proof,
                       Proof(key, call.method, origin.Url(proof_target), call.access_token));
  request.headers.push_back({"authorization", "DPoP " + call.access_token});
  request.headers.push_back({"dpop", proof});
  if (!call.body.empty()) {
    ZTM_ASSIGN_OR_RETURN(std::string digest, httpsig::ContentDigest(AsBytes(call.body)));
    request.headers.push_back({"content-type", "application/json"});
    request.headers.push_back({"content-digest", digest});  // RFC 9530 §2
  }

  // The message as the gateway will see it: the same fields, the Host it will receive.
  httpsig::HttpRequest message;
  message.method = request.method;
  message.target = request.target;
  message.authority = origin.authority;
  message.body = ToBytes(request.body);
  ZTM_RETURN_IF_ERROR(message.fields.Add("host", origin.authority));
  for (const auto& [name, value] : request.headers) {
    ZTM_RETURN_IF_ERROR(message.fields.Add(name, value));
  }
  // RFC 9421 §2.2.2 @target-uri binds scheme, host and path; authorization binds the token;
  // content-digest binds the body (RFC 9530 §6.3).
  httpsig::SignatureParameters params;
  params.components = {httpsig::Component("@method"), httpsig::Component("@target-uri"),
                       httpsig::Component("authorization")};
  if (!call.body.empty()) params.components.push_back(httpsig::Component("content-digest"));
  params.created = SystemClock::Instance().NowSeconds();
  params.nonce = Base64UrlEncode(crypto::RandomBytes(kSignatureNonceBytes));
  params.keyid = std::string(device_id);
  ZTM_ASSIGN_OR_RETURN(
      httpsig::HttpSigner signer,
      httpsig::HttpSigner::Create(httpsig::HttpSigAlgorithm::kEcdsaP256Sha256, key));
  ZTM_ASSIGN_OR_RETURN(httpsig::SignatureFields fields, signer.Sign(message, "sig1", params));
  request.headers.push_back({"signature-input", fields.signature_input});
  request.headers.push_back({"signature", fields.signature});
  return request;
}

std::string KeyThumbprint(const crypto::PrivateKey& key) {
  return jose::Jwk::FromPublicKey(key.public_key()).Thumbprint();
}

std::optional<boost::json::object> JsonBody(std::string_view body) {
  auto parsed = json::ParseObject(body);
  if (!parsed.ok()) return std::nullopt;
  return std::move(parsed).value();
}

std::string StringMember(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::string GatewayError(std::string_view body, const std::optional<std::string>& challenge) {
  if (auto object = JsonBody(body)) {
    std::string error = StringMember(*object, "error");
    if (!error.empty()) return error;
  }
  if (challenge) {
    const std::string key = "error=\"";
    if (std::size_t at = challenge->find(key); at != std::string::npos) {
      const std::size_t start = at + key.size();
      return challenge->substr(start, challenge->find('"', start) - start);
    }
  }
  return "";
}

std::string RefusalReason(int status, std::string_view body,
                          const std::optional<std::string>& challenge) {
  if (auto object = JsonBody(body)) {
    std::string error = StringMember(*object, "error");
    std::string description = StringMember(*object, "error_description");
    if (!error.empty()) return description.empty() ? error : error + ": " + description;
  }
  std::string error = GatewayError(body, challenge);
  return error.empty() ? "HTTP " + std::to_string(status) : error;
}

Result<boost::json::object> UnverifiedClaims(std::string_view token) {
  const std::size_t first = token.find('.');
  const std::size_t last = token.rfind('.');
  if (first == std::string_view::npos || first == last) {
    return Error{Code::kJwsMalformed, "not a JWT in compact form"};
  }
  ZTM_ASSIGN_OR_RETURN(Bytes payload, Base64UrlDecode(token.substr(first + 1, last - first - 1)));
  return json::ParseObject(AsString(payload));
}

}  // namespace ztm::demo
