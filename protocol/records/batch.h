// Record batch v2 (magic 2): read-only views, in-place broker mutators, and
// iteration over batches and over the records inside a batch.
//
// Layout (all integers big endian):
//   0  baseOffset           int64
//   8  batchLength          int32   bytes after this field
//  12  partitionLeaderEpoch int32   not covered by the CRC
//  16  magic                int8    = 2
//  17  crc                  uint32  CRC32C of bytes [21, end)
//  21  attributes           int16
//  23  lastOffsetDelta      int32
//  27  baseTimestamp        int64
//  35  maxTimestamp         int64
//  43  producerId           int64
//  51  producerEpoch        int16
//  53  baseSequence         int32
//  57  recordCount          int32
//  61  records...
//
// Nothing here copies record bytes: views point into the caller's buffer and
// stay valid only as long as it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "records/errors.h"

namespace fjord::compression {
enum class Codec : uint8_t;  // defined in compression/compression.h
}

namespace fjord::records {

using compression::Codec;

// Byte positions of the v2 header fields.
namespace batch_layout {
inline constexpr size_t kBaseOffset = 0;
inline constexpr size_t kBatchLength = 8;
inline constexpr size_t kPartitionLeaderEpoch = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kCrc = 17;
inline constexpr size_t kAttributes = 21;
inline constexpr size_t kLastOffsetDelta = 23;
inline constexpr size_t kBaseTimestamp = 27;
inline constexpr size_t kMaxTimestamp = 35;
inline constexpr size_t kProducerId = 43;
inline constexpr size_t kProducerEpoch = 51;
inline constexpr size_t kBaseSequence = 53;
inline constexpr size_t kRecordCount = 57;
inline constexpr size_t kRecords = 61;
}  // namespace batch_layout

// baseOffset + batchLength: the framing shared by v2 batches and legacy entries.
inline constexpr size_t kLogOverhead = 12;
// Smallest v2 batch (header, zero records).
inline constexpr size_t kBatchHeaderSize = 61;
inline constexpr int8_t kMagicV0 = 0;
inline constexpr int8_t kMagicV1 = 1;
inline constexpr int8_t kMagicV2 = 2;

// Bits of the v2 attributes field.
namespace batch_attr {
inline constexpr int16_t kCodecMask = 0x07;
inline constexpr int16_t kLogAppendTime = 0x08;
inline constexpr int16_t kTransactional = 0x10;
inline constexpr int16_t kControl = 0x20;
inline constexpr int16_t kDeleteHorizon = 0x40;
}  // namespace batch_attr

enum class TimestampType : int8_t { None = -1, CreateTime = 0, LogAppendTime = 1 };

inline constexpr int64_t kNoTimestamp = -1;
inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;
inline constexpr int32_t kNoPartitionLeaderEpoch = -1;

// A byte string that may be null (wire length -1), as used for keys, values and
// header values.
struct BytesView {
  std::span<const uint8_t> data;
  bool is_null = true;

  static BytesView null() { return {}; }
  static BytesView of(std::span<const uint8_t> d) { return {d, false}; }
  static BytesView of(std::string_view s) {
    return {{reinterpret_cast<const uint8_t*>(s.data()), s.size()}, false};
  }
  size_t size() const { return data.size(); }
  std::string_view str() const { return {reinterpret_cast<const char*>(data.data()), data.size()}; }
  friend bool operator==(const BytesView& a, const BytesView& b) {
    if (a.is_null || b.is_null) return a.is_null == b.is_null;
    return a.str() == b.str();
  }
};

// One record header: key is never null, value may be.
struct HeaderView {
  std::string_view key;
  BytesView value;
};

// Walks the headers region of a RecordView. The record parser already checked
// every length, so this cannot run off the end.
class HeaderIterator {
 public:
  HeaderIterator() = default;
  HeaderIterator(std::span<const uint8_t> data, uint32_t count) : data_(data), left_(count) {}
  bool next(HeaderView& out);

 private:
  std::span<const uint8_t> data_;
  uint32_t left_ = 0;
};

// One record of a v2 batch, as views into the batch (or into the buffer that
// holds the decompressed records).
struct RecordView {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  BytesView key;
  BytesView value;
  uint32_t header_count = 0;
  std::span<const uint8_t> headers_data;  // the encoded headers
  std::span<const uint8_t> raw;           // the whole record, length prefix included

  HeaderIterator headers() const { return {headers_data, header_count}; }
};

// Decodes one record starting at data[0]. On success sets `consumed` to the
// bytes used. Every varint and length is checked against what remains.
Error parse_record(std::span<const uint8_t> data, RecordView& out, size_t& consumed);

// Sequential reader over the records region of a batch.
class RecordReader {
 public:
  RecordReader() = default;
  RecordReader(std::span<const uint8_t> records, int32_t count)
      : data_(records), left_(count < 0 ? 0 : count) {}

  // Produces the next record; false when done or on error (see error()).
  bool next(RecordView& out);
  // Ok after a clean end. A clean end means exactly `count` records were read
  // and no bytes were left over.
  Error error() const { return error_; }
  int32_t remaining() const { return left_; }

 private:
  std::span<const uint8_t> data_;
  int32_t left_ = 0;
  Error error_ = Error::Ok;
};

struct ValidateOptions {
  // Walk the records of uncompressed batches (count, offset deltas, sizes).
  bool check_records = true;
  // Producer batches: offset deltas must be exactly 0..count-1 and
  // lastOffsetDelta == count-1 (also checked for compressed batches when
  // records are iterated with open_records()).
  bool require_contiguous_offsets = false;
};

// Read-only view of one v2 batch. `bytes` normally covers exactly the batch
// (as produced by frame_batch() or BatchIterator). The field accessors need
// bytes.size() >= kBatchHeaderSize; validate() checks everything else.
struct BatchView {
  std::span<const uint8_t> bytes;

  int64_t base_offset() const;
  int32_t batch_length() const;
  int32_t partition_leader_epoch() const;
  int8_t magic() const;
  uint32_t crc() const;
  int16_t attributes() const;
  uint8_t codec_id() const { return static_cast<uint8_t>(attributes() & batch_attr::kCodecMask); }
  // Only meaningful when codec_id() <= 4 (validate() guarantees it).
  Codec codec() const { return static_cast<Codec>(codec_id()); }
  bool is_compressed() const { return codec_id() != 0; }
  TimestampType timestamp_type() const;
  bool is_transactional() const { return (attributes() & batch_attr::kTransactional) != 0; }
  bool is_control() const { return (attributes() & batch_attr::kControl) != 0; }
  int32_t last_offset_delta() const;
  int64_t base_timestamp() const;
  int64_t max_timestamp() const;
  int64_t producer_id() const;
  int16_t producer_epoch() const;
  int32_t base_sequence() const;
  int32_t record_count() const;

  // baseOffset + lastOffsetDelta (and + 1). Both are raw wire values, so the
  // sums wrap around rather than overflow; validate() does not police this.
  int64_t last_offset() const {
    return static_cast<int64_t>(static_cast<uint64_t>(base_offset()) +
                                static_cast<uint64_t>(int64_t{last_offset_delta()}));
  }
  int64_t next_offset() const {
    return static_cast<int64_t>(static_cast<uint64_t>(last_offset()) + 1u);
  }
  size_t size() const { return bytes.size(); }
  // Everything after the 61-byte header (compressed payload when compressed).
  std::span<const uint8_t> records_data() const { return bytes.subspan(kBatchHeaderSize); }

  // CRC32C of bytes [attributes, end), i.e. what crc() should equal.
  uint32_t compute_crc() const;

  // Checks framing (size >= 61, batchLength == size - 12), magic == 2, CRC,
  // codec bits, record count, lastOffsetDelta, and for uncompressed batches
  // the records themselves. Never copies record bytes.
  Error validate(const ValidateOptions& opts = {}) const;
};

// Frames the entry at the start of `data` as a v2 batch: on success `out`
// covers exactly 12 + batchLength bytes. Only framing and the magic byte are
// checked; call validate() for the rest.
Error frame_batch(std::span<const uint8_t> data, BatchView& out);

// Opens the records of a batch that passed validate(). Uncompressed batches
// are read in place and `buffer` is untouched. Compressed batches are
// decompressed into `buffer` (cleared first; never more than
// max_decompressed bytes) and the reader points into it, so `buffer` must
// outlive the reader.
Error open_records(const BatchView& batch, std::vector<uint8_t>& buffer, size_t max_decompressed,
                   RecordReader& out);

// What validate_records() saw while walking the records (filled only on success).
struct RecordStats {
  int32_t records = 0;
  // Smallest and largest timestampDelta of the records (0 when there are none):
  // the record timestamps range over baseTimestamp + [min, max].
  int64_t min_timestamp_delta = 0;
  int64_t max_timestamp_delta = 0;
};

// Validates a batch's records in full, decompressing if needed (into
// `buffer`): counts, offset deltas and timestamps are checked like validate()
// does for uncompressed batches. With `stats`, the same single walk also
// reports the range of the timestamp deltas (so the broker need not walk the
// records a second time to check timestamps).
Error validate_records(const BatchView& batch, std::vector<uint8_t>& buffer,
                       size_t max_decompressed, const ValidateOptions& opts = {},
                       RecordStats* stats = nullptr);

// Writable view for the broker's in-place edits. The batch should have been
// validated first.
struct MutableBatchView {
  std::span<uint8_t> bytes;

  BatchView view() const { return {bytes}; }
  // baseOffset and partitionLeaderEpoch sit outside the CRC; no recompute.
  void set_base_offset(int64_t offset);
  void set_partition_leader_epoch(int32_t epoch);
  // Marks the batch LogAppendTime with maxTimestamp = `timestamp` and
  // rewrites the CRC.
  void set_log_append_time(int64_t timestamp);
  // Recomputes and stores the CRC.
  void update_crc();
};

// Iterates the batches of a "records" field (Produce / Fetch), which may also
// hold legacy magic 0/1 entries: the framing (offset, length, magic at byte 16)
// is the same. Stops cleanly at a partial trailing entry, as Fetch responses
// may end with one.
class BatchIterator {
 public:
  explicit BatchIterator(std::span<const uint8_t> data) : data_(data) {}

  // Yields the next complete entry (framed, not validated). Returns false at
  // the end, at a partial tail, or on a framing error.
  bool next(BatchView& out);
  // CorruptMessage if a length field is impossible; Ok otherwise (also when
  // stopped at a partial tail).
  Error error() const { return error_; }
  // True when stopped because the last entry was cut short.
  bool partial_tail() const { return partial_; }
  // Bytes of complete entries consumed so far.
  size_t consumed() const { return pos_; }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  Error error_ = Error::Ok;
  bool partial_ = false;
};

}  // namespace fjord::records
