// DeleteRecords (key 21), v0-2: advance partitions' log start offsets (the "low watermark");
// whole segments below the new start are removed.
//
// Per partition, in Kafka's order:
// - an internal topic (__consumer_offsets, __transaction_state): INVALID_TOPIC_EXCEPTION;
// - an unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION;
// - a topic whose cleanup.policy lacks "delete" (compact only): POLICY_VIOLATION;
// - offset -1 means the high watermark; any other negative offset, or one above the high
//   watermark: OFFSET_OUT_OF_RANGE.
// On success low_watermark is the partition's log start offset afterwards (unchanged when the
// offset is below it already); on error it is -1.
//
// On one node every replica is the leader, so the response does not wait for followers;
// timeout_ms is ignored.
#include "codec/error_codes.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
constexpr int64_t kHighWatermark = -1;

ErrorCode delete_before(TopicManager& topics, const std::string& topic, int32_t index,
                        int64_t offset, int64_t* low_watermark) {
  if (TopicManager::is_internal_name(topic)) return ErrorCode::INVALID_TOPIC_EXCEPTION;
  Topic* t = topics.find(topic);
  Partition* part = t ? t->partition(index) : nullptr;
  if (!part) return ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
  if (!t->config.cleanup_policy.remove) return ErrorCode::POLICY_VIOLATION;
  if (offset == kHighWatermark) offset = part->high_watermark();
  return part->delete_records_before(offset, low_watermark);
}

}  // namespace

asio::awaitable<std::optional<DeleteRecordsApi::Response>> DeleteRecordsApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  for (const auto& rt : req.topics) {
    auto& out_topic = resp.topics.emplace_back();
    out_topic.name = rt.name;
    for (const auto& rp : rt.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = rp.partition_index;
      int64_t low = -1;
      const ErrorCode e =
          delete_before(ctx.broker.topics(), rt.name, rp.partition_index, rp.offset, &low);
      out.error_code = proto::code(e);
      out.low_watermark = e == ErrorCode::NONE ? low : -1;
    }
  }
  co_return resp;
}

}  // namespace fjord::api
