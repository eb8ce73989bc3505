// gzip (RFC 1952) through zlib. Kafka's gzip codec is a plain gzip stream; Java's
// GZIPInputStream also reads concatenated members, so we do too.
#define ZLIB_CONST  // makes z_stream::next_in a pointer to const
#include <zlib.h>

#include <algorithm>
#include <memory>
#include <string>

#include "compression/internal.h"

namespace fjord::compression::detail {
namespace {

constexpr const char* kCodec = "gzip";

// 32 KiB window; +16 selects the gzip wrapper (and only it) for both directions.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kMemLevel = 8;  // zlib's default

// z_stream counts in uInt (32 bits); spans may be longer, so they are fed in pieces.
constexpr size_t kMaxFeed = 1U << 30;

std::string zlib_message(const z_stream& zs, int rc) {
  return zs.msg != nullptr ? zs.msg : "zlib error " + std::to_string(rc);
}

class Inflater {
 public:
  Inflater() {
    if (inflateInit2(&zs_, kGzipWindowBits) != Z_OK) fail(kCodec, "inflateInit2 failed");
  }
  ~Inflater() { inflateEnd(&zs_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& stream() { return zs_; }

 private:
  z_stream zs_{};
};

class Deflater {
 public:
  explicit Deflater(int level) {
    const int rc =
        deflateInit2(&zs_, level, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) fail(kCodec, "invalid compression level " + std::to_string(level));
  }
  ~Deflater() { deflateEnd(&zs_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  z_stream& stream() { return zs_; }

 private:
  z_stream zs_{};
};

// Hands zlib the next piece of `in` once it has consumed the previous one. `fed` counts the bytes
// of `in` handed over so far.
void refill(z_stream& zs, std::span<const uint8_t> in, size_t& fed) {
  if (zs.avail_in != 0 || fed == in.size()) return;
  const size_t n = std::min(in.size() - fed, kMaxFeed);
  zs.next_in = in.data() + fed;
  zs.avail_in = static_cast<uInt>(n);
  fed += n;
}

bool all_consumed(const z_stream& zs, std::span<const uint8_t> in, size_t fed) {
  return zs.avail_in == 0 && fed == in.size();
}

}  // namespace

void gzip_decompress(std::span<const uint8_t> in, OutputSink& sink) {
  if (in.empty()) fail(kCodec, "empty input");
  Inflater inflater;
  z_stream& zs = inflater.stream();
  const auto chunk = std::make_unique_for_overwrite<uint8_t[]>(kChunkSize);
  size_t fed = 0;
  for (;;) {
    refill(zs, in, fed);
    zs.next_out = chunk.get();
    zs.avail_out = static_cast<uInt>(kChunkSize);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    sink.append(chunk.get(), kChunkSize - zs.avail_out);
    if (rc == Z_STREAM_END) {
      // A member ended (its CRC and length were verified). Anything after it must be another
      // complete member; trailing garbage is an error.
      if (all_consumed(zs, in, fed)) return;
      inflateReset(&zs);
    } else if (rc == Z_BUF_ERROR && all_consumed(zs, in, fed)) {
      fail(kCodec, "truncated input");
    } else if (rc != Z_OK) {
      fail(kCodec, "corrupt input: " + zlib_message(zs, rc));
    }
  }
}

void gzip_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out, int level) {
  Deflater deflater(level);
  z_stream& zs = deflater.stream();
  const auto chunk = std::make_unique_for_overwrite<uint8_t[]>(kChunkSize);
  size_t fed = 0;
  for (;;) {
    refill(zs, in, fed);
    const int flush = all_consumed(zs, in, fed) ? Z_FINISH : Z_NO_FLUSH;
    zs.next_out = chunk.get();
    zs.avail_out = static_cast<uInt>(kChunkSize);
    const int rc = deflate(&zs, flush);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      fail(kCodec, "deflate failed: " + zlib_message(zs, rc));
    }
    out.insert(out.end(), chunk.get(), chunk.get() + (kChunkSize - zs.avail_out));
    if (rc == Z_STREAM_END) return;
  }
}

}  // namespace fjord::compression::detail
