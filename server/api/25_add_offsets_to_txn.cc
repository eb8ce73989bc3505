// AddOffsetsToTxn (key 25), v0-4: add a group's __consumer_offsets partition to the producer's
// transaction, before TxnOffsetCommit. Errors as AddPartitionsToTxn (PRODUCER_FENCED is
// INVALID_PRODUCER_EPOCH below v2). As Kafka, the group id is not validated here (TxnOffsetCommit
// does).
#include "coordinator/group_coordinator.h"
#include "coordinator/transaction_coordinator.h"
#include "server/api/handlers.h"
#include "server/api/txn_common.h"
#include "server/broker.h"
#include "server/cluster/offsets_store.h"

namespace fjord::api {

asio::awaitable<std::optional<AddOffsetsToTxnApi::Response>> AddOffsetsToTxnApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  proto::ErrorCode e = proto::ErrorCode::NONE;
  if (!ctx.broker.groups().available()) {
    e = proto::ErrorCode::COORDINATOR_NOT_AVAILABLE;
  } else {
    const coordinator::TopicPartition tp{kOffsetsTopic,
                                         ctx.broker.groups().partition_of(req.group_id)};
    e = ctx.broker.transactions().add_partitions(req.transactional_id, req.producer_id,
                                                 req.producer_epoch, {tp});
  }
  resp.error_code = proto::code(fenced_for_version(e, ctx.api_version, 2));
  co_return resp;
}

}  // namespace fjord::api
