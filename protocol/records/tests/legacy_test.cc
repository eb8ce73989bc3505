// Legacy message sets (magic 0 and 1): golden bytes, wrappers, offsets,
// truncation and corruption.
#include "records/legacy.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "test_util.h"

using namespace fjord::records;
using namespace records_test;
using fjord::compression::Codec;

namespace {

// Magic 0: offset 9, key "key", value "value". CRC from Python's zlib.crc32.
Bytes golden_v0() {
  Bytes b;
  be(b, 9, 8);
  be(b, 22, 4);
  be(b, 0x2356c137, 4);
  raw(b, {0x00, 0x00});
  be(b, 3, 4);
  raw(b, "key");
  be(b, 5, 4);
  raw(b, "value");
  return b;
}

// Magic 1: offset 10, CreateTime 1234567890123, null key, value "hi".
Bytes golden_v1() {
  Bytes b;
  be(b, 10, 8);
  be(b, 24, 4);
  be(b, 0x59323274, 4);
  raw(b, {0x01, 0x00});
  be(b, 1234567890123ULL, 8);
  be(b, 0xFFFFFFFF, 4);
  be(b, 2, 4);
  raw(b, "hi");
  return b;
}

struct Msg {
  int64_t offset;
  int64_t ts;
  Opt key;
  Opt value;
  TimestampType type;
  friend bool operator==(const Msg&, const Msg&) = default;
};

// Reads a whole set; returns the reader's error.
Error read_all(std::span<const uint8_t> set, std::vector<Msg>& out, bool* partial = nullptr,
               size_t cap = 1 << 20) {
  LegacyReadOptions o;
  o.max_decompressed = cap;
  LegacyReader r(set, o);
  LegacyMessageView m;
  while (r.next(m))
    out.push_back({m.offset, m.timestamp, opt(m.key), opt(m.value), m.timestamp_type});
  if (partial) *partial = r.partial_tail();
  return r.error();
}

std::vector<Msg> sample(int8_t magic) {
  std::vector<Msg> v;
  const TimestampType t = magic == 0 ? TimestampType::None : TimestampType::CreateTime;
  auto ts = [&](int64_t x) { return magic == 0 ? kNoTimestamp : x; };
  v.push_back({100, ts(5000), "k0", "v0", t});
  v.push_back({101, ts(5003), std::nullopt, std::string(3000, 'q'), t});
  v.push_back({102, ts(4999), "k2", std::nullopt, t});
  v.push_back({103, ts(5001), "", "", t});
  return v;
}

Bytes build(int8_t magic, Codec codec, const std::vector<Msg>& msgs) {
  LegacyOptions o;
  o.magic = magic;
  o.codec = codec;
  LegacyBuilder b(o);
  for (const Msg& m : msgs) {
    b.append(m.offset, m.ts, m.key ? bv(*m.key) : null_bv(), m.value ? bv(*m.value) : null_bv());
  }
  return b.build();
}

}  // namespace

TEST_CASE("golden magic 0 and magic 1 messages match the writer") {
  Bytes g0 = golden_v0();
  Bytes w0;
  write_legacy_message(w0, 0, 9, 0, -1, bv("key"), bv("value"));
  CHECK(w0 == g0);
  CHECK(build(0, Codec::None, {{9, -1, "key", "value", TimestampType::None}}) == g0);

  Bytes g1 = golden_v1();
  Bytes w1;
  write_legacy_message(w1, 1, 10, 0, 1234567890123LL, null_bv(), bv("hi"));
  CHECK(w1 == g1);
  CHECK(build(1, Codec::None,
              {{10, 1234567890123LL, std::nullopt, "hi", TimestampType::CreateTime}}) == g1);
}

TEST_CASE("golden legacy messages parse") {
  Bytes set = golden_v0();
  Bytes g1 = golden_v1();
  set.insert(set.end(), g1.begin(), g1.end());
  LegacyReader r(set);
  LegacyMessageView m;
  REQUIRE(r.next(m));
  CHECK(m.offset == 9);
  CHECK(m.magic == 0);
  CHECK(m.crc == 0x2356c137u);
  CHECK(m.timestamp == kNoTimestamp);
  CHECK(m.timestamp_type == TimestampType::None);
  CHECK(opt(m.key) == Opt("key"));
  CHECK(opt(m.value) == Opt("value"));
  CHECK(points_into(m.value.data, set));
  REQUIRE(r.next(m));
  CHECK(m.offset == 10);
  CHECK(m.magic == 1);
  CHECK(m.timestamp == 1234567890123LL);
  CHECK(m.timestamp_type == TimestampType::CreateTime);
  CHECK(m.key.is_null);
  CHECK(opt(m.value) == Opt("hi"));
  CHECK_FALSE(r.next(m));
  CHECK(r.error() == Error::Ok);
  CHECK_FALSE(r.partial_tail());
}

TEST_CASE("round trip, both magics, every legacy codec") {
  for (int8_t magic : {int8_t{0}, int8_t{1}}) {
    for (Codec c : {Codec::None, Codec::Gzip, Codec::Snappy, Codec::Lz4}) {
      CAPTURE(int{magic});
      CAPTURE(static_cast<int>(c));
      auto msgs = sample(magic);
      Bytes set = build(magic, c, msgs);
      std::vector<Msg> got;
      CHECK(read_all(set, got) == Error::Ok);
      CHECK(got == msgs);
      if (c != Codec::None) {
        // One wrapper whose offset is that of the last inner message.
        LegacyMessageView w;
        size_t used = 0;
        REQUIRE(parse_legacy_entry(set, w, used) == Error::Ok);
        CHECK(used == set.size());
        CHECK(w.offset == 103);
        CHECK(w.codec_id() == static_cast<uint8_t>(c));
        if (magic == 1) CHECK(w.timestamp == 5003);
      }
    }
  }
}

TEST_CASE("magic 0 lz4 wrappers use the legacy frame header checksum") {
  auto msgs = sample(0);
  Bytes set = build(0, Codec::Lz4, msgs);
  LegacyMessageView w;
  size_t used = 0;
  REQUIRE(parse_legacy_entry(set, w, used) == Error::Ok);
  std::vector<uint8_t> out;
  // A strict lz4 decoder refuses the broken header checksum.
  CHECK_THROWS(fjord::compression::decompress(Codec::Lz4, w.value.data, out, 1 << 20, false));
  out.clear();
  CHECK_NOTHROW(fjord::compression::decompress(Codec::Lz4, w.value.data, out, 1 << 20, true));
}

TEST_CASE("magic 1 wrappers: relative inner offsets and LogAppendTime") {
  LegacyOptions o;
  o.magic = 1;
  o.codec = Codec::Gzip;
  o.timestamp_type = TimestampType::LogAppendTime;
  o.log_append_time = 999;
  LegacyBuilder b(o);
  b.append(50, 1, bv("a"), bv("1"));
  b.append(51, 2, bv("b"), bv("2"));
  b.append(53, 3, bv("c"), bv("3"));
  Bytes set = b.build();

  // The wrapper carries the last absolute offset; inner offsets start at 0.
  LegacyMessageView w;
  size_t used = 0;
  REQUIRE(parse_legacy_entry(set, w, used) == Error::Ok);
  CHECK(w.offset == 53);
  CHECK(w.timestamp == 999);
  CHECK(w.timestamp_type == TimestampType::LogAppendTime);
  std::vector<uint8_t> inner;
  fjord::compression::decompress(Codec::Gzip, w.value.data, inner, 1 << 20);
  LegacyMessageView first;
  REQUIRE(parse_legacy_entry(inner, first, used) == Error::Ok);
  CHECK(first.offset == 0);

  std::vector<Msg> got;
  REQUIRE(read_all(set, got) == Error::Ok);
  REQUIRE(got.size() == 3);
  CHECK(got[0].offset == 50);
  CHECK(got[1].offset == 51);
  CHECK(got[2].offset == 53);
  for (const Msg& m : got) {
    CHECK(m.ts == 999);
    CHECK(m.type == TimestampType::LogAppendTime);
  }

  // Moving the wrapper offset moves every inner message with it.
  Bytes moved = set;
  for (int i = 0; i < 8; ++i)
    moved[static_cast<size_t>(i)] = static_cast<uint8_t>(i == 7 ? 200 : 0);
  got.clear();
  REQUIRE(read_all(moved, got) == Error::Ok);
  CHECK(got[0].offset == 197);
  CHECK(got[2].offset == 200);
}

TEST_CASE("magic 0 wrappers keep absolute inner offsets") {
  LegacyOptions o;
  o.magic = 0;
  o.codec = Codec::Snappy;
  LegacyBuilder b(o);
  b.append(7, 0, bv("a"), bv("1"));
  b.append(8, 0, bv("b"), bv("2"));
  Bytes set = b.build();
  // Even a wrapper offset that disagrees leaves inner offsets alone (the
  // offset field is outside the CRC, so this edit keeps the set valid).
  set[7] = 77;
  std::vector<Msg> got;
  REQUIRE(read_all(set, got) == Error::Ok);
  REQUIRE(got.size() == 2);
  CHECK(got[0].offset == 7);
  CHECK(got[1].offset == 8);
}

TEST_CASE("truncation at every byte: clean partial tail, no crash") {
  for (int8_t magic : {int8_t{0}, int8_t{1}}) {
    for (Codec c : {Codec::None, Codec::Gzip}) {
      Bytes set = build(magic, c, sample(magic));
      // Entry boundaries: cutting exactly there leaves no partial tail.
      std::vector<size_t> ends = {0};
      for (size_t pos = 0; pos < set.size();) {
        LegacyMessageView m;
        size_t used = 0;
        REQUIRE(parse_legacy_entry(std::span<const uint8_t>(set).subspan(pos), m, used) ==
                Error::Ok);
        pos += used;
        ends.push_back(pos);
      }
      for (size_t n = 0; n < set.size(); ++n) {
        Bytes cut(set.begin(), set.begin() + static_cast<std::ptrdiff_t>(n));
        std::vector<Msg> got;
        bool partial = false;
        CHECK(read_all(cut, got, &partial) == Error::Ok);
        const bool at_boundary = std::find(ends.begin(), ends.end(), n) != ends.end();
        CHECK(partial == !at_boundary);
        LegacyMessageView m;
        size_t used = 0;
        if (c != Codec::None) CHECK(parse_legacy_entry(cut, m, used) == Error::Truncated);
      }
    }
  }
}

TEST_CASE("corruption is detected") {
  Bytes g = golden_v1();
  SUBCASE("CRC mismatch on any byte after the crc field") {
    for (size_t i = 16; i < g.size(); ++i) {
      Bytes m = g;
      m[i] ^= 0x04;
      std::vector<Msg> got;
      Error e = read_all(m, got);
      CHECK(e != Error::Ok);
      CHECK(got.empty());
    }
  }
  SUBCASE("negative and tiny message sizes") {
    for (uint32_t size : {0xFFFFFFFFu, 0x80000000u, 0u, 13u}) {
      Bytes m = g;
      for (int i = 0; i < 4; ++i)
        m[8 + static_cast<size_t>(i)] = static_cast<uint8_t>(size >> (24 - 8 * i));
      std::vector<Msg> got;
      CHECK(read_all(m, got) == Error::CorruptMessage);
    }
  }
  SUBCASE("huge message size is a partial tail") {
    Bytes m = g;
    m[8] = 0x7F;
    std::vector<Msg> got;
    bool partial = false;
    CHECK(read_all(m, got, &partial) == Error::Ok);
    CHECK(partial);
  }
  SUBCASE("key length beyond the message, CRC skipped") {
    Bytes m = g;
    m[26] = 0x00;
    m[27] = 0x00;
    m[28] = 0x00;
    m[29] = 0x30;
    LegacyMessageView v;
    size_t used = 0;
    CHECK(parse_legacy_entry(m, v, used, false) == Error::CorruptMessage);
  }
  SUBCASE("unknown magic") {
    Bytes m = g;
    m[16] = 5;
    LegacyMessageView v;
    size_t used = 0;
    CHECK(parse_legacy_entry(m, v, used, false) == Error::UnsupportedMagic);
  }
}

TEST_CASE("wrapper rules: nesting, zstd, empty, magic mismatch, cap") {
  auto wrap = [](int8_t magic, Codec codec, const Bytes& inner_set, int8_t extra_attrs = 0) {
    std::vector<uint8_t> packed;
    fjord::compression::CompressOptions co;
    co.lz4_legacy_header_checksum = magic == 0;
    fjord::compression::compress(codec, inner_set, packed, co);
    Bytes out;
    write_legacy_message(out, magic, 5,
                         static_cast<int8_t>(static_cast<int8_t>(codec) | extra_attrs), 0,
                         null_bv(), BytesView::of(std::span<const uint8_t>(packed)));
    return out;
  };
  std::vector<Msg> got;
  SUBCASE("a wrapper inside a wrapper is rejected") {
    Bytes inner = build(1, Codec::Gzip, sample(1));
    CHECK(read_all(wrap(1, Codec::Gzip, inner), got) == Error::InvalidRecord);
  }
  SUBCASE("zstd is not a legacy codec") {
    Bytes inner = build(1, Codec::None, sample(1));
    CHECK(read_all(wrap(1, Codec::Zstd, inner), got) == Error::UnsupportedCompression);
    LegacyOptions zo;
    zo.codec = Codec::Zstd;
    CHECK_THROWS_AS(LegacyBuilder{zo}, std::invalid_argument);
  }
  SUBCASE("empty inner set") {
    CHECK(read_all(wrap(1, Codec::Gzip, {}), got) == Error::InvalidRecord);
  }
  SUBCASE("inner magic differs from the wrapper") {
    Bytes inner = build(0, Codec::None, sample(0));
    CHECK(read_all(wrap(1, Codec::Gzip, inner), got) == Error::InvalidRecord);
  }
  SUBCASE("garbage inside the wrapper") {
    Bytes inner = build(1, Codec::None, sample(1));
    inner[20] ^= 1;  // breaks the first inner CRC
    CHECK(read_all(wrap(1, Codec::Gzip, inner), got) == Error::CorruptMessage);
    Bytes cut = build(1, Codec::None, sample(1));
    cut.erase(cut.end() - 3, cut.end());
    CHECK(read_all(wrap(1, Codec::Gzip, cut), got) == Error::CorruptMessage);
  }
  SUBCASE("null wrapper value") {
    Bytes out;
    write_legacy_message(out, 1, 0, 1, 0, null_bv(), null_bv());
    CHECK(read_all(out, got) == Error::InvalidRecord);
  }
  SUBCASE("undecodable payload") {
    Bytes out;
    write_legacy_message(out, 1, 0, 2, 0, null_bv(), bv("definitely not snappy"));
    CHECK(read_all(out, got) == Error::DecompressionFailed);
  }
  SUBCASE("decompressed size above the cap") {
    LegacyOptions o;
    o.magic = 1;
    o.codec = Codec::Lz4;
    LegacyBuilder b(o);
    std::string big(200000, 'b');
    for (int i = 0; i < 5; ++i) b.append(i, i, null_bv(), bv(big));
    Bytes set = b.build();
    CHECK(set.size() < 20000);
    CHECK(read_all(set, got, nullptr, 100000) == Error::TooLarge);
    got.clear();
    CHECK(read_all(set, got, nullptr, 2000000) == Error::Ok);
    CHECK(got.size() == 5);
  }
}
