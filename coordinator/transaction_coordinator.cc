#include "coordinator/transaction_coordinator.h"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

#include "codec/errors.h"
#include "coordinator/records.h"

namespace fjord::coordinator {

namespace {

// Errors of an append to __transaction_state as the producer sees them (Kafka's
// TransactionStateManager.appendTransactionToLog).
ErrorCode store_error(ErrorCode e) {
  switch (e) {
    case ErrorCode::NONE:
      return e;
    case ErrorCode::NOT_LEADER_OR_FOLLOWER:
      return ErrorCode::NOT_COORDINATOR;
    case ErrorCode::MESSAGE_TOO_LARGE:
    case ErrorCode::RECORD_LIST_TOO_LARGE:
    case ErrorCode::INVALID_FETCH_SIZE:
      return ErrorCode::UNKNOWN_SERVER_ERROR;
    default:
      return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  }
}

bool in_prepare(TxnState s) {
  return s == TxnState::kPrepareCommit || s == TxnState::kPrepareAbort;
}

}  // namespace

TransactionCoordinator::TransactionCoordinator(asio::any_io_executor ex, PartitionStore& store,
                                               TxnCoordinatorConfig config, TxnHooks hooks)
    : ex_(ex),
      store_(store),
      config_(config),
      hooks_(std::move(hooks)),
      abort_timer_(ex),
      expire_timer_(ex),
      alive_(std::make_shared<bool>(true)) {}

TransactionCoordinator::~TransactionCoordinator() { shutdown(); }

int64_t TransactionCoordinator::now() const {
  if (hooks_.now_ms) return hooks_.now_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void TransactionCoordinator::log(TxnLogSeverity s, const std::string& m) const {
  if (hooks_.log) hooks_.log(s, m);
}

// ---- lifecycle ------------------------------------------------------------------------------

void TransactionCoordinator::start() {
  if (started_) return;
  started_ = true;
  const int32_t n = store_.partition_count();
  if (n > 0) {
    partitions_ = n;
    partition_loading_.assign(static_cast<size_t>(n), true);
    loading_partitions_ = n;
    std::weak_ptr<bool> alive = alive_;
    asio::co_spawn(ex_, load_all(), [this, alive](std::exception_ptr e) {
      if (!e || alive.expired()) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log(TxnLogSeverity::kWarn, std::string("Loading __transaction_state failed: ") + ex.what());
      }
    });
  }
  schedule(abort_timer_, config_.abort_interval_ms, &TransactionCoordinator::on_abort_timer);
  schedule(expire_timer_, config_.remove_expired_interval_ms,
           &TransactionCoordinator::on_expire_timer);
}

void TransactionCoordinator::schedule(asio::steady_timer& timer, int64_t interval_ms,
                                      void (TransactionCoordinator::*fn)()) {
  if (stopped_) return;
  timer.expires_after(std::chrono::milliseconds(std::max<int64_t>(interval_ms, 1)));
  std::weak_ptr<bool> alive = alive_;
  timer.async_wait([this, alive, fn](const asio::error_code& ec) {
    if (ec || alive.expired() || stopped_) return;
    (this->*fn)();
  });
}

void TransactionCoordinator::on_abort_timer() {
  abort_timed_out();
  schedule(abort_timer_, config_.abort_interval_ms, &TransactionCoordinator::on_abort_timer);
}

void TransactionCoordinator::on_expire_timer() {
  expire_transactional_ids();
  schedule(expire_timer_, config_.remove_expired_interval_ms,
           &TransactionCoordinator::on_expire_timer);
}

void TransactionCoordinator::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  abort_timer_.cancel();
  expire_timer_.cancel();
  alive_.reset();
}

bool TransactionCoordinator::loading(std::string_view id) const {
  if (loading_partitions_ == 0 || partitions_ == 0) return false;
  return partition_loading_[static_cast<size_t>(partition_for(id, partitions_))];
}

int32_t TransactionCoordinator::partition_of(std::string_view id) const {
  return partition_for(id, partitions_ > 0 ? partitions_ : config_.state_partitions);
}

bool TransactionCoordinator::ensure_topic() {
  if (partitions_ > 0) return true;
  int32_t n = store_.partition_count();
  if (n == 0) n = store_.create(config_.state_partitions);
  if (n <= 0) return false;
  partitions_ = n;
  partition_loading_.assign(static_cast<size_t>(n), false);
  return true;
}

ErrorCode TransactionCoordinator::check_status(const std::string& id) {
  if (stopped_) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  if (!ensure_topic()) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  if (loading(id)) return ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
  return ErrorCode::NONE;
}

const TxnMetadata* TransactionCoordinator::find(const std::string& id) const {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : &it->second;
}

// ---- persistence ----------------------------------------------------------------------------

ErrorCode TransactionCoordinator::persist(const TxnMetadata& next) {
  if (stopped_) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  std::vector<RecordToWrite> recs;
  recs.push_back({encode_txn_key(next.transactional_id), encode_txn_value(next)});
  std::vector<uint8_t> batch = build_batch(recs, now());
  const StoreAppend a = store_.append(partition_of(next.transactional_id), batch);
  if (a.error != ErrorCode::NONE) {
    log(TxnLogSeverity::kWarn, "Writing the state of transactional id " + next.transactional_id +
                                   " failed: error " + std::to_string(proto::code(a.error)));
    return store_error(a.error);
  }
  txns_[next.transactional_id] = next;
  return ErrorCode::NONE;
}

ErrorCode TransactionCoordinator::write_tombstone(const std::string& id) {
  if (stopped_) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  std::vector<RecordToWrite> recs;
  recs.push_back({encode_txn_key(id), std::nullopt});
  std::vector<uint8_t> batch = build_batch(recs, now());
  const StoreAppend a = store_.append(partition_of(id), batch);
  return store_error(a.error);
}

// ---- markers --------------------------------------------------------------------------------

ErrorCode TransactionCoordinator::prepare_and_complete(TxnMetadata next) {
  next.last_update_ms = now();
  if (ErrorCode e = persist(next); e != ErrorCode::NONE) return e;
  markers_done_.erase(next.transactional_id);
  complete(next.transactional_id);
  return ErrorCode::NONE;
}

bool TransactionCoordinator::complete(const std::string& id) {
  auto it = txns_.find(id);
  if (it == txns_.end() || !in_prepare(it->second.state)) return true;
  const TxnMetadata& m = it->second;
  const bool commit = m.state == TxnState::kPrepareCommit;
  auto& done = markers_done_[id];
  bool all = true;
  for (const auto& tp : m.partitions) {
    if (done.count(tp)) continue;
    ErrorCode e = ErrorCode::NONE;
    if (hooks_.write_marker)
      e = hooks_.write_marker(tp, m.producer_id, m.producer_epoch, commit, /*coordinator_epoch=*/0);
    if (e == ErrorCode::NONE || e == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) {
      done.insert(tp);
    } else if (e == ErrorCode::INVALID_PRODUCER_EPOCH ||
               e == ErrorCode::TRANSACTION_COORDINATOR_FENCED) {
      // A newer epoch already wrote there: this marker can never be written; Kafka drops it.
      log(TxnLogSeverity::kWarn, "Dropping the marker of transactional id " + id + " for " +
                                     tp.topic + "-" + std::to_string(tp.partition) + ": error " +
                                     std::to_string(proto::code(e)));
      done.insert(tp);
    } else {
      all = false;
      log(TxnLogSeverity::kWarn, std::string("Writing the ") + (commit ? "commit" : "abort") +
                                     " marker of transactional id " + id + " to " + tp.topic + "-" +
                                     std::to_string(tp.partition) + " failed: error " +
                                     std::to_string(proto::code(e)) + "; will retry");
    }
  }
  if (!all) return false;
  TxnMetadata next = m;
  next.state = commit ? TxnState::kCompleteCommit : TxnState::kCompleteAbort;
  next.partitions.clear();
  next.last_update_ms = now();
  if (persist(next) != ErrorCode::NONE) return false;  // retried by the timer
  markers_done_.erase(id);
  return true;
}

// ---- InitProducerId -------------------------------------------------------------------------

InitPidResult TransactionCoordinator::init_producer_id(
    const std::string& id, int32_t timeout_ms,
    std::optional<std::pair<int64_t, int16_t>> expected) {
  auto fail = [](ErrorCode e) { return InitPidResult{e, kNoProducerId, kNoProducerEpoch}; };
  if (id.empty()) return fail(ErrorCode::INVALID_REQUEST);
  if (timeout_ms <= 0 || timeout_ms > config_.max_timeout_ms)
    return fail(ErrorCode::INVALID_TRANSACTION_TIMEOUT);
  if (ErrorCode e = check_status(id); e != ErrorCode::NONE) return fail(e);

  auto it = txns_.find(id);
  if (it == txns_.end()) {
    std::optional<int64_t> pid = hooks_.new_producer_id ? hooks_.new_producer_id() : std::nullopt;
    if (!pid) return fail(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    TxnMetadata m;
    m.transactional_id = id;
    m.producer_id = *pid;
    m.timeout_ms = timeout_ms;
    m.last_update_ms = now();
    it = txns_.emplace(id, std::move(m)).first;  // epoch -1 until the first write succeeds
  }
  const TxnMetadata& m = it->second;

  if (in_prepare(m.state)) return fail(ErrorCode::CONCURRENT_TRANSACTIONS);
  if (expected) {
    // Kafka: fence unless the metadata was just created, the id matches, or this is a retry
    // from the previous producer id whose epoch was exhausted.
    const bool valid = m.producer_epoch == kNoProducerEpoch || expected->first == m.producer_id ||
                       (expected->first == m.last_producer_id && epoch_exhausted(expected->second));
    if (!valid) return fail(ErrorCode::PRODUCER_FENCED);
  }

  switch (m.state) {
    case TxnState::kEmpty:
    case TxnState::kCompleteCommit:
    case TxnState::kCompleteAbort: {
      TxnMetadata next = m;
      next.timeout_ms = timeout_ms;
      next.partitions.clear();
      next.start_ms = -1;
      next.last_update_ms = now();
      next.state = TxnState::kEmpty;
      if (epoch_exhausted(m.producer_epoch) &&
          (!expected || expected->second == m.producer_epoch)) {
        // Rotate to a new producer id.
        std::optional<int64_t> pid =
            hooks_.new_producer_id ? hooks_.new_producer_id() : std::nullopt;
        if (!pid) return fail(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        next.last_producer_id = m.producer_id;
        next.producer_id = *pid;
        next.producer_epoch = 0;
        next.last_producer_epoch = expected ? m.producer_epoch : kNoProducerEpoch;
      } else if (epoch_exhausted(m.producer_epoch)) {
        return fail(ErrorCode::PRODUCER_FENCED);
      } else if (!expected) {
        next.producer_epoch = static_cast<int16_t>(m.producer_epoch + 1);
        next.last_producer_epoch = kNoProducerEpoch;
      } else if (m.producer_epoch == kNoProducerEpoch || expected->second == m.producer_epoch) {
        next.producer_epoch = static_cast<int16_t>(m.producer_epoch + 1);
        next.last_producer_epoch = m.producer_epoch;
      } else if (expected->second == m.last_producer_epoch) {
        // A retry of a bump that succeeded: the current epoch again.
      } else {
        return fail(ErrorCode::PRODUCER_FENCED);
      }
      if (ErrorCode e = persist(next); e != ErrorCode::NONE) return fail(e);
      log(TxnLogSeverity::kInfo, "Initialized transactional id " + id + " with producer id " +
                                     std::to_string(next.producer_id) + " and epoch " +
                                     std::to_string(next.producer_epoch) +
                                     " on partition __transaction_state-" +
                                     std::to_string(partition_of(id)));
      return InitPidResult{ErrorCode::NONE, next.producer_id, next.producer_epoch};
    }
    case TxnState::kOngoing: {
      // Fence the current producer: bump the epoch and abort its transaction with it; the
      // client gets CONCURRENT_TRANSACTIONS and retries, which bumps the epoch once more.
      if (m.producer_epoch == 32767) return fail(ErrorCode::PRODUCER_FENCED);
      TxnMetadata next = m;
      next.producer_epoch = static_cast<int16_t>(m.producer_epoch + 1);
      next.last_producer_epoch = kNoProducerEpoch;
      next.state = TxnState::kPrepareAbort;
      log(TxnLogSeverity::kInfo, "Aborting the ongoing transaction of transactional id " + id +
                                     " to fence producer id " + std::to_string(m.producer_id) +
                                     " epoch " + std::to_string(m.producer_epoch));
      if (ErrorCode e = prepare_and_complete(std::move(next)); e != ErrorCode::NONE) return fail(e);
      return fail(ErrorCode::CONCURRENT_TRANSACTIONS);
    }
    case TxnState::kPrepareCommit:
    case TxnState::kPrepareAbort:
    case TxnState::kDead:
    case TxnState::kPrepareEpochFence:
      break;
  }
  return fail(ErrorCode::CONCURRENT_TRANSACTIONS);
}

// ---- AddPartitionsToTxn / AddOffsetsToTxn ---------------------------------------------------

ErrorCode TransactionCoordinator::check_producer(const TxnMetadata& m, int64_t producer_id,
                                                 int16_t producer_epoch) const {
  if (m.producer_id != producer_id) return ErrorCode::INVALID_PRODUCER_ID_MAPPING;
  if (m.producer_epoch != producer_epoch) return ErrorCode::PRODUCER_FENCED;
  if (in_prepare(m.state)) return ErrorCode::CONCURRENT_TRANSACTIONS;
  return ErrorCode::NONE;
}

ErrorCode TransactionCoordinator::add_partitions(const std::string& id, int64_t producer_id,
                                                 int16_t producer_epoch,
                                                 const std::vector<TopicPartition>& partitions) {
  if (id.empty()) return ErrorCode::INVALID_REQUEST;
  if (ErrorCode e = check_status(id); e != ErrorCode::NONE) return e;
  auto it = txns_.find(id);
  if (it == txns_.end()) return ErrorCode::INVALID_PRODUCER_ID_MAPPING;
  const TxnMetadata& m = it->second;
  if (ErrorCode e = check_producer(m, producer_id, producer_epoch); e != ErrorCode::NONE) return e;
  if (m.state == TxnState::kOngoing) {
    bool all = true;
    for (const auto& tp : partitions) all = all && m.partitions.count(tp) > 0;
    if (all) return ErrorCode::NONE;
  } else if (m.state != TxnState::kEmpty && m.state != TxnState::kCompleteCommit &&
             m.state != TxnState::kCompleteAbort) {
    return ErrorCode::INVALID_TXN_STATE;
  }
  TxnMetadata next = m;
  const int64_t t = now();
  if (m.state != TxnState::kOngoing) {
    next.start_ms = t;
    next.partitions.clear();
  }
  next.state = TxnState::kOngoing;
  next.partitions.insert(partitions.begin(), partitions.end());
  next.last_update_ms = t;
  return persist(next);
}

ErrorCode TransactionCoordinator::verify_partitions(const std::string& id, int64_t producer_id,
                                                    int16_t producer_epoch,
                                                    const std::vector<TopicPartition>& partitions,
                                                    std::vector<ErrorCode>& per_partition) {
  per_partition.assign(partitions.size(), ErrorCode::NONE);
  if (id.empty()) return ErrorCode::INVALID_REQUEST;
  if (ErrorCode e = check_status(id); e != ErrorCode::NONE) return e;
  auto it = txns_.find(id);
  if (it == txns_.end()) return ErrorCode::INVALID_PRODUCER_ID_MAPPING;
  const TxnMetadata& m = it->second;
  if (ErrorCode e = check_producer(m, producer_id, producer_epoch); e != ErrorCode::NONE) return e;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (m.state != TxnState::kOngoing || !m.partitions.count(partitions[i]))
      per_partition[i] = ErrorCode::INVALID_TXN_STATE;
  }
  return ErrorCode::NONE;
}

// ---- EndTxn ---------------------------------------------------------------------------------

ErrorCode TransactionCoordinator::end_transaction(const std::string& id, int64_t producer_id,
                                                  int16_t producer_epoch, bool commit) {
  if (id.empty()) return ErrorCode::INVALID_REQUEST;
  if (ErrorCode e = check_status(id); e != ErrorCode::NONE) return e;
  auto it = txns_.find(id);
  if (it == txns_.end()) return ErrorCode::INVALID_PRODUCER_ID_MAPPING;
  const TxnMetadata& m = it->second;
  if (m.producer_id != producer_id) return ErrorCode::INVALID_PRODUCER_ID_MAPPING;
  if (producer_epoch != m.producer_epoch) return ErrorCode::PRODUCER_FENCED;
  switch (m.state) {
    case TxnState::kOngoing: {
      TxnMetadata next = m;
      next.state = commit ? TxnState::kPrepareCommit : TxnState::kPrepareAbort;
      return prepare_and_complete(std::move(next));
    }
    case TxnState::kCompleteCommit:
      return commit ? ErrorCode::NONE : ErrorCode::INVALID_TXN_STATE;
    case TxnState::kCompleteAbort:
      return commit ? ErrorCode::INVALID_TXN_STATE : ErrorCode::NONE;
    case TxnState::kPrepareCommit:
      return commit ? ErrorCode::CONCURRENT_TRANSACTIONS : ErrorCode::INVALID_TXN_STATE;
    case TxnState::kPrepareAbort:
      return commit ? ErrorCode::INVALID_TXN_STATE : ErrorCode::CONCURRENT_TRANSACTIONS;
    case TxnState::kEmpty:
    case TxnState::kDead:
    case TxnState::kPrepareEpochFence:
      break;
  }
  return ErrorCode::INVALID_TXN_STATE;
}

// ---- timeouts and expiry --------------------------------------------------------------------

size_t TransactionCoordinator::abort_timed_out() {
  if (stopped_) return 0;
  const int64_t t = now();
  std::vector<std::string> timed_out;
  std::vector<std::string> retry;
  for (const auto& [id, m] : txns_) {
    if (loading(id)) continue;
    if (m.state == TxnState::kOngoing && m.start_ms >= 0 && m.start_ms + m.timeout_ms < t)
      timed_out.push_back(id);
    else if (in_prepare(m.state))
      retry.push_back(id);
  }
  for (const auto& id : retry) complete(id);
  size_t aborted = 0;
  for (const auto& id : timed_out) {
    auto it = txns_.find(id);
    if (it == txns_.end() || it->second.state != TxnState::kOngoing) continue;
    const TxnMetadata& m = it->second;
    if (m.producer_epoch == 32767) continue;
    TxnMetadata next = m;
    next.producer_epoch = static_cast<int16_t>(m.producer_epoch + 1);
    next.last_producer_epoch = kNoProducerEpoch;
    next.state = TxnState::kPrepareAbort;
    log(TxnLogSeverity::kInfo, "Aborting the transaction of transactional id " + id +
                                   " (producer id " + std::to_string(m.producer_id) + ", epoch " +
                                   std::to_string(m.producer_epoch) + ") after its timeout of " +
                                   std::to_string(m.timeout_ms) + " ms");
    if (prepare_and_complete(std::move(next)) == ErrorCode::NONE) ++aborted;
  }
  return aborted;
}

size_t TransactionCoordinator::expire_transactional_ids() {
  if (stopped_) return 0;
  const int64_t t = now();
  std::vector<std::string> expired;
  for (const auto& [id, m] : txns_) {
    if (loading(id)) continue;
    const bool idle = m.state == TxnState::kEmpty || m.state == TxnState::kCompleteCommit ||
                      m.state == TxnState::kCompleteAbort;
    if (idle && m.last_update_ms + config_.id_expiration_ms <= t) expired.push_back(id);
  }
  size_t n = 0;
  for (const auto& id : expired) {
    if (write_tombstone(id) != ErrorCode::NONE) continue;
    txns_.erase(id);
    markers_done_.erase(id);
    ++n;
  }
  if (n > 0)
    log(TxnLogSeverity::kInfo, "Removed " + std::to_string(n) + " expired transactional ids");
  return n;
}

// ---- describe / list ------------------------------------------------------------------------

std::vector<TxnDescription> TransactionCoordinator::describe(const std::vector<std::string>& ids) {
  std::vector<TxnDescription> out;
  for (const auto& id : ids) {
    TxnDescription d;
    d.transactional_id = id;
    d.error = check_status(id);
    if (d.error == ErrorCode::NONE) {
      const TxnMetadata* m = find(id);
      if (!m) {
        d.error = ErrorCode::TRANSACTIONAL_ID_NOT_FOUND;
      } else {
        d.state = txn_state_name(m->state);
        d.timeout_ms = m->timeout_ms;
        d.start_ms = m->start_ms;
        d.producer_id = m->producer_id;
        d.producer_epoch = m->producer_epoch;
        d.partitions.assign(m->partitions.begin(), m->partitions.end());
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

ListTxnsResult TransactionCoordinator::list(const std::vector<std::string>& state_filters,
                                            const std::vector<int64_t>& producer_id_filters,
                                            int64_t duration_filter_ms) {
  ListTxnsResult r;
  if (stopped_ || !ensure_topic()) {
    r.error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
    return r;
  }
  if (loading_partitions_ > 0) {
    r.error = ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
    return r;
  }
  std::set<TxnState> states;
  for (const auto& s : state_filters) {
    if (auto st = txn_state_from_name(s)) {
      states.insert(*st);
    } else {
      r.unknown_state_filters.push_back(s);
    }
  }
  // Only unknown states asked for: nothing can match.
  if (!state_filters.empty() && states.empty()) return r;
  const std::set<int64_t> pids(producer_id_filters.begin(), producer_id_filters.end());
  const int64_t t = now();
  for (const auto& [id, m] : txns_) {
    if (m.producer_epoch == kNoProducerEpoch) continue;  // never initialised
    if (!states.empty() && !states.count(m.state)) continue;
    if (!pids.empty() && !pids.count(m.producer_id)) continue;
    if (duration_filter_ms >= 0 &&
        (m.state != TxnState::kOngoing || m.start_ms < 0 || t - m.start_ms <= duration_filter_ms))
      continue;
    r.transactions.push_back({id, m.producer_id, txn_state_name(m.state)});
  }
  return r;
}

// ---- loading --------------------------------------------------------------------------------

asio::awaitable<void> TransactionCoordinator::load_all() {
  std::weak_ptr<bool> alive = alive_;
  const auto started = std::chrono::steady_clock::now();
  for (int32_t p = 0; p < partitions_; ++p) {
    co_await load_partition(p);
    if (alive.expired() || stopped_) co_return;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  log(TxnLogSeverity::kInfo, "Loaded " + std::to_string(txns_.size()) +
                                 " transactional ids from __transaction_state in " +
                                 std::to_string(ms) + " ms");
}

asio::awaitable<void> TransactionCoordinator::load_partition(int32_t partition) {
  std::weak_ptr<bool> alive = alive_;
  int64_t next = store_.start_offset(partition);
  const int64_t end = store_.end_offset(partition);
  std::vector<uint8_t> buf;
  while (next < end) {
    buf.clear();
    const ErrorCode e = store_.read(partition, next, std::max(config_.load_buffer_size, 1024), buf);
    if (e != ErrorCode::NONE) {
      log(TxnLogSeverity::kWarn, "Loading __transaction_state-" + std::to_string(partition) +
                                     " stopped at offset " + std::to_string(next) + ": error " +
                                     std::to_string(proto::code(e)));
      break;
    }
    if (buf.empty()) break;
    const int64_t before = next;
    replay(partition, buf, next);
    if (next <= before) break;
    co_await asio::post(ex_, asio::use_awaitable);
    if (alive.expired() || stopped_) co_return;
  }
  partition_loading_[static_cast<size_t>(partition)] = false;
  --loading_partitions_;
  // Transactions that were completing when the broker stopped: write their markers again.
  std::vector<std::string> pending;
  for (const auto& [id, m] : txns_)
    if (in_prepare(m.state) && partition_for(id, partitions_) == partition) pending.push_back(id);
  for (const auto& id : pending) complete(id);
}

void TransactionCoordinator::replay(int32_t partition, std::span<const uint8_t> batches,
                                    int64_t& next_offset) {
  records::BatchIterator it(batches);
  records::BatchView b;
  std::vector<uint8_t> scratch;
  while (it.next(b)) {
    if (b.magic() != records::kMagicV2 || b.is_control()) {
      next_offset = std::max(next_offset, b.next_offset());
      continue;
    }
    if (b.next_offset() <= next_offset) continue;
    records::RecordReader rr;
    if (records::open_records(b, scratch, 64u << 20, rr) != records::Error::Ok) {
      log(TxnLogSeverity::kWarn, "Skipping an unreadable batch at offset " +
                                     std::to_string(b.base_offset()) + " of __transaction_state-" +
                                     std::to_string(partition));
      next_offset = b.next_offset();
      continue;
    }
    records::RecordView rec;
    while (rr.next(rec)) {
      const int64_t offset = b.base_offset() + rec.offset_delta;
      if (offset < next_offset) continue;
      try {
        TxnRecord r = decode_txn_record(rec.key, rec.value);
        if (r.value) {
          txns_[r.transactional_id] = std::move(*r.value);
        } else {
          txns_.erase(r.transactional_id);
        }
      } catch (const proto::DecodeError& e) {
        log(TxnLogSeverity::kWarn, "Skipping an undecodable record at offset " +
                                       std::to_string(offset) + " of __transaction_state-" +
                                       std::to_string(partition) + ": " + e.what());
      }
    }
    next_offset = b.next_offset();
  }
}

}  // namespace fjord::coordinator
