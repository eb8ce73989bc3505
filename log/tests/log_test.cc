#include "log/log.h"

#include <doctest/doctest.h>

#include "log/error.h"
#include "test_util.h"

namespace fjord::log {
namespace {

using testing::make_batch;
using testing::ManualClock;
using testing::TempDir;

LogConfig small_config() {
  LogConfig c;
  c.segment_bytes = 1024;
  c.index_interval_bytes = 200;
  c.segment_index_bytes = 4096;
  return c;
}

struct Fixture {
  TempDir tmp;
  ManualClock clock;
  TopicPartition tp{"orders", 3};
  std::filesystem::path dir = tmp / "orders-3";

  LogOptions options(bool hw_follows = true) {
    LogOptions o;
    o.clock = clock.fn();
    o.high_watermark_follows_log_end = hw_follows;
    return o;
  }
  std::unique_ptr<Log> create(const LogConfig& c = small_config(), bool hw_follows = true) {
    return Log::create(dir, tp, c, TopicId::random(), options(hw_follows));
  }
  std::unique_ptr<Log> reopen(const LogConfig& c, LoadParams p, bool hw_follows = true) {
    return Log::open(dir, tp, c, p, options(hw_follows));
  }
};

// Appends `n` batches of `per` records as leader; returns the bytes as stored (offsets set).
std::vector<uint8_t> append_n(Log& log, int n, int per, int64_t ts = 1000, int32_t epoch = 0,
                              size_t value_size = 20) {
  std::vector<uint8_t> stored;
  for (int i = 0; i < n; ++i) {
    auto b = make_batch(per, ts + log.log_end_offset(), value_size);
    log.append_as_leader(b, epoch);
    stored.insert(stored.end(), b.begin(), b.end());
  }
  return stored;
}

// Leader append of a temporary buffer.
AppendInfo lead(Log& log, std::vector<uint8_t> batches, int32_t epoch) {
  return log.append_as_leader(batches, epoch);
}

// Everything readable from `offset` on, following segments.
std::vector<uint8_t> read_all(Log& log, int64_t offset) {
  std::vector<uint8_t> out;
  while (offset < log.log_end_offset()) {
    FetchInfo f = log.read(offset, 1 << 20, true, FetchIsolation::kLogEnd);
    auto bytes = f.records.read();
    REQUIRE(!bytes.empty());
    auto batches = testing::parse_batches(bytes);
    out.insert(out.end(), bytes.begin(), bytes.end());
    offset = batches.back().last_offset + 1;
  }
  return out;
}

TEST_CASE("log: leader append assigns offsets and epochs in place") {
  Fixture f;
  auto log = f.create();
  CHECK(log->log_end_offset() == 0);
  auto b1 = make_batch(3, 1000);
  auto b2 = make_batch(2, 1003);
  auto both = testing::concat({b1, b2});
  AppendInfo info = log->append_as_leader(both, 7);
  CHECK(info.first_offset == 0);
  CHECK(info.last_offset == 4);
  CHECK(info.num_batches == 2);
  CHECK(info.max_timestamp == 1004);
  CHECK(info.offset_of_max_timestamp == 4);
  auto parsed = testing::parse_batches(both);
  CHECK(parsed[0].base_offset == 0);
  CHECK(parsed[1].base_offset == 3);
  CHECK(parsed[0].epoch == 7);
  CHECK(parsed[1].epoch == 7);
  // The CRC does not cover the rewritten fields: the batches still validate.
  records::BatchIterator it(both);
  records::BatchView v;
  while (it.next(v)) CHECK(v.validate() == records::Error::Ok);

  AppendInfo info2 = log->append_as_leader(b1 = make_batch(4, 2000), 8);
  CHECK(info2.first_offset == 5);
  CHECK(info2.last_offset == 8);
  CHECK(log->log_end_offset() == 9);
  CHECK(log->high_watermark() == 9);
  CHECK(log->leader_epoch_cache().entries() == std::vector<EpochEntry>{{7, 0}, {8, 5}});
  CHECK(log->end_offset_for_epoch(7) == std::pair<int32_t, int64_t>{7, 5});
  CHECK(log->end_offset_for_epoch(8) == std::pair<int32_t, int64_t>{8, 9});

  // Read back byte for byte.
  auto expected = testing::concat({both, b1});
  CHECK(read_all(*log, 0) == expected);
}

TEST_CASE("log: reads, out of range, high watermark isolation") {
  Fixture f;
  auto log = f.create(small_config(), /*hw_follows=*/false);
  auto stored = append_n(*log, 4, 5);  // offsets 0..19
  CHECK(log->high_watermark() == 0);
  // Consumers see nothing below a zero high watermark; followers see everything.
  CHECK(log->read(0, 1000, true).records.empty());
  CHECK(log->read(0, 1 << 20, true, FetchIsolation::kLogEnd).records.read() == stored);

  log->set_high_watermark(10);
  auto r = log->read(0, 1 << 20, true);
  auto batches = testing::parse_batches(r.records.read());
  REQUIRE(batches.size() == 2);
  CHECK(batches.back().last_offset == 9);
  CHECK(r.high_watermark == 10);
  CHECK(log->read(10, 1000, true).records.empty());
  CHECK(log->read(15, 1000, true).records.empty());  // between HW and LEO

  log->set_high_watermark(100);  // clamped
  CHECK(log->high_watermark() == 20);

  CHECK(log->read(20, 1000, true).records.empty());  // at the log end
  CHECK_THROWS_AS(log->read(21, 1000, true), LogError);
  try {
    log->read(21, 1000, true);
  } catch (const LogError& e) {
    CHECK(e.code() == LogErrc::kOffsetOutOfRange);
    CHECK(kafka_error_code(e.code()) == 1);
  }
  CHECK_THROWS_AS(log->read(-1, 1000, true), LogError);

  // A read in the middle of a batch starts at that batch.
  auto mid = log->read(7, 1 << 20, true);
  CHECK(testing::parse_batches(mid.records.read()).front().base_offset == 5);

  // min_one_batch: a big first batch comes whole even past max_bytes.
  auto one = log->read(0, 1, true);
  CHECK(testing::parse_batches(one.records.read()).size() == 1);
  auto none = log->read(0, 1, false);
  CHECK(none.records.length == 1);
  CHECK(none.first_entry_incomplete);
}

TEST_CASE("log: rolls by size, reads across segments") {
  Fixture f;
  auto log = f.create();
  auto stored = append_n(*log, 30, 3);  // ~30 * 120 bytes, segments of 1 KiB
  CHECK(log->num_segments() > 3);
  for (const LogSegment* s : log->segments()) CHECK(s->size() <= 1024);
  CHECK(read_all(*log, 0) == stored);
  // Segment files are named after their base offsets.
  for (const LogSegment* s : log->segments()) {
    CHECK(std::filesystem::exists(f.dir / segment_file_name(s->base_offset(), ".log")));
    CHECK(s->base_offset() % 3 == 0);
  }
  // Inactive segments have trimmed indexes; the active one is preallocated.
  auto segs = log->segments();
  auto idx0 = f.dir / segment_file_name(segs[0]->base_offset(), ".index");
  CHECK(std::filesystem::file_size(idx0) ==
        static_cast<uintmax_t>(segs[0]->offset_index().entries()) * 8);
  auto idx_active = f.dir / segment_file_name(segs.back()->base_offset(), ".index");
  CHECK(std::filesystem::file_size(idx_active) == 4096);

  // An append bigger than a segment is refused.
  auto huge = make_batch(1, 0, 2000);
  CHECK_THROWS_AS(log->append_as_leader(huge, 0), LogError);
  CHECK_FALSE(log->is_offline());
}

TEST_CASE("log: rolls by time") {
  Fixture f;
  LogConfig c = small_config();
  c.segment_bytes = 1 << 20;
  c.segment_ms = 1000;
  auto log = f.create(c);
  // Timestamped batches: age is measured between the first batch and the new one.
  lead(*log, make_batch(1, 10'000), 0);
  lead(*log, make_batch(1, 10'900), 0);
  CHECK(log->num_segments() == 1);
  AppendInfo info = lead(*log, make_batch(1, 11'001), 0);
  CHECK(info.rolled);
  CHECK(log->num_segments() == 2);
  CHECK(log->active_segment().base_offset() == 2);

  // Batches without timestamps: the wall clock since the segment was created.
  f.clock.advance(10);
  log->roll();
  CHECK(log->num_segments() == 3);
  lead(*log, make_batch(1, kNoTimestamp), 0);
  f.clock.advance(1000);
  CHECK_FALSE(lead(*log, make_batch(1, kNoTimestamp), 0).rolled);
  f.clock.advance(1);
  CHECK(lead(*log, make_batch(1, kNoTimestamp), 0).rolled);
}

TEST_CASE("log: list offsets by timestamp") {
  Fixture f;
  auto log = f.create();
  auto at = [&](int64_t ts) { return log->fetch_offset_by_timestamp(ts); };
  CHECK(at(kEarliestTimestamp)->offset == 0);
  CHECK(at(kLatestTimestamp)->offset == 0);
  CHECK_FALSE(at(kMaxTimestamp).has_value());
  CHECK_FALSE(at(5).has_value());

  // Timestamps 1000 + offset, except a peak in the middle.
  append_n(*log, 10, 4, 1000, 3);                             // offsets 0..39, ts 1000..1039
  lead(*log, testing::make_batch_ts({5000, 1041, 5000}), 4);  // 40..42
  append_n(*log, 10, 4, 2000, 4);                             // offsets 43..82, ts 2043..2082
  REQUIRE(log->num_segments() > 2);

  CHECK(at(kEarliestTimestamp)->offset == 0);
  CHECK(at(kEarliestTimestamp)->leader_epoch == 3);
  CHECK(at(kLatestTimestamp)->offset == 83);
  CHECK(at(kLatestTimestamp)->leader_epoch == 4);
  auto max = at(kMaxTimestamp);
  REQUIRE(max.has_value());
  CHECK(max->timestamp == 5000);
  CHECK(max->offset == 40);  // the first record carrying it
  CHECK(max->leader_epoch == 4);

  CHECK(at(0)->offset == 0);
  CHECK(at(1000)->offset == 0);
  CHECK(at(1017)->offset == 17);
  CHECK(at(1017)->timestamp == 1017);
  CHECK(at(1039)->offset == 39);
  CHECK(at(1040)->offset == 40);  // 5000 is the first >= 1040
  CHECK(at(1040)->leader_epoch == 4);
  CHECK(at(2050)->offset == 40);
  CHECK(at(5000)->offset == 40);
  CHECK_FALSE(at(5001).has_value());
  CHECK_THROWS_AS(at(-7), LogError);
}

TEST_CASE("log: close and reopen keeps everything") {
  Fixture f;
  std::vector<uint8_t> stored;
  int64_t leo;
  size_t nsegs;
  TopicId id;
  {
    auto log = f.create();
    id = *log->topic_id();
    stored = append_n(*log, 25, 3, 1000, 5);
    log->delete_records_before(4);
    leo = log->log_end_offset();
    nsegs = log->num_segments();
    log->flush();
    log->close();
  }
  LoadParams p;
  p.had_clean_shutdown = true;
  p.recovery_point = leo;
  p.log_start_offset = 4;
  auto log = f.reopen(small_config(), p);
  CHECK(log->load_result().segments_recovered == 0);
  CHECK(log->load_result().indexes_rebuilt == 0);
  CHECK(log->log_end_offset() == leo);
  CHECK(log->log_start_offset() == 4);
  CHECK(log->num_segments() == nsegs);
  CHECK(log->topic_id() == id);
  CHECK(log->leader_epoch_cache().entries() == std::vector<EpochEntry>{{5, 4}});
  CHECK(read_all(*log, 0 + 4).size() + 0 > 0);
  CHECK_THROWS_AS(log->read(3, 100, true), LogError);
  // Reading from the start of the first batch gives the stored bytes back.
  std::vector<uint8_t> from_first = read_all(*log, 4);
  size_t first_batch = testing::parse_batches(stored).front().size;  // offsets 0..2
  CHECK(from_first ==
        std::vector<uint8_t>(stored.begin() + static_cast<ptrdiff_t>(first_batch), stored.end()));
  // Appends continue with the next offset.
  AppendInfo info = lead(*log, make_batch(2, 9999), 6);
  CHECK(info.first_offset == leo);
  CHECK(log->fetch_offset_by_timestamp(9999)->offset == leo);
}

TEST_CASE("log: flush.messages=1 fsyncs every append before it returns") {
  Fixture f;
  LogConfig c = small_config();
  c.flush_messages = 1;
  auto log = f.create(c);
  for (int i = 0; i < 20; ++i) {
    lead(*log, make_batch(2, 1000 + i), 0);
    CHECK(log->recovery_point() == log->log_end_offset());
  }
  CHECK(log->num_segments() > 1);
  CHECK_FALSE(log->maybe_flush());  // nothing left to do
}

TEST_CASE("log: flush policy: rolled segments and flush.ms via the flush pass") {
  Fixture f;
  LogConfig c = small_config();
  c.flush_ms = 5000;
  auto log = f.create(c);
  append_n(*log, 20, 3);
  REQUIRE(log->num_segments() > 1);
  CHECK(log->recovery_point() == 0);
  // The pass flushes the rolled segments up to the active one.
  CHECK(log->maybe_flush());
  CHECK(log->recovery_point() == log->active_segment().base_offset());
  CHECK_FALSE(log->maybe_flush());
  f.clock.advance(5000);
  CHECK(log->maybe_flush());
  CHECK(log->recovery_point() == log->log_end_offset());
}

TEST_CASE("log: follower append and truncation") {
  Fixture f;
  auto log = f.create();
  std::vector<uint8_t> leader_data;
  {
    TempDir other;
    auto leader = Log::create(other / "orders-3", f.tp, small_config(), std::nullopt, f.options());
    append_n(*leader, 6, 4, 1000, 1);
    append_n(*leader, 6, 4, 1000, 2);
    leader_data = read_all(*leader, 0);
  }
  // Append as a fetcher would, a few batches at a time (an append must fit a segment).
  size_t pos = 0;
  for (const auto& b : testing::parse_batches(leader_data)) {
    log->append_as_follower(std::span<const uint8_t>(leader_data).subspan(pos, b.size));
    pos += b.size;
  }
  CHECK(log->log_end_offset() == 48);
  CHECK(read_all(*log, 0) == leader_data);
  CHECK(log->leader_epoch_cache().entries() == std::vector<EpochEntry>{{1, 0}, {2, 24}});
  // Appending what we already have is refused.
  CHECK_THROWS_AS(
      log->append_as_follower(std::span<const uint8_t>(leader_data)
                                  .first(testing::parse_batches(leader_data).front().size)),
      LogError);

  // Truncate at a batch boundary in the middle of the log.
  CHECK(log->truncate_to(28));
  CHECK(log->log_end_offset() == 28);
  CHECK(log->leader_epoch_cache().entries() == std::vector<EpochEntry>{{1, 0}, {2, 24}});
  CHECK(log->truncate_to(20));
  CHECK(log->leader_epoch_cache().entries() == std::vector<EpochEntry>{{1, 0}});
  CHECK_FALSE(log->truncate_to(20));
  auto data = read_all(*log, 0);
  CHECK(std::vector<uint8_t>(leader_data.begin(), leader_data.begin() + data.size()) == data);
  CHECK(testing::parse_batches(data).back().last_offset == 19);
  // New data after the truncation point.
  lead(*log, make_batch(3, 5), 3);
  CHECK(log->log_end_offset() == 23);

  log->truncate_fully_and_start_at(100);
  CHECK(log->num_segments() == 1);
  CHECK(log->log_start_offset() == 100);
  CHECK(log->log_end_offset() == 100);
  CHECK(log->leader_epoch_cache().entries().empty());
  CHECK(std::filesystem::exists(f.dir / "00000000000000000100.log"));
  CHECK_FALSE(std::filesystem::exists(f.dir / "00000000000000000000.log"));
}

TEST_CASE("log: append failures are reported, not fatal") {
  Fixture f;
  auto log = f.create();
  std::vector<uint8_t> garbage(100, 0xAB);
  CHECK_THROWS_AS(log->append_as_leader(garbage, 0), LogError);
  std::vector<uint8_t> empty;
  CHECK_THROWS_AS(log->append_as_leader(empty, 0), LogError);
  auto b = make_batch(2, 0);
  b.pop_back();
  CHECK_THROWS_AS(log->append_as_leader(b, 0), LogError);
  CHECK_FALSE(log->is_offline());
  CHECK(log->log_end_offset() == 0);
  lead(*log, make_batch(2, 0), 0);
  CHECK(log->log_end_offset() == 2);
}

TEST_CASE("log: create refuses an existing directory; delete renames then removes") {
  Fixture f;
  auto log = f.create();
  append_n(*log, 3, 2);
  CHECK_THROWS_AS(f.create(), LogError);
  auto slice = log->read(0, 1 << 20, true).records;
  auto bytes = slice.read();
  log->delete_dir();
  CHECK_FALSE(std::filesystem::exists(f.dir));
  CHECK(std::filesystem::is_empty(f.tmp.path()));
  CHECK(slice.read() == bytes);  // the slice kept its file open
  CHECK_THROWS_AS(log->read(0, 10, true), LogError);
}

}  // namespace
}  // namespace fjord::log
