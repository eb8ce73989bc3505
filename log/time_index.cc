#include "log/time_index.h"

#include <array>

#include "log/error.h"
#include "records/wire.h"

namespace fjord::log {

namespace wire = records::wire;

TimeIndex::TimeIndex(const std::filesystem::path& path, int64_t base_offset, int64_t max_index_size)
    : IndexFile(path, base_offset, max_index_size, kEntrySize) {
  last_ = entries_ > 0 ? entry(entries_ - 1) : TimestampOffset{kNoTimestamp, base_offset_};
}

TimestampOffset TimeIndex::entry(int32_t slot) const {
  std::array<uint8_t, kEntrySize> buf;
  read_entry(slot, buf);
  return {wire::load_i64(buf.data()), base_offset_ + wire::load_i32(buf.data() + 8)};
}

void TimeIndex::maybe_append(int64_t timestamp, int64_t offset, bool skip_full_check) {
  if (!skip_full_check && is_full()) {
    throw LogError(LogErrc::kStorage, "time index " + path().string() + " is full");
  }
  if (entries_ > 0 && offset < last_.offset) {
    throw LogError(LogErrc::kInvalidArgument, "time index offset " + std::to_string(offset) +
                                                  " below last entry offset " +
                                                  std::to_string(last_.offset));
  }
  if (entries_ > 0 && timestamp < last_.timestamp) {
    throw LogError(LogErrc::kInvalidArgument, "time index timestamp " + std::to_string(timestamp) +
                                                  " below last entry timestamp " +
                                                  std::to_string(last_.timestamp));
  }
  if (timestamp <= last_.timestamp) return;
  if (entries_ >= max_entries_) {
    // Even the final entry has no room: only possible with a tiny segment.index.bytes.
    throw LogError(LogErrc::kStorage, "time index " + path().string() + " is full");
  }
  std::array<uint8_t, kEntrySize> buf;
  wire::store_u64(buf.data(), static_cast<uint64_t>(timestamp));
  wire::store_u32(buf.data() + 8, static_cast<uint32_t>(relative_offset(offset)));
  write_entry(buf);
  last_ = {timestamp, offset};
}

TimestampOffset TimeIndex::lookup(int64_t target_timestamp) const {
  if (entries_ == 0) return {kNoTimestamp, base_offset_};
  if (target_timestamp >= last_.timestamp) return last_;
  if (entry(0).timestamp > target_timestamp) return {kNoTimestamp, base_offset_};
  int32_t lo = 0;
  int32_t hi = entries_ - 1;
  // Invariant: entry(lo).timestamp <= target < entry(hi).timestamp.
  while (hi - lo > 1) {
    int32_t mid = lo + (hi - lo) / 2;
    if (entry(mid).timestamp <= target_timestamp) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return entry(lo);
}

void TimeIndex::truncate_to(int64_t offset) {
  // Offsets are non-decreasing: find the first entry with offset >= `offset`.
  int32_t lo = 0;
  int32_t hi = entries_;
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (entry(mid).offset < offset) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  truncate_to_entries(lo);
  last_ = entries_ > 0 ? entry(entries_ - 1) : TimestampOffset{kNoTimestamp, base_offset_};
}

void TimeIndex::reset() {
  IndexFile::reset();
  last_ = {kNoTimestamp, base_offset_};
}

std::optional<std::string> TimeIndex::sanity_check(int64_t segment_last_offset) const {
  if (file_length_ % static_cast<int64_t>(kEntrySize) != 0) {
    return "length " + std::to_string(file_length_) + " is not a multiple of 12";
  }
  if (entries_ == 0) return std::nullopt;
  TimestampOffset first = entry(0);
  if (first.offset < base_offset_ || last_.offset < first.offset) {
    return "entry offsets out of order";
  }
  if (last_.timestamp < first.timestamp || first.timestamp < 0 ||
      (entries_ > 1 && last_.timestamp == first.timestamp)) {
    return "entry timestamps out of order";
  }
  if (last_.offset > segment_last_offset) {
    return "last entry offset " + std::to_string(last_.offset) + " beyond the segment's last " +
           std::to_string(segment_last_offset);
  }
  return std::nullopt;
}

}  // namespace fjord::log
