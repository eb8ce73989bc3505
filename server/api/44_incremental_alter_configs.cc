// IncrementalAlterConfigs (key 44), v0-1: change single config keys of resources with SET (0),
// DELETE (1), APPEND (2) or SUBTRACT (3).
//
// - TOPIC: the operations are applied in order to a copy of the topic's overrides; APPEND and
//   SUBTRACT work on list-typed keys only (cleanup.policy, *.replication.throttled.replicas;
//   others: INVALID_CONFIG "Can't APPEND to key k because its type is not LIST."), starting
//   from the override or, without one, from the topic's effective value; APPEND skips items
//   already present. DELETE of a key that is not overridden is a no-op. The result is
//   validated as a whole (INVALID_CONFIG), persisted in the topic registry and applied to the
//   running partitions at once. An empty name: INVALID_REQUEST; an unknown topic:
//   UNKNOWN_TOPIC_OR_PARTITION "The topic 'x' does not exist.".
// - BROKER: the name must be empty (cluster default) or this node's id. Fjord keeps no
//   dynamic broker configs: DELETE is a no-op and SET/APPEND/SUBTRACT are refused with
//   INVALID_REQUEST "Cannot update these configs dynamically: Set(...)" — Kafka's answer to a
//   change of a config that is not dynamically updatable (KAFKA-13609).
// - BROKER_LOGGER: the name must be this node's id. Fjord has no runtime-adjustable loggers:
//   SET/DELETE get INVALID_CONFIG "Logger k does not exist!", APPEND/SUBTRACT INVALID_REQUEST.
// - Other resource types: INVALID_REQUEST "Unknown resource type N".
// - A resource named twice: INVALID_REQUEST for each occurrence; a key named twice in one
//   resource, a null value for anything but DELETE, or an unknown operation: INVALID_REQUEST.
// validate_only runs every check and changes nothing.
//
// Deliberate gaps: no alter-config policy, no ACLs. Kafka starts APPEND/SUBTRACT on a key
// without an override from the key's built-in default; Fjord starts from the effective value
// (which includes the broker's static log.* setting), so appending to a topic of a broker
// with log.cleanup.policy=compact gives "compact,delete" rather than "delete".
#include <algorithm>
#include <set>

#include "server/api/admin_common.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Req = proto::IncrementalAlterConfigsRequest;
using admin::ApiError;
using admin::error;

using ResourceKey = std::pair<int8_t, std::string>;
enum Op : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

std::string_view op_name(int8_t op) {
  switch (op) {
    case kSet:
      return "SET";
    case kDelete:
      return "DELETE";
    case kAppend:
      return "APPEND";
    default:
      return "SUBTRACT";
  }
}

// The shape checks Kafka runs before anything else.
ApiError check_shape(const Req::AlterConfigsResource& r) {
  std::set<std::string> names;
  for (const auto& c : r.configs) {
    if (!names.insert(c.name).second) {
      return error(ErrorCode::INVALID_REQUEST, "Error due to duplicate config keys");
    }
  }
  std::string nulls;
  for (const auto& c : r.configs) {
    if (c.config_operation != kDelete && !c.value) nulls += (nulls.empty() ? "" : ", ") + c.name;
  }
  if (!nulls.empty()) {
    return error(ErrorCode::INVALID_REQUEST, "Null value not supported for : " + nulls);
  }
  return ApiError::none();
}

bool is_list_key(std::string_view key) {
  static const std::set<std::string, std::less<>> lists = [] {
    std::set<std::string, std::less<>> out;
    for (const auto& k : config::topic_config_keys())
      if (k.type == config::ConfigType::kList) out.insert(k.name);
    return out;
  }();
  return lists.count(key) > 0;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    const size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) return out;
    s.remove_prefix(comma + 1);
  }
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// The topic's current value of `key`: its override, else the effective value.
std::string current_value(const config::BrokerConfig& bc,
                          const std::map<std::string, std::string>& overrides,
                          const std::string& key) {
  if (auto it = overrides.find(key); it != overrides.end()) return it->second;
  for (const auto& e : config::describe_topic(bc, overrides))
    if (e.name == key) return e.value.value_or("");
  return "";
}

ApiError apply_list_op(const config::BrokerConfig& bc, const Req::AlterableConfig& c,
                       std::map<std::string, std::string>& overrides) {
  if (!is_list_key(c.name)) {
    return error(ErrorCode::INVALID_CONFIG, "Can't " + std::string(op_name(c.config_operation)) +
                                                " to key " + c.name +
                                                " because its type is not LIST.");
  }
  std::vector<std::string> items = split_list(current_value(bc, overrides, c.name));
  for (const std::string& v : split_list(*c.value)) {
    auto it = std::find(items.begin(), items.end(), v);
    if (c.config_operation == kAppend && it == items.end()) items.push_back(v);
    if (c.config_operation == kSubtract && it != items.end()) items.erase(it);
  }
  overrides[c.name] = join_list(items);
  return ApiError::none();
}

ApiError alter_topic(Broker& b, const Req::AlterConfigsResource& r, bool validate_only) {
  if (r.resource_name.empty()) {
    return error(ErrorCode::INVALID_REQUEST, "Default topic resources are not allowed.");
  }
  Topic* t = b.topics().find(r.resource_name);
  if (!t) {
    return error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                 "The topic '" + r.resource_name + "' does not exist.");
  }
  std::map<std::string, std::string> overrides = t->overrides;
  for (const auto& c : r.configs) {
    switch (c.config_operation) {
      case kSet:
        overrides[c.name] = *c.value;
        break;
      case kDelete:
        overrides.erase(c.name);
        break;
      default:
        if (auto e = apply_list_op(b.config(), c, overrides); !e.ok()) return e;
    }
  }
  std::string message;
  const ErrorCode code = b.topics().set_overrides(*t, overrides, validate_only, &message);
  return code == ErrorCode::NONE ? ApiError::none() : error(code, message);
}

ApiError alter_broker(Broker& b, const Req::AlterConfigsResource& r) {
  if (!r.resource_name.empty()) {
    if (auto e = admin::check_node_name(r.resource_name, b.node_id()); !e.ok()) return e;
  }
  std::set<std::string> changed;
  for (const auto& c : r.configs)
    if (c.config_operation != kDelete) changed.insert(c.name);
  if (changed.empty()) return ApiError::none();
  return admin::refuse_broker_config_change(changed);
}

// Kafka checks each operation in order; with no loggers to change, the first one fails.
ApiError alter_logger(Broker& b, const Req::AlterConfigsResource& r) {
  if (auto e = admin::check_node_name(r.resource_name, b.node_id()); !e.ok()) return e;
  if (r.configs.empty()) return ApiError::none();
  const auto& c = r.configs.front();
  switch (c.config_operation) {
    case kSet:
    case kDelete:
      return error(ErrorCode::INVALID_CONFIG, "Logger " + c.name + " does not exist!");
    case kAppend:
    case kSubtract:
      return error(ErrorCode::INVALID_REQUEST, std::string(op_name(c.config_operation)) +
                                                   " operation is not allowed for the "
                                                   "BROKER_LOGGER resource");
    default:
      return error(ErrorCode::INVALID_REQUEST,
                   "Unknown operation type " + std::to_string(c.config_operation) +
                       " is not allowed for the BROKER_LOGGER resource");
  }
}

ApiError alter_resource(Broker& b, const Req::AlterConfigsResource& r, bool validate_only) {
  if (auto e = check_shape(r); !e.ok()) return e;
  if (r.resource_type != admin::kBrokerLoggerResource) {
    for (const auto& c : r.configs) {
      if (c.config_operation < kSet || c.config_operation > kSubtract) {
        return error(ErrorCode::INVALID_REQUEST,
                     "Unknown operations type " + std::to_string(c.config_operation));
      }
    }
  }
  switch (r.resource_type) {
    case admin::kTopicResource:
      return alter_topic(b, r, validate_only);
    case admin::kBrokerResource:
      return alter_broker(b, r);
    case admin::kBrokerLoggerResource:
      return alter_logger(b, r);
    default:
      return error(ErrorCode::INVALID_REQUEST,
                   "Unknown resource type " + std::to_string(r.resource_type));
  }
}

}  // namespace

asio::awaitable<std::optional<IncrementalAlterConfigsApi::Response>>
IncrementalAlterConfigsApi::handle(RequestContext& ctx, Request& req) {
  const auto dups = admin::duplicates<ResourceKey>(
      req.resources, [](const auto& r) { return ResourceKey(r.resource_type, r.resource_name); });
  Response resp;
  for (const auto& r : req.resources) {
    auto& out = resp.responses.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    const ApiError e =
        dups.count(ResourceKey(r.resource_type, r.resource_name))
            ? error(ErrorCode::INVALID_REQUEST, "Each resource must appear at most once.")
            : alter_resource(ctx.broker, r, req.validate_only);
    out.error_code = proto::code(e.code);
    out.error_message = e.message;
  }
  co_return resp;
}

}  // namespace fjord::api
