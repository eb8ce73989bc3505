#include "log/batch_scanner.h"

#include <algorithm>

#include "records/wire.h"

namespace fjord::log {

namespace wire = records::wire;
namespace layout = records::batch_layout;

namespace {
constexpr size_t kChunk = 16 * 1024;
}

BatchHeader parse_batch_header(const uint8_t* h, int64_t position) {
  BatchHeader b;
  b.position = position;
  b.size = static_cast<int32_t>(records::kLogOverhead) + wire::load_i32(h + layout::kBatchLength);
  b.base_offset = wire::load_i64(h + layout::kBaseOffset);
  b.last_offset = b.base_offset + wire::load_i32(h + layout::kLastOffsetDelta);
  b.base_timestamp = wire::load_i64(h + layout::kBaseTimestamp);
  b.max_timestamp = wire::load_i64(h + layout::kMaxTimestamp);
  b.leader_epoch = wire::load_i32(h + layout::kPartitionLeaderEpoch);
  b.attributes = wire::load_i16(h + layout::kAttributes);
  return b;
}

BatchScanner::BatchScanner(const File& file, int64_t start, int64_t end)
    : file_(file), pos_(start), end_(end) {}

const uint8_t* BatchScanner::fetch(int64_t pos, size_t n) {
  if (pos >= buf_start_ &&
      pos + static_cast<int64_t>(n) <= buf_start_ + static_cast<int64_t>(buf_len_)) {
    return buf_.data() + (pos - buf_start_);
  }
  size_t want = std::max(n, kChunk);
  want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(want), end_ - pos));
  if (buf_.size() < want) buf_.resize(want);
  size_t got = file_.read_at(std::span<uint8_t>(buf_.data(), want), pos);
  buf_start_ = pos;
  buf_len_ = got;
  if (got < n) return nullptr;  // the file shrank under us
  return buf_.data();
}

bool BatchScanner::advance(BatchHeader& out, bool whole, records::BatchView* view) {
  if (stop_ != Stop::kNone) return false;
  if (pos_ >= end_) {
    stop_ = Stop::kEnd;
    return false;
  }
  if (end_ - pos_ < static_cast<int64_t>(records::kLogOverhead)) {
    stop_ = Stop::kPartial;
    return false;
  }
  const uint8_t* p = fetch(pos_, records::kLogOverhead);
  if (p == nullptr) {
    stop_ = Stop::kPartial;
    return false;
  }
  int32_t batch_length = wire::load_i32(p + layout::kBatchLength);
  if (batch_length < static_cast<int32_t>(records::kBatchHeaderSize - records::kLogOverhead)) {
    stop_ = Stop::kCorrupt;
    return false;
  }
  int64_t size = static_cast<int64_t>(records::kLogOverhead) + batch_length;
  if (pos_ + size > end_) {
    stop_ = Stop::kPartial;
    return false;
  }
  size_t need = whole ? static_cast<size_t>(size) : records::kBatchHeaderSize;
  p = fetch(pos_, need);
  if (p == nullptr) {
    stop_ = Stop::kPartial;
    return false;
  }
  if (static_cast<int8_t>(p[layout::kMagic]) != records::kMagicV2) {
    stop_ = Stop::kCorrupt;
    return false;
  }
  out = parse_batch_header(p, pos_);
  if (view != nullptr) view->bytes = std::span<const uint8_t>(p, static_cast<size_t>(size));
  pos_ += size;
  return true;
}

bool BatchScanner::next(BatchHeader& out) { return advance(out, false, nullptr); }

bool BatchScanner::next_whole(BatchHeader& out, records::BatchView& view) {
  return advance(out, true, &view);
}

}  // namespace fjord::log
