#include "server/cluster/producer_ids.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

using namespace fjord;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("fjord-pid-test-" + std::to_string(reinterpret_cast<uintptr_t>(this)) + "-" +
            std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("producer ids are never handed out twice across restarts") {
  TempDir dir;
  const fs::path file = dir.path / "fjord-producer-ids";
  std::set<int64_t> seen;
  {
    ProducerIdManager m(file, 10);
    m.load();
    CHECK(!fs::exists(file));
    for (int i = 0; i < 3; ++i) {
      auto id = m.next();
      REQUIRE(id);
      CHECK(seen.insert(*id).second);
    }
    CHECK(seen == std::set<int64_t>{0, 1, 2});
    // The block end is on disk before an id of the block is used.
    CHECK(read(file) == "next-block-start=10\n");
  }
  // A restart (or a crash: nothing else is written) resumes after the persisted block.
  {
    ProducerIdManager m(file, 10);
    m.load();
    CHECK(m.peek() == 10);
    for (int i = 0; i < 15; ++i) {
      auto id = m.next();
      REQUIRE(id);
      CHECK(seen.insert(*id).second);
      CHECK(*id >= 10);
    }
    CHECK(read(file) == "next-block-start=30\n");
  }
  {
    ProducerIdManager m(file, 10);
    m.load();
    auto id = m.next();
    REQUIRE(id);
    CHECK(*id == 30);
  }
}

TEST_CASE("a damaged producer id file stops the broker with a message") {
  TempDir dir;
  const fs::path file = dir.path / "fjord-producer-ids";
  for (const char* bad : {"", "garbage\n", "next-block-start=-5\n", "next-block-start=12x\n"}) {
    std::ofstream(file) << bad;
    ProducerIdManager m(file, 10);
    CHECK_THROWS_AS(m.load(), std::runtime_error);
  }
}
