// Kafka's small text metadata files, read and written byte-compatibly:
//
//  * offset checkpoints at the top of a log dir (recovery-point-offset-checkpoint,
//    log-start-offset-checkpoint, replication-offset-checkpoint):
//        0\n<count>\n<topic> <partition> <offset>\n...
//  * partition.metadata inside a partition dir:
//        version: 0\ntopic_id: <base64url id>\n
//
// Writes go through fs::atomic_write (tmp + fsync + rename + fsync dir). A missing file reads
// as empty; a malformed one throws LogError(kCorruptFile).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/types.h"

namespace fjord::log {

// The generic checkpoint layout: a version line, a count line, then `count` entry lines,
// each split on whitespace. Returns the entries' fields.
std::vector<std::vector<std::string>> parse_checkpoint(std::string_view text, int version,
                                                       size_t fields_per_entry,
                                                       const std::string& what);
std::string format_checkpoint(int version, const std::vector<std::string>& entry_lines);

class OffsetCheckpointFile {
 public:
  static constexpr int kVersion = 0;
  explicit OffsetCheckpointFile(std::filesystem::path path) : path_(std::move(path)) {}

  std::map<TopicPartition, int64_t> read() const;
  void write(const std::map<TopicPartition, int64_t>& offsets) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class PartitionMetadataFile {
 public:
  static constexpr int kVersion = 0;
  explicit PartitionMetadataFile(const std::filesystem::path& partition_dir)
      : path_(partition_dir / kPartitionMetadataFile) {}

  bool exists() const;
  // The stored topic id, or nullopt if the file does not exist.
  std::optional<TopicId> read() const;
  void write(const TopicId& id) const;

 private:
  std::filesystem::path path_;
};

}  // namespace fjord::log
