// DescribeCluster (key 60), v0-1: the cluster id, the controller and the brokers, for admin
// clients (the Java Admin's describeCluster prefers it to Metadata when advertised).
//
// The broker list is this node with the host and port advertised on the listener the request
// arrived on (as Metadata does); the controller id is this node. v1's endpoint_type must be 1
// (brokers): a request for controller endpoints (2) or an unknown type gets
// MISMATCHED_ENDPOINT_TYPE, as from a Kafka broker (INVALID_REQUEST for v0, which cannot ask).
// include_cluster_authorized_operations: without an authorizer every cluster operation is
// allowed, so Kafka's bit set of the CLUSTER operations is returned (CREATE, ALTER, DESCRIBE,
// CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE); otherwise INT32_MIN.
#include <limits>

#include "codec/error_codes.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
constexpr int8_t kBrokerEndpoints = 1;

// AclOperation codes of the operations Kafka supports on the CLUSTER resource.
constexpr int32_t kClusterOperations =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

std::string_view endpoint_type_name(int8_t type) {
  switch (type) {
    case 1:
      return "BROKER";
    case 2:
      return "CONTROLLER";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

asio::awaitable<std::optional<DescribeClusterApi::Response>> DescribeClusterApi::handle(
    RequestContext& ctx, Request& req) {
  Broker& b = ctx.broker;
  Response resp;
  if (req.endpoint_type != kBrokerEndpoints) {
    resp.error_code = proto::code(ctx.api_version == 0 ? ErrorCode::INVALID_REQUEST
                                                       : ErrorCode::MISMATCHED_ENDPOINT_TYPE);
    resp.error_message =
        "The request was sent to an endpoint of type BROKER, but we wanted an "
        "endpoint of type " +
        std::string(endpoint_type_name(req.endpoint_type));
    co_return resp;
  }
  resp.error_code = proto::code(ErrorCode::NONE);
  resp.endpoint_type = kBrokerEndpoints;
  resp.cluster_id = b.cluster_id();
  resp.controller_id = b.node_id();
  const Endpoint& ep = b.endpoint_for(ctx.connection.listener_name);
  auto& broker = resp.brokers.emplace_back();
  broker.broker_id = b.node_id();
  broker.host = ep.host;
  broker.port = ep.port;
  broker.rack = b.config().broker_rack;
  resp.cluster_authorized_operations = req.include_cluster_authorized_operations
                                           ? kClusterOperations
                                           : std::numeric_limits<int32_t>::min();
  co_return resp;
}

}  // namespace fjord::api
