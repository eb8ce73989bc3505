#include "coordinator/transaction_state.h"

#include <algorithm>
#include <map>

#include "codec/errors.h"
#include "codec/messages.h"
#include "codec/reader.h"
#include "codec/writer.h"

namespace fjord::coordinator {

namespace {

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

constexpr const char* kNames[] = {"Empty",        "Ongoing",          "PrepareCommit",
                                  "PrepareAbort", "CompleteCommit",   "CompleteAbort",
                                  "Dead",         "PrepareEpochFence"};

}  // namespace

const char* txn_state_name(TxnState s) {
  const auto i = static_cast<size_t>(s);
  return i < std::size(kNames) ? kNames[i] : "Dead";
}

std::optional<TxnState> txn_state_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kNames); ++i)
    if (name == kNames[i]) return static_cast<TxnState>(i);
  return std::nullopt;
}

Bytes encode_txn_key(std::string_view transactional_id) {
  proto::TransactionLogKey k;
  k.transactional_id = std::string(transactional_id);
  return encode_versioned(k, kTxnLogKeyVersion);
}

Bytes encode_txn_value(const TxnMetadata& m) {
  proto::TransactionLogValue v;
  v.producer_id = m.producer_id;
  v.producer_epoch = m.producer_epoch;
  v.transaction_timeout_ms = m.timeout_ms;
  v.transaction_status = static_cast<int8_t>(m.state);
  if (m.state == TxnState::kEmpty) {
    v.transaction_partitions = std::nullopt;
  } else {
    std::vector<proto::TransactionLogValue::PartitionsSchema> out;
    for (const auto& tp : m.partitions) {
      if (out.empty() || out.back().topic != tp.topic) {
        auto& t = out.emplace_back();
        t.topic = tp.topic;
      }
      out.back().partition_ids.push_back(tp.partition);
    }
    v.transaction_partitions = std::move(out);
  }
  v.transaction_last_update_timestamp_ms = m.last_update_ms;
  v.transaction_start_timestamp_ms = m.start_ms;
  return encode_versioned(v, kTxnLogValueVersion);
}

TxnRecord decode_txn_record(const records::BytesView& key, const records::BytesView& value) {
  if (key.is_null) throw proto::DecodeError("record without a key");
  proto::Reader kr(key.data);
  const int16_t kv = kr.read_int16();
  if (kv != 0) throw proto::DecodeError("unknown TransactionLogKey version " + std::to_string(kv));
  proto::TransactionLogKey k;
  k.decode(kr, kv);
  TxnRecord out;
  out.transactional_id = std::move(k.transactional_id);
  if (value.is_null) return out;
  proto::Reader vr(value.data);
  const int16_t vv = vr.read_int16();
  if (vv < proto::TransactionLogValue::kMinVersion || vv > proto::TransactionLogValue::kMaxVersion)
    throw proto::DecodeError("unknown TransactionLogValue version " + std::to_string(vv));
  proto::TransactionLogValue v;
  v.decode(vr, vv);
  if (v.transaction_status < 0 || v.transaction_status > 7)
    throw proto::DecodeError("unknown transaction status " + std::to_string(v.transaction_status));
  TxnMetadata m;
  m.transactional_id = out.transactional_id;
  m.producer_id = v.producer_id;
  m.last_producer_id = v.previous_producer_id;
  m.producer_epoch = v.producer_epoch;
  m.timeout_ms = v.transaction_timeout_ms;
  m.state = static_cast<TxnState>(v.transaction_status);
  if (v.transaction_partitions) {
    for (const auto& t : *v.transaction_partitions)
      for (int32_t p : t.partition_ids) m.partitions.insert(TopicPartition{t.topic, p});
  }
  m.last_update_ms = v.transaction_last_update_timestamp_ms;
  m.start_ms = v.transaction_start_timestamp_ms;
  out.value = std::move(m);
  return out;
}

}  // namespace fjord::coordinator
