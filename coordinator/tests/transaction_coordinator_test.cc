#include "coordinator/transaction_coordinator.h"

#include <doctest/doctest.h>

#include <asio/io_context.hpp>

#include "coordinator/records.h"
#include "coordinator/tests/fake_store.h"
#include "coordinator/transaction_state.h"

using namespace fjord;
using namespace fjord::coordinator;
using E = proto::ErrorCode;

namespace {

records::BytesView view(const Bytes& b) {
  return records::BytesView::of(std::span<const uint8_t>(b));
}

struct Marker {
  TopicPartition tp;
  int64_t pid;
  int16_t epoch;
  bool commit;
};

struct Fixture {
  asio::io_context io;
  testing::FakeStore store;
  int64_t clock = 1'000'000;
  int64_t next_pid = 1000;
  std::vector<Marker> markers;
  E marker_error = E::NONE;
  TxnCoordinatorConfig cfg;
  std::unique_ptr<TransactionCoordinator> tc;

  Fixture() {
    cfg.state_partitions = 4;
    make();
  }
  void make() {
    if (tc) tc->shutdown();
    TxnHooks h;
    h.now_ms = [this] { return clock; };
    h.new_producer_id = [this] { return std::optional<int64_t>(next_pid++); };
    h.write_marker = [this](const TopicPartition& tp, int64_t pid, int16_t epoch, bool commit,
                            int32_t) {
      if (marker_error != E::NONE) return marker_error;
      markers.push_back({tp, pid, epoch, commit});
      return E::NONE;
    };
    tc = std::make_unique<TransactionCoordinator>(io.get_executor(), store, cfg, std::move(h));
    tc->start();
    io.restart();
    io.poll();
  }
};

}  // namespace

TEST_CASE("transaction log records use Kafka's layout and round-trip") {
  const Bytes key = encode_txn_key("tx");
  const Bytes want_key = {0, 0, 0, 2, 't', 'x'};
  CHECK(key == want_key);

  TxnMetadata m;
  m.transactional_id = "tx";
  m.producer_id = 77;
  m.producer_epoch = 3;
  m.timeout_ms = 60000;
  m.state = TxnState::kOngoing;
  m.partitions = {{"a", 0}, {"a", 2}, {"b", 1}};
  m.start_ms = 10;
  m.last_update_ms = 20;
  const Bytes value = encode_txn_value(m);
  // int16 version 0, int64 pid, int16 epoch, int32 timeout, int8 status.
  REQUIRE(value.size() > 17);
  CHECK(value[0] == 0);
  CHECK(value[1] == 0);
  CHECK(value[9] == 77);
  CHECK(value[11] == 3);
  CHECK(value[16] == 1);  // Ongoing
  TxnRecord r = decode_txn_record(view(key), view(value));
  CHECK(r.transactional_id == "tx");
  REQUIRE(r.value);
  CHECK(r.value->producer_id == 77);
  CHECK(r.value->producer_epoch == 3);
  CHECK(r.value->timeout_ms == 60000);
  CHECK(r.value->state == TxnState::kOngoing);
  CHECK(r.value->partitions == m.partitions);
  CHECK(r.value->start_ms == 10);
  CHECK(r.value->last_update_ms == 20);

  // Empty carries null partitions (int32 -1 after the status byte).
  m.state = TxnState::kEmpty;
  m.partitions.clear();
  const Bytes empty = encode_txn_value(m);
  CHECK(empty[17] == 0xff);
  CHECK(empty[20] == 0xff);
  CHECK(!decode_txn_record(view(key), records::BytesView::null()).value);
  CHECK(txn_state_name(TxnState::kPrepareEpochFence) == std::string("PrepareEpochFence"));
  CHECK(txn_state_from_name("CompleteAbort") == TxnState::kCompleteAbort);
  CHECK(!txn_state_from_name("Bogus"));
}

TEST_CASE("InitProducerId creates an id, bumps the epoch and validates the timeout") {
  Fixture f;
  InitPidResult r = f.tc->init_producer_id("t1", 60000, std::nullopt);
  CHECK(r.error == E::NONE);
  CHECK(r.producer_id == 1000);
  CHECK(r.producer_epoch == 0);
  r = f.tc->init_producer_id("t1", 60000, std::nullopt);
  CHECK(r.error == E::NONE);
  CHECK(r.producer_id == 1000);
  CHECK(r.producer_epoch == 1);
  // KIP-360: the current producer resumes with its id and epoch; a retry of that bump gets the
  // same epoch; an older epoch is fenced.
  r = f.tc->init_producer_id("t1", 60000, std::pair<int64_t, int16_t>{1000, 1});
  CHECK(r.error == E::NONE);
  CHECK(r.producer_epoch == 2);
  r = f.tc->init_producer_id("t1", 60000, std::pair<int64_t, int16_t>{1000, 1});
  CHECK(r.error == E::NONE);
  CHECK(r.producer_epoch == 2);
  r = f.tc->init_producer_id("t1", 60000, std::pair<int64_t, int16_t>{1000, 0});
  CHECK(r.error == E::PRODUCER_FENCED);
  r = f.tc->init_producer_id("t1", 60000, std::pair<int64_t, int16_t>{999, 5});
  CHECK(r.error == E::PRODUCER_FENCED);

  CHECK(f.tc->init_producer_id("t2", 900001, std::nullopt).error == E::INVALID_TRANSACTION_TIMEOUT);
  CHECK(f.tc->init_producer_id("t2", 0, std::nullopt).error == E::INVALID_TRANSACTION_TIMEOUT);
  CHECK(f.tc->init_producer_id("", 1000, std::nullopt).error == E::INVALID_REQUEST);
}

TEST_CASE("commit writes markers to every partition and completes") {
  Fixture f;
  InitPidResult r = f.tc->init_producer_id("t", 60000, std::nullopt);
  REQUIRE(r.error == E::NONE);
  const std::vector<TopicPartition> parts = {{"a", 0}, {"a", 1}, {"b", 0}};
  CHECK(f.tc->add_partitions("t", r.producer_id, r.producer_epoch, {parts[0]}) == E::NONE);
  CHECK(f.tc->find("t")->state == TxnState::kOngoing);
  const int64_t started = f.tc->find("t")->start_ms;
  f.clock += 50;
  CHECK(f.tc->add_partitions("t", r.producer_id, r.producer_epoch, parts) == E::NONE);
  CHECK(f.tc->find("t")->start_ms == started);
  CHECK(f.tc->find("t")->partitions.size() == 3);

  auto d = f.tc->describe({"t", "nope"});
  REQUIRE(d.size() == 2);
  CHECK(d[0].error == E::NONE);
  CHECK(d[0].state == "Ongoing");
  CHECK(d[0].partitions.size() == 3);
  CHECK(d[1].error == E::TRANSACTIONAL_ID_NOT_FOUND);

  // Producer checks.
  CHECK(f.tc->add_partitions("t", r.producer_id + 1, r.producer_epoch, parts) ==
        E::INVALID_PRODUCER_ID_MAPPING);
  CHECK(f.tc->add_partitions("t", r.producer_id, r.producer_epoch - 1, parts) ==
        E::PRODUCER_FENCED);
  CHECK(f.tc->add_partitions("unknown", 1, 0, parts) == E::INVALID_PRODUCER_ID_MAPPING);
  CHECK(f.tc->end_transaction("t", r.producer_id, r.producer_epoch + 1, true) ==
        E::PRODUCER_FENCED);

  CHECK(f.tc->end_transaction("t", r.producer_id, r.producer_epoch, true) == E::NONE);
  REQUIRE(f.markers.size() == 3);
  for (const auto& m : f.markers) {
    CHECK(m.commit);
    CHECK(m.pid == r.producer_id);
    CHECK(m.epoch == r.producer_epoch);
  }
  CHECK(f.tc->find("t")->state == TxnState::kCompleteCommit);
  CHECK(f.tc->find("t")->partitions.empty());
  // A retried commit is fine; an abort now is not; no transaction: INVALID_TXN_STATE.
  CHECK(f.tc->end_transaction("t", r.producer_id, r.producer_epoch, true) == E::NONE);
  CHECK(f.tc->end_transaction("t", r.producer_id, r.producer_epoch, false) == E::INVALID_TXN_STATE);
  CHECK(f.markers.size() == 3);

  // The next transaction aborts.
  CHECK(f.tc->add_partitions("t", r.producer_id, r.producer_epoch, {parts[2]}) == E::NONE);
  CHECK(f.tc->end_transaction("t", r.producer_id, r.producer_epoch, false) == E::NONE);
  REQUIRE(f.markers.size() == 4);
  CHECK(!f.markers[3].commit);
  CHECK(f.markers[3].tp == parts[2]);
  CHECK(f.tc->find("t")->state == TxnState::kCompleteAbort);

  // The verify form: only partitions of the ongoing transaction pass.
  CHECK(f.tc->add_partitions("t", r.producer_id, r.producer_epoch, {parts[0]}) == E::NONE);
  std::vector<E> per;
  CHECK(f.tc->verify_partitions("t", r.producer_id, r.producer_epoch, {parts[0], parts[1]}, per) ==
        E::NONE);
  REQUIRE(per.size() == 2);
  CHECK(per[0] == E::NONE);
  CHECK(per[1] == E::INVALID_TXN_STATE);
}

TEST_CASE("a new producer fences the old one and aborts its open transaction") {
  Fixture f;
  InitPidResult a = f.tc->init_producer_id("t", 60000, std::nullopt);
  CHECK(f.tc->add_partitions("t", a.producer_id, a.producer_epoch, {{"x", 0}}) == E::NONE);
  InitPidResult b = f.tc->init_producer_id("t", 60000, std::nullopt);
  CHECK(b.error == E::CONCURRENT_TRANSACTIONS);
  REQUIRE(f.markers.size() == 1);
  CHECK(!f.markers[0].commit);
  CHECK(f.markers[0].epoch == a.producer_epoch + 1);  // written with the fencing epoch
  CHECK(f.tc->find("t")->state == TxnState::kCompleteAbort);
  b = f.tc->init_producer_id("t", 60000, std::nullopt);
  CHECK(b.error == E::NONE);
  CHECK(b.producer_id == a.producer_id);
  CHECK(b.producer_epoch == a.producer_epoch + 2);
  // The zombie is fenced.
  CHECK(f.tc->end_transaction("t", a.producer_id, a.producer_epoch, true) == E::PRODUCER_FENCED);
  CHECK(f.tc->add_partitions("t", a.producer_id, a.producer_epoch, {{"x", 0}}) ==
        E::PRODUCER_FENCED);
}

TEST_CASE("a transaction past its timeout is aborted with a bumped epoch") {
  Fixture f;
  InitPidResult a = f.tc->init_producer_id("t", 5000, std::nullopt);
  InitPidResult other = f.tc->init_producer_id("u", 60000, std::nullopt);
  CHECK(f.tc->add_partitions("t", a.producer_id, a.producer_epoch, {{"x", 0}}) == E::NONE);
  CHECK(f.tc->add_partitions("u", other.producer_id, other.producer_epoch, {{"x", 1}}) == E::NONE);
  f.clock += 5000;
  CHECK(f.tc->abort_timed_out() == 0);
  f.clock += 1;
  CHECK(f.tc->abort_timed_out() == 1);
  REQUIRE(f.markers.size() == 1);
  CHECK(f.markers[0].tp == TopicPartition{"x", 0});
  CHECK(f.markers[0].epoch == a.producer_epoch + 1);
  CHECK(f.tc->find("t")->state == TxnState::kCompleteAbort);
  CHECK(f.tc->find("u")->state == TxnState::kOngoing);
  CHECK(f.tc->end_transaction("t", a.producer_id, a.producer_epoch, true) == E::PRODUCER_FENCED);

  auto l = f.tc->list({"Ongoing", "Bogus"}, {}, -1);
  CHECK(l.error == E::NONE);
  CHECK(l.unknown_state_filters == std::vector<std::string>{"Bogus"});
  REQUIRE(l.transactions.size() == 1);
  CHECK(l.transactions[0].transactional_id == "u");
  CHECK(f.tc->list({}, {a.producer_id}, -1).transactions.size() == 1);
  CHECK(f.tc->list({}, {}, -1).transactions.size() == 2);
  // "Running longer than" the duration: 5001 ms have passed.
  CHECK(f.tc->list({}, {}, 5000).transactions.size() == 1);
  CHECK(f.tc->list({}, {}, 5001).transactions.empty());
}

TEST_CASE("state is replayed from __transaction_state and prepared transactions complete") {
  Fixture f;
  InitPidResult a = f.tc->init_producer_id("done", 60000, std::nullopt);
  CHECK(f.tc->add_partitions("done", a.producer_id, a.producer_epoch, {{"x", 0}}) == E::NONE);
  CHECK(f.tc->end_transaction("done", a.producer_id, a.producer_epoch, true) == E::NONE);
  InitPidResult b = f.tc->init_producer_id("open", 60000, std::nullopt);
  CHECK(f.tc->add_partitions("open", b.producer_id, b.producer_epoch, {{"x", 1}, {"y", 0}}) ==
        E::NONE);
  // A commit whose markers cannot be written stays prepared: the producer must wait.
  InitPidResult c = f.tc->init_producer_id("stuck", 60000, std::nullopt);
  CHECK(f.tc->add_partitions("stuck", c.producer_id, c.producer_epoch, {{"z", 0}}) == E::NONE);
  f.marker_error = E::KAFKA_STORAGE_ERROR;
  CHECK(f.tc->end_transaction("stuck", c.producer_id, c.producer_epoch, true) == E::NONE);
  CHECK(f.tc->find("stuck")->state == TxnState::kPrepareCommit);
  CHECK(f.tc->add_partitions("stuck", c.producer_id, c.producer_epoch, {{"z", 0}}) ==
        E::CONCURRENT_TRANSACTIONS);
  CHECK(f.tc->init_producer_id("stuck", 60000, std::nullopt).error == E::CONCURRENT_TRANSACTIONS);
  CHECK(f.tc->end_transaction("stuck", c.producer_id, c.producer_epoch, true) ==
        E::CONCURRENT_TRANSACTIONS);
  CHECK(f.tc->end_transaction("stuck", c.producer_id, c.producer_epoch, false) ==
        E::INVALID_TXN_STATE);

  // "Restart": a new coordinator over the same log.
  f.markers.clear();
  f.marker_error = E::NONE;
  f.make();
  CHECK(f.tc->fully_loaded());
  REQUIRE(f.tc->find("done"));
  CHECK(f.tc->find("done")->state == TxnState::kCompleteCommit);
  CHECK(f.tc->find("done")->producer_id == a.producer_id);
  REQUIRE(f.tc->find("open"));
  CHECK(f.tc->find("open")->state == TxnState::kOngoing);
  CHECK(f.tc->find("open")->partitions.size() == 2);
  // The prepared commit was completed after the load.
  REQUIRE(f.markers.size() == 1);
  CHECK(f.markers[0].tp == TopicPartition{"z", 0});
  CHECK(f.markers[0].commit);
  CHECK(f.tc->find("stuck")->state == TxnState::kCompleteCommit);
  // The reopened producer's next InitProducerId aborts the open transaction.
  CHECK(f.tc->init_producer_id("open", 60000, std::nullopt).error == E::CONCURRENT_TRANSACTIONS);
  CHECK(f.markers.size() == 3);
  InitPidResult b2 = f.tc->init_producer_id("open", 60000, std::nullopt);
  CHECK(b2.error == E::NONE);
  CHECK(b2.producer_id == b.producer_id);
  CHECK(b2.producer_epoch == b.producer_epoch + 2);
}

TEST_CASE("an exhausted epoch rotates to a new producer id; idle ids expire") {
  Fixture f;
  InitPidResult a = f.tc->init_producer_id("t", 60000, std::nullopt);
  TxnMetadata m = *f.tc->find("t");
  // Drive the epoch to the limit through the log: replay a record with epoch 32766.
  m.producer_epoch = 32766;
  std::vector<RecordToWrite> recs = {{encode_txn_key("t"), encode_txn_value(m)}};
  auto batch = build_batch(recs, f.clock);
  f.store.append(f.tc->partition_of("t"), batch);
  f.make();
  InitPidResult r = f.tc->init_producer_id("t", 60000, std::nullopt);
  CHECK(r.error == E::NONE);
  CHECK(r.producer_id != a.producer_id);
  CHECK(r.producer_epoch == 0);
  CHECK(f.tc->find("t")->last_producer_id == a.producer_id);

  f.cfg.id_expiration_ms = 1000;
  f.make();
  CHECK(f.tc->expire_transactional_ids() == 0);
  f.clock += 1000;
  CHECK(f.tc->expire_transactional_ids() == 1);
  CHECK(!f.tc->find("t"));
  f.make();  // the tombstone is replayed
  CHECK(!f.tc->find("t"));
}
