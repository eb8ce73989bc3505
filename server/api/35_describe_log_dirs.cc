// DescribeLogDirs (key 35), v0-4: the broker's log directory (Fjord has exactly one, log.dirs)
// with the size in bytes of each hosted partition; v4 adds the file system's total and usable
// bytes (statvfs: f_blocks and f_bavail times the fragment size).
//
// topics null means every partition; otherwise only the listed partitions are reported
// (unknown ones are left out), and topics left with no partition are omitted, as in Kafka 3+.
// offset_lag is 0 and is_future_key false: there are no replica moves between directories.
// log_dir is the directory's absolute path. The top-level error_code (v3+) is NONE (no ACLs);
// a directory that cannot be examined reports KAFKA_STORAGE_ERROR in its own error_code.
#include <sys/statvfs.h>

#include <filesystem>
#include <limits>
#include <set>

#include "codec/error_codes.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Resp = proto::DescribeLogDirsResponse;
using TopicPartition = std::pair<std::string, int32_t>;

// Java reports a negative size (overflow on huge file systems) as Long.MAX_VALUE.
int64_t clamp_size(unsigned long long bytes) {
  constexpr auto kMax = static_cast<unsigned long long>(std::numeric_limits<int64_t>::max());
  return bytes > kMax ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(bytes);
}

bool file_system_space(const std::string& dir, int64_t* total, int64_t* usable) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return false;
  const unsigned long long frag = st.f_frsize ? st.f_frsize : st.f_bsize;
  *total = clamp_size(static_cast<unsigned long long>(st.f_blocks) * frag);
  *usable = clamp_size(static_cast<unsigned long long>(st.f_bavail) * frag);
  return true;
}

void describe_partitions(TopicManager& topics, const std::optional<std::set<TopicPartition>>& only,
                         Resp::DescribeLogDirsResult& out) {
  for (const auto& [name, t] : topics.all()) {
    Resp::DescribeLogDirsTopic topic;
    topic.name = name;
    for (const auto& p : t->partitions) {
      if (only && !only->count({name, p->index()})) continue;
      auto& rp = topic.partitions.emplace_back();
      rp.partition_index = p->index();
      rp.partition_size = p->size_bytes();
      rp.offset_lag = 0;
      rp.is_future_key = false;
    }
    if (!topic.partitions.empty()) out.topics.push_back(std::move(topic));
  }
}

}  // namespace

asio::awaitable<std::optional<DescribeLogDirsApi::Response>> DescribeLogDirsApi::handle(
    RequestContext& ctx, Request& req) {
  std::optional<std::set<TopicPartition>> only;
  if (req.topics) {
    only.emplace();
    for (const auto& t : *req.topics)
      for (int32_t p : t.partitions) only->insert({t.topic, p});
  }
  Response resp;
  resp.error_code = proto::code(ErrorCode::NONE);
  auto& dir = resp.results.emplace_back();
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(ctx.broker.config().log_dir, ec);
  dir.log_dir = ec ? ctx.broker.config().log_dir : abs.string();
  if (!file_system_space(dir.log_dir, &dir.total_bytes, &dir.usable_bytes)) {
    dir.error_code = proto::code(ErrorCode::KAFKA_STORAGE_ERROR);
    dir.total_bytes = dir.usable_bytes = -1;
    co_return resp;
  }
  dir.error_code = proto::code(ErrorCode::NONE);
  describe_partitions(ctx.broker.topics(), only, dir);
  co_return resp;
}

}  // namespace fjord::api
