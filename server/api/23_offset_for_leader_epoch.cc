// OffsetForLeaderEpoch (key 23), v0-4: for each partition, the end offset of a leader epoch
// (the start offset of the next larger epoch, or the log end offset for the current epoch)
// and the largest epoch at or below the one asked (v1+). Consumers use it to detect log
// truncation after a leader change (KIP-320).
//
// - An unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION.
// - current_leader_epoch (v2+, -1 = not given) older than the partition's leader epoch:
//   FENCED_LEADER_EPOCH; newer: UNKNOWN_LEADER_EPOCH.
// - An epoch above the current one, or before the log's first epoch with no data: no error,
//   leader_epoch -1 and end_offset -1 (Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET).
// replica_id (v3+): consumers send -1, tools -2, followers their broker id. All get the same
// answer here: on one node the high watermark is the log end offset, so there is no
// follower/consumer difference to make. Deliberate gap: no CLUSTER_ACTION check for
// follower requests (no ACLs yet).
#include "codec/error_codes.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Resp = proto::OffsetForLeaderEpochResponse;

void answer(Partition* part, const proto::OffsetForLeaderEpochRequest::OffsetForLeaderPartition& p,
            Resp::EpochEndOffset& out) {
  out.partition = p.partition;
  out.leader_epoch = -1;
  out.end_offset = -1;
  if (!part) {
    out.error_code = proto::code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    return;
  }
  if (p.current_leader_epoch >= 0 && p.current_leader_epoch != part->leader_epoch()) {
    out.error_code = proto::code(p.current_leader_epoch < part->leader_epoch()
                                     ? ErrorCode::FENCED_LEADER_EPOCH
                                     : ErrorCode::UNKNOWN_LEADER_EPOCH);
    return;
  }
  auto [epoch, end_offset] = part->end_offset_for_epoch(p.leader_epoch);
  out.error_code = proto::code(ErrorCode::NONE);
  out.leader_epoch = epoch;
  out.end_offset = end_offset;
}

}  // namespace

asio::awaitable<std::optional<OffsetForLeaderEpochApi::Response>> OffsetForLeaderEpochApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  for (const auto& rt : req.topics) {
    auto& out_topic = resp.topics.emplace_back();
    out_topic.topic = rt.topic;
    Topic* topic = ctx.broker.topics().find(rt.topic);
    for (const auto& rp : rt.partitions) {
      answer(topic ? topic->partition(rp.partition) : nullptr, rp,
             out_topic.partitions.emplace_back());
    }
  }
  co_return resp;
}

}  // namespace fjord::api
