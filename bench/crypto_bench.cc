// Signature verification through ztm's key objects next to the same OpenSSL EVP calls made
// directly with a pre-parsed EVP_PKEY, so the wrapper's overhead reads as a ratio
// (scripts/bench.sh prints it, with `openssl speed` as the machine's ceiling).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "core/crypto/keys.h"

namespace ztm::crypto {
namespace {

const Bytes& Message() {
  static const Bytes message(256, 0x5a);
  return message;
}

struct Fixture {
  PrivateKey key;
  Bytes signature;
};

Fixture Make(KeyType type, SignatureAlgorithm algorithm) {
  PrivateKey key = PrivateKey::Generate(type).value();
  Bytes signature = key.Sign(algorithm, Message()).value();
  return {key, signature};
}

// The primitive: one EVP_MD_CTX per verification with a key parsed once.
void RawEvpVerify(benchmark::State& state, EVP_PKEY* key, const EVP_MD* md, const Bytes& sig) {
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key);
    int ok = EVP_DigestVerify(ctx, sig.data(), sig.size(), Message().data(), Message().size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("verify failed");
  }
}

void BM_OpenSsl_EcdsaP256Sha256_Verify(benchmark::State& state) {
  static const Fixture f = Make(KeyType::kEcP256, SignatureAlgorithm::kEcdsaP256Sha256Der);
  RawEvpVerify(state, f.key.public_key().get0_evp(), EVP_sha256(), f.signature);
}
BENCHMARK(BM_OpenSsl_EcdsaP256Sha256_Verify);

void BM_Ztm_EcdsaP256Sha256Der_Verify(benchmark::State& state) {
  static const Fixture f = Make(KeyType::kEcP256, SignatureAlgorithm::kEcdsaP256Sha256Der);
  for (auto _ : state) {
    if (!f.key.public_key()
             .Verify(SignatureAlgorithm::kEcdsaP256Sha256Der, Message(), f.signature)
             .ok()) {
      state.SkipWithError("verify failed");
    }
  }
}
BENCHMARK(BM_Ztm_EcdsaP256Sha256Der_Verify);

// ES256 / RFC 9421 ecdsa-p256-sha256 carry R || S, converted to DER before EVP.
void BM_Ztm_Es256Raw_Verify(benchmark::State& state) {
  static const Fixture f = Make(KeyType::kEcP256, SignatureAlgorithm::kEcdsaP256Sha256Raw);
  for (auto _ : state) {
    if (!f.key.public_key()
             .Verify(SignatureAlgorithm::kEcdsaP256Sha256Raw, Message(), f.signature)
             .ok()) {
      state.SkipWithError("verify failed");
    }
  }
}
BENCHMARK(BM_Ztm_Es256Raw_Verify);

void BM_OpenSsl_Ed25519_Verify(benchmark::State& state) {
  static const Fixture f = Make(KeyType::kEd25519, SignatureAlgorithm::kEd25519);
  RawEvpVerify(state, f.key.public_key().get0_evp(), nullptr, f.signature);
}
BENCHMARK(BM_OpenSsl_Ed25519_Verify);

void BM_Ztm_Ed25519_Verify(benchmark::State& state) {
  static const Fixture f = Make(KeyType::kEd25519, SignatureAlgorithm::kEd25519);
  for (auto _ : state) {
    if (!f.key.public_key().Verify(SignatureAlgorithm::kEd25519, Message(), f.signature).ok()) {
      state.SkipWithError("verify failed");
    }
  }
}
BENCHMARK(BM_Ztm_Ed25519_Verify);

// What re-parsing a key per verification would cost (the reason keys are cached objects).
void BM_ParseSpkiThenVerify_Es256(benchmark::State& state) {
  static const Fixture f = Make(KeyType::kEcP256, SignatureAlgorithm::kEcdsaP256Sha256Raw);
  static const Bytes spki = f.key.public_key().ToSpkiDer();
  for (auto _ : state) {
    auto key = PublicKey::FromSpkiDer(spki);
    if (!key.ok() ||
        !key->Verify(SignatureAlgorithm::kEcdsaP256Sha256Raw, Message(), f.signature).ok()) {
      state.SkipWithError("verify failed");
    }
  }
}
BENCHMARK(BM_ParseSpkiThenVerify_Es256);

}  // namespace
}  // namespace ztm::crypto

namespace ztm::crypto {
namespace {

// Importing a DPoP proof's embedded JWK: P-256 point validation and EVP_PKEY construction.
void BM_Ztm_ImportEcCoordinates(benchmark::State& state) {
  static const PrivateKey key = PrivateKey::Generate(KeyType::kEcP256).value();
  static const Bytes x = key.public_key().EcX(), y = key.public_key().EcY();
  for (auto _ : state) {
    auto imported = PublicKey::FromEcCoordinates(x, y);
    if (!imported.ok()) state.SkipWithError("import failed");
  }
}
BENCHMARK(BM_Ztm_ImportEcCoordinates);

}  // namespace
}  // namespace ztm::crypto
