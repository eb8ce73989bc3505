// DescribeGroups (key 15), v0-5: state, protocol and members of groups.
//
// - States use Kafka's names: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead.
//   An unknown group is described as Dead with no error (Kafka's classic coordinator).
// - Member metadata and assignments are filled only while the group is Stable, and
//   protocol_data is then the selected protocol; otherwise they are empty, as Kafka.
// - client_host is the address the member connected from ("/127.0.0.1").
// - v3+ include_authorized_operations: without an authorizer every GROUP operation is allowed
//   (READ, DELETE, DESCRIBE); otherwise INT32_MIN. v4+ group_instance_id of static members.
// - COORDINATOR_LOAD_IN_PROGRESS per group while its partition loads.
#include <limits>

#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

namespace {
// AclOperation codes of the operations Kafka supports on the GROUP resource.
constexpr int32_t kGroupOperations = (1 << 3) | (1 << 6) | (1 << 8);
}  // namespace

asio::awaitable<std::optional<DescribeGroupsApi::Response>> DescribeGroupsApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  for (const auto& id : req.groups) {
    coordinator::GroupDescription d = ctx.broker.groups().describe_group(id);
    auto& out = resp.groups.emplace_back();
    out.error_code = proto::code(d.error);
    out.group_id = d.group_id;
    out.group_state = d.state;
    out.protocol_type = d.protocol_type;
    out.protocol_data = d.protocol_data;
    for (auto& m : d.members) {
      auto& om = out.members.emplace_back();
      om.member_id = m.member_id;
      om.group_instance_id = m.group_instance_id;
      om.client_id = m.client_id;
      om.client_host = m.client_host;
      om.member_metadata = std::move(m.metadata);
      om.member_assignment = std::move(m.assignment);
    }
    out.authorized_operations =
        req.include_authorized_operations && d.error == proto::ErrorCode::NONE
            ? kGroupOperations
            : std::numeric_limits<int32_t>::min();
  }
  co_return resp;
}

}  // namespace fjord::api
