// Incremental fetch sessions (KIP-227).
//
// A fetcher that sends session id 0 and epoch 0 asks for a session: the broker answers the
// full request and remembers its partitions under a new session id. Later requests carry
// that id and the next epoch and list only the partitions whose fetch parameters changed
// (plus the ones to forget); the broker reads every partition of the session and answers
// with only the partitions that have something new: records, a moved high watermark or log
// start offset, or an error.
//
// The cache decides how a request is served before any data is read (new_context) and
// settles the session once the partitions were read (complete). The rules follow Kafka:
//   epoch -1:                 sessionless full fetch; a session named by a non-zero id is closed
//   epoch 0:                  full fetch; a session named by a non-zero id is closed, and a new
//                             session is created if the cache has room (else id 0: sessionless)
//   other epochs:             incremental; FETCH_SESSION_ID_NOT_FOUND for an unknown id,
//                             INVALID_FETCH_SESSION_EPOCH for an epoch that is not the session's,
//                             FETCH_SESSION_TOPIC_ID_ERROR when the request names topics
//                             differently (ids vs names) than the request that opened it; a
//                             session left without partitions is closed (sessionless answer).
// Eviction when the cache is full (max.incremental.fetch.session.cache.slots): first the least
// recently used session if it has been idle longer than the eviction time (Kafka's fixed
// 120 s); otherwise the session with the fewest partitions among those older than the
// eviction time, if the new session has more partitions. Kafka also ranks sessions of
// follower brokers ("privileged") above consumers'; a single broker has no followers, so
// every session here ranks the same.
//
// Everything runs on the broker's event loop: no locking.
#pragma once

#include <compare>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codec/error_codes.h"
#include "codec/types.h"

namespace fjord {

// A partition as a session names it. Sessions opened with Fetch v13+ name topics by id (the
// name stays empty); older ones by name (the id stays zero).
struct SessionPartitionKey {
  proto::Uuid topic_id;
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const SessionPartitionKey&) const = default;
};

// What a fetch asks of one partition.
struct PartitionFetchParams {
  int64_t fetch_offset = 0;
  int32_t max_bytes = 0;
  int64_t log_start_offset = -1;  // the fetcher's own (followers); -1 for consumers
  int32_t current_leader_epoch = -1;
  int32_t last_fetched_epoch = -1;
};

struct PartitionFetch {
  SessionPartitionKey key;
  PartitionFetchParams params;
};

// What reading a partition produced, as far as the session needs to know.
struct PartitionFetchResult {
  int16_t error_code = 0;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
  size_t records_bytes = 0;
};

// One session: its partitions in the order they are read (partitions that returned data
// move to the back, so a response limit does not starve the ones behind them).
class FetchSession {
 public:
  FetchSession(int32_t id, bool uses_topic_ids, int64_t now_ms);

  int32_t id() const { return id_; }
  // The epoch the next request of this session must carry.
  int32_t epoch() const { return epoch_; }
  bool uses_topic_ids() const { return uses_topic_ids_; }
  size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  int64_t creation_ms() const { return creation_ms_; }
  int64_t last_used_ms() const { return last_used_ms_; }
  // The partitions with the fetch parameters last sent for them, in read order.
  std::vector<PartitionFetch> partitions() const;
  bool contains(const SessionPartitionKey& key) const { return index_.count(key) != 0; }

 private:
  friend class FetchSessionCache;
  struct Cached {
    PartitionFetch fetch;
    // What the fetcher was last told.
    int64_t high_watermark = -1;
    int64_t log_start_offset = -1;
  };

  // Adds or updates a partition; new partitions go to the back.
  void upsert(const PartitionFetch& p);
  void remove(const SessionPartitionKey& key);
  // Kafka's rule for including a partition in an incremental response; records what the
  // fetcher is told. False when the partition can be left out.
  bool must_respond(const SessionPartitionKey& key, const PartitionFetchResult& r);

  int32_t id_;
  int32_t epoch_ = 1;
  bool uses_topic_ids_;
  int64_t creation_ms_;
  int64_t last_used_ms_;
  std::list<Cached> order_;
  std::map<SessionPartitionKey, std::list<Cached>::iterator> index_;
};

// The session-related part of a Fetch request.
struct FetchSessionRequest {
  int32_t session_id = 0;
  int32_t session_epoch = -1;
  bool uses_topic_ids = false;  // Fetch v13+
  std::vector<PartitionFetch> partitions;
  std::vector<SessionPartitionKey> forgotten;
};

// How one Fetch request is served.
struct FetchContext {
  enum class Kind { kError, kSessionless, kFull, kIncremental };
  Kind kind = Kind::kSessionless;
  proto::ErrorCode error = proto::ErrorCode::NONE;  // kError only
  bool uses_topic_ids = false;
  // The partitions to read, in response order: the request's for full and sessionless
  // fetches, every partition of the session for incremental ones.
  std::vector<PartitionFetch> partitions;
  std::shared_ptr<FetchSession> session;  // kIncremental
  int32_t session_epoch = 0;              // kIncremental: the session's epoch after this request
};

// What the response says once the partitions were read.
struct FetchOutcome {
  proto::ErrorCode error = proto::ErrorCode::NONE;  // the response's top-level error
  int32_t session_id = 0;
  std::vector<bool> include;  // per FetchContext::partitions entry: part of the response?
};

class FetchSessionCache {
 public:
  static constexpr int64_t kDefaultEvictionMs = 120000;

  explicit FetchSessionCache(int32_t max_sessions, int64_t eviction_ms = kDefaultEvictionMs);

  // Applies the request to the cache (closing, updating or looking up its session) and says
  // which partitions to read.
  FetchContext new_context(const FetchSessionRequest& req, int64_t now_ms);
  // Settles the session after the read: `results[i]` is what reading ctx.partitions[i]
  // gave. A full fetch may create its session here; an incremental one learns which
  // partitions to include.
  FetchOutcome complete(const FetchContext& ctx, std::span<const PartitionFetchResult> results,
                        int64_t now_ms);

  size_t size() const { return sessions_.size(); }
  size_t total_partitions() const;
  std::shared_ptr<FetchSession> find(int32_t id) const;

 private:
  int32_t create_session(const FetchContext& ctx, std::span<const PartitionFetchResult> results,
                         int64_t now_ms);
  bool try_evict(size_t new_size, int64_t now_ms);
  void remove(int32_t id);
  void touch(FetchSession& s, int64_t now_ms);
  int32_t new_session_id();

  size_t max_sessions_;
  int64_t eviction_ms_;
  std::map<int32_t, std::shared_ptr<FetchSession>> sessions_;
  std::set<std::pair<int64_t, int32_t>> last_used_;  // (last used ms, id), oldest first
  std::mt19937 rng_;
};

}  // namespace fjord
