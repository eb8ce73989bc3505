#include "coordinator/group_coordinator.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>

#include "codec/errors.h"
#include "records/batch.h"
#include "records/builder.h"

namespace fjord::coordinator {

namespace {

constexpr std::string_view kConsumerProtocol = "consumer";

// Kafka's mapping of storage errors when a group record cannot be written.
ErrorCode group_store_error(ErrorCode e) {
  switch (e) {
    case ErrorCode::NONE:
      return ErrorCode::NONE;
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

// The same for offset commits.
ErrorCode commit_store_error(ErrorCode e) {
  switch (e) {
    case ErrorCode::NONE:
      return ErrorCode::NONE;
    case ErrorCode::NOT_LEADER_OR_FOLLOWER:
    case ErrorCode::KAFKA_STORAGE_ERROR:
      return ErrorCode::NOT_COORDINATOR;
    case ErrorCode::MESSAGE_TOO_LARGE:
    case ErrorCode::RECORD_LIST_TOO_LARGE:
      return ErrorCode::INVALID_COMMIT_OFFSET_SIZE;
    default:
      return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  }
}

JoinResult join_error(const std::string& member_id, ErrorCode e) {
  JoinResult r;
  r.error = e;
  r.member_id = member_id;
  return r;
}

SyncResult sync_error(ErrorCode e) {
  SyncResult r;
  r.error = e;
  return r;
}

int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

GroupCoordinator::GroupCoordinator(asio::any_io_executor ex, PartitionStore& store,
                                   CoordinatorConfig config, CoordinatorHooks hooks)
    : ex_(ex),
      store_(store),
      config_(config),
      hooks_(std::move(hooks)),
      retention_timer_(ex),
      rng_(std::random_device{}()),
      alive_(std::make_shared<bool>(true)) {}

GroupCoordinator::~GroupCoordinator() { shutdown(); }

int64_t GroupCoordinator::now() const { return hooks_.now_ms ? hooks_.now_ms() : system_now_ms(); }

void GroupCoordinator::log(LogSeverity s, const std::string& m) const {
  if (hooks_.log) hooks_.log(s, m);
}

std::string GroupCoordinator::new_member_id(const std::string& prefix) {
  // prefix + "-" + a random (version 4) UUID, as Kafka names members.
  const uint64_t hi = (rng_() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const uint64_t lo = (rng_() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return prefix + "-" + buf;
}

// ---- lifecycle ------------------------------------------------------------------------------

void GroupCoordinator::start() {
  if (started_) return;
  started_ = true;
  const int32_t n = store_.partition_count();
  if (n > 0) {
    partitions_ = n;
    partition_loading_.assign(static_cast<size_t>(n), true);
    loading_partitions_ = n;
    std::weak_ptr<bool> alive = alive_;
    asio::co_spawn(ex_, load_all(), [this, alive](std::exception_ptr e) {
      if (!e || alive.expired()) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log(LogSeverity::kWarn, std::string("Loading __consumer_offsets failed: ") + ex.what());
      }
    });
  }
  // The retention check.
  std::weak_ptr<bool> alive = alive_;
  auto schedule = std::make_shared<std::function<void()>>();
  *schedule = [this, alive, weak_schedule = std::weak_ptr<std::function<void()>>(schedule)]() {
    if (alive.expired() || stopped_) return;
    retention_timer_.expires_after(
        std::chrono::milliseconds(std::max<int64_t>(config_.retention_check_interval_ms, 1)));
    auto again = weak_schedule.lock();
    retention_timer_.async_wait([this, alive, again](const asio::error_code& ec) {
      if (ec || alive.expired() || stopped_) return;
      expire_offsets();
      if (again) (*again)();
    });
  };
  retention_schedule_ = schedule;
  (*schedule)();
}

void GroupCoordinator::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  retention_timer_.cancel();
  retention_schedule_.reset();
  for (auto& [id, g] : groups_) {
    g->join_timer.cancel();
    g->sync_timer.cancel();
    for (auto& [mid, m] : g->members) {
      if (m.awaiting_join) m.awaiting_join->complete(join_error(mid, ErrorCode::NOT_COORDINATOR));
      if (m.awaiting_sync) m.awaiting_sync->complete(sync_error(ErrorCode::NOT_COORDINATOR));
      m.awaiting_join.reset();
      m.awaiting_sync.reset();
    }
  }
  groups_.clear();
  alive_.reset();
}

bool GroupCoordinator::loading(std::string_view group) const {
  if (loading_partitions_ == 0 || partitions_ == 0) return false;
  return partition_loading_[static_cast<size_t>(partition_for(group, partitions_))];
}

int32_t GroupCoordinator::partition_of(std::string_view group) const {
  return partition_for(group, partitions_ > 0 ? partitions_ : config_.offsets_topic_partitions);
}

bool GroupCoordinator::ensure_topic() {
  if (partitions_ > 0) return true;
  int32_t n = store_.partition_count();
  if (n == 0) n = store_.create(config_.offsets_topic_partitions);
  if (n <= 0) return false;
  partitions_ = n;
  partition_loading_.assign(static_cast<size_t>(n), false);
  return true;
}

ErrorCode GroupCoordinator::check_group_status(const std::string& group_id, bool allow_empty_id) {
  if (!allow_empty_id && group_id.empty()) return ErrorCode::INVALID_GROUP_ID;
  if (stopped_) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  if (!ensure_topic()) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  if (loading(group_id)) return ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
  return ErrorCode::NONE;
}

Group* GroupCoordinator::find(const std::string& id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : it->second.get();
}

GroupCoordinator::GroupPtr GroupCoordinator::find_ptr(const std::string& id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : it->second;
}

const Group* GroupCoordinator::find_group(const std::string& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : it->second.get();
}

GroupCoordinator::GroupPtr GroupCoordinator::get_or_create(const std::string& id) {
  auto it = groups_.find(id);
  if (it != groups_.end()) return it->second;
  auto g = std::make_shared<Group>(id, ex_);
  g->state_timestamp_ms = now();
  groups_.emplace(id, g);
  return g;
}

void GroupCoordinator::remove_group(const std::string& id) {
  auto it = groups_.find(id);
  if (it == groups_.end()) return;
  it->second->join_timer.cancel();
  it->second->sync_timer.cancel();
  groups_.erase(it);
}

void GroupCoordinator::transition(Group& g, GroupState s) {
  g.state = s;
  g.state_timestamp_ms = now();
}

// ---- JoinGroup ------------------------------------------------------------------------------

asio::awaitable<JoinResult> GroupCoordinator::join_group(JoinParams p) {
  auto w = std::make_shared<Completion<JoinResult>>(ex_);
  ErrorCode e = check_group_status(p.group_id, false);
  if (e != ErrorCode::NONE) co_return join_error(p.member_id, e);
  if (p.session_timeout_ms < config_.min_session_timeout_ms ||
      p.session_timeout_ms > config_.max_session_timeout_ms) {
    co_return join_error(p.member_id, ErrorCode::INVALID_SESSION_TIMEOUT);
  }
  const bool unknown_member = p.member_id.empty();
  if (GroupPtr cg = find_ptr(p.group_id); cg && cg->consumer) {
    // A consumer group (KIP-848) with members does not take classic members; an empty one
    // becomes a classic group again.
    if (!cg->consumer->empty())
      co_return join_error(p.member_id, ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
    if (ErrorCode ce = group_store_error(
            append(partition_for(cg->id(), partitions_), consumer_tombstones(*cg)));
        ce != ErrorCode::NONE)
      co_return join_error(p.member_id, ce);
    cg->consumer.reset();
  }
  GroupPtr g = unknown_member ? get_or_create(p.group_id) : find_ptr(p.group_id);
  if (!g) co_return join_error(p.member_id, ErrorCode::UNKNOWN_MEMBER_ID);

  if (!accept_joining_member(*g, p.member_id)) {
    if (g->has_member(p.member_id)) {
      remove_member_and_update(*g, p.member_id, "the group is at its maximum size");
    }
    g->pending_members.erase(p.member_id);
    if (g->is(GroupState::kPreparingRebalance)) maybe_complete_join(*g);
    co_return join_error("", ErrorCode::GROUP_MAX_SIZE_REACHED);
  }
  if (unknown_member) {
    join_new_member(*g, p, w);
  } else {
    join_known_member(*g, p, w);
  }
  if (g->is(GroupState::kPreparingRebalance)) maybe_complete_join(*g);
  // A new group that a failed first join left behind with nothing in it is dropped again.
  if (g->is(GroupState::kEmpty) && g->members.empty() && g->pending_members.empty() &&
      g->offsets.empty() && g->generation == 0 && !g->protocol_type) {
    remove_group(g->id());
  }
  co_return co_await w->wait();
}

bool GroupCoordinator::accept_joining_member(const Group& g, const std::string& member_id) const {
  switch (g.state) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return true;
    case GroupState::kPreparingRebalance: {
      auto it = g.members.find(member_id);
      if (it != g.members.end() && it->second.awaiting_join) return true;
      return g.members_awaiting_join() < config_.max_group_size;
    }
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      return g.has_member(member_id) ||
             static_cast<int64_t>(g.members.size()) < config_.max_group_size;
  }
  return false;
}

void GroupCoordinator::join_new_member(Group& g, JoinParams& p, const JoinWaiter& w) {
  if (g.is(GroupState::kDead)) {
    w->complete(join_error(p.member_id, ErrorCode::COORDINATOR_NOT_AVAILABLE));
    return;
  }
  if (!g.supports_protocols(p.protocol_type, p.protocols)) {
    w->complete(join_error(p.member_id, ErrorCode::INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  const std::string new_id = new_member_id(p.group_instance_id.value_or(p.client_id));
  if (p.group_instance_id) {
    join_static_member(g, p, new_id, w);
  } else if (p.require_known_member_id) {
    // KIP-394: hand out the id first; the member joins with it in its next request.
    g.pending_members[new_id] = std::make_unique<asio::steady_timer>(ex_);
    schedule_pending_member_expiry(g, new_id, p.session_timeout_ms);
    w->complete(join_error(new_id, ErrorCode::MEMBER_ID_REQUIRED));
  } else {
    add_member_and_rebalance(g, p, new_id, w);
  }
}

void GroupCoordinator::add_member_and_rebalance(Group& g, const JoinParams& p,
                                                const std::string& member_id, const JoinWaiter& w) {
  Member m;
  m.id = member_id;
  m.instance_id = p.group_instance_id;
  m.client_id = p.client_id;
  m.client_host = p.client_host;
  m.session_timeout_ms = p.session_timeout_ms;
  m.rebalance_timeout_ms = p.rebalance_timeout_ms;
  m.protocol_type = p.protocol_type;
  m.protocols = p.protocols;
  m.is_new = true;
  m.awaiting_join = w;
  if (g.is(GroupState::kPreparingRebalance) && g.generation == 0) g.new_member_added = true;
  g.add_member(std::move(m));
  g.pending_members.erase(member_id);
  schedule_heartbeat(g, g.members.at(member_id), config_.new_member_join_timeout_ms);
  log(LogSeverity::kInfo, "Group " + g.id() + ": member " + member_id + " joined" +
                              (p.reason.empty() ? "" : " (" + p.reason + ")"));
  maybe_prepare_rebalance(g, "adding new member " + member_id);
}

void GroupCoordinator::join_static_member(Group& g, JoinParams& p, const std::string& new_id,
                                          const JoinWaiter& w) {
  const auto old = g.static_member_id(p.group_instance_id);
  if (!old) {
    add_member_and_rebalance(g, p, new_id, w);
    return;
  }
  // The instance id is known: the new member id replaces the old one, whose waiting requests
  // are fenced (KIP-345).
  const std::string current_leader = g.leader_id.value_or("");
  auto node = g.members.extract(*old);
  Member& old_m = node.mapped();
  if (old_m.awaiting_join) {
    old_m.awaiting_join->complete(join_error(*old, ErrorCode::FENCED_INSTANCE_ID));
    old_m.awaiting_join.reset();
  }
  if (old_m.awaiting_sync) {
    old_m.awaiting_sync->complete(sync_error(ErrorCode::FENCED_INSTANCE_ID));
    old_m.awaiting_sync.reset();
  }
  const std::vector<Protocol> old_protocols = old_m.protocols;
  const int32_t old_rebalance = old_m.rebalance_timeout_ms;
  const int32_t old_session = old_m.session_timeout_ms;
  node.key() = new_id;
  node.mapped().id = new_id;
  g.members.insert(std::move(node));
  if (g.is_leader(*old)) g.leader_id = new_id;
  g.static_members[*p.group_instance_id] = new_id;
  if (g.pending_sync.erase(*old)) g.pending_sync.insert(new_id);
  Member& m = g.members.at(new_id);
  schedule_heartbeat(g, m, m.session_timeout_ms);
  m.protocols = p.protocols;
  m.rebalance_timeout_ms = p.rebalance_timeout_ms;
  m.session_timeout_ms = p.session_timeout_ms;
  m.awaiting_join = w;
  log(LogSeverity::kInfo, "Group " + g.id() + ": static member " + *p.group_instance_id +
                              " rejoined as " + new_id + ", replacing " + *old);

  switch (g.state) {
    case GroupState::kStable: {
      if (g.protocol_name && *g.protocol_name == g.select_protocol()) {
        // Same protocol: no rebalance. Persist the new member id and answer at once.
        const ErrorCode e = store_group(g);
        if (e != ErrorCode::NONE) {
          // Undo the replacement; the member retries.
          auto back = g.members.extract(new_id);
          back.key() = *old;
          back.mapped().id = *old;
          back.mapped().protocols = old_protocols;
          back.mapped().rebalance_timeout_ms = old_rebalance;
          back.mapped().session_timeout_ms = old_session;
          back.mapped().awaiting_join.reset();
          g.members.insert(std::move(back));
          if (g.is_leader(new_id)) g.leader_id = *old;
          g.static_members[*p.group_instance_id] = *old;
          if (g.pending_sync.erase(new_id)) g.pending_sync.insert(*old);
          w->complete(join_error("", e));
          return;
        }
        const bool leader = g.is_leader(new_id);
        JoinResult r;
        r.member_id = new_id;
        r.generation_id = g.generation;
        r.protocol_type = g.protocol_type;
        r.protocol_name = g.protocol_name;
        // Before v9 the old leader id is returned so that a rejoining static leader does not
        // compute an assignment the stable group would never hand out.
        r.leader_id = p.supports_skip_assignment ? g.leader_id.value_or("") : current_leader;
        r.skip_assignment = p.supports_skip_assignment && leader;
        if (r.skip_assignment) r.members = g.member_metadata();
        m.awaiting_join.reset();
        w->complete(std::move(r));
      } else {
        maybe_prepare_rebalance(g, "static member " + new_id + " changed the group's protocol");
      }
      break;
    }
    case GroupState::kCompletingRebalance:
      // The leader may be assigning to the old id: start over.
      prepare_rebalance(g, "static member " + *p.group_instance_id + " rejoined during sync");
      break;
    case GroupState::kPreparingRebalance:
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

ErrorCode GroupCoordinator::validate_member(const Group& g, const std::string& member_id,
                                            const std::optional<std::string>& instance_id) const {
  if (instance_id) {
    auto current = g.static_member_id(instance_id);
    if (!current) return ErrorCode::UNKNOWN_MEMBER_ID;
    if (*current != member_id) return ErrorCode::FENCED_INSTANCE_ID;
    return ErrorCode::NONE;
  }
  return g.has_member(member_id) ? ErrorCode::NONE : ErrorCode::UNKNOWN_MEMBER_ID;
}

JoinResult GroupCoordinator::current_generation_result(const Group& g,
                                                       const std::string& member_id) const {
  JoinResult r;
  r.member_id = member_id;
  r.generation_id = g.generation;
  r.protocol_type = g.protocol_type;
  r.protocol_name = g.protocol_name;
  r.leader_id = g.leader_id.value_or("");
  if (g.is_leader(member_id)) r.members = g.member_metadata();
  return r;
}

void GroupCoordinator::join_known_member(Group& g, JoinParams& p, const JoinWaiter& w) {
  if (g.is(GroupState::kDead)) {
    w->complete(join_error(p.member_id, ErrorCode::COORDINATOR_NOT_AVAILABLE));
    return;
  }
  if (!g.supports_protocols(p.protocol_type, p.protocols)) {
    w->complete(join_error(p.member_id, ErrorCode::INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  if (g.pending_members.count(p.member_id)) {
    // The second half of the KIP-394 round trip.
    add_member_and_rebalance(g, p, p.member_id, w);
    return;
  }
  if (ErrorCode e = validate_member(g, p.member_id, p.group_instance_id); e != ErrorCode::NONE) {
    w->complete(join_error(p.member_id, e));
    return;
  }
  Member& m = g.members.at(p.member_id);
  switch (g.state) {
    case GroupState::kPreparingRebalance:
      update_member_and_rebalance(g, m, p, w, "member " + p.member_id + " rejoined");
      break;
    case GroupState::kCompletingRebalance:
      if (m.matches(p.protocols)) {
        // A repeated JoinGroup (the response was lost): answer with the current generation.
        w->complete(current_generation_result(g, p.member_id));
      } else {
        update_member_and_rebalance(g, m, p, w, "member " + p.member_id + " changed its metadata");
      }
      break;
    case GroupState::kStable:
      if (g.is_leader(p.member_id) || !m.matches(p.protocols)) {
        // The leader rejoins to trigger a rebalance (metadata change); so does a member whose
        // subscription changed.
        update_member_and_rebalance(g, m, p, w,
                                    "leader or changed member " + p.member_id + " rejoined");
      } else {
        w->complete(current_generation_result(g, p.member_id));
      }
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      w->complete(join_error(p.member_id, ErrorCode::UNKNOWN_MEMBER_ID));
      break;
  }
}

void GroupCoordinator::update_member_and_rebalance(Group& g, Member& m, const JoinParams& p,
                                                   const JoinWaiter& w, const std::string& reason) {
  if (m.awaiting_join && m.awaiting_join != w) {
    // The member sent JoinGroup again while its previous one still waits.
    m.awaiting_join->complete(join_error(m.id, ErrorCode::REBALANCE_IN_PROGRESS));
  }
  m.protocols = p.protocols;
  m.rebalance_timeout_ms = p.rebalance_timeout_ms;
  m.session_timeout_ms = p.session_timeout_ms;
  m.client_id = p.client_id;
  m.client_host = p.client_host;
  m.awaiting_join = w;
  maybe_prepare_rebalance(g, reason);
}

// ---- rebalance ------------------------------------------------------------------------------

void GroupCoordinator::maybe_prepare_rebalance(Group& g, const std::string& reason) {
  if (g.can_rebalance()) prepare_rebalance(g, reason);
}

void GroupCoordinator::prepare_rebalance(Group& g, const std::string& reason) {
  if (g.is(GroupState::kCompletingRebalance)) {
    reset_and_propagate_assignment_error(g, ErrorCode::REBALANCE_IN_PROGRESS);
  }
  // Members no longer owe a SyncGroup for the generation being replaced.
  g.sync_seq = next_seq_++;
  g.sync_timer.cancel();
  g.pending_sync.clear();

  const bool was_empty = g.is(GroupState::kEmpty);
  const std::string old_state = state_name(g.state);
  transition(g, GroupState::kPreparingRebalance);
  log(LogSeverity::kInfo, "Preparing to rebalance group " + g.id() + " in state " + old_state +
                              " with old generation " + std::to_string(g.generation) +
                              " (reason: " + reason + ")");
  if (was_empty) {
    // group.initial.rebalance.delay.ms: give the other members of a starting group time to
    // arrive before the first generation.
    g.initial_delay = true;
    g.new_member_added = false;
    g.initial_delay_remaining =
        std::max(g.rebalance_timeout_ms() - config_.initial_rebalance_delay_ms, 0);
    schedule_join_timer(g, config_.initial_rebalance_delay_ms);
  } else {
    g.initial_delay = false;
    schedule_join_timer(g, g.rebalance_timeout_ms());
    maybe_complete_join(g);
  }
}

void GroupCoordinator::schedule_join_timer(Group& g, int32_t delay_ms) {
  const uint64_t seq = next_seq_++;
  g.join_seq = seq;
  g.join_timer.expires_after(std::chrono::milliseconds(std::max(delay_ms, 0)));
  std::weak_ptr<bool> alive = alive_;
  g.join_timer.async_wait([this, alive, id = g.id(), seq](const asio::error_code& ec) {
    if (ec || alive.expired()) return;
    on_join_timer(id, seq);
  });
}

void GroupCoordinator::on_join_timer(const std::string& group_id, uint64_t seq) {
  Group* g = find(group_id);
  if (!g || g->join_seq != seq || !g->is(GroupState::kPreparingRebalance)) return;
  if (g->initial_delay && g->new_member_added && g->initial_delay_remaining > 0) {
    // More members arrived during the delay: wait a little longer, within the rebalance
    // timeout.
    g->new_member_added = false;
    const int32_t delay = std::min(config_.initial_rebalance_delay_ms, g->initial_delay_remaining);
    g->initial_delay_remaining = std::max(g->initial_delay_remaining - delay, 0);
    schedule_join_timer(*g, delay);
    return;
  }
  complete_join(*g);
}

void GroupCoordinator::maybe_complete_join(Group& g) {
  if (g.is(GroupState::kPreparingRebalance) && !g.initial_delay && g.all_members_joined()) {
    complete_join(g);
  }
}

void GroupCoordinator::complete_join(Group& g) {
  g.join_seq = next_seq_++;
  g.join_timer.cancel();
  g.initial_delay = false;
  if (g.is(GroupState::kDead)) return;

  // Dynamic members that did not rejoin within the rebalance timeout leave the group.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members)
    if (!m.awaiting_join && !m.instance_id) gone.push_back(id);
  for (const auto& id : gone) {
    Member& m = g.members.at(id);
    if (m.awaiting_sync) m.awaiting_sync->complete(sync_error(ErrorCode::UNKNOWN_MEMBER_ID));
    log(LogSeverity::kInfo,
        "Group " + g.id() + ": member " + id + " did not rejoin in time and was removed");
    g.remove_member(id);
  }

  // The leader must be among those who rejoined.
  bool have_leader = false;
  if (g.leader_id) {
    auto it = g.members.find(*g.leader_id);
    if (it != g.members.end() && it->second.awaiting_join) {
      have_leader = true;
    } else {
      for (const auto& [id, m] : g.members) {
        if (m.awaiting_join) {
          g.leader_id = id;
          have_leader = true;
          break;
        }
      }
    }
  }
  if (!have_leader && !g.members.empty()) {
    // Only static members that have not rejoined remain: wait for them or their sessions.
    schedule_join_timer(g, g.rebalance_timeout_ms());
    return;
  }

  ++g.generation;
  if (!g.members.empty()) {
    g.protocol_name = g.select_protocol();
    transition(g, GroupState::kCompletingRebalance);
  } else {
    g.protocol_name.reset();
    transition(g, GroupState::kEmpty);
  }
  log(LogSeverity::kInfo, "Group " + g.id() + " entered generation " +
                              std::to_string(g.generation) + " (" + state_name(g.state) +
                              ") with " + std::to_string(g.members.size()) + " members");
  if (g.is(GroupState::kEmpty)) {
    if (ErrorCode e = store_group(g); e != ErrorCode::NONE) {
      log(LogSeverity::kWarn, "Group " + g.id() + ": could not store the empty group: error " +
                                  std::to_string(proto::code(e)));
    }
    return;
  }
  for (auto& [id, m] : g.members) {
    if (m.awaiting_join) {
      auto w = std::move(m.awaiting_join);
      m.awaiting_join.reset();
      w->complete(current_generation_result(g, id));
    }
    schedule_heartbeat(g, m, m.session_timeout_ms);
    m.is_new = false;
    g.pending_sync.insert(id);
  }
  schedule_pending_sync(g);
}

void GroupCoordinator::schedule_pending_sync(Group& g) {
  const uint64_t seq = next_seq_++;
  g.sync_seq = seq;
  g.sync_timer.expires_after(std::chrono::milliseconds(std::max(g.rebalance_timeout_ms(), 0)));
  std::weak_ptr<bool> alive = alive_;
  g.sync_timer.async_wait([this, alive, id = g.id(), seq](const asio::error_code& ec) {
    if (ec || alive.expired()) return;
    on_sync_timer(id, seq);
  });
}

void GroupCoordinator::on_sync_timer(const std::string& group_id, uint64_t seq) {
  Group* g = find(group_id);
  if (!g || g->sync_seq != seq || g->pending_sync.empty()) return;
  if (!g->is(GroupState::kCompletingRebalance) && !g->is(GroupState::kStable)) return;
  // Members that never sent SyncGroup for this generation are removed.
  const std::vector<std::string> late(g->pending_sync.begin(), g->pending_sync.end());
  for (const auto& id : late) {
    auto it = g->members.find(id);
    if (it == g->members.end()) continue;
    if (it->second.awaiting_join) {
      it->second.awaiting_join->complete(join_error(id, ErrorCode::UNKNOWN_MEMBER_ID));
    }
    log(LogSeverity::kInfo,
        "Group " + g->id() + ": member " + id + " sent no SyncGroup in time and was removed");
    g->remove_member(id);
  }
  prepare_rebalance(*g, "members did not sync in time");
}

void GroupCoordinator::reset_and_propagate_assignment_error(Group& g, ErrorCode e) {
  for (auto& [id, m] : g.members) m.assignment.clear();
  for (auto& [id, m] : g.members) {
    if (m.awaiting_sync) {
      auto w = std::move(m.awaiting_sync);
      m.awaiting_sync.reset();
      w->complete(sync_error(e));
      schedule_heartbeat(g, m, m.session_timeout_ms);
    }
  }
}

void GroupCoordinator::set_and_propagate_assignment(
    Group& g, const std::map<std::string, Bytes>& assignment) {
  for (auto& [id, m] : g.members) {
    auto it = assignment.find(id);
    m.assignment = it == assignment.end() ? Bytes{} : it->second;
  }
  for (auto& [id, m] : g.members) {
    if (m.awaiting_sync) {
      auto w = std::move(m.awaiting_sync);
      m.awaiting_sync.reset();
      SyncResult r;
      r.protocol_type = g.protocol_type;
      r.protocol_name = g.protocol_name;
      r.assignment = m.assignment;
      w->complete(std::move(r));
      schedule_heartbeat(g, m, m.session_timeout_ms);
    }
  }
}

// ---- session expiry -------------------------------------------------------------------------

void GroupCoordinator::schedule_heartbeat(Group& g, Member& m, int32_t timeout_ms) {
  if (!m.heartbeat_timer) m.heartbeat_timer = std::make_unique<asio::steady_timer>(ex_);
  const uint64_t seq = next_seq_++;
  m.heartbeat_seq = seq;
  m.heartbeat_timer->expires_after(std::chrono::milliseconds(std::max(timeout_ms, 0)));
  std::weak_ptr<bool> alive = alive_;
  m.heartbeat_timer->async_wait(
      [this, alive, gid = g.id(), mid = m.id, seq](const asio::error_code& ec) {
        if (ec || alive.expired()) return;
        on_heartbeat_expired(gid, mid, seq);
      });
}

void GroupCoordinator::on_heartbeat_expired(const std::string& group_id,
                                            const std::string& member_id, uint64_t seq) {
  Group* g = find(group_id);
  if (!g || g->is(GroupState::kDead)) return;
  auto it = g->members.find(member_id);
  if (it == g->members.end() || it->second.heartbeat_seq != seq) return;
  const Member& m = it->second;
  // A member waiting in JoinGroup or SyncGroup needs no heartbeat; the rebalance and pending
  // sync deadlines cover it. New members still owe a join within their own timeout.
  if (!m.is_new && (m.awaiting_join || m.awaiting_sync)) return;
  log(LogSeverity::kInfo, "Group " + group_id + ": member " + member_id +
                              " has failed (session timeout), removing it from the group");
  remove_member_and_update(*g, member_id, "member " + member_id + " session timed out");
}

void GroupCoordinator::schedule_pending_member_expiry(Group& g, const std::string& member_id,
                                                      int32_t timeout_ms) {
  auto it = g.pending_members.find(member_id);
  if (it == g.pending_members.end()) return;
  it->second->expires_after(std::chrono::milliseconds(std::max(timeout_ms, 0)));
  std::weak_ptr<bool> alive = alive_;
  it->second->async_wait([this, alive, gid = g.id(), member_id](const asio::error_code& ec) {
    if (ec || alive.expired()) return;
    Group* grp = find(gid);
    if (grp && grp->pending_members.count(member_id)) {
      remove_pending_member_and_update(*grp, member_id);
    }
  });
}

void GroupCoordinator::remove_member_and_update(Group& g, const std::string& member_id,
                                                const std::string& reason) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  Member& m = it->second;
  if (m.awaiting_join)
    m.awaiting_join->complete(join_error(member_id, ErrorCode::UNKNOWN_MEMBER_ID));
  if (m.awaiting_sync) m.awaiting_sync->complete(sync_error(ErrorCode::UNKNOWN_MEMBER_ID));
  g.remove_member(member_id);
  switch (g.state) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      maybe_prepare_rebalance(g, reason);
      break;
    case GroupState::kPreparingRebalance:
      maybe_complete_join(g);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

void GroupCoordinator::remove_pending_member_and_update(Group& g, const std::string& member_id) {
  g.pending_members.erase(member_id);
  if (g.is(GroupState::kPreparingRebalance)) maybe_complete_join(g);
}

// ---- SyncGroup / Heartbeat / LeaveGroup -----------------------------------------------------

asio::awaitable<SyncResult> GroupCoordinator::sync_group(SyncParams p) {
  ErrorCode e = check_group_status(p.group_id, false);
  if (e != ErrorCode::NONE) co_return sync_error(e);
  GroupPtr g = find_ptr(p.group_id);
  if (!g) co_return sync_error(ErrorCode::UNKNOWN_MEMBER_ID);
  if (g->is(GroupState::kDead)) co_return sync_error(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  if (ErrorCode v = validate_member(*g, p.member_id, p.group_instance_id); v != ErrorCode::NONE)
    co_return sync_error(v);
  if (p.generation_id != g->generation) co_return sync_error(ErrorCode::ILLEGAL_GENERATION);
  if ((p.protocol_type && (!g->protocol_type || *g->protocol_type != *p.protocol_type)) ||
      (p.protocol_name && (!g->protocol_name || *g->protocol_name != *p.protocol_name))) {
    co_return sync_error(ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  }
  switch (g->state) {
    case GroupState::kEmpty:
      co_return sync_error(ErrorCode::UNKNOWN_MEMBER_ID);
    case GroupState::kPreparingRebalance:
      co_return sync_error(ErrorCode::REBALANCE_IN_PROGRESS);
    case GroupState::kDead:
      co_return sync_error(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    case GroupState::kStable: {
      g->pending_sync.erase(p.member_id);
      Member& m = g->members.at(p.member_id);
      SyncResult r;
      r.protocol_type = g->protocol_type;
      r.protocol_name = g->protocol_name;
      r.assignment = m.assignment;
      schedule_heartbeat(*g, m, m.session_timeout_ms);
      co_return r;
    }
    case GroupState::kCompletingRebalance:
      break;
  }

  auto w = std::make_shared<Completion<SyncResult>>(ex_);
  Member& m = g->members.at(p.member_id);
  if (m.awaiting_sync) m.awaiting_sync->complete(sync_error(ErrorCode::REBALANCE_IN_PROGRESS));
  m.awaiting_sync = w;
  g->pending_sync.erase(p.member_id);
  if (g->pending_sync.empty()) {
    g->sync_seq = next_seq_++;
    g->sync_timer.cancel();
  }
  if (g->is_leader(p.member_id)) {
    // The leader's assignment: members it left out get an empty one.
    std::map<std::string, Bytes> assignment;
    for (auto& [id, bytes] : p.assignments) assignment[id] = std::move(bytes);
    for (const auto& [id, mem] : g->members) assignment.try_emplace(id);
    log(LogSeverity::kInfo, "Group " + g->id() + ": assignment received from leader " +
                                p.member_id + " for generation " + std::to_string(g->generation));
    Group* grp = g.get();
    std::map<std::string, Bytes> saved;
    for (auto& [id, mem] : grp->members) saved[id] = mem.assignment;
    for (auto& [id, mem] : grp->members) mem.assignment = assignment[id];
    const ErrorCode stored = store_group(*grp);
    for (auto& [id, mem] : grp->members) mem.assignment = saved[id];
    if (stored != ErrorCode::NONE) {
      reset_and_propagate_assignment_error(*grp, stored);
      maybe_prepare_rebalance(*grp, "could not store the assignment");
    } else {
      set_and_propagate_assignment(*grp, assignment);
      transition(*grp, GroupState::kStable);
    }
  }
  co_return co_await w->wait();
}

ErrorCode GroupCoordinator::heartbeat(const HeartbeatParams& p) {
  ErrorCode e = check_group_status(p.group_id, false);
  if (e != ErrorCode::NONE) return e;
  Group* g = find(p.group_id);
  if (!g) return ErrorCode::UNKNOWN_MEMBER_ID;
  if (g->is(GroupState::kDead)) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  if (ErrorCode v = validate_member(*g, p.member_id, p.group_instance_id); v != ErrorCode::NONE)
    return v;
  if (p.generation_id != g->generation) return ErrorCode::ILLEGAL_GENERATION;
  Member& m = g->members.at(p.member_id);
  switch (g->state) {
    case GroupState::kEmpty:
      return ErrorCode::UNKNOWN_MEMBER_ID;
    case GroupState::kDead:
      return ErrorCode::COORDINATOR_NOT_AVAILABLE;
    case GroupState::kPreparingRebalance:
      schedule_heartbeat(*g, m, m.session_timeout_ms);
      return ErrorCode::REBALANCE_IN_PROGRESS;
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      schedule_heartbeat(*g, m, m.session_timeout_ms);
      return ErrorCode::NONE;
  }
  return ErrorCode::NONE;
}

LeaveResult GroupCoordinator::leave_group(const std::string& group_id,
                                          const std::vector<LeavingMember>& members) {
  LeaveResult r;
  r.error = check_group_status(group_id, false);
  if (r.error != ErrorCode::NONE) return r;
  GroupPtr g = find_ptr(group_id);
  if (!g) {
    r.members.assign(members.size(), ErrorCode::UNKNOWN_MEMBER_ID);
    return r;
  }
  if (g->is(GroupState::kDead)) {
    r.error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
    return r;
  }
  for (const auto& lm : members) {
    const std::string why =
        lm.reason.empty() ? "the member left the group" : "the member left the group: " + lm.reason;
    if (lm.member_id.empty()) {
      // Administrative removal of a static member by its instance id.
      auto current = g->static_member_id(lm.group_instance_id);
      if (!current) {
        r.members.push_back(ErrorCode::UNKNOWN_MEMBER_ID);
        continue;
      }
      log(LogSeverity::kInfo, "Group " + group_id + ": static member " + *lm.group_instance_id +
                                  " (" + *current + ") removed: " + why);
      remove_member_and_update(*g, *current, why);
      r.members.push_back(ErrorCode::NONE);
    } else if (g->pending_members.count(lm.member_id)) {
      remove_pending_member_and_update(*g, lm.member_id);
      r.members.push_back(ErrorCode::NONE);
    } else if (ErrorCode e = validate_member(*g, lm.member_id, lm.group_instance_id);
               e != ErrorCode::NONE) {
      r.members.push_back(e);
    } else {
      log(LogSeverity::kInfo,
          "Group " + group_id + ": member " + lm.member_id + " left (" + why + ")");
      remove_member_and_update(*g, lm.member_id, why);
      r.members.push_back(ErrorCode::NONE);
    }
  }
  return r;
}

// ---- offsets --------------------------------------------------------------------------------

std::vector<ErrorCode> GroupCoordinator::commit_offsets(const CommitParams& p) {
  auto all = [&](ErrorCode e) { return std::vector<ErrorCode>(p.offsets.size(), e); };
  if (ErrorCode e = check_group_status(p.group_id, true); e != ErrorCode::NONE) return all(e);
  GroupPtr g = find_ptr(p.group_id);
  // Generation -1 comes from outside group management (admin tools, assign() consumers; those
  // of the consumer protocol still send their member id): Kafka accepts it for a missing or
  // Empty group whatever the member id.
  const bool simple = p.generation_id < 0 &&
                      (!g || (g->is(GroupState::kEmpty) && (!g->consumer || g->consumer->empty())));
  const bool as_member =
      !simple && (p.generation_id >= 0 || !p.member_id.empty() || p.group_instance_id);
  if (!g) {
    // Only a commit from outside group management may create a group (admin tools and
    // consumers using assign()); anything else comes from a generation that is gone.
    if (p.generation_id >= 0) return all(ErrorCode::ILLEGAL_GENERATION);
    if (as_member) return all(ErrorCode::UNKNOWN_MEMBER_ID);
    g = get_or_create(p.group_id);
  }
  if (g->is(GroupState::kDead)) return all(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  Member* member = nullptr;
  if (g->consumer) {
    // A consumer group (KIP-848): the generation is the member epoch.
    if (ErrorCode e = consumer_validate_commit(*g, p.member_id, p.generation_id);
        e != ErrorCode::NONE)
      return all(e);
  } else if (as_member) {
    if (ErrorCode e = validate_member(*g, p.member_id, p.group_instance_id); e != ErrorCode::NONE)
      return all(e);
    if (p.generation_id != g->generation) return all(ErrorCode::ILLEGAL_GENERATION);
    member = &g->members.at(g->static_member_id(p.group_instance_id).value_or(p.member_id));
  } else if (!g->is(GroupState::kEmpty)) {
    // Without a generation, commits are only accepted while nobody consumes in the group.
    return all(ErrorCode::UNKNOWN_MEMBER_ID);
  }
  if (g->is(GroupState::kCompletingRebalance)) return all(ErrorCode::REBALANCE_IN_PROGRESS);
  if (member) schedule_heartbeat(*g, *member, member->session_timeout_ms);

  std::vector<ErrorCode> errors(p.offsets.size(), ErrorCode::NONE);
  std::vector<RecordToWrite> recs;
  std::vector<std::pair<size_t, CommittedOffset>> staged;
  const int64_t ts = now();
  for (size_t i = 0; i < p.offsets.size(); ++i) {
    const auto& o = p.offsets[i];
    const std::string metadata = o.metadata.value_or("");
    if (static_cast<int64_t>(metadata.size()) > config_.offset_metadata_max_bytes) {
      errors[i] = ErrorCode::OFFSET_METADATA_TOO_LARGE;
      continue;
    }
    CommittedOffset c;
    c.offset = o.offset;
    c.leader_epoch = o.leader_epoch;
    c.metadata = metadata;
    c.commit_timestamp = o.commit_timestamp >= 0 ? o.commit_timestamp : ts;
    if (p.retention_ms >= 0) c.expire_timestamp = c.commit_timestamp + p.retention_ms;
    recs.push_back({encode_offset_key(p.group_id, o.tp), encode_offset_value(c)});
    staged.emplace_back(i, std::move(c));
  }
  if (recs.empty()) return errors;
  const int32_t partition = partition_for(p.group_id, partitions_);
  std::vector<uint8_t> batch = build_batch(recs, ts);
  const StoreAppend a = store_.append(partition, batch);
  if (a.error != ErrorCode::NONE) {
    const ErrorCode mapped = commit_store_error(a.error);
    for (auto& [i, c] : staged) errors[i] = mapped;
    return errors;
  }
  int64_t at = a.base_offset;
  for (auto& [i, c] : staged) {
    c.record_offset = at++;
    g->offsets[p.offsets[i].tp] = std::move(c);
  }
  return errors;
}

OffsetFetchResult GroupCoordinator::fetch_offsets(
    const std::string& group_id, const std::optional<std::vector<TopicPartition>>& partitions,
    bool require_stable) {
  OffsetFetchResult r;
  r.error = check_group_status(group_id, true);
  if (r.error != ErrorCode::NONE) return r;
  const Group* g = find(group_id);
  auto pending = [&](const TopicPartition& tp) {
    if (!g) return false;
    for (const auto& [pid, offs] : g->pending_txn_offsets)
      if (offs.count(tp)) return true;
    return false;
  };
  auto fill = [&](const TopicPartition& tp, const CommittedOffset* c) {
    FetchedOffset f;
    f.tp = tp;
    if (require_stable && pending(tp)) {
      f.error = ErrorCode::UNSTABLE_OFFSET_COMMIT;
    } else if (c) {
      f.offset = c->offset;
      f.leader_epoch = c->leader_epoch;
      f.metadata = c->metadata;
    }
    r.offsets.push_back(std::move(f));
  };
  if (!partitions) {
    if (g)
      for (const auto& [tp, c] : g->offsets) fill(tp, &c);
    return r;
  }
  for (const auto& tp : *partitions) {
    const CommittedOffset* c = nullptr;
    if (g) {
      auto it = g->offsets.find(tp);
      if (it != g->offsets.end()) c = &it->second;
    }
    fill(tp, c);
  }
  return r;
}

OffsetDeleteResult GroupCoordinator::delete_offsets(const std::string& group_id,
                                                    const std::vector<TopicPartition>& partitions) {
  OffsetDeleteResult r;
  r.error = check_group_status(group_id, false);
  if (r.error != ErrorCode::NONE) return r;
  Group* g = find(group_id);
  if (!g || g->is(GroupState::kDead)) {
    r.error = ErrorCode::GROUP_ID_NOT_FOUND;
    return r;
  }
  r.partitions.assign(partitions.size(), ErrorCode::NONE);
  std::vector<bool> deletable(partitions.size(), false);
  if (g->consumer && !g->consumer->empty()) {
    // A consumer group (KIP-848) in use: only topics no member subscribes to.
    std::set<std::string> subscribed;
    for (const auto& [id, m] : g->consumer->members) {
      subscribed.insert(m.subscribed_names.begin(), m.subscribed_names.end());
      if (topics_image_) {
        const auto matched = m.subscribed(*topics_image_);
        subscribed.insert(matched.begin(), matched.end());
      }
    }
    for (size_t i = 0; i < partitions.size(); ++i) {
      if (subscribed.count(partitions[i].topic)) {
        r.partitions[i] = ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC;
      } else {
        deletable[i] = true;
      }
    }
  } else if (g->is(GroupState::kEmpty)) {
    deletable.assign(partitions.size(), true);
  } else if (g->protocol_type && *g->protocol_type == kConsumerProtocol) {
    // A consuming group may drop offsets only of topics it does not subscribe to.
    const auto subscribed = g->subscribed_topics();
    for (size_t i = 0; i < partitions.size(); ++i) {
      if (!subscribed || subscribed->count(partitions[i].topic)) {
        r.partitions[i] = ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC;
      } else {
        deletable[i] = true;
      }
    }
  } else {
    r.error = ErrorCode::NON_EMPTY_GROUP;
    r.partitions.clear();
    return r;
  }
  std::vector<RecordToWrite> tombstones;
  std::vector<TopicPartition> removed;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (!deletable[i] || !g->offsets.count(partitions[i])) continue;
    tombstones.push_back({encode_offset_key(group_id, partitions[i]), std::nullopt});
    removed.push_back(partitions[i]);
  }
  if (tombstones.empty()) return r;
  if (ErrorCode e = append(partition_for(group_id, partitions_), tombstones);
      e != ErrorCode::NONE) {
    for (size_t i = 0; i < partitions.size(); ++i)
      if (deletable[i]) r.partitions[i] = commit_store_error(e);
    return r;
  }
  for (const auto& tp : removed) g->offsets.erase(tp);
  return r;
}

std::vector<ErrorCode> GroupCoordinator::commit_transactional_offsets(int64_t producer_id,
                                                                      int16_t producer_epoch,
                                                                      const CommitParams& p) {
  auto all = [&](ErrorCode e) { return std::vector<ErrorCode>(p.offsets.size(), e); };
  if (ErrorCode e = check_group_status(p.group_id, false); e != ErrorCode::NONE) return all(e);
  GroupPtr g = get_or_create(p.group_id);
  if (g->is(GroupState::kDead)) return all(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  if (g->consumer) {
    // A consumer group (KIP-848): the generation is the member epoch; a stale one is
    // ILLEGAL_GENERATION here (TxnOffsetCommit predates STALE_MEMBER_EPOCH).
    ErrorCode e = consumer_validate_commit(*g, p.member_id, p.generation_id);
    if (e == ErrorCode::STALE_MEMBER_EPOCH) e = ErrorCode::ILLEGAL_GENERATION;
    if (e != ErrorCode::NONE) return all(e);
  } else if (p.generation_id >= 0 || !p.member_id.empty() || p.group_instance_id) {
    if (ErrorCode e = validate_member(*g, p.member_id, p.group_instance_id); e != ErrorCode::NONE)
      return all(e);
    if (p.generation_id != g->generation) return all(ErrorCode::ILLEGAL_GENERATION);
  }
  std::vector<ErrorCode> errors(p.offsets.size(), ErrorCode::NONE);
  std::vector<RecordToWrite> recs;
  std::vector<std::pair<size_t, CommittedOffset>> staged;
  const int64_t ts = now();
  for (size_t i = 0; i < p.offsets.size(); ++i) {
    const auto& o = p.offsets[i];
    const std::string metadata = o.metadata.value_or("");
    if (static_cast<int64_t>(metadata.size()) > config_.offset_metadata_max_bytes) {
      errors[i] = ErrorCode::OFFSET_METADATA_TOO_LARGE;
      continue;
    }
    CommittedOffset c{o.offset, o.leader_epoch, metadata, ts, std::nullopt, -1};
    recs.push_back({encode_offset_key(p.group_id, o.tp), encode_offset_value(c)});
    staged.emplace_back(i, std::move(c));
  }
  if (recs.empty()) return errors;
  std::vector<uint8_t> batch = build_batch(recs, ts, producer_id, producer_epoch, true);
  const StoreAppend a = store_.append(partition_for(p.group_id, partitions_), batch);
  if (a.error != ErrorCode::NONE) {
    for (auto& [i, c] : staged) errors[i] = commit_store_error(a.error);
    return errors;
  }
  int64_t at = a.base_offset;
  auto& pending = g->pending_txn_offsets[producer_id];
  for (auto& [i, c] : staged) {
    c.record_offset = at++;
    pending[p.offsets[i].tp] = std::move(c);
  }
  return errors;
}

void GroupCoordinator::complete_transaction(int32_t partition, int64_t producer_id, bool commit) {
  for (auto& [id, g] : groups_) {
    if (partition_for(id, partitions_) != partition) continue;
    auto it = g->pending_txn_offsets.find(producer_id);
    if (it == g->pending_txn_offsets.end()) continue;
    if (commit) {
      for (auto& [tp, c] : it->second) {
        auto cur = g->offsets.find(tp);
        // A plain commit written after the transactional one stays.
        if (cur == g->offsets.end() || cur->second.record_offset < c.record_offset) {
          g->offsets[tp] = c;
        }
      }
    }
    g->pending_txn_offsets.erase(it);
  }
}

// ---- admin ----------------------------------------------------------------------------------

std::vector<ErrorCode> GroupCoordinator::delete_groups(const std::vector<std::string>& group_ids) {
  std::vector<ErrorCode> out;
  for (const auto& id : group_ids) {
    ErrorCode e = check_group_status(id, true);
    if (e != ErrorCode::NONE) {
      out.push_back(e);
      continue;
    }
    Group* g = find(id);
    if (!g || g->is(GroupState::kDead)) {
      out.push_back(ErrorCode::GROUP_ID_NOT_FOUND);
    } else if (!g->is(GroupState::kEmpty) || (g->consumer && !g->consumer->empty())) {
      out.push_back(ErrorCode::NON_EMPTY_GROUP);
    } else {
      out.push_back(delete_group_records(*g));
    }
  }
  return out;
}

ErrorCode GroupCoordinator::delete_group_records(Group& g) {
  std::vector<RecordToWrite> tombstones;
  for (const auto& [tp, c] : g.offsets) tombstones.push_back({encode_offset_key(g.id(), tp), {}});
  tombstones.push_back({encode_group_key(g.id()), {}});
  for (auto& t : consumer_tombstones(g)) tombstones.push_back(std::move(t));
  const ErrorCode e = append(partition_for(g.id(), partitions_), tombstones);
  if (e != ErrorCode::NONE) return group_store_error(e);
  log(LogSeverity::kInfo,
      "Group " + g.id() + " deleted with " + std::to_string(g.offsets.size()) + " offsets");
  transition(g, GroupState::kDead);
  remove_group(g.id());
  return ErrorCode::NONE;
}

GroupDescription GroupCoordinator::describe_group(const std::string& group_id) {
  GroupDescription d;
  d.group_id = group_id;
  d.error = check_group_status(group_id, true);
  if (d.error != ErrorCode::NONE) return d;
  const Group* g = find(group_id);
  if (!g || g->consumer) {
    // A consumer group (KIP-848) is not a classic group: described as Dead, as Kafka does
    // for DescribeGroups before v6. ConsumerGroupDescribe describes it.
    d.state = state_name(GroupState::kDead);
    return d;
  }
  d.state = state_name(g->state);
  d.protocol_type = g->protocol_type.value_or("");
  const bool stable = g->is(GroupState::kStable);
  if (stable) d.protocol_data = g->protocol_name.value_or("");
  for (const auto& [id, m] : g->members) {
    DescribedMember dm;
    dm.member_id = id;
    dm.group_instance_id = m.instance_id;
    dm.client_id = m.client_id;
    dm.client_host = m.client_host;
    if (stable) {
      if (const Bytes* md = m.metadata_for(d.protocol_data)) dm.metadata = *md;
      dm.assignment = m.assignment;
    }
    d.members.push_back(std::move(dm));
  }
  return d;
}

ListGroupsResult GroupCoordinator::list_groups() {
  ListGroupsResult r;
  if (stopped_) {
    r.error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
    return r;
  }
  if (loading_partitions_ > 0) r.error = ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
  for (const auto& [id, g] : groups_) {
    if (g->is(GroupState::kDead) || loading(id)) continue;
    if (g->consumer) {
      r.groups.push_back({id, "consumer", consumer_state_name(g->consumer->state()), "consumer"});
      continue;
    }
    r.groups.push_back({id, g->protocol_type.value_or(""), state_name(g->state), "classic"});
  }
  return r;
}

// ---- retention ------------------------------------------------------------------------------

size_t GroupCoordinator::expire_offsets() {
  if (stopped_ || partitions_ == 0) return 0;
  const int64_t t = now();
  const int64_t retention = config_.offsets_retention_ms;
  size_t removed_total = 0;
  std::vector<std::string> ids;
  for (const auto& [id, g] : groups_) ids.push_back(id);
  for (const auto& id : ids) {
    Group* g = find(id);
    if (!g || loading(id)) continue;
    if (g->consumer && !g->consumer->empty()) continue;  // a consumer group in use
    // Which offsets may expire, and from when retention counts (Kafka's KIP-211 rules).
    enum class Rule { kNone, kSinceEmpty, kSinceCommit };
    Rule rule = Rule::kNone;
    std::optional<std::set<std::string>> keep_topics;
    if (g->consumer) {
      rule = Rule::kSinceEmpty;
    } else if (g->protocol_type && g->is(GroupState::kEmpty)) {
      rule = Rule::kSinceEmpty;
    } else if (g->protocol_type && *g->protocol_type == kConsumerProtocol &&
               g->is(GroupState::kStable)) {
      keep_topics = g->subscribed_topics();
      if (keep_topics) rule = Rule::kSinceCommit;
    } else if (!g->protocol_type) {
      rule = Rule::kSinceCommit;
    }
    std::vector<TopicPartition> expired;
    if (rule != Rule::kNone) {
      for (const auto& [tp, c] : g->offsets) {
        if (keep_topics && keep_topics->count(tp.topic)) continue;
        bool pending = false;
        for (const auto& [pid, offs] : g->pending_txn_offsets) pending |= offs.count(tp) > 0;
        if (pending) continue;
        bool gone;
        if (c.expire_timestamp) {
          gone = t >= *c.expire_timestamp;
        } else {
          const int64_t empty_since =
              g->consumer ? g->consumer->state_timestamp_ms : g->state_timestamp_ms;
          const int64_t base =
              rule == Rule::kSinceEmpty && empty_since >= 0 ? empty_since : c.commit_timestamp;
          gone = t - base >= retention;
        }
        if (gone) expired.push_back(tp);
      }
    }
    const bool dead = g->is(GroupState::kEmpty) && g->members.empty() &&
                      g->offsets.size() == expired.size() && g->pending_txn_offsets.empty();
    if (expired.empty() && !dead) continue;
    std::vector<RecordToWrite> tombstones;
    for (const auto& tp : expired) tombstones.push_back({encode_offset_key(id, tp), {}});
    if (dead) {
      tombstones.push_back({encode_group_key(id), {}});
      for (auto& t : consumer_tombstones(*g)) tombstones.push_back(std::move(t));
    }
    if (append(partition_for(id, partitions_), tombstones) != ErrorCode::NONE) continue;
    for (const auto& tp : expired) g->offsets.erase(tp);
    removed_total += expired.size();
    if (!expired.empty()) {
      log(LogSeverity::kInfo,
          "Group " + id + ": " + std::to_string(expired.size()) + " offsets expired");
    }
    if (dead) {
      transition(*g, GroupState::kDead);
      remove_group(id);
    }
  }
  return removed_total;
}

// ---- persistence ----------------------------------------------------------------------------

proto::GroupMetadataValue GroupCoordinator::group_record(const Group& g) const {
  proto::GroupMetadataValue v;
  v.protocol_type = g.protocol_type.value_or("");
  v.generation = g.generation;
  v.protocol = g.protocol_name;
  v.leader = g.leader_id;
  v.current_state_timestamp = g.state_timestamp_ms;
  for (const auto& [id, m] : g.members) {
    auto& mm = v.members.emplace_back();
    mm.member_id = id;
    mm.group_instance_id = m.instance_id;
    mm.client_id = m.client_id;
    mm.client_host = m.client_host;
    mm.rebalance_timeout = m.rebalance_timeout_ms;
    mm.session_timeout = m.session_timeout_ms;
    if (const Bytes* md = m.metadata_for(g.protocol_name.value_or(""))) mm.subscription = *md;
    mm.assignment = m.assignment;
  }
  return v;
}

ErrorCode GroupCoordinator::append(int32_t partition, const std::vector<RecordToWrite>& recs,
                                   int64_t producer_id, int16_t producer_epoch,
                                   bool transactional) {
  if (stopped_) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  std::vector<uint8_t> batch = build_batch(recs, now(), producer_id, producer_epoch, transactional);
  return store_.append(partition, batch).error;
}

ErrorCode GroupCoordinator::store_group(const Group& g) {
  std::vector<RecordToWrite> recs;
  recs.push_back({encode_group_key(g.id()), encode_group_value(group_record(g))});
  return group_store_error(append(partition_for(g.id(), partitions_), recs));
}

// ---- loading --------------------------------------------------------------------------------

asio::awaitable<void> GroupCoordinator::load_all() {
  std::weak_ptr<bool> alive = alive_;
  const auto started = std::chrono::steady_clock::now();
  for (int32_t p = 0; p < partitions_; ++p) {
    co_await load_partition(p);
    if (alive.expired() || stopped_) co_return;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  size_t offsets = 0;
  for (const auto& [id, g] : groups_) offsets += g->offsets.size();
  log(LogSeverity::kInfo, "Loaded " + std::to_string(groups_.size()) + " groups and " +
                              std::to_string(offsets) + " offsets from __consumer_offsets in " +
                              std::to_string(ms) + " ms");
}

asio::awaitable<void> GroupCoordinator::load_partition(int32_t partition) {
  std::weak_ptr<bool> alive = alive_;
  int64_t next = store_.start_offset(partition);
  const int64_t end = store_.end_offset(partition);
  std::vector<uint8_t> buf;
  while (next < end) {
    buf.clear();
    const ErrorCode e = store_.read(partition, next, std::max(config_.load_buffer_size, 1024), buf);
    if (e != ErrorCode::NONE) {
      log(LogSeverity::kWarn, "Loading __consumer_offsets-" + std::to_string(partition) +
                                  " stopped at offset " + std::to_string(next) + ": error " +
                                  std::to_string(proto::code(e)));
      break;
    }
    if (buf.empty()) break;
    const int64_t before = next;
    replay(partition, buf, next);
    if (next <= before) break;  // no progress: a damaged batch
    // Let requests for other partitions in between chunks.
    co_await asio::post(ex_, asio::use_awaitable);
    if (alive.expired() || stopped_) co_return;
  }
  // Members restored from the log get a full session to come back.
  for (auto& [id, g] : groups_) {
    if (partition_for(id, partitions_) != partition) continue;
    for (auto& [mid, m] : g->members) schedule_heartbeat(*g, m, m.session_timeout_ms);
    consumer_after_load(*g);
  }
  partition_loading_[static_cast<size_t>(partition)] = false;
  --loading_partitions_;
}

void GroupCoordinator::replay(int32_t partition, std::span<const uint8_t> batches,
                              int64_t& next_offset) {
  records::BatchIterator it(batches);
  records::BatchView b;
  std::vector<uint8_t> scratch;
  while (it.next(b)) {
    if (b.magic() != records::kMagicV2) {
      next_offset = std::max(next_offset, b.next_offset());
      continue;
    }
    if (b.next_offset() <= next_offset) continue;  // a batch before where we are
    records::RecordReader rr;
    if (records::open_records(b, scratch, 64u << 20, rr) != records::Error::Ok) {
      log(LogSeverity::kWarn, "Skipping an unreadable batch at offset " +
                                  std::to_string(b.base_offset()) + " of __consumer_offsets-" +
                                  std::to_string(partition));
      next_offset = b.next_offset();
      continue;
    }
    records::RecordView rec;
    while (rr.next(rec)) {
      const int64_t offset = b.base_offset() + rec.offset_delta;
      if (offset < next_offset) continue;
      if (b.is_control()) {
        records::ControlRecord cr;
        if (records::parse_control_record(rec, cr) == records::Error::Ok) {
          complete_transaction(partition, b.producer_id(), cr.type == records::ControlType::Commit);
        }
        continue;
      }
      try {
        if (apply_consumer_record(rec.key, rec.value)) continue;
        CoordinatorRecord r = decode_record(rec.key, rec.value);
        if (b.is_transactional() && r.kind == CoordinatorRecord::Kind::kOffset && r.offset) {
          GroupPtr g = get_or_create(r.group);
          r.offset->record_offset = offset;
          g->pending_txn_offsets[b.producer_id()][r.tp] = *r.offset;
        } else {
          if (r.offset) r.offset->record_offset = offset;
          apply_record(std::move(r));
        }
      } catch (const proto::DecodeError& e) {
        log(LogSeverity::kWarn, "Skipping an undecodable record at offset " +
                                    std::to_string(offset) + " of __consumer_offsets-" +
                                    std::to_string(partition) + ": " + e.what());
      }
    }
    next_offset = b.next_offset();
  }
}

void GroupCoordinator::apply_record(CoordinatorRecord rec) {
  switch (rec.kind) {
    case CoordinatorRecord::Kind::kOffset: {
      if (rec.offset) {
        get_or_create(rec.group)->offsets[rec.tp] = std::move(*rec.offset);
      } else if (Group* g = find(rec.group)) {
        g->offsets.erase(rec.tp);
      }
      break;
    }
    case CoordinatorRecord::Kind::kGroup: {
      if (rec.metadata) {
        restore_group(rec.group, *rec.metadata);
      } else if (Group* g = find(rec.group)) {
        if (g->offsets.empty() && g->pending_txn_offsets.empty()) {
          remove_group(rec.group);
        } else {
          g->members.clear();
          g->static_members.clear();
          g->leader_id.reset();
          g->state = GroupState::kEmpty;
        }
      }
      break;
    }
    case CoordinatorRecord::Kind::kOther:
      break;
  }
}

void GroupCoordinator::restore_group(const std::string& id, const proto::GroupMetadataValue& v) {
  GroupPtr g = get_or_create(id);
  g->members.clear();
  g->static_members.clear();
  g->pending_sync.clear();
  g->generation = v.generation;
  g->protocol_type =
      v.protocol_type.empty() ? std::nullopt : std::optional<std::string>(v.protocol_type);
  g->protocol_name = v.protocol && !v.protocol->empty() ? v.protocol : std::nullopt;
  g->leader_id = v.leader && !v.leader->empty() ? v.leader : std::nullopt;
  g->state = v.members.empty() ? GroupState::kEmpty : GroupState::kStable;
  g->state_timestamp_ms = v.current_state_timestamp >= 0 ? v.current_state_timestamp : now();
  for (const auto& mm : v.members) {
    Member m;
    m.id = mm.member_id;
    m.instance_id = mm.group_instance_id;
    m.client_id = mm.client_id;
    m.client_host = mm.client_host;
    m.rebalance_timeout_ms = mm.rebalance_timeout >= 0 ? mm.rebalance_timeout : mm.session_timeout;
    m.session_timeout_ms = mm.session_timeout;
    m.protocol_type = v.protocol_type;
    if (g->protocol_name) m.protocols.push_back({*g->protocol_name, mm.subscription});
    m.assignment = mm.assignment;
    g->add_member(std::move(m));
  }
  if (v.leader && !v.leader->empty()) g->leader_id = v.leader;
}

}  // namespace fjord::coordinator
