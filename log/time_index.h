// The sparse time index of a segment (<base>.timeindex): 12-byte entries, a timestamp (int64)
// and a relative offset (int32), big-endian. Timestamps strictly increase. An entry (t, o)
// says: o is the last offset of the batch where the segment's running maximum timestamp
// first reached t, so every earlier batch has a maximum timestamp below t.
//
// The index counts as full one entry early, keeping room for the final entry written when the
// segment stops being active (which records the segment's largest timestamp).
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "log/index_file.h"
#include "log/types.h"

namespace fjord::log {

struct TimestampOffset {
  int64_t timestamp = kNoTimestamp;
  int64_t offset = 0;
  bool operator==(const TimestampOffset&) const = default;
};

class TimeIndex : public IndexFile {
 public:
  static constexpr size_t kEntrySize = 12;

  TimeIndex(const std::filesystem::path& path, int64_t base_offset, int64_t max_index_size);

  bool is_full() const override { return entries_ >= max_entries_ - 1; }

  // Appends (timestamp, offset) if timestamp is above the last entry's. Throws
  // kInvalidArgument if it would go backwards (a smaller timestamp or offset), and kStorage
  // if the index is full unless skip_full_check (used for the final entry).
  void maybe_append(int64_t timestamp, int64_t offset, bool skip_full_check = false);

  // The entry with the largest timestamp <= target, or (-1, base offset) if there is none.
  TimestampOffset lookup(int64_t target_timestamp) const;
  TimestampOffset entry(int32_t slot) const;
  // The last entry, or (-1, base offset) when empty.
  TimestampOffset last_entry() const { return last_; }

  // Removes every entry whose offset is >= `offset`.
  void truncate_to(int64_t offset);
  void reset();

  // Length is whole entries; if not empty, timestamps and offsets of the first and last
  // entries are ordered and the last offset lies in [base, segment_last_offset].
  std::optional<std::string> sanity_check(int64_t segment_last_offset) const;

 private:
  TimestampOffset last_;
};

}  // namespace fjord::log
