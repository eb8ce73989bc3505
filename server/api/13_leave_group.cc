// LeaveGroup (key 13), v0-5: members leave a classic group, which then rebalances.
//
// - v0-2 name one member; the response's error is that member's (Kafka's rule).
// - v3+ name a batch of members with their group.instance.id; an empty member id with an
//   instance id removes that static member (the admin tools' removeMembersFromConsumerGroup).
//   A member id given with the instance id of another member gets FENCED_INSTANCE_ID.
// - v5 reason is logged.
// - An unknown group answers UNKNOWN_MEMBER_ID for each member, as Kafka.
#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

asio::awaitable<std::optional<LeaveGroupApi::Response>> LeaveGroupApi::handle(RequestContext& ctx,
                                                                              Request& req) {
  const int16_t v = ctx.api_version;
  std::vector<coordinator::LeavingMember> members;
  if (v < 3) {
    members.push_back({req.member_id, std::nullopt, ""});
  } else {
    for (const auto& m : req.members)
      members.push_back({m.member_id, m.group_instance_id, m.reason.value_or("")});
  }
  coordinator::LeaveResult r = ctx.broker.groups().leave_group(req.group_id, members);
  Response resp;
  resp.error_code = proto::code(r.error);
  if (v < 3) {
    if (r.error == proto::ErrorCode::NONE && !r.members.empty())
      resp.error_code = proto::code(r.members.front());
    co_return resp;
  }
  for (size_t i = 0; i < r.members.size() && i < members.size(); ++i) {
    auto& out = resp.members.emplace_back();
    out.member_id = members[i].member_id;
    out.group_instance_id = members[i].group_instance_id;
    out.error_code = proto::code(r.members[i]);
  }
  co_return resp;
}

}  // namespace fjord::api
