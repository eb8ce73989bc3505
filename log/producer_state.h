// Per-partition producer state, as Kafka's ProducerStateManager keeps it: for every producer
// id that wrote to the partition, its epoch, the sequence and offset ranges of its last five
// batches (so a retried batch is recognised and answered with its original offsets), the
// coordinator epoch of its last transaction marker and the first offset of its open
// transaction. The open transactions give the partition's first unstable offset, from which
// the last stable offset follows.
//
// Rules on a client (leader) append, in Kafka's order (see docs/storage.md, "Producer
// state"):
//  1. a batch whose epoch and [first seq, last seq] equal one of the producer's last five
//     batches is a duplicate: nothing is written and the original offsets are returned;
//  2. an epoch below the producer's: INVALID_PRODUCER_EPOCH;
//  3. a new (higher) epoch must start at sequence 0, unless the producer has no epoch yet:
//     OUT_OF_ORDER_SEQUENCE_NUMBER;
//  4. the same epoch must continue at last seq + 1 (0 after INT32_MAX):
//     OUT_OF_ORDER_SEQUENCE_NUMBER. An unknown producer may start at any sequence (Kafka
//     since KIP-360 no longer answers UNKNOWN_PRODUCER_ID here);
//  5. a non-transactional batch while the producer has an open transaction: INVALID_TXN_STATE.
//
// Snapshots: <20-digit offset>.snapshot in the partition directory, Kafka's format (version 1,
// CRC32C over the producer entries): the state of every producer up to (not including) that
// offset. Only the last batch of each producer is kept there, as in Kafka.
//
// Not thread-safe; owned by the Log.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "records/batch.h"

namespace fjord::log {

inline constexpr std::string_view kSnapshotSuffix = ".snapshot";
inline constexpr int kProducerBatchesToRetain = 5;

struct ProducerBatchMetadata {
  int32_t first_seq = -1;
  int32_t last_seq = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t timestamp = -1;
};

struct ProducerStateEntry {
  int64_t producer_id = -1;
  int16_t epoch = records::kNoProducerEpoch;
  std::deque<ProducerBatchMetadata> batches;  // oldest first, at most five
  int32_t coordinator_epoch = -1;
  int64_t last_timestamp = -1;
  int64_t current_txn_first_offset = -1;  // -1: no open transaction

  int32_t last_seq() const { return batches.empty() ? -1 : batches.back().last_seq; }
  int64_t last_data_offset() const { return batches.empty() ? -1 : batches.back().last_offset; }
  const ProducerBatchMetadata* find_duplicate(int16_t epoch, int32_t first_seq,
                                              int32_t last_seq) const;
};

// The producer fields of a v2 batch, offsets as appended.
struct ProducerBatch {
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int32_t first_seq = -1;
  int32_t last_seq = -1;
  int64_t first_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = -1;
  bool transactional = false;
  bool control = false;

  // Header fields of `view`; offsets from `base_offset` (the view's own when nullopt).
  static ProducerBatch from(const records::BatchView& view);
};

// Kafka's sequence arithmetic: sequences wrap from INT32_MAX to 0.
int32_t increment_sequence(int32_t seq, int32_t increment);
int32_t decrement_sequence(int32_t seq, int32_t decrement);

enum class ProducerErrc {
  kNone,
  kDuplicate,             // the batch was written before: `duplicate` says where
  kOutOfOrderSequence,    // OUT_OF_ORDER_SEQUENCE_NUMBER
  kInvalidProducerEpoch,  // INVALID_PRODUCER_EPOCH
  kInvalidTxnState,       // INVALID_TXN_STATE
  kCoordinatorFenced,     // TRANSACTION_COORDINATOR_FENCED (marker, older coordinator)
};

struct ProducerCheck {
  ProducerErrc error = ProducerErrc::kNone;
  std::string message;
  ProducerBatchMetadata duplicate;  // when kDuplicate
};

struct CompletedTxn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;  // the marker's offset
  bool aborted = false;
};

class ProducerStateManager {
 public:
  explicit ProducerStateManager(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // The leader's checks for a client batch against the producer's entry (nullptr: unknown
  // producer); see the rules above.
  static ProducerCheck check(const ProducerStateEntry* e, const ProducerBatch& b);
  ProducerCheck check_client_batch(const ProducerBatch& b) const {
    return check(find(b.producer_id), b);
  }
  // What appending `b` does to an entry (epoch, last five batches, open transaction).
  static void apply_to(ProducerStateEntry& e, const ProducerBatch& b);
  // The checks for a transaction marker of (pid, epoch) from coordinator_epoch.
  ProducerCheck check_marker(int64_t producer_id, int16_t epoch, int32_t coordinator_epoch) const;

  // Records an appended data batch (no checks: replay and followers use it too).
  void apply_data(const ProducerBatch& b);
  // Records an appended marker at `offset`; returns the transaction it completed, if any.
  std::optional<CompletedTxn> apply_marker(int64_t producer_id, int16_t epoch, bool commit,
                                           int32_t coordinator_epoch, int64_t offset,
                                           int64_t timestamp);
  // Records a batch read back from the log (replay): data or control.
  std::optional<CompletedTxn> apply_replayed(const records::BatchView& view);

  // The first offset of the oldest open transaction.
  std::optional<int64_t> first_unstable_offset() const;

  // The offset the state is up to date with (the next offset to apply).
  int64_t map_end_offset() const { return map_end_offset_; }
  void set_map_end_offset(int64_t offset) { map_end_offset_ = offset; }

  const std::map<int64_t, ProducerStateEntry>& producers() const { return producers_; }
  const ProducerStateEntry* find(int64_t producer_id) const;
  // Kafka's producer id expiration: removes producers without an open transaction whose last
  // timestamp is at least `expiration_ms` before `now_ms`. Returns how many went.
  size_t remove_expired(int64_t now_ms, int64_t expiration_ms);
  // Drops everything and starts empty at `offset`.
  void clear(int64_t offset);

  // Snapshots. write_snapshot writes <map_end_offset>.snapshot (temp file + rename; fsynced
  // when `sync`).
  void write_snapshot(bool sync);
  // Deletes snapshots above `max_offset`, then loads the newest valid one at or below it
  // (corrupt ones are deleted). Returns whether one was loaded; otherwise the state is
  // cleared at `fallback_offset`.
  bool load_latest_snapshot(int64_t max_offset, int64_t fallback_offset,
                            std::vector<std::string>* notes = nullptr);
  std::vector<int64_t> snapshot_offsets() const;
  void delete_snapshots_below(int64_t offset);
  void delete_snapshots_above(int64_t offset);

  static std::vector<uint8_t> encode_snapshot(const std::map<int64_t, ProducerStateEntry>& p);
  // nullopt when the bytes are not a valid version-1 snapshot (length, version, CRC).
  static std::optional<std::map<int64_t, ProducerStateEntry>> decode_snapshot(
      std::span<const uint8_t> data, std::string* why = nullptr);

 private:
  ProducerStateEntry& entry(int64_t producer_id);

  std::filesystem::path dir_;
  std::map<int64_t, ProducerStateEntry> producers_;
  std::map<int64_t, int64_t> ongoing_;  // first offset -> producer id
  int64_t map_end_offset_ = 0;
};

}  // namespace fjord::log
