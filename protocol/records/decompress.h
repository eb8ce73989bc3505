// Internal: the one place where the record code calls into fjord_compression
// for decoding, turning its exceptions into records::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "records/errors.h"

namespace fjord::compression {
enum class Codec : uint8_t;
}

namespace fjord::records::detail {

// Decompresses `in` into `out` (cleared first). More than `max_out` bytes of
// output gives TooLarge; any other codec failure gives DecompressionFailed.
Error decompress_capped(compression::Codec codec, std::span<const uint8_t> in,
                        std::vector<uint8_t>& out, size_t max_out, bool lz4_legacy_header);

}  // namespace fjord::records::detail
