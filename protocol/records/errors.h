// Error results of the record-format code. Parsing never throws on bad input;
// it reports one of these instead.
#pragma once

#include <cstdint>

namespace fjord::records {

enum class Error : uint8_t {
  Ok = 0,
  // Fewer bytes than a length field or the fixed header promises.
  Truncated,
  // Bad checksum, impossible sizes, malformed varints, bytes left over.
  CorruptMessage,
  // Bytes are well formed but break a record rule (count mismatch, offset
  // deltas out of order, nested compression, bad control record, ...).
  InvalidRecord,
  // Magic byte other than the ones the caller accepts.
  UnsupportedMagic,
  // Codec bits 5..7, or a codec not allowed in this format (zstd in magic 0/1).
  UnsupportedCompression,
  // The codec library rejected the compressed payload.
  DecompressionFailed,
  // Decompressed data would exceed the caller's size cap, or output would
  // not fit the format's 2 GiB size fields.
  TooLarge,
  // The codec library failed to compress (writer side).
  CompressionFailed,
};

const char* to_string(Error e);

// The Kafka protocol error code a broker would answer with for `e`
// (CORRUPT_MESSAGE=2, MESSAGE_TOO_LARGE=10, UNSUPPORTED_COMPRESSION_TYPE=76,
// INVALID_RECORD=87, UNKNOWN_SERVER_ERROR=-1 for CompressionFailed; Ok is 0).
int16_t kafka_error_code(Error e);

}  // namespace fjord::records
