// Tagged-field sections of flexible versions, shared by all generated decoders/encoders.
#pragma once

#include <cstdint>

#include "codec/errors.h"
#include "codec/reader.h"
#include "codec/types.h"
#include "codec/writer.h"

namespace fjord::proto::detail {

// More unknown tags than this in one struct is treated as an attack, not a message.
inline constexpr size_t kMaxUnknownTags = 1024;

// Reads a tag section. `known(tag, sub)` decodes a tag it knows from `sub` (the tag's bytes)
// and returns true; any other tag is kept in `unknown`.
template <class Known>
void read_tag_section(Reader& r, UnknownTags& unknown, Known&& known) {
  const uint32_t count = r.read_uvarint();
  // Each tagged field takes at least two bytes (tag and size).
  if (static_cast<uint64_t>(count) * 2 > r.remaining())
    throw DecodeError(std::to_string(count) + " tagged fields cannot fit in " +
                      std::to_string(r.remaining()) + " bytes");
  unknown.clear();
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t tag = r.read_uvarint();
    const uint32_t size = r.read_uvarint();
    Reader sub = r.sub_reader(size);
    if (known(tag, sub)) continue;
    if (unknown.size() >= kMaxUnknownTags)
      throw DecodeError("more than " + std::to_string(kMaxUnknownTags) + " unknown tagged fields");
    auto bytes = sub.read_span(sub.remaining());
    unknown.push_back(RawTag{tag, Bytes(bytes.begin(), bytes.end())});
  }
}

// Writes the unknown tags from index `i` on whose tag is below `limit`; returns the next index.
template <class W>
size_t write_raw_tags_below(W& w, const UnknownTags& tags, size_t i, uint64_t limit) {
  for (; i < tags.size() && tags[i].tag < limit; ++i) {
    w.write_uvarint(tags[i].tag);
    w.write_uvarint(static_cast<uint32_t>(tags[i].data.size()));
    w.put(tags[i].data.data(), tags[i].data.size());
  }
  return i;
}

}  // namespace fjord::proto::detail
