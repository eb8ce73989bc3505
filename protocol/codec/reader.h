// Reader: bounds-checked decoding of Kafka primitives from a byte span.
//
// Every length and count read from the wire is checked against the bytes that remain
// before anything is allocated; a violation throws DecodeError. Nothing here allocates
// more than the input could justify.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "codec/errors.h"
#include "codec/types.h"

namespace fjord::proto {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : p_(in.data()), end_(in.data() + in.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  const uint8_t* position() const { return p_; }

  bool read_bool() { return read_int8() != 0; }
  int8_t read_int8() { return static_cast<int8_t>(read_be<uint8_t>()); }
  int16_t read_int16() { return static_cast<int16_t>(read_be<uint16_t>()); }
  uint16_t read_uint16() { return read_be<uint16_t>(); }
  int32_t read_int32() { return static_cast<int32_t>(read_be<uint32_t>()); }
  uint32_t read_uint32() { return read_be<uint32_t>(); }
  int64_t read_int64() { return static_cast<int64_t>(read_be<uint64_t>()); }
  double read_float64();
  Uuid read_uuid();

  uint32_t read_uvarint();
  uint64_t read_uvarlong();
  int32_t read_varint();   // zigzag
  int64_t read_varlong();  // zigzag

  std::string read_string(bool compact);
  std::optional<std::string> read_nullable_string(bool compact);
  Bytes read_bytes(bool compact);
  std::optional<Bytes> read_nullable_bytes(bool compact);
  Records read_records(bool compact);  // a view into the input, or null

  // Reads an array length (int32, or compact uvarint length+1). Returns -1 for null.
  // Rejects counts that could not fit in the remaining bytes given `min_elem_size`.
  int32_t read_array_length(bool compact, size_t min_elem_size);

  std::span<const uint8_t> read_span(size_t n);
  Reader sub_reader(size_t n) { return Reader(read_span(n)); }
  void skip(size_t n) { read_span(n); }

 private:
  void need(size_t n) const {
    if (remaining() < n) fail_short(n);
  }
  [[noreturn]] void fail_short(size_t n) const;
  // Length of a string/bytes field: -1 means null. Checked against remaining().
  int64_t read_length(bool compact, bool int32_length);

  template <class T>
  T read_be() {
    need(sizeof(T));
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | p_[i]);
    p_ += sizeof(T);
    return v;
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace fjord::proto
