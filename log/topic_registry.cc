#include "log/topic_registry.h"

#include <charconv>

#include "log/error.h"
#include "log/file.h"

namespace fjord::log {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

template <typename T>
bool parse_int(std::string_view s, T& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

void validate(const TopicRecord& r) {
  if (!is_valid_topic_name(r.name)) {
    throw LogError(LogErrc::kInvalidArgument, "invalid topic name '" + r.name + "'");
  }
  if (r.partitions < 1) throw LogError(LogErrc::kInvalidArgument, "partitions must be >= 1");
  if (r.replication_factor < 1) {
    throw LogError(LogErrc::kInvalidArgument, "replication factor must be >= 1");
  }
  if (r.id.is_zero()) throw LogError(LogErrc::kInvalidArgument, "topic id must not be zero");
  for (const auto& [key, value] : r.configs) {
    if (value.find('\n') != std::string::npos) {
      throw LogError(LogErrc::kInvalidConfig, "config value of " + key + " has a newline");
    }
  }
  // Parses every override: unknown keys and bad values are rejected here, not at load.
  LogConfig::with_overrides(LogConfig{}, r.configs);
}

}  // namespace

TopicRegistry::TopicRegistry(std::filesystem::path path) : path_(std::move(path)) {
  if (std::optional<std::string> text = fs::read_if_exists(path_)) {
    topics_ = parse(*text, path_.string());
  }
}

std::map<std::string, TopicRecord, std::less<>> TopicRegistry::parse(std::string_view text,
                                                                     const std::string& what) {
  std::map<std::string, TopicRecord, std::less<>> out;
  auto corrupt = [&](size_t line_no, const std::string& why) -> LogError {
    return LogError(LogErrc::kCorruptFile, what + ":" + std::to_string(line_no) + ": " + why);
  };
  bool have_version = false;
  TopicRecord* current = nullptr;
  bool have_id = false;
  auto finish = [&](size_t line_no) {
    if (current != nullptr && !have_id) throw corrupt(line_no, "topic without topic_id");
    if (current != nullptr) {
      try {
        validate(*current);
      } catch (const LogError& e) {
        throw corrupt(line_no, e.what());
      }
    }
  };
  size_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trim(text.substr(start, nl - start));
    start = nl + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) throw corrupt(line_no, "expected 'key: value'");
    std::string_view key = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (!have_version) {
      int v = -1;
      if (key != "version" || !parse_int(value, v)) throw corrupt(line_no, "missing version");
      if (v != kVersion) throw corrupt(line_no, "unsupported version " + std::string(value));
      have_version = true;
      continue;
    }
    if (key == "topic") {
      finish(line_no);
      std::string name(value);
      if (out.count(name) > 0) throw corrupt(line_no, "duplicate topic '" + name + "'");
      current = &out[name];
      current->name = name;
      have_id = false;
      continue;
    }
    if (current == nullptr) throw corrupt(line_no, "'" + std::string(key) + "' before any topic");
    if (key == "topic_id") {
      std::optional<TopicId> id = TopicId::parse(value);
      if (!id) throw corrupt(line_no, "bad topic id");
      current->id = *id;
      have_id = true;
    } else if (key == "partitions") {
      if (!parse_int(value, current->partitions)) throw corrupt(line_no, "bad partitions");
    } else if (key == "replication_factor") {
      if (!parse_int(value, current->replication_factor)) {
        throw corrupt(line_no, "bad replication_factor");
      }
    } else if (key == "config") {
      size_t eq = value.find('=');
      if (eq == std::string_view::npos) throw corrupt(line_no, "config without '='");
      current->configs[std::string(trim(value.substr(0, eq)))] = std::string(value.substr(eq + 1));
    } else {
      throw corrupt(line_no, "unknown key '" + std::string(key) + "'");
    }
    if (start > text.size()) break;
  }
  finish(line_no);
  if (!have_version && !out.empty()) throw corrupt(line_no, "missing version");
  return out;
}

std::string TopicRegistry::serialize() const {
  std::string out = "# Fjord topic registry\nversion: " + std::to_string(kVersion) + "\n";
  for (const auto& [name, r] : topics_) {
    out += "\ntopic: " + r.name + "\n";
    out += "topic_id: " + r.id.to_string() + "\n";
    out += "partitions: " + std::to_string(r.partitions) + "\n";
    out += "replication_factor: " + std::to_string(r.replication_factor) + "\n";
    for (const auto& [key, value] : r.configs) out += "config: " + key + "=" + value + "\n";
  }
  return out;
}

void TopicRegistry::save() const { fs::atomic_write(path_, serialize()); }

const TopicRecord* TopicRegistry::find(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

void TopicRegistry::put(const TopicRecord& record) {
  validate(record);
  auto previous = topics_;
  topics_[record.name] = record;
  try {
    save();
  } catch (...) {
    topics_ = std::move(previous);
    throw;
  }
}

bool TopicRegistry::erase(std::string_view name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return false;
  TopicRecord removed = it->second;
  topics_.erase(it);
  try {
    save();
  } catch (...) {
    topics_[removed.name] = removed;
    throw;
  }
  return true;
}

LogConfig TopicRegistry::config_for(std::string_view topic, const LogConfig& defaults) const {
  const TopicRecord* r = find(topic);
  if (r == nullptr) return defaults;
  return LogConfig::with_overrides(defaults, r->configs);
}

}  // namespace fjord::log
