// ListOffsets (key 2), v0-7.
//
// Timestamps: -1 latest (the high watermark, or the last stable offset for read_committed),
// -2 earliest (the log start offset), -3 the record with the largest timestamp (v7+),
// otherwise the first offset whose timestamp is at or after the one asked.
// v0 answers with a list of offsets: the segment base offsets before the timestamp plus,
// for "latest", the log end, newest first, at most max_num_offsets of them (Kafka's
// legacy semantics).
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {
using proto::ErrorCode;
constexpr int64_t kLatest = -1, kEarliest = -2;

// ListOffsets v0: "latest" lists the log end and then the segment base offsets, newest
// first; "earliest" the log start offset; a timestamp the offset found for it followed by
// the older segment bases.
std::vector<int64_t> legacy_offsets(const Partition& part, int64_t timestamp, int32_t max_num) {
  std::vector<int64_t> offsets;
  if (timestamp == kEarliest) {
    offsets.push_back(part.log_start_offset());
  } else {
    int64_t upper = part.log_end_offset();
    if (timestamp != kLatest) {
      auto found = part.offset_for_timestamp(timestamp);
      upper = found ? found->offset : part.log_end_offset();
    }
    offsets.push_back(upper);
    for (int64_t base : part.segment_base_offsets())  // newest first
      if (base < upper) offsets.push_back(base);
  }
  if (max_num >= 0 && offsets.size() > static_cast<size_t>(max_num))
    offsets.resize(static_cast<size_t>(max_num));
  return offsets;
}
}  // namespace

asio::awaitable<std::optional<ListOffsetsApi::Response>> ListOffsetsApi::handle(RequestContext& ctx,
                                                                                Request& req) {
  const int16_t version = ctx.api_version;
  Response resp;
  for (const auto& rt : req.topics) {
    auto& out_topic = resp.topics.emplace_back();
    out_topic.name = rt.name;
    Topic* topic = ctx.broker.topics().find(rt.name);
    for (const auto& rp : rt.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = rp.partition_index;
      out.timestamp = -1;
      out.offset = -1;
      out.leader_epoch = -1;
      Partition* part = topic ? topic->partition(rp.partition_index) : nullptr;
      if (!part) {
        out.error_code = proto::code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      if (rp.current_leader_epoch >= 0 && rp.current_leader_epoch != part->leader_epoch()) {
        out.error_code = proto::code(rp.current_leader_epoch < part->leader_epoch()
                                         ? ErrorCode::FENCED_LEADER_EPOCH
                                         : ErrorCode::UNKNOWN_LEADER_EPOCH);
        continue;
      }
      if (version == 0) {
        out.old_style_offsets = legacy_offsets(*part, rp.timestamp, rp.max_num_offsets);
        continue;
      }
      if (rp.timestamp == kLatest) {
        out.offset = req.isolation_level == 1 ? part->last_stable_offset() : part->high_watermark();
        out.leader_epoch = part->leader_epoch();
        continue;
      }
      if (rp.timestamp == kEarliest || rp.timestamp == -4 /* earliest local */) {
        out.offset = part->log_start_offset();
        out.leader_epoch = part->leader_epoch();
        continue;
      }
      if (rp.timestamp < -4 || (rp.timestamp == -3 && version < 7)) {
        out.error_code = proto::code(ErrorCode::UNSUPPORTED_VERSION);
        continue;
      }
      // Kafka answers a timestamp only with an offset a consumer of that isolation level
      // could fetch: below the high watermark, or the last stable offset for read_committed.
      const int64_t fetchable =
          req.isolation_level == 1 ? part->last_stable_offset() : part->high_watermark();
      if (auto found = part->offset_for_timestamp(rp.timestamp);
          found && found->offset < fetchable) {
        out.offset = found->offset;
        out.timestamp = found->timestamp;
        out.leader_epoch = found->leader_epoch;
      }
    }
  }
  co_return resp;
}

}  // namespace fjord::api
