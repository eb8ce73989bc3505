#include "log/types.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <random>

namespace fjord::log {

Clock system_clock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

std::string segment_file_name(int64_t base_offset, std::string_view suffix) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(base_offset));
  std::string name(buf);
  name += suffix;
  return name;
}

std::optional<int64_t> parse_segment_file_name(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool is_valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..") return false;
  for (char c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string TopicPartition::dir_name() const { return topic + "-" + std::to_string(partition); }

std::optional<TopicPartition> TopicPartition::parse_dir_name(std::string_view name) {
  size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  std::string_view topic = name.substr(0, dash);
  std::string_view num = name.substr(dash + 1);
  int32_t partition = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), partition);
  if (ec != std::errc() || ptr != num.data() + num.size() || partition < 0) return std::nullopt;
  // Reject "+1", "01" and the like so that the name round-trips.
  if (std::to_string(partition) != num) return std::nullopt;
  if (!is_valid_topic_name(topic)) return std::nullopt;
  return TopicPartition{std::string(topic), partition};
}

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::mt19937_64& rng() {
  static std::mt19937_64 gen{[] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }()};
  return gen;
}

}  // namespace

bool TopicId::is_zero() const {
  for (uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

std::string TopicId::to_string() const {
  // 16 bytes = 5 groups of 3 plus one byte: 20 + 2 characters.
  std::string out;
  out.reserve(22);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  uint32_t v = uint32_t{bytes[i]} << 16;
  out += kB64[(v >> 18) & 63];
  out += kB64[(v >> 12) & 63];
  return out;
}

std::optional<TopicId> TopicId::parse(std::string_view text) {
  if (text.size() != 22) return std::nullopt;
  TopicId id;
  size_t o = 0;
  size_t i = 0;
  for (; i + 4 <= 20; i += 4) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = b64_value(text[i + k]);
      if (d < 0) return std::nullopt;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    id.bytes[o++] = static_cast<uint8_t>(v >> 16);
    id.bytes[o++] = static_cast<uint8_t>(v >> 8);
    id.bytes[o++] = static_cast<uint8_t>(v);
  }
  int a = b64_value(text[20]);
  int b = b64_value(text[21]);
  if (a < 0 || b < 0 || (b & 0x0F) != 0) return std::nullopt;  // non-canonical trailing bits
  id.bytes[o] = static_cast<uint8_t>((a << 2) | (b >> 4));
  return id;
}

TopicId TopicId::random() {
  for (;;) {
    TopicId id;
    uint64_t hi = rng()();
    uint64_t lo = rng()();
    for (int k = 0; k < 8; ++k) {
      id.bytes[k] = static_cast<uint8_t>(hi >> (56 - 8 * k));
      id.bytes[8 + k] = static_cast<uint8_t>(lo >> (56 - 8 * k));
    }
    TopicId metadata;  // Kafka reserves 0...01 for the metadata topic.
    metadata.bytes[15] = 1;
    if (id.is_zero() || id == metadata || id.to_string().front() == '-') continue;
    return id;
  }
}

std::string random_hex_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int k = 0; k < 2; ++k) {
    uint64_t v = rng()();
    for (int i = 0; i < 16; ++i) out += kHex[(v >> (4 * i)) & 15];
  }
  return out;
}

}  // namespace fjord::log
