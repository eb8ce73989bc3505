// libFuzzer target: arbitrary bytes as a request frame body (header + body). Must never crash,
// over-read or allocate without bound; DecodeError is the only acceptable failure.
#include <cstddef>
#include <cstdint>

#include "codec/frame.h"

using namespace fjord::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r(std::span<const uint8_t>(data, size));
  try {
    RequestHeader h = decode_request_header(r);
    visit_api(h.request_api_key, [&]<class Req, class Resp>() {
      Req req = decode_body<Req>(r, h.request_api_version);
      Writer w;
      req.encode(w, h.request_api_version);
      // Re-decoding what we encoded must succeed and give the same message.
      Reader again(w.buffer());
      Req back = decode_body<Req>(again, h.request_api_version);
      if (!(back == req)) __builtin_trap();
    });
  } catch (const DecodeError&) {
  }
  return 0;
}
