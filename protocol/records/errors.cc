#include "records/errors.h"

namespace fjord::records {

const char* to_string(Error e) {
  switch (e) {
    case Error::Ok:
      return "ok";
    case Error::Truncated:
      return "truncated";
    case Error::CorruptMessage:
      return "corrupt message";
    case Error::InvalidRecord:
      return "invalid record";
    case Error::UnsupportedMagic:
      return "unsupported magic";
    case Error::UnsupportedCompression:
      return "unsupported compression";
    case Error::DecompressionFailed:
      return "decompression failed";
    case Error::TooLarge:
      return "too large";
    case Error::CompressionFailed:
      return "compression failed";
  }
  return "unknown";
}

int16_t kafka_error_code(Error e) {
  switch (e) {
    case Error::Ok:
      return 0;
    case Error::Truncated:
    case Error::CorruptMessage:
    case Error::UnsupportedMagic:
    case Error::DecompressionFailed:
      return 2;  // CORRUPT_MESSAGE
    case Error::CompressionFailed:
      return -1;  // UNKNOWN_SERVER_ERROR: our fault, not the client's
    case Error::TooLarge:
      return 10;  // MESSAGE_TOO_LARGE
    case Error::UnsupportedCompression:
      return 76;  // UNSUPPORTED_COMPRESSION_TYPE
    case Error::InvalidRecord:
      return 87;  // INVALID_RECORD
  }
  return 2;
}

}  // namespace fjord::records
