// CreatePartitions (key 37), v0-3: raise the partition count of existing topics, optionally
// with explicit replica assignments for the new partitions; validate_only checks without
// creating. New partitions take the topic's current config and start empty.
//
// Per topic, as Kafka's controller:
// - a name given twice: INVALID_REQUEST "Duplicate topic name." (one result);
// - an unknown topic: UNKNOWN_TOPIC_OR_PARTITION;
// - a count equal to the current one: INVALID_PARTITIONS "Topic already has N partition(s).";
//   a smaller one: INVALID_PARTITIONS "The topic t currently has N partition(s); M would not
//   be an increase.";
// - assignments whose number differs from the partitions added, or naming another broker,
//   a broker twice, or more than one replica (the topic has one): INVALID_REPLICA_ASSIGNMENT;
// - more than 10000 new partitions in one request: POLICY_VIOLATION for every topic.
// Partitions are never removed; existing data is not moved (keys may map to other
// partitions afterwards, as in Kafka).
//
// Deliberate gaps: no create-partitions policy, no ACLs; timeout_ms is ignored.
#include <set>

#include "server/api/admin_common.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Req = proto::CreatePartitionsRequest;
using admin::ApiError;
using admin::error;

ApiError check_topic(Broker& b, const Req::CreatePartitionsTopic& t, int32_t* added) {
  const Topic* topic = b.topics().find(t.name);
  if (!topic) return error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  const int32_t current = static_cast<int32_t>(topic->partitions.size());
  if (t.count == current) {
    return error(ErrorCode::INVALID_PARTITIONS,
                 "Topic already has " + std::to_string(current) + " partition(s).");
  }
  if (t.count < current) {
    return error(ErrorCode::INVALID_PARTITIONS,
                 "The topic " + t.name + " currently has " + std::to_string(current) +
                     " partition(s); " + std::to_string(t.count) + " would not be an increase.");
  }
  *added = t.count - current;
  if (t.assignments) {
    if (static_cast<int64_t>(t.assignments->size()) != *added) {
      return error(ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                   "Attempted to add " + std::to_string(*added) +
                       " additional partition(s), but only " +
                       std::to_string(t.assignments->size()) + " assignment(s) were specified.");
    }
    for (const auto& a : *t.assignments) {
      if (auto e = admin::check_manual_assignment(a.broker_ids, b.node_id(), 1); !e.ok()) {
        return e;
      }
    }
  }
  return ApiError::none();
}

}  // namespace

asio::awaitable<std::optional<CreatePartitionsApi::Response>> CreatePartitionsApi::handle(
    RequestContext& ctx, Request& req) {
  Broker& b = ctx.broker;
  const auto dups = admin::duplicates<std::string>(
      req.topics, [](const Req::CreatePartitionsTopic& t) { return t.name; });
  Response resp;
  std::vector<std::pair<size_t, const Req::CreatePartitionsTopic*>> valid;  // result index
  std::set<std::string> reported;
  int64_t added_total = 0;
  for (const auto& t : req.topics) {
    if (dups.count(t.name) && !reported.insert(t.name).second) continue;
    auto& out = resp.results.emplace_back();
    out.name = t.name;
    int32_t added = 0;
    const ApiError e = dups.count(t.name)
                           ? error(ErrorCode::INVALID_REQUEST, "Duplicate topic name.")
                           : check_topic(b, t, &added);
    out.error_code = proto::code(e.code);
    out.error_message = e.message;
    if (!e.ok()) continue;
    added_total += added;
    valid.emplace_back(resp.results.size() - 1, &t);
  }

  const bool too_large = added_total > admin::kMaxRecordsPerOperation;
  for (const auto& [index, t] : valid) {
    auto& out = resp.results[index];
    if (too_large) {
      out.error_code = proto::code(ErrorCode::POLICY_VIOLATION);
      out.error_message = std::string(admin::kTooLargeOperation);
      continue;
    }
    std::string message;
    const ErrorCode code =
        b.topics().add_partitions(t->name, t->count, req.validate_only, &message);
    out.error_code = proto::code(code);
    if (code != ErrorCode::NONE) out.error_message = message;
  }
  co_return resp;
}

}  // namespace fjord::api
