// v2 batch parsing, validation, mutators and framing, mostly on a golden
// batch written out byte by byte.
#include <doctest/doctest.h>

#include <limits>

#include "records/builder.h"
#include "records/crc32c.h"
#include "test_util.h"

using namespace fjord::records;
using namespace records_test;

namespace {

// Two records: ("k1","v1") at delta 0/ts+0, and (null,"hello", header h=x) at
// delta 1/ts+5. CRC computed independently with kafka-python's crc32c.
Bytes golden_batch() {
  Bytes b;
  be(b, 5, 8);           // baseOffset
  be(b, 76, 4);          // batchLength = 88 - 12
  be(b, 7, 4);           // partitionLeaderEpoch
  raw(b, {0x02});        // magic
  be(b, 0x2ec2319a, 4);  // crc
  be(b, 0, 2);           // attributes
  be(b, 1, 4);           // lastOffsetDelta
  be(b, 1000, 8);        // baseTimestamp
  be(b, 1005, 8);        // maxTimestamp
  be(b, 42, 8);          // producerId
  be(b, 3, 2);           // producerEpoch
  be(b, 10, 4);          // baseSequence
  be(b, 2, 4);           // record count
  // record 0: len 10, attrs, tsDelta 0, offDelta 0, key "k1", value "v1", 0 headers
  raw(b, {0x14, 0x00, 0x00, 0x00, 0x04});
  raw(b, "k1");
  raw(b, {0x04});
  raw(b, "v1");
  raw(b, {0x00});
  // record 1: len 15, attrs, tsDelta 5, offDelta 1, key null, value "hello", 1 header
  raw(b, {0x1e, 0x00, 0x0a, 0x02, 0x01, 0x0a});
  raw(b, "hello");
  raw(b, {0x02, 0x02});
  raw(b, "h");
  raw(b, {0x02});
  raw(b, "x");
  return b;
}

BatchOptions golden_options() {
  BatchOptions o;
  o.base_offset = 5;
  o.partition_leader_epoch = 7;
  o.producer_id = 42;
  o.producer_epoch = 3;
  o.base_sequence = 10;
  return o;
}

Bytes build_golden() {
  BatchBuilder b(golden_options());
  b.append(1000, bv("k1"), bv("v1"));
  HeaderView h{"h", bv("x")};
  b.append(1005, null_bv(), bv("hello"), std::span<const HeaderView>(&h, 1));
  return b.build();
}

// Reads every record; returns the error from the reader (Ok on success).
Error drain(const BatchView& v, std::vector<RecordView>* out = nullptr) {
  std::vector<uint8_t> buf;
  RecordReader reader;
  if (Error e = open_records(v, buf, 1 << 20, reader); e != Error::Ok) return e;
  RecordView r;
  while (reader.next(r)) {
    HeaderIterator hi = r.headers();
    HeaderView h;
    while (hi.next(h)) {
    }
    if (out) out->push_back(r);
  }
  return reader.error();
}

// Rewrites the CRC so that mutations reach the record parser.
void fix_crc(Bytes& b) { MutableBatchView{b}.update_crc(); }

}  // namespace

TEST_CASE("golden v2 batch: builder output is byte-exact") {
  Bytes golden = golden_batch();
  REQUIRE(golden.size() == 88);
  CHECK(build_golden() == golden);
}

TEST_CASE("golden v2 batch: header accessors") {
  Bytes g = golden_batch();
  BatchView v{g};
  CHECK(v.validate() == Error::Ok);
  CHECK(v.base_offset() == 5);
  CHECK(v.batch_length() == 76);
  CHECK(v.partition_leader_epoch() == 7);
  CHECK(v.magic() == 2);
  CHECK(v.crc() == 0x2ec2319au);
  CHECK(v.compute_crc() == 0x2ec2319au);
  CHECK(v.attributes() == 0);
  CHECK(v.codec_id() == 0);
  CHECK_FALSE(v.is_compressed());
  CHECK(v.timestamp_type() == TimestampType::CreateTime);
  CHECK_FALSE(v.is_transactional());
  CHECK_FALSE(v.is_control());
  CHECK(v.last_offset_delta() == 1);
  CHECK(v.base_timestamp() == 1000);
  CHECK(v.max_timestamp() == 1005);
  CHECK(v.producer_id() == 42);
  CHECK(v.producer_epoch() == 3);
  CHECK(v.base_sequence() == 10);
  CHECK(v.record_count() == 2);
  CHECK(v.last_offset() == 6);
  CHECK(v.next_offset() == 7);
  ValidateOptions strict;
  strict.require_contiguous_offsets = true;
  CHECK(v.validate(strict) == Error::Ok);
}

TEST_CASE("golden v2 batch: records are views into the batch") {
  Bytes g = golden_batch();
  BatchView v{g};
  std::vector<RecordView> recs;
  REQUIRE(drain(v, &recs) == Error::Ok);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].offset_delta == 0);
  CHECK(recs[0].timestamp_delta == 0);
  CHECK(opt(recs[0].key) == Opt("k1"));
  CHECK(opt(recs[0].value) == Opt("v1"));
  CHECK(recs[0].header_count == 0);
  CHECK(recs[1].offset_delta == 1);
  CHECK(recs[1].timestamp_delta == 5);
  CHECK(recs[1].key.is_null);
  CHECK(opt(recs[1].value) == Opt("hello"));
  CHECK(recs[1].header_count == 1);
  HeaderIterator hi = recs[1].headers();
  HeaderView h;
  REQUIRE(hi.next(h));
  CHECK(h.key == "h");
  CHECK(opt(h.value) == Opt("x"));
  CHECK_FALSE(hi.next(h));
  for (const RecordView& r : recs) {
    CHECK(points_into(r.raw, g));
    CHECK(points_into(r.key.data, g));
    CHECK(points_into(r.value.data, g));
    CHECK(points_into(r.headers_data, g));
  }
  CHECK(recs[0].raw.size() == 11);
  CHECK(recs[1].raw.size() == 16);
}

TEST_CASE("CRC mismatch is CorruptMessage; leader epoch and base offset are outside the CRC") {
  Bytes g = golden_batch();
  for (size_t i = batch_layout::kAttributes; i < g.size(); ++i) {
    Bytes m = g;
    m[i] ^= 0x01;
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  Bytes m = g;
  m[batch_layout::kCrc] ^= 0x80;
  CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  m = g;
  m[batch_layout::kPartitionLeaderEpoch + 3] ^= 0xFF;
  m[batch_layout::kBaseOffset + 7] ^= 0xFF;
  CHECK(BatchView{m}.validate() == Error::Ok);
}

TEST_CASE("mutators: base offset, leader epoch, LogAppendTime") {
  Bytes g = golden_batch();
  MutableBatchView mv{g};
  mv.set_base_offset(1'000'000'000'000LL);
  mv.set_partition_leader_epoch(99);
  CHECK(mv.view().validate() == Error::Ok);
  CHECK(mv.view().base_offset() == 1'000'000'000'000LL);
  CHECK(mv.view().partition_leader_epoch() == 99);
  CHECK(mv.view().crc() == 0x2ec2319au);  // untouched

  // Offsets near the int64 limit wrap instead of overflowing.
  mv.set_base_offset(std::numeric_limits<int64_t>::max());
  CHECK(mv.view().last_offset() == std::numeric_limits<int64_t>::min());
  CHECK(mv.view().next_offset() == std::numeric_limits<int64_t>::min() + 1);
  mv.set_base_offset(1'000'000'000'000LL);

  mv.set_log_append_time(123456789);
  BatchView v = mv.view();
  CHECK(v.validate() == Error::Ok);
  CHECK(v.timestamp_type() == TimestampType::LogAppendTime);
  CHECK(v.max_timestamp() == 123456789);
  CHECK(v.base_timestamp() == 1000);
  CHECK(v.crc() == crc32c(std::span<const uint8_t>(g).subspan(batch_layout::kAttributes)));
  CHECK(drain(v) == Error::Ok);
}

TEST_CASE("truncation at every byte gives an error, never a crash") {
  Bytes g = golden_batch();
  for (size_t n = 0; n < g.size(); ++n) {
    // Copy to an exact-size heap buffer so ASan sees any overread.
    Bytes cut(g.begin(), g.begin() + static_cast<std::ptrdiff_t>(n));
    std::span<const uint8_t> s(cut);
    BatchView framed;
    CHECK(frame_batch(s, framed) != Error::Ok);
    if (n >= kBatchHeaderSize) CHECK(BatchView{s}.validate() != Error::Ok);
    BatchIterator it(s);
    BatchView b;
    CHECK_FALSE(it.next(b));
    CHECK(it.error() == Error::Ok);
    CHECK(it.partial_tail() == (n > 0));
  }
  BatchView framed;
  CHECK(frame_batch(g, framed) == Error::Ok);
  CHECK(framed.size() == g.size());
}

TEST_CASE("a record region cut short inside a valid-CRC batch is rejected") {
  Bytes g = golden_batch();
  for (size_t n = kBatchHeaderSize; n < g.size(); ++n) {
    Bytes cut(g.begin(), g.begin() + static_cast<std::ptrdiff_t>(n));
    // Rewrite batchLength and CRC so only the records are inconsistent.
    const uint32_t len = static_cast<uint32_t>(cut.size() - kLogOverhead);
    for (int i = 0; i < 4; ++i) cut[8 + i] = static_cast<uint8_t>(len >> (24 - 8 * i));
    fix_crc(cut);
    Error e = BatchView{cut}.validate();
    CHECK(e != Error::Ok);
    CHECK(drain(BatchView{cut}) != Error::Ok);
  }
}

TEST_CASE("every single-byte mutation with a fixed-up CRC is handled") {
  Bytes g = golden_batch();
  const uint8_t values[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, 0x3F};
  for (size_t i = batch_layout::kAttributes; i < g.size(); ++i) {
    for (uint8_t val : values) {
      Bytes m = g;
      m[i] = val;
      fix_crc(m);
      BatchView v{m};
      if (v.validate() == Error::Ok) {
        std::vector<RecordView> recs;
        if (!v.is_compressed()) CHECK(drain(v, &recs) == Error::Ok);
        for (const RecordView& r : recs) CHECK(points_into(r.raw, m));
      }
    }
  }
}

TEST_CASE("bad lengths and varints are rejected") {
  Bytes g = golden_batch();
  auto with = [&](size_t pos, std::initializer_list<uint8_t> bytes) {
    Bytes m = g;
    size_t i = pos;
    for (uint8_t b : bytes) m.at(i++) = b;
    fix_crc(m);
    return m;
  };
  SUBCASE("negative batchLength") {
    Bytes m = with(8, {0xFF, 0xFF, 0xFF, 0xF0});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
    BatchView f;
    CHECK(frame_batch(m, f) == Error::CorruptMessage);
    BatchIterator it(m);
    CHECK_FALSE(it.next(f));
    CHECK(it.error() == Error::CorruptMessage);
  }
  SUBCASE("huge batchLength") {
    Bytes m = with(8, {0x7F, 0xFF, 0xFF, 0xFF});
    CHECK(BatchView{m}.validate() == Error::Truncated);
    BatchView f;
    CHECK(frame_batch(m, f) == Error::Truncated);
    BatchIterator it(m);
    CHECK_FALSE(it.next(f));
    CHECK(it.partial_tail());
  }
  SUBCASE("batchLength below the header size") {
    Bytes m = with(8, {0x00, 0x00, 0x00, 0x30});
    BatchView f;
    CHECK(frame_batch(m, f) == Error::CorruptMessage);
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("batchLength shorter than the view") {
    Bytes m = with(8, {0x00, 0x00, 0x00, 75});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("wrong magic") {
    Bytes m = with(16, {0x03});
    CHECK(BatchView{m}.validate() == Error::UnsupportedMagic);
    BatchView f;
    CHECK(frame_batch(m, f) == Error::UnsupportedMagic);
  }
  SUBCASE("codec bits 5..7") {
    Bytes m = with(21, {0x00, 0x05});
    CHECK(BatchView{m}.validate() == Error::UnsupportedCompression);
  }
  SUBCASE("negative record count") {
    Bytes m = with(57, {0xFF, 0xFF, 0xFF, 0xFF});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("huge record count") {
    Bytes m = with(57, {0x7F, 0xFF, 0xFF, 0xFF});
    CHECK(BatchView{m}.validate() != Error::Ok);
  }
  SUBCASE("record count below the records present") {
    Bytes m = with(57, {0x00, 0x00, 0x00, 0x01});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("lastOffsetDelta below count - 1") {
    Bytes m = with(23, {0x00, 0x00, 0x00, 0x00});
    CHECK(BatchView{m}.validate() == Error::InvalidRecord);
  }
  SUBCASE("lastOffsetDelta above count - 1 is fine unless strict") {
    Bytes m = with(23, {0x00, 0x00, 0x00, 0x09});
    CHECK(BatchView{m}.validate() == Error::Ok);
    ValidateOptions strict;
    strict.require_contiguous_offsets = true;
    CHECK(BatchView{m}.validate(strict) == Error::InvalidRecord);
  }
  SUBCASE("record length varint larger than the data") {
    Bytes m = with(61, {0xFE, 0xFF, 0xFF, 0xFF, 0x0F});  // zigzag of a large positive value
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("negative record length") {
    Bytes m = with(61, {0x13});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("overlong varint") {
    Bytes m = with(61, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("key length -2") {
    Bytes m = with(65, {0x03});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("key length past the record") {
    Bytes m = with(65, {0x7E});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("header count huge") {
    Bytes m = with(83, {0xFE, 0xFF, 0xFF, 0xFF, 0x07});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("header count negative") {
    Bytes m = with(83, {0x01});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("null header key") {
    Bytes m = with(84, {0x01});
    CHECK(BatchView{m}.validate() == Error::CorruptMessage);
  }
  SUBCASE("offset deltas out of order") {
    Bytes m = with(75, {0x00});  // second record's offsetDelta -> 0
    CHECK(BatchView{m}.validate() == Error::InvalidRecord);
  }
}

TEST_CASE("varint edge values survive a round trip") {
  BatchBuilder b;
  const int64_t ts[] = {0, -1, std::numeric_limits<int64_t>::max(),
                        std::numeric_limits<int64_t>::min(), 1LL << 40};
  for (int64_t t : ts) b.append(t, null_bv(), null_bv());
  Bytes out = b.build();
  BatchView v{out};
  REQUIRE(v.validate() == Error::Ok);
  std::vector<RecordView> recs;
  REQUIRE(drain(v, &recs) == Error::Ok);
  REQUIRE(recs.size() == 5);
  for (size_t i = 0; i < recs.size(); ++i) {
    int64_t got = static_cast<int64_t>(static_cast<uint64_t>(v.base_timestamp()) +
                                       static_cast<uint64_t>(recs[i].timestamp_delta));
    CHECK(got == ts[i]);
    CHECK(recs[i].key.is_null);
    CHECK(recs[i].value.is_null);
  }
  CHECK(v.max_timestamp() == std::numeric_limits<int64_t>::max());
}

TEST_CASE("BatchIterator walks a concatenation and stops at a partial tail") {
  Bytes all;
  for (int i = 0; i < 3; ++i) {
    BatchOptions o;
    o.base_offset = i * 10;
    BatchBuilder b(o);
    for (int k = 0; k <= i; ++k)
      b.append(k, bv("key"), bv(std::string(static_cast<size_t>(k + 1), 'x')));
    b.build(all);
  }
  const size_t whole = all.size();
  Bytes fourth = golden_batch();
  all.insert(all.end(), fourth.begin(), fourth.begin() + 40);

  BatchIterator it(all);
  BatchView v;
  int n = 0;
  while (it.next(v)) {
    CHECK(v.validate() == Error::Ok);
    CHECK(v.base_offset() == n * 10);
    CHECK(v.record_count() == n + 1);
    CHECK(points_into(v.bytes, all));
    ++n;
  }
  CHECK(n == 3);
  CHECK(it.error() == Error::Ok);
  CHECK(it.partial_tail());
  CHECK(it.consumed() == whole);

  BatchIterator exact(std::span<const uint8_t>(all).first(whole));
  n = 0;
  while (exact.next(v)) ++n;
  CHECK(n == 3);
  CHECK_FALSE(exact.partial_tail());
  BatchIterator empty(std::span<const uint8_t>{});
  CHECK_FALSE(empty.next(v));
  CHECK_FALSE(empty.partial_tail());
}

TEST_CASE("error names and Kafka codes") {
  CHECK(std::string(to_string(Error::CorruptMessage)) == "corrupt message");
  CHECK(kafka_error_code(Error::Ok) == 0);
  CHECK(kafka_error_code(Error::CorruptMessage) == 2);
  CHECK(kafka_error_code(Error::InvalidRecord) == 87);
  CHECK(kafka_error_code(Error::UnsupportedCompression) == 76);
  CHECK(kafka_error_code(Error::TooLarge) == 10);
}
