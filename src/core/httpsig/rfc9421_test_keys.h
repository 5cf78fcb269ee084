// RFC 9421 Appendix B.1 test keys (testdata/http-message-signatures/keys/), loaded for the
// httpsig tests. Test-only: included by *_test.cc files, which have tests/ on their include path.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/encoding.h"
#include "core/httpsig/message_signature.h"
#include "testdata.h"

namespace ztm::httpsig::test_keys {

using ::ztm::testing::ReadTestdata;

// created=1618884473 in every RFC example (2021-04-20T02:07:53Z).
inline constexpr std::int64_t kRfcCreated = 1618884473;

inline crypto::PublicKey PublicKeyFor(const std::string& keyid) {
  auto key =
      crypto::PublicKey::FromPem(ReadTestdata("http-message-signatures/keys/" + keyid + ".pem"));
  if (!key.ok()) {
    ADD_FAILURE() << keyid << ": " << key.error().message;
    std::abort();
  }
  return std::move(key).value();
}

inline crypto::PrivateKey PrivateKeyFor(const std::string& keyid) {
  auto key =
      crypto::PrivateKey::FromPem(ReadTestdata("http-message-signatures/keys/" + keyid + ".key"));
  if (!key.ok()) {
    ADD_FAILURE() << keyid << ": " << key.error().message;
    std::abort();
  }
  return std::move(key).value();
}

// test-shared-secret.txt is the base64 of the 64-byte key, with a CRLF line ending.
inline Secret SharedSecret() {
  std::string text = ReadTestdata("http-message-signatures/keys/test-shared-secret.txt");
  text.erase(
      std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }),
      text.end());
  auto bytes = Base64Decode(text);
  EXPECT_TRUE(bytes.ok());
  return Secret(std::move(bytes).value());
}

inline HttpSigVerifierOptions RfcOptions(const Clock* clock) {
  HttpSigVerifierOptions options;
  options.allow_no_required_components = true;
  options.clock = clock;
  return options;
}

inline Result<HttpSigVerifier> VerifierFor(HttpSigAlgorithm algorithm, const std::string& keyid,
                                           HttpSigVerifierOptions options) {
  if (algorithm == HttpSigAlgorithm::kHmacSha256) {
    return HttpSigVerifier::CreateHmac(SharedSecret(), std::move(options));
  }
  return HttpSigVerifier::Create(algorithm, PublicKeyFor(keyid), std::move(options));
}

inline Result<HttpSigner> SignerFor(HttpSigAlgorithm algorithm, const std::string& keyid) {
  if (algorithm == HttpSigAlgorithm::kHmacSha256) return HttpSigner::CreateHmac(SharedSecret());
  return HttpSigner::Create(algorithm, PrivateKeyFor(keyid));
}

}  // namespace ztm::httpsig::test_keys
