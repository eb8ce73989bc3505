#include "coordinator/records.h"

#include <doctest/doctest.h>

#include "records/batch.h"

using namespace fjord;
using namespace fjord::coordinator;

namespace {

records::BytesView view(const Bytes& b) {
  return records::BytesView::of(std::span<const uint8_t>(b));
}

}  // namespace

TEST_CASE("group ids map to partitions with Java's String.hashCode") {
  // Values of "s".hashCode() as Java computes them (UTF-16 code units).
  CHECK(java_string_hash("") == 0);
  CHECK(java_string_hash("abc") == 96354);
  CHECK(java_string_hash("my-group") == -1906497762);
  CHECK(java_string_hash("gr\xC3\xBCppe") == -1233264812);  // "grüppe"
  CHECK(java_string_hash("g\xF0\x9F\x98\x80") == 1871882);  // "g😀": a surrogate pair
  CHECK(java_string_hash("console-consumer-12345") == 158455506);
  // Kafka: Utils.abs(hash) % partitions with abs = x & 0x7fffffff.
  CHECK(partition_for("my-group", 50) == 36);
  CHECK(partition_for("abc", 50) == 4);
  CHECK(partition_for("console-consumer-12345", 50) == 6);
  CHECK(partition_for("anything", 1) == 0);
}

TEST_CASE("offset commit records use Kafka's key and value layout") {
  const Bytes key = encode_offset_key("g", TopicPartition{"t", 3});
  // int16 version 1, string "g", string "t", int32 partition 3.
  const Bytes want_key = {0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3};
  CHECK(key == want_key);

  CommittedOffset c;
  c.offset = 42;
  c.leader_epoch = 7;
  c.metadata = "meta";
  c.commit_timestamp = 1000;
  const Bytes value = encode_offset_value(c);
  CHECK(value[0] == 0);
  CHECK(value[1] == 3);  // OffsetCommitValue v3

  CoordinatorRecord r = decode_record(view(key), view(value));
  CHECK(r.kind == CoordinatorRecord::Kind::kOffset);
  CHECK(r.group == "g");
  CHECK(r.tp == TopicPartition{"t", 3});
  REQUIRE(r.offset);
  CHECK(r.offset->offset == 42);
  CHECK(r.offset->leader_epoch == 7);
  CHECK(r.offset->metadata == "meta");
  CHECK(r.offset->commit_timestamp == 1000);
  CHECK(!r.offset->expire_timestamp);

  // With an explicit expiry Kafka writes version 1.
  c.expire_timestamp = 5000;
  const Bytes v1 = encode_offset_value(c);
  CHECK(v1[1] == 1);
  CoordinatorRecord r1 = decode_record(view(key), view(v1));
  REQUIRE(r1.offset);
  CHECK(r1.offset->expire_timestamp == std::optional<int64_t>(5000));

  // A tombstone.
  CoordinatorRecord t = decode_record(view(key), records::BytesView::null());
  CHECK(t.kind == CoordinatorRecord::Kind::kOffset);
  CHECK(!t.offset);
}

TEST_CASE("group metadata records round-trip") {
  proto::GroupMetadataValue v;
  v.protocol_type = "consumer";
  v.generation = 5;
  v.protocol = "range";
  v.leader = "m1";
  v.current_state_timestamp = 1234;
  auto& m = v.members.emplace_back();
  m.member_id = "m1";
  m.group_instance_id = "i1";
  m.client_id = "c";
  m.client_host = "/127.0.0.1";
  m.rebalance_timeout = 300000;
  m.session_timeout = 10000;
  m.subscription = {1, 2, 3};
  m.assignment = {4, 5};
  const Bytes key = encode_group_key("grp");
  const Bytes want_key = {0, 2, 0, 3, 'g', 'r', 'p'};
  CHECK(key == want_key);
  const Bytes value = encode_group_value(v);
  CHECK(value[1] == 3);
  CoordinatorRecord r = decode_record(view(key), view(value));
  CHECK(r.kind == CoordinatorRecord::Kind::kGroup);
  CHECK(r.group == "grp");
  REQUIRE(r.metadata);
  CHECK(r.metadata->generation == 5);
  CHECK(r.metadata->protocol == std::optional<std::string>("range"));
  REQUIRE(r.metadata->members.size() == 1);
  CHECK(r.metadata->members[0].group_instance_id == std::optional<std::string>("i1"));
  CHECK(r.metadata->members[0].assignment == Bytes{4, 5});
}

TEST_CASE("records of other coordinators are recognised and skipped") {
  const Bytes key = {0, 3, 0, 1, 'g'};  // ConsumerGroupMetadataKey (KIP-848)
  CoordinatorRecord r = decode_record(view(key), view(Bytes{0, 0, 0, 0, 0, 1}));
  CHECK(r.kind == CoordinatorRecord::Kind::kOther);
  CHECK_THROWS_AS(decode_record(view(Bytes{0}), records::BytesView::null()), proto::DecodeError);
  CHECK_THROWS_AS(decode_record(records::BytesView::null(), records::BytesView::null()),
                  proto::DecodeError);
}

TEST_CASE("batches carry the records in order, tombstones as null values") {
  std::vector<RecordToWrite> recs;
  recs.push_back({encode_group_key("a"), Bytes{9}});
  recs.push_back({encode_group_key("b"), std::nullopt});
  Bytes batch = build_batch(recs, 777);
  records::BatchView b{batch};
  CHECK(b.validate() == records::Error::Ok);
  CHECK(b.record_count() == 2);
  CHECK(!b.is_transactional());
  std::vector<uint8_t> scratch;
  records::RecordReader rr;
  REQUIRE(records::open_records(b, scratch, 1 << 20, rr) == records::Error::Ok);
  records::RecordView rec;
  REQUIRE(rr.next(rec));
  CHECK(!rec.value.is_null);
  REQUIRE(rr.next(rec));
  CHECK(rec.value.is_null);

  Bytes txn = build_batch(recs, 777, 55, 2, true);
  records::BatchView t{txn};
  CHECK(t.is_transactional());
  CHECK(t.producer_id() == 55);
  CHECK(t.producer_epoch() == 2);
}
