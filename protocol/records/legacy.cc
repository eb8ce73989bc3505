#include "records/legacy.h"

#include <zlib.h>

#include <limits>
#include <stdexcept>

#include "records/decompress.h"
#include "records/wire.h"

namespace fjord::records {
namespace {

uint32_t crc32_ieee(std::span<const uint8_t> d) {
  uLong c = crc32(0L, Z_NULL, 0);
  return static_cast<uint32_t>(crc32(c, d.data(), static_cast<uInt>(d.size())));
}

// Reads an int32-length-prefixed nullable byte string from `msg` at `pos`.
bool read_legacy_bytes(std::span<const uint8_t> msg, size_t& pos, BytesView& out) {
  if (msg.size() - pos < 4) return false;
  const int32_t len = wire::load_i32(&msg[pos]);
  pos += 4;
  if (len == -1) {
    out = BytesView::null();
    return true;
  }
  if (len < 0 || static_cast<size_t>(len) > msg.size() - pos) return false;
  out = BytesView::of(msg.subspan(pos, static_cast<size_t>(len)));
  pos += static_cast<size_t>(len);
  return true;
}

void put_legacy_bytes(std::vector<uint8_t>& out, BytesView b) {
  if (b.is_null) {
    wire::put_u32(out, 0xFFFFFFFFu);
    return;
  }
  wire::put_u32(out, static_cast<uint32_t>(b.size()));
  wire::put_bytes(out, b.data);
}

}  // namespace

Error parse_legacy_entry(std::span<const uint8_t> data, LegacyMessageView& out, size_t& consumed,
                         bool verify_crc) {
  if (data.size() < kLogOverhead) return Error::Truncated;
  const int64_t offset = wire::load_i64(&data[0]);
  const int32_t size = wire::load_i32(&data[8]);
  if (size < static_cast<int32_t>(kLegacyMinMessageV0)) return Error::CorruptMessage;
  if (data.size() - kLogOverhead < static_cast<size_t>(size)) return Error::Truncated;
  std::span<const uint8_t> msg = data.subspan(kLogOverhead, static_cast<size_t>(size));

  out.offset = offset;
  out.crc = wire::load_u32(&msg[0]);
  out.magic = static_cast<int8_t>(msg[4]);
  if (out.magic != kMagicV0 && out.magic != kMagicV1) return Error::UnsupportedMagic;
  if (out.magic == kMagicV1 && msg.size() < kLegacyMinMessageV1) return Error::CorruptMessage;
  if (verify_crc && crc32_ieee(msg.subspan(4)) != out.crc) return Error::CorruptMessage;
  out.attributes = static_cast<int8_t>(msg[5]);
  size_t pos = 6;
  if (out.magic == kMagicV1) {
    out.timestamp = wire::load_i64(&msg[pos]);
    pos += 8;
    out.timestamp_type = (out.attributes & legacy_attr::kLogAppendTime)
                             ? TimestampType::LogAppendTime
                             : TimestampType::CreateTime;
  } else {
    out.timestamp = kNoTimestamp;
    out.timestamp_type = TimestampType::None;
  }
  if (!read_legacy_bytes(msg, pos, out.key) || !read_legacy_bytes(msg, pos, out.value)) {
    return Error::CorruptMessage;
  }
  if (pos != msg.size()) return Error::CorruptMessage;
  out.raw = data.first(kLogOverhead + msg.size());
  consumed = out.raw.size();
  return Error::Ok;
}

Error LegacyReader::open_wrapper(const LegacyMessageView& w) {
  const uint8_t codec = w.codec_id();
  if (codec > static_cast<uint8_t>(compression::Codec::Lz4)) return Error::UnsupportedCompression;
  if (w.value.is_null) return Error::InvalidRecord;
  Error e = detail::decompress_capped(static_cast<compression::Codec>(codec), w.value.data,
                                      inner_buf_, opts_.max_decompressed, w.magic == kMagicV0);
  if (e != Error::Ok) return e;

  // Check every inner message before handing any out, and find the last
  // relative offset that magic 1 resolution needs.
  std::span<const uint8_t> inner(inner_buf_);
  size_t pos = 0;
  size_t count = 0;
  int64_t last_rel = 0;
  while (pos < inner.size()) {
    LegacyMessageView m;
    size_t used = 0;
    e = parse_legacy_entry(inner.subspan(pos), m, used, opts_.verify_crc);
    if (e == Error::Truncated) return Error::CorruptMessage;
    if (e != Error::Ok) return e;
    if (m.magic != w.magic || m.codec_id() != 0) return Error::InvalidRecord;
    last_rel = m.offset;
    pos += used;
    ++count;
  }
  if (count == 0) return Error::InvalidRecord;
  offset_shift_ =
      w.magic == kMagicV1 ? static_cast<uint64_t>(w.offset) - static_cast<uint64_t>(last_rel) : 0;
  wrapper_ = w;
  inner_pos_ = 0;
  inner_active_ = true;
  return Error::Ok;
}

bool LegacyReader::next(LegacyMessageView& out) {
  for (;;) {
    if (inner_active_) {
      if (inner_pos_ < inner_buf_.size()) {
        size_t used = 0;
        std::span<const uint8_t> inner(inner_buf_);
        // Already checked by open_wrapper(); skip the CRC the second time.
        if (parse_legacy_entry(inner.subspan(inner_pos_), out, used, false) != Error::Ok) {
          error_ = Error::CorruptMessage;
          inner_active_ = false;
          return false;
        }
        inner_pos_ += used;
        out.offset = static_cast<int64_t>(static_cast<uint64_t>(out.offset) + offset_shift_);
        if (wrapper_.timestamp_type == TimestampType::LogAppendTime) {
          out.timestamp = wrapper_.timestamp;
          out.timestamp_type = TimestampType::LogAppendTime;
        }
        return true;
      }
      inner_active_ = false;
    }
    if (error_ != Error::Ok || partial_ || pos_ == data_.size()) return false;
    LegacyMessageView m;
    size_t used = 0;
    Error e = parse_legacy_entry(data_.subspan(pos_), m, used, opts_.verify_crc);
    if (e == Error::Truncated) {
      partial_ = true;
      return false;
    }
    if (e != Error::Ok) {
      error_ = e;
      return false;
    }
    pos_ += used;
    if (m.codec_id() == 0) {
      out = m;
      return true;
    }
    if (e = open_wrapper(m); e != Error::Ok) {
      error_ = e;
      return false;
    }
  }
}

void write_legacy_message(std::vector<uint8_t>& out, int8_t magic, int64_t offset,
                          int8_t attributes, int64_t timestamp, BytesView key, BytesView value) {
  const size_t fixed = magic == kMagicV0 ? kLegacyMinMessageV0 : kLegacyMinMessageV1;
  const size_t size = fixed + key.size() + value.size();
  if (size > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw std::invalid_argument("legacy message larger than 2 GiB");
  }
  wire::put_u64(out, static_cast<uint64_t>(offset));
  wire::put_u32(out, static_cast<uint32_t>(size));
  const size_t crc_pos = out.size();
  wire::put_u32(out, 0);
  wire::put_u8(out, static_cast<uint8_t>(magic));
  wire::put_u8(out, static_cast<uint8_t>(attributes));
  if (magic != kMagicV0) wire::put_u64(out, static_cast<uint64_t>(timestamp));
  put_legacy_bytes(out, key);
  put_legacy_bytes(out, value);
  std::span<const uint8_t> body(out.data() + crc_pos + 4, out.size() - crc_pos - 4);
  wire::store_u32(out.data() + crc_pos, crc32_ieee(body));
}

LegacyBuilder::LegacyBuilder(const LegacyOptions& opts) : opts_(opts) {
  if (opts_.magic != kMagicV0 && opts_.magic != kMagicV1) {
    throw std::invalid_argument("legacy magic must be 0 or 1");
  }
  if (static_cast<uint8_t>(opts_.codec) > static_cast<uint8_t>(compression::Codec::Lz4)) {
    throw std::invalid_argument("legacy message sets support only gzip, snappy and lz4");
  }
}

void LegacyBuilder::append(int64_t offset, int64_t timestamp, BytesView key, BytesView value) {
  const bool compressed = opts_.codec != compression::Codec::None;
  const bool log_append =
      opts_.magic == kMagicV1 && opts_.timestamp_type == TimestampType::LogAppendTime;
  if (log_append) timestamp = opts_.log_append_time;
  if (count_ == 0) first_offset_ = offset;
  last_offset_ = offset;
  if (count_ == 0 || timestamp > max_timestamp_) max_timestamp_ = timestamp;
  // Inside a magic 1 wrapper offsets are relative to the first message.
  int64_t stored = offset;
  if (compressed && opts_.magic == kMagicV1) {
    stored =
        static_cast<int64_t>(static_cast<uint64_t>(offset) - static_cast<uint64_t>(first_offset_));
  }
  const int8_t attrs = log_append ? legacy_attr::kLogAppendTime : 0;
  write_legacy_message(messages_, opts_.magic, stored, attrs, timestamp, key, value);
  ++count_;
}

void LegacyBuilder::build(std::vector<uint8_t>& out) const {
  if (count_ == 0) return;
  if (opts_.codec == compression::Codec::None) {
    wire::put_bytes(out, messages_);
    return;
  }
  compression::CompressOptions copts = opts_.compress_options;
  copts.lz4_legacy_header_checksum = opts_.magic == kMagicV0;
  std::vector<uint8_t> packed;
  compression::compress(opts_.codec, messages_, packed, copts);
  int8_t attrs = static_cast<int8_t>(opts_.codec);
  int64_t ts = max_timestamp_;
  if (opts_.magic == kMagicV1 && opts_.timestamp_type == TimestampType::LogAppendTime) {
    attrs |= legacy_attr::kLogAppendTime;
    ts = opts_.log_append_time;
  }
  write_legacy_message(out, opts_.magic, last_offset_, attrs, ts, BytesView::null(),
                       BytesView::of(std::span<const uint8_t>(packed)));
}

std::vector<uint8_t> LegacyBuilder::build() const {
  std::vector<uint8_t> out;
  build(out);
  return out;
}

}  // namespace fjord::records
