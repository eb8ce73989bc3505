// Owns every partition log of one log dir: loads them at startup, creates and deletes
// partitions, writes the log-dir checkpoints and the clean shutdown marker, and runs the
// periodic flush and retention passes when the broker's timers call it. It starts no
// threads.
//
// Not thread-safe: call it from the broker's event loop thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "log/config.h"
#include "log/log.h"
#include "log/types.h"

namespace fjord::log {

struct LogManagerOptions {
  std::filesystem::path log_dir;
  // Broker defaults (LogConfig::from_broker_properties).
  LogConfig default_config;
  // The effective config of a topic (defaults plus overrides, e.g. from TopicRegistry). When
  // empty every topic uses default_config.
  std::function<LogConfig(const std::string& topic)> config_for_topic;
  Clock clock = system_clock();
  bool high_watermark_follows_log_end = true;
  std::function<void(const std::string&)> warn;
};

class LogManager {
 public:
  explicit LogManager(LogManagerOptions options);
  ~LogManager();
  LogManager(const LogManager&) = delete;
  LogManager& operator=(const LogManager&) = delete;

  // Creates the log dir if needed, removes "-delete" leftovers, loads every partition
  // directory and removes the clean shutdown marker. A partition that fails to load is
  // reported through `warn` and listed by offline_partitions(); the others still load.
  void startup();
  bool had_clean_shutdown() const { return had_clean_shutdown_; }

  Log* get(const TopicPartition& tp) const;
  // Creates a partition (kAlreadyExists if it is there). `config` defaults to the topic's.
  Log& create(const TopicPartition& tp, std::optional<TopicId> topic_id,
              std::optional<LogConfig> config = std::nullopt);
  Log& get_or_create(const TopicPartition& tp, std::optional<TopicId> topic_id);
  // Deletes a partition: rename to "-delete", then remove. kNotFound if unknown.
  void remove(const TopicPartition& tp);
  std::vector<TopicPartition> partitions() const;
  const std::set<TopicPartition>& offline_partitions() const { return offline_; }

  // Applies a new effective config to every partition of `topic`.
  void update_topic_config(const std::string& topic, const LogConfig& config);

  // The retention pass (log.retention.check.interval.ms). Returns segments deleted.
  int run_retention();
  // The flush pass (log.flush.scheduler.interval.ms): rolled segments and flush.ms.
  // Returns the number of logs flushed.
  int flush_dirty_logs();

  void checkpoint_recovery_points() const;
  void checkpoint_log_start_offsets() const;
  void checkpoint_high_watermarks() const;

  // Flushes and closes every log, writes the checkpoints and, if everything went well, the
  // clean shutdown marker. Returns false (after warning) if something failed; the marker is
  // then not written, so the next start recovers.
  bool shutdown();

  const std::filesystem::path& log_dir() const { return options_.log_dir; }

 private:
  LogConfig config_for(const std::string& topic) const;
  LogOptions log_options() const;
  void warn(const std::string& message) const;
  // Runs `f` on every online log; a LogError is reported and the partition moves offline.
  template <typename F>
  int for_each_log(const char* what, F&& f);

  LogManagerOptions options_;
  std::map<TopicPartition, std::unique_ptr<Log>> logs_;
  std::set<TopicPartition> offline_;
  bool had_clean_shutdown_ = false;
  bool started_ = false;
};

}  // namespace fjord::log
