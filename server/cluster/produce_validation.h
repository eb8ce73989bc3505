// Produce-path checks and rewrites that depend on topic configs (called from
// server/api/00_produce.cc after a batch passed validation):
// - topic/broker compression.type: recompress a batch to the configured codec;
// - cleanup.policy=compact: every record needs a key (Kafka's LogValidator.validateKey).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compression/compression.h"
#include "records/batch.h"
#include "server/config.h"

namespace fjord {

// The codec compression.type asks for; nullopt for `producer` (keep the producer's codec).
std::optional<compression::Codec> target_codec(const config::TopicConfig& tc);
// The compression level options of tc for `codec` (compression.*.level).
compression::CompressOptions compress_options(const config::TopicConfig& tc,
                                              compression::Codec codec);

// Writes into `out` (cleared first) a copy of the validated batch `b` whose records are
// compressed with `target` (None = uncompressed): the header fields (offset, epoch, offset
// deltas, timestamps, producer id/epoch/sequence, flags, record count) are kept, the codec
// bits, batchLength and CRC are rewritten. Decompression is capped at `max_decompressed`.
records::Error recompress_batch(const records::BatchView& b, compression::Codec target,
                                const compression::CompressOptions& options,
                                size_t max_decompressed, std::vector<uint8_t>& out);

struct RecordError {
  int32_t batch_index;
  std::string message;
};

// For a compacted topic: one RecordError per record of `b` without a key (empty when all
// have one). Kafka's message: "Compacted topic cannot accept message without key in topic
// partition <topic>-<partition>.". Returns false if the records cannot be read.
bool find_keyless_records(const records::BatchView& b, const std::string& topic, int32_t partition,
                          std::vector<uint8_t>& scratch, size_t max_decompressed,
                          std::vector<RecordError>& out);

// Kafka's error_message for a batch rejected with record errors.
std::string record_errors_message(const std::vector<RecordError>& errors);

}  // namespace fjord
