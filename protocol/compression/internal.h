// Pieces shared by the codec implementations. Not part of the public interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compression/compression.h"

namespace fjord::compression::detail {

// Size of the scratch buffers that streaming decoders write into before the bytes are copied to
// the caller's vector. It bounds how far a decoder can overshoot the output limit.
inline constexpr size_t kChunkSize = 64 * 1024;

// Throws CompressionError("<codec>: <what>").
[[noreturn]] void fail(const char* codec, const std::string& what);

// Appends decompressed bytes to the caller's vector and enforces the output limit. Every byte a
// decoder produces goes through here, so no decoder can grow the output past the limit.
class OutputSink {
 public:
  OutputSink(std::vector<uint8_t>& out, size_t max_out, const char* codec)
      : out_(out), limit_(max_out), remaining_(max_out), codec_(codec) {}

  // How many more bytes may be appended.
  size_t remaining() const { return remaining_; }

  // Throws unless `n` more bytes fit under the limit, after `pending` bytes that a decoder has
  // produced but not appended yet.
  void check_fits(uint64_t n, size_t pending = 0) const;

  // Appends `n` bytes from `data`.
  void append(const uint8_t* data, size_t n);

  // Grows the output by `n` bytes and returns where they start, for decoders that write in place.
  uint8_t* extend(size_t n);

  // A position to return to with rollback(), which drops everything appended after it.
  size_t mark() const { return out_.size(); }
  void rollback(size_t mark);

 private:
  std::vector<uint8_t>& out_;
  size_t limit_;
  size_t remaining_;
  const char* codec_;
};

inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

inline void append_be32(std::vector<uint8_t>& out, uint32_t v) {
  const uint8_t bytes[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                            static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  out.insert(out.end(), bytes, bytes + 4);
}

// One entry point per codec; `compression.cc` dispatches to them.
void gzip_decompress(std::span<const uint8_t> in, OutputSink& sink);
void gzip_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level);

void snappy_decompress(std::span<const uint8_t> in, OutputSink& sink);
void snappy_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, bool xerial);

void lz4_decompress(std::span<const uint8_t> in, OutputSink& sink, bool legacy_header_checksum);
void lz4_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level,
                  bool legacy_header_checksum);

void zstd_decompress(std::span<const uint8_t> in, OutputSink& sink);
void zstd_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level);

}  // namespace fjord::compression::detail
