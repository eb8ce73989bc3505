// DescribeProducers (key 61), v0: the idempotent and transactional producers with state in
// each asked partition (Kafka's ProducerStateManager view): producer id, epoch, last
// sequence, last timestamp, coordinator epoch of the last marker and the start offset of the
// open transaction (-1 when none).
//
// Per partition, in Kafka's order: an unknown topic or partition answers
// UNKNOWN_TOPIC_OR_PARTITION. Every partition of a single node is led here, so
// NOT_LEADER_OR_FOLLOWER never happens.
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

asio::awaitable<std::optional<DescribeProducersApi::Response>> DescribeProducersApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  for (const auto& rt : req.topics) {
    auto& out_topic = resp.topics.emplace_back();
    out_topic.name = rt.name;
    Topic* topic = ctx.broker.topics().find(rt.name);
    for (int32_t index : rt.partition_indexes) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = index;
      Partition* part = topic ? topic->partition(index) : nullptr;
      if (!part) {
        out.error_code = proto::code(proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      for (const ProducerSnapshotView& p : part->active_producers()) {
        auto& s = out.active_producers.emplace_back();
        s.producer_id = p.producer_id;
        s.producer_epoch = p.epoch;
        s.last_sequence = p.last_sequence;
        s.last_timestamp = p.last_timestamp;
        s.coordinator_epoch = p.coordinator_epoch;
        s.current_txn_start_offset = p.current_txn_start_offset;
      }
    }
  }
  co_return resp;
}

}  // namespace fjord::api
