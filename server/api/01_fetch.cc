// Fetch (key 1), v0-17.
//
// - Long poll: when fewer than min_bytes are available the request waits up to max_wait_ms
//   and is answered as soon as an append brings enough data (min_bytes 0 or max_wait_ms 0
//   answer at once, as in Kafka). A partition error answers at once too.
// - Limits: v3+ max_bytes bounds the whole response and partition_max_bytes each partition;
//   the first batch of the first partition with data is always returned whole even when it
//   is larger (KIP-74). v0-2 have no such rule: when the next message is larger than the partition
//   limit they get Kafka's overflow message (offset -1, a length past the end), which tells
//   old clients to raise their fetch size (kafka-python raises RecordTooLargeError).
// - Zero copy: records are regions of segment files (Partition::read) that the connection
//   sends with sendfile(2). v0-3 down-convert to magic 0 (v0-1) or magic 1 (v2-3), which
//   reads the region into memory first; v4+ return stored batches as they are.
// - Sessions (v7+, KIP-227): server/cluster/fetch_sessions.h holds the rules; an incremental
//   response carries only partitions with new records, a changed high watermark or log start
//   offset, or an error.
// - Topic ids (v13+): requests and forgotten topics name topics by id; an unknown id gets
//   UNKNOWN_TOPIC_ID on each of its partitions. Responses carry the ids.
// - v9+ current_leader_epoch is checked: FENCED_LEADER_EPOCH when older than the partition's
//   epoch, UNKNOWN_LEADER_EPOCH when newer; v16+ then names the leader (CurrentLeader) and
//   its endpoint (NodeEndpoints).
// - zstd (KIP-110): Fetch below v10 gets UNSUPPORTED_COMPRESSION_TYPE for topics configured
//   with compression.type=zstd, and v0-3 for zstd batches (no legacy form), as in Kafka.
// - isolation_level 1 (read_committed, v4+): data only up to the last stable offset (the first
//   offset of the oldest open transaction), and aborted_transactions lists (producer id,
//   first offset) of the aborted transactions overlapping the returned records, from the
//   segments' .txnindex (Kafka's collectAbortedTransactions). A long-poll is woken by every
//   append but only answers once data below the LSO satisfies min_bytes.
// Deliberate gaps: replica_id / ReplicaState (v15) and ReplicaDirectoryId (v17) are decoded
// but there are no followers yet, so every fetch is served like a consumer's; v12+
// last_fetched_epoch is not checked (no DivergingEpoch: a single node's log never diverges);
// rack_id is ignored (preferred_read_replica stays -1).
#include <algorithm>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

#include "records/convert.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/fetch_sessions.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;
using Req = proto::FetchRequest;
using Resp = proto::FetchResponse;
using Clock = std::chrono::steady_clock;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Budget {
  int64_t left;       // bytes the response may still carry
  bool first = true;  // no data yet: the next batch may exceed the limits (v3+)
};

SessionPartitionKey key_of(bool ids, const std::string& topic, const proto::Uuid& topic_id,
                           int32_t partition) {
  return ids ? SessionPartitionKey{topic_id, {}, partition}
             : SessionPartitionKey{{}, topic, partition};
}

// The request as the session cache sees it.
FetchSessionRequest session_request(const Req& req, int16_t version) {
  FetchSessionRequest s;
  s.session_id = req.session_id;
  s.session_epoch = req.session_epoch;
  s.uses_topic_ids = version >= 13;
  for (const auto& ft : req.topics) {
    for (const auto& fp : ft.partitions) {
      PartitionFetch& p = s.partitions.emplace_back();
      p.key = key_of(s.uses_topic_ids, ft.topic, ft.topic_id, fp.partition);
      p.params.fetch_offset = fp.fetch_offset;
      p.params.max_bytes = fp.partition_max_bytes;
      p.params.log_start_offset = fp.log_start_offset;
      p.params.current_leader_epoch = fp.current_leader_epoch;
      p.params.last_fetched_epoch = fp.last_fetched_epoch;
    }
  }
  for (const auto& f : req.forgotten_topics_data)
    for (int32_t partition : f.partitions)
      s.forgotten.push_back(key_of(s.uses_topic_ids, f.topic, f.topic_id, partition));
  return s;
}

// The topic and partition a session key names, or the error that says why there are none.
std::pair<Topic*, Partition*> resolve(Broker& broker, const SessionPartitionKey& key, bool by_id,
                                      ErrorCode* error) {
  Topic* topic = by_id ? broker.topics().find(key.topic_id) : broker.topics().find(key.topic);
  if (!topic) {
    *error = by_id ? ErrorCode::UNKNOWN_TOPIC_ID : ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
    return {nullptr, nullptr};
  }
  Partition* part = topic->partition(key.partition);
  if (!part) *error = ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
  return {topic, part};
}

void set_error(Resp::PartitionData& out, ErrorCode error) {
  out.error_code = proto::code(error);
  out.high_watermark = -1;
  out.last_stable_offset = -1;
  out.log_start_offset = -1;
  out.records = proto::Records(std::span<const uint8_t>());
}

// The partition's current leader epoch check (v9+; -1 means the fetcher does not say).
ErrorCode check_leader_epoch(const Partition& part, int32_t requested) {
  if (requested < 0 || requested == part.leader_epoch()) return ErrorCode::NONE;
  return requested > part.leader_epoch() ? ErrorCode::UNKNOWN_LEADER_EPOCH
                                         : ErrorCode::FENCED_LEADER_EPOCH;
}

// Records as the fetch version wants them: v0-3 get legacy message sets (read into memory
// and down-converted), later versions the stored batches.
proto::Records for_version(int16_t version, const proto::Records& stored, ErrorCode* error) {
  if (version > 3 || stored.size() == 0) return stored;
  records::DownConvertOptions opts;
  opts.magic = version <= 1 ? records::kMagicV0 : records::kMagicV1;
  proto::Records mem = stored.in_memory();
  auto converted = std::make_shared<std::vector<uint8_t>>();
  auto res = records::batches_to_legacy(mem.bytes(), *converted, opts);
  if (res.error != records::Error::Ok) {
    // zstd has no magic 0/1 form (KIP-110): old fetch versions get UNSUPPORTED_COMPRESSION_TYPE.
    *error = res.error == records::Error::UnsupportedCompression
                 ? ErrorCode::UNSUPPORTED_COMPRESSION_TYPE
                 : ErrorCode::CORRUPT_MESSAGE;
    return proto::Records(std::span<const uint8_t>());
  }
  std::span<const uint8_t> view(converted->data(), converted->size());
  return proto::Records(view, converted);
}

// Fetch v0-2 when the next message is larger than the partition limit: Kafka (KIP-283's lazy
// down-conversion, LazyDownConversionRecordsSend) sends an "overflow message" of the bytes it
// had room for: offset -1 and a length reaching past the response, then zeros. Old consumers
// find no whole message in non-empty data and report it (kafka-python: RecordTooLargeError)
// instead of polling forever.
proto::Records overflow_message(int64_t size) {
  auto bytes = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(size), 0);
  if (size >= 12) {
    std::fill_n(bytes->begin(), 8, 0xff);                    // offset -1
    const int64_t length = std::max<int64_t>(size + 1, 61);  // 61: a v2 batch's overhead
    for (int i = 0; i < 4; ++i)
      (*bytes)[8 + i] = static_cast<uint8_t>(static_cast<uint32_t>(length) >> (24 - 8 * i));
  }
  std::span<const uint8_t> view(bytes->data(), bytes->size());
  return proto::Records(view, bytes);
}

void read_partition(int16_t version, bool read_committed, const PartitionFetchParams& fp,
                    const Topic& topic, Partition* part, Budget& budget, Resp::PartitionData& out) {
  if (ErrorCode e = check_leader_epoch(*part, fp.current_leader_epoch); e != ErrorCode::NONE) {
    set_error(out, e);
    return;
  }
  if (version < 10 && topic.config.compression_type == config::CompressionType::kZstd) {
    // Fetch below v10 predates zstd (KIP-110): Kafka refuses such topics to old fetchers.
    set_error(out, ErrorCode::UNSUPPORTED_COMPRESSION_TYPE);
    return;
  }
  out.high_watermark = part->high_watermark();
  out.last_stable_offset = part->last_stable_offset();
  out.log_start_offset = part->log_start_offset();
  if (version >= 4) out.aborted_transactions.emplace();  // empty list, not null
  const int64_t limit = std::max<int64_t>(std::min<int64_t>(fp.max_bytes, budget.left), 0);
  if (limit == 0 && !(budget.first && version >= 3)) {
    out.records = proto::Records(std::span<const uint8_t>());
    return;
  }
  const bool min_one = version >= 3 && budget.first;
  ReadResult r = part->read(fp.fetch_offset, static_cast<int32_t>(limit), min_one, read_committed);
  if (r.error != ErrorCode::NONE) {
    set_error(out, r.error);
    return;
  }
  if (read_committed && version >= 4) {
    for (const auto& [pid, first] : r.aborted_transactions) {
      auto& a = out.aborted_transactions->emplace_back();
      a.producer_id = pid;
      a.first_offset = first;
    }
  }
  proto::Records records = r.records;
  // v0-2 have a hard size limit: when the next batch does not fit, the cut read holds no
  // whole batch (or nothing at all), and down-conversion yields nothing.
  int64_t cut_bytes = static_cast<int64_t>(records.size());
  if (version < 3 && cut_bytes == 0 && limit > 0) {
    ReadResult whole = part->read(fp.fetch_offset, 0, true, read_committed);
    if (whole.error == ErrorCode::NONE && whole.records.size() > 0) cut_bytes = limit;
  }
  ErrorCode conversion = ErrorCode::NONE;
  records = for_version(version, records, &conversion);
  if (conversion != ErrorCode::NONE) {
    out.error_code = proto::code(conversion);
    out.records = records;
    return;
  }
  if (version < 3 && records.size() == 0 && cut_bytes > 0)
    records = overflow_message(std::min(cut_bytes, limit));
  if (version < 3 && records.size() > static_cast<size_t>(limit))
    records = proto::Records(records.bytes().first(static_cast<size_t>(limit)), records.owner());
  out.records = records;
  budget.left -= static_cast<int64_t>(records.size());
  if (records.size() > 0) budget.first = false;
}

// One pass over the partitions of the fetch.
struct Pass {
  std::vector<Resp::PartitionData> data;  // per FetchContext::partitions entry
  std::vector<Partition*> watched;        // partitions an append to could satisfy the fetch
  int64_t bytes = 0;
  bool any_error = false;
};

Pass read_all(Broker& broker, int16_t version, const Req& req, const FetchContext& fctx) {
  Pass pass;
  pass.data.resize(fctx.partitions.size());
  Budget budget{version >= 3 ? std::max<int64_t>(req.max_bytes, 0) : INT64_MAX};
  for (size_t i = 0; i < fctx.partitions.size(); ++i) {
    const PartitionFetch& pf = fctx.partitions[i];
    Resp::PartitionData& out = pass.data[i];
    out.partition_index = pf.key.partition;
    ErrorCode lookup = ErrorCode::NONE;
    // Looked up on every pass: a topic may be deleted while the fetch waits.
    auto [topic, part] = resolve(broker, pf.key, fctx.uses_topic_ids, &lookup);
    if (part) {
      read_partition(version, version >= 4 && req.isolation_level == 1, pf.params, *topic, part,
                     budget, out);
      pass.watched.push_back(part);
      if (version >= 16 && out.error_code == proto::code(ErrorCode::FENCED_LEADER_EPOCH)) {
        // Tell the fetcher who leads now (this broker) and at which epoch.
        out.current_leader.leader_id = broker.node_id();
        out.current_leader.leader_epoch = part->leader_epoch();
      }
    } else {
      set_error(out, lookup);
    }
    pass.bytes += static_cast<int64_t>(out.records.size());
    if (out.error_code != 0) pass.any_error = true;
  }
  return pass;
}

// v16+: when a partition names its current leader, the response carries the leader's
// endpoint so the fetcher need not wait for a metadata refresh.
void add_leader_endpoints(RequestContext& ctx, Resp& resp) {
  Broker& broker = ctx.broker;
  bool named = false;
  for (const auto& t : resp.responses)
    for (const auto& p : t.partitions)
      if (p.current_leader.leader_id == broker.node_id()) named = true;
  if (!named) return;
  const Endpoint& ep = broker.endpoint_for(ctx.connection.listener_name);
  auto& node = resp.node_endpoints.emplace_back();
  node.node_id = broker.node_id();
  node.host = ep.host;
  node.port = ep.port;
  node.rack = broker.config().broker_rack;
}

// Groups the partitions the outcome includes by topic, in fetch order.
Resp build_response(RequestContext& ctx, const FetchContext& fctx, const FetchOutcome& outcome,
                    Pass& pass) {
  Resp resp;
  resp.error_code = proto::code(outcome.error);
  resp.session_id = outcome.session_id;
  const int16_t version = ctx.api_version;
  for (size_t i = 0; i < fctx.partitions.size(); ++i) {
    if (i >= outcome.include.size() || !outcome.include[i]) continue;
    const SessionPartitionKey& key = fctx.partitions[i].key;
    if (resp.responses.empty() || resp.responses.back().topic != key.topic ||
        resp.responses.back().topic_id != key.topic_id) {
      auto& t = resp.responses.emplace_back();
      t.topic = key.topic;
      t.topic_id = key.topic_id;
    }
    resp.responses.back().partitions.push_back(std::move(pass.data[i]));
  }
  if (version >= 16) add_leader_endpoints(ctx, resp);
  return resp;
}

}  // namespace

asio::awaitable<std::optional<FetchApi::Response>> FetchApi::handle(RequestContext& ctx,
                                                                    Request& req) {
  Broker& broker = ctx.broker;
  const int16_t version = ctx.api_version;
  FetchSessionCache& sessions = broker.fetch_sessions();
  const FetchContext fctx = sessions.new_context(session_request(req, version), now_ms());
  if (fctx.kind == FetchContext::Kind::kError) {
    Response resp;
    resp.error_code = proto::code(fctx.error);
    resp.session_id = 0;
    co_return resp;
  }

  const auto deadline = Clock::now() + std::chrono::milliseconds(std::max(0, req.max_wait_ms));
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  for (;;) {
    Pass pass = read_all(broker, version, req, fctx);
    if (pass.bytes >= req.min_bytes || pass.any_error || pass.watched.empty() ||
        req.max_wait_ms <= 0 || Clock::now() >= deadline) {
      std::vector<PartitionFetchResult> results(pass.data.size());
      for (size_t i = 0; i < pass.data.size(); ++i) {
        results[i].error_code = pass.data[i].error_code;
        results[i].high_watermark = pass.data[i].high_watermark;
        results[i].log_start_offset = pass.data[i].log_start_offset;
        results[i].records_bytes = pass.data[i].records.size();
      }
      const FetchOutcome outcome = sessions.complete(fctx, results, now_ms());
      co_return build_response(ctx, fctx, outcome, pass);
    }
    // Wait for an append to any of the partitions, or the deadline. The records read in
    // this pass are dropped; the next pass reads them again with whatever was appended.
    timer->expires_at(deadline);
    for (Partition* p : pass.watched) p->add_waiter(timer);
    asio::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace fjord::api
