// Writing v2 record batches, including transaction control batches.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "compression/compression.h"
#include "records/batch.h"

namespace fjord::records {

struct BatchOptions {
  compression::Codec codec = compression::Codec::None;
  compression::CompressOptions compress_options;
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
  // With LogAppendTime every record gets `log_append_time` as its timestamp
  // (deltas 0) and maxTimestamp is set to it.
  TimestampType timestamp_type = TimestampType::CreateTime;
  int64_t log_append_time = kNoTimestamp;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
  bool transactional = false;
  bool control = false;
};

// Transaction marker kinds carried by control records.
enum class ControlType : int16_t { Abort = 0, Commit = 1 };

struct ControlRecord {
  int16_t key_version = 0;
  ControlType type = ControlType::Abort;
  int16_t value_version = 0;
  int32_t coordinator_epoch = 0;
};

// Decodes a control record's key (int16 version, int16 type) and value
// (int16 version, int32 coordinator epoch). Unknown types and short fields
// give InvalidRecord; trailing bytes from newer versions are tolerated.
Error parse_control_record(const RecordView& record, ControlRecord& out);

// Accumulates records and writes one v2 batch. Record bytes are encoded (and
// so copied) at append time, so the inputs need not outlive the call.
// Misuse (offset deltas not increasing, oversize fields) throws
// std::invalid_argument, and a codec failure in build() surfaces as
// compression::CompressionError; neither depends on untrusted input.
class BatchBuilder {
 public:
  explicit BatchBuilder(const BatchOptions& opts = {});

  // Appends with offset delta = previous delta + 1 (0 for the first record).
  void append(int64_t timestamp, BytesView key, BytesView value,
              std::span<const HeaderView> headers = {});
  // Appends with an explicit offset delta, which must exceed the previous one.
  void append_at(int32_t offset_delta, int64_t timestamp, BytesView key, BytesView value,
                 std::span<const HeaderView> headers = {});
  // Appends a commit/abort marker (the batch should have control = true).
  void append_control(ControlType type, int32_t coordinator_epoch, int64_t timestamp);

  int32_t record_count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Size of the batch if written uncompressed.
  size_t uncompressed_size() const { return kBatchHeaderSize + records_.size(); }

  // Appends the finished batch to `out`.
  void build(std::vector<uint8_t>& out) const;
  std::vector<uint8_t> build() const;

 private:
  BatchOptions opts_;
  std::vector<uint8_t> records_;  // encoded records, uncompressed
  std::vector<uint8_t> scratch_;  // one record body while it is encoded
  int32_t count_ = 0;
  int32_t last_delta_ = -1;
  int64_t base_timestamp_ = kNoTimestamp;
  int64_t max_timestamp_ = kNoTimestamp;
};

}  // namespace fjord::records
