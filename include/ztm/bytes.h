// Byte containers: Bytes for ordinary data, Secret for key material and tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ztm {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Compares two byte strings in time that depends only on their lengths, never on where
// they differ. Use for MACs, token hashes and every other secret comparison.
bool ConstantTimeEqual(ByteView a, ByteView b);
inline bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return ConstantTimeEqual(AsBytes(a), AsBytes(b));
}

// Secret holds key material or a token. Its memory is wiped when it is destroyed or
// reassigned, it has no stream operator, and equality is constant time.
class Secret {
 public:
  Secret() = default;
  explicit Secret(ByteView bytes) : data_(bytes.begin(), bytes.end()) {}
  explicit Secret(Bytes&& bytes) : data_(std::move(bytes)) {}
  Secret(const Secret& other) : data_(other.data_) {}
  Secret(Secret&& other) noexcept : data_(std::move(other.data_)) { other.Wipe(); }
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret() { Wipe(); }

  ByteView view() const { return data_; }
  const std::uint8_t* data() const { return data_.data(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }

  friend bool operator==(const Secret& a, const Secret& b) {
    return ConstantTimeEqual(a.view(), b.view());
  }

 private:
  void Wipe();
  Bytes data_;
};

}  // namespace ztm
