// Helpers shared by the transaction API handlers (InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeTransactions, ListTransactions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "codec/error_codes.h"
#include "server/api/context.h"

namespace fjord::api {

// PRODUCER_FENCED (KIP-588) is answered as INVALID_PRODUCER_EPOCH to request versions below
// `first_version` (the first version whose clients know the code), as Kafka does.
inline proto::ErrorCode fenced_for_version(proto::ErrorCode e, int16_t version,
                                           int16_t first_version) {
  if (e == proto::ErrorCode::PRODUCER_FENCED && version < first_version)
    return proto::ErrorCode::INVALID_PRODUCER_EPOCH;
  return e;
}

}  // namespace fjord::api
