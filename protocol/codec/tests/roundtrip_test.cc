// Every message at every version: random contents survive encode -> decode unchanged, the
// decoded message re-encodes to the same bytes, encoded_size() is exact, and every strict
// prefix of the encoding is rejected with a DecodeError.
#include <doctest/doctest.h>

#include <string>

#include "codec/frame.h"
#include "codec/messages_fill.h"

using namespace fjord::proto;

namespace {

int g_messages = 0;
int g_versions = 0;

template <class M>
void roundtrip_all_versions() {
  ++g_messages;
  for (int v = M::kMinVersion; v <= M::kMaxVersion; ++v) {
    const auto version = static_cast<int16_t>(v);
    ++g_versions;
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      testing::Rng rng(seed * 7919 + static_cast<uint64_t>(v));
      M original;
      testing::fill(original, rng, version);
      Writer w;
      original.encode(w, version);
      const auto bytes = w.flatten();
      INFO(std::string(M::kName) << " v" << v << " seed " << seed);
      CHECK(original.encoded_size(version) == bytes.size());

      Reader r(bytes);
      M decoded = decode_body<M>(r, version);
      CHECK(r.empty());
      CHECK(decoded == original);

      Writer again;
      decoded.encode(again, version);
      CHECK(again.flatten() == bytes);

      if (seed == 1) {
        for (size_t cut = 0; cut < bytes.size(); ++cut) {
          Reader pr(std::span<const uint8_t>(bytes.data(), cut));
          bool threw = false;
          try {
            (void)decode_body<M>(pr, version);
          } catch (const DecodeError& e) {
            threw = true;
            CHECK(e.message() == std::string(M::kName));
          }
          CHECK_MESSAGE(threw, "prefix of " << cut << " bytes decoded");
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("every message round-trips at every version") {
  for_each_message([]<class M>() { roundtrip_all_versions<M>(); });
  MESSAGE("messages: " << g_messages << ", message versions: " << g_versions);
  CHECK(g_messages > 100);
}

TEST_CASE("API table agrees with the message types") {
  for (const auto& a : kApis) {
    bool found = visit_api(a.key, [&]<class Req, class Resp>() {
      CHECK(Req::kApiKey == a.key);
      CHECK(Resp::kApiKey == a.key);
      CHECK(Req::kMinVersion == a.min_version);
      CHECK(Req::kMaxVersion == a.max_version);
      CHECK(Resp::kMaxVersion == a.max_version);
    });
    CHECK(found);
  }
  CHECK_FALSE(visit_api(4, []<class Req, class Resp>() {}));  // LeaderAndIsr: broker-internal
  CHECK(response_header_version(18, 3) == 0);                 // ApiVersions: always v0
  CHECK(response_header_version(0, 9) == 1);
  CHECK(request_header_version(0, 8) == 1);
  CHECK(request_header_version(0, 9) == 2);
}
