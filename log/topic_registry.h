// Fjord's topic registry: the file <log.dir>/fjord-topics that stands in for what Kafka keeps
// in its metadata quorum (topic ids, partition counts, per-topic config overrides). Format
// in docs/storage.md, "Topic registry". Rewritten atomically on every change.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "log/config.h"
#include "log/types.h"

namespace fjord::log {

struct TopicRecord {
  std::string name;
  TopicId id;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::map<std::string, std::string> configs;  // overrides, Kafka topic config names

  bool operator==(const TopicRecord&) const = default;
};

class TopicRegistry {
 public:
  static constexpr int kVersion = 0;

  // Loads `path`; a missing file is an empty registry. A malformed one throws kCorruptFile.
  explicit TopicRegistry(std::filesystem::path path);

  const TopicRecord* find(std::string_view name) const;
  const std::map<std::string, TopicRecord, std::less<>>& topics() const { return topics_; }

  // Adds or replaces a topic and saves. Validates the name, counts and config overrides
  // (kInvalidArgument / kInvalidConfig).
  void put(const TopicRecord& record);
  // Removes a topic and saves. False if it was not there.
  bool erase(std::string_view name);

  // The topic's effective config: `defaults` with its overrides (defaults if unknown).
  LogConfig config_for(std::string_view topic, const LogConfig& defaults) const;

  std::string serialize() const;
  static std::map<std::string, TopicRecord, std::less<>> parse(std::string_view text,
                                                               const std::string& what);

 private:
  void save() const;

  std::filesystem::path path_;
  std::map<std::string, TopicRecord, std::less<>> topics_;
};

}  // namespace fjord::log
