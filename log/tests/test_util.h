// Helpers for the log tests: temp dirs, batch builders, a settable clock.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "log/types.h"
#include "records/batch.h"
#include "records/builder.h"

namespace fjord::log::testing {

// A fresh directory under $TMPDIR, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fjord-log-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A clock tests move by hand.
struct ManualClock {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(1'000'000);
  Clock fn() const {
    auto p = now;
    return [p] { return *p; };
  }
  void advance(int64_t ms) { *now += ms; }
  void set(int64_t ms) { *now = ms; }
};

// One batch of `count` records, timestamps ts, ts+1, ..., values of `value_size` bytes.
inline std::vector<uint8_t> make_batch(int count, int64_t ts, size_t value_size = 10,
                                       int64_t base_offset = 0, int32_t epoch = -1,
                                       compression::Codec codec = compression::Codec::None) {
  records::BatchOptions opts;
  opts.base_offset = base_offset;
  opts.partition_leader_epoch = epoch;
  opts.codec = codec;
  records::BatchBuilder b(opts);
  std::string value(value_size, 'v');
  for (int i = 0; i < count; ++i) {
    char key[24];
    int n = std::snprintf(key, sizeof key, "k%d", i);
    b.append(ts < 0 ? ts : ts + i,
             records::BytesView::of(std::string_view(key, static_cast<size_t>(n))),
             records::BytesView::of(value));
  }
  return b.build();
}

// A batch whose records carry the given timestamps.
inline std::vector<uint8_t> make_batch_ts(const std::vector<int64_t>& timestamps,
                                          int64_t base_offset = 0) {
  records::BatchOptions opts;
  opts.base_offset = base_offset;
  records::BatchBuilder b(opts);
  for (int64_t ts : timestamps) {
    b.append(ts, records::BytesView::of("k"), records::BytesView::of("value"));
  }
  return b.build();
}

inline std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Header fields of the batches in a buffer.
struct Parsed {
  int64_t base_offset;
  int64_t last_offset;
  int32_t epoch;
  size_t size;
};
inline std::vector<Parsed> parse_batches(const std::vector<uint8_t>& data) {
  std::vector<Parsed> out;
  records::BatchIterator it(data);
  records::BatchView v;
  while (it.next(v)) {
    out.push_back({v.base_offset(), v.last_offset(), v.partition_leader_epoch(), v.size()});
  }
  return out;
}

}  // namespace fjord::log::testing
