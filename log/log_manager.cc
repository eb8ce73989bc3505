#include "log/log_manager.h"

#include "log/checkpoint.h"
#include "log/error.h"
#include "log/file.h"

namespace fjord::log {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

LogManager::LogManager(LogManagerOptions options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_clock();
}

LogManager::~LogManager() = default;

void LogManager::warn(const std::string& message) const {
  if (options_.warn) options_.warn(message);
}

LogConfig LogManager::config_for(const std::string& topic) const {
  if (options_.config_for_topic) return options_.config_for_topic(topic);
  return options_.default_config;
}

LogOptions LogManager::log_options() const {
  LogOptions o;
  o.clock = options_.clock;
  o.high_watermark_follows_log_end = options_.high_watermark_follows_log_end;
  o.warn = options_.warn;
  return o;
}

void LogManager::startup() {
  if (started_) throw LogError(LogErrc::kInvalidArgument, "log manager already started");
  const std::filesystem::path& dir = options_.log_dir;
  fs::make_dirs(dir);
  std::filesystem::path marker = dir / kCleanShutdownFile;
  had_clean_shutdown_ = fs::exists(marker);
  auto recovery = OffsetCheckpointFile(dir / kRecoveryPointCheckpointFile).read();
  auto starts = OffsetCheckpointFile(dir / kLogStartOffsetCheckpointFile).read();
  auto hws = OffsetCheckpointFile(dir / kReplicationCheckpointFile).read();

  for (const std::string& name : fs::list_dir(dir)) {
    std::filesystem::path path = dir / name;
    if (!fs::is_directory(path)) continue;
    if (ends_with(name, kDeleteDirSuffix)) {
      warn("removing " + name + " left over from a partition deletion");
      fs::remove_tree(path);
      continue;
    }
    if (ends_with(name, kFutureDirSuffix) || ends_with(name, kStrayDirSuffix)) {
      warn("ignoring " + name);
      continue;
    }
    std::optional<TopicPartition> tp = TopicPartition::parse_dir_name(name);
    if (!tp) {
      warn("ignoring directory " + name + ": not <topic>-<partition>");
      continue;
    }
    LoadParams params;
    params.had_clean_shutdown = had_clean_shutdown_;
    if (auto it = recovery.find(*tp); it != recovery.end()) params.recovery_point = it->second;
    if (auto it = starts.find(*tp); it != starts.end()) params.log_start_offset = it->second;
    if (auto it = hws.find(*tp); it != hws.end()) params.high_watermark = it->second;
    try {
      logs_[*tp] = Log::open(path, *tp, config_for(tp->topic), params, log_options());
    } catch (const LogError& e) {
      warn("failed to load " + name + ": " + e.what());
      offline_.insert(*tp);
    }
  }
  if (had_clean_shutdown_) {
    fs::remove_file(marker);
    fs::fsync_dir(dir);
  }
  started_ = true;
}

Log* LogManager::get(const TopicPartition& tp) const {
  auto it = logs_.find(tp);
  return it == logs_.end() ? nullptr : it->second.get();
}

Log& LogManager::create(const TopicPartition& tp, std::optional<TopicId> topic_id,
                        std::optional<LogConfig> config) {
  if (!is_valid_topic_name(tp.topic) || tp.partition < 0) {
    throw LogError(LogErrc::kInvalidArgument, "invalid partition " + tp.to_string());
  }
  if (logs_.count(tp) > 0 || offline_.count(tp) > 0) {
    throw LogError(LogErrc::kAlreadyExists, tp.to_string() + " already exists");
  }
  std::unique_ptr<Log> log =
      Log::create(options_.log_dir / tp.dir_name(), tp, config ? *config : config_for(tp.topic),
                  topic_id, log_options());
  Log& ref = *log;
  logs_[tp] = std::move(log);
  return ref;
}

Log& LogManager::get_or_create(const TopicPartition& tp, std::optional<TopicId> topic_id) {
  if (Log* log = get(tp)) return *log;
  return create(tp, topic_id);
}

void LogManager::remove(const TopicPartition& tp) {
  auto it = logs_.find(tp);
  if (it == logs_.end()) {
    if (offline_.erase(tp) > 0) {
      // A partition that never loaded: remove its directory the same way.
      std::filesystem::path dir = options_.log_dir / tp.dir_name();
      std::filesystem::path target = options_.log_dir / (tp.dir_name() + "." + random_hex_id() +
                                                         std::string(kDeleteDirSuffix));
      fs::rename(dir, target);
      fs::fsync_dir(options_.log_dir);
      fs::remove_tree(target);
      return;
    }
    throw LogError(LogErrc::kNotFound, tp.to_string() + " not found");
  }
  std::unique_ptr<Log> log = std::move(it->second);
  logs_.erase(it);
  log->delete_dir();
}

std::vector<TopicPartition> LogManager::partitions() const {
  std::vector<TopicPartition> out;
  out.reserve(logs_.size());
  for (const auto& [tp, log] : logs_) out.push_back(tp);
  return out;
}

void LogManager::update_topic_config(const std::string& topic, const LogConfig& config) {
  for (auto& [tp, log] : logs_) {
    if (tp.topic == topic) log->update_config(config);
  }
}

template <typename F>
int LogManager::for_each_log(const char* what, F&& f) {
  int n = 0;
  for (auto& [tp, log] : logs_) {
    if (log->is_offline()) continue;
    try {
      n += f(*log);
    } catch (const LogError& e) {
      warn(std::string(what) + " failed for " + tp.to_string() + ": " + e.what());
    }
  }
  return n;
}

int LogManager::run_retention() {
  return for_each_log("retention", [](Log& log) { return log.delete_old_segments(); });
}

int LogManager::flush_dirty_logs() {
  return for_each_log("flush", [](Log& log) { return log.maybe_flush() ? 1 : 0; });
}

void LogManager::checkpoint_recovery_points() const {
  std::map<TopicPartition, int64_t> offsets;
  for (const auto& [tp, log] : logs_) {
    if (!log->is_offline()) offsets[tp] = log->recovery_point();
  }
  OffsetCheckpointFile(options_.log_dir / kRecoveryPointCheckpointFile).write(offsets);
}

void LogManager::checkpoint_log_start_offsets() const {
  std::map<TopicPartition, int64_t> offsets;
  for (const auto& [tp, log] : logs_) {
    // As Kafka: only where the start offset is inside the first segment.
    if (!log->is_offline() && log->num_segments() > 0 &&
        log->log_start_offset() > log->segments().front()->base_offset()) {
      offsets[tp] = log->log_start_offset();
    }
  }
  OffsetCheckpointFile(options_.log_dir / kLogStartOffsetCheckpointFile).write(offsets);
}

void LogManager::checkpoint_high_watermarks() const {
  std::map<TopicPartition, int64_t> offsets;
  for (const auto& [tp, log] : logs_) {
    if (!log->is_offline()) offsets[tp] = log->high_watermark();
  }
  OffsetCheckpointFile(options_.log_dir / kReplicationCheckpointFile).write(offsets);
}

bool LogManager::shutdown() {
  bool ok = offline_.empty();
  for (auto& [tp, log] : logs_) {
    if (log->is_offline()) {
      ok = false;
      continue;
    }
    try {
      log->flush();
    } catch (const LogError& e) {
      warn("flush at shutdown failed for " + tp.to_string() + ": " + e.what());
      ok = false;
    }
  }
  try {
    checkpoint_recovery_points();
    checkpoint_log_start_offsets();
    checkpoint_high_watermarks();
  } catch (const LogError& e) {
    warn(std::string("writing checkpoints at shutdown failed: ") + e.what());
    ok = false;
  }
  for (auto& [tp, log] : logs_) {
    try {
      log->close();
    } catch (const LogError& e) {
      warn("close failed for " + tp.to_string() + ": " + e.what());
      ok = false;
    }
  }
  if (ok) {
    try {
      fs::atomic_write(options_.log_dir / kCleanShutdownFile, "{\"version\":0,\"brokerEpoch\":-1}");
    } catch (const LogError& e) {
      warn(std::string("writing the clean shutdown marker failed: ") + e.what());
      ok = false;
    }
  }
  logs_.clear();
  return ok;
}

}  // namespace fjord::log
