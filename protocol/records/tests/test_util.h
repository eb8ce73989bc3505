// Helpers shared by the records tests.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "records/batch.h"

namespace records_test {

using Bytes = std::vector<uint8_t>;

inline std::span<const uint8_t> as_span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline fjord::records::BytesView bv(std::string_view s) { return fjord::records::BytesView::of(s); }
inline fjord::records::BytesView null_bv() { return fjord::records::BytesView::null(); }

// Nullable string for comparisons: nullopt stands for a null byte string.
using Opt = std::optional<std::string>;
inline Opt opt(const fjord::records::BytesView& b) {
  if (b.is_null) return std::nullopt;
  return std::string(b.str());
}

// Big-endian appenders for building golden bytes by hand.
inline void be(Bytes& out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void raw(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
inline void raw(Bytes& out, std::initializer_list<uint8_t> b) { out.insert(out.end(), b); }

// True when `inner` lies entirely inside `outer` (zero-copy check).
inline bool points_into(std::span<const uint8_t> inner, std::span<const uint8_t> outer) {
  if (inner.empty()) return true;
  auto lo = reinterpret_cast<uintptr_t>(outer.data());
  auto hi = lo + outer.size();
  auto p = reinterpret_cast<uintptr_t>(inner.data());
  return p >= lo && p + inner.size() <= hi;
}

}  // namespace records_test
