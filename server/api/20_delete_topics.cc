// DeleteTopics (key 20), v0-6: delete topics by name (v0-5: topic_names; v6: topics[].name)
// or by topic id (v6: topics[].topic_id). Results carry the name and (v6) the topic id.
//
// - delete.topic.enable=false: every topic fails, with INVALID_REQUEST below v3 and
//   TOPIC_DELETION_DISABLED from v3 (as Kafka, whose v0-2 clients do not know code 73).
// - An unknown name: UNKNOWN_TOPIC_OR_PARTITION; an unknown id: UNKNOWN_TOPIC_ID.
// - INVALID_REQUEST for an entry with both or neither of name and id, for a name or id given
//   twice (one result each: "Duplicate topic name." / "Duplicate topic id."), and for a name
//   whose topic was also named by id in the same request.
// Deletion is immediate: the partitions' logs are removed before the response is sent.
//
// Deliberate gaps: results come in request order (Kafka shuffles them so that positions do
// not tell unauthorized topics apart; without ACLs there is nothing to hide); no ACLs;
// timeout_ms is ignored. For a topic named both by id and by name Kafka answers only the
// name entry; Fjord answers both with the same error.
#include <map>
#include <set>

#include "server/api/admin_common.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Resp = proto::DeleteTopicsResponse;
using admin::ApiError;
using admin::error;

constexpr std::string_view kUnknownTopic = "This server does not host this topic-partition.";
constexpr std::string_view kUnknownTopicId = "This server does not host this topic ID.";

// One requested entry, as given: a name, an id, or (malformed) both or neither.
struct Wanted {
  std::optional<std::string> name;
  proto::Uuid id;
};

std::vector<Wanted> wanted_topics(const proto::DeleteTopicsRequest& req, int16_t version) {
  std::vector<Wanted> out;
  if (version < 6) {
    for (const auto& n : req.topic_names) out.push_back({n, proto::Uuid{}});
  } else {
    for (const auto& t : req.topics) out.push_back({t.name, t.topic_id});
  }
  return out;
}

void add_result(Resp& resp, std::optional<std::string> name, const proto::Uuid& id,
                const ApiError& e) {
  auto& out = resp.responses.emplace_back();
  out.name = std::move(name);
  out.topic_id = id;
  out.error_code = proto::code(e.code);
  out.error_message = e.message;
}

}  // namespace

asio::awaitable<std::optional<DeleteTopicsApi::Response>> DeleteTopicsApi::handle(
    RequestContext& ctx, Request& req) {
  Broker& b = ctx.broker;
  TopicManager& topics = b.topics();
  const std::vector<Wanted> wanted = wanted_topics(req, ctx.api_version);
  Response resp;

  if (!b.config().delete_topic_enable) {
    const ApiError e =
        ctx.api_version < 3
            ? error(ErrorCode::INVALID_REQUEST, "Topic deletion is disabled.")
            : error(ErrorCode::TOPIC_DELETION_DISABLED, "Topic deletion is disabled.");
    for (const auto& w : wanted) add_result(resp, w.name, w.id, e);
    co_return resp;
  }

  const auto dup_names = admin::duplicates<std::string>(
      wanted, [](const Wanted& w) { return w.name && w.id.is_zero() ? *w.name : std::string(); });
  const auto dup_ids = admin::duplicates<proto::Uuid>(
      wanted, [](const Wanted& w) { return w.name ? proto::Uuid{} : w.id; });

  // Resolve every well-formed, unique entry to a topic id.
  std::map<proto::Uuid, size_t> named_by_id;  // topic id -> index of the id entry
  std::vector<std::optional<proto::Uuid>> resolved(wanted.size());
  std::set<std::string> reported_names;
  std::set<proto::Uuid> reported_ids;
  for (size_t i = 0; i < wanted.size(); ++i) {
    const Wanted& w = wanted[i];
    if (w.name && !w.id.is_zero()) {
      add_result(
          resp, w.name, w.id,
          error(ErrorCode::INVALID_REQUEST, "You may not specify both topic name and topic id."));
    } else if (!w.name && w.id.is_zero()) {
      add_result(resp, std::nullopt, w.id,
                 error(ErrorCode::INVALID_REQUEST, "Neither topic name nor id were specified."));
    } else if (w.name) {
      if (dup_names.count(*w.name)) {
        if (reported_names.insert(*w.name).second)
          add_result(resp, w.name, {}, error(ErrorCode::INVALID_REQUEST, "Duplicate topic name."));
        continue;
      }
      const Topic* t = topics.find(*w.name);
      if (!t) {
        add_result(resp, w.name, {},
                   error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, std::string(kUnknownTopic)));
        continue;
      }
      resolved[i] = t->id;
    } else {
      if (dup_ids.count(w.id)) {
        if (reported_ids.insert(w.id).second)
          add_result(resp, std::nullopt, w.id,
                     error(ErrorCode::INVALID_REQUEST, "Duplicate topic id."));
        continue;
      }
      const Topic* t = topics.find(w.id);
      if (!t) {
        add_result(resp, std::nullopt, w.id,
                   error(ErrorCode::UNKNOWN_TOPIC_ID, std::string(kUnknownTopicId)));
        continue;
      }
      resolved[i] = t->id;
      named_by_id[t->id] = i;
    }
  }

  // A topic named once by id and once by name is ambiguous: neither entry deletes it.
  std::set<proto::Uuid> ambiguous;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (resolved[i] && wanted[i].name && named_by_id.count(*resolved[i])) {
      ambiguous.insert(*resolved[i]);
    }
  }

  for (size_t i = 0; i < wanted.size(); ++i) {
    if (!resolved[i]) continue;
    const proto::Uuid id = *resolved[i];
    const Topic* t = topics.find(id);
    const std::string name = t->name;
    if (ambiguous.count(id)) {
      add_result(resp, name, id,
                 error(ErrorCode::INVALID_REQUEST,
                       "The provided topic name maps to an ID that was already supplied."));
      continue;
    }
    std::string message;
    const ErrorCode code = topics.delete_topic(name, &message);
    add_result(resp, name, id, code == ErrorCode::NONE ? ApiError::none() : error(code, message));
  }
  co_return resp;
}

}  // namespace fjord::api
