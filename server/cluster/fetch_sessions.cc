#include "server/cluster/fetch_sessions.h"

#include <algorithm>
#include <limits>

namespace fjord {

namespace {

using proto::ErrorCode;

// The epoch after `epoch`: wraps to 1 (0 means "new session"), and -1 stays -1.
int32_t next_epoch(int32_t epoch) {
  if (epoch < 0) return -1;
  if (epoch == std::numeric_limits<int32_t>::max()) return 1;
  return epoch + 1;
}

}  // namespace

// ---- FetchSession ----

FetchSession::FetchSession(int32_t id, bool uses_topic_ids, int64_t now_ms)
    : id_(id), uses_topic_ids_(uses_topic_ids), creation_ms_(now_ms), last_used_ms_(now_ms) {}

std::vector<PartitionFetch> FetchSession::partitions() const {
  std::vector<PartitionFetch> out;
  out.reserve(order_.size());
  for (const Cached& c : order_) out.push_back(c.fetch);
  return out;
}

void FetchSession::upsert(const PartitionFetch& p) {
  auto it = index_.find(p.key);
  if (it != index_.end()) {
    it->second->fetch.params = p.params;
    return;
  }
  Cached c;
  c.fetch = p;
  order_.push_back(std::move(c));
  index_.emplace(p.key, std::prev(order_.end()));
}

void FetchSession::remove(const SessionPartitionKey& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  order_.erase(it->second);
  index_.erase(it);
}

bool FetchSession::must_respond(const SessionPartitionKey& key, const PartitionFetchResult& r) {
  auto it = index_.find(key);
  if (it == index_.end()) return true;  // not cached (cannot happen): say everything
  Cached& c = *it->second;
  bool respond = r.records_bytes > 0;
  if (c.high_watermark != r.high_watermark) {
    respond = true;
    c.high_watermark = r.high_watermark;
  }
  if (c.log_start_offset != r.log_start_offset) {
    respond = true;
    c.log_start_offset = r.log_start_offset;
  }
  if (r.error_code != 0) {
    // Forget the high watermark so the partition is sent again once the error is gone.
    c.high_watermark = -1;
    respond = true;
  }
  if (r.records_bytes > 0) {
    // Partitions that returned data go to the back of the read order.
    order_.splice(order_.end(), order_, it->second);
  }
  return respond;
}

// ---- FetchSessionCache ----

FetchSessionCache::FetchSessionCache(int32_t max_sessions, int64_t eviction_ms)
    : max_sessions_(static_cast<size_t>(std::max(max_sessions, 0))),
      eviction_ms_(eviction_ms),
      rng_(std::random_device{}()) {}

std::shared_ptr<FetchSession> FetchSessionCache::find(int32_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

size_t FetchSessionCache::total_partitions() const {
  size_t n = 0;
  for (const auto& [id, s] : sessions_) n += s->size();
  return n;
}

FetchContext FetchSessionCache::new_context(const FetchSessionRequest& req, int64_t now_ms) {
  FetchContext ctx;
  ctx.uses_topic_ids = req.uses_topic_ids;
  const bool full = req.session_epoch == 0 || req.session_epoch == -1;
  if (full) {
    // A full request closes the session it names; epoch 0 asks for a new one.
    if (req.session_id != 0) remove(req.session_id);
    ctx.kind =
        req.session_epoch == 0 ? FetchContext::Kind::kFull : FetchContext::Kind::kSessionless;
    ctx.partitions = req.partitions;
    return ctx;
  }
  std::shared_ptr<FetchSession> session = find(req.session_id);
  if (!session) {
    ctx.kind = FetchContext::Kind::kError;
    ctx.error = ErrorCode::FETCH_SESSION_ID_NOT_FOUND;
    return ctx;
  }
  if (session->epoch() != req.session_epoch) {
    ctx.kind = FetchContext::Kind::kError;
    ctx.error = ErrorCode::INVALID_FETCH_SESSION_EPOCH;
    return ctx;
  }
  if (session->uses_topic_ids() != req.uses_topic_ids) {
    ctx.kind = FetchContext::Kind::kError;
    ctx.error = ErrorCode::FETCH_SESSION_TOPIC_ID_ERROR;
    return ctx;
  }
  for (const PartitionFetch& p : req.partitions) session->upsert(p);
  for (const SessionPartitionKey& k : req.forgotten) session->remove(k);
  if (session->empty()) {
    // Nothing left to fetch: the session ends and the request is answered as it stands.
    remove(session->id());
    ctx.kind = FetchContext::Kind::kSessionless;
    ctx.partitions = req.partitions;
    return ctx;
  }
  touch(*session, now_ms);
  session->epoch_ = next_epoch(session->epoch_);
  ctx.kind = FetchContext::Kind::kIncremental;
  ctx.session = session;
  ctx.session_epoch = session->epoch_;
  ctx.partitions = session->partitions();
  return ctx;
}

FetchOutcome FetchSessionCache::complete(const FetchContext& ctx,
                                         std::span<const PartitionFetchResult> results,
                                         int64_t now_ms) {
  FetchOutcome out;
  switch (ctx.kind) {
    case FetchContext::Kind::kError:
      out.error = ctx.error;
      out.include.assign(ctx.partitions.size(), false);
      return out;
    case FetchContext::Kind::kSessionless:
      out.include.assign(ctx.partitions.size(), true);
      return out;
    case FetchContext::Kind::kFull:
      out.include.assign(ctx.partitions.size(), true);
      out.session_id = create_session(ctx, results, now_ms);
      return out;
    case FetchContext::Kind::kIncremental:
      break;
  }
  FetchSession& s = *ctx.session;
  out.session_id = s.id();
  if (s.epoch() != ctx.session_epoch) {
    // Another request of this session was accepted while this one waited: this answer is
    // stale, and the fetcher must not take it for the newer one.
    out.error = ErrorCode::INVALID_FETCH_SESSION_EPOCH;
    out.include.assign(ctx.partitions.size(), false);
    return out;
  }
  out.include.resize(ctx.partitions.size());
  for (size_t i = 0; i < ctx.partitions.size() && i < results.size(); ++i)
    out.include[i] = s.must_respond(ctx.partitions[i].key, results[i]);
  return out;
}

int32_t FetchSessionCache::create_session(const FetchContext& ctx,
                                          std::span<const PartitionFetchResult> results,
                                          int64_t now_ms) {
  if (max_sessions_ == 0) return 0;
  if (sessions_.size() >= max_sessions_ && !try_evict(ctx.partitions.size(), now_ms)) return 0;
  auto session = std::make_shared<FetchSession>(new_session_id(), ctx.uses_topic_ids, now_ms);
  for (size_t i = 0; i < ctx.partitions.size(); ++i) {
    session->upsert(ctx.partitions[i]);
    if (i < results.size()) {
      FetchSession::Cached& c = *session->index_.at(ctx.partitions[i].key);
      c.high_watermark = results[i].error_code != 0 ? -1 : results[i].high_watermark;
      c.log_start_offset = results[i].log_start_offset;
    }
  }
  const int32_t id = session->id();
  sessions_.emplace(id, session);
  last_used_.emplace(now_ms, id);
  return id;
}

bool FetchSessionCache::try_evict(size_t new_size, int64_t now_ms) {
  if (last_used_.empty()) return false;
  // A session idle for longer than the eviction time goes first.
  const auto [oldest_used, oldest_id] = *last_used_.begin();
  if (now_ms - oldest_used > eviction_ms_) {
    remove(oldest_id);
    return true;
  }
  // Otherwise the smallest session that is no longer new, if the new one is larger.
  const FetchSession* victim = nullptr;
  for (const auto& [id, s] : sessions_) {
    if (now_ms - s->creation_ms() <= eviction_ms_) continue;
    if (!victim || s->size() < victim->size() ||
        (s->size() == victim->size() && s->id() < victim->id()))
      victim = s.get();
  }
  if (!victim || new_size <= victim->size()) return false;
  remove(victim->id());
  return true;
}

void FetchSessionCache::remove(int32_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  last_used_.erase({it->second->last_used_ms(), id});
  sessions_.erase(it);
}

void FetchSessionCache::touch(FetchSession& s, int64_t now_ms) {
  last_used_.erase({s.last_used_ms_, s.id_});
  s.last_used_ms_ = now_ms;
  last_used_.emplace(now_ms, s.id_);
}

int32_t FetchSessionCache::new_session_id() {
  std::uniform_int_distribution<int32_t> dist(1, std::numeric_limits<int32_t>::max());
  for (;;) {
    const int32_t id = dist(rng_);
    if (!sessions_.count(id)) return id;
  }
}

}  // namespace fjord
