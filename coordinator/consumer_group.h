// A consumer group of the server-side protocol (KIP-848): members with epochs, the group
// epoch, the target assignment computed by a server-side assignor (coordinator/assignors.h),
// and each member's current assignment as reconciled towards the target. The protocol rules
// live in GroupCoordinator (coordinator/consumer_group.cc); this is the bookkeeping.
//
// Reconciliation (Kafka's CurrentAssignmentBuilder): a member whose target takes partitions
// away first gets its assignment without them at its current epoch (UNREVOKED_PARTITIONS);
// only when a heartbeat reports them gone does it move to the target epoch. A partition of the
// target still held (assigned or pending revocation) by another member is withheld
// (UNRELEASED_PARTITIONS) until that member released it, so no partition ever has two owners.
#pragma once

#include <asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "codec/types.h"
#include "coordinator/assignors.h"
#include "coordinator/types.h"

namespace fjord::coordinator {

// A topic as the coordinator sees it in metadata.
struct TopicInfo {
  proto::Uuid id;
  int32_t partitions = 0;
  bool internal = false;
};
using TopicsImage = std::map<std::string, TopicInfo, std::less<>>;

// Kafka's ConsumerGroup states.
enum class ConsumerGroupState { kEmpty, kAssigning, kReconciling, kStable, kDead };
const char* consumer_state_name(ConsumerGroupState s);  // "Empty", "Assigning", ...

// Kafka's MemberState, with the byte it has in ConsumerGroupCurrentMemberAssignmentValue.
enum class MemberState : int8_t {
  kUnrevokedPartitions = 0,
  kUnreleasedPartitions = 1,
  kStable = 2,
  kUnknown = 127
};

inline constexpr int32_t kLeaveGroupMemberEpoch = -1;
inline constexpr int32_t kLeaveGroupStaticMemberEpoch = -2;

struct ConsumerMember {
  std::string id;
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::string> subscribed_names;
  std::optional<std::string> subscribed_regex;
  std::shared_ptr<std::regex> regex;  // compiled subscribed_regex
  // A new regex is resolved asynchronously in Kafka: its topics count from the group's next
  // heartbeat, not the one that set it (literal topic names count at once); all pending
  // regexes of a group are resolved together.
  bool regex_pending = false;
  std::optional<std::string> server_assignor;
  int32_t rebalance_timeout_ms = -1;

  int32_t epoch = 0;
  int32_t previous_epoch = 0;
  MemberState state = MemberState::kStable;
  TopicAssignment assigned;
  TopicAssignment pending_revocation;

  std::unique_ptr<asio::steady_timer> session_timer;
  uint64_t session_seq = 0;
  std::unique_ptr<asio::steady_timer> rebalance_timer;
  uint64_t rebalance_seq = 0;

  // The subscribed topics that exist in `topics`.
  std::set<std::string> subscribed(const TopicsImage& topics) const;
};

struct ConsumerGroup {
  int32_t group_epoch = 0;
  int32_t assignment_epoch = 0;
  std::map<std::string, ConsumerMember> members;
  std::map<std::string, std::string> static_members;  // instance id → member id
  std::map<std::string, TopicAssignment> target;      // member id → target assignment
  // Topics the members subscribe to, with their partition counts when the target was last
  // computed (ConsumerGroupPartitionMetadata), and the ids of topics ever seen.
  std::map<std::string, int32_t> subscription_metadata;
  std::map<std::string, proto::Uuid> topic_ids;
  // Who holds each partition (assigned or pending revocation): topic → partition → member.
  std::map<std::string, std::map<int32_t, std::string>> owners;
  int64_t state_timestamp_ms = -1;

  ConsumerGroupState state() const;
  bool empty() const { return members.empty(); }
};

// ---- ConsumerGroupHeartbeat / ConsumerGroupDescribe -----------------------------------------

struct ConsumerHeartbeatParams {
  int16_t version = 0;
  std::string group_id;
  std::string member_id;
  int32_t member_epoch = 0;
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  int32_t rebalance_timeout_ms = -1;
  std::optional<std::vector<std::string>> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  std::optional<std::string> server_assignor;
  std::optional<TopicAssignment> owned;  // null: unchanged since the last heartbeat
  std::string client_id;
  std::string client_host;
  std::shared_ptr<const TopicsImage> topics;  // current metadata
};

struct ConsumerHeartbeatResult {
  ErrorCode error = ErrorCode::NONE;
  std::optional<std::string> error_message;
  std::optional<std::string> member_id;
  int32_t member_epoch = 0;
  int32_t heartbeat_interval_ms = 0;
  std::optional<TopicAssignment> assignment;
};

struct ConsumerMemberDescription {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  int32_t member_epoch = 0;
  std::string client_id;
  std::string client_host;
  std::vector<std::string> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  TopicAssignment assignment;
  TopicAssignment target_assignment;
};

struct ConsumerGroupDescription {
  ErrorCode error = ErrorCode::NONE;
  std::optional<std::string> error_message;
  std::string group_id;
  std::string state;
  int32_t group_epoch = 0;
  int32_t assignment_epoch = 0;
  std::string assignor_name;
  std::vector<ConsumerMemberDescription> members;
  std::map<std::string, proto::Uuid> topic_ids;  // for the names in the assignments
};

}  // namespace fjord::coordinator
