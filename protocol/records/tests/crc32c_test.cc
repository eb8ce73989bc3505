#include "records/crc32c.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace fjord::records;

namespace {

uint32_t crc_of(const std::string& s, uint32_t (*fn)(uint32_t, const uint8_t*, size_t)) {
  return fn(0, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// A bit-at-a-time reference to compare the fast paths against.
uint32_t reference(const uint8_t* p, size_t n) {
  uint32_t c = ~0u;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

}  // namespace

TEST_CASE("crc32c known vectors, portable path") {
  CHECK(crc_of("123456789", crc32c_portable) == 0xE3069283u);
  CHECK(crc_of("", crc32c_portable) == 0u);
  CHECK(crc_of("a", crc32c_portable) == 0xC1D04330u);
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF);
  // RFC 3720 (iSCSI) appendix B.4 test vectors.
  CHECK(crc32c_portable(0, zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(crc32c_portable(0, ones.data(), ones.size()) == 0x62A8AB43u);
  std::vector<uint8_t> inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<uint8_t>(i);
    dec[i] = static_cast<uint8_t>(31 - i);
  }
  CHECK(crc32c_portable(0, inc.data(), inc.size()) == 0x46DD794Eu);
  CHECK(crc32c_portable(0, dec.data(), dec.size()) == 0x113FDB5Cu);
}

TEST_CASE("crc32c known vectors, hardware path") {
  if (!crc32c_hw_available()) {
    MESSAGE("SSE4.2 not available; hardware path not tested");
    return;
  }
  CHECK(crc_of("123456789", crc32c_hw) == 0xE3069283u);
  CHECK(crc_of("", crc32c_hw) == 0u);
  std::vector<uint8_t> ones(32, 0xFF);
  CHECK(crc32c_hw(0, ones.data(), ones.size()) == 0x62A8AB43u);
}

TEST_CASE("crc32c paths agree on all lengths, alignments and split points") {
  std::vector<uint8_t> buf(300);
  uint32_t x = 12345;
  for (auto& b : buf) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  for (size_t off = 0; off < 8; ++off) {
    for (size_t len = 0; len + off <= buf.size(); len += 7) {
      const uint8_t* p = buf.data() + off;
      uint32_t want = reference(p, len);
      REQUIRE(crc32c_portable(0, p, len) == want);
      REQUIRE(crc32c(0, p, len) == want);
      if (crc32c_hw_available()) REQUIRE(crc32c_hw(0, p, len) == want);
      // Incremental: crc(a ++ b) == crc(crc(a), b).
      size_t split = len / 3;
      REQUIRE(crc32c(crc32c(0, p, split), p + split, len - split) == want);
      REQUIRE(crc32c_portable(crc32c_portable(0, p, split), p + split, len - split) == want);
    }
  }
}

TEST_CASE("crc32c paths agree on long inputs (the three-lane hardware path)") {
  std::vector<uint8_t> buf(40000);
  uint32_t x = 777;
  for (auto& b : buf) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  for (size_t off : {0, 1, 5}) {
    for (size_t len : {6143, 6144, 6145, 6151, 12288, 12300, 20000, 39990}) {
      if (off + len > buf.size()) continue;
      const uint8_t* p = buf.data() + off;
      const uint32_t want = crc32c_portable(0, p, len);
      REQUIRE(crc32c(0, p, len) == want);
      if (crc32c_hw_available()) REQUIRE(crc32c_hw(0, p, len) == want);
      // Starting from a non-zero running CRC too.
      const uint32_t start = crc32c_portable(0, buf.data(), 3);
      REQUIRE(crc32c(start, p, len) == crc32c_portable(start, p, len));
    }
  }
}
