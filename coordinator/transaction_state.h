// The transaction coordinator's state per transactional id and its record in the internal
// topic __transaction_state, in Kafka's format so Kafka's tools read what a Kafka broker
// would write:
//   key   = int16 version 0 + TransactionLogKey (the transactional id)
//   value = int16 version 0 + TransactionLogValue, or null (a tombstone: the id expired)
// Fjord writes value version 0 (what Kafka writes for transaction version 0/1 clients) and
// reads versions 0 and 1.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "coordinator/types.h"
#include "records/batch.h"

namespace fjord::coordinator {

// Kafka's TransactionState with its on-disk ids.
enum class TxnState : int8_t {
  kEmpty = 0,
  kOngoing = 1,
  kPrepareCommit = 2,
  kPrepareAbort = 3,
  kCompleteCommit = 4,
  kCompleteAbort = 5,
  kDead = 6,
  kPrepareEpochFence = 7,
};

// Kafka's names: "Empty", "Ongoing", "PrepareCommit", ... (DescribeTransactions,
// ListTransactions).
const char* txn_state_name(TxnState s);
std::optional<TxnState> txn_state_from_name(std::string_view name);

inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;

struct TxnMetadata {
  std::string transactional_id;
  int64_t producer_id = kNoProducerId;
  int64_t last_producer_id = kNoProducerId;  // before the last producer id rotation
  int16_t producer_epoch = kNoProducerEpoch;
  int16_t last_producer_epoch = kNoProducerEpoch;  // in memory only (as Kafka's v0 record)
  int32_t timeout_ms = 0;
  TxnState state = TxnState::kEmpty;
  std::set<TopicPartition> partitions;
  int64_t start_ms = -1;        // when the current transaction started (Ongoing)
  int64_t last_update_ms = -1;  // last state change
};

// Kafka: an epoch is exhausted at Short.MaxValue - 1 (one is kept for fencing).
inline bool epoch_exhausted(int16_t epoch) { return epoch >= 32766; }

inline constexpr int16_t kTxnLogKeyVersion = 0;
inline constexpr int16_t kTxnLogValueVersion = 0;

Bytes encode_txn_key(std::string_view transactional_id);
// Empty states carry null partitions, as Kafka writes them.
Bytes encode_txn_value(const TxnMetadata& m);

struct TxnRecord {
  std::string transactional_id;
  std::optional<TxnMetadata> value;  // nullopt: a tombstone
};

// Decodes one record of __transaction_state. Throws proto::DecodeError on malformed bytes or
// unknown versions.
TxnRecord decode_txn_record(const records::BytesView& key, const records::BytesView& value);

}  // namespace fjord::coordinator
