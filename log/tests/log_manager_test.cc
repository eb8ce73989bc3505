#include "log/log_manager.h"

#include <doctest/doctest.h>

#include "log/checkpoint.h"
#include "log/error.h"
#include "log/topic_registry.h"
#include "test_util.h"

namespace fjord::log {
namespace {

using testing::make_batch;
using testing::ManualClock;
using testing::read_text;
using testing::TempDir;

struct Fixture {
  TempDir tmp;
  ManualClock clock;
  std::vector<std::string> warnings;

  LogManagerOptions options() {
    LogManagerOptions o;
    o.log_dir = tmp.path() / "data";
    o.default_config.segment_bytes = 800;
    o.default_config.index_interval_bytes = 200;
    o.default_config.segment_index_bytes = 4096;
    o.clock = clock.fn();
    o.warn = [this](const std::string& w) { warnings.push_back(w); };
    return o;
  }
  std::unique_ptr<LogManager> start(LogManagerOptions o) {
    auto m = std::make_unique<LogManager>(std::move(o));
    m->startup();
    return m;
  }
  std::unique_ptr<LogManager> start() { return start(options()); }
  std::filesystem::path data() const { return tmp.path() / "data"; }
};

void produce(Log& log, int n, int64_t ts = 1000) {
  for (int i = 0; i < n; ++i) {
    auto b = make_batch(3, ts, 40);
    log.append_as_leader(b, 0);
  }
}

TEST_CASE("log manager: create, shut down cleanly, start again") {
  Fixture f;
  TopicId id = TopicId::random();
  int64_t leo0;
  {
    auto m = f.start();
    CHECK_FALSE(m->had_clean_shutdown());
    Log& a = m->create({"orders", 0}, id);
    Log& b = m->create({"orders", 1}, id);
    CHECK_THROWS_AS(m->create({"orders", 0}, id), LogError);
    CHECK_THROWS_AS(m->create({"bad name", 0}, id), LogError);
    produce(a, 20);
    produce(b, 2);
    a.delete_records_before(a.segments()[1]->base_offset() + 1);
    leo0 = a.log_end_offset();
    CHECK(read_text(f.data() / "orders-0" / "partition.metadata") ==
          "version: 0\ntopic_id: " + id.to_string());
    CHECK(m->shutdown());
  }
  CHECK(std::filesystem::exists(f.data() / ".kafka_cleanshutdown"));
  CHECK(read_text(f.data() / "recovery-point-offset-checkpoint") ==
        "0\n2\norders 0 " + std::to_string(leo0) + "\norders 1 6\n");
  CHECK(read_text(f.data() / "replication-offset-checkpoint") ==
        "0\n2\norders 0 " + std::to_string(leo0) + "\norders 1 6\n");
  // Only partitions whose start is inside their first segment.
  auto starts = OffsetCheckpointFile(f.data() / "log-start-offset-checkpoint").read();
  REQUIRE(starts.size() == 1);
  int64_t start0 = starts.at({"orders", 0});

  auto m = f.start();
  CHECK(m->had_clean_shutdown());
  CHECK_FALSE(std::filesystem::exists(f.data() / ".kafka_cleanshutdown"));
  CHECK(m->partitions() == std::vector<TopicPartition>{{"orders", 0}, {"orders", 1}});
  Log* a = m->get({"orders", 0});
  REQUIRE(a != nullptr);
  CHECK(a->log_end_offset() == leo0);
  CHECK(a->log_start_offset() == start0);
  CHECK(a->topic_id() == id);
  CHECK(a->load_result().segments_recovered == 0);
  CHECK(m->get({"orders", 1})->log_end_offset() == 6);
  CHECK(m->get({"orders", 2}) == nullptr);
}

TEST_CASE("log manager: unclean restart recovers from the checkpointed recovery point") {
  Fixture f;
  {
    auto m = f.start();
    Log& a = m->create({"t", 0}, std::nullopt);
    produce(a, 10);
    CHECK(m->flush_dirty_logs() == 1);  // rolled segments flushed
    int64_t rp = a.recovery_point();
    CHECK(rp == a.active_segment().base_offset());
    m->checkpoint_recovery_points();
    produce(a, 3);
    // Crash: no shutdown().
  }
  auto log_file = f.data() / "t-0" / segment_file_name(0, ".log");
  auto m = f.start();
  CHECK_FALSE(m->had_clean_shutdown());
  Log* a = m->get({"t", 0});
  REQUIRE(a != nullptr);
  CHECK(a->log_end_offset() == 39);
  CHECK(a->load_result().segments_recovered >= 1);
  CHECK(a->load_result().segments_recovered < static_cast<int32_t>(a->num_segments()));
}

TEST_CASE("log manager: delete renames to -delete and removes; leftovers cleaned at start") {
  Fixture f;
  {
    auto m = f.start();
    Log& a = m->create({"gone", 0}, std::nullopt);
    produce(a, 3);
    m->create({"kept", 0}, std::nullopt);
    m->remove({"gone", 0});
    CHECK(m->get({"gone", 0}) == nullptr);
    CHECK_FALSE(std::filesystem::exists(f.data() / "gone-0"));
    CHECK_THROWS_AS(m->remove({"gone", 0}), LogError);
    m->shutdown();
  }
  for (const auto& e : std::filesystem::directory_iterator(f.data())) {
    CHECK(e.path().filename().string().find("gone") == std::string::npos);
  }
  // A crash in the middle of a deletion leaves a -delete directory behind.
  std::filesystem::create_directories(f.data() / "old-3.0123456789abcdef0123456789abcdef-delete");
  std::filesystem::create_directories(f.data() / "not_a_partition");
  auto m = f.start();
  CHECK_FALSE(std::filesystem::exists(f.data() / "old-3.0123456789abcdef0123456789abcdef-delete"));
  CHECK(m->partitions() == std::vector<TopicPartition>{{"kept", 0}});
  CHECK_FALSE(f.warnings.empty());
}

TEST_CASE("log manager: per-topic configs and the retention pass") {
  Fixture f;
  TopicRegistry registry(f.tmp / "fjord-topics");
  registry.put({"short", TopicId::random(), 1, 1, {{"retention.ms", "1000"}}});
  LogManagerOptions o = f.options();
  LogConfig defaults = o.default_config;
  o.config_for_topic = [&](const std::string& topic) {
    return registry.config_for(topic, defaults);
  };
  f.clock.set(10'000);
  auto m = f.start(o);
  Log& s = m->create({"short", 0}, registry.find("short")->id);
  Log& l = m->create({"long", 0}, std::nullopt);
  CHECK(s.config().retention_ms == 1000);
  CHECK(l.config().retention_ms == LogConfig{}.retention_ms);
  produce(s, 10, 9'000);
  produce(l, 10, 9'000);
  f.clock.set(20'000);
  int deleted = m->run_retention();
  CHECK(deleted > 0);
  CHECK(s.log_start_offset() == s.log_end_offset());
  CHECK(l.log_start_offset() == 0);

  // A config change reaches the open logs.
  LogConfig changed = defaults;
  changed.retention_ms = 5;
  m->update_topic_config("long", changed);
  CHECK(m->run_retention() > 0);
  CHECK(l.log_start_offset() == l.log_end_offset());
}

TEST_CASE("log manager: a partition that fails to load does not stop the others") {
  Fixture f;
  {
    auto m = f.start();
    m->create({"good", 0}, std::nullopt);
    m->create({"bad", 0}, std::nullopt);
    m->shutdown();
  }
  testing::write_file(f.data() / "bad-0" / "leader-epoch-checkpoint", {'x'});
  auto m = f.start();
  CHECK(m->get({"good", 0}) != nullptr);
  CHECK(m->get({"bad", 0}) == nullptr);
  CHECK(m->offline_partitions().count({"bad", 0}) == 1);
  CHECK_FALSE(m->shutdown());  // no clean marker with an offline partition
  CHECK_FALSE(std::filesystem::exists(f.data() / ".kafka_cleanshutdown"));
}

}  // namespace
}  // namespace fjord::log
