// Apple App Attest verification. Step numbers refer to Apple's "Validating apps that connect to
// your server" (DeviceCheck documentation); authenticator data layout is WebAuthn Level 2 §6.1.
#include "server/attestation/app_attest.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <vector>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "server/attestation/strict_cbor.h"

namespace ztm::server {

struct AppAttestVerifier::Trust {
  ~Trust() { X509_STORE_free(store); }
  X509_STORE* store = nullptr;  // holds the root only
};

namespace {

// The OID of Apple's nonce extension in credCert (attestation step 4).
constexpr char kNonceExtensionOid[] = "1.2.840.113635.100.8.2";
// Apple's chain is credCert + "Apple App Attestation CA 1"; four leaves room for an extra
// intermediate while bounding the certificates a client can make the gateway parse.
constexpr std::size_t kMaxChainCertificates = 4;
// App Attest keys are P-256: 32-byte coordinates, SHA-256 key ids.
constexpr std::size_t kSha256Length = 32;
constexpr std::size_t kCoordinateLength = 32;
// WebAuthn §6.1: rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian).
constexpr std::size_t kAuthDataHeaderLength = 37;
// WebAuthn §6.5.1: aaguid (16) ‖ credentialIdLength (2, big-endian).
constexpr std::size_t kAaguidLength = 16;
constexpr std::uint8_t kFlagAttestedCredentialData = 0x40;
constexpr std::uint8_t kFlagExtensionData = 0x80;
// Attestation step 7: the AAGUID names the environment.
constexpr std::array<std::uint8_t, kAaguidLength> kAaguidDevelopment = {
    'a', 'p', 'p', 'a', 't', 't', 'e', 's', 't', 'd', 'e', 'v', 'e', 'l', 'o', 'p'};
constexpr std::array<std::uint8_t, kAaguidLength> kAaguidProduction = {
    'a', 'p', 'p', 'a', 't', 't', 'e', 's', 't', 0, 0, 0, 0, 0, 0, 0};
// Apple team IDs are 10 characters; bundle IDs at most 255 (CFBundleIdentifier).
constexpr std::size_t kTeamIdLength = 10;
constexpr std::size_t kMaxBundleIdLength = 255;
// The attestation object: map → attStmt map → x5c array; at most 3 entries in any container
// besides x5c.
constexpr cbor::Limits kAttestationObjectLimits{.max_input_bytes = kMaxAppAttestObjectBytes,
                                                .max_depth = 3,
                                                .max_container_items = kMaxChainCertificates};
// An assertion is one flat map of two byte strings.
constexpr cbor::Limits kAssertionLimits{
    .max_input_bytes = kMaxAppAttestAssertionBytes, .max_depth = 1, .max_container_items = 2};
// The COSE_Key in attested credential data (RFC 9053 §7.1.1): one flat map of five entries.
constexpr cbor::Limits kCoseKeyLimits{
    .max_input_bytes = 256, .max_depth = 1, .max_container_items = 5};

Error Invalid(std::string message) {
  return Error{Code::kAttestationInvalid, "apple-appattest: " + std::move(message)};
}

struct X509Deleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_pop_free(stack, X509_free); }
};
struct StoreContextDeleter {
  void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
};

Result<X509Ptr> ParseDerCertificate(ByteView der) {
  const unsigned char* cursor = der.data();
  X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!certificate || cursor != der.data() + der.size()) {
    ERR_clear_error();
    return Invalid("x5c holds an entry that is not one DER certificate");
  }
  return certificate;
}

// Reads one DER TLV with tag `tag` from the front of `input` (X.690 §8.1, definite lengths in
// their shortest form, §10.1) and returns its contents.
Result<ByteView> ReadDer(ByteView& input, std::uint8_t tag) {
  if (input.size() < 2 || input[0] != tag) return Invalid("nonce extension is not DER");
  std::size_t length = input[1];
  std::size_t header = 2;
  if (length == 0x81) {
    if (input.size() < 3 || input[2] < 0x80) return Invalid("nonce extension is not DER");
    length = input[2];
    header = 3;
  } else if (length >= 0x80) {
    return Invalid("nonce extension is not DER");  // App Attest's extension is far shorter
  }
  if (input.size() - header < length) return Invalid("nonce extension is truncated");
  ByteView contents = input.subspan(header, length);
  input = input.subspan(header + length);
  return contents;
}

// Attestation step 4: credCert's extension 1.2.840.113635.100.8.2 is
// SEQUENCE { [1] EXPLICIT OCTET STRING nonce }; returns the nonce.
Result<Bytes> ExtractNonce(X509* leaf) {
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(
      OBJ_txt2obj(kNonceExtensionOid, /*no_name=*/1), ASN1_OBJECT_free);
  if (!oid) return Error{Code::kInternal, "apple-appattest: cannot build the nonce OID"};
  const int index = X509_get_ext_by_OBJ(leaf, oid.get(), -1);
  if (index < 0) return Invalid("credCert has no nonce extension");
  if (X509_get_ext_by_OBJ(leaf, oid.get(), index) >= 0) {
    return Invalid("credCert has more than one nonce extension");
  }
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(leaf, index));
  ByteView der(ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data)));
  ZTM_ASSIGN_OR_RETURN(ByteView sequence, ReadDer(der, 0x30));
  if (!der.empty()) return Invalid("trailing bytes after the nonce extension");
  ZTM_ASSIGN_OR_RETURN(ByteView explicit_tag, ReadDer(sequence, 0xA1));
  if (!sequence.empty()) return Invalid("unexpected fields in the nonce extension");
  ZTM_ASSIGN_OR_RETURN(ByteView nonce, ReadDer(explicit_tag, 0x04));
  if (!explicit_tag.empty() || nonce.size() != kSha256Length) {
    return Invalid("nonce extension does not hold one 32-byte nonce");
  }
  return Bytes(nonce.begin(), nonce.end());
}

Bytes Concat(ByteView first, ByteView second) {
  Bytes out(first.begin(), first.end());
  out.insert(out.end(), second.begin(), second.end());
  return out;
}

std::uint32_t ReadBigEndian32(ByteView bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

bool Equal(ByteView a, ByteView b) { return std::ranges::equal(a, b); }

// The byte string under text key `key` of `map`, or an error naming it.
Result<ByteView> RequireBytes(const cbor::Value& map, std::string_view key) {
  const cbor::Value* value = map.Find(key);
  if (value == nullptr || value->kind() != cbor::Value::Kind::kBytes) {
    return Invalid("\"" + std::string(key) + "\" is missing or not a byte string");
  }
  return ByteView(value->bytes());
}

// Checks that `cose_key` is the COSE_Key of the P-256 point X ‖ Y (RFC 9053 §7.1.1:
// kty 1 = EC2 (2), alg 3 = ES256 (-7), crv -1 = P-256 (1), x -2, y -3).
Status CheckCoseKey(ByteView cose_key, ByteView x, ByteView y) {
  auto decoded = cbor::DecodeStrict(cose_key, kCoseKeyLimits);
  if (!decoded.ok()) return Invalid("credential public key: " + decoded.error().message);
  const cbor::Value& map = *decoded;
  auto is_integer = [&map](std::int64_t key, std::int64_t expected) {
    const cbor::Value* value = map.FindInteger(key);
    if (value == nullptr) return false;
    if (expected >= 0) {
      return value->kind() == cbor::Value::Kind::kUnsigned &&
             value->argument() == static_cast<std::uint64_t>(expected);
    }
    return value->kind() == cbor::Value::Kind::kNegative &&
           value->argument() == static_cast<std::uint64_t>(-(expected + 1));
  };
  auto is_bytes = [&map](std::int64_t key, ByteView expected) {
    const cbor::Value* value = map.FindInteger(key);
    return value != nullptr && value->kind() == cbor::Value::Kind::kBytes &&
           Equal(value->bytes(), expected);
  };
  if (map.kind() != cbor::Value::Kind::kMap || map.entries().size() != 5 || !is_integer(1, 2) ||
      !is_integer(3, -7) || !is_integer(-1, 1)) {
    return Invalid("credential public key is not an ES256 P-256 COSE key");
  }
  if (!is_bytes(-2, x) || !is_bytes(-3, y)) {
    return Invalid("credential public key differs from credCert's key");
  }
  return Status();
}

bool IsTeamId(std::string_view id) {
  return id.size() == kTeamIdLength && std::ranges::all_of(id, [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

bool IsBundleId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxBundleIdLength && std::ranges::all_of(id, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

}  // namespace

AppAttestVerifier::AppAttestVerifier(std::shared_ptr<const Trust> trust, Bytes rp_id_hash,
                                     bool allow_development, std::string app_id)
    : trust_(std::move(trust)),
      rp_id_hash_(std::move(rp_id_hash)),
      allow_development_(allow_development),
      app_id_(std::move(app_id)) {}

AppAttestVerifier::~AppAttestVerifier() = default;

Result<std::unique_ptr<AppAttestVerifier>> AppAttestVerifier::Create(
    const AppAttestOptions& options) {
  if (!IsTeamId(options.team_id)) {
    return Error{Code::kInvalidArgument,
                 "apple-appattest: team_id must be 10 upper-case letters or digits"};
  }
  if (!IsBundleId(options.bundle_id)) {
    return Error{Code::kInvalidArgument,
                 "apple-appattest: bundle_id must be 1-255 letters, digits, '.' or '-'"};
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(options.root_pem.data(), static_cast<int>(options.root_pem.size())),
      BIO_free);
  X509Ptr root(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  const bool more = root && X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!root || more) {
    return Error{Code::kInvalidArgument,
                 "apple-appattest: root_pem must hold exactly one PEM certificate"};
  }
  auto trust = std::make_shared<Trust>();
  trust->store = X509_STORE_new();
  if (trust->store == nullptr || X509_STORE_add_cert(trust->store, root.get()) != 1) {
    ERR_clear_error();
    return Error{Code::kInternal, "apple-appattest: cannot build the trust store"};
  }
  std::string app_id = options.team_id + "." + options.bundle_id;
  Bytes rp_id_hash = crypto::Sha256(app_id);
  return std::unique_ptr<AppAttestVerifier>(new AppAttestVerifier(
      std::move(trust), std::move(rp_id_hash), options.allow_development, std::move(app_id)));
}

Result<AttestedDevice> AppAttestVerifier::Verify(std::string_view evidence,
                                                 std::string_view challenge,
                                                 const jose::Jwk& claimed_key,
                                                 std::int64_t now) const {
  if (evidence.size() > (kMaxAppAttestObjectBytes + 2) / 3 * 4) {
    return Invalid("attestation object larger than allowed");
  }
  auto object_bytes = Base64Decode(evidence);
  if (!object_bytes.ok()) return Invalid("evidence is not standard base64");
  auto decoded = cbor::DecodeStrict(*object_bytes, kAttestationObjectLimits);
  if (!decoded.ok()) return Invalid(decoded.error().message);
  const cbor::Value& object = *decoded;

  // The attestation object holds exactly fmt, attStmt and authData (WebAuthn §6.5.4).
  if (object.kind() != cbor::Value::Kind::kMap || object.entries().size() != 3) {
    return Invalid("attestation object is not a map of fmt, attStmt and authData");
  }
  const cbor::Value* fmt = object.Find("fmt");
  if (fmt == nullptr || fmt->kind() != cbor::Value::Kind::kText ||
      fmt->text() != kAppAttestFormat) {
    return Invalid("fmt is not \"apple-appattest\"");
  }
  ZTM_ASSIGN_OR_RETURN(ByteView auth_data, RequireBytes(object, "authData"));
  const cbor::Value* statement = object.Find("attStmt");
  if (statement == nullptr || statement->kind() != cbor::Value::Kind::kMap ||
      statement->entries().size() != 2) {
    return Invalid("attStmt is not a map of x5c and receipt");
  }
  ZTM_ASSIGN_OR_RETURN(ByteView receipt, RequireBytes(*statement, "receipt"));
  if (receipt.empty()) return Invalid("receipt is empty");
  const cbor::Value* x5c = statement->Find("x5c");
  if (x5c == nullptr || x5c->kind() != cbor::Value::Kind::kArray || x5c->items().size() < 2) {
    return Invalid("x5c is not an array of credCert and its intermediates");
  }

  // Step 1: credCert chains to the configured root, valid at `now`.
  std::vector<X509Ptr> certificates;
  for (const cbor::Value& entry : x5c->items()) {
    if (entry.kind() != cbor::Value::Kind::kBytes) return Invalid("x5c entry is not bytes");
    ZTM_ASSIGN_OR_RETURN(X509Ptr certificate, ParseDerCertificate(entry.bytes()));
    certificates.push_back(std::move(certificate));
  }
  std::unique_ptr<STACK_OF(X509), X509StackDeleter> intermediates(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreContextDeleter> context(X509_STORE_CTX_new());
  if (!intermediates || !context) return Error{Code::kInternal, "apple-appattest: out of memory"};
  for (std::size_t i = 1; i < certificates.size(); ++i) {
    if (!sk_X509_push(intermediates.get(), certificates[i].get())) {
      return Error{Code::kInternal, "apple-appattest: out of memory"};
    }
    X509_up_ref(certificates[i].get());
  }
  X509* leaf = certificates.front().get();
  if (X509_STORE_CTX_init(context.get(), trust_->store, leaf, intermediates.get()) != 1) {
    ERR_clear_error();
    return Error{Code::kInternal, "apple-appattest: cannot set up chain verification"};
  }
  X509_VERIFY_PARAM* parameters = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_time(parameters, static_cast<time_t>(now));
  // Not X509_V_FLAG_X509_STRICT: Apple's credCerts have no Authority Key Identifier, which
  // the strict profile requires; signatures, validity and CA constraints are checked anyway.
  if (X509_verify_cert(context.get()) != 1) {
    const int reason = X509_STORE_CTX_get_error(context.get());
    ERR_clear_error();
    return Invalid(std::string("certificate chain rejected: ") +
                   X509_verify_cert_error_string(reason));
  }

  // Steps 2–4: nonce = SHA-256(authData ‖ SHA-256(clientData)) is credCert's extension.
  const Bytes client_data_hash = crypto::Sha256(challenge);
  const Bytes nonce = crypto::Sha256(Concat(auth_data, client_data_hash));
  ZTM_ASSIGN_OR_RETURN(Bytes certified_nonce, ExtractNonce(leaf));
  if (!Equal(nonce, certified_nonce)) {
    return Invalid("nonce does not match credCert (other challenge or altered authData)");
  }

  // Step 5: key id = SHA-256 of credCert's uncompressed P-256 point.
  auto leaf_key = crypto::PublicKey::FromEvp(X509_get0_pubkey(leaf));
  if (!leaf_key.ok() || leaf_key->type() != crypto::KeyType::kEcP256) {
    return Invalid("credCert's key is not a P-256 key");
  }
  const Bytes x = leaf_key->EcX();
  const Bytes y = leaf_key->EcY();
  Bytes point{0x04};
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  const Bytes key_id = crypto::Sha256(point);

  // Steps 6–9 read authData (WebAuthn §6.1, §6.5.1).
  if (auth_data.size() < kAuthDataHeaderLength + kAaguidLength + 2) {
    return Invalid("authData is too short");
  }
  if (!Equal(auth_data.first(kSha256Length), rp_id_hash_)) {
    return Invalid("authData is for another App ID than " + app_id_);  // step 6
  }
  const std::uint8_t flags = auth_data[kSha256Length];
  if ((flags & kFlagAttestedCredentialData) == 0 || (flags & kFlagExtensionData) != 0) {
    return Invalid("authData flags do not announce exactly the attested credential");
  }
  if (ReadBigEndian32(auth_data.subspan(kSha256Length + 1, 4)) != 0) {
    return Invalid("authData counter is not 0");  // step 7
  }
  const ByteView aaguid = auth_data.subspan(kAuthDataHeaderLength, kAaguidLength);
  const bool production = Equal(aaguid, kAaguidProduction);
  if (!production && !(allow_development_ && Equal(aaguid, kAaguidDevelopment))) {
    return Invalid(Equal(aaguid, kAaguidDevelopment)
                       ? "development key, and this gateway accepts production keys only"
                       : "AAGUID is neither appattest nor appattestdevelop");  // step 8
  }
  const std::size_t id_offset = kAuthDataHeaderLength + kAaguidLength + 2;
  const std::size_t id_length =
      (std::size_t{auth_data[id_offset - 2]} << 8) | std::size_t{auth_data[id_offset - 1]};
  if (id_length != kSha256Length || auth_data.size() - id_offset < id_length) {
    return Invalid("credential id is not a 32-byte key id");
  }
  if (!Equal(auth_data.subspan(id_offset, id_length), key_id)) {
    return Invalid("credential id is not credCert's key id");  // step 9
  }
  ZTM_RETURN_IF_ERROR(CheckCoseKey(auth_data.subspan(id_offset + id_length), x, y));

  // The attested key must be the key the device registers.
  const crypto::PublicKey* claimed = claimed_key.public_key();
  if (claimed_key.is_private() || claimed == nullptr) {
    return Invalid("the device key must be a public EC P-256 key");
  }
  if (claimed->type() != crypto::KeyType::kEcP256 || !Equal(claimed->EcX(), x) ||
      !Equal(claimed->EcY(), y)) {
    return Error{Code::kAttestationKeyMismatch,
                 "apple-appattest: the attestation certifies another key than the one claimed"};
  }
  return Attested(jose::Jwk::FromPublicKey(*leaf_key), std::string(kAppAttestFormat),
                  std::string(production ? "App Attest production" : "App Attest development") +
                      ", " + app_id_ + ", key id " + Base64Encode(key_id));
}

Result<VerifiedAppAttestAssertion> AppAttestVerifier::VerifyAssertion(
    ByteView assertion_cbor, ByteView client_data, const jose::Jwk& stored_public_key,
    std::uint32_t stored_counter) const {
  const crypto::PublicKey* key = stored_public_key.public_key();
  if (key == nullptr || key->type() != crypto::KeyType::kEcP256) {
    return Error{Code::kInvalidArgument, "apple-appattest: the stored key is not a P-256 key"};
  }
  auto decoded = cbor::DecodeStrict(assertion_cbor, kAssertionLimits);
  if (!decoded.ok()) return Invalid("assertion: " + decoded.error().message);
  if (decoded->kind() != cbor::Value::Kind::kMap || decoded->entries().size() != 2) {
    return Invalid("assertion is not a map of signature and authenticatorData");
  }
  ZTM_ASSIGN_OR_RETURN(ByteView signature, RequireBytes(*decoded, "signature"));
  ZTM_ASSIGN_OR_RETURN(ByteView authenticator_data, RequireBytes(*decoded, "authenticatorData"));
  // An assertion's authenticator data carries no attested credential or extensions.
  if (authenticator_data.size() != kAuthDataHeaderLength) {
    return Invalid("assertion authenticatorData is not 37 bytes");
  }
  // Assertion steps 1–3: the key signed nonce = SHA-256(authenticatorData ‖ clientDataHash)
  // (ECDSA with SHA-256 over that nonce).
  const Bytes nonce = crypto::Sha256(Concat(authenticator_data, crypto::Sha256(client_data)));
  if (!key->Verify(crypto::SignatureAlgorithm::kEcdsaP256Sha256Der, nonce, signature).ok()) {
    return Invalid("assertion signature does not verify with the stored key");
  }
  // Step 4: the App ID.
  if (!Equal(authenticator_data.first(kSha256Length), rp_id_hash_)) {
    return Invalid("assertion is for another App ID than " + app_id_);
  }
  // Steps 5–6: the counter only grows; an authentic assertion with a counter not above the
  // stored one was replayed or comes from a cloned key.
  const std::uint32_t counter = ReadBigEndian32(authenticator_data.subspan(kSha256Length + 1, 4));
  if (counter <= stored_counter) {
    return Error{Code::kAttestationCounterNotIncreasing,
                 "apple-appattest: assertion counter " + std::to_string(counter) +
                     " is not above the stored counter " + std::to_string(stored_counter)};
  }
  return VerifiedAppAttestAssertion(counter);
}

}  // namespace ztm::server
