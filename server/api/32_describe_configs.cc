// DescribeConfigs (key 32), v0-4: the configuration of topics and of this broker.
//
// - TOPIC: every topic config with its effective value and source (DYNAMIC_TOPIC_CONFIG for
//   an override, STATIC_BROKER_CONFIG when the broker file sets the default, else
//   DEFAULT_CONFIG). An illegal name: INVALID_TOPIC_EXCEPTION; an unknown topic:
//   UNKNOWN_TOPIC_OR_PARTITION.
// - BROKER: the name must be this node's id (every broker config, all read-only, passwords
//   sensitive with a null value) or empty (the cluster-wide dynamic defaults: none in Fjord,
//   so an empty list). Another id: INVALID_REQUEST "Unexpected broker id, expected N or empty
//   string, but received X"; a name that is not a number: INVALID_REQUEST.
// - BROKER_LOGGER: the same name checks ("Broker id must not be empty" for an empty name);
//   Fjord has no runtime-adjustable loggers, so the list is empty.
// - Other resource types (CLIENT_METRICS, GROUP, unknown ids): INVALID_REQUEST
//   "Unsupported resource type: X".
// configuration_keys (null or empty = all) filters by exact name; unknown names are skipped.
// Synonyms are returned only when include_synonyms (v1+); documentation only when
// include_documentation (v3+), else null; config_type from v3; v0 reports is_default
// (source DEFAULT_CONFIG) instead of a source.
//
// Deliberate gaps: no ACL checks; no CLIENT_METRICS/GROUP configs.
#include <algorithm>

#include "server/api/admin_common.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Req = proto::DescribeConfigsRequest;
using Resp = proto::DescribeConfigsResponse;
using admin::ApiError;
using admin::error;

struct Options {
  bool synonyms = false;
  bool documentation = false;
};

Resp::DescribeConfigsResourceResult to_wire(const config::ConfigEntry& e, const Options& opts) {
  Resp::DescribeConfigsResourceResult out;
  out.name = e.name;
  out.value = e.sensitive ? std::nullopt : e.value;
  out.read_only = e.read_only;
  out.is_default = e.source == config::ConfigSource::kDefaultConfig;
  out.config_source = static_cast<int8_t>(e.source);
  out.is_sensitive = e.sensitive;
  out.config_type = static_cast<int8_t>(e.type);
  out.documentation =
      opts.documentation ? std::optional<std::string>(e.documentation) : std::nullopt;
  if (opts.synonyms) {
    for (const config::ConfigSynonym& s : e.synonyms) {
      auto& syn = out.synonyms.emplace_back();
      syn.name = s.name;
      syn.value = s.value;
      syn.source = static_cast<int8_t>(s.source);
    }
  }
  return out;
}

// Kafka's filter: null or empty key list means every config.
bool wanted(const Req::DescribeConfigsResource& r, const std::string& name) {
  if (!r.configuration_keys || r.configuration_keys->empty()) return true;
  const auto& keys = *r.configuration_keys;
  return std::find(keys.begin(), keys.end(), name) != keys.end();
}

void fill(const std::vector<config::ConfigEntry>& entries, const Req::DescribeConfigsResource& r,
          const Options& opts, Resp::DescribeConfigsResult& out) {
  for (const auto& e : entries)
    if (wanted(r, e.name)) out.configs.push_back(to_wire(e, opts));
}

ApiError describe_topic(Broker& b, const Req::DescribeConfigsResource& r, const Options& opts,
                        Resp::DescribeConfigsResult& out) {
  if (auto why = TopicManager::validate_name(r.resource_name)) {
    return error(ErrorCode::INVALID_TOPIC_EXCEPTION, *why);
  }
  const Topic* t = b.topics().find(r.resource_name);
  if (!t) return error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  fill(config::describe_topic(b.config(), t->overrides), r, opts, out);
  return ApiError::none();
}

ApiError check_broker_name(const std::string& name, int32_t node_id, bool logger) {
  auto id = admin::parse_node_id(name);
  if (!id) {
    return error(ErrorCode::INVALID_REQUEST, "Broker id must be an integer, but it is: " + name);
  }
  if (*id != node_id) {
    return error(ErrorCode::INVALID_REQUEST,
                 "Unexpected broker id, expected " + std::to_string(node_id) +
                     (logger ? "" : " or empty string") + ", but received " + name);
  }
  return ApiError::none();
}

ApiError describe_resource(Broker& b, const Req::DescribeConfigsResource& r, const Options& opts,
                           Resp::DescribeConfigsResult& out) {
  switch (r.resource_type) {
    case admin::kTopicResource:
      return describe_topic(b, r, opts, out);
    case admin::kBrokerResource:
      if (r.resource_name.empty()) return ApiError::none();  // no dynamic cluster defaults
      if (auto e = check_broker_name(r.resource_name, b.node_id(), false); !e.ok()) return e;
      fill(config::describe_broker(b.config()), r, opts, out);
      return ApiError::none();
    case admin::kBrokerLoggerResource:
      if (r.resource_name.empty()) {
        return error(ErrorCode::INVALID_REQUEST, "Broker id must not be empty");
      }
      return check_broker_name(r.resource_name, b.node_id(), true);
    default:
      return error(
          ErrorCode::INVALID_REQUEST,
          "Unsupported resource type: " + std::string(admin::resource_type_name(r.resource_type)));
  }
}

}  // namespace

asio::awaitable<std::optional<DescribeConfigsApi::Response>> DescribeConfigsApi::handle(
    RequestContext& ctx, Request& req) {
  const Options opts{ctx.api_version >= 1 && req.include_synonyms,
                     ctx.api_version >= 3 && req.include_documentation};
  Response resp;
  for (const auto& r : req.resources) {
    auto& out = resp.results.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    const ApiError e = describe_resource(ctx.broker, r, opts, out);
    out.error_code = proto::code(e.code);
    out.error_message = e.message;
    if (!e.ok()) out.configs.clear();
  }
  co_return resp;
}

}  // namespace fjord::api
