// The fetch session cache's state machine (KIP-227): creation, incremental updates, the
// epoch and id errors, closing, and eviction.
#include "server/cluster/fetch_sessions.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace fjord;
using proto::ErrorCode;
using Kind = FetchContext::Kind;

namespace {

SessionPartitionKey key(const std::string& topic, int32_t partition) {
  return SessionPartitionKey{proto::Uuid{}, topic, partition};
}

PartitionFetch fetch(const std::string& topic, int32_t partition, int64_t offset) {
  PartitionFetch p;
  p.key = key(topic, partition);
  p.params.fetch_offset = offset;
  p.params.max_bytes = 1 << 20;
  return p;
}

FetchSessionRequest request(int32_t id, int32_t epoch, std::vector<PartitionFetch> parts,
                            std::vector<SessionPartitionKey> forgotten = {}) {
  FetchSessionRequest r;
  r.session_id = id;
  r.session_epoch = epoch;
  r.partitions = std::move(parts);
  r.forgotten = std::move(forgotten);
  return r;
}

PartitionFetchResult result(int64_t hw, size_t bytes = 0, int16_t error = 0) {
  PartitionFetchResult r;
  r.high_watermark = hw;
  r.log_start_offset = 0;
  r.records_bytes = bytes;
  r.error_code = error;
  return r;
}

// Opens a session over t-0 and t-1 (both at high watermark 10) and returns its id.
int32_t open_session(FetchSessionCache& cache, int64_t now = 0) {
  FetchContext ctx = cache.new_context(request(0, 0, {fetch("t", 0, 0), fetch("t", 1, 0)}), now);
  REQUIRE(ctx.kind == Kind::kFull);
  std::vector<PartitionFetchResult> res = {result(10, 100), result(10, 100)};
  FetchOutcome out = cache.complete(ctx, res, now);
  REQUIRE(out.session_id > 0);
  return out.session_id;
}

std::vector<std::string> included(const FetchContext& ctx, const FetchOutcome& out) {
  std::vector<std::string> names;
  for (size_t i = 0; i < ctx.partitions.size(); ++i)
    if (out.include[i])
      names.push_back(ctx.partitions[i].key.topic + "-" +
                      std::to_string(ctx.partitions[i].key.partition));
  return names;
}

}  // namespace

TEST_CASE("epoch -1 is sessionless and epoch 0 creates a session") {
  FetchSessionCache cache(10);
  FetchContext ctx = cache.new_context(request(0, -1, {fetch("t", 0, 5)}), 0);
  CHECK(ctx.kind == Kind::kSessionless);
  REQUIRE(ctx.partitions.size() == 1);
  std::vector<PartitionFetchResult> res = {result(10)};
  FetchOutcome out = cache.complete(ctx, res, 0);
  CHECK(out.session_id == 0);
  CHECK(out.error == ErrorCode::NONE);
  CHECK(out.include == std::vector<bool>{true});
  CHECK(cache.size() == 0);

  const int32_t id = open_session(cache);
  CHECK(cache.size() == 1);
  auto s = cache.find(id);
  REQUIRE(s);
  CHECK(s->epoch() == 1);
  CHECK(s->size() == 2);
}

TEST_CASE("incremental fetches answer only what changed and bump the epoch") {
  FetchSessionCache cache(10);
  const int32_t id = open_session(cache);

  // Nothing changed: both partitions are read, none is in the response.
  FetchContext ctx = cache.new_context(request(id, 1, {}), 1);
  REQUIRE(ctx.kind == Kind::kIncremental);
  CHECK(ctx.partitions.size() == 2);
  CHECK(ctx.partitions[0].params.fetch_offset == 0);
  std::vector<PartitionFetchResult> same = {result(10), result(10)};
  FetchOutcome out = cache.complete(ctx, same, 1);
  CHECK(out.session_id == id);
  CHECK(out.error == ErrorCode::NONE);
  CHECK(included(ctx, out).empty());
  CHECK(cache.find(id)->epoch() == 2);

  // New data on t-1 and a moved high watermark on t-0.
  ctx = cache.new_context(request(id, 2, {fetch("t", 1, 10)}), 2);
  REQUIRE(ctx.kind == Kind::kIncremental);
  // The request's new offset replaces the cached one.
  CHECK(ctx.partitions[1].params.fetch_offset == 10);
  std::vector<PartitionFetchResult> changed = {result(12), result(20, 500)};
  out = cache.complete(ctx, changed, 2);
  CHECK(included(ctx, out) == std::vector<std::string>{"t-0", "t-1"});

  // The new high watermarks were remembered: the same values are not sent twice.
  ctx = cache.new_context(request(id, 3, {}), 3);
  std::vector<PartitionFetchResult> again = {result(12), result(20)};
  out = cache.complete(ctx, again, 3);
  CHECK(included(ctx, out).empty());
}

TEST_CASE("partitions that returned data move to the back of the read order") {
  FetchSessionCache cache(10);
  const int32_t id = open_session(cache);
  FetchContext ctx = cache.new_context(request(id, 1, {}), 1);
  std::vector<PartitionFetchResult> res = {result(11, 50), result(10)};
  FetchOutcome out = cache.complete(ctx, res, 1);
  CHECK(included(ctx, out) == std::vector<std::string>{"t-0"});
  ctx = cache.new_context(request(id, 2, {}), 2);
  REQUIRE(ctx.partitions.size() == 2);
  CHECK(ctx.partitions[0].key.partition == 1);
  CHECK(ctx.partitions[1].key.partition == 0);
}

TEST_CASE("errors are always sent, and the partition is sent again once the error is gone") {
  FetchSessionCache cache(10);
  const int32_t id = open_session(cache);
  FetchContext ctx = cache.new_context(request(id, 1, {}), 1);
  std::vector<PartitionFetchResult> res = {
      result(-1, 0, proto::code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)), result(10)};
  FetchOutcome out = cache.complete(ctx, res, 1);
  CHECK(included(ctx, out) == std::vector<std::string>{"t-0"});
  ctx = cache.new_context(request(id, 2, {}), 2);
  std::vector<PartitionFetchResult> ok = {result(10), result(10)};
  out = cache.complete(ctx, ok, 2);
  CHECK(included(ctx, out) == std::vector<std::string>{"t-0"});
}

TEST_CASE("added and forgotten partitions") {
  FetchSessionCache cache(10);
  const int32_t id = open_session(cache);
  FetchContext ctx =
      cache.new_context(request(id, 1, {fetch("u", 0, 7)}, {key("t", 0), key("t", 9)}), 1);
  REQUIRE(ctx.kind == Kind::kIncremental);
  REQUIRE(ctx.partitions.size() == 2);
  CHECK(ctx.partitions[0].key == key("t", 1));
  CHECK(ctx.partitions[1].key == key("u", 0));
  CHECK(ctx.partitions[1].params.fetch_offset == 7);
  // A new partition has never been reported: it is always in the response.
  std::vector<PartitionFetchResult> res = {result(10), result(3)};
  FetchOutcome out = cache.complete(ctx, res, 1);
  CHECK(included(ctx, out) == std::vector<std::string>{"u-0"});

  // Forgetting every partition closes the session.
  ctx = cache.new_context(request(id, 2, {}, {key("t", 1), key("u", 0)}), 2);
  CHECK(ctx.kind == Kind::kSessionless);
  CHECK(ctx.partitions.empty());
  CHECK(cache.find(id) == nullptr);
  out = cache.complete(ctx, {}, 2);
  CHECK(out.session_id == 0);
}

TEST_CASE("session errors") {
  FetchSessionCache cache(10);
  const int32_t id = open_session(cache);

  SUBCASE("unknown session id") {
    FetchContext ctx = cache.new_context(request(id + 1, 1, {fetch("t", 0, 0)}), 1);
    CHECK(ctx.kind == Kind::kError);
    CHECK(ctx.error == ErrorCode::FETCH_SESSION_ID_NOT_FOUND);
    FetchOutcome out = cache.complete(ctx, {}, 1);
    CHECK(out.error == ErrorCode::FETCH_SESSION_ID_NOT_FOUND);
    CHECK(out.session_id == 0);
  }
  SUBCASE("wrong epoch, and the session survives it") {
    FetchContext ctx = cache.new_context(request(id, 5, {}), 1);
    CHECK(ctx.kind == Kind::kError);
    CHECK(ctx.error == ErrorCode::INVALID_FETCH_SESSION_EPOCH);
    REQUIRE(cache.find(id));
    CHECK(cache.find(id)->epoch() == 1);
    CHECK(cache.new_context(request(id, 1, {}), 1).kind == Kind::kIncremental);
    // Replaying an epoch that was already used fails too.
    CHECK(cache.new_context(request(id, 1, {}), 1).error == ErrorCode::INVALID_FETCH_SESSION_EPOCH);
  }
  SUBCASE("names vs ids") {
    FetchSessionRequest r = request(id, 1, {});
    r.uses_topic_ids = true;
    FetchContext ctx = cache.new_context(r, 1);
    CHECK(ctx.error == ErrorCode::FETCH_SESSION_TOPIC_ID_ERROR);
  }
  SUBCASE("session id 0 with a positive epoch is unknown") {
    CHECK(cache.new_context(request(0, 3, {}), 1).error == ErrorCode::FETCH_SESSION_ID_NOT_FOUND);
  }
}

TEST_CASE("a full request closes the session it names") {
  FetchSessionCache cache(10);
  const int32_t id = open_session(cache);
  SUBCASE("epoch -1: closed, sessionless answer") {
    FetchContext ctx = cache.new_context(request(id, -1, {fetch("t", 0, 0)}), 1);
    CHECK(ctx.kind == Kind::kSessionless);
    CHECK(cache.find(id) == nullptr);
    std::vector<PartitionFetchResult> res = {result(10)};
    CHECK(cache.complete(ctx, res, 1).session_id == 0);
  }
  SUBCASE("epoch 0: closed and replaced by a new session") {
    FetchContext ctx = cache.new_context(request(id, 0, {fetch("t", 0, 0)}), 1);
    CHECK(ctx.kind == Kind::kFull);
    CHECK(cache.find(id) == nullptr);
    std::vector<PartitionFetchResult> res = {result(10)};
    const int32_t id2 = cache.complete(ctx, res, 1).session_id;
    CHECK(id2 > 0);
    CHECK(id2 != id);
    CHECK(cache.size() == 1);
    CHECK(cache.find(id2)->size() == 1);
  }
}

TEST_CASE("a stale answer after a newer request of the same session is an epoch error") {
  FetchSessionCache cache(10);
  const int32_t id = open_session(cache);
  FetchContext first = cache.new_context(request(id, 1, {}), 1);
  FetchContext second = cache.new_context(request(id, 2, {}), 2);
  REQUIRE(second.kind == Kind::kIncremental);
  std::vector<PartitionFetchResult> res = {result(11), result(11)};
  FetchOutcome out = cache.complete(first, res, 3);
  CHECK(out.error == ErrorCode::INVALID_FETCH_SESSION_EPOCH);
  out = cache.complete(second, res, 3);
  CHECK(out.error == ErrorCode::NONE);
  CHECK(included(second, out).size() == 2);
}

TEST_CASE("a full cache evicts idle sessions first, then smaller old ones") {
  const int64_t evict_ms = 1000;
  FetchSessionCache cache(2, evict_ms);
  const int32_t a = open_session(cache, 0);    // 2 partitions
  const int32_t b = open_session(cache, 500);  // 2 partitions
  CHECK(cache.size() == 2);

  // Both sessions are new: no room for a third one.
  FetchContext ctx = cache.new_context(request(0, 0, {fetch("x", 0, 0)}), 600);
  std::vector<PartitionFetchResult> one = {result(1)};
  CHECK(cache.complete(ctx, one, 600).session_id == 0);
  CHECK(cache.size() == 2);

  // Keep b in use; a has been idle longer than the eviction time and goes.
  REQUIRE(cache.new_context(request(b, 1, {}), 1200).kind == Kind::kIncremental);
  ctx = cache.new_context(request(0, 0, {fetch("x", 0, 0)}), 1200);
  const int32_t c = cache.complete(ctx, one, 1200).session_id;
  CHECK(c > 0);
  CHECK(cache.find(a) == nullptr);
  CHECK(cache.find(b) != nullptr);

  // Nobody is idle now. b (2 partitions) is older than the eviction time; c (1) is not.
  // A 1-partition session cannot displace b, a 3-partition one can.
  REQUIRE(cache.new_context(request(c, 1, {}), 1600).kind == Kind::kIncremental);
  REQUIRE(cache.new_context(request(b, 2, {}), 1600).kind == Kind::kIncremental);
  ctx = cache.new_context(request(0, 0, {fetch("y", 0, 0)}), 1700);
  CHECK(cache.complete(ctx, one, 1700).session_id == 0);
  ctx = cache.new_context(request(0, 0, {fetch("y", 0, 0), fetch("y", 1, 0), fetch("y", 2, 0)}),
                          1700);
  std::vector<PartitionFetchResult> three = {result(1), result(1), result(1)};
  const int32_t d = cache.complete(ctx, three, 1700).session_id;
  CHECK(d > 0);
  CHECK(cache.find(b) == nullptr);
  CHECK(cache.find(c) != nullptr);
  CHECK(cache.total_partitions() == 4);
}

TEST_CASE("no slots: every full fetch is sessionless") {
  FetchSessionCache cache(0);
  FetchContext ctx = cache.new_context(request(0, 0, {fetch("t", 0, 0)}), 0);
  std::vector<PartitionFetchResult> res = {result(1)};
  CHECK(cache.complete(ctx, res, 0).session_id == 0);
  CHECK(cache.size() == 0);
}

TEST_CASE("topic-id sessions key partitions by id") {
  FetchSessionCache cache(10);
  proto::Uuid id1;
  id1.bytes[15] = 1;
  FetchSessionRequest r;
  r.session_id = 0;
  r.session_epoch = 0;
  r.uses_topic_ids = true;
  PartitionFetch p;
  p.key = SessionPartitionKey{id1, "", 0};
  r.partitions = {p};
  FetchContext ctx = cache.new_context(r, 0);
  std::vector<PartitionFetchResult> res = {result(1)};
  const int32_t sid = cache.complete(ctx, res, 0).session_id;
  REQUIRE(sid > 0);
  FetchSessionRequest inc;
  inc.session_id = sid;
  inc.session_epoch = 1;
  inc.uses_topic_ids = true;
  inc.forgotten = {SessionPartitionKey{id1, "", 0}};
  ctx = cache.new_context(inc, 1);
  CHECK(ctx.kind == Kind::kSessionless);  // the only partition was forgotten
  CHECK(cache.size() == 0);
}
