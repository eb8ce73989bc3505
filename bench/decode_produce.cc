// Benchmark: decoding a Produce request that carries ~1 MiB of record batches.
//
// Claim under test: decoding header + body copies none of the record bytes; the Records of
// each partition is a view into the request buffer. The figure is compared, in the same run,
// with a plain memcpy of the same record bytes (what a copying decoder would at least pay),
// and with decode + BatchView::validate (CRC32C + record walk), the check the broker does.
//
// Zero-copy is proven, not just timed: after decoding, every partition's records must point
// inside the request buffer, and a counting global operator new reports the heap bytes one
// decode allocates. Either check failing aborts the run.
//
// Not a test: it prints figures. Run a Release build (see bench/README.md).
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "codec/frame.h"
#include "codec/messages.h"
#include "codec/reader.h"
#include "codec/writer.h"
#include "records/batch.h"
#include "records/builder.h"

// ---------------------------------------------------------------------------------------------
// Heap accounting: every global allocation in this binary goes through these. Single-threaded,
// so plain counters. A small log keeps the sizes of the allocations made while `g_log_on`.

namespace {
struct AllocStats {
  uint64_t count = 0;
  uint64_t bytes = 0;
};
AllocStats g_alloc;
constexpr size_t kLogCap = 64;
size_t g_log[kLogCap];
size_t g_log_len = 0;
bool g_log_on = false;

void* counted_alloc(size_t n, size_t align) {
  g_alloc.count += 1;
  g_alloc.bytes += n;
  if (g_log_on && g_log_len < kLogCap) g_log[g_log_len++] = n;
  if (n == 0) n = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(n);
  } else {
    p = std::aligned_alloc(align, (n + align - 1) / align * align);
  }
  return p;
}
}  // namespace

void* operator new(size_t n) {
  if (void* p = counted_alloc(n, 0)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = counted_alloc(n, 0)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, std::align_val_t a) {
  if (void* p = counted_alloc(n, static_cast<size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) {
  if (void* p = counted_alloc(n, static_cast<size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace fjord;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Optimization barriers (the idea of benchmark::DoNotOptimize / ClobberMemory).

// The pointed-to memory may be read or written by the asm: stores before it must happen.
inline void escape(const void* p) { __asm__ __volatile__("" : : "g"(p) : "memory"); }
// `v` is live in a register or memory: its computation cannot be dropped.
template <class T>
inline void do_not_optimize(T& v) {
  __asm__ __volatile__("" : "+r,m"(v) : : "memory");
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bench_decode_produce: FAILED: %s\n", what);
  std::abort();
}

// ---------------------------------------------------------------------------------------------
// The request: 1 topic x 4 partitions, one uncompressed ~256 KiB batch each, 100-byte values,
// no keys, idempotent producer (as a Java producer with enable.idempotence=true sends).

constexpr int kPartitions = 4;
constexpr size_t kBatchTarget = 256 * 1024;
constexpr size_t kValueSize = 100;
constexpr int64_t kBaseTimestamp = 1'700'000'000'000;

struct Workload {
  std::vector<std::vector<uint8_t>> batches;  // one encoded batch per partition
  size_t record_bytes = 0;
  int32_t records_per_batch = 0;
};

Workload make_batches() {
  Workload w;
  std::vector<uint8_t> value(kValueSize);
  uint32_t x = 0x9e3779b9u;  // xorshift: values that do not look like zeros
  for (int p = 0; p < kPartitions; ++p) {
    records::BatchOptions o;
    o.producer_id = 4242;
    o.producer_epoch = 0;
    o.base_sequence = p == 0 ? 0 : w.records_per_batch * p;
    records::BatchBuilder b(o);
    // ~110 bytes per record on the wire; stop before the batch would pass kBatchTarget.
    while (b.uncompressed_size() + 2 * kValueSize < kBatchTarget) {
      for (auto& c : value) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<uint8_t>('a' + x % 26);
      }
      b.append(kBaseTimestamp + b.record_count() / 64, records::BytesView::null(),
               records::BytesView::of(value));
    }
    w.records_per_batch = b.record_count();
    w.batches.push_back(b.build());
    w.record_bytes += w.batches.back().size();
  }
  return w;
}

struct Frame {
  int16_t version = 0;
  std::vector<uint8_t> bytes;  // header + body, as the broker holds it after the size prefix
  size_t header_size = 0;
};

Frame make_frame(const Workload& w, int16_t version) {
  proto::ProduceRequest req;
  req.transactional_id = std::nullopt;
  req.acks = -1;
  req.timeout_ms = 30000;
  auto& topic = req.topic_data.emplace_back();
  topic.name = "bench.produce.events";  // longer than the SSO buffer, as many real names are
  for (int p = 0; p < kPartitions; ++p) {
    auto& part = topic.partition_data.emplace_back();
    part.index = p;
    part.records = proto::Records(w.batches[static_cast<size_t>(p)]);
  }
  proto::RequestHeader h;
  h.request_api_key = proto::ProduceRequest::kApiKey;
  h.request_api_version = version;
  h.correlation_id = 7;
  h.client_id = "producer-1";

  proto::Writer out;  // no splicing: one contiguous buffer, records copied in
  h.encode(out, proto::request_header_version(proto::ProduceRequest::kApiKey, version));
  Frame f;
  f.version = version;
  f.header_size = out.size();
  req.encode(out, version);
  if (!out.splices().empty()) die("writer spliced records; expected one flat buffer");
  f.bytes = out.buffer();
  return f;
}

// Decodes header + body exactly as the connection does (server/net/connection.cc).
proto::ProduceRequest decode(std::span<const uint8_t> frame, proto::RequestHeader& header) {
  proto::Reader r(frame);
  header = proto::decode_request_header(r);
  return proto::decode_body<proto::ProduceRequest>(r, header.request_api_version);
}

// ---------------------------------------------------------------------------------------------
// Timing: calibrate N so that one round takes >= 0.5 s, run 3 rounds, report the median.

constexpr double kRoundSeconds = 0.5;
constexpr int kRounds = 3;

struct Timing {
  double ns_per_op = 0;  // median over rounds
  double min_ns = 0;
  double max_ns = 0;
  uint64_t iters = 0;  // per round
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Timing measure(const std::function<void()>& op) {
  // Calibrate on ~50 ms (also warms caches and the allocator).
  uint64_t n = 0;
  const auto c0 = Clock::now();
  double spent = 0;
  do {
    op();
    ++n;
    spent = seconds_since(c0);
  } while (spent < 0.05);
  const double per_op = spent / static_cast<double>(n);
  Timing t;
  t.iters = static_cast<uint64_t>(kRoundSeconds * 1.05 / per_op) + 1;
  std::vector<double> ns;
  for (int round = 0; round < kRounds; ++round) {
    const auto t0 = Clock::now();
    for (uint64_t i = 0; i < t.iters; ++i) op();
    const double s = seconds_since(t0);
    if (s < kRoundSeconds * 0.9) {  // clock or frequency changed under us; run longer
      t.iters = static_cast<uint64_t>(static_cast<double>(t.iters) * kRoundSeconds / s) + 1;
      --round;
      continue;
    }
    ns.push_back(s * 1e9 / static_cast<double>(t.iters));
  }
  std::sort(ns.begin(), ns.end());
  t.ns_per_op = ns[ns.size() / 2];
  t.min_ns = ns.front();
  t.max_ns = ns.back();
  return t;
}

// ---------------------------------------------------------------------------------------------

struct Results {
  int16_t version = 0;
  size_t frame_bytes = 0;
  size_t header_bytes = 0;
  size_t record_bytes = 0;
  Timing decode, memcpy_records, decode_crc, decode_validate, decode_broker;
  double alloc_bytes_per_decode = 0;
  double allocs_per_decode = 0;
  std::vector<size_t> alloc_sizes;  // of one decode
};

// Checks that every partition's records are a view into `frame` and cover the bytes that were
// encoded there; returns the record spans (in the frame) for the memcpy baseline.
std::vector<std::span<const uint8_t>> check_zero_copy(const std::vector<uint8_t>& frame,
                                                      const proto::ProduceRequest& req,
                                                      const Workload& w) {
  std::vector<std::span<const uint8_t>> spans;
  const uint8_t* lo = frame.data();
  const uint8_t* hi = frame.data() + frame.size();
  if (req.topic_data.size() != 1) die("decoded request does not have 1 topic");
  const auto& parts = req.topic_data[0].partition_data;
  if (parts.size() != kPartitions) die("decoded request does not have 4 partitions");
  for (const auto& p : parts) {
    if (p.records.is_null()) die("decoded records are null");
    const auto b = p.records.bytes();
    if (b.data() < lo || b.data() + b.size() > hi) {
      std::fprintf(stderr, "partition %d: records at %p..%p, request buffer %p..%p\n", p.index,
                   static_cast<const void*>(b.data()),
                   static_cast<const void*>(b.data() + b.size()), static_cast<const void*>(lo),
                   static_cast<const void*>(hi));
      die("decoded records do not point inside the request buffer: decode copied them");
    }
    if (p.records.owner()) die("decoded records hold an owner: they were copied into new storage");
    const auto& want = w.batches[static_cast<size_t>(p.index)];
    if (b.size() != want.size() || std::memcmp(b.data(), want.data(), b.size()) != 0)
      die("decoded records differ from the encoded batch");
    spans.push_back(b);
  }
  return spans;
}

Results run(const Workload& w, int16_t version) {
  Results res;
  res.version = version;
  const Frame f = make_frame(w, version);
  res.frame_bytes = f.bytes.size();
  res.header_bytes = f.header_size;
  res.record_bytes = w.record_bytes;
  const std::span<const uint8_t> frame(f.bytes);

  // Correctness and zero-copy proof, with the sizes of one decode's allocations logged.
  proto::RequestHeader header;
  g_log_len = 0;
  g_log_on = true;
  {
    proto::ProduceRequest req = decode(frame, header);
    g_log_on = false;
    if (header.request_api_key != 0 || header.request_api_version != version ||
        header.correlation_id != 7 || header.client_id != "producer-1")
      die("request header did not round-trip");
    const auto spans = check_zero_copy(f.bytes, req, w);
    res.alloc_sizes.assign(g_log, g_log + g_log_len);

    // Every batch must pass the broker's validation (otherwise the validate figure is moot).
    for (auto s : spans) {
      records::BatchIterator it(s);
      records::BatchView v;
      int batches = 0;
      while (it.next(v)) {
        if (v.validate() != records::Error::Ok) die("batch failed validate()");
        ++batches;
      }
      if (batches != 1 || it.error() != records::Error::Ok || it.consumed() != s.size())
        die("expected exactly one batch per partition");
    }
  }

  // (a) decode header + body; heap bytes counted over the same loop.
  uint64_t sink = 0;
  auto decode_op = [&] {
    proto::RequestHeader h;
    proto::ProduceRequest req = decode(frame, h);
    escape(&req);
    sink += reinterpret_cast<uintptr_t>(req.topic_data[0].partition_data[3].records.bytes().data());
    do_not_optimize(sink);
  };
  {
    const AllocStats before = g_alloc;
    constexpr int kProbe = 1000;
    for (int i = 0; i < kProbe; ++i) decode_op();
    res.alloc_bytes_per_decode = static_cast<double>(g_alloc.bytes - before.bytes) / kProbe;
    res.allocs_per_decode = static_cast<double>(g_alloc.count - before.count) / kProbe;
  }
  res.decode = measure(decode_op);

  // (b) memcpy of the same record bytes (the 4 spans inside the frame) into a preallocated
  // buffer: the least a decoder that copied records out of the request would pay.
  std::vector<std::span<const uint8_t>> spans;
  {
    proto::ProduceRequest req = decode(frame, header);
    for (const auto& p : req.topic_data[0].partition_data) spans.push_back(p.records.bytes());
  }
  std::vector<uint8_t> dst(w.record_bytes);
  std::memset(dst.data(), 1, dst.size());  // fault the pages in before timing
  auto memcpy_op = [&] {
    uint8_t* out = dst.data();
    for (auto s : spans) {
      escape(s.data());
      std::memcpy(out, s.data(), s.size());
      out += s.size();
    }
    escape(dst.data());
  };
  res.memcpy_records = measure(memcpy_op);
  if (std::memcmp(dst.data(), spans[0].data(), spans[0].size()) != 0) die("memcpy check");

  // (c) decode + validate each partition's batches, three ways:
  //   crc:      validate() with check_records=false: framing, header fields, CRC32C
  //   validate: validate() with default options (what the produce path asks for): + record walk
  //   broker:   validate_records() with RecordStats, exactly as server/api/00_produce.cc does:
  //             header checks and CRC32C once, one record walk that also yields the timestamp
  //             range used for the message.timestamp.* checks
  enum class Mode { Crc, Validate, Broker };
  auto validate_op = [&](Mode mode) {
    return [&, mode] {
      proto::RequestHeader h;
      proto::ProduceRequest req = decode(frame, h);
      std::vector<uint8_t> scratch;
      records::ValidateOptions vo;
      if (mode == Mode::Crc) vo.check_records = false;
      for (const auto& p : req.topic_data[0].partition_data) {
        records::BatchIterator it(p.records.bytes());
        records::BatchView v;
        while (it.next(v)) {
          records::Error e;
          if (mode == Mode::Broker) {
            records::RecordStats stats;
            e = records::validate_records(v, scratch, size_t{1} << 30, vo, &stats);
            escape(&stats);
          } else {
            e = v.validate(vo);
          }
          if (e != records::Error::Ok) die("validation failed in the timed loop");
        }
      }
      escape(&req);
    };
  };
  res.decode_crc = measure(validate_op(Mode::Crc));
  res.decode_validate = measure(validate_op(Mode::Validate));
  res.decode_broker = measure(validate_op(Mode::Broker));
  return res;
}

void print_row(const char* label, const Timing& t, double bytes, const char* bytes_label) {
  std::printf("  %-44s %12.1f %9.2f %-7s %9" PRIu64 " x %d   [%.1f .. %.1f]\n", label, t.ns_per_op,
              bytes / t.ns_per_op, bytes_label, t.iters, kRounds, t.min_ns, t.max_ns);
}

}  // namespace

int main() {
#ifndef __OPTIMIZE__
  std::printf(
      "WARNING: built without optimization; figures are meaningless. "
      "Use a Release build (tools/build.sh release).\n\n");
#endif
  const Workload w = make_batches();
  std::printf("Produce request decode: 1 topic x %d partitions, one uncompressed batch each\n",
              kPartitions);
  std::printf(
      "  %d records of %zu-byte values per batch, %zu + %zu + %zu + %zu = %zu record "
      "bytes (%.3f MiB)\n",
      w.records_per_batch, kValueSize, w.batches[0].size(), w.batches[1].size(),
      w.batches[2].size(), w.batches[3].size(), w.record_bytes,
      static_cast<double>(w.record_bytes) / (1024.0 * 1024.0));
  std::printf(
      "  timing: steady_clock, %d rounds of N iterations (each round >= %.1f s), median "
      "reported, [min .. max] of rounds\n",
      kRounds, kRoundSeconds);
  std::printf(
      "  GB/s = bytes / ns: request frame bytes for decode rows, record bytes for memcpy\n");

  std::vector<Results> all;
  for (int16_t version : {int16_t{9}, int16_t{7}}) {
    const Results r = run(w, version);
    all.push_back(r);
    std::printf("\nProduce v%d (%s, request header v%d): frame %zu bytes = header %zu + body %zu\n",
                r.version, r.version >= 9 ? "flexible" : "non-flexible",
                proto::request_header_version(0, r.version), r.frame_bytes, r.header_bytes,
                r.frame_bytes - r.header_bytes);
    std::printf("  %-44s %12s %9s %-7s %14s\n", "measurement", "ns/op", "GB/s", "of", "N x rounds");
    const auto fb = static_cast<double>(r.frame_bytes);
    const auto rb = static_cast<double>(r.record_bytes);
    print_row("(a) decode header + body", r.decode, fb, "request");
    print_row("(b) memcpy of the record bytes", r.memcpy_records, rb, "records");
    std::printf("  %-44s %12.5f   (decode costs %.2f%% of one copy of the records)\n",
                "    ratio decode / memcpy", r.decode.ns_per_op / r.memcpy_records.ns_per_op,
                100.0 * r.decode.ns_per_op / r.memcpy_records.ns_per_op);
    print_row("(c) decode + validate(), CRC32C only", r.decode_crc, fb, "request");
    print_row("(c) decode + validate() (CRC32C + records)", r.decode_validate, fb, "request");
    print_row("(c) decode + validate_records() (broker)", r.decode_broker, fb, "request");
    std::printf(
        "  heap per decode: %.0f bytes in %.0f allocations (%.4f%% of the %zu record bytes)\n",
        r.alloc_bytes_per_decode, r.allocs_per_decode, 100.0 * r.alloc_bytes_per_decode / rb,
        r.record_bytes);
    std::printf("    allocation sizes of one decode:");
    for (size_t s : r.alloc_sizes) std::printf(" %zu", s);
    std::printf("\n");
  }

  std::printf("\nelement sizes: TopicProduceData %zu B, PartitionProduceData %zu B\n",
              sizeof(proto::ProduceRequest::TopicProduceData),
              sizeof(proto::ProduceRequest::PartitionProduceData));
  std::printf("\nChecks:\n");
  for (const Results& r : all) {
    std::printf(
        "  v%d zero-copy: all %d partitions' records().bytes().data() point inside the "
        "request buffer: OK\n",
        r.version, kPartitions);
    // "Far less than 1 MiB": allocate less than 1/64 of the record bytes (16 KiB per MiB).
    if (r.alloc_bytes_per_decode * 64 >= static_cast<double>(r.record_bytes))
      die("decode allocates too much: record bytes are probably being copied");
    std::printf(
        "  v%d heap: %.0f bytes allocated per decode, far less than the %zu record bytes "
        "(1 MiB = 1048576): OK\n",
        r.version, r.alloc_bytes_per_decode, r.record_bytes);
  }
  return 0;
}
