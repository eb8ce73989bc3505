// Per-log configuration: the topic configs the storage layer acts on, with Kafka's names,
// defaults and validation. Broker-wide defaults come from server.properties keys
// (log.segment.bytes, log.retention.hours, ...); per-topic overrides use the topic config
// names (segment.bytes, retention.ms, ...). See docs/storage.md, "Configuration".
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

namespace fjord::log {

struct LogConfig {
  int32_t segment_bytes = 1024 * 1024 * 1024;                    // segment.bytes
  int64_t segment_ms = 7LL * 24 * 60 * 60 * 1000;                // segment.ms
  int64_t segment_jitter_ms = 0;                                 // segment.jitter.ms
  int32_t segment_index_bytes = 10 * 1024 * 1024;                // segment.index.bytes
  int32_t index_interval_bytes = 4096;                           // index.interval.bytes
  int64_t retention_ms = 7LL * 24 * 60 * 60 * 1000;              // retention.ms (-1: forever)
  int64_t retention_bytes = -1;                                  // retention.bytes (-1: no limit)
  int64_t flush_messages = std::numeric_limits<int64_t>::max();  // flush.messages
  int64_t flush_ms = std::numeric_limits<int64_t>::max();        // flush.ms
  bool cleanup_delete = true;                                    // cleanup.policy contains delete
  bool cleanup_compact = false;                                  // cleanup.policy contains compact
  int64_t file_delete_delay_ms = 60000;                          // file.delete.delay.ms (unused)
  int32_t max_message_bytes = 1048588;                           // max.message.bytes

  // Every topic-level override applied to this config, as given (including keys the storage
  // layer does not interpret, such as compression.type), for the layers above.
  std::map<std::string, std::string> overrides;

  // Builds broker defaults from server.properties-style keys. Keys that are not log configs
  // are ignored (the file holds much else); bad values of log keys throw kInvalidConfig.
  static LogConfig from_broker_properties(const std::map<std::string, std::string>& props);

  // `base` with topic overrides applied. Unknown keys and bad values throw kInvalidConfig.
  static LogConfig with_overrides(const LogConfig& base,
                                  const std::map<std::string, std::string>& overrides);

  // Whether `key` is a Kafka topic config name.
  static bool is_topic_config(std::string_view key);
};

}  // namespace fjord::log
