// libFuzzer entry point: arbitrary bytes through every reader in fjord_records.
// The first input byte picks a few knobs; the rest is the data.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "records/batch.h"
#include "records/builder.h"
#include "records/convert.h"
#include "records/legacy.h"

using namespace fjord::records;

namespace {

// Small enough that a decompression bomb costs little per input.
constexpr size_t kCap = 1 << 20;

void walk_records(RecordReader reader) {
  RecordView r;
  size_t sink = 0;
  while (reader.next(r)) {
    sink += r.key.size() + r.value.size();
    HeaderIterator hi = r.headers();
    HeaderView h;
    while (hi.next(h)) sink += h.key.size() + h.value.size();
    ControlRecord cr;
    (void)parse_control_record(r, cr);
  }
  (void)sink;
}

void fuzz_batches(std::span<const uint8_t> data, bool strict, std::vector<uint8_t>& buf) {
  BatchIterator it(data);
  BatchView v;
  while (it.next(v)) {
    if (v.magic() != kMagicV2) continue;
    ValidateOptions opts;
    opts.require_contiguous_offsets = strict;
    // Inspect the header fields whatever validate() says (size permitting).
    if (v.size() >= kBatchHeaderSize) {
      (void)v.last_offset();
      (void)v.max_timestamp();
      (void)v.producer_id();
    }
    if (v.validate(opts) != Error::Ok) continue;
    (void)validate_records(v, buf, kCap, opts);
    RecordReader reader;
    if (open_records(v, buf, kCap, reader) == Error::Ok) walk_records(reader);
    // The broker's mutators on a private copy, which must stay valid.
    std::vector<uint8_t> copy(v.bytes.begin(), v.bytes.end());
    MutableBatchView mv{copy};
    mv.set_base_offset(12345);
    mv.set_partition_leader_epoch(7);
    mv.set_log_append_time(99);
    if (mv.view().validate(opts) != Error::Ok) __builtin_trap();
  }
  BatchView single;
  (void)frame_batch(data, single);
}

void fuzz_legacy(std::span<const uint8_t> data, bool verify_crc) {
  LegacyReadOptions o;
  o.max_decompressed = kCap;
  o.verify_crc = verify_crc;
  LegacyReader reader(data, o);
  LegacyMessageView m;
  size_t sink = 0;
  while (reader.next(m)) sink += m.key.size() + m.value.size();
  (void)sink;
}

// Rewrites the CRC of every framed v2 batch so mutations get past the
// checksum and into the record parsers.
void repair_crcs(std::vector<uint8_t>& data) {
  size_t pos = 0;
  BatchIterator it(data);
  BatchView v;
  while (it.next(v)) {
    if (v.magic() == kMagicV2 && v.size() >= kBatchHeaderSize) {
      MutableBatchView{std::span<uint8_t>(data.data() + pos, v.size())}.update_crc();
    }
    pos += v.size();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t knobs = data[0];
  std::span<const uint8_t> in(data + 1, size - 1);
  std::vector<uint8_t> repaired;
  if (knobs & 64) {
    repaired.assign(in.begin(), in.end());
    repair_crcs(repaired);
    in = repaired;
  }
  std::vector<uint8_t> buf;
  fuzz_batches(in, knobs & 1, buf);
  // Skipping CRC checks lets the fuzzer reach the legacy field parsers.
  fuzz_legacy(in, (knobs & 2) != 0);

  std::vector<uint8_t> out;
  UpConvertOptions up;
  up.max_decompressed = kCap;
  up.verify_crc = (knobs & 2) != 0;
  up.allow_partial_tail = (knobs & 4) != 0;
  if (knobs & 8) up.codec = fjord::compression::Codec::None;
  UpConvertResult ur = legacy_to_batch(in, out, up);
  if (ur.error == Error::Ok) {
    // Whatever the up-converter writes must read back cleanly.
    std::vector<uint8_t> vbuf;
    if (validate_records(BatchView{out}, vbuf, 64u << 20) != Error::Ok) __builtin_trap();
  }

  DownConvertOptions down;
  down.magic = (knobs & 16) ? kMagicV1 : kMagicV0;
  down.max_decompressed = kCap;
  if (knobs & 32) down.codec = fjord::compression::Codec::None;
  out.clear();
  DownConvertResult dr = batches_to_legacy(in, out, down);
  if (dr.error == Error::Ok) {
    LegacyReader check(out);
    LegacyMessageView m;
    int32_t n = 0;
    while (check.next(m)) ++n;
    if (check.error() != Error::Ok || check.partial_tail() || n != dr.messages) __builtin_trap();
  }
  return 0;
}
