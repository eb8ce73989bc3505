#include "log/producer_state.h"

#include <doctest/doctest.h>

#include <limits>

#include "log/error.h"
#include "log/log.h"
#include "log/txn_index.h"
#include "test_util.h"

namespace fjord::log {
namespace {

using testing::ManualClock;
using testing::TempDir;

// A batch of `count` records from producer (pid, epoch) starting at sequence `seq`.
std::vector<uint8_t> producer_batch(int64_t pid, int16_t epoch, int32_t seq, int count,
                                    bool transactional = false, int64_t ts = 5000) {
  records::BatchOptions opts;
  opts.producer_id = pid;
  opts.producer_epoch = epoch;
  opts.base_sequence = seq;
  opts.transactional = transactional;
  records::BatchBuilder b(opts);
  for (int i = 0; i < count; ++i) {
    b.append(ts + i, records::BytesView::of("k"), records::BytesView::of("value"));
  }
  return b.build();
}

ProducerBatch pb(int64_t pid, int16_t epoch, int32_t seq, int count, int64_t first_offset,
                 bool txn = false) {
  ProducerBatch b;
  b.producer_id = pid;
  b.epoch = epoch;
  b.first_seq = seq;
  b.last_seq = increment_sequence(seq, count - 1);
  b.first_offset = first_offset;
  b.last_offset = first_offset + count - 1;
  b.max_timestamp = 100 + first_offset;
  b.transactional = txn;
  return b;
}

LogConfig config(int32_t segment_bytes = 1 << 20) {
  LogConfig c;
  c.segment_bytes = segment_bytes;
  c.index_interval_bytes = 150;
  c.segment_index_bytes = 4096;
  return c;
}

struct Fixture {
  TempDir tmp;
  ManualClock clock;
  TopicPartition tp{"events", 0};
  std::filesystem::path dir = tmp / "events-0";

  LogOptions options() {
    LogOptions o;
    o.clock = clock.fn();
    return o;
  }
  std::unique_ptr<Log> create(const LogConfig& c = config()) {
    return Log::create(dir, tp, c, std::nullopt, options());
  }
  std::unique_ptr<Log> open(bool clean, const LogConfig& c = config()) {
    LoadParams p;
    p.had_clean_shutdown = clean;
    return Log::open(dir, tp, c, p, options());
  }
};

AppendInfo append(Log& log, std::vector<uint8_t> b) { return log.append_as_leader(b, 0); }

}  // namespace

TEST_CASE("producer state: sequence arithmetic wraps at INT32_MAX") {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  CHECK(increment_sequence(5, 3) == 8);
  CHECK(increment_sequence(kMax, 1) == 0);
  CHECK(increment_sequence(kMax - 1, 3) == 1);
  CHECK(decrement_sequence(1, 3) == kMax - 1);
  CHECK(decrement_sequence(8, 3) == 5);
}

TEST_CASE("producer state: Kafka's rules for client batches") {
  TempDir tmp;
  ProducerStateManager m(tmp.path());
  // Unknown producer: any sequence is accepted (KIP-360).
  CHECK(m.check_client_batch(pb(7, 0, 42, 2, 0)).error == ProducerErrc::kNone);
  m.apply_data(pb(7, 0, 0, 3, 0));  // seq 0..2 at offsets 0..2
  SUBCASE("next in sequence") {
    CHECK(m.check_client_batch(pb(7, 0, 3, 1, 3)).error == ProducerErrc::kNone);
  }
  SUBCASE("duplicate of the last batch returns its offsets") {
    ProducerCheck c = m.check_client_batch(pb(7, 0, 0, 3, 99));
    REQUIRE(c.error == ProducerErrc::kDuplicate);
    CHECK(c.duplicate.first_offset == 0);
    CHECK(c.duplicate.last_offset == 2);
  }
  SUBCASE("a gap is out of order, and so is a partial overlap") {
    CHECK(m.check_client_batch(pb(7, 0, 4, 1, 3)).error == ProducerErrc::kOutOfOrderSequence);
    CHECK(m.check_client_batch(pb(7, 0, 1, 2, 3)).error == ProducerErrc::kOutOfOrderSequence);
  }
  SUBCASE("an older epoch is fenced") {
    m.apply_data(pb(7, 1, 0, 1, 3));
    ProducerCheck c = m.check_client_batch(pb(7, 0, 3, 1, 4));
    CHECK(c.error == ProducerErrc::kInvalidProducerEpoch);
    // The duplicate check comes first, but only within the current epoch.
    CHECK(m.check_client_batch(pb(7, 0, 0, 3, 4)).error == ProducerErrc::kInvalidProducerEpoch);
  }
  SUBCASE("a new epoch must start at sequence 0") {
    CHECK(m.check_client_batch(pb(7, 1, 3, 1, 3)).error == ProducerErrc::kOutOfOrderSequence);
    CHECK(m.check_client_batch(pb(7, 1, 0, 1, 3)).error == ProducerErrc::kNone);
  }
  SUBCASE("only the last five batches are remembered") {
    for (int i = 0; i < 5; ++i) m.apply_data(pb(7, 0, 3 + i, 1, 3 + i));
    CHECK(m.check_client_batch(pb(7, 0, 0, 3, 99)).error == ProducerErrc::kOutOfOrderSequence);
    ProducerCheck c = m.check_client_batch(pb(7, 0, 3, 1, 99));
    REQUIRE(c.error == ProducerErrc::kDuplicate);
    CHECK(c.duplicate.first_offset == 3);
  }
  SUBCASE("sequence wraps from INT32_MAX to 0") {
    m.apply_data(pb(8, 0, std::numeric_limits<int32_t>::max() - 1, 2, 10));
    CHECK(m.check_client_batch(pb(8, 0, 0, 1, 12)).error == ProducerErrc::kNone);
    CHECK(m.check_client_batch(pb(8, 0, 1, 1, 12)).error == ProducerErrc::kOutOfOrderSequence);
  }
  SUBCASE("a non-transactional write during an open transaction") {
    m.apply_data(pb(9, 0, 0, 1, 20, true));
    CHECK(m.first_unstable_offset() == 20);
    CHECK(m.check_client_batch(pb(9, 0, 1, 1, 21, false)).error == ProducerErrc::kInvalidTxnState);
    CHECK(m.check_client_batch(pb(9, 0, 1, 1, 21, true)).error == ProducerErrc::kNone);
    auto done = m.apply_marker(9, 0, false, 3, 21, 777);
    REQUIRE(done);
    CHECK(done->aborted);
    CHECK(done->first_offset == 20);
    CHECK(done->last_offset == 21);
    CHECK_FALSE(m.first_unstable_offset());
    CHECK(m.check_marker(9, 0, 2).error == ProducerErrc::kCoordinatorFenced);
    m.apply_data(pb(9, 1, 0, 1, 22));
    CHECK(m.check_marker(9, 0, 3).error == ProducerErrc::kInvalidProducerEpoch);
  }
}

TEST_CASE("producer state: snapshot round trip and CRC") {
  TempDir tmp;
  ProducerStateManager m(tmp.path());
  m.apply_data(pb(7, 2, 10, 3, 100));
  m.apply_data(pb(8, 0, 0, 1, 103, true));
  m.set_map_end_offset(104);
  m.write_snapshot(true);
  CHECK(std::filesystem::exists(tmp / "00000000000000000104.snapshot"));
  auto bytes = testing::read_file(tmp / "00000000000000000104.snapshot");
  CHECK(bytes.size() == 10 + 2 * 46);

  ProducerStateManager r(tmp.path());
  REQUIRE(r.load_latest_snapshot(1000, 0));
  CHECK(r.map_end_offset() == 104);
  const ProducerStateEntry* e = r.find(7);
  REQUIRE(e);
  CHECK(e->epoch == 2);
  CHECK(e->last_seq() == 12);
  // The restored last batch is still recognised as a duplicate.
  ProducerCheck c = r.check_client_batch(pb(7, 2, 10, 3, 500));
  REQUIRE(c.error == ProducerErrc::kDuplicate);
  CHECK(c.duplicate.first_offset == 100);
  CHECK(r.first_unstable_offset() == 103);

  SUBCASE("a snapshot above the log end is deleted") {
    ProducerStateManager t(tmp.path());
    CHECK_FALSE(t.load_latest_snapshot(103, 0));
    CHECK(t.snapshot_offsets().empty());
  }
  SUBCASE("a flipped byte fails the CRC and the snapshot is dropped") {
    bytes[20] ^= 0x40;
    testing::write_file(tmp / "00000000000000000104.snapshot", bytes);
    ProducerStateManager t(tmp.path());
    CHECK_FALSE(t.load_latest_snapshot(1000, 0));
    CHECK(t.producers().empty());
    CHECK(t.snapshot_offsets().empty());
  }
}

TEST_CASE("txn index: Kafka's entry format, truncation and search") {
  TempDir tmp;
  auto path = tmp / "00000000000000000000.txnindex";
  {
    TransactionIndex idx(path);
    CHECK_FALSE(std::filesystem::exists(path));
    idx.append({5, 10, 20, 21});
    idx.append({6, 15, 30, 40});
    idx.append({7, 41, 50, 51});
    CHECK_THROWS_AS(idx.append({8, 1, 50, 51}), LogError);
  }
  auto bytes = testing::read_file(path);
  REQUIRE(bytes.size() == 3 * 34);
  CHECK(bytes[0] == 0);
  CHECK(bytes[1] == 0);    // version 0
  CHECK(bytes[9] == 5);    // producer id, big-endian
  CHECK(bytes[17] == 10);  // first offset
  CHECK(bytes[25] == 20);  // last offset
  CHECK(bytes[33] == 21);  // last stable offset
  TransactionIndex idx(path);
  REQUIRE(idx.entries().size() == 3);
  AbortedTxnSearch s = idx.collect(22, 35);
  REQUIRE(s.found.size() == 1);
  CHECK(s.found[0].producer_id == 6);
  CHECK(s.complete);  // entry 6's LSO (40) reached the upper bound
  s = idx.collect(0, 100);
  CHECK(s.found.size() == 3);
  CHECK_FALSE(s.complete);
  idx.truncate_to(30);
  CHECK(idx.entries().size() == 1);
  CHECK(testing::read_file(path).size() == 34);
  // A torn entry is cut off at load.
  auto torn = testing::read_file(path);
  torn.resize(34 + 10, 0);
  testing::write_file(path, torn);
  TransactionIndex again(path);
  CHECK(again.entries().size() == 1);
  CHECK(testing::read_file(path).size() == 34);
}

TEST_CASE("log: idempotent appends, duplicates and errors") {
  Fixture f;
  auto log = f.create();
  AppendInfo a = append(*log, producer_batch(1, 0, 0, 2));
  CHECK(a.producer_error == ProducerErrc::kNone);
  CHECK(a.first_offset == 0);
  append(*log, producer_batch(1, 0, 2, 3));  // offsets 2..4
  AppendInfo dup = append(*log, producer_batch(1, 0, 0, 2));
  CHECK(dup.producer_error == ProducerErrc::kDuplicate);
  CHECK(dup.first_offset == 0);
  CHECK(log->log_end_offset() == 5);
  CHECK(append(*log, producer_batch(1, 0, 9, 1)).producer_error ==
        ProducerErrc::kOutOfOrderSequence);
  CHECK(log->log_end_offset() == 5);
  append(*log, producer_batch(1, 1, 0, 1));
  CHECK(append(*log, producer_batch(1, 0, 5, 1)).producer_error ==
        ProducerErrc::kInvalidProducerEpoch);
  CHECK(log->log_end_offset() == 6);
}

TEST_CASE("log: producer state survives clean and unclean restarts") {
  Fixture f;
  {
    auto log = f.create(config(600));  // small segments: several rolls
    for (int i = 0; i < 8; ++i) append(*log, producer_batch(1, 0, i * 2, 2));
    CHECK(log->num_segments() > 1);
    CHECK_FALSE(log->producer_state().snapshot_offsets().empty());
    log->close();
  }
  SUBCASE("clean") {
    auto log = f.open(true, config(600));
    CHECK(append(*log, producer_batch(1, 0, 14, 2)).producer_error == ProducerErrc::kDuplicate);
    CHECK(append(*log, producer_batch(1, 0, 16, 1)).producer_error == ProducerErrc::kNone);
  }
  SUBCASE("unclean, snapshots gone: rebuilt from the log") {
    for (int64_t o : ProducerStateManager(f.dir).snapshot_offsets())
      std::filesystem::remove(f.dir / segment_file_name(o, kSnapshotSuffix));
    auto log = f.open(false, config(600));
    AppendInfo d = append(*log, producer_batch(1, 0, 10, 2));
    CHECK(d.producer_error == ProducerErrc::kDuplicate);
    CHECK(d.first_offset == 10);
    CHECK(append(*log, producer_batch(1, 0, 17, 1)).producer_error ==
          ProducerErrc::kOutOfOrderSequence);
  }
}

TEST_CASE("log: transactions, markers, LSO, txnindex and read_committed") {
  Fixture f;
  auto log = f.create();
  append(*log, producer_batch(1, 0, 0, 2, true));   // 0..1, txn A
  append(*log, producer_batch(2, 0, 0, 1, false));  // 2
  append(*log, producer_batch(3, 0, 0, 2, true));   // 3..4, txn B
  CHECK(log->last_stable_offset() == 0);
  CHECK(log->high_watermark() == 5);
  FetchInfo r = log->read(0, 1 << 20, true, FetchIsolation::kTxnCommitted);
  CHECK(r.records.empty());
  CHECK(r.last_stable_offset == 0);
  // Abort A: marker at 5; LSO moves to B's first offset.
  AppendInfo m = log->append_marker(1, 0, false, 4, 0, 9999);
  CHECK(m.producer_error == ProducerErrc::kNone);
  CHECK(m.first_offset == 5);
  CHECK(log->last_stable_offset() == 3);
  REQUIRE(log->active_segment().txn_index().entries().size() == 1);
  CHECK(log->active_segment().txn_index().entries()[0] == AbortedTxn{1, 0, 5, 3});
  r = log->read(0, 1 << 20, true, FetchIsolation::kTxnCommitted);
  CHECK_FALSE(r.records.empty());
  REQUIRE(r.aborted_transactions.size() == 1);
  CHECK(r.aborted_transactions[0].producer_id == 1);
  // An old epoch marker is refused; the stale coordinator too.
  CHECK(log->append_marker(3, -1, true, 4, 0, 9999).producer_error ==
        ProducerErrc::kInvalidProducerEpoch);
  CHECK(log->append_marker(1, 0, true, 3, 0, 9999).producer_error ==
        ProducerErrc::kCoordinatorFenced);
  // Commit B.
  log->append_marker(3, 0, true, 4, 0, 9999);
  CHECK(log->last_stable_offset() == log->high_watermark());
  // A marker without an open transaction is still written.
  int64_t end = log->log_end_offset();
  log->append_marker(2, 0, true, 0, 0, 9999);
  CHECK(log->log_end_offset() == end + 1);
  // The marker batch is Kafka's control batch.
  auto seg = testing::read_file(f.dir / "00000000000000000000.log");
  records::BatchIterator it(seg);
  records::BatchView v;
  int controls = 0;
  while (it.next(v)) {
    if (v.is_control()) {
      ++controls;
      CHECK(v.is_transactional());
      CHECK(v.record_count() == 1);
    }
  }
  CHECK(controls == 3);

  // After an unclean restart without snapshots, state and txnindex come back from the log.
  log.reset();
  std::filesystem::remove(f.dir / "00000000000000000000.txnindex");
  auto again = f.open(false);
  REQUIRE(again->active_segment().txn_index().entries().size() == 1);
  CHECK(again->active_segment().txn_index().entries()[0] == AbortedTxn{1, 0, 5, 3});
  CHECK(again->last_stable_offset() == again->high_watermark());
}

TEST_CASE("log: an open transaction survives a restart and holds the LSO") {
  Fixture f;
  {
    auto log = f.create();
    append(*log, producer_batch(1, 0, 0, 1));
    append(*log, producer_batch(2, 0, 0, 2, true));  // open at 1
    log->close();
  }
  auto log = f.open(true);
  CHECK(log->last_stable_offset() == 1);
  log->append_marker(2, 0, true, 0, 0, 1);
  CHECK(log->last_stable_offset() == 4);
}

TEST_CASE("log: snapshots and txnindex go with their segments") {
  Fixture f;
  LogConfig c = config(300);
  auto log = f.create(c);
  for (int i = 0; i < 8; ++i) {
    append(*log, producer_batch(1, 0, i, 1, true));
    log->append_marker(1, 0, false, 0, 0, 1);
  }
  REQUIRE(log->num_segments() > 2);
  auto snaps = log->producer_state().snapshot_offsets();
  REQUIRE_FALSE(snaps.empty());
  int64_t second = log->segments()[1]->base_offset();
  log->delete_records_before(second);
  for (int64_t o : log->producer_state().snapshot_offsets()) CHECK(o >= second);
  CHECK_FALSE(std::filesystem::exists(f.dir / "00000000000000000000.txnindex"));
}

}  // namespace fjord::log

namespace fjord::log {

TEST_CASE("log: an abort marker segments after the data is still found by read_committed") {
  Fixture f;
  auto log = f.create(config(300));
  for (int i = 0; i < 10; ++i) append(*log, producer_batch(1, 0, i, 1, true));
  log->append_marker(1, 0, false, 0, 0, 1);
  REQUIRE(log->num_segments() > 2);
  // The first segment's read: the upper bound is inside the first segments, the entry is in
  // the last one.
  FetchInfo r = log->read(0, 100, true, FetchIsolation::kTxnCommitted);
  REQUIRE_FALSE(r.records.empty());
  REQUIRE(r.aborted_transactions.size() == 1);
  CHECK(r.aborted_transactions[0].first_offset == 0);
  CHECK(r.aborted_transactions[0].last_offset == 10);
}

}  // namespace fjord::log

namespace fjord::log {

TEST_CASE("producer state: idle producers expire, open transactions do not") {
  TempDir tmp;
  ProducerStateManager m(tmp.path());
  m.apply_data(pb(1, 0, 0, 1, 0));        // timestamp 100
  m.apply_data(pb(2, 0, 0, 1, 1, true));  // timestamp 101, open transaction
  m.apply_data(pb(3, 0, 0, 1, 500));      // timestamp 600
  CHECK(m.remove_expired(700, 200) == 1);
  CHECK(m.find(1) == nullptr);
  CHECK(m.find(2) != nullptr);
  CHECK(m.find(3) != nullptr);
  // An expired producer is unknown again: any sequence is accepted.
  CHECK(m.check_client_batch(pb(1, 0, 7, 1, 2)).error == ProducerErrc::kNone);
}

}  // namespace fjord::log
