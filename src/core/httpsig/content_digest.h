// Content-Digest (RFC 9530 §2): the field that binds a message's content to its headers, so a
// signature that covers Content-Digest covers the body too, once the body is checked against
// it (HttpSigVerifier does so for every covered content-digest component). Creates the field
// value for a body and checks a received one.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/crypto/crypto.h"

#include "core/bytes.h"
#include "core/error.h"
#include "core/httpsig/http_message.h"

namespace ztm::httpsig {

// The digest algorithms ztm computes and checks: RFC 9530 §5's two "Active" ones. The
// "Deprecated" ones (md5, sha, unixsum, unixcksum, adler, crc32c) are not collision resistant
// and are treated like unknown algorithms: ignored.
enum class DigestAlgorithm { kSha256, kSha512 };

// The Dictionary key of `algorithm`: "sha-256" or "sha-512".
std::string_view DigestAlgorithmKey(DigestAlgorithm algorithm);

// Returns the Content-Digest field value for `body`, one member per algorithm in the given
// order, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:` for `{"hello": "world"}`.
// Fails with kInvalidArgument for an empty or repeated algorithm list.
Result<std::string> ContentDigest(ByteView body,
                                  std::initializer_list<DigestAlgorithm> algorithms = {
                                      DigestAlgorithm::kSha256});

// Checks a Content-Digest field value (repeated lines already combined with ", ") against
// `body`. The value must parse as a Dictionary without repeated keys; members with unknown or
// deprecated algorithm keys are ignored; at least one of sha-256 / sha-512 must be present,
// and every one present must be a Byte Sequence equal (compared in constant time) to the
// digest of `body`. Fails with kDigestMissing (empty value), kDigestMalformed (not a
// Dictionary, a key repeated, or a sha-256 / sha-512 member that is not a Byte Sequence),
// kDigestUnsupportedAlgorithm (no sha-256 or sha-512 member) or kDigestMismatch.
Status VerifyContentDigest(std::string_view field_value, ByteView body);

// Checks a body that arrives in pieces against a Content-Digest field value, with the rules
// and errors of VerifyContentDigest: Create() fails as it does for a value that is malformed
// or names no sha-256 / sha-512 member, Finish() with kDigestMismatch. A proxy forwards all
// but the body's last piece while it hashes, and lets the last one go only once Finish()
// succeeded, so the upstream never receives a whole body that does not match.
class ContentDigestChecker {
 public:
  static Result<ContentDigestChecker> Create(std::string_view field_value);

  void Update(ByteView chunk);
  // Compares every member's digest with the bytes given to Update(); spends the checker.
  Status Finish();

 private:
  struct Member {
    std::string key;
    Bytes expected;
    crypto::Hasher hasher;
  };
  explicit ContentDigestChecker(std::vector<Member> members) : members_(std::move(members)) {}

  std::vector<Member> members_;
};

// Reads the Content-Digest lines of `fields` and checks them against `body` as above. Fails
// with kDigestMissing when the message has no Content-Digest field.
Status VerifyContentDigest(const HttpFields& fields, ByteView body);

}  // namespace ztm::httpsig
