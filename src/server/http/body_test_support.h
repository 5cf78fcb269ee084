// Test support for streamed bodies: a BodyReader that plays back given pieces, and a reader of
// a whole stream.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "server/http/message.h"

namespace ztm::server::http::testing {

// Plays back `pieces` (the last one marked last), or ends with `failure` instead.
class ScriptedBody final : public BodyReader {
 public:
  ScriptedBody(std::vector<std::string> pieces, std::optional<std::uint64_t> length,
               std::optional<Error> failure = std::nullopt)
      : pieces_(std::move(pieces)), length_(length), failure_(std::move(failure)) {}

  void Read(OnChunk on_chunk) override {
    ++reads_;
    if (next_ == pieces_.size()) {
      if (failure_) return on_chunk(*failure_);
      return on_chunk(BodyChunk{"", true});
    }
    std::string piece = pieces_[next_++];
    const bool last = next_ == pieces_.size() && !failure_;
    on_chunk(BodyChunk{std::move(piece), last});
  }
  std::optional<std::uint64_t> declared_length() const override { return length_; }
  int reads() const { return reads_; }

 private:
  std::vector<std::string> pieces_;
  std::optional<std::uint64_t> length_;
  std::optional<Error> failure_;
  std::size_t next_ = 0;
  int reads_ = 0;
};

struct Drained {
  Result<std::string> body = std::string();
  std::size_t pieces = 0;
  std::size_t largest_piece = 0;
};

// Reads `body` to its end (or first error), waiting up to 10 s per piece.
inline Drained Drain(BodyReader& body) {
  Drained drained;
  std::string all;
  for (;;) {
    auto promise = std::make_shared<std::promise<Result<BodyChunk>>>();
    auto future = promise->get_future();
    body.Read([promise](Result<BodyChunk> piece) { promise->set_value(std::move(piece)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      drained.body = Error{Code::kHttpBodyTimeout, "test: no piece within 10 s"};
      return drained;
    }
    Result<BodyChunk> piece = future.get();
    if (!piece.ok()) {
      drained.body = std::move(piece).error();
      return drained;
    }
    ++drained.pieces;
    drained.largest_piece = std::max(drained.largest_piece, piece->data.size());
    all += piece->data;
    if (piece->last) break;
  }
  drained.body = std::move(all);
  return drained;
}

}  // namespace ztm::server::http::testing
