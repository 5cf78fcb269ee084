// RFC 9530 Content-Digest (see content_digest.h).
#include "core/httpsig/content_digest.h"

#include <optional>
#include <vector>

#include "core/crypto/crypto.h"
#include "core/sf/structured_fields.h"

namespace ztm::httpsig {
namespace {

crypto::HashAlgorithm HashFor(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kSha256:
      return crypto::HashAlgorithm::kSha256;
    case DigestAlgorithm::kSha512:
      return crypto::HashAlgorithm::kSha512;
  }
  __builtin_trap();
}

std::optional<DigestAlgorithm> FindAlgorithm(std::string_view key) {
  for (const auto algorithm : {DigestAlgorithm::kSha256, DigestAlgorithm::kSha512}) {
    if (DigestAlgorithmKey(algorithm) == key) return algorithm;
  }
  return std::nullopt;
}

}  // namespace

std::string_view DigestAlgorithmKey(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kSha256:
      return "sha-256";
    case DigestAlgorithm::kSha512:
      return "sha-512";
  }
  __builtin_trap();
}

Result<std::string> ContentDigest(ByteView body,
                                  std::initializer_list<DigestAlgorithm> algorithms) {
  if (algorithms.size() == 0) return Error{Code::kInvalidArgument, "no digest algorithm given"};
  sf::Dictionary dictionary;
  for (const auto algorithm : algorithms) {
    const auto key = std::string(DigestAlgorithmKey(algorithm));
    if (sf::FindMember(dictionary, key) != nullptr) {
      return Error{Code::kInvalidArgument, "digest algorithm " + key + " repeated"};
    }
    dictionary.emplace_back(key, sf::Item{crypto::Hash(HashFor(algorithm), body), {}});
  }
  return sf::SerializeDictionary(dictionary);
}

Result<ContentDigestChecker> ContentDigestChecker::Create(std::string_view field_value) {
  if (field_value.empty()) return Error{Code::kDigestMissing, "Content-Digest is empty"};
  // One digest per algorithm: with "last wins" a repeated sha-256 member would be checked
  // here by its last value while another reader of the field takes the first.
  auto dictionary = sf::ParseDictionary(field_value, sf::DuplicateKeys::kReject);
  if (!dictionary.ok()) {
    if (dictionary.code() == Code::kInputTooLarge) return std::move(dictionary).error();
    return Error{Code::kDigestMalformed,
                 "Content-Digest is not a valid Dictionary of unique algorithms (" +
                     dictionary.error().message + ")"};
  }
  // RFC 9530 §2: each member is one algorithm's digest; unknown algorithms are ignored.
  std::vector<Member> members;
  for (const auto& [key, member] : *dictionary) {
    const auto algorithm = FindAlgorithm(key);
    if (!algorithm) continue;
    const auto* item = std::get_if<sf::Item>(&member);
    const auto* expected = item ? std::get_if<Bytes>(&item->value) : nullptr;
    if (expected == nullptr) {
      return Error{Code::kDigestMalformed, "Content-Digest " + key + " is not a Byte Sequence"};
    }
    members.push_back(Member{key, *expected, crypto::Hasher(HashFor(*algorithm))});
  }
  if (members.empty()) {
    return Error{Code::kDigestUnsupportedAlgorithm,
                 "Content-Digest has no sha-256 or sha-512 member"};
  }
  return ContentDigestChecker(std::move(members));
}

void ContentDigestChecker::Update(ByteView chunk) {
  for (auto& member : members_) member.hasher.Update(chunk);
}

Status ContentDigestChecker::Finish() {
  // Every member is finished (and compared in constant time) even after a mismatch: the
  // time taken does not depend on which one differed.
  Status result = OkStatus();
  for (auto& member : members_) {
    const Bytes actual = member.hasher.Finish();
    if (!ConstantTimeEqual(actual, member.expected) && result.ok()) {
      result =
          Error{Code::kDigestMismatch, "Content-Digest " + member.key + " does not match the body"};
    }
  }
  return result;
}

Status VerifyContentDigest(std::string_view field_value, ByteView body) {
  ZTM_ASSIGN_OR_RETURN(ContentDigestChecker checker, ContentDigestChecker::Create(field_value));
  checker.Update(body);
  return checker.Finish();
}

Status VerifyContentDigest(const HttpFields& fields, ByteView body) {
  const auto lines = fields.Values("content-digest");
  if (lines.empty()) return Error{Code::kDigestMissing, "message has no Content-Digest"};
  std::string combined;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) combined += ", ";
    combined += lines[i];
  }
  return VerifyContentDigest(combined, body);
}

}  // namespace ztm::httpsig
