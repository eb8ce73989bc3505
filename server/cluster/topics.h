// The topics this broker hosts: names, ids, configs and partitions. Backed by the log
// manager (log/), which persists partition directories, topic ids and config overrides.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/error_codes.h"
#include "codec/types.h"
#include "server/cluster/partition.h"
#include "server/config.h"

namespace fjord::log {
class LogManager;
class TopicRegistry;
}  // namespace fjord::log

namespace fjord {

class Broker;

struct Topic {
  std::string name;
  proto::Uuid id;
  bool internal = false;
  std::map<std::string, std::string> overrides;  // topic-level config overrides
  config::TopicConfig config;                    // effective config
  std::vector<std::unique_ptr<Partition>> partitions;

  Partition* partition(int32_t index) const {
    return index >= 0 && static_cast<size_t>(index) < partitions.size() ? partitions[index].get()
                                                                        : nullptr;
  }
};

struct CreateTopicResult {
  proto::ErrorCode error = proto::ErrorCode::NONE;
  std::string message;
  Topic* topic = nullptr;
};

class TopicManager {
 public:
  explicit TopicManager(Broker& broker);
  ~TopicManager();

  void load();
  void shutdown();
  // Flushes (log.flush.*) and checkpoints; retention is run_retention(), on its own timer.
  void housekeeping();
  void run_retention();

  Topic* find(std::string_view name);
  Topic* find(const proto::Uuid& id);
  Partition* partition(std::string_view topic, int32_t index);
  const std::map<std::string, std::unique_ptr<Topic>, std::less<>>& all() const { return topics_; }

  // CreateTopics and auto-creation. `replicas` gives explicit assignments (partition →
  // broker ids); otherwise `num_partitions` with `replication_factor` (-1: broker default).
  CreateTopicResult create(const std::string& name, int32_t num_partitions,
                           int16_t replication_factor,
                           const std::map<std::string, std::string>& configs, bool validate_only,
                           const std::vector<std::vector<int32_t>>& assignments = {});
  CreateTopicResult auto_create(const std::string& name);
  proto::ErrorCode delete_topic(const std::string& name, std::string* message);
  proto::ErrorCode add_partitions(const std::string& name, int32_t new_total, bool validate_only,
                                  std::string* message);
  // Replaces (AlterConfigs) the topic's overrides after validation.
  proto::ErrorCode set_overrides(Topic& topic, const std::map<std::string, std::string>& overrides,
                                 bool validate_only, std::string* message);

  // nullopt if valid, else why not (Kafka's rules).
  static std::optional<std::string> validate_name(std::string_view name);
  static bool is_internal_name(std::string_view name);

 private:
  Broker& broker_;
  std::unique_ptr<log::TopicRegistry> registry_;
  std::unique_ptr<log::LogManager> logs_;
  std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
};

}  // namespace fjord
