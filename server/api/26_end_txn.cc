// EndTxn (key 26), v0-4: commit or abort the producer's transaction.
//
// - The coordinator records PrepareCommit/PrepareAbort, writes the markers to every partition
//   of the transaction (and completes pending offsets of __consumer_offsets partitions), then
//   records CompleteCommit/CompleteAbort. The answer is sent once the Prepare record is written.
// - Errors as Kafka: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below
//   v2), INVALID_TXN_STATE (no transaction, or the other outcome already chosen),
//   CONCURRENT_TRANSACTIONS while the same outcome is still completing. Repeating a completed
//   commit/abort answers NONE.
// Gaps: v5 (KIP-890 part 2, an epoch bump per transaction) is not served.
#include "coordinator/transaction_coordinator.h"
#include "server/api/handlers.h"
#include "server/api/txn_common.h"
#include "server/broker.h"

namespace fjord::api {

asio::awaitable<std::optional<EndTxnApi::Response>> EndTxnApi::handle(RequestContext& ctx,
                                                                      Request& req) {
  Response resp;
  const proto::ErrorCode e = ctx.broker.transactions().end_transaction(
      req.transactional_id, req.producer_id, req.producer_epoch, req.committed);
  resp.error_code = proto::code(fenced_for_version(e, ctx.api_version, 2));
  co_return resp;
}

}  // namespace fjord::api
