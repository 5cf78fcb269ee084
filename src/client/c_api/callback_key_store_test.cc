// CallbackKeyStore over a software platform keystore: the KeyStore contract holds through the
// callbacks, and every way a callback can misbehave (wrong lengths, unknown results, a point
// off the curve, a thrown exception) ends in a clean error, never in trusted garbage.
#include "client/c_api/callback_key_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "client/c_api/software_platform_keystore_for_test.h"
#include "client/storage/secure_store.h"
#include "client/storage/storage_test_util.h"
#include "core/crypto/crypto.h"

namespace ztm::client {
namespace {

using ::testing::HasSubstr;
using testing::SoftwarePlatformKeyStore;

class CallbackKeyStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<CallbackKeyStore> Make(const ztm_keystore_callbacks& callbacks) {
    auto store = CallbackKeyStore::Create(callbacks);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::unique_ptr<CallbackKeyStore> Make() { return Make(platform_.Callbacks()); }

  SoftwarePlatformKeyStore platform_;
};

TEST_F(CallbackKeyStoreTest, SignsWithTheKeyWhosePublicHalfItReturns) {
  auto store = Make();
  auto created = store->CreateSigningKey("device", {});
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto public_key = store->SigningPublicKey("device");
  ASSERT_TRUE(public_key.ok());
  EXPECT_EQ(public_key->ToSpkiDer(), created->ToSpkiDer());
  auto signature = store->Sign("device", AsBytes(std::string_view("message")));
  ASSERT_TRUE(signature.ok()) << signature.error().message;
  EXPECT_TRUE(created
                  ->Verify(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw,
                           AsBytes(std::string_view("message")), *signature)
                  .ok());
  EXPECT_EQ(store->CreateSigningKey("device", {}).code(), Code::kKeyExists);
}

TEST_F(CallbackKeyStoreTest, SealsAndOpensWithAssociatedData) {
  auto store = Make();
  ASSERT_TRUE(store->CreateSealingKey("vault", {}).ok());
  const Bytes aad = ToBytes("item name");
  auto sealed = store->Seal("vault", AsBytes(std::string_view("refresh token")), aad);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_EQ(sealed->size(), 13u + ZTM_SEAL_OVERHEAD_BYTES);
  auto opened = store->Open("vault", *sealed, aad);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(AsString(opened->view()), "refresh token");
  // An empty plaintext round-trips too (the callback still gets a real buffer).
  auto empty = store->Seal("vault", {}, aad);
  ASSERT_TRUE(empty.ok());
  auto opened_empty = store->Open("vault", *empty, aad);
  ASSERT_TRUE(opened_empty.ok()) << opened_empty.error().message;
  EXPECT_TRUE(opened_empty->empty());

  Bytes tampered = *sealed;
  tampered.back() ^= 1;
  EXPECT_EQ(store->Open("vault", tampered, aad).code(), Code::kCryptoDecryptFailed);
  EXPECT_EQ(store->Open("vault", *sealed, ToBytes("other item")).code(),
            Code::kCryptoDecryptFailed);
}

TEST_F(CallbackKeyStoreTest, ShortSealedDataFailsWithoutCallingBack) {
  auto store = Make();
  ASSERT_TRUE(store->CreateSealingKey("vault", {}).ok());
  const int before = platform_.calls();
  EXPECT_EQ(store->Open("vault", Bytes(ZTM_SEAL_OVERHEAD_BYTES - 1), {}).code(),
            Code::kCryptoDecryptFailed);
  EXPECT_EQ(platform_.calls(), before);
}

TEST_F(CallbackKeyStoreTest, MapsTheCallbacksResults) {
  auto store = Make();
  ASSERT_TRUE(store->CreateSigningKey("signing", {}).ok());
  ASSERT_TRUE(store->CreateSealingKey("sealing", {}).ok());
  EXPECT_EQ(store->SigningPublicKey("missing").code(), Code::kKeyNotFound);
  EXPECT_EQ(store->Sign("missing", {}).code(), Code::kKeyNotFound);
  EXPECT_EQ(store->Sign("sealing", {}).code(), Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(store->Seal("signing", {}, {}).code(), Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(store->Delete("missing").code(), Code::kKeyNotFound);
  EXPECT_EQ(store->CreateSealingKey("signing", {}).code(), Code::kKeyExists);
  EXPECT_EQ(store->Exists("signing").value(), true);
  ASSERT_TRUE(store->Delete("signing").ok());
  EXPECT_EQ(store->Exists("signing").value(), false);
}

TEST_F(CallbackKeyStoreTest, UserPresenceGateIsReported) {
  auto store = Make();
  ASSERT_TRUE(store->CreateSigningKey("step-up", {.user_presence = true}).ok());
  platform_.set_user_present(false);
  EXPECT_EQ(store->Sign("step-up", {}).code(), Code::kUserPresenceRequired);
  platform_.set_user_present(true);
  EXPECT_TRUE(store->Sign("step-up", {}).ok());
}

TEST_F(CallbackKeyStoreTest, InvalidAliasIsRefusedWithoutCallingBack) {
  auto store = Make();
  for (const char* alias : {"", "../escape", ".hidden", "a/b", "with space"}) {
    EXPECT_EQ(store->CreateSigningKey(alias, {}).code(), Code::kKeyAliasInvalid) << alias;
    EXPECT_EQ(store->Exists(alias).code(), Code::kKeyAliasInvalid) << alias;
  }
  // An embedded NUL would cut the alias short in a C string.
  EXPECT_EQ(store->Sign(std::string_view("dev\0ice", 7), {}).code(), Code::kKeyAliasInvalid);
  EXPECT_EQ(platform_.calls(), 0);
}

TEST_F(CallbackKeyStoreTest, CreateRequiresEveryCallbackAndTakesNoOwnershipOnFailure) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.open = nullptr;
  auto store = CallbackKeyStore::Create(callbacks);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.code(), Code::kInvalidArgument);
  EXPECT_EQ(platform_.released(), 0);
}

TEST_F(CallbackKeyStoreTest, ReleasesTheContextOnceWhenDestroyed) {
  auto store = Make();
  EXPECT_EQ(platform_.released(), 0);
  store.reset();
  EXPECT_EQ(platform_.released(), 1);
}

TEST_F(CallbackKeyStoreTest, ReleaseIsOptional) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.release = nullptr;
  auto store = Make(callbacks);
  store.reset();
  EXPECT_EQ(platform_.released(), 0);
}

// ---- Misbehaving callbacks -------------------------------------------------------------------

void ExpectCallbackFailed(const Error& error, const std::string& detail) {
  EXPECT_EQ(error.code, Code::kKeyStoreCallbackFailed) << error.message;
  EXPECT_THAT(error.message, HasSubstr(detail));
}

TEST_F(CallbackKeyStoreTest, SignatureOfTheWrongLengthIsRefused) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  // A DER signature's length, as a platform API returns it unconverted.
  callbacks.sign = [](void*, const char*, const uint8_t*, size_t, uint8_t* out, size_t capacity,
                      size_t* written) {
    std::memset(out, 0x30, capacity);
    *written = 71;
    return ZTM_KEYSTORE_OK;
  };
  auto store = Make(callbacks);
  auto signature = store->Sign("device", {});
  ASSERT_FALSE(signature.ok());
  ExpectCallbackFailed(signature.error(), "wrote 71 bytes, 64 are due");

  callbacks.sign = [](void*, const char*, const uint8_t*, size_t, uint8_t*, size_t,
                      size_t* written) {
    *written = 63;
    return ZTM_KEYSTORE_OK;
  };
  auto short_store = Make(callbacks);
  ExpectCallbackFailed(short_store->Sign("device", {}).error(), "wrote 63 bytes");
}

TEST_F(CallbackKeyStoreTest, OutputLengthLeftUnsetIsRefused) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.sign = [](void*, const char*, const uint8_t*, size_t, uint8_t*, size_t, size_t*) {
    return ZTM_KEYSTORE_OK;
  };
  auto store = Make(callbacks);
  ExpectCallbackFailed(store->Sign("device", {}).error(), "did not set its length");
}

TEST_F(CallbackKeyStoreTest, PublicKeyOffTheCurveIsRefused) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.signing_public_key = [](void*, const char*, uint8_t* out, size_t capacity,
                                    size_t* written) {
    // 0x04 || X || Y with X = Y = 1: not on P-256.
    std::memset(out, 0, capacity);
    out[0] = 0x04;
    out[32] = 1;
    out[64] = 1;
    *written = capacity;
    return ZTM_KEYSTORE_OK;
  };
  auto store = Make(callbacks);
  ExpectCallbackFailed(store->SigningPublicKey("device").error(), "not a point on P-256");
}

TEST_F(CallbackKeyStoreTest, CompressedOrShortPublicKeyIsRefused) {
  // A genuine key's point, compressed: FromEcPoint would take it, the contract does not.
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  auto genuine = Make();
  ASSERT_TRUE(genuine->CreateSigningKey("device", {}).ok());
  callbacks.signing_public_key = [](void* ctx, const char* alias, uint8_t* out, size_t capacity,
                                    size_t* written) {
    ztm_keystore_result result =
        static_cast<SoftwarePlatformKeyStore*>(ctx)->Callbacks().signing_public_key(
            ctx, alias, out, capacity, written);
    out[0] = static_cast<uint8_t>(0x02 | (out[64] & 1));
    return result;
  };
  auto compressed = Make(callbacks);
  ExpectCallbackFailed(compressed->SigningPublicKey("device").error(),
                       "not an uncompressed SEC1 point");

  callbacks.signing_public_key = [](void* ctx, const char* alias, uint8_t* out, size_t capacity,
                                    size_t* written) {
    ztm_keystore_result result =
        static_cast<SoftwarePlatformKeyStore*>(ctx)->Callbacks().signing_public_key(
            ctx, alias, out, capacity, written);
    *written = 33;
    return result;
  };
  auto short_key = Make(callbacks);
  ExpectCallbackFailed(short_key->SigningPublicKey("device").error(), "wrote 33 bytes, 65");
}

TEST_F(CallbackKeyStoreTest, KeyWithAnUnusablePublicKeyIsNotLeftBehind) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.signing_public_key = [](void*, const char*, uint8_t*, size_t, size_t* written) {
    *written = 0;
    return ZTM_KEYSTORE_OK;
  };
  auto store = Make(callbacks);
  auto created = store->CreateSigningKey("device", {});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.code(), Code::kKeyStoreCallbackFailed);
  EXPECT_FALSE(platform_.Has("device"));
}

TEST_F(CallbackKeyStoreTest, SealOfTheWrongLengthIsRefused) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.seal = [](void*, const char*, const uint8_t*, size_t plaintext_len, const uint8_t*,
                      size_t, uint8_t*, size_t, size_t* written) {
    *written = plaintext_len;  // "encrypted" without nonce and tag
    return ZTM_KEYSTORE_OK;
  };
  auto store = Make(callbacks);
  ExpectCallbackFailed(store->Seal("vault", AsBytes(std::string_view("abc")), {}).error(),
                       "wrote 3 bytes, 31 are due");
}

TEST_F(CallbackKeyStoreTest, OpenOfTheWrongLengthReturnsNoPlaintext) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.open = [](void*, const char*, const uint8_t*, size_t, const uint8_t*, size_t,
                      uint8_t* out, size_t capacity, size_t* written) {
    std::memset(out, 'p', capacity);
    *written = capacity - 1;
    return ZTM_KEYSTORE_OK;
  };
  auto store = Make(callbacks);
  auto opened = store->Open("vault", Bytes(ZTM_SEAL_OVERHEAD_BYTES + 8), {});
  ASSERT_FALSE(opened.ok());
  ExpectCallbackFailed(opened.error(), "wrote 7 bytes, 8 are due");
}

TEST_F(CallbackKeyStoreTest, UnknownOrMisplacedResultsAreRefused) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.create_sealing_key = [](void*, const char*, int) {
    return static_cast<ztm_keystore_result>(7);
  };
  // DECRYPT_FAILED means something only from open.
  callbacks.sign = [](void*, const char*, const uint8_t*, size_t, uint8_t*, size_t, size_t*) {
    return ZTM_KEYSTORE_DECRYPT_FAILED;
  };
  callbacks.delete_key = [](void*, const char*) { return ZTM_KEYSTORE_FAILED; };
  auto store = Make(callbacks);
  ExpectCallbackFailed(store->CreateSealingKey("vault", {}).error(), "unknown result 7");
  ExpectCallbackFailed(store->Sign("device", {}).error(), "answered decrypt_failed");
  ExpectCallbackFailed(store->Delete("device").error(), "delete_key for key device: failed");
}

TEST_F(CallbackKeyStoreTest, ExistsAnswerOtherThanZeroOrOneIsRefused) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.exists = [](void*, const char*, int* exists) {
    *exists = 7;
    return ZTM_KEYSTORE_OK;
  };
  auto store = Make(callbacks);
  ExpectCallbackFailed(store->Exists("device").error(), "answered 7");

  callbacks.exists = [](void*, const char*, int*) { return ZTM_KEYSTORE_OK; };
  auto unset = Make(callbacks);
  ExpectCallbackFailed(unset->Exists("device").error(), "answered -1");
}

TEST_F(CallbackKeyStoreTest, ThrowingCallbackBecomesAnError) {
  ztm_keystore_callbacks callbacks = platform_.Callbacks();
  callbacks.sign = [](void*, const char*, const uint8_t*, size_t, uint8_t*, size_t,
                      size_t*) -> ztm_keystore_result { throw std::runtime_error("boom"); };
  auto store = Make(callbacks);
  ExpectCallbackFailed(store->Sign("device", {}).error(), "threw an exception");
}

// The SecureStore runs unchanged on a platform keystore: its items are sealed by the callbacks.
TEST_F(CallbackKeyStoreTest, SecureStoreWorksOverCallbacks) {
  testing::TemporaryDirectory directory;
  std::shared_ptr<KeyStore> keys = Make();
  auto secure = SecureStore::Open(directory.Sub("secure"), keys);
  ASSERT_TRUE(secure.ok()) << secure.error().message;
  ASSERT_TRUE((*secure)->Put("refresh-token", AsBytes(std::string_view("rt-123"))).ok());
  auto got = (*secure)->Get("refresh-token");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(AsString(got->view()), "rt-123");
  EXPECT_TRUE(platform_.Has(std::string(kDefaultSecureStoreKeyAlias)));
}

}  // namespace
}  // namespace ztm::client
