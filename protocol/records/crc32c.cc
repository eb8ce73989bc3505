#include "records/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define FJORD_CRC32C_X86 1
#endif

namespace fjord::records {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // Castagnoli, bit-reversed

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][b] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = make_tables();

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

#ifdef FJORD_CRC32C_X86
// One crc32q depends on the previous one (3 cycles latency, 1 per cycle throughput), so a
// single chain runs at a third of what the unit can do. Long inputs are cut into stripes of
// three lanes of kLane bytes, each lane its own chain, and the lanes are joined with the
// linearity of the raw (uninverted) CRC register:
//   crc(c, A ++ B ++ C) = shift(shift(crc(c, A)) ^ crc(0, B)) ^ crc(0, C),
// where shift(x) = crc(x, kLane zero bytes) is linear in x and applied through 4 byte tables.
constexpr size_t kLane = 2048;

struct ShiftTables {
  std::array<std::array<uint32_t, 256>, 4> t1;  // x -> crc(x, kLane zeros)
  std::array<std::array<uint32_t, 256>, 4> t2;  // x -> crc(x, 2 * kLane zeros)
};

__attribute__((target("sse4.2"))) uint32_t raw_zeros(uint32_t x, size_t n) {
  uint64_t c = x;
  for (size_t i = 0; i < n / 8; ++i) c = _mm_crc32_u64(c, 0);
  return static_cast<uint32_t>(c);
}

ShiftTables make_shift_tables() {
  ShiftTables st{};
  std::array<uint32_t, 32> b1{}, b2{};
  for (int i = 0; i < 32; ++i) {
    b1[i] = raw_zeros(uint32_t{1} << i, kLane);
    b2[i] = raw_zeros(uint32_t{1} << i, 2 * kLane);
  }
  for (int k = 0; k < 4; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t v1 = 0, v2 = 0;
      for (int j = 0; j < 8; ++j) {
        if (b & (1u << j)) {
          v1 ^= b1[8 * k + j];
          v2 ^= b2[8 * k + j];
        }
      }
      st.t1[k][b] = v1;
      st.t2[k][b] = v2;
    }
  }
  return st;
}

inline uint32_t apply(const std::array<std::array<uint32_t, 256>, 4>& t, uint32_t x) {
  return t[0][x & 0xFF] ^ t[1][(x >> 8) & 0xFF] ^ t[2][(x >> 16) & 0xFF] ^ t[3][x >> 24];
}

__attribute__((target("sse4.2"))) uint32_t hw_impl(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = ~crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --n;
  }
  if (n >= 3 * kLane) {
    static const ShiftTables st = make_shift_tables();
    while (n >= 3 * kLane) {
      uint64_t c0 = c, c1 = 0, c2 = 0;
      for (size_t i = 0; i < kLane; i += 8) {
        uint64_t v0, v1, v2;
        std::memcpy(&v0, p + i, 8);
        std::memcpy(&v1, p + kLane + i, 8);
        std::memcpy(&v2, p + 2 * kLane + i, 8);
        c0 = _mm_crc32_u64(c0, v0);
        c1 = _mm_crc32_u64(c1, v1);
        c2 = _mm_crc32_u64(c2, v2);
      }
      c = apply(st.t2, static_cast<uint32_t>(c0)) ^ apply(st.t1, static_cast<uint32_t>(c1)) ^
          static_cast<uint32_t>(c2);
      p += 3 * kLane;
      n -= 3 * kLane;
    }
  }
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --n;
  }
  return ~static_cast<uint32_t>(c);
}
#endif

bool detect_hw() {
#ifdef FJORD_CRC32C_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

}  // namespace

uint32_t crc32c_portable(uint32_t crc, const uint8_t* p, size_t n) {
  uint32_t c = ~crc;
  while (n >= 8) {
    uint64_t v = load_le64(p) ^ c;
    c = kTables[7][v & 0xFF] ^ kTables[6][(v >> 8) & 0xFF] ^ kTables[5][(v >> 16) & 0xFF] ^
        kTables[4][(v >> 24) & 0xFF] ^ kTables[3][(v >> 32) & 0xFF] ^ kTables[2][(v >> 40) & 0xFF] ^
        kTables[1][(v >> 48) & 0xFF] ^ kTables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = kTables[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    --n;
  }
  return ~c;
}

bool crc32c_hw_available() {
  static const bool available = detect_hw();
  return available;
}

uint32_t crc32c_hw(uint32_t crc, const uint8_t* data, size_t len) {
#ifdef FJORD_CRC32C_X86
  return hw_impl(crc, data, len);
#else
  return crc32c_portable(crc, data, len);
#endif
}

uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len) {
  if (len == 0) return crc;
  return crc32c_hw_available() ? crc32c_hw(crc, data, len) : crc32c_portable(crc, data, len);
}

}  // namespace fjord::records
