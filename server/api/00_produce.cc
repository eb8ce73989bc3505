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
// Deliberate gaps (later issues): idempotent/transactional producer state (sequence checks),
// topic-level compression.type recompression.
#include <algorithm>
#include <chrono>

#include "compression/compression.h"
#include "records/batch.h"
#include "records/convert.h"
#include "server/api/handlers.h"
#include "server/broker.h"
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
};

ErrorCode invalid_record(int16_t version) {
  return version >= 8 ? ErrorCode::INVALID_RECORD : ErrorCode::CORRUPT_MESSAGE;
}

ErrorCode map_records_error(records::Error e, int16_t version) {
  switch (e) {
    case records::Error::UnsupportedCompression: return ErrorCode::UNSUPPORTED_COMPRESSION_TYPE;
    case records::Error::InvalidRecord:
    case records::Error::UnsupportedMagic: return invalid_record(version);
    case records::Error::TooLarge: return ErrorCode::RECORD_LIST_TOO_LARGE;
    default: return ErrorCode::CORRUPT_MESSAGE;
  }
}

// Walks the records of a CreateTime batch: checks their timestamps against
// message.timestamp.before/after.max.ms and computes the largest one (-1 when no record
// has a timestamp). Returns false when a timestamp is out of range.
bool check_timestamps(const records::BatchView& b, const config::TopicConfig& tc, int64_t now,
                      std::vector<uint8_t>& scratch, size_t max_decompressed, int64_t* max_ts) {
  const int64_t before = tc.effective_timestamp_before_max_ms();
  const int64_t after = tc.effective_timestamp_after_max_ms();
  *max_ts = -1;
  records::RecordReader rr;
  if (records::open_records(b, scratch, max_decompressed, rr) != records::Error::Ok) return false;
  records::RecordView rec;
  while (rr.next(rec)) {
    const int64_t ts = b.base_timestamp() + rec.timestamp_delta;
    *max_ts = std::max(*max_ts, ts);
    if (before != config::kLongMax && ts < now - before) return false;
    if (after != config::kLongMax && ts > now + after) return false;
  }
  return rr.error() == records::Error::Ok;
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
  if (records::frame_batch(batch_bytes, b) != records::Error::Ok || b.size() != batch_bytes.size()) {
    p.error = version >= 3 && b.size() != batch_bytes.size() && b.size() > 0 ? invalid_record(version)
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
  std::vector<uint8_t> scratch;
  records::ValidateOptions vo;
  records::ValidateOptions header_only;
  header_only.check_records = false;  // validate_records() below walks the records once
  if (auto e = b.validate(header_only); e != records::Error::Ok) {
    p.error = map_records_error(e, version);
    p.message = "record batch failed validation";
    return p;
  }
  if (auto e = records::validate_records(b, scratch, max_decompressed, vo); e != records::Error::Ok) {
    p.error = map_records_error(e, version);
    p.message = "records failed validation";
    return p;
  }
  if (tc.message_timestamp_type == config::TimestampType::kCreateTime) {
    int64_t max_ts = -1;
    if (!check_timestamps(b, tc, now, scratch, max_decompressed, &max_ts)) {
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

}  // namespace

asio::awaitable<std::optional<ProduceApi::Response>> ProduceApi::handle(RequestContext& ctx,
                                                                       Request& req) {
  Broker& broker = ctx.broker;
  const int16_t version = ctx.api_version;
  const int64_t now = now_ms();
  Response resp;
  const bool acks_ok = req.acks == -1 || req.acks == 0 || req.acks == 1;
  std::vector<uint8_t> converted;
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
      if (!acks_ok) { fail(ErrorCode::INVALID_REQUIRED_ACKS); continue; }
      if (!topic) { fail(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION); continue; }
      if (topic->internal) {
        fail(ErrorCode::INVALID_TOPIC_EXCEPTION, "cannot append to internal topic " + rt.name);
        continue;
      }
      Partition* part = topic->partition(rp.index);
      if (!part) { fail(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION); continue; }
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
      if (p.error != ErrorCode::NONE) { fail(p.error, p.message); continue; }
      const bool lat = topic->config.message_timestamp_type == config::TimestampType::kLogAppendTime;
      AppendResult r = part->append(p.batches, p.records, lat, now);
      if (r.error != ErrorCode::NONE) { fail(r.error, r.message); continue; }
      out.base_offset = r.base_offset;
      out.log_append_time_ms = r.log_append_time;
      out.log_start_offset = r.log_start_offset;
    }
  }
  if (req.acks == 0) co_return std::nullopt;
  co_return resp;
}

}  // namespace fjord::api
