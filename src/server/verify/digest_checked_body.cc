#include "server/verify/digest_checked_body.h"

#include <utility>

namespace ztm::server {

void DigestCheckedBody::Read(OnChunk on_chunk) {
  body_->Read([self = shared_from_this(),
               on_chunk = std::move(on_chunk)](Result<http::BodyChunk> piece) mutable {
    self->OnPiece(std::move(piece), std::move(on_chunk));
  });
}

void DigestCheckedBody::OnPiece(Result<http::BodyChunk> piece, OnChunk on_chunk) {
  if (!piece.ok()) return on_chunk(std::move(piece).error());
  checker_->Update(AsBytes(piece->data));
  if (!piece->last) {
    // Hold bytes back until they exceed the window; then pass what is held and keep the
    // newest piece: whatever the framing, the bytes that complete the body stay here until
    // the digest is known.
    if (held_.size() + piece->data.size() <= kVerifyBeforeForwardBytes || held_.empty()) {
      held_ += piece->data;
      return Read(std::move(on_chunk));
    }
    std::string out = std::exchange(held_, std::move(piece->data));
    return on_chunk(http::BodyChunk{std::move(out), false});
  }
  if (Status digest = checker_->Finish(); !digest.ok()) {
    mismatched_ = true;
    held_.clear();
    return on_chunk(
        Error{Code::kContentDigestMismatch, "Content-Digest: " + digest.error().message});
  }
  held_ += piece->data;
  on_chunk(http::BodyChunk{std::move(held_), true});
}

}  // namespace ztm::server
