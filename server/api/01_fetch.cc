// Fetch (key 1), v0-12.
//
// - Long poll: when fewer than min_bytes are available the request waits up to max_wait_ms
//   and is answered as soon as an append brings enough data.
// - Limits: v3+ max_bytes bounds the whole response and partition_max_bytes each partition;
//   the first batch of the first partition with data is always returned whole even when it
//   is larger (KIP-74). v0-2 have no such rule: an oversized first batch is cut at the
//   partition limit, as Kafka does, which tells old clients to raise their fetch size.
// - v0-3 down-convert to magic 0 (v0-1) or magic 1 (v2-3); v4+ return stored batches as is.
// - isolation_level is accepted; until transactions exist read_committed and read_uncommitted
//   see the same data and the last stable offset equals the high watermark.
// Deliberate gaps: fetch sessions (v7+) always answer session id 0, i.e. "no session; send
// full requests", which every client accepts; topic ids (v13+) are not served yet.
#include <asio/steady_timer.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

#include "records/convert.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Resp = proto::FetchResponse;

struct Budget {
  int64_t left;      // bytes the response may still carry
  bool first = true; // no data yet: the next batch may exceed the limits (v3+)
};

void read_partition(Broker& broker, int16_t version, const proto::FetchRequest::FetchPartition& fp,
                    Partition* part, Budget& budget, Resp::PartitionData& out) {
  out.partition_index = fp.partition;
  out.high_watermark = -1;
  out.last_stable_offset = -1;
  out.log_start_offset = -1;
  if (!part) {
    out.error_code = proto::code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    return;
  }
  out.high_watermark = part->high_watermark();
  out.last_stable_offset = part->last_stable_offset();
  out.log_start_offset = part->log_start_offset();
  if (version >= 4) out.aborted_transactions.emplace();  // empty list, not null
  const int64_t limit = std::min<int64_t>(fp.partition_max_bytes, budget.left);
  if (limit <= 0 && !(budget.first && version >= 3)) {
    out.records = proto::Records(std::span<const uint8_t>());
    return;
  }
  const bool min_one = version >= 3 && budget.first;
  ReadResult r = part->read(fp.fetch_offset, static_cast<int32_t>(std::max<int64_t>(limit, 0)), min_one);
  if (r.error != ErrorCode::NONE) {
    out.error_code = proto::code(r.error);
    out.records = proto::Records(std::span<const uint8_t>());
    return;
  }
  proto::Records records = r.records;
  if (version < 3 && records.size() == 0 && limit > 0) {
    // The next batch is larger than the limit: hand back its first `limit` bytes.
    ReadResult whole = part->read(fp.fetch_offset, 0, true);
    if (whole.error == ErrorCode::NONE && whole.records.size() > 0) records = whole.records;
  }
  if (version <= 3 && records.size() > 0) {
    records::DownConvertOptions opts;
    opts.magic = version <= 1 ? records::kMagicV0 : records::kMagicV1;
    auto converted = std::make_shared<std::vector<uint8_t>>();
    auto res = records::batches_to_legacy(records.bytes(), *converted, opts);
    if (res.error != records::Error::Ok) {
      out.error_code = proto::code(ErrorCode::CORRUPT_MESSAGE);
      records = proto::Records(std::span<const uint8_t>());
    } else {
      std::span<const uint8_t> view(converted->data(), converted->size());
      records = proto::Records(view, converted);
    }
  }
  if (version < 3 && records.size() > static_cast<size_t>(std::max<int64_t>(limit, 0))) {
    records = proto::Records(records.bytes().first(static_cast<size_t>(std::max<int64_t>(limit, 0))),
                             records.owner());
  }
  out.records = records;
  budget.left -= static_cast<int64_t>(records.size());
  if (records.size() > 0) budget.first = false;
}

}  // namespace

asio::awaitable<std::optional<FetchApi::Response>> FetchApi::handle(RequestContext& ctx,
                                                                   Request& req) {
  Broker& broker = ctx.broker;
  const int16_t version = ctx.api_version;
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::milliseconds(std::max(0, req.max_wait_ms));
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);

  for (;;) {
    Response resp;
    resp.error_code = 0;
    resp.session_id = 0;
    Budget budget{version >= 3 ? std::max<int64_t>(req.max_bytes, 0) : INT64_MAX};
    int64_t total = 0;
    bool any_error = false;
    std::vector<Partition*> watched;
    for (const auto& ft : req.topics) {
      auto& out_topic = resp.responses.emplace_back();
      out_topic.topic = ft.topic;
      Topic* topic = broker.topics().find(ft.topic);
      for (const auto& fp : ft.partitions) {
        auto& out = out_topic.partitions.emplace_back();
        Partition* part = topic ? topic->partition(fp.partition) : nullptr;
        read_partition(broker, version, fp, part, budget, out);
        total += static_cast<int64_t>(out.records.size());
        if (out.error_code != 0) any_error = true;
        if (part) watched.push_back(part);
      }
    }
    if (total >= std::max(req.min_bytes, 1) || any_error || clock::now() >= deadline ||
        watched.empty() || req.max_wait_ms <= 0) {
      co_return resp;
    }
    // Wait for an append to any of the partitions, or the deadline.
    timer->expires_at(deadline);
    for (Partition* p : watched) p->add_waiter(timer);
    asio::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace fjord::api
