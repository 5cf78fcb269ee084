// A request body checked against its Content-Digest (RFC 9530) while it streams to the
// upstream. The signature covered the Content-Digest field; this binds the bytes to it:
//  - a body of up to kVerifyBeforeForwardBytes is held whole and passed on only once its
//    digest matched, so the upstream receives nothing at all of a body that does not match
//    (the upstream client does not even connect before the first piece is released);
//  - a larger body passes on as it arrives, except the latest piece, held back until the
//    digest of the whole matched. On a mismatch the stream fails, the upstream connection
//    closes mid-request and the upstream never receives a complete request; it must treat a
//    body cut short (fewer bytes than Content-Length, no last chunk) as a failed request,
//    as every mainstream HTTP server does.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/httpsig/content_digest.h"
#include "server/http/message.h"

namespace ztm::server {

// Bodies up to this size are verified whole before any byte is forwarded. 1 MiB is the
// default limits.max_body_bytes, so by default every accepted body is; a gateway configured
// for larger uploads streams the part beyond it.
inline constexpr std::size_t kVerifyBeforeForwardBytes = 1024 * 1024;

class DigestCheckedBody final : public http::BodyReader,
                                public std::enable_shared_from_this<DigestCheckedBody> {
 public:
  DigestCheckedBody(std::shared_ptr<http::BodyReader> body,
                    std::shared_ptr<httpsig::ContentDigestChecker> checker)
      : body_(std::move(body)), checker_(std::move(checker)) {}

  // Fails with kContentDigestMismatch at the end of a body that does not match; passes the
  // body's own errors through.
  void Read(OnChunk on_chunk) override;
  std::optional<std::uint64_t> declared_length() const override { return body_->declared_length(); }
  // True once the body was refused for not matching its digest.
  bool mismatched() const { return mismatched_.load(); }

 private:
  void OnPiece(Result<http::BodyChunk> piece, OnChunk on_chunk);

  std::shared_ptr<http::BodyReader> body_;
  std::shared_ptr<httpsig::ContentDigestChecker> checker_;
  std::string held_;  // bytes not yet passed on (up to kVerifyBeforeForwardBytes + a piece)
  std::atomic<bool> mismatched_{false};
};

}  // namespace ztm::server
