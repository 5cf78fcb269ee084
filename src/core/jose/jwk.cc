// Strict JWK parsing and serialisation, and RFC 7638 thumbprints.
#include "core/jose/jwk.h"

#include <algorithm>
#include <array>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/json.h"
#include "core/text.h"

namespace ztm::jose {
namespace {

namespace bj = boost::json;

// P-256 coordinates and scalars, and Ed25519 keys and seeds, are all 32 bytes (RFC 7518
// §6.2.1.2 requires the full coordinate length, leading zeros included; RFC 8037 §2).
constexpr std::size_t kKeyComponentBytes = 32;

// Members that hold private key material in any registered key type (RFC 7518 §6.2.2,
// §6.3.2, §6.4.1). A public JWK carrying any of them is refused rather than stripped: the
// sender leaked a secret and the key cannot be trusted to be what it claims.
constexpr std::array<std::string_view, 8> kPrivateMembers = {"d",  "p",  "q",   "dp",
                                                             "dq", "qi", "oth", "k"};

Error Invalid(std::string message) {
  return Error{Code::kJwkInvalid, "jwk: " + std::move(message)};
}

// A required string member.
Result<std::string> RequiredString(const bj::object& object, std::string_view name) {
  const bj::value* value = object.if_contains(name);
  if (value == nullptr) return Invalid("missing member \"" + std::string(name) + "\"");
  if (!value->is_string()) return Invalid("member \"" + std::string(name) + "\" must be a string");
  return std::string(value->as_string());
}

Result<std::optional<std::string>> OptionalString(const bj::object& object, std::string_view name) {
  const bj::value* value = object.if_contains(name);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return Invalid("member \"" + std::string(name) + "\" must be a string");
  return std::optional<std::string>(std::string(value->as_string()));
}

// A required base64url member of exactly `length` bytes (or, when `length` is 0, any length
// within [kMinHmacKeyBytes, kMaxHmacKeyBytes]).
Result<Bytes> RequiredBytes(const bj::object& object, std::string_view name, std::size_t length) {
  ZTM_ASSIGN_OR_RETURN(std::string text, RequiredString(object, name));
  // Bound the decode before doing it; base64url expands by 4/3.
  if (text.size() > (kMaxHmacKeyBytes * 4 + 2) / 3) {
    return Invalid("member \"" + std::string(name) + "\" is too long");
  }
  auto decoded = Base64UrlDecode(text);
  if (!decoded.ok()) {
    return Invalid("member \"" + std::string(name) + "\" is not canonical base64url");
  }
  if (length != 0 && decoded->size() != length) {
    return Invalid("member \"" + std::string(name) + "\" must decode to " + std::to_string(length) +
                   " bytes");
  }
  return std::move(decoded).value();
}

bool ContainsPrivateMember(const bj::object& object) {
  return std::any_of(kPrivateMembers.begin(), kPrivateMembers.end(),
                     [&](std::string_view name) { return object.contains(name); });
}

std::string EncodeMember(ByteView bytes) { return Base64UrlEncode(bytes); }

Result<bj::object> ParseJsonObject(std::string_view json_text) {
  if (json_text.size() > kMaxJwkBytes) {
    return Error{Code::kInputTooLarge, "jwk: document larger than 8 KiB"};
  }
  auto object = json::ParseObject(json_text, kMaxJwkBytes);
  if (!object.ok()) return Invalid("not a JSON object (" + object.error().message + ")");
  return std::move(object).value();
}

}  // namespace

Jwk Jwk::FromPublicKey(const crypto::PublicKey& key) {
  Jwk jwk(key.type() == crypto::KeyType::kEcP256 ? JwkKeyType::kEcP256 : JwkKeyType::kEd25519);
  jwk.public_key_ = key;
  return jwk;
}

Jwk Jwk::FromPrivateKey(const crypto::PrivateKey& key) {
  Jwk jwk = FromPublicKey(key.public_key());
  jwk.private_key_ = key;
  return jwk;
}

Result<Jwk> Jwk::FromSecret(Secret secret) {
  if (secret.size() < kMinHmacKeyBytes) {
    return Invalid("an HMAC key must be at least 32 bytes (RFC 7518 §3.2)");
  }
  if (secret.size() > kMaxHmacKeyBytes) return Invalid("HMAC key is too long");
  Jwk jwk(JwkKeyType::kOct);
  jwk.secret_ = std::move(secret);
  return jwk;
}

Result<Jwk> Jwk::Parse(const bj::object& object, bool private_form, crypto::PublicKeyCache* cache) {
  if (!private_form && ContainsPrivateMember(object)) {
    return Error{Code::kJwkPrivateMember, "jwk: a public key must not contain private members"};
  }
  ZTM_ASSIGN_OR_RETURN(std::string kty, RequiredString(object, "kty"));

  std::optional<Jwk> parsed;
  if (kty == "EC" || kty == "OKP") {
    // RSA and oct private members never belong to an EC or OKP key.
    for (std::string_view name : kPrivateMembers) {
      if (name != "d" && object.contains(name)) {
        return Invalid("member \"" + std::string(name) + "\" does not belong to a " + kty + " key");
      }
    }
    ZTM_ASSIGN_OR_RETURN(std::string crv, RequiredString(object, "crv"));
    ZTM_ASSIGN_OR_RETURN(Bytes x, RequiredBytes(object, "x", kKeyComponentBytes));
    Result<crypto::PublicKey> public_key = Error{Code::kInternal, ""};
    // Cache id: the exact key material (type-tagged), so a hit is the same key, not a
    // probable one.
    std::string cache_id = kty + ":" + std::string(AsString(x));
    Bytes y;
    if (kty == "EC") {
      if (crv != "P-256")
        return Invalid("unsupported EC curve \"" + ForMessage(crv) + "\" (only P-256)");
      ZTM_ASSIGN_OR_RETURN(y, RequiredBytes(object, "y", kKeyComponentBytes));
      cache_id.append(AsString(y));
    } else {
      if (crv != "Ed25519")
        return Invalid("unsupported OKP curve \"" + ForMessage(crv) + "\" (only Ed25519)");
      if (object.contains("y")) return Invalid("an OKP key has no \"y\" member");
    }
    std::optional<crypto::PublicKey> cached;
    if (cache != nullptr) cached = cache->Find(cache_id);
    if (cached) {
      public_key = std::move(*cached);
    } else {
      public_key = kty == "EC" ? crypto::PublicKey::FromEcCoordinates(x, y)
                               : crypto::PublicKey::FromEd25519Raw(x);
      if (public_key.ok() && cache != nullptr) cache->Insert(cache_id, *public_key);
    }
    if (!public_key.ok()) return Invalid(public_key.error().message);
    parsed.emplace(Jwk(kty == "EC" ? JwkKeyType::kEcP256 : JwkKeyType::kEd25519));
    parsed->public_key_ = std::move(public_key).value();

    if (private_form) {
      ZTM_ASSIGN_OR_RETURN(Bytes d_bytes, RequiredBytes(object, "d", kKeyComponentBytes));
      Secret d(std::move(d_bytes));
      auto private_key = kty == "EC" ? crypto::PrivateKey::FromEcScalar(d.view())
                                     : crypto::PrivateKey::FromEd25519Seed(d.view());
      if (!private_key.ok()) return Invalid(private_key.error().message);
      // The public members must be the key "d" derives: a mismatched pair would sign with
      // one key while advertising (and thumbprinting) another.
      if (private_key->public_key().ToSpkiDer() != parsed->public_key_->ToSpkiDer()) {
        return Invalid("private member \"d\" does not match the public members");
      }
      parsed->private_key_ = std::move(private_key).value();
    }
  } else if (kty == "oct") {
    if (!private_form) {
      return Error{Code::kJwkPrivateMember, "jwk: an oct key is secret and has no public form"};
    }
    ZTM_ASSIGN_OR_RETURN(Bytes k, RequiredBytes(object, "k", 0));
    ZTM_ASSIGN_OR_RETURN(Jwk oct, FromSecret(Secret(std::move(k))));
    parsed.emplace(std::move(oct));
  } else {
    return Invalid("unsupported kty \"" + ForMessage(kty) + "\" (EC, OKP and oct are supported)");
  }

  ZTM_ASSIGN_OR_RETURN(parsed->kid_, OptionalString(object, "kid"));
  ZTM_ASSIGN_OR_RETURN(parsed->alg_, OptionalString(object, "alg"));
  ZTM_ASSIGN_OR_RETURN(parsed->use_, OptionalString(object, "use"));
  if (const bj::value* ops = object.if_contains("key_ops")) {
    if (!ops->is_array()) return Invalid("member \"key_ops\" must be an array of strings");
    std::vector<std::string> values;
    for (const bj::value& op : ops->as_array()) {
      if (!op.is_string()) return Invalid("member \"key_ops\" must be an array of strings");
      std::string value(op.as_string());
      // RFC 7517 §4.3: duplicate key operation values MUST NOT be present.
      if (std::find(values.begin(), values.end(), value) != values.end()) {
        return Invalid("duplicate value in \"key_ops\"");
      }
      values.push_back(std::move(value));
    }
    parsed->key_ops_ = std::move(values);
  }
  return std::move(*parsed);
}

Status Jwk::PermitsSignatureUse(KeyOperation operation, std::string_view alg_name) const {
  // RFC 7517 §4.2: "sig" is the only "use" for signatures and MACs.
  if (use_ && *use_ != "sig") {
    return Invalid("key \"use\" is \"" + ForMessage(*use_) + "\", not \"sig\"");
  }
  if (key_ops_) {
    std::string_view needed = operation == KeyOperation::kSign ? "sign" : "verify";
    if (std::find(key_ops_->begin(), key_ops_->end(), needed) == key_ops_->end()) {
      return Invalid("key \"key_ops\" does not include \"" + std::string(needed) + "\"");
    }
  }
  // RFC 7517 §4.4: "alg" names the algorithm intended for use with the key.
  if (alg_ && *alg_ != alg_name) {
    return Invalid("key is for \"" + ForMessage(*alg_) + "\", not \"" + ForMessage(alg_name) +
                   "\"");
  }
  return OkStatus();
}

std::string Jwk::Thumbprint() const {
  // RFC 7638 §3.2: required members only, lexicographic order, no whitespace. Every value
  // here is a fixed ASCII name or base64url, so no JSON escaping can arise.
  std::string canonical;
  switch (type_) {
    case JwkKeyType::kEcP256:
      canonical = R"({"crv":"P-256","kty":"EC","x":")" + EncodeMember(public_key_->EcX()) +
                  R"(","y":")" + EncodeMember(public_key_->EcY()) + R"("})";
      break;
    case JwkKeyType::kEd25519:
      canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" +
                  EncodeMember(public_key_->Ed25519Raw()) + R"("})";
      break;
    case JwkKeyType::kOct:
      canonical = R"({"k":")" + EncodeMember(secret_.view()) + R"(","kty":"oct"})";
      break;
  }
  return ThumbprintOfCanonicalJson(canonical);
}

Result<bj::object> Jwk::ToPublicObject() const {
  if (type_ == JwkKeyType::kOct) {
    return Error{Code::kInvalidArgument, "jwk: an oct key has no public form"};
  }
  bj::object object;
  if (type_ == JwkKeyType::kEcP256) {
    object["kty"] = "EC";
    object["crv"] = "P-256";
    object["x"] = EncodeMember(public_key_->EcX());
    object["y"] = EncodeMember(public_key_->EcY());
  } else {
    object["kty"] = "OKP";
    object["crv"] = "Ed25519";
    object["x"] = EncodeMember(public_key_->Ed25519Raw());
  }
  AddMetadata(object);
  return object;
}

void Jwk::AddMetadata(bj::object& object) const {
  // Every optional member, so a serialised key keeps the restrictions it was parsed with.
  if (kid_) object["kid"] = *kid_;
  if (alg_) object["alg"] = *alg_;
  if (use_) object["use"] = *use_;
  if (key_ops_) {
    bj::array ops;
    for (const std::string& op : *key_ops_) ops.emplace_back(op);
    object["key_ops"] = std::move(ops);
  }
}

Result<bj::object> Jwk::ToPrivateObject() const {
  if (type_ == JwkKeyType::kOct) {
    bj::object object;
    object["kty"] = "oct";
    object["k"] = EncodeMember(secret_.view());
    AddMetadata(object);
    return object;
  }
  if (!private_key_) return Error{Code::kInvalidArgument, "jwk: this key has no private part"};
  ZTM_ASSIGN_OR_RETURN(bj::object object, ToPublicObject());
  Secret d = private_key_->RawPrivate();
  object["d"] = EncodeMember(d.view());
  return object;
}

Result<Jwk> ParsePublicJwk(const bj::object& object, crypto::PublicKeyCache* cache) {
  return Jwk::Parse(object, false, cache);
}

Result<Jwk> ParsePublicJwk(std::string_view json_text) {
  ZTM_ASSIGN_OR_RETURN(bj::object object, ParseJsonObject(json_text));
  return ParsePublicJwk(object);
}

Result<Jwk> ParsePrivateJwk(const bj::object& object) {
  if (!object.contains("d") && !object.contains("k")) {
    return Invalid("a private key needs member \"d\" (EC, OKP) or \"k\" (oct)");
  }
  return Jwk::Parse(object, true, nullptr);
}

Result<Jwk> ParsePrivateJwk(std::string_view json_text) {
  ZTM_ASSIGN_OR_RETURN(bj::object object, ParseJsonObject(json_text));
  return ParsePrivateJwk(object);
}

Result<Jwk> ParseAnyJwk(std::string_view json_text) {
  ZTM_ASSIGN_OR_RETURN(bj::object object, ParseJsonObject(json_text));
  if (object.contains("d") || object.contains("k")) return ParsePrivateJwk(object);
  return ParsePublicJwk(object);
}

std::string ThumbprintOfCanonicalJson(std::string_view canonical_json) {
  return Base64UrlEncode(crypto::Sha256(canonical_json));
}

}  // namespace ztm::jose
