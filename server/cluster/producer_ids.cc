#include "server/cluster/producer_ids.h"

#include <charconv>
#include <limits>
#include <stdexcept>

#include "log/file.h"
#include "server/util/logging.h"

namespace fjord {

namespace {
constexpr std::string_view kKey = "next-block-start=";
}

ProducerIdManager::ProducerIdManager(std::filesystem::path file, int64_t block_size)
    : file_(std::move(file)), block_size_(block_size > 0 ? block_size : kDefaultBlockSize) {}

void ProducerIdManager::load() {
  std::optional<std::string> text;
  try {
    text = log::fs::read_if_exists(file_);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read " + file_.string() + ": " + e.what());
  }
  if (!text) {
    next_ = block_end_ = 0;
    return;
  }
  std::string_view s(*text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  int64_t v = -1;
  if (s.substr(0, kKey.size()) == kKey) {
    s.remove_prefix(kKey.size());
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) v = -1;
  }
  if (v < 0)
    throw std::runtime_error("cannot parse " + file_.string() +
                             " (expected one line 'next-block-start=<id>')");
  next_ = block_end_ = v;
}

bool ProducerIdManager::persist(int64_t block_end) {
  try {
    log::fs::atomic_write(file_, std::string(kKey) + std::to_string(block_end) + "\n");
    return true;
  } catch (const std::exception& e) {
    FJORD_LOG_ERROR("producer-ids", "Cannot persist the producer id block end to ", file_.string(),
                    ": ", e.what());
    return false;
  }
}

std::optional<int64_t> ProducerIdManager::next() {
  if (next_ >= block_end_) {
    if (next_ > std::numeric_limits<int64_t>::max() - block_size_) return std::nullopt;
    const int64_t end = next_ + block_size_;
    if (!persist(end)) return std::nullopt;
    block_end_ = end;
  }
  return next_++;
}

}  // namespace fjord
