#include "log/segment.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "log/error.h"
#include "log/leader_epoch_cache.h"
#include "log/types.h"
#include "records/batch.h"

namespace fjord::log {

namespace {

// Upper bound for decompressing one batch while searching by timestamp.
constexpr size_t kMaxDecompressedBatch = 256 * 1024 * 1024;

constexpr int64_t kMaxRelativeOffset = std::numeric_limits<int32_t>::max();

}  // namespace

LogSegment::LogSegment(const std::filesystem::path& dir, int64_t base_offset,
                       const SegmentConfig& config, int64_t now_ms, bool create)
    : dir_(dir), base_offset_(base_offset), config_(config), created_ms_(now_ms) {
  std::filesystem::path log_path = dir / segment_file_name(base_offset, kLogSuffix);
  std::filesystem::path index_path = dir / segment_file_name(base_offset, kIndexSuffix);
  std::filesystem::path time_path = dir / segment_file_name(base_offset, kTimeIndexSuffix);
  log_ = File::open(log_path, create ? File::OpenMode::kCreate : File::OpenMode::kExisting);
  size_ = log_->size();
  if (size_ > std::numeric_limits<int32_t>::max()) {
    throw LogError(LogErrc::kCorruptFile, log_path.string() + " is larger than 2 GiB");
  }
  if (!create) indexes_were_missing_ = !fs::exists(index_path) || !fs::exists(time_path);
  offset_index_ = std::make_unique<OffsetIndex>(index_path, base_offset, config.max_index_size);
  time_index_ = std::make_unique<TimeIndex>(time_path, base_offset, config.max_index_size);
  txn_index_ =
      std::make_unique<TransactionIndex>(dir / segment_file_name(base_offset, kTxnIndexSuffix));
  if (create) {
    // Leftovers from a segment that was deleted without its index files.
    offset_index_->reset();
    time_index_->reset();
    txn_index_->reset();
    offset_index_->preallocate();
    time_index_->preallocate();
    max_ts_ = {kNoTimestamp, base_offset_};
  } else {
    max_ts_ = time_index_->last_entry();
    bytes_since_last_index_entry_ = bytes_since_last_entry();
  }
}

std::unique_ptr<LogSegment> LogSegment::create(const std::filesystem::path& dir,
                                               int64_t base_offset, const SegmentConfig& config,
                                               int64_t now_ms) {
  return std::unique_ptr<LogSegment>(new LogSegment(dir, base_offset, config, now_ms, true));
}

std::unique_ptr<LogSegment> LogSegment::open(const std::filesystem::path& dir, int64_t base_offset,
                                             const SegmentConfig& config, int64_t now_ms) {
  return std::unique_ptr<LogSegment>(new LogSegment(dir, base_offset, config, now_ms, false));
}

int64_t LogSegment::bytes_since_last_entry() const {
  // An entry resets the counter before its batch is counted, so the counter is the distance
  // from the last entry's batch start to the end (or from 0 when there is no entry).
  if (offset_index_->entries() == 0) return size_;
  return size_ - offset_index_->last_entry().position;
}

void LogSegment::append(std::span<const uint8_t> batches) {
  if (batches.empty()) return;
  // Walk the headers first so that nothing is written if the input is malformed.
  std::vector<BatchHeader> headers;
  records::BatchIterator it(batches);
  records::BatchView view;
  int64_t rel = 0;
  int64_t expected_min = read_next_offset();
  while (it.next(view)) {
    if (view.size() < records::kBatchHeaderSize || view.magic() != records::kMagicV2) {
      throw LogError(LogErrc::kCorruptRecord, "not a v2 batch");
    }
    BatchHeader h = parse_batch_header(view.bytes.data(), size_ + rel);
    if (h.base_offset < expected_min || h.last_offset < h.base_offset) {
      throw LogError(LogErrc::kCorruptRecord,
                     "batch offsets out of order at " + std::to_string(h.base_offset));
    }
    if (h.last_offset - base_offset_ > kMaxRelativeOffset) {
      throw LogError(LogErrc::kInvalidArgument, "offset " + std::to_string(h.last_offset) +
                                                    " too far from segment base " +
                                                    std::to_string(base_offset_));
    }
    expected_min = h.next_offset();
    headers.push_back(h);
    rel += h.size;
  }
  if (it.error() != records::Error::Ok || it.partial_tail() || it.consumed() != batches.size()) {
    throw LogError(LogErrc::kCorruptRecord, "append buffer is not a sequence of whole batches");
  }
  if (size_ + static_cast<int64_t>(batches.size()) > std::numeric_limits<int32_t>::max()) {
    throw LogError(LogErrc::kRecordTooLarge, "segment would exceed 2 GiB");
  }
  const int64_t old_size = size_;
  const TimestampOffset old_max_ts = max_ts_;
  const int64_t old_bytes_since = bytes_since_last_index_entry_;
  try {
    log_->write_at(batches, size_);
    size_ += static_cast<int64_t>(batches.size());
    for (const BatchHeader& h : headers) {
      if (h.max_timestamp > max_ts_.timestamp) max_ts_ = {h.max_timestamp, h.last_offset};
      if (bytes_since_last_index_entry_ > config_.index_interval_bytes) {
        offset_index_->append(h.last_offset, static_cast<int32_t>(h.position));
        time_index_->maybe_append(max_ts_.timestamp, max_ts_.offset);
        bytes_since_last_index_entry_ = 0;
      }
      bytes_since_last_index_entry_ += h.size;
    }
    next_offset_ = headers.back().next_offset();
  } catch (const LogError& e) {
    // Put the segment back the way it was, so the log can go on after a transient failure
    // such as ENOSPC.
    try {
      next_offset_.reset();
      log_->truncate(old_size);
      size_ = old_size;
      offset_index_->truncate_to(headers.front().base_offset);
      time_index_->truncate_to(headers.front().base_offset);
      max_ts_ = old_max_ts;
      bytes_since_last_index_entry_ = old_bytes_since;
    } catch (const LogError& e2) {
      throw LogError(LogErrc::kOffline, std::string(e.what()) + "; rollback failed: " + e2.what());
    }
    throw;
  }
  if (old_size == 0) {
    rolling_based_timestamp_ = headers.front().max_timestamp;
    rolling_based_timestamp_loaded_ = true;
  }
}

std::optional<BatchHeader> LogSegment::translate_offset(int64_t offset,
                                                        int64_t starting_position) const {
  OffsetPosition mapping = offset_index_->lookup(offset);
  BatchScanner scanner(*log_, std::max<int64_t>(mapping.position, starting_position), size_);
  BatchHeader h;
  while (scanner.next(h)) {
    if (h.last_offset >= offset) return h;
  }
  return std::nullopt;
}

std::optional<SegmentRead> LogSegment::read(int64_t start_offset, int32_t max_size,
                                            int64_t max_position, bool min_one_batch) const {
  if (max_size < 0) {
    throw LogError(LogErrc::kInvalidArgument, "negative read size " + std::to_string(max_size));
  }
  std::optional<BatchHeader> first = translate_offset(start_offset);
  if (!first) return std::nullopt;
  SegmentRead out;
  out.fetch_offset = start_offset;
  out.segment_base_offset = base_offset_;
  out.records.file = log_;
  out.records.position = first->position;
  int64_t adjusted = min_one_batch ? std::max<int64_t>(max_size, first->size) : max_size;
  out.first_entry_incomplete = adjusted < first->size;
  if (adjusted == 0) return out;
  int64_t limit = std::min(max_position, size_);
  out.records.length = std::max<int64_t>(0, std::min(limit - first->position, adjusted));
  return out;
}

std::optional<TimestampAndOffset> LogSegment::find_offset_by_timestamp(
    int64_t timestamp, int64_t starting_offset) const {
  TimestampOffset entry = time_index_->lookup(timestamp);
  int64_t position = offset_index_->lookup(std::max(entry.offset, starting_offset)).position;
  BatchScanner scanner(*log_, position, size_);
  BatchHeader h;
  std::vector<uint8_t> batch_bytes;
  std::vector<uint8_t> decompressed;
  while (scanner.next(h)) {
    if (h.max_timestamp < timestamp || h.last_offset < starting_offset) continue;
    std::optional<int32_t> epoch;
    if (h.leader_epoch >= 0) epoch = h.leader_epoch;
    // The batch holds a record at least this new; find the first one, walking the records.
    batch_bytes.resize(static_cast<size_t>(h.size));
    log_->read_exact(batch_bytes, h.position);
    records::BatchView batch{batch_bytes};
    bool log_append_time = (h.attributes & records::batch_attr::kLogAppendTime) != 0;
    records::RecordReader reader;
    if (records::open_records(batch, decompressed, kMaxDecompressedBatch, reader) ==
        records::Error::Ok) {
      records::RecordView rec;
      while (reader.next(rec)) {
        int64_t ts = log_append_time ? h.max_timestamp : h.base_timestamp + rec.timestamp_delta;
        int64_t off = h.base_offset + rec.offset_delta;
        if (ts >= timestamp && off >= starting_offset) return TimestampAndOffset{ts, off, epoch};
      }
      if (reader.error() == records::Error::Ok) continue;
    }
    // Records that cannot be read: answer at batch granularity, which never skips data.
    return TimestampAndOffset{h.max_timestamp, std::max(h.base_offset, starting_offset), epoch};
  }
  return std::nullopt;
}

int64_t LogSegment::read_next_offset() const {
  if (next_offset_) return *next_offset_;
  BatchScanner scanner(*log_, offset_index_->last_entry().position, size_);
  int64_t next = base_offset_;
  BatchHeader h;
  while (scanner.next(h)) next = h.next_offset();
  next_offset_ = next;
  return next;
}

RecoveryResult LogSegment::recover(LeaderEpochCache* epochs) {
  offset_index_->reset();
  time_index_->reset();
  max_ts_ = {kNoTimestamp, base_offset_};
  next_offset_.reset();
  RecoveryResult result;
  int64_t file_size = log_->size();
  BatchScanner scanner(*log_, 0, file_size);
  BatchHeader h;
  records::BatchView view;
  int64_t valid = 0;
  int64_t last_index_entry = 0;
  int64_t expected_min = base_offset_;
  records::ValidateOptions opts;
  opts.check_records = false;  // the CRC covers the records; Kafka checks no more here
  while (scanner.next_whole(h, view)) {
    records::Error err = view.validate(opts);
    if (err != records::Error::Ok) {
      result.reason = "batch at position " + std::to_string(valid) + ": " + records::to_string(err);
      break;
    }
    if (h.base_offset < expected_min || h.last_offset < h.base_offset ||
        h.last_offset - base_offset_ > kMaxRelativeOffset) {
      result.reason = "batch at position " + std::to_string(valid) + ": offset " +
                      std::to_string(h.base_offset) + " out of order";
      break;
    }
    if (h.max_timestamp > max_ts_.timestamp) max_ts_ = {h.max_timestamp, h.last_offset};
    if (valid - last_index_entry > config_.index_interval_bytes) {
      offset_index_->append(h.last_offset, static_cast<int32_t>(valid));
      time_index_->maybe_append(max_ts_.timestamp, max_ts_.offset);
      last_index_entry = valid;
    }
    valid += h.size;
    ++result.valid_batches;
    expected_min = h.next_offset();
    if (epochs != nullptr && h.leader_epoch >= 0) {
      std::optional<int32_t> latest = epochs->latest_epoch();
      if (!latest || h.leader_epoch > *latest) epochs->assign(h.leader_epoch, h.base_offset);
    }
  }
  if (result.reason.empty()) {
    if (scanner.stop() == BatchScanner::Stop::kPartial) {
      result.reason = "incomplete batch at position " + std::to_string(valid);
    } else if (scanner.stop() == BatchScanner::Stop::kCorrupt) {
      result.reason = "bad batch framing at position " + std::to_string(valid);
    }
  }
  result.valid_bytes = valid;
  result.truncated_bytes = file_size - valid;
  next_offset_ = expected_min;
  if (result.truncated_bytes > 0) log_->truncate(valid);
  size_ = valid;
  offset_index_->trim_to_valid_size();
  // As a cleanly closed segment would have it: the last entry holds the largest timestamp.
  time_index_->maybe_append(max_ts_.timestamp, max_ts_.offset, /*skip_full_check=*/true);
  time_index_->trim_to_valid_size();
  bytes_since_last_index_entry_ = valid - last_index_entry;
  if (offset_index_->entries() == 0) bytes_since_last_index_entry_ = valid;
  rolling_based_timestamp_.reset();
  rolling_based_timestamp_loaded_ = false;
  indexes_were_missing_ = false;
  return result;
}

std::optional<std::string> LogSegment::sanity_check() const {
  if (auto problem = offset_index_->sanity_check(size_)) return "offset index: " + *problem;
  if (offset_index_->entries() > 0) {
    // The last entry must point at a batch that holds its offset.
    OffsetPosition last = offset_index_->last_entry();
    BatchScanner scanner(*log_, last.position, size_);
    BatchHeader h;
    if (!scanner.next(h) || h.base_offset > last.offset || h.base_offset < base_offset_) {
      return "offset index: last entry does not point at its batch";
    }
  }
  // The tail after the last entry must be whole batches up to the end of the file.
  BatchScanner scanner(*log_, offset_index_->last_entry().position, size_);
  BatchHeader h;
  int64_t last_offset = base_offset_ - 1;
  while (scanner.next(h)) last_offset = h.last_offset;
  if (scanner.stop() != BatchScanner::Stop::kEnd) {
    return "log: bad batch at position " + std::to_string(scanner.position());
  }
  if (auto problem = time_index_->sanity_check(last_offset)) return "time index: " + *problem;
  return std::nullopt;
}

TimestampOffset LogSegment::read_largest_timestamp() const {
  TimestampOffset last = time_index_->last_entry();
  int64_t position = offset_index_->lookup(last.offset).position;
  BatchScanner scanner(*log_, position, size_);
  BatchHeader h;
  TimestampOffset best = last;
  while (scanner.next(h)) {
    if (h.max_timestamp > best.timestamp) best = {h.max_timestamp, h.last_offset};
  }
  return best;
}

int64_t LogSegment::truncate_to(int64_t offset, int64_t now_ms) {
  std::optional<BatchHeader> first_removed = translate_offset(offset);
  next_offset_.reset();
  offset_index_->truncate_to(offset);
  time_index_->truncate_to(offset);
  txn_index_->truncate_to(offset);
  int64_t removed = 0;
  if (first_removed) {
    removed = size_ - first_removed->position;
    log_->truncate(first_removed->position);
    size_ = first_removed->position;
  }
  if (size_ == 0) {
    created_ms_ = now_ms;
    rolling_based_timestamp_.reset();
    rolling_based_timestamp_loaded_ = false;
  }
  bytes_since_last_index_entry_ = bytes_since_last_entry();
  max_ts_ = read_largest_timestamp();
  on_become_active();
  return removed;
}

std::optional<int64_t> LogSegment::rolling_based_timestamp() {
  if (!rolling_based_timestamp_loaded_) {
    rolling_based_timestamp_.reset();
    BatchScanner scanner(*log_, 0, size_);
    BatchHeader h;
    if (scanner.next(h)) rolling_based_timestamp_ = h.max_timestamp;
    rolling_based_timestamp_loaded_ = true;
  }
  return rolling_based_timestamp_;
}

bool LogSegment::should_roll(const RollParams& p) {
  bool reached_roll_ms = false;
  if (size_ > 0) {
    std::optional<int64_t> first_ts = rolling_based_timestamp();
    int64_t waited = (first_ts && *first_ts >= 0) ? p.max_timestamp_in_messages - *first_ts
                                                  : p.now_ms - created_ms_;
    reached_roll_ms = waited > p.max_segment_ms - config_.roll_jitter_ms;
  }
  return size_ > int64_t{p.max_segment_bytes} - p.messages_size || reached_roll_ms ||
         offset_index_->is_full() || time_index_->is_full() ||
         p.max_offset_in_messages - base_offset_ > kMaxRelativeOffset ||
         p.max_offset_in_messages < base_offset_;
}

void LogSegment::on_become_inactive() {
  time_index_->maybe_append(max_ts_.timestamp, max_ts_.offset, /*skip_full_check=*/true);
  offset_index_->trim_to_valid_size();
  time_index_->trim_to_valid_size();
}

void LogSegment::on_become_active() {
  offset_index_->preallocate();
  time_index_->preallocate();
}

void LogSegment::flush() {
  log_->datasync();
  offset_index_->flush();
  time_index_->flush();
  txn_index_->flush();
}

void LogSegment::flush_log() { log_->datasync(); }

int64_t LogSegment::largest_timestamp() const {
  return max_ts_.timestamp >= 0 ? max_ts_.timestamp : last_modified_ms();
}

void LogSegment::delete_files() {
  // Rename first: a crash between the unlinks leaves only *.deleted files, which the loader
  // removes, never a .log without its indexes or the other way round.
  auto deleted = [](const std::filesystem::path& p) {
    std::filesystem::path d = p;
    d += kDeletedSuffix;
    return d;
  };
  log_->rename_to(deleted(log_->path()));
  offset_index_->rename_to(deleted(offset_index_->path()));
  time_index_->rename_to(deleted(time_index_->path()));
  const bool had_txn_index = fs::exists(txn_index_->path());
  if (had_txn_index) txn_index_->rename_to(deleted(txn_index_->path()));
  log_->unlink();
  if (had_txn_index) txn_index_->delete_file();
  offset_index_->unlink();
  time_index_->unlink();
}

}  // namespace fjord::log
