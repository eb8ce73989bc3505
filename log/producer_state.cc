#include "log/producer_state.h"

#include <algorithm>
#include <limits>

#include "log/error.h"
#include "log/file.h"
#include "log/types.h"
#include "records/builder.h"
#include "records/crc32c.h"

namespace fjord::log {

namespace {

constexpr int16_t kSnapshotVersion = 1;
constexpr size_t kSnapshotHeader = 2 + 4 + 4;  // version, crc, entry count
constexpr size_t kSnapshotEntry = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

void put_be(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t get_be(std::span<const uint8_t> in, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | in[pos + static_cast<size_t>(i)];
  return v;
}

}  // namespace

int32_t increment_sequence(int32_t seq, int32_t increment) {
  if (seq > std::numeric_limits<int32_t>::max() - increment) {
    return increment - (std::numeric_limits<int32_t>::max() - seq) - 1;
  }
  return seq + increment;
}

int32_t decrement_sequence(int32_t seq, int32_t decrement) {
  if (seq < decrement) return std::numeric_limits<int32_t>::max() - (decrement - seq) + 1;
  return seq - decrement;
}

const ProducerBatchMetadata* ProducerStateEntry::find_duplicate(int16_t e, int32_t first_seq,
                                                                int32_t last_seq_) const {
  if (e != epoch) return nullptr;
  for (const auto& b : batches) {
    if (b.first_seq == first_seq && b.last_seq == last_seq_) return &b;
  }
  return nullptr;
}

ProducerBatch ProducerBatch::from(const records::BatchView& v) {
  ProducerBatch b;
  b.producer_id = v.producer_id();
  b.epoch = v.producer_epoch();
  b.first_seq = v.base_sequence();
  b.last_seq = b.first_seq < 0 ? -1 : increment_sequence(b.first_seq, v.last_offset_delta());
  b.first_offset = v.base_offset();
  b.last_offset = v.last_offset();
  b.max_timestamp = v.max_timestamp();
  b.transactional = v.is_transactional();
  b.control = v.is_control();
  return b;
}

const ProducerStateEntry* ProducerStateManager::find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

ProducerStateEntry& ProducerStateManager::entry(int64_t producer_id) {
  auto [it, inserted] = producers_.try_emplace(producer_id);
  if (inserted) it->second.producer_id = producer_id;
  return it->second;
}

ProducerCheck ProducerStateManager::check(const ProducerStateEntry* e, const ProducerBatch& b) {
  ProducerCheck c;
  if (b.producer_id < 0 || e == nullptr)
    return c;  // a new producer may start at any sequence  // a new producer may start at any
               // sequence
  // No sequence (RecordBatch.NO_SEQUENCE): the group coordinator's own transactional write
  // (TxnOffsetCommit into __consumer_offsets), which Kafka appends with origin COORDINATOR:
  // the epoch is checked, not sequences or duplicates. (T2, issue 6)
  if (b.first_seq < 0) {
    if (b.epoch < e->epoch) {
      c.error = ProducerErrc::kInvalidProducerEpoch;
      c.message = "epoch " + std::to_string(b.epoch) + " of producer " +
                  std::to_string(b.producer_id) + " is older than the current epoch " +
                  std::to_string(e->epoch);
    }
    return c;
  }
  if (const ProducerBatchMetadata* d = e->find_duplicate(b.epoch, b.first_seq, b.last_seq)) {
    c.error = ProducerErrc::kDuplicate;
    c.duplicate = *d;
    return c;
  }
  if (b.epoch < e->epoch) {
    c.error = ProducerErrc::kInvalidProducerEpoch;
    c.message = "epoch " + std::to_string(b.epoch) + " of producer " +
                std::to_string(b.producer_id) + " is older than the current epoch " +
                std::to_string(e->epoch);
    return c;
  }
  if (b.epoch != e->epoch) {
    if (b.first_seq != 0 && e->epoch != records::kNoProducerEpoch) {
      c.error = ProducerErrc::kOutOfOrderSequence;
      c.message = "a new epoch " + std::to_string(b.epoch) + " of producer " +
                  std::to_string(b.producer_id) + " must start at sequence 0, not " +
                  std::to_string(b.first_seq);
      return c;
    }
  } else if (e->epoch != records::kNoProducerEpoch) {
    const int32_t last = e->last_seq();
    const bool in_seq = (last == std::numeric_limits<int32_t>::max() && b.first_seq == 0) ||
                        int64_t{b.first_seq} == int64_t{last} + 1;
    if (!in_seq) {
      c.error = ProducerErrc::kOutOfOrderSequence;
      c.message = "out of order sequence number for producer " + std::to_string(b.producer_id) +
                  ": " + std::to_string(b.first_seq) + " (incoming seq), " + std::to_string(last) +
                  " (current end sequence)";
      return c;
    }
  }
  if (e->current_txn_first_offset >= 0 && !b.transactional) {
    c.error = ProducerErrc::kInvalidTxnState;
    c.message = "expected a transactional write from producer " + std::to_string(b.producer_id);
    return c;
  }
  return c;
}

ProducerCheck ProducerStateManager::check_marker(int64_t producer_id, int16_t epoch,
                                                 int32_t coordinator_epoch) const {
  ProducerCheck c;
  const ProducerStateEntry* e = find(producer_id);
  if (e == nullptr) return c;
  if (epoch < e->epoch) {
    c.error = ProducerErrc::kInvalidProducerEpoch;
    c.message = "marker epoch " + std::to_string(epoch) + " of producer " +
                std::to_string(producer_id) + " is older than the current epoch " +
                std::to_string(e->epoch);
    return c;
  }
  if (coordinator_epoch < e->coordinator_epoch) {
    c.error = ProducerErrc::kCoordinatorFenced;
    c.message = "marker from coordinator epoch " + std::to_string(coordinator_epoch) +
                " is older than the last one, " + std::to_string(e->coordinator_epoch);
  }
  return c;
}

void ProducerStateManager::apply_data(const ProducerBatch& b) {
  map_end_offset_ = std::max(map_end_offset_, b.last_offset + 1);
  if (b.producer_id < 0) return;
  ProducerStateEntry& e = entry(b.producer_id);
  const bool opens_txn = b.transactional && e.current_txn_first_offset < 0;
  apply_to(e, b);
  if (opens_txn) ongoing_[b.first_offset] = b.producer_id;
}

void ProducerStateManager::apply_to(ProducerStateEntry& e, const ProducerBatch& b) {
  if (e.epoch != b.epoch) {
    e.batches.clear();
    e.epoch = b.epoch;
  }
  if (static_cast<int>(e.batches.size()) >= kProducerBatchesToRetain) e.batches.pop_front();
  e.batches.push_back({b.first_seq, b.last_seq, b.first_offset, b.last_offset, b.max_timestamp});
  e.last_timestamp = b.max_timestamp;
  if (b.transactional && e.current_txn_first_offset < 0)
    e.current_txn_first_offset = b.first_offset;
}

std::optional<CompletedTxn> ProducerStateManager::apply_marker(int64_t producer_id, int16_t epoch,
                                                               bool commit,
                                                               int32_t coordinator_epoch,
                                                               int64_t offset, int64_t timestamp) {
  map_end_offset_ = std::max(map_end_offset_, offset + 1);
  ProducerStateEntry& e = entry(producer_id);
  std::optional<CompletedTxn> done;
  if (e.current_txn_first_offset >= 0) {
    done = CompletedTxn{producer_id, e.current_txn_first_offset, offset, !commit};
    ongoing_.erase(e.current_txn_first_offset);
  }
  if (e.epoch != epoch) {
    e.batches.clear();
    e.epoch = epoch;
  }
  e.current_txn_first_offset = -1;
  e.coordinator_epoch = coordinator_epoch;
  e.last_timestamp = timestamp;
  return done;
}

std::optional<CompletedTxn> ProducerStateManager::apply_replayed(const records::BatchView& v) {
  if (!v.is_control()) {
    apply_data(ProducerBatch::from(v));
    return std::nullopt;
  }
  map_end_offset_ = std::max(map_end_offset_, v.last_offset() + 1);
  if (v.producer_id() < 0 || v.is_compressed()) return std::nullopt;
  records::RecordReader rr(v.records_data(), v.record_count());
  records::RecordView rec;
  if (!rr.next(rec)) return std::nullopt;
  records::ControlRecord cr;
  if (records::parse_control_record(rec, cr) != records::Error::Ok) return std::nullopt;
  return apply_marker(v.producer_id(), v.producer_epoch(), cr.type == records::ControlType::Commit,
                      cr.coordinator_epoch, v.base_offset(), v.max_timestamp());
}

std::optional<int64_t> ProducerStateManager::first_unstable_offset() const {
  if (ongoing_.empty()) return std::nullopt;
  return ongoing_.begin()->first;
}

size_t ProducerStateManager::remove_expired(int64_t now_ms, int64_t expiration_ms) {
  return std::erase_if(producers_, [&](const auto& kv) {
    const ProducerStateEntry& e = kv.second;
    return e.current_txn_first_offset < 0 && now_ms - e.last_timestamp >= expiration_ms;
  });
}

void ProducerStateManager::clear(int64_t offset) {
  producers_.clear();
  ongoing_.clear();
  map_end_offset_ = offset;
}

std::vector<uint8_t> ProducerStateManager::encode_snapshot(
    const std::map<int64_t, ProducerStateEntry>& producers) {
  std::vector<uint8_t> out;
  out.reserve(kSnapshotHeader + producers.size() * kSnapshotEntry);
  put_be(out, static_cast<uint16_t>(kSnapshotVersion), 2);
  put_be(out, 0, 4);  // CRC, filled below
  put_be(out, static_cast<uint32_t>(producers.size()), 4);
  for (const auto& [pid, e] : producers) {
    const ProducerBatchMetadata* last = e.batches.empty() ? nullptr : &e.batches.back();
    put_be(out, static_cast<uint64_t>(pid), 8);
    put_be(out, static_cast<uint16_t>(e.epoch), 2);
    put_be(out, static_cast<uint32_t>(last ? last->last_seq : -1), 4);
    put_be(out, static_cast<uint64_t>(last ? last->last_offset : -1), 8);
    put_be(out, static_cast<uint32_t>(last ? last->last_offset - last->first_offset : 0), 4);
    put_be(out, static_cast<uint64_t>(e.last_timestamp), 8);
    put_be(out, static_cast<uint32_t>(e.coordinator_epoch), 4);
    put_be(out, static_cast<uint64_t>(e.current_txn_first_offset), 8);
  }
  uint32_t crc = records::crc32c(std::span<const uint8_t>(out).subspan(6));
  for (int i = 0; i < 4; ++i)
    out[2 + static_cast<size_t>(i)] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  return out;
}

std::optional<std::map<int64_t, ProducerStateEntry>> ProducerStateManager::decode_snapshot(
    std::span<const uint8_t> d, std::string* why) {
  auto fail = [&](const char* w) -> std::optional<std::map<int64_t, ProducerStateEntry>> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (d.size() < kSnapshotHeader) return fail("too short");
  if (static_cast<int16_t>(get_be(d, 0, 2)) != kSnapshotVersion) return fail("unknown version");
  const auto crc = static_cast<uint32_t>(get_be(d, 2, 4));
  if (records::crc32c(d.subspan(6)) != crc) return fail("CRC mismatch");
  const auto count = static_cast<int32_t>(get_be(d, 6, 4));
  if (count < 0 || (d.size() - kSnapshotHeader) != static_cast<size_t>(count) * kSnapshotEntry) {
    return fail("entry count does not match the size");
  }
  std::map<int64_t, ProducerStateEntry> out;
  size_t pos = kSnapshotHeader;
  for (int32_t i = 0; i < count; ++i, pos += kSnapshotEntry) {
    ProducerStateEntry e;
    e.producer_id = static_cast<int64_t>(get_be(d, pos, 8));
    e.epoch = static_cast<int16_t>(get_be(d, pos + 8, 2));
    const auto last_seq = static_cast<int32_t>(get_be(d, pos + 10, 4));
    const auto last_offset = static_cast<int64_t>(get_be(d, pos + 14, 8));
    const auto delta = static_cast<int32_t>(get_be(d, pos + 22, 4));
    e.last_timestamp = static_cast<int64_t>(get_be(d, pos + 26, 8));
    e.coordinator_epoch = static_cast<int32_t>(get_be(d, pos + 34, 4));
    e.current_txn_first_offset = static_cast<int64_t>(get_be(d, pos + 38, 8));
    if (e.current_txn_first_offset < -1 || delta < 0) return fail("bad entry");
    if (last_seq >= 0 && last_offset >= 0) {
      e.batches.push_back({decrement_sequence(last_seq, delta), last_seq, last_offset - delta,
                           last_offset, e.last_timestamp});
    }
    out[e.producer_id] = std::move(e);
  }
  return out;
}

void ProducerStateManager::write_snapshot(bool sync) {
  std::vector<uint8_t> bytes = encode_snapshot(producers_);
  std::filesystem::path path = dir_ / segment_file_name(map_end_offset_, kSnapshotSuffix);
  std::string_view contents(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (sync) {
    fs::atomic_write(path, contents);
    return;
  }
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    auto f = File::open(tmp, File::OpenMode::kAlways);
    f->truncate(0);
    f->write_at(bytes, 0);
  }
  fs::rename(tmp, path);
}

std::vector<int64_t> ProducerStateManager::snapshot_offsets() const {
  std::vector<int64_t> out;
  if (!fs::is_directory(dir_)) return out;
  for (const std::string& name : fs::list_dir(dir_)) {
    if (auto o = parse_segment_file_name(name, kSnapshotSuffix)) out.push_back(*o);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void ProducerStateManager::delete_snapshots_below(int64_t offset) {
  for (int64_t o : snapshot_offsets())
    if (o < offset) fs::remove_file(dir_ / segment_file_name(o, kSnapshotSuffix));
}

void ProducerStateManager::delete_snapshots_above(int64_t offset) {
  for (int64_t o : snapshot_offsets())
    if (o > offset) fs::remove_file(dir_ / segment_file_name(o, kSnapshotSuffix));
}

bool ProducerStateManager::load_latest_snapshot(int64_t max_offset, int64_t fallback_offset,
                                                std::vector<std::string>* notes) {
  delete_snapshots_above(max_offset);
  std::vector<int64_t> offsets = snapshot_offsets();
  for (auto it = offsets.rbegin(); it != offsets.rend(); ++it) {
    std::filesystem::path path = dir_ / segment_file_name(*it, kSnapshotSuffix);
    std::optional<std::string> text = fs::read_if_exists(path);
    std::string why = "unreadable";
    std::optional<std::map<int64_t, ProducerStateEntry>> loaded;
    if (text) {
      loaded = decode_snapshot(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text->data()), text->size()),
          &why);
    }
    if (!loaded) {
      if (notes)
        notes->push_back("deleting producer snapshot " + path.filename().string() + ": " + why);
      fs::remove_file(path);
      continue;
    }
    clear(*it);
    producers_ = std::move(*loaded);
    for (const auto& [pid, e] : producers_) {
      if (e.current_txn_first_offset >= 0) ongoing_[e.current_txn_first_offset] = pid;
    }
    return true;
  }
  clear(fallback_offset);
  return false;
}

}  // namespace fjord::log
