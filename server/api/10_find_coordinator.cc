// FindCoordinator (key 10), v0-6: which broker coordinates a group (key type 0) or a
// transactional id (key type 1).
//
// - This single node coordinates everything: the answer is this broker with the host and port
//   advertised on the listener the request came in on.
// - A group key makes sure __consumer_offsets exists (it is created on first use, as Kafka
//   does); if it cannot be, COORDINATOR_NOT_AVAILABLE.
// - v0-3 ask for one key, v4+ for a batch (coordinator_keys), answered key by key.
// - An unknown key type gets INVALID_REQUEST.
// - A transaction key makes sure __transaction_state exists the same way.
#include "coordinator/group_coordinator.h"
#include "coordinator/transaction_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

struct Answer {
  ErrorCode error = ErrorCode::NONE;
  std::optional<std::string> message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
};

Answer find(RequestContext& ctx, int8_t key_type) {
  Answer a;
  if (key_type != kGroupKey && key_type != kTransactionKey) {
    a.error = ErrorCode::INVALID_REQUEST;
    a.message = "Unknown coordinator key type " + std::to_string(key_type);
    return a;
  }
  const bool available = key_type == kGroupKey ? ctx.broker.groups().available()
                                               : ctx.broker.transactions().available();
  if (!available) {
    a.error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
    a.message = "The coordinator is not available.";
    return a;
  }
  const Endpoint& ep = ctx.broker.endpoint_for(ctx.connection.listener_name);
  a.node_id = ctx.broker.node_id();
  a.host = ep.host;
  a.port = ep.port;
  return a;
}

}  // namespace

asio::awaitable<std::optional<FindCoordinatorApi::Response>> FindCoordinatorApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  if (ctx.api_version < 4) {
    Answer a = find(ctx, req.key_type);
    resp.error_code = proto::code(a.error);
    resp.error_message = a.error == ErrorCode::NONE ? std::nullopt : a.message;
    resp.node_id = a.node_id;
    resp.host = a.host;
    resp.port = a.port;
    co_return resp;
  }
  for (const auto& key : req.coordinator_keys) {
    Answer a = find(ctx, req.key_type);
    auto& c = resp.coordinators.emplace_back();
    c.key = key;
    c.error_code = proto::code(a.error);
    c.error_message = a.error == ErrorCode::NONE ? std::nullopt : a.message;
    c.node_id = a.node_id;
    c.host = a.host;
    c.port = a.port;
  }
  co_return resp;
}

}  // namespace fjord::api
