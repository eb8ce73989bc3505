// The group coordinator's storage: the partitions of the internal topic __consumer_offsets,
// over the broker's TopicManager. The topic is created on first use (as Kafka does) with
// offsets.topic.num.partitions partitions, cleanup.policy=compact and
// offsets.topic.segment.bytes. Clients may read it; Produce to it is refused
// (api/00_produce.cc), so only the coordinator writes it.
#pragma once

#include <string>

#include "coordinator/partition_store.h"

namespace fjord {

class Broker;
class Partition;

inline constexpr const char* kOffsetsTopic = "__consumer_offsets";
inline constexpr const char* kTransactionStateTopic = "__transaction_state";

// The same store serves the transaction coordinator's __transaction_state: an internal,
// compacted topic created on first use.
struct InternalTopicSpec {
  std::string name;
  int16_t replication_factor = 1;
  int32_t segment_bytes = 104857600;
  std::string component;  // for log lines
};

class OffsetsStore : public coordinator::PartitionStore {
 public:
  // __consumer_offsets with the offsets.topic.* configs.
  explicit OffsetsStore(Broker& broker);
  OffsetsStore(Broker& broker, InternalTopicSpec spec) : broker_(broker), spec_(std::move(spec)) {}

  int32_t partition_count() override;
  int32_t create(int32_t partitions) override;
  coordinator::StoreAppend append(int32_t partition, std::span<uint8_t> batch) override;
  int64_t start_offset(int32_t partition) override;
  int64_t end_offset(int32_t partition) override;
  proto::ErrorCode read(int32_t partition, int64_t offset, int32_t max_bytes,
                        std::vector<uint8_t>& out) override;

 private:
  Partition* partition(int32_t index);

  Broker& broker_;
  InternalTopicSpec spec_;
};

}  // namespace fjord
