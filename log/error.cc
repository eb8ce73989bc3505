#include "log/error.h"

#include <cstring>

namespace fjord::log {

const char* to_string(LogErrc c) {
  switch (c) {
    case LogErrc::kOffsetOutOfRange:
      return "offset out of range";
    case LogErrc::kCorruptRecord:
      return "corrupt record";
    case LogErrc::kRecordTooLarge:
      return "record too large";
    case LogErrc::kInvalidArgument:
      return "invalid argument";
    case LogErrc::kInvalidConfig:
      return "invalid config";
    case LogErrc::kCorruptFile:
      return "corrupt file";
    case LogErrc::kStorage:
      return "storage error";
    case LogErrc::kOffline:
      return "log offline";
    case LogErrc::kNotFound:
      return "not found";
    case LogErrc::kAlreadyExists:
      return "already exists";
  }
  return "unknown";
}

int16_t kafka_error_code(LogErrc c) {
  switch (c) {
    case LogErrc::kOffsetOutOfRange:
      return 1;  // OFFSET_OUT_OF_RANGE
    case LogErrc::kCorruptRecord:
      return 2;  // CORRUPT_MESSAGE
    case LogErrc::kRecordTooLarge:
      return 18;  // RECORD_LIST_TOO_LARGE
    case LogErrc::kInvalidArgument:
      return 42;  // INVALID_REQUEST
    case LogErrc::kInvalidConfig:
      return 40;  // INVALID_CONFIG
    case LogErrc::kCorruptFile:
    case LogErrc::kStorage:
    case LogErrc::kOffline:
      return 56;  // KAFKA_STORAGE_ERROR
    case LogErrc::kNotFound:
      return 3;  // UNKNOWN_TOPIC_OR_PARTITION
    case LogErrc::kAlreadyExists:
      return 36;  // TOPIC_ALREADY_EXISTS
  }
  return -1;  // UNKNOWN_SERVER_ERROR
}

void throw_errno(const std::string& what, int err) {
  throw LogError(LogErrc::kStorage, what + ": " + std::strerror(err));
}

}  // namespace fjord::log
