// OffsetFetch (key 9), v0-9: read a group's committed offsets.
//
// - v0 is ZooKeeper-era in Kafka; Fjord answers it like v1 from the offsets topic.
// - A partition without a committed offset answers offset -1, metadata "" and no error.
// - v2+ null topics: every committed offset of the group. v5+ committed_leader_epoch.
// - Group-level errors (COORDINATOR_LOAD_IN_PROGRESS while __consumer_offsets is being loaded,
//   COORDINATOR_NOT_AVAILABLE): v0-1 put them on every requested partition, v2-7 in the
//   top-level error_code, v8+ in the group's error_code.
// - v7+ require_stable: a partition with a pending transactional commit answers
//   UNSTABLE_OFFSET_COMMIT (there are none until transactions exist).
// - v8+ several groups in one request, each answered on its own.
// - v9 member id / member epoch: checked for consumer (KIP-848) groups (UNKNOWN_MEMBER_ID,
//   STALE_MEMBER_EPOCH); no member id with epoch -1 (admin tools) is always accepted.
#include <map>

#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;

struct Asked {
  std::string name;
  std::vector<int32_t> partitions;
};

// Partitions to look up, or nullopt for "all".
std::optional<std::vector<coordinator::TopicPartition>> to_partitions(
    const std::optional<std::vector<Asked>>& topics) {
  if (!topics) return std::nullopt;
  std::vector<coordinator::TopicPartition> out;
  for (const auto& t : *topics)
    for (int32_t p : t.partitions) out.push_back({t.name, p});
  return out;
}

// Groups the answers by topic in the order they came.
template <class TopicOut>
void fill_topics(const coordinator::OffsetFetchResult& r, std::vector<TopicOut>& out,
                 bool with_epoch) {
  std::map<std::string, size_t> index;
  for (const auto& f : r.offsets) {
    auto [it, fresh] = index.try_emplace(f.tp.topic, out.size());
    if (fresh) out.emplace_back().name = f.tp.topic;
    auto& part = out[it->second].partitions.emplace_back();
    part.partition_index = f.tp.partition;
    part.committed_offset = f.offset;
    part.committed_leader_epoch = with_epoch ? f.leader_epoch : -1;
    part.metadata = f.metadata;
    part.error_code = proto::code(f.error);
  }
}

}  // namespace

asio::awaitable<std::optional<OffsetFetchApi::Response>> OffsetFetchApi::handle(RequestContext& ctx,
                                                                                Request& req) {
  const int16_t v = ctx.api_version;
  auto& groups = ctx.broker.groups();
  Response resp;
  if (v >= 8) {
    for (const auto& g : req.groups) {
      std::optional<std::vector<Asked>> asked;
      if (g.topics) {
        asked.emplace();
        for (const auto& t : *g.topics) asked->push_back({t.name, t.partition_indexes});
      }
      coordinator::OffsetFetchResult r;
      // v9: members of consumer (KIP-848) groups fetch with their member id and epoch.
      if (v >= 9) r.error = groups.validate_offset_fetch(g.group_id, g.member_id, g.member_epoch);
      if (r.error == ErrorCode::NONE)
        r = groups.fetch_offsets(g.group_id, to_partitions(asked), req.require_stable);
      auto& out = resp.groups.emplace_back();
      out.group_id = g.group_id;
      out.error_code = proto::code(r.error);
      if (r.error == ErrorCode::NONE) fill_topics(r, out.topics, true);
    }
    co_return resp;
  }

  std::optional<std::vector<Asked>> asked;
  if (req.topics) {
    asked.emplace();
    for (const auto& t : *req.topics) asked->push_back({t.name, t.partition_indexes});
  }
  coordinator::OffsetFetchResult r =
      groups.fetch_offsets(req.group_id, to_partitions(asked), v >= 7 && req.require_stable);
  if (r.error != ErrorCode::NONE) {
    if (v >= 2) {
      resp.error_code = proto::code(r.error);
      co_return resp;
    }
    // v0-1 have no group-level error: every partition carries it.
    for (auto& tp : to_partitions(asked).value_or(std::vector<coordinator::TopicPartition>{})) {
      coordinator::FetchedOffset f;
      f.tp = tp;
      f.error = r.error;
      r.offsets.push_back(std::move(f));
    }
  }
  fill_topics(r, resp.topics, v >= 5);
  co_return resp;
}

}  // namespace fjord::api
