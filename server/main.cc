// fjord [CONFIG_FILE] [--override key=value ...] | fjord --version
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "server/broker.h"
#include "server/util/logging.h"

#ifndef FJORD_VERSION
#define FJORD_VERSION "0.0.0"
#endif

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: fjord [CONFIG_FILE] [--override key=value ...]\n"
               "       fjord --version\n"
               "With no config file Fjord runs on its defaults: a PLAINTEXT listener on\n"
               "localhost:9092 and data under ./data. CONFIG_FILE uses Kafka's\n"
               "server.properties keys (see conf/server.properties).\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::filesystem::path> file;
  std::vector<std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version" || a == "-v") {
      std::printf("fjord %s\n", FJORD_VERSION);
      return 0;
    }
    if (a == "--help" || a == "-h") return usage(), 0;
    if (a == "--override") {
      if (i + 1 >= argc) return usage();
      overrides.push_back(argv[++i]);
    } else if (a.rfind("--override=", 0) == 0) {
      overrides.push_back(a.substr(11));
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "fjord: unknown option %s\n", a.c_str());
      return usage();
    } else if (!file) {
      file = a;
    } else {
      return usage();
    }
  }

  // sendfile(2) has no MSG_NOSIGNAL: a peer that resets its connection mid-response must
  // cost that connection (EPIPE), not the process.
  std::signal(SIGPIPE, SIG_IGN);

  auto loaded = fjord::config::load_config(file, overrides);
  for (const auto& w : loaded.warnings) FJORD_LOG_WARN("config", w);
  for (const auto& n : loaded.notices) FJORD_LOG_DEBUG("config", n);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) FJORD_LOG_ERROR("config", e);
    std::fprintf(stderr, "fjord: invalid configuration, not starting\n");
    return 1;
  }
  try {
    fjord::Broker broker(std::move(*loaded.config));
    broker.start();
    broker.run();
  } catch (const std::exception& e) {
    FJORD_LOG_ERROR("broker", "Fatal: ", e.what());
    return 1;
  }
  return 0;
}
