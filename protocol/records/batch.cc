#include "records/batch.h"

#include <algorithm>

#include "records/crc32c.h"
#include "records/decompress.h"
#include "records/wire.h"

namespace fjord::records {
namespace {

namespace L = batch_layout;
using wire::load_i16;
using wire::load_i32;
using wire::load_i64;

// Smallest possible entry of any magic: a magic-0 message with null key and
// value (crc 4 + magic 1 + attributes 1 + key length 4 + value length 4).
constexpr int32_t kMinLegacyEntry = 14;
// batchLength of an empty v2 batch.
constexpr int32_t kMinBatchLength = static_cast<int32_t>(kBatchHeaderSize - kLogOverhead);

// Reads a varint length-prefixed byte string; -1 means null when allowed.
[[gnu::always_inline]] inline bool read_bytes(std::span<const uint8_t> d, size_t& pos,
                                              bool nullable, BytesView& out) {
  int32_t len;
  if (!wire::read_varint(d, pos, len)) return false;
  if (len == -1 && nullable) {
    out = BytesView::null();
    return true;
  }
  if (len < 0 || static_cast<size_t>(len) > d.size() - pos) return false;
  out = BytesView::of(d.subspan(pos, static_cast<size_t>(len)));
  pos += static_cast<size_t>(len);
  return true;
}

}  // namespace

bool HeaderIterator::next(HeaderView& out) {
  if (left_ == 0) return false;
  size_t pos = 0;
  BytesView key;
  // The record parser validated this region; a failure here means a caller
  // built the iterator by hand from bad bytes, so just stop.
  if (!read_bytes(data_, pos, false, key) || !read_bytes(data_, pos, true, out.value)) {
    left_ = 0;
    return false;
  }
  out.key = key.str();
  data_ = data_.subspan(pos);
  --left_;
  return true;
}

Error parse_record(std::span<const uint8_t> data, RecordView& out, size_t& consumed) {
  size_t pos = 0;
  int32_t len;
  if (!wire::read_varint(data, pos, len)) return Error::CorruptMessage;
  if (len < 0 || static_cast<size_t>(len) > data.size() - pos) return Error::CorruptMessage;
  const size_t start = pos;
  std::span<const uint8_t> body = data.subspan(pos, static_cast<size_t>(len));
  size_t p = 0;
  if (body.empty()) return Error::CorruptMessage;
  out.attributes = static_cast<int8_t>(body[p++]);
  if (!wire::read_varlong(body, p, out.timestamp_delta)) return Error::CorruptMessage;
  if (!wire::read_varint(body, p, out.offset_delta)) return Error::CorruptMessage;
  if (!read_bytes(body, p, true, out.key)) return Error::CorruptMessage;
  if (!read_bytes(body, p, true, out.value)) return Error::CorruptMessage;
  int32_t header_count;
  if (!wire::read_varint(body, p, header_count) || header_count < 0) {
    return Error::CorruptMessage;
  }
  // Each header takes at least two bytes, which bounds the loop by the input.
  if (static_cast<size_t>(header_count) > (body.size() - p) / 2) return Error::CorruptMessage;
  const size_t headers_start = p;
  for (int32_t i = 0; i < header_count; ++i) {
    BytesView k, v;
    if (!read_bytes(body, p, false, k) || !read_bytes(body, p, true, v)) {
      return Error::CorruptMessage;
    }
  }
  if (p != body.size()) return Error::CorruptMessage;
  out.header_count = static_cast<uint32_t>(header_count);
  out.headers_data = body.subspan(headers_start, p - headers_start);
  out.raw = data.first(start + body.size());
  consumed = start + body.size();
  return Error::Ok;
}

bool RecordReader::next(RecordView& out) {
  if (error_ != Error::Ok) return false;
  if (left_ == 0) {
    if (!data_.empty()) error_ = Error::CorruptMessage;  // bytes after the last record
    return false;
  }
  size_t used = 0;
  Error e = parse_record(data_, out, used);
  if (e != Error::Ok) {
    error_ = e;
    return false;
  }
  data_ = data_.subspan(used);
  --left_;
  return true;
}

int64_t BatchView::base_offset() const { return load_i64(&bytes[L::kBaseOffset]); }
int32_t BatchView::batch_length() const { return load_i32(&bytes[L::kBatchLength]); }
int32_t BatchView::partition_leader_epoch() const {
  return load_i32(&bytes[L::kPartitionLeaderEpoch]);
}
int8_t BatchView::magic() const { return static_cast<int8_t>(bytes[L::kMagic]); }
uint32_t BatchView::crc() const { return wire::load_u32(&bytes[L::kCrc]); }
int16_t BatchView::attributes() const { return load_i16(&bytes[L::kAttributes]); }
TimestampType BatchView::timestamp_type() const {
  return (attributes() & batch_attr::kLogAppendTime) ? TimestampType::LogAppendTime
                                                     : TimestampType::CreateTime;
}
int32_t BatchView::last_offset_delta() const { return load_i32(&bytes[L::kLastOffsetDelta]); }
int64_t BatchView::base_timestamp() const { return load_i64(&bytes[L::kBaseTimestamp]); }
int64_t BatchView::max_timestamp() const { return load_i64(&bytes[L::kMaxTimestamp]); }
int64_t BatchView::producer_id() const { return load_i64(&bytes[L::kProducerId]); }
int16_t BatchView::producer_epoch() const { return load_i16(&bytes[L::kProducerEpoch]); }
int32_t BatchView::base_sequence() const { return load_i32(&bytes[L::kBaseSequence]); }
int32_t BatchView::record_count() const { return load_i32(&bytes[L::kRecordCount]); }

uint32_t BatchView::compute_crc() const { return crc32c(bytes.subspan(L::kAttributes)); }

namespace {

// Walks records and checks count, exact size and offset-delta order.
Error check_records(const BatchView& b, RecordReader reader, const ValidateOptions& opts,
                    RecordStats* stats = nullptr) {
  const int32_t count = b.record_count();
  const int32_t last_delta = b.last_offset_delta();
  RecordView r;
  int32_t index = 0;
  int64_t prev_delta = -1;
  int64_t min_ts = 0, max_ts = 0;
  while (reader.next(r)) {
    if (r.offset_delta <= prev_delta || r.offset_delta > last_delta) return Error::InvalidRecord;
    if (opts.require_contiguous_offsets && r.offset_delta != index) return Error::InvalidRecord;
    if (index == 0) {
      min_ts = max_ts = r.timestamp_delta;
    } else {
      min_ts = std::min(min_ts, r.timestamp_delta);
      max_ts = std::max(max_ts, r.timestamp_delta);
    }
    prev_delta = r.offset_delta;
    ++index;
  }
  if (reader.error() != Error::Ok) return reader.error();
  if (index != count) return Error::CorruptMessage;
  if (stats) *stats = {index, min_ts, max_ts};
  return Error::Ok;
}

// Header-level checks shared by validate() and validate_records().
Error check_header(const BatchView& b, const ValidateOptions& opts) {
  if (b.bytes.size() < kLogOverhead) return Error::Truncated;
  const int32_t len = b.batch_length();
  if (len < kMinBatchLength) return Error::CorruptMessage;
  if (b.bytes.size() < kLogOverhead + static_cast<size_t>(len)) return Error::Truncated;
  if (b.bytes.size() > kLogOverhead + static_cast<size_t>(len)) return Error::CorruptMessage;
  if (b.magic() != kMagicV2) return Error::UnsupportedMagic;
  if (b.crc() != b.compute_crc()) return Error::CorruptMessage;
  if (b.codec_id() > 4) return Error::UnsupportedCompression;
  const int32_t count = b.record_count();
  const int32_t last_delta = b.last_offset_delta();
  if (count < 0) return Error::CorruptMessage;
  if (count > 0 && last_delta < count - 1) return Error::InvalidRecord;
  if (opts.require_contiguous_offsets && count > 0 && last_delta != count - 1) {
    return Error::InvalidRecord;
  }
  return Error::Ok;
}

}  // namespace

Error BatchView::validate(const ValidateOptions& opts) const {
  if (Error e = check_header(*this, opts); e != Error::Ok) return e;
  if (opts.check_records && !is_compressed()) {
    return check_records(*this, RecordReader(records_data(), record_count()), opts);
  }
  return Error::Ok;
}

Error frame_batch(std::span<const uint8_t> data, BatchView& out) {
  if (data.size() < kLogOverhead) return Error::Truncated;
  const int32_t len = load_i32(&data[L::kBatchLength]);
  if (data.size() > L::kMagic && static_cast<int8_t>(data[L::kMagic]) != kMagicV2) {
    return Error::UnsupportedMagic;
  }
  if (len < kMinBatchLength) return Error::CorruptMessage;
  if (data.size() - kLogOverhead < static_cast<size_t>(len)) return Error::Truncated;
  out.bytes = data.first(kLogOverhead + static_cast<size_t>(len));
  return Error::Ok;
}

Error open_records(const BatchView& batch, std::vector<uint8_t>& buffer, size_t max_decompressed,
                   RecordReader& out) {
  if (!batch.is_compressed()) {
    out = RecordReader(batch.records_data(), batch.record_count());
    return Error::Ok;
  }
  if (batch.codec_id() > 4) return Error::UnsupportedCompression;
  Error e = detail::decompress_capped(batch.codec(), batch.records_data(), buffer, max_decompressed,
                                      false);
  if (e != Error::Ok) return e;
  out = RecordReader(buffer, batch.record_count());
  return Error::Ok;
}

Error validate_records(const BatchView& batch, std::vector<uint8_t>& buffer,
                       size_t max_decompressed, const ValidateOptions& opts, RecordStats* stats) {
  if (Error e = check_header(batch, opts); e != Error::Ok) return e;
  RecordReader reader;
  if (Error e = open_records(batch, buffer, max_decompressed, reader); e != Error::Ok) return e;
  return check_records(batch, reader, opts, stats);
}

void MutableBatchView::set_base_offset(int64_t offset) {
  wire::store_u64(&bytes[L::kBaseOffset], static_cast<uint64_t>(offset));
}

void MutableBatchView::set_partition_leader_epoch(int32_t epoch) {
  wire::store_u32(&bytes[L::kPartitionLeaderEpoch], static_cast<uint32_t>(epoch));
}

void MutableBatchView::set_log_append_time(int64_t timestamp) {
  const int16_t attrs = view().attributes() | batch_attr::kLogAppendTime;
  wire::store_u16(&bytes[L::kAttributes], static_cast<uint16_t>(attrs));
  wire::store_u64(&bytes[L::kMaxTimestamp], static_cast<uint64_t>(timestamp));
  update_crc();
}

void MutableBatchView::update_crc() { wire::store_u32(&bytes[L::kCrc], view().compute_crc()); }

bool BatchIterator::next(BatchView& out) {
  if (error_ != Error::Ok || partial_) return false;
  const size_t left = data_.size() - pos_;
  if (left == 0) return false;
  if (left < kLogOverhead) {
    partial_ = true;
    return false;
  }
  const int32_t len = load_i32(&data_[pos_ + L::kBatchLength]);
  if (len < kMinLegacyEntry) {
    error_ = Error::CorruptMessage;
    return false;
  }
  if (left - kLogOverhead < static_cast<size_t>(len)) {
    partial_ = true;
    return false;
  }
  std::span<const uint8_t> entry = data_.subspan(pos_, kLogOverhead + static_cast<size_t>(len));
  if (static_cast<int8_t>(entry[L::kMagic]) == kMagicV2 && len < kMinBatchLength) {
    error_ = Error::CorruptMessage;
    return false;
  }
  out.bytes = entry;
  pos_ += entry.size();
  return true;
}

}  // namespace fjord::records
