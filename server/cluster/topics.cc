#include "server/cluster/topics.h"

#include <cstring>

#include "log/config.h"
#include "log/error.h"
#include "log/log.h"
#include "log/log_manager.h"
#include "log/topic_registry.h"
#include "server/broker.h"
#include "server/util/logging.h"

namespace fjord {

namespace {

constexpr std::string_view kComponent = "topics";

log::LogConfig to_log_config(const config::TopicConfig& tc,
                             const std::map<std::string, std::string>& overrides) {
  log::LogConfig c;
  c.segment_bytes = tc.segment_bytes;
  c.segment_ms = tc.segment_ms;
  c.segment_jitter_ms = tc.segment_jitter_ms;
  c.segment_index_bytes = tc.segment_index_bytes;
  c.index_interval_bytes = tc.index_interval_bytes;
  c.retention_ms = tc.retention_ms;
  c.retention_bytes = tc.retention_bytes;
  c.flush_messages = tc.flush_messages;
  c.flush_ms = tc.flush_ms;
  c.cleanup_delete = tc.cleanup_policy.remove;
  c.cleanup_compact = tc.cleanup_policy.compact;
  c.file_delete_delay_ms = tc.file_delete_delay_ms;
  c.max_message_bytes = tc.max_message_bytes;
  c.overrides = overrides;
  return c;
}

proto::Uuid to_uuid(const log::TopicId& id) {
  proto::Uuid u;
  std::memcpy(u.bytes.data(), id.bytes.data(), 16);
  return u;
}

}  // namespace

TopicManager::TopicManager(Broker& broker) : broker_(broker) {}

TopicManager::~TopicManager() = default;

std::optional<std::string> TopicManager::validate_name(std::string_view name) {
  if (name.empty()) return "Topic name is illegal, it can't be empty";
  if (name == "." || name == "..") return "Topic name cannot be \".\" or \"..\"";
  if (name.size() > 249) return "Topic name is illegal, it can't be longer than 249 characters";
  if (!log::is_valid_topic_name(name))
    return "Topic name \"" + std::string(name) +
           "\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and "
           "'-'";
  return std::nullopt;
}

bool TopicManager::is_internal_name(std::string_view name) {
  return name == "__consumer_offsets" || name == "__transaction_state";
}

void TopicManager::load() {
  const auto& bc = broker_.config();
  registry_ = std::make_unique<log::TopicRegistry>(std::filesystem::path(bc.log_dir) /
                                                   std::string(log::kTopicRegistryFile));
  log::LogManagerOptions opts;
  opts.log_dir = bc.log_dir;
  opts.default_config = to_log_config(config::effective(bc, {}), {});
  opts.config_for_topic = [this](const std::string& topic) {
    if (Topic* t = find(topic)) return to_log_config(t->config, t->overrides);
    const auto* rec = registry_->find(topic);
    auto overrides = rec ? rec->configs : std::map<std::string, std::string>{};
    return to_log_config(config::effective(broker_.config(), overrides), overrides);
  };
  opts.warn = [](const std::string& m) { FJORD_LOG_WARN("log", m); };
  logs_ = std::make_unique<log::LogManager>(std::move(opts));
  logs_->startup();

  // Topics come from the registry; their partitions from the log directories.
  for (const auto& [name, rec] : registry_->topics()) {
    auto t = std::make_unique<Topic>();
    t->name = name;
    t->id = to_uuid(rec.id);
    t->internal = is_internal_name(name);
    t->overrides = rec.configs;
    t->config = config::effective(bc, t->overrides);
    for (int32_t p = 0; p < rec.partitions; ++p) {
      log::TopicPartition tp{name, p};
      log::Log* lg = logs_->get(tp);
      if (!lg) lg = &logs_->create(tp, rec.id);
      t->partitions.push_back(std::make_unique<Partition>(name, p, bc.node_id, lg));
    }
    topics_.emplace(name, std::move(t));
  }
  int64_t partitions = 0;
  for (const auto& [n, t] : topics_) partitions += static_cast<int64_t>(t->partitions.size());
  FJORD_LOG_INFO(kComponent, "Loaded ", topics_.size(), " topics, ", partitions, " partitions",
                 logs_->had_clean_shutdown() || partitions == 0
                     ? ""
                     : " (recovered after an unclean shutdown)");
}

void TopicManager::shutdown() {
  if (!logs_) return;
  topics_.clear();
  logs_->shutdown();
  logs_.reset();
}

void TopicManager::run_retention() {
  if (logs_) logs_->run_retention();
}

void TopicManager::housekeeping() {
  if (!logs_) return;
  logs_->flush_dirty_logs();
  logs_->checkpoint_recovery_points();
  logs_->checkpoint_log_start_offsets();
}

Topic* TopicManager::find(std::string_view name) {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

Topic* TopicManager::find(const proto::Uuid& id) {
  if (id.is_zero()) return nullptr;
  for (auto& [n, t] : topics_)
    if (t->id == id) return t.get();
  return nullptr;
}

Partition* TopicManager::partition(std::string_view topic, int32_t index) {
  Topic* t = find(topic);
  return t ? t->partition(index) : nullptr;
}

CreateTopicResult TopicManager::auto_create(const std::string& name) {
  return create(name, broker_.config().num_partitions,
                static_cast<int16_t>(broker_.config().default_replication_factor), {}, false);
}

CreateTopicResult TopicManager::create(const std::string& name, int32_t num_partitions,
                                       int16_t replication_factor,
                                       const std::map<std::string, std::string>& configs,
                                       bool validate_only,
                                       const std::vector<std::vector<int32_t>>& assignments) {
  CreateTopicResult r;
  const auto& bc = broker_.config();
  if (auto why = validate_name(name)) {
    r.error = proto::ErrorCode::INVALID_TOPIC_EXCEPTION;
    r.message = *why;
    return r;
  }
  if (find(name)) {
    r.error = proto::ErrorCode::TOPIC_ALREADY_EXISTS;
    r.message = "Topic '" + name + "' already exists.";
    return r;
  }
  if (!assignments.empty()) {
    num_partitions = static_cast<int32_t>(assignments.size());
    for (const auto& replicas : assignments) {
      if (replicas.empty() || replicas.size() != assignments[0].size()) {
        r.error = proto::ErrorCode::INVALID_REPLICA_ASSIGNMENT;
        r.message = "All partitions should have the same number of replicas";
        return r;
      }
      for (int32_t b : replicas) {
        if (b != bc.node_id) {
          r.error = proto::ErrorCode::INVALID_REPLICA_ASSIGNMENT;
          r.message = "Unknown broker " + std::to_string(b) + " in the replica assignment";
          return r;
        }
      }
      if (replicas.size() > 1) {
        r.error = proto::ErrorCode::INVALID_REPLICA_ASSIGNMENT;
        r.message = "Duplicate brokers in the replica assignment";
        return r;
      }
    }
  } else {
    if (num_partitions == -1) num_partitions = bc.num_partitions;
    if (replication_factor == -1)
      replication_factor = static_cast<int16_t>(bc.default_replication_factor);
    if (num_partitions <= 0) {
      r.error = proto::ErrorCode::INVALID_PARTITIONS;
      r.message = "Number of partitions must be larger than 0.";
      return r;
    }
    if (replication_factor <= 0) {
      r.error = proto::ErrorCode::INVALID_REPLICATION_FACTOR;
      r.message = "Replication factor must be larger than 0.";
      return r;
    }
    if (replication_factor > 1) {
      r.error = proto::ErrorCode::INVALID_REPLICATION_FACTOR;
      r.message = "Unable to replicate the partition " + std::to_string(replication_factor) +
                  " time(s): The target replication factor of " +
                  std::to_string(replication_factor) +
                  " cannot be reached because only 1 broker(s) are registered.";
      return r;
    }
  }
  if (auto bad = config::validate_topic_configs(bc, configs)) {
    r.error = proto::ErrorCode::INVALID_CONFIG;
    r.message = *bad;
    return r;
  }
  if (validate_only) return r;

  auto t = std::make_unique<Topic>();
  t->name = name;
  t->internal = is_internal_name(name);
  t->overrides = configs;
  t->config = config::effective(bc, configs);
  const log::TopicId id = log::TopicId::random();
  t->id = to_uuid(id);
  try {
    log::TopicRecord rec;
    rec.name = name;
    rec.id = id;
    rec.partitions = num_partitions;
    rec.replication_factor = 1;
    rec.configs = configs;
    registry_->put(rec);
    const log::LogConfig lc = to_log_config(t->config, configs);
    for (int32_t p = 0; p < num_partitions; ++p) {
      log::Log& lg = logs_->create(log::TopicPartition{name, p}, id, lc);
      t->partitions.push_back(std::make_unique<Partition>(name, p, bc.node_id, &lg));
      lg.assign_epoch_start_offset(t->partitions.back()->leader_epoch());  // as makeLeader
    }
  } catch (const log::LogError& e) {
    r.error = proto::ErrorCode::KAFKA_STORAGE_ERROR;
    r.message = e.what();
    return r;
  }
  FJORD_LOG_INFO(kComponent, "Created topic ", name, " with ", num_partitions, " partitions");
  r.topic = t.get();
  topics_.emplace(name, std::move(t));
  return r;
}

proto::ErrorCode TopicManager::delete_topic(const std::string& name, std::string* message) {
  Topic* t = find(name);
  if (!t) return proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
  if (!broker_.config().delete_topic_enable) {
    *message = "Topic deletion is disabled.";
    return proto::ErrorCode::TOPIC_DELETION_DISABLED;
  }
  const int32_t n = static_cast<int32_t>(t->partitions.size());
  try {
    registry_->erase(name);
    for (int32_t p = 0; p < n; ++p) logs_->remove(log::TopicPartition{name, p});
  } catch (const log::LogError& e) {
    *message = e.what();
    return proto::ErrorCode::KAFKA_STORAGE_ERROR;
  }
  topics_.erase(name);
  FJORD_LOG_INFO(kComponent, "Deleted topic ", name);
  return proto::ErrorCode::NONE;
}

proto::ErrorCode TopicManager::add_partitions(const std::string& name, int32_t new_total,
                                              bool validate_only, std::string* message) {
  Topic* t = find(name);
  if (!t) return proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
  const int32_t current = static_cast<int32_t>(t->partitions.size());
  if (new_total <= current) {
    *message = "Topic currently has " + std::to_string(current) + " partitions, " +
               std::to_string(new_total) + " would not be an increase.";
    return proto::ErrorCode::INVALID_PARTITIONS;
  }
  if (validate_only) return proto::ErrorCode::NONE;
  try {
    const auto* rec = registry_->find(name);
    log::TopicRecord updated = *rec;
    updated.partitions = new_total;
    registry_->put(updated);
    const log::LogConfig lc = to_log_config(t->config, t->overrides);
    for (int32_t p = current; p < new_total; ++p) {
      log::Log& lg = logs_->create(log::TopicPartition{name, p}, updated.id, lc);
      t->partitions.push_back(std::make_unique<Partition>(name, p, broker_.config().node_id, &lg));
      lg.assign_epoch_start_offset(t->partitions.back()->leader_epoch());  // as makeLeader
    }
  } catch (const log::LogError& e) {
    *message = e.what();
    return proto::ErrorCode::KAFKA_STORAGE_ERROR;
  }
  return proto::ErrorCode::NONE;
}

proto::ErrorCode TopicManager::set_overrides(Topic& topic,
                                             const std::map<std::string, std::string>& overrides,
                                             bool validate_only, std::string* message) {
  if (auto bad = config::validate_topic_configs(broker_.config(), overrides)) {
    *message = *bad;
    return proto::ErrorCode::INVALID_CONFIG;
  }
  if (validate_only) return proto::ErrorCode::NONE;
  try {
    log::TopicRecord rec = *registry_->find(topic.name);
    rec.configs = overrides;
    registry_->put(rec);
    topic.overrides = overrides;
    topic.config = config::effective(broker_.config(), overrides);
    logs_->update_topic_config(topic.name, to_log_config(topic.config, overrides));
  } catch (const log::LogError& e) {
    *message = e.what();
    return proto::ErrorCode::INVALID_CONFIG;
  }
  return proto::ErrorCode::NONE;
}

}  // namespace fjord
