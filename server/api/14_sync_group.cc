// SyncGroup (key 14), v0-5: the leader hands out the assignment; every member receives its
// own part.
//
// - In CompletingRebalance the request waits: a follower until the leader's SyncGroup arrives
//   (then all waiting members are answered at once), the leader until its assignment is
//   written to __consumer_offsets. Members the leader left out get an empty assignment.
// - In Stable (a member syncing after the leader, or a static member that rejoined) the stored
//   assignment is returned at once.
// - v5 protocol_type/protocol_name are checked against the group's (INCONSISTENT_GROUP_PROTOCOL)
//   and echoed in the response.
// - Errors as Kafka: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS,
//   FENCED_INSTANCE_ID, COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID.
#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

asio::awaitable<std::optional<SyncGroupApi::Response>> SyncGroupApi::handle(RequestContext& ctx,
                                                                            Request& req) {
  coordinator::SyncParams p;
  p.group_id = req.group_id;
  p.member_id = req.member_id;
  p.group_instance_id = req.group_instance_id;
  p.generation_id = req.generation_id;
  p.protocol_type = req.protocol_type;
  p.protocol_name = req.protocol_name;
  for (auto& a : req.assignments) p.assignments.emplace_back(a.member_id, std::move(a.assignment));

  coordinator::SyncResult r = co_await ctx.broker.groups().sync_group(std::move(p));
  Response resp;
  resp.error_code = proto::code(r.error);
  resp.protocol_type = r.protocol_type;
  resp.protocol_name = r.protocol_name;
  resp.assignment = std::move(r.assignment);
  co_return resp;
}

}  // namespace fjord::api
