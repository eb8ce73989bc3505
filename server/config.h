// Broker and topic configuration: Kafka's keys, names, defaults, units and
// validation, read from a Java .properties file plus `--override key=value`
// strings (later ones win).
//
//   LoadResult r = load_config("conf/server.properties", overrides);
//   for (auto& w : r.warnings) log_warn(w);      // unknown keys, one line each
//   for (auto& n : r.notices) log_info(n);       // known Kafka keys Fjord ignores
//   if (!r.ok()) { for (auto& e : r.errors) log_error(e); exit(1); }
//   const BrokerConfig& cfg = *r.config;
//
// The per-topic model (TopicConfig, effective(), validate_topic_config(),
// describe_topic()) drives CreateTopics / AlterConfigs / DescribeConfigs.
// docs/configuration.md lists every key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fjord::config {

inline constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
inline constexpr int32_t kIntMax = std::numeric_limits<int32_t>::max();

// ---------------------------------------------------------------------------
// Java .properties
// ---------------------------------------------------------------------------

// One key/value pair and where it came from ("server.properties:12",
// "--override"), for messages.
struct Property {
  std::string key;
  std::string value;
  std::string origin;
};

struct PropertiesParseResult {
  std::vector<Property> properties;  // in file order; duplicates kept (last wins later)
  std::vector<std::string> errors;   // e.g. malformed \uXXXX, with origin and line
};

// Parses text with java.util.Properties.load() rules: '#' and '!' comments,
// `key=value`, `key: value`, `key value`, leading whitespace skipped, trailing
// backslash continues the logical line (the next line's leading whitespace is
// dropped), escapes \t \n \r \f \uXXXX (UTF-16, surrogate pairs combined,
// emitted as UTF-8) and \c -> c for any other c. Bytes are taken as UTF-8
// (Java reads ISO-8859-1). `origin` prefixes messages ("server.properties").
PropertiesParseResult parse_properties(std::string_view text, std::string_view origin);

// Parses one `--override key=value` argument (split on the first '=').
// Returns nullopt and sets *error when there is no '=' or the key is empty.
std::optional<Property> parse_override(std::string_view arg, std::string* error);

// ---------------------------------------------------------------------------
// Enumerations shared with the protocol layer (ids are Kafka's wire ids)
// ---------------------------------------------------------------------------

// DescribeConfigs ConfigType.
enum class ConfigType : int8_t {
  kUnknown = 0,
  kBoolean = 1,
  kString = 2,
  kInt = 3,
  kShort = 4,
  kLong = 5,
  kDouble = 6,
  kList = 7,
  kClass = 8,
  kPassword = 9,
};
std::string_view to_string(ConfigType type);

// DescribeConfigs ConfigSource.
enum class ConfigSource : int8_t {
  kUnknown = 0,
  kDynamicTopicConfig = 1,
  kDynamicBrokerConfig = 2,
  kDynamicDefaultBrokerConfig = 3,
  kStaticBrokerConfig = 4,
  kDefaultConfig = 5,
  kDynamicBrokerLoggerConfig = 6,
  kClientMetricsConfig = 7,
  kGroupConfig = 8,
};
std::string_view to_string(ConfigSource source);

enum class SecurityProtocol : int16_t {
  kPlaintext = 0,
  kSsl = 1,
  kSaslPlaintext = 2,
  kSaslSsl = 3,
};
std::string_view to_string(SecurityProtocol protocol);  // "PLAINTEXT", ...

// Record timestamp type (the value of the batch attribute bit).
enum class TimestampType : int8_t { kCreateTime = 0, kLogAppendTime = 1 };
std::string_view to_string(TimestampType type);  // "CreateTime" / "LogAppendTime"

// compression.type: `producer` keeps whatever codec the producer used.
enum class CompressionType : int8_t {
  kProducer,
  kUncompressed,
  kGzip,
  kSnappy,
  kLz4,
  kZstd,
};
std::string_view to_string(CompressionType type);  // "producer", "gzip", ...

struct CleanupPolicy {
  bool remove = true;    // "delete": drop old segments by time/size
  bool compact = false;  // "compact": keep the latest record per key
  bool operator==(const CleanupPolicy&) const = default;
  std::string to_string() const;  // "delete", "compact", "compact,delete" or ""
};

// ---------------------------------------------------------------------------
// Listeners
// ---------------------------------------------------------------------------

// One entry of `listeners` / `advertised.listeners`: NAME://host:port.
struct Listener {
  std::string name;  // upper-cased, e.g. "PLAINTEXT"
  std::string host;  // "" = all interfaces; IPv6 literals without brackets
  int32_t port = 0;  // 0..65535; 0 = any free port (listeners only)
  SecurityProtocol protocol = SecurityProtocol::kPlaintext;
  bool operator==(const Listener&) const = default;
  // "PLAINTEXT://localhost:9092", "PLAINTEXT://[::1]:9092", "PLAINTEXT://:9092".
  std::string to_string() const;
};

// listener.security.protocol.map: upper-cased listener name -> protocol.
using SecurityProtocolMap = std::map<std::string, SecurityProtocol>;

// Parses "NAME:PROTOCOL,NAME:PROTOCOL". Returns nullopt and sets *reason.
std::optional<SecurityProtocolMap> parse_security_protocol_map(std::string_view text,
                                                               std::string* reason);

// Parses a comma-separated listener list against `map` (each name must be
// mapped). Checks syntax, port range and unique names only; on failure returns
// nullopt and sets *reason (a sentence naming the bad listener).
std::optional<std::vector<Listener>> parse_listeners(std::string_view text,
                                                     const SecurityProtocolMap& map,
                                                     std::string* reason);

// ---------------------------------------------------------------------------
// Broker configuration
// ---------------------------------------------------------------------------

// Every value is the effective one: defaults applied, synonyms resolved
// (log.retention.ms > .minutes > .hours, log.roll.ms > .hours, log.dirs >
// log.dir, node.id / broker.id, ...). Field names follow the Kafka keys.
struct BrokerConfig {
  // --- Server basics
  int32_t node_id = 1;                     // node.id / broker.id
  std::optional<std::string> cluster_id;   // cluster.id (optional; see meta.properties)
  std::optional<std::string> broker_rack;  // broker.rack
  std::vector<std::string> process_roles;  // process.roles (validated, no effect)

  // --- Socket server
  // Listeners the broker binds: `listeners` minus controller listeners.
  std::vector<Listener> listeners;
  // What Metadata/FindCoordinator return. Defaults to `listeners`. An empty
  // host means "this machine": the broker substitutes its host name; port 0
  // means the port actually bound.
  std::vector<Listener> advertised_listeners;
  // Listeners named in controller.listener.names: parsed, not bound.
  std::vector<Listener> controller_listeners;
  SecurityProtocolMap listener_security_protocol_map;
  std::vector<std::string> controller_listener_names;
  std::optional<std::string> inter_broker_listener_name;
  SecurityProtocol security_inter_broker_protocol = SecurityProtocol::kPlaintext;
  int32_t num_network_threads = 3;
  int32_t num_io_threads = 8;
  int32_t background_threads = 10;
  int32_t queued_max_requests = 500;
  int32_t socket_send_buffer_bytes = 102400;     // -1 = OS default
  int32_t socket_receive_buffer_bytes = 102400;  // -1 = OS default
  int32_t socket_request_max_bytes = 104857600;
  int32_t socket_listen_backlog_size = 50;
  int64_t connections_max_idle_ms = 600000;  // negative = never close idle connections
  int32_t max_connections = kIntMax;
  int32_t max_connections_per_ip = kIntMax;
  std::map<std::string, int32_t> max_connections_per_ip_overrides;

  // --- Log basics
  std::string log_dir = "./data";  // log.dirs / log.dir (exactly one directory)
  int32_t num_partitions = 1;
  int32_t default_replication_factor = 1;
  bool auto_create_topics_enable = true;
  bool delete_topic_enable = true;
  int32_t num_recovery_threads_per_data_dir = 1;
  int32_t message_max_bytes = 1048588;
  int32_t fetch_max_bytes = 57671680;
  int32_t max_incremental_fetch_session_cache_slots = 1000;

  // --- Segments, indexes, flushing
  int32_t log_segment_bytes = 1073741824;
  int64_t log_roll_ms = 168LL * 3600000;  // log.roll.ms > log.roll.hours
  int64_t log_roll_jitter_ms = 0;         // log.roll.jitter.ms > log.roll.jitter.hours
  int32_t log_index_size_max_bytes = 10485760;
  int32_t log_index_interval_bytes = 4096;
  int64_t log_flush_interval_messages = kLongMax;
  int64_t log_flush_interval_ms = kLongMax;  // unset -> log.flush.scheduler.interval.ms
  int64_t log_flush_scheduler_interval_ms = kLongMax;
  int32_t log_flush_offset_checkpoint_interval_ms = 60000;
  int32_t log_flush_start_offset_checkpoint_interval_ms = 60000;
  int64_t log_segment_delete_delay_ms = 60000;
  bool log_preallocate = false;

  // --- Retention and cleaning
  int64_t log_retention_ms = 168LL * 3600000;  // -1 = unlimited
  int64_t log_retention_bytes = -1;            // negative = unlimited
  int64_t log_retention_check_interval_ms = 300000;
  CleanupPolicy log_cleanup_policy;
  bool log_cleaner_enable = true;
  int32_t log_cleaner_threads = 1;
  int64_t log_cleaner_dedupe_buffer_size = 134217728;
  int64_t log_cleaner_backoff_ms = 15000;
  double log_cleaner_min_cleanable_ratio = 0.5;
  int64_t log_cleaner_delete_retention_ms = 86400000;
  int64_t log_cleaner_min_compaction_lag_ms = 0;
  int64_t log_cleaner_max_compaction_lag_ms = kLongMax;

  // --- Records
  TimestampType log_message_timestamp_type = TimestampType::kCreateTime;
  int64_t log_message_timestamp_difference_max_ms = kLongMax;  // deprecated by KIP-937
  int64_t log_message_timestamp_before_max_ms = kLongMax;
  int64_t log_message_timestamp_after_max_ms = kLongMax;
  bool log_message_downconversion_enable = true;
  CompressionType compression_type = CompressionType::kProducer;
  int32_t compression_gzip_level = -1;  // -1 = zlib default (6)
  int32_t compression_lz4_level = 9;
  int32_t compression_zstd_level = 3;

  // --- Replication (single node: validated, reported, mostly moot)
  int32_t min_insync_replicas = 1;
  bool unclean_leader_election_enable = false;

  // --- Group coordinator
  int32_t group_initial_rebalance_delay_ms = 3000;
  int32_t group_min_session_timeout_ms = 6000;
  int32_t group_max_session_timeout_ms = 1800000;
  int32_t group_max_size = kIntMax;
  int32_t group_consumer_session_timeout_ms = 45000;  // KIP-848 consumer groups
  int32_t group_consumer_heartbeat_interval_ms = 5000;
  int32_t group_consumer_max_size = kIntMax;
  int32_t offsets_topic_num_partitions = 50;
  int16_t offsets_topic_replication_factor = 1;  // Kafka: 3; a single node has one replica
  int32_t offsets_topic_segment_bytes = 104857600;
  int32_t offsets_load_buffer_size = 5242880;
  int32_t offsets_retention_minutes = 10080;
  int64_t offsets_retention_check_interval_ms = 600000;
  int32_t offsets_commit_timeout_ms = 5000;
  int32_t offset_metadata_max_bytes = 4096;

  // --- Transactions and idempotent producers
  int32_t transaction_max_timeout_ms = 900000;
  int32_t transactional_id_expiration_ms = 604800000;
  int32_t transaction_state_log_num_partitions = 50;
  int16_t transaction_state_log_replication_factor = 1;  // Kafka: 3
  int32_t transaction_state_log_min_isr = 1;             // Kafka: 2
  int32_t transaction_state_log_segment_bytes = 104857600;
  int32_t transaction_state_log_load_buffer_size = 5242880;
  int32_t transaction_abort_timed_out_transaction_cleanup_interval_ms = 10000;
  int32_t transaction_remove_expired_transaction_cleanup_interval_ms = 3600000;
  int32_t producer_id_expiration_ms = 86400000;
  int32_t producer_id_expiration_check_interval_ms = 600000;
  bool transaction_partition_verification_enable = true;

  // Every known key (honoured or ignored) that was set in the file or an
  // override, with its last value as given (trimmed); unknown keys are not
  // kept. Source of STATIC_BROKER_CONFIG in DescribeConfigs.
  std::map<std::string, std::string> static_configs;

  // KIP-937: before/after fall back to difference.max.ms when left at default.
  int64_t effective_timestamp_before_max_ms() const;
  int64_t effective_timestamp_after_max_ms() const;
  int64_t offsets_retention_ms() const { return int64_t{offsets_retention_minutes} * 60000; }
};

// Result of loading. `config` is set iff `errors` is empty.
struct LoadResult {
  std::optional<BrokerConfig> config;
  std::vector<std::string> errors;    // stop startup; each names key, value, accepted values
  std::vector<std::string> warnings;  // one per unknown key (and other suspicious settings)
  std::vector<std::string> notices;   // one per known Kafka key that Fjord accepts but ignores
  bool ok() const { return errors.empty() && config.has_value(); }
};

// Builds the configuration from properties in order; a later duplicate key
// overrides an earlier one.
LoadResult load_config(const std::vector<Property>& properties);

// Reads `file` (if given) then applies `overrides` ("key=value" each).
// A missing/unreadable file or malformed override is an error.
LoadResult load_config(const std::optional<std::filesystem::path>& file,
                       const std::vector<std::string>& overrides);

// Parses `text` as a properties file named "<string>" then applies overrides.
LoadResult load_config_from_string(std::string_view text,
                                   const std::vector<std::string>& overrides = {});

// ---------------------------------------------------------------------------
// Per-topic configuration
// ---------------------------------------------------------------------------

struct TopicConfig {
  CleanupPolicy cleanup_policy;
  CompressionType compression_type = CompressionType::kProducer;
  int32_t compression_gzip_level = -1;
  int32_t compression_lz4_level = 9;
  int32_t compression_zstd_level = 3;
  int64_t delete_retention_ms = 86400000;
  int64_t file_delete_delay_ms = 60000;
  int64_t flush_messages = kLongMax;
  int64_t flush_ms = kLongMax;
  int32_t index_interval_bytes = 4096;
  int64_t max_compaction_lag_ms = kLongMax;
  int32_t max_message_bytes = 1048588;
  bool message_downconversion_enable = true;
  std::string message_format_version = "3.0-IV1";  // deprecated, ignored
  int64_t message_timestamp_difference_max_ms = kLongMax;
  int64_t message_timestamp_before_max_ms = kLongMax;
  int64_t message_timestamp_after_max_ms = kLongMax;
  TimestampType message_timestamp_type = TimestampType::kCreateTime;
  double min_cleanable_dirty_ratio = 0.5;
  int64_t min_compaction_lag_ms = 0;
  int32_t min_insync_replicas = 1;
  bool preallocate = false;
  int64_t retention_bytes = -1;      // negative = unlimited
  int64_t retention_ms = 604800000;  // -1 = unlimited
  int32_t segment_bytes = 1073741824;
  int32_t segment_index_bytes = 10485760;
  int64_t segment_jitter_ms = 0;
  int64_t segment_ms = 604800000;
  bool unclean_leader_election_enable = false;
  std::vector<std::string> leader_replication_throttled_replicas;    // ignored
  std::vector<std::string> follower_replication_throttled_replicas;  // ignored

  int64_t effective_timestamp_before_max_ms() const;
  int64_t effective_timestamp_after_max_ms() const;
};

// The topic's configuration: the broker's effective values for every topic
// key, then `overrides` (topic-level keys such as "retention.ms"). Unknown or
// invalid overrides are skipped; if `problems` is given one message per
// skipped entry is appended. Validate with validate_topic_configs() first.
TopicConfig effective(const BrokerConfig& broker,
                      const std::map<std::string, std::string>& overrides,
                      std::vector<std::string>* problems = nullptr);

// Validates one topic-level key/value (CreateTopics, AlterConfigs,
// IncrementalAlterConfigs SET). nullopt = valid; otherwise the message for an
// INVALID_CONFIG error, e.g. "Unknown topic config name: foo" or
// "Invalid value 'x' for configuration retention.ms: expected an integer in [-1, ...]".
std::optional<std::string> validate_topic_config(std::string_view key, std::string_view value);

// Validates a whole override set: each entry, then cross-key rules against the
// broker defaults (min.compaction.lag.ms <= max.compaction.lag.ms).
std::optional<std::string> validate_topic_configs(
    const BrokerConfig& broker, const std::map<std::string, std::string>& overrides);

bool is_topic_config(std::string_view key);

// ---------------------------------------------------------------------------
// DescribeConfigs
// ---------------------------------------------------------------------------

struct ConfigSynonym {
  std::string name;
  std::optional<std::string> value;  // nullopt for sensitive or null values
  ConfigSource source = ConfigSource::kUnknown;
  bool operator==(const ConfigSynonym&) const = default;
};

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;  // nullopt = null (unset without default, or sensitive)
  ConfigSource source = ConfigSource::kDefaultConfig;
  bool read_only = false;
  bool sensitive = false;
  ConfigType type = ConfigType::kString;
  std::string documentation;
  // Highest precedence first: the topic override, then each broker synonym
  // set in the file (STATIC_BROKER_CONFIG), then broker defaults (DEFAULT_CONFIG).
  std::vector<ConfigSynonym> synonyms;
};

// All topic keys, sorted by name: effective value (in topic units), source
// (DYNAMIC_TOPIC_CONFIG / STATIC_BROKER_CONFIG / DEFAULT_CONFIG), synonyms.
// Unknown keys in `overrides` are not listed.
std::vector<ConfigEntry> describe_topic(const BrokerConfig& broker,
                                        const std::map<std::string, std::string>& overrides);

// All honoured broker keys (plus ignored keys that were set), sorted by name:
// value as configured or default, STATIC_BROKER_CONFIG or DEFAULT_CONFIG,
// read_only (Fjord has no dynamic broker configs), sensitive for passwords.
std::vector<ConfigEntry> describe_broker(const BrokerConfig& broker);

// ---------------------------------------------------------------------------
// Key catalogue (docs, server.properties, tests)
// ---------------------------------------------------------------------------

struct ConfigKeyInfo {
  std::string name;
  ConfigType type = ConfigType::kString;
  std::optional<std::string> default_value;  // Fjord's default as a string; nullopt = null
  std::string valid_values;                  // e.g. "an integer in [14, 2147483647]"
  std::string documentation;
  bool honoured = true;  // false: accepted (validated if typed) but has no effect
  bool sensitive = false;
  // Broker keys: lower-precedence alternatives (log.retention.ms -> minutes,
  // hours). Topic keys: the broker keys that supply the default, in order.
  std::vector<std::string> synonyms;
};

std::vector<ConfigKeyInfo> broker_config_keys();  // definition order (grouped)
std::vector<ConfigKeyInfo> topic_config_keys();   // sorted by name

// ---------------------------------------------------------------------------
// meta.properties (cluster id, node id) in the log directory
// ---------------------------------------------------------------------------

struct MetaProperties {
  int32_t version = 1;
  std::string cluster_id;
  int32_t node_id = -1;
  std::optional<std::string> directory_id;
};

// A random Kafka Uuid in its string form: 22 characters of URL-safe base64
// without padding, never starting with '-'.
std::string generate_uuid();
// True for a string Kafka's Uuid.fromString accepts (22 chars -> 16 bytes).
bool is_valid_uuid(std::string_view text);

struct MetaResult {
  std::optional<MetaProperties> meta;
  std::string error;
  bool created = false;  // true when this call wrote a new meta.properties
};

// Reads <log_dir>/meta.properties, or creates the directory and writes one
// (cluster.id from the config, else generated; a fresh directory.id), atomically.
// Errors when the stored node id or cluster id disagree with the config.
MetaResult ensure_meta_properties(const BrokerConfig& config);

}  // namespace fjord::config
