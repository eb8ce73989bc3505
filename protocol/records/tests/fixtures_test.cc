// Bytes written by kafka-python 2.0.2 (see gen_kafka_python_fixtures.py) must
// parse to the records it was given.
#include <doctest/doctest.h>

#include <string>

#include "kafka_python_fixtures.h"
#include "records/convert.h"
#include "records/legacy.h"
#include "test_util.h"

using namespace fjord::records;
using namespace records_test;

namespace {

struct Want {
  int64_t ts_delta;
  Opt key;
  Opt value;
  std::vector<std::pair<std::string, Opt>> headers;
};

std::vector<Want> expected() {
  std::string v1;
  for (int i = 0; i < 20; ++i) v1 += "value-1-";
  return {{0, "key-0", "value-0", {{"h1", "v1"}}},
          {7, std::nullopt, v1, {}},
          {3, "key-2", std::nullopt, {{"h2", std::nullopt}, {"h3", ""}}},
          {9, "", "value-3", {}}};
}

void check_v2(const fixtures::Fixture& f) {
  const auto want = expected();
  BatchIterator it(f.bytes);
  BatchView v;
  REQUIRE(it.next(v));
  CHECK(v.validate() == Error::Ok);
  CHECK(v.codec_id() == f.codec);
  CHECK(v.record_count() == 4);
  CHECK(v.base_timestamp() == fixtures::kBaseTimestamp);
  CHECK(v.max_timestamp() == fixtures::kBaseTimestamp + 9);
  std::vector<uint8_t> buf;
  ValidateOptions strict;
  strict.require_contiguous_offsets = true;
  CHECK(validate_records(v, buf, 1 << 20, strict) == Error::Ok);
  RecordReader reader;
  REQUIRE(open_records(v, buf, 1 << 20, reader) == Error::Ok);
  RecordView r;
  size_t i = 0;
  while (reader.next(r)) {
    REQUIRE(i < want.size());
    CHECK(r.offset_delta == static_cast<int32_t>(i));
    CHECK(r.timestamp_delta == want[i].ts_delta);
    CHECK(opt(r.key) == want[i].key);
    CHECK(opt(r.value) == want[i].value);
    HeaderIterator hi = r.headers();
    HeaderView h;
    for (const auto& [k, val] : want[i].headers) {
      REQUIRE(hi.next(h));
      CHECK(h.key == k);
      CHECK(opt(h.value) == val);
    }
    CHECK_FALSE(hi.next(h));
    ++i;
  }
  CHECK(reader.error() == Error::Ok);
  CHECK(i == want.size());
  CHECK_FALSE(it.next(v));
  CHECK_FALSE(it.partial_tail());
}

void check_legacy(const fixtures::Fixture& f) {
  const auto want = expected();
  LegacyReader reader(f.bytes);
  LegacyMessageView m;
  size_t i = 0;
  while (reader.next(m)) {
    REQUIRE(i < want.size());
    CHECK(m.magic == f.magic);
    // kafka-python writes 0 as the offset of a magic 1 wrapper (real brokers
    // rewrite it), so KIP-31 resolution yields i - 3 there.
    const int64_t want_offset = static_cast<int64_t>(i) - (f.magic == 1 && f.codec != 0 ? 3 : 0);
    CHECK(m.offset == want_offset);
    if (f.magic == 1) {
      CHECK(m.timestamp == fixtures::kBaseTimestamp + want[i].ts_delta);
    } else {
      CHECK(m.timestamp == kNoTimestamp);
    }
    CHECK(opt(m.key) == want[i].key);
    CHECK(opt(m.value) == want[i].value);
    CHECK(reader.source_codec_id() == f.codec);
    ++i;
  }
  CHECK(reader.error() == Error::Ok);
  CHECK_FALSE(reader.partial_tail());
  CHECK(i == want.size());

  // And the broker's Produce v0-2 path: up-convert, keeping the codec.
  std::vector<uint8_t> out;
  UpConvertResult up = legacy_to_batch(f.bytes, out);
  REQUIRE(up.error == Error::Ok);
  CHECK(up.record_count == 4);
  CHECK(static_cast<int>(up.codec) == f.codec);
  std::vector<uint8_t> buf;
  CHECK(validate_records(BatchView{out}, buf, 1 << 20) == Error::Ok);
}

}  // namespace

TEST_CASE("kafka-python fixtures parse to the expected records") {
  for (const fixtures::Fixture& f : fixtures::kAll) {
    CAPTURE(f.magic);
    CAPTURE(f.codec);
    if (f.magic == 2) {
      check_v2(f);
    } else {
      check_legacy(f);
    }
  }
}

TEST_CASE("kafka-python fixtures: truncation never crashes") {
  for (const fixtures::Fixture& f : fixtures::kAll) {
    for (size_t n = 0; n < f.bytes.size(); ++n) {
      std::vector<uint8_t> cut(f.bytes.begin(), f.bytes.begin() + static_cast<std::ptrdiff_t>(n));
      if (f.magic == 2) {
        BatchIterator it(cut);
        BatchView v;
        CHECK_FALSE(it.next(v));
        CHECK(it.partial_tail() == (n > 0));
      } else {
        LegacyReader r(cut);
        LegacyMessageView m;
        while (r.next(m)) {
        }
        CHECK(r.error() == Error::Ok);
      }
    }
  }
}
