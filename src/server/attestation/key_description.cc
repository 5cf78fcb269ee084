#include "server/attestation/key_description.h"

#include <openssl/asn1.h>
#include <openssl/err.h>

#include <climits>
#include <memory>
#include <utility>

namespace ztm::server::android {
namespace {

// AuthorizationList tags the policy reads (Android keystore attestation schema).
constexpr long kTagRootOfTrust = 704;
constexpr long kTagOsPatchLevel = 706;
constexpr long kTagAttestationApplicationId = 709;

Error Invalid(std::string message) {
  ERR_clear_error();  // leave no OpenSSL error behind for the next caller on this thread
  return Error{Code::kAttestationInvalid, "android key description: " + std::move(message)};
}

// One DER element: its identifier, its contents and its full encoding.
struct Element {
  long tag = 0;
  int tag_class = 0;
  bool constructed = false;
  ByteView content;
  ByteView encoding;
};

// Number of bytes a DER header for (tag, length) takes: X.690 §8.1.2 (tag) and §10.1 (the
// definite form with the minimum number of length octets).
std::size_t MinimalHeaderSize(long tag, long length) {
  std::size_t size = 1;
  if (tag >= 31) {
    for (long t = tag; t > 0; t >>= 7) ++size;
  }
  size += 1;
  if (length >= 128) {
    for (long l = length; l > 0; l >>= 8) ++size;
  }
  return size;
}

// Reads consecutive DER elements from a buffer, never past its end.
class DerReader {
 public:
  explicit DerReader(ByteView data) : rest_(data) {}
  bool empty() const { return rest_.empty(); }

  Result<Element> Next() {
    if (rest_.empty()) return Invalid("truncated: an element is missing");
    const unsigned char* start = rest_.data();
    const unsigned char* p = start;
    long length = 0;
    int tag = 0;
    int tag_class = 0;
    // ASN1_get_object checks the header and that the contents fit within `omax` bytes.
    const int flags =
        ASN1_get_object(&p, &length, &tag, &tag_class, static_cast<long>(rest_.size()));
    if ((flags & 0x80) != 0) return Invalid("malformed or truncated element header");
    if ((flags & 0x01) != 0) return Invalid("indefinite length is not DER");
    const std::size_t header = static_cast<std::size_t>(p - start);
    if (header != MinimalHeaderSize(tag, length)) {
      return Invalid("non-minimal tag or length encoding is not DER");
    }
    const std::size_t total = header + static_cast<std::size_t>(length);
    if (total > rest_.size()) return Invalid("element overruns its parent");
    Element element;
    element.tag = tag;
    element.tag_class = tag_class;
    element.constructed = (flags & V_ASN1_CONSTRUCTED) != 0;
    element.content = rest_.subspan(header, static_cast<std::size_t>(length));
    element.encoding = rest_.first(total);
    rest_ = rest_.subspan(total);
    return element;
  }

  // Reads the next element and checks it is the universal type `tag`, primitive or constructed.
  Result<Element> NextUniversal(int tag, bool constructed, const char* what) {
    ZTM_ASSIGN_OR_RETURN(Element element, Next());
    if (element.tag_class != V_ASN1_UNIVERSAL || element.tag != tag ||
        element.constructed != constructed) {
      return Invalid(std::string(what) + " has the wrong type");
    }
    return element;
  }

 private:
  ByteView rest_;
};

Status ExpectEnd(const DerReader& reader, const char* what) {
  if (!reader.empty()) return Invalid(std::string("trailing data after ") + what);
  return Status();
}

// INTEGER or ENUMERATED (DER: minimal two's complement, checked by c2i) as a non-negative int64.
Result<std::int64_t> ReadNonNegative(DerReader& reader, int tag, const char* what) {
  ZTM_ASSIGN_OR_RETURN(Element element, reader.NextUniversal(tag, false, what));
  const unsigned char* p = element.encoding.data();
  const long size = static_cast<long>(element.encoding.size());
  std::int64_t value = 0;
  if (tag == V_ASN1_INTEGER) {
    std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)> integer(
        d2i_ASN1_INTEGER(nullptr, &p, size), ASN1_INTEGER_free);
    if (integer == nullptr || ASN1_INTEGER_get_int64(&value, integer.get()) != 1) {
      return Invalid(std::string(what) + " is not a DER INTEGER in range");
    }
  } else {
    std::unique_ptr<ASN1_ENUMERATED, decltype(&ASN1_ENUMERATED_free)> enumerated(
        d2i_ASN1_ENUMERATED(nullptr, &p, size), ASN1_ENUMERATED_free);
    if (enumerated == nullptr || ASN1_ENUMERATED_get_int64(&value, enumerated.get()) != 1) {
      return Invalid(std::string(what) + " is not a DER ENUMERATED in range");
    }
  }
  if (value < 0) return Invalid(std::string(what) + " is negative");
  return value;
}

Result<Bytes> ReadOctetString(DerReader& reader, const char* what) {
  // DER forbids the constructed form of OCTET STRING (X.690 §10.2).
  ZTM_ASSIGN_OR_RETURN(Element element, reader.NextUniversal(V_ASN1_OCTET_STRING, false, what));
  return Bytes(element.content.begin(), element.content.end());
}

Result<bool> ReadBoolean(DerReader& reader, const char* what) {
  ZTM_ASSIGN_OR_RETURN(Element element, reader.NextUniversal(V_ASN1_BOOLEAN, false, what));
  // X.690 §11.1: DER encodes TRUE as 0xFF only.
  if (element.content.size() != 1 || (element.content[0] != 0x00 && element.content[0] != 0xFF)) {
    return Invalid(std::string(what) + " is not a DER BOOLEAN");
  }
  return element.content[0] == 0xFF;
}

Result<SecurityLevel> ReadSecurityLevel(DerReader& reader, const char* what) {
  ZTM_ASSIGN_OR_RETURN(std::int64_t value, ReadNonNegative(reader, V_ASN1_ENUMERATED, what));
  switch (value) {
    case 0:
      return SecurityLevel::kSoftware;
    case 1:
      return SecurityLevel::kTrustedEnvironment;
    case 2:
      return SecurityLevel::kStrongBox;
    default:
      return Invalid(std::string(what) + " has an unknown value");
  }
}

// RootOfTrust ::= SEQUENCE { verifiedBootKey OCTET STRING, deviceLocked BOOLEAN,
//   verifiedBootState VerifiedBootState, verifiedBootHash OCTET STRING (version >= 3) }
Result<RootOfTrust> ParseRootOfTrust(const Element& sequence) {
  DerReader reader(sequence.content);
  RootOfTrust root;
  ZTM_ASSIGN_OR_RETURN(root.verified_boot_key, ReadOctetString(reader, "verifiedBootKey"));
  ZTM_ASSIGN_OR_RETURN(root.device_locked, ReadBoolean(reader, "deviceLocked"));
  ZTM_ASSIGN_OR_RETURN(std::int64_t state,
                       ReadNonNegative(reader, V_ASN1_ENUMERATED, "verifiedBootState"));
  if (state > 3) return Invalid("verifiedBootState has an unknown value");
  root.verified_boot_state = static_cast<VerifiedBootState>(state);
  if (!reader.empty()) {
    ZTM_ASSIGN_OR_RETURN(Bytes hash, ReadOctetString(reader, "verifiedBootHash"));
    root.verified_boot_hash = std::move(hash);
  }
  ZTM_RETURN_IF_ERROR(ExpectEnd(reader, "RootOfTrust"));
  return root;
}

// AuthorizationList ::= SEQUENCE { each entry OPTIONAL, [tag] EXPLICIT ... }. Entries appear in
// ascending tag order; the ones the policy does not read are skipped whole, by their tag.
Result<AuthorizationList> ParseAuthorizationList(DerReader& outer, const char* what) {
  ZTM_ASSIGN_OR_RETURN(Element sequence, outer.NextUniversal(V_ASN1_SEQUENCE, true, what));
  DerReader reader(sequence.content);
  AuthorizationList list;
  long previous_tag = -1;
  while (!reader.empty()) {
    ZTM_ASSIGN_OR_RETURN(Element entry, reader.Next());
    if (entry.tag_class != V_ASN1_CONTEXT_SPECIFIC || !entry.constructed) {
      return Invalid(std::string(what) + " has an entry that is not an explicit [n] tag");
    }
    if (entry.tag <= previous_tag) {
      return Invalid(std::string(what) + " tags are not in strictly ascending order");
    }
    previous_tag = entry.tag;
    // An EXPLICIT tag wraps exactly one element.
    DerReader inner(entry.content);
    switch (entry.tag) {
      case kTagRootOfTrust: {
        ZTM_ASSIGN_OR_RETURN(Element root,
                             inner.NextUniversal(V_ASN1_SEQUENCE, true, "rootOfTrust"));
        ZTM_ASSIGN_OR_RETURN(list.root_of_trust, ParseRootOfTrust(root));
        break;
      }
      case kTagOsPatchLevel: {
        ZTM_ASSIGN_OR_RETURN(list.os_patch_level,
                             ReadNonNegative(inner, V_ASN1_INTEGER, "osPatchLevel"));
        break;
      }
      case kTagAttestationApplicationId: {
        ZTM_ASSIGN_OR_RETURN(Bytes encoded, ReadOctetString(inner, "attestationApplicationId"));
        ZTM_ASSIGN_OR_RETURN(list.attestation_application_id,
                             ParseAttestationApplicationId(encoded));
        break;
      }
      default: {
        ZTM_ASSIGN_OR_RETURN(Element skipped, inner.Next());
        (void)skipped;
        break;
      }
    }
    ZTM_RETURN_IF_ERROR(ExpectEnd(inner, "an AuthorizationList entry"));
  }
  return list;
}

}  // namespace

Result<AttestationApplicationId> ParseAttestationApplicationId(ByteView der) {
  if (der.size() > kMaxKeyDescriptionBytes) return Invalid("attestationApplicationId too large");
  DerReader top(der);
  ZTM_ASSIGN_OR_RETURN(Element sequence,
                       top.NextUniversal(V_ASN1_SEQUENCE, true, "attestationApplicationId"));
  ZTM_RETURN_IF_ERROR(ExpectEnd(top, "attestationApplicationId"));
  DerReader fields(sequence.content);
  AttestationApplicationId id;

  ZTM_ASSIGN_OR_RETURN(Element package_set,
                       fields.NextUniversal(V_ASN1_SET, true, "package_infos"));
  DerReader packages(package_set.content);
  while (!packages.empty()) {
    if (id.packages.size() == kMaxApplicationIdEntries) return Invalid("too many packages");
    ZTM_ASSIGN_OR_RETURN(Element info,
                         packages.NextUniversal(V_ASN1_SEQUENCE, true, "AttestationPackageInfo"));
    DerReader info_fields(info.content);
    PackageInfo package;
    ZTM_ASSIGN_OR_RETURN(Bytes name, ReadOctetString(info_fields, "package_name"));
    package.name.assign(name.begin(), name.end());
    ZTM_ASSIGN_OR_RETURN(package.version, ReadNonNegative(info_fields, V_ASN1_INTEGER, "version"));
    ZTM_RETURN_IF_ERROR(ExpectEnd(info_fields, "AttestationPackageInfo"));
    id.packages.push_back(std::move(package));
  }

  ZTM_ASSIGN_OR_RETURN(Element digest_set,
                       fields.NextUniversal(V_ASN1_SET, true, "signature_digests"));
  DerReader digests(digest_set.content);
  while (!digests.empty()) {
    if (id.signature_digests.size() == kMaxApplicationIdEntries) {
      return Invalid("too many signature digests");
    }
    ZTM_ASSIGN_OR_RETURN(Bytes digest, ReadOctetString(digests, "signature digest"));
    id.signature_digests.push_back(std::move(digest));
  }
  ZTM_RETURN_IF_ERROR(ExpectEnd(fields, "attestationApplicationId"));
  return id;
}

// KeyDescription ::= SEQUENCE { attestationVersion INTEGER, attestationSecurityLevel
//   SecurityLevel, keyMintVersion INTEGER, keyMintSecurityLevel SecurityLevel,
//   attestationChallenge OCTET STRING, uniqueId OCTET STRING, softwareEnforced
//   AuthorizationList, hardwareEnforced AuthorizationList }
Result<KeyDescription> ParseKeyDescription(ByteView der) {
  if (der.size() > kMaxKeyDescriptionBytes) return Invalid("too large");
  DerReader top(der);
  ZTM_ASSIGN_OR_RETURN(Element sequence,
                       top.NextUniversal(V_ASN1_SEQUENCE, true, "KeyDescription"));
  ZTM_RETURN_IF_ERROR(ExpectEnd(top, "KeyDescription"));
  DerReader fields(sequence.content);
  KeyDescription description;
  ZTM_ASSIGN_OR_RETURN(description.attestation_version,
                       ReadNonNegative(fields, V_ASN1_INTEGER, "attestationVersion"));
  ZTM_ASSIGN_OR_RETURN(description.attestation_security_level,
                       ReadSecurityLevel(fields, "attestationSecurityLevel"));
  ZTM_ASSIGN_OR_RETURN(description.keymint_version,
                       ReadNonNegative(fields, V_ASN1_INTEGER, "keyMintVersion"));
  ZTM_ASSIGN_OR_RETURN(description.keymint_security_level,
                       ReadSecurityLevel(fields, "keyMintSecurityLevel"));
  ZTM_ASSIGN_OR_RETURN(description.attestation_challenge,
                       ReadOctetString(fields, "attestationChallenge"));
  ZTM_ASSIGN_OR_RETURN(description.unique_id, ReadOctetString(fields, "uniqueId"));
  ZTM_ASSIGN_OR_RETURN(description.software_enforced,
                       ParseAuthorizationList(fields, "softwareEnforced"));
  ZTM_ASSIGN_OR_RETURN(description.hardware_enforced,
                       ParseAuthorizationList(fields, "hardwareEnforced"));
  ZTM_RETURN_IF_ERROR(ExpectEnd(fields, "KeyDescription"));
  return description;
}

}  // namespace ztm::server::android
