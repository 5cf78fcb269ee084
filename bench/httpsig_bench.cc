// RFC 9421 verification of a request as the gateway checks it (signature base over @method,
// @target-uri, content-digest and authorization, created/nonce/keyid, then the signature),
// next to the raw OpenSSL check it wraps (BM_OpenSsl_* in crypto_bench.cc). Content-Digest
// verification of the body is measured separately: it scales with the body, not the signature.
#include <benchmark/benchmark.h>

#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/httpsig/content_digest.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/signature_base.h"

namespace ztm::httpsig {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

struct Fixture {
  HttpRequest request;
  HttpSigVerifier verifier;
};

Fixture Make(crypto::KeyType type, HttpSigAlgorithm algorithm) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate(type).value();
  HttpRequest request;
  request.method = "POST";
  request.target = "/v1/orders?item=42";
  request.authority = "api.example.com";
  request.body = ToBytes(R"({"item":42,"quantity":1})");
  (void)request.fields.Add("host", "api.example.com");
  (void)request.fields.Add("content-type", "application/json");
  (void)request.fields.Add("authorization", "DPoP eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln");
  (void)request.fields.Add("content-digest",
                           ContentDigest(request.body, {DigestAlgorithm::kSha256}).value());
  SignatureParameters params;
  params.components = {Component("@method"), Component("@target-uri"), Component("content-digest"),
                       Component("authorization")};
  params.created = kNow;
  params.nonce = "b3k2pp5k7z-50gnwp.yemd";
  params.keyid = "device-1";
  HttpSigner signer = HttpSigner::Create(algorithm, key).value();
  SignatureFields fields = signer.Sign(request, "sig1", params).value();
  (void)request.fields.Add("signature-input", fields.signature_input);
  (void)request.fields.Add("signature", fields.signature);

  static const FixedClock clock(kNow);
  HttpSigVerifierOptions options;
  options.required_components = params.components;
  options.require_nonce = true;
  options.clock = &clock;
  HttpSigVerifier verifier = HttpSigVerifier::Create(algorithm, key.public_key(), options).value();
  return {std::move(request), std::move(verifier)};
}

void BM_Ztm_HttpSigEcdsa_Verify(benchmark::State& state) {
  static const Fixture f = Make(crypto::KeyType::kEcP256, HttpSigAlgorithm::kEcdsaP256Sha256);
  for (auto _ : state) {
    auto verified = f.verifier.Verify(f.request);
    if (!verified.ok()) state.SkipWithError(verified.error().message.c_str());
  }
}
BENCHMARK(BM_Ztm_HttpSigEcdsa_Verify);

void BM_Ztm_HttpSigEd25519_Verify(benchmark::State& state) {
  static const Fixture f = Make(crypto::KeyType::kEd25519, HttpSigAlgorithm::kEd25519);
  for (auto _ : state) {
    auto verified = f.verifier.Verify(f.request);
    if (!verified.ok()) state.SkipWithError(verified.error().message.c_str());
  }
}
BENCHMARK(BM_Ztm_HttpSigEd25519_Verify);

void BM_Ztm_ContentDigest_Verify_1KiB(benchmark::State& state) {
  static const Bytes body(1024, 'x');
  static const std::string field = ContentDigest(body, {DigestAlgorithm::kSha256}).value();
  for (auto _ : state) {
    if (!VerifyContentDigest(field, body).ok()) state.SkipWithError("digest failed");
  }
}
BENCHMARK(BM_Ztm_ContentDigest_Verify_1KiB);

}  // namespace
}  // namespace ztm::httpsig
