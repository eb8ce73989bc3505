#include "compression/compression.h"

#include <string>

#include "compression/internal.h"

namespace fjord::compression {
namespace detail {

void fail(const char* codec, const std::string& what) {
  throw CompressionError(std::string(codec) + ": " + what);
}

void OutputSink::check_fits(uint64_t n, size_t pending) const {
  if (pending > remaining_ || n > remaining_ - pending) {
    fail(codec_, "decompressed size exceeds max_out of " + std::to_string(limit_) + " bytes");
  }
}

void OutputSink::append(const uint8_t* data, size_t n) {
  if (n == 0) return;
  check_fits(n);
  out_.insert(out_.end(), data, data + n);
  remaining_ -= n;
}

uint8_t* OutputSink::extend(size_t n) {
  check_fits(n);
  const size_t old_size = out_.size();
  out_.resize(old_size + n);
  remaining_ -= n;
  return out_.data() + old_size;
}

void OutputSink::rollback(size_t mark) {
  remaining_ += out_.size() - mark;
  out_.resize(mark);
}

}  // namespace detail

namespace {

[[noreturn]] void unknown_codec(Codec c) {
  throw CompressionError("unknown compression codec id " + std::to_string(static_cast<int>(c)));
}

// Codec::None: the input is the output.
void copy_through(std::span<const uint8_t> in, detail::OutputSink& sink) {
  sink.append(in.data(), in.size());
}

void decompress_into(Codec c, std::span<const uint8_t> in, detail::OutputSink& sink,
                     bool lz4_legacy_header_checksum) {
  switch (c) {
    case Codec::None:
      return copy_through(in, sink);
    case Codec::Gzip:
      return detail::gzip_decompress(in, sink);
    case Codec::Snappy:
      return detail::snappy_decompress(in, sink);
    case Codec::Lz4:
      return detail::lz4_decompress(in, sink, lz4_legacy_header_checksum);
    case Codec::Zstd:
      return detail::zstd_decompress(in, sink);
  }
  unknown_codec(c);
}

}  // namespace

void decompress(Codec c, std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out,
                bool lz4_legacy_header_checksum) {
  const size_t size_on_entry = out.size();
  detail::OutputSink sink(out, max_out, codec_name(c));
  try {
    decompress_into(c, in, sink, lz4_legacy_header_checksum);
  } catch (...) {
    out.resize(size_on_entry);  // shrinking: cannot throw
    throw;
  }
}

void compress(Codec c, std::span<const uint8_t> in, std::vector<uint8_t>& out,
              const CompressOptions& options) {
  switch (c) {
    case Codec::None:
      out.insert(out.end(), in.begin(), in.end());
      return;
    case Codec::Gzip:
      return detail::gzip_compress(in, out, options.level);
    case Codec::Snappy:
      return detail::snappy_compress(in, out, options.snappy_xerial);
    case Codec::Lz4:
      return detail::lz4_compress(in, out, options.level, options.lz4_legacy_header_checksum);
    case Codec::Zstd:
      return detail::zstd_compress(in, out, options.level);
  }
  unknown_codec(c);
}

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::None:
      return "none";
    case Codec::Gzip:
      return "gzip";
    case Codec::Snappy:
      return "snappy";
    case Codec::Lz4:
      return "lz4";
    case Codec::Zstd:
      return "zstd";
  }
  return "unknown";
}

}  // namespace fjord::compression
