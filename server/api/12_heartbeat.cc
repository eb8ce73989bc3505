// Heartbeat (key 12), v0-4: a classic group member keeps its session alive.
//
// Answers as Kafka: NONE in Stable and CompletingRebalance (the session timer restarts),
// REBALANCE_IN_PROGRESS while the group prepares a rebalance (the member must rejoin),
// ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID (also for an unknown group or an Empty one),
// FENCED_INSTANCE_ID (v3+ static member replaced by a newer instance),
// COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID.
#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

asio::awaitable<std::optional<HeartbeatApi::Response>> HeartbeatApi::handle(RequestContext& ctx,
                                                                            Request& req) {
  Response resp;
  resp.error_code = proto::code(ctx.broker.groups().heartbeat(
      {req.group_id, req.member_id, req.group_instance_id, req.generation_id}));
  co_return resp;
}

}  // namespace fjord::api
