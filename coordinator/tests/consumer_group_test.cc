// The consumer group protocol (KIP-848) state machine: joins, epochs, revocation before
// reassignment, leave, static members, session expiry, errors and restore after a restart, on a
// real io_context over the in-memory PartitionStore.
#include <doctest/doctest.h>

#include <asio/io_context.hpp>

#include "coordinator/group_coordinator.h"
#include "coordinator/tests/fake_store.h"

using namespace fjord;
using namespace fjord::coordinator;
using fjord::coordinator::testing::FakeStore;
using std::chrono::milliseconds;

namespace {

proto::Uuid uuid(uint8_t b) {
  proto::Uuid u;
  u.bytes[15] = b;
  return u;
}

struct CgHarness {
  asio::io_context io;
  FakeStore store;
  CoordinatorConfig cfg;
  std::unique_ptr<GroupCoordinator> c;
  std::shared_ptr<TopicsImage> topics = std::make_shared<TopicsImage>();

  CgHarness() {
    cfg.offsets_topic_partitions = 4;
    cfg.consumer_session_timeout_ms = 200;
    make();
    (*topics)["a"] = {uuid(1), 5, false};
    (*topics)["b"] = {uuid(2), 7, false};
  }
  ~CgHarness() {
    if (c) c->shutdown();
    settle();
  }
  void make() {
    if (c) c->shutdown();
    c = std::make_unique<GroupCoordinator>(io.get_executor(), store, cfg);
    c->start();
    // Until the replay has run (slower under sanitizers): at most 10 s.
    for (int i = 0; i < 2000 && !c->fully_loaded(); ++i) settle();
    REQUIRE(c->fully_loaded());
  }
  void settle(int ms = 5) {
    io.restart();
    io.run_for(milliseconds(ms));
  }
  ConsumerHeartbeatParams hb(const std::string& member, int32_t epoch,
                             std::optional<TopicAssignment> owned = std::nullopt) {
    ConsumerHeartbeatParams p;
    p.version = 1;
    p.group_id = "g";
    p.member_id = member;
    p.member_epoch = epoch;
    p.client_id = "c";
    p.client_host = "/127.0.0.1";
    p.owned = std::move(owned);
    p.topics = topics;
    return p;
  }
  ConsumerHeartbeatResult join(const std::string& member, const std::string& assignor = "") {
    auto p = hb(member, 0, TopicAssignment{});
    p.rebalance_timeout_ms = 1000;
    p.subscribed_topic_names = std::vector<std::string>{"a", "b"};
    if (!assignor.empty()) p.server_assignor = assignor;
    return c->consumer_heartbeat(p);
  }
};

size_t count(const TopicAssignment& a) {
  size_t n = 0;
  for (const auto& [t, p] : a) n += p.size();
  return n;
}

}  // namespace

TEST_CASE("consumer group: join, epochs, revocation before reassignment, leave") {
  CgHarness h;
  auto r1 = h.join("m1", "range");
  REQUIRE(r1.error == ErrorCode::NONE);
  CHECK(r1.member_id == "m1");
  CHECK(r1.member_epoch == 1);
  REQUIRE(r1.assignment);
  CHECK(count(*r1.assignment) == 12);  // alone: everything
  CHECK(r1.heartbeat_interval_ms == 5000);

  // m2 joins: group epoch 2. m1 still owns everything, so m2 gets nothing yet (unreleased).
  auto r2 = h.join("m2", "range");
  REQUIRE(r2.error == ErrorCode::NONE);
  CHECK(r2.member_epoch == 2);
  REQUIRE(r2.assignment);
  CHECK(r2.assignment->empty());
  CHECK(h.c->describe_consumer_group("g").state == "Reconciling");

  // m1's heartbeat: it must revoke a3,a4 and b4..b6 first; its epoch stays 1.
  auto h1 = h.c->consumer_heartbeat(h.hb("m1", 1));
  REQUIRE(h1.error == ErrorCode::NONE);
  CHECK(h1.member_epoch == 1);
  REQUIRE(h1.assignment);
  CHECK((*h1.assignment == TopicAssignment{{"a", {0, 1, 2}}, {"b", {0, 1, 2, 3}}}));
  // m2 still waits: the partitions are pending revocation on m1.
  auto h2 = h.c->consumer_heartbeat(h.hb("m2", 2));
  CHECK(h2.member_epoch == 2);
  CHECK(!h2.assignment);
  // m1 acknowledges: it now owns only the kept ones and moves to epoch 2.
  auto h1b = h.c->consumer_heartbeat(h.hb("m1", 1, *h1.assignment));
  CHECK(h1b.error == ErrorCode::NONE);
  CHECK(h1b.member_epoch == 2);
  // Now m2 gets the released partitions.
  auto h2b = h.c->consumer_heartbeat(h.hb("m2", 2));
  REQUIRE(h2b.assignment);
  CHECK((*h2b.assignment == TopicAssignment{{"a", {3, 4}}, {"b", {4, 5, 6}}}));
  CHECK(h.c->describe_consumer_group("g").state == "Stable");

  // Fencing.
  CHECK(h.c->consumer_heartbeat(h.hb("m2", 7)).error == ErrorCode::FENCED_MEMBER_EPOCH);
  CHECK(h.c->consumer_heartbeat(h.hb("nobody", 2)).error == ErrorCode::UNKNOWN_MEMBER_ID);
  // The previous epoch is accepted (a lost response).
  CHECK(h.c->consumer_heartbeat(h.hb("m1", 1)).error == ErrorCode::NONE);

  // Offsets: the member epoch is the generation.
  CommitParams cp;
  cp.group_id = "g";
  cp.member_id = "m1";
  cp.generation_id = 1;
  cp.offsets.push_back({{"a", 0}, 5, -1, std::nullopt, -1});
  CHECK(h.c->commit_offsets(cp)[0] == ErrorCode::STALE_MEMBER_EPOCH);
  cp.generation_id = 2;
  CHECK(h.c->commit_offsets(cp)[0] == ErrorCode::NONE);
  cp.member_id = "zz";
  CHECK(h.c->commit_offsets(cp)[0] == ErrorCode::UNKNOWN_MEMBER_ID);

  // m2 leaves: m1 gets everything back at epoch 3.
  auto l = h.c->consumer_heartbeat(h.hb("m2", -1));
  CHECK(l.error == ErrorCode::NONE);
  CHECK(l.member_epoch == -1);
  auto h1c = h.c->consumer_heartbeat(h.hb("m1", 2));
  CHECK(h1c.member_epoch == 3);
  REQUIRE(h1c.assignment);
  CHECK(count(*h1c.assignment) == 12);

  // The group lists as a consumer group; DescribeGroups sees it as Dead (not classic).
  auto lg = h.c->list_groups();
  REQUIRE(lg.groups.size() == 1);
  CHECK(lg.groups[0].type == "consumer");
  CHECK(h.c->describe_group("g").state == "Dead");
  // DeleteGroups refuses a group with members.
  CHECK(h.c->delete_groups({"g"})[0] == ErrorCode::NON_EMPTY_GROUP);
}

TEST_CASE("consumer group: request errors") {
  CgHarness h;
  auto p = h.hb("m1", 0, TopicAssignment{});
  CHECK(h.c->consumer_heartbeat(p).error == ErrorCode::INVALID_REQUEST);  // no subscription
  p.subscribed_topic_names = std::vector<std::string>{"a"};
  p.rebalance_timeout_ms = 1000;
  p.owned = TopicAssignment{{"a", {1}}};
  CHECK(h.c->consumer_heartbeat(p).error == ErrorCode::INVALID_REQUEST);  // owns at join
  p.owned = TopicAssignment{};
  p.server_assignor = "sticky";
  CHECK(h.c->consumer_heartbeat(p).error == ErrorCode::UNSUPPORTED_ASSIGNOR);
  p.server_assignor.reset();
  p.group_id = "";
  CHECK(h.c->consumer_heartbeat(p).error == ErrorCode::INVALID_REQUEST);
  p.group_id = "g";
  p.member_epoch = -3;
  CHECK(h.c->consumer_heartbeat(p).error == ErrorCode::INVALID_REQUEST);
  p.member_epoch = 0;
  p.subscribed_topic_regex = "(";
  CHECK(h.c->consumer_heartbeat(p).error == ErrorCode::INVALID_REQUEST);
  p.subscribed_topic_regex.reset();
  CHECK(h.c->consumer_heartbeat(h.hb("m9", 3)).error == ErrorCode::UNKNOWN_MEMBER_ID);
  CHECK(h.c->describe_consumer_group("nope").error == ErrorCode::GROUP_ID_NOT_FOUND);

  h.cfg.consumer_max_size = 1;
  h.make();
  CHECK(h.join("x").error == ErrorCode::NONE);
  CHECK(h.join("y").error == ErrorCode::GROUP_MAX_SIZE_REACHED);
}

TEST_CASE("consumer group: static members, session expiry, regex, restore after restart") {
  CgHarness h;
  auto p = h.hb("s1", 0, TopicAssignment{});
  p.rebalance_timeout_ms = 1000;
  p.instance_id = "inst";
  p.subscribed_topic_regex = "[ab]";
  auto r = h.c->consumer_heartbeat(p);
  REQUIRE(r.error == ErrorCode::NONE);
  REQUIRE(r.assignment);
  // A new regex is resolved after the heartbeat that set it (asynchronously in Kafka).
  CHECK(count(*r.assignment) == 0);
  auto rr = h.c->consumer_heartbeat(h.hb("s1", r.member_epoch));
  REQUIRE(rr.error == ErrorCode::NONE);
  CHECK(rr.member_epoch == r.member_epoch + 1);
  REQUIRE(rr.assignment);
  CHECK(count(*rr.assignment) == 12);
  // Another member with the same instance id while s1 is there.
  p.member_id = "s2";
  CHECK(h.c->consumer_heartbeat(p).error == ErrorCode::UNRELEASED_INSTANCE_ID);
  // s1 leaves temporarily (-2); s2 takes over its assignment.
  auto leave = h.hb("s1", -2);
  leave.instance_id = "inst";
  CHECK(h.c->consumer_heartbeat(leave).member_epoch == -2);
  auto r2 = h.c->consumer_heartbeat(p);
  REQUIRE(r2.error == ErrorCode::NONE);
  REQUIRE(r2.assignment);
  CHECK(count(*r2.assignment) == 12);
  CHECK(h.c->describe_consumer_group("g").members.size() == 1);

  // A new topic matching the regex is picked up on the next heartbeat; one that does not is not.
  (*h.topics)["c"] = {uuid(3), 2, false};
  (*h.topics)["b"].partitions = 8;
  auto r3 = h.c->consumer_heartbeat(h.hb("s2", r2.member_epoch));
  CHECK(r3.member_epoch == r2.member_epoch + 1);
  REQUIRE(r3.assignment);
  CHECK(count(*r3.assignment) == 13);

  // Restart: the group, its epoch and its member come back from __consumer_offsets.
  const int32_t epoch = r3.member_epoch;
  h.make();
  auto d = h.c->describe_consumer_group("g");
  REQUIRE(d.error == ErrorCode::NONE);
  CHECK(d.group_epoch == epoch);
  REQUIRE(d.members.size() == 1);
  CHECK(d.members[0].member_id == "s2");
  CHECK(d.members[0].member_epoch == epoch);
  CHECK(count(d.members[0].assignment) == 13);
  CHECK(h.c->consumer_heartbeat(h.hb("s2", epoch)).error == ErrorCode::NONE);

  // Session expiry removes the member (200 ms here).
  h.settle(400);
  CHECK(h.c->describe_consumer_group("g").members.empty());
  CHECK(h.c->describe_consumer_group("g").state == "Empty");
}

TEST_CASE("consumer group: two members with the same regex share the topics") {
  CgHarness h;
  auto join = [&](const std::string& id) {
    auto p = h.hb(id, 0, TopicAssignment{});
    p.rebalance_timeout_ms = 1000;
    p.subscribed_topic_regex = "[ab]";
    p.server_assignor = "range";
    return h.c->consumer_heartbeat(p);
  };
  auto r1 = join("r1");
  auto r2 = join("r2");
  REQUIRE(r1.error == ErrorCode::NONE);
  REQUIRE(r2.error == ErrorCode::NONE);
  // r2's join resolved r1's regex (the group's pending regexes resolve together); r2's own
  // resolves at its next heartbeat, and the topics are shared at once, without revocations
  // (range: r1 a0-2 b0-3, r2 a3-4 b4-6).
  auto h2 = h.c->consumer_heartbeat(h.hb("r2", r2.member_epoch));
  REQUIRE(h2.assignment);
  CHECK((*h2.assignment == TopicAssignment{{"a", {3, 4}}, {"b", {4, 5, 6}}}));
  auto h1 = h.c->consumer_heartbeat(h.hb("r1", r1.member_epoch));
  REQUIRE(h1.assignment);
  CHECK(h1.member_epoch == h2.member_epoch);
  CHECK((*h1.assignment == TopicAssignment{{"a", {0, 1, 2}}, {"b", {0, 1, 2, 3}}}));
}
