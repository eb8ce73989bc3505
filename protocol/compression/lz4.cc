// LZ4 frame format through liblz4's LZ4F API.
//
// Frame header: magic 0x184D2204 (LE) | FLG | BD | [content size, 8 bytes] | [dict id, 4 bytes] |
// HC, where HC = (xxh32(FLG..dict id, seed 0) >> 8) & 0xFF. Kafka's magic-0 producers (Kafka's
// own Java code before 0.10, kafka-python's lz4_encode_old_kafka, librdkafka for magic 0) ran the
// hash over the magic number too. Kafka ignores HC for such message sets, and so do we when asked:
// we recompute the correct HC and hand LZ4F a patched copy of the header.
#include <lz4frame.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "compression/internal.h"
#include "compression/xxh32.h"

namespace fjord::compression::detail {
namespace {

constexpr const char* kCodec = "lz4";

constexpr uint32_t kFrameMagic = 0x184D2204;
constexpr size_t kMagicSize = 4;
constexpr size_t kMinHeaderSize = 7;   // magic, FLG, BD, HC
constexpr size_t kMaxHeaderSize = 19;  // plus content size and dictionary id
constexpr uint8_t kFlgContentSize = 0x08;
constexpr uint8_t kFlgDictId = 0x01;

[[noreturn]] void fail_lz4f(size_t code) {
  fail(kCodec, std::string("corrupt input: ") + LZ4F_getErrorName(code));
}

// Length of the LZ4 frame header at the start of `frame`, or 0 if `frame` does not start with an
// LZ4 frame (e.g. a skippable frame, which LZ4F handles by itself).
size_t frame_header_size(std::span<const uint8_t> frame) {
  if (frame.size() < kMinHeaderSize) fail(kCodec, "truncated frame header");
  if (load_le32(frame.data()) != kFrameMagic) return 0;
  const uint8_t flg = frame[kMagicSize];
  const size_t size =
      kMinHeaderSize + ((flg & kFlgContentSize) ? 8 : 0) + ((flg & kFlgDictId) ? 4 : 0);
  if (frame.size() < size) fail(kCodec, "truncated frame header");
  return size;
}

// The HC byte over `bytes`: the descriptor alone is correct, magic + descriptor is the legacy bug.
uint8_t header_checksum(std::span<const uint8_t> bytes) {
  return static_cast<uint8_t>(xxh32(bytes, 0) >> 8);
}

class Lz4Decoder {
 public:
  explicit Lz4Decoder(OutputSink& sink)
      : sink_(sink), chunk_(std::make_unique_for_overwrite<uint8_t[]>(kChunkSize)) {
    const size_t rc = LZ4F_createDecompressionContext(&dctx_, LZ4F_VERSION);
    if (LZ4F_isError(rc)) fail(kCodec, "cannot create decompression context");
  }
  ~Lz4Decoder() { LZ4F_freeDecompressionContext(dctx_); }
  Lz4Decoder(const Lz4Decoder&) = delete;
  Lz4Decoder& operator=(const Lz4Decoder&) = delete;

  // True between frames (and before the first one).
  bool at_frame_boundary() const { return at_boundary_; }

  // Runs LZ4F once on `src`, passing the output (at most one chunk) to the sink. Returns how many
  // bytes of `src` LZ4F consumed. Throws if LZ4F can make no progress, which means the input ends
  // in the middle of a frame.
  size_t step(std::span<const uint8_t> src) {
    size_t src_size = src.size();
    size_t dst_size = kChunkSize;
    const size_t hint =
        LZ4F_decompress(dctx_, chunk_.get(), &dst_size, src.data(), &src_size, nullptr);
    if (LZ4F_isError(hint)) fail_lz4f(hint);
    sink_.append(chunk_.get(), dst_size);
    at_boundary_ = hint == 0;
    if (!at_boundary_ && src_size == 0 && dst_size == 0) fail(kCodec, "truncated input");
    return src_size;
  }

  // Feeds all of `src`, which must not complete a frame (it is a frame header).
  void feed_header(std::span<const uint8_t> src) {
    for (size_t used = 0; used < src.size();) used += step(src.subspan(used));
  }

 private:
  OutputSink& sink_;
  std::unique_ptr<uint8_t[]> chunk_;
  LZ4F_dctx* dctx_ = nullptr;
  bool at_boundary_ = true;
};

// At the start of a frame in legacy mode: gives the decoder a copy of the frame header with the
// correct HC. Returns the header's length (0 if `frame` is not an LZ4 frame).
size_t feed_patched_header(Lz4Decoder& decoder, std::span<const uint8_t> frame) {
  const size_t size = frame_header_size(frame);
  if (size == 0) return 0;
  std::array<uint8_t, kMaxHeaderSize> header;
  std::copy_n(frame.begin(), size, header.begin());
  const auto descriptor = std::span(header).subspan(kMagicSize, size - kMagicSize - 1);
  header[size - 1] = header_checksum(descriptor);
  decoder.feed_header(std::span(header).first(size));
  return size;
}

}  // namespace

void lz4_decompress(std::span<const uint8_t> in, OutputSink& sink, bool legacy_header_checksum) {
  if (in.empty()) fail(kCodec, "empty input");
  Lz4Decoder decoder(sink);
  size_t pos = 0;
  // Frames follow each other; LZ4F resets itself after each frame's end mark.
  while (pos < in.size() || !decoder.at_frame_boundary()) {
    if (legacy_header_checksum && decoder.at_frame_boundary()) {
      pos += feed_patched_header(decoder, in.subspan(pos));
    }
    pos += decoder.step(in.subspan(pos));
  }
}

void lz4_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level,
                  bool legacy_header_checksum) {
  // What Kafka's Java producer writes: 64 KiB independent blocks, no content size (old consumers
  // reject it), no checksums beyond the header's.
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = level == -1 ? 0 : level;

  const size_t start = out.size();
  const size_t bound = LZ4F_compressFrameBound(in.size(), &prefs);
  out.resize(start + bound);
  const size_t size = LZ4F_compressFrame(out.data() + start, bound, in.data(), in.size(), &prefs);
  if (LZ4F_isError(size)) {
    out.resize(start);
    fail(kCodec, std::string("compression failed: ") + LZ4F_getErrorName(size));
  }
  out.resize(start + size);

  if (legacy_header_checksum) {
    const auto frame = std::span(out).subspan(start);
    const size_t header_size = frame_header_size(frame);
    frame[header_size - 1] = header_checksum(frame.first(header_size - 1));
  }
}

}  // namespace fjord::compression::detail
