#include "coordinator/records.h"

#include <algorithm>

#include "codec/errors.h"
#include "codec/reader.h"
#include "codec/writer.h"
#include "records/builder.h"

namespace fjord::coordinator {

namespace {

// Decodes one code point of UTF-8 at s[i], advancing i. Malformed input counts as U+FFFD
// per byte, which is what Java's decoder substitutes.
uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<uint8_t>(s[i + k]) & 0xC0) == 0x80;
  };
  auto bits = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<uint8_t>(s[i + k]) & 0x3F);
  };
  if (b0 < 0x80) {
    i += 1;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0 && cont(1)) {
    const uint32_t cp = ((b0 & 0x1Fu) << 6) | bits(1);
    if (cp >= 0x80) {
      i += 2;
      return cp;
    }
  } else if ((b0 & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    const uint32_t cp = ((b0 & 0x0Fu) << 12) | (bits(1) << 6) | bits(2);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
      i += 3;
      return cp;
    }
  } else if ((b0 & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    const uint32_t cp = ((b0 & 0x07u) << 18) | (bits(1) << 12) | (bits(2) << 6) | bits(3);
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      i += 4;
      return cp;
    }
  }
  i += 1;
  return 0xFFFD;
}

template <class M>
Bytes encode_versioned(const M& m, int16_t version) {
  proto::Writer w;
  m.encode(w, version);
  const auto& body = w.buffer();
  Bytes out(body.size() + 2);
  out[0] = static_cast<uint8_t>(static_cast<uint16_t>(version) >> 8);
  out[1] = static_cast<uint8_t>(version & 0xff);
  std::copy(body.begin(), body.end(), out.begin() + 2);
  return out;
}

proto::Reader reader_of(const records::BytesView& b) { return proto::Reader(b.data); }

}  // namespace

const char* state_name(GroupState s) {
  switch (s) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Dead";
}

int32_t java_string_hash(std::string_view utf8) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = h * 31u + unit; };
  for (size_t i = 0; i < utf8.size();) {
    const uint32_t cp = next_code_point(utf8, i);
    if (cp >= 0x10000) {
      const uint32_t v = cp - 0x10000;
      add(0xD800 + (v >> 10));
      add(0xDC00 + (v & 0x3FF));
    } else {
      add(cp);
    }
  }
  return static_cast<int32_t>(h);
}

int32_t partition_for(std::string_view group_id, int32_t partitions) {
  if (partitions <= 0) return 0;
  return (java_string_hash(group_id) & 0x7fffffff) % partitions;
}

Bytes encode_offset_key(std::string_view group, const TopicPartition& tp) {
  proto::OffsetCommitKey k;
  k.group = std::string(group);
  k.topic = tp.topic;
  k.partition = tp.partition;
  return encode_versioned(k, kOffsetCommitKeyVersion);
}

Bytes encode_offset_value(const CommittedOffset& v) {
  proto::OffsetCommitValue m;
  m.offset = v.offset;
  m.leader_epoch = v.leader_epoch;
  m.metadata = v.metadata;
  m.commit_timestamp = v.commit_timestamp;
  m.expire_timestamp = v.expire_timestamp.value_or(-1);
  // Kafka writes version 1 when the commit carries an explicit expiry, version 3 otherwise.
  return encode_versioned(m, v.expire_timestamp ? 1 : 3);
}

Bytes encode_group_key(std::string_view group) {
  proto::GroupMetadataKey k;
  k.group = std::string(group);
  return encode_versioned(k, kGroupMetadataKeyVersion);
}

Bytes encode_group_value(const proto::GroupMetadataValue& v) {
  return encode_versioned(v, kGroupMetadataValueVersion);
}

CoordinatorRecord decode_record(const records::BytesView& key, const records::BytesView& value) {
  CoordinatorRecord out;
  if (key.is_null) throw proto::DecodeError("record without a key");
  proto::Reader kr = reader_of(key);
  const int16_t key_version = kr.read_int16();
  if (key_version == 0 || key_version == 1) {
    proto::OffsetCommitKey k;
    k.decode(kr, key_version);
    out.kind = CoordinatorRecord::Kind::kOffset;
    out.group = std::move(k.group);
    out.tp = TopicPartition{std::move(k.topic), k.partition};
    if (!value.is_null) {
      proto::Reader vr = reader_of(value);
      const int16_t vv = vr.read_int16();
      if (vv < proto::OffsetCommitValue::kMinVersion || vv > proto::OffsetCommitValue::kMaxVersion)
        throw proto::DecodeError("unknown OffsetCommitValue version " + std::to_string(vv));
      proto::OffsetCommitValue m;
      m.decode(vr, vv);
      CommittedOffset c;
      c.offset = m.offset;
      c.leader_epoch = m.leader_epoch;
      c.metadata = std::move(m.metadata);
      c.commit_timestamp = m.commit_timestamp;
      if (vv == 1 && m.expire_timestamp >= 0) c.expire_timestamp = m.expire_timestamp;
      out.offset = std::move(c);
    }
  } else if (key_version == 2) {
    proto::GroupMetadataKey k;
    k.decode(kr, key_version);
    out.kind = CoordinatorRecord::Kind::kGroup;
    out.group = std::move(k.group);
    if (!value.is_null) {
      proto::Reader vr = reader_of(value);
      const int16_t vv = vr.read_int16();
      if (vv < proto::GroupMetadataValue::kMinVersion ||
          vv > proto::GroupMetadataValue::kMaxVersion)
        throw proto::DecodeError("unknown GroupMetadataValue version " + std::to_string(vv));
      proto::GroupMetadataValue m;
      m.decode(vr, vv);
      out.metadata = std::move(m);
    }
  }
  return out;
}

Bytes build_batch(const std::vector<RecordToWrite>& recs, int64_t now_ms, int64_t producer_id,
                  int16_t producer_epoch, bool transactional) {
  records::BatchOptions opts;
  opts.producer_id = producer_id;
  opts.producer_epoch = producer_epoch;
  opts.transactional = transactional;
  records::BatchBuilder b(opts);
  for (const auto& r : recs) {
    b.append(now_ms, records::BytesView::of(std::span<const uint8_t>(r.key)),
             r.value ? records::BytesView::of(std::span<const uint8_t>(*r.value))
                     : records::BytesView::null());
  }
  return b.build();
}

}  // namespace fjord::coordinator
