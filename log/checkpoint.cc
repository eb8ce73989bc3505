#include "log/checkpoint.h"

#include <charconv>

#include "log/error.h"
#include "log/file.h"

namespace fjord::log {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }
  return lines;
}

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

template <typename T>
bool parse_int(std::string_view s, T& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

[[noreturn]] void corrupt(const std::string& what, const std::string& why) {
  throw LogError(LogErrc::kCorruptFile, what + ": " + why);
}

}  // namespace

std::vector<std::vector<std::string>> parse_checkpoint(std::string_view text, int version,
                                                       size_t fields_per_entry,
                                                       const std::string& what) {
  std::vector<std::string_view> lines = split_lines(text);
  if (lines.size() < 2) corrupt(what, "missing version or count line");
  int v = 0;
  if (!parse_int(lines[0], v)) corrupt(what, "bad version line '" + std::string(lines[0]) + "'");
  if (v != version) corrupt(what, "unsupported version " + std::to_string(v));
  int64_t count = 0;
  if (!parse_int(lines[1], count) || count < 0) {
    corrupt(what, "bad count line '" + std::string(lines[1]) + "'");
  }
  std::vector<std::vector<std::string>> entries;
  for (size_t i = 2; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<std::string> fields = split_fields(lines[i]);
    if (fields.size() != fields_per_entry) {
      corrupt(what, "malformed line '" + std::string(lines[i]) + "'");
    }
    entries.push_back(std::move(fields));
  }
  if (static_cast<int64_t>(entries.size()) != count) {
    corrupt(what, "expected " + std::to_string(count) + " entries but found " +
                      std::to_string(entries.size()));
  }
  return entries;
}

std::string format_checkpoint(int version, const std::vector<std::string>& entry_lines) {
  std::string out = std::to_string(version) + "\n" + std::to_string(entry_lines.size()) + "\n";
  for (const std::string& line : entry_lines) {
    out += line;
    out += '\n';
  }
  return out;
}

std::map<TopicPartition, int64_t> OffsetCheckpointFile::read() const {
  std::map<TopicPartition, int64_t> out;
  std::optional<std::string> text = fs::read_if_exists(path_);
  if (!text) return out;
  for (const auto& f : parse_checkpoint(*text, kVersion, 3, path_.string())) {
    int32_t partition = 0;
    int64_t offset = 0;
    if (!is_valid_topic_name(f[0]) || !parse_int(f[1], partition) || partition < 0 ||
        !parse_int(f[2], offset)) {
      corrupt(path_.string(), "malformed entry '" + f[0] + " " + f[1] + " " + f[2] + "'");
    }
    out[TopicPartition{f[0], partition}] = offset;
  }
  return out;
}

void OffsetCheckpointFile::write(const std::map<TopicPartition, int64_t>& offsets) const {
  std::vector<std::string> lines;
  lines.reserve(offsets.size());
  for (const auto& [tp, offset] : offsets) {
    lines.push_back(tp.topic + " " + std::to_string(tp.partition) + " " + std::to_string(offset));
  }
  fs::atomic_write(path_, format_checkpoint(kVersion, lines));
}

bool PartitionMetadataFile::exists() const { return fs::exists(path_); }

std::optional<TopicId> PartitionMetadataFile::read() const {
  std::optional<std::string> text = fs::read_if_exists(path_);
  if (!text) return std::nullopt;
  std::optional<int> version;
  std::optional<TopicId> id;
  for (std::string_view line : split_lines(*text)) {
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) corrupt(path_.string(), "malformed line");
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (key == "version") {
      int v = 0;
      if (!parse_int(value, v)) corrupt(path_.string(), "bad version");
      version = v;
    } else if (key == "topic_id") {
      id = TopicId::parse(value);
      if (!id) corrupt(path_.string(), "bad topic id '" + std::string(value) + "'");
    } else {
      corrupt(path_.string(), "unknown key '" + std::string(key) + "'");
    }
  }
  if (!version || *version != kVersion) corrupt(path_.string(), "missing or unsupported version");
  if (!id) corrupt(path_.string(), "missing topic_id");
  return id;
}

void PartitionMetadataFile::write(const TopicId& id) const {
  // Kafka writes no trailing newline.
  fs::atomic_write(path_, "version: " + std::to_string(kVersion) + "\ntopic_id: " + id.to_string());
}

}  // namespace fjord::log
