// Plain inputs and outputs of the group coordinator, independent of wire versions: the API
// handlers (server/api/) translate between these and the protocol messages.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codec/error_codes.h"

namespace fjord::coordinator {

using proto::ErrorCode;
using Bytes = std::vector<uint8_t>;

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// A classic group's states (Kafka's GroupState).
enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };
// Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
const char* state_name(GroupState s);

struct Protocol {
  std::string name;
  Bytes metadata;
  bool operator==(const Protocol&) const = default;
};

// ---- JoinGroup ----------------------------------------------------------------------------

struct JoinParams {
  std::string group_id;
  std::string member_id;  // "" on a first join
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::string protocol_type;
  std::vector<Protocol> protocols;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  bool require_known_member_id = false;   // JoinGroup v4+ (KIP-394)
  bool supports_skip_assignment = false;  // JoinGroup v9+ (KIP-814)
  std::string reason;
};

struct JoinedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  Bytes metadata;
};

struct JoinResult {
  ErrorCode error = ErrorCode::NONE;
  std::string member_id;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader_id;
  bool skip_assignment = false;
  std::vector<JoinedMember> members;  // only for the leader
};

// ---- SyncGroup ----------------------------------------------------------------------------

struct SyncParams {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // v5+: checked against the group's
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, Bytes>> assignments;  // the leader's, member id → bytes
};

struct SyncResult {
  ErrorCode error = ErrorCode::NONE;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  Bytes assignment;
};

// ---- Heartbeat / LeaveGroup ---------------------------------------------------------------

struct HeartbeatParams {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation_id = -1;
};

struct LeavingMember {
  std::string member_id;  // may be "" when the instance id names the member (admin removal)
  std::optional<std::string> group_instance_id;
  std::string reason;
};

struct LeaveResult {
  ErrorCode error = ErrorCode::NONE;  // group-level
  std::vector<ErrorCode> members;     // one per LeavingMember, in order
};

// ---- Offsets ------------------------------------------------------------------------------

struct OffsetCommitEntry {
  TopicPartition tp;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;  // null is stored as ""
  int64_t commit_timestamp = -1;        // OffsetCommit v1 only; -1: now
};

struct CommitParams {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation_id = -1;  // -1: not a group member (admin tools, assign())
  int64_t retention_ms = -1;   // OffsetCommit v2-4; -1: the broker's offsets.retention.minutes
  std::vector<OffsetCommitEntry> offsets;
};

// A committed offset as stored (OffsetCommitValue).
struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = -1;
  std::optional<int64_t> expire_timestamp;  // only from OffsetCommit v2-4 with a retention
  // Where the record sits in __consumer_offsets (not part of the stored value): a pending
  // transactional commit replaces a committed offset only if it was written later.
  int64_t record_offset = -1;
};

struct FetchedOffset {
  TopicPartition tp;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  ErrorCode error = ErrorCode::NONE;
};

struct OffsetFetchResult {
  ErrorCode error = ErrorCode::NONE;  // group-level
  std::vector<FetchedOffset> offsets;
};

struct OffsetDeleteResult {
  ErrorCode error = ErrorCode::NONE;  // group-level
  std::vector<ErrorCode> partitions;  // one per requested partition, in order
};

// ---- Describe / List ----------------------------------------------------------------------

struct DescribedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;    // of the selected protocol; empty unless Stable
  Bytes assignment;  // empty unless Stable
};

struct GroupDescription {
  ErrorCode error = ErrorCode::NONE;
  std::string group_id;
  std::string state;  // state_name(); "Dead" for an unknown group
  std::string protocol_type;
  std::string protocol_data;  // the selected protocol while Stable
  std::vector<DescribedMember> members;
};

struct ListedGroup {
  std::string group_id;
  std::string protocol_type;
  std::string state;
  std::string type = "classic";
};

struct ListGroupsResult {
  ErrorCode error = ErrorCode::NONE;  // COORDINATOR_LOAD_IN_PROGRESS while a partition loads
  std::vector<ListedGroup> groups;
};

}  // namespace fjord::coordinator
