// The part the offset index and the time index share: a file of fixed-size entries that is
// preallocated while its segment is active and trimmed to the valid entries when the segment
// is rolled or closed (Kafka's AbstractIndex).
//
// I/O is pread/pwrite, not mmap (see docs/storage.md, "Index I/O"): an I/O error becomes a
// LogError instead of SIGBUS, and nothing has to be unmapped before trimming or deleting.
// Only the entry count is kept in memory; subclasses cache their last entry.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "log/file.h"

namespace fjord::log {

class IndexFile {
 public:
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;
  virtual ~IndexFile() = default;

  int64_t base_offset() const { return base_offset_; }
  int32_t entries() const { return entries_; }
  int32_t max_entries() const { return max_entries_; }
  virtual bool is_full() const { return entries_ >= max_entries_; }
  // Bytes of valid entries.
  int64_t size_bytes() const { return int64_t{entries_} * static_cast<int64_t>(entry_size_); }
  // Current length of the file on disk (valid entries plus preallocated space).
  int64_t file_length() const { return file_length_; }
  const std::filesystem::path& path() const { return file_->path(); }

  // Grows the file to hold max_entries entries (zero-filled, sparse). Used for the active
  // segment so that the on-disk shape matches Kafka's.
  void preallocate();
  // Truncates the file to the valid entries (segment roll, clean close).
  void trim_to_valid_size();
  // Drops every entry.
  void reset();
  void flush() { file_->datasync(); }
  void rename_to(const std::filesystem::path& to) { file_->rename_to(to); }
  void unlink() { file_->unlink(); }

 protected:
  // Opens `path`, creating it if missing. An existing file is taken at face value: its entry
  // count is length / entry_size (sanity checks decide whether to trust it).
  IndexFile(const std::filesystem::path& path, int64_t base_offset, int64_t max_index_size,
            size_t entry_size);

  // Reads entry `slot` (0 <= slot < entries()) into `out` (entry_size bytes).
  void read_entry(int32_t slot, std::span<uint8_t> out) const;
  // Appends one entry (entry_size bytes).
  void write_entry(std::span<const uint8_t> entry);
  // Keeps the first `n` entries.
  void truncate_to_entries(int32_t n);
  // Relative offset that fits an int32, or throws kInvalidArgument.
  int32_t relative_offset(int64_t offset) const;

  std::shared_ptr<File> file_;
  int64_t base_offset_;
  size_t entry_size_;
  int32_t max_entries_;
  int32_t entries_ = 0;
  int64_t file_length_ = 0;
};

}  // namespace fjord::log
