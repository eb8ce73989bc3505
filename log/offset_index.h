// The sparse offset index of a segment (<base>.index): 8-byte entries, a relative offset
// (int32) and a file position (int32), both big-endian, strictly increasing. An entry (o, p)
// says the batch starting at position p in the .log has last offset o.
//
// Lookups binary-search the file with pread; the last entry is cached because most lookups
// come from consumers near the end of the log.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "log/index_file.h"

namespace fjord::log {

struct OffsetPosition {
  int64_t offset = 0;
  int32_t position = 0;
  bool operator==(const OffsetPosition&) const = default;
};

class OffsetIndex : public IndexFile {
 public:
  static constexpr size_t kEntrySize = 8;

  OffsetIndex(const std::filesystem::path& path, int64_t base_offset, int64_t max_index_size);

  // Adds an entry. `offset` must be above the last entry's and fit an int32 relative to the
  // base; `position` must be above the last entry's. Throws kInvalidArgument otherwise, and
  // kStorage if the index is full.
  void append(int64_t offset, int32_t position);

  // The entry with the largest offset <= target, or (base offset, 0) if there is none.
  OffsetPosition lookup(int64_t target_offset) const;
  // Entry number `slot`, 0 <= slot < entries().
  OffsetPosition entry(int32_t slot) const;
  // The last entry, or (base offset, 0) when empty.
  OffsetPosition last_entry() const { return last_; }
  int64_t last_offset() const { return last_.offset; }

  // Removes every entry whose offset is >= `offset`.
  void truncate_to(int64_t offset);
  void reset();

  // Cheap structural checks done on load: the length is whole entries and, when there are
  // entries, the last one is at or after the first, at or after the base offset, and points
  // inside a .log of `log_size` bytes. Returns a description of the problem, or nullopt.
  std::optional<std::string> sanity_check(int64_t log_size) const;

 private:
  // Largest slot whose offset is <= target, or -1.
  int32_t floor_slot(int64_t target_offset) const;

  OffsetPosition last_;
};

}  // namespace fjord::log
