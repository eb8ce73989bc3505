// The server-side assignors of the consumer group protocol (KIP-848), chosen by the member's
// group.remote.assignor (ConsumerGroupHeartbeat ServerAssignor): "uniform" (the default, as
// in Kafka) and "range". Both are pure functions of the members' subscriptions, the topics'
// partition counts and (for uniform) the previous target assignment.
//
// - range: for each topic, the members subscribed to it sorted by member id get contiguous
//   ranges; the first (partitions % members) members get one partition more. Topics with the
//   same partition count and subscribers (co-partitioned) therefore get matching ranges.
// - uniform: every partition of every subscribed topic, in (topic name, partition) order,
//   shared out round-robin over the members (sorted by id) so that counts differ by at most
//   one. Sticky: a member keeps the partitions of its previous target assignment up to its
//   quota; only the rest moves. With heterogeneous subscriptions a partition goes to the
//   subscribed member with room, or else to the subscribed member holding the fewest.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fjord::coordinator {

// Partitions by topic name.
using TopicAssignment = std::map<std::string, std::set<int32_t>>;

struct AssignorMember {
  std::string member_id;
  std::set<std::string> topics;  // subscribed topics that exist
  TopicAssignment previous;      // the previous target assignment (stickiness)
};

struct AssignorInput {
  std::vector<AssignorMember> members;
  std::map<std::string, int32_t> topics;  // topic name → partition count
};

// Member id → its assignment. Every member of the input appears, possibly with nothing.
using GroupAssignment = std::map<std::string, TopicAssignment>;

inline constexpr std::string_view kUniformAssignor = "uniform";
inline constexpr std::string_view kRangeAssignor = "range";

bool is_supported_assignor(std::string_view name);
GroupAssignment assign_range(const AssignorInput& in);
GroupAssignment assign_uniform(const AssignorInput& in);
// Dispatches by name; an unknown name uses uniform.
GroupAssignment assign(std::string_view assignor, const AssignorInput& in);

}  // namespace fjord::coordinator
