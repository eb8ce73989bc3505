#include "coordinator/assignors.h"

#include <algorithm>
#include <limits>

namespace fjord::coordinator {

namespace {

std::vector<const AssignorMember*> sorted_members(const AssignorInput& in) {
  std::vector<const AssignorMember*> out;
  out.reserve(in.members.size());
  for (const auto& m : in.members) out.push_back(&m);
  std::sort(out.begin(), out.end(), [](const AssignorMember* a, const AssignorMember* b) {
    return a->member_id < b->member_id;
  });
  return out;
}

GroupAssignment empty_assignment(const AssignorInput& in) {
  GroupAssignment out;
  for (const auto& m : in.members) out[m.member_id];
  return out;
}

}  // namespace

bool is_supported_assignor(std::string_view name) {
  return name == kUniformAssignor || name == kRangeAssignor;
}

GroupAssignment assign_range(const AssignorInput& in) {
  GroupAssignment out = empty_assignment(in);
  const auto members = sorted_members(in);
  for (const auto& [topic, count] : in.topics) {
    std::vector<const AssignorMember*> subs;
    for (const auto* m : members)
      if (m->topics.count(topic)) subs.push_back(m);
    if (subs.empty() || count <= 0) continue;
    const int32_t n = static_cast<int32_t>(subs.size());
    const int32_t quota = count / n;
    const int32_t extra = count % n;
    int32_t start = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t len = quota + (i < extra ? 1 : 0);
      if (len == 0) continue;
      auto& parts = out[subs[static_cast<size_t>(i)]->member_id][topic];
      for (int32_t p = start; p < start + len; ++p) parts.insert(p);
      start += len;
    }
  }
  return out;
}

GroupAssignment assign_uniform(const AssignorInput& in) {
  GroupAssignment out = empty_assignment(in);
  const auto members = sorted_members(in);
  // Every partition of a topic someone subscribes to, in (topic, partition) order.
  std::vector<std::pair<std::string, int32_t>> partitions;
  size_t subscribers = 0;
  for (const auto* m : members) {
    bool any = false;
    for (const auto& t : m->topics) any |= in.topics.count(t) > 0;
    subscribers += any ? 1 : 0;
  }
  for (const auto& [topic, count] : in.topics) {
    const bool wanted = std::any_of(members.begin(), members.end(), [&](const AssignorMember* m) {
      return m->topics.count(topic);
    });
    if (!wanted) continue;
    for (int32_t p = 0; p < count; ++p) partitions.emplace_back(topic, p);
  }
  if (partitions.empty() || subscribers == 0) return out;
  // Topics with fewer subscribers first, so that heterogeneous subscriptions still balance
  // (a stable sort: with identical subscriptions the order stays (topic, partition)).
  std::map<std::string, size_t> subscriber_count;
  for (const auto* m : members)
    for (const auto& t : m->topics) ++subscriber_count[t];
  std::stable_sort(partitions.begin(), partitions.end(), [&](const auto& x, const auto& y) {
    return subscriber_count[x.first] < subscriber_count[y.first];
  });
  const size_t quota = partitions.size() / subscribers;
  size_t extra = partitions.size() % subscribers;

  std::vector<size_t> counts(members.size(), 0);
  std::set<std::pair<std::string, int32_t>> taken;
  auto give = [&](size_t i, const std::pair<std::string, int32_t>& tp) {
    out[members[i]->member_id][tp.first].insert(tp.second);
    taken.insert(tp);
    ++counts[i];
  };
  auto still_valid = [&](const AssignorMember& m, const std::string& topic, int32_t p) {
    auto t = in.topics.find(topic);
    return t != in.topics.end() && p >= 0 && p < t->second && m.topics.count(topic) &&
           !taken.count({topic, p});
  };
  // Stickiness: each member keeps up to `quota` of its previous partitions, then those with
  // more keep one extra while extra slots remain.
  for (size_t pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < members.size(); ++i) {
      const AssignorMember& m = *members[i];
      for (const auto& [topic, parts] : m.previous) {
        for (int32_t p : parts) {
          if (!still_valid(m, topic, p)) continue;
          if (pass == 0 && counts[i] < quota) {
            give(i, {topic, p});
          } else if (pass == 1 && counts[i] == quota && extra > 0) {
            give(i, {topic, p});
            --extra;
          }
        }
      }
    }
  }
  // The rest, round-robin over the members with room.
  size_t next = 0;
  for (const auto& tp : partitions) {
    if (taken.count(tp)) continue;
    const size_t n = members.size();
    std::optional<size_t> chosen;
    for (size_t k = 0; k < n && !chosen; ++k) {
      const size_t i = (next + k) % n;
      if (members[i]->topics.count(tp.first) && counts[i] < quota) chosen = i;
    }
    for (size_t k = 0; k < n && !chosen && extra > 0; ++k) {
      const size_t i = (next + k) % n;
      if (members[i]->topics.count(tp.first) && counts[i] == quota) {
        chosen = i;
        --extra;
      }
    }
    if (!chosen) {  // heterogeneous subscriptions: the subscriber holding the fewest
      size_t best = std::numeric_limits<size_t>::max();
      for (size_t i = 0; i < n; ++i) {
        if (members[i]->topics.count(tp.first) && counts[i] < best) {
          best = counts[i];
          chosen = i;
        }
      }
    }
    if (!chosen) continue;
    give(*chosen, tp);
    next = (*chosen + 1) % n;
  }
  return out;
}

GroupAssignment assign(std::string_view assignor, const AssignorInput& in) {
  if (assignor == kRangeAssignor) return assign_range(in);
  return assign_uniform(in);
}

}  // namespace fjord::coordinator
