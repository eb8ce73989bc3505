// An in-memory PartitionStore for the coordinator tests: batches per partition with offsets
// assigned as the log would, and switches to make appends fail.
#pragma once

#include <map>
#include <vector>

#include "coordinator/partition_store.h"
#include "records/batch.h"

namespace fjord::coordinator::testing {

class FakeStore : public PartitionStore {
 public:
  struct Part {
    std::vector<std::vector<uint8_t>> batches;
    int64_t next = 0;
  };

  int32_t partition_count() override { return static_cast<int32_t>(parts.size()); }
  int32_t create(int32_t n) override {
    ++creates;
    if (parts.empty()) parts.resize(static_cast<size_t>(n));
    return partition_count();
  }
  StoreAppend append(int32_t partition, std::span<uint8_t> batch) override {
    if (fail_appends != proto::ErrorCode::NONE) return {fail_appends, -1};
    Part& p = parts.at(static_cast<size_t>(partition));
    std::vector<uint8_t> copy(batch.begin(), batch.end());
    records::MutableBatchView mb{copy};
    mb.set_base_offset(p.next);
    const int64_t base = p.next;
    p.next = mb.view().next_offset();
    p.batches.push_back(std::move(copy));
    ++appends;
    return {proto::ErrorCode::NONE, base};
  }
  int64_t start_offset(int32_t) override { return 0; }
  int64_t end_offset(int32_t partition) override {
    return parts.at(static_cast<size_t>(partition)).next;
  }
  proto::ErrorCode read(int32_t partition, int64_t offset, int32_t max_bytes,
                        std::vector<uint8_t>& out) override {
    for (const auto& b : parts.at(static_cast<size_t>(partition)).batches) {
      records::BatchView v{b};
      if (v.next_offset() <= offset) continue;
      if (!out.empty() && static_cast<int64_t>(out.size() + b.size()) > max_bytes) break;
      out.insert(out.end(), b.begin(), b.end());
    }
    return proto::ErrorCode::NONE;
  }

  // Every record of a partition as (key, value or nullopt), in log order.
  std::vector<std::pair<std::vector<uint8_t>, std::optional<std::vector<uint8_t>>>> records_of(
      int32_t partition) {
    std::vector<std::pair<std::vector<uint8_t>, std::optional<std::vector<uint8_t>>>> out;
    for (const auto& b : parts.at(static_cast<size_t>(partition)).batches) {
      records::BatchView v{b};
      records::RecordReader rr;
      std::vector<uint8_t> scratch;
      if (records::open_records(v, scratch, 1 << 20, rr) != records::Error::Ok) continue;
      records::RecordView r;
      while (rr.next(r)) {
        std::vector<uint8_t> k(r.key.data.begin(), r.key.data.end());
        std::optional<std::vector<uint8_t>> val;
        if (!r.value.is_null) val.emplace(r.value.data.begin(), r.value.data.end());
        out.emplace_back(std::move(k), std::move(val));
      }
    }
    return out;
  }

  std::vector<Part> parts;
  proto::ErrorCode fail_appends = proto::ErrorCode::NONE;
  int creates = 0;
  int appends = 0;
};

}  // namespace fjord::coordinator::testing
