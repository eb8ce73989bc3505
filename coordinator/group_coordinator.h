// The group coordinator: classic consumer groups (JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup), committed offsets and the group admin APIs, persisted in the internal topic
// __consumer_offsets in Kafka's record formats (coordinator/records.h).
//
// Threading: single owner. Every method runs on the broker's one io_context thread, and so do
// the timers (session, rebalance, initial delay, pending sync, retention) and the load of the
// topic at startup. No locks: handlers call in directly and never from another thread. A
// request that must wait (JoinGroup until the rebalance completes, SyncGroup until the leader's
// assignment arrives) is a coroutine suspended on a Completion that this class completes.
//
// Storage: each group lives in partition abs(javaHash(group)) % n of the topic. Writes append
// one batch (synchronously, through PartitionStore); the in-memory state changes only after the
// append succeeded. At startup every existing partition is replayed in the background; groups
// of a partition still loading get COORDINATOR_LOAD_IN_PROGRESS. The topic itself is created on
// first use, as Kafka does.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "coordinator/group.h"
#include "coordinator/partition_store.h"
#include "coordinator/records.h"
#include "coordinator/types.h"

namespace fjord::coordinator {

struct CoordinatorConfig {
  int32_t min_session_timeout_ms = 6000;                  // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;               // group.max.session.timeout.ms
  int32_t initial_rebalance_delay_ms = 3000;              // group.initial.rebalance.delay.ms
  int32_t max_group_size = 2147483647;                    // group.max.size
  int32_t offsets_topic_partitions = 50;                  // offsets.topic.num.partitions
  int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;  // offsets.retention.minutes
  int64_t retention_check_interval_ms = 600000;           // offsets.retention.check.interval.ms
  int32_t offset_metadata_max_bytes = 4096;               // offset.metadata.max.bytes
  int32_t load_buffer_size = 5242880;                     // offsets.load.buffer.size
  int32_t new_member_join_timeout_ms = 300000;            // Kafka's fixed NewMemberJoinTimeoutMs
  // The consumer group protocol (KIP-848).
  int32_t consumer_session_timeout_ms = 45000;    // group.consumer.session.timeout.ms
  int32_t consumer_heartbeat_interval_ms = 5000;  // group.consumer.heartbeat.interval.ms
  int32_t consumer_max_size = 2147483647;         // group.consumer.max.size
  std::vector<std::string> consumer_assignors = {"uniform", "range"};  // group.consumer.assignors
};

enum class LogSeverity { kInfo, kWarn };

struct CoordinatorHooks {
  std::function<int64_t()> now_ms;  // wall clock for commit timestamps and retention
  std::function<void(LogSeverity, const std::string&)> log;
};

class GroupCoordinator {
 public:
  GroupCoordinator(asio::any_io_executor ex, PartitionStore& store, CoordinatorConfig config,
                   CoordinatorHooks hooks = {});
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // Starts loading the existing partitions of the topic and the retention timer.
  void start();
  // Stops timers and answers waiting requests with NOT_COORDINATOR; later calls get
  // COORDINATOR_NOT_AVAILABLE. Nothing is written after this.
  void shutdown();

  // Whether groups can be served: not shut down, and __consumer_offsets exists (it is
  // created here on first use). FindCoordinator asks this.
  bool available() { return !stopped_ && ensure_topic(); }
  // True while the partition holding `group` is being replayed.
  bool loading(std::string_view group) const;
  bool fully_loaded() const { return loading_partitions_ == 0 && started_; }
  int32_t partition_of(std::string_view group) const;

  // ---- classic group membership ----
  asio::awaitable<JoinResult> join_group(JoinParams p);
  asio::awaitable<SyncResult> sync_group(SyncParams p);
  ErrorCode heartbeat(const HeartbeatParams& p);
  LeaveResult leave_group(const std::string& group_id, const std::vector<LeavingMember>& members);

  // ---- offsets ----
  // One error per entry of p.offsets. Callers check topic existence first (UNKNOWN_TOPIC_OR_
  // PARTITION is a broker-level check).
  std::vector<ErrorCode> commit_offsets(const CommitParams& p);
  // `partitions` nullopt: every committed offset of the group. With require_stable a
  // partition with a pending transactional commit answers UNSTABLE_OFFSET_COMMIT.
  OffsetFetchResult fetch_offsets(const std::string& group_id,
                                  const std::optional<std::vector<TopicPartition>>& partitions,
                                  bool require_stable);
  OffsetDeleteResult delete_offsets(const std::string& group_id,
                                    const std::vector<TopicPartition>& partitions);

  // ---- transactions seam (TxnOffsetCommit, issue 6) ----
  // Offsets committed inside a transaction are written as a transactional batch and stay
  // pending (invisible to OffsetFetch; UNSTABLE_OFFSET_COMMIT with require_stable) until the
  // transaction marker for that producer reaches the group's partition.
  std::vector<ErrorCode> commit_transactional_offsets(int64_t producer_id, int16_t producer_epoch,
                                                      const CommitParams& p);
  // Applies (commit) or drops (abort) the producer's pending offsets of groups in
  // `partition`. The caller has written the marker to that partition.
  void complete_transaction(int32_t partition, int64_t producer_id, bool commit);

  // ---- consumer groups (KIP-848), in coordinator/consumer_group.cc ----
  ConsumerHeartbeatResult consumer_heartbeat(ConsumerHeartbeatParams p);
  ConsumerGroupDescription describe_consumer_group(const std::string& group_id);
  // OffsetFetch v9 member checks: for a consumer group, a member id or epoch >= 0 must name a
  // member at that epoch (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH); NONE otherwise.
  ErrorCode validate_offset_fetch(const std::string& group_id,
                                  const std::optional<std::string>& member_id,
                                  int32_t member_epoch);

  // ---- admin ----
  std::vector<ErrorCode> delete_groups(const std::vector<std::string>& group_ids);
  GroupDescription describe_group(const std::string& group_id);
  ListGroupsResult list_groups();

  // Expires offsets past retention and removes empty groups left without offsets (the
  // retention timer calls it; public for tests). Returns the number of offsets removed.
  size_t expire_offsets();

  // Test helpers.
  const Group* find_group(const std::string& id) const;
  size_t group_count() const { return groups_.size(); }

 private:
  using GroupPtr = std::shared_ptr<Group>;

  int64_t now() const;
  void log(LogSeverity s, const std::string& m) const;
  std::string new_member_id(const std::string& prefix);

  // Common entry checks: shut down, no topic, loading, invalid id. `allow_empty_id` for the
  // offset APIs, which accept "" like Kafka.
  ErrorCode check_group_status(const std::string& group_id, bool allow_empty_id);
  bool ensure_topic();
  Group* find(const std::string& id);
  GroupPtr find_ptr(const std::string& id);
  GroupPtr get_or_create(const std::string& id);

  // ---- join internals ----
  void join_new_member(Group& g, JoinParams& p, const JoinWaiter& w);
  void join_static_member(Group& g, JoinParams& p, const std::string& new_id, const JoinWaiter& w);
  void join_known_member(Group& g, JoinParams& p, const JoinWaiter& w);
  void add_member_and_rebalance(Group& g, const JoinParams& p, const std::string& member_id,
                                const JoinWaiter& w);
  void update_member_and_rebalance(Group& g, Member& m, const JoinParams& p, const JoinWaiter& w,
                                   const std::string& reason);
  bool accept_joining_member(const Group& g, const std::string& member_id) const;
  JoinResult current_generation_result(const Group& g, const std::string& member_id) const;
  ErrorCode validate_member(const Group& g, const std::string& member_id,
                            const std::optional<std::string>& instance_id) const;

  void maybe_prepare_rebalance(Group& g, const std::string& reason);
  void prepare_rebalance(Group& g, const std::string& reason);
  void schedule_join_timer(Group& g, int32_t delay_ms);
  void on_join_timer(const std::string& group_id, uint64_t seq);
  void maybe_complete_join(Group& g);
  void complete_join(Group& g);
  void schedule_pending_sync(Group& g);
  void on_sync_timer(const std::string& group_id, uint64_t seq);
  void reset_and_propagate_assignment_error(Group& g, ErrorCode e);
  void set_and_propagate_assignment(Group& g, const std::map<std::string, Bytes>& assignment);
  void transition(Group& g, GroupState s);

  // Session expiry.
  void schedule_heartbeat(Group& g, Member& m, int32_t timeout_ms);
  void on_heartbeat_expired(const std::string& group_id, const std::string& member_id,
                            uint64_t seq);
  void schedule_pending_member_expiry(Group& g, const std::string& member_id, int32_t timeout_ms);
  void remove_member_and_update(Group& g, const std::string& member_id, const std::string& reason);
  void remove_pending_member_and_update(Group& g, const std::string& member_id);

  // ---- persistence ----
  proto::GroupMetadataValue group_record(const Group& g) const;
  ErrorCode append(int32_t partition, const std::vector<RecordToWrite>& recs,
                   int64_t producer_id = -1, int16_t producer_epoch = -1,
                   bool transactional = false);
  ErrorCode store_group(const Group& g);
  // Removes the group from memory after writing tombstones for its offsets and metadata.
  ErrorCode delete_group_records(Group& g);
  void remove_group(const std::string& id);

  // ---- consumer groups (coordinator/consumer_group.cc) ----
  ConsumerHeartbeatResult consumer_heartbeat_impl(ConsumerHeartbeatParams p);
  ConsumerHeartbeatResult consumer_leave(Group& g, const ConsumerHeartbeatParams& p);
  void consumer_remove_member(Group& g, const std::string& member_id, const std::string& reason);
  void consumer_compute_target(Group& g);
  void consumer_reconcile(Group& g, ConsumerMember& m, const std::optional<TopicAssignment>& owned);
  void consumer_next_assignment(Group& g, ConsumerMember& m);
  void consumer_set_assignment(ConsumerGroup& cg, ConsumerMember& m, TopicAssignment assigned,
                               TopicAssignment pending);
  void consumer_schedule_session(Group& g, ConsumerMember& m);
  void consumer_schedule_rebalance(Group& g, ConsumerMember& m);
  std::string consumer_assignor(const ConsumerGroup& cg) const;
  // Offset commit/fetch checks for a consumer group (member epoch as generation).
  ErrorCode consumer_validate_commit(const Group& g, const std::string& member_id,
                                     int32_t member_epoch) const;
  // The group's state as records (full snapshot), and tombstones for a member or everything.
  std::vector<RecordToWrite> consumer_records(const Group& g) const;
  std::vector<RecordToWrite> consumer_member_tombstones(const Group& g,
                                                        const std::string& member_id) const;
  std::vector<RecordToWrite> consumer_tombstones(const Group& g) const;
  ErrorCode consumer_store(const Group& g, std::vector<RecordToWrite> extra = {});
  // Replay: true if the key is a ConsumerGroup* record (key versions 3-8), then applied.
  bool apply_consumer_record(const records::BytesView& key, const records::BytesView& value);
  void consumer_after_load(Group& g);

  // ---- loading ----
  asio::awaitable<void> load_all();
  asio::awaitable<void> load_partition(int32_t partition);
  void replay(int32_t partition, std::span<const uint8_t> batches, int64_t& next_offset);
  void apply_record(CoordinatorRecord rec);
  void restore_group(const std::string& id, const proto::GroupMetadataValue& v);

  asio::any_io_executor ex_;
  PartitionStore& store_;
  CoordinatorConfig config_;
  CoordinatorHooks hooks_;
  std::map<std::string, GroupPtr, std::less<>> groups_;
  int32_t partitions_ = 0;  // of __consumer_offsets; 0 until it exists
  std::vector<bool> partition_loading_;
  int loading_partitions_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  asio::steady_timer retention_timer_;
  std::shared_ptr<std::function<void()>> retention_schedule_;
  uint64_t next_seq_ = 1;  // one counter for every timer generation, never reused
  std::mt19937_64 rng_;
  std::shared_ptr<bool> alive_;  // timer handlers check it before touching `this`
  std::shared_ptr<const TopicsImage> topics_image_;  // the latest metadata a heartbeat brought
};

}  // namespace fjord::coordinator
