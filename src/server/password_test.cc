// Password hashing: Argon2id encoding, policy bounds, refusal of hostile encoded hashes, the
// concurrency bound, and the unknown-user path costing as much as a real verification.
#include "server/password.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace ztm::server {
namespace {

Secret Password(std::string_view text) { return Secret(AsBytes(text)); }

// One hash shared by the tests that only need some valid hash (each costs ~0.1 s).
const std::string& CorrectHorseHash() {
  static const std::string hash = [] {
    auto hashed = HashPassword(Password("correct horse battery staple"));
    return hashed.ok() ? *hashed : std::string();
  }();
  return hash;
}

TEST(Password, HashIsArgon2idWithTheConfiguredCost) {
  const std::string& hash = CorrectHorseHash();
  ASSERT_FALSE(hash.empty());
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
}

TEST(Password, VerifiesTheRightPasswordOnly) {
  const std::string& hash = CorrectHorseHash();
  EXPECT_TRUE(VerifyPassword(Password("correct horse battery staple"), hash));
  EXPECT_FALSE(VerifyPassword(Password("correct horse battery stapl"), hash));
  EXPECT_FALSE(VerifyPassword(Password("correct horse battery staple "), hash));
}

TEST(Password, SaltsAreFresh) {
  auto again = HashPassword(Password("correct horse battery staple"));
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, CorrectHorseHash());
}

TEST(Password, PolicyBounds) {
  auto short_one = HashPassword(Password("seven77"));
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.code(), Code::kInvalidArgument);
  EXPECT_EQ(short_one.error().message, "password: shorter than 8 characters");
  // Eight characters, more than eight bytes: counted as characters.
  EXPECT_TRUE(CheckPasswordPolicy(Password("p\xC3\xA4ssw\xC3\xB6rd")).ok());
  EXPECT_FALSE(CheckPasswordPolicy(Password("\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4")).ok());
  EXPECT_TRUE(CheckPasswordPolicy(Password(std::string(kMaxPasswordBytes, 'a'))).ok());
  auto long_one = CheckPasswordPolicy(Password(std::string(kMaxPasswordBytes + 1, 'a')));
  ASSERT_FALSE(long_one.ok());
  EXPECT_EQ(long_one.code(), Code::kInputTooLarge);
  auto with_nul = CheckPasswordPolicy(Password(std::string("password\0tail", 13)));
  ASSERT_FALSE(with_nul.ok());
  EXPECT_EQ(with_nul.code(), Code::kInvalidArgument);
}

TEST(Password, OutOfPolicyPasswordsNeverVerify) {
  EXPECT_FALSE(
      VerifyPassword(Password(std::string(kMaxPasswordBytes + 1, 'a')), CorrectHorseHash()));
  EXPECT_FALSE(VerifyPassword(Password(""), CorrectHorseHash()));
}

TEST(Password, RefusesEncodedHashesOutsideTheBounds) {
  const Secret password = Password("correct horse battery staple");
  // Not Argon2id (argon2i, bcrypt, garbage, empty, truncated parameters).
  EXPECT_FALSE(VerifyPassword(password, "$argon2i$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaA"));
  EXPECT_FALSE(VerifyPassword(password, "$2b$12$abcdefghijklmnopqrstuv"));
  EXPECT_FALSE(VerifyPassword(password, ""));
  EXPECT_FALSE(VerifyPassword(password, "$argon2id$v=19$m=65536,t=2"));
  // A planted hash asking for 16 GiB or a thousand passes is refused before any work (a
  // verification with t=1000 would take half a minute; with m=16 GiB, exhaust memory).
  std::string hash = CorrectHorseHash();
  std::string greedy = hash;
  greedy.replace(greedy.find("m=65536"), 7, "m=16777216");
  std::string slow = hash;
  slow.replace(slow.find("t=2"), 3, "t=1000");
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(VerifyPassword(password, greedy));
  EXPECT_FALSE(VerifyPassword(password, slow));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
  // Over-long and NUL-carrying strings.
  EXPECT_FALSE(VerifyPassword(password, hash + std::string(200, 'A')));
  EXPECT_FALSE(VerifyPassword(password, hash + std::string(1, '\0')));
}

TEST(Password, ConcurrentVerificationsAreBounded) {
  const std::string& hash = CorrectHorseHash();
  std::atomic<int> matches{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      if (i % 2 == 0) {
        if (VerifyPassword(Password("correct horse battery staple"), hash)) ++matches;
      } else {
        VerifyPasswordForUnknownUser();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(matches.load(), 8);
  EXPECT_GE(PeakConcurrentPasswordHashes(), 1);
  EXPECT_LE(PeakConcurrentPasswordHashes(), kMaxConcurrentPasswordHashes);
}

double MedianSeconds(const std::function<void()>& run) {
  std::vector<double> samples;
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    run();
    samples.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

TEST(Password, UnknownUserCostsAsMuchAsAWrongPassword) {
  const std::string& hash = CorrectHorseHash();
  VerifyPasswordForUnknownUser();  // builds the dummy hash once
  double wrong = MedianSeconds([&] { (void)VerifyPassword(Password("wrong password!"), hash); });
  double unknown = MedianSeconds([] { VerifyPasswordForUnknownUser(); });
  // Same Argon2id parameters, so the same cost; the loose bound absorbs a shared CI machine.
  // Without the dummy verification `unknown` would be microseconds against ~0.1 s.
  EXPECT_GT(unknown, wrong * 0.5) << "unknown " << unknown << " s, wrong " << wrong << " s";
  EXPECT_LT(unknown, wrong * 2.0) << "unknown " << unknown << " s, wrong " << wrong << " s";
}

}  // namespace
}  // namespace ztm::server
