#include "log/log.h"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "log/checkpoint.h"
#include "log/error.h"
#include "log/file.h"
#include "records/batch.h"
#include "records/builder.h"

namespace fjord::log {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Frames `data` as a sequence of whole v2 batches; throws kCorruptRecord otherwise.
std::vector<BatchHeader> frame_batches(std::span<const uint8_t> data) {
  std::vector<BatchHeader> out;
  records::BatchIterator it(data);
  records::BatchView view;
  while (it.next(view)) {
    if (view.size() < records::kBatchHeaderSize || view.magic() != records::kMagicV2) {
      throw LogError(LogErrc::kCorruptRecord, "only magic v2 batches can be appended");
    }
    out.push_back(parse_batch_header(view.bytes.data(),
                                     static_cast<int64_t>(view.bytes.data() - data.data())));
  }
  if (it.error() != records::Error::Ok || it.partial_tail() || it.consumed() != data.size()) {
    throw LogError(LogErrc::kCorruptRecord, "records are not a sequence of whole batches");
  }
  if (out.empty()) throw LogError(LogErrc::kCorruptRecord, "no batches to append");
  return out;
}

}  // namespace

Log::Log(const std::filesystem::path& dir, const TopicPartition& tp, const LogConfig& config,
         LogOptions options)
    : dir_(dir), tp_(tp), config_(config), options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_clock();
  producer_state_ = std::make_unique<ProducerStateManager>(dir_);
}

Log::~Log() = default;

std::unique_ptr<Log> Log::open(const std::filesystem::path& dir, const TopicPartition& tp,
                               const LogConfig& config, const LoadParams& params,
                               LogOptions options) {
  std::unique_ptr<Log> log(new Log(dir, tp, config, std::move(options)));
  log->load(params);
  return log;
}

std::unique_ptr<Log> Log::create(const std::filesystem::path& dir, const TopicPartition& tp,
                                 const LogConfig& config, std::optional<TopicId> topic_id,
                                 LogOptions options, int64_t start_offset) {
  if (start_offset < 0) {
    throw LogError(LogErrc::kInvalidArgument, "negative start offset");
  }
  if (fs::exists(dir)) {
    throw LogError(LogErrc::kAlreadyExists, dir.string() + " already exists");
  }
  fs::make_dirs(dir);
  std::unique_ptr<Log> log(new Log(dir, tp, config, std::move(options)));
  if (topic_id) log->set_topic_id(*topic_id);
  log->epoch_cache_ = std::make_unique<LeaderEpochCache>(dir / kLeaderEpochCheckpointFile);
  int64_t now = log->options_.clock();
  log->segments_[start_offset] =
      LogSegment::create(dir, start_offset, SegmentConfig::from(config), now);
  log->producer_state_->clear(start_offset);
  log->log_start_offset_ = log->log_end_offset_ = log->high_watermark_ = start_offset;
  log->recovery_point_ = start_offset;
  log->last_flush_ms_ = now;
  log->dir_dirty_ = true;
  fs::fsync_dir(dir.has_parent_path() ? dir.parent_path() : std::filesystem::path("."));
  log->load_result_.segments = 1;
  return log;
}

void Log::note(const std::string& message) {
  std::string full = tp_.to_string() + ": " + message;
  load_result_.notes.push_back(full);
  if (options_.warn) options_.warn(full);
}

void Log::check_online() const {
  if (offline_) throw LogError(LogErrc::kOffline, tp_.to_string() + " is offline");
  if (closed_) throw LogError(LogErrc::kOffline, tp_.to_string() + " is closed");
}

template <typename F>
auto Log::guarded(F&& f) -> decltype(f()) {
  check_online();
  try {
    return f();
  } catch (const LogError& e) {
    bool rolled_back = std::exchange(append_rolled_back_, false);
    if (e.code() == LogErrc::kOffline || (e.code() == LogErrc::kStorage && !rolled_back)) {
      offline_ = true;
    }
    throw;
  }
}

void Log::load(const LoadParams& p) {
  if (!fs::is_directory(dir_)) {
    throw LogError(LogErrc::kNotFound, dir_.string() + " is not a directory");
  }
  int64_t now = options_.clock();
  std::vector<int64_t> bases;
  std::set<int64_t> index_bases;
  for (const std::string& name : fs::list_dir(dir_)) {
    if (ends_with(name, kDeletedSuffix) || ends_with(name, kCleanedSuffix)) {
      fs::remove_file(dir_ / name);
      note("removed leftover " + name);
    } else if (auto b = parse_segment_file_name(name, kLogSuffix)) {
      bases.push_back(*b);
    } else if (auto b1 = parse_segment_file_name(name, kIndexSuffix)) {
      index_bases.insert(*b1);
    } else if (auto b2 = parse_segment_file_name(name, kTimeIndexSuffix)) {
      index_bases.insert(*b2);
    } else if (auto b3 = parse_segment_file_name(name, kTxnIndexSuffix)) {
      index_bases.insert(*b3);
    } else if (ends_with(name, kSwapSuffix)) {
      note("ignoring " + name + " (compaction swap files are not supported yet)");
    }
  }
  std::sort(bases.begin(), bases.end());
  for (int64_t b : index_bases) {
    if (!std::binary_search(bases.begin(), bases.end(), b)) {
      fs::remove_file(dir_ / segment_file_name(b, kIndexSuffix));
      fs::remove_file(dir_ / segment_file_name(b, kTimeIndexSuffix));
      fs::remove_file(dir_ / segment_file_name(b, kTxnIndexSuffix));
      note("removed index files without a log for base offset " + std::to_string(b));
      dir_dirty_ = true;
    }
  }

  epoch_cache_ = std::make_unique<LeaderEpochCache>(dir_ / kLeaderEpochCheckpointFile);
  SegmentConfig sc = SegmentConfig::from(config_);
  for (int64_t b : bases) segments_[b] = LogSegment::open(dir_, b, sc, now);

  // After an unclean shutdown, everything from the segment holding the recovery point on is
  // re-validated. Earlier segments were fsynced; only their indexes get a sanity check.
  int64_t recover_from = std::numeric_limits<int64_t>::max();
  if (!p.had_clean_shutdown && !segments_.empty()) {
    LogSegment* floor = floor_segment(p.recovery_point);
    recover_from = floor != nullptr ? floor->base_offset() : segments_.begin()->first;
  }
  bool hole = false;
  for (auto it = segments_.begin(); it != segments_.end();) {
    LogSegment& s = *it->second;
    if (hole) {
      note("deleting segment " + std::to_string(s.base_offset()) + " after a truncated segment");
      s.delete_files();
      dir_dirty_ = true;
      ++load_result_.segments_deleted;
      it = segments_.erase(it);
      continue;
    }
    if (s.base_offset() >= recover_from) {
      RecoveryResult r = s.recover(epoch_cache_.get());
      ++load_result_.segments_recovered;
      if (r.truncated_bytes > 0) {
        load_result_.bytes_truncated += r.truncated_bytes;
        note("segment " + std::to_string(s.base_offset()) + ": truncated " +
             std::to_string(r.truncated_bytes) + " bytes (" + r.reason + ")");
        hole = true;
      }
    } else {
      std::optional<std::string> problem;
      if (s.indexes_were_missing()) {
        problem = "index files missing";
      } else {
        problem = s.sanity_check();
      }
      if (problem) {
        note("segment " + std::to_string(s.base_offset()) + ": " + *problem +
             "; rebuilding indexes");
        RecoveryResult r = s.recover(epoch_cache_.get());
        ++load_result_.indexes_rebuilt;
        if (r.truncated_bytes > 0) {
          load_result_.bytes_truncated += r.truncated_bytes;
          note("segment " + std::to_string(s.base_offset()) + ": truncated " +
               std::to_string(r.truncated_bytes) + " bytes (" + r.reason + ")");
        }
      }
    }
    ++it;
  }

  if (segments_.empty()) {
    int64_t base = std::max<int64_t>(0, p.log_start_offset);
    segments_[base] = LogSegment::create(dir_, base, sc, now);
    dir_dirty_ = true;
  }
  log_end_offset_ = active().read_next_offset();
  log_start_offset_ =
      std::min(std::max(p.log_start_offset, segments_.begin()->first), log_end_offset_);
  recovery_point_ = p.had_clean_shutdown
                        ? log_end_offset_
                        : std::clamp<int64_t>(p.recovery_point, 0, log_end_offset_);
  if (options_.high_watermark_follows_log_end) {
    high_watermark_ = log_end_offset_;
  } else {
    high_watermark_ = std::clamp(p.high_watermark.value_or(log_start_offset_), log_start_offset_,
                                 log_end_offset_);
  }
  epoch_cache_->truncate_from_end(log_end_offset_);
  epoch_cache_->truncate_from_start(log_start_offset_);
  active().on_become_active();
  topic_id_ = PartitionMetadataFile(dir_).read();
  rebuild_producer_state();
  last_flush_ms_ = now;
  load_result_.segments = static_cast<int32_t>(segments_.size());
}

LogSegment* Log::floor_segment(int64_t offset) const {
  auto it = segments_.upper_bound(offset);
  if (it == segments_.begin()) return nullptr;
  return std::prev(it)->second.get();
}

AppendInfo Log::append_as_leader(std::span<uint8_t> batches, int32_t leader_epoch) {
  return guarded([&] {
    std::vector<BatchHeader> headers = frame_batches(batches);
    AppendInfo info;
    // Producer checks, in order; later batches of the same producer in this append are
    // checked against the state the earlier ones leave.
    {
      std::map<int64_t, ProducerStateEntry> pending;
      for (const BatchHeader& h : headers) {
        records::BatchView v{
            batches.subspan(static_cast<size_t>(h.position), static_cast<size_t>(h.size))};
        if (v.producer_id() < 0 || v.is_control()) continue;
        ProducerBatch pb = ProducerBatch::from(v);
        auto pit = pending.find(pb.producer_id);
        const ProducerStateEntry* e =
            pit != pending.end() ? &pit->second : producer_state_->find(pb.producer_id);
        ProducerCheck c = ProducerStateManager::check(e, pb);
        if (c.error != ProducerErrc::kNone) {
          info.producer_error = c.error;
          info.producer_message = c.message;
          if (c.error == ProducerErrc::kDuplicate) {
            info.first_offset = c.duplicate.first_offset;
            info.last_offset = c.duplicate.last_offset;
            info.max_timestamp = c.duplicate.timestamp;
          }
          info.log_start_offset = log_start_offset_;
          return info;
        }
        ProducerStateEntry next = e != nullptr ? *e : ProducerStateEntry{};
        next.producer_id = pb.producer_id;
        ProducerStateManager::apply_to(next, pb);
        pending[pb.producer_id] = std::move(next);
      }
    }
    int64_t offset = log_end_offset_;
    info.first_offset = offset;
    for (BatchHeader& h : headers) {
      records::MutableBatchView m{
          batches.subspan(static_cast<size_t>(h.position), static_cast<size_t>(h.size))};
      m.set_base_offset(offset);
      m.set_partition_leader_epoch(leader_epoch);
      int64_t delta = h.last_offset - h.base_offset;
      h.base_offset = offset;
      h.last_offset = offset + delta;
      offset = h.last_offset + 1;
      if (h.max_timestamp > info.max_timestamp) {
        info.max_timestamp = h.max_timestamp;
        info.offset_of_max_timestamp = h.last_offset;
      }
    }
    info.last_offset = offset - 1;
    info.num_batches = static_cast<int32_t>(headers.size());
    std::optional<int32_t> epoch;
    if (leader_epoch >= 0) epoch = leader_epoch;
    return append_batches(batches, info, epoch);
  });
}

void Log::assign_epoch_start_offset(int32_t epoch) {
  if (epoch < 0) return;
  guarded([&] {
    epoch_cache_->assign(epoch, log_end_offset_);
    return 0;
  });
}

AppendInfo Log::append_as_follower(std::span<const uint8_t> batches) {
  return guarded([&] {
    std::vector<BatchHeader> headers = frame_batches(batches);
    AppendInfo info;
    info.first_offset = headers.front().base_offset;
    if (info.first_offset < log_end_offset_) {
      throw LogError(LogErrc::kInvalidArgument,
                     "follower append at " + std::to_string(info.first_offset) +
                         " below the log end offset " + std::to_string(log_end_offset_));
    }
    int64_t expected = log_end_offset_;
    for (const BatchHeader& h : headers) {
      if (h.base_offset < expected || h.last_offset < h.base_offset) {
        throw LogError(LogErrc::kCorruptRecord, "follower batches out of order");
      }
      expected = h.next_offset();
      if (h.max_timestamp > info.max_timestamp) {
        info.max_timestamp = h.max_timestamp;
        info.offset_of_max_timestamp = h.last_offset;
      }
    }
    info.last_offset = headers.back().last_offset;
    info.num_batches = static_cast<int32_t>(headers.size());
    AppendInfo out = append_batches(batches, info, std::nullopt);
    for (const BatchHeader& h : headers) {
      if (h.leader_epoch >= 0) epoch_cache_->assign(h.leader_epoch, h.base_offset);
    }
    return out;
  });
}

AppendInfo Log::append_batches(std::span<const uint8_t> batches, const AppendInfo& in,
                               std::optional<int32_t> leader_epoch) {
  AppendInfo info = in;
  info.num_bytes = static_cast<int64_t>(batches.size());
  if (info.num_bytes > config_.segment_bytes) {
    throw LogError(LogErrc::kRecordTooLarge, std::to_string(info.num_bytes) +
                                                 " bytes do not fit a segment of " +
                                                 std::to_string(config_.segment_bytes) + " bytes");
  }
  RollParams rp;
  rp.max_segment_ms = config_.segment_ms;
  rp.max_segment_bytes = config_.segment_bytes;
  rp.max_timestamp_in_messages = info.max_timestamp;
  rp.max_offset_in_messages = info.last_offset;
  rp.messages_size = info.num_bytes;
  rp.now_ms = options_.clock();
  if (active().should_roll(rp)) {
    roll_to(info.first_offset);
    info.rolled = true;
  }
  try {
    active().append(batches);
  } catch (const LogError& e) {
    // The segment rolled its write back: the log is unchanged and stays online.
    if (e.code() == LogErrc::kStorage) append_rolled_back_ = true;
    throw;
  }
  // From here on a failure may leave state behind: guarded() takes the log offline.
  log_end_offset_ = info.last_offset + 1;
  update_producer_state(batches);
  if (options_.high_watermark_follows_log_end) high_watermark_ = log_end_offset_;
  if (leader_epoch) epoch_cache_->assign(*leader_epoch, info.first_offset);
  info.log_start_offset = log_start_offset_;
  if (log_end_offset_ - recovery_point_ >= config_.flush_messages) flush_up_to(log_end_offset_);
  return info;
}

LogSegment& Log::roll_to(int64_t expected_next_offset) {
  int64_t base = std::max(expected_next_offset, log_end_offset_);
  int64_t now = options_.clock();
  LogSegment& old = active();
  if (old.base_offset() == base) {
    if (!old.empty()) {
      throw LogError(LogErrc::kInvalidArgument,
                     "cannot roll: segment " + std::to_string(base) + " exists and is not empty");
    }
    // An empty active segment at the same offset: start it afresh (new creation time).
    remove_segment(base);
  } else {
    old.on_become_inactive();
    unflushed_rolled_.insert(old.base_offset());
  }
  segments_[base] = LogSegment::create(dir_, base, SegmentConfig::from(config_), now);
  // Kafka's snapshot on roll: the producer state up to the new segment's base, so a restart
  // replays at most the active segment.
  producer_state_->set_map_end_offset(log_end_offset_);
  producer_state_->write_snapshot(false);
  pending_flush_offset_ = std::max(pending_flush_offset_, base);
  dir_dirty_ = true;
  return active();
}

void Log::roll() {
  guarded([&] {
    if (!active().empty()) roll_to(log_end_offset_);
  });
}

int64_t Log::max_position_in(const LogSegment& seg, int64_t limit_offset) const {
  if (limit_offset >= log_end_offset_) return seg.size();
  LogSegment* limit_seg = floor_segment(limit_offset);
  if (limit_seg == nullptr || seg.base_offset() > limit_seg->base_offset()) return 0;
  if (seg.base_offset() < limit_seg->base_offset()) return seg.size();
  std::optional<BatchHeader> h = seg.translate_offset(limit_offset);
  return h ? h->position : seg.size();
}

FetchInfo Log::read(int64_t offset, int32_t max_bytes, bool min_one_batch,
                    FetchIsolation isolation) {
  return guarded([&] {
    FetchInfo out;
    out.fetch_offset = offset;
    out.high_watermark = high_watermark_;
    out.log_start_offset = log_start_offset_;
    out.log_end_offset = log_end_offset_;
    if (offset < log_start_offset_ || offset > log_end_offset_) {
      throw LogError(LogErrc::kOffsetOutOfRange, tp_.to_string() + ": offset " +
                                                     std::to_string(offset) + " not in [" +
                                                     std::to_string(log_start_offset_) + ", " +
                                                     std::to_string(log_end_offset_) + "]");
    }
    if (max_bytes < 0) throw LogError(LogErrc::kInvalidArgument, "negative max bytes");
    out.last_stable_offset = last_stable_offset();
    int64_t limit = isolation == FetchIsolation::kLogEnd         ? log_end_offset_
                    : isolation == FetchIsolation::kTxnCommitted ? out.last_stable_offset
                                                                 : high_watermark_;
    if (offset >= limit) return out;
    auto it = segments_.upper_bound(offset);
    if (it != segments_.begin()) --it;
    for (; it != segments_.end() && it->first < limit; ++it) {
      const LogSegment& seg = *it->second;
      int64_t max_position = max_position_in(seg, limit);
      std::optional<SegmentRead> r = seg.read(offset, max_bytes, max_position, min_one_batch);
      if (r) {
        out.records = std::move(r->records);
        out.first_entry_incomplete = r->first_entry_incomplete;
        if (isolation == FetchIsolation::kTxnCommitted && !out.records.empty()) {
          // Kafka's upper bound: the first batch after the returned bytes, else the next
          // segment's base, else the log end.
          int64_t slice_end = out.records.position + out.records.length;
          auto next_it = std::next(it);
          int64_t upper = next_it != segments_.end() ? next_it->first : log_end_offset_;
          BatchScanner scanner(*seg.log_file(), out.records.position, seg.size());
          BatchHeader h;
          while (scanner.next(h)) {
            if (h.position >= slice_end) {
              upper = h.base_offset;
              break;
            }
          }
          out.aborted_transactions = collect_aborted_transactions(offset, upper);
        }
        return out;
      }
    }
    return out;
  });
}

std::optional<TimestampAndOffset> Log::fetch_offset_by_timestamp(int64_t timestamp) {
  return guarded([&]() -> std::optional<TimestampAndOffset> {
    if (timestamp == kEarliestTimestamp || timestamp == kEarliestLocalTimestamp) {
      TimestampAndOffset r{kNoTimestamp, log_start_offset_, std::nullopt};
      if (auto e = epoch_cache_->earliest_entry(); e && e->start_offset <= log_start_offset_) {
        r.leader_epoch = e->epoch;
      }
      return r;
    }
    if (timestamp == kLatestTimestamp) {
      return TimestampAndOffset{kNoTimestamp, log_end_offset_, epoch_cache_->latest_epoch()};
    }
    if (timestamp == kMaxTimestamp) {
      const LogSegment* best = nullptr;
      for (const auto& [base, seg] : segments_) {
        if (best == nullptr || seg->max_timestamp_so_far() > best->max_timestamp_so_far()) {
          best = seg.get();
        }
      }
      if (best == nullptr || best->max_timestamp_so_far() < 0) return std::nullopt;
      return best->find_offset_by_timestamp(best->max_timestamp_so_far(), log_start_offset_);
    }
    if (timestamp < 0) {
      throw LogError(LogErrc::kInvalidArgument, "bad timestamp " + std::to_string(timestamp));
    }
    for (const auto& [base, seg] : segments_) {
      if (seg->largest_timestamp() < timestamp) continue;
      if (auto r = seg->find_offset_by_timestamp(timestamp, log_start_offset_)) return r;
    }
    return std::nullopt;
  });
}

void Log::maybe_increment_log_start_offset(int64_t offset) {
  if (offset <= log_start_offset_) return;
  log_start_offset_ = offset;
  if (high_watermark_ < offset) high_watermark_ = offset;
  if (recovery_point_ < offset) recovery_point_ = offset;
  epoch_cache_->truncate_from_start(offset);
}

int64_t Log::delete_records_before(int64_t offset) {
  return guarded([&] {
    if (offset == -1) offset = high_watermark_;
    if (offset < 0 || offset > high_watermark_) {
      throw LogError(LogErrc::kOffsetOutOfRange,
                     tp_.to_string() + ": cannot delete records before " + std::to_string(offset) +
                         ", above the high watermark " + std::to_string(high_watermark_));
    }
    maybe_increment_log_start_offset(offset);
    delete_segments_while([&](const LogSegment&, const LogSegment* next) {
      return next != nullptr && next->base_offset() <= log_start_offset_;
    });
    return log_start_offset_;
  });
}

void Log::remove_segment(int64_t base_offset) {
  auto it = segments_.find(base_offset);
  if (it == segments_.end()) return;
  std::unique_ptr<LogSegment> seg = std::move(it->second);
  segments_.erase(it);
  unflushed_rolled_.erase(base_offset);
  dir_dirty_ = true;
  seg->delete_files();
  fs::remove_file(dir_ / segment_file_name(base_offset, kSnapshotSuffix));
}

int Log::delete_segments_while(
    const std::function<bool(const LogSegment&, const LogSegment*)>& pred) {
  std::vector<int64_t> deletable;
  for (auto it = segments_.begin(); it != segments_.end(); ++it) {
    auto next_it = std::next(it);
    const LogSegment* next = next_it == segments_.end() ? nullptr : next_it->second.get();
    const LogSegment& seg = *it->second;
    int64_t upper = next != nullptr ? next->base_offset() : log_end_offset_;
    bool last_and_empty = next == nullptr && seg.empty();
    // The high watermark check comes first so a size predicate only counts what it deletes.
    if (high_watermark_ >= upper && pred(seg, next) && !last_and_empty) {
      deletable.push_back(seg.base_offset());
    } else {
      break;
    }
  }
  if (deletable.empty()) return 0;
  // A log always has a segment: if all of them go, roll a fresh one first.
  if (deletable.size() == segments_.size()) roll_to(log_end_offset_);
  for (int64_t base : deletable) {
    note("deleting segment " + std::to_string(base));
    remove_segment(base);
  }
  maybe_increment_log_start_offset(segments_.begin()->first);
  producer_state_->delete_snapshots_below(segments_.begin()->first);
  return static_cast<int>(deletable.size());
}

int Log::delete_old_segments() {
  return guarded([&] {
    int deleted = 0;
    if (config_.cleanup_delete) {
      deleted += delete_segments_while([&](const LogSegment&, const LogSegment* next) {
        return next != nullptr && next->base_offset() <= log_start_offset_;
      });
      if (config_.retention_bytes >= 0 && size_bytes() >= config_.retention_bytes) {
        int64_t diff = size_bytes() - config_.retention_bytes;
        deleted += delete_segments_while([&](const LogSegment& seg, const LogSegment*) {
          if (diff - seg.size() >= 0) {
            diff -= seg.size();
            return true;
          }
          return false;
        });
      }
      if (config_.retention_ms >= 0) {
        int64_t now = options_.clock();
        deleted += delete_segments_while([&](const LogSegment& seg, const LogSegment*) {
          return now - seg.largest_timestamp() > config_.retention_ms;
        });
      }
    } else {
      deleted += delete_segments_while([&](const LogSegment&, const LogSegment* next) {
        return next != nullptr && next->base_offset() <= log_start_offset_;
      });
    }
    return deleted;
  });
}

bool Log::truncate_to(int64_t offset) {
  return guarded([&] {
    if (offset < 0) throw LogError(LogErrc::kInvalidArgument, "negative truncation offset");
    if (offset >= log_end_offset_) return false;
    if (segments_.begin()->first > offset) {
      truncate_fully_and_start_at(offset);
      return true;
    }
    std::vector<int64_t> doomed;
    for (auto it = segments_.upper_bound(offset); it != segments_.end(); ++it) {
      doomed.push_back(it->first);
    }
    for (int64_t base : doomed) remove_segment(base);
    LogSegment& seg = active();
    unflushed_rolled_.erase(seg.base_offset());
    seg.truncate_to(offset, options_.clock());
    log_end_offset_ = offset;
    epoch_cache_->truncate_from_end(offset);
    log_start_offset_ = std::min(offset, log_start_offset_);
    if (high_watermark_ > log_end_offset_) high_watermark_ = log_end_offset_;
    if (recovery_point_ > log_end_offset_) recovery_point_ = log_end_offset_;
    pending_flush_offset_ = std::min(pending_flush_offset_, log_end_offset_);
    rebuild_producer_state();
    return true;
  });
}

void Log::truncate_fully_and_start_at(int64_t offset) {
  guarded([&] {
    if (offset < 0) throw LogError(LogErrc::kInvalidArgument, "negative start offset");
    std::vector<int64_t> all;
    for (const auto& [base, seg] : segments_) all.push_back(base);
    for (int64_t base : all) remove_segment(base);
    int64_t now = options_.clock();
    segments_[offset] = LogSegment::create(dir_, offset, SegmentConfig::from(config_), now);
    dir_dirty_ = true;
    log_start_offset_ = log_end_offset_ = high_watermark_ = recovery_point_ = offset;
    pending_flush_offset_ = offset;
    epoch_cache_->clear();
    producer_state_->delete_snapshots_above(-1);
    producer_state_->clear(offset);
  });
}

void Log::flush() { flush_up_to(log_end_offset_); }

void Log::flush_up_to(int64_t offset) {
  guarded([&] {
    offset = std::min(offset, log_end_offset_);
    for (auto it = segments_.begin(); it != segments_.end(); ++it) {
      auto next_it = std::next(it);
      bool is_active = next_it == segments_.end();
      int64_t end = is_active ? log_end_offset_ : next_it->first;
      LogSegment& seg = *it->second;
      if (seg.base_offset() >= offset) break;
      bool has_unflushed_data = offset > recovery_point_ && end > recovery_point_;
      bool rolled_unflushed = unflushed_rolled_.count(seg.base_offset()) > 0;
      if (!has_unflushed_data && !rolled_unflushed) continue;
      if (is_active) {
        seg.flush_log();
      } else {
        seg.flush();
        unflushed_rolled_.erase(seg.base_offset());
      }
    }
    if (dir_dirty_) {
      fs::fsync_dir(dir_);
      dir_dirty_ = false;
    }
    if (offset > recovery_point_) recovery_point_ = offset;
    last_flush_ms_ = options_.clock();
  });
}

bool Log::maybe_flush() {
  return guarded([&] {
    bool flushed = false;
    if (!unflushed_rolled_.empty()) {
      flush_up_to(std::max(pending_flush_offset_, recovery_point_));
      flushed = true;
    }
    if (log_end_offset_ > recovery_point_ &&
        options_.clock() - last_flush_ms_ >= config_.flush_ms) {
      flush_up_to(log_end_offset_);
      flushed = true;
    }
    return flushed;
  });
}

void Log::close() {
  if (closed_) return;
  if (!offline_) {
    active().close();
    // The clean-shutdown snapshot: the next start replays nothing.
    producer_state_->set_map_end_offset(log_end_offset_);
    producer_state_->write_snapshot(true);
  }
  closed_ = true;
}

void Log::delete_dir() {
  // Allowed on an offline log: deleting is how an operator gets rid of a broken partition.
  std::string suffix = "." + random_hex_id() + std::string(kDeleteDirSuffix);
  std::string part = "-" + std::to_string(tp_.partition);
  std::string topic = tp_.topic;
  // Keep the name within 255 bytes, as Kafka does, by shortening the topic part.
  size_t budget = 255 - suffix.size() - part.size();
  if (topic.size() > budget) topic.resize(budget);
  std::filesystem::path parent = dir_.has_parent_path() ? dir_.parent_path() : ".";
  std::filesystem::path target = parent / (topic + part + suffix);
  try {
    fs::rename(dir_, target);
    fs::fsync_dir(parent);
    segments_.clear();
    closed_ = true;
    fs::remove_tree(target);
  } catch (const LogError&) {
    offline_ = true;
    throw;
  }
}

void Log::update_config(const LogConfig& config) {
  config_ = config;
  SegmentConfig sc = SegmentConfig::from(config);
  for (auto& [base, seg] : segments_) seg->set_config(sc);
}

void Log::set_high_watermark(int64_t offset) {
  high_watermark_ = std::clamp(offset, log_start_offset_, log_end_offset_);
}

void Log::set_topic_id(const TopicId& id) {
  PartitionMetadataFile(dir_).write(id);
  topic_id_ = id;
}

std::pair<int32_t, int64_t> Log::end_offset_for_epoch(int32_t epoch) const {
  return epoch_cache_->end_offset_for(epoch, log_end_offset_);
}

AppendInfo Log::append_marker(int64_t producer_id, int16_t producer_epoch, bool commit,
                              int32_t coordinator_epoch, int32_t leader_epoch, int64_t now_ms) {
  check_online();
  ProducerCheck c = producer_state_->check_marker(producer_id, producer_epoch, coordinator_epoch);
  if (c.error != ProducerErrc::kNone) {
    AppendInfo info;
    info.producer_error = c.error;
    info.producer_message = c.message;
    info.log_start_offset = log_start_offset_;
    return info;
  }
  records::BatchOptions opts;
  opts.producer_id = producer_id;
  opts.producer_epoch = producer_epoch;
  opts.transactional = true;
  opts.control = true;
  records::BatchBuilder builder(opts);
  builder.append_control(commit ? records::ControlType::Commit : records::ControlType::Abort,
                         coordinator_epoch, now_ms);
  std::vector<uint8_t> bytes = builder.build();
  return append_as_leader(bytes, leader_epoch);
}

int64_t Log::last_stable_offset() const {
  int64_t lso = high_watermark_;
  if (auto first = producer_state_->first_unstable_offset()) lso = std::min(lso, *first);
  return std::max(lso, log_start_offset_);
}

std::vector<AbortedTxn> Log::collect_aborted_transactions(int64_t start,
                                                          int64_t upper_bound) const {
  std::vector<AbortedTxn> out;
  auto it = segments_.upper_bound(start);
  if (it != segments_.begin()) --it;
  // As Kafka: on through the later segments (an abort marker can be far past the data it
  // aborts) until an entry's last stable offset reaches the upper bound.
  for (; it != segments_.end(); ++it) {
    AbortedTxnSearch r = it->second->txn_index().collect(start, upper_bound);
    out.insert(out.end(), r.found.begin(), r.found.end());
    if (r.complete) break;
  }
  return out;
}

void Log::update_producer_state(std::span<const uint8_t> batches) {
  records::BatchIterator it(batches);
  records::BatchView v;
  while (it.next(v)) {
    std::optional<CompletedTxn> done = producer_state_->apply_replayed(v);
    if (done && done->aborted) {
      int64_t lso = producer_state_->first_unstable_offset().value_or(done->last_offset + 1);
      active().txn_index().append(
          AbortedTxn{done->producer_id, done->first_offset, done->last_offset, lso});
    }
  }
  producer_state_->set_map_end_offset(log_end_offset_);
}

void Log::rebuild_producer_state() {
  std::vector<std::string> notes;
  const int64_t first_base = segments_.begin()->first;
  bool loaded = producer_state_->load_latest_snapshot(log_end_offset_, first_base, &notes);
  for (const std::string& n : notes) note(n);
  int64_t from = std::max(producer_state_->map_end_offset(), first_base);
  producer_state_->set_map_end_offset(from);
  int replayed = 0;
  auto it = segments_.upper_bound(from);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    LogSegment& seg = *it->second;
    seg.txn_index().truncate_to(from);
    int64_t start_pos = 0;
    if (seg.base_offset() < from) {
      std::optional<BatchHeader> h = seg.translate_offset(from);
      if (!h) continue;
      start_pos = h->position;
    }
    BatchScanner scanner(*seg.log_file(), start_pos, seg.size());
    BatchHeader h;
    records::BatchView view;
    while (scanner.next_whole(h, view)) {
      if (h.last_offset < from) continue;
      if (h.base_offset >= log_end_offset_) break;
      if (view.producer_id() >= 0) ++replayed;
      std::optional<CompletedTxn> done = producer_state_->apply_replayed(view);
      if (done && done->aborted) {
        int64_t lso = producer_state_->first_unstable_offset().value_or(done->last_offset + 1);
        seg.txn_index().append(
            AbortedTxn{done->producer_id, done->first_offset, done->last_offset, lso});
      }
    }
  }
  producer_state_->set_map_end_offset(log_end_offset_);
  if (replayed > 0) {
    note("producer state: " + std::string(loaded ? "loaded snapshot, " : "no snapshot, ") +
         "replayed " + std::to_string(replayed) + " producer batches from offset " +
         std::to_string(from));
  }
}

int64_t Log::size_bytes() const {
  int64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->size();
  return total;
}

std::vector<const LogSegment*> Log::segments() const {
  std::vector<const LogSegment*> out;
  out.reserve(segments_.size());
  for (const auto& [base, seg] : segments_) out.push_back(seg.get());
  return out;
}

}  // namespace fjord::log
