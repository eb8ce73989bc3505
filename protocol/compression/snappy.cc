// Snappy as Kafka clients write it. Java (snappy-java's SnappyOutputStream) and kafka-python use
// the xerial framing:
//
//   magic "\x82SNAPPY\0" (8 bytes) | version int32 BE | compatible version int32 BE |
//   then blocks: compressed length int32 BE | raw snappy block of at most 32 KiB of input
//
// librdkafka and sarama write one raw snappy block. The two are told apart by the magic: a raw
// block cannot start with it (its first element would be a copy, with nothing to copy from yet).
#include <snappy.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "compression/internal.h"

namespace fjord::compression::detail {
namespace {

constexpr const char* kCodec = "snappy";

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;
constexpr uint32_t kXerialVersion = 1;
constexpr uint32_t kXerialCompatibleVersion = 1;
constexpr size_t kXerialBlockSize = 32 * 1024;  // what snappy-java uses by default

const char* as_chars(const uint8_t* p) { return reinterpret_cast<const char*>(p); }

bool has_xerial_magic(std::span<const uint8_t> in) {
  return in.size() >= sizeof kXerialMagic &&
         std::memcmp(in.data(), kXerialMagic, sizeof kXerialMagic) == 0;
}

// Decodes one raw snappy block. The block states its decoded length up front; that is checked
// against the limit before anything is allocated, and the block is validated before it is decoded.
void decompress_raw_block(std::span<const uint8_t> block, OutputSink& sink) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(as_chars(block.data()), block.size(), &length)) {
    fail(kCodec, "corrupt or truncated block header");
  }
  sink.check_fits(length);
  if (!snappy::IsValidCompressedBuffer(as_chars(block.data()), block.size())) {
    fail(kCodec, "corrupt or truncated block");
  }
  char* dst = reinterpret_cast<char*>(sink.extend(length));
  if (!snappy::RawUncompress(as_chars(block.data()), block.size(), dst)) {
    fail(kCodec, "corrupt block");
  }
}

// Decodes the blocks of a xerial stream. The version fields are not checked: snappy-java accepts
// any version >= 1, and the block format has never changed.
void decompress_xerial(std::span<const uint8_t> in, OutputSink& sink) {
  if (in.size() < kXerialHeaderSize) fail(kCodec, "truncated xerial header");
  size_t pos = kXerialHeaderSize;
  while (pos < in.size()) {
    if (in.size() - pos < 4) fail(kCodec, "truncated xerial block length");
    const uint32_t length = load_be32(in.data() + pos);
    pos += 4;
    if (length > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
      fail(kCodec, "negative xerial block length");
    }
    if (length > in.size() - pos) fail(kCodec, "truncated xerial block");
    decompress_raw_block(in.subspan(pos, length), sink);
    pos += length;
  }
}

// Appends one raw snappy block holding `in`.
void compress_raw_block(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  // The block header stores the length as a 32-bit varint.
  if (in.size() > std::numeric_limits<uint32_t>::max()) fail(kCodec, "input too large");
  const size_t start = out.size();
  out.resize(start + snappy::MaxCompressedLength(in.size()));
  size_t length = 0;
  snappy::RawCompress(as_chars(in.data()), in.size(), reinterpret_cast<char*>(out.data() + start),
                      &length);
  out.resize(start + length);
}

void compress_xerial(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  out.insert(out.end(), std::begin(kXerialMagic), std::end(kXerialMagic));
  append_be32(out, kXerialVersion);
  append_be32(out, kXerialCompatibleVersion);
  for (size_t pos = 0; pos < in.size(); pos += kXerialBlockSize) {
    const auto block = in.subspan(pos, std::min(kXerialBlockSize, in.size() - pos));
    const size_t length_at = out.size();
    append_be32(out, 0);  // placeholder for the compressed length
    compress_raw_block(block, out);
    const auto length = static_cast<uint32_t>(out.size() - length_at - 4);
    for (int i = 0; i < 4; ++i) out[length_at + i] = static_cast<uint8_t>(length >> (24 - 8 * i));
  }
}

}  // namespace

void snappy_decompress(std::span<const uint8_t> in, OutputSink& sink) {
  if (has_xerial_magic(in)) return decompress_xerial(in, sink);
  decompress_raw_block(in, sink);
}

void snappy_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, bool xerial) {
  if (xerial) return compress_xerial(in, out);
  compress_raw_block(in, out);
}

}  // namespace fjord::compression::detail
