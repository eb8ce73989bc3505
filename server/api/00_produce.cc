// Produce (key 0), v0-11.
//
// - v0-2 carry legacy message sets (magic 0/1, compressed or not). They are converted to one
//   v2 batch per partition before storage; Fjord stores only v2 batches, as Kafka 4 does.
// - v3+ carry exactly one v2 batch per partition (Kafka's rule); it is validated (CRC, sizes,
//   record count, timestamps) and stored as sent, with only its base offset, partition
//   leader epoch and, for LogAppendTime topics, its timestamps rewritten.
// - acks must be -1, 0 or 1 (else INVALID_REQUIRED_ACKS); acks=0 gets no response at all.
// - Errors as Kafka: CORRUPT_MESSAGE (CRC, framing), INVALID_RECORD (v8+; CORRUPT_MESSAGE
//   before), MESSAGE_TOO_LARGE (batch > max.message.bytes), RECORD_LIST_TOO_LARGE (bigger
//   than a segment), INVALID_TIMESTAMP, UNSUPPORTED_COMPRESSION_TYPE (zstd below v7),
//   UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION (writes to internal topics).
// - Idempotent and transactional batches (producer id >= 0) go through the partition's
//   producer state (log/producer_state.h): a retried batch answers NONE with its original base
//   offset and is not written again; OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH,
//   INVALID_TXN_STATE as Kafka. A producer id with a negative base sequence is an
//   INVALID_RECORD (CORRUPT_MESSAGE before v8); transactional batches in a request without a
//   transactional id fail every partition with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as in
//   Kafka. KIP-890 part 1: a transactional batch of a producer with no open transaction in the
//   partition is verified with the transaction coordinator first (the partition must be in
//   the producer's ongoing transaction): INVALID_TXN_STATE "Partition was not added to the
//   transaction" otherwise; PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH and coordinator
//   unavailability NOT_ENOUGH_REPLICAS (retriable), as Kafka's AddPartitionsToTxnManager.
// - compression.type (topic, else broker) other than `producer` recompresses each batch to that
//   codec, keeping its records, offset deltas and timestamps. On a compacted topic every record
//   needs a key: INVALID_RECORD with record_errors (CORRUPT_MESSAGE before v8), as Kafka.
// Deliberate gaps (later issues): KIP-890 part 2 (epoch bump per transaction, Produce v12).
#include <algorithm>
#include <chrono>

#include "compression/compression.h"
#include "coordinator/transaction_coordinator.h"
#include "records/batch.h"
#include "records/convert.h"
#include "server/api/handlers.h"
#include "server/broker.h"
#include "server/cluster/produce_validation.h"
#include "server/cluster/topics.h"

namespace fjord::api {

namespace {

using proto::ErrorCode;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Prepared {
  ErrorCode error = ErrorCode::NONE;
  std::string message;
  std::span<uint8_t> batches;  // what to append
  int32_t records = 0;
  std::vector<RecordError> record_errors;  // KIP-467 record_errors (v8+)
};

ErrorCode invalid_record(int16_t version) {
  return version >= 8 ? ErrorCode::INVALID_RECORD : ErrorCode::CORRUPT_MESSAGE;
}

ErrorCode map_records_error(records::Error e, int16_t version) {
  switch (e) {
    case records::Error::UnsupportedCompression:
      return ErrorCode::UNSUPPORTED_COMPRESSION_TYPE;
    case records::Error::InvalidRecord:
    case records::Error::UnsupportedMagic:
      return invalid_record(version);
    case records::Error::TooLarge:
      return ErrorCode::RECORD_LIST_TOO_LARGE;
    default:
      return ErrorCode::CORRUPT_MESSAGE;
  }
}

// Checks the timestamps of a CreateTime batch's records against
// message.timestamp.before/after.max.ms, from the range validate_records() saw in its walk
// (every record is in range iff the smallest and the largest are), and sets *max_ts to the
// largest (-1 when the batch has no records). Returns false when a timestamp is out of range.
bool check_timestamps(const records::BatchView& b, const records::RecordStats& stats,
                      const config::TopicConfig& tc, int64_t now, int64_t* max_ts) {
  *max_ts = -1;
  if (stats.records == 0) return true;
  const int64_t before = tc.effective_timestamp_before_max_ms();
  const int64_t after = tc.effective_timestamp_after_max_ms();
  const int64_t min_ts = b.base_timestamp() + stats.min_timestamp_delta;
  *max_ts = b.base_timestamp() + stats.max_timestamp_delta;
  if (before != config::kLongMax && min_ts < now - before) return false;
  if (after != config::kLongMax && *max_ts > now + after) return false;
  return true;
}

// Kafka recomputes a CreateTime batch's MaxTimestamp from its records (librdkafka, for one,
// writes 0 there when its records carry no timestamp); retention and the time index rely on
// it, so the header is corrected and the CRC recomputed when they disagree.
void fix_max_timestamp(std::span<uint8_t> batch, int64_t max_ts) {
  records::MutableBatchView mb{batch};
  if (mb.view().max_timestamp() == max_ts) return;
  auto u = static_cast<uint64_t>(max_ts);
  for (int i = 0; i < 8; ++i)
    batch[records::batch_layout::kMaxTimestamp + i] = static_cast<uint8_t>(u >> (56 - 8 * i));
  mb.update_crc();
}

// The buffer compressed batches are decompressed into for validation, reused from batch to
// batch (everything runs on the one io thread): a fresh vector per batch costs an allocation,
// page faults on its new pages and a copy at every doubling. Kept only up to kKeepScratch.
constexpr size_t kKeepScratch = 8 * 1024 * 1024;

struct ScratchLease {
  std::vector<uint8_t>& buf;
  ScratchLease() : buf(pool()) { buf.clear(); }
  ~ScratchLease() {
    if (buf.capacity() > kKeepScratch) std::vector<uint8_t>().swap(buf);
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  static std::vector<uint8_t>& pool() {
    thread_local std::vector<uint8_t> v;
    return v;
  }
};

Prepared prepare(std::span<uint8_t> data, int16_t version, const Topic& topic,
                 const config::BrokerConfig& bc, int64_t now, std::vector<uint8_t>& converted) {
  Prepared p;
  const auto& tc = topic.config;
  const size_t max_decompressed = static_cast<size_t>(bc.socket_request_max_bytes);
  std::span<uint8_t> batch_bytes = data;
  if (version < 3) {
    records::UpConvertOptions opts;
    opts.max_decompressed = max_decompressed;
    auto r = records::legacy_to_batch(data, converted, opts);
    if (r.error != records::Error::Ok) {
      p.error = map_records_error(r.error, version);
      p.message = "invalid legacy message set";
      return p;
    }
    batch_bytes = std::span<uint8_t>(converted.data(), converted.size());
  }
  // Exactly one v2 batch.
  records::BatchView b;
  if (records::frame_batch(batch_bytes, b) != records::Error::Ok ||
      b.size() != batch_bytes.size()) {
    p.error = version >= 3 && b.size() != batch_bytes.size() && b.size() > 0
                  ? invalid_record(version)
                  : ErrorCode::CORRUPT_MESSAGE;
    p.message = "a produce request must carry exactly one record batch per partition";
    return p;
  }
  if (b.magic() != records::kMagicV2) {
    p.error = invalid_record(version);
    p.message = "produce v3+ requires record batch magic 2";
    return p;
  }
  if (static_cast<int64_t>(b.size()) > tc.max_message_bytes) {
    p.error = ErrorCode::MESSAGE_TOO_LARGE;
    p.message = "batch of " + std::to_string(b.size()) + " bytes exceeds max.message.bytes";
    return p;
  }
  if (static_cast<int64_t>(b.size()) > tc.segment_bytes) {
    p.error = ErrorCode::RECORD_LIST_TOO_LARGE;
    return p;
  }
  if (b.codec() == compression::Codec::Zstd && version < 7) {
    p.error = ErrorCode::UNSUPPORTED_COMPRESSION_TYPE;
    p.message = "zstd needs produce v7 or later";
    return p;
  }
  if (b.is_control()) {
    p.error = invalid_record(version);
    p.message = "clients may not write control batches";
    return p;
  }
  // One pass: the header checks and the CRC, then a single walk over the records (decompressed
  // when compressed) that checks them and collects their timestamp range.
  ScratchLease lease;
  std::vector<uint8_t>& scratch = lease.buf;
  records::ValidateOptions vo;
  records::RecordStats stats;
  if (auto e = records::validate_records(b, scratch, max_decompressed, vo, &stats);
      e != records::Error::Ok) {
    p.error = map_records_error(e, version);
    p.message = "records failed validation";
    return p;
  }
  if (tc.message_timestamp_type == config::TimestampType::kCreateTime) {
    int64_t max_ts = -1;
    if (!check_timestamps(b, stats, tc, now, &max_ts)) {
      p.error = ErrorCode::INVALID_TIMESTAMP;
      p.message = "a record timestamp is out of the range message.timestamp.*.max.ms allows";
      return p;
    }
    fix_max_timestamp(batch_bytes, max_ts);
  }
  p.batches = batch_bytes;
  p.records = b.record_count();
  return p;
}

// After prepare(): the rules that depend on the topic's configs, as Kafka's LogValidator.
// cleanup.policy=compact needs a key on every record (INVALID_RECORD with record_errors; the
// whole batch fails). compression.type other than `producer` recompresses the batch into
// `recompressed` (same header fields and records, new codec bits and CRC). False on error.
bool apply_topic_rules(Prepared& p, int16_t version, const Topic& topic, int32_t partition,
                       const config::BrokerConfig& bc, std::vector<uint8_t>& recompressed) {
  const auto& tc = topic.config;
  const size_t max_decompressed = static_cast<size_t>(bc.socket_request_max_bytes);
  records::BatchView b{p.batches};
  std::vector<uint8_t> scratch;
  if (tc.cleanup_policy.compact) {
    if (!find_keyless_records(b, topic.name, partition, scratch, max_decompressed,
                              p.record_errors)) {
      p.error = invalid_record(version);
      p.message = "records failed validation";
      return false;
    }
    if (!p.record_errors.empty()) {
      p.error = invalid_record(version);
      p.message = record_errors_message(p.record_errors);
      return false;
    }
  }
  auto target = target_codec(tc);
  if (!target || *target == b.codec()) return true;
  if (auto e = recompress_batch(b, *target, compress_options(tc, *target), max_decompressed,
                                recompressed);
      e != records::Error::Ok) {
    p.error = map_records_error(e, version);
    p.message = "cannot recompress the batch to compression.type";
    return false;
  }
  if (static_cast<int64_t>(recompressed.size()) > tc.max_message_bytes) {
    p.error = ErrorCode::MESSAGE_TOO_LARGE;
    p.message = "recompressed batch of " + std::to_string(recompressed.size()) +
                " bytes exceeds max.message.bytes";
    return false;
  }
  if (static_cast<int64_t>(recompressed.size()) > tc.segment_bytes) {
    p.error = ErrorCode::RECORD_LIST_TOO_LARGE;
    return false;
  }
  p.batches = std::span<uint8_t>(recompressed.data(), recompressed.size());
  return true;
}

}  // namespace

asio::awaitable<std::optional<ProduceApi::Response>> ProduceApi::handle(RequestContext& ctx,
                                                                        Request& req) {
  Broker& broker = ctx.broker;
  const int16_t version = ctx.api_version;
  const int64_t now = now_ms();
  Response resp;
  const bool acks_ok = req.acks == -1 || req.acks == 0 || req.acks == 1;
  std::vector<uint8_t> converted;
  std::vector<uint8_t> recompressed;  // compression.type (apply_topic_rules)
  // Idempotence/transactions: Kafka refuses the whole request when it carries transactional
  // batches but no transactional id (the authorization check on a null id).
  bool unauthorized_txn = false;
  if (version >= 3 && !req.transactional_id) {
    for (const auto& rt : req.topic_data)
      for (const auto& rp : rt.partition_data) {
        if (rp.records.is_null()) continue;
        auto bytes = rp.records.bytes();
        if (bytes.size() > records::batch_layout::kAttributes + 1 &&
            (bytes[records::batch_layout::kAttributes + 1] & records::batch_attr::kTransactional))
          unauthorized_txn = true;
      }
  }
  for (auto& rt : req.topic_data) {
    auto& out_topic = resp.responses.emplace_back();
    out_topic.name = rt.name;
    Topic* topic = broker.topics().find(rt.name);
    for (auto& rp : rt.partition_data) {
      auto& out = out_topic.partition_responses.emplace_back();
      out.index = rp.index;
      out.base_offset = -1;
      auto fail = [&](ErrorCode e, std::string msg = {}) {
        out.error_code = proto::code(e);
        if (!msg.empty()) out.error_message = std::move(msg);
      };
      if (!acks_ok) {
        fail(ErrorCode::INVALID_REQUIRED_ACKS);
        continue;
      }
      if (unauthorized_txn) {
        fail(ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        continue;
      }
      if (!topic) {
        fail(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      if (topic->internal) {
        fail(ErrorCode::INVALID_TOPIC_EXCEPTION, "cannot append to internal topic " + rt.name);
        continue;
      }
      Partition* part = topic->partition(rp.index);
      if (!part) {
        fail(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      if (rp.records.is_null() || rp.records.size() == 0) {
        fail(ErrorCode::CORRUPT_MESSAGE, "no records");
        continue;
      }
      // The request buffer belongs to this connection and is not shared, so the batch can
      // be finalised (offsets, epoch, timestamps) in place before it is written.
      auto bytes = rp.records.bytes();
      std::span<uint8_t> data(const_cast<uint8_t*>(bytes.data()), bytes.size());
      converted.clear();
      Prepared p = prepare(data, version, *topic, broker.config(), now, converted);
      if (p.error != ErrorCode::NONE) {
        fail(p.error, p.message);
        continue;
      }
      if (!apply_topic_rules(p, version, *topic, rp.index, broker.config(), recompressed)) {
        fail(p.error, p.message);
        for (auto& re : p.record_errors)
          out.record_errors.push_back({re.batch_index, std::move(re.message), {}});
        continue;
      }
      // Idempotence: a batch with a producer id must carry a sequence (Kafka's LogValidator).
      if (records::BatchView pv{p.batches}; pv.producer_id() >= 0 && pv.base_sequence() < 0) {
        fail(invalid_record(version), "a batch with a producer id needs a base sequence");
        continue;
      }
      // KIP-890 part 1: the first transactional write of a transaction to this partition must
      // be to a partition the coordinator has in the producer's ongoing transaction.
      if (records::BatchView tv{p.batches}; tv.is_transactional() && req.transactional_id) {
        if (!part->has_ongoing_transaction(tv.producer_id())) {
          std::vector<ErrorCode> per;
          ErrorCode e = broker.transactions().verify_partitions(
              *req.transactional_id, tv.producer_id(), tv.producer_epoch(),
              {coordinator::TopicPartition{rt.name, rp.index}}, per);
          if (e == ErrorCode::NONE && !per.empty()) e = per[0];
          if (e == ErrorCode::PRODUCER_FENCED) e = ErrorCode::INVALID_PRODUCER_EPOCH;
          if (e == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS || e == ErrorCode::NOT_COORDINATOR ||
              e == ErrorCode::COORDINATOR_NOT_AVAILABLE)
            e = ErrorCode::NOT_ENOUGH_REPLICAS;
          if (e != ErrorCode::NONE) {
            fail(e, e == ErrorCode::INVALID_TXN_STATE ? "Partition was not added to the transaction"
                                                      : std::string());
            continue;
          }
        }
      }
      const bool lat =
          topic->config.message_timestamp_type == config::TimestampType::kLogAppendTime;
      AppendResult r = part->append(p.batches, p.records, lat, now);
      if (r.error != ErrorCode::NONE) {
        fail(r.error, r.message);
        continue;
      }
      out.base_offset = r.base_offset;
      out.log_append_time_ms = r.log_append_time;
      out.log_start_offset = r.log_start_offset;
    }
  }
  if (req.acks == 0) co_return std::nullopt;
  co_return resp;
}

}  // namespace fjord::api
