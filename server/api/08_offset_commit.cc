// OffsetCommit (key 8), v0-9: store a group's consumed positions in __consumer_offsets.
//
// - v0 is ZooKeeper-era in Kafka; Fjord stores it like v1 (in the offsets topic).
// - Members commit with their generation and member id (v1+), checked as Kafka does:
//   ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID (v7+ group.instance.id),
//   REBALANCE_IN_PROGRESS while the group waits for its assignment. Commits are accepted
//   while a rebalance is being prepared.
// - Generation -1 and an empty member id: a commit from outside group management (admin tools,
//   consumers using assign()); allowed for a group with no members, which it creates.
// - v1 per-partition commit_timestamp is honoured; v2-4 retention_time_ms (-1: the broker's
//   offsets.retention.minutes) sets an explicit expiry, stored as OffsetCommitValue v1 as Kafka.
// - Metadata longer than offset.metadata.max.bytes: OFFSET_METADATA_TOO_LARGE for that
//   partition; unknown topics or partitions: UNKNOWN_TOPIC_OR_PARTITION.
// - v6+ committed_leader_epoch is stored and returned by OffsetFetch v5+.
// - Consumer (KIP-848) groups: the generation is the member epoch: STALE_MEMBER_EPOCH for
//   another epoch, UNKNOWN_MEMBER_ID for an unknown member; epoch -1 only while the group has
//   no members (coordinator/consumer_group.cc).
#include <map>

#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

asio::awaitable<std::optional<OffsetCommitApi::Response>> OffsetCommitApi::handle(
    RequestContext& ctx, Request& req) {
  const int16_t v = ctx.api_version;
  coordinator::CommitParams p;
  p.group_id = req.group_id;
  p.generation_id = v >= 1 ? req.generation_id_or_member_epoch : -1;
  p.member_id = v >= 1 ? req.member_id : std::string();
  p.group_instance_id = req.group_instance_id;
  p.retention_ms = v >= 2 && v <= 4 ? req.retention_time_ms : -1;

  // Response slots in request order; partitions the broker does not host are answered here.
  Response resp;
  std::vector<int16_t*> slots;  // for each entry of p.offsets
  for (const auto& t : req.topics) {
    auto& out_topic = resp.topics.emplace_back();
    out_topic.name = t.name;
    out_topic.partitions.reserve(t.partitions.size());
    for (const auto& part : t.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = part.partition_index;
      if (!ctx.broker.topics().partition(t.name, part.partition_index)) {
        out.error_code = proto::code(proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      coordinator::OffsetCommitEntry e;
      e.tp = {t.name, part.partition_index};
      e.offset = part.committed_offset;
      e.leader_epoch = v >= 6 ? part.committed_leader_epoch : -1;
      e.metadata = part.committed_metadata;
      e.commit_timestamp = v == 1 ? part.commit_timestamp : -1;
      p.offsets.push_back(std::move(e));
      slots.push_back(&out.error_code);
    }
  }
  if (!p.offsets.empty()) {
    const std::vector<proto::ErrorCode> errors = ctx.broker.groups().commit_offsets(p);
    for (size_t i = 0; i < slots.size() && i < errors.size(); ++i)
      *slots[i] = proto::code(errors[i]);
  }
  co_return resp;
}

}  // namespace fjord::api
