#include "log/checkpoint.h"

#include <doctest/doctest.h>

#include "log/config.h"
#include "log/error.h"
#include "log/leader_epoch_cache.h"
#include "log/topic_registry.h"
#include "test_util.h"

namespace fjord::log {
namespace {

using testing::read_text;
using testing::TempDir;

void write_text(const std::filesystem::path& p, const std::string& s) {
  testing::write_file(p, std::vector<uint8_t>(s.begin(), s.end()));
}

TEST_CASE("offset checkpoint: Kafka's text format") {
  TempDir dir;
  OffsetCheckpointFile f(dir / "recovery-point-offset-checkpoint");
  CHECK(f.read().empty());  // missing file
  std::map<TopicPartition, int64_t> offsets{
      {{"orders", 0}, 120}, {{"orders", 1}, 7}, {{"__consumer_offsets", 12}, 0}};
  f.write(offsets);
  CHECK(read_text(dir / "recovery-point-offset-checkpoint") ==
        "0\n3\n__consumer_offsets 12 0\norders 0 120\norders 1 7\n");
  CHECK(f.read() == offsets);
  CHECK_FALSE(std::filesystem::exists(dir / "recovery-point-offset-checkpoint.tmp"));

  // A file written by Kafka (any order, trailing newline optional) reads the same.
  write_text(dir / "recovery-point-offset-checkpoint", "0\n2\norders 1 7\norders 0 120");
  CHECK(f.read().size() == 2);

  for (const char* bad :
       {"1\n0\n", "0\n2\norders 0 1\n", "0\n1\norders x 1\n", "0\n1\norders 0\n", "", "0\n"}) {
    write_text(dir / "recovery-point-offset-checkpoint", bad);
    CHECK_THROWS_AS(f.read(), LogError);
  }
}

TEST_CASE("partition.metadata: Kafka's format") {
  TempDir dir;
  PartitionMetadataFile f(dir.path());
  CHECK_FALSE(f.exists());
  CHECK_FALSE(f.read().has_value());
  TopicId id = *TopicId::parse("Ks0fXa3nTlmWqDdtKpXa4Q");
  f.write(id);
  CHECK(read_text(dir / "partition.metadata") == "version: 0\ntopic_id: Ks0fXa3nTlmWqDdtKpXa4Q");
  CHECK(f.read() == id);
  write_text(dir / "partition.metadata", "version: 1\ntopic_id: Ks0fXa3nTlmWqDdtKpXa4Q\n");
  CHECK_THROWS_AS(f.read(), LogError);
  write_text(dir / "partition.metadata", "version: 0\ntopic_id: nope\n");
  CHECK_THROWS_AS(f.read(), LogError);
}

TEST_CASE("topic ids print as Kafka prints them") {
  TopicId zero;
  CHECK(zero.to_string() == "AAAAAAAAAAAAAAAAAAAAAA");
  TopicId metadata;
  metadata.bytes[15] = 1;
  CHECK(metadata.to_string() == "AAAAAAAAAAAAAAAAAAAAAQ");
  for (int i = 0; i < 100; ++i) {
    TopicId id = TopicId::random();
    CHECK_FALSE(id.is_zero());
    CHECK(id.to_string().size() == 22);
    CHECK(id.to_string().front() != '-');
    CHECK(TopicId::parse(id.to_string()) == id);
  }
  CHECK_FALSE(TopicId::parse("AAAAAAAAAAAAAAAAAAAAAB").has_value());  // stray low bits
  CHECK_FALSE(TopicId::parse("AAAAAAAAAAAAAAAAAAAAA").has_value());
  CHECK_FALSE(TopicId::parse("AAAAAAAAAAAAAAAAAAAA+A").has_value());
}

TEST_CASE("names: segment files and partition directories") {
  CHECK(segment_file_name(0, ".log") == "00000000000000000000.log");
  CHECK(segment_file_name(368769, ".index") == "00000000000000368769.index");
  CHECK(parse_segment_file_name("00000000000000368769.timeindex", ".timeindex") == 368769);
  CHECK_FALSE(parse_segment_file_name("0000000000000036876.log", ".log").has_value());
  CHECK_FALSE(parse_segment_file_name("00000000000000368769.log.deleted", ".log").has_value());
  CHECK(TopicPartition::parse_dir_name("my-topic-12") == TopicPartition{"my-topic", 12});
  CHECK_FALSE(TopicPartition::parse_dir_name("topic").has_value());
  CHECK_FALSE(TopicPartition::parse_dir_name("topic-01").has_value());
  CHECK_FALSE(TopicPartition::parse_dir_name("top ic-1").has_value());
  CHECK_FALSE(TopicPartition::parse_dir_name("-1").has_value());
  CHECK(TopicPartition{"a.b_c", 0}.dir_name() == "a.b_c-0");
}

TEST_CASE("leader epoch cache: Kafka's rules and file") {
  TempDir dir;
  auto path = dir / "leader-epoch-checkpoint";
  LeaderEpochCache cache(path);
  CHECK(cache.entries().empty());
  CHECK(cache.end_offset_for(0, 10) == std::pair<int32_t, int64_t>{-1, -1});
  cache.assign(0, 0);
  cache.assign(0, 5);  // same epoch, later offset: no change
  cache.assign(2, 10);
  cache.assign(4, 30);
  CHECK(read_text(path) == "0\n3\n0 0\n2 10\n4 30\n");
  CHECK(cache.latest_epoch() == 4);
  CHECK(cache.epoch_for_offset(9) == 0);
  CHECK(cache.epoch_for_offset(10) == 2);
  CHECK(cache.epoch_for_offset(1000) == 4);

  CHECK(cache.end_offset_for(4, 55) == std::pair<int32_t, int64_t>{4, 55});
  CHECK(cache.end_offset_for(2, 55) == std::pair<int32_t, int64_t>{2, 30});
  CHECK(cache.end_offset_for(3, 55) == std::pair<int32_t, int64_t>{2, 30});
  CHECK(cache.end_offset_for(1, 55) == std::pair<int32_t, int64_t>{0, 10});
  CHECK(cache.end_offset_for(5, 55) == std::pair<int32_t, int64_t>{-1, -1});
  CHECK(cache.end_offset_for(-1, 55) == std::pair<int32_t, int64_t>{-1, -1});

  LeaderEpochCache reloaded(path);
  CHECK(reloaded.entries() == cache.entries());

  cache.truncate_from_start(15);
  CHECK(cache.entries() == std::vector<EpochEntry>{{2, 15}, {4, 30}});
  cache.truncate_from_end(30);
  CHECK(cache.entries() == std::vector<EpochEntry>{{2, 15}});
  // A lower epoch at a lower offset replaces what breaks monotonicity.
  cache.assign(5, 40);
  cache.assign(3, 20);
  CHECK(cache.entries() == std::vector<EpochEntry>{{2, 15}, {3, 20}});
  CHECK(read_text(path) == "0\n2\n2 15\n3 20\n");
  cache.clear();
  CHECK(read_text(path) == "0\n0\n");

  write_text(path, "0\n2\n3 10\n2 20\n");
  CHECK_THROWS_AS(LeaderEpochCache{path}, LogError);
}

TEST_CASE("log config: broker defaults and topic overrides") {
  LogConfig d;
  CHECK(d.segment_bytes == 1073741824);
  CHECK(d.retention_ms == 604800000);
  CHECK(d.retention_bytes == -1);
  CHECK(d.index_interval_bytes == 4096);
  CHECK(d.segment_index_bytes == 10485760);

  auto b = LogConfig::from_broker_properties({{"log.segment.bytes", "1048576"},
                                              {"log.retention.hours", "24"},
                                              {"log.roll.hours", "1"},
                                              {"log.flush.interval.messages", "1"},
                                              {"num.network.threads", "3"}});
  CHECK(b.segment_bytes == 1048576);
  CHECK(b.retention_ms == 24LL * 3600 * 1000);
  CHECK(b.segment_ms == 3600LL * 1000);
  CHECK(b.flush_messages == 1);
  auto b2 = LogConfig::from_broker_properties(
      {{"log.retention.hours", "24"}, {"log.retention.minutes", "5"}, {"log.retention.ms", "7"}});
  CHECK(b2.retention_ms == 7);
  auto b3 = LogConfig::from_broker_properties({{"log.retention.hours", "-1"}});
  CHECK(b3.retention_ms == -1);

  auto t = LogConfig::with_overrides(b, {{"retention.ms", "1000"},
                                         {"cleanup.policy", "compact,delete"},
                                         {"compression.type", "zstd"}});
  CHECK(t.retention_ms == 1000);
  CHECK(t.cleanup_compact);
  CHECK(t.cleanup_delete);
  CHECK(t.segment_bytes == 1048576);
  CHECK(t.overrides.at("compression.type") == "zstd");
  CHECK_THROWS_AS(LogConfig::with_overrides(b, {{"retention.msx", "1"}}), LogError);
  CHECK_THROWS_AS(LogConfig::with_overrides(b, {{"segment.bytes", "10"}}), LogError);
  CHECK_THROWS_AS(LogConfig::with_overrides(b, {{"segment.ms", "abc"}}), LogError);
  CHECK_THROWS_AS(LogConfig::with_overrides(b, {{"cleanup.policy", "keep"}}), LogError);
  CHECK_THROWS_AS(LogConfig::from_broker_properties({{"log.segment.bytes", "x"}}), LogError);
}

TEST_CASE("topic registry: round trip, validation, atomic file") {
  TempDir dir;
  auto path = dir / "fjord-topics";
  TopicRegistry reg(path);
  CHECK(reg.topics().empty());
  TopicRecord orders{"orders",
                     *TopicId::parse("3q0l2wQ9Tb6r2Kj0cB1Wqg"),
                     3,
                     1,
                     {{"retention.ms", "86400000"}, {"cleanup.policy", "delete"}}};
  TopicRecord payments{"payments", *TopicId::parse("x9cA8iJk5uR0d1vBqT2mLg"), 1, 1, {}};
  reg.put(orders);
  reg.put(payments);
  CHECK(read_text(path) ==
        "# Fjord topic registry\n"
        "version: 0\n"
        "\n"
        "topic: orders\n"
        "topic_id: 3q0l2wQ9Tb6r2Kj0cB1Wqg\n"
        "partitions: 3\n"
        "replication_factor: 1\n"
        "config: cleanup.policy=delete\n"
        "config: retention.ms=86400000\n"
        "\n"
        "topic: payments\n"
        "topic_id: x9cA8iJk5uR0d1vBqT2mLg\n"
        "partitions: 1\n"
        "replication_factor: 1\n");
  TopicRegistry again(path);
  REQUIRE(again.find("orders") != nullptr);
  CHECK(*again.find("orders") == orders);
  CHECK(*again.find("payments") == payments);
  CHECK(again.config_for("orders", LogConfig{}).retention_ms == 86400000);
  CHECK(again.config_for("unknown", LogConfig{}).retention_ms == LogConfig{}.retention_ms);

  CHECK(again.erase("orders"));
  CHECK_FALSE(again.erase("orders"));
  CHECK(TopicRegistry(path).topics().size() == 1);

  TopicRecord bad = payments;
  bad.configs.emplace("retention.msx", "1");
  CHECK_THROWS_AS(again.put(bad), LogError);
  bad = payments;
  bad.name = "no spaces";
  CHECK_THROWS_AS(again.put(bad), LogError);
  CHECK(TopicRegistry(path).topics().size() == 1);

  // Values run to the end of the line, '=' included.
  write_text(path,
             "version: 0\ntopic: t\ntopic_id: x9cA8iJk5uR0d1vBqT2mLg\npartitions: 2\n"
             "config: compression.type=a=b\n");
  CHECK(TopicRegistry(path).find("t")->configs.at("compression.type") == "a=b");
  for (const char* text :
       {"version: 1\n", "topic: t\n", "version: 0\ntopic: t\npartitions: 2\n",
        "version: 0\ntopic: t\ntopic_id: x9cA8iJk5uR0d1vBqT2mLg\ncolour: red\n",
        "version: 0\ntopic: t\ntopic_id: x9cA8iJk5uR0d1vBqT2mLg\nconfig: nope=1\n"}) {
    write_text(path, text);
    CHECK_THROWS_AS(TopicRegistry{path}, LogError);
  }
}

}  // namespace
}  // namespace fjord::log
