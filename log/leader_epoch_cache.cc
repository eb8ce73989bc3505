#include "log/leader_epoch_cache.h"

#include <charconv>
#include <string>

#include "log/checkpoint.h"
#include "log/error.h"
#include "log/file.h"

namespace fjord::log {

namespace {

template <typename T>
bool parse_int(const std::string& s, T& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

LeaderEpochCache::LeaderEpochCache(std::filesystem::path path) : path_(std::move(path)) {
  std::optional<std::string> text = fs::read_if_exists(path_);
  if (!text) return;
  for (const auto& f : parse_checkpoint(*text, kVersion, 2, path_.string())) {
    EpochEntry e;
    if (!parse_int(f[0], e.epoch) || !parse_int(f[1], e.start_offset) || e.epoch < 0 ||
        e.start_offset < 0) {
      throw LogError(LogErrc::kCorruptFile,
                     path_.string() + ": malformed entry '" + f[0] + " " + f[1] + "'");
    }
    if (!entries_.empty() &&
        (e.epoch <= entries_.back().epoch || e.start_offset < entries_.back().start_offset)) {
      throw LogError(LogErrc::kCorruptFile, path_.string() + ": entries out of order");
    }
    entries_.push_back(e);
  }
}

void LeaderEpochCache::write() const {
  std::vector<std::string> lines;
  lines.reserve(entries_.size());
  for (const EpochEntry& e : entries_) {
    lines.push_back(std::to_string(e.epoch) + " " + std::to_string(e.start_offset));
  }
  fs::atomic_write(path_, format_checkpoint(kVersion, lines));
}

void LeaderEpochCache::assign(int32_t epoch, int64_t start_offset) {
  if (epoch < 0 || start_offset < 0) {
    throw LogError(
        LogErrc::kInvalidArgument,
        "invalid leader epoch entry " + std::to_string(epoch) + " " + std::to_string(start_offset));
  }
  if (!entries_.empty() && entries_.back().epoch == epoch &&
      entries_.back().start_offset <= start_offset) {
    return;
  }
  while (!entries_.empty() &&
         (entries_.back().epoch >= epoch || entries_.back().start_offset >= start_offset)) {
    entries_.pop_back();
  }
  entries_.push_back({epoch, start_offset});
  write();
}

std::optional<int32_t> LeaderEpochCache::latest_epoch() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back().epoch;
}

std::optional<EpochEntry> LeaderEpochCache::latest_entry() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

std::optional<EpochEntry> LeaderEpochCache::earliest_entry() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.front();
}

std::optional<int32_t> LeaderEpochCache::epoch_for_offset(int64_t offset) const {
  std::optional<int32_t> found;
  for (const EpochEntry& e : entries_) {
    if (e.start_offset > offset) break;
    found = e.epoch;
  }
  return found;
}

std::pair<int32_t, int64_t> LeaderEpochCache::end_offset_for(int32_t requested_epoch,
                                                             int64_t log_end_offset) const {
  if (requested_epoch == kUndefinedEpoch || entries_.empty()) {
    return {kUndefinedEpoch, kUndefinedOffset};
  }
  if (entries_.back().epoch == requested_epoch) return {requested_epoch, log_end_offset};
  // First entry with a larger epoch, and the last one at or below the requested epoch.
  const EpochEntry* higher = nullptr;
  const EpochEntry* floor = nullptr;
  for (const EpochEntry& e : entries_) {
    if (e.epoch > requested_epoch) {
      higher = &e;
      break;
    }
    floor = &e;
  }
  if (higher == nullptr) return {kUndefinedEpoch, kUndefinedOffset};
  if (floor == nullptr) return {requested_epoch, higher->start_offset};
  return {floor->epoch, higher->start_offset};
}

void LeaderEpochCache::truncate_from_end(int64_t end_offset) {
  if (end_offset < 0 || entries_.empty() || entries_.back().start_offset < end_offset) return;
  while (!entries_.empty() && entries_.back().start_offset >= end_offset) entries_.pop_back();
  write();
}

void LeaderEpochCache::truncate_from_start(int64_t start_offset) {
  size_t removed = 0;
  while (removed < entries_.size() && entries_[removed].start_offset <= start_offset) ++removed;
  if (removed == 0) return;
  EpochEntry kept{entries_[removed - 1].epoch, start_offset};
  if (removed == 1 && entries_[0] == kept) return;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(removed));
  entries_.insert(entries_.begin(), kept);
  write();
}

void LeaderEpochCache::clear() {
  if (entries_.empty() && fs::exists(path_)) return;
  entries_.clear();
  write();
}

}  // namespace fjord::log
