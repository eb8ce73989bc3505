// Value types shared by the generated messages: UUIDs, byte strings, record views and
// unknown tagged fields.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fjord::proto {

using Bytes = std::vector<uint8_t>;

// A 128-bit UUID as Kafka sends it: 16 raw bytes, most significant first.
struct Uuid {
  std::array<uint8_t, 16> bytes{};
  bool is_zero() const;
  std::string to_base64url() const;  // Kafka's printed form (22 chars, no padding)
  static bool from_base64url(std::string_view text, Uuid& out);
  auto operator<=>(const Uuid&) const = default;
};

// The bytes of a "records" field: record batches or a legacy message set. Decoding does not
// copy them; the view points into the buffer the message was decoded from, so that buffer
// must outlive the message. `owner` may hold the storage alive when a message is built by
// hand (for example a Fetch response that references bytes read from a segment).
//
// Records may instead name a region of an open file (a Fetch response served from a log
// segment): the network layer then sends them with sendfile(2) without reading them into
// memory. Such records have no bytes(); code that needs the bytes calls in_memory() first.
class Records {
 public:
  Records() = default;  // null
  Records(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = {})
      : data_(bytes.data()), size_(bytes.size()), null_(false), owner_(std::move(owner)) {}
  static Records copy_of(std::span<const uint8_t> bytes);
  // `length` bytes at `offset` of the file open as `fd`; `owner` keeps the descriptor open.
  static Records from_file(int fd, int64_t offset, size_t length,
                           std::shared_ptr<const void> owner);

  bool is_null() const { return null_; }
  bool is_file() const { return fd_ >= 0; }
  int file_fd() const { return fd_; }
  int64_t file_offset() const { return file_offset_; }
  // The bytes of in-memory records. Throws std::logic_error for file-backed records.
  std::span<const uint8_t> bytes() const {
    if (fd_ >= 0) throw_file_backed();
    return {data_, size_};
  }
  size_t size() const { return size_; }
  const std::shared_ptr<const void>& owner() const { return owner_; }

  // The same records in memory: *this when they already are, else the file region read
  // with pread(2) (shorter if the file shrank meanwhile). Throws std::system_error if the
  // read fails.
  Records in_memory() const;
  // Appends the bytes to `out`, reading the file region if need be; returns how many bytes
  // were appended (fewer than size() only if the file shrank).
  size_t append_to(std::vector<uint8_t>& out) const;

  bool operator==(const Records& o) const {
    if (null_ != o.null_ || size_ != o.size_ || fd_ != o.fd_) return false;
    if (fd_ >= 0) return file_offset_ == o.file_offset_;
    return size_ == 0 || std::memcmp(data_, o.data_, size_) == 0;
  }

 private:
  [[noreturn]] static void throw_file_backed();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool null_ = true;
  int fd_ = -1;  // >= 0: the records are `size_` bytes at `file_offset_` of this file
  int64_t file_offset_ = 0;
  std::shared_ptr<const void> owner_;
};

// A tagged field this version of Fjord does not know: kept verbatim so that re-encoding a
// decoded message reproduces it.
struct RawTag {
  uint32_t tag = 0;
  Bytes data;
  bool operator==(const RawTag&) const = default;
};
using UnknownTags = std::vector<RawTag>;

}  // namespace fjord::proto
