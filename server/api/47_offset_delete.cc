// OffsetDelete (key 47), v0: delete a group's committed offsets for some partitions.
//
// - An Empty group may drop any of its offsets. A group with members of the "consumer"
//   protocol may drop offsets only of topics none of its members subscribes to
//   (GROUP_SUBSCRIBED_TO_TOPIC otherwise); other active groups: NON_EMPTY_GROUP.
// - Unknown group: GROUP_ID_NOT_FOUND. Unknown topics or partitions:
//   UNKNOWN_TOPIC_OR_PARTITION. Group-level errors come without the topics list, as Kafka.
// - Deleted offsets are written as tombstones to __consumer_offsets.
#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

asio::awaitable<std::optional<OffsetDeleteApi::Response>> OffsetDeleteApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  std::vector<coordinator::TopicPartition> asked;
  std::vector<int16_t*> slots;
  for (const auto& t : req.topics) {
    auto& out_topic = resp.topics.emplace_back();
    out_topic.name = t.name;
    out_topic.partitions.reserve(t.partitions.size());
    for (const auto& p : t.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (!ctx.broker.topics().partition(t.name, p.partition_index)) {
        out.error_code = proto::code(proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      asked.push_back({t.name, p.partition_index});
      slots.push_back(&out.error_code);
    }
  }
  coordinator::OffsetDeleteResult r = ctx.broker.groups().delete_offsets(req.group_id, asked);
  if (r.error != proto::ErrorCode::NONE) {
    Response err;
    err.error_code = proto::code(r.error);
    co_return err;
  }
  for (size_t i = 0; i < slots.size() && i < r.partitions.size(); ++i)
    *slots[i] = proto::code(r.partitions[i]);
  co_return resp;
}

}  // namespace fjord::api
