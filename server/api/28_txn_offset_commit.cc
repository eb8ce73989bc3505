// TxnOffsetCommit (key 28), v0-4: commit a group's offsets inside a producer's transaction.
//
// - The producer must own the transactional id (INVALID_PRODUCER_ID_MAPPING), with its current
//   epoch (INVALID_PRODUCER_EPOCH, what Kafka's log answers a stale epoch), and the group's
//   __consumer_offsets partition must be in its ongoing transaction (AddOffsetsToTxn first:
//   INVALID_TXN_STATE otherwise, as Kafka's partition verification).
// - The offsets are written as a transactional batch and stay pending (invisible to OffsetFetch,
//   UNSTABLE_OFFSET_COMMIT with require_stable) until the commit marker; an abort drops them.
// - v3+ member id / generation / group.instance.id are checked like OffsetCommit
//   (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID).
// - Unknown topics or partitions: UNKNOWN_TOPIC_OR_PARTITION for that partition.
#include "coordinator/group_coordinator.h"
#include "coordinator/transaction_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/offsets_store.h"
#include "server/cluster/topics.h"

namespace fjord::api {

using proto::ErrorCode;

asio::awaitable<std::optional<TxnOffsetCommitApi::Response>> TxnOffsetCommitApi::handle(
    RequestContext& ctx, Request& req) {
  const int16_t v = ctx.api_version;
  coordinator::CommitParams p;
  p.group_id = req.group_id;
  p.generation_id = v >= 3 ? req.generation_id : -1;
  p.member_id = v >= 3 ? req.member_id : std::string();
  p.group_instance_id = v >= 3 ? req.group_instance_id : std::nullopt;

  // The transaction check comes first: it applies to every partition.
  ErrorCode txn_error = ErrorCode::NONE;
  if (req.group_id.empty()) {
    txn_error = ErrorCode::INVALID_GROUP_ID;
  } else if (!ctx.broker.groups().available()) {
    txn_error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
  } else {
    std::vector<coordinator::TopicPartition> group_partition = {
        {kOffsetsTopic, ctx.broker.groups().partition_of(req.group_id)}};
    std::vector<ErrorCode> per;
    txn_error = ctx.broker.transactions().verify_partitions(
        req.transactional_id, req.producer_id, req.producer_epoch, group_partition, per);
    if (txn_error == ErrorCode::NONE && !per.empty()) txn_error = per[0];
    if (txn_error == ErrorCode::PRODUCER_FENCED) txn_error = ErrorCode::INVALID_PRODUCER_EPOCH;
  }

  Response resp;
  std::vector<int16_t*> slots;
  for (const auto& t : req.topics) {
    auto& out_topic = resp.topics.emplace_back();
    out_topic.name = t.name;
    out_topic.partitions.reserve(t.partitions.size());  // `slots` point into it
    for (const auto& part : t.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = part.partition_index;
      if (txn_error != ErrorCode::NONE) {
        out.error_code = proto::code(txn_error);
        continue;
      }
      if (!ctx.broker.topics().partition(t.name, part.partition_index)) {
        out.error_code = proto::code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      coordinator::OffsetCommitEntry e;
      e.tp = {t.name, part.partition_index};
      e.offset = part.committed_offset;
      e.leader_epoch = v >= 2 ? part.committed_leader_epoch : -1;
      e.metadata = part.committed_metadata;
      p.offsets.push_back(std::move(e));
      slots.push_back(&out.error_code);
    }
  }
  if (!p.offsets.empty()) {
    const std::vector<ErrorCode> errors =
        ctx.broker.groups().commit_transactional_offsets(req.producer_id, req.producer_epoch, p);
    for (size_t i = 0; i < slots.size() && i < errors.size(); ++i)
      *slots[i] = proto::code(errors[i]);
  }
  co_return resp;
}

}  // namespace fjord::api
