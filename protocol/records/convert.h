// Conversions between legacy message sets (magic 0/1) and v2 batches.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "compression/compression.h"
#include "records/batch.h"

namespace fjord::records {

struct UpConvertOptions {
  // Codec of the new batch. Unset: the codec of the first compressed wrapper
  // in the source (None if nothing was compressed).
  std::optional<compression::Codec> codec;
  compression::CompressOptions compress_options;
  // Per-wrapper decompression cap.
  size_t max_decompressed = 64u << 20;
  bool verify_crc = true;
  // A cut-off final message is an error unless this is set (Produce data
  // should be whole; Fetch data may end short).
  bool allow_partial_tail = false;
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
};

struct UpConvertResult {
  Error error = Error::Ok;
  int32_t record_count = 0;
  compression::Codec codec{};  // codec actually used for the batch
  bool saw_magic0 = false;
  bool saw_magic1 = false;
};

// Turns a legacy message set (magic 0 and/or 1, compressed or not) into one
// v2 batch appended to `out`. Offsets become deltas 0..n-1 in message order
// (the broker assigns the real base offset); magic 1 timestamps are kept and
// magic 0 messages get -1. On error `out` is left as it was.
UpConvertResult legacy_to_batch(std::span<const uint8_t> set, std::vector<uint8_t>& out,
                                const UpConvertOptions& opts = {});

struct DownConvertOptions {
  int8_t magic = kMagicV1;  // 0 or 1
  // Codec of the legacy output. Unset: each batch keeps its own codec, and a
  // zstd batch is an UnsupportedCompression error (zstd has no legacy form).
  std::optional<compression::Codec> codec;
  compression::CompressOptions compress_options;
  size_t max_decompressed = 64u << 20;
};

struct DownConvertResult {
  Error error = Error::Ok;
  int32_t batches = 0;   // data batches converted
  int32_t messages = 0;  // legacy messages written
  bool partial_tail = false;
};

// Rewrites a run of v2 batches (a Fetch "records" field) as a legacy message
// set appended to `out`. Offsets stay absolute, headers are dropped, control
// batches are skipped (legacy formats cannot express them), and each
// compressed batch becomes one compressed wrapper. A cut-off final batch is
// dropped and reported through partial_tail. Magic 0/1 entries in the input
// give UnsupportedMagic. On error `out` is left as it was.
DownConvertResult batches_to_legacy(std::span<const uint8_t> records, std::vector<uint8_t>& out,
                                    const DownConvertOptions& opts);

}  // namespace fjord::records
