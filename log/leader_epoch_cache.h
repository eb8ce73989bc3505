// Which leader epoch started at which offset, persisted in a partition's
// leader-epoch-checkpoint (Kafka's format: "0\n<count>\n<epoch> <start offset>\n...").
//
// Entries have strictly increasing epochs and start offsets. Every change is written to the
// checkpoint before the call returns (atomic replace), as Kafka's LeaderEpochFileCache does.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

namespace fjord::log {

struct EpochEntry {
  int32_t epoch = 0;
  int64_t start_offset = 0;
  bool operator==(const EpochEntry&) const = default;
};

class LeaderEpochCache {
 public:
  static constexpr int kVersion = 0;
  static constexpr int32_t kUndefinedEpoch = -1;
  static constexpr int64_t kUndefinedOffset = -1;

  // Loads `path` (leader-epoch-checkpoint); a missing file is an empty cache.
  explicit LeaderEpochCache(std::filesystem::path path);

  // Records that `epoch` starts at `start_offset`. No-op if the latest entry already has this
  // epoch and an offset at or below `start_offset`. Entries that would break monotonicity
  // (epoch >= epoch or start >= start_offset) are removed first.
  void assign(int32_t epoch, int64_t start_offset);

  std::optional<int32_t> latest_epoch() const;
  std::optional<EpochEntry> latest_entry() const;
  std::optional<EpochEntry> earliest_entry() const;
  // The epoch of the entry with the largest start offset <= offset.
  std::optional<int32_t> epoch_for_offset(int64_t offset) const;

  // OffsetForLeaderEpoch: (epoch, end offset) for `requested_epoch`, Kafka's rules. The
  // latest epoch ends at the log end offset; an unknown older epoch answers with the largest
  // known epoch below it and the start of the next one; (-1, -1) if nothing is known.
  std::pair<int32_t, int64_t> end_offset_for(int32_t requested_epoch, int64_t log_end_offset) const;

  // Drops entries starting at or after `end_offset` (log truncated to end there).
  void truncate_from_end(int64_t end_offset);
  // Drops entries wholly below `start_offset`; the last dropped one's epoch is kept, moved up
  // to start at `start_offset` (log start offset advanced).
  void truncate_from_start(int64_t start_offset);
  void clear();

  const std::vector<EpochEntry>& entries() const { return entries_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void write() const;

  std::filesystem::path path_;
  std::vector<EpochEntry> entries_;
};

}  // namespace fjord::log
