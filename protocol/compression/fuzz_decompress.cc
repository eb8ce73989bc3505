// libFuzzer target: arbitrary bytes through every decoder with a 1 MiB limit. Decoders may only
// return (within the limit) or throw CompressionError. Inputs that decode are also compressed
// again and must round-trip.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "compression/compression.h"

namespace {

using fjord::compression::Codec;
using fjord::compression::CompressionError;

constexpr size_t kMaxOut = 1 << 20;

void check(bool ok) {
  if (!ok) std::abort();
}

void round_trip(Codec codec, std::span<const uint8_t> plain) {
  for (const bool xerial : {false, true}) {
    std::vector<uint8_t> packed, unpacked;
    fjord::compression::compress(codec, plain, packed, {.snappy_xerial = xerial});
    fjord::compression::decompress(codec, packed, unpacked, plain.size());
    check(unpacked.size() == plain.size() &&
          std::equal(unpacked.begin(), unpacked.end(), plain.begin()));
  }
}

void decode(Codec codec, std::span<const uint8_t> in, bool legacy_lz4) {
  std::vector<uint8_t> out = {0xEE};
  try {
    fjord::compression::decompress(codec, in, out, kMaxOut, legacy_lz4);
  } catch (const CompressionError&) {
    check(out.size() == 1 && out[0] == 0xEE);  // failures leave the output as it was
    return;
  }
  check(out.size() <= kMaxOut + 1 && out[0] == 0xEE);
  round_trip(codec, std::span(out).subspan(1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  for (int id = 0; id <= 5; ++id) {  // 5 is not a codec and must be refused
    decode(static_cast<Codec>(id), in, false);
  }
  decode(Codec::Lz4, in, true);
  return 0;
}
