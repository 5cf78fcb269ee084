// Tests for the android-key verifier: Google's real attestation chains (testdata/
// android-key-attestation, parametrised over cases.json) and synthetic chains under a test root
// for each policy rejection.
#include "server/attestation/android_key.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "core/crypto/keys.h"
#include "core/encoding.h"
#include "core/jose/jwk.h"
#include "server/attestation/android_key_testing.h"
#include "testdata.h"

namespace ztm::server {
namespace {

using android::SecurityLevel;
using namespace android::testing;  // NOLINT: test helpers

constexpr char kDir[] = "android-key-attestation/";

std::int64_t ParseTime(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return static_cast<std::int64_t>(timegm(&tm));
}

std::vector<Bytes> ReadPemChain(const std::string& relative) {
  const std::string pem = ztm::testing::ReadTestdata(kDir + relative);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  std::vector<Bytes> chain;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    chain.push_back(CertificateDer(cert));
    X509_free(cert);
  }
  ERR_clear_error();
  BIO_free(bio);
  return chain;
}

std::string GoogleRoots() {
  return ztm::testing::ReadTestdata(std::string(kDir) +
                                    "roots/google-root-rsa4096-f92009e853b6b045-2022-2042.pem") +
         ztm::testing::ReadTestdata(std::string(kDir) +
                                    "roots/google-root-ecp384-key-attestation-ca1-2025-2035.pem");
}

// The leaf's key as a JWK when ztm can hold it (EC P-256), else a fresh unrelated key.
jose::Jwk LeafJwk(const Bytes& leaf_der) {
  const unsigned char* p = leaf_der.data();
  X509* leaf = d2i_X509(nullptr, &p, static_cast<long>(leaf_der.size()));
  auto key = crypto::PublicKey::FromEvp(X509_get0_pubkey(leaf));
  X509_free(leaf);
  ERR_clear_error();
  if (key.ok()) return jose::Jwk::FromPublicKey(*key);
  return jose::Jwk::FromPublicKey(
      crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value().public_key());
}

struct RealCase {
  std::string id;
  std::vector<Bytes> chain;
  std::int64_t now = 0;
  std::string challenge;
  bool expect_accept = false;
  std::string expected_reason;  // a fragment of the rejection message, for rejected chains
  AndroidKeyOptions options;
};

std::vector<RealCase> LoadCases() {
  const boost::json::value cases =
      boost::json::parse(ztm::testing::ReadTestdata(std::string(kDir) + "cases.json"));
  std::vector<RealCase> out;
  for (const boost::json::value& entry : cases.at("cases").as_array()) {
    const boost::json::object& c = entry.as_object();
    if (!c.contains("verdict_strict_production_policy")) continue;  // parse-only cases
    RealCase real;
    real.id = std::string(c.at("id").as_string());
    if (c.contains("chain_file")) {
      real.chain = ReadPemChain(std::string(c.at("chain_file").as_string()));
    } else {
      for (const auto& file : c.at("chain_files").as_array()) {
        const std::string data = ztm::testing::ReadTestdata(kDir + std::string(file.as_string()));
        if (std::string_view(file.as_string()).ends_with(".der")) {
          real.chain.emplace_back(data.begin(), data.end());
        } else {
          BIO* bio = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
          X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
          real.chain.push_back(CertificateDer(cert));
          X509_free(cert);
          BIO_free(bio);
        }
      }
    }
    if (c.contains("creation_date_time")) {
      real.now = ParseTime(std::string(c.at("creation_date_time").as_string()));
    } else {  // no creation time recorded: one day after the newest certificate's notBefore
      for (const auto& cert : c.at("certs").as_array()) {
        real.now = std::max(real.now, ParseTime(std::string(cert.at("not_before").as_string())));
      }
      real.now += 86400;
    }
    if (c.contains("challenge_b64")) {
      real.challenge =
          std::string(AsString(*Base64Decode(std::string(c.at("challenge_b64").as_string()))));
    } else {
      real.challenge = std::string(c.at("challenge_utf8").as_string());
    }
    real.expect_accept = std::string_view(c.at("verdict_strict_production_policy").as_string())
                             .starts_with("accept");
    const std::string_view verdict = c.at("verdict_strict_production_policy").as_string();
    if (verdict.find("root not in roots.json") != std::string_view::npos ||
        verdict.find("not a Google hardware attestation root") != std::string_view::npos) {
      real.expected_reason = "configured root";
    } else if (c.contains("leaf_key") && c.at("leaf_key").as_string() == "MLDSA65") {
      // OpenSSL 3.0 cannot decode an ML-DSA-65 leaf key, so path validation fails first.
      real.expected_reason = "certificate chain rejected";
    } else if (verdict.find("verifiedBootState") != std::string_view::npos) {
      real.expected_reason = "verifiedBootState";
    }
    real.options.roots_pem = GoogleRoots();
    real.options.required_security_level = SecurityLevel::kTrustedEnvironment;
    real.options.package_name = "android";
    real.options.signing_cert_digests = {std::string(64, '0')};
    if (c.contains("attestation_application_id")) {
      const auto& id = c.at("attestation_application_id").as_object();
      real.options.package_name =
          std::string(id.at("packages").as_array()[0].at("name").as_string());
      real.options.signing_cert_digests.clear();
      for (const auto& sig : id.at("signatures").as_array()) {
        real.options.signing_cert_digests.push_back(
            HexEncode(*Base64Decode(std::string(sig.as_string()))));
      }
      if (real.options.signing_cert_digests.empty()) {
        real.options.signing_cert_digests = {std::string(64, '0')};
      }
    }
    out.push_back(std::move(real));
  }
  return out;
}

const std::vector<RealCase>& Cases() {
  static const std::vector<RealCase> cases = LoadCases();
  return cases;
}

const RealCase& CaseById(const std::string& id) {
  for (const RealCase& c : Cases()) {
    if (c.id == id) return c;
  }
  ADD_FAILURE() << "no case " << id;
  return Cases().front();
}

// Chains Google's verifier accepts but a plain RFC 5280 validation rejects: the Sony chain's
// intermediates and root certificate expired before its creationDateTime; Google skips expiry
// for factory-provisioned chains, ztm does not (fail closed).
bool Rfc5280Divergence(const std::string& id) {
  return id == "android-keyattestation/sony-xperia10-iii/sdk33/TEE_EC";
}

Result<AttestedDevice> VerifyCase(const RealCase& c, const AndroidKeyOptions& options,
                                  const std::vector<Bytes>& chain, std::string_view challenge,
                                  std::int64_t now) {
  auto verifier = AndroidKeyVerifier::Create(options);
  if (!verifier.ok()) return verifier.error();
  return (*verifier)->Verify(Evidence(chain), challenge, LeafJwk(c.chain.front()), now);
}

TEST(AndroidKeyConformance, LoadsCases) { EXPECT_GE(Cases().size(), 25u); }

class AndroidKeyRealChain : public ::testing::TestWithParam<std::size_t> {};

TEST_P(AndroidKeyRealChain, VerdictUnderStrictPolicy) {
  const RealCase& c = Cases().at(GetParam());
  SCOPED_TRACE(c.id);
  ASSERT_GE(c.chain.size(), 2u);
  auto result = VerifyCase(c, c.options, c.chain, c.challenge, c.now);
  if (Rfc5280Divergence(c.id)) {
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("expired"), std::string::npos) << result.error().message;
  } else if (c.expect_accept) {
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->format(), "android-key");
  } else {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.code(), Code::kAttestationInvalid) << result.error().message;
    ASSERT_FALSE(c.expected_reason.empty());
    EXPECT_NE(result.error().message.find(c.expected_reason), std::string::npos)
        << result.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(AndroidKeyCases, AndroidKeyRealChain,
                         ::testing::Range<std::size_t>(0,
                                                       std::max<std::size_t>(Cases().size(), 1)));

constexpr char kAcceptedTee[] = "android-keyattestation/caiman/sdk36/TEE_EC_RKP";

TEST(AndroidKeyRealChainMutations, AcceptedChainBaseline) {
  const RealCase& c = CaseById(kAcceptedTee);
  auto result = VerifyCase(c, c.options, c.chain, c.challenge, c.now);
  ASSERT_TRUE(result.ok()) << result.error().message;
}

TEST(AndroidKeyRealChainMutations, EverySingleByteChangeInTheLeafIsRejected) {
  const RealCase& c = CaseById(kAcceptedTee);
  auto verifier = AndroidKeyVerifier::Create(c.options);
  ASSERT_TRUE(verifier.ok());
  const jose::Jwk key = LeafJwk(c.chain.front());
  for (std::size_t i = 0; i < c.chain.front().size(); ++i) {
    std::vector<Bytes> chain = c.chain;
    chain.front()[i] ^= 0x01;
    auto result = (*verifier)->Verify(Evidence(chain), c.challenge, key, c.now);
    EXPECT_FALSE(result.ok()) << "byte " << i;
  }
}

TEST(AndroidKeyRealChainMutations, DifferentRootIsRejected) {
  const RealCase& c = CaseById(kAcceptedTee);  // ends in the RSA root
  AndroidKeyOptions options = c.options;
  options.roots_pem = ztm::testing::ReadTestdata(
      std::string(kDir) + "roots/google-root-ecp384-key-attestation-ca1-2025-2035.pem");
  auto result = VerifyCase(c, options, c.chain, c.challenge, c.now);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("configured root"), std::string::npos);
}

TEST(AndroidKeyRealChainMutations, AfterIntermediateExpiryIsRejected) {
  const RealCase& c = CaseById(kAcceptedTee);
  // The RKP intermediates live about 10 weeks; a year later they have expired.
  auto result = VerifyCase(c, c.options, c.chain, c.challenge, c.now + 365 * 86400);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("expired"), std::string::npos) << result.error().message;
}

TEST(AndroidKeyRealChainMutations, AfterLeafExpiryIsRejected) {
  const RealCase& c = CaseById(kAcceptedTee);
  // The leaf's notAfter is 2048-01-01 (set by the device).
  auto result = VerifyCase(c, c.options, c.chain, c.challenge, ParseTime("2048-01-02T00:00:00Z"));
  ASSERT_FALSE(result.ok());
}

TEST(AndroidKeyRealChainMutations, BeforeChainValidityIsRejected) {
  const RealCase& c = CaseById(kAcceptedTee);
  auto result = VerifyCase(c, c.options, c.chain, c.challenge, c.now - 365 * 86400);
  ASSERT_FALSE(result.ok());
}

TEST(AndroidKeyRealChainMutations, WrongChallengeIsRejected) {
  const RealCase& c = CaseById(kAcceptedTee);
  auto result = VerifyCase(c, c.options, c.chain, "another-challenge", c.now);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("challenge"), std::string::npos);
}

TEST(AndroidKeyRealChainMutations, OtherClaimedKeyIsKeyMismatch) {
  const RealCase& c = CaseById(kAcceptedTee);
  auto verifier = AndroidKeyVerifier::Create(c.options);
  ASSERT_TRUE(verifier.ok());
  const jose::Jwk other = jose::Jwk::FromPublicKey(
      crypto::PrivateKey::Generate(crypto::KeyType::kEcP256).value().public_key());
  auto result = (*verifier)->Verify(Evidence(c.chain), c.challenge, other, c.now);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), Code::kAttestationKeyMismatch);
}

TEST(AndroidKeyRealChainMutations, RevokedIntermediateIsRejected) {
  const RealCase& c = CaseById(kAcceptedTee);
  const unsigned char* p = c.chain[1].data();
  X509* intermediate = d2i_X509(nullptr, &p, static_cast<long>(c.chain[1].size()));
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(intermediate), nullptr);
  char* hex = BN_bn2hex(bn);
  AndroidKeyOptions options = c.options;
  options.revoked_serials = {hex};
  OPENSSL_free(hex);
  BN_free(bn);
  X509_free(intermediate);
  auto result = VerifyCase(c, options, c.chain, c.challenge, c.now);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("revoked"), std::string::npos);
}

TEST(AndroidKeyRealChainMutations, MissingOrReorderedCertificatesAreRejected) {
  const RealCase& c = CaseById(kAcceptedTee);
  std::vector<Bytes> without_intermediate = c.chain;
  without_intermediate.erase(without_intermediate.begin() + 1);
  EXPECT_FALSE(VerifyCase(c, c.options, without_intermediate, c.challenge, c.now).ok());
  std::vector<Bytes> swapped = c.chain;
  std::swap(swapped[1], swapped[2]);
  EXPECT_FALSE(VerifyCase(c, c.options, swapped, c.challenge, c.now).ok());
  std::vector<Bytes> duplicated = c.chain;
  duplicated.insert(duplicated.begin() + 1, c.chain[1]);
  EXPECT_FALSE(VerifyCase(c, c.options, duplicated, c.challenge, c.now).ok());
}

TEST(AndroidKeyRealChainMutations, ModifiedLeafWithUnorderedTagsIsRejected) {
  const std::vector<Bytes> chain =
      ReadPemChain("android-keyattestation/invalid/tags_not_in_ascending_order.pem");
  ASSERT_EQ(chain.size(), 4u);
  AndroidKeyOptions options = Cases().front().options;
  auto verifier = AndroidKeyVerifier::Create(options);
  ASSERT_TRUE(verifier.ok());
  for (std::int64_t now : {ParseTime("2024-06-01T00:00:00Z"), ParseTime("2026-11-24T00:00:00Z")}) {
    EXPECT_FALSE(
        (*verifier)->Verify(Evidence(chain), "challenge", LeafJwk(chain.front()), now).ok());
  }
}

TEST(AndroidKeyRealChainMutations, Sha384IntermediateChainValidatesUnderItsOwnRoot) {
  // Google's synthetic P-256 chain whose intermediate signs with ecdsa-with-SHA384: the path
  // validates; the failure comes later, from its placeholder (non-KeyDescription) extension.
  const std::vector<Bytes> chain =
      ReadPemChain("android-keyattestation/p256_sha384_intermediate.pem");
  ASSERT_EQ(chain.size(), 3u);
  AndroidKeyOptions options = Cases().front().options;
  const unsigned char* p = chain.back().data();
  X509* root = d2i_X509(nullptr, &p, static_cast<long>(chain.back().size()));
  options.roots_pem = CertificatePem(root);
  X509_free(root);
  auto verifier = AndroidKeyVerifier::Create(options);
  ASSERT_TRUE(verifier.ok());
  auto result = (*verifier)->Verify(Evidence(chain), "challenge", LeafJwk(chain.front()),
                                    ParseTime("2025-01-01T00:00:00Z"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("android key description"), std::string::npos)
      << result.error().message;
}

TEST(AndroidKeyStatusList, ParsesGoogleFormat) {
  auto serials = ParseRevocationStatusList(
      ztm::testing::ReadTestdata(std::string(kDir) + "google-android-key-attestation/status.json"));
  ASSERT_TRUE(serials.ok()) << serials.error().message;
  EXPECT_EQ(serials->count("cc66e9a93713b6e643b26c15879786f7"), 1u);
  EXPECT_FALSE(ParseRevocationStatusList("{\"entries\": []}").ok());
  EXPECT_FALSE(ParseRevocationStatusList("{\"entries\": {\"xyz\": {}}}").ok());
}

// Synthetic chains: a test root standing in for Google's, a leaf carrying a KeyDescription.
class AndroidKeySynthetic : public ::testing::Test {
 protected:
  static constexpr std::int64_t kNow = 1735689600;  // 2025-01-01

  AndroidKeySynthetic()
      : root_key_(NewP256Key()),
        leaf_key_(NewP256Key()),
        root_(MakeCertificate(root_key_.get(), "Test Root", nullptr, nullptr, kNow - 86400,
                              kNow + 86400 * 365, true, {}, 1)) {}

  AndroidKeyOptions Options() const {
    AndroidKeyOptions options;
    options.roots_pem = CertificatePem(root_.get());
    options.package_name = "com.example.app";
    options.signing_cert_digests = {HexEncode(Bytes(32, 0xab))};
    options.min_os_patch_level = 202401;
    return options;
  }

  jose::Jwk LeafKey() const {
    return jose::Jwk::FromPublicKey(crypto::PublicKey::FromEvp(leaf_key_.get()).value());
  }

  Result<AttestedDevice> Run(const KeyDescriptionSpec& spec, const AndroidKeyOptions& options) {
    CertPtr leaf =
        MakeCertificate(leaf_key_.get(), "Android Keystore Key", root_.get(), root_key_.get(), 0,
                        kNow + 86400 * 365, false, BuildKeyDescription(spec), 2);
    auto verifier = AndroidKeyVerifier::Create(options);
    EXPECT_TRUE(verifier.ok()) << verifier.error().message;
    return (*verifier)->Verify(Evidence({CertificateDer(leaf.get()), CertificateDer(root_.get())}),
                               spec.challenge, LeafKey(), kNow);
  }

  KeyPtr root_key_;
  KeyPtr leaf_key_;
  CertPtr root_;
};

TEST_F(AndroidKeySynthetic, ValidAttestationIsAccepted) {
  auto result = Run(KeyDescriptionSpec{}, Options());
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->public_key().Thumbprint(), LeafKey().Thumbprint());
}

TEST_F(AndroidKeySynthetic, SoftwareSecurityLevelUnderTeePolicyIsRejected) {
  KeyDescriptionSpec spec;
  spec.security_level = 0;
  auto result = Run(spec, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("security level"), std::string::npos);
}

TEST_F(AndroidKeySynthetic, TeeUnderStrongBoxPolicyIsRejected) {
  AndroidKeyOptions options = Options();
  options.required_security_level = SecurityLevel::kStrongBox;
  EXPECT_FALSE(Run(KeyDescriptionSpec{}, options).ok());
  KeyDescriptionSpec strongbox;
  strongbox.security_level = 2;
  EXPECT_TRUE(Run(strongbox, options).ok());
}

TEST_F(AndroidKeySynthetic, UnlockedBootloaderIsRejected) {
  KeyDescriptionSpec spec;
  spec.device_locked = false;
  auto result = Run(spec, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("unlocked"), std::string::npos);
}

TEST_F(AndroidKeySynthetic, UnverifiedBootIsRejected) {
  KeyDescriptionSpec spec;
  spec.verified_boot_state = 2;
  auto result = Run(spec, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("verifiedBootState"), std::string::npos);
}

TEST_F(AndroidKeySynthetic, WrongPackageIsRejected) {
  KeyDescriptionSpec spec;
  spec.package_name = "com.attacker.app";
  auto result = Run(spec, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("package"), std::string::npos);
}

TEST_F(AndroidKeySynthetic, WrongSignerDigestIsRejected) {
  KeyDescriptionSpec spec;
  spec.signing_digest = Bytes(32, 0xcd);
  auto result = Run(spec, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("signing certificate"), std::string::npos);
}

TEST_F(AndroidKeySynthetic, OldPatchLevelIsRejected) {
  KeyDescriptionSpec spec;
  spec.os_patch_level = 202312;
  auto result = Run(spec, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("osPatchLevel"), std::string::npos);
}

TEST_F(AndroidKeySynthetic, OptionsAreValidated) {
  AndroidKeyOptions options = Options();
  options.required_security_level = SecurityLevel::kSoftware;
  EXPECT_EQ(AndroidKeyVerifier::Create(options).code(), Code::kInvalidArgument);
  options = Options();
  options.roots_pem = "";
  EXPECT_EQ(AndroidKeyVerifier::Create(options).code(), Code::kInvalidArgument);
  options = Options();
  options.package_name = "";
  EXPECT_EQ(AndroidKeyVerifier::Create(options).code(), Code::kInvalidArgument);
  options = Options();
  options.signing_cert_digests = {"abcd"};
  EXPECT_EQ(AndroidKeyVerifier::Create(options).code(), Code::kInvalidArgument);
}

TEST_F(AndroidKeySynthetic, OnlyTheLeafIssuerMayBeANonCa) {
  // Factory chains: the attestation key certificate (depth 1) is CA:FALSE yet signs the leaf.
  KeyPtr attestation_key = NewP256Key();
  CertPtr attestation = MakeCertificate(attestation_key.get(), "Attestation Key", root_.get(),
                                        root_key_.get(), kNow - 3600, kNow + 3600, false, {}, 3);
  CertPtr leaf = MakeCertificate(leaf_key_.get(), "Android Keystore Key", attestation.get(),
                                 attestation_key.get(), 0, kNow + 3600, false,
                                 BuildKeyDescription(KeyDescriptionSpec{}), 4);
  auto verifier = AndroidKeyVerifier::Create(Options());
  ASSERT_TRUE(verifier.ok());
  auto accepted =
      (*verifier)->Verify(Evidence({CertificateDer(leaf.get()), CertificateDer(attestation.get()),
                                    CertificateDer(root_.get())}),
                          "server-challenge", LeafKey(), kNow);
  EXPECT_TRUE(accepted.ok()) << accepted.error().message;

  // A non-CA one level higher may not issue certificates.
  KeyPtr middle_key = NewP256Key();
  CertPtr middle = MakeCertificate(middle_key.get(), "Not A CA", root_.get(), root_key_.get(),
                                   kNow - 3600, kNow + 3600, false, {}, 5);
  CertPtr attestation2 = MakeCertificate(attestation_key.get(), "Attestation Key", middle.get(),
                                         middle_key.get(), kNow - 3600, kNow + 3600, true, {}, 6);
  CertPtr leaf2 = MakeCertificate(leaf_key_.get(), "Android Keystore Key", attestation2.get(),
                                  attestation_key.get(), 0, kNow + 3600, false,
                                  BuildKeyDescription(KeyDescriptionSpec{}), 7);
  auto rejected =
      (*verifier)->Verify(Evidence({CertificateDer(leaf2.get()), CertificateDer(attestation2.get()),
                                    CertificateDer(middle.get()), CertificateDer(root_.get())}),
                          "server-challenge", LeafKey(), kNow);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.error().message.find("CA"), std::string::npos) << rejected.error().message;
}

TEST_F(AndroidKeySynthetic, SelfSignatureOfTheAnchorIsChecked) {
  // A certificate carrying the root's key but not signed by it (its dates could be forged).
  KeyPtr other = NewP256Key();
  CertPtr fake_root = MakeCertificate(root_key_.get(), "Test Root", nullptr, nullptr, kNow - 86400,
                                      kNow + 86400, true, {}, 1);
  X509_sign(fake_root.get(), other.get(), EVP_sha256());
  CertPtr leaf =
      MakeCertificate(leaf_key_.get(), "Android Keystore Key", fake_root.get(), root_key_.get(), 0,
                      kNow + 3600, false, BuildKeyDescription(KeyDescriptionSpec{}), 2);
  auto verifier = AndroidKeyVerifier::Create(Options());
  ASSERT_TRUE(verifier.ok());
  auto result =
      (*verifier)->Verify(Evidence({CertificateDer(leaf.get()), CertificateDer(fake_root.get())}),
                          "server-challenge", LeafKey(), kNow);
  EXPECT_FALSE(result.ok());
}

TEST_F(AndroidKeySynthetic, MalformedEvidenceIsRejected) {
  auto verifier = AndroidKeyVerifier::Create(Options());
  ASSERT_TRUE(verifier.ok());
  for (const char* evidence :
       {"", "[]", "{}", "{\"x5c\": \"abc\"}", "{\"x5c\": []}", "{\"x5c\": [1, 2]}",
        "{\"x5c\": [\"!!\", \"AA==\"]}", "{\"x5c\": [\"AA==\", \"AA==\"]}"}) {
    auto result = (*verifier)->Verify(evidence, "server-challenge", LeafKey(), kNow);
    ASSERT_FALSE(result.ok()) << evidence;
    EXPECT_EQ(result.code(), Code::kAttestationInvalid);
  }
}

}  // namespace
}  // namespace ztm::server
