// DescribeTransactions (key 65), v0: the state of transactional ids (kafka-transactions.sh
// describe). Unknown ids: TRANSACTIONAL_ID_NOT_FOUND; ids of a partition still loading:
// COORDINATOR_LOAD_IN_PROGRESS. State names are Kafka's ("Ongoing", "CompleteCommit", ...).
#include <map>

#include "coordinator/transaction_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

asio::awaitable<std::optional<DescribeTransactionsApi::Response>> DescribeTransactionsApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  for (const auto& d : ctx.broker.transactions().describe(req.transactional_ids)) {
    auto& s = resp.transaction_states.emplace_back();
    s.error_code = proto::code(d.error);
    s.transactional_id = d.transactional_id;
    if (d.error != proto::ErrorCode::NONE) continue;
    s.transaction_state = d.state;
    s.transaction_timeout_ms = d.timeout_ms;
    s.transaction_start_time_ms = d.start_ms;
    s.producer_id = d.producer_id;
    s.producer_epoch = d.producer_epoch;
    for (const auto& tp : d.partitions) {
      if (s.topics.empty() || s.topics.back().topic != tp.topic)
        s.topics.emplace_back().topic = tp.topic;
      s.topics.back().partitions.push_back(tp.partition);
    }
  }
  co_return resp;
}

}  // namespace fjord::api
