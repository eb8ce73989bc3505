// AlterConfigs (key 33), v0-2: replace the whole set of dynamic configs of resources (keys
// left out are removed). Superseded by IncrementalAlterConfigs but still used by older
// admin clients (librdkafka 2.0 alter_configs, kafka-python).
//
// - TOPIC: the new overrides are validated as a whole (INVALID_CONFIG with Kafka's message),
//   then persisted in the topic registry and applied at once to the running partitions
//   (retention, segment size, cleanup policy, message limits, timestamp checks).
//   An empty name: INVALID_REQUEST "Default topic resources are not allowed."; an unknown
//   topic: UNKNOWN_TOPIC_OR_PARTITION "The topic 'x' does not exist.".
// - BROKER: the name must be this node's id (INVALID_REQUEST otherwise). Fjord keeps no
//   dynamic broker configs, so an empty set succeeds (there is nothing to remove) and any key
//   is refused with INVALID_REQUEST "Cannot update these configs dynamically: Set(...)" —
//   the code Kafka gives a change to a config that is not dynamically updatable.
// - Other resource types (BROKER_LOGGER, ...): INVALID_REQUEST "Unknown resource type N".
// - A resource named twice: INVALID_REQUEST for each occurrence; a null value: INVALID_REQUEST
//   "Null value not supported for : k".
// validate_only runs every check and changes nothing.
//
// Deliberate gaps: no alter-config policy (alter.config.policy.class.name), no ACLs.
#include <set>

#include "server/api/admin_common.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Req = proto::AlterConfigsRequest;
using admin::ApiError;
using admin::error;

using ResourceKey = std::pair<int8_t, std::string>;

ApiError check_nulls(const Req::AlterConfigsResource& r) {
  std::string nulls;
  for (const auto& c : r.configs)
    if (!c.value) nulls += (nulls.empty() ? "" : ", ") + c.name;
  if (nulls.empty()) return ApiError::none();
  return error(ErrorCode::INVALID_REQUEST, "Null value not supported for : " + nulls);
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
  std::map<std::string, std::string> overrides;
  for (const auto& c : r.configs) overrides[c.name] = *c.value;
  std::string message;
  const ErrorCode code = b.topics().set_overrides(*t, overrides, validate_only, &message);
  return code == ErrorCode::NONE ? ApiError::none() : error(code, message);
}

ApiError alter_resource(Broker& b, const Req::AlterConfigsResource& r, bool validate_only) {
  switch (r.resource_type) {
    case admin::kBrokerResource:
      if (auto e = admin::check_node_name(r.resource_name, b.node_id()); !e.ok()) return e;
      break;
    case admin::kTopicResource:
      break;
    default:
      return error(ErrorCode::INVALID_REQUEST,
                   "Unknown resource type " + std::to_string(r.resource_type));
  }
  if (auto e = check_nulls(r); !e.ok()) return e;
  if (r.resource_type == admin::kTopicResource) return alter_topic(b, r, validate_only);
  if (r.configs.empty()) return ApiError::none();
  std::set<std::string> keys;
  for (const auto& c : r.configs) keys.insert(c.name);
  return admin::refuse_broker_config_change(keys);
}

}  // namespace

asio::awaitable<std::optional<AlterConfigsApi::Response>> AlterConfigsApi::handle(
    RequestContext& ctx, Request& req) {
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
