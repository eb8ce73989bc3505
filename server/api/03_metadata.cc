// Metadata (key 3), v0-12: the broker list, the controller, the cluster id and the requested
// topics with their partitions, leaders and leader epochs.
//
// - v0: an empty topic list means all topics; v1+: null means all, empty means none.
// - Unknown topics are auto-created when auto.create.topics.enable is on and the request
//   allows it (always for v0-3, AllowAutoTopicCreation from v4). A topic created this way is
//   returned ready at once (Kafka would answer LEADER_NOT_AVAILABLE until its controller has
//   elected a leader; on one node there is nothing to wait for).
// - Invalid names get INVALID_TOPIC_EXCEPTION; topics never return authorized operations
//   (INT32_MIN, "not requested") until ACLs exist.
// - Internal topics (__consumer_offsets) are listed with is_internal.
#include "codec/error_codes.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using Resp = proto::MetadataResponse;

void describe_topic(const Topic& t, int32_t node, Resp::MetadataResponseTopic& out) {
  out.error_code = proto::code(proto::ErrorCode::NONE);
  out.name = t.name;
  out.topic_id = t.id;
  out.is_internal = t.internal;
  for (const auto& p : t.partitions) {
    auto& rp = out.partitions.emplace_back();
    rp.error_code = proto::code(proto::ErrorCode::NONE);
    rp.partition_index = p->index();
    rp.leader_id = node;
    rp.leader_epoch = p->leader_epoch();
    rp.replica_nodes = p->replicas();
    rp.isr_nodes = p->isr();
  }
}

}  // namespace

asio::awaitable<std::optional<MetadataApi::Response>> MetadataApi::handle(RequestContext& ctx,
                                                                          Request& req) {
  Broker& b = ctx.broker;
  TopicManager& topics = b.topics();
  Response resp;
  const Endpoint& ep = b.endpoint_for(ctx.connection.listener_name);
  auto& broker = resp.brokers.emplace_back();
  broker.node_id = b.node_id();
  broker.host = ep.host;
  broker.port = ep.port;
  broker.rack = b.config().broker_rack;
  resp.cluster_id = b.cluster_id();
  resp.controller_id = b.node_id();

  const bool all = ctx.api_version == 0 ? (req.topics && req.topics->empty()) : !req.topics;
  if (all) {
    for (const auto& [name, t] : topics.all())
      describe_topic(*t, b.node_id(), resp.topics.emplace_back());
    co_return resp;
  }
  const bool auto_create = b.config().auto_create_topics_enable &&
                           (ctx.api_version < 4 || req.allow_auto_topic_creation);
  for (const auto& rt : *req.topics) {
    auto& out = resp.topics.emplace_back();
    out.name = rt.name;
    if (!rt.name) {
      // v10+ may ask by topic id instead of name.
      if (const Topic* t = topics.find(rt.topic_id)) {
        describe_topic(*t, b.node_id(), out);
      } else {
        out.error_code = proto::code(proto::ErrorCode::UNKNOWN_TOPIC_ID);
      }
      continue;
    }
    const std::string& name = *rt.name;
    const Topic* t = topics.find(name);
    if (!t) {
      if (TopicManager::validate_name(name)) {
        out.error_code = proto::code(proto::ErrorCode::INVALID_TOPIC_EXCEPTION);
        continue;
      }
      if (!auto_create || TopicManager::is_internal_name(name)) {
        out.error_code = proto::code(proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      auto created = topics.auto_create(name);
      if (created.error != proto::ErrorCode::NONE) {
        out.error_code = proto::code(created.error);
        continue;
      }
      t = created.topic;
    }
    describe_topic(*t, b.node_id(), out);
  }
  co_return resp;
}

}  // namespace fjord::api
