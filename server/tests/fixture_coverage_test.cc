// Every API the broker serves (api/handlers.h, the list ApiVersions is built from) has at least
// one golden fixture: a request frame a real client sent, captured by tools/capture_fixtures.sh
// into tests/fixtures/ and decoded, re-encoded and truncated by protocol/codec/tests/
// fixtures_test.cc. An API none of the clients we can run sends would be listed below with
// the reason; the list may not go stale (a listed API that gains a fixture fails the test).
//
// It also checks that every captured version of a served API lies in the range we serve:
// clients pick versions from our ApiVersions answer, so a fixture outside it means the capture
// and the served ranges disagree.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "server/api/handlers.h"

#ifndef FJORD_FIXTURES_DIR
#error "FJORD_FIXTURES_DIR must name the tests/fixtures directory"
#endif

namespace fs = std::filesystem;

namespace {

struct Range {
  int16_t min, max;
};

template <class... H>
std::map<int16_t, Range> served(fjord::api::ApiList<H...>) {
  return {{H::kKey, Range{H::kMinVersion, H::kMaxVersion}}...};
}

// API key -> versions seen in fixture file names (<seq>-<key>_<Name>_v<version>.bin).
std::map<int16_t, std::set<int>> captured() {
  std::map<int16_t, std::set<int>> out;
  for (const auto& e : fs::recursive_directory_iterator(FJORD_FIXTURES_DIR)) {
    if (!e.is_regular_file() || e.path().extension() != ".bin") continue;
    const std::string name = e.path().filename().string();
    const size_t dash = name.find('-');
    const size_t v = name.rfind("_v");
    REQUIRE_MESSAGE((dash != std::string::npos && v != std::string::npos),
                    "fixture name not <seq>-<key>_<Name>_v<version>.bin: " << name);
    out[static_cast<int16_t>(std::stoi(name.substr(dash + 1)))].insert(
        std::stoi(name.substr(v + 2)));
  }
  return out;
}

// Served APIs that no client available here sends (kcat/confluent-kafka on librdkafka 2.0.2,
// librdkafka 2.15.1, kafka-python 2.0.2, sarama 1.22.1, kafkajs 2.2.4, @platformatic/kafka
// 1.35.0), with the reason. Empty today: add an API here only when no client can send it.
const std::map<int16_t, const char*> kNoClientSends = {};

}  // namespace

TEST_CASE("every served API has a fixture captured from a real client") {
  const auto apis = served(fjord::api::AllApis{});
  const auto fixtures = captured();
  REQUIRE(!apis.empty());
  for (const auto& [key, range] : apis) {
    INFO("API key " << key);
    const bool have = fixtures.count(key) > 0;
    if (auto it = kNoClientSends.find(key); it != kNoClientSends.end()) {
      CHECK_MESSAGE(!have,
                    "listed as sent by no client but a fixture exists: drop it from "
                    "kNoClientSends ("
                        << it->second << ")");
      continue;
    }
    CHECK_MESSAGE(have, "no fixture: add a scenario to tools/capture_fixtures.sh");
  }
  for (const auto& [key, reason] : kNoClientSends) {
    INFO(reason);
    CHECK_MESSAGE(apis.count(key), "kNoClientSends lists an API the broker does not serve");
  }
}

TEST_CASE("captured versions lie in the served ranges") {
  const auto apis = served(fjord::api::AllApis{});
  for (const auto& [key, versions] : captured()) {
    auto it = apis.find(key);
    if (it == apis.end()) continue;  // captured before it was served; the codec test covers it
    for (int v : versions) {
      INFO("API key " << key << " version " << v);
      CHECK(v >= it->second.min);
      CHECK(v <= it->second.max);
    }
  }
}
