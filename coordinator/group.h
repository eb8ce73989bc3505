// A classic consumer group as the coordinator keeps it: members, generation, the selected
// protocol, the members waiting in JoinGroup/SyncGroup, and the group's committed offsets.
// Pure bookkeeping; the rules of the protocol live in GroupCoordinator.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coordinator/completion.h"
#include "coordinator/consumer_group.h"
#include "coordinator/types.h"

namespace fjord::coordinator {

using JoinWaiter = std::shared_ptr<Completion<JoinResult>>;
using SyncWaiter = std::shared_ptr<Completion<SyncResult>>;

struct Member {
  std::string id;
  std::optional<std::string> instance_id;  // static membership (KIP-345)
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<Protocol> protocols;  // in the member's order of preference
  Bytes assignment;
  bool is_new = false;  // joined during the current rebalance, not yet in a generation
  JoinWaiter awaiting_join;
  SyncWaiter awaiting_sync;
  // Session expiry; `heartbeat_seq` tells a stale expiry from the current one.
  std::unique_ptr<asio::steady_timer> heartbeat_timer;
  uint64_t heartbeat_seq = 0;

  const Bytes* metadata_for(const std::string& protocol) const;
  bool matches(const std::vector<Protocol>& other) const { return protocols == other; }
};

class Group {
 public:
  Group(std::string id, asio::any_io_executor ex);

  const std::string& id() const { return id_; }

  GroupState state = GroupState::kEmpty;
  int32_t generation = 0;
  std::optional<std::string> protocol_type;  // unset for groups that only store offsets
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader_id;
  int64_t state_timestamp_ms = -1;  // when the group entered its current state (wall clock)

  std::map<std::string, Member> members;
  // Members told MEMBER_ID_REQUIRED that have not joined with their id yet, with their
  // session expiry timers.
  std::map<std::string, std::unique_ptr<asio::steady_timer>> pending_members;
  std::map<std::string, std::string> static_members;  // group.instance.id → member id
  std::set<std::string> pending_sync;                 // members yet to send SyncGroup
  bool new_member_added = false;                      // for the initial rebalance delay

  // Committed offsets, and those of open transactions by producer id.
  std::map<TopicPartition, CommittedOffset> offsets;
  std::map<int64_t, std::map<TopicPartition, CommittedOffset>> pending_txn_offsets;

  // Set for a group of the consumer protocol (KIP-848, coordinator/consumer_group.h); such a
  // group has no classic members and its classic state stays Empty.
  std::shared_ptr<ConsumerGroup> consumer;
  bool is_consumer() const { return consumer != nullptr; }

  // The rebalance (join) deadline and the pending-sync deadline.
  asio::steady_timer join_timer;
  uint64_t join_seq = 0;
  bool initial_delay = false;  // the join timer is group.initial.rebalance.delay.ms
  int32_t initial_delay_remaining = 0;
  asio::steady_timer sync_timer;
  uint64_t sync_seq = 0;

  bool is(GroupState s) const { return state == s; }
  bool has_member(const std::string& id) const { return members.count(id) != 0; }
  bool is_leader(const std::string& id) const { return leader_id && *leader_id == id; }
  std::optional<std::string> static_member_id(const std::optional<std::string>& instance) const;
  // A static member whose instance id is now held by another member id.
  bool is_static_member_fenced(const std::string& member_id,
                               const std::optional<std::string>& instance) const;

  int members_awaiting_join() const;
  bool all_members_joined() const {
    return members_awaiting_join() == static_cast<int>(members.size()) && pending_members.empty();
  }
  int32_t rebalance_timeout_ms() const;  // the largest of the members'
  bool can_rebalance() const {
    return is(GroupState::kStable) || is(GroupState::kCompletingRebalance) ||
           is(GroupState::kEmpty);
  }

  // Kafka's supportsProtocols: an empty group accepts any non-empty protocol list; otherwise
  // the type must match and one of the protocols must be supported by every member.
  bool supports_protocols(const std::string& type, const std::vector<Protocol>& protocols) const;
  // Each member votes for its most preferred protocol among those all members support; the
  // protocol with the most votes wins (ties: the one named first by the earliest member).
  std::string select_protocol() const;
  // The members' ids and metadata for the selected protocol (what the leader receives).
  std::vector<JoinedMember> member_metadata() const;
  // The topics the members subscribe to (consumer protocol); nullopt when unknown.
  std::optional<std::set<std::string>> subscribed_topics() const;

  void add_member(Member m);
  // Removes the member and moves the leadership if it led. The member's waiters are left to
  // the caller, who decides the error they get.
  void remove_member(const std::string& id);

 private:
  std::string id_;
};

}  // namespace fjord::coordinator
