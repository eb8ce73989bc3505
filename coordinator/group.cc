#include "coordinator/group.h"

#include <algorithm>

#include "codec/errors.h"
#include "codec/messages.h"
#include "codec/reader.h"

namespace fjord::coordinator {

const Bytes* Member::metadata_for(const std::string& protocol) const {
  for (const auto& p : protocols)
    if (p.name == protocol) return &p.metadata;
  return nullptr;
}

Group::Group(std::string id, asio::any_io_executor ex)
    : join_timer(ex), sync_timer(ex), id_(std::move(id)) {}

std::optional<std::string> Group::static_member_id(
    const std::optional<std::string>& instance) const {
  if (!instance) return std::nullopt;
  auto it = static_members.find(*instance);
  if (it == static_members.end()) return std::nullopt;
  return it->second;
}

bool Group::is_static_member_fenced(const std::string& member_id,
                                    const std::optional<std::string>& instance) const {
  auto current = static_member_id(instance);
  return current && *current != member_id;
}

int Group::members_awaiting_join() const {
  int n = 0;
  for (const auto& [id, m] : members)
    if (m.awaiting_join) ++n;
  return n;
}

int32_t Group::rebalance_timeout_ms() const {
  int32_t t = 0;
  for (const auto& [id, m] : members) t = std::max(t, m.rebalance_timeout_ms);
  return t;
}

bool Group::supports_protocols(const std::string& type,
                               const std::vector<Protocol>& protocols) const {
  if (is(GroupState::kEmpty)) return !type.empty() && !protocols.empty();
  if (!protocol_type || *protocol_type != type) return false;
  for (const auto& p : protocols) {
    bool all = true;
    for (const auto& [id, m] : members) {
      if (!m.metadata_for(p.name)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

std::string Group::select_protocol() const {
  if (members.empty()) return {};
  // Candidates: the protocols every member supports, in the first member's order.
  const Member& first = members.begin()->second;
  std::vector<std::string> candidates;
  for (const auto& p : first.protocols) {
    bool all = std::all_of(members.begin(), members.end(),
                           [&](const auto& kv) { return kv.second.metadata_for(p.name); });
    if (all) candidates.push_back(p.name);
  }
  if (candidates.empty()) return {};
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members) {
    for (const auto& p : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const auto& c : candidates)
    if (votes[c] > votes[best]) best = c;
  return best;
}

std::vector<JoinedMember> Group::member_metadata() const {
  std::vector<JoinedMember> out;
  const std::string proto = protocol_name.value_or("");
  for (const auto& [id, m] : members) {
    JoinedMember jm;
    jm.member_id = id;
    jm.group_instance_id = m.instance_id;
    if (const Bytes* md = m.metadata_for(proto)) jm.metadata = *md;
    out.push_back(std::move(jm));
  }
  return out;
}

std::optional<std::set<std::string>> Group::subscribed_topics() const {
  if (!protocol_type || *protocol_type != "consumer" || !protocol_name) return std::nullopt;
  std::set<std::string> topics;
  for (const auto& [id, m] : members) {
    const Bytes* md = m.metadata_for(*protocol_name);
    if (!md) return std::nullopt;
    try {
      proto::Reader r(*md);
      int16_t version = r.read_int16();
      if (version < 0) return std::nullopt;
      // Newer subscription versions only add fields at the end: read what we know.
      version = std::min<int16_t>(version, proto::ConsumerProtocolSubscription::kMaxVersion);
      proto::ConsumerProtocolSubscription s;
      s.decode(r, version);
      topics.insert(s.topics.begin(), s.topics.end());
    } catch (const proto::DecodeError&) {
      return std::nullopt;
    }
  }
  return topics;
}

void Group::add_member(Member m) {
  // The first member of a group sets its protocol type.
  if (members.empty() && !m.protocol_type.empty()) protocol_type = m.protocol_type;
  if (!leader_id) leader_id = m.id;
  if (m.instance_id) static_members[*m.instance_id] = m.id;
  std::string id = m.id;
  members.insert_or_assign(std::move(id), std::move(m));
}

void Group::remove_member(const std::string& id) {
  auto it = members.find(id);
  if (it == members.end()) return;
  if (it->second.instance_id) {
    auto s = static_members.find(*it->second.instance_id);
    if (s != static_members.end() && s->second == id) static_members.erase(s);
  }
  members.erase(it);
  pending_sync.erase(id);
  if (is_leader(id)) {
    leader_id = members.empty() ? std::nullopt : std::optional<std::string>(members.begin()->first);
  }
}

}  // namespace fjord::coordinator
