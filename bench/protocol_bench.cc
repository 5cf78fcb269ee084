// Protocol verifiers (JWS, DPoP) next to the raw OpenSSL signature check each one wraps
// (BM_OpenSsl_* in crypto_bench.cc): the ratio is the cost of parsing, claim checks and, for
// DPoP, importing the proof's embedded key.
#include <benchmark/benchmark.h>

#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/dpop/dpop.h"
#include "core/jose/jwk.h"
#include "core/jose/jws.h"

namespace ztm {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

struct JwsFixture {
  jose::JwsVerifier verifier;
  std::string token;
};

JwsFixture MakeJws(crypto::KeyType type, jose::JwsAlgorithm alg) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate(type).value();
  jose::Jwk jwk = jose::Jwk::FromPrivateKey(key);
  boost::json::object header;
  header["typ"] = "at+jwt";
  header["kid"] = "k1";
  std::string payload =
      R"({"iss":"https://gw.example","sub":"user-1","aud":"api","exp":1700000900,)"
      R"("iat":1700000000,"jti":"0123456789abcdef","cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})";
  std::string token = jose::SignCompact(header, AsBytes(payload), jwk, alg).value();
  auto verifier = jose::JwsVerifier::Create({alg}, jose::Jwk::FromPublicKey(key.public_key()));
  return {std::move(verifier).value(), std::move(token)};
}

void BM_Ztm_JwsEs256_Verify(benchmark::State& state) {
  static const JwsFixture f = MakeJws(crypto::KeyType::kEcP256, jose::JwsAlgorithm::kEs256);
  for (auto _ : state) {
    if (!f.verifier.Verify(f.token).ok()) state.SkipWithError("verify failed");
  }
}
BENCHMARK(BM_Ztm_JwsEs256_Verify);

void BM_Ztm_JwsEdDsa_Verify(benchmark::State& state) {
  static const JwsFixture f = MakeJws(crypto::KeyType::kEd25519, jose::JwsAlgorithm::kEdDsa);
  for (auto _ : state) {
    if (!f.verifier.Verify(f.token).ok()) state.SkipWithError("verify failed");
  }
}
BENCHMARK(BM_Ztm_JwsEdDsa_Verify);

// A full RFC 9449 §4.3 check of an ES256 proof with "ath" and a server nonce, as the gateway
// runs it on every request.
void BM_Ztm_DpopEs256_Verify(benchmark::State& state) {
  static const crypto::PrivateKey key =
      crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  static const std::string access_token = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln";
  static const std::string proof = [] {
    dpop::ProofInput input;
    input.htm = "POST";
    input.htu = "https://api.example.com/v1/orders";
    input.iat = kNow;
    input.access_token = access_token;
    input.nonce = "server-nonce-1";
    return dpop::CreateProof(key, input).value();
  }();
  static const dpop::DpopVerifier verifier = [] {
    dpop::DpopPolicy policy;
    policy.require_nonce = true;
    return dpop::DpopVerifier::Create(policy).value();
  }();
  FixedClock clock(kNow);
  // The token's cnf.jkt: a presented access token is always checked against the proof key.
  static const std::string jkt = jose::Jwk::FromPrivateKey(key).Thumbprint();
  dpop::DpopRequestContext context;
  context.access_token = access_token;
  context.expected_nonce = "server-nonce-1";
  context.expected_jkt = jkt;
  for (auto _ : state) {
    auto verified =
        verifier.Verify(proof, "POST", "https://api.example.com/v1/orders?x=1", context, clock);
    if (!verified.ok()) state.SkipWithError(verified.error().message.c_str());
  }
}
BENCHMARK(BM_Ztm_DpopEs256_Verify);

}  // namespace
}  // namespace ztm
