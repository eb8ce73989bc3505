#include "server/cluster/offsets_store.h"

#include <chrono>

#include "records/batch.h"
#include "server/broker.h"
#include "server/cluster/topics.h"
#include "server/util/logging.h"

namespace fjord {

namespace {

int64_t wall_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

OffsetsStore::OffsetsStore(Broker& broker)
    : OffsetsStore(broker, InternalTopicSpec{
                               kOffsetsTopic, broker.config().offsets_topic_replication_factor,
                               broker.config().offsets_topic_segment_bytes, "group-coordinator"}) {}

Partition* OffsetsStore::partition(int32_t index) {
  return broker_.topics().partition(spec_.name, index);
}

int32_t OffsetsStore::partition_count() {
  Topic* t = broker_.topics().find(spec_.name);
  return t ? static_cast<int32_t>(t->partitions.size()) : 0;
}

int32_t OffsetsStore::create(int32_t partitions) {
  if (int32_t n = partition_count(); n > 0) return n;
  std::map<std::string, std::string> configs = {
      {"cleanup.policy", "compact"},
      {"compression.type", "producer"},
      {"segment.bytes", std::to_string(spec_.segment_bytes)},
  };
  CreateTopicResult r = broker_.topics().create(spec_.name, partitions, spec_.replication_factor,
                                                configs, /*validate_only=*/false);
  if (r.error != proto::ErrorCode::NONE) {
    FJORD_LOG_ERROR(spec_.component, "Cannot create ", spec_.name, ": error ", proto::code(r.error),
                    " ", r.message);
    return 0;
  }
  return partition_count();
}

coordinator::StoreAppend OffsetsStore::append(int32_t index, std::span<uint8_t> batch) {
  Partition* p = partition(index);
  if (!p) return {proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, -1};
  records::BatchView b{batch};
  AppendResult r = p->append(batch, b.record_count(), /*log_append_time=*/false, wall_now_ms());
  return {r.error, r.base_offset};
}

int64_t OffsetsStore::start_offset(int32_t index) {
  Partition* p = partition(index);
  return p ? p->log_start_offset() : 0;
}

int64_t OffsetsStore::end_offset(int32_t index) {
  Partition* p = partition(index);
  return p ? p->high_watermark() : 0;
}

proto::ErrorCode OffsetsStore::read(int32_t index, int64_t offset, int32_t max_bytes,
                                    std::vector<uint8_t>& out) {
  Partition* p = partition(index);
  if (!p) return proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
  ReadResult r = p->read(offset, max_bytes, /*min_one=*/true);
  if (r.error != proto::ErrorCode::NONE) return r.error;
  if (r.records.is_null()) return proto::ErrorCode::NONE;
  try {
    // The records may be a region of a segment file (zero-copy Fetch): read them in.
    r.records.append_to(out);
  } catch (const std::exception& e) {
    FJORD_LOG_ERROR(spec_.component, "Reading ", spec_.name, "-", index, " failed: ", e.what());
    return proto::ErrorCode::KAFKA_STORAGE_ERROR;
  }
  return proto::ErrorCode::NONE;
}

}  // namespace fjord
