// Kafka record-batch compression codecs: gzip, snappy (raw and xerial framed), lz4 (frame format,
// including the broken header checksum of magic-0 producers) and zstd.
//
// Decompression is written for untrusted input: every decoder enforces an output limit while it
// runs, so a decompression bomb costs at most about `max_out` bytes of memory and the time needed
// to produce them, never what a size field inside the input claims.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

namespace fjord::compression {

// The codec ids stored in the low three bits of a record batch's (or message's) attributes.
enum class Codec : uint8_t { None = 0, Gzip = 1, Snappy = 2, Lz4 = 3, Zstd = 4 };

// Raised for corrupt or truncated input, an unknown codec id, an output that would exceed the
// limit, or an invalid compression option.
struct CompressionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Appends the decompressed bytes of `in` to `out`.
//
// `max_out` limits the number of bytes this call appends (bytes already in `out` do not count).
// Throws CompressionError when the input is corrupt, truncated or empty (except for Codec::None),
// the codec id is unknown, or the output would exceed `max_out`; the message of the last one
// always contains "exceeds max_out" (callers rely on that to tell it apart). On any exception
// `out` is restored to its size on entry.
//
// Accepted input per codec:
//   gzip    one or more concatenated gzip members (RFC 1952).
//   snappy  a xerial stream (Java, kafka-python) if the input starts with the xerial magic,
//           otherwise a single raw snappy block (librdkafka, sarama).
//   lz4     one or more LZ4 frames. With `lz4_legacy_header_checksum`, the frame descriptor
//           checksum is not verified, which is what magic-0 (Kafka 0.8/0.9) message sets need:
//           their producers computed it over the magic number as well.
//   zstd    one or more zstd frames (skippable frames are ignored).
void decompress(Codec c, std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out,
                bool lz4_legacy_header_checksum = false);

struct CompressOptions {
  // Snappy: write the xerial framing (32 KiB blocks) that Java clients write, instead of a raw
  // snappy block.
  bool snappy_xerial = false;
  // LZ4: write the wrong descriptor checksum of magic-0 producers (only useful for message sets
  // with magic 0 that are read by old consumers, and for tests).
  bool lz4_legacy_header_checksum = false;
  // -1 selects the codec's default. Otherwise gzip takes 0..9, lz4 and zstd take their library's
  // levels (negative values select the fast modes). Snappy has no levels.
  int level = -1;
};

// Appends the compressed form of `in` to `out`. Throws CompressionError for an unknown codec or an
// invalid level.
void compress(Codec c, std::span<const uint8_t> in, std::vector<uint8_t>& out,
              const CompressOptions& options = {});

// "none", "gzip", "snappy", "lz4", "zstd", or "unknown".
const char* codec_name(Codec c);

}  // namespace fjord::compression
