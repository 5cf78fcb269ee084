// libztm's per-request cost: preparing one signed API call (DPoP proof with ath, Content-Digest
// of a 1 KiB JSON body, RFC 9421 signature) with the device key in FileKeyStore (unsealed for
// every signature, or held open by KeyStore::OpenSigningKey) and in memory, next to the raw
// P-256 signing primitive it performs twice, and the SecureStore's small-secret Put/Get.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "client/keystore/file_key_store.h"
#include "client/keystore/kek_source.h"
#include "client/session/request_signer.h"
#include "client/storage/secure_store.h"
#include "core/clock.h"
#include "core/crypto/keys.h"

namespace ztm::client {
namespace {

constexpr char kAlias[] = "ztm.device";
constexpr char kToken[] =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl";

// A private directory with a FileKeyStore (raw KEK: no Argon2 in the measurement), a signing
// key and a SecureStore, removed at exit.
struct Environment {
  Environment() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ztm-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    directory = pattern;
    auto kek = RawKek::Create(Secret(Bytes(kKekBytes, 7))).value();
    auto opened = FileKeyStore::Open(directory + "/keys", std::move(kek)).value();
    file_keys = opened.get();
    keys = std::move(opened);
    if (!keys->CreateSigningKey(kAlias, {}).ok()) std::abort();
    secure = SecureStore::Open(directory + "/secure", keys).value();
  }
  ~Environment() {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
  std::string directory;
  std::shared_ptr<KeyStore> keys;
  FileKeyStore* file_keys = nullptr;
  std::unique_ptr<SecureStore> secure;
};

Environment& Env() {
  static Environment environment;
  return environment;
}

const std::string& JsonBody1KiB() {
  static const std::string body = [] {
    std::string text = R"({"order":{"items":[)";
    while (text.size() < 1000) text += R"({"sku":"BK-0001","quantity":1},)";
    text.back() = ']';
    text += R"(},"note":")";
    text.resize(1022, 'x');
    return text + "\"}";
  }();
  return body;
}

OutgoingRequest ApiCall() {
  return OutgoingRequest{"POST",
                         "https://api.example.com/api/orders",
                         {{"content-type", "application/json"}},
                         JsonBody1KiB()};
}

void PrepareSignedRequest(benchmark::State& state, const RequestSigner& signer) {
  const OutgoingRequest request = ApiCall();
  for (auto _ : state) {
    auto headers = signer.Sign(request, kToken, "server-nonce-1");
    if (!headers.ok()) state.SkipWithError(headers.error().message.c_str());
    benchmark::DoNotOptimize(headers);
  }
}

// The key held in memory by the app: PrivateKeySigner.
void BM_PrepareSignedRequest_InMemoryKey(benchmark::State& state) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  auto signer =
      crypto::PrivateKeySigner::Create(key, crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw)
          .value();
  auto request_signer =
      RequestSigner::Create(std::make_shared<crypto::PrivateKeySigner>(std::move(signer)), "dev-1",
                            SystemClock::Instance())
          .value();
  PrepareSignedRequest(state, *request_signer);
}
BENCHMARK(BM_PrepareSignedRequest_InMemoryKey);

// FileKeyStore, the key unsealed for each of the two signatures (key_hold_seconds = 0).
void BM_PrepareSignedRequest_FileKeyStoreUnsealEach(benchmark::State& state) {
  auto signer = RequestSigner::Create(Env().keys, kAlias, "dev-1", SystemClock::Instance(),
                                      {.key_hold_seconds = 0})
                    .value();
  PrepareSignedRequest(state, *signer);
}
BENCHMARK(BM_PrepareSignedRequest_FileKeyStoreUnsealEach);

// FileKeyStore with the default: the key held open (KeyStore::OpenSigningKey) for 300 s.
void BM_PrepareSignedRequest_FileKeyStoreHeld(benchmark::State& state) {
  auto signer = RequestSigner::Create(Env().keys, kAlias, "dev-1", SystemClock::Instance()).value();
  PrepareSignedRequest(state, *signer);
}
BENCHMARK(BM_PrepareSignedRequest_FileKeyStoreHeld);

// The primitive: EVP_DigestSign (fresh EVP_MD_CTX) with a pre-parsed P-256 key, 256 bytes.
void BM_SignPrimitive(benchmark::State& state) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  auto signer =
      crypto::PrivateKeySigner::Create(key, crypto::SignatureAlgorithm::kEcdsaP256Sha256Der)
          .value();
  // The EVP_PKEY behind the key, reached through its DER form once, outside the loop.
  const Secret der = key.ToPkcs8Der();
  const std::uint8_t* p = der.data();
  EVP_PKEY* pkey = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
  const Bytes message(256, 0x5a);
  unsigned char signature[80];
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t length = sizeof signature;
    int ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
             EVP_DigestSign(ctx, signature, &length, message.data(), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(signature);
  }
  EVP_PKEY_free(pkey);
}
BENCHMARK(BM_SignPrimitive);

// crypto::PrivateKey::Sign, R || S (the DER-to-raw conversion included).
void BM_Ztm_PrivateKeySignRaw(benchmark::State& state) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value();
  const Bytes message(256, 0x5a);
  for (auto _ : state) {
    auto signature = key.Sign(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw, message);
    benchmark::DoNotOptimize(signature);
  }
}
BENCHMARK(BM_Ztm_PrivateKeySignRaw);

// FileKeyStore::Sign: read the key file, AES-256-GCM open, import the scalar, sign.
void BM_FileKeyStoreSign(benchmark::State& state) {
  const Bytes message(256, 0x5a);
  for (auto _ : state) {
    auto signature = Env().keys->Sign(kAlias, message);
    if (!signature.ok()) state.SkipWithError(signature.error().message.c_str());
    benchmark::DoNotOptimize(signature);
  }
}
BENCHMARK(BM_FileKeyStoreSign);

// A key held by FileKeyStore::OpenSigningKey: the sign plus the handle's checks.
void BM_FileKeyStoreHeldKeySign(benchmark::State& state) {
  auto held = Env().keys->OpenSigningKey(kAlias, SystemClock::Instance(), 3600).value();
  const Bytes message(256, 0x5a);
  for (auto _ : state) {
    auto signature = held->Sign(message);
    if (!signature.ok()) state.SkipWithError(signature.error().message.c_str());
    benchmark::DoNotOptimize(signature);
  }
}
BENCHMARK(BM_FileKeyStoreHeldKeySign);

// SecureStore with a 64-byte secret (a refresh-token-sized item is similar): seal under the
// KeyStore's sealing key, write the item atomically (temporary file, fsync, rename).
void BM_SecureStorePut(benchmark::State& state) {
  const Bytes secret(64, 0x42);
  for (auto _ : state) {
    Status stored = Env().secure->Put("bench_secret", secret);
    if (!stored.ok()) state.SkipWithError(stored.error().message.c_str());
  }
}
BENCHMARK(BM_SecureStorePut);

void BM_SecureStoreGet(benchmark::State& state) {
  if (!Env().secure->Put("bench_secret", Bytes(64, 0x42)).ok()) state.SkipWithError("put failed");
  for (auto _ : state) {
    auto value = Env().secure->Get("bench_secret");
    if (!value.ok()) state.SkipWithError(value.error().message.c_str());
    benchmark::DoNotOptimize(value);
  }
}
BENCHMARK(BM_SecureStoreGet);

}  // namespace
}  // namespace ztm::client
