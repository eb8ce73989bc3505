// DeleteGroups (key 42), v0-2: delete groups with no members, with their committed offsets.
//
// Per group, as Kafka: NONE (tombstones for the offsets and the group written to
// __consumer_offsets), NON_EMPTY_GROUP (members are active), GROUP_ID_NOT_FOUND,
// COORDINATOR_LOAD_IN_PROGRESS. Results come in request order.
#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

asio::awaitable<std::optional<DeleteGroupsApi::Response>> DeleteGroupsApi::handle(
    RequestContext& ctx, Request& req) {
  const std::vector<proto::ErrorCode> errors = ctx.broker.groups().delete_groups(req.groups_names);
  Response resp;
  for (size_t i = 0; i < req.groups_names.size() && i < errors.size(); ++i) {
    auto& out = resp.results.emplace_back();
    out.group_id = req.groups_names[i];
    out.error_code = proto::code(errors[i]);
  }
  co_return resp;
}

}  // namespace fjord::api
