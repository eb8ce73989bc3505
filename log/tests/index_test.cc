#include <doctest/doctest.h>

#include "log/error.h"
#include "log/offset_index.h"
#include "log/time_index.h"
#include "test_util.h"

namespace fjord::log {
namespace {

using testing::TempDir;

TEST_CASE("offset index: preallocated, appended, binary searched, trimmed") {
  TempDir dir;
  auto path = dir / "00000000000000000100.index";
  OffsetIndex idx(path, 100, 8 * 1000 + 5);
  CHECK(idx.max_entries() == 1000);
  CHECK(idx.entries() == 0);
  CHECK(idx.lookup(150) == OffsetPosition{100, 0});
  idx.preallocate();
  CHECK(std::filesystem::file_size(path) == 8000);

  for (int i = 0; i < 500; ++i) idx.append(100 + 10 * i + 9, 1000 * i);
  CHECK(idx.entries() == 500);
  CHECK(idx.last_entry() == OffsetPosition{100 + 4999 + 0, 499000});
  // Exact hits, between entries, before the first and after the last.
  CHECK(idx.lookup(109) == OffsetPosition{109, 0});
  CHECK(idx.lookup(108) == OffsetPosition{100, 0});
  CHECK(idx.lookup(125) == OffsetPosition{119, 1000});
  CHECK(idx.lookup(2345) == OffsetPosition{2339, 223000});
  CHECK(idx.lookup(1'000'000) == OffsetPosition{5099, 499000});
  CHECK(idx.lookup(50) == OffsetPosition{100, 0});
  for (int i = 0; i < 499; ++i) {
    CHECK(idx.lookup(100 + 10 * i + 9 + 5) == OffsetPosition{100 + 10 * i + 9, 1000 * i});
  }

  // The bytes on disk are Kafka's: relative offset then position, big-endian.
  auto bytes = testing::read_file(path);
  REQUIRE(bytes.size() == 8000);
  CHECK(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 16) ==
        std::vector<uint8_t>{0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 19, 0, 0, 0x03, 0xE8});

  idx.trim_to_valid_size();
  CHECK(std::filesystem::file_size(path) == 4000);

  // Order is enforced.
  CHECK_THROWS_AS(idx.append(5099, 600000), LogError);
  CHECK_THROWS_AS(idx.append(6000, 499000), LogError);
  CHECK_THROWS_AS(idx.append(100 + (int64_t{1} << 31), 700000), LogError);

  idx.truncate_to(2339);  // drops the entry for 2339 and everything after
  CHECK(idx.entries() == 223);
  CHECK(idx.last_entry() == OffsetPosition{2329, 222000});
  idx.truncate_to(2330);  // between entries: keeps 2329
  CHECK(idx.entries() == 223);
}

TEST_CASE("offset index: reopened from disk, sanity check") {
  TempDir dir;
  auto path = dir / "00000000000000000000.index";
  {
    OffsetIndex idx(path, 0, 8000);
    idx.preallocate();
    idx.append(10, 4100);
    idx.append(20, 8300);
    idx.trim_to_valid_size();
  }
  OffsetIndex idx(path, 0, 8000);
  CHECK(idx.entries() == 2);
  CHECK(idx.last_entry() == OffsetPosition{20, 8300});
  CHECK_FALSE(idx.sanity_check(9000).has_value());
  CHECK(idx.sanity_check(8000).has_value());  // position past the end of the log

  testing::write_file(path, std::vector<uint8_t>(13, 0));
  OffsetIndex bad(path, 0, 8000);
  CHECK(bad.sanity_check(9000).has_value());  // not a multiple of 8
}

TEST_CASE("offset index: full") {
  TempDir dir;
  OffsetIndex idx(dir / "x.index", 0, 8 * 3);
  idx.append(1, 1);
  idx.append(2, 2);
  CHECK_FALSE(idx.is_full());
  idx.append(3, 3);
  CHECK(idx.is_full());
  CHECK_THROWS_AS(idx.append(4, 4), LogError);
}

TEST_CASE("time index: monotonic, lookup, full one entry early") {
  TempDir dir;
  auto path = dir / "00000000000000000050.timeindex";
  TimeIndex idx(path, 50, 12 * 4);
  CHECK(idx.lookup(1000) == TimestampOffset{kNoTimestamp, 50});
  idx.maybe_append(1000, 55);
  idx.maybe_append(1000, 57);  // same timestamp: ignored
  CHECK(idx.entries() == 1);
  idx.maybe_append(2000, 60);
  CHECK(idx.entries() == 2);
  CHECK_THROWS_AS(idx.maybe_append(1500, 70), LogError);  // timestamp going back
  CHECK_THROWS_AS(idx.maybe_append(3000, 58), LogError);  // offset going back
  idx.maybe_append(3000, 70);
  CHECK(idx.is_full());  // 3 of 4: the last slot is kept for the final entry
  CHECK_THROWS_AS(idx.maybe_append(4000, 80), LogError);
  idx.maybe_append(4000, 80, /*skip_full_check=*/true);
  CHECK(idx.entries() == 4);

  CHECK(idx.lookup(999) == TimestampOffset{kNoTimestamp, 50});
  CHECK(idx.lookup(1000) == TimestampOffset{1000, 55});
  CHECK(idx.lookup(2999) == TimestampOffset{2000, 60});
  CHECK(idx.lookup(99999) == TimestampOffset{4000, 80});

  auto bytes = testing::read_file(path);
  REQUIRE(bytes.size() >= 12);
  // int64 timestamp 1000 then int32 relative offset 5.
  CHECK(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 12) ==
        std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0x03, 0xE8, 0, 0, 0, 5});

  idx.truncate_to(70);
  CHECK(idx.entries() == 2);
  CHECK(idx.last_entry() == TimestampOffset{2000, 60});
  idx.trim_to_valid_size();
  TimeIndex reopened(path, 50, 12 * 4);
  CHECK(reopened.entries() == 2);
  CHECK(reopened.last_entry() == TimestampOffset{2000, 60});
  CHECK_FALSE(reopened.sanity_check(60).has_value());
  CHECK(reopened.sanity_check(59).has_value());
}

}  // namespace
}  // namespace fjord::log
