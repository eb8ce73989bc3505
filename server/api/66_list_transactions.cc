// ListTransactions (key 66), v0-1: transactional ids with their producer id and state,
// filtered by state names (unknown names are echoed in unknown_state_filters), producer ids
// and (v1) a duration: ongoing transactions running longer than it. COORDINATOR_LOAD_IN_PROGRESS
// while __transaction_state loads.
#include "coordinator/transaction_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

asio::awaitable<std::optional<ListTransactionsApi::Response>> ListTransactionsApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  const coordinator::ListTxnsResult r = ctx.broker.transactions().list(
      req.state_filters, req.producer_id_filters, ctx.api_version >= 1 ? req.duration_filter : -1);
  resp.error_code = proto::code(r.error);
  resp.unknown_state_filters = r.unknown_state_filters;
  for (const auto& t : r.transactions) {
    auto& s = resp.transaction_states.emplace_back();
    s.transactional_id = t.transactional_id;
    s.producer_id = t.producer_id;
    s.transaction_state = t.state;
  }
  co_return resp;
}

}  // namespace fjord::api
