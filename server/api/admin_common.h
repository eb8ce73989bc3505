// Small helpers the admin handlers share: config resource types and names, the broker-id
// checks of the config APIs, duplicate detection, manual replica assignments and the size
// bound Kafka's controller puts on one request.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codec/error_codes.h"

namespace fjord::api::admin {

// ConfigResource.Type wire ids (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs).
inline constexpr int8_t kTopicResource = 2;
inline constexpr int8_t kBrokerResource = 4;
inline constexpr int8_t kBrokerLoggerResource = 8;
inline constexpr int8_t kClientMetricsResource = 16;
inline constexpr int8_t kGroupResource = 32;

// Kafka's controller refuses an operation that would write more than this many metadata
// records (one per topic, partition and config entry) with POLICY_VIOLATION.
inline constexpr int64_t kMaxRecordsPerOperation = 10000;
inline constexpr std::string_view kTooLargeOperation =
    "Unable to perform excessively large batch operation.";

// The Java enum name Kafka prints in "Unsupported resource type: X".
inline std::string_view resource_type_name(int8_t type) {
  switch (type) {
    case kTopicResource:
      return "TOPIC";
    case kBrokerResource:
      return "BROKER";
    case kBrokerLoggerResource:
      return "BROKER_LOGGER";
    case kClientMetricsResource:
      return "CLIENT_METRICS";
    case kGroupResource:
      return "GROUP";
    default:
      return "UNKNOWN";
  }
}

// An error with the message to send (nullopt: null on the wire).
struct ApiError {
  proto::ErrorCode code = proto::ErrorCode::NONE;
  std::optional<std::string> message;

  bool ok() const { return code == proto::ErrorCode::NONE; }
  static ApiError none() { return {}; }
};

inline ApiError error(proto::ErrorCode code, std::optional<std::string> message = std::nullopt) {
  return ApiError{code, std::move(message)};
}

// Java's Integer.parseInt: an optional sign and decimal digits that fit in an int32.
inline std::optional<int32_t> parse_node_id(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return std::nullopt;
  int32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// ConfigAdminManager.validateResourceNameIsCurrentNodeId (the alter APIs).
inline ApiError check_node_name(std::string_view name, int32_t node_id) {
  auto id = parse_node_id(name);
  if (!id) {
    return error(proto::ErrorCode::INVALID_REQUEST,
                 "Node id must be an integer, but it is: " + std::string(name));
  }
  if (*id != node_id) {
    return error(proto::ErrorCode::INVALID_REQUEST, "Unexpected broker id, expected " +
                                                        std::to_string(node_id) +
                                                        ", but received " + std::string(name));
  }
  return ApiError::none();
}

// Keys that occur more than once, for Kafka's "appear at most once" rules.
template <class T, class KeyFn>
std::set<T> duplicates(const auto& items, KeyFn key) {
  std::map<T, int> counts;
  for (const auto& item : items) ++counts[key(item)];
  std::set<T> out;
  for (const auto& [k, n] : counts)
    if (n > 1) out.insert(k);
  return out;
}

// Scala's Set.toString, as in "Cannot update these configs dynamically: Set(a, b)".
inline std::string scala_set(const std::set<std::string>& names) {
  std::string out = "Set(";
  bool first = true;
  for (const auto& n : names) {
    if (!first) out += ", ";
    out += n;
    first = false;
  }
  return out + ")";
}

// Fjord keeps no dynamic broker configs, so any change to a BROKER resource is refused the
// way Kafka refuses a change to a config that is not dynamically updatable (INVALID_REQUEST,
// KAFKA-13609).
inline ApiError refuse_broker_config_change(const std::set<std::string>& keys) {
  return error(proto::ErrorCode::INVALID_REQUEST,
               "Cannot update these configs dynamically: " + scala_set(keys) +
                   ". Fjord has no dynamic broker configs; set them in the broker's "
                   "configuration file and restart it.");
}

// ReplicationControlManager.validateManualPartitionAssignment on a one-node cluster:
// every listed broker must be this node, once; all partitions have the same replica count.
inline ApiError check_manual_assignment(const std::vector<int32_t>& brokers, int32_t node_id,
                                        std::optional<size_t> replication_factor) {
  using proto::ErrorCode;
  if (brokers.empty()) {
    return error(ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                 "The manual partition assignment includes an empty replica list.");
  }
  // Kafka walks the ids in ascending order and reports the first problem it meets.
  std::vector<int32_t> sorted = brokers;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != node_id) {
      return error(ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                   "The manual partition assignment includes broker " + std::to_string(sorted[i]) +
                       ", but no such broker is registered.");
    }
    if (i > 0 && sorted[i] == sorted[i - 1]) {
      return error(ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                   "The manual partition assignment includes the broker " +
                       std::to_string(sorted[i]) + " more than once.");
    }
  }
  if (replication_factor && brokers.size() != *replication_factor) {
    return error(ErrorCode::INVALID_REPLICA_ASSIGNMENT,
                 "The manual partition assignment includes a partition with " +
                     std::to_string(brokers.size()) +
                     " replica(s), but this is not consistent with previous partitions, which "
                     "have " +
                     std::to_string(*replication_factor) + " replica(s).");
  }
  return ApiError::none();
}

}  // namespace fjord::api::admin
