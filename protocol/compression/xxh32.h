// XXH32, the 32-bit xxHash that the LZ4 frame format uses for its checksums. Debian's liblz4-dev
// does not install <xxhash.h>, so Fjord carries its own small implementation.
#pragma once

#include <cstdint>
#include <span>

namespace fjord::compression::detail {

uint32_t xxh32(std::span<const uint8_t> data, uint32_t seed);

}  // namespace fjord::compression::detail
