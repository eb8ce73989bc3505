// Up-conversion (legacy -> v2) and down-conversion (v2 -> legacy).
#include "records/convert.h"

#include <doctest/doctest.h>

#include <string>

#include "records/builder.h"
#include "records/legacy.h"
#include "test_util.h"

using namespace fjord::records;
using namespace records_test;
using fjord::compression::Codec;

namespace {

struct Msg {
  int64_t offset;
  int64_t ts;
  Opt key;
  Opt value;
  friend bool operator==(const Msg&, const Msg&) = default;
};

std::vector<Msg> sample(int8_t magic, int64_t first_offset) {
  auto ts = [&](int64_t x) { return magic == 0 ? kNoTimestamp : x; };
  std::vector<Msg> v;
  v.push_back({first_offset, ts(1700000000000), "k0", "v0"});
  v.push_back({first_offset + 1, ts(1700000000005), std::nullopt, std::string(2000, 'r')});
  v.push_back({first_offset + 2, ts(1699999999999), "k2", std::nullopt});
  v.push_back({first_offset + 3, ts(1700000000001), "", ""});
  return v;
}

Bytes build_legacy(int8_t magic, Codec codec, const std::vector<Msg>& msgs) {
  LegacyOptions o;
  o.magic = magic;
  o.codec = codec;
  LegacyBuilder b(o);
  for (const Msg& m : msgs) {
    b.append(m.offset, m.ts, m.key ? bv(*m.key) : null_bv(), m.value ? bv(*m.value) : null_bv());
  }
  return b.build();
}

std::vector<Msg> read_legacy(std::span<const uint8_t> set, Error* err = nullptr) {
  std::vector<Msg> out;
  LegacyReader r(set);
  LegacyMessageView m;
  while (r.next(m)) out.push_back({m.offset, m.timestamp, opt(m.key), opt(m.value)});
  if (err) *err = r.error();
  return out;
}

std::vector<Msg> read_batch(const BatchView& v) {
  std::vector<Msg> out;
  std::vector<uint8_t> buf;
  RecordReader reader;
  REQUIRE(open_records(v, buf, 1 << 20, reader) == Error::Ok);
  RecordView r;
  while (reader.next(r)) {
    out.push_back({v.base_offset() + r.offset_delta, v.base_timestamp() + r.timestamp_delta,
                   opt(r.key), opt(r.value)});
  }
  REQUIRE(reader.error() == Error::Ok);
  return out;
}

}  // namespace

TEST_CASE("legacy -> v2 -> legacy preserves keys, values, timestamps and offsets") {
  for (int8_t magic : {int8_t{0}, int8_t{1}}) {
    for (Codec c : {Codec::None, Codec::Gzip, Codec::Snappy, Codec::Lz4}) {
      CAPTURE(int{magic});
      CAPTURE(static_cast<int>(c));
      auto msgs = sample(magic, 0);
      Bytes legacy = build_legacy(magic, c, msgs);

      Bytes batch;
      UpConvertResult up = legacy_to_batch(legacy, batch);
      REQUIRE(up.error == Error::Ok);
      CHECK(up.record_count == 4);
      CHECK(up.codec == c);
      BatchView v{batch};
      ValidateOptions strict;
      strict.require_contiguous_offsets = true;
      std::vector<uint8_t> buf;
      REQUIRE(validate_records(v, buf, 1 << 20, strict) == Error::Ok);
      CHECK(v.codec() == c);
      CHECK(v.base_offset() == 0);
      CHECK(v.base_timestamp() == msgs[0].ts);
      CHECK(v.max_timestamp() == (magic == 0 ? kNoTimestamp : 1700000000005));
      CHECK(read_batch(v) == msgs);

      // The broker would now assign offsets; emulate it before converting back.
      MutableBatchView{batch}.set_base_offset(500);
      Bytes back;
      DownConvertOptions dopt;
      dopt.magic = magic;
      DownConvertResult down = batches_to_legacy(batch, back, dopt);
      REQUIRE(down.error == Error::Ok);
      CHECK(down.batches == 1);
      CHECK(down.messages == 4);
      Error e;
      auto again = read_legacy(back, &e);
      CHECK(e == Error::Ok);
      auto want = sample(magic, 500);
      CHECK(again == want);
      if (c != Codec::None) {
        LegacyMessageView w;
        size_t used = 0;
        REQUIRE(parse_legacy_entry(back, w, used) == Error::Ok);
        CHECK(used == back.size());
        CHECK(w.codec_id() == static_cast<uint8_t>(c));
        CHECK(w.offset == 503);
      }
    }
  }
}

TEST_CASE("up-conversion: codec choice, mixed sets and errors") {
  Bytes set = build_legacy(1, Codec::None, sample(1, 0));
  Bytes gz = build_legacy(1, Codec::Gzip, sample(1, 4));
  set.insert(set.end(), gz.begin(), gz.end());
  Bytes m0 = build_legacy(0, Codec::None, sample(0, 8));
  set.insert(set.end(), m0.begin(), m0.end());

  Bytes out;
  UpConvertResult r = legacy_to_batch(set, out);
  REQUIRE(r.error == Error::Ok);
  CHECK(r.codec == Codec::Gzip);  // the first compressed wrapper decides
  CHECK(r.record_count == 12);
  CHECK(r.saw_magic0);
  CHECK(r.saw_magic1);
  auto recs = read_batch(BatchView{out});
  REQUIRE(recs.size() == 12);
  for (size_t i = 0; i < recs.size(); ++i) CHECK(recs[i].offset == static_cast<int64_t>(i));
  CHECK(recs[8].ts == kNoTimestamp);
  CHECK(recs[4].ts == 1700000000000);

  UpConvertOptions zo;
  zo.codec = Codec::Zstd;
  zo.base_offset = 77;
  zo.partition_leader_epoch = 3;
  out.clear();
  r = legacy_to_batch(set, out, zo);
  REQUIRE(r.error == Error::Ok);
  BatchView zv{out};
  CHECK(zv.codec() == Codec::Zstd);
  CHECK(zv.base_offset() == 77);
  CHECK(zv.partition_leader_epoch() == 3);
  CHECK(read_batch(zv).size() == 12);

  // A cut-off final message is an error unless allowed.
  Bytes cut(set.begin(), set.end() - 5);
  out.clear();
  CHECK(legacy_to_batch(cut, out).error == Error::Truncated);
  CHECK(out.empty());
  UpConvertOptions lenient;
  lenient.allow_partial_tail = true;
  r = legacy_to_batch(cut, out, lenient);
  CHECK(r.error == Error::Ok);
  CHECK(r.record_count == 11);

  out.clear();
  CHECK(legacy_to_batch({}, out).error == Error::InvalidRecord);
  Bytes bad = build_legacy(1, Codec::None, sample(1, 0));
  bad[20] ^= 1;
  CHECK(legacy_to_batch(bad, out).error == Error::CorruptMessage);
  CHECK(out.empty());
}

TEST_CASE("down-conversion details") {
  Bytes records;
  {
    BatchOptions o;
    o.base_offset = 10;
    o.codec = Codec::Snappy;
    BatchBuilder b(o);
    HeaderView h{"dropped", bv("header")};
    b.append(100, bv("a"), bv("1"), std::span<const HeaderView>(&h, 1));
    b.append(101, bv("b"), bv("2"));
    b.build(records);
  }
  {
    BatchOptions o;
    o.base_offset = 12;
    o.control = true;
    o.transactional = true;
    BatchBuilder b(o);
    b.append_control(ControlType::Commit, 1, 102);
    b.build(records);
  }
  {
    BatchOptions o;
    o.base_offset = 13;
    o.timestamp_type = TimestampType::LogAppendTime;
    o.log_append_time = 9999;
    BatchBuilder b(o);
    b.append(103, bv("c"), bv("3"));
    b.build(records);
  }
  const size_t whole = records.size();
  {
    BatchOptions o;
    o.base_offset = 14;
    o.codec = Codec::Zstd;
    BatchBuilder b(o);
    b.append(104, bv("d"), bv("4"));
    b.build(records);
  }

  SUBCASE("control batches skipped, LogAppendTime kept, codec per batch") {
    Bytes out;
    DownConvertOptions o;
    o.magic = 1;
    auto r = batches_to_legacy(std::span<const uint8_t>(records).first(whole), out, o);
    REQUIRE(r.error == Error::Ok);
    CHECK(r.batches == 2);
    CHECK(r.messages == 3);
    std::vector<Msg> got;
    std::vector<TimestampType> types;
    LegacyReader reader(out);
    LegacyMessageView m;
    while (reader.next(m)) {
      got.push_back({m.offset, m.timestamp, opt(m.key), opt(m.value)});
      types.push_back(m.timestamp_type);
    }
    REQUIRE(reader.error() == Error::Ok);
    std::vector<Msg> want = {{10, 100, "a", "1"}, {11, 101, "b", "2"}, {13, 9999, "c", "3"}};
    CHECK(got == want);
    CHECK(types[2] == TimestampType::LogAppendTime);
    LegacyMessageView w;
    size_t used = 0;
    REQUIRE(parse_legacy_entry(out, w, used) == Error::Ok);
    CHECK(w.codec_id() == static_cast<uint8_t>(Codec::Snappy));
  }
  SUBCASE("zstd batches need an explicit codec") {
    Bytes out;
    DownConvertOptions o;
    o.magic = 0;
    auto r = batches_to_legacy(records, out, o);
    CHECK(r.error == Error::UnsupportedCompression);
    CHECK(out.empty());
    o.codec = Codec::None;
    r = batches_to_legacy(records, out, o);
    REQUIRE(r.error == Error::Ok);
    CHECK(r.messages == 4);
    auto got = read_legacy(out);
    REQUIRE(got.size() == 4);
    CHECK(got[3].offset == 14);
    CHECK(got[3].ts == kNoTimestamp);
  }
  SUBCASE("partial trailing batch is dropped and reported") {
    Bytes out;
    DownConvertOptions o;
    o.magic = 1;
    o.codec = Codec::Gzip;
    auto r = batches_to_legacy(std::span<const uint8_t>(records).first(records.size() - 1), out, o);
    REQUIRE(r.error == Error::Ok);
    CHECK(r.partial_tail);
    CHECK(r.messages == 3);
  }
  SUBCASE("corrupt batch fails the whole conversion") {
    Bytes bad = records;
    bad[batch_layout::kRecords + 2] ^= 1;
    Bytes out = {1, 2, 3};
    DownConvertOptions o;
    auto r = batches_to_legacy(bad, out, o);
    CHECK(r.error == Error::CorruptMessage);
    CHECK(out == Bytes{1, 2, 3});
  }
  SUBCASE("bad target magic or codec") {
    Bytes out;
    DownConvertOptions o;
    o.magic = 2;
    CHECK(batches_to_legacy(records, out, o).error == Error::UnsupportedMagic);
    o.magic = 1;
    o.codec = Codec::Zstd;
    CHECK(batches_to_legacy(records, out, o).error == Error::UnsupportedCompression);
  }
}
