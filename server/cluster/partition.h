// A partition as the broker sees it: the log plus the replication state every partition has
// even on one node (leader epoch, replicas, ISR, high watermark), and the Fetch requests
// waiting for data.
//
// On a single node the leader is this broker, the ISR is {this broker} and the high
// watermark is the log end offset. The separation is kept so replication can move the high
// watermark on follower acknowledgements without touching the handlers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <asio/steady_timer.hpp>

#include "codec/error_codes.h"
#include "codec/types.h"
#include "server/config.h"

namespace fjord::log {
class Log;
}

namespace fjord {

struct AppendResult {
  proto::ErrorCode error = proto::ErrorCode::NONE;
  std::string message;
  int64_t base_offset = -1;
  int64_t log_append_time = -1;  // -1 unless the topic uses LogAppendTime
  int64_t log_start_offset = -1;
};

struct ReadResult {
  proto::ErrorCode error = proto::ErrorCode::NONE;
  // Whole batches (the last may be cut by max_bytes in Kafka; never here), as a region of a
  // segment file: Records::in_memory() reads them where the bytes are needed.
  proto::Records records;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  int64_t log_start_offset = -1;
};

struct OffsetAndTimestamp {
  int64_t offset = -1;
  int64_t timestamp = -1;
  int32_t leader_epoch = -1;
};

class Partition {
 public:
  // `log` is owned by the log manager and outlives the partition.
  Partition(std::string topic, int32_t index, int32_t node_id, log::Log* log);
  ~Partition();

  const std::string& topic() const { return topic_; }
  int32_t index() const { return index_; }
  int32_t leader_epoch() const { return leader_epoch_; }
  const std::vector<int32_t>& replicas() const { return replicas_; }
  const std::vector<int32_t>& isr() const { return isr_; }

  int64_t log_start_offset() const;
  int64_t log_end_offset() const;
  int64_t high_watermark() const;
  int64_t last_stable_offset() const { return high_watermark(); }
  int64_t size_bytes() const;

  // Appends one or more v2 batches that the caller validated. Offsets, the partition leader
  // epoch and (for LogAppendTime topics) timestamps are rewritten in place.
  AppendResult append(std::span<uint8_t> batches, int32_t record_count, bool log_append_time,
                      int64_t now_ms);

  // Reads from `offset`: whole batches up to max_bytes, but at least one batch when
  // `min_one` (so a batch larger than the limit is still delivered).
  ReadResult read(int64_t offset, int32_t max_bytes, bool min_one) const;

  // ListOffsets: -1 latest, -2 earliest, -3 max timestamp, otherwise the first offset whose
  // timestamp is at or after `timestamp`. nullopt when no such record exists.
  std::optional<OffsetAndTimestamp> offset_for_timestamp(int64_t timestamp) const;
  // The start offsets of the segments, newest first, for ListOffsets v0.
  std::vector<int64_t> segment_base_offsets() const;

  // DeleteRecords: advance the log start offset (whole segments below it are removed).
  proto::ErrorCode delete_records_before(int64_t offset, int64_t* new_low_watermark);

  // OffsetForLeaderEpoch: the largest epoch at or below `epoch` and where it ends (the log
  // end offset for the current epoch); {-1, -1} when unknown.
  std::pair<int32_t, int64_t> end_offset_for_epoch(int32_t epoch) const;

  // Fetch long-poll: the timer of a waiting Fetch is cancelled (woken) by the next append.
  void add_waiter(std::weak_ptr<asio::steady_timer> timer);

  log::Log& log() { return *log_; }
  void flush();

 private:
  void wake_waiters();

  std::string topic_;
  int32_t index_;
  int32_t leader_epoch_ = 0;
  std::vector<int32_t> replicas_;
  std::vector<int32_t> isr_;
  log::Log* log_;
  std::vector<std::weak_ptr<asio::steady_timer>> waiters_;
};

}  // namespace fjord
