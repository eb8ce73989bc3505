// The consumer group protocol (KIP-848) in the group coordinator: ConsumerGroupHeartbeat,
// ConsumerGroupDescribe, member epochs, target assignment and reconciliation, session and
// rebalance timeouts, persistence in Kafka's ConsumerGroup* records. See consumer_group.h.
#include "coordinator/consumer_group.h"

#include <algorithm>
#include <chrono>

#include "codec/errors.h"
#include "codec/reader.h"
#include "codec/writer.h"
#include "coordinator/group_coordinator.h"

namespace fjord::coordinator {

namespace {

// Key versions of the ConsumerGroup* records in __consumer_offsets.
constexpr int16_t kMetadataKey = 3;
constexpr int16_t kPartitionMetadataKey = 4;
constexpr int16_t kMemberMetadataKey = 5;
constexpr int16_t kTargetMetadataKey = 6;
constexpr int16_t kTargetMemberKey = 7;
constexpr int16_t kCurrentAssignmentKey = 8;

template <class M>
Bytes encode_versioned(const M& m, int16_t version) {
  proto::Writer w;
  w.write_int16(version);
  m.encode(w, version);
  return w.buffer();
}

Bytes group_key(int16_t version, const std::string& group) {
  if (version == kMetadataKey) {
    proto::ConsumerGroupMetadataKey k;
    k.group_id = group;
    return encode_versioned(k, version);
  }
  if (version == kPartitionMetadataKey) {
    proto::ConsumerGroupPartitionMetadataKey k;
    k.group_id = group;
    return encode_versioned(k, version);
  }
  proto::ConsumerGroupTargetAssignmentMetadataKey k;
  k.group_id = group;
  return encode_versioned(k, kTargetMetadataKey);
}

template <class K>
Bytes member_key(int16_t version, const std::string& group, const std::string& member) {
  K k;
  k.group_id = group;
  k.member_id = member;
  return encode_versioned(k, version);
}

Bytes member_metadata_key(const std::string& g, const std::string& m) {
  return member_key<proto::ConsumerGroupMemberMetadataKey>(kMemberMetadataKey, g, m);
}
Bytes target_member_key(const std::string& g, const std::string& m) {
  return member_key<proto::ConsumerGroupTargetAssignmentMemberKey>(kTargetMemberKey, g, m);
}
Bytes current_assignment_key(const std::string& g, const std::string& m) {
  return member_key<proto::ConsumerGroupCurrentMemberAssignmentKey>(kCurrentAssignmentKey, g, m);
}

template <class TP>
std::vector<TP> to_wire(const TopicAssignment& a, const std::map<std::string, proto::Uuid>& ids) {
  std::vector<TP> out;
  for (const auto& [topic, parts] : a) {
    auto id = ids.find(topic);
    if (id == ids.end() || parts.empty()) continue;
    TP tp;
    tp.topic_id = id->second;
    tp.partitions.assign(parts.begin(), parts.end());
    out.push_back(std::move(tp));
  }
  return out;
}

template <class TP>
TopicAssignment from_wire(const std::vector<TP>& v,
                          const std::map<proto::Uuid, std::string>& names) {
  TopicAssignment out;
  for (const auto& tp : v) {
    auto n = names.find(tp.topic_id);
    if (n == names.end()) continue;
    out[n->second].insert(tp.partitions.begin(), tp.partitions.end());
  }
  return out;
}

bool intersects(const TopicAssignment& a, const TopicAssignment& b) {
  for (const auto& [t, ps] : a) {
    auto it = b.find(t);
    if (it == b.end()) continue;
    for (int32_t p : ps)
      if (it->second.count(p)) return true;
  }
  return false;
}

bool is_subset(const TopicAssignment& a, const TopicAssignment& b) {
  for (const auto& [t, ps] : a) {
    if (ps.empty()) continue;
    auto it = b.find(t);
    if (it == b.end()) return false;
    for (int32_t p : ps)
      if (!it->second.count(p)) return false;
  }
  return true;
}

void normalize(TopicAssignment& a) {
  for (auto it = a.begin(); it != a.end();) it = it->second.empty() ? a.erase(it) : std::next(it);
}

ConsumerHeartbeatResult hb_error(ErrorCode e, std::string message) {
  ConsumerHeartbeatResult r;
  r.error = e;
  r.error_message = std::move(message);
  return r;
}

}  // namespace

const char* consumer_state_name(ConsumerGroupState s) {
  switch (s) {
    case ConsumerGroupState::kEmpty:
      return "Empty";
    case ConsumerGroupState::kAssigning:
      return "Assigning";
    case ConsumerGroupState::kReconciling:
      return "Reconciling";
    case ConsumerGroupState::kStable:
      return "Stable";
    case ConsumerGroupState::kDead:
      return "Dead";
  }
  return "Dead";
}

std::set<std::string> ConsumerMember::subscribed(const TopicsImage& topics) const {
  std::set<std::string> out;
  for (const auto& n : subscribed_names)
    if (topics.count(n)) out.insert(n);
  if (regex && !regex_pending) {
    for (const auto& [name, info] : topics) {
      if (info.internal) continue;
      if (std::regex_match(name, *regex)) out.insert(name);
    }
  }
  return out;
}

ConsumerGroupState ConsumerGroup::state() const {
  if (members.empty()) return ConsumerGroupState::kEmpty;
  if (group_epoch > assignment_epoch) return ConsumerGroupState::kAssigning;
  for (const auto& [id, m] : members) {
    if (m.epoch == kLeaveGroupStaticMemberEpoch) continue;
    if (m.epoch != assignment_epoch || m.state != MemberState::kStable)
      return ConsumerGroupState::kReconciling;
  }
  return ConsumerGroupState::kStable;
}

// ---- heartbeat ------------------------------------------------------------------------------

ConsumerHeartbeatResult GroupCoordinator::consumer_heartbeat(ConsumerHeartbeatParams p) {
  const std::string group = p.group_id, member = p.member_id;
  const int32_t epoch = p.member_epoch;
  ConsumerHeartbeatResult r = consumer_heartbeat_impl(std::move(p));
  if (r.error != ErrorCode::NONE && r.error != ErrorCode::COORDINATOR_LOAD_IN_PROGRESS) {
    log(LogSeverity::kInfo, "Consumer group " + group + ": heartbeat of member " + member +
                                " at epoch " + std::to_string(epoch) + " answered error " +
                                std::to_string(proto::code(r.error)) + ": " +
                                r.error_message.value_or(""));
  }
  return r;
}

ConsumerHeartbeatResult GroupCoordinator::consumer_heartbeat_impl(ConsumerHeartbeatParams p) {
  // Request validation, as Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid.
  if (p.group_id.empty()) return hb_error(ErrorCode::INVALID_REQUEST, "GroupId can't be empty.");
  if (p.instance_id && p.instance_id->empty())
    return hb_error(ErrorCode::INVALID_REQUEST, "InstanceId can't be empty.");
  if (p.rack_id && p.rack_id->empty())
    return hb_error(ErrorCode::INVALID_REQUEST, "RackId can't be empty.");
  if (p.member_id.empty() && (p.version >= 1 || p.member_epoch != 0))
    return hb_error(ErrorCode::INVALID_REQUEST, "MemberId can't be empty.");
  if (p.member_epoch == 0) {
    // Kafka requires RebalanceTimeoutMs in the first request; librdkafka 2.15.1 rejoining
    // right after a leave (unsubscribe + subscribe) may omit it, and INVALID_REQUEST is fatal
    // to it. Fjord keeps the member's previous one or uses 300000 (max.poll.interval.ms).
    if (p.owned && !p.owned->empty())
      return hb_error(ErrorCode::INVALID_REQUEST,
                      "TopicPartitions must be empty when (re-)joining.");
    if (!p.subscribed_topic_names && !p.subscribed_topic_regex)
      return hb_error(ErrorCode::INVALID_REQUEST,
                      "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
  } else if (p.member_epoch == kLeaveGroupStaticMemberEpoch) {
    if (!p.instance_id) return hb_error(ErrorCode::INVALID_REQUEST, "InstanceId can't be null.");
  } else if (p.member_epoch < kLeaveGroupStaticMemberEpoch) {
    return hb_error(ErrorCode::INVALID_REQUEST, "MemberEpoch is invalid.");
  }
  if (p.server_assignor &&
      std::find(config_.consumer_assignors.begin(), config_.consumer_assignors.end(),
                *p.server_assignor) == config_.consumer_assignors.end()) {
    std::string list;
    for (const auto& a : config_.consumer_assignors) list += (list.empty() ? "" : ", ") + a;
    return hb_error(ErrorCode::UNSUPPORTED_ASSIGNOR,
                    "ServerAssignor " + *p.server_assignor +
                        " is not supported. Supported assignors: " + list + ".");
  }
  std::shared_ptr<std::regex> regex;
  if (p.subscribed_topic_regex && !p.subscribed_topic_regex->empty()) {
    try {
      regex = std::make_shared<std::regex>(*p.subscribed_topic_regex, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return hb_error(ErrorCode::INVALID_REQUEST,
                      "SubscribedTopicRegex " + *p.subscribed_topic_regex + " is not valid.");
    }
  }
  const ErrorCode status = check_group_status(p.group_id, false);
  if (status != ErrorCode::NONE) return hb_error(status, "");
  if (p.topics) topics_image_ = p.topics;
  static const TopicsImage kNoTopics;
  const TopicsImage& topics = topics_image_ ? *topics_image_ : kNoTopics;

  GroupPtr gp = find_ptr(p.group_id);
  if (p.member_epoch < 0) {
    if (!gp || !gp->consumer)
      return hb_error(ErrorCode::UNKNOWN_MEMBER_ID,
                      "Member " + p.member_id + " is not a member of group " + p.group_id + ".");
    return consumer_leave(*gp, p);
  }
  std::vector<RecordToWrite> extra;  // written with the group's records
  if (!gp) {
    if (p.member_epoch != 0)
      return hb_error(ErrorCode::UNKNOWN_MEMBER_ID, "Group " + p.group_id + " not found.");
    gp = get_or_create(p.group_id);
  }
  Group& g = *gp;
  if (!g.consumer) {
    if (!g.members.empty() || !g.pending_members.empty() || !g.is(GroupState::kEmpty))
      return hb_error(ErrorCode::GROUP_ID_NOT_FOUND,
                      "Group " + p.group_id + " is not a consumer group.");
    if (p.member_epoch != 0)
      return hb_error(ErrorCode::UNKNOWN_MEMBER_ID, "Group " + p.group_id + " not found.");
    // An empty classic group (offsets only) becomes a consumer group, as Kafka converts it.
    if (g.protocol_type) extra.push_back({encode_group_key(g.id()), {}});
    g.protocol_type.reset();
    g.protocol_name.reset();
    g.leader_id.reset();
    g.generation = 0;
    g.consumer = std::make_shared<ConsumerGroup>();
    g.consumer->state_timestamp_ms = now();
  }
  ConsumerGroup& cg = *g.consumer;
  bool bump = false;
  bool member_changed = false;
  ConsumerMember* m = nullptr;

  if (p.member_epoch == 0) {
    std::string id = p.member_id.empty() ? new_member_id("").substr(1) : p.member_id;
    if (p.instance_id) {
      auto sit = cg.static_members.find(*p.instance_id);
      if (sit != cg.static_members.end() && sit->second != id) {
        ConsumerMember& old = cg.members.at(sit->second);
        if (old.epoch != kLeaveGroupStaticMemberEpoch)
          return hb_error(ErrorCode::UNRELEASED_INSTANCE_ID,
                          "Static member " + sit->second + " with instance id " + *p.instance_id +
                              " is not released yet.");
        // The new member takes over the old one's assignment (KIP-848 static membership).
        const std::string old_id = sit->second;
        extra = consumer_member_tombstones(g, old_id);
        auto node = cg.members.extract(old_id);
        node.key() = id;
        node.mapped().id = id;
        node.mapped().epoch = 0;
        node.mapped().previous_epoch = 0;
        node.mapped().state = MemberState::kStable;
        if (node.mapped().session_timer) node.mapped().session_timer->cancel();
        if (node.mapped().rebalance_timer) node.mapped().rebalance_timer->cancel();
        cg.members.insert(std::move(node));
        if (auto t = cg.target.extract(old_id); !t.empty()) {
          t.key() = id;
          cg.target.insert(std::move(t));
        }
        for (auto& [topic, parts] : cg.owners)
          for (auto& [part, owner] : parts)
            if (owner == old_id) owner = id;
        sit->second = id;
        log(LogSeverity::kInfo, "Consumer group " + g.id() + ": static member " + *p.instance_id +
                                    " rejoined as " + id + ", replacing " + old_id);
      }
    }
    auto it = cg.members.find(id);
    if (it == cg.members.end()) {
      if (static_cast<int64_t>(cg.members.size()) >= config_.consumer_max_size)
        return hb_error(ErrorCode::GROUP_MAX_SIZE_REACHED,
                        "The consumer group has reached its maximum capacity of " +
                            std::to_string(config_.consumer_max_size) + " members.");
      ConsumerMember nm;
      nm.id = id;
      it = cg.members.emplace(id, std::move(nm)).first;
      bump = true;
      log(LogSeverity::kInfo, "Consumer group " + g.id() + ": member " + id + " joined");
    } else if (it->second.epoch != 0) {
      // A known member rejoining with epoch 0 lost its assignment: it owns nothing now.
      ConsumerMember& km = it->second;
      consumer_set_assignment(cg, km, {}, {});
      km.previous_epoch = 0;
      km.epoch = 0;
      km.state = MemberState::kStable;
    }
    m = &it->second;
    if (p.instance_id) {
      m->instance_id = p.instance_id;
      cg.static_members[*p.instance_id] = id;
    }
  } else {
    auto it = cg.members.find(p.member_id);
    if (it == cg.members.end())
      return hb_error(ErrorCode::UNKNOWN_MEMBER_ID,
                      "Member " + p.member_id + " is not a member of group " + g.id() + ".");
    m = &it->second;
    if (p.instance_id) {
      auto sit = cg.static_members.find(*p.instance_id);
      if (sit == cg.static_members.end() || sit->second != m->id)
        return hb_error(ErrorCode::FENCED_INSTANCE_ID, "Static member " + m->id +
                                                           " with instance id " + *p.instance_id +
                                                           " was fenced by another member.");
    }
    if (p.member_epoch > m->epoch)
      return hb_error(ErrorCode::FENCED_MEMBER_EPOCH,
                      "The consumer group member has a greater epoch (" +
                          std::to_string(p.member_epoch) +
                          ") than the one known by the group "
                          "coordinator (" +
                          std::to_string(m->epoch) + ").");
    if (p.member_epoch < m->epoch) {
      // The response that carried the new epoch may have been lost: the previous epoch is
      // accepted when the member owns no more than its current assignment.
      if (p.member_epoch != m->previous_epoch || (p.owned && !is_subset(*p.owned, m->assigned)))
        return hb_error(ErrorCode::FENCED_MEMBER_EPOCH,
                        "The consumer group member has a smaller epoch (" +
                            std::to_string(p.member_epoch) +
                            ") than the one known by the group "
                            "coordinator (" +
                            std::to_string(m->epoch) + ").");
    }
  }

  // The member's subscription. A regex set by an earlier heartbeat is resolved now.
  // Regexes set by earlier heartbeats are resolved now, for every member of the group at once
  // (Kafka resolves a group's regexes together): their topics join the subscriptions, a new
  // target assignment even when other members already subscribe to them.
  for (auto& [id, mm] : cg.members) {
    if (!mm.regex_pending) continue;
    mm.regex_pending = false;
    bump = member_changed = true;
  }
  m->client_id = p.client_id;
  m->client_host = p.client_host;
  if (p.rack_id) m->rack_id = p.rack_id;
  if (p.rebalance_timeout_ms != -1) m->rebalance_timeout_ms = p.rebalance_timeout_ms;
  if (m->rebalance_timeout_ms <= 0) m->rebalance_timeout_ms = 300000;
  if (p.subscribed_topic_names) {
    std::vector<std::string> names = *p.subscribed_topic_names;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (names != m->subscribed_names) {
      m->subscribed_names = std::move(names);
      bump = member_changed = true;
    }
  }
  if (p.subscribed_topic_regex) {
    std::optional<std::string> rx;
    if (!p.subscribed_topic_regex->empty()) rx = p.subscribed_topic_regex;
    if (rx != m->subscribed_regex) {
      m->subscribed_regex = rx;
      m->regex = regex;
      m->regex_pending = regex != nullptr;
      bump = member_changed = true;
    }
  }
  if (p.server_assignor) {
    std::optional<std::string> a;
    if (!p.server_assignor->empty()) a = p.server_assignor;
    if (a != m->server_assignor) {
      m->server_assignor = a;
      bump = member_changed = true;
    }
  }

  // Metadata of the subscribed topics: new topics and added partitions change the group epoch.
  std::map<std::string, int32_t> meta;
  for (const auto& [id, mm] : cg.members) {
    for (const auto& t : mm.subscribed(topics)) {
      const TopicInfo& info = topics.find(t)->second;
      meta[t] = info.partitions;
      cg.topic_ids[t] = info.id;
    }
  }
  if (meta != cg.subscription_metadata) {
    cg.subscription_metadata = std::move(meta);
    bump = true;
  }
  if (bump) {
    ++cg.group_epoch;
    consumer_compute_target(g);
  } else if (cg.group_epoch > cg.assignment_epoch) {
    consumer_compute_target(g);
  }

  const int32_t old_epoch = m->epoch;
  const TopicAssignment old_assigned = m->assigned;
  const MemberState old_state = m->state;
  consumer_reconcile(g, *m, p.owned);
  consumer_schedule_session(g, *m);
  const bool reconciled =
      m->epoch != old_epoch || m->assigned != old_assigned || m->state != old_state;

  if (bump || member_changed || reconciled || !extra.empty()) {
    const ErrorCode e = consumer_store(g, std::move(extra));
    if (e != ErrorCode::NONE) return hb_error(e, "");
  }

  ConsumerHeartbeatResult r;
  r.member_id = m->id;
  r.member_epoch = m->epoch;
  r.heartbeat_interval_ms = config_.consumer_heartbeat_interval_ms;
  const bool full_request = p.rebalance_timeout_ms != -1 &&
                            (p.subscribed_topic_names || p.subscribed_topic_regex) && p.owned;
  if (p.member_epoch == 0 || full_request || m->assigned != old_assigned || m->epoch != old_epoch) {
    r.assignment = m->assigned;
  }
  return r;
}

ConsumerHeartbeatResult GroupCoordinator::consumer_leave(Group& g,
                                                         const ConsumerHeartbeatParams& p) {
  ConsumerGroup& cg = *g.consumer;
  std::string id = p.member_id;
  if (p.instance_id) {
    auto sit = cg.static_members.find(*p.instance_id);
    if (sit == cg.static_members.end())
      return hb_error(ErrorCode::UNKNOWN_MEMBER_ID,
                      "Instance id " + *p.instance_id + " is unknown.");
    if (sit->second != p.member_id)
      return hb_error(ErrorCode::FENCED_INSTANCE_ID, "Static member " + p.member_id +
                                                         " with instance id " + *p.instance_id +
                                                         " was fenced by another member.");
  }
  auto it = cg.members.find(id);
  if (it == cg.members.end())
    return hb_error(ErrorCode::UNKNOWN_MEMBER_ID,
                    "Member " + id + " is not a member of group " + g.id() + ".");
  ConsumerHeartbeatResult r;
  r.member_id = id;
  r.member_epoch = p.member_epoch;
  r.heartbeat_interval_ms = 0;
  if (p.member_epoch == kLeaveGroupStaticMemberEpoch) {
    // A static member leaving temporarily keeps its assignment until its session expires or
    // it rejoins with the same instance id.
    it->second.epoch = kLeaveGroupStaticMemberEpoch;
    log(LogSeverity::kInfo,
        "Consumer group " + g.id() + ": static member " + id + " left temporarily");
    const ErrorCode e = consumer_store(g);
    if (e != ErrorCode::NONE) return hb_error(e, "");
    return r;
  }
  consumer_remove_member(g, id, "the member left the group");
  return r;
}

void GroupCoordinator::consumer_remove_member(Group& g, const std::string& member_id,
                                              const std::string& reason) {
  if (!g.consumer) return;
  ConsumerGroup& cg = *g.consumer;
  auto it = cg.members.find(member_id);
  if (it == cg.members.end()) return;
  std::vector<RecordToWrite> tombstones = consumer_member_tombstones(g, member_id);
  consumer_set_assignment(cg, it->second, {}, {});
  if (it->second.session_timer) it->second.session_timer->cancel();
  if (it->second.rebalance_timer) it->second.rebalance_timer->cancel();
  if (it->second.instance_id) {
    auto sit = cg.static_members.find(*it->second.instance_id);
    if (sit != cg.static_members.end() && sit->second == member_id) cg.static_members.erase(sit);
  }
  cg.members.erase(it);
  cg.target.erase(member_id);
  ++cg.group_epoch;
  // The subscription metadata follows the remaining members.
  if (topics_image_) {
    std::map<std::string, int32_t> meta;
    for (const auto& [id, mm] : cg.members)
      for (const auto& t : mm.subscribed(*topics_image_))
        meta[t] = topics_image_->find(t)->second.partitions;
    cg.subscription_metadata = std::move(meta);
  }
  consumer_compute_target(g);
  if (cg.members.empty()) cg.state_timestamp_ms = now();
  log(LogSeverity::kInfo, "Consumer group " + g.id() + ": member " + member_id + " removed (" +
                              reason + "); group epoch " + std::to_string(cg.group_epoch));
  const ErrorCode e = consumer_store(g, std::move(tombstones));
  if (e != ErrorCode::NONE) {
    log(LogSeverity::kWarn, "Consumer group " + g.id() + ": storing the removal of " + member_id +
                                " failed with error " + std::to_string(proto::code(e)));
  }
}

std::string GroupCoordinator::consumer_assignor(const ConsumerGroup& cg) const {
  // The assignor most members ask for; the first of group.consumer.assignors otherwise.
  const std::string def = config_.consumer_assignors.empty() ? std::string(kUniformAssignor)
                                                             : config_.consumer_assignors[0];
  std::map<std::string, int> votes;
  for (const auto& [id, m] : cg.members)
    if (m.server_assignor) ++votes[*m.server_assignor];
  std::string best = def;
  int best_votes = 0;
  for (const auto& [name, n] : votes) {
    if (n > best_votes || (n == best_votes && name == def)) {
      best = name;
      best_votes = n;
    }
  }
  return best;
}

void GroupCoordinator::consumer_compute_target(Group& g) {
  ConsumerGroup& cg = *g.consumer;
  AssignorInput in;
  in.topics = cg.subscription_metadata;
  static const TopicsImage kNoTopics;
  const TopicsImage& topics = topics_image_ ? *topics_image_ : kNoTopics;
  for (const auto& [id, m] : cg.members) {
    AssignorMember am;
    am.member_id = id;
    for (const auto& t : m.subscribed(topics))
      if (in.topics.count(t)) am.topics.insert(t);
    // Without metadata (after a restart, before any heartbeat) keep the names.
    if (!topics_image_)
      for (const auto& t : m.subscribed_names)
        if (in.topics.count(t)) am.topics.insert(t);
    auto prev = cg.target.find(id);
    if (prev != cg.target.end()) am.previous = prev->second;
    in.members.push_back(std::move(am));
  }
  GroupAssignment result = assign(consumer_assignor(cg), in);
  for (auto& [id, a] : result) normalize(a);
  cg.target = std::move(result);
  cg.assignment_epoch = cg.group_epoch;
}

void GroupCoordinator::consumer_reconcile(Group& g, ConsumerMember& m,
                                          const std::optional<TopicAssignment>& owned) {
  ConsumerGroup& cg = *g.consumer;
  switch (m.state) {
    case MemberState::kStable:
      if (m.epoch != cg.assignment_epoch) consumer_next_assignment(g, m);
      break;
    case MemberState::kUnrevokedPartitions:
      // Waits until a heartbeat reports the revoked partitions gone.
      if (owned && !intersects(*owned, m.pending_revocation)) consumer_next_assignment(g, m);
      break;
    case MemberState::kUnreleasedPartitions:
    case MemberState::kUnknown:
      consumer_next_assignment(g, m);
      break;
  }
}

void GroupCoordinator::consumer_next_assignment(Group& g, ConsumerMember& m) {
  ConsumerGroup& cg = *g.consumer;
  static const TopicAssignment kNone;
  auto tit = cg.target.find(m.id);
  const TopicAssignment& target = tit == cg.target.end() ? kNone : tit->second;
  TopicAssignment keep, revoke, fresh;
  bool unreleased = false;
  for (const auto& [t, ps] : m.assigned) {
    auto tt = target.find(t);
    for (int32_t p : ps) {
      if (tt != target.end() && tt->second.count(p)) {
        keep[t].insert(p);
      } else {
        revoke[t].insert(p);
      }
    }
  }
  for (const auto& [t, ps] : target) {
    auto cur = m.assigned.find(t);
    for (int32_t p : ps) {
      if (cur != m.assigned.end() && cur->second.count(p)) continue;
      auto ot = cg.owners.find(t);
      if (ot != cg.owners.end()) {
        auto o = ot->second.find(p);
        if (o != ot->second.end() && o->second != m.id) {
          unreleased = true;
          continue;
        }
      }
      fresh[t].insert(p);
    }
  }
  if (!revoke.empty()) {
    // Revoke first; the member keeps its epoch until it acknowledged the revocation.
    consumer_set_assignment(cg, m, std::move(keep), std::move(revoke));
    m.state = MemberState::kUnrevokedPartitions;
    consumer_schedule_rebalance(g, m);
    return;
  }
  for (auto& [t, ps] : fresh) keep[t].insert(ps.begin(), ps.end());
  consumer_set_assignment(cg, m, std::move(keep), {});
  if (m.epoch != cg.assignment_epoch) {
    m.previous_epoch = m.epoch;
    m.epoch = cg.assignment_epoch;
  }
  m.state = unreleased ? MemberState::kUnreleasedPartitions : MemberState::kStable;
  if (m.rebalance_timer) {
    ++m.rebalance_seq;
    m.rebalance_timer->cancel();
  }
}

void GroupCoordinator::consumer_set_assignment(ConsumerGroup& cg, ConsumerMember& m,
                                               TopicAssignment assigned, TopicAssignment pending) {
  auto release = [&](const TopicAssignment& a) {
    for (const auto& [t, ps] : a) {
      auto ot = cg.owners.find(t);
      if (ot == cg.owners.end()) continue;
      for (int32_t p : ps) {
        auto o = ot->second.find(p);
        if (o != ot->second.end() && o->second == m.id) ot->second.erase(o);
      }
      if (ot->second.empty()) cg.owners.erase(ot);
    }
  };
  release(m.assigned);
  release(m.pending_revocation);
  normalize(assigned);
  normalize(pending);
  m.assigned = std::move(assigned);
  m.pending_revocation = std::move(pending);
  for (const auto* a : {&m.assigned, &m.pending_revocation})
    for (const auto& [t, ps] : *a)
      for (int32_t p : ps) cg.owners[t][p] = m.id;
}

void GroupCoordinator::consumer_schedule_session(Group& g, ConsumerMember& m) {
  if (!m.session_timer) m.session_timer = std::make_unique<asio::steady_timer>(ex_);
  const uint64_t seq = ++next_seq_;
  m.session_seq = seq;
  m.session_timer->expires_after(std::chrono::milliseconds(config_.consumer_session_timeout_ms));
  std::weak_ptr<bool> alive = alive_;
  m.session_timer->async_wait(
      [this, alive, group = g.id(), member = m.id, seq](const asio::error_code& ec) {
        if (ec || alive.expired() || stopped_) return;
        GroupPtr gp = find_ptr(group);
        if (!gp || !gp->consumer) return;
        auto it = gp->consumer->members.find(member);
        if (it == gp->consumer->members.end() || it->second.session_seq != seq) return;
        consumer_remove_member(*gp, member, "its session timed out");
      });
}

void GroupCoordinator::consumer_schedule_rebalance(Group& g, ConsumerMember& m) {
  if (!m.rebalance_timer) m.rebalance_timer = std::make_unique<asio::steady_timer>(ex_);
  const uint64_t seq = ++next_seq_;
  m.rebalance_seq = seq;
  const int32_t timeout = m.rebalance_timeout_ms > 0 ? m.rebalance_timeout_ms : 300000;
  m.rebalance_timer->expires_after(std::chrono::milliseconds(timeout));
  std::weak_ptr<bool> alive = alive_;
  m.rebalance_timer->async_wait(
      [this, alive, group = g.id(), member = m.id, seq](const asio::error_code& ec) {
        if (ec || alive.expired() || stopped_) return;
        GroupPtr gp = find_ptr(group);
        if (!gp || !gp->consumer) return;
        auto it = gp->consumer->members.find(member);
        if (it == gp->consumer->members.end() || it->second.rebalance_seq != seq ||
            it->second.state != MemberState::kUnrevokedPartitions)
          return;
        consumer_remove_member(*gp, member, "it did not revoke its partitions in time");
      });
}

ErrorCode GroupCoordinator::consumer_validate_commit(const Group& g, const std::string& member_id,
                                                     int32_t member_epoch) const {
  const ConsumerGroup& cg = *g.consumer;
  // Epoch -1 comes from admin tools or consumers without group management: allowed while the
  // group has no members.
  if (member_epoch < 0 && cg.members.empty()) return ErrorCode::NONE;
  auto it = cg.members.find(member_id);
  if (it == cg.members.end()) return ErrorCode::UNKNOWN_MEMBER_ID;
  if (member_epoch != it->second.epoch) return ErrorCode::STALE_MEMBER_EPOCH;
  return ErrorCode::NONE;
}

ErrorCode GroupCoordinator::validate_offset_fetch(const std::string& group_id,
                                                  const std::optional<std::string>& member_id,
                                                  int32_t member_epoch) {
  const Group* g = find(group_id);
  if (!g || !g->consumer || loading(group_id)) return ErrorCode::NONE;
  // Admin clients and consumers without group management send no member id and epoch -1.
  if (!member_id && member_epoch < 0) return ErrorCode::NONE;
  auto it = g->consumer->members.find(member_id.value_or(""));
  if (it == g->consumer->members.end()) return ErrorCode::UNKNOWN_MEMBER_ID;
  if (member_epoch != it->second.epoch) return ErrorCode::STALE_MEMBER_EPOCH;
  return ErrorCode::NONE;
}

// ---- describe -------------------------------------------------------------------------------

ConsumerGroupDescription GroupCoordinator::describe_consumer_group(const std::string& group_id) {
  ConsumerGroupDescription d;
  d.group_id = group_id;
  d.error = check_group_status(group_id, false);
  if (d.error != ErrorCode::NONE) return d;
  const Group* g = find(group_id);
  if (!g || !g->consumer) {
    d.error = ErrorCode::GROUP_ID_NOT_FOUND;
    d.error_message =
        g ? "Group " + group_id + " is not a consumer group." : "Group " + group_id + " not found.";
    d.state = consumer_state_name(ConsumerGroupState::kDead);
    return d;
  }
  const ConsumerGroup& cg = *g->consumer;
  d.state = consumer_state_name(cg.state());
  d.group_epoch = cg.group_epoch;
  d.assignment_epoch = cg.assignment_epoch;
  d.assignor_name = consumer_assignor(cg);
  d.topic_ids = cg.topic_ids;
  for (const auto& [id, m] : cg.members) {
    ConsumerMemberDescription md;
    md.member_id = id;
    md.instance_id = m.instance_id;
    md.rack_id = m.rack_id;
    md.member_epoch = m.epoch;
    md.client_id = m.client_id;
    md.client_host = m.client_host;
    md.subscribed_topic_names = m.subscribed_names;
    md.subscribed_topic_regex = m.subscribed_regex;
    md.assignment = m.assigned;
    auto t = cg.target.find(id);
    if (t != cg.target.end()) md.target_assignment = t->second;
    d.members.push_back(std::move(md));
  }
  return d;
}

// ---- persistence ----------------------------------------------------------------------------

std::vector<RecordToWrite> GroupCoordinator::consumer_records(const Group& g) const {
  const ConsumerGroup& cg = *g.consumer;
  std::vector<RecordToWrite> recs;
  {
    proto::ConsumerGroupPartitionMetadataValue v;
    for (const auto& [name, n] : cg.subscription_metadata) {
      auto id = cg.topic_ids.find(name);
      if (id == cg.topic_ids.end()) continue;
      auto& t = v.topics.emplace_back();
      t.topic_id = id->second;
      t.topic_name = name;
      t.num_partitions = n;
    }
    recs.push_back({group_key(kPartitionMetadataKey, g.id()), encode_versioned(v, 0)});
  }
  for (const auto& [id, m] : cg.members) {
    proto::ConsumerGroupMemberMetadataValue v;
    v.instance_id = m.instance_id;
    v.rack_id = m.rack_id;
    v.client_id = m.client_id;
    v.client_host = m.client_host;
    v.subscribed_topic_names = m.subscribed_names;
    v.subscribed_topic_regex = m.subscribed_regex;
    v.rebalance_timeout_ms = m.rebalance_timeout_ms;
    v.server_assignor = m.server_assignor;
    recs.push_back({member_metadata_key(g.id(), id), encode_versioned(v, 0)});
  }
  {
    proto::ConsumerGroupMetadataValue v;
    v.epoch = cg.group_epoch;
    recs.push_back({group_key(kMetadataKey, g.id()), encode_versioned(v, 0)});
  }
  for (const auto& [id, m] : cg.members) {
    proto::ConsumerGroupTargetAssignmentMemberValue v;
    auto t = cg.target.find(id);
    if (t != cg.target.end())
      v.topic_partitions = to_wire<proto::ConsumerGroupTargetAssignmentMemberValue::TopicPartition>(
          t->second, cg.topic_ids);
    recs.push_back({target_member_key(g.id(), id), encode_versioned(v, 0)});
  }
  {
    proto::ConsumerGroupTargetAssignmentMetadataValue v;
    v.assignment_epoch = cg.assignment_epoch;
    recs.push_back({group_key(kTargetMetadataKey, g.id()), encode_versioned(v, 0)});
  }
  for (const auto& [id, m] : cg.members) {
    using TP = proto::ConsumerGroupCurrentMemberAssignmentValue::TopicPartitions;
    proto::ConsumerGroupCurrentMemberAssignmentValue v;
    v.member_epoch = m.epoch;
    v.previous_member_epoch = m.previous_epoch;
    v.state = static_cast<int8_t>(m.state);
    v.assigned_partitions = to_wire<TP>(m.assigned, cg.topic_ids);
    v.partitions_pending_revocation = to_wire<TP>(m.pending_revocation, cg.topic_ids);
    recs.push_back({current_assignment_key(g.id(), id), encode_versioned(v, 0)});
  }
  return recs;
}

std::vector<RecordToWrite> GroupCoordinator::consumer_member_tombstones(
    const Group& g, const std::string& member_id) const {
  return {{current_assignment_key(g.id(), member_id), {}},
          {target_member_key(g.id(), member_id), {}},
          {member_metadata_key(g.id(), member_id), {}}};
}

std::vector<RecordToWrite> GroupCoordinator::consumer_tombstones(const Group& g) const {
  std::vector<RecordToWrite> out;
  if (!g.consumer) return out;
  for (const auto& [id, m] : g.consumer->members) {
    auto t = consumer_member_tombstones(g, id);
    out.insert(out.end(), t.begin(), t.end());
  }
  out.push_back({group_key(kTargetMetadataKey, g.id()), {}});
  out.push_back({group_key(kPartitionMetadataKey, g.id()), {}});
  out.push_back({group_key(kMetadataKey, g.id()), {}});
  return out;
}

ErrorCode GroupCoordinator::consumer_store(const Group& g, std::vector<RecordToWrite> extra) {
  std::vector<RecordToWrite> recs = std::move(extra);
  auto snapshot = consumer_records(g);
  recs.insert(recs.end(), std::make_move_iterator(snapshot.begin()),
              std::make_move_iterator(snapshot.end()));
  const ErrorCode e = append(partition_for(g.id(), partitions_), recs);
  if (e == ErrorCode::NONE) return e;
  switch (e) {
    case ErrorCode::NOT_LEADER_OR_FOLLOWER:
    case ErrorCode::KAFKA_STORAGE_ERROR:
      return ErrorCode::NOT_COORDINATOR;
    case ErrorCode::MESSAGE_TOO_LARGE:
    case ErrorCode::RECORD_LIST_TOO_LARGE:
      return ErrorCode::UNKNOWN_SERVER_ERROR;
    default:
      return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  }
}

bool GroupCoordinator::apply_consumer_record(const records::BytesView& key,
                                             const records::BytesView& value) {
  if (key.is_null || key.data.size() < 2) return false;
  const int16_t kv = static_cast<int16_t>((key.data[0] << 8) | key.data[1]);
  if (kv < kMetadataKey || kv > kCurrentAssignmentKey) return false;
  proto::Reader kr(key.data);
  kr.read_int16();
  std::string group, member;
  switch (kv) {
    case kMetadataKey: {
      proto::ConsumerGroupMetadataKey k;
      k.decode(kr, kv);
      group = std::move(k.group_id);
      break;
    }
    case kPartitionMetadataKey: {
      proto::ConsumerGroupPartitionMetadataKey k;
      k.decode(kr, kv);
      group = std::move(k.group_id);
      break;
    }
    case kTargetMetadataKey: {
      proto::ConsumerGroupTargetAssignmentMetadataKey k;
      k.decode(kr, kv);
      group = std::move(k.group_id);
      break;
    }
    case kMemberMetadataKey: {
      proto::ConsumerGroupMemberMetadataKey k;
      k.decode(kr, kv);
      group = std::move(k.group_id);
      member = std::move(k.member_id);
      break;
    }
    case kTargetMemberKey: {
      proto::ConsumerGroupTargetAssignmentMemberKey k;
      k.decode(kr, kv);
      group = std::move(k.group_id);
      member = std::move(k.member_id);
      break;
    }
    default: {
      proto::ConsumerGroupCurrentMemberAssignmentKey k;
      k.decode(kr, kv);
      group = std::move(k.group_id);
      member = std::move(k.member_id);
      break;
    }
  }
  if (value.is_null) {
    Group* g = find(group);
    if (!g || !g->consumer) return true;
    ConsumerGroup& cg = *g->consumer;
    if (kv == kMemberMetadataKey) {
      auto it = cg.members.find(member);
      if (it != cg.members.end()) {
        if (it->second.instance_id) cg.static_members.erase(*it->second.instance_id);
        cg.members.erase(it);
      }
    } else if (kv == kTargetMemberKey) {
      cg.target.erase(member);
    } else if (kv == kMetadataKey) {
      g->consumer.reset();
      if (g->offsets.empty() && g->pending_txn_offsets.empty() && !g->protocol_type)
        remove_group(group);
    }
    return true;
  }
  proto::Reader vr(value.data);
  const int16_t vv = vr.read_int16();
  if (vv != 0)
    throw proto::DecodeError("unknown ConsumerGroup record value version " + std::to_string(vv));
  GroupPtr g = get_or_create(group);
  if (!g->consumer) {
    g->consumer = std::make_shared<ConsumerGroup>();
    g->consumer->state_timestamp_ms = now();
  }
  ConsumerGroup& cg = *g->consumer;
  std::map<proto::Uuid, std::string> names;
  for (const auto& [n, id] : cg.topic_ids) names[id] = n;
  switch (kv) {
    case kMetadataKey: {
      proto::ConsumerGroupMetadataValue v;
      v.decode(vr, vv);
      cg.group_epoch = v.epoch;
      break;
    }
    case kPartitionMetadataKey: {
      proto::ConsumerGroupPartitionMetadataValue v;
      v.decode(vr, vv);
      cg.subscription_metadata.clear();
      for (const auto& t : v.topics) {
        cg.subscription_metadata[t.topic_name] = t.num_partitions;
        cg.topic_ids[t.topic_name] = t.topic_id;
      }
      break;
    }
    case kTargetMetadataKey: {
      proto::ConsumerGroupTargetAssignmentMetadataValue v;
      v.decode(vr, vv);
      cg.assignment_epoch = v.assignment_epoch;
      break;
    }
    case kMemberMetadataKey: {
      proto::ConsumerGroupMemberMetadataValue v;
      v.decode(vr, vv);
      ConsumerMember& m = cg.members[member];
      m.id = member;
      m.instance_id = v.instance_id;
      m.rack_id = v.rack_id;
      m.client_id = v.client_id;
      m.client_host = v.client_host;
      m.subscribed_names = v.subscribed_topic_names;
      m.subscribed_regex = v.subscribed_topic_regex && !v.subscribed_topic_regex->empty()
                               ? v.subscribed_topic_regex
                               : std::nullopt;
      m.regex.reset();
      if (m.subscribed_regex) {
        try {
          m.regex = std::make_shared<std::regex>(*m.subscribed_regex, std::regex::ECMAScript);
        } catch (const std::regex_error&) {
        }
      }
      m.rebalance_timeout_ms = v.rebalance_timeout_ms;
      m.server_assignor =
          v.server_assignor && !v.server_assignor->empty() ? v.server_assignor : std::nullopt;
      if (m.instance_id) cg.static_members[*m.instance_id] = member;
      break;
    }
    case kTargetMemberKey: {
      proto::ConsumerGroupTargetAssignmentMemberValue v;
      v.decode(vr, vv);
      cg.target[member] = from_wire(v.topic_partitions, names);
      break;
    }
    default: {
      proto::ConsumerGroupCurrentMemberAssignmentValue v;
      v.decode(vr, vv);
      ConsumerMember& m = cg.members[member];
      m.id = member;
      m.epoch = v.member_epoch;
      m.previous_epoch = v.previous_member_epoch;
      m.state = static_cast<MemberState>(v.state);
      m.assigned = from_wire(v.assigned_partitions, names);
      m.pending_revocation = from_wire(v.partitions_pending_revocation, names);
      break;
    }
  }
  return true;
}

void GroupCoordinator::consumer_after_load(Group& g) {
  if (!g.consumer) return;
  ConsumerGroup& cg = *g.consumer;
  cg.owners.clear();
  for (auto& [id, m] : cg.members) {
    for (const auto* a : {&m.assigned, &m.pending_revocation})
      for (const auto& [t, ps] : *a)
        for (int32_t p : ps) cg.owners[t][p] = id;
    // Members restored from the log get a full session to come back.
    consumer_schedule_session(g, m);
    if (m.state == MemberState::kUnrevokedPartitions) consumer_schedule_rebalance(g, m);
  }
}

}  // namespace fjord::coordinator
