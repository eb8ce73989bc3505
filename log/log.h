// One partition's log: an ordered set of segments plus the offsets that describe it.
//
//   log start offset   first offset a reader may ask for (moved by retention, DeleteRecords)
//   high watermark     last offset + 1 that consumers may see; on a single node it follows
//                      the log end offset (LogOptions::high_watermark_follows_log_end), a
//                      replication layer drives it with set_high_watermark() instead
//   log end offset     the offset the next appended record gets
//   recovery point     everything below it is fsynced; recovery starts there after a crash
//
// Every public function throws LogError on failure. After a storage failure that may have
// left the files in an unknown state the log turns offline: every later call throws
// kOffline until it is reloaded. A failed append write is rolled back and does not turn the
// log offline.
//
// Not thread-safe: the broker calls it from one thread. Slices returned by read() may be
// consumed from any thread (they own a reference to the open file).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "log/config.h"
#include "log/leader_epoch_cache.h"
#include "log/producer_state.h"
#include "log/segment.h"
#include "log/types.h"

namespace fjord::log {

// How far a read may go.
enum class FetchIsolation {
  kLogEnd,         // followers: up to the log end offset
  kHighWatermark,  // consumers (read_uncommitted): up to the high watermark
  kTxnCommitted,   // consumers (read_committed): up to the last stable offset
};

struct AppendInfo {
  int64_t first_offset = kNoOffset;
  int64_t last_offset = kNoOffset;
  int64_t max_timestamp = kNoTimestamp;
  int64_t offset_of_max_timestamp = kNoOffset;  // last offset of the batch holding it
  int64_t log_start_offset = 0;
  int32_t num_batches = 0;
  int64_t num_bytes = 0;
  bool rolled = false;  // this append started a new segment
  // Producer state checks (leader appends). kDuplicate: nothing was written and the offsets
  // above are the original batch's; any other error: nothing was written.
  ProducerErrc producer_error = ProducerErrc::kNone;
  std::string producer_message;
};

struct FetchInfo {
  int64_t fetch_offset = 0;
  FileSlice records;  // empty when there is nothing to return
  bool first_entry_incomplete = false;
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
  int64_t last_stable_offset = 0;
  // kTxnCommitted reads: the aborted transactions overlapping the returned records.
  std::vector<AbortedTxn> aborted_transactions;
};

// What the log manager knows about a partition when loading it.
struct LoadParams {
  int64_t recovery_point = 0;             // from recovery-point-offset-checkpoint
  int64_t log_start_offset = 0;           // from log-start-offset-checkpoint
  std::optional<int64_t> high_watermark;  // from replication-offset-checkpoint
  bool had_clean_shutdown = false;
};

// What loading found and did.
struct LoadResult {
  int32_t segments = 0;
  int32_t segments_recovered = 0;  // fully re-validated
  int32_t indexes_rebuilt = 0;     // recovered because an index was missing or damaged
  int32_t segments_deleted = 0;    // dropped after a truncation in the middle of the log
  int64_t bytes_truncated = 0;
  std::vector<std::string> notes;  // human-readable, one per event
};

struct LogOptions {
  Clock clock = system_clock();
  bool high_watermark_follows_log_end = true;
  // Receives notes about recovery and deletions; may be empty.
  std::function<void(const std::string&)> warn;
};

class Log {
 public:
  // Loads an existing partition directory (see docs/storage.md, "Loading and recovery").
  static std::unique_ptr<Log> open(const std::filesystem::path& dir, const TopicPartition& tp,
                                   const LogConfig& config, const LoadParams& params,
                                   LogOptions options = {});
  // Creates a new partition directory with an empty segment at `start_offset` and, when a
  // topic id is given, partition.metadata. Fails with kAlreadyExists if `dir` exists.
  static std::unique_ptr<Log> create(const std::filesystem::path& dir, const TopicPartition& tp,
                                     const LogConfig& config, std::optional<TopicId> topic_id,
                                     LogOptions options = {}, int64_t start_offset = 0);

  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Leader append: `batches` holds one or more whole, validated v2 batches. Rewrites each
  // batch's baseOffset (from the log end offset on) and partitionLeaderEpoch in place, then
  // appends them. Rolls first if needed; flushes before returning if flush.messages says so.
  // Batches with a producer id are checked against the producer state first (see
  // log/producer_state.h); a failed check or a duplicate writes nothing and is reported in
  // AppendInfo::producer_error.
  AppendInfo append_as_leader(std::span<uint8_t> batches, int32_t leader_epoch);
  // Kafka's Partition.makeLeader (maybeAssignEpochStartOffset): records that `epoch` starts at
  // the log end offset, so the first append of the epoch finds it in the leader-epoch cache
  // and does not create and fsync the checkpoint file on the produce path.
  void assign_epoch_start_offset(int32_t epoch);
  // Writes a transaction marker (a control batch with one EndTransactionMarker record) for
  // the producer, completing its open transaction; an abort is recorded in the active
  // segment's .txnindex. An older producer epoch (kInvalidProducerEpoch) or coordinator epoch
  // (kCoordinatorFenced) writes nothing. A marker without an open transaction is written.
  AppendInfo append_marker(int64_t producer_id, int16_t producer_epoch, bool commit,
                           int32_t coordinator_epoch, int32_t leader_epoch, int64_t now_ms);
  // Follower append: offsets and epochs come from the leader and are kept. The first batch
  // must start at or after the log end offset.
  AppendInfo append_as_follower(std::span<const uint8_t> batches);

  // Batches from the one holding `offset`; see docs/storage.md, "Reading". Throws
  // kOffsetOutOfRange below the log start offset or above the log end offset.
  FetchInfo read(int64_t offset, int32_t max_bytes, bool min_one_batch,
                 FetchIsolation isolation = FetchIsolation::kHighWatermark);

  // ListOffsets: kEarliestTimestamp, kLatestTimestamp, kMaxTimestamp, kEarliestLocalTimestamp
  // or a timestamp >= 0 (first offset whose record timestamp is >= it). nullopt: no such
  // record.
  std::optional<TimestampAndOffset> fetch_offset_by_timestamp(int64_t timestamp);

  // DeleteRecords: moves the log start offset to `offset` (-1: the high watermark) and
  // deletes the segments wholly below it. Throws kOffsetOutOfRange above the high watermark.
  // Returns the new log start offset (the partition's low watermark).
  int64_t delete_records_before(int64_t offset);

  // One retention pass (time, size, log start). Returns the number of segments deleted.
  int delete_old_segments();

  // Follower truncation: removes everything at and after `offset`. False if there was
  // nothing to remove.
  bool truncate_to(int64_t offset);
  // Drops every segment and restarts the log empty at `offset`.
  void truncate_fully_and_start_at(int64_t offset);

  // Makes everything below the log end offset durable.
  void flush();
  // Makes everything below `offset` durable and moves the recovery point there.
  void flush_up_to(int64_t offset);
  // The periodic flush pass: flushes rolled segments still waiting, and the whole log when
  // the last flush is older than flush.ms. Returns whether it flushed.
  bool maybe_flush();
  // Forces a new active segment (no-op if the active one is empty).
  void roll();

  // Trims the active segment's indexes (the clean-shutdown shape). Does not flush: call
  // flush() first for durability. Every later call except delete_dir() throws kOffline.
  void close();
  // Renames the directory to <topic>-<partition>.<uuid>-delete and removes it.
  void delete_dir();

  void update_config(const LogConfig& config);
  // Clamped to [log start offset, log end offset].
  void set_high_watermark(int64_t offset);
  // Writes partition.metadata.
  void set_topic_id(const TopicId& id);

  // OffsetForLeaderEpoch.
  std::pair<int32_t, int64_t> end_offset_for_epoch(int32_t epoch) const;

  const TopicPartition& topic_partition() const { return tp_; }
  const std::filesystem::path& dir() const { return dir_; }
  const LogConfig& config() const { return config_; }
  const std::optional<TopicId>& topic_id() const { return topic_id_; }
  int64_t log_start_offset() const { return log_start_offset_; }
  int64_t log_end_offset() const { return log_end_offset_; }
  int64_t high_watermark() const { return high_watermark_; }
  // min(first offset of the oldest open transaction, high watermark).
  int64_t last_stable_offset() const;
  const ProducerStateManager& producer_state() const { return *producer_state_; }
  // producer.id.expiration.ms: forgets idle producers (see ProducerStateManager). The broker
  // calls it periodically (Kafka: every producer.id.expiration.check.interval.ms).
  size_t remove_expired_producers(int64_t expiration_ms) {
    return producer_state_->remove_expired(options_.clock(), expiration_ms);
  }
  // Kafka's collectAbortedTransactions: aborted transactions with last offset >= start and
  // first offset < upper_bound, from the .txnindex of the segments from the one holding start
  // on, until an entry's last stable offset reaches upper_bound.
  std::vector<AbortedTxn> collect_aborted_transactions(int64_t start, int64_t upper_bound) const;
  int64_t recovery_point() const { return recovery_point_; }
  int64_t last_flush_ms() const { return last_flush_ms_; }
  int64_t size_bytes() const;
  size_t num_segments() const { return segments_.size(); }
  std::vector<const LogSegment*> segments() const;
  const LogSegment& active_segment() const { return *segments_.rbegin()->second; }
  const LeaderEpochCache& leader_epoch_cache() const { return *epoch_cache_; }
  const LoadResult& load_result() const { return load_result_; }
  bool is_offline() const { return offline_; }

 private:
  Log(const std::filesystem::path& dir, const TopicPartition& tp, const LogConfig& config,
      LogOptions options);
  void load(const LoadParams& params);
  void note(const std::string& message);
  void check_online() const;
  // Runs `f`; a storage failure inside turns the log offline.
  template <typename F>
  auto guarded(F&& f) -> decltype(f());

  AppendInfo append_batches(std::span<const uint8_t> batches, const AppendInfo& info,
                            std::optional<int32_t> leader_epoch);
  LogSegment& active() { return *segments_.rbegin()->second; }
  // The segment with the largest base offset <= offset, or nullptr.
  LogSegment* floor_segment(int64_t offset) const;
  LogSegment& roll_to(int64_t expected_next_offset);
  // Deletes segments from the oldest while `pred(segment, next_or_null)` holds and the
  // segment ends at or below the high watermark. Returns how many went.
  int delete_segments_while(const std::function<bool(const LogSegment&, const LogSegment*)>& pred);
  void remove_segment(int64_t base_offset);
  // Loads the newest producer snapshot at or below the log end offset and replays the log
  // from there, rebuilding the .txnindex of the replayed range.
  void rebuild_producer_state();
  // Applies appended batches to the producer state; aborts go to the active .txnindex.
  void update_producer_state(std::span<const uint8_t> batches);
  void maybe_increment_log_start_offset(int64_t offset);
  // Position limit for reads that must stop before `offset` in segment `seg`.
  int64_t max_position_in(const LogSegment& seg, int64_t limit_offset) const;

  std::filesystem::path dir_;
  TopicPartition tp_;
  LogConfig config_;
  LogOptions options_;
  std::optional<TopicId> topic_id_;
  std::map<int64_t, std::unique_ptr<LogSegment>> segments_;
  std::unique_ptr<LeaderEpochCache> epoch_cache_;
  std::unique_ptr<ProducerStateManager> producer_state_;
  int64_t log_start_offset_ = 0;
  int64_t log_end_offset_ = 0;
  int64_t high_watermark_ = 0;
  int64_t recovery_point_ = 0;
  int64_t last_flush_ms_ = 0;
  // Rolled segments whose data and indexes still need an fsync, and the base of the segment
  // that replaced the last of them (the flush pass flushes up to there).
  std::set<int64_t> unflushed_rolled_;
  int64_t pending_flush_offset_ = 0;
  // Files were created or removed in dir_ since the directory was last fsynced.
  bool dir_dirty_ = false;
  bool offline_ = false;
  bool closed_ = false;
  // Set when an append's write failed and the segment was cut back cleanly: that storage
  // error does not take the log offline.
  bool append_rolled_back_ = false;
  LoadResult load_result_;
};

}  // namespace fjord::log
