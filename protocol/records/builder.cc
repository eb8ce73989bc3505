#include "records/builder.h"

#include <limits>
#include <stdexcept>

#include "records/wire.h"

namespace fjord::records {
namespace {

namespace L = batch_layout;

void put_bytes_field(std::vector<uint8_t>& out, BytesView b) {
  if (b.is_null) {
    wire::put_varint(out, -1);
    return;
  }
  if (b.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw std::invalid_argument("record field larger than 2 GiB");
  }
  wire::put_varint(out, static_cast<int32_t>(b.size()));
  wire::put_bytes(out, b.data);
}

// Wrap-around subtraction: timestamps are arbitrary int64 on the wire.
int64_t wrapping_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

}  // namespace

Error parse_control_record(const RecordView& record, ControlRecord& out) {
  if (record.key.is_null || record.key.size() < 4) return Error::InvalidRecord;
  const uint8_t* k = record.key.data.data();
  out.key_version = wire::load_i16(k);
  int16_t type = wire::load_i16(k + 2);
  if (out.key_version < 0 || (type != 0 && type != 1)) return Error::InvalidRecord;
  out.type = static_cast<ControlType>(type);
  if (record.value.is_null || record.value.size() < 6) return Error::InvalidRecord;
  const uint8_t* v = record.value.data.data();
  out.value_version = wire::load_i16(v);
  if (out.value_version < 0) return Error::InvalidRecord;
  out.coordinator_epoch = wire::load_i32(v + 2);
  return Error::Ok;
}

BatchBuilder::BatchBuilder(const BatchOptions& opts) : opts_(opts) {}

void BatchBuilder::append(int64_t timestamp, BytesView key, BytesView value,
                          std::span<const HeaderView> headers) {
  if (last_delta_ == std::numeric_limits<int32_t>::max()) {
    throw std::invalid_argument("batch offset delta overflow");
  }
  append_at(last_delta_ + 1, timestamp, key, value, headers);
}

void BatchBuilder::append_at(int32_t offset_delta, int64_t timestamp, BytesView key,
                             BytesView value, std::span<const HeaderView> headers) {
  if (offset_delta <= last_delta_) throw std::invalid_argument("offset deltas must increase");
  if (headers.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw std::invalid_argument("too many headers");
  }
  if (opts_.timestamp_type == TimestampType::LogAppendTime) timestamp = opts_.log_append_time;
  if (count_ == 0) {
    base_timestamp_ = timestamp;
    max_timestamp_ = timestamp;
  } else if (timestamp > max_timestamp_) {
    max_timestamp_ = timestamp;
  }

  scratch_.clear();
  wire::put_u8(scratch_, 0);  // record attributes: unused, always 0
  wire::put_varlong(scratch_, wrapping_sub(timestamp, base_timestamp_));
  wire::put_varint(scratch_, offset_delta);
  put_bytes_field(scratch_, key);
  put_bytes_field(scratch_, value);
  wire::put_varint(scratch_, static_cast<int32_t>(headers.size()));
  for (const HeaderView& h : headers) {
    put_bytes_field(scratch_, BytesView::of(h.key));
    put_bytes_field(scratch_, h.value);
  }
  if (scratch_.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw std::invalid_argument("record larger than 2 GiB");
  }
  wire::put_varint(records_, static_cast<int32_t>(scratch_.size()));
  wire::put_bytes(records_, scratch_);
  last_delta_ = offset_delta;
  ++count_;
}

void BatchBuilder::append_control(ControlType type, int32_t coordinator_epoch, int64_t timestamp) {
  uint8_t key[4];
  wire::store_u16(key, 0);
  wire::store_u16(key + 2, static_cast<uint16_t>(type));
  uint8_t value[6];
  wire::store_u16(value, 0);
  wire::store_u32(value + 2, static_cast<uint32_t>(coordinator_epoch));
  append(timestamp, BytesView::of(std::span<const uint8_t>(key)),
         BytesView::of(std::span<const uint8_t>(value)));
}

void BatchBuilder::build(std::vector<uint8_t>& out) const {
  const size_t start = out.size();
  out.resize(start + kBatchHeaderSize);
  if (opts_.codec == compression::Codec::None) {
    wire::put_bytes(out, records_);
  } else {
    std::vector<uint8_t> packed;
    compression::compress(opts_.codec, records_, packed, opts_.compress_options);
    wire::put_bytes(out, packed);
  }
  const size_t batch_len = out.size() - start - kLogOverhead;
  if (batch_len > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    out.resize(start);
    throw std::invalid_argument("batch larger than 2 GiB");
  }

  int16_t attrs = static_cast<int16_t>(static_cast<uint8_t>(opts_.codec) & batch_attr::kCodecMask);
  if (opts_.timestamp_type == TimestampType::LogAppendTime) attrs |= batch_attr::kLogAppendTime;
  if (opts_.transactional) attrs |= batch_attr::kTransactional;
  if (opts_.control) attrs |= batch_attr::kControl;
  int64_t max_ts =
      opts_.timestamp_type == TimestampType::LogAppendTime ? opts_.log_append_time : max_timestamp_;

  uint8_t* h = out.data() + start;
  wire::store_u64(h + L::kBaseOffset, static_cast<uint64_t>(opts_.base_offset));
  wire::store_u32(h + L::kBatchLength, static_cast<uint32_t>(batch_len));
  wire::store_u32(h + L::kPartitionLeaderEpoch,
                  static_cast<uint32_t>(opts_.partition_leader_epoch));
  h[L::kMagic] = static_cast<uint8_t>(kMagicV2);
  wire::store_u16(h + L::kAttributes, static_cast<uint16_t>(attrs));
  wire::store_u32(h + L::kLastOffsetDelta, static_cast<uint32_t>(count_ == 0 ? 0 : last_delta_));
  wire::store_u64(h + L::kBaseTimestamp, static_cast<uint64_t>(base_timestamp_));
  wire::store_u64(h + L::kMaxTimestamp, static_cast<uint64_t>(max_ts));
  wire::store_u64(h + L::kProducerId, static_cast<uint64_t>(opts_.producer_id));
  wire::store_u16(h + L::kProducerEpoch, static_cast<uint16_t>(opts_.producer_epoch));
  wire::store_u32(h + L::kBaseSequence, static_cast<uint32_t>(opts_.base_sequence));
  wire::store_u32(h + L::kRecordCount, static_cast<uint32_t>(count_));
  MutableBatchView{std::span<uint8_t>(h, kLogOverhead + batch_len)}.update_crc();
}

std::vector<uint8_t> BatchBuilder::build() const {
  std::vector<uint8_t> out;
  build(out);
  return out;
}

}  // namespace fjord::records
