#include <doctest/doctest.h>

#include "log/error.h"
#include "log/log.h"
#include "test_util.h"

namespace fjord::log {
namespace {

using testing::make_batch;
using testing::ManualClock;
using testing::TempDir;

LogConfig config() {
  LogConfig c;
  c.segment_bytes = 600;
  c.index_interval_bytes = 150;
  c.segment_index_bytes = 4096;
  c.retention_ms = -1;
  c.retention_bytes = -1;
  return c;
}

struct Fixture {
  TempDir tmp;
  ManualClock clock;
  TopicPartition tp{"metrics", 1};
  std::filesystem::path dir = tmp / "metrics-1";

  std::unique_ptr<Log> create(const LogConfig& c, bool hw_follows = true) {
    LogOptions o;
    o.clock = clock.fn();
    o.high_watermark_follows_log_end = hw_follows;
    return Log::create(dir, tp, c, std::nullopt, o);
  }
};

// Appends `n` single-batch appends (3 records each) with timestamp `ts`.
void append_at(Log& log, int n, int64_t ts) {
  for (int i = 0; i < n; ++i) {
    auto b = make_batch(3, ts, 30);
    log.append_as_leader(b, 0);
  }
}

size_t count_files(const std::filesystem::path& dir, const std::string& ext) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ext) ++n;
  }
  return n;
}

TEST_CASE("retention by time deletes whole expired segments from the oldest") {
  Fixture f;
  f.clock.set(100'000);
  LogConfig c = config();
  c.retention_ms = 10'000;
  auto log = f.create(c);
  append_at(*log, 10, 80'000);  // old
  log->roll();
  int64_t fresh_base = log->log_end_offset();
  append_at(*log, 10, 95'000);  // young
  size_t before = log->num_segments();
  REQUIRE(before > 4);

  int deleted = log->delete_old_segments();
  CHECK(deleted > 0);
  CHECK(log->segments().front()->base_offset() == fresh_base);
  CHECK(log->log_start_offset() == fresh_base);
  CHECK(log->num_segments() == before - static_cast<size_t>(deleted));
  CHECK(count_files(f.dir, ".log") == log->num_segments());
  CHECK(count_files(f.dir, ".index") == log->num_segments());
  CHECK(count_files(f.dir, ".deleted") == 0);
  CHECK_THROWS_AS(log->read(0, 100, true), LogError);
  CHECK(log->read(fresh_base, 100, true).records.length > 0);
  CHECK(log->delete_old_segments() == 0);

  // Later everything is expired: the non-empty active segment goes too, after a roll.
  int64_t leo = log->log_end_offset();
  f.clock.set(200'000);
  CHECK(log->delete_old_segments() > 0);
  CHECK(log->num_segments() == 1);
  CHECK(log->active_segment().empty());
  CHECK(log->active_segment().base_offset() == leo);
  CHECK(log->log_start_offset() == leo);
  CHECK(log->log_end_offset() == leo);
  // An empty active segment is never deleted.
  f.clock.set(900'000);
  CHECK(log->delete_old_segments() == 0);
  CHECK(log->num_segments() == 1);
  // And the log goes on.
  auto b = make_batch(1, 900'000);
  CHECK(log->append_as_leader(b, 0).first_offset == leo);
}

TEST_CASE("retention by time falls back to the file mtime without timestamps") {
  Fixture f;
  f.clock.set(std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count());
  LogConfig c = config();
  c.retention_ms = 60'000;
  auto log = f.create(c);
  append_at(*log, 12, kNoTimestamp);
  REQUIRE(log->num_segments() > 2);
  CHECK(log->delete_old_segments() == 0);  // just written
  // Age the first segment's file by an hour.
  auto first = f.dir / segment_file_name(log->segments()[0]->base_offset(), ".log");
  std::filesystem::last_write_time(first,
                                   std::filesystem::last_write_time(first) - std::chrono::hours(1));
  CHECK(log->delete_old_segments() == 1);
}

TEST_CASE("retention by size keeps the log at or above retention.bytes") {
  Fixture f;
  LogConfig c = config();
  auto log = f.create(c);
  append_at(*log, 20, 1000);
  auto segs = log->segments();
  REQUIRE(segs.size() > 4);
  int64_t total = log->size_bytes();
  // Enough room for all but the two oldest segments.
  c.retention_bytes = total - segs[0]->size() - segs[1]->size();
  int64_t third = segs[2]->base_offset();
  log->update_config(c);
  CHECK(log->delete_old_segments() == 2);
  CHECK(log->log_start_offset() == third);
  CHECK(log->size_bytes() == c.retention_bytes);
  CHECK(log->delete_old_segments() == 0);
  // A segment goes only if the log stays at least retention.bytes without it.
  c.retention_bytes -= 1;
  log->update_config(c);
  CHECK(log->delete_old_segments() == 0);
  c.retention_bytes = log->size_bytes() - log->segments()[0]->size() - 1;
  log->update_config(c);
  CHECK(log->delete_old_segments() == 1);
}

TEST_CASE("retention never deletes past the high watermark; compact-only logs keep data") {
  Fixture f;
  LogConfig c = config();
  c.retention_ms = 1;
  auto log = f.create(c, /*hw_follows=*/false);
  append_at(*log, 10, 1);
  f.clock.advance(1'000'000);
  CHECK(log->delete_old_segments() == 0);  // high watermark still 0
  log->set_high_watermark(log->segments()[2]->base_offset());
  CHECK(log->delete_old_segments() == 2);
  CHECK(log->log_start_offset() == log->high_watermark());

  c.cleanup_delete = false;
  c.cleanup_compact = true;
  log->update_config(c);
  log->set_high_watermark(log->log_end_offset());
  CHECK(log->delete_old_segments() == 0);
}

TEST_CASE("DeleteRecords moves the log start offset and drops whole segments below") {
  Fixture f;
  auto log = f.create(config(), /*hw_follows=*/false);
  append_at(*log, 20, 1000);
  auto segs = log->segments();
  REQUIRE(segs.size() > 3);
  int64_t second = segs[1]->base_offset();
  int64_t third = segs[2]->base_offset();
  log->set_high_watermark(third + 4);

  CHECK_THROWS_AS(log->delete_records_before(third + 5), LogError);
  // Inside the second segment: the first goes, the second stays.
  CHECK(log->delete_records_before(second + 1) == second + 1);
  CHECK(log->segments().front()->base_offset() == second);
  CHECK_FALSE(std::filesystem::exists(f.dir / segment_file_name(0, ".log")));
  CHECK_THROWS_AS(log->read(second, 100, true), LogError);
  // Reads at the start offset return the batch that holds it.
  auto bytes = log->read(second + 1, 100, true).records.read();
  CHECK(testing::parse_batches(bytes).front().base_offset == second);
  CHECK(log->fetch_offset_by_timestamp(kEarliestTimestamp)->offset == second + 1);
  CHECK(log->fetch_offset_by_timestamp(0)->offset == second + 1);
  // Going backwards changes nothing.
  CHECK(log->delete_records_before(3) == second + 1);
  // -1 means the high watermark.
  CHECK(log->delete_records_before(-1) == third + 4);
  CHECK(log->segments().front()->base_offset() == third);
  CHECK(log->leader_epoch_cache().entries() == std::vector<EpochEntry>{{0, third + 4}});
}

}  // namespace
}  // namespace fjord::log
