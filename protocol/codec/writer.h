// Writer: encoding of Kafka primitives. SizeCounter has the same interface and only counts,
// so one generated encode() serves both writing and sizing.
//
// Large "records" fields are not copied into the output buffer: the Writer remembers them as
// splices (position + records) and the network layer sends them with a gather write, or with
// sendfile(2) when the records are a file region. flatten() produces one contiguous buffer
// where that is simpler (tests, small responses); it reads file regions with pread(2).
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "codec/types.h"

namespace fjord::proto {

// Shared encoding logic for Writer and SizeCounter: everything is expressed in terms of
// the derived class's put()/put_records().
template <class Derived>
class EncoderBase {
 public:
  void write_bool(bool v) { write_int8(v ? 1 : 0); }
  void write_int8(int8_t v) { be<uint8_t>(static_cast<uint8_t>(v)); }
  void write_int16(int16_t v) { be<uint16_t>(static_cast<uint16_t>(v)); }
  void write_uint16(uint16_t v) { be<uint16_t>(v); }
  void write_int32(int32_t v) { be<uint32_t>(static_cast<uint32_t>(v)); }
  void write_uint32(uint32_t v) { be<uint32_t>(v); }
  void write_int64(int64_t v) { be<uint64_t>(static_cast<uint64_t>(v)); }
  void write_float64(double v) { be<uint64_t>(std::bit_cast<uint64_t>(v)); }
  void write_uuid(const Uuid& u) { self().put(u.bytes.data(), u.bytes.size()); }

  void write_uvarint(uint32_t v) { write_uvarlong(v); }
  void write_uvarlong(uint64_t v) {
    uint8_t buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<uint8_t>(v);
    self().put(buf, n);
  }
  void write_varint(int32_t v) {
    write_uvarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
  }
  void write_varlong(int64_t v) {
    write_uvarlong((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }

  void write_string(std::string_view s, bool compact) {
    if (compact) {
      write_uvarint(static_cast<uint32_t>(s.size() + 1));
    } else {
      write_int16(static_cast<int16_t>(s.size()));
    }
    self().put(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  void write_nullable_string(const std::optional<std::string>& s, bool compact) {
    if (s) return write_string(*s, compact);
    if (compact) {
      write_uvarint(0);
    } else {
      write_int16(-1);
    }
  }
  void write_bytes(std::span<const uint8_t> b, bool compact) {
    write_length32(b.size(), compact);
    self().put(b.data(), b.size());
  }
  void write_nullable_bytes(const std::optional<Bytes>& b, bool compact) {
    if (b) return write_bytes(*b, compact);
    write_null32(compact);
  }
  void write_records(const Records& r, bool compact) {
    if (r.is_null()) return write_null32(compact);
    write_length32(r.size(), compact);
    self().put_records(r);
  }
  void write_array_length(size_t n, bool compact) { write_length32(n, compact); }
  void write_null_array(bool compact) { write_null32(compact); }

 protected:
  void write_length32(size_t n, bool compact) {
    if (compact) {
      write_uvarint(static_cast<uint32_t>(n + 1));
    } else {
      write_int32(static_cast<int32_t>(n));
    }
  }
  void write_null32(bool compact) {
    if (compact) {
      write_uvarint(0);
    } else {
      write_int32(-1);
    }
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  template <class T>
  void be(T v) {
    uint8_t buf[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i)
      buf[i] = static_cast<uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
    self().put(buf, sizeof(T));
  }
};

// Counts the bytes an encode() would write.
class SizeCounter : public EncoderBase<SizeCounter> {
 public:
  void put(const uint8_t*, size_t n) { size_ += n; }
  void put_records(const Records& r) { size_ += r.size(); }
  size_t size() const { return size_; }

 private:
  size_t size_ = 0;
};

class Writer : public EncoderBase<Writer> {
 public:
  // A records view to be sent after `buffer()[0 .. position)`.
  struct Splice {
    size_t position;
    Records records;
  };
  // Records of at least `splice_threshold` bytes become splices; 0 means never splice.
  explicit Writer(size_t splice_threshold = 0) : splice_threshold_(splice_threshold) {}

  void put(const uint8_t* p, size_t n) { buf_.insert(buf_.end(), p, p + n); }
  // Small records are copied (file regions are read) into the buffer; see splice_threshold.
  void put_records(const Records& r) {
    if (splice_threshold_ != 0 && r.size() >= splice_threshold_) {
      splices_.push_back({buf_.size(), r});
      spliced_bytes_ += r.size();
    } else if (r.append_to(buf_) != r.size()) {
      // A file that shrank under us: the lengths already written would be wrong.
      throw std::runtime_error("records file is shorter than the records it should hold");
    }
  }

  // Overwrites 4 bytes at `pos` (for lengths written before their payload is known).
  void patch_int32(size_t pos, int32_t v);

  const std::vector<uint8_t>& buffer() const { return buf_; }
  std::vector<uint8_t>& buffer() { return buf_; }
  const std::vector<Splice>& splices() const { return splices_; }
  size_t size() const { return buf_.size() + spliced_bytes_; }
  // The whole encoding as one buffer, splices included.
  std::vector<uint8_t> flatten() const;

 private:
  std::vector<uint8_t> buf_;
  std::vector<Splice> splices_;
  size_t spliced_bytes_ = 0;
  size_t splice_threshold_;
};

}  // namespace fjord::proto
