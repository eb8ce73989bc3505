#include "log/offset_index.h"

#include <array>

#include "log/error.h"
#include "records/wire.h"

namespace fjord::log {

namespace wire = records::wire;

OffsetIndex::OffsetIndex(const std::filesystem::path& path, int64_t base_offset,
                         int64_t max_index_size)
    : IndexFile(path, base_offset, max_index_size, kEntrySize) {
  last_ = entries_ > 0 ? entry(entries_ - 1) : OffsetPosition{base_offset_, 0};
}

OffsetPosition OffsetIndex::entry(int32_t slot) const {
  std::array<uint8_t, kEntrySize> buf;
  read_entry(slot, buf);
  return {base_offset_ + wire::load_i32(buf.data()), wire::load_i32(buf.data() + 4)};
}

void OffsetIndex::append(int64_t offset, int32_t position) {
  if (IndexFile::is_full()) {
    throw LogError(LogErrc::kStorage, "offset index " + path().string() + " is full");
  }
  if (entries_ > 0 && (offset <= last_.offset || position <= last_.position)) {
    throw LogError(LogErrc::kInvalidArgument,
                   "offset index entry (" + std::to_string(offset) + ", " +
                       std::to_string(position) + ") does not follow (" +
                       std::to_string(last_.offset) + ", " + std::to_string(last_.position) +
                       ") in " + path().string());
  }
  std::array<uint8_t, kEntrySize> buf;
  wire::store_u32(buf.data(), static_cast<uint32_t>(relative_offset(offset)));
  wire::store_u32(buf.data() + 4, static_cast<uint32_t>(position));
  write_entry(buf);
  last_ = {offset, position};
}

int32_t OffsetIndex::floor_slot(int64_t target_offset) const {
  if (entries_ == 0 || target_offset < base_offset_) return -1;
  // Fast path: readers near the end of the log.
  if (target_offset >= last_.offset) return entries_ - 1;
  int32_t lo = 0;
  int32_t hi = entries_ - 1;
  if (entry(0).offset > target_offset) return -1;
  // Invariant: entry(lo) <= target < entry(hi).
  while (hi - lo > 1) {
    int32_t mid = lo + (hi - lo) / 2;
    if (entry(mid).offset <= target_offset) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

OffsetPosition OffsetIndex::lookup(int64_t target_offset) const {
  int32_t slot = floor_slot(target_offset);
  if (slot < 0) return {base_offset_, 0};
  if (slot == entries_ - 1) return last_;
  return entry(slot);
}

void OffsetIndex::truncate_to(int64_t offset) {
  int32_t slot = floor_slot(offset);
  int32_t keep;
  if (slot < 0) {
    keep = 0;
  } else if (entry(slot).offset == offset) {
    keep = slot;
  } else {
    keep = slot + 1;
  }
  truncate_to_entries(keep);
  last_ = entries_ > 0 ? entry(entries_ - 1) : OffsetPosition{base_offset_, 0};
}

void OffsetIndex::reset() {
  IndexFile::reset();
  last_ = {base_offset_, 0};
}

std::optional<std::string> OffsetIndex::sanity_check(int64_t log_size) const {
  if (file_length_ % static_cast<int64_t>(kEntrySize) != 0) {
    return "length " + std::to_string(file_length_) + " is not a multiple of 8";
  }
  if (entries_ == 0) return std::nullopt;
  OffsetPosition first = entry(0);
  if (last_.offset < base_offset_ || first.offset < base_offset_) {
    return "entry offset below the base offset";
  }
  if (last_.offset < first.offset || last_.position < first.position ||
      (entries_ > 1 && last_.offset == first.offset)) {
    // The last test catches a preallocated tail of zeros that was never trimmed.
    return "entries out of order";
  }
  if (first.position < 0 || last_.position >= log_size) {
    return "position " + std::to_string(last_.position) + " outside a log of " +
           std::to_string(log_size) + " bytes";
  }
  return std::nullopt;
}

}  // namespace fjord::log
