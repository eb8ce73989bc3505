// Small helpers shared by the group and offset API handlers.
#pragma once

#include <string>

#include "codec/error_codes.h"
#include "server/api/context.h"

namespace fjord::api {

// The client's address as Kafka reports it in DescribeGroups: "/127.0.0.1".
inline std::string group_client_host(const RequestContext& ctx) {
  const std::string& peer = ctx.connection.peer;
  const auto colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

}  // namespace fjord::api
