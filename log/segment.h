// One segment of a partition log: <base>.log with its <base>.index and <base>.timeindex, and
// <base>.txnindex once an aborted transaction ends in it.
//
// Invariants (see docs/storage.md, "Segment invariants"); they hold between calls:
//  1. The .log is a sequence of whole v2 batches. Below the recovery point they are known
//     valid; past it, recover() re-checks every one (framing, magic, CRC, offset order).
//  2. Batch offsets strictly increase from batch to batch; gaps are allowed.
//  3. Every offset is in [base_offset, base_offset + 2^31 - 1] (fits a relative int32) and
//     below the next segment's base offset.
//  4. size() < 2^31, so positions fit an int32.
//  5. Offset index entries strictly increase in offset and position; an entry (o, p) names
//     the batch that starts at p and ends at offset o.
//  6. Time index timestamps strictly increase; an entry (t, o) says the running maximum
//     timestamp first reached t in the batch ending at o.
//  7. While a segment is active its index files are preallocated; once rolled or closed,
//     they are trimmed to their entries, and the time index's last entry holds the
//     segment's largest timestamp.
//  8. size() is the .log file's length: nothing is ever written past it.
//
// Appends are batch-granular: the caller hands over whole batches whose offsets are already
// assigned. Index entries are added per batch, exactly as recovery rebuilds them.
//
// Not thread-safe; see docs/storage.md, "Threads".
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "log/batch_scanner.h"
#include "log/config.h"
#include "log/file.h"
#include "log/offset_index.h"
#include "log/time_index.h"
#include "log/txn_index.h"

namespace fjord::log {

class LeaderEpochCache;

struct SegmentConfig {
  int64_t max_index_size = 10 * 1024 * 1024;
  int32_t index_interval_bytes = 4096;
  int64_t roll_jitter_ms = 0;

  static SegmentConfig from(const LogConfig& c) {
    return {c.segment_index_bytes, c.index_interval_bytes, c.segment_jitter_ms};
  }
};

// What a read returns: a slice of the .log starting at the batch that holds fetch_offset.
struct SegmentRead {
  int64_t fetch_offset = 0;
  int64_t segment_base_offset = 0;
  FileSlice records;
  // True when the first batch is larger than the bytes allowed (and min_one_batch was off),
  // so `records` holds less than one batch.
  bool first_entry_incomplete = false;
};

// The answer to "first record with timestamp >= t".
struct TimestampAndOffset {
  int64_t timestamp = kNoTimestamp;
  int64_t offset = kNoOffset;
  std::optional<int32_t> leader_epoch;
  bool operator==(const TimestampAndOffset&) const = default;
};

struct RecoveryResult {
  int64_t valid_bytes = 0;
  int64_t truncated_bytes = 0;  // bytes cut off the end of the .log
  int32_t valid_batches = 0;
  std::string reason;  // why the scan stopped early, empty if it reached the end cleanly
};

struct RollParams {
  int64_t max_segment_ms = 0;
  int32_t max_segment_bytes = 0;
  int64_t max_timestamp_in_messages = kNoTimestamp;
  int64_t max_offset_in_messages = 0;
  int64_t messages_size = 0;
  int64_t now_ms = 0;
};

class LogSegment {
 public:
  // Creates the three files of a new segment (an existing .log is an error; stale index
  // files are reset) and preallocates the indexes.
  static std::unique_ptr<LogSegment> create(const std::filesystem::path& dir, int64_t base_offset,
                                            const SegmentConfig& config, int64_t now_ms);
  // Opens an existing segment. Missing index files are created empty and
  // indexes_were_missing() reports it; the caller decides whether to recover.
  static std::unique_ptr<LogSegment> open(const std::filesystem::path& dir, int64_t base_offset,
                                          const SegmentConfig& config, int64_t now_ms);

  LogSegment(const LogSegment&) = delete;
  LogSegment& operator=(const LogSegment&) = delete;

  int64_t base_offset() const { return base_offset_; }
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::filesystem::path& log_path() const { return log_->path(); }
  const OffsetIndex& offset_index() const { return *offset_index_; }
  const TimeIndex& time_index() const { return *time_index_; }
  // The aborted transactions whose markers are in this segment (<base>.txnindex).
  TransactionIndex& txn_index() { return *txn_index_; }
  const TransactionIndex& txn_index() const { return *txn_index_; }
  bool indexes_were_missing() const { return indexes_were_missing_; }
  const SegmentConfig& config() const { return config_; }
  void set_config(const SegmentConfig& c) { config_ = c; }

  // Appends whole v2 batches (already validated, offsets assigned). Their offsets must lie
  // above anything in the segment and be relative-addressable. On a write failure the
  // segment is cut back to where it was and the LogError is rethrown; if even that fails, a
  // kOffline error is thrown and the segment must not be used again.
  void append(std::span<const uint8_t> batches);

  // The batches from the one holding `start_offset`, at most max_size bytes, never past
  // `max_position`. min_one_batch extends the slice to the whole first batch. nullopt when
  // no batch in this segment ends at or after start_offset.
  std::optional<SegmentRead> read(int64_t start_offset, int32_t max_size, int64_t max_position,
                                  bool min_one_batch) const;

  // The first batch whose last offset is >= offset, scanning from the index entry below
  // (or from starting_position if later).
  std::optional<BatchHeader> translate_offset(int64_t offset, int64_t starting_position = 0) const;

  // The first record at or after starting_offset with timestamp >= `timestamp`.
  std::optional<TimestampAndOffset> find_offset_by_timestamp(int64_t timestamp,
                                                             int64_t starting_offset) const;

  // The offset after the last batch, or base_offset() if empty. Scans from the last index
  // entry to the end of the file.
  int64_t read_next_offset() const;

  // Re-validates every batch, rebuilds both indexes, truncates the .log at the first bad or
  // incomplete batch. Epochs newer than the cache's latest are added to `epochs` if given.
  RecoveryResult recover(LeaderEpochCache* epochs = nullptr);

  // Structural checks used at load instead of a full recovery: indexes consistent with each
  // other and with the .log, and the .log's tail after the last index entry well framed.
  // Returns what is wrong, or nullopt.
  std::optional<std::string> sanity_check() const;

  // Removes every batch from the one holding `offset` on. Returns the bytes removed.
  int64_t truncate_to(int64_t offset, int64_t now_ms);

  // Kafka's roll rule (see docs/storage.md, "Appending").
  bool should_roll(const RollParams& p);

  // Appends the final time index entry and trims both indexes (segment rolled or closing).
  void on_become_inactive();
  // Preallocates the index files again (segment became the active one).
  void on_become_active();
  // fdatasync of the .log and both indexes.
  void flush();
  // fdatasync of the .log only.
  void flush_log();
  // Same as on_become_inactive; the files stay open until the object is destroyed.
  void close() { on_become_inactive(); }
  // Renames the files to *.deleted and unlinks them. Open slices keep reading.
  void delete_files();

  // The largest batch maxTimestamp in the segment and the last offset of the batch holding
  // it: (-1, base) if no batch has a timestamp.
  TimestampOffset max_timestamp_and_offset() const { return max_ts_; }
  int64_t max_timestamp_so_far() const { return max_ts_.timestamp; }
  // max_timestamp_so_far(), or the .log's mtime when no batch has a timestamp.
  int64_t largest_timestamp() const;
  int64_t last_modified_ms() const { return log_->mtime_ms(); }
  int64_t created_ms() const { return created_ms_; }

  // The open .log, for slices and tests.
  std::shared_ptr<const File> log_file() const { return log_; }

 private:
  LogSegment(const std::filesystem::path& dir, int64_t base_offset, const SegmentConfig& config,
             int64_t now_ms, bool create);
  // Max timestamp after the last time index entry, from the batches after it.
  TimestampOffset read_largest_timestamp() const;
  int64_t bytes_since_last_entry() const;
  std::optional<int64_t> rolling_based_timestamp();

  std::filesystem::path dir_;
  int64_t base_offset_;
  SegmentConfig config_;
  std::shared_ptr<File> log_;
  int64_t size_ = 0;
  std::unique_ptr<OffsetIndex> offset_index_;
  std::unique_ptr<TimeIndex> time_index_;
  std::unique_ptr<TransactionIndex> txn_index_;
  bool indexes_were_missing_ = false;
  TimestampOffset max_ts_;
  int64_t bytes_since_last_index_entry_ = 0;
  std::optional<int64_t> rolling_based_timestamp_;
  bool rolling_based_timestamp_loaded_ = false;
  // The offset after the last batch, known once computed (lazily: only the active segment
  // needs it, for checking appends).
  mutable std::optional<int64_t> next_offset_;
  int64_t created_ms_;
};

}  // namespace fjord::log
