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
class Records {
 public:
  Records() = default;  // null
  Records(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = {})
      : data_(bytes.data()), size_(bytes.size()), null_(false), owner_(std::move(owner)) {}
  static Records copy_of(std::span<const uint8_t> bytes);

  bool is_null() const { return null_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  const std::shared_ptr<const void>& owner() const { return owner_; }

  bool operator==(const Records& o) const {
    return null_ == o.null_ && size_ == o.size_ && (size_ == 0 || std::memcmp(data_, o.data_, size_) == 0);
  }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool null_ = true;
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
