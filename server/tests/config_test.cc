#include "server/config.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace fjord::config;

namespace {

std::map<std::string, std::string> props_map(const PropertiesParseResult& r) {
  std::map<std::string, std::string> m;
  for (const Property& p : r.properties) m[p.key] = p.value;
  return m;
}

BrokerConfig must_load(std::string_view text, const std::vector<std::string>& overrides = {}) {
  LoadResult r = load_config_from_string(text, overrides);
  for (const auto& e : r.errors) INFO(e);
  REQUIRE(r.errors.empty());
  REQUIRE(r.ok());
  return *r.config;
}

// The single error of loading `text`.
std::string load_error(std::string_view text, const std::vector<std::string>& overrides = {}) {
  LoadResult r = load_config_from_string(text, overrides);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.config.has_value());
  REQUIRE(r.errors.size() == 1);
  return r.errors[0];
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const ConfigEntry& entry(const std::vector<ConfigEntry>& entries, std::string_view name) {
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const ConfigEntry& e) { return e.name == name; });
  REQUIRE(it != entries.end());
  return *it;
}

bool has_entry(const std::vector<ConfigEntry>& entries, std::string_view name) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const ConfigEntry& e) { return e.name == name; });
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/fjord-config-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

// ---------------------------------------------------------------------------
// .properties parsing
// ---------------------------------------------------------------------------

TEST_CASE("properties: separators") {
  auto r = parse_properties(
      "a=1\n"
      "b: 2\n"
      "c 3\n"
      "d\t=\t4\n"
      "e = 5  \n"
      "f:=6\n"
      "g\n"
      "h=\n"
      "i==x\n"
      "j   :   spaced value\n"
      "k\t\tv\n",
      "t");
  CHECK(r.errors.empty());
  auto m = props_map(r);
  CHECK(m.size() == 11);
  CHECK(m["a"] == "1");
  CHECK(m["b"] == "2");
  CHECK(m["c"] == "3");
  CHECK(m["d"] == "4");
  CHECK(m["e"] == "5  ");  // Java keeps trailing whitespace; typed parsing trims it
  CHECK(m["f"] == "=6");
  CHECK(m["g"] == "");
  CHECK(m["h"] == "");
  CHECK(m["i"] == "=x");
  CHECK(m["j"] == "spaced value");
  CHECK(m["k"] == "v");
}

TEST_CASE("properties: comments, blank lines, leading whitespace") {
  auto r = parse_properties(
      "# comment\n"
      "! bang comment\n"
      "   # indented comment\n"
      "\n"
      "   \t \n"
      "   key = value\n"
      "\f other=x\n"
      "not#comment=y\n",
      "t");
  CHECK(r.errors.empty());
  auto m = props_map(r);
  CHECK(m.size() == 3);
  CHECK(m["key"] == "value");
  CHECK(m["other"] == "x");
  CHECK(m["not#comment"] == "y");
}

TEST_CASE("properties: line continuations") {
  auto r = parse_properties(
      "list = a,\\\n"
      "       b,\\\n"
      "       c\n"
      "even=ends with backslash\\\\\n"
      "next=1\n"
      "# a comment ending in backslash does not continue \\\n"
      "after=2\n"
      "multi\\\n"
      "  key=3\n"
      "hash=x\\\n"
      "  # not a comment\n"
      "eof=tail\\",
      "t");
  CHECK(r.errors.empty());
  auto m = props_map(r);
  CHECK(m["list"] == "a,b,c");
  CHECK(m["even"] == "ends with backslash\\");
  CHECK(m["next"] == "1");
  CHECK(m["after"] == "2");
  CHECK(m["multikey"] == "3");
  CHECK(m["hash"] == "x# not a comment");
  CHECK(m["eof"] == "tail");
  // Origins carry the first physical line of each logical line.
  CHECK(r.properties[0].origin == "t:1");
  CHECK(r.properties[1].origin == "t:4");
  CHECK(r.properties[4].origin == "t:8");
}

TEST_CASE("properties: escapes") {
  auto r = parse_properties(
      "tabs=a\\tb\\nc\\rd\\fe\n"
      "uni=\\u0041\\u00e9\\u20AC\n"
      "pair=\\uD83D\\uDE00\n"
      "lone=\\uD83Dx\n"
      "a\\=b=c\n"
      "key\\ with\\ space=v\n"
      "\\#hash=1\n"
      "colon\\:key:2\n"
      "other=\\q\\\\\\z\n"
      "path=C:\\\\data\\\\kafka\n",
      "t");
  CHECK(r.errors.empty());
  auto m = props_map(r);
  CHECK(m["tabs"] == "a\tb\nc\rd\fe");
  CHECK(m["uni"] == "A\xC3\xA9\xE2\x82\xAC");
  CHECK(m["pair"] == "\xF0\x9F\x98\x80");
  CHECK(m["lone"] == "\xEF\xBF\xBDx");
  CHECK(m["a=b"] == "c");
  CHECK(m["key with space"] == "v");
  CHECK(m["#hash"] == "1");
  CHECK(m["colon:key"] == "2");
  CHECK(m["other"] == "q\\z");
  CHECK(m["path"] == "C:\\data\\kafka");
}

TEST_CASE("properties: malformed \\u escape is an error with its line") {
  auto r = parse_properties("ok=1\nbad=\\u12G4\nshort=\\u12\n", "server.properties");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].find("server.properties:2") != std::string::npos);
  CHECK(r.errors[0].find("\\uXXXX") != std::string::npos);
  CHECK(r.errors[1].find("server.properties:3") != std::string::npos);
  CHECK(props_map(r)["ok"] == "1");
  // And it stops startup.
  LoadResult lr = load_config_from_string("log.dir=\\uZZZZ\n");
  CHECK_FALSE(lr.ok());
}

TEST_CASE("properties: CR and CRLF line endings") {
  auto r = parse_properties("a=1\r\nb=2\rc=3\r\nd=x\\\r\n  y\n", "t");
  auto m = props_map(r);
  CHECK(m["a"] == "1");
  CHECK(m["b"] == "2");
  CHECK(m["c"] == "3");
  CHECK(m["d"] == "xy");
}

TEST_CASE("properties: --override") {
  std::string err;
  auto p = parse_override("num.partitions=3", &err);
  REQUIRE(p);
  CHECK(p->key == "num.partitions");
  CHECK(p->value == "3");
  CHECK(p->origin == "--override");
  p = parse_override("listeners=PLAINTEXT://a:1=2", &err);
  REQUIRE(p);
  CHECK(p->value == "PLAINTEXT://a:1=2");
  p = parse_override("broker.rack=", &err);
  REQUIRE(p);
  CHECK(p->value == "");
  CHECK_FALSE(parse_override("novalue", &err));
  CHECK(err == "Invalid --override 'novalue': expected key=value");
  CHECK_FALSE(parse_override("=x", &err));

  LoadResult r = load_config_from_string("", {"num.partitions"});
  CHECK_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == "Invalid --override 'num.partitions': expected key=value");
}

// ---------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------

TEST_CASE("defaults match Kafka (and Fjord's documented deviations)") {
  LoadResult r = load_config_from_string("");
  REQUIRE(r.ok());
  CHECK(r.warnings.empty());
  CHECK(r.notices.empty());
  const BrokerConfig& c = *r.config;
  CHECK(c.node_id == 1);
  CHECK_FALSE(c.cluster_id);
  REQUIRE(c.listeners.size() == 1);
  CHECK(c.listeners[0] == Listener{"PLAINTEXT", "localhost", 9092, SecurityProtocol::kPlaintext});
  CHECK(c.advertised_listeners == c.listeners);
  CHECK(c.controller_listeners.empty());
  CHECK(c.listener_security_protocol_map.size() == 4);
  CHECK(c.listener_security_protocol_map.at("SASL_SSL") == SecurityProtocol::kSaslSsl);
  CHECK(c.log_dir == "./data");
  CHECK(c.num_partitions == 1);
  CHECK(c.default_replication_factor == 1);
  CHECK(c.auto_create_topics_enable);
  CHECK(c.delete_topic_enable);
  CHECK(c.message_max_bytes == 1048588);
  CHECK(c.socket_request_max_bytes == 104857600);
  CHECK(c.socket_send_buffer_bytes == 102400);
  CHECK(c.socket_receive_buffer_bytes == 102400);
  CHECK(c.num_network_threads == 3);
  CHECK(c.num_io_threads == 8);
  CHECK(c.log_segment_bytes == 1073741824);
  CHECK(c.log_roll_ms == 168LL * 3600 * 1000);
  CHECK(c.log_roll_jitter_ms == 0);
  CHECK(c.log_retention_ms == 604800000);
  CHECK(c.log_retention_bytes == -1);
  CHECK(c.log_retention_check_interval_ms == 300000);
  CHECK(c.log_index_interval_bytes == 4096);
  CHECK(c.log_index_size_max_bytes == 10485760);
  CHECK(c.log_flush_interval_messages == kLongMax);
  CHECK(c.log_flush_interval_ms == kLongMax);
  CHECK(c.log_flush_scheduler_interval_ms == kLongMax);
  CHECK(c.log_message_timestamp_type == TimestampType::kCreateTime);
  CHECK(c.log_message_timestamp_difference_max_ms == kLongMax);
  CHECK(c.effective_timestamp_before_max_ms() == kLongMax);
  CHECK(c.effective_timestamp_after_max_ms() == kLongMax);
  CHECK(c.log_cleanup_policy == CleanupPolicy{true, false});
  CHECK(c.compression_type == CompressionType::kProducer);
  CHECK(c.connections_max_idle_ms == 600000);
  CHECK(c.group_initial_rebalance_delay_ms == 3000);
  CHECK(c.group_min_session_timeout_ms == 6000);
  CHECK(c.group_max_session_timeout_ms == 1800000);
  CHECK(c.group_max_size == kIntMax);
  CHECK(c.offsets_topic_num_partitions == 50);
  CHECK(c.offsets_topic_replication_factor == 1);
  CHECK(c.offsets_retention_minutes == 10080);
  CHECK(c.offsets_retention_ms() == 10080LL * 60000);
  CHECK(c.offsets_retention_check_interval_ms == 600000);
  CHECK(c.transaction_max_timeout_ms == 900000);
  CHECK(c.transactional_id_expiration_ms == 604800000);
  CHECK(c.transaction_state_log_num_partitions == 50);
  CHECK(c.transaction_abort_timed_out_transaction_cleanup_interval_ms == 10000);
  CHECK(c.producer_id_expiration_ms == 86400000);
  CHECK(c.log_cleaner_min_cleanable_ratio == doctest::Approx(0.5));
  CHECK(c.min_insync_replicas == 1);
  CHECK(c.static_configs.empty());
}

TEST_CASE("struct member defaults agree with the key table") {
  BrokerConfig table = must_load("");
  BrokerConfig plain;
  CHECK(plain.node_id == table.node_id);
  CHECK(plain.log_dir == table.log_dir);
  CHECK(plain.log_segment_bytes == table.log_segment_bytes);
  CHECK(plain.log_roll_ms == table.log_roll_ms);
  CHECK(plain.log_retention_ms == table.log_retention_ms);
  CHECK(plain.log_flush_interval_ms == table.log_flush_interval_ms);
  CHECK(plain.message_max_bytes == table.message_max_bytes);
  CHECK(plain.fetch_max_bytes == table.fetch_max_bytes);
  CHECK(plain.log_cleaner_dedupe_buffer_size == table.log_cleaner_dedupe_buffer_size);
  CHECK(plain.max_connections == table.max_connections);
  CHECK(plain.compression_gzip_level == table.compression_gzip_level);
  CHECK(plain.transaction_state_log_min_isr == table.transaction_state_log_min_isr);
  CHECK(plain.producer_id_expiration_check_interval_ms ==
        table.producer_id_expiration_check_interval_ms);
  // And TopicConfig{} equals the topic view of a default broker.
  TopicConfig a;
  TopicConfig b = effective(table, {});
  CHECK(a.retention_ms == b.retention_ms);
  CHECK(a.segment_ms == b.segment_ms);
  CHECK(a.segment_bytes == b.segment_bytes);
  CHECK(a.max_message_bytes == b.max_message_bytes);
  CHECK(a.flush_ms == b.flush_ms);
  CHECK(a.cleanup_policy == b.cleanup_policy);
  CHECK(a.message_format_version == b.message_format_version);
}

TEST_CASE("every default value passes its own validation") {
  for (const ConfigKeyInfo& k : broker_config_keys()) {
    if (!k.default_value) continue;
    INFO(k.name);
    LoadResult r = load_config_from_string("", {k.name + "=" + *k.default_value});
    CHECK(r.errors.empty());
  }
  for (const ConfigKeyInfo& k : topic_config_keys()) {
    INFO(k.name);
    REQUIRE(k.default_value);
    CHECK_FALSE(validate_topic_config(k.name, *k.default_value));
  }
}

// ---------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------

TEST_CASE("retention: ms > minutes > hours, negative = unlimited") {
  CHECK(must_load("log.retention.hours=1").log_retention_ms == 3600000);
  CHECK(must_load("log.retention.hours=1\nlog.retention.minutes=2").log_retention_ms == 120000);
  CHECK(must_load("log.retention.hours=1\nlog.retention.minutes=2\nlog.retention.ms=3")
            .log_retention_ms == 3);
  CHECK(must_load("log.retention.minutes=2\nlog.retention.ms=3").log_retention_ms == 3);
  CHECK(must_load("log.retention.ms=-1").log_retention_ms == -1);
  CHECK(must_load("log.retention.hours=-1").log_retention_ms == -1);
  CHECK(must_load("log.retention.minutes=-5").log_retention_ms == -1);
  CHECK(must_load("log.retention.hours=2147483647").log_retention_ms == 2147483647LL * 3600000);
  CHECK(load_error("log.retention.ms=0") ==
        "Invalid value '0' for configuration log.retention.ms: expected -1 (unlimited) or an "
        "integer in [1, 9223372036854775807]");
  CHECK(load_error("log.retention.hours=0") ==
        "Invalid value '0' for configuration log.retention.hours: expected -1 (unlimited) or "
        "an integer in [1, 2147483647]");
  // 0 hours is fine when a higher-precedence key decides.
  CHECK(must_load("log.retention.hours=0\nlog.retention.ms=5").log_retention_ms == 5);
  CHECK(load_error("log.retention.minutes=x") ==
        "Invalid value 'x' for configuration log.retention.minutes: expected -1 (unlimited) or "
        "an integer in [1, 2147483647]");
}

TEST_CASE("roll, jitter and flush synonyms") {
  CHECK(must_load("log.roll.hours=2").log_roll_ms == 7200000);
  CHECK(must_load("log.roll.hours=2\nlog.roll.ms=1000").log_roll_ms == 1000);
  CHECK(must_load("log.roll.jitter.hours=1").log_roll_jitter_ms == 3600000);
  CHECK(must_load("log.roll.jitter.hours=1\nlog.roll.jitter.ms=5").log_roll_jitter_ms == 5);
  CHECK(must_load("log.flush.scheduler.interval.ms=2000").log_flush_interval_ms == 2000);
  CHECK(must_load("log.flush.scheduler.interval.ms=2000\nlog.flush.interval.ms=10")
            .log_flush_interval_ms == 10);
  CHECK(load_error("log.roll.hours=0") ==
        "Invalid value '0' for configuration log.roll.hours: expected an integer in [1, "
        "2147483647]");
}

TEST_CASE("log.dirs > log.dir; exactly one directory") {
  CHECK(must_load("log.dir=/var/a").log_dir == "/var/a");
  CHECK(must_load("log.dir=/var/a\nlog.dirs=/var/b").log_dir == "/var/b");
  CHECK(must_load("log.dirs= /var/c ").log_dir == "/var/c");
  CHECK(load_error("log.dirs=/a,/b") ==
        "Invalid value '/a,/b' for configuration log.dirs: 2 directories given but Fjord "
        "supports one log directory (no JBOD); expected exactly one non-empty directory path");
  CHECK(load_error("log.dirs=") ==
        "Invalid value '' for configuration log.dirs: no directory given; expected exactly one "
        "non-empty directory path");
}

TEST_CASE("later settings override earlier ones; --override beats the file") {
  CHECK(must_load("num.partitions=2\nnum.partitions=3").num_partitions == 3);
  CHECK(must_load("num.partitions=2", {"num.partitions=4"}).num_partitions == 4);
  CHECK(must_load("num.partitions=2", {"num.partitions=4", "num.partitions=5"}).num_partitions ==
        5);
  // An invalid file value replaced by a valid override is never validated.
  CHECK(must_load("num.partitions=abc", {"num.partitions=6"}).num_partitions == 6);
  // Overrides also take part in synonym precedence.
  CHECK(must_load("log.retention.ms=1000", {"log.retention.hours=1"}).log_retention_ms == 1000);
  BrokerConfig c = must_load("num.partitions=2", {"num.partitions=7"});
  CHECK(c.static_configs.at("num.partitions") == "7");
}

// ---------------------------------------------------------------------------
// Unknown keys and bad values
// ---------------------------------------------------------------------------

TEST_CASE("unknown key warns exactly once") {
  LoadResult r = load_config_from_string("foo.bar=1\nfoo.bar=2\nnum.partitions=3\n", {"foo.bar=3"});
  REQUIRE(r.ok());
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "Unknown configuration 'foo.bar' (--override) is ignored");
  CHECK(r.config->static_configs.count("foo.bar") == 0);

  r = load_config_from_string("\n\nretention.ms=1000\n");
  REQUIRE(r.ok());
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] ==
        "Unknown configuration 'retention.ms' (<string>:3) is ignored; it is a topic-level key, "
        "set it per topic (CreateTopics/AlterConfigs)");
  // Keys are case-sensitive, as in Kafka.
  r = load_config_from_string("Num.Partitions=3");
  CHECK(r.warnings.size() == 1);
}

TEST_CASE("known Kafka keys Fjord ignores produce a notice, not a warning") {
  LoadResult r = load_config_from_string(
      "zookeeper.connect=localhost:2181\nprocess.roles=broker,controller\n"
      "controller.quorum.voters=1@localhost:9093\n");
  REQUIRE(r.ok());
  CHECK(r.warnings.empty());
  CHECK(r.notices.size() == 3);
  CHECK(r.config->process_roles == std::vector<std::string>{"broker", "controller"});
  CHECK(load_error("process.roles=broker,leader") ==
        "Invalid value 'broker,leader' for configuration process.roles: expected a "
        "comma-separated list of values from [broker, controller]");
  CHECK(load_error("authorizer.class.name=kafka.security.authorizer.AclAuthorizer") ==
        "Invalid value 'kafka.security.authorizer.AclAuthorizer' for configuration "
        "authorizer.class.name: Fjord does not implement ACL authorization; expected an empty "
        "value");
}

TEST_CASE("bad values: the message names key, value and accepted values") {
  CHECK(load_error("log.segment.bytes=abc") ==
        "Invalid value 'abc' for configuration log.segment.bytes: expected an integer in [14, "
        "2147483647]");
  CHECK(load_error("log.segment.bytes=13") ==
        "Invalid value '13' for configuration log.segment.bytes: expected an integer in [14, "
        "2147483647]");
  CHECK(load_error("log.segment.bytes=2147483648") ==
        "Invalid value '2147483648' for configuration log.segment.bytes: expected an integer "
        "in [14, 2147483647]");
  CHECK(load_error("log.segment.bytes=1.5") ==
        "Invalid value '1.5' for configuration log.segment.bytes: expected an integer in [14, "
        "2147483647]");
  CHECK(load_error("log.segment.bytes=") ==
        "Invalid value '' for configuration log.segment.bytes: expected an integer in [14, "
        "2147483647]");
  CHECK(load_error("log.retention.bytes=9223372036854775808") ==
        "Invalid value '9223372036854775808' for configuration log.retention.bytes: expected "
        "an integer in [-9223372036854775808, 9223372036854775807]");
  CHECK(load_error("offsets.topic.replication.factor=40000") ==
        "Invalid value '40000' for configuration offsets.topic.replication.factor: expected an "
        "integer in [1, 32767]");
  CHECK(load_error("log.message.timestamp.type=Create") ==
        "Invalid value 'Create' for configuration log.message.timestamp.type: expected one of "
        "[CreateTime, LogAppendTime]");
  CHECK(load_error("compression.type=GZIP") ==
        "Invalid value 'GZIP' for configuration compression.type: expected one of "
        "[uncompressed, zstd, lz4, snappy, gzip, producer]");
  CHECK(load_error("auto.create.topics.enable=yes") ==
        "Invalid value 'yes' for configuration auto.create.topics.enable: expected true or "
        "false");
  CHECK(load_error("log.cleaner.min.cleanable.ratio=1.5") ==
        "Invalid value '1.5' for configuration log.cleaner.min.cleanable.ratio: expected a "
        "number in [0, 1]");
  CHECK(load_error("log.cleaner.min.cleanable.ratio=NaN") ==
        "Invalid value 'NaN' for configuration log.cleaner.min.cleanable.ratio: expected a "
        "number in [0, 1]");
  CHECK(load_error("log.cleanup.policy=delete,foo") ==
        "Invalid value 'delete,foo' for configuration log.cleanup.policy: expected a "
        "comma-separated list of values from [compact, delete]");
  CHECK(load_error("compression.gzip.level=0") ==
        "Invalid value '0' for configuration compression.gzip.level: expected -1 or an integer "
        "in [1, 9]");
  CHECK(load_error("cluster.id=not-a-uuid") ==
        "Invalid value 'not-a-uuid' for configuration cluster.id: not a Kafka cluster id; "
        "expected a Kafka Uuid: 22 characters of URL-safe base64");
  CHECK(load_error("max.connections.per.ip.overrides=host1:5,host2") ==
        "Invalid value 'host1:5,host2' for configuration max.connections.per.ip.overrides: "
        "entry 'host2' is not host:count; expected a comma-separated list of host:count with "
        "count in [0, 2147483647]");
  CHECK(load_error("group.min.session.timeout.ms=10000\ngroup.max.session.timeout.ms=9000") ==
        "Invalid value '9000' for configuration group.max.session.timeout.ms: expected at "
        "least group.min.session.timeout.ms (10000)");
  CHECK(load_error("log.cleaner.min.compaction.lag.ms=10\nlog.cleaner.max.compaction.lag.ms=5") ==
        "Invalid value '5' for configuration log.cleaner.max.compaction.lag.ms: expected at "
        "least log.cleaner.min.compaction.lag.ms (10)");
}

TEST_CASE("number and boolean syntax follows Java") {
  CHECK(must_load("num.partitions=+5").num_partitions == 5);
  CHECK(must_load("num.partitions=  5  ").num_partitions == 5);
  CHECK(must_load("auto.create.topics.enable=FALSE").auto_create_topics_enable == false);
  CHECK(must_load("auto.create.topics.enable= True ").auto_create_topics_enable == true);
  CHECK(must_load("log.cleaner.min.cleanable.ratio=1").log_cleaner_min_cleanable_ratio == 1.0);
  CHECK(must_load("log.cleaner.min.cleanable.ratio=.25").log_cleaner_min_cleanable_ratio == 0.25);
  CHECK(must_load("log.cleaner.min.cleanable.ratio=5e-1").log_cleaner_min_cleanable_ratio == 0.5);
  CHECK(must_load("socket.send.buffer.bytes=-1").socket_send_buffer_bytes == -1);
  for (const char* bad : {"0x10", "5 000", "5L", "--5", "+-5", "+", "-", "١"}) {
    INFO(bad);
    LoadResult r = load_config_from_string(std::string("num.partitions=") + bad);
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("all bad values are reported together") {
  LoadResult r = load_config_from_string("num.partitions=0\nnum.io.threads=x\nfoo=1\n");
  CHECK_FALSE(r.ok());
  CHECK(r.errors.size() == 2);
  CHECK(r.warnings.size() == 1);
}

TEST_CASE("replication keys above 1 warn on a single node") {
  LoadResult r = load_config_from_string("offsets.topic.replication.factor=3\n");
  REQUIRE(r.ok());
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] ==
        "Configuration offsets.topic.replication.factor=3 has no effect: Fjord is a single "
        "node and keeps one replica");
  CHECK(r.config->offsets_topic_replication_factor == 3);
}

// ---------------------------------------------------------------------------
// node.id / broker.id
// ---------------------------------------------------------------------------

TEST_CASE("node.id and broker.id") {
  CHECK(must_load("").node_id == 1);
  CHECK(must_load("broker.id=5").node_id == 5);
  CHECK(must_load("node.id=7").node_id == 7);
  CHECK(must_load("node.id=7\nbroker.id=7").node_id == 7);
  CHECK(must_load("node.id=0").node_id == 0);
  CHECK(load_error("node.id=7\nbroker.id=8") ==
        "Invalid value '8' for configuration broker.id: must equal node.id (7) when both are "
        "set");
  CHECK(load_error("broker.id=-1") ==
        "Invalid value '-1' for configuration broker.id: expected an integer in [0, "
        "2147483647]");
  auto d = describe_broker(must_load("broker.id=5"));
  CHECK(entry(d, "node.id").value == "5");
  CHECK(entry(d, "node.id").source == ConfigSource::kDefaultConfig);
  CHECK(entry(d, "broker.id").value == "5");
  CHECK(entry(d, "broker.id").source == ConfigSource::kStaticBrokerConfig);
}

// ---------------------------------------------------------------------------
// Listeners
// ---------------------------------------------------------------------------

TEST_CASE("listener parsing") {
  std::string reason;
  SecurityProtocolMap map = *parse_security_protocol_map(
      "PLAINTEXT:PLAINTEXT,SSL:SSL,internal:plaintext,CONTROLLER:PLAINTEXT", &reason);
  CHECK(map.at("INTERNAL") == SecurityProtocol::kPlaintext);

  auto ls = parse_listeners("PLAINTEXT://broker1.example.com:9092", map, &reason);
  REQUIRE(ls);
  REQUIRE(ls->size() == 1);
  CHECK((*ls)[0] ==
        Listener{"PLAINTEXT", "broker1.example.com", 9092, SecurityProtocol::kPlaintext});

  ls = parse_listeners("PLAINTEXT://[::1]:9093", map, &reason);
  REQUIRE(ls);
  CHECK((*ls)[0].host == "::1");
  CHECK((*ls)[0].port == 9093);
  CHECK((*ls)[0].to_string() == "PLAINTEXT://[::1]:9093");

  ls = parse_listeners("PLAINTEXT://[fe80::1%eth0]:9092", map, &reason);
  REQUIRE(ls);
  CHECK((*ls)[0].host == "fe80::1%eth0");

  ls = parse_listeners("PLAINTEXT://:9092", map, &reason);
  REQUIRE(ls);
  CHECK((*ls)[0].host == "");
  CHECK((*ls)[0].to_string() == "PLAINTEXT://:9092");

  ls = parse_listeners("PLAINTEXT://[]:9092", map, &reason);
  REQUIRE(ls);
  CHECK((*ls)[0].host == "");

  ls = parse_listeners(" PLAINTEXT://0.0.0.0:9092 , internal://127.0.0.1:0,,SSL://h:9094 ", map,
                       &reason);
  REQUIRE(ls);
  REQUIRE(ls->size() == 3);
  CHECK((*ls)[1] == Listener{"INTERNAL", "127.0.0.1", 0, SecurityProtocol::kPlaintext});
  CHECK((*ls)[2].protocol == SecurityProtocol::kSsl);

  CHECK(parse_listeners("", map, &reason)->empty());

  struct Bad {
    const char* text;
    const char* reason;
  };
  for (const Bad& b : {
           Bad{"localhost:9092", "listener 'localhost:9092' is not of the form NAME://host:port"},
           Bad{"PLAINTEXT://localhost",
               "listener 'PLAINTEXT://localhost' is missing ':port' "
               "after the host"},
           Bad{"PLAINTEXT://localhost:65536",
               "listener 'PLAINTEXT://localhost:65536' has invalid port '65536' (expected "
               "0..65535)"},
           Bad{"PLAINTEXT://localhost:-1",
               "listener 'PLAINTEXT://localhost:-1' has invalid port '-1' (expected 0..65535)"},
           Bad{"PLAINTEXT://localhost:",
               "listener 'PLAINTEXT://localhost:' has invalid port '' "
               "(expected 0..65535)"},
           Bad{"://localhost:1", "listener '://localhost:1' has no listener name before '://'"},
           Bad{"PLAINTEXT://[::1:9092",
               "listener 'PLAINTEXT://[::1:9092' has an unterminated "
               "'[' in the host"},
           Bad{"PLAINTEXT://[nothost]:9092",
               "listener 'PLAINTEXT://[nothost]:9092' has "
               "'[nothost]', which is not an IPv6 address"},
           Bad{"PLAINTEXT://ho st:9092",
               "listener 'PLAINTEXT://ho st:9092' has an invalid host "
               "'ho st'"},
           Bad{"EXTERNAL://h:1",
               "listener 'EXTERNAL://h:1' has no security protocol: add "
               "EXTERNAL:PLAINTEXT to listener.security.protocol.map"},
           Bad{"PLAINTEXT://a:1,plaintext://b:2",
               "listener 'plaintext://b:2' reuses the name PLAINTEXT; names must be unique"},
       }) {
    INFO(b.text);
    CHECK_FALSE(parse_listeners(b.text, map, &reason));
    CHECK(reason == b.reason);
  }

  CHECK_FALSE(parse_security_protocol_map("A:PLAINTEXT,B", &reason));
  CHECK(reason == "entry 'B' is not of the form NAME:PROTOCOL");
  CHECK_FALSE(parse_security_protocol_map("A:TLS", &reason));
  CHECK(reason ==
        "entry 'A:TLS' names unknown security protocol 'TLS' (known: [PLAINTEXT, SSL, "
        "SASL_PLAINTEXT, SASL_SSL])");
}

TEST_CASE("listeners in the broker configuration") {
  BrokerConfig c = must_load(
      "listeners=PLAINTEXT://:9092,PLAINTEXT6://[::1]:9093\n"
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,"
      "PLAINTEXT6:PLAINTEXT\n");
  REQUIRE(c.listeners.size() == 2);
  CHECK(c.advertised_listeners == c.listeners);

  c = must_load(
      "listeners=PLAINTEXT://0.0.0.0:9092\n"
      "advertised.listeners=PLAINTEXT://kafka.example.com:19092\n");
  REQUIRE(c.advertised_listeners.size() == 1);
  CHECK(c.advertised_listeners[0].to_string() == "PLAINTEXT://kafka.example.com:19092");
  CHECK(c.listeners[0].host == "0.0.0.0");

  // Kafka's KRaft sample: the CONTROLLER listener is parsed, not bound or advertised, and
  // defaults to PLAINTEXT when the protocol map is implicit.
  c = must_load(
      "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"
      "controller.listener.names=CONTROLLER\n"
      "advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093\n");
  REQUIRE(c.listeners.size() == 1);
  CHECK(c.listeners[0].name == "PLAINTEXT");
  REQUIRE(c.controller_listeners.size() == 1);
  CHECK(c.controller_listeners[0].port == 9093);
  REQUIRE(c.advertised_listeners.size() == 1);
  CHECK(c.advertised_listeners[0].name == "PLAINTEXT");

  // Same port on an IPv4 and an IPv6 address is allowed (KIP-797); port 0 may repeat.
  must_load(
      "listeners=A://127.0.0.1:9092,B://[::1]:9092\n"
      "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT");
  must_load(
      "listeners=A://127.0.0.1:0,B://127.0.0.1:0\n"
      "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT");

  const std::string expect =
      "expected a comma-separated list of NAME://host:port where NAME is in "
      "listener.security.protocol.map, host is a name, an IPv4 address, [IPv6 address] or "
      "empty (all interfaces), and port is in [0, 65535], e.g. PLAINTEXT://localhost:9092";
  CHECK(load_error("listeners=PLAINTEXT://localhost:99999") ==
        "Invalid value 'PLAINTEXT://localhost:99999' for configuration listeners: listener "
        "'PLAINTEXT://localhost:99999' has invalid port '99999' (expected 0..65535); " +
            expect);
  CHECK(load_error("listeners=FOO://localhost:9092") ==
        "Invalid value 'FOO://localhost:9092' for configuration listeners: listener "
        "'FOO://localhost:9092' has no security protocol: add FOO:PLAINTEXT to "
        "listener.security.protocol.map; " +
            expect);
  CHECK(load_error("listeners=") ==
        "Invalid value '' for configuration listeners: no listener to serve clients on; " + expect);
  CHECK(load_error("listeners=A://:9092,B://localhost:9092\n"
                   "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT") ==
        "Invalid value 'A://:9092,B://localhost:9092' for configuration listeners: port 9092 is "
        "used by more than one listener (only an IPv4 and an IPv6 address may share a port); " +
            expect);
  CHECK(load_error("listeners=SSL://:9093") ==
        "Invalid value 'SSL://:9093' for configuration listeners: listener SSL uses security "
        "protocol SSL, which Fjord does not support; expected PLAINTEXT listeners only");
  CHECK(load_error("advertised.listeners=OTHER://h:1\n"
                   "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT") ==
        "Invalid value 'OTHER://h:1' for configuration advertised.listeners: listener name "
        "OTHER is not defined in listeners; expected names from [PLAINTEXT]");
  CHECK(load_error("advertised.listeners=PLAINTEXT://0.0.0.0:9092") ==
        "Invalid value 'PLAINTEXT://0.0.0.0:9092' for configuration advertised.listeners: "
        "cannot advertise the non-routable address 0.0.0.0; expected a host name or routable "
        "IP address");
  CHECK(load_error("advertised.listeners=PLAINTEXT://h:0") ==
        "Invalid value 'PLAINTEXT://h:0' for configuration advertised.listeners: listener "
        "PLAINTEXT advertises port 0; expected a port in [1, 65535]");
  CHECK(load_error("listener.security.protocol.map=PLAINTEXT:TLS") ==
        "Invalid value 'PLAINTEXT:TLS' for configuration listener.security.protocol.map: entry "
        "'PLAINTEXT:TLS' names unknown security protocol 'TLS' (known: [PLAINTEXT, SSL, "
        "SASL_PLAINTEXT, SASL_SSL]); expected a comma-separated list of NAME:PROTOCOL with "
        "PROTOCOL one of [PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL]");
}

TEST_CASE("inter-broker listener keys are validated") {
  BrokerConfig c = must_load("inter.broker.listener.name=plaintext");
  CHECK(c.inter_broker_listener_name == "PLAINTEXT");
  CHECK(load_error("inter.broker.listener.name=INTERNAL") ==
        "Invalid value 'INTERNAL' for configuration inter.broker.listener.name: expected the "
        "name of a listener in [PLAINTEXT]");
  CHECK(load_error("inter.broker.listener.name=PLAINTEXT\n"
                   "security.inter.broker.protocol=PLAINTEXT") ==
        "Invalid value 'PLAINTEXT' for configuration inter.broker.listener.name: only one of "
        "inter.broker.listener.name and security.inter.broker.protocol may be set");
  CHECK(must_load("max.connections.per.ip.overrides=10.0.0.1:5, host:7")
            .max_connections_per_ip_overrides ==
        std::map<std::string, int32_t>{{"10.0.0.1", 5}, {"host", 7}});
}

// ---------------------------------------------------------------------------
// Topic configuration
// ---------------------------------------------------------------------------

TEST_CASE("topic config: broker values become topic defaults") {
  BrokerConfig b = must_load(
      "log.retention.hours=1\nlog.roll.hours=2\nlog.segment.bytes=1000\n"
      "log.cleanup.policy=compact,delete\nmessage.max.bytes=2000\ncompression.type=zstd\n"
      "log.message.timestamp.type=LogAppendTime\nlog.flush.scheduler.interval.ms=3000\n"
      "log.cleaner.min.cleanable.ratio=0.25\nlog.index.size.max.bytes=4096\n"
      "log.roll.jitter.hours=1\nmin.insync.replicas=2\n");
  TopicConfig t = effective(b, {});
  CHECK(t.retention_ms == 3600000);
  CHECK(t.segment_ms == 7200000);
  CHECK(t.segment_bytes == 1000);
  CHECK(t.cleanup_policy == CleanupPolicy{true, true});
  CHECK(t.max_message_bytes == 2000);
  CHECK(t.compression_type == CompressionType::kZstd);
  CHECK(t.message_timestamp_type == TimestampType::kLogAppendTime);
  CHECK(t.flush_ms == 3000);
  CHECK(t.min_cleanable_dirty_ratio == 0.25);
  CHECK(t.segment_index_bytes == 4096);
  CHECK(t.segment_jitter_ms == 3600000);
  CHECK(t.min_insync_replicas == 2);
}

TEST_CASE("topic config: overrides") {
  BrokerConfig b = must_load("log.retention.hours=1");
  std::vector<std::string> problems;
  TopicConfig t = effective(b,
                            {{"retention.ms", "1000"},
                             {"cleanup.policy", "compact"},
                             {"segment.bytes", " 2048 "},
                             {"min.cleanable.dirty.ratio", "0.1"},
                             {"message.timestamp.type", "LogAppendTime"},
                             {"unclean.leader.election.enable", "true"},
                             {"leader.replication.throttled.replicas", "0:1,1:1"},
                             {"retention.bytes", "nope"},
                             {"no.such.key", "1"}},
                            &problems);
  CHECK(t.retention_ms == 1000);
  CHECK(t.cleanup_policy == CleanupPolicy{false, true});
  CHECK(t.segment_bytes == 2048);
  CHECK(t.min_cleanable_dirty_ratio == 0.1);
  CHECK(t.message_timestamp_type == TimestampType::kLogAppendTime);
  CHECK(t.unclean_leader_election_enable);
  CHECK(t.leader_replication_throttled_replicas == std::vector<std::string>{"0:1", "1:1"});
  CHECK(t.retention_bytes == -1);  // invalid override skipped
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "Unknown topic config name: no.such.key");
  CHECK(problems[1] ==
        "Invalid value 'nope' for configuration retention.bytes: expected an integer in "
        "[-9223372036854775808, 9223372036854775807]");
  // cleanup.policy may be empty (neither delete nor compact).
  CHECK(effective(b, {{"cleanup.policy", ""}}).cleanup_policy == CleanupPolicy{false, false});
}

TEST_CASE("topic config: KIP-937 timestamp fallback") {
  BrokerConfig b = must_load("log.message.timestamp.difference.max.ms=5000");
  TopicConfig t = effective(b, {});
  CHECK(t.effective_timestamp_before_max_ms() == 5000);
  CHECK(t.effective_timestamp_after_max_ms() == 5000);
  t = effective(b, {{"message.timestamp.after.max.ms", "100"}});
  CHECK(t.effective_timestamp_before_max_ms() == 5000);
  CHECK(t.effective_timestamp_after_max_ms() == 100);
  CHECK(b.effective_timestamp_before_max_ms() == 5000);
}

TEST_CASE("topic config: validation") {
  CHECK_FALSE(validate_topic_config("retention.ms", "-1"));
  CHECK_FALSE(validate_topic_config("retention.ms", "0"));
  CHECK_FALSE(validate_topic_config("compression.type", "lz4"));
  CHECK_FALSE(validate_topic_config("cleanup.policy", "compact,delete"));
  CHECK_FALSE(validate_topic_config("message.format.version", "2.8-IV1"));
  CHECK_FALSE(validate_topic_config("follower.replication.throttled.replicas", "*"));
  CHECK(validate_topic_config("retention.ms", "-2") ==
        "Invalid value '-2' for configuration retention.ms: expected an integer in [-1, "
        "9223372036854775807]");
  CHECK(validate_topic_config("no.such.config", "1") ==
        "Unknown topic config name: no.such.config");
  CHECK(validate_topic_config("log.retention.ms", "1") ==
        "Unknown topic config name: log.retention.ms");
  CHECK(validate_topic_config("segment.bytes", "10") ==
        "Invalid value '10' for configuration segment.bytes: expected an integer in [14, "
        "2147483647]");
  CHECK(validate_topic_config("segment.ms", "0") ==
        "Invalid value '0' for configuration segment.ms: expected an integer in [1, "
        "9223372036854775807]");
  CHECK(validate_topic_config("min.insync.replicas", "0") ==
        "Invalid value '0' for configuration min.insync.replicas: expected an integer in [1, "
        "2147483647]");
  CHECK(validate_topic_config("min.cleanable.dirty.ratio", "2") ==
        "Invalid value '2' for configuration min.cleanable.dirty.ratio: expected a number in "
        "[0, 1]");
  CHECK(validate_topic_config("cleanup.policy", "remove") ==
        "Invalid value 'remove' for configuration cleanup.policy: expected a comma-separated "
        "list of values from [compact, delete]");
  CHECK(validate_topic_config("preallocate", "1") ==
        "Invalid value '1' for configuration preallocate: expected true or false");
  CHECK(validate_topic_config("message.format.version", "abc") ==
        "Invalid value 'abc' for configuration message.format.version: not a Kafka version; "
        "expected a Kafka version such as 3.0-IV1");
  CHECK(validate_topic_config("leader.replication.throttled.replicas", "0:x") ==
        "Invalid value '0:x' for configuration leader.replication.throttled.replicas: entry "
        "'0:x' is not partition:broker; expected '*' or a comma-separated list of "
        "partition:broker pairs");
  CHECK(is_topic_config("retention.ms"));
  CHECK_FALSE(is_topic_config("log.retention.ms"));

  BrokerConfig b = must_load("");
  CHECK_FALSE(validate_topic_configs(b, {{"retention.ms", "1"}, {"segment.ms", "10"}}));
  CHECK(validate_topic_configs(
            b, {{"min.compaction.lag.ms", "100"}, {"max.compaction.lag.ms", "50"}}) ==
        "conflict topic config setting min.compaction.lag.ms (100) > max.compaction.lag.ms (50)");
  CHECK(validate_topic_configs(b, {{"retention.ms", "x"}}) ==
        "Invalid value 'x' for configuration retention.ms: expected an integer in [-1, "
        "9223372036854775807]");
  // Cross-check against broker defaults too.
  BrokerConfig lag = must_load("log.cleaner.max.compaction.lag.ms=1000");
  CHECK(validate_topic_configs(lag, {{"min.compaction.lag.ms", "2000"}}).has_value());
}

// ---------------------------------------------------------------------------
// DescribeConfigs
// ---------------------------------------------------------------------------

TEST_CASE("describe topic: values, sources, synonyms") {
  BrokerConfig b = must_load("log.retention.hours=72\nlog.segment.bytes=1073741824\n");
  auto entries = describe_topic(b, {{"cleanup.policy", "compact"}, {"bogus", "1"}});
  CHECK(entries.size() == topic_config_keys().size());
  CHECK(std::is_sorted(entries.begin(), entries.end(),
                       [](const ConfigEntry& x, const ConfigEntry& y) { return x.name < y.name; }));
  CHECK_FALSE(has_entry(entries, "bogus"));

  const ConfigEntry& retention = entry(entries, "retention.ms");
  CHECK(retention.value == "259200000");
  CHECK(retention.source == ConfigSource::kStaticBrokerConfig);
  CHECK(retention.type == ConfigType::kLong);
  CHECK_FALSE(retention.read_only);
  CHECK_FALSE(retention.sensitive);
  CHECK_FALSE(retention.documentation.empty());
  CHECK(retention.synonyms ==
        std::vector<ConfigSynonym>{{"log.retention.hours", "72", ConfigSource::kStaticBrokerConfig},
                                   {"log.retention.hours", "168", ConfigSource::kDefaultConfig}});

  const ConfigEntry& cleanup = entry(entries, "cleanup.policy");
  CHECK(cleanup.value == "compact");
  CHECK(cleanup.source == ConfigSource::kDynamicTopicConfig);
  CHECK(cleanup.type == ConfigType::kList);
  CHECK(cleanup.synonyms ==
        std::vector<ConfigSynonym>{{"cleanup.policy", "compact", ConfigSource::kDynamicTopicConfig},
                                   {"log.cleanup.policy", "delete", ConfigSource::kDefaultConfig}});

  const ConfigEntry& segment = entry(entries, "segment.bytes");
  CHECK(segment.source == ConfigSource::kStaticBrokerConfig);
  CHECK(segment.synonyms.size() == 2);

  const ConfigEntry& seg_ms = entry(entries, "segment.ms");
  CHECK(seg_ms.value == "604800000");
  CHECK(seg_ms.source == ConfigSource::kDefaultConfig);
  CHECK(seg_ms.synonyms ==
        std::vector<ConfigSynonym>{{"log.roll.hours", "168", ConfigSource::kDefaultConfig}});

  const ConfigEntry& flush = entry(entries, "flush.ms");
  CHECK(flush.synonyms ==
        std::vector<ConfigSynonym>{{"log.flush.scheduler.interval.ms", "9223372036854775807",
                                    ConfigSource::kDefaultConfig}});

  CHECK(entry(entries, "min.cleanable.dirty.ratio").value == "0.5");
  CHECK(entry(entries, "min.cleanable.dirty.ratio").type == ConfigType::kDouble);
  CHECK(entry(describe_topic(b, {{"min.cleanable.dirty.ratio", "1"}}), "min.cleanable.dirty.ratio")
            .value == "1.0");
  CHECK(entry(entries, "unclean.leader.election.enable").value == "false");
  CHECK(entry(entries, "message.timestamp.type").value == "CreateTime");
  CHECK(entry(entries, "compression.type").value == "producer");
  CHECK(entry(entries, "leader.replication.throttled.replicas").value == "");
  // An invalid stored override is not reported as the topic's value.
  auto bad = describe_topic(b, {{"retention.ms", "x"}});
  CHECK(entry(bad, "retention.ms").source == ConfigSource::kStaticBrokerConfig);
}

TEST_CASE("describe broker") {
  LoadResult r = load_config_from_string(
      "num.partitions=3\nlog.retention.minutes=60\nssl.keystore.password=secret\n"
      "zookeeper.connect=zk:2181\n");
  REQUIRE(r.ok());
  CHECK(r.notices.size() == 2);
  auto entries = describe_broker(*r.config);
  CHECK(std::is_sorted(entries.begin(), entries.end(),
                       [](const ConfigEntry& x, const ConfigEntry& y) { return x.name < y.name; }));
  for (const ConfigEntry& e : entries) CHECK(e.read_only);

  const ConfigEntry& parts = entry(entries, "num.partitions");
  CHECK(parts.value == "3");
  CHECK(parts.source == ConfigSource::kStaticBrokerConfig);
  CHECK(parts.type == ConfigType::kInt);
  CHECK(parts.synonyms ==
        std::vector<ConfigSynonym>{{"num.partitions", "3", ConfigSource::kStaticBrokerConfig},
                                   {"num.partitions", "1", ConfigSource::kDefaultConfig}});

  const ConfigEntry& io = entry(entries, "num.io.threads");
  CHECK(io.value == "8");
  CHECK(io.source == ConfigSource::kDefaultConfig);

  const ConfigEntry& ms = entry(entries, "log.retention.ms");
  CHECK_FALSE(ms.value.has_value());  // null, as Kafka reports it
  CHECK(ms.source == ConfigSource::kDefaultConfig);
  CHECK(ms.synonyms == std::vector<ConfigSynonym>{
                           {"log.retention.minutes", "60", ConfigSource::kStaticBrokerConfig},
                           {"log.retention.hours", "168", ConfigSource::kDefaultConfig}});

  const ConfigEntry& pw = entry(entries, "ssl.keystore.password");
  CHECK(pw.sensitive);
  CHECK_FALSE(pw.value.has_value());
  CHECK(pw.type == ConfigType::kPassword);
  CHECK(pw.source == ConfigSource::kStaticBrokerConfig);
  CHECK(pw.synonyms.size() == 1);
  CHECK_FALSE(pw.synonyms[0].value.has_value());

  CHECK(entry(entries, "zookeeper.connect").value == "zk:2181");
  CHECK_FALSE(has_entry(entries, "controller.quorum.voters"));  // ignored and unset
  CHECK(entry(entries, "listeners").value == "PLAINTEXT://localhost:9092");
  CHECK(to_string(ConfigSource::kStaticBrokerConfig) == "STATIC_BROKER_CONFIG");
  CHECK(static_cast<int>(ConfigSource::kDynamicTopicConfig) == 1);
  CHECK(static_cast<int>(ConfigSource::kStaticBrokerConfig) == 4);
  CHECK(static_cast<int>(ConfigSource::kDefaultConfig) == 5);
  CHECK(static_cast<int>(ConfigType::kPassword) == 9);
}

TEST_CASE("key catalogue is consistent") {
  std::set<std::string> names;
  for (const ConfigKeyInfo& k : broker_config_keys()) {
    INFO(k.name);
    CHECK(names.insert(k.name).second);
    CHECK_FALSE(k.documentation.empty());
    CHECK_FALSE(k.valid_values.empty());
    for (const std::string& s : k.synonyms) CHECK(names.count(s) + 1 > 0);
  }
  auto topic = topic_config_keys();
  CHECK(std::is_sorted(topic.begin(), topic.end(),
                       [](const auto& a, const auto& b) { return a.name < b.name; }));
  for (const ConfigKeyInfo& k : topic) {
    INFO(k.name);
    for (const std::string& s : k.synonyms) CHECK(names.count(s) == 1);
  }
}

// ---------------------------------------------------------------------------
// conf/server.properties and docs/configuration.md
// ---------------------------------------------------------------------------

TEST_CASE("conf/server.properties loads cleanly and lists every honoured key at its default") {
  LoadResult r = load_config(std::filesystem::path(FJORD_SERVER_PROPERTIES), {});
  for (const auto& e : r.errors) INFO(e);
  for (const auto& w : r.warnings) INFO(w);
  CHECK(r.errors.empty());
  CHECK(r.warnings.empty());
  CHECK(r.notices.empty());
  REQUIRE(r.ok());

  // Treat "#key=value" lines (no space after '#') as commented-out settings.
  std::string text = read_file(FJORD_SERVER_PROPERTIES);
  std::string uncommented;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 1 && line[0] == '#' && std::islower(static_cast<unsigned char>(line[1]))) {
      uncommented += line.substr(1) + "\n";
    } else {
      uncommented += line + "\n";
    }
  }
  auto parsed = parse_properties(uncommented, "server.properties");
  REQUIRE(parsed.errors.empty());
  std::map<std::string, std::string> listed;
  for (const Property& p : parsed.properties) {
    INFO(p.origin << " " << p.key);
    CHECK(listed.emplace(p.key, p.value).second);  // each key once
  }
  for (const ConfigKeyInfo& k : broker_config_keys()) {
    INFO(k.name);
    auto it = listed.find(k.name);
    if (!k.honoured) {
      CHECK(it == listed.end());
      continue;
    }
    REQUIRE(it != listed.end());
    if (k.default_value) {
      CHECK(it->second == *k.default_value);
    } else {
      // Null default: the example must be valid on its own.
      LoadResult one = load_config_from_string("", {k.name + "=" + it->second});
      CHECK(one.errors.empty());
    }
  }
}

TEST_CASE("Kafka's own sample configurations load") {
  // The settings of Kafka 3.x config/kraft/server.properties.
  LoadResult r = load_config_from_string(
      "process.roles=broker,controller\n"
      "node.id=1\n"
      "controller.quorum.voters=1@localhost:9093\n"
      "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"
      "inter.broker.listener.name=PLAINTEXT\n"
      "advertised.listeners=PLAINTEXT://localhost:9092\n"
      "controller.listener.names=CONTROLLER\n"
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,"
      "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL\n"
      "num.network.threads=3\nnum.io.threads=8\n"
      "socket.send.buffer.bytes=102400\nsocket.receive.buffer.bytes=102400\n"
      "socket.request.max.bytes=104857600\n"
      "log.dirs=/tmp/kraft-combined-logs\n"
      "num.partitions=1\nnum.recovery.threads.per.data.dir=1\n"
      "offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\n"
      "transaction.state.log.min.isr=1\n"
      "#log.flush.interval.messages=10000\n#log.flush.interval.ms=1000\n"
      "log.retention.hours=168\n#log.retention.bytes=1073741824\n"
      "log.segment.bytes=1073741824\nlog.retention.check.interval.ms=300000\n");
  for (const auto& e : r.errors) INFO(e);
  REQUIRE(r.ok());
  CHECK(r.warnings.empty());
  CHECK(r.notices.size() == 3);  // process.roles, controller.quorum.voters, inter.broker...
  CHECK(r.config->listeners.size() == 1);
  CHECK(r.config->listeners[0].to_string() == "PLAINTEXT://:9092");
  CHECK(r.config->log_dir == "/tmp/kraft-combined-logs");

  // The ZooKeeper-era config/server.properties.
  r = load_config_from_string(
      "broker.id=0\n#listeners=PLAINTEXT://:9092\nnum.network.threads=3\n"
      "log.dirs=/tmp/kafka-logs\nzookeeper.connect=localhost:2181\n"
      "zookeeper.connection.timeout.ms=18000\ngroup.initial.rebalance.delay.ms=0\n");
  REQUIRE(r.ok());
  CHECK(r.warnings.empty());
  CHECK(r.notices.size() == 2);
  CHECK(r.config->node_id == 0);
  CHECK(r.config->group_initial_rebalance_delay_ms == 0);
}

TEST_CASE("docs/configuration.md documents every key") {
  std::string doc = read_file(FJORD_CONFIGURATION_MD);
  for (const ConfigKeyInfo& k : broker_config_keys()) {
    INFO(k.name);
    CHECK(doc.find("`" + k.name + "`") != std::string::npos);
  }
  for (const ConfigKeyInfo& k : topic_config_keys()) {
    INFO(k.name);
    CHECK(doc.find("| `" + k.name + "` |") != std::string::npos);
  }
}

// ---------------------------------------------------------------------------
// meta.properties
// ---------------------------------------------------------------------------

TEST_CASE("uuids") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string id = generate_uuid();
    CHECK(id.size() == 22);
    CHECK(id.front() != '-');
    CHECK(is_valid_uuid(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 200);
  CHECK(is_valid_uuid("MkU3OEVBNTcwNTJENDM2Qg"));
  CHECK(is_valid_uuid("MkU3OEVBNTcwNTJENDM2Qg=="));
  CHECK_FALSE(is_valid_uuid("MkU3OEVBNTcwNTJENDM2Q"));
  CHECK_FALSE(is_valid_uuid("MkU3OEVBNTcwNTJENDM2Q+"));
  CHECK_FALSE(is_valid_uuid(""));
}

TEST_CASE("meta.properties is created once and checked afterwards") {
  TempDir tmp;
  std::string dir = (tmp.path / "logs").string();
  BrokerConfig c = must_load("log.dirs=" + dir + "\nnode.id=3\n");
  MetaResult first = ensure_meta_properties(c);
  REQUIRE(first.error.empty());
  REQUIRE(first.meta);
  CHECK(first.created);
  CHECK(first.meta->node_id == 3);
  CHECK(first.meta->version == 1);
  CHECK(is_valid_uuid(first.meta->cluster_id));
  REQUIRE(first.meta->directory_id);
  CHECK(std::filesystem::exists(tmp.path / "logs" / "meta.properties"));
  CHECK_FALSE(std::filesystem::exists(tmp.path / "logs" / "meta.properties.tmp"));

  MetaResult second = ensure_meta_properties(c);
  REQUIRE(second.error.empty());
  CHECK_FALSE(second.created);
  CHECK(second.meta->cluster_id == first.meta->cluster_id);
  CHECK(second.meta->directory_id == first.meta->directory_id);

  BrokerConfig other_node = must_load("log.dirs=" + dir + "\nnode.id=4\n");
  MetaResult bad = ensure_meta_properties(other_node);
  CHECK_FALSE(bad.meta);
  CHECK(bad.error.find("Stored node id 3") != std::string::npos);

  BrokerConfig other_cluster =
      must_load("log.dirs=" + dir + "\nnode.id=3\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n");
  bad = ensure_meta_properties(other_cluster);
  CHECK_FALSE(bad.meta);
  CHECK(bad.error.find("doesn't match cluster.id " + first.meta->cluster_id) != std::string::npos);
}

TEST_CASE("meta.properties: configured cluster id and Kafka's v0 format") {
  TempDir tmp;
  BrokerConfig c =
      must_load("log.dir=" + tmp.path.string() + "/a\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg");
  MetaResult m = ensure_meta_properties(c);
  REQUIRE(m.meta);
  CHECK(m.meta->cluster_id == "MkU3OEVBNTcwNTJENDM2Qg");

  std::filesystem::create_directories(tmp.path / "b");
  {
    std::ofstream out(tmp.path / "b" / "meta.properties");
    out << "#\n#Tue Nov 22 04:18:00 UTC 2022\nversion=0\nbroker.id=1\ncluster.id=legacy-id\n";
  }
  BrokerConfig v0 = must_load("log.dir=" + tmp.path.string() + "/b");
  m = ensure_meta_properties(v0);
  REQUIRE(m.error.empty());
  CHECK(m.meta->version == 0);
  CHECK(m.meta->node_id == 1);
  CHECK(m.meta->cluster_id == "legacy-id");
  CHECK_FALSE(m.meta->directory_id);

  {
    std::ofstream out(tmp.path / "b" / "meta.properties");
    out << "version=7\nnode.id=1\ncluster.id=x\n";
  }
  m = ensure_meta_properties(v0);
  CHECK_FALSE(m.meta);
  CHECK(m.error.find("unsupported version '7'") != std::string::npos);
}

TEST_CASE("load_config from a file path") {
  TempDir tmp;
  auto path = tmp.path / "server.properties";
  {
    std::ofstream out(path);
    out << "num.partitions=4\nbogus=1\n";
  }
  LoadResult r = load_config(path, {"num.io.threads=2"});
  REQUIRE(r.ok());
  CHECK(r.config->num_partitions == 4);
  CHECK(r.config->num_io_threads == 2);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "Unknown configuration 'bogus' (" + path.string() + ":2) is ignored");

  r = load_config(tmp.path / "missing.properties", {});
  CHECK_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find("Cannot read configuration file") == 0);

  // No file at all: defaults plus overrides.
  r = load_config(std::nullopt, {"num.partitions=9"});
  REQUIRE(r.ok());
  CHECK(r.config->num_partitions == 9);
}
