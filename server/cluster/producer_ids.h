// Producer id allocation (InitProducerId): ids are handed out from blocks, and the end of the
// current block is written and fsynced to <log.dir>/fjord-producer-ids before any id of the
// block is given out. After a restart (clean or SIGKILL) allocation resumes at the persisted
// block end, so an id is never handed out twice; at most one block of ids is skipped.
//
// File format: one line, "next-block-start=<decimal>", replaced atomically (tmp + fsync +
// rename + fsync of the directory).
//
// Threading: used from the broker's io_context only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace fjord {

class ProducerIdManager {
 public:
  static constexpr int64_t kDefaultBlockSize = 1000;  // Kafka's ProducerIdsBlock size

  explicit ProducerIdManager(std::filesystem::path file, int64_t block_size = kDefaultBlockSize);

  // Reads the file (a missing file starts at 0). Throws std::runtime_error with a message for
  // the operator when it exists but cannot be read or parsed.
  void load();

  // The next unused producer id, or nullopt when the block end could not be persisted (the
  // caller answers a retriable error; the failure is logged).
  std::optional<int64_t> next();

  // The first id that may be handed out next (tests).
  int64_t peek() const { return next_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  bool persist(int64_t block_end);

  std::filesystem::path file_;
  int64_t block_size_;
  int64_t next_ = 0;
  int64_t block_end_ = 0;  // ids below it are covered by the persisted value
};

}  // namespace fjord
