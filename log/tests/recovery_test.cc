#include <doctest/doctest.h>

#include <random>

#include "log/error.h"
#include "log/log.h"
#include "test_util.h"

namespace fjord::log {
namespace {

using testing::make_batch;
using testing::ManualClock;
using testing::TempDir;

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
  std::unique_ptr<Log> create(const LogConfig& c) {
    return Log::create(dir, tp, c, std::nullopt, options());
  }
  std::unique_ptr<Log> open(const LogConfig& c, bool clean, int64_t recovery_point = 0) {
    LoadParams p;
    p.had_clean_shutdown = clean;
    p.recovery_point = recovery_point;
    return Log::open(dir, tp, c, p, options());
  }
  std::filesystem::path file(int64_t base, const char* suffix) const {
    return dir / segment_file_name(base, suffix);
  }
};

// `n` leader appends of one batch of `per` records each; returns each stored batch.
std::vector<std::vector<uint8_t>> append_n(Log& log, int n, int per, int32_t epoch = 0) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < n; ++i) {
    auto b = make_batch(per, 1000 + log.log_end_offset(), 30);
    log.append_as_leader(b, epoch);
    out.push_back(b);
  }
  return out;
}

std::vector<uint8_t> read_all(Log& log) {
  std::vector<uint8_t> out;
  int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    auto bytes = log.read(offset, 1 << 20, true, FetchIsolation::kLogEnd).records.read();
    REQUIRE(!bytes.empty());
    out.insert(out.end(), bytes.begin(), bytes.end());
    offset = testing::parse_batches(bytes).back().last_offset + 1;
  }
  return out;
}

void truncate_file(const std::filesystem::path& p, uintmax_t drop) {
  std::filesystem::resize_file(p, std::filesystem::file_size(p) - drop);
}

TEST_CASE("recovery: a torn tail is cut off and the log keeps serving") {
  Fixture f;
  std::vector<std::vector<uint8_t>> batches;
  {
    auto log = f.create(config());
    batches = append_n(*log, 10, 4);
    // No close(): the process "crashes" with the indexes still preallocated.
  }
  truncate_file(f.file(0, ".log"), 7);
  auto log = f.open(config(), /*clean=*/false);
  const LoadResult& r = log->load_result();
  CHECK(r.segments_recovered == 1);
  CHECK(r.bytes_truncated == static_cast<int64_t>(batches.back().size()) - 7);
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0].find("truncated") != std::string::npos);
  CHECK(log->log_end_offset() == 36);
  batches.pop_back();
  CHECK(read_all(*log) == testing::concat(batches));
  // The indexes were rebuilt and trimmed; the active one is preallocated again.
  CHECK(std::filesystem::file_size(f.file(0, ".index")) == 4096);
  AppendInfo info = log->append_as_leader(batches[0], 1);
  CHECK(info.first_offset == 36);
  CHECK(log->read(36, 1000, true).records.read() == batches[0]);
}

TEST_CASE("recovery: a corrupt byte in the last batch drops that batch") {
  Fixture f;
  std::vector<std::vector<uint8_t>> batches;
  {
    auto log = f.create(config());
    batches = append_n(*log, 6, 3);
  }
  auto bytes = testing::read_file(f.file(0, ".log"));
  size_t last_start = bytes.size() - batches.back().size();
  bytes[last_start + 70] ^= 0x40;  // inside the records: the CRC no longer matches
  testing::write_file(f.file(0, ".log"), bytes);

  auto log = f.open(config(), false);
  CHECK(log->load_result().bytes_truncated == static_cast<int64_t>(batches.back().size()));
  CHECK(log->log_end_offset() == 15);
  CHECK(std::filesystem::file_size(f.file(0, ".log")) == last_start);
}

TEST_CASE("recovery: a bad batch in the middle drops everything after it") {
  Fixture f;
  std::vector<int64_t> bases;
  {
    auto log = f.create(config(600));
    append_n(*log, 20, 3);
    for (const LogSegment* s : log->segments()) bases.push_back(s->base_offset());
  }
  REQUIRE(bases.size() >= 4);
  // Break the length field of the second batch of the second segment.
  auto seg1 = testing::read_file(f.file(bases[1], ".log"));
  size_t first = testing::parse_batches(seg1).front().size;
  seg1[first + 8] = 0x7F;
  testing::write_file(f.file(bases[1], ".log"), seg1);

  auto log = f.open(config(600), false);
  const LoadResult& r = log->load_result();
  CHECK(r.segments_deleted == static_cast<int32_t>(bases.size()) - 2);
  CHECK(r.bytes_truncated == static_cast<int64_t>(seg1.size() - first));
  CHECK(log->num_segments() == 2);
  CHECK(log->log_end_offset() == bases[1] + 3);
  for (size_t i = 2; i < bases.size(); ++i) {
    CHECK_FALSE(std::filesystem::exists(f.file(bases[i], ".log")));
    CHECK_FALSE(std::filesystem::exists(f.file(bases[i], ".index")));
  }
  auto next = make_batch(3, 0);
  CHECK(log->append_as_leader(next, 0).first_offset == bases[1] + 3);
}

TEST_CASE("recovery: only segments from the recovery point on are re-checked") {
  Fixture f;
  std::vector<int64_t> bases;
  int64_t leo;
  {
    auto log = f.create(config(600));
    append_n(*log, 20, 3);
    for (const LogSegment* s : log->segments()) bases.push_back(s->base_offset());
    leo = log->log_end_offset();
  }
  REQUIRE(bases.size() >= 4);
  // Recovery point inside the third segment: the third and later are recovered.
  auto log = f.open(config(600), false, bases[2] + 1);
  CHECK(log->load_result().segments_recovered == static_cast<int32_t>(bases.size()) - 2);
  CHECK(log->log_end_offset() == leo);
  CHECK(log->recovery_point() == bases[2] + 1);

  // A clean shutdown: nothing re-checked.
  log->close();
  log.reset();
  auto clean = f.open(config(600), true, 0);
  CHECK(clean->load_result().segments_recovered == 0);
  CHECK(clean->recovery_point() == leo);
}

TEST_CASE("recovery: missing or garbage index files are rebuilt") {
  Fixture f;
  std::vector<int64_t> bases;
  std::vector<uint8_t> all;
  {
    auto log = f.create(config(700));
    append_n(*log, 20, 3);
    for (const LogSegment* s : log->segments()) bases.push_back(s->base_offset());
    all = read_all(*log);
    log->close();
  }
  REQUIRE(bases.size() >= 3);
  auto index0 = testing::read_file(f.file(bases[0], ".index"));
  auto time0 = testing::read_file(f.file(bases[0], ".timeindex"));
  auto index1 = testing::read_file(f.file(bases[1], ".index"));
  REQUIRE(index0.size() >= 16);
  REQUIRE(time0.size() >= 24);

  std::filesystem::remove(f.file(bases[0], ".index"));
  std::mt19937 rng(42);
  std::vector<uint8_t> garbage(index1.size());
  for (auto& b : garbage) b = static_cast<uint8_t>(rng());
  testing::write_file(f.file(bases[1], ".index"), garbage);
  std::filesystem::remove(f.file(bases[2], ".timeindex"));

  auto log = f.open(config(700), /*clean=*/true);
  CHECK(log->load_result().indexes_rebuilt == 3);
  CHECK(log->load_result().bytes_truncated == 0);
  CHECK(testing::read_file(f.file(bases[0], ".index")) == index0);
  CHECK(testing::read_file(f.file(bases[0], ".timeindex")) == time0);
  CHECK(testing::read_file(f.file(bases[1], ".index")) == index1);
  CHECK(read_all(*log) == all);
  // Lookups through the rebuilt indexes.
  for (int64_t off = 0; off < log->log_end_offset(); off += 7) {
    auto bytes = log->read(off, 1, true).records.read();
    auto b = testing::parse_batches(bytes).front();
    CHECK(b.base_offset <= off);
    CHECK(b.last_offset >= off);
  }
}

TEST_CASE("recovery: an untrimmed (zero-filled) index is rebuilt even after a clean shutdown") {
  Fixture f;
  std::vector<int64_t> bases;
  {
    auto log = f.create(config(700));
    append_n(*log, 12, 3);
    for (const LogSegment* s : log->segments()) bases.push_back(s->base_offset());
    log->close();
  }
  REQUIRE(bases.size() >= 2);
  auto good = testing::read_file(f.file(bases[0], ".index"));
  REQUIRE(good.size() >= 16);
  std::filesystem::resize_file(f.file(bases[0], ".index"), 4096);
  std::filesystem::resize_file(f.file(bases[0], ".timeindex"), 4092);
  auto log = f.open(config(700), true);
  CHECK(log->load_result().indexes_rebuilt == 1);
  CHECK(testing::read_file(f.file(bases[0], ".index")) == good);
}

TEST_CASE("recovery: a time index that disagrees with the log is rebuilt") {
  Fixture f;
  std::vector<int64_t> bases;
  {
    auto log = f.create(config(700));
    append_n(*log, 12, 3);
    for (const LogSegment* s : log->segments()) bases.push_back(s->base_offset());
    log->close();
  }
  REQUIRE(bases.size() >= 2);
  auto good = testing::read_file(f.file(bases[0], ".timeindex"));
  // Last entry's offset beyond the segment.
  auto bad = good;
  bad[bad.size() - 1] = 0x7F;
  testing::write_file(f.file(bases[0], ".timeindex"), bad);
  auto log = f.open(config(700), true);
  CHECK(log->load_result().indexes_rebuilt == 1);
  CHECK(testing::read_file(f.file(bases[0], ".timeindex")) == good);
}

TEST_CASE("recovery: epochs come back from the batches, leftovers are removed") {
  Fixture f;
  {
    auto log = f.create(config());
    append_n(*log, 3, 2, 4);
    append_n(*log, 3, 2, 6);
  }
  std::filesystem::remove(f.dir / "leader-epoch-checkpoint");
  testing::write_file(f.dir / "00000000000000000099.log.deleted", {1, 2, 3});
  testing::write_file(f.dir / "00000000000000000077.index", {});
  testing::write_file(f.dir / "00000000000000000077.timeindex", {});
  auto log = f.open(config(), false);
  CHECK(log->leader_epoch_cache().entries() == std::vector<EpochEntry>{{4, 0}, {6, 6}});
  CHECK(testing::read_text(f.dir / "leader-epoch-checkpoint") == "0\n2\n4 0\n6 6\n");
  CHECK_FALSE(std::filesystem::exists(f.dir / "00000000000000000099.log.deleted"));
  CHECK_FALSE(std::filesystem::exists(f.dir / "00000000000000000077.index"));
  CHECK_FALSE(std::filesystem::exists(f.dir / "00000000000000000077.timeindex"));
}

TEST_CASE("recovery: an empty directory gets a segment at the checkpointed start") {
  Fixture f;
  std::filesystem::create_directories(f.dir);
  LoadParams p;
  p.log_start_offset = 500;
  auto log = Log::open(f.dir, f.tp, config(), p, f.options());
  CHECK(log->log_start_offset() == 500);
  CHECK(log->log_end_offset() == 500);
  CHECK(std::filesystem::exists(f.file(500, ".log")));
}

}  // namespace
}  // namespace fjord::log
