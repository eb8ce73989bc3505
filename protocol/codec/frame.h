// Request and response framing: the header that precedes every body, and helpers that decode
// a whole request body with errors naming the API and version.
#pragma once

#include <cstdint>
#include <span>

#include "codec/messages.h"

namespace fjord::proto {

// Decodes a request header. The header version depends on the API key and version, which
// are the first four bytes of every header, so they are peeked first. Unknown API keys get
// header v1 (enough to answer or close the connection).
RequestHeader decode_request_header(Reader& r, int16_t* header_version = nullptr);

// Decodes a message body of `version` from `in`, naming the message and version in any error.
// Trailing bytes after the body are tolerated, as Kafka does.
template <class M>
M decode_body(Reader& r, int16_t version) {
  M m;
  try {
    if (version < M::kMinVersion || version > M::kMaxVersion)
      throw DecodeError("unsupported version");
    m.decode(r, version);
  } catch (DecodeError& e) {
    e.set_message(std::string(M::kName), version);
    throw;
  }
  return m;
}

// Encodes a full response frame (int32 size, header, body) for `correlation_id`.
template <class M>
void encode_response_frame(Writer& w, int32_t correlation_id, int16_t version, const M& body) {
  const size_t start = w.buffer().size();
  const size_t before = w.size();
  w.write_int32(0);  // size, patched below
  ResponseHeader h;
  h.correlation_id = correlation_id;
  h.encode(w, response_header_version(M::kApiKey, version));
  body.encode(w, version);
  const size_t total = w.size() - before - 4;
  w.patch_int32(start, static_cast<int32_t>(total));
}

}  // namespace fjord::proto
