#include "log/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "log/error.h"

namespace fjord::log {

namespace {

constexpr std::array<std::string_view, 36> kTopicConfigs = {
    "cleanup.policy",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.type",
    "compression.zstd.level",
    "delete.retention.ms",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.downconversion.enable",
    "message.format.version",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.difference.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "remote.log.copy.disable",
    "remote.log.delete.on.disable",
    "remote.storage.enable",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
    "segment.ms",
    "unclean.leader.election.enable",
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

[[noreturn]] void bad(std::string_view key, std::string_view value, std::string_view why) {
  throw LogError(LogErrc::kInvalidConfig, "invalid value '" + std::string(value) + "' for " +
                                              std::string(key) + ": " + std::string(why));
}

template <typename T>
T parse_number(std::string_view key, std::string_view raw, T min) {
  std::string_view v = trim(raw);
  T out{};
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) bad(key, raw, "not a number");
  if (out < min) bad(key, raw, "must be at least " + std::to_string(min));
  return out;
}

void parse_cleanup_policy(std::string_view key, std::string_view raw, LogConfig& c) {
  bool del = false;
  bool compact = false;
  std::string_view rest = raw;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (item == "delete") {
      del = true;
    } else if (item == "compact") {
      compact = true;
    } else if (!(item.empty() && comma == std::string_view::npos && (del || compact))) {
      bad(key, raw, "expected delete, compact or both");
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  c.cleanup_delete = del;
  c.cleanup_compact = compact;
}

// Applies one topic-level key; returns false if the key is not interpreted here.
bool apply_topic_key(LogConfig& c, std::string_view key, std::string_view value) {
  if (key == "segment.bytes") {
    c.segment_bytes = parse_number<int32_t>(key, value, 14);
  } else if (key == "segment.ms") {
    c.segment_ms = parse_number<int64_t>(key, value, 1);
  } else if (key == "segment.jitter.ms") {
    c.segment_jitter_ms = parse_number<int64_t>(key, value, 0);
  } else if (key == "segment.index.bytes") {
    // Two time index entries at least: one for data, one reserved for the final entry.
    c.segment_index_bytes = parse_number<int32_t>(key, value, 24);
  } else if (key == "index.interval.bytes") {
    c.index_interval_bytes = parse_number<int32_t>(key, value, 0);
  } else if (key == "retention.ms") {
    c.retention_ms = parse_number<int64_t>(key, value, -1);
  } else if (key == "retention.bytes") {
    c.retention_bytes = parse_number<int64_t>(key, value, std::numeric_limits<int64_t>::min());
  } else if (key == "flush.messages") {
    c.flush_messages = parse_number<int64_t>(key, value, 1);
  } else if (key == "flush.ms") {
    c.flush_ms = parse_number<int64_t>(key, value, 0);
  } else if (key == "cleanup.policy") {
    parse_cleanup_policy(key, value, c);
  } else if (key == "file.delete.delay.ms") {
    c.file_delete_delay_ms = parse_number<int64_t>(key, value, 0);
  } else if (key == "max.message.bytes") {
    c.max_message_bytes = parse_number<int32_t>(key, value, 0);
  } else {
    return false;
  }
  return true;
}

std::optional<std::string_view> get(const std::map<std::string, std::string>& m,
                                    std::string_view key) {
  auto it = m.find(std::string(key));
  if (it == m.end()) return std::nullopt;
  return std::string_view(it->second);
}

int64_t multiply_checked(std::string_view key, std::string_view raw, int64_t v, int64_t factor) {
  if (v < 0) return -1;  // negative retention means forever, whatever the unit
  if (v > std::numeric_limits<int64_t>::max() / factor) bad(key, raw, "too large");
  return v * factor;
}

}  // namespace

bool LogConfig::is_topic_config(std::string_view key) {
  return std::find(kTopicConfigs.begin(), kTopicConfigs.end(), key) != kTopicConfigs.end();
}

LogConfig LogConfig::with_overrides(const LogConfig& base,
                                    const std::map<std::string, std::string>& overrides) {
  LogConfig c = base;
  for (const auto& [key, value] : overrides) {
    if (!is_topic_config(key)) {
      throw LogError(LogErrc::kInvalidConfig, "unknown topic config '" + key + "'");
    }
    apply_topic_key(c, key, value);
    c.overrides[key] = value;
  }
  return c;
}

LogConfig LogConfig::from_broker_properties(const std::map<std::string, std::string>& p) {
  LogConfig c;
  // Broker key -> topic key, for the ones that map one to one.
  static constexpr std::pair<std::string_view, std::string_view> kDirect[] = {
      {"log.segment.bytes", "segment.bytes"},
      {"log.index.size.max.bytes", "segment.index.bytes"},
      {"log.index.interval.bytes", "index.interval.bytes"},
      {"log.retention.bytes", "retention.bytes"},
      {"log.flush.interval.messages", "flush.messages"},
      {"log.cleanup.policy", "cleanup.policy"},
      {"log.segment.delete.delay.ms", "file.delete.delay.ms"},
      {"message.max.bytes", "max.message.bytes"},
  };
  for (const auto& [broker_key, topic_key] : kDirect) {
    if (auto v = get(p, broker_key)) apply_topic_key(c, topic_key, *v);
  }
  // Unit variants: the most precise one wins, as in Kafka.
  if (auto v = get(p, "log.roll.ms")) {
    c.segment_ms = parse_number<int64_t>("log.roll.ms", *v, 1);
  } else if (auto h = get(p, "log.roll.hours")) {
    c.segment_ms = multiply_checked("log.roll.hours", *h,
                                    parse_number<int64_t>("log.roll.hours", *h, 1), 3600000);
  }
  if (auto v = get(p, "log.roll.jitter.ms")) {
    c.segment_jitter_ms = parse_number<int64_t>("log.roll.jitter.ms", *v, 0);
  } else if (auto h = get(p, "log.roll.jitter.hours")) {
    c.segment_jitter_ms =
        multiply_checked("log.roll.jitter.hours", *h,
                         parse_number<int64_t>("log.roll.jitter.hours", *h, 0), 3600000);
  }
  if (auto v = get(p, "log.retention.ms")) {
    c.retention_ms = parse_number<int64_t>("log.retention.ms", *v, -1);
  } else if (auto m = get(p, "log.retention.minutes")) {
    c.retention_ms = multiply_checked(
        "log.retention.minutes", *m,
        parse_number<int64_t>("log.retention.minutes", *m, std::numeric_limits<int64_t>::min()),
        60000);
  } else if (auto h = get(p, "log.retention.hours")) {
    c.retention_ms = multiply_checked(
        "log.retention.hours", *h,
        parse_number<int64_t>("log.retention.hours", *h, std::numeric_limits<int64_t>::min()),
        3600000);
  }
  if (auto v = get(p, "log.flush.interval.ms")) {
    c.flush_ms = parse_number<int64_t>("log.flush.interval.ms", *v, 0);
  } else if (auto s = get(p, "log.flush.scheduler.interval.ms")) {
    c.flush_ms = parse_number<int64_t>("log.flush.scheduler.interval.ms", *s, 0);
  }
  return c;
}

}  // namespace fjord::log
