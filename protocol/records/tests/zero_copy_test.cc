// Validating and iterating an uncompressed batch must not allocate (and so
// cannot copy record bytes anywhere). A counting global operator new checks it.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "records/builder.h"
#include "records/legacy.h"
#include "test_util.h"

namespace {
std::atomic<size_t> g_allocations{0};
}

void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

using namespace fjord::records;
using namespace records_test;

TEST_CASE("uncompressed batches are validated and iterated without allocating") {
  BatchBuilder b;
  HeaderView h{"hk", bv("hv")};
  for (int i = 0; i < 100; ++i) {
    b.append(i, bv("key"), bv("some value bytes"), std::span<const HeaderView>(&h, 1));
  }
  Bytes batches = b.build();
  b.build(batches);  // two batches back to back
  std::vector<uint8_t> unused;

  const size_t before = g_allocations.load();
  BatchIterator it(batches);
  BatchView v;
  size_t records = 0, value_bytes = 0;
  while (it.next(v)) {
    REQUIRE(v.validate() == Error::Ok);
    RecordReader reader;
    REQUIRE(open_records(v, unused, 1 << 20, reader) == Error::Ok);
    RecordView r;
    while (reader.next(r)) {
      value_bytes += r.value.size();
      HeaderIterator hi = r.headers();
      HeaderView hv;
      while (hi.next(hv)) value_bytes += hv.value.size();
      ++records;
    }
    REQUIRE(reader.error() == Error::Ok);
  }
  const size_t after = g_allocations.load();
  CHECK(after == before);
  CHECK(records == 200);
  CHECK(value_bytes == 200 * 18);
  CHECK(unused.capacity() == 0);
}

TEST_CASE("uncompressed legacy sets are read without allocating") {
  LegacyBuilder b;
  for (int i = 0; i < 50; ++i) b.append(i, i, bv("k"), bv("v"));
  Bytes set = b.build();
  const size_t before = g_allocations.load();
  LegacyReader r(set);
  LegacyMessageView m;
  size_t n = 0;
  while (r.next(m)) ++n;
  CHECK(g_allocations.load() == before);
  CHECK(n == 50);
}
