// The seam between the group coordinator and the broker's storage: the partitions of the
// internal topic __consumer_offsets. The coordinator only appends batches it built itself and
// reads them back at load time; the broker implements this over its partitions
// (server/cluster/offsets_store.h) and the unit tests over memory.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "codec/error_codes.h"

namespace fjord::coordinator {

struct StoreAppend {
  proto::ErrorCode error = proto::ErrorCode::NONE;
  int64_t base_offset = -1;
};

class PartitionStore {
 public:
  virtual ~PartitionStore() = default;

  // Partitions of the topic; 0 while it does not exist.
  virtual int32_t partition_count() = 0;
  // Creates the topic with `partitions` partitions (compacted). Returns the partition count
  // it ended up with (an existing topic keeps its own), or 0 on failure.
  virtual int32_t create(int32_t partitions) = 0;

  // Appends one v2 batch; its base offset and leader epoch are assigned by the store.
  virtual StoreAppend append(int32_t partition, std::span<uint8_t> batch) = 0;

  virtual int64_t start_offset(int32_t partition) = 0;
  virtual int64_t end_offset(int32_t partition) = 0;
  // Whole batches starting at the batch that holds `offset`: at least one batch when any
  // exist at or after it, then more up to about `max_bytes`. Empty at the end of the log.
  virtual proto::ErrorCode read(int32_t partition, int64_t offset, int32_t max_bytes,
                                std::vector<uint8_t>& out) = 0;
};

}  // namespace fjord::coordinator
