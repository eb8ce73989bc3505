#include "server/cluster/partition.h"

#include <algorithm>

#include "log/error.h"
#include "log/leader_epoch_cache.h"
#include "log/log.h"
#include "log/segment.h"
#include "records/batch.h"
#include "server/util/logging.h"

namespace fjord {

Partition::Partition(std::string topic, int32_t index, int32_t node_id, log::Log* log)
    : topic_(std::move(topic)), index_(index), replicas_{node_id}, isr_{node_id}, log_(log) {
  // The leader epoch survives restarts through the log's leader-epoch cache.
  if (auto epoch = log_->leader_epoch_cache().latest_epoch()) leader_epoch_ = *epoch;
}

Partition::~Partition() = default;

int64_t Partition::log_start_offset() const { return log_->log_start_offset(); }
int64_t Partition::log_end_offset() const { return log_->log_end_offset(); }
int64_t Partition::high_watermark() const { return log_->high_watermark(); }
int64_t Partition::size_bytes() const { return log_->size_bytes(); }
int64_t Partition::last_stable_offset() const { return log_->last_stable_offset(); }

namespace {

proto::ErrorCode producer_error_code(log::ProducerErrc e) {
  switch (e) {
    case log::ProducerErrc::kNone:
    case log::ProducerErrc::kDuplicate:
      return proto::ErrorCode::NONE;
    case log::ProducerErrc::kOutOfOrderSequence:
      return proto::ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER;
    case log::ProducerErrc::kInvalidProducerEpoch:
      return proto::ErrorCode::INVALID_PRODUCER_EPOCH;
    case log::ProducerErrc::kInvalidTxnState:
      return proto::ErrorCode::INVALID_TXN_STATE;
    case log::ProducerErrc::kCoordinatorFenced:
      return proto::ErrorCode::TRANSACTION_COORDINATOR_FENCED;
  }
  return proto::ErrorCode::UNKNOWN_SERVER_ERROR;
}

}  // namespace

AppendResult Partition::append(std::span<uint8_t> batches, int32_t record_count,
                               bool log_append_time, int64_t now_ms) {
  AppendResult r;
  if (log_append_time) {
    records::BatchIterator it(batches);
    records::BatchView b;
    size_t pos = 0;
    while (it.next(b)) {
      records::MutableBatchView mb{batches.subspan(pos, b.size())};
      mb.set_log_append_time(now_ms);
      pos += b.size();
    }
    r.log_append_time = now_ms;
  }
  try {
    log::AppendInfo info = log_->append_as_leader(batches, leader_epoch_);
    r.log_start_offset = info.log_start_offset;
    if (info.producer_error == log::ProducerErrc::kDuplicate) {
      // Kafka acknowledges a retried batch with the offsets it got the first time.
      r.base_offset = info.first_offset;
      r.log_append_time = -1;
      return r;
    }
    if (info.producer_error != log::ProducerErrc::kNone) {
      r.error = producer_error_code(info.producer_error);
      r.message = info.producer_message;
      r.log_append_time = -1;
      return r;
    }
    r.base_offset = info.first_offset;
    log_->maybe_flush();
  } catch (const log::LogError& e) {
    FJORD_LOG_ERROR("partition", "Append to ", topic_, "-", index_, " failed: ", e.what());
    r.error = proto::ErrorCode::KAFKA_STORAGE_ERROR;
    r.message = e.what();
    return r;
  }
  (void)record_count;
  wake_waiters();
  return r;
}

AppendResult Partition::append_txn_marker(int64_t producer_id, int16_t producer_epoch, bool commit,
                                          int32_t coordinator_epoch, int64_t now_ms) {
  AppendResult r;
  try {
    log::AppendInfo info = log_->append_marker(producer_id, producer_epoch, commit,
                                               coordinator_epoch, leader_epoch_, now_ms);
    r.log_start_offset = info.log_start_offset;
    if (info.producer_error != log::ProducerErrc::kNone) {
      r.error = producer_error_code(info.producer_error);
      r.message = info.producer_message;
      return r;
    }
    r.base_offset = info.first_offset;
    log_->maybe_flush();
  } catch (const log::LogError& e) {
    FJORD_LOG_ERROR("partition", "Marker append to ", topic_, "-", index_, " failed: ", e.what());
    r.error = proto::ErrorCode::KAFKA_STORAGE_ERROR;
    r.message = e.what();
    return r;
  }
  wake_waiters();
  return r;
}

std::vector<ProducerSnapshotView> Partition::active_producers() const {
  std::vector<ProducerSnapshotView> out;
  for (const auto& [pid, e] : log_->producer_state().producers()) {
    out.push_back(ProducerSnapshotView{pid, e.epoch, e.last_seq(), e.last_timestamp,
                                       e.coordinator_epoch, e.current_txn_first_offset});
  }
  return out;
}

bool Partition::has_ongoing_transaction(int64_t producer_id) const {
  const log::ProducerStateEntry* e = log_->producer_state().find(producer_id);
  return e != nullptr && e->current_txn_first_offset >= 0;
}

ReadResult Partition::read(int64_t offset, int32_t max_bytes, bool min_one,
                           bool read_committed) const {
  ReadResult r;
  r.high_watermark = high_watermark();
  r.last_stable_offset = last_stable_offset();
  r.log_start_offset = log_start_offset();
  if (offset < log_start_offset() || offset > high_watermark()) {
    r.error = proto::ErrorCode::OFFSET_OUT_OF_RANGE;
    return r;
  }
  try {
    log::FetchInfo f = log_->read(
        offset, max_bytes, min_one,
        read_committed ? log::FetchIsolation::kTxnCommitted : log::FetchIsolation::kHighWatermark);
    for (const log::AbortedTxn& t : f.aborted_transactions)
      r.aborted_transactions.emplace_back(t.producer_id, t.first_offset);
    if (f.records.empty()) {
      r.records = proto::Records(std::span<const uint8_t>());
      return r;
    }
    // The records stay in the segment file: the response sends them with sendfile(2) on
    // plaintext connections. The slice's file handle keeps the descriptor open until then.
    r.records = proto::Records::from_file(f.records.fd(), f.records.position,
                                          static_cast<size_t>(f.records.length), f.records.file);
  } catch (const log::LogError& e) {
    FJORD_LOG_ERROR("partition", "Read from ", topic_, "-", index_, " failed: ", e.what());
    r.error = proto::ErrorCode::KAFKA_STORAGE_ERROR;
  }
  return r;
}

std::optional<OffsetAndTimestamp> Partition::offset_for_timestamp(int64_t timestamp,
                                                                  bool read_committed) const {
  if (read_committed && timestamp == log::kLatestTimestamp) {
    return OffsetAndTimestamp{last_stable_offset(), -1,
                              log_->leader_epoch_cache().latest_epoch().value_or(-1)};
  }
  auto found = log_->fetch_offset_by_timestamp(timestamp);
  if (!found) return std::nullopt;
  return OffsetAndTimestamp{found->offset, found->timestamp, found->leader_epoch.value_or(-1)};
}

std::vector<int64_t> Partition::segment_base_offsets() const {
  std::vector<int64_t> out;
  for (const log::LogSegment* s : log_->segments()) out.push_back(s->base_offset());
  std::reverse(out.begin(), out.end());
  return out;
}

proto::ErrorCode Partition::delete_records_before(int64_t offset, int64_t* new_low_watermark) {
  if (offset < 0 || offset > high_watermark()) return proto::ErrorCode::OFFSET_OUT_OF_RANGE;
  try {
    *new_low_watermark = log_->delete_records_before(offset);
  } catch (const log::LogError& e) {
    return proto::ErrorCode::KAFKA_STORAGE_ERROR;
  }
  return proto::ErrorCode::NONE;
}

std::pair<int32_t, int64_t> Partition::end_offset_for_epoch(int32_t epoch) const {
  // The current epoch ends at the log end, even before any batch was written in it (Kafka
  // records the epoch's start offset when a leader is elected; the log caches it only on the
  // first append).
  if (epoch >= 0 && epoch == leader_epoch_) return {epoch, log_end_offset()};
  return log_->end_offset_for_epoch(epoch);
}

void Partition::add_waiter(std::weak_ptr<asio::steady_timer> timer) {
  // Drop waiters whose Fetch has finished, so an idle partition does not collect them.
  if (waiters_.size() >= 64) {
    std::erase_if(waiters_, [](const auto& w) { return w.expired(); });
  }
  waiters_.push_back(std::move(timer));
}

void Partition::wake_waiters() {
  if (waiters_.empty()) return;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters)
    if (auto t = w.lock()) t->cancel();
}

void Partition::flush() { log_->flush(); }

}  // namespace fjord
