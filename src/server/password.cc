// Argon2id password hashing on libsodium (crypto_pwhash_argon2id_str / _str_verify), bounded
// in concurrency and in the parameters a stored hash may ask for.
#include "server/password.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <semaphore>
#include <string>
#include <utility>

namespace ztm::server {
namespace {

static_assert(kPasswordOpsLimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN);
static_assert(kPasswordMemoryBytes >= crypto_pwhash_argon2id_MEMLIMIT_MIN);

// sodium_init() is thread-safe and idempotent; it only fails if the system has no usable
// randomness, and hashing with a predictable salt is never the safer choice.
void EnsureSodium() {
  static const bool ready = [] { return sodium_init() >= 0; }();
  if (!ready) std::abort();
}

std::counting_semaphore<kMaxConcurrentPasswordHashes> hash_slots(kMaxConcurrentPasswordHashes);
std::atomic<int> hashes_in_flight{0};
std::atomic<int> peak_hashes_in_flight{0};

// Holds one of the kMaxConcurrentPasswordHashes slots for the duration of one Argon2id
// computation.
class HashSlot {
 public:
  HashSlot() {
    hash_slots.acquire();
    int now = ++hashes_in_flight;
    int peak = peak_hashes_in_flight.load();
    while (now > peak && !peak_hashes_in_flight.compare_exchange_weak(peak, now)) {
    }
  }
  ~HashSlot() {
    --hashes_in_flight;
    hash_slots.release();
  }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;
};

std::size_t CountCodePoints(ByteView text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](std::uint8_t b) { return (b & 0xC0) != 0x80; }));
}

// Reads "<name>=<decimal>" at the start of `text`, leaves `text` after the digits.
bool ReadParameter(std::string_view& text, std::string_view name, unsigned long long& value) {
  if (text.substr(0, name.size()) != name) return false;
  text.remove_prefix(name.size());
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

// Checks that `encoded` is "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$…" with memory and
// passes inside the verification bounds.
bool HasAcceptableParameters(std::string_view encoded) {
  std::string_view rest = encoded;
  constexpr std::string_view kPrefix = crypto_pwhash_argon2id_STRPREFIX "v=19$";
  if (rest.substr(0, kPrefix.size()) != kPrefix) return false;
  rest.remove_prefix(kPrefix.size());
  unsigned long long memory_kib = 0, passes = 0, lanes = 0;
  if (!ReadParameter(rest, "m=", memory_kib) || !ReadParameter(rest, ",t=", passes) ||
      !ReadParameter(rest, ",p=", lanes) || rest.substr(0, 1) != "$") {
    return false;
  }
  return memory_kib <= kMaxVerifyMemoryBytes / 1024 && passes <= kMaxVerifyOpsLimit;
}

// A hash no password is expected to match, with the current parameters, built once.
const std::string& DummyHash() {
  static const std::string dummy = [] {
    Bytes random(32);
    randombytes_buf(random.data(), random.size());
    const Secret unguessable(std::move(random));
    char out[crypto_pwhash_argon2id_STRBYTES];
    HashSlot slot;
    if (crypto_pwhash_argon2id_str(out, reinterpret_cast<const char*>(unguessable.data()),
                                   unguessable.size(), kPasswordOpsLimit,
                                   kPasswordMemoryBytes) != 0) {
      return std::string();
    }
    return std::string(out);
  }();
  return dummy;
}

}  // namespace

Status CheckPasswordPolicy(const Secret& password) {
  if (password.size() > kMaxPasswordBytes) {
    return Error{Code::kInputTooLarge, "password: longer than 1024 bytes"};
  }
  if (std::find(password.view().begin(), password.view().end(), 0) != password.view().end()) {
    return Error{Code::kInvalidArgument, "password: contains a NUL byte"};
  }
  if (CountCodePoints(password.view()) < kMinPasswordCharacters) {
    return Error{Code::kInvalidArgument, "password: shorter than 8 characters"};
  }
  return OkStatus();
}

Result<std::string> HashPassword(const Secret& password) {
  ZTM_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  EnsureSodium();
  char out[crypto_pwhash_argon2id_STRBYTES];
  int rc;
  {
    HashSlot slot;
    rc = crypto_pwhash_argon2id_str(out, reinterpret_cast<const char*>(password.data()),
                                    password.size(), kPasswordOpsLimit, kPasswordMemoryBytes);
  }
  if (rc != 0) return Error{Code::kInternal, "password: Argon2id failed (out of memory?)"};
  return std::string(out);
}

bool VerifyPassword(const Secret& password, std::string_view encoded_hash) {
  if (!CheckPasswordPolicy(password).ok()) return false;
  // The encoded string is NUL-terminated for libsodium and shorter than its buffer size.
  if (encoded_hash.size() >= crypto_pwhash_argon2id_STRBYTES ||
      encoded_hash.find('\0') != std::string_view::npos || !HasAcceptableParameters(encoded_hash)) {
    return false;
  }
  EnsureSodium();
  std::string terminated(encoded_hash);
  HashSlot slot;
  return crypto_pwhash_argon2id_str_verify(terminated.c_str(),
                                           reinterpret_cast<const char*>(password.data()),
                                           password.size()) == 0;
}

void VerifyPasswordForUnknownUser() {
  EnsureSodium();
  static const Secret candidate(AsBytes("not the password of anyone"));
  const std::string& dummy = DummyHash();
  if (!dummy.empty()) {
    (void)VerifyPassword(candidate, dummy);
    return;
  }
  // The dummy could not be built (out of memory at the time): burn one Argon2id computation
  // with the same parameters directly.
  std::uint8_t out[32];
  std::uint8_t salt[crypto_pwhash_argon2id_SALTBYTES] = {};
  HashSlot slot;
  [[maybe_unused]] int burned = crypto_pwhash_argon2id(
      out, sizeof out, reinterpret_cast<const char*>(candidate.data()), candidate.size(), salt,
      kPasswordOpsLimit, kPasswordMemoryBytes, crypto_pwhash_argon2id_ALG_ARGON2ID13);
}

int PeakConcurrentPasswordHashes() { return peak_hashes_in_flight.load(); }

}  // namespace ztm::server
