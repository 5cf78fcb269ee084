// Test helpers for the android-key format: a DER writer for KeyDescription values and an
// OpenSSL certificate factory, so tests build synthetic attestation chains under their own root.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/encoding.h"
#include "server/attestation/key_description.h"

namespace ztm::server::android::testing {

// One DER element with identifier octet bits `identifier` (class | constructed) and tag number
// `tag` (high-tag-number form from 31 up).
inline Bytes Der(std::uint8_t identifier, long tag, const Bytes& content) {
  Bytes out;
  if (tag < 31) {
    out.push_back(static_cast<std::uint8_t>(identifier | tag));
  } else {
    out.push_back(static_cast<std::uint8_t>(identifier | 0x1f));
    Bytes digits;
    for (long t = tag; t > 0; t >>= 7)
      digits.insert(digits.begin(), static_cast<std::uint8_t>((t & 0x7f) | 0x80));
    digits.back() &= 0x7f;
    out.insert(out.end(), digits.begin(), digits.end());
  }
  const std::size_t length = content.size();
  if (length < 128) {
    out.push_back(static_cast<std::uint8_t>(length));
  } else {
    Bytes octets;
    for (std::size_t l = length; l > 0; l >>= 8)
      octets.insert(octets.begin(), static_cast<std::uint8_t>(l & 0xff));
    out.push_back(static_cast<std::uint8_t>(0x80 | octets.size()));
    out.insert(out.end(), octets.begin(), octets.end());
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

inline Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}
inline Bytes Sequence(std::initializer_list<Bytes> parts) { return Der(0x30, 16, Concat(parts)); }
inline Bytes SetOf(std::initializer_list<Bytes> parts) { return Der(0x20, 17, Concat(parts)); }
inline Bytes Integer(std::uint32_t value, std::uint8_t tag = 2) {
  Bytes content;
  for (std::uint32_t v = value; v > 0; v >>= 8)
    content.insert(content.begin(), static_cast<std::uint8_t>(v & 0xff));
  if (content.empty() || (content.front() & 0x80) != 0) content.insert(content.begin(), 0);
  return Der(0x00, tag, content);
}
inline Bytes Enumerated(std::uint32_t value) { return Integer(value, 10); }
inline Bytes Octets(const Bytes& bytes) { return Der(0x00, 4, bytes); }
inline Bytes Octets(std::string_view text) { return Octets(Bytes(text.begin(), text.end())); }
inline Bytes Boolean(bool value) {
  return Der(0x00, 1, Bytes{value ? std::uint8_t{0xff} : std::uint8_t{0}});
}
inline Bytes Explicit(long tag, const Bytes& inner) { return Der(0xa0, tag, inner); }

// The KeyDescription fields a synthetic attestation varies.
struct KeyDescriptionSpec {
  std::string challenge = "server-challenge";
  std::uint32_t security_level = 1;       // TrustedEnvironment
  std::uint32_t verified_boot_state = 0;  // Verified
  bool device_locked = true;
  std::uint32_t os_patch_level = 202405;
  std::string package_name = "com.example.app";
  Bytes signing_digest = Bytes(32, 0xab);
};

inline Bytes BuildKeyDescription(const KeyDescriptionSpec& spec) {
  const Bytes application_id =
      Sequence({SetOf({Sequence({Octets(spec.package_name), Integer(42)})}),
                SetOf({Octets(spec.signing_digest)})});
  const Bytes software = Sequence({
      Explicit(701, Integer(1700000000)),  // creationDateTime: skipped by tag
      Explicit(709, Octets(application_id)),
  });
  const Bytes hardware = Sequence({
      Explicit(1, SetOf({Integer(2)})),  // purpose: skipped
      Explicit(2, Integer(3)),           // algorithm EC: skipped
      Explicit(704, Sequence({Octets(Bytes(32, 0x11)), Boolean(spec.device_locked),
                              Enumerated(spec.verified_boot_state), Octets(Bytes(32, 0x22))})),
      Explicit(705, Integer(140000)),  // osVersion: skipped
      Explicit(706, Integer(spec.os_patch_level)),
  });
  return Sequence({Integer(300), Enumerated(spec.security_level), Integer(300),
                   Enumerated(spec.security_level), Octets(spec.challenge), Octets(""), software,
                   hardware});
}

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

inline KeyPtr NewP256Key() { return KeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free); }

inline void AddExtension(X509* cert, int nid, const char* value, X509* issuer) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

// A certificate for `key`, issued by `issuer` (self-signed when null) with `issuer_key`, valid
// from `not_before` to `not_after` (Unix seconds); a CA when `ca`; carrying `key_description`
// as extension 1.3.6.1.4.1.11129.2.1.17 when non-empty.
inline CertPtr MakeCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                               EVP_PKEY* issuer_key, std::int64_t not_before,
                               std::int64_t not_after, bool ca, const Bytes& key_description,
                               long serial) {
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after));
  X509_set_pubkey(cert.get(), key);
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  AddExtension(cert.get(), NID_subject_key_identifier, "hash", issuer_cert);
  AddExtension(cert.get(), NID_authority_key_identifier, "keyid:always", issuer_cert);
  if (ca) {
    AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE", issuer_cert);
    AddExtension(cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign", issuer_cert);
  }
  if (!key_description.empty()) {
    ASN1_OBJECT* oid = OBJ_txt2obj(kKeyDescriptionOid, 1);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, key_description.data(), static_cast<int>(key_description.size()));
    X509_EXTENSION* extension = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, data);
    X509_add_ext(cert.get(), extension, -1);
    X509_EXTENSION_free(extension);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(oid);
  }
  X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return cert;
}

inline Bytes CertificateDer(X509* cert) {
  unsigned char* out = nullptr;
  const int length = i2d_X509(cert, &out);
  Bytes der(out, out + length);
  OPENSSL_free(out);
  return der;
}

inline std::string CertificatePem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

// Evidence JSON {"x5c": [...]} for DER certificates, leaf first.
inline std::string Evidence(const std::vector<Bytes>& chain) {
  std::string json = "{\"x5c\":[";
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (i > 0) json += ",";
    json += "\"" + Base64Encode(chain[i]) + "\"";
  }
  return json + "]}";
}

}  // namespace ztm::server::android::testing
