// The group state machine, offsets and persistence, on a real io_context (timers run for real,
// with timeouts of a few tens of milliseconds) over an in-memory PartitionStore. The wall
// clock used for commit timestamps and retention is a variable the tests move.
#include "coordinator/group_coordinator.h"

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include "codec/writer.h"
#include "coordinator/tests/fake_store.h"

using namespace fjord;
using namespace fjord::coordinator;
using fjord::coordinator::testing::FakeStore;
using std::chrono::milliseconds;

namespace {

template <class T>
struct Pending {
  std::shared_ptr<std::optional<T>> slot = std::make_shared<std::optional<T>>();
  bool done() const { return slot->has_value(); }
  T& get() {
    REQUIRE(done());
    return **slot;
  }
};

Bytes subscription(const std::vector<std::string>& topics) {
  proto::ConsumerProtocolSubscription s;
  s.topics = topics;
  proto::Writer w;
  w.write_int16(0);
  s.encode(w, 0);
  return w.buffer();
}

struct Harness {
  asio::io_context io;
  FakeStore store;
  CoordinatorConfig cfg;
  int64_t clock = 1'700'000'000'000;
  std::unique_ptr<GroupCoordinator> c;

  Harness() {
    cfg.offsets_topic_partitions = 4;
    cfg.initial_rebalance_delay_ms = 0;
    cfg.min_session_timeout_ms = 10;
    make();
  }
  ~Harness() {
    if (c) c->shutdown();
    settle();
  }

  void make() {
    if (c) c->shutdown();
    c = std::make_unique<GroupCoordinator>(io.get_executor(), store, cfg,
                                           CoordinatorHooks{[this] { return clock; }, {}});
    c->start();
  }
  // Runs what is ready, plus timers due within `ms`.
  void settle(int ms = 5) {
    io.restart();
    io.run_for(milliseconds(ms));
  }

  JoinParams params(const std::string& group, const std::string& member = "",
                    int32_t session_ms = 2000, int32_t rebalance_ms = 2000) {
    JoinParams p;
    p.group_id = group;
    p.member_id = member;
    p.client_id = "client";
    p.client_host = "/127.0.0.1";
    p.protocol_type = "consumer";
    p.protocols = {{"range", subscription({"t"})}, {"roundrobin", subscription({"t"})}};
    p.session_timeout_ms = session_ms;
    p.rebalance_timeout_ms = rebalance_ms;
    p.require_known_member_id = true;
    return p;
  }

  Pending<JoinResult> join(JoinParams p) {
    Pending<JoinResult> out;
    asio::co_spawn(io, c->join_group(std::move(p)),
                   [slot = out.slot](std::exception_ptr e, JoinResult r) {
                     if (e) std::rethrow_exception(e);
                     *slot = std::move(r);
                   });
    settle();
    return out;
  }
  Pending<SyncResult> sync(const std::string& group, const std::string& member, int32_t gen,
                           std::vector<std::pair<std::string, Bytes>> assignments = {}) {
    SyncParams p;
    p.group_id = group;
    p.member_id = member;
    p.generation_id = gen;
    p.assignments = std::move(assignments);
    Pending<SyncResult> out;
    asio::co_spawn(io, c->sync_group(std::move(p)),
                   [slot = out.slot](std::exception_ptr e, SyncResult r) {
                     if (e) std::rethrow_exception(e);
                     *slot = std::move(r);
                   });
    settle();
    return out;
  }
  // First join of a v4+ member: MEMBER_ID_REQUIRED, then the join with the given id.
  std::pair<std::string, Pending<JoinResult>> join_new(const std::string& group,
                                                       int32_t session_ms = 2000) {
    auto first = join(params(group, "", session_ms, session_ms));
    REQUIRE(first.done());
    CHECK(first.get().error == ErrorCode::MEMBER_ID_REQUIRED);
    const std::string id = first.get().member_id;
    CHECK(id.rfind("client-", 0) == 0);
    return {id, join(params(group, id, session_ms, session_ms))};
  }
  ErrorCode heartbeat(const std::string& group, const std::string& member, int32_t gen,
                      std::optional<std::string> instance = std::nullopt) {
    return c->heartbeat(HeartbeatParams{group, member, std::move(instance), gen});
  }
  GroupState state(const std::string& group) {
    const Group* g = c->find_group(group);
    return g ? g->state : GroupState::kDead;
  }
  std::vector<ErrorCode> commit(const std::string& group, const std::string& member, int32_t gen,
                                std::vector<std::pair<TopicPartition, int64_t>> offsets,
                                std::optional<std::string> metadata = std::string("m")) {
    CommitParams p;
    p.group_id = group;
    p.member_id = member;
    p.generation_id = gen;
    for (auto& [tp, off] : offsets) p.offsets.push_back({tp, off, -1, metadata, -1});
    return c->commit_offsets(p);
  }
  int64_t committed(const std::string& group, const TopicPartition& tp) {
    auto r = c->fetch_offsets(group, std::vector<TopicPartition>{tp}, false);
    REQUIRE(r.error == ErrorCode::NONE);
    REQUIRE(r.offsets.size() == 1);
    return r.offsets[0].offset;
  }
};

// Two members in a stable group "g": returns (leader id, follower id, generation).
struct TwoMembers {
  std::string leader, follower;
  int32_t generation;
};

// Timeouts (session and rebalance) are `timeout_ms`.
TwoMembers stable_pair(Harness& h, int32_t timeout_ms = 2000) {
  auto [a, ja] = h.join_new("g", timeout_ms);
  REQUIRE(ja.done());  // no initial delay: the lone member completes the rebalance at once
  auto [b, jb] = h.join_new("g", timeout_ms);
  CHECK(!jb.done());  // held until a rejoins
  CHECK(h.heartbeat("g", a, ja.get().generation_id) == ErrorCode::REBALANCE_IN_PROGRESS);
  auto ja2 = h.join(h.params("g", a, timeout_ms, timeout_ms));
  REQUIRE(ja2.done());
  REQUIRE(jb.done());
  const int32_t gen = ja2.get().generation_id;
  CHECK(jb.get().generation_id == gen);
  const std::string leader = ja2.get().leader_id;
  const std::string follower = leader == a ? b : a;
  auto sl = h.sync("g", leader, gen, {{leader, Bytes{1}}, {follower, Bytes{2}}});
  auto sf = h.sync("g", follower, gen);
  REQUIRE(sl.done());
  REQUIRE(sf.done());
  CHECK(h.state("g") == GroupState::kStable);
  return {leader, follower, gen};
}

}  // namespace

TEST_CASE("a single member joins, leads, syncs and heartbeats") {
  Harness h;
  auto [id, j] = h.join_new("g");
  REQUIRE(j.done());
  JoinResult& r = j.get();
  CHECK(r.error == ErrorCode::NONE);
  CHECK(r.member_id == id);
  CHECK(r.generation_id == 1);
  CHECK(r.leader_id == id);
  CHECK(r.protocol_name == std::optional<std::string>("range"));
  CHECK(r.protocol_type == std::optional<std::string>("consumer"));
  REQUIRE(r.members.size() == 1);
  CHECK(r.members[0].metadata == subscription({"t"}));
  CHECK(h.state("g") == GroupState::kCompletingRebalance);
  CHECK(h.heartbeat("g", id, 1) == ErrorCode::NONE);

  auto s = h.sync("g", id, 1, {{id, Bytes{7, 7}}});
  REQUIRE(s.done());
  CHECK(s.get().error == ErrorCode::NONE);
  CHECK(s.get().assignment == Bytes{7, 7});
  CHECK(s.get().protocol_name == std::optional<std::string>("range"));
  CHECK(h.state("g") == GroupState::kStable);
  CHECK(h.heartbeat("g", id, 1) == ErrorCode::NONE);
  CHECK(h.heartbeat("g", id, 0) == ErrorCode::ILLEGAL_GENERATION);
  CHECK(h.heartbeat("g", "nobody", 1) == ErrorCode::UNKNOWN_MEMBER_ID);
  CHECK(h.heartbeat("other", id, 1) == ErrorCode::UNKNOWN_MEMBER_ID);
  CHECK(h.heartbeat("", id, 1) == ErrorCode::INVALID_GROUP_ID);

  // A repeated SyncGroup in Stable returns the stored assignment.
  auto again = h.sync("g", id, 1);
  REQUIRE(again.done());
  CHECK(again.get().assignment == Bytes{7, 7});
  // The topic was created on first use, and the assignment was written to it.
  CHECK(h.store.creates == 1);
  CHECK(h.store.partition_count() == 4);
  CHECK(h.store.appends >= 1);
}

TEST_CASE("join errors: session timeout, protocol, unknown member, v0-3 without the round trip") {
  Harness h;
  auto p = h.params("g");
  p.session_timeout_ms = 5;
  auto r = h.join(p);
  CHECK(r.get().error == ErrorCode::INVALID_SESSION_TIMEOUT);
  p = h.params("g");
  p.protocols.clear();
  CHECK(h.join(p).get().error == ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  CHECK(h.c->find_group("g") == nullptr);  // the failed first join left nothing behind
  CHECK(h.join(h.params("g", "made-up")).get().error == ErrorCode::UNKNOWN_MEMBER_ID);
  CHECK(h.join(h.params("")).get().error == ErrorCode::INVALID_GROUP_ID);

  // JoinGroup v0-3: no MEMBER_ID_REQUIRED, the member is in at once.
  p = h.params("old");
  p.require_known_member_id = false;
  auto j = h.join(p);
  REQUIRE(j.done());
  CHECK(j.get().error == ErrorCode::NONE);
  CHECK(!j.get().member_id.empty());

  // A member of another protocol type cannot join a group that has members.
  p = h.params("old");
  p.protocol_type = "connect";
  p.require_known_member_id = false;
  CHECK(h.join(p).get().error == ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  // Nor one with no protocol in common.
  p = h.params("old");
  p.protocols = {{"sticky", Bytes{}}};
  p.require_known_member_id = false;
  CHECK(h.join(p).get().error == ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
}

TEST_CASE("two members: the follower's SyncGroup waits for the leader's assignment") {
  Harness h;
  auto [a, ja] = h.join_new("g");
  auto sa = h.sync("g", a, 1, {{a, Bytes{1}}});
  REQUIRE(sa.done());
  auto [b, jb] = h.join_new("g");
  CHECK(!jb.done());
  CHECK(h.state("g") == GroupState::kPreparingRebalance);
  CHECK(h.heartbeat("g", a, 1) == ErrorCode::REBALANCE_IN_PROGRESS);
  // An offset commit from the old generation is still accepted while preparing.
  CHECK(h.commit("g", a, 1, {{{"t", 0}, 5}}) == std::vector<ErrorCode>{ErrorCode::NONE});
  auto ja2 = h.join(h.params("g", a));
  REQUIRE(ja2.done());
  REQUIRE(jb.done());
  CHECK(ja2.get().generation_id == 2);
  CHECK(jb.get().generation_id == 2);
  CHECK(ja2.get().leader_id == a);  // the leader stays while it rejoins
  CHECK(jb.get().leader_id == a);
  CHECK(ja2.get().members.size() == 2);
  CHECK(jb.get().members.empty());

  // The follower syncs first and waits.
  auto sb = h.sync("g", b, 2);
  CHECK(!sb.done());
  CHECK(h.commit("g", b, 2, {{{"t", 0}, 6}})[0] == ErrorCode::REBALANCE_IN_PROGRESS);
  CHECK(h.sync("g", b, 1).get().error == ErrorCode::ILLEGAL_GENERATION);
  auto sl = h.sync("g", a, 2, {{a, Bytes{0xA}}, {b, Bytes{0xB}}});
  REQUIRE(sl.done());
  REQUIRE(sb.done());
  CHECK(sl.get().assignment == Bytes{0xA});
  CHECK(sb.get().assignment == Bytes{0xB});
  CHECK(h.state("g") == GroupState::kStable);
  // A member whose SyncGroup comes after the leader's gets its part too.
  auto late = h.sync("g", b, 2);
  REQUIRE(late.done());
  CHECK(late.get().assignment == Bytes{0xB});
}

TEST_CASE("the leader's missing assignments become empty ones") {
  Harness h;
  auto t = stable_pair(h);
  auto j1 = h.join(h.params("g", t.leader));
  auto j2 = h.join(h.params("g", t.follower));
  REQUIRE(j1.done());
  REQUIRE(j2.done());
  const int32_t gen = j1.get().generation_id;
  auto sf = h.sync("g", t.follower, gen);
  auto sl = h.sync("g", t.leader, gen, {{t.leader, Bytes{1}}});
  REQUIRE(sf.done());
  CHECK(sf.get().error == ErrorCode::NONE);
  CHECK(sf.get().assignment.empty());
}

TEST_CASE(
    "a rebalance during CompletingRebalance answers waiting syncs with REBALANCE_IN_PROGRESS") {
  Harness h;
  auto t = stable_pair(h);
  auto j1 = h.join(h.params("g", t.leader));
  auto j2 = h.join(h.params("g", t.follower));
  const int32_t gen = j1.get().generation_id;
  CHECK(h.state("g") == GroupState::kCompletingRebalance);
  auto sf = h.sync("g", t.follower, gen);
  CHECK(!sf.done());
  // A third member arrives before the leader syncs.
  auto [c3, j3] = h.join_new("g");
  REQUIRE(sf.done());
  CHECK(sf.get().error == ErrorCode::REBALANCE_IN_PROGRESS);
  CHECK(h.state("g") == GroupState::kPreparingRebalance);
  (void)j2;
  (void)c3;
  (void)j3;
}

TEST_CASE("LeaveGroup triggers a rebalance; unknown members get UNKNOWN_MEMBER_ID") {
  Harness h;
  auto t = stable_pair(h);
  auto r = h.c->leave_group("g", {{t.follower, std::nullopt, "bye"}, {"ghost", std::nullopt, ""}});
  CHECK(r.error == ErrorCode::NONE);
  CHECK(r.members == std::vector<ErrorCode>{ErrorCode::NONE, ErrorCode::UNKNOWN_MEMBER_ID});
  CHECK(h.state("g") == GroupState::kPreparingRebalance);
  auto j = h.join(h.params("g", t.leader));
  REQUIRE(j.done());
  CHECK(j.get().generation_id == t.generation + 1);
  CHECK(j.get().members.size() == 1);
  // The last member leaves: the group becomes Empty in a new generation.
  auto s = h.sync("g", t.leader, t.generation + 1, {{t.leader, Bytes{}}});
  REQUIRE(s.done());
  r = h.c->leave_group("g", {{t.leader, std::nullopt, ""}});
  CHECK(r.members == std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(h.state("g") == GroupState::kEmpty);
  CHECK(h.c->find_group("g")->generation == t.generation + 2);
  r = h.c->leave_group("nope", {{"x", std::nullopt, ""}});
  CHECK(r.members == std::vector<ErrorCode>{ErrorCode::UNKNOWN_MEMBER_ID});
}

TEST_CASE("a member that stops heartbeating is removed after its session timeout") {
  Harness h;
  auto t = stable_pair(h, 300);
  // Only the leader heartbeats for a while; the follower's 300 ms session runs out.
  for (int i = 0; i < 60; ++i) {
    const ErrorCode e = h.heartbeat("g", t.leader, t.generation);
    if (e != ErrorCode::NONE) {
      CHECK(e == ErrorCode::REBALANCE_IN_PROGRESS);
      break;
    }
    h.settle(50);
  }
  CHECK(h.state("g") == GroupState::kPreparingRebalance);
  CHECK(!h.c->find_group("g")->has_member(t.follower));
  auto j = h.join(h.params("g", t.leader, 300, 300));
  REQUIRE(j.done());
  CHECK(j.get().members.size() == 1);
  CHECK(h.heartbeat("g", t.follower, t.generation) == ErrorCode::UNKNOWN_MEMBER_ID);
}

TEST_CASE("a member that does not rejoin within the rebalance timeout is dropped") {
  Harness h;
  auto t = stable_pair(h, 200);
  auto j = h.join(h.params("g", t.leader, 5000, 100));  // the leader asks for a rebalance
  CHECK(!j.done());
  h.settle(600);  // the rebalance timeout (200 ms, the largest) passes without the follower
  REQUIRE(j.done());
  CHECK(j.get().generation_id == t.generation + 1);
  CHECK(j.get().members.size() == 1);
  CHECK(!h.c->find_group("g")->has_member(t.follower));
}

TEST_CASE("members that never sync are removed after the rebalance timeout") {
  Harness h;
  auto [a, ja] = h.join_new("g", 200);
  REQUIRE(ja.done());
  CHECK(h.state("g") == GroupState::kCompletingRebalance);
  h.settle(600);  // no SyncGroup within the 200 ms rebalance timeout
  CHECK(h.c->find_group("g")->members.empty());
  CHECK(h.state("g") == GroupState::kEmpty);
}

TEST_CASE("pending members (MEMBER_ID_REQUIRED) expire after the session timeout") {
  Harness h;
  auto [a, ja] = h.join_new("g");
  auto sa = h.sync("g", a, 1, {{a, Bytes{}}});
  auto first = h.join(h.params("g", "", 200, 200));
  CHECK(first.get().error == ErrorCode::MEMBER_ID_REQUIRED);
  CHECK(h.c->find_group("g")->pending_members.size() == 1);
  h.settle(600);
  CHECK(h.c->find_group("g")->pending_members.empty());
}

TEST_CASE("group.initial.rebalance.delay.ms lets the first members arrive together") {
  Harness h;
  h.cfg.initial_rebalance_delay_ms = 300;
  h.make();
  auto [a, ja] = h.join_new("g", 5000);
  CHECK(!ja.done());
  auto [b, jb] = h.join_new("g", 5000);
  CHECK(!jb.done());
  h.settle(450);
  CHECK(!ja.done());  // a member arrived during the delay: it is extended once
  h.settle(400);
  REQUIRE(ja.done());
  REQUIRE(jb.done());
  CHECK(ja.get().generation_id == 1);
  CHECK(jb.get().generation_id == 1);
}

TEST_CASE("protocol choice follows the members' votes") {
  Harness h;
  auto p1 = h.params("g");
  p1.require_known_member_id = false;
  p1.protocols = {{"roundrobin", Bytes{1}}, {"range", Bytes{2}}};
  auto j1 = h.join(p1);
  REQUIRE(j1.done());
  CHECK(j1.get().protocol_name == std::optional<std::string>("roundrobin"));
  auto s1 = h.sync("g", j1.get().member_id, 1, {});
  // Two more members prefer range: range wins the next generation.
  auto p2 = h.params("g");
  p2.require_known_member_id = false;
  p2.protocols = {{"range", Bytes{3}}, {"roundrobin", Bytes{4}}};
  auto j2 = h.join(p2);
  auto j3 = h.join(p2);
  auto j1b = h.join([&] {
    auto p = p1;
    p.member_id = j1.get().member_id;
    return p;
  }());
  REQUIRE(j1b.done());
  CHECK(j1b.get().protocol_name == std::optional<std::string>("range"));
  // The leader receives every member's metadata for the chosen protocol.
  std::set<std::string> md;
  for (const auto& m : j1b.get().members)
    md.insert(std::string(m.metadata.begin(), m.metadata.end()));
  CHECK(md == std::set<std::string>{"\x02", "\x03"});
  (void)j2;
  (void)j3;
}

TEST_CASE("group.max.size") {
  Harness h;
  h.cfg.max_group_size = 1;
  h.make();
  auto [a, ja] = h.join_new("g");
  REQUIRE(ja.done());
  // The group is full: a new member is refused before it even gets an id.
  auto second = h.join(h.params("g"));
  CHECK(second.get().error == ErrorCode::GROUP_MAX_SIZE_REACHED);
  CHECK(h.c->find_group("g")->pending_members.empty());
  // While preparing a rebalance, members beyond the limit that rejoin are turned away.
  h.cfg.max_group_size = 2;
  h.make();
  auto [x, jx] = h.join_new("m");
  auto [y, jy] = h.join_new("m");
  REQUIRE(jx.done());
  auto pending = h.join(h.params("m"));
  CHECK(pending.get().error == ErrorCode::MEMBER_ID_REQUIRED);
  auto jx2 = h.join(h.params("m", x));
  CHECK(!jx2.done());  // the rebalance waits for the pending member
  // x and y both await the join: the third member is turned away, and the rebalance ends.
  auto third = h.join(h.params("m", pending.get().member_id));
  CHECK(third.get().error == ErrorCode::GROUP_MAX_SIZE_REACHED);
  REQUIRE(jx2.done());
  REQUIRE(jy.done());
  CHECK(jx2.get().members.size() == 2);
}

TEST_CASE("static members rejoin without a rebalance and fence their old id") {
  Harness h;
  auto p = h.params("s");
  p.group_instance_id = "inst-1";
  auto j = h.join(p);
  REQUIRE(j.done());
  CHECK(j.get().error == ErrorCode::NONE);  // static members skip MEMBER_ID_REQUIRED
  const std::string old_id = j.get().member_id;
  CHECK(old_id.rfind("inst-1-", 0) == 0);
  auto s = h.sync("s", old_id, 1, {{old_id, Bytes{9}}});
  REQUIRE(s.done());
  CHECK(h.state("s") == GroupState::kStable);

  // The same instance restarts: a new member id, same generation, no rebalance.
  auto again = h.join(p);
  REQUIRE(again.done());
  CHECK(again.get().error == ErrorCode::NONE);
  const std::string new_id = again.get().member_id;
  CHECK(new_id != old_id);
  CHECK(again.get().generation_id == 1);
  CHECK(again.get().leader_id == old_id);  // pre-v9: the old leader id, so no reassignment
  CHECK(h.state("s") == GroupState::kStable);
  auto s2 = h.sync("s", new_id, 1);
  REQUIRE(s2.done());
  CHECK(s2.get().assignment == Bytes{9});
  CHECK(h.heartbeat("s", old_id, 1, "inst-1") == ErrorCode::FENCED_INSTANCE_ID);
  CHECK(h.heartbeat("s", old_id, 1) == ErrorCode::UNKNOWN_MEMBER_ID);
  CHECK(h.heartbeat("s", new_id, 1, "inst-1") == ErrorCode::NONE);
  CHECK(h.heartbeat("s", new_id, 1, "inst-2") == ErrorCode::UNKNOWN_MEMBER_ID);

  // v9: the rejoining static leader learns it leads and that it may skip the assignment.
  p.supports_skip_assignment = true;
  auto v9 = h.join(p);
  REQUIRE(v9.done());
  CHECK(v9.get().leader_id == v9.get().member_id);
  CHECK(v9.get().skip_assignment);
  CHECK(v9.get().members.size() == 1);

  // Admin removal by instance id (LeaveGroup v3+ with an empty member id).
  auto r = h.c->leave_group("s", {{"", std::string("inst-1"), ""}});
  CHECK(r.members == std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(h.state("s") == GroupState::kEmpty);
}

TEST_CASE("offset commits: simple groups, generations and member checks") {
  Harness h;
  const TopicPartition tp{"t", 0};
  // A group with no members, as admin tools and assign() consumers commit.
  CHECK(h.commit("simple", "", -1, {{tp, 10}}) == std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(h.committed("simple", tp) == 10);
  CHECK(h.state("simple") == GroupState::kEmpty);
  CHECK(h.committed("simple", {"t", 1}) == -1);
  CHECK(h.committed("nobody", tp) == -1);
  // A generation for a group that does not exist is from the past.
  CHECK(h.commit("ghost", "m", 3, {{tp, 1}})[0] == ErrorCode::ILLEGAL_GENERATION);
  CHECK(h.c->find_group("ghost") == nullptr);
  // The empty group id is accepted for offsets, as Kafka does.
  CHECK(h.commit("", "", -1, {{tp, 4}})[0] == ErrorCode::NONE);
  CHECK(h.committed("", tp) == 4);

  auto t = stable_pair(h);
  CHECK(h.commit("g", t.leader, t.generation, {{tp, 100}})[0] == ErrorCode::NONE);
  CHECK(h.commit("g", t.leader, t.generation - 1, {{tp, 1}})[0] == ErrorCode::ILLEGAL_GENERATION);
  CHECK(h.commit("g", "stranger", t.generation, {{tp, 1}})[0] == ErrorCode::UNKNOWN_MEMBER_ID);
  CHECK(h.commit("g", "", -1, {{tp, 1}})[0] == ErrorCode::UNKNOWN_MEMBER_ID);
  CHECK(h.committed("g", tp) == 100);

  // Metadata: null is stored as "", too long is refused per partition.
  CHECK(h.commit("simple", "", -1, {{tp, 11}}, std::nullopt)[0] == ErrorCode::NONE);
  auto f = h.c->fetch_offsets("simple", std::nullopt, false);
  REQUIRE(f.offsets.size() == 1);
  CHECK(f.offsets[0].metadata.empty());
  CHECK(h.commit("simple", "", -1, {{tp, 12}, {{"t", 1}, 13}}, std::string(5000, 'x')) ==
        std::vector<ErrorCode>{ErrorCode::OFFSET_METADATA_TOO_LARGE,
                               ErrorCode::OFFSET_METADATA_TOO_LARGE});
  CHECK(h.committed("simple", tp) == 11);

  // A storage failure maps to Kafka's coordinator errors.
  h.store.fail_appends = ErrorCode::KAFKA_STORAGE_ERROR;
  CHECK(h.commit("simple", "", -1, {{tp, 14}})[0] == ErrorCode::NOT_COORDINATOR);
  h.store.fail_appends = ErrorCode::NONE;
  CHECK(h.committed("simple", tp) == 11);
}

TEST_CASE("OffsetFetch of all partitions, OffsetDelete and DeleteGroups") {
  Harness h;
  CHECK(h.commit("a", "", -1, {{{"t", 0}, 1}, {{"t", 1}, 2}, {{"u", 0}, 3}})[0] == ErrorCode::NONE);
  auto all = h.c->fetch_offsets("a", std::nullopt, false);
  CHECK(all.offsets.size() == 3);

  auto d = h.c->delete_offsets("a", {{"t", 1}, {"zz", 0}});
  CHECK(d.error == ErrorCode::NONE);
  CHECK(d.partitions == std::vector<ErrorCode>{ErrorCode::NONE, ErrorCode::NONE});
  CHECK(h.committed("a", {"t", 1}) == -1);
  CHECK(h.c->delete_offsets("missing", {{"t", 0}}).error == ErrorCode::GROUP_ID_NOT_FOUND);

  // A consuming group keeps the offsets of topics it subscribes to ("t").
  auto t = stable_pair(h);
  CHECK(h.commit("g", t.leader, t.generation, {{{"t", 0}, 5}, {{"other", 0}, 6}})[0] ==
        ErrorCode::NONE);
  d = h.c->delete_offsets("g", {{"t", 0}, {"other", 0}});
  CHECK(d.partitions ==
        std::vector<ErrorCode>{ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode::NONE});
  CHECK(h.committed("g", {"t", 0}) == 5);
  CHECK(h.committed("g", {"other", 0}) == -1);

  auto del = h.c->delete_groups({"a", "g", "missing"});
  CHECK(del == std::vector<ErrorCode>{ErrorCode::NONE, ErrorCode::NON_EMPTY_GROUP,
                                      ErrorCode::GROUP_ID_NOT_FOUND});
  CHECK(h.c->find_group("a") == nullptr);
  CHECK(h.committed("a", {"t", 0}) == -1);
  // The deletion is in the log as tombstones.
  const int32_t part = partition_for("a", 4);
  int tombstones = 0;
  for (auto& [k, v] : h.store.records_of(part)) {
    auto r = decode_record(
        records::BytesView::of(std::span<const uint8_t>(k)),
        v ? records::BytesView::of(std::span<const uint8_t>(*v)) : records::BytesView::null());
    if (r.group == "a" && !v) ++tombstones;
  }
  CHECK(tombstones == 4);  // three offsets (one deleted earlier, then two) and the group
}

TEST_CASE("DescribeGroups and ListGroups") {
  Harness h;
  auto t = stable_pair(h);
  CHECK(h.commit("simple", "", -1, {{{"t", 0}, 1}})[0] == ErrorCode::NONE);
  GroupDescription d = h.c->describe_group("g");
  CHECK(d.error == ErrorCode::NONE);
  CHECK(d.state == "Stable");
  CHECK(d.protocol_type == "consumer");
  CHECK(d.protocol_data == "range");
  REQUIRE(d.members.size() == 2);
  for (const auto& m : d.members) {
    CHECK(m.client_host == "/127.0.0.1");
    CHECK(m.metadata == subscription({"t"}));
    CHECK(m.assignment == (m.member_id == t.leader ? Bytes{1} : Bytes{2}));
  }
  CHECK(h.c->describe_group("unknown").state == "Dead");
  CHECK(h.c->describe_group("simple").state == "Empty");
  auto l = h.c->list_groups();
  CHECK(l.error == ErrorCode::NONE);
  REQUIRE(l.groups.size() == 2);
  std::map<std::string, std::string> states;
  for (auto& g : l.groups) states[g.group_id] = g.state + "/" + g.protocol_type;
  CHECK(states["g"] == "Stable/consumer");
  CHECK(states["simple"] == "Empty/");
}

TEST_CASE("groups and offsets survive a restart of the coordinator") {
  Harness h;
  auto t = stable_pair(h, 400);
  CHECK(h.commit("g", t.leader, t.generation, {{{"t", 0}, 42}})[0] == ErrorCode::NONE);
  CHECK(h.commit("simple", "", -1, {{{"t", 3}, 7}})[0] == ErrorCode::NONE);
  CHECK(h.commit("gone", "", -1, {{{"t", 3}, 7}})[0] == ErrorCode::NONE);
  CHECK(h.c->delete_groups({"gone"})[0] == ErrorCode::NONE);
  CHECK(h.commit("simple", "", -1, {{{"t", 3}, 8}})[0] == ErrorCode::NONE);

  h.make();  // a new coordinator over the same log
  // Until the replay has run, the groups' partitions answer COORDINATOR_LOAD_IN_PROGRESS.
  CHECK(h.c->fetch_offsets("g", std::nullopt, false).error ==
        ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  CHECK(h.heartbeat("g", t.leader, t.generation) == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  CHECK(h.c->list_groups().error == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  h.settle();
  CHECK(h.c->fully_loaded());
  CHECK(h.committed("g", {"t", 0}) == 42);
  CHECK(h.committed("simple", {"t", 3}) == 8);
  CHECK(h.c->find_group("gone") == nullptr);
  // The stable group comes back with its members, generation and assignments.
  const Group* g = h.c->find_group("g");
  REQUIRE(g);
  CHECK(g->state == GroupState::kStable);
  CHECK(g->generation == t.generation);
  CHECK(g->members.size() == 2);
  CHECK(g->is_leader(t.leader));
  CHECK(h.heartbeat("g", t.leader, t.generation) == ErrorCode::NONE);
  auto s = h.sync("g", t.follower, t.generation);
  REQUIRE(s.done());
  CHECK(s.get().assignment == Bytes{2});
  // Members that do not come back expire after their session timeout.
  h.settle(1200);
  CHECK(h.state("g") == GroupState::kEmpty);
  CHECK(h.committed("g", {"t", 0}) == 42);
}

TEST_CASE("a stored group whose members left loads as Empty") {
  Harness h;
  auto t = stable_pair(h);
  h.c->leave_group("g", {{t.leader, std::nullopt, ""}, {t.follower, std::nullopt, ""}});
  CHECK(h.state("g") == GroupState::kEmpty);
  h.make();
  h.settle();
  REQUIRE(h.c->find_group("g"));
  CHECK(h.state("g") == GroupState::kEmpty);
  CHECK(h.c->find_group("g")->generation == t.generation + 1);
  // An empty group accepts a new member and starts a new generation.
  auto [a, ja] = h.join_new("g");
  REQUIRE(ja.done());
  CHECK(ja.get().generation_id == t.generation + 2);
}

TEST_CASE("offsets.retention.minutes expires offsets of empty groups") {
  Harness h;
  h.cfg.offsets_retention_ms = 60'000;
  h.make();
  CHECK(h.commit("simple", "", -1, {{{"t", 0}, 1}})[0] == ErrorCode::NONE);
  h.clock += 30'000;
  CHECK(h.commit("simple", "", -1, {{{"t", 1}, 2}})[0] == ErrorCode::NONE);
  auto t = stable_pair(h);
  CHECK(h.commit("g", t.leader, t.generation, {{{"t", 0}, 9}, {{"old", 0}, 9}})[0] ==
        ErrorCode::NONE);
  h.clock += 40'000;  // t-0 of "simple" is 70 s old, t-1 and g's offsets 40 s
  CHECK(h.c->expire_offsets() == 1);
  CHECK(h.committed("simple", {"t", 0}) == -1);
  CHECK(h.committed("simple", {"t", 1}) == 2);
  h.clock += 30'000;
  // simple t-1, and g's offset of a topic it does not subscribe to; "t" stays while the
  // group is stable and subscribes to it.
  CHECK(h.c->expire_offsets() == 2);
  CHECK(h.committed("g", {"t", 0}) == 9);
  CHECK(h.c->find_group("simple") == nullptr);  // empty and without offsets: gone
  // Nothing comes back after a restart.
  h.make();
  h.settle();
  CHECK(h.c->find_group("simple") == nullptr);
  CHECK(h.committed("g", {"t", 0}) == 9);
  CHECK(h.committed("g", {"old", 0}) == -1);
}

TEST_CASE("transactional offsets stay pending until the marker") {
  Harness h;
  CommitParams p;
  p.group_id = "tx";
  p.offsets.push_back({{"t", 0}, 50, -1, std::string(), -1});
  CHECK(h.c->commit_transactional_offsets(1000, 0, p) == std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(h.committed("tx", {"t", 0}) == -1);
  auto stable = h.c->fetch_offsets("tx", std::vector<TopicPartition>{{"t", 0}}, true);
  CHECK(stable.offsets[0].error == ErrorCode::UNSTABLE_OFFSET_COMMIT);
  h.c->complete_transaction(partition_for("tx", 4), 1000, true);
  CHECK(h.committed("tx", {"t", 0}) == 50);
  stable = h.c->fetch_offsets("tx", std::vector<TopicPartition>{{"t", 0}}, true);
  CHECK(stable.offsets[0].error == ErrorCode::NONE);

  // An aborted transaction leaves nothing.
  p.offsets[0].offset = 60;
  h.c->commit_transactional_offsets(1001, 0, p);
  h.c->complete_transaction(partition_for("tx", 4), 1001, false);
  CHECK(h.committed("tx", {"t", 0}) == 50);
}
