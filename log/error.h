// The one error type of the storage layer. Every public function in fjord::log either
// succeeds or throws LogError; the code says what went wrong in terms the broker can answer
// with (see kafka_error_code).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace fjord::log {

enum class LogErrc : uint8_t {
  // The requested offset is below the log start offset or above the log end offset.
  kOffsetOutOfRange,
  // Bytes handed to the log are not well-formed v2 batches, or offsets go backwards.
  kCorruptRecord,
  // An append is larger than a segment may ever be.
  kRecordTooLarge,
  // A caller passed something that makes no sense (negative sizes, bad names, ...).
  kInvalidArgument,
  // A configuration value or a config file could not be parsed or is out of range.
  kInvalidConfig,
  // A file on disk is not in the format we expect (a checkpoint, partition.metadata, ...).
  kCorruptFile,
  // A system call on the log dir failed (EIO, ENOSPC, EACCES, ...).
  kStorage,
  // An earlier storage failure left this log in an unknown state; reload it.
  kOffline,
  // The partition or topic is not known here.
  kNotFound,
  // The partition or topic already exists.
  kAlreadyExists,
};

const char* to_string(LogErrc c);

// The Kafka protocol error code a broker would answer with for `c`.
int16_t kafka_error_code(LogErrc c);

class LogError : public std::runtime_error {
 public:
  LogError(LogErrc code, const std::string& message)
      : std::runtime_error(std::string(to_string(code)) + ": " + message), code_(code) {}
  LogErrc code() const { return code_; }

 private:
  LogErrc code_;
};

// Throws kStorage with `what` and strerror(err).
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace fjord::log
