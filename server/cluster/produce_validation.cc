#include "server/cluster/produce_validation.h"

#include <algorithm>

#include "records/decompress.h"

namespace fjord {

using compression::Codec;

std::optional<Codec> target_codec(const config::TopicConfig& tc) {
  switch (tc.compression_type) {
    case config::CompressionType::kProducer:
      return std::nullopt;
    case config::CompressionType::kUncompressed:
      return Codec::None;
    case config::CompressionType::kGzip:
      return Codec::Gzip;
    case config::CompressionType::kSnappy:
      return Codec::Snappy;
    case config::CompressionType::kLz4:
      return Codec::Lz4;
    case config::CompressionType::kZstd:
      return Codec::Zstd;
  }
  return std::nullopt;
}

compression::CompressOptions compress_options(const config::TopicConfig& tc, Codec codec) {
  compression::CompressOptions o;
  switch (codec) {
    case Codec::Gzip:
      o.level = tc.compression_gzip_level;
      break;
    case Codec::Lz4:
      o.level = tc.compression_lz4_level;
      break;
    case Codec::Zstd:
      o.level = tc.compression_zstd_level;
      break;
    // Kafka's broker writes snappy through snappy-java's framed (xerial) stream.
    case Codec::Snappy:
      o.snappy_xerial = true;
      break;
    default:
      break;
  }
  return o;
}

records::Error recompress_batch(const records::BatchView& b, Codec target,
                                const compression::CompressOptions& options,
                                size_t max_decompressed, std::vector<uint8_t>& out) {
  namespace layout = records::batch_layout;
  out.clear();
  std::vector<uint8_t> plain;
  std::span<const uint8_t> records = b.records_data();
  if (b.is_compressed()) {
    auto e = records::detail::decompress_capped(b.codec(), records, plain, max_decompressed, false);
    if (e != records::Error::Ok) return e;
    records = plain;
  }
  out.reserve(records::kBatchHeaderSize + records.size() / (target == Codec::None ? 1 : 2));
  out.assign(b.bytes.begin(), b.bytes.begin() + records::kBatchHeaderSize);
  if (target == Codec::None) {
    out.insert(out.end(), records.begin(), records.end());
  } else {
    try {
      compression::compress(target, records, out, options);
    } catch (const compression::CompressionError&) {
      out.clear();
      return records::Error::UnsupportedCompression;
    }
  }
  auto attrs = static_cast<uint16_t>(b.attributes());
  attrs = static_cast<uint16_t>((attrs & ~uint16_t(records::batch_attr::kCodecMask)) |
                                static_cast<uint16_t>(target));
  out[layout::kAttributes] = static_cast<uint8_t>(attrs >> 8);
  out[layout::kAttributes + 1] = static_cast<uint8_t>(attrs);
  const auto len = static_cast<uint32_t>(out.size() - records::kLogOverhead);
  for (int i = 0; i < 4; ++i)
    out[layout::kBatchLength + i] = static_cast<uint8_t>(len >> (24 - 8 * i));
  records::MutableBatchView{out}.update_crc();
  return records::Error::Ok;
}

bool find_keyless_records(const records::BatchView& b, const std::string& topic, int32_t partition,
                          std::vector<uint8_t>& scratch, size_t max_decompressed,
                          std::vector<RecordError>& out) {
  out.clear();
  records::RecordReader rr;
  if (records::open_records(b, scratch, max_decompressed, rr) != records::Error::Ok) return false;
  records::RecordView rec;
  int32_t index = 0;
  while (rr.next(rec)) {
    if (rec.key.is_null)
      out.push_back({index,
                     "Compacted topic cannot accept message without key in topic "
                     "partition " +
                         topic + "-" + std::to_string(partition) + "."});
    ++index;
  }
  return rr.error() == records::Error::Ok;
}

std::string record_errors_message(const std::vector<RecordError>& errors) {
  // Kafka: LogValidator.processRecordErrors, with RecordError.toString().
  std::string m = "One or more records have been rejected due to " + std::to_string(errors.size()) +
                  " record errors in total, and only showing the first three errors at most: [";
  for (size_t i = 0; i < std::min<size_t>(errors.size(), 3); ++i) {
    if (i) m += ", ";
    m += "RecordError(batchIndex=" + std::to_string(errors[i].batch_index) + ", message='" +
         errors[i].message + "')";
  }
  return m + "]";
}

}  // namespace fjord
