// Walks the record batches of a .log file from a position, reading the file in chunks.
// Used for offset translation (headers only) and for recovery (whole batches, to check the
// CRC). It never trusts a length field further than the end of the range it was given, so a
// garbage length cannot make it allocate or read more than the file holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "log/file.h"
#include "records/batch.h"

namespace fjord::log {

// The header fields of a batch as found in a segment.
struct BatchHeader {
  int64_t position = 0;  // where the batch starts in the .log
  int32_t size = 0;      // 12 + batchLength
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int32_t leader_epoch = 0;
  int16_t attributes = 0;

  int64_t next_offset() const { return last_offset + 1; }
  int64_t end_position() const { return position + size; }
};

// Fills `out` from the first 61 bytes of a batch (which must be available).
BatchHeader parse_batch_header(const uint8_t* header, int64_t position);

class BatchScanner {
 public:
  enum class Stop {
    kNone,     // still going
    kEnd,      // stopped exactly at the end of the range
    kPartial,  // the last batch runs past the end of the range (a torn write)
    kCorrupt,  // a length or magic byte that cannot be a v2 batch
  };

  // Scans [start, end) of `file`.
  BatchScanner(const File& file, int64_t start, int64_t end);

  // The next batch's header. False when the scan stops (see stop()).
  bool next(BatchHeader& out);
  // Like next(), and also loads the whole batch: `view` covers its bytes until the next call.
  bool next_whole(BatchHeader& out, records::BatchView& view);

  Stop stop() const { return stop_; }
  // Where the next batch would start: the end of the last batch returned.
  int64_t position() const { return pos_; }

 private:
  bool advance(BatchHeader& out, bool whole, records::BatchView* view);
  // Makes [pos, pos + n) available in the buffer. Caller checked pos + n <= end_.
  const uint8_t* fetch(int64_t pos, size_t n);

  const File& file_;
  int64_t pos_;
  int64_t end_;
  Stop stop_ = Stop::kNone;
  std::vector<uint8_t> buf_;
  int64_t buf_start_ = 0;
  size_t buf_len_ = 0;
};

}  // namespace fjord::log
