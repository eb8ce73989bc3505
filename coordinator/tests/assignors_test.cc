// The server-side assignors (KIP-848) against assignments computed by hand.
#include "coordinator/assignors.h"

#include <doctest/doctest.h>

using namespace fjord::coordinator;

namespace {

AssignorInput three_members_two_topics() {
  AssignorInput in;
  in.topics = {{"a", 5}, {"b", 7}};
  for (const char* id : {"m3", "m1", "m2"})  // input order must not matter
    in.members.push_back({id, {"a", "b"}, {}});
  return in;
}

TopicAssignment ta(std::initializer_list<std::pair<const std::string, std::set<int32_t>>> l) {
  return TopicAssignment(l);
}

size_t total(const TopicAssignment& t) {
  size_t n = 0;
  for (const auto& [topic, p] : t) n += p.size();
  return n;
}

}  // namespace

TEST_CASE("range: 3 members, topics a (5 partitions) and b (7 partitions)") {
  // Members sorted by id: m1, m2, m3. Per topic: quota = n / 3, the first n % 3 get one more.
  //   a: 5 = 2+2+1   -> m1: a0 a1       m2: a2 a3     m3: a4
  //   b: 7 = 3+2+2   -> m1: b0 b1 b2    m2: b3 b4     m3: b5 b6
  const GroupAssignment g = assign_range(three_members_two_topics());
  CHECK(g.at("m1") == ta({{"a", {0, 1}}, {"b", {0, 1, 2}}}));
  CHECK(g.at("m2") == ta({{"a", {2, 3}}, {"b", {3, 4}}}));
  CHECK(g.at("m3") == ta({{"a", {4}}, {"b", {5, 6}}}));
}

TEST_CASE("uniform: 3 members, topics a (5 partitions) and b (7 partitions)") {
  // 12 partitions in order a0..a4 b0..b6 dealt round-robin to m1, m2, m3 (4 each):
  //   m1: a0 a3 b1 b4    m2: a1 a4 b2 b5    m3: a2 b0 b3 b6
  const GroupAssignment g = assign_uniform(three_members_two_topics());
  CHECK(g.at("m1") == ta({{"a", {0, 3}}, {"b", {1, 4}}}));
  CHECK(g.at("m2") == ta({{"a", {1, 4}}, {"b", {2, 5}}}));
  CHECK(g.at("m3") == ta({{"a", {2}}, {"b", {0, 3, 6}}}));
  CHECK(assign("uniform", three_members_two_topics()) == g);
  CHECK(assign("range", three_members_two_topics()) == assign_range(three_members_two_topics()));
}

TEST_CASE("uniform is sticky: a joining member takes partitions only from the others' surplus") {
  AssignorInput in = three_members_two_topics();
  const GroupAssignment before = assign_uniform(in);
  for (auto& m : in.members) m.previous = before.at(m.member_id);
  in.members.push_back({"m4", {"a", "b"}, {}});
  const GroupAssignment after = assign_uniform(in);
  // 12 / 4 = 3 each; every old member keeps 3 of its previous 4 (its first three in order).
  CHECK(after.at("m1") == ta({{"a", {0, 3}}, {"b", {1}}}));
  CHECK(after.at("m2") == ta({{"a", {1, 4}}, {"b", {2}}}));
  CHECK(after.at("m3") == ta({{"a", {2}}, {"b", {0, 3}}}));
  // m4 gets the released ones: b4, b5, b6.
  CHECK(after.at("m4") == ta({{"b", {4, 5, 6}}}));

  // A member leaving: its partitions go to the others, nothing else moves.
  AssignorInput in2 = three_members_two_topics();
  in2.members.erase(in2.members.begin());  // m3 leaves
  for (auto& m : in2.members) m.previous = before.at(m.member_id);
  const GroupAssignment left = assign_uniform(in2);
  CHECK(total(left.at("m1")) == 6);
  CHECK(total(left.at("m2")) == 6);
  for (const auto& [t, ps] : before.at("m1"))
    for (int32_t p : ps) CHECK(left.at("m1").at(t).count(p) == 1);
  for (const auto& [t, ps] : before.at("m2"))
    for (int32_t p : ps) CHECK(left.at("m2").at(t).count(p) == 1);
}

TEST_CASE("assignors: partial subscriptions, unknown topics, no members") {
  AssignorInput in;
  in.topics = {{"a", 4}, {"b", 2}};
  in.members.push_back({"x", {"a"}, {}});
  in.members.push_back({"y", {"a", "b", "missing"}, {}});
  const GroupAssignment r = assign_range(in);
  CHECK(r.at("x") == ta({{"a", {0, 1}}}));
  CHECK(r.at("y") == ta({{"a", {2, 3}}, {"b", {0, 1}}}));
  const GroupAssignment u = assign_uniform(in);
  // b (one subscriber) first: b0 b1 -> y; then a0..a3 round-robin among those with room
  // (quota 3): a0 -> x, a1 -> y, a2 -> x, a3 -> x (y is full).
  CHECK(u.at("x") == ta({{"a", {0, 2, 3}}}));
  CHECK(u.at("y") == ta({{"a", {1}}, {"b", {0, 1}}}));
  CHECK(assign_uniform(AssignorInput{}).empty());
  CHECK(is_supported_assignor("uniform"));
  CHECK(is_supported_assignor("range"));
  CHECK_FALSE(is_supported_assignor("cooperative-sticky"));
}
