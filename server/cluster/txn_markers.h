// The broker side of the transaction coordinator: the commit/abort markers it writes to data
// partitions, and its construction over the broker (storage in __transaction_state, producer
// ids, configs).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "codec/error_codes.h"

namespace fjord {

namespace coordinator {
class TransactionCoordinator;
}

class Broker;
class OffsetsStore;

// Writes the producer's commit/abort marker to `topic`-`partition` (Partition::append_txn_
// marker) and, for __consumer_offsets, applies or drops the producer's pending transactional
// offsets there. UNKNOWN_TOPIC_OR_PARTITION if the partition does not exist (any more).
proto::ErrorCode write_txn_marker(Broker& broker, const std::string& topic, int32_t partition,
                                  int64_t producer_id, int16_t producer_epoch, bool commit,
                                  int32_t coordinator_epoch);

// The coordinator over `store` (the __transaction_state store) with the broker's
// transaction.* configs, producer ids and markers.
std::unique_ptr<coordinator::TransactionCoordinator> make_transaction_coordinator(
    Broker& broker, OffsetsStore& store);

}  // namespace fjord
