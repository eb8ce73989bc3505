// InitProducerId (key 22), v0-5: a producer id and epoch for an idempotent or transactional
// producer.
//
// - No transactional id (idempotent producer): a new producer id with epoch 0, from the
//   persisted allocator (server/cluster/producer_ids.h), so ids are never reused across
//   restarts. As in Kafka, v3+ requests carrying the producer's current id and epoch (the
//   KIP-360 epoch bump after an unknown producer or a sequence error) also get a new id.
// - A producer id without an epoch or an epoch without an id: INVALID_REQUEST.
// - A transactional id goes to the transaction coordinator (coordinator/transaction_
//   coordinator.h): "" is INVALID_REQUEST, a timeout above transaction.max.timeout.ms
//   INVALID_TRANSACTION_TIMEOUT, fencing and epoch bumps as Kafka (CONCURRENT_TRANSACTIONS
//   while the previous transaction of the id is aborted).
// - PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH below v4 (older clients do not know
//   it), as Kafka does.
#include "coordinator/transaction_coordinator.h"
#include "server/api/handlers.h"
#include "server/api/txn_common.h"
#include "server/broker.h"
#include "server/cluster/producer_ids.h"

namespace fjord::api {

using proto::ErrorCode;

asio::awaitable<std::optional<InitProducerIdApi::Response>> InitProducerIdApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  resp.producer_id = -1;
  resp.producer_epoch = -1;
  const bool has_pid = ctx.api_version >= 3 && req.producer_id != -1;
  const bool has_epoch = ctx.api_version >= 3 && req.producer_epoch != -1;
  if (has_pid != has_epoch) {
    resp.error_code = proto::code(ErrorCode::INVALID_REQUEST);
    co_return resp;
  }
  if (!req.transactional_id) {
    std::optional<int64_t> pid = ctx.broker.producer_ids().next();
    if (!pid) {
      resp.error_code = proto::code(ErrorCode::COORDINATOR_NOT_AVAILABLE);
      co_return resp;
    }
    resp.producer_id = *pid;
    resp.producer_epoch = 0;
    co_return resp;
  }
  std::optional<std::pair<int64_t, int16_t>> expected;
  if (has_pid) expected.emplace(req.producer_id, req.producer_epoch);
  const coordinator::InitPidResult r = ctx.broker.transactions().init_producer_id(
      *req.transactional_id, req.transaction_timeout_ms, expected);
  resp.error_code = proto::code(fenced_for_version(r.error, ctx.api_version, 4));
  if (r.error == ErrorCode::NONE) {
    resp.producer_id = r.producer_id;
    resp.producer_epoch = r.producer_epoch;
  }
  co_return resp;
}

}  // namespace fjord::api
