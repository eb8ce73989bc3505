// Legacy message sets, magic 0 and 1 (Produce v0-2, Fetch v0-3).
//
// Each entry: offset int64, messageSize int32, then the message:
//   crc uint32 (CRC32/IEEE of the rest of the message), magic int8,
//   attributes int8 (bits 0-2 codec, bit 3 LogAppendTime for magic 1),
//   [timestamp int64, magic 1 only], key (int32 length, -1 null),
//   value (int32 length, -1 null).
// A compressed "wrapper" message holds a whole nested message set, compressed,
// as its value. Inner offsets are absolute for magic 0 and relative for
// magic 1, where the wrapper offset is the absolute offset of the last inner
// message.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "compression/compression.h"
#include "records/batch.h"

namespace fjord::records {

namespace legacy_attr {
inline constexpr int8_t kCodecMask = 0x07;
inline constexpr int8_t kLogAppendTime = 0x08;
}  // namespace legacy_attr

// Message bytes from the crc to the end of an empty-key, empty-value message.
inline constexpr size_t kLegacyMinMessageV0 = 14;
inline constexpr size_t kLegacyMinMessageV1 = 22;

struct LegacyMessageView {
  int64_t offset = 0;  // absolute, after wrapper resolution
  int8_t magic = 0;
  int8_t attributes = 0;
  TimestampType timestamp_type = TimestampType::None;
  int64_t timestamp = kNoTimestamp;  // kNoTimestamp for magic 0
  uint32_t crc = 0;
  BytesView key;
  BytesView value;
  std::span<const uint8_t> raw;  // the whole entry, offset field included

  uint8_t codec_id() const { return static_cast<uint8_t>(attributes & legacy_attr::kCodecMask); }
};

// Parses one entry at data[0] (no decompression). Checks the size field
// against the available bytes, the key/value lengths against the message
// size, and (if verify_crc) the CRC. Truncated if the entry is cut short.
Error parse_legacy_entry(std::span<const uint8_t> data, LegacyMessageView& out, size_t& consumed,
                         bool verify_crc = true);

struct LegacyReadOptions {
  // Cap on the decompressed size of each wrapper's value.
  size_t max_decompressed = 64u << 20;
  bool verify_crc = true;
};

// Reads a message set and yields plain messages: compressed wrappers are
// opened (one level only) and their inner messages returned with absolute
// offsets and the wrapper's timestamp where LogAppendTime applies. Views point
// into the input or into the reader's own buffer and are valid until the next
// call to next().
class LegacyReader {
 public:
  explicit LegacyReader(std::span<const uint8_t> set, const LegacyReadOptions& opts = {})
      : data_(set), opts_(opts) {}

  bool next(LegacyMessageView& out);
  Error error() const { return error_; }
  // True when stopped at a cut-off final entry (normal at the end of a Fetch).
  bool partial_tail() const { return partial_; }
  // Codec of the wrapper the last message came from (0 for plain messages).
  uint8_t source_codec_id() const { return inner_active_ ? wrapper_.codec_id() : 0; }

 private:
  Error open_wrapper(const LegacyMessageView& wrapper);

  std::span<const uint8_t> data_;
  LegacyReadOptions opts_;
  size_t pos_ = 0;
  Error error_ = Error::Ok;
  bool partial_ = false;

  // Current wrapper, if inner messages are being returned.
  bool inner_active_ = false;
  LegacyMessageView wrapper_;
  std::vector<uint8_t> inner_buf_;
  size_t inner_pos_ = 0;
  uint64_t offset_shift_ = 0;  // added to inner offsets (magic 1), wrapping
};

struct LegacyOptions {
  int8_t magic = kMagicV1;
  // None, Gzip, Snappy or Lz4 (zstd is not allowed below magic 2).
  compression::Codec codec = compression::Codec::None;
  // snappy_xerial / level are honoured; the lz4 header-checksum flag is set
  // from the magic (legacy checksum for magic 0).
  compression::CompressOptions compress_options;
  // Magic 1 only: with LogAppendTime the messages (or the wrapper) carry
  // log_append_time and the timestamp-type bit.
  TimestampType timestamp_type = TimestampType::CreateTime;
  int64_t log_append_time = kNoTimestamp;
};

// Writes one uncompressed or wrapper message entry.
void write_legacy_message(std::vector<uint8_t>& out, int8_t magic, int64_t offset,
                          int8_t attributes, int64_t timestamp, BytesView key, BytesView value);

// Accumulates messages and writes a message set: plain messages when
// uncompressed, else one compressed wrapper. Bad options throw
// std::invalid_argument.
class LegacyBuilder {
 public:
  explicit LegacyBuilder(const LegacyOptions& opts = {});

  // `offset` is absolute; `timestamp` is ignored for magic 0.
  void append(int64_t offset, int64_t timestamp, BytesView key, BytesView value);
  size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Appends the message set to `out`. Nothing is written when empty.
  void build(std::vector<uint8_t>& out) const;
  std::vector<uint8_t> build() const;

 private:
  LegacyOptions opts_;
  std::vector<uint8_t> messages_;  // entries as they go in the (inner) set
  size_t count_ = 0;
  int64_t first_offset_ = 0;
  int64_t last_offset_ = 0;
  int64_t max_timestamp_ = kNoTimestamp;
};

}  // namespace fjord::records
