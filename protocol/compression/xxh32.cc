#include "compression/xxh32.h"

#include <bit>

#include "compression/internal.h"

namespace fjord::compression::detail {
namespace {

constexpr uint32_t kPrime1 = 0x9E3779B1U;
constexpr uint32_t kPrime2 = 0x85EBCA77U;
constexpr uint32_t kPrime3 = 0xC2B2AE3DU;
constexpr uint32_t kPrime4 = 0x27D4EB2FU;
constexpr uint32_t kPrime5 = 0x165667B1U;

// Mixes one 4-byte lane into an accumulator of the 16-byte stripe loop.
uint32_t round(uint32_t acc, uint32_t lane) {
  acc += lane * kPrime2;
  return std::rotl(acc, 13) * kPrime1;
}

// Final scrambling so that every input bit affects every output bit.
uint32_t avalanche(uint32_t h) {
  h ^= h >> 15;
  h *= kPrime2;
  h ^= h >> 13;
  h *= kPrime3;
  h ^= h >> 16;
  return h;
}

}  // namespace

uint32_t xxh32(std::span<const uint8_t> data, uint32_t seed) {
  const uint8_t* p = data.data();
  const size_t n = data.size();
  size_t i = 0;
  uint32_t h;
  if (n >= 16) {
    // Four independent accumulators consume 16-byte stripes.
    uint32_t v1 = seed + kPrime1 + kPrime2;
    uint32_t v2 = seed + kPrime2;
    uint32_t v3 = seed;
    uint32_t v4 = seed - kPrime1;
    for (; n - i >= 16; i += 16) {
      v1 = round(v1, load_le32(p + i));
      v2 = round(v2, load_le32(p + i + 4));
      v3 = round(v3, load_le32(p + i + 8));
      v4 = round(v4, load_le32(p + i + 12));
    }
    h = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
  } else {
    h = seed + kPrime5;
  }
  h += static_cast<uint32_t>(n);  // the length modulo 2^32, as the reference does
  for (; n - i >= 4; i += 4) {
    h += load_le32(p + i) * kPrime3;
    h = std::rotl(h, 17) * kPrime4;
  }
  for (; i < n; ++i) {
    h += p[i] * kPrime5;
    h = std::rotl(h, 11) * kPrime1;
  }
  return avalanche(h);
}

}  // namespace fjord::compression::detail
