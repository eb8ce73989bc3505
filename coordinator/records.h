// The records the group coordinator keeps in __consumer_offsets, in Kafka's own formats, so
// that Kafka's tools and any client reading the topic see what a Kafka broker would write:
//   key   = int16 version + OffsetCommitKey (version 0/1) or GroupMetadataKey (version 2)
//   value = int16 version + OffsetCommitValue / GroupMetadataValue, or null (a tombstone)
// Keys of other versions (KIP-848 and share-group records) are recognised as "other".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/messages.h"
#include "coordinator/types.h"
#include "records/batch.h"

namespace fjord::coordinator {

// Java's String.hashCode over the UTF-16 code units of a UTF-8 string.
int32_t java_string_hash(std::string_view utf8);
// The __consumer_offsets partition of a group: Utils.abs(hash) % partitions, where Kafka's
// Utils.abs is x & 0x7fffffff.
int32_t partition_for(std::string_view group_id, int32_t partitions);

// Versions Fjord writes: OffsetCommitValue 3 (1 when an expire timestamp is set, as Kafka),
// GroupMetadataValue 3 (static membership).
inline constexpr int16_t kOffsetCommitKeyVersion = 1;
inline constexpr int16_t kGroupMetadataKeyVersion = 2;
inline constexpr int16_t kGroupMetadataValueVersion = 3;

Bytes encode_offset_key(std::string_view group, const TopicPartition& tp);
Bytes encode_offset_value(const CommittedOffset& v);
Bytes encode_group_key(std::string_view group);
Bytes encode_group_value(const proto::GroupMetadataValue& v);

struct CoordinatorRecord {
  enum class Kind { kOffset, kGroup, kOther };
  Kind kind = Kind::kOther;
  std::string group;
  TopicPartition tp;                                  // kOffset
  std::optional<CommittedOffset> offset;              // kOffset; nullopt = tombstone
  std::optional<proto::GroupMetadataValue> metadata;  // kGroup; nullopt = tombstone
};

// Decodes one record of the topic. Throws proto::DecodeError on malformed bytes.
CoordinatorRecord decode_record(const records::BytesView& key, const records::BytesView& value);

// One record to write: key bytes and value bytes (nullopt = tombstone).
struct RecordToWrite {
  Bytes key;
  std::optional<Bytes> value;
};

// Builds one uncompressed v2 batch of `recs` with timestamp `now_ms`. A transactional batch
// carries the producer id and epoch (TxnOffsetCommit).
Bytes build_batch(const std::vector<RecordToWrite>& recs, int64_t now_ms,
                  int64_t producer_id = records::kNoProducerId,
                  int16_t producer_epoch = records::kNoProducerEpoch, bool transactional = false);

}  // namespace fjord::coordinator
