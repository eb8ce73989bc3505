// Primitive encodings and the checks that keep malformed input cheap to reject.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

#include "codec/frame.h"
#include "codec/tags.h"

using namespace fjord::proto;

namespace {
std::vector<uint8_t> bytes_of(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}
}  // namespace

TEST_CASE("fixed-width integers are big-endian") {
  Writer w;
  w.write_int16(0x0102);
  w.write_int32(-2);
  w.write_int64(0x0102030405060708LL);
  w.write_uint16(0xfffe);
  CHECK(w.buffer() == bytes_of({1, 2, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xfe}));
  Reader r(w.buffer());
  CHECK(r.read_int16() == 0x0102);
  CHECK(r.read_int32() == -2);
  CHECK(r.read_int64() == 0x0102030405060708LL);
  CHECK(r.read_uint16() == 0xfffe);
  CHECK(r.empty());
  CHECK_THROWS_AS(r.read_int8(), DecodeError);
}

TEST_CASE("varints: unsigned, zigzag and overlong") {
  struct Case {
    int32_t v;
    std::vector<uint8_t> enc;
  };
  for (const auto& c : std::vector<Case>{{0, {0}},
                                         {-1, {1}},
                                         {1, {2}},
                                         {-64, {0x7f}},
                                         {64, {0x80, 1}},
                                         {INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}},
                                         {INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}}}) {
    Writer w;
    w.write_varint(c.v);
    CHECK(w.buffer() == c.enc);
    Reader r(w.buffer());
    CHECK(r.read_varint() == c.v);
  }
  for (int64_t v : std::vector<int64_t>{0, -1, int64_t{1} << 40, INT64_MAX, INT64_MIN}) {
    Writer w;
    w.write_varlong(v);
    Reader r(w.buffer());
    CHECK(r.read_varlong() == v);
    CHECK(r.empty());
  }
  Writer w;
  w.write_uvarint(300);
  CHECK(w.buffer() == bytes_of({0xac, 0x02}));
  auto overlong = bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  Reader r1(overlong);
  CHECK_THROWS_AS(r1.read_uvarint(), DecodeError);
  auto too_big = bytes_of({0xff, 0xff, 0xff, 0xff, 0x1f});
  Reader r2(too_big);
  CHECK_THROWS_AS(r2.read_uvarint(), DecodeError);
  auto truncated = bytes_of({0x80});
  Reader r3(truncated);
  CHECK_THROWS_AS(r3.read_uvarint(), DecodeError);
}

TEST_CASE("strings, bytes and arrays: null, compact and checked lengths") {
  Writer w;
  w.write_nullable_string(std::nullopt, false);
  w.write_nullable_string(std::nullopt, true);
  w.write_string("ab", false);
  w.write_string("ab", true);
  CHECK(w.buffer() == bytes_of({0xff, 0xff, 0, 0, 2, 'a', 'b', 3, 'a', 'b'}));
  Reader r(w.buffer());
  CHECK_FALSE(r.read_nullable_string(false).has_value());
  CHECK_FALSE(r.read_nullable_string(true).has_value());
  CHECK(r.read_string(false) == "ab");
  CHECK(r.read_string(true) == "ab");

  auto null_str = bytes_of({0xff, 0xff});
  Reader rn(null_str);
  CHECK_THROWS_AS(rn.read_string(false), DecodeError);
  auto neg = bytes_of({0xff, 0xfe});
  Reader rneg(neg);
  CHECK_THROWS_AS(rneg.read_nullable_string(false), DecodeError);
  auto huge = bytes_of({0x7f, 0xff, 0xff, 0xff, 1, 2});
  Reader rh(huge);
  CHECK_THROWS_AS(rh.read_bytes(false), DecodeError);
  Reader ra(huge);
  CHECK_THROWS_AS(ra.read_array_length(false, 1), DecodeError);
  auto neg_array = bytes_of({0xff, 0xff, 0xff, 0xfe});
  Reader rna(neg_array);
  CHECK_THROWS_AS(rna.read_array_length(false, 1), DecodeError);
  // 3 elements of at least 4 bytes cannot fit in 8 bytes.
  auto small = bytes_of({0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0});
  Reader rs(small);
  CHECK_THROWS_AS(rs.read_array_length(false, 4), DecodeError);
  auto compact_huge = bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f});
  Reader rc(compact_huge);
  CHECK_THROWS_AS(rc.read_array_length(true, 1), DecodeError);
}

TEST_CASE("records are a view into the input, not a copy") {
  auto buf = bytes_of({0, 0, 0, 3, 9, 8, 7});
  Reader r(buf);
  Records rec = r.read_records(false);
  CHECK(rec.bytes().data() == buf.data() + 4);
  CHECK(rec.size() == 3);
  Writer w(2);  // splice anything of 2 bytes or more
  w.write_records(rec, false);
  CHECK(w.buffer().size() == 4);
  CHECK(w.splices().size() == 1);
  CHECK(w.flatten() == buf);
}

namespace {
// A temporary file holding `content`, closed and removed when the last owner goes away.
struct TempFile {
  int fd = -1;
  explicit TempFile(const std::vector<uint8_t>& content) {
    char path[] = "/tmp/fjord-records-XXXXXX";
    fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::unlink(path);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  }
  ~TempFile() { ::close(fd); }
};
}  // namespace

TEST_CASE("file-backed records: spliced, sized and read back like in-memory ones") {
  std::vector<uint8_t> content;
  for (int i = 0; i < 100; ++i) content.push_back(static_cast<uint8_t>(i));
  auto file = std::make_shared<TempFile>(content);
  Records rec = Records::from_file(file->fd, 10, 20, file);
  CHECK(rec.is_file());
  CHECK_FALSE(rec.is_null());
  CHECK(rec.size() == 20);
  CHECK(rec.file_fd() == file->fd);
  CHECK(rec.file_offset() == 10);
  CHECK_THROWS_AS(rec.bytes(), std::logic_error);

  Records mem = rec.in_memory();
  CHECK_FALSE(mem.is_file());
  REQUIRE(mem.size() == 20);
  CHECK(mem.bytes()[0] == 10);
  CHECK(mem.bytes()[19] == 29);

  std::vector<uint8_t> expected = {0, 0, 0, 20};
  expected.insert(expected.end(), content.begin() + 10, content.begin() + 30);
  SUBCASE("spliced") {
    Writer w(16);
    w.write_records(rec, false);
    CHECK(w.buffer().size() == 4);
    REQUIRE(w.splices().size() == 1);
    CHECK(w.splices()[0].records.is_file());
    CHECK(w.size() == 24);
    CHECK(w.flatten() == expected);
  }
  SUBCASE("below the threshold the region is read into the buffer") {
    Writer w(64);
    w.write_records(rec, false);
    CHECK(w.splices().empty());
    CHECK(w.buffer() == expected);
  }
  SUBCASE("sized without reading") {
    SizeCounter c;
    c.write_records(rec, true);
    CHECK(c.size() == 21);
  }
  SUBCASE("a region past the end of the file is short, and the writer refuses it") {
    Records past = Records::from_file(file->fd, 90, 20, file);
    CHECK(past.in_memory().size() == 10);
    Writer w(64);
    CHECK_THROWS(w.write_records(past, false));
  }
}

TEST_CASE("uuid base64url") {
  Uuid u;
  for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<uint8_t>(i * 17);
  std::string s = u.to_base64url();
  CHECK(s.size() == 22);
  Uuid back;
  CHECK(Uuid::from_base64url(s, back));
  CHECK(back == u);
  CHECK_FALSE(Uuid::from_base64url("short", back));
}

TEST_CASE("tag sections: unknown tags are kept, floods are rejected cheaply") {
  // ApiVersionsRequest v3 with one unknown tag (tag 7, 2 bytes).
  auto body = bytes_of({2, 'x', 2, 'y', 1, 7, 2, 0xaa, 0xbb});
  Reader r(body);
  auto req = decode_body<ApiVersionsRequest>(r, 3);
  CHECK(req.client_software_name == "x");
  REQUIRE(req.unknown_tags.size() == 1);
  CHECK(req.unknown_tags[0].tag == 7);
  Writer w;
  req.encode(w, 3);
  CHECK(w.buffer() == body);

  // A million tagged fields claimed in a 5-byte body: rejected before any work.
  auto flood = bytes_of({1, 1, 0xc0, 0x84, 0x3d});
  Reader rf(flood);
  CHECK_THROWS_AS(decode_body<ApiVersionsRequest>(rf, 3), DecodeError);

  // 2000 real unknown tags: more than kMaxUnknownTags.
  Writer many;
  many.write_uvarint(1);
  many.write_uvarint(1);
  many.write_uvarint(2000);
  for (uint32_t t = 0; t < 2000; ++t) {
    many.write_uvarint(t + 10);
    many.write_uvarint(0);
  }
  Reader rm(many.buffer());
  CHECK_THROWS_AS(decode_body<ApiVersionsRequest>(rm, 3), DecodeError);
}

TEST_CASE("errors name the message, the version and the field") {
  // ProduceRequest v3 cut inside the topic name.
  Writer w;
  w.write_nullable_string(std::nullopt, false);       // transactional id
  w.write_int16(1);                                   // acks
  w.write_int32(1000);                                // timeout
  w.write_int32(1);                                   // one topic
  w.write_int16(10);                                  // name length 10 ...
  w.put(reinterpret_cast<const uint8_t*>("abc"), 3);  // ... but only 3 bytes
  Reader r(w.buffer());
  try {
    (void)decode_body<ProduceRequest>(r, 3);
    FAIL("decoded a truncated request");
  } catch (const DecodeError& e) {
    CHECK(e.message() == "ProduceRequest");
    CHECK(e.version() == 3);
    CHECK(e.field_path() == "TopicData.Name");
    CHECK(std::string(e.what()).find("ProduceRequest v3: field TopicData.Name") == 0);
  }
}

TEST_CASE("request header versions and client id") {
  // ApiVersions v3 (flexible) from librdkafka: header v2, non-compact client id, tag buffer.
  auto hdr = bytes_of({0, 18, 0, 3, 0, 0, 0, 1, 0, 3, 'r', 'd', 'k', 0});
  Reader r(hdr);
  int16_t hv = -1;
  auto h = decode_request_header(r, &hv);
  CHECK(hv == 2);
  CHECK(h.request_api_key == 18);
  CHECK(h.request_api_version == 3);
  CHECK(h.correlation_id == 1);
  CHECK(h.client_id == std::optional<std::string>("rdk"));
  CHECK(r.empty());
  // Metadata v0: header v1, null client id.
  auto h1 = bytes_of({0, 3, 0, 0, 0, 0, 0, 9, 0xff, 0xff});
  Reader r1(h1);
  auto m = decode_request_header(r1, &hv);
  CHECK(hv == 1);
  CHECK_FALSE(m.client_id.has_value());
  auto short_hdr = bytes_of({0, 3, 0});
  Reader r2(short_hdr);
  CHECK_THROWS_AS(decode_request_header(r2), DecodeError);
}
