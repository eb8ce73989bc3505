#include "records/convert.h"

#include <limits>
#include <stdexcept>

#include "records/builder.h"
#include "records/legacy.h"

namespace fjord::records {
namespace {

constexpr uint8_t kMaxLegacyCodec = static_cast<uint8_t>(compression::Codec::Lz4);

int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

}  // namespace

UpConvertResult legacy_to_batch(std::span<const uint8_t> set, std::vector<uint8_t>& out,
                                const UpConvertOptions& opts) {
  UpConvertResult res;
  // First pass: find the source codec so the builder can be set up.
  std::optional<compression::Codec> source;
  {
    BatchIterator it(set);
    BatchView entry;
    while (!source && it.next(entry)) {
      if (entry.bytes.size() > 17 && entry.magic() < kMagicV2) {
        uint8_t c = entry.bytes[17] & legacy_attr::kCodecMask;
        if (c != 0 && c <= kMaxLegacyCodec) source = static_cast<compression::Codec>(c);
      }
    }
  }
  BatchOptions bo;
  bo.codec = opts.codec.value_or(source.value_or(compression::Codec::None));
  bo.compress_options = opts.compress_options;
  bo.base_offset = opts.base_offset;
  bo.partition_leader_epoch = opts.partition_leader_epoch;
  BatchBuilder builder(bo);

  LegacyReadOptions ro;
  ro.max_decompressed = opts.max_decompressed;
  ro.verify_crc = opts.verify_crc;
  LegacyReader reader(set, ro);
  LegacyMessageView m;
  while (reader.next(m)) {
    if (m.magic == kMagicV0) res.saw_magic0 = true;
    if (m.magic == kMagicV1) res.saw_magic1 = true;
    if (builder.record_count() == std::numeric_limits<int32_t>::max()) {
      res.error = Error::TooLarge;
      return res;
    }
    builder.append(m.timestamp, m.key, m.value);
  }
  if (reader.error() != Error::Ok) {
    res.error = reader.error();
    return res;
  }
  if (reader.partial_tail() && !opts.allow_partial_tail) {
    res.error = Error::Truncated;
    return res;
  }
  if (builder.empty()) {
    res.error = Error::InvalidRecord;
    return res;
  }
  try {
    builder.build(out);
  } catch (const compression::CompressionError&) {
    res.error = Error::CompressionFailed;
    return res;
  } catch (const std::invalid_argument&) {
    res.error = Error::TooLarge;
    return res;
  }
  res.record_count = builder.record_count();
  res.codec = bo.codec;
  return res;
}

namespace {

// Converts the records of one validated v2 batch into `out`.
Error convert_batch(const BatchView& batch, const DownConvertOptions& opts,
                    std::vector<uint8_t>& buffer, std::vector<uint8_t>& out, int32_t& messages) {
  compression::Codec codec = opts.codec.value_or(batch.codec());
  if (static_cast<uint8_t>(codec) > kMaxLegacyCodec) return Error::UnsupportedCompression;
  LegacyOptions lo;
  lo.magic = opts.magic;
  lo.codec = codec;
  lo.compress_options = opts.compress_options;
  const bool log_append = batch.timestamp_type() == TimestampType::LogAppendTime;
  if (log_append) {
    lo.timestamp_type = TimestampType::LogAppendTime;
    lo.log_append_time = batch.max_timestamp();
  }
  LegacyBuilder builder(lo);
  RecordReader reader;
  if (Error e = open_records(batch, buffer, opts.max_decompressed, reader); e != Error::Ok) {
    return e;
  }
  RecordView r;
  while (reader.next(r)) {
    const int64_t offset = wrapping_add(batch.base_offset(), r.offset_delta);
    const int64_t ts = wrapping_add(batch.base_timestamp(), r.timestamp_delta);
    builder.append(offset, ts, r.key, r.value);
  }
  if (reader.error() != Error::Ok) return reader.error();
  builder.build(out);
  messages += static_cast<int32_t>(builder.count());
  return Error::Ok;
}

}  // namespace

DownConvertResult batches_to_legacy(std::span<const uint8_t> records, std::vector<uint8_t>& out,
                                    const DownConvertOptions& opts) {
  DownConvertResult res;
  if (opts.magic != kMagicV0 && opts.magic != kMagicV1) {
    res.error = Error::UnsupportedMagic;
    return res;
  }
  if (opts.codec && static_cast<uint8_t>(*opts.codec) > kMaxLegacyCodec) {
    res.error = Error::UnsupportedCompression;
    return res;
  }
  const size_t start = out.size();
  std::vector<uint8_t> buffer;
  BatchIterator it(records);
  BatchView batch;
  auto fail = [&](Error e) {
    out.resize(start);
    res.error = e;
    return res;
  };
  while (it.next(batch)) {
    if (batch.magic() != kMagicV2) return fail(Error::UnsupportedMagic);
    ValidateOptions vo;
    vo.check_records = false;  // convert_batch walks the records anyway
    if (Error e = batch.validate(vo); e != Error::Ok) return fail(e);
    if (batch.is_control()) continue;
    Error e = Error::Ok;
    try {
      e = convert_batch(batch, opts, buffer, out, res.messages);
    } catch (const compression::CompressionError&) {
      e = Error::CompressionFailed;
    } catch (const std::invalid_argument&) {
      e = Error::TooLarge;
    }
    if (e != Error::Ok) return fail(e);
    ++res.batches;
  }
  if (it.error() != Error::Ok) return fail(it.error());
  res.partial_tail = it.partial_tail();
  return res;
}

}  // namespace fjord::records
