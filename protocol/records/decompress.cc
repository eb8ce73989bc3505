#include "records/decompress.h"

#include <cstring>

#include "compression/compression.h"

namespace fjord::records::detail {

Error decompress_capped(compression::Codec codec, std::span<const uint8_t> in,
                        std::vector<uint8_t>& out, size_t max_out, bool lz4_legacy_header) {
  out.clear();
  try {
    compression::decompress(codec, in, out, max_out, lz4_legacy_header);
  } catch (const compression::CompressionError& e) {
    out.clear();
    // fjord_compression uses one exception type for everything; its message
    // for the output limit is the only way to tell that case apart.
    if (std::strstr(e.what(), "exceeds max_out") != nullptr) return Error::TooLarge;
    return Error::DecompressionFailed;
  } catch (const std::bad_alloc&) {
    out.clear();
    return Error::TooLarge;
  }
  if (out.size() > max_out) {
    out.clear();
    return Error::TooLarge;
  }
  return Error::Ok;
}

}  // namespace fjord::records::detail
