#include "server/cluster/produce_validation.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "records/builder.h"

namespace fjord {
namespace {

using compression::Codec;

std::vector<uint8_t> make_batch(Codec codec, bool with_null_key = false) {
  records::BatchOptions o;
  o.codec = codec;
  o.producer_id = 42;
  o.producer_epoch = 3;
  o.base_sequence = 7;
  records::BatchBuilder b(o);
  for (int i = 0; i < 50; ++i) {
    std::string k = "key-" + std::to_string(i), v = std::string(40 + i, 'a' + i % 26);
    auto key =
        with_null_key && i % 10 == 3 ? records::BytesView::null() : records::BytesView::of(k);
    b.append_at(i * 2, 1'700'000'000'000 + i * 5, key, records::BytesView::of(v));
  }
  return b.build();
}

struct Rec {
  int32_t delta;
  int64_t ts;
  std::string key, value;
  bool operator==(const Rec&) const = default;
};

std::vector<Rec> read_all(const records::BatchView& b) {
  std::vector<uint8_t> buf;
  records::RecordReader rr;
  REQUIRE(records::open_records(b, buf, 1 << 20, rr) == records::Error::Ok);
  std::vector<Rec> out;
  records::RecordView r;
  while (rr.next(r))
    out.push_back({r.offset_delta, b.base_timestamp() + r.timestamp_delta,
                   std::string(r.key.is_null ? "<null>" : r.key.str()),
                   std::string(r.value.str())});
  REQUIRE(rr.error() == records::Error::Ok);
  return out;
}

TEST_CASE("recompress_batch: every codec pair keeps the header fields and records") {
  const Codec all[] = {Codec::None, Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd};
  for (Codec from : all) {
    auto src = make_batch(from);
    records::BatchView sb{src};
    REQUIRE(sb.validate() == records::Error::Ok);
    const auto want = read_all(sb);
    for (Codec to : all) {
      CAPTURE(compression::codec_name(from));
      CAPTURE(compression::codec_name(to));
      std::vector<uint8_t> out;
      config::TopicConfig tc;
      REQUIRE(recompress_batch(sb, to, compress_options(tc, to), 1 << 20, out) ==
              records::Error::Ok);
      records::BatchView ob{out};
      CHECK(ob.validate() == records::Error::Ok);  // framing, CRC, codec bits
      CHECK(ob.codec() == to);
      CHECK(ob.size() == out.size());
      CHECK(ob.producer_id() == 42);
      CHECK(ob.producer_epoch() == 3);
      CHECK(ob.base_sequence() == 7);
      CHECK(ob.record_count() == 50);
      CHECK(ob.last_offset_delta() == 98);
      CHECK(ob.base_timestamp() == sb.base_timestamp());
      CHECK(ob.max_timestamp() == sb.max_timestamp());
      std::vector<uint8_t> scratch;
      CHECK(records::validate_records(ob, scratch, 1 << 20) == records::Error::Ok);
      CHECK(read_all(ob) == want);
    }
  }
}

TEST_CASE("recompress_batch: a decompression cap is honoured") {
  auto src = make_batch(Codec::Gzip);
  std::vector<uint8_t> out;
  CHECK(recompress_batch(records::BatchView{src}, Codec::None, {}, 100, out) ==
        records::Error::TooLarge);
  CHECK(out.empty());
}

TEST_CASE("target_codec follows compression.type") {
  config::TopicConfig tc;
  CHECK(!target_codec(tc).has_value());
  tc.compression_type = config::CompressionType::kUncompressed;
  CHECK(target_codec(tc) == Codec::None);
  tc.compression_type = config::CompressionType::kZstd;
  CHECK(target_codec(tc) == Codec::Zstd);
  tc.compression_zstd_level = 7;
  CHECK(compress_options(tc, Codec::Zstd).level == 7);
  CHECK(compress_options(tc, Codec::Snappy).snappy_xerial);
}

TEST_CASE("find_keyless_records names each keyless record, compressed or not") {
  for (Codec c : {Codec::None, Codec::Lz4}) {
    auto with = make_batch(c, true);
    std::vector<uint8_t> scratch;
    std::vector<RecordError> errs;
    REQUIRE(find_keyless_records(records::BatchView{with}, "t", 3, scratch, 1 << 20, errs));
    REQUIRE(errs.size() == 5);
    CHECK(errs[0].batch_index == 3);
    CHECK(errs[4].batch_index == 43);
    CHECK(errs[0].message ==
          "Compacted topic cannot accept message without key in topic partition t-3.");
    CHECK(record_errors_message(errs).find("5 record errors in total") != std::string::npos);
    auto without = make_batch(c, false);
    REQUIRE(find_keyless_records(records::BatchView{without}, "t", 3, scratch, 1 << 20, errs));
    CHECK(errs.empty());
  }
}

}  // namespace
}  // namespace fjord
