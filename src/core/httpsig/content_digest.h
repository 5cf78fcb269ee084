// Content-Digest (RFC 9530 §2): the field that binds a message's content to its headers, so a
// signature that covers Content-Digest covers the body too, once the body is checked against
// it (HttpSigVerifier does so for every covered content-digest component). Creates the field
// value for a body and checks a received one.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

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

// Reads the Content-Digest lines of `fields` and checks them against `body` as above. Fails
// with kDigestMissing when the message has no Content-Digest field.
Status VerifyContentDigest(const HttpFields& fields, ByteView body);

}  // namespace ztm::httpsig
