// The attestation callback as a ztm::AttestationProvider, without a gateway: what the callback
// receives, ztm_attestation_set's checks, the mapping of its status back to a Code, a callback
// breaking its contract (no evidence, an exception), and the single release of its ctx.
#include "client/c_api/callback_attestation_provider.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "client/c_api/status_map.h"
#include "core/error.h"

namespace ztm::client {
namespace {

// What a test callback answers and what it saw; the callbacks' ctx.
struct Behaviour {
  ztm_status result = ZTM_OK;
  const char* format = "apple-appattest";
  std::string evidence = "bzJmbWN0Z2FwcGxlLWFwcGF0dGVzdA";
  bool set_evidence = true;
  bool set_twice = false;
  bool throws = false;
  std::string seen_challenge;
  std::string seen_jwk;
  ztm_status second_set = ZTM_OK;
  int calls = 0;
  int released = 0;
};

ztm_status Attest(void* ctx, const char* challenge, const char* public_jwk_json,
                  ztm_attestation_out* out) {
  auto& behaviour = *static_cast<Behaviour*>(ctx);
  ++behaviour.calls;
  behaviour.seen_challenge = challenge;
  behaviour.seen_jwk = public_jwk_json;
  if (behaviour.throws) throw std::runtime_error("C++ behind the C callback");
  if (behaviour.set_evidence) {
    const ztm_status set = ztm_attestation_set(out, behaviour.format, behaviour.evidence.data(),
                                               behaviour.evidence.size());
    if (set != ZTM_OK) return set;
  }
  if (behaviour.set_twice) {
    behaviour.second_set = ztm_attestation_set(out, "android-key", "x", 1);
  }
  return behaviour.result;
}

void Release(void* ctx) { ++static_cast<Behaviour*>(ctx)->released; }

constexpr std::string_view kChallenge = "XP_eo5JbtBVZ_v4vjOzh4X5RVsvs9zhjUP6JjexfpZQ";
constexpr std::string_view kJwk = R"({"crv":"P-256","kty":"EC","x":"a","y":"b"})";

TEST(CallbackAttestationProvider, PassesTheChallengeAndKeyAndReturnsTheEvidence) {
  Behaviour behaviour;
  {
    AttestationProvider provider = MakeCallbackAttestationProvider(Attest, &behaviour, Release);
    auto evidence = provider(kChallenge, kJwk);
    ASSERT_TRUE(evidence.ok()) << evidence.error().message;
    EXPECT_EQ(evidence->format, "apple-appattest");
    EXPECT_EQ(evidence->evidence, behaviour.evidence);
    EXPECT_EQ(behaviour.seen_challenge, kChallenge);
    EXPECT_EQ(behaviour.seen_jwk, kJwk);
    EXPECT_EQ(behaviour.released, 0);
  }
  EXPECT_EQ(behaviour.released, 1);
}

TEST(CallbackAttestationProvider, ACallbackStatusFailsWithItsCodeAndAFixedMessage) {
  Behaviour behaviour;
  behaviour.result = ZTM_ERR_USER_PRESENCE_REQUIRED;
  AttestationProvider provider = MakeCallbackAttestationProvider(Attest, &behaviour, Release);
  auto evidence = provider(kChallenge, kJwk);
  ASSERT_FALSE(evidence.ok());
  EXPECT_EQ(evidence.error().code, Code::kUserPresenceRequired);
  EXPECT_EQ(evidence.error().message, "the platform attestation provider failed");

  // Evidence set and then a failure: the failure wins, the evidence is not used.
  behaviour.result = ZTM_ERR_NETWORK;
  evidence = provider(kChallenge, kJwk);
  ASSERT_FALSE(evidence.ok());
  EXPECT_EQ(c_api::StatusOf(evidence.error().code), ZTM_ERR_NETWORK);

  // Statuses with no Code of their own, and a value the enum does not name, are internal
  // failures. (15 is the largest value a ztm_status can hold without unspecified behaviour.)
  for (int status : {int{ZTM_ERR_BUFFER_TOO_SMALL}, int{ZTM_ERR_NOT_FOUND}, 15}) {
    behaviour.result = static_cast<ztm_status>(status);
    evidence = provider(kChallenge, kJwk);
    ASSERT_FALSE(evidence.ok()) << status;
    EXPECT_EQ(evidence.error().code, Code::kInternal) << status;
  }
}

TEST(CallbackAttestationProvider, OkWithoutEvidenceIsRefused) {
  Behaviour behaviour;
  behaviour.set_evidence = false;
  AttestationProvider provider = MakeCallbackAttestationProvider(Attest, &behaviour, nullptr);
  auto evidence = provider(kChallenge, kJwk);
  ASSERT_FALSE(evidence.ok());
  EXPECT_EQ(evidence.error().code, Code::kInvalidArgument);
}

TEST(CallbackAttestationProvider, AnExceptionDoesNotEscape) {
  Behaviour behaviour;
  behaviour.throws = true;
  AttestationProvider provider = MakeCallbackAttestationProvider(Attest, &behaviour, Release);
  auto evidence = provider(kChallenge, kJwk);
  ASSERT_FALSE(evidence.ok());
  EXPECT_EQ(evidence.error().code, Code::kInternal);
}

TEST(CallbackAttestationProvider, EvidenceIsSetOnlyOnce) {
  Behaviour behaviour;
  behaviour.set_twice = true;
  AttestationProvider provider = MakeCallbackAttestationProvider(Attest, &behaviour, nullptr);
  auto evidence = provider(kChallenge, kJwk);
  ASSERT_TRUE(evidence.ok());
  EXPECT_EQ(behaviour.second_set, ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(evidence->format, "apple-appattest");  // the first one stays
}

TEST(CallbackAttestationProvider, SetRefusesMalformedFormatsAndEvidence) {
  const std::string too_long_format(kMaxAttestationFormatBytes + 1, 'a');
  const std::string longest_format(kMaxAttestationFormatBytes, 'a');
  const std::string too_long_evidence(kMaxAttestationEvidenceBytes + 1, 'A');
  const std::string longest_evidence(kMaxAttestationEvidenceBytes, 'A');
  struct Case {
    const char* format;
    std::string evidence;
    bool accepted;
  };
  const Case cases[] = {
      {"android-key", "abc", true},
      {longest_format.c_str(), "abc", true},
      {"play-integrity", longest_evidence, true},
      {"", "abc", false},
      {too_long_format.c_str(), "abc", false},
      {"Apple-AppAttest", "abc", false},  // case matters: the gateway's names are lowercase
      {"apple appattest", "abc", false},
      {"apple_appattest", "abc", false},
      {"android-key", "", false},
      {"android-key", too_long_evidence, false},
      {"android-key", std::string("ab\0c", 4), false},
      {"android-key", "ab c", false},
      {"android-key", "ab\nc", false},
      {"android-key", "ab\xc3\xa9", false},
  };
  for (const Case& test : cases) {
    ztm_attestation_out out;
    const ztm_status status =
        ztm_attestation_set(&out, test.format, test.evidence.data(), test.evidence.size());
    EXPECT_EQ(status == ZTM_OK, test.accepted) << test.format << " " << test.evidence.size();
    EXPECT_EQ(out.set, test.accepted);
    if (!test.accepted) {
      EXPECT_EQ(status, ZTM_ERR_INVALID_ARGUMENT);
      EXPECT_TRUE(out.format.empty());
      EXPECT_TRUE(out.evidence.empty());
    }
  }
  ztm_attestation_out out;
  EXPECT_EQ(ztm_attestation_set(nullptr, "android-key", "abc", 3), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_attestation_set(&out, nullptr, "abc", 3), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_attestation_set(&out, "android-key", nullptr, 3), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_FALSE(out.set);
}

TEST(CallbackAttestationProvider, CopiesShareOneReleaseOfCtx) {
  Behaviour behaviour;
  {
    AttestationProvider provider = MakeCallbackAttestationProvider(Attest, &behaviour, Release);
    AttestationProvider copy = provider;
    provider = nullptr;
    EXPECT_EQ(behaviour.released, 0);
    EXPECT_TRUE(copy(kChallenge, kJwk).ok());
  }
  EXPECT_EQ(behaviour.released, 1);
}

// The app gets back the category its callback returned.
TEST(CallbackAttestationProvider, CodeOfRoundTripsEveryStatusWithACode) {
  for (int i = 1; i <= 14; ++i) {
    const auto status = static_cast<ztm_status>(i);
    if (status == ZTM_ERR_BUFFER_TOO_SMALL || status == ZTM_ERR_NOT_FOUND) continue;
    EXPECT_EQ(c_api::StatusOf(c_api::CodeOf(status)), status) << ztm_status_name(status);
  }
  EXPECT_EQ(c_api::CodeOf(ZTM_OK), Code::kInternal);
  EXPECT_EQ(c_api::CodeOf(ZTM_ERR_BUFFER_TOO_SMALL), Code::kInternal);
  EXPECT_EQ(c_api::CodeOf(ZTM_ERR_NOT_FOUND), Code::kInternal);
  EXPECT_EQ(c_api::CodeOf(static_cast<ztm_status>(15)), Code::kInternal);
}

}  // namespace
}  // namespace ztm::client
