// ListGroups (key 16), v0-5: the groups this broker coordinates.
//
// - Every group but Dead ones, with its protocol type ("" for groups that only store offsets).
// - v4+ states_filter: Kafka's state names, compared case-insensitively; empty = all.
// - v5+ types_filter: "classic" or "consumer" (case-insensitive); every Fjord group is
//   classic until KIP-848 groups exist.
// - While a partition of __consumer_offsets is still loading, the groups already loaded are
//   listed with COORDINATOR_LOAD_IN_PROGRESS, as Kafka.
#include <algorithm>
#include <cctype>

#include "coordinator/group_coordinator.h"
#include "server/api/handlers.h"
#include "server/broker.h"

namespace fjord::api {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool matches(const std::vector<std::string>& filter, std::string_view value) {
  return filter.empty() || std::any_of(filter.begin(), filter.end(),
                                       [&](const std::string& f) { return iequals(f, value); });
}

}  // namespace

asio::awaitable<std::optional<ListGroupsApi::Response>> ListGroupsApi::handle(RequestContext& ctx,
                                                                              Request& req) {
  coordinator::ListGroupsResult r = ctx.broker.groups().list_groups();
  Response resp;
  resp.error_code = proto::code(r.error);
  for (auto& g : r.groups) {
    if (!matches(req.states_filter, g.state) || !matches(req.types_filter, g.type)) continue;
    auto& out = resp.groups.emplace_back();
    out.group_id = std::move(g.group_id);
    out.protocol_type = std::move(g.protocol_type);
    out.group_state = std::move(g.state);
    out.group_type = std::move(g.type);
  }
  co_return resp;
}

}  // namespace fjord::api
