// zstd through libzstd's streaming API. A record batch holds one or more frames (Kafka's Java
// producer writes one; concatenations are valid zstd and cost nothing to accept).
//
// Memory: a streaming decoder allocates a window buffer of the size the frame header declares (up
// to 2 GiB), whatever the output turns out to be. To keep that bounded we allow windows up to
// max(8 MiB, max_out) there. A frame asking for more (high compression levels without a known
// content size) is decoded the other way round: straight into one buffer of max_out + 1 bytes,
// with zstd's stable-output mode, which needs no window buffer because the output is the window.
#define ZSTD_STATIC_LINKING_ONLY  // for ZSTD_d_stableOutBuffer
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <bit>
#include <memory>
#include <string>

#include "compression/internal.h"

namespace fjord::compression::detail {
namespace {

constexpr const char* kCodec = "zstd";

// Windows up to 8 MiB are always decoded by streaming. That covers every level up to 19 of
// Kafka's producers, whose default (3) uses 2 MiB.
constexpr int kMinStreamingWindowLog = 23;

[[noreturn]] void fail_zstd(size_t code) {
  fail(kCodec, std::string("corrupt input: ") + ZSTD_getErrorName(code));
}

class DCtx {
 public:
  DCtx() : dctx_(ZSTD_createDCtx()) {
    if (dctx_ == nullptr) fail(kCodec, "cannot create decompression context");
  }
  ~DCtx() { ZSTD_freeDCtx(dctx_); }
  DCtx(const DCtx&) = delete;
  DCtx& operator=(const DCtx&) = delete;

  void set(ZSTD_dParameter param, int value) {
    const size_t rc = ZSTD_DCtx_setParameter(dctx_, param, value);
    if (ZSTD_isError(rc)) fail(kCodec, std::string("bad parameter: ") + ZSTD_getErrorName(rc));
  }
  ZSTD_DCtx* get() { return dctx_; }

 private:
  ZSTD_DCtx* dctx_;
};

class CCtx {
 public:
  CCtx() : cctx_(ZSTD_createCCtx()) {
    if (cctx_ == nullptr) fail(kCodec, "cannot create compression context");
  }
  ~CCtx() { ZSTD_freeCCtx(cctx_); }
  CCtx(const CCtx&) = delete;
  CCtx& operator=(const CCtx&) = delete;
  ZSTD_CCtx* get() { return cctx_; }

 private:
  ZSTD_CCtx* cctx_;
};

// The largest window log the streaming path accepts for an output limit of `remaining` bytes.
int streaming_window_log_max(size_t remaining) {
  const int floor_log2 = static_cast<int>(std::bit_width(remaining)) - 1;
  return std::clamp(floor_log2, kMinStreamingWindowLog, ZSTD_WINDOWLOG_MAX);
}

// Rejects a frame whose header declares more output than still fits (after `pending` decoded
// bytes not yet in the sink). The declared size is only used to fail early, never to allocate.
// A missing or unreadable size is left to the decoder.
void reject_declared_size(std::span<const uint8_t> frame, const OutputSink& sink,
                          size_t pending = 0) {
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size != ZSTD_CONTENTSIZE_UNKNOWN && size != ZSTD_CONTENTSIZE_ERROR) {
    sink.check_fits(size, pending);
  }
}

enum class Outcome { kDone, kWindowTooLarge };

// Decodes all frames of `in` through a fixed chunk. Returns kWindowTooLarge, having possibly
// appended output of earlier frames, when a frame needs a window above 2^window_log_max.
Outcome decompress_streaming(std::span<const uint8_t> in, OutputSink& sink, int window_log_max) {
  DCtx dctx;
  dctx.set(ZSTD_d_windowLogMax, window_log_max);
  const auto chunk = std::make_unique_for_overwrite<uint8_t[]>(kChunkSize);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  bool at_frame_boundary = true;
  while (src.pos < src.size || !at_frame_boundary) {
    if (at_frame_boundary) reject_declared_size(in.subspan(src.pos), sink);
    ZSTD_outBuffer dst{chunk.get(), kChunkSize, 0};
    const size_t consumed_before = src.pos;
    const size_t rc = ZSTD_decompressStream(dctx.get(), &dst, &src);
    if (ZSTD_isError(rc)) {
      if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge) {
        return Outcome::kWindowTooLarge;
      }
      fail_zstd(rc);
    }
    sink.append(chunk.get(), dst.pos);
    at_frame_boundary = rc == 0;  // 0: frame complete and fully flushed
    if (!at_frame_boundary && src.pos == consumed_before && dst.pos == 0) {
      fail(kCodec, "truncated input");
    }
  }
  return Outcome::kDone;
}

// Decodes all frames of `in` into one buffer of remaining() + 1 bytes that zstd also uses as its
// window. The buffer is not initialised, so only the pages the output touches are ever committed.
void decompress_stable(std::span<const uint8_t> in, OutputSink& sink) {
  const size_t capacity = sink.remaining() + 1;
  const auto buffer = std::make_unique_for_overwrite<uint8_t[]>(capacity);
  DCtx dctx;
  dctx.set(ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX);
  dctx.set(ZSTD_d_stableOutBuffer, 1);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{buffer.get(), capacity, 0};  // must stay the same object across calls
  bool at_frame_boundary = true;
  while (src.pos < src.size || !at_frame_boundary) {
    if (at_frame_boundary) reject_declared_size(in.subspan(src.pos), sink, dst.pos);
    const size_t consumed_before = src.pos;
    const size_t produced_before = dst.pos;
    const size_t rc = ZSTD_decompressStream(dctx.get(), &dst, &src);
    if (ZSTD_isError(rc)) {
      // Running out of room in a buffer one byte larger than allowed means too much output.
      if (ZSTD_getErrorCode(rc) == ZSTD_error_dstSize_tooSmall) sink.check_fits(capacity);
      fail_zstd(rc);
    }
    sink.check_fits(dst.pos);
    at_frame_boundary = rc == 0;
    if (!at_frame_boundary && src.pos == consumed_before && dst.pos == produced_before) {
      fail(kCodec, "truncated input");
    }
  }
  sink.append(buffer.get(), dst.pos);
}

}  // namespace

void zstd_decompress(std::span<const uint8_t> in, OutputSink& sink) {
  if (in.empty()) fail(kCodec, "empty input");
  const size_t mark = sink.mark();
  const int window_log_max = streaming_window_log_max(sink.remaining());
  if (decompress_streaming(in, sink, window_log_max) == Outcome::kDone) return;
  // Here the window exceeds max(8 MiB, max_out). With a limit of 2^31 or more the window is
  // simply invalid; otherwise the limit is under 2 GiB and a buffer of that size is acceptable.
  if (window_log_max == ZSTD_WINDOWLOG_MAX) fail(kCodec, "frame window too large");
  sink.rollback(mark);
  decompress_stable(in, sink);
}

void zstd_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level) {
  if (level == -1) level = ZSTD_CLEVEL_DEFAULT;
  // ZSTD_CCtx_setParameter would silently clamp an out-of-range level.
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    fail(kCodec, "invalid compression level " + std::to_string(level));
  }
  CCtx cctx;
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  const size_t bound = ZSTD_compressBound(in.size());
  if (ZSTD_isError(bound)) fail(kCodec, "input too large");
  const size_t start = out.size();
  out.resize(start + bound);
  const size_t size = ZSTD_compress2(cctx.get(), out.data() + start, bound, in.data(), in.size());
  if (ZSTD_isError(size)) {
    out.resize(start);
    fail(kCodec, std::string("compression failed: ") + ZSTD_getErrorName(size));
  }
  out.resize(start + size);
}

}  // namespace fjord::compression::detail
