#include "compression/compression.h"

#include <doctest/doctest.h>
#include <lz4frame.h>
#include <snappy.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compression/xxh32.h"
#include "fixtures.h"

// Under AddressSanitizer the address space is mostly shadow memory, so limiting it is pointless.
#if defined(__SANITIZE_ADDRESS__)
#define FJORD_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FJORD_TEST_ASAN 1
#endif
#endif

namespace fjord::compression {
namespace {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr const char* kLimitMessage = "exceeds max_out";

// ---------------------------------------------------------------------------------------------
// Helpers

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes bytes_of(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

Bytes random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Text-like data with long repeats and some variation, like a batch of similar records.
Bytes repetitive_bytes(size_t n) {
  Bytes out;
  out.reserve(n);
  for (uint32_t i = 0; out.size() < n; ++i) {
    const std::string line = "key-" + std::to_string(i % 97) + " value=" + std::to_string(i) +
                             " lorem ipsum dolor sit amet\n";
    for (char c : line) {
      if (out.size() == n) break;
      out.push_back(static_cast<uint8_t>(c));
    }
  }
  return out;
}

// One way of producing and reading a compressed payload.
struct Variant {
  const char* name;
  Codec codec;
  CompressOptions options;
  bool legacy_lz4 = false;  // the decompress flag
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> all = {
      {"none", Codec::None, {}},
      {"gzip", Codec::Gzip, {}},
      {"snappy-raw", Codec::Snappy, {}},
      {"snappy-xerial", Codec::Snappy, {.snappy_xerial = true}},
      {"lz4", Codec::Lz4, {}},
      {"lz4-legacy", Codec::Lz4, {.lz4_legacy_header_checksum = true}, true},
      {"zstd", Codec::Zstd, {}},
  };
  return all;
}

Bytes compressed(const Variant& v, std::span<const uint8_t> in) {
  Bytes out;
  compress(v.codec, in, out, v.options);
  return out;
}

Bytes decompressed(Codec c, std::span<const uint8_t> in, size_t max_out = 64 * kMiB,
                   bool legacy_lz4 = false) {
  Bytes out;
  decompress(c, in, out, max_out, legacy_lz4);
  return out;
}

Bytes decompressed(const Variant& v, std::span<const uint8_t> in, size_t max_out = 64 * kMiB) {
  return decompressed(v.codec, in, max_out, v.legacy_lz4);
}

// True if decompressing fails with CompressionError; false if it succeeds. Any other exception
// propagates and fails the test.
bool rejects(Codec c, std::span<const uint8_t> in, bool legacy_lz4 = false) {
  Bytes out;
  try {
    decompress(c, in, out, kMiB, legacy_lz4);
  } catch (const CompressionError&) {
    CHECK(out.empty());
    return true;
  }
  CHECK(out.size() <= kMiB);
  return false;
}

// True if `len` bytes of the xerial stream `blob` end exactly after a block (or the header): such
// a prefix is itself a valid, shorter stream.
bool at_xerial_block_boundary(const Bytes& blob, size_t len) {
  size_t pos = 16;
  while (pos < len) {
    const size_t block_size = size_t{blob[pos]} << 24 | size_t{blob[pos + 1]} << 16 |
                              size_t{blob[pos + 2]} << 8 | size_t{blob[pos + 3]};
    pos += 4 + block_size;
  }
  return pos == len;
}

// ---------------------------------------------------------------------------------------------
// Decompression bombs: 1 GiB of zeros, compressed chunk by chunk so that the test never holds the
// plaintext, with the codec libraries used directly.

constexpr uint64_t kBombSize = kGiB;

Bytes gzip_bomb() {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes zeros(kMiB), buf(kMiB), out;
  for (uint64_t done = 0; done < kBombSize; done += kMiB) {
    const bool last = done + kMiB == kBombSize;
    zs.next_in = zeros.data();
    zs.avail_in = static_cast<uInt>(zeros.size());
    int rc;
    do {
      zs.next_out = buf.data();
      zs.avail_out = static_cast<uInt>(buf.size());
      rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
      REQUIRE(rc != Z_STREAM_ERROR);
      out.insert(out.end(), buf.data(), zs.next_out);
    } while (zs.avail_out == 0 || (last && rc != Z_STREAM_END));
  }
  deflateEnd(&zs);
  return out;
}

// `window_log` 0 keeps the level's default; `pledge` writes the size into the frame header.
Bytes zstd_bomb(int window_log = 0, bool pledge = false) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  if (window_log != 0) ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, window_log);
  if (pledge) ZSTD_CCtx_setPledgedSrcSize(cctx, kBombSize);
  Bytes zeros(kMiB), buf(ZSTD_CStreamOutSize()), out;
  for (uint64_t done = 0; done < kBombSize; done += kMiB) {
    const bool last = done + kMiB == kBombSize;
    ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
    size_t remaining;
    do {
      ZSTD_outBuffer o{buf.data(), buf.size(), 0};
      remaining = ZSTD_compressStream2(cctx, &o, &in, last ? ZSTD_e_end : ZSTD_e_continue);
      REQUIRE(!ZSTD_isError(remaining));
      out.insert(out.end(), buf.data(), buf.data() + o.pos);
    } while (last ? remaining != 0 : in.pos < in.size);
  }
  ZSTD_freeCCtx(cctx);
  return out;
}

Bytes lz4_bomb(LZ4F_blockSizeID_t block_size = LZ4F_max64KB) {
  LZ4F_cctx* cctx = nullptr;
  REQUIRE(!LZ4F_isError(LZ4F_createCompressionContext(&cctx, LZ4F_VERSION)));
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = block_size;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  Bytes zeros(kMiB), buf(LZ4F_compressBound(kMiB, &prefs) + LZ4F_HEADER_SIZE_MAX), out;
  auto emit = [&](size_t n) {
    REQUIRE(!LZ4F_isError(n));
    out.insert(out.end(), buf.data(), buf.data() + n);
  };
  emit(LZ4F_compressBegin(cctx, buf.data(), buf.size(), &prefs));
  for (uint64_t done = 0; done < kBombSize; done += kMiB) {
    emit(LZ4F_compressUpdate(cctx, buf.data(), buf.size(), zeros.data(), zeros.size(), nullptr));
  }
  emit(LZ4F_compressEnd(cctx, buf.data(), buf.size(), nullptr));
  LZ4F_freeCompressionContext(cctx);
  return out;
}

// Xerial blocks are independent, so one compressed 32 KiB block of zeros is simply repeated.
Bytes snappy_xerial_bomb() {
  Bytes block;
  compress(Codec::Snappy, Bytes(32 * kKiB), block);
  Bytes out;
  compress(Codec::Snappy, {}, out, {.snappy_xerial = true});  // just the header
  const auto n = static_cast<uint32_t>(block.size());
  const uint8_t length[4] = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                             static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  out.reserve(out.size() + (kBombSize / (32 * kKiB)) * (4 + block.size()));
  for (uint64_t done = 0; done < kBombSize; done += 32 * kKiB) {
    out.insert(out.end(), length, length + 4);
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

#ifndef FJORD_TEST_ASAN
size_t address_space_size() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  statm >> pages;
  return pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Decompresses `bomb` with a 1 MiB limit in a child process whose address space may grow by at
// most `budget` bytes. True if it failed with the output-limit error, and not because an
// allocation failed (a decoder could turn that into a CompressionError of its own).
bool rejected_within_address_space(Codec c, const Bytes& bomb, bool legacy_lz4, size_t budget) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const rlimit limit{address_space_size() + budget, address_space_size() + budget};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(10);
    int code = 1;  // no exception at all
    try {
      Bytes out;
      decompress(c, bomb, out, kMiB, legacy_lz4);
    } catch (const CompressionError& e) {
      code = std::strstr(e.what(), kLimitMessage) != nullptr ? 0 : 2;
    } catch (const std::bad_alloc&) {
      code = 3;
    } catch (...) {
      code = 4;
    }
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO("child status ", status);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

void check_bomb_rejected(Codec c, const Bytes& bomb, bool legacy_lz4 = false) {
  INFO(codec_name(c), " bomb of ", bomb.size(), " bytes");
  Bytes out = {1, 2, 3};
  const auto start = Clock::now();
  CHECK_THROWS_WITH_AS(decompress(c, bomb, out, kMiB, legacy_lz4), doctest::Contains(kLimitMessage),
                       CompressionError);
  const auto elapsed = Clock::now() - start;
  CHECK(elapsed < std::chrono::seconds(2));
  CHECK(out == Bytes{1, 2, 3});
  CHECK(out.capacity() <= 4 * kMiB);  // the output never grew far beyond the limit
#ifndef FJORD_TEST_ASAN
  // 1 MiB of output, an 8 MiB window at most, some chunks: 32 MiB is plenty.
  CHECK(rejected_within_address_space(c, bomb, legacy_lz4, 32 * kMiB));
#endif
}

// ---------------------------------------------------------------------------------------------
// Tests

TEST_CASE("codec names") {
  CHECK(std::string(codec_name(Codec::None)) == "none");
  CHECK(std::string(codec_name(Codec::Gzip)) == "gzip");
  CHECK(std::string(codec_name(Codec::Snappy)) == "snappy");
  CHECK(std::string(codec_name(Codec::Lz4)) == "lz4");
  CHECK(std::string(codec_name(Codec::Zstd)) == "zstd");
  CHECK(std::string(codec_name(static_cast<Codec>(6))) == "unknown");
}

TEST_CASE("round trip: empty, 1 byte, 1 MiB random, 1 MiB repetitive") {
  const std::vector<std::pair<const char*, Bytes>> inputs = {
      {"empty", {}},
      {"one byte", {0x42}},
      {"1 MiB random", random_bytes(kMiB, 1)},
      {"1 MiB repetitive", repetitive_bytes(kMiB)},
  };
  for (const Variant& v : variants()) {
    for (const auto& named_input : inputs) {
      // (No structured bindings: clang 14 cannot capture them in INFO's lambda.)
      const std::string_view input_name = named_input.first;
      const Bytes& input = named_input.second;
      INFO(v.name, " / ", input_name);
      const Bytes packed = compressed(v, input);
      CHECK(decompressed(v, packed) == input);
      if (v.codec != Codec::None && input_name == "1 MiB repetitive") {
        CHECK(packed.size() < input.size() / 4);  // repetitive data does compress
      }
      // decompress appends after what the vector already holds.
      Bytes out = {0xAA, 0xBB};
      decompress(v.codec, packed, out, input.size(), v.legacy_lz4);
      REQUIRE(out.size() == input.size() + 2);
      CHECK(out[0] == 0xAA);
      CHECK(out[1] == 0xBB);
      CHECK(std::equal(input.begin(), input.end(), out.begin() + 2));
    }
  }
}

TEST_CASE("round trip at other compression levels") {
  const Bytes input = repetitive_bytes(200 * kKiB);
  const std::vector<std::pair<Codec, int>> levels = {
      {Codec::Gzip, 0}, {Codec::Gzip, 1}, {Codec::Gzip, 9},  {Codec::Lz4, 1},  {Codec::Lz4, 9},
      {Codec::Lz4, -5}, {Codec::Zstd, 1}, {Codec::Zstd, 19}, {Codec::Zstd, -5}};
  for (const auto& codec_level : levels) {
    const Codec codec = codec_level.first;
    const int level = codec_level.second;
    INFO(codec_name(codec), " level ", level);
    Bytes packed;
    compress(codec, input, packed, {.level = level});
    CHECK(decompressed(codec, packed) == input);
  }
  Bytes out;
  CHECK_THROWS_AS(compress(Codec::Gzip, input, out, {.level = 10}), CompressionError);
  CHECK_THROWS_AS(compress(Codec::Zstd, input, out, {.level = 1000}), CompressionError);
}

TEST_CASE("the output limit is exact and failures leave the output untouched") {
  const Bytes input = repetitive_bytes(1000);
  for (const Variant& v : variants()) {
    INFO(v.name);
    const Bytes packed = compressed(v, input);
    CHECK(decompressed(v, packed, input.size()) == input);
    Bytes out = {7, 8, 9};
    CHECK_THROWS_WITH_AS(decompress(v.codec, packed, out, input.size() - 1, v.legacy_lz4),
                         doctest::Contains(kLimitMessage), CompressionError);
    CHECK(out == Bytes{7, 8, 9});
  }
}

TEST_CASE("empty input") {
  CHECK(decompressed(Codec::None, {}).empty());
  for (Codec c : {Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd}) {
    INFO(codec_name(c));
    CHECK(rejects(c, {}));
    CHECK(rejects(c, {}, true));
  }
}

TEST_CASE("unknown codec ids are rejected") {
  const Bytes input = {1, 2, 3};
  for (int id : {5, 6, 7, 255}) {
    INFO("codec id ", id);
    const auto c = static_cast<Codec>(id);
    Bytes out;
    CHECK_THROWS_WITH_AS(decompress(c, input, out, kMiB),
                         doctest::Contains("unknown compression codec"), CompressionError);
    CHECK_THROWS_WITH_AS(compress(c, input, out), doctest::Contains("unknown compression codec"),
                         CompressionError);
    CHECK(out.empty());
  }
}

TEST_CASE("xxh32 matches the reference implementation") {
  for (const auto& vector : fixtures::kXxh32Vectors) {
    INFO(vector.input);
    const Bytes input = bytes_of(vector.input);
    CHECK(detail::xxh32(input, vector.seed) == vector.hash);
  }
}

TEST_CASE("snappy: xerial framing and raw blocks are both recognised") {
  const Bytes input = repetitive_bytes(100 * kKiB);  // four xerial blocks
  Bytes raw, xerial;
  compress(Codec::Snappy, input, raw);
  compress(Codec::Snappy, input, xerial, {.snappy_xerial = true});
  CHECK(raw != xerial);
  CHECK(xerial.size() > 16);
  CHECK(std::memcmp(xerial.data(), "\x82SNAPPY\0\0\0\0\x01\0\0\0\x01", 16) == 0);
  CHECK(decompressed(Codec::Snappy, raw) == input);
  CHECK(decompressed(Codec::Snappy, xerial) == input);
}

TEST_CASE("snappy: malformed xerial framing") {
  Bytes header;
  compress(Codec::Snappy, {}, header, {.snappy_xerial = true});
  REQUIRE(header.size() == 16);
  SUBCASE("the header alone is an empty stream") {
    CHECK(decompressed(Codec::Snappy, header).empty());
  }
  SUBCASE("magic without the version fields") {
    CHECK(rejects(Codec::Snappy, std::span(header).first(8)));
  }
  SUBCASE("incomplete block length") {
    Bytes blob = header;
    blob.insert(blob.end(), {0, 0, 0});
    CHECK(rejects(Codec::Snappy, blob));
  }
  SUBCASE("negative block length") {
    Bytes blob = header;
    blob.insert(blob.end(), {0x80, 0, 0, 1, 0, 0});
    CHECK(rejects(Codec::Snappy, blob));
  }
  SUBCASE("block length beyond the input") {
    Bytes blob = header;
    blob.insert(blob.end(), {0, 0, 0, 9, 1, 0, 0x61});
    CHECK(rejects(Codec::Snappy, blob));
  }
  SUBCASE("empty block") {
    Bytes blob = header;
    blob.insert(blob.end(), {0, 0, 0, 0});
    CHECK(rejects(Codec::Snappy, blob));
  }
}

TEST_CASE("fixtures written by kafka-python decode") {
  const Bytes plaintext = bytes_of(fixtures::kPlaintext);
  SUBCASE("snappy, xerial framing") {
    CHECK(decompressed(Codec::Snappy, fixtures::kXerialSnappy) == plaintext);
  }
  SUBCASE("snappy, xerial framing with two blocks") {
    CHECK(decompressed(Codec::Snappy, fixtures::kXerialSnappyMultiBlock) ==
          bytes_of(fixtures::multi_block_plaintext()));
  }
  SUBCASE("snappy, raw block") {
    CHECK(decompressed(Codec::Snappy, fixtures::kRawSnappy) == plaintext);
  }
  SUBCASE("lz4 with the magic-0 header checksum needs the legacy flag") {
    CHECK(decompressed(Codec::Lz4, fixtures::kLz4OldKafka, kMiB, true) == plaintext);
    CHECK(rejects(Codec::Lz4, fixtures::kLz4OldKafka, false));
  }
  SUBCASE("lz4, correct frame, read with and without the legacy flag") {
    CHECK(decompressed(Codec::Lz4, fixtures::kLz4Frame, kMiB, false) == plaintext);
    CHECK(decompressed(Codec::Lz4, fixtures::kLz4Frame, kMiB, true) == plaintext);
  }
  SUBCASE("gzip from Python's gzip module, with a file name in the header") {
    CHECK(decompressed(Codec::Gzip, fixtures::kGzipPython) == plaintext);
  }
  SUBCASE("gzip, two members") {
    CHECK(decompressed(Codec::Gzip, fixtures::kGzipTwoMembers) == plaintext);
  }
  SUBCASE("zstd") { CHECK(decompressed(Codec::Zstd, fixtures::kZstdPython) == plaintext); }
}

TEST_CASE("lz4: the legacy header checksum") {
  const Bytes input = repetitive_bytes(10 * kKiB);
  Bytes legacy, correct;
  compress(Codec::Lz4, input, legacy, {.lz4_legacy_header_checksum = true});
  compress(Codec::Lz4, input, correct);
  REQUIRE(legacy.size() == correct.size());
  // Only the HC byte (offset 6: no content size, no dictionary id) differs, and the legacy one
  // is the hash of magic + FLG + BD, like kafka-python's lz4_encode_old_kafka.
  CHECK(legacy[6] != correct[6]);
  CHECK(std::equal(legacy.begin() + 7, legacy.end(), correct.begin() + 7));
  CHECK(legacy[6] == static_cast<uint8_t>(detail::xxh32(std::span(legacy).first(6), 0) >> 8));
  CHECK(correct[6] ==
        static_cast<uint8_t>(detail::xxh32(std::span(correct).subspan(4, 2), 0) >> 8));
  CHECK(rejects(Codec::Lz4, legacy, false));
  CHECK(decompressed(Codec::Lz4, legacy, kMiB, true) == input);
  CHECK(decompressed(Codec::Lz4, correct, kMiB, true) == input);
}

TEST_CASE("concatenated frames and members") {
  const Bytes a = repetitive_bytes(3000), b = random_bytes(2000, 7);
  Bytes both = a;
  both.insert(both.end(), b.begin(), b.end());
  for (const Variant& v : variants()) {
    if (v.codec == Codec::None || v.codec == Codec::Snappy) continue;  // snappy has no such thing
    INFO(v.name);
    Bytes packed = compressed(v, a);
    const Bytes second = compressed(v, b);
    packed.insert(packed.end(), second.begin(), second.end());
    CHECK(decompressed(v, packed) == both);
  }
}

TEST_CASE("trailing garbage is rejected") {
  for (const Variant& v : variants()) {
    if (v.codec == Codec::None) continue;
    INFO(v.name);
    Bytes packed = compressed(v, repetitive_bytes(3000));
    packed.insert(packed.end(), {0x00, 0x13, 0x37});
    CHECK(rejects(v.codec, packed, v.legacy_lz4));
  }
}

TEST_CASE("zstd: a frame with a 128 MiB window and no content size") {
  // What a producer at level 22 writes (streaming, so the size is unknown). It must decode even
  // with a small limit, without a 128 MiB window buffer.
  const Bytes input = bytes_of(fixtures::kPlaintext);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 27);
  Bytes packed(ZSTD_compressBound(input.size()) + 64);
  ZSTD_outBuffer out{packed.data(), packed.size(), 0};
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  REQUIRE(!ZSTD_isError(ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue)));
  REQUIRE(ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end) == 0);
  ZSTD_freeCCtx(cctx);
  packed.resize(out.pos);
  REQUIRE(ZSTD_getFrameContentSize(packed.data(), packed.size()) == ZSTD_CONTENTSIZE_UNKNOWN);

  CHECK(decompressed(Codec::Zstd, packed, kMiB) == input);
  CHECK(decompressed(Codec::Zstd, packed, input.size()) == input);
  CHECK(decompressed(Codec::Zstd, packed, 512 * kMiB) == input);  // streaming path
  Bytes two = packed;
  two.insert(two.end(), packed.begin(), packed.end());
  Bytes expected = input;
  expected.insert(expected.end(), input.begin(), input.end());
  CHECK(decompressed(Codec::Zstd, two, kMiB) == expected);
  Bytes kept = {5};
  CHECK_THROWS_WITH_AS(decompress(Codec::Zstd, packed, kept, input.size() - 1),
                       doctest::Contains(kLimitMessage), CompressionError);
  CHECK(kept == Bytes{5});
  for (size_t len = 0; len < packed.size(); ++len) {
    INFO("prefix ", len);
    CHECK(rejects(Codec::Zstd, std::span(packed).first(len)));
  }
#ifndef FJORD_TEST_ASAN
  // The window is 128 MiB; the decoder must get by with about the output limit.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const rlimit limit{address_space_size() + 32 * kMiB, address_space_size() + 32 * kMiB};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(10);
    try {
      _exit(decompressed(Codec::Zstd, packed, kMiB) == input ? 0 : 1);
    } catch (...) {
      _exit(2);
    }
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
#endif
}

TEST_CASE("zstd: a declared content size above the limit is rejected before decoding") {
  Bytes packed;
  compress(Codec::Zstd, Bytes(2 * kMiB), packed);  // one-shot: the size is in the header
  REQUIRE(ZSTD_getFrameContentSize(packed.data(), packed.size()) == 2 * kMiB);
  Bytes out;
  CHECK_THROWS_WITH_AS(decompress(Codec::Zstd, packed, out, kMiB), doctest::Contains(kLimitMessage),
                       CompressionError);
  CHECK(out.capacity() == 0);  // nothing was decoded at all
}

TEST_CASE("snappy: a raw block declaring a huge length is rejected before allocating") {
  // Varint 0xFFFFFFFF, then a literal of one byte: invalid anyway, but the length is checked first.
  const Bytes forged = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x61};
  Bytes out;
  CHECK_THROWS_WITH_AS(decompress(Codec::Snappy, forged, out, kMiB),
                       doctest::Contains(kLimitMessage), CompressionError);
  CHECK(out.capacity() == 0);
}

TEST_CASE("decompression bombs are rejected quickly and cheaply") {
  SUBCASE("none") { check_bomb_rejected(Codec::None, Bytes(kMiB + 1)); }
  SUBCASE("gzip") { check_bomb_rejected(Codec::Gzip, gzip_bomb()); }
  SUBCASE("snappy, xerial") { check_bomb_rejected(Codec::Snappy, snappy_xerial_bomb()); }
  SUBCASE("snappy, raw block of 16 MiB") {
    Bytes bomb;
    compress(Codec::Snappy, Bytes(16 * kMiB), bomb);
    check_bomb_rejected(Codec::Snappy, bomb);
  }
  SUBCASE("lz4, 64 KiB blocks") {
    const Bytes bomb = lz4_bomb();
    check_bomb_rejected(Codec::Lz4, bomb, false);
    check_bomb_rejected(Codec::Lz4, bomb, true);
  }
  SUBCASE("lz4, 4 MiB blocks") { check_bomb_rejected(Codec::Lz4, lz4_bomb(LZ4F_max4MB)); }
  SUBCASE("zstd, default window, no content size") {
    check_bomb_rejected(Codec::Zstd, zstd_bomb());
  }
  SUBCASE("zstd, content size in the header") {
    check_bomb_rejected(Codec::Zstd, zstd_bomb(0, true));
  }
  SUBCASE("zstd, 128 MiB window") { check_bomb_rejected(Codec::Zstd, zstd_bomb(27)); }
}

// Small compressed inputs: each variant's own output for kPlaintext, and the Python fixtures.
struct Sample {
  std::string name;
  Codec codec;
  bool legacy_lz4;
  Bytes data;
};

std::vector<Sample> small_samples() {
  const Bytes plaintext = bytes_of(fixtures::kPlaintext);
  std::vector<Sample> samples;
  for (const Variant& v : variants()) {
    if (v.codec == Codec::None) continue;
    samples.push_back({v.name, v.codec, v.legacy_lz4, compressed(v, plaintext)});
  }
  samples.push_back({"python xerial", Codec::Snappy, false, bytes_of(fixtures::kXerialSnappy)});
  samples.push_back({"python xerial, two blocks", Codec::Snappy, false,
                     bytes_of(fixtures::kXerialSnappyMultiBlock)});
  samples.push_back({"python raw snappy", Codec::Snappy, false, bytes_of(fixtures::kRawSnappy)});
  samples.push_back({"python lz4 old kafka", Codec::Lz4, true, bytes_of(fixtures::kLz4OldKafka)});
  samples.push_back({"python lz4", Codec::Lz4, false, bytes_of(fixtures::kLz4Frame)});
  samples.push_back({"python gzip", Codec::Gzip, false, bytes_of(fixtures::kGzipPython)});
  samples.push_back({"python zstd", Codec::Zstd, false, bytes_of(fixtures::kZstdPython)});
  return samples;
}

TEST_CASE("every truncation of a small input throws") {
  for (const Sample& s : small_samples()) {
    const bool xerial = s.codec == Codec::Snappy && s.data[0] == 0x82;
    for (size_t len = 0; len < s.data.size(); ++len) {
      INFO(s.name, ", prefix of ", len, " bytes");
      if (xerial && len >= 16 && at_xerial_block_boundary(s.data, len)) {
        // Cut between blocks: a valid, shorter stream.
        CHECK(decompressed(s.codec, std::span(s.data).first(len)).size() % (32 * kKiB) == 0);
        continue;
      }
      CHECK(rejects(s.codec, std::span(s.data).first(len), s.legacy_lz4));
    }
  }
}

TEST_CASE("bit flips throw CompressionError or decode, and never crash") {
  // Not every flip is detectable: lz4, snappy and zstd (as Kafka clients write them) carry no
  // checksum of the content, and some gzip header bits are informational. gzip's trailer is
  // always checked, though.
  for (const Sample& s : small_samples()) {
    size_t rejected = 0, decoded = 0;
    for (size_t i = 0; i < s.data.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        INFO(s.name, ", byte ", i, " bit ", bit);
        Bytes mutated = s.data;
        mutated[i] ^= static_cast<uint8_t>(1U << bit);
        const bool failed = rejects(s.codec, mutated, s.legacy_lz4);
        (failed ? rejected : decoded)++;
        if (s.codec == Codec::Gzip && i + 8 >= s.data.size()) CHECK(failed);
      }
    }
    INFO(s.name, ": ", rejected, " flips rejected, ", decoded, " decoded");
    CHECK(rejected > 0);
  }
}

TEST_CASE("random garbage throws CompressionError or decodes") {
  for (Codec c : {Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd}) {
    for (uint32_t seed = 0; seed < 200; ++seed) {
      const Bytes garbage = random_bytes(seed % 64 + 1, seed);
      rejects(c, garbage, false);
      rejects(c, garbage, true);
    }
  }
}

}  // namespace
}  // namespace fjord::compression
