#include "log/index_file.h"

#include <algorithm>
#include <limits>

#include "log/error.h"

namespace fjord::log {

IndexFile::IndexFile(const std::filesystem::path& path, int64_t base_offset, int64_t max_index_size,
                     size_t entry_size)
    : base_offset_(base_offset), entry_size_(entry_size) {
  if (max_index_size < static_cast<int64_t>(entry_size)) {
    throw LogError(LogErrc::kInvalidConfig,
                   "index size " + std::to_string(max_index_size) + " holds no entry");
  }
  int64_t max = max_index_size / static_cast<int64_t>(entry_size);
  max_entries_ = static_cast<int32_t>(std::min<int64_t>(max, std::numeric_limits<int32_t>::max()));
  file_ = File::open(path, File::OpenMode::kAlways);
  file_length_ = file_->size();
  int64_t n = file_length_ / static_cast<int64_t>(entry_size_);
  entries_ = static_cast<int32_t>(std::min<int64_t>(n, std::numeric_limits<int32_t>::max()));
}

void IndexFile::preallocate() {
  int64_t want = int64_t{max_entries_} * static_cast<int64_t>(entry_size_);
  if (want < size_bytes()) want = size_bytes();
  if (file_length_ != want) {
    file_->truncate(want);
    file_length_ = want;
  }
}

void IndexFile::trim_to_valid_size() {
  if (file_length_ != size_bytes()) {
    file_->truncate(size_bytes());
    file_length_ = size_bytes();
  }
}

void IndexFile::reset() { truncate_to_entries(0); }

void IndexFile::read_entry(int32_t slot, std::span<uint8_t> out) const {
  file_->read_exact(out.first(entry_size_), int64_t{slot} * static_cast<int64_t>(entry_size_));
}

void IndexFile::write_entry(std::span<const uint8_t> entry) {
  int64_t pos = size_bytes();
  file_->write_at(entry.first(entry_size_), pos);
  ++entries_;
  file_length_ = std::max(file_length_, size_bytes());
}

void IndexFile::truncate_to_entries(int32_t n) {
  if (n >= entries_) return;
  entries_ = n;
  // Zero the dropped entries if the file stays preallocated, so that a crash before the next
  // trim cannot resurrect them; otherwise just cut the file.
  if (file_length_ > size_bytes()) {
    int64_t keep_len = file_length_;
    file_->truncate(size_bytes());
    file_->truncate(keep_len);
  }
}

int32_t IndexFile::relative_offset(int64_t offset) const {
  int64_t rel = offset - base_offset_;
  if (rel < 0 || rel > std::numeric_limits<int32_t>::max()) {
    throw LogError(LogErrc::kInvalidArgument, "offset " + std::to_string(offset) +
                                                  " is not relative to index base " +
                                                  std::to_string(base_offset_));
  }
  return static_cast<int32_t>(rel);
}

}  // namespace fjord::log
