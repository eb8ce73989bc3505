// Transactions API (issue 6, used by the transaction coordinator): append_txn_marker,
// last_stable_offset, active_producers and ProducerSnapshotView below. Unchanged since it
// was agreed.
//
// A partition as the broker sees it: the log plus the replication state every partition has
// even on one node (leader epoch, replicas, ISR, high watermark), and the Fetch requests
// waiting for data.
//
// On a single node the leader is this broker, the ISR is {this broker} and the high
// watermark is the log end offset. The separation is kept so replication can move the high
// watermark on follower acknowledgements without touching the handlers.
#pragma once

#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

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
  // read_committed: (producer id, first offset) of the aborted transactions overlapping the
  // records.
  std::vector<std::pair<int64_t, int64_t>> aborted_transactions;
};

// One producer of the partition, for DescribeProducers and the transaction coordinator.
struct ProducerSnapshotView {
  int64_t producer_id;
  int16_t epoch;
  int32_t last_sequence;             // -1 when none
  int64_t last_timestamp;            // -1 when none
  int32_t coordinator_epoch;         // -1 when none
  int64_t current_txn_start_offset;  // -1 when no transaction is open
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
  // The first offset of the oldest open transaction, or the high watermark if none is open.
  int64_t last_stable_offset() const;
  int64_t size_bytes() const;

  // Appends one or more v2 batches that the caller validated. Offsets, the partition leader
  // epoch and (for LogAppendTime topics) timestamps are rewritten in place.
  // Batches with a producer id go through the producer state checks: a duplicate of one of
  // the producer's last five batches answers NONE with the original base offset and writes
  // nothing; OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE as Kafka.
  AppendResult append(std::span<uint8_t> batches, int32_t record_count, bool log_append_time,
                      int64_t now_ms);

  // Writes a transaction marker (a control batch with Kafka's EndTransactionMarker record,
  // attributes control + transactional) for the producer: completes its open transaction,
  // records an abort in the segment's .txnindex, advances the LSO and wakes fetch waiters.
  // An older producer epoch: INVALID_PRODUCER_EPOCH; an older coordinator epoch:
  // TRANSACTION_COORDINATOR_FENCED. A marker with no open transaction is still written.
  AppendResult append_txn_marker(int64_t producer_id, int16_t producer_epoch, bool commit,
                                 int32_t coordinator_epoch, int64_t now_ms);

  // Every producer id with state in this partition, by producer id.
  std::vector<ProducerSnapshotView> active_producers() const;
  // Whether the producer has an open transaction in this partition (KIP-890 verification).
  bool has_ongoing_transaction(int64_t producer_id) const;

  // Reads from `offset`: whole batches up to max_bytes, but at least one batch when
  // `min_one` (so a batch larger than the limit is still delivered).
  // read_committed (Fetch isolation_level 1) stops at the last stable offset and fills
  // aborted_transactions.
  ReadResult read(int64_t offset, int32_t max_bytes, bool min_one,
                  bool read_committed = false) const;

  // ListOffsets: -1 latest, -2 earliest, -3 max timestamp, otherwise the first offset whose
  // timestamp is at or after `timestamp`. nullopt when no such record exists.
  // read_committed: LATEST (-1) answers the last stable offset.
  std::optional<OffsetAndTimestamp> offset_for_timestamp(int64_t timestamp,
                                                         bool read_committed = false) const;
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
