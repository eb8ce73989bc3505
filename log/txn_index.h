// <base>.txnindex: the aborted transactions whose abort marker is in a segment, in Kafka's
// format. Each entry is 34 bytes, big-endian: version (int16, 0), producer id (int64), first
// offset (int64), last offset (int64, the marker), last stable offset (int64, the partition's
// LSO once the transaction completed). Entries are in marker order. The file exists only once
// an entry was written, as in Kafka.
//
// Not thread-safe; owned by its segment.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "log/file.h"

namespace fjord::log {

struct AbortedTxn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t last_stable_offset = -1;
  bool operator==(const AbortedTxn&) const = default;
};

struct AbortedTxnSearch {
  std::vector<AbortedTxn> found;
  // An entry's last stable offset reached the upper bound: later segments cannot add more.
  bool complete = false;
};

class TransactionIndex {
 public:
  static constexpr size_t kEntrySize = 34;

  // Reads the file if it exists. A trailing partial entry is cut off; an entry with an
  // unknown version or offsets out of order ends the valid part (the rest is dropped).
  explicit TransactionIndex(std::filesystem::path path);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<AbortedTxn>& entries() const { return entries_; }

  void append(const AbortedTxn& txn);
  // Removes entries whose last offset is at or after `offset`.
  void truncate_to(int64_t offset);
  // Removes every entry and the file.
  void reset();
  void flush();
  void delete_file();
  void rename_to(const std::filesystem::path& to);

  // Kafka's collectAbortedTxns: entries with last_offset >= fetch_offset and first_offset <
  // upper_bound.
  AbortedTxnSearch collect(int64_t fetch_offset, int64_t upper_bound) const;

  static std::vector<uint8_t> encode(const AbortedTxn& t);

 private:
  void rewrite();
  std::filesystem::path path_;
  std::vector<AbortedTxn> entries_;
  std::shared_ptr<File> file_;  // open once written
};

}  // namespace fjord::log
