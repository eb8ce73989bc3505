// AddPartitionsToTxn (key 24), v0-5: add partitions to a producer's ongoing transaction.
//
// - v0-3 (clients): one transaction. Partitions of topics that do not exist get
//   UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED (nothing is added), as
//   Kafka does. Otherwise every partition gets the coordinator's answer: NONE,
//   INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below v2),
//   CONCURRENT_TRANSACTIONS while a commit/abort completes, COORDINATOR_LOAD_IN_PROGRESS.
// - v4-5 (KIP-890, sent by brokers): a batch of transactions, each either added like v0-3 or,
//   with verify_only, checked: INVALID_TXN_STATE for a partition not in the ongoing
//   transaction.
#include <vector>

#include "coordinator/transaction_coordinator.h"
#include "server/api/handlers.h"
#include "server/api/txn_common.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Topics = std::vector<proto::AddPartitionsToTxnRequest::AddPartitionsToTxnTopic>;
using TopicResults = std::vector<proto::AddPartitionsToTxnResponse::AddPartitionsToTxnTopicResult>;

TopicResults add_one(RequestContext& ctx, const std::string& txn_id, int64_t pid, int16_t epoch,
                     bool verify_only, const Topics& topics) {
  std::vector<coordinator::TopicPartition> parts;
  bool missing = false;
  for (const auto& t : topics)
    for (int32_t p : t.partitions) {
      parts.push_back({t.name, p});
      if (!ctx.broker.topics().partition(t.name, p)) missing = true;
    }
  std::vector<ErrorCode> errors(parts.size(), ErrorCode::NONE);
  if (missing) {
    for (size_t i = 0; i < parts.size(); ++i)
      errors[i] = ctx.broker.topics().partition(parts[i].topic, parts[i].partition)
                      ? ErrorCode::OPERATION_NOT_ATTEMPTED
                      : ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
  } else if (verify_only) {
    const ErrorCode e =
        ctx.broker.transactions().verify_partitions(txn_id, pid, epoch, parts, errors);
    if (e != ErrorCode::NONE) errors.assign(parts.size(), e);
  } else {
    errors.assign(parts.size(),
                  ctx.broker.transactions().add_partitions(txn_id, pid, epoch, parts));
  }
  TopicResults out;
  size_t i = 0;
  for (const auto& t : topics) {
    auto& tr = out.emplace_back();
    tr.name = t.name;
    for (int32_t p : t.partitions) {
      auto& pr = tr.results_by_partition.emplace_back();
      pr.partition_index = p;
      pr.partition_error_code = proto::code(fenced_for_version(errors[i++], ctx.api_version, 2));
    }
  }
  return out;
}

}  // namespace

asio::awaitable<std::optional<AddPartitionsToTxnApi::Response>> AddPartitionsToTxnApi::handle(
    RequestContext& ctx, Request& req) {
  Response resp;
  if (ctx.api_version < 4) {
    resp.results_by_topic_v3_and_below =
        add_one(ctx, req.v3_and_below_transactional_id, req.v3_and_below_producer_id,
                req.v3_and_below_producer_epoch, /*verify_only=*/false, req.v3_and_below_topics);
    co_return resp;
  }
  for (const auto& t : req.transactions) {
    auto& r = resp.results_by_transaction.emplace_back();
    r.transactional_id = t.transactional_id;
    r.topic_results =
        add_one(ctx, t.transactional_id, t.producer_id, t.producer_epoch, t.verify_only, t.topics);
  }
  co_return resp;
}

}  // namespace fjord::api
