// Small value types and naming rules shared by the storage classes.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace fjord::log {

// Milliseconds since the epoch. Injected everywhere so tests can move time.
using Clock = std::function<int64_t()>;
Clock system_clock();

// Special timestamps of ListOffsets, and the "no timestamp" value of record batches.
inline constexpr int64_t kNoTimestamp = -1;
inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;
inline constexpr int64_t kMaxTimestamp = -3;
inline constexpr int64_t kEarliestLocalTimestamp = -4;

inline constexpr int32_t kNoLeaderEpoch = -1;
inline constexpr int64_t kNoOffset = -1;

// Segment and partition file names.
inline constexpr std::string_view kLogSuffix = ".log";
inline constexpr std::string_view kIndexSuffix = ".index";
inline constexpr std::string_view kTimeIndexSuffix = ".timeindex";
inline constexpr std::string_view kTxnIndexSuffix = ".txnindex";
inline constexpr std::string_view kDeletedSuffix = ".deleted";
inline constexpr std::string_view kCleanedSuffix = ".cleaned";
inline constexpr std::string_view kSwapSuffix = ".swap";
inline constexpr std::string_view kDeleteDirSuffix = "-delete";
inline constexpr std::string_view kFutureDirSuffix = "-future";
inline constexpr std::string_view kStrayDirSuffix = "-stray";
inline constexpr std::string_view kLeaderEpochCheckpointFile = "leader-epoch-checkpoint";
inline constexpr std::string_view kPartitionMetadataFile = "partition.metadata";
inline constexpr std::string_view kRecoveryPointCheckpointFile = "recovery-point-offset-checkpoint";
inline constexpr std::string_view kLogStartOffsetCheckpointFile = "log-start-offset-checkpoint";
inline constexpr std::string_view kReplicationCheckpointFile = "replication-offset-checkpoint";
inline constexpr std::string_view kCleanShutdownFile = ".kafka_cleanshutdown";
inline constexpr std::string_view kTopicRegistryFile = "fjord-topics";

// "00000000000000368769" + suffix.
std::string segment_file_name(int64_t base_offset, std::string_view suffix);
// The base offset encoded in a segment file name with the given suffix, or nullopt if the
// name is not exactly 20 digits followed by the suffix.
std::optional<int64_t> parse_segment_file_name(std::string_view name, std::string_view suffix);

// Kafka's topic name rule: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
bool is_valid_topic_name(std::string_view topic);

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  // "<topic>-<partition>"
  std::string dir_name() const;
  // Parses a partition directory name (plain, not -delete/-future/-stray).
  static std::optional<TopicPartition> parse_dir_name(std::string_view name);
  std::string to_string() const { return dir_name(); }

  auto operator<=>(const TopicPartition&) const = default;
};

// A Kafka topic id: 128 bits, printed as URL-safe base64 without padding.
struct TopicId {
  std::array<uint8_t, 16> bytes{};

  bool is_zero() const;
  std::string to_string() const;
  static std::optional<TopicId> parse(std::string_view text);
  // A random id, never zero, never the metadata topic's id, never printing with a leading
  // '-' (Kafka's rules, so that the id is safe on a command line).
  static TopicId random();

  auto operator<=>(const TopicId&) const = default;
};

// 32 random hex digits, as Kafka uses for "-delete" directory names.
std::string random_hex_id();

}  // namespace fjord::log

template <>
struct std::hash<fjord::log::TopicPartition> {
  size_t operator()(const fjord::log::TopicPartition& tp) const noexcept {
    return std::hash<std::string>()(tp.topic) * 31 + static_cast<size_t>(tp.partition);
  }
};
