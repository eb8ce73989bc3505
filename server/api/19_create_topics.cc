// CreateTopics (key 19), v0-7: create topics from a partition count and replication factor
// (-1: the broker's num.partitions / default.replication.factor) or from explicit replica
// assignments, with topic-level config overrides; validate_only (v1+) checks without
// creating.
//
// Checks run in the order of Kafka's controller, and each topic gets its own result:
// - a name given twice in one request: INVALID_REQUEST "Duplicate topic name." (one result);
// - an illegal name, or one that collides with an existing topic once '.' and '_' are
//   treated alike: INVALID_TOPIC_EXCEPTION; an existing name: TOPIC_ALREADY_EXISTS;
// - a null config value or an invalid/unknown config: INVALID_CONFIG;
// - explicit assignments with num_partitions or replication_factor other than -1:
//   INVALID_REQUEST; a bad assignment (unknown broker, repeated broker or partition, gaps,
//   unequal replica counts): INVALID_REPLICA_ASSIGNMENT;
// - replication factor 0 or < -1: INVALID_REPLICATION_FACTOR; partitions 0 or < -1:
//   INVALID_PARTITIONS; a replication factor above 1 (one broker): INVALID_REPLICATION_FACTOR;
// - a request that would write more than 10000 metadata records (topics + partitions +
//   configs): POLICY_VIOLATION for every topic, nothing created.
// v5+ results echo the partition count, replication factor and every effective topic config
// with its source; v7+ the topic id.
//
// Deliberate gaps: no create-topic policy (create.topic.policy.class.name), no ACLs
// (TopicConfigErrorCode is always NONE). validate_only returns a zero topic id where Kafka
// returns a random id that never exists. timeout_ms is ignored: creation is immediate.
#include <set>

#include "server/api/admin_common.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Req = proto::CreateTopicsRequest;
using Resp = proto::CreateTopicsResponse;
using admin::ApiError;
using admin::error;

std::string unify_collision_chars(std::string name) {
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

// "a.b" and "a_b" would share metric names in Kafka, so it refuses the second one.
ApiError check_collision(TopicManager& topics, const std::string& name) {
  if (name.find_first_of("._") == std::string::npos) return ApiError::none();
  const std::string unified = unify_collision_chars(name);
  for (const auto& [existing, t] : topics.all()) {
    if (existing != name && unify_collision_chars(existing) == unified) {
      return error(ErrorCode::INVALID_TOPIC_EXCEPTION,
                   "Topic '" + name + "' collides with existing topic: " + existing);
    }
  }
  return ApiError::none();
}

// The configs as a map (a repeated key: the last wins, as in Kafka).
ApiError collect_configs(const Req::CreatableTopic& t, std::map<std::string, std::string>* out) {
  std::string nulls;
  for (const auto& c : t.configs) {
    if (!c.value) {
      nulls += (nulls.empty() ? "" : ",") + c.name;
      continue;
    }
    (*out)[c.name] = *c.value;
  }
  if (!nulls.empty()) {
    return error(ErrorCode::INVALID_CONFIG, "Null value not supported for topic configs: " + nulls);
  }
  return ApiError::none();
}

// Explicit assignments, ordered by partition index.
ApiError check_assignments(const Req::CreatableTopic& t, int32_t node_id,
                           std::vector<std::vector<int32_t>>* out) {
  if (t.replication_factor != -1) {
    return error(ErrorCode::INVALID_REQUEST,
                 "A manual partition assignment was specified, but replication factor was not "
                 "set to -1.");
  }
  if (t.num_partitions != -1) {
    return error(ErrorCode::INVALID_REQUEST,
                 "A manual partition assignment was specified, but numPartitions was not set "
                 "to -1.");
  }
  std::map<int32_t, std::vector<int32_t>> by_index;
  std::optional<size_t> replication_factor;
  for (const auto& a : t.assignments) {
    if (by_index.count(a.partition_index)) {
      return error(ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                   "Found multiple manual partition assignments for partition " +
                       std::to_string(a.partition_index));
    }
    if (auto e = admin::check_manual_assignment(a.broker_ids, node_id, replication_factor);
        !e.ok()) {
      return e;
    }
    replication_factor = a.broker_ids.size();
    by_index[a.partition_index] = a.broker_ids;
  }
  for (int32_t i = 0; i < static_cast<int32_t>(by_index.size()); ++i) {
    if (!by_index.count(i)) {
      return error(ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                   "partitions should be a consecutive 0-based integer sequence");
    }
  }
  for (auto& [index, brokers] : by_index) out->push_back(std::move(brokers));
  return ApiError::none();
}

// Partition count and replication factor after defaults, Kafka's placement rules applied.
ApiError check_counts(const Req::CreatableTopic& t, const config::BrokerConfig& bc,
                      int32_t* partitions) {
  if (t.replication_factor < -1 || t.replication_factor == 0) {
    return error(ErrorCode::INVALID_REPLICATION_FACTOR,
                 "Replication factor must be larger than 0, or -1 to use the default value.");
  }
  if (t.num_partitions < -1 || t.num_partitions == 0) {
    return error(ErrorCode::INVALID_PARTITIONS,
                 "Number of partitions was set to an invalid non-positive value.");
  }
  *partitions = t.num_partitions == -1 ? bc.num_partitions : t.num_partitions;
  const int32_t rf =
      t.replication_factor == -1 ? bc.default_replication_factor : t.replication_factor;
  if (rf > 1) {
    const std::string n = std::to_string(rf);
    return error(ErrorCode::INVALID_REPLICATION_FACTOR,
                 "Unable to replicate the partition " + n + " time(s): The target replication " +
                     "factor of " + n + " cannot be reached because only 1 broker(s) are " +
                     "registered.");
  }
  return ApiError::none();
}

// A topic that passed every check, ready to be created.
struct Plan {
  std::string name;
  int32_t partitions = 0;
  std::map<std::string, std::string> configs;
  std::vector<std::vector<int32_t>> assignments;
};

ApiError plan_topic(Broker& b, const Req::CreatableTopic& t, Plan* plan) {
  TopicManager& topics = b.topics();
  plan->name = t.name;
  if (auto why = TopicManager::validate_name(t.name)) {
    return error(ErrorCode::INVALID_TOPIC_EXCEPTION, *why);
  }
  if (topics.find(t.name)) {
    return error(ErrorCode::TOPIC_ALREADY_EXISTS, "Topic '" + t.name + "' already exists.");
  }
  if (auto e = check_collision(topics, t.name); !e.ok()) return e;
  if (auto e = collect_configs(t, &plan->configs); !e.ok()) return e;
  if (auto bad = config::validate_topic_configs(b.config(), plan->configs)) {
    return error(ErrorCode::INVALID_CONFIG, *bad);
  }
  if (!t.assignments.empty()) {
    if (auto e = check_assignments(t, b.node_id(), &plan->assignments); !e.ok()) return e;
    plan->partitions = static_cast<int32_t>(plan->assignments.size());
    return ApiError::none();
  }
  return check_counts(t, b.config(), &plan->partitions);
}

void set_error(Resp::CreatableTopicResult& out, const ApiError& e) {
  out.error_code = proto::code(e.code);
  out.error_message = e.message;
  out.num_partitions = -1;
  out.replication_factor = -1;
  out.configs = std::vector<Resp::CreatableTopicConfigs>{};
}

// The v5+ echo: partitions, replication factor and the effective configs with sources.
void describe_created(const config::BrokerConfig& bc, const Plan& plan,
                      Resp::CreatableTopicResult& out) {
  out.num_partitions = plan.partitions;
  out.replication_factor = 1;
  out.configs = std::vector<Resp::CreatableTopicConfigs>{};
  for (const config::ConfigEntry& e : config::describe_topic(bc, plan.configs)) {
    auto& c = out.configs->emplace_back();
    c.name = e.name;
    c.value = e.sensitive ? std::nullopt : e.value;
    c.read_only = e.read_only;
    c.config_source = static_cast<int8_t>(e.source);
    c.is_sensitive = e.sensitive;
  }
}

}  // namespace

asio::awaitable<std::optional<CreateTopicsApi::Response>> CreateTopicsApi::handle(
    RequestContext& ctx, Request& req) {
  Broker& b = ctx.broker;
  const bool validate_only = ctx.api_version >= 1 && req.validate_only;
  const auto dups = admin::duplicates<std::string>(
      req.topics, [](const Req::CreatableTopic& t) { return t.name; });

  // First pass: check everything; Kafka applies a request's records all or nothing.
  Response resp;
  std::vector<std::pair<size_t, Plan>> plans;  // result index, plan
  std::set<std::string> reported;
  int64_t records = 0;
  for (const auto& t : req.topics) {
    if (dups.count(t.name)) {
      if (!reported.insert(t.name).second) continue;
      auto& out = resp.topics.emplace_back();
      out.name = t.name;
      set_error(out, error(ErrorCode::INVALID_REQUEST, "Duplicate topic name."));
      continue;
    }
    auto& out = resp.topics.emplace_back();
    out.name = t.name;
    Plan plan;
    if (auto e = plan_topic(b, t, &plan); !e.ok()) {
      set_error(out, e);
      continue;
    }
    records += 1 + plan.partitions + static_cast<int64_t>(plan.configs.size());
    plans.emplace_back(resp.topics.size() - 1, std::move(plan));
  }

  if (records > admin::kMaxRecordsPerOperation) {
    for (auto& [index, plan] : plans) {
      set_error(resp.topics[index],
                error(ErrorCode::POLICY_VIOLATION, std::string(admin::kTooLargeOperation)));
    }
    co_return resp;
  }

  for (auto& [index, plan] : plans) {
    auto& out = resp.topics[index];
    CreateTopicResult r = b.topics().create(plan.name, plan.partitions, 1, plan.configs,
                                            validate_only, plan.assignments);
    if (r.error != ErrorCode::NONE) {
      set_error(out, error(r.error, r.message));
      continue;
    }
    out.error_code = proto::code(ErrorCode::NONE);
    out.error_message = std::nullopt;
    if (r.topic) out.topic_id = r.topic->id;
    describe_created(b.config(), plan, out);
  }
  co_return resp;
}

}  // namespace fjord::api
