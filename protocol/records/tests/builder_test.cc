// BatchBuilder round trips for every codec, producer/transaction fields,
// control batches and the decompression cap.
#include "records/builder.h"

#include <doctest/doctest.h>

#include <string>

#include "test_util.h"

using namespace fjord::records;
using namespace records_test;
using fjord::compression::Codec;

namespace {

struct Rec {
  int64_t ts;
  Opt key;
  Opt value;
  std::vector<std::pair<std::string, Opt>> headers;
};

std::vector<Rec> sample_records() {
  std::vector<Rec> v;
  v.push_back(
      {1000, "key-0", "value-0", {{"trace", "abc"}, {"empty", ""}, {"nullv", std::nullopt}}});
  v.push_back({999, std::nullopt, std::string(5000, 'z'), {}});
  v.push_back({1500, "key-2", std::nullopt, {}});
  v.push_back({1200, "", "", {{"", "x"}}});
  std::string noisy;
  for (int i = 0; i < 3000; ++i) noisy.push_back(static_cast<char>((i * 7919) % 251));
  v.push_back({1300, "bin", noisy, {}});
  return v;
}

BytesView to_bv(const Opt& o) { return o ? bv(*o) : null_bv(); }

void append_all(BatchBuilder& b, const std::vector<Rec>& recs) {
  for (const Rec& r : recs) {
    std::vector<HeaderView> hs;
    for (const auto& [k, v] : r.headers) hs.push_back({k, to_bv(v)});
    b.append(r.ts, to_bv(r.key), to_bv(r.value), hs);
  }
}

// Decodes all records of `batch` and compares them with `want`.
void check_records(const BatchView& batch, const std::vector<Rec>& want) {
  std::vector<uint8_t> buf;
  RecordReader reader;
  REQUIRE(open_records(batch, buf, 1 << 20, reader) == Error::Ok);
  RecordView r;
  size_t i = 0;
  while (reader.next(r)) {
    REQUIRE(i < want.size());
    CHECK(r.offset_delta == static_cast<int32_t>(i));
    CHECK(batch.base_timestamp() + r.timestamp_delta == want[i].ts);
    CHECK(opt(r.key) == want[i].key);
    CHECK(opt(r.value) == want[i].value);
    REQUIRE(r.header_count == want[i].headers.size());
    HeaderIterator hi = r.headers();
    HeaderView h;
    for (const auto& [k, v] : want[i].headers) {
      REQUIRE(hi.next(h));
      CHECK(h.key == k);
      CHECK(opt(h.value) == v);
    }
    CHECK_FALSE(hi.next(h));
    if (batch.is_compressed()) {
      CHECK(points_into(r.raw, buf));
    } else {
      CHECK(points_into(r.raw, batch.bytes));
    }
    ++i;
  }
  CHECK(reader.error() == Error::Ok);
  CHECK(i == want.size());
}

}  // namespace

TEST_CASE("build and parse round trip for every codec") {
  struct Case {
    Codec codec;
    bool xerial;
  };
  const Case cases[] = {{Codec::None, false},  {Codec::Gzip, false}, {Codec::Snappy, false},
                        {Codec::Snappy, true}, {Codec::Lz4, false},  {Codec::Zstd, false}};
  for (const Case& c : cases) {
    CAPTURE(static_cast<int>(c.codec));
    CAPTURE(c.xerial);
    BatchOptions o;
    o.codec = c.codec;
    o.compress_options.snappy_xerial = c.xerial;
    o.base_offset = 100;
    auto recs = sample_records();
    BatchBuilder b(o);
    append_all(b, recs);
    CHECK(b.record_count() == 5);
    std::vector<uint8_t> out = b.build();
    BatchView v{out};
    CHECK(v.validate() == Error::Ok);
    CHECK(v.codec() == c.codec);
    CHECK(v.record_count() == 5);
    CHECK(v.last_offset_delta() == 4);
    CHECK(v.base_offset() == 100);
    CHECK(v.base_timestamp() == 1000);
    CHECK(v.max_timestamp() == 1500);
    CHECK(v.producer_id() == -1);
    CHECK(v.producer_epoch() == -1);
    CHECK(v.base_sequence() == -1);
    CHECK(v.partition_leader_epoch() == -1);
    if (c.codec != Codec::None) CHECK(out.size() < b.uncompressed_size());
    check_records(v, recs);
    std::vector<uint8_t> buf;
    ValidateOptions strict;
    strict.require_contiguous_offsets = true;
    CHECK(validate_records(v, buf, 1 << 20, strict) == Error::Ok);
  }
}

TEST_CASE("producer, transactional and timestamp-type fields") {
  BatchOptions o;
  o.codec = Codec::Lz4;
  o.producer_id = 123456789012LL;
  o.producer_epoch = 17;
  o.base_sequence = 2000;
  o.transactional = true;
  o.partition_leader_epoch = 4;
  BatchBuilder b(o);
  b.append(5, bv("a"), bv("b"));
  auto out = b.build();
  BatchView v{out};
  REQUIRE(v.validate() == Error::Ok);
  CHECK(v.producer_id() == 123456789012LL);
  CHECK(v.producer_epoch() == 17);
  CHECK(v.base_sequence() == 2000);
  CHECK(v.is_transactional());
  CHECK_FALSE(v.is_control());
  CHECK(v.partition_leader_epoch() == 4);
  CHECK(v.attributes() == (0x10 | 3));

  BatchOptions la;
  la.timestamp_type = TimestampType::LogAppendTime;
  la.log_append_time = 777;
  BatchBuilder lb(la);
  lb.append(5, bv("a"), bv("b"));
  lb.append(9, bv("a"), bv("b"));
  auto lout = lb.build();
  BatchView lv{lout};
  REQUIRE(lv.validate() == Error::Ok);
  CHECK(lv.timestamp_type() == TimestampType::LogAppendTime);
  CHECK(lv.max_timestamp() == 777);
  CHECK(lv.base_timestamp() == 777);
}

TEST_CASE("control batches carry commit/abort markers") {
  for (ControlType type : {ControlType::Commit, ControlType::Abort}) {
    BatchOptions o;
    o.control = true;
    o.transactional = true;
    o.producer_id = 9;
    o.producer_epoch = 1;
    BatchBuilder b(o);
    b.append_control(type, 42, 5555);
    auto out = b.build();
    BatchView v{out};
    REQUIRE(v.validate() == Error::Ok);
    CHECK(v.is_control());
    CHECK(v.is_transactional());
    std::vector<uint8_t> buf;
    RecordReader reader;
    REQUIRE(open_records(v, buf, 1 << 20, reader) == Error::Ok);
    RecordView r;
    REQUIRE(reader.next(r));
    // Key: version 0, type; value: version 0, coordinator epoch 42.
    const uint8_t want_key[] = {0, 0, 0, static_cast<uint8_t>(type)};
    const uint8_t want_value[] = {0, 0, 0, 0, 0, 42};
    CHECK(
        std::equal(r.key.data.begin(), r.key.data.end(), std::begin(want_key), std::end(want_key)));
    CHECK(std::equal(r.value.data.begin(), r.value.data.end(), std::begin(want_value),
                     std::end(want_value)));
    ControlRecord cr;
    REQUIRE(parse_control_record(r, cr) == Error::Ok);
    CHECK(cr.type == type);
    CHECK(cr.coordinator_epoch == 42);
    CHECK(cr.key_version == 0);
    CHECK(cr.value_version == 0);
    CHECK_FALSE(reader.next(r));
  }
  RecordView bad;
  ControlRecord cr;
  bad.key = bv("ab");
  bad.value = bv("abcdef");
  CHECK(parse_control_record(bad, cr) == Error::InvalidRecord);
  const uint8_t unknown_type[] = {0, 0, 0, 7};
  bad.key = BytesView::of(std::span<const uint8_t>(unknown_type));
  CHECK(parse_control_record(bad, cr) == Error::InvalidRecord);
}

TEST_CASE("explicit offset deltas and misuse") {
  BatchBuilder b;
  b.append_at(0, 1, bv("a"), bv("1"));
  b.append_at(5, 2, bv("b"), bv("2"));
  b.append(3, bv("c"), bv("3"));  // delta 6
  CHECK_THROWS_AS(b.append_at(6, 4, bv("d"), bv("4")), std::invalid_argument);
  auto out = b.build();
  BatchView v{out};
  CHECK(v.validate() == Error::Ok);
  CHECK(v.last_offset_delta() == 6);
  CHECK(v.record_count() == 3);
  ValidateOptions strict;
  strict.require_contiguous_offsets = true;
  CHECK(v.validate(strict) == Error::InvalidRecord);

  BatchBuilder empty;
  auto eout = empty.build();
  BatchView ev{eout};
  CHECK(ev.size() == kBatchHeaderSize);
  CHECK(ev.validate() == Error::Ok);
  CHECK(ev.record_count() == 0);
}

TEST_CASE("compressed batch over the decompression cap is rejected") {
  for (Codec c : {Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd}) {
    CAPTURE(static_cast<int>(c));
    BatchOptions o;
    o.codec = c;
    BatchBuilder b(o);
    std::string big(100000, 'a');
    for (int i = 0; i < 10; ++i) b.append(i, null_bv(), bv(big));
    auto out = b.build();
    BatchView v{out};
    REQUIRE(v.validate() == Error::Ok);
    CHECK(out.size() < 100000);  // well under the cap: only the inflated size is too big
    std::vector<uint8_t> buf;
    RecordReader reader;
    CHECK(open_records(v, buf, 500000, reader) == Error::TooLarge);
    CHECK(buf.size() <= 500000);
    CHECK(validate_records(v, buf, 500000) == Error::TooLarge);
    CHECK(open_records(v, buf, 2000000, reader) == Error::Ok);
  }
}

TEST_CASE("corrupt compressed payload with a valid CRC") {
  for (Codec c : {Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd}) {
    CAPTURE(static_cast<int>(c));
    BatchOptions o;
    o.codec = c;
    BatchBuilder b(o);
    append_all(b, sample_records());
    auto out = b.build();
    // Garble the middle of the payload, then re-sign it.
    for (size_t i = kBatchHeaderSize + 4; i < out.size(); i += 3) out[i] ^= 0x5A;
    MutableBatchView{out}.update_crc();
    BatchView v{out};
    REQUIRE(v.validate() == Error::Ok);
    std::vector<uint8_t> buf;
    Error e = validate_records(v, buf, 1 << 20);
    CHECK(e != Error::Ok);
  }
}

TEST_CASE("validate() does not touch the records region of compressed batches") {
  BatchOptions o;
  o.codec = Codec::Gzip;
  BatchBuilder b(o);
  b.append(1, bv("k"), bv("v"));
  auto out = b.build();
  std::vector<uint8_t> buf;
  CHECK(validate_records(BatchView{out}, buf, 1 << 20) == Error::Ok);
  // Claim more records than present: header is consistent, records are not.
  out[batch_layout::kRecordCount + 3] = 2;
  out[batch_layout::kLastOffsetDelta + 3] = 1;
  MutableBatchView{out}.update_crc();
  CHECK(BatchView{out}.validate() == Error::Ok);
  CHECK(validate_records(BatchView{out}, buf, 1 << 20) == Error::CorruptMessage);
}

TEST_CASE("validate_records reports the timestamp range of one walk, for every codec") {
  for (Codec codec : {Codec::None, Codec::Gzip, Codec::Lz4}) {
    BatchOptions o;
    o.codec = codec;
    BatchBuilder b(o);
    // Out of order on purpose: the base timestamp is the first record's, deltas go negative.
    for (int64_t ts : {5000, 4000, 9000, 4500, 7000})
      b.append(ts, BytesView::null(), BytesView::of(std::string_view("v")));
    std::vector<uint8_t> out = b.build();
    BatchView v{out};
    std::vector<uint8_t> buf;
    RecordStats stats;
    REQUIRE(validate_records(v, buf, 1 << 20, {}, &stats) == Error::Ok);
    CHECK(stats.records == 5);
    CHECK(v.base_timestamp() + stats.min_timestamp_delta == 4000);
    CHECK(v.base_timestamp() + stats.max_timestamp_delta == 9000);
    // A corrupt batch leaves the stats untouched.
    out.back() ^= 0x01;
    RecordStats untouched;
    CHECK(validate_records(BatchView{out}, buf, 1 << 20, {}, &untouched) != Error::Ok);
    CHECK(untouched.records == 0);
  }
  BatchBuilder empty;
  std::vector<uint8_t> out = empty.build();
  std::vector<uint8_t> buf;
  RecordStats stats{7, 1, 2};
  REQUIRE(validate_records(BatchView{out}, buf, 1 << 20, {}, &stats) == Error::Ok);
  CHECK(stats.records == 0);
}
