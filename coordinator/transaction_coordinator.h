// The transaction coordinator: transactional ids, their producer ids and epochs, and the
// state of their transactions (Kafka's TransactionCoordinator + TransactionStateManager),
// kept in the internal topic __transaction_state (coordinator/transaction_state.h).
//
// Threading: single owner. Everything runs on the broker's one io_context thread: handlers
// call in directly, the timers (timed-out transactions, expired transactional ids) and the
// load at startup run there too. No locks.
//
// Storage: a transactional id lives in partition abs(javaHash(id)) % n of the topic, as a
// group does in __consumer_offsets. Every state change appends one record (synchronously,
// through PartitionStore) and changes memory only after the append succeeded. At startup the
// existing partitions are replayed in the background; ids of a partition still loading get
// COORDINATOR_LOAD_IN_PROGRESS. Transactions found in PrepareCommit/PrepareAbort are
// completed after the load (markers written again, then CompleteCommit/CompleteAbort).
//
// Markers: on this single node the coordinator writes the commit/abort markers itself through
// the write_marker hook (the broker's Partition::append_txn_marker) right after the
// PrepareCommit/PrepareAbort record, then records CompleteCommit/CompleteAbort. A marker that
// cannot be written leaves the transaction in Prepare* (CONCURRENT_TRANSACTIONS for the
// producer) and is retried by the timer.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/partition_store.h"
#include "coordinator/transaction_state.h"
#include "coordinator/types.h"

namespace fjord::coordinator {

struct TxnCoordinatorConfig {
  int32_t state_partitions = 50;         // transaction.state.log.num.partitions
  int32_t max_timeout_ms = 900000;       // transaction.max.timeout.ms
  int64_t id_expiration_ms = 604800000;  // transactional.id.expiration.ms
  int32_t abort_interval_ms = 10000;  // transaction.abort.timed.out.transaction.cleanup.interval.ms
  int32_t remove_expired_interval_ms =
      3600000;                         // transaction.remove.expired.transaction.cleanup.interval.ms
  int32_t load_buffer_size = 5242880;  // transaction.state.log.load.buffer.size
};

enum class TxnLogSeverity { kInfo, kWarn };

struct TxnHooks {
  std::function<int64_t()> now_ms;  // wall clock
  // A new producer id; nullopt when none can be allocated (answered COORDINATOR_NOT_AVAILABLE).
  std::function<std::optional<int64_t>()> new_producer_id;
  // Writes a commit/abort marker for the producer to a data partition (and applies it where
  // the broker must, e.g. pending offsets of __consumer_offsets). UNKNOWN_TOPIC_OR_PARTITION
  // (a deleted topic) counts as done; any other error is retried later.
  std::function<ErrorCode(const TopicPartition& tp, int64_t producer_id, int16_t producer_epoch,
                          bool commit, int32_t coordinator_epoch)>
      write_marker;
  std::function<void(TxnLogSeverity, const std::string&)> log;
};

struct InitPidResult {
  ErrorCode error = ErrorCode::NONE;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
};

struct TxnDescription {
  ErrorCode error = ErrorCode::NONE;
  std::string transactional_id;
  std::string state;
  int32_t timeout_ms = 0;
  int64_t start_ms = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::vector<TopicPartition> partitions;
};

struct ListedTxn {
  std::string transactional_id;
  int64_t producer_id = -1;
  std::string state;
};

struct ListTxnsResult {
  ErrorCode error = ErrorCode::NONE;
  std::vector<std::string> unknown_state_filters;
  std::vector<ListedTxn> transactions;
};

class TransactionCoordinator {
 public:
  TransactionCoordinator(asio::any_io_executor ex, PartitionStore& store,
                         TxnCoordinatorConfig config, TxnHooks hooks);
  ~TransactionCoordinator();
  TransactionCoordinator(const TransactionCoordinator&) = delete;
  TransactionCoordinator& operator=(const TransactionCoordinator&) = delete;

  // Starts loading the existing partitions of the topic and the timers.
  void start();
  // Stops timers; later calls get COORDINATOR_NOT_AVAILABLE. Nothing is written after this.
  void shutdown();

  // Whether transactional ids can be served: not shut down, and __transaction_state exists
  // (created here on first use). FindCoordinator asks this.
  bool available() { return !stopped_ && ensure_topic(); }
  bool loading(std::string_view transactional_id) const;
  bool fully_loaded() const { return started_ && loading_partitions_ == 0; }
  int32_t partition_of(std::string_view transactional_id) const;

  // InitProducerId with a transactional id. `expected` is the producer's current id and
  // epoch (v3+), if it sent them.
  InitPidResult init_producer_id(const std::string& transactional_id, int32_t timeout_ms,
                                 std::optional<std::pair<int64_t, int16_t>> expected);
  // AddPartitionsToTxn (client form) and AddOffsetsToTxn (with the group's offsets partition).
  ErrorCode add_partitions(const std::string& transactional_id, int64_t producer_id,
                           int16_t producer_epoch, const std::vector<TopicPartition>& partitions);
  // AddPartitionsToTxn v4+ verify_only: whether each partition is in the producer's ongoing
  // transaction (INVALID_TXN_STATE if not). A transaction-level error is returned instead.
  ErrorCode verify_partitions(const std::string& transactional_id, int64_t producer_id,
                              int16_t producer_epoch, const std::vector<TopicPartition>& partitions,
                              std::vector<ErrorCode>& per_partition);
  // EndTxn.
  ErrorCode end_transaction(const std::string& transactional_id, int64_t producer_id,
                            int16_t producer_epoch, bool commit);

  std::vector<TxnDescription> describe(const std::vector<std::string>& transactional_ids);
  ListTxnsResult list(const std::vector<std::string>& state_filters,
                      const std::vector<int64_t>& producer_id_filters, int64_t duration_filter_ms);

  // Aborts transactions past their timeout (fencing the producer's epoch) and retries
  // incomplete marker writes. The timer calls it; public for tests. Returns how many
  // transactions it aborted.
  size_t abort_timed_out();
  // Removes transactional ids idle for transactional.id.expiration.ms (tombstones).
  size_t expire_transactional_ids();

  // Test helpers.
  const TxnMetadata* find(const std::string& transactional_id) const;
  size_t size() const { return txns_.size(); }

 private:
  int64_t now() const;
  void log(TxnLogSeverity s, const std::string& m) const;
  ErrorCode check_status(const std::string& transactional_id);
  bool ensure_topic();

  // Appends the record of `next` and installs it in memory on success.
  ErrorCode persist(const TxnMetadata& next);
  ErrorCode write_tombstone(const std::string& transactional_id);
  // PrepareCommit/PrepareAbort with `m` (already fenced if needed) then markers and Complete*.
  ErrorCode prepare_and_complete(TxnMetadata next_prepare);
  // Writes the markers of a Prepare* transaction and records Complete*. Returns false when a
  // marker could not be written (retried later).
  bool complete(const std::string& transactional_id);
  // Common producer checks of AddPartitions / Verify / TxnOffsetCommit.
  ErrorCode check_producer(const TxnMetadata& m, int64_t producer_id, int16_t producer_epoch) const;

  asio::awaitable<void> load_all();
  asio::awaitable<void> load_partition(int32_t partition);
  void replay(int32_t partition, std::span<const uint8_t> batches, int64_t& next_offset);
  void schedule(asio::steady_timer& timer, int64_t interval_ms,
                void (TransactionCoordinator::*fn)());
  void on_abort_timer();
  void on_expire_timer();

  asio::any_io_executor ex_;
  PartitionStore& store_;
  TxnCoordinatorConfig config_;
  TxnHooks hooks_;
  std::map<std::string, TxnMetadata, std::less<>> txns_;
  // Markers already written for a Prepare* transaction, so a retry does not write them twice.
  std::map<std::string, std::set<TopicPartition>, std::less<>> markers_done_;
  int32_t partitions_ = 0;  // of __transaction_state; 0 until it exists
  std::vector<bool> partition_loading_;
  int loading_partitions_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  asio::steady_timer abort_timer_;
  asio::steady_timer expire_timer_;
  std::shared_ptr<bool> alive_;
};

}  // namespace fjord::coordinator
