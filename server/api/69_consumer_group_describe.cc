// ConsumerGroupDescribe (key 69), v0: groups of the consumer group protocol (KIP-848): state
// (Empty, Assigning, Reconciling, Stable), group epoch, target assignment epoch, the assignor
// the group uses, and each member's epoch, subscription, current and target assignment.
//
// - A group that does not exist, or a classic group: GROUP_ID_NOT_FOUND with state Dead, as
//   Kafka. COORDINATOR_LOAD_IN_PROGRESS while the group's partition loads; INVALID_GROUP_ID
//   for an empty id.
// - include_authorized_operations: without an authorizer every GROUP operation is allowed
//   (READ, DELETE, DESCRIBE); otherwise INT32_MIN.
#include <limits>

#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

namespace {
constexpr int32_t kGroupOperations = (1 << 3) | (1 << 6) | (1 << 8);

using Described = proto::ConsumerGroupDescribeResponse;

Described::Assignment to_assignment(const coordinator::TopicAssignment& a,
                                    const std::map<std::string, proto::Uuid>& ids) {
  Described::Assignment out;
  for (const auto& [topic, parts] : a) {
    if (parts.empty()) continue;
    auto& tp = out.topic_partitions.emplace_back();
    auto id = ids.find(topic);
    if (id != ids.end()) tp.topic_id = id->second;
    tp.topic_name = topic;
    tp.partitions.assign(parts.begin(), parts.end());
  }
  return out;
}
}  // namespace

asio::awaitable<std::optional<ConsumerGroupDescribeApi::Response>> ConsumerGroupDescribeApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  for (const auto& id : req.group_ids) {
    coordinator::ConsumerGroupDescription d = ctx.broker.groups().describe_consumer_group(id);
    auto& out = resp.groups.emplace_back();
    out.error_code = proto::code(d.error);
    out.error_message = d.error_message;
    out.group_id = d.group_id;
    out.group_state = d.state;
    out.group_epoch = d.group_epoch;
    out.assignment_epoch = d.assignment_epoch;
    out.assignor_name = d.assignor_name;
    for (const auto& m : d.members) {
      auto& om = out.members.emplace_back();
      om.member_id = m.member_id;
      om.instance_id = m.instance_id;
      om.rack_id = m.rack_id;
      om.member_epoch = m.member_epoch;
      om.client_id = m.client_id;
      om.client_host = m.client_host;
      om.subscribed_topic_names = m.subscribed_topic_names;
      om.subscribed_topic_regex = m.subscribed_topic_regex;
      om.assignment = to_assignment(m.assignment, d.topic_ids);
      om.target_assignment = to_assignment(m.target_assignment, d.topic_ids);
    }
    out.authorized_operations =
        req.include_authorized_operations && d.error == proto::ErrorCode::NONE
            ? kGroupOperations
            : std::numeric_limits<int32_t>::min();
  }
  co_return resp;
}

}  // namespace fjord::api
