// Small big-endian and zigzag-varint helpers shared by the record code.
// Readers take a span and a position and fail (return false) instead of
// reading past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace fjord::records::wire {

inline uint16_t load_u16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]);
}
inline uint32_t load_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t load_u64(const uint8_t* p) {
  return (uint64_t{load_u32(p)} << 32) | load_u32(p + 4);
}
inline int16_t load_i16(const uint8_t* p) { return static_cast<int16_t>(load_u16(p)); }
inline int32_t load_i32(const uint8_t* p) { return static_cast<int32_t>(load_u32(p)); }
inline int64_t load_i64(const uint8_t* p) { return static_cast<int64_t>(load_u64(p)); }

inline void store_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_u32(uint8_t* p, uint32_t v) {
  store_u16(p, static_cast<uint16_t>(v >> 16));
  store_u16(p + 2, static_cast<uint16_t>(v));
}
inline void store_u64(uint8_t* p, uint64_t v) {
  store_u32(p, static_cast<uint32_t>(v >> 32));
  store_u32(p + 4, static_cast<uint32_t>(v));
}

// Unsigned LEB128 of at most `max_bytes` bytes. Rejects overlong encodings
// that would not fit the target width.
inline bool read_uvarint(std::span<const uint8_t> d, size_t& pos, uint64_t& out, int max_bytes) {
  // Fast path: most varints in a record (attributes aside: deltas, lengths, counts) fit one
  // byte.
  if (pos < d.size() && d[pos] < 0x80) {
    out = d[pos++];
    return true;
  }
  uint64_t v = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (pos >= d.size()) return false;
    uint8_t b = d[pos++];
    v |= uint64_t{static_cast<uint8_t>(b & 0x7F)} << (7 * i);
    if ((b & 0x80) == 0) {
      // The last byte of a maximal encoding may only carry the bits that fit.
      if (i == max_bytes - 1) {
        int used = 7 * i;
        int width = max_bytes == 5 ? 32 : 64;
        if (width - used < 7 && (b >> (width - used)) != 0) return false;
      }
      out = v;
      return true;
    }
  }
  return false;
}

// Zigzag int32 varint (at most 5 bytes).
inline bool read_varint(std::span<const uint8_t> d, size_t& pos, int32_t& out) {
  uint64_t u;
  if (!read_uvarint(d, pos, u, 5)) return false;
  uint32_t z = static_cast<uint32_t>(u);
  out = static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
  return true;
}

// Zigzag int64 varlong (at most 10 bytes).
inline bool read_varlong(std::span<const uint8_t> d, size_t& pos, int64_t& out) {
  uint64_t z;
  if (!read_uvarint(d, pos, z, 10)) return false;
  out = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  return true;
}

inline void put_uvarint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}
inline void put_varint(std::vector<uint8_t>& out, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  put_uvarint(out, (u << 1) ^ static_cast<uint32_t>(v >> 31));
}
inline void put_varlong(std::vector<uint8_t>& out, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  put_uvarint(out, (u << 1) ^ static_cast<uint64_t>(v >> 63));
}
inline size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline size_t varint_size(int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  return uvarint_size((u << 1) ^ static_cast<uint32_t>(v >> 31));
}

inline void put_u8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }
inline void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  uint8_t b[2];
  store_u16(b, v);
  out.insert(out.end(), b, b + 2);
}
inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t b[4];
  store_u32(b, v);
  out.insert(out.end(), b, b + 4);
}
inline void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  uint8_t b[8];
  store_u64(b, v);
  out.insert(out.end(), b, b + 8);
}
inline void put_bytes(std::vector<uint8_t>& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}

}  // namespace fjord::records::wire
