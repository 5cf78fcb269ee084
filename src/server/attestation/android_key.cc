#include "server/attestation/android_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cctype>
#include <utility>

#include "core/crypto/keys.h"
#include "core/encoding.h"
#include "core/json.h"

namespace ztm::server {
namespace {

using android::KeyDescription;
using android::SecurityLevel;
using android::VerifiedBootState;

// Google's published status list is a few hundred KiB; 16 MiB bounds a corrupted file.
constexpr std::size_t kMaxStatusListBytes = 16 * 1024 * 1024;
// A SHA-256 signing-certificate digest.
constexpr std::size_t kSigningDigestBytes = 32;

Error Invalid(std::string message) {
  ERR_clear_error();
  return Error{Code::kAttestationInvalid, "android-key attestation: " + std::move(message)};
}

Error BadOption(std::string message) {
  ERR_clear_error();
  return Error{Code::kInvalidArgument, "android-key options: " + std::move(message)};
}

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// Lowercase hex without leading zeros, the form of the status list's keys; empty if not hex.
std::string NormaliseSerial(std::string_view hex) {
  std::string out;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    if (out.empty() && c == '0') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out.empty() && !hex.empty() ? "0" : out;
}

std::string SerialHex(const X509* cert) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return "";
  std::string serial = NormaliseSerial(hex);
  OPENSSL_free(hex);
  return serial;
}

const char* LevelName(SecurityLevel level) {
  switch (level) {
    case SecurityLevel::kSoftware:
      return "Software";
    case SecurityLevel::kTrustedEnvironment:
      return "TrustedEnvironment";
    case SecurityLevel::kStrongBox:
      return "StrongBox";
  }
  return "unknown";
}

// Decodes "x5c" (RFC 7515 §4.1.6 style: standard base64 DER, leaf first).
Result<std::vector<X509Ptr>> DecodeChain(std::string_view evidence) {
  auto document = json::ParseObject(evidence, kMaxAndroidKeyEvidenceBytes);
  if (!document.ok()) return Invalid("evidence is not a JSON object: " + document.error().message);
  const boost::json::value* x5c = document->if_contains("x5c");
  if (x5c == nullptr || !x5c->is_array()) return Invalid("evidence has no \"x5c\" array");
  const boost::json::array& entries = x5c->get_array();
  if (entries.size() < 2 || entries.size() > kMaxAndroidKeyChainLength) {
    return Invalid("\"x5c\" must hold 2 to " + std::to_string(kMaxAndroidKeyChainLength) +
                   " certificates");
  }
  std::vector<X509Ptr> chain;
  for (const boost::json::value& entry : entries) {
    if (!entry.is_string()) return Invalid("\"x5c\" entries must be strings");
    auto der = Base64Decode(std::string_view(entry.get_string()));
    if (!der.ok()) return Invalid("\"x5c\" entry is not base64");
    const unsigned char* p = der->data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
    if (cert == nullptr || p != der->data() + der->size()) {
      return Invalid("\"x5c\" entry is not one DER certificate");
    }
    chain.push_back(std::move(cert));
  }
  return chain;
}

Result<KeyDescription> LeafKeyDescription(const X509* leaf) {
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(
      OBJ_txt2obj(android::kKeyDescriptionOid, 1), ASN1_OBJECT_free);
  if (oid == nullptr) return Invalid("cannot build the KeyDescription OID");
  const int index = X509_get_ext_by_OBJ(leaf, oid.get(), -1);
  if (index < 0) return Invalid("leaf has no KeyDescription extension");
  if (X509_get_ext_by_OBJ(leaf, oid.get(), index) >= 0) {
    return Invalid("leaf has more than one KeyDescription extension");  // RFC 5280 §4.2
  }
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(leaf, index));
  return android::ParseKeyDescription(
      ByteView(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))));
}

// Factory-provisioned chains certify the device's attestation key (the leaf's issuer, depth 1)
// with basicConstraints CA:FALSE and keyUsage digitalSignature only, yet that key signs the
// attested key's certificate: that is its whole purpose. Only these two findings, only at depth
// 1, are forgiven; every other certificate must be a proper CA.
int ForgiveAttestationKeyCertificate(int ok, X509_STORE_CTX* context) {
  if (ok == 1) return 1;
  const int error = X509_STORE_CTX_get_error(context);
  if (X509_STORE_CTX_get_error_depth(context) == 1 &&
      (error == X509_V_ERR_INVALID_CA || error == X509_V_ERR_KEYUSAGE_NO_CERTSIGN)) {
    return 1;
  }
  return 0;
}

}  // namespace

Result<std::set<std::string>> ParseRevocationStatusList(std::string_view text) {
  auto document = json::ParseObject(text, kMaxStatusListBytes);
  if (!document.ok()) {
    return Error{Code::kInvalidArgument, "status list: " + document.error().message};
  }
  const boost::json::value* entries = document->if_contains("entries");
  if (entries == nullptr || !entries->is_object()) {
    return Error{Code::kInvalidArgument, "status list: no \"entries\" object"};
  }
  std::set<std::string> serials;
  for (const auto& [key, value] : entries->get_object()) {
    const std::string serial = NormaliseSerial(std::string_view(key));
    if (serial.empty() || !value.is_object()) {
      return Error{Code::kInvalidArgument, "status list: malformed entry"};
    }
    serials.insert(serial);
  }
  return serials;
}

Result<std::unique_ptr<AndroidKeyVerifier>> AndroidKeyVerifier::Create(AndroidKeyOptions options) {
  std::unique_ptr<AndroidKeyVerifier> verifier(new AndroidKeyVerifier());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(options.roots_pem.data(), static_cast<int>(options.roots_pem.size())),
      BIO_free);
  if (bio == nullptr) return BadOption("cannot read roots_pem");
  while (X509* root = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    verifier->roots_.emplace_back(root, X509_free);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (verifier->roots_.empty()) return BadOption("roots_pem holds no certificate");
  if (options.required_security_level == SecurityLevel::kSoftware) {
    return BadOption("required_security_level must be TrustedEnvironment or StrongBox");
  }
  if (options.package_name.empty()) return BadOption("package_name is required");
  if (options.signing_cert_digests.empty()) {
    return BadOption("at least one signing_cert_digests entry is required");
  }
  for (const std::string& hex : options.signing_cert_digests) {
    auto digest = HexDecode(hex);
    if (!digest.ok() || digest->size() != kSigningDigestBytes) {
      return BadOption("signing_cert_digests entries must be SHA-256 digests in hex");
    }
    verifier->signing_cert_digests_.push_back(std::move(*digest));
  }
  if (options.min_os_patch_level < 0) return BadOption("min_os_patch_level must be YYYYMM");
  for (const std::string& serial : options.revoked_serials) {
    const std::string normalised = NormaliseSerial(serial);
    if (normalised.empty()) return BadOption("revoked serials must be hex");
    verifier->revoked_serials_.insert(normalised);
  }
  verifier->required_security_level_ = options.required_security_level;
  verifier->package_name_ = std::move(options.package_name);
  verifier->min_os_patch_level_ = options.min_os_patch_level;
  return verifier;
}

Result<AttestedDevice> AndroidKeyVerifier::Verify(std::string_view evidence,
                                                  std::string_view challenge,
                                                  const jose::Jwk& claimed_key,
                                                  std::int64_t now) const {
  if (claimed_key.is_private() || claimed_key.public_key() == nullptr) {
    return Invalid("the device key must be a public EC P-256 or Ed25519 key");
  }
  ZTM_ASSIGN_OR_RETURN(std::vector<X509Ptr> chain, DecodeChain(evidence));

  // The anchor is the chain's own last certificate when it carries a configured root's key:
  // Google re-issued its RSA root with other dates, so older chains end in an older certificate
  // for the same key. Its self-signature is checked (X509_V_FLAG_CHECK_SS_SIGNATURE), so its
  // dates and name cannot have been altered.
  X509* anchor = chain.back().get();
  const bool known_root =
      std::any_of(roots_.begin(), roots_.end(), [anchor](const std::shared_ptr<X509>& root) {
        return EVP_PKEY_eq(X509_get0_pubkey(root.get()), X509_get0_pubkey(anchor)) == 1;
      });
  if (!known_root) return Invalid("chain does not end in a configured root");

  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> untrusted(
      sk_X509_new_null(), [](STACK_OF(X509) * stack) { sk_X509_free(stack); });
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                          X509_STORE_CTX_free);
  if (store == nullptr || untrusted == nullptr || context == nullptr ||
      X509_STORE_add_cert(store.get(), anchor) != 1) {
    return Invalid("cannot set up certificate verification");
  }
  for (std::size_t i = 1; i + 1 < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].get()) == 0) {
      return Invalid("cannot set up certificate verification");
    }
  }
  if (X509_STORE_CTX_init(context.get(), store.get(), chain.front().get(), untrusted.get()) != 1) {
    return Invalid("cannot set up certificate verification");
  }
  X509_STORE_CTX_set_verify_cb(context.get(), ForgiveAttestationKeyCertificate);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  // RFC 5280 §6.1.3 (a)(2): every certificate, leaf included, valid at `now`.
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  X509_VERIFY_PARAM_set_depth(param, static_cast<int>(kMaxAndroidKeyChainLength));
  // Not X509_V_FLAG_X509_STRICT: KeyMint writes minimal leaf certificates without an Authority
  // Key Identifier (RFC 5280 §4.2.1.1 makes it a MUST for conforming CAs; the device's
  // attestation key is not one), which the strict mode rejects. Signatures, dates, CA basic
  // constraints and path length are checked all the same.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CHECK_SS_SIGNATURE);
  if (X509_verify_cert(context.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(context.get());
    return Invalid(std::string("certificate chain rejected: ") +
                   X509_verify_cert_error_string(error));
  }
  // Every submitted certificate must be on the verified path, in order: no decoys.
  STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(context.get());
  if (path == nullptr || static_cast<std::size_t>(sk_X509_num(path)) != chain.size()) {
    return Invalid("\"x5c\" holds certificates that are not on the path to the root");
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (X509_cmp(sk_X509_value(path, static_cast<int>(i)), chain[i].get()) != 0) {
      return Invalid("\"x5c\" is not in leaf-to-root order");
    }
  }
  for (const X509Ptr& cert : chain) {
    if (revoked_serials_.count(SerialHex(cert.get())) != 0) {
      return Invalid("certificate serial " + SerialHex(cert.get()) + " is revoked");
    }
  }

  ZTM_ASSIGN_OR_RETURN(KeyDescription description, LeafKeyDescription(chain.front().get()));
  if (!ConstantTimeEqual(ByteView(description.attestation_challenge), AsBytes(challenge))) {
    return Invalid("attestationChallenge is not this server's challenge");
  }
  if (description.attestation_security_level < required_security_level_ ||
      description.keymint_security_level < required_security_level_) {
    return Invalid(std::string("security level ") +
                   LevelName(description.attestation_security_level) + " is below the required " +
                   LevelName(required_security_level_));
  }
  // Only hardware-enforced entries speak for the device; software ones are the OS's claims.
  const auto& root_of_trust = description.hardware_enforced.root_of_trust;
  if (!root_of_trust.has_value()) return Invalid("no hardware-enforced rootOfTrust");
  if (root_of_trust->verified_boot_state != VerifiedBootState::kVerified) {
    return Invalid("verifiedBootState is not Verified");
  }
  if (!root_of_trust->device_locked) return Invalid("the bootloader is unlocked");
  const auto& patch_level = description.hardware_enforced.os_patch_level;
  if (min_os_patch_level_ > 0 && (!patch_level.has_value() || *patch_level < min_os_patch_level_)) {
    return Invalid("osPatchLevel is below " + std::to_string(min_os_patch_level_));
  }
  // attestationApplicationId is software-enforced by design: Keystore fills it in.
  const auto& application = description.software_enforced.attestation_application_id;
  if (!application.has_value()) return Invalid("no attestationApplicationId");
  if (std::none_of(application->packages.begin(), application->packages.end(),
                   [this](const android::PackageInfo& p) { return p.name == package_name_; })) {
    return Invalid("attestationApplicationId does not name package " + package_name_);
  }
  if (std::none_of(application->signature_digests.begin(), application->signature_digests.end(),
                   [this](const Bytes& digest) {
                     return std::find(signing_cert_digests_.begin(), signing_cert_digests_.end(),
                                      digest) != signing_cert_digests_.end();
                   })) {
    return Invalid("the app is not signed by a configured signing certificate");
  }

  // The attested key becomes the device key: it must be the one the client registers.
  auto leaf_key = crypto::PublicKey::FromEvp(X509_get0_pubkey(chain.front().get()));
  if (!leaf_key.ok() || leaf_key->ToSpkiDer() != claimed_key.public_key()->ToSpkiDer()) {
    ERR_clear_error();
    return Error{Code::kAttestationKeyMismatch,
                 "android-key attestation: the attested key is not the registered key"};
  }
  return Attested(claimed_key, std::string(kAndroidKeyFormat),
                  std::string("android-key, ") + LevelName(description.attestation_security_level) +
                      ", " + package_name_ + ", os patch " +
                      (patch_level.has_value() ? std::to_string(*patch_level) : "unknown"));
}

}  // namespace ztm::server
