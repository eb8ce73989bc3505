#include "log/segment.h"

#include <doctest/doctest.h>

#include "log/error.h"
#include "log/leader_epoch_cache.h"
#include "test_util.h"

namespace fjord::log {
namespace {

using testing::make_batch;
using testing::TempDir;

SegmentConfig small_config() {
  SegmentConfig c;
  c.max_index_size = 8 * 1024;
  c.index_interval_bytes = 300;
  return c;
}

// Appends `n` batches of `per` records each, offsets from `base`; returns the bytes.
std::vector<uint8_t> fill(LogSegment& seg, int n, int per, int64_t base, int64_t ts = 1000) {
  std::vector<uint8_t> all;
  int64_t off = base;
  for (int i = 0; i < n; ++i) {
    auto b = make_batch(per, ts + off, 50, off);
    seg.append(b);
    all.insert(all.end(), b.begin(), b.end());
    off += per;
  }
  return all;
}

TEST_CASE("segment: append and read back byte for byte") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 0, small_config(), 0);
  CHECK(std::filesystem::exists(dir / "00000000000000000000.log"));
  CHECK(std::filesystem::file_size(dir / "00000000000000000000.index") == 8 * 1024);
  CHECK(std::filesystem::file_size(dir / "00000000000000000000.timeindex") == 8 * 1024 / 12 * 12);

  auto all = fill(*seg, 20, 5, 0);
  CHECK(seg->size() == static_cast<int64_t>(all.size()));
  CHECK(testing::read_file(dir / "00000000000000000000.log") == all);
  CHECK(seg->read_next_offset() == 100);

  auto r = seg->read(0, 1 << 20, seg->size(), false);
  REQUIRE(r.has_value());
  CHECK(r->records.position == 0);
  CHECK(r->records.read() == all);

  // Offset 12 lives in the third batch (offsets 10..14).
  auto batches = testing::parse_batches(all);
  auto r12 = seg->read(12, 1 << 20, seg->size(), false);
  REQUIRE(r12.has_value());
  CHECK(r12->records.position == static_cast<int64_t>(2 * batches[0].size));
  CHECK(testing::parse_batches(r12->records.read()).front().base_offset == 10);

  // Past the end of the segment: nothing.
  CHECK_FALSE(seg->read(100, 1000, seg->size(), false).has_value());

  // A small max size cuts the slice (possibly mid-batch, as Kafka does)...
  auto small = seg->read(0, 10, seg->size(), false);
  REQUIRE(small.has_value());
  CHECK(small->records.length == 10);
  CHECK(small->first_entry_incomplete);
  // ...unless the first batch must be whole.
  auto one = seg->read(0, 10, seg->size(), true);
  CHECK(one->records.length == static_cast<int64_t>(batches[0].size));
  CHECK_FALSE(one->first_entry_incomplete);
  // max_position caps the read.
  auto capped = seg->read(0, 1 << 20, static_cast<int64_t>(batches[0].size), false);
  CHECK(capped->records.length == static_cast<int64_t>(batches[0].size));
}

TEST_CASE("segment: index entries every index.interval.bytes point at their batch") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 0, small_config(), 0);
  auto all = fill(*seg, 30, 3, 0);
  auto batches = testing::parse_batches(all);
  // Replay the rule: an entry for a batch when more than 300 bytes came since the last one.
  std::vector<OffsetPosition> expected;
  int64_t since = 0;
  int64_t pos = 0;
  for (const auto& b : batches) {
    if (since > 300) {
      expected.push_back({b.last_offset, static_cast<int32_t>(pos)});
      since = 0;
    }
    since += static_cast<int64_t>(b.size);
    pos += static_cast<int64_t>(b.size);
  }
  const OffsetIndex& idx = seg->offset_index();
  REQUIRE(idx.entries() == static_cast<int32_t>(expected.size()));
  REQUIRE(idx.entries() > 3);
  for (int32_t i = 0; i < idx.entries(); ++i) CHECK(idx.entry(i) == expected[i]);

  // Every offset translates to the batch holding it.
  for (int64_t off = 0; off < 90; ++off) {
    auto h = seg->translate_offset(off);
    REQUIRE(h.has_value());
    CHECK(h->base_offset <= off);
    CHECK(h->last_offset >= off);
  }
  // Time index: timestamps grow with offsets here, so one entry per offset index entry.
  CHECK(seg->time_index().entries() == idx.entries());
  CHECK(seg->max_timestamp_so_far() == 1000 + 89);
}

// The checks kafka-dump-log.sh runs when it verifies index files (DumpLogSegments):
// an offset index entry's offset is the last offset of the batch at its position; a time index
// entry names (through the offset index) a batch whose last offset is the entry's offset and
// whose largest record timestamp is the entry's timestamp; timestamps strictly increase.
void check_like_dump_log(const LogSegment& seg) {
  const OffsetIndex& idx = seg.offset_index();
  for (int32_t i = 0; i < idx.entries(); ++i) {
    OffsetPosition e = idx.entry(i);
    auto h = seg.translate_offset(e.offset);
    REQUIRE(h.has_value());
    CHECK(h->position == e.position);
    CHECK(h->last_offset == e.offset);
  }
  const TimeIndex& tidx = seg.time_index();
  int64_t prev = -1;
  for (int32_t i = 0; i < tidx.entries(); ++i) {
    TimestampOffset e = tidx.entry(i);
    auto h = seg.translate_offset(e.offset, idx.lookup(e.offset).position);
    REQUIRE(h.has_value());
    CHECK(h->last_offset == e.offset);
    CHECK(h->max_timestamp == e.timestamp);
    CHECK(e.timestamp > prev);
    prev = e.timestamp;
  }
}

TEST_CASE("segment: indexes pass kafka-dump-log's verification") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 1000, small_config(), 0);
  // Timestamps that go up and down between batches.
  int64_t off = 1000;
  for (int i = 0; i < 40; ++i) {
    int64_t ts = 5000 + (i % 7) * 100 + i;
    seg->append(make_batch(2, ts, 40, off));
    off += 2;
  }
  check_like_dump_log(*seg);
  seg->close();
  check_like_dump_log(*seg);
  CHECK(seg->time_index().last_entry().timestamp == seg->max_timestamp_so_far());
  seg->recover();
  check_like_dump_log(*seg);
}

TEST_CASE("segment: recover rebuilds the same indexes the appends wrote") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 0, small_config(), 0);
  fill(*seg, 25, 4, 0);
  seg->close();
  auto index_before = testing::read_file(dir / "00000000000000000000.index");
  auto time_before = testing::read_file(dir / "00000000000000000000.timeindex");
  RecoveryResult r = seg->recover();
  CHECK(r.truncated_bytes == 0);
  CHECK(r.valid_batches == 25);
  CHECK(r.reason.empty());
  CHECK(testing::read_file(dir / "00000000000000000000.index") == index_before);
  CHECK(testing::read_file(dir / "00000000000000000000.timeindex") == time_before);
}

TEST_CASE("segment: find offset by timestamp, record-level") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 100, small_config(), 0);
  // Batches with non-monotonic record timestamps inside.
  seg->append(testing::make_batch_ts({10, 30, 20}, 100));
  seg->append(testing::make_batch_ts({25, 50, 40}, 103));
  seg->append(testing::make_batch(5, 60, 10, 106, -1, compression::Codec::Gzip));  // 60..64
  seg->append(testing::make_batch_ts({100, 90}, 111));

  auto at = [&](int64_t ts, int64_t start = 100) {
    return seg->find_offset_by_timestamp(ts, start);
  };
  CHECK(at(0)->offset == 100);
  CHECK(at(10)->offset == 100);
  CHECK(at(11)->offset == 101);  // 30 is the first >= 11
  CHECK(at(11)->timestamp == 30);
  CHECK(at(26)->offset == 101);
  CHECK(at(31)->offset == 104);  // 50
  CHECK(at(45)->offset == 104);
  CHECK(at(51)->offset == 106);  // inside the compressed batch
  CHECK(at(62)->offset == 108);
  CHECK(at(62)->timestamp == 62);
  CHECK(at(95)->offset == 111);
  CHECK(at(100)->offset == 111);
  CHECK_FALSE(at(101).has_value());
  // A starting offset skips earlier records.
  CHECK(at(0, 102)->offset == 102);
  CHECK(at(0, 102)->timestamp == 20);
  CHECK(seg->max_timestamp_so_far() == 100);
  CHECK(seg->max_timestamp_and_offset().offset == 112);
}

TEST_CASE("segment: truncate_to removes the batch holding the offset and after") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 0, small_config(), 0);
  auto all = fill(*seg, 20, 5, 0);
  auto batches = testing::parse_batches(all);
  int64_t removed = seg->truncate_to(52, 0);  // batch 50..54 goes
  int64_t keep = 0;
  for (int i = 0; i < 10; ++i) keep += static_cast<int64_t>(batches[i].size);
  CHECK(seg->size() == keep);
  CHECK(removed == static_cast<int64_t>(all.size()) - keep);
  CHECK(seg->read_next_offset() == 50);
  CHECK(seg->offset_index().last_offset() < 50);
  CHECK(seg->time_index().last_entry().offset < 50);
  CHECK(seg->max_timestamp_so_far() == 1000 + 49);
  // Appending continues from there.
  seg->append(make_batch(5, 2000, 50, 50));
  CHECK(seg->read_next_offset() == 55);
  CHECK(seg->max_timestamp_so_far() == 2004);
}

TEST_CASE("segment: rejects malformed or out-of-order appends") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 10, small_config(), 0);
  auto b = make_batch(3, 0, 10, 10);
  seg->append(b);
  CHECK_THROWS_AS(seg->append(make_batch(3, 0, 10, 11)), LogError);  // overlaps
  CHECK_THROWS_AS(seg->append(make_batch(3, 0, 10, 5)), LogError);   // below base
  std::vector<uint8_t> torn(b.begin(), b.end() - 3);
  CHECK_THROWS_AS(seg->append(torn), LogError);
  CHECK(seg->size() == static_cast<int64_t>(b.size()));
}

TEST_CASE("segment: roll conditions") {
  TempDir dir;
  SegmentConfig cfg = small_config();
  auto seg = LogSegment::create(dir.path(), 0, cfg, /*now_ms=*/5000);
  RollParams p;
  p.max_segment_bytes = 1000;
  p.max_segment_ms = 100;
  p.messages_size = 200;
  p.max_offset_in_messages = 5;
  p.max_timestamp_in_messages = 1'000'000;
  p.now_ms = 1'000'000;
  CHECK_FALSE(seg->should_roll(p));  // empty: never by time
  seg->append(make_batch(1, /*ts=*/10'000, 600, 0));
  p.max_timestamp_in_messages = 10'050;
  CHECK_FALSE(seg->should_roll(p));  // 600 + 200 <= 1000, 50 ms after the first batch
  p.max_timestamp_in_messages = 10'101;
  CHECK(seg->should_roll(p));  // by timestamps
  p.max_timestamp_in_messages = 10'050;
  p.messages_size = 500;
  CHECK(seg->should_roll(p));  // by size
  p.messages_size = 200;
  p.max_offset_in_messages = int64_t{1} << 32;
  CHECK(seg->should_roll(p));  // relative offset overflow
}

TEST_CASE("segment: roll by wall clock when batches carry no timestamp") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 0, small_config(), /*now_ms=*/5000);
  seg->append(make_batch(1, kNoTimestamp, 10, 0));
  RollParams p;
  p.max_segment_bytes = 1 << 20;
  p.max_segment_ms = 100;
  p.messages_size = 10;
  p.max_offset_in_messages = 1;
  p.max_timestamp_in_messages = kNoTimestamp;
  p.now_ms = 5100;
  CHECK_FALSE(seg->should_roll(p));
  p.now_ms = 5101;
  CHECK(seg->should_roll(p));
}

TEST_CASE("segment: delete renames then unlinks, open slices keep reading") {
  TempDir dir;
  auto seg = LogSegment::create(dir.path(), 0, small_config(), 0);
  auto all = fill(*seg, 3, 2, 0);
  auto slice = seg->read(0, 1 << 20, seg->size(), false)->records;
  seg->delete_files();
  CHECK(std::filesystem::is_empty(dir.path()));
  CHECK(slice.read() == all);
}

}  // namespace
}  // namespace fjord::log
