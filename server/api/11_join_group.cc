// JoinGroup (key 11), v0-9: a member joins a classic group (coordinator/group_coordinator.h).
//
// - The request waits until the rebalance completes (all known members rejoined, or the
//   rebalance timeout; group.initial.rebalance.delay.ms for a group starting from Empty), so
//   the connection answers nothing else meanwhile, as with Kafka.
// - v0 has no rebalance timeout: the session timeout serves as both, as Kafka does.
// - v4+ without a group.instance.id: a first join gets MEMBER_ID_REQUIRED with the member id to
//   use (KIP-394); v0-3 members are admitted at once.
// - v5+ group.instance.id: static membership (KIP-345); a known instance rejoining a stable
//   group keeps the generation and fences its old member id (FENCED_INSTANCE_ID).
// - v7+ protocol_type in the response; protocol_name is null on errors (v7+) or "" before.
// - v8+ reason is logged. v9 skip_assignment: a rejoining static leader of a stable group is
//   told it leads and need not assign (KIP-814).
// - Errors as Kafka: INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT (outside
//   group.min/max.session.timeout.ms), INCONSISTENT_GROUP_PROTOCOL, UNKNOWN_MEMBER_ID,
//   GROUP_MAX_SIZE_REACHED, FENCED_INSTANCE_ID, COORDINATOR_LOAD_IN_PROGRESS.
#include "coordinator/group_coordinator.h"
#include "server/api/group_common.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

asio::awaitable<std::optional<JoinGroupApi::Response>> JoinGroupApi::handle(RequestContext& ctx,
                                                                            Request& req) {
  const int16_t v = ctx.api_version;
  coordinator::JoinParams p;
  p.group_id = req.group_id;
  p.member_id = req.member_id;
  p.group_instance_id = req.group_instance_id;
  p.client_id = std::string(ctx.client_id());
  p.client_host = group_client_host(ctx);
  p.protocol_type = req.protocol_type;
  for (auto& proto : req.protocols) p.protocols.push_back({proto.name, std::move(proto.metadata)});
  p.session_timeout_ms = req.session_timeout_ms;
  p.rebalance_timeout_ms = v >= 1 ? req.rebalance_timeout_ms : req.session_timeout_ms;
  p.require_known_member_id = v >= 4 && !req.group_instance_id;
  p.supports_skip_assignment = v >= 9;
  p.reason = req.reason.value_or("");

  coordinator::JoinResult r = co_await ctx.broker.groups().join_group(std::move(p));
  Response resp;
  resp.error_code = proto::code(r.error);
  resp.generation_id = r.generation_id;
  resp.protocol_type = r.protocol_type;
  resp.protocol_name = v >= 7 ? r.protocol_name : r.protocol_name.value_or("");
  resp.leader = r.leader_id;
  resp.skip_assignment = r.skip_assignment;
  resp.member_id = r.member_id;
  for (auto& m : r.members) {
    auto& out = resp.members.emplace_back();
    out.member_id = m.member_id;
    out.group_instance_id = m.group_instance_id;
    out.metadata = std::move(m.metadata);
  }
  co_return resp;
}

}  // namespace fjord::api
