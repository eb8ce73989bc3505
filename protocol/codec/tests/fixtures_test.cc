// Golden fixtures: request frames that real clients (kcat and confluent-kafka on librdkafka
// 2.0.2, librdkafka 2.15.1, kafka-python 2.0.2, sarama 1.22.1, kafkajs 2.2.4,
// @platformatic/kafka 1.35.0) sent to Fjord, captured by
// tools/capture_fixtures.sh into tests/fixtures/ (see MANIFEST.tsv there).
//
// Every fixture must decode (header, then body) without leaving bytes over, encode back to the
// very same bytes, and fail with DecodeError when cut short at any byte. A hand-written set of
// expectations checks what the frames say: client ids, acks, topics, partitions, offsets, and
// the records inside Produce requests (v2 batches and magic 0/1 sets, compressed or not).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "codec/frame.h"
#include "compression/compression.h"
#include "records/batch.h"
#include "records/legacy.h"

#ifndef FJORD_FIXTURES_DIR
#error "FJORD_FIXTURES_DIR must name the tests/fixtures directory"
#endif

using namespace fjord::proto;
namespace fs = std::filesystem;
namespace rec = fjord::records;
using fjord::compression::Codec;

namespace {

using Frame = std::vector<uint8_t>;
using Opt = std::optional<std::string>;

const fs::path kDir = FJORD_FIXTURES_DIR;

Frame read_fixture(const std::string& rel) {
  std::ifstream in(kDir / rel, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open fixture " << rel);
  return Frame(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every *.bin under the fixtures directory, as paths relative to it, sorted.
std::vector<std::string> all_fixtures() {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(kDir)) {
    if (e.is_regular_file() && e.path().extension() == ".bin")
      out.push_back(e.path().lexically_relative(kDir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// API key and version from a capture file name: <seq>-<key>_<Name>_v<version>.bin.
std::pair<int, int> key_version_from_name(const std::string& rel) {
  const std::string name = fs::path(rel).filename().string();
  const size_t dash = name.find('-');
  const size_t v = name.rfind("_v");
  return {std::stoi(name.substr(dash + 1)), std::stoi(name.substr(v + 2))};
}

// Decodes a whole frame; false if the API key has no message type.
bool decode_frame(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  const RequestHeader h = decode_request_header(r);
  return visit_api(h.request_api_key, [&]<class Req, class Resp>() {
    (void)decode_body<Req>(r, h.request_api_version);
  });
}

void check_round_trip(const std::string& rel) {
  INFO("fixture " << rel);
  const Frame bytes = read_fixture(rel);
  Reader r(bytes);
  int16_t header_version = -1;
  const RequestHeader h = decode_request_header(r, &header_version);
  const auto [key, version] = key_version_from_name(rel);
  CHECK(h.request_api_key == key);
  CHECK(h.request_api_version == version);
  const bool known = visit_api(h.request_api_key, [&]<class Req, class Resp>() {
    const Req body = decode_body<Req>(r, h.request_api_version);
    CHECK_MESSAGE(r.empty(), r.remaining() << " bytes left after the body");
    Writer w;
    h.encode(w, header_version);
    body.encode(w, h.request_api_version);
    CHECK(w.flatten() == bytes);
  });
  CHECK(known);
}

void check_truncations(const std::string& rel) {
  const Frame bytes = read_fixture(rel);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    bool threw = false;
    try {
      (void)decode_frame(std::span<const uint8_t>(bytes.data(), cut));
    } catch (const DecodeError&) {
      threw = true;
    }
    CHECK_MESSAGE(threw, rel << " cut to " << cut << " of " << bytes.size() << " bytes decoded");
  }
}

// A decoded fixture; `bytes` owns the storage the message's Records views point into.
template <class Req>
struct Decoded {
  Frame bytes;
  RequestHeader header;
  Req body;
};

template <class Req>
Decoded<Req> decode_as(const std::string& rel) {
  Decoded<Req> d;
  d.bytes = read_fixture(rel);
  Reader r(d.bytes);
  d.header = decode_request_header(r);
  REQUIRE(d.header.request_api_key == Req::kApiKey);
  d.body = decode_body<Req>(r, d.header.request_api_version);
  return d;
}

// ---- records ------------------------------------------------------------------------------

struct Message {
  Opt key, value;
  std::vector<std::pair<std::string, Opt>> headers;
  bool operator==(const Message&) const = default;
};

std::string describe(const std::vector<Message>& messages) {
  std::string out;
  for (const auto& m : messages) {
    out += "{" + m.key.value_or("<null>") + " = " + m.value.value_or("<null>");
    for (const auto& [k, v] : m.headers) out += ", " + k + ": " + v.value_or("<null>");
    out += "} ";
  }
  return out;
}

Opt opt(const rec::BytesView& b) { return b.is_null ? Opt() : Opt(std::string(b.str())); }

// What a records field holds, read with fjord::records.
struct RecordsContent {
  int magic = -1;
  uint8_t codec = 0;  // of the (only) batch or wrapper
  int entries = 0;    // top-level batches (v2) or wrappers/messages (magic 0/1)
  std::vector<Message> messages;
};

RecordsContent read_v2(std::span<const uint8_t> data) {
  RecordsContent out;
  out.magic = rec::kMagicV2;
  rec::BatchIterator it(data);
  rec::BatchView batch;
  while (it.next(batch)) {
    ++out.entries;
    out.codec = batch.codec_id();
    REQUIRE(batch.magic() == rec::kMagicV2);
    REQUIRE(batch.validate() == rec::Error::Ok);
    rec::ValidateOptions strict;
    strict.require_contiguous_offsets = true;
    std::vector<uint8_t> buf;
    CHECK(rec::validate_records(batch, buf, 1 << 20, strict) == rec::Error::Ok);
    rec::RecordReader reader;
    REQUIRE(rec::open_records(batch, buf, 1 << 20, reader) == rec::Error::Ok);
    rec::RecordView r;
    while (reader.next(r)) {
      Message m{opt(r.key), opt(r.value), {}};
      rec::HeaderIterator hi = r.headers();
      rec::HeaderView hv;
      while (hi.next(hv)) m.headers.emplace_back(std::string(hv.key), opt(hv.value));
      CHECK(r.offset_delta == static_cast<int32_t>(out.messages.size()));
      out.messages.push_back(std::move(m));
    }
    CHECK(reader.error() == rec::Error::Ok);
  }
  CHECK(it.error() == rec::Error::Ok);
  CHECK_FALSE(it.partial_tail());
  return out;
}

RecordsContent read_legacy(std::span<const uint8_t> data) {
  RecordsContent out;
  // Top-level entries first (wrappers stay closed).
  size_t pos = 0;
  while (pos < data.size()) {
    rec::LegacyMessageView entry;
    size_t used = 0;
    REQUIRE(rec::parse_legacy_entry(data.subspan(pos), entry, used) == rec::Error::Ok);
    out.magic = entry.magic;
    out.codec = entry.codec_id();
    ++out.entries;
    pos += used;
  }
  rec::LegacyReader reader(data);
  rec::LegacyMessageView m;
  while (reader.next(m)) {
    CHECK(m.magic == out.magic);
    out.messages.push_back({opt(m.key), opt(m.value), {}});
  }
  CHECK(reader.error() == rec::Error::Ok);
  CHECK_FALSE(reader.partial_tail());
  return out;
}

RecordsContent read_records(const Records& records) {
  REQUIRE_FALSE(records.is_null());
  const auto data = records.bytes();
  REQUIRE(data.size() > rec::batch_layout::kMagic);
  return data[rec::batch_layout::kMagic] == rec::kMagicV2 ? read_v2(data) : read_legacy(data);
}

// The three messages every capture scenario produces: key-<i> = <prefix><i><suffix>.
enum class Headers { None, Index, Fixed };
std::vector<Message> three(const std::string& prefix, const std::string& suffix, Headers h,
                           const std::string& fixed = "") {
  std::vector<Message> out;
  for (int i = 0; i < 3; ++i) {
    Message m{"key-" + std::to_string(i), prefix + std::to_string(i) + suffix, {}};
    if (h == Headers::Index) m.headers.emplace_back("hdr", std::to_string(i));
    if (h == Headers::Fixed) m.headers.emplace_back("hdr", fixed);
    out.push_back(std::move(m));
  }
  return out;
}

std::string kpy_suffix() {
  std::string s = ":";
  for (int i = 0; i < 20; ++i) s += "fjord";
  return s;
}

struct ProduceCase {
  std::string file;
  std::string client_id;
  int16_t version;
  int16_t acks;
  std::string topic;
  int magic;
  Codec codec;
  std::vector<Message> messages;
};

void check_produce(const ProduceCase& c) {
  INFO("fixture " << c.file);
  const auto d = decode_as<ProduceRequest>(c.file);
  CHECK(d.header.request_api_version == c.version);
  CHECK(d.header.client_id == c.client_id);
  CHECK(d.body.acks == c.acks);
  CHECK(d.body.timeout_ms > 0);
  CHECK_FALSE(d.body.transactional_id.has_value());
  REQUIRE(d.body.topic_data.size() == 1);
  CHECK(d.body.topic_data[0].name == c.topic);
  REQUIRE(d.body.topic_data[0].partition_data.size() == 1);
  const auto& p = d.body.topic_data[0].partition_data[0];
  CHECK(p.index == 0);
  const RecordsContent got = read_records(p.records);
  CHECK(got.magic == c.magic);
  CHECK(got.codec == static_cast<uint8_t>(c.codec));
  // One batch, or one wrapper when compressed; plain legacy sets hold one entry per message.
  CHECK(got.entries == (c.magic < 2 && c.codec == Codec::None ? 3 : 1));
  CHECK_MESSAGE(got.messages == c.messages,
                "got " << describe(got.messages) << "\nwant " << describe(c.messages));
}

std::vector<ProduceCase> produce_cases() {
  const std::string kpy = kpy_suffix();
  const auto none = Codec::None;
  return {
      // kcat: -K: keys, -H hdr=kcat on every message, acks=all (librdkafka's default).
      {"kcat/0006-00_Produce_v7.bin", "rdkafka", 7, -1, "fx-kcat", 2, none,
       three("kcat-none-", "", Headers::Fixed, "kcat")},
      {"kcat/0009-00_Produce_v7.bin", "rdkafka", 7, -1, "fx-kcat", 2, Codec::Gzip,
       three("kcat-gzip-", "", Headers::Fixed, "kcat")},
      {"kcat/0012-00_Produce_v7.bin", "rdkafka", 7, -1, "fx-kcat", 2, Codec::Snappy,
       three("kcat-snappy-", "", Headers::Fixed, "kcat")},
      // librdkafka sends lz4 uncompressed while the broker does not advertise FindCoordinator.
      {"kcat/0015-00_Produce_v7.bin", "rdkafka", 7, -1, "fx-kcat", 2, none,
       three("kcat-lz4-", "", Headers::Fixed, "kcat")},
      {"kcat/0018-00_Produce_v7.bin", "rdkafka", 7, -1, "fx-kcat", 2, Codec::Zstd,
       three("kcat-zstd-", "", Headers::Fixed, "kcat")},
      // librdkafka with broker.version.fallback=0.9.0: Produce v1, magic 0, no headers.
      {"kcat-legacy/0002-00_Produce_v1.bin", "rdkafka", 1, -1, "fx-kcat-legacy", 0, none,
       three("kcat-none-", "", Headers::None)},
      {"kcat-legacy/0005-00_Produce_v1.bin", "rdkafka", 1, -1, "fx-kcat-legacy", 0, Codec::Gzip,
       three("kcat-gzip-", "", Headers::None)},
      // kafka-python: acks=1, every codec in a v2 batch.
      {"kafka-python/0005-00_Produce_v7.bin", "fjord-fx-kafka-python", 7, 1, "fx-kpy", 2, none,
       three("kpy-none-", kpy, Headers::Index)},
      {"kafka-python/0009-00_Produce_v7.bin", "fjord-fx-kafka-python", 7, 1, "fx-kpy", 2,
       Codec::Gzip, three("kpy-gzip-", kpy, Headers::Index)},
      {"kafka-python/0013-00_Produce_v7.bin", "fjord-fx-kafka-python", 7, 1, "fx-kpy", 2,
       Codec::Snappy, three("kpy-snappy-", kpy, Headers::Index)},
      {"kafka-python/0017-00_Produce_v7.bin", "fjord-fx-kafka-python", 7, 1, "fx-kpy", 2,
       Codec::Lz4, three("kpy-lz4-", kpy, Headers::Index)},
      {"kafka-python/0021-00_Produce_v7.bin", "fjord-fx-kafka-python", 7, 1, "fx-kpy", 2,
       Codec::Zstd, three("kpy-zstd-", kpy, Headers::Index)},
      // kafka-python with api_version 0.10 (magic 1, Produce v2) and 0.8.2 (magic 0, v0).
      {"kafka-python-0.10/0002-00_Produce_v2.bin", "fjord-fx-kafka-python", 2, 1, "fx-kpy-legacy",
       1, none, three("kpy-none-", kpy, Headers::None)},
      {"kafka-python-0.10/0004-00_Produce_v2.bin", "fjord-fx-kafka-python", 2, 1, "fx-kpy-legacy",
       1, Codec::Gzip, three("kpy-gzip-", kpy, Headers::None)},
      {"kafka-python-0.8/0002-00_Produce_v0.bin", "fjord-fx-kafka-python", 0, 1, "fx-kpy-legacy", 0,
       none, three("kpy-none-", kpy, Headers::None)},
      {"kafka-python-0.8/0004-00_Produce_v0.bin", "fjord-fx-kafka-python", 0, 1, "fx-kpy-legacy", 0,
       Codec::Snappy, three("kpy-snappy-", kpy, Headers::None)},
      // confluent-kafka: same library as kcat, lz4 falls back to uncompressed too.
      {"confluent-kafka/0006-00_Produce_v7.bin", "fjord-fx-confluent", 7, -1, "fx-ck", 2, none,
       three("ck-none-", "", Headers::Index)},
      {"confluent-kafka/0009-00_Produce_v7.bin", "fjord-fx-confluent", 7, -1, "fx-ck", 2, none,
       three("ck-lz4-", "", Headers::Index)},
      // sarama's default configuration: Produce v0 with magic 0 sets, acks=1.
      {"sarama-default/0003-00_Produce_v0.bin", "sarama", 0, 1, "fx-sarama0", 0, none,
       three("sarama-none-", "", Headers::None)},
      {"sarama-default/0005-00_Produce_v0.bin", "sarama", 0, 1, "fx-sarama0", 0, Codec::Gzip,
       three("sarama-gzip-", "", Headers::None)},
      {"sarama-default/0007-00_Produce_v0.bin", "sarama", 0, 1, "fx-sarama0", 0, Codec::Snappy,
       three("sarama-snappy-", "", Headers::None)},
      {"sarama-v0.10/0003-00_Produce_v2.bin", "sarama", 2, 1, "fx-sarama1", 1, Codec::Gzip,
       three("sarama-gzip-", "", Headers::None)},
      // sarama at its maximum Version (2.2): Produce v3, v2 batches, zstd not gated.
      {"sarama-v2.2/0003-00_Produce_v3.bin", "sarama", 3, 1, "fx-sarama2", 2, none,
       three("sarama-none-", "", Headers::Index)},
      {"sarama-v2.2/0005-00_Produce_v3.bin", "sarama", 3, 1, "fx-sarama2", 2, Codec::Gzip,
       three("sarama-gzip-", "", Headers::Index)},
      {"sarama-v2.2/0007-00_Produce_v3.bin", "sarama", 3, 1, "fx-sarama2", 2, Codec::Zstd,
       three("sarama-zstd-", "", Headers::Index)},
      // kafkajs: acks=-1, gzip is its only built-in codec.
      {"kafkajs/0006-00_Produce_v7.bin", "fjord-fx-kafkajs", 7, -1, "fx-kjs", 2, none,
       three("kjs-none-", "", Headers::Index)},
      {"kafkajs/0009-00_Produce_v7.bin", "fjord-fx-kafkajs", 7, -1, "fx-kjs", 2, Codec::Gzip,
       three("kjs-gzip-", "", Headers::Index)},
  };
}

// ---- other APIs ---------------------------------------------------------------------------

// Topic names of a Metadata request; nullopt for "all topics" (null array).
std::optional<std::vector<std::string>> metadata_topics(const MetadataRequest& m) {
  if (!m.topics) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& t : *m.topics) out.push_back(t.name.value_or("<null>"));
  return out;
}

using Names = std::vector<std::string>;

struct FetchCase {
  std::string file;
  std::string client_id;
  std::string topic;
  int32_t max_wait_ms;
  int32_t min_bytes;
  int8_t isolation_level;
};

void check_fetch(const FetchCase& c) {
  INFO("fixture " << c.file);
  const auto d = decode_as<FetchRequest>(c.file);
  CHECK(d.header.client_id == c.client_id);
  CHECK(d.body.replica_id == -1);
  CHECK(d.body.max_wait_ms == c.max_wait_ms);
  CHECK(d.body.min_bytes == c.min_bytes);
  CHECK(d.body.isolation_level == c.isolation_level);
  if (d.header.request_api_version >= 7) {  // librdkafka is sessionless
    CHECK(d.body.session_id == 0);
    CHECK(d.body.session_epoch == -1);
  }
  REQUIRE(d.body.topics.size() == 1);
  CHECK(d.body.topics[0].topic == c.topic);
  REQUIRE(d.body.topics[0].partitions.size() == 1);
  const auto& p = d.body.topics[0].partitions[0];
  CHECK(p.partition == 0);
  CHECK(p.fetch_offset == 0);  // the first fetch of each consumer starts at the beginning
  CHECK(p.partition_max_bytes > 0);
}

struct ListOffsetsCase {
  std::string file;
  std::string client_id;
  std::string topic;
  int64_t timestamp;
};

void check_list_offsets(const ListOffsetsCase& c) {
  INFO("fixture " << c.file);
  const auto d = decode_as<ListOffsetsRequest>(c.file);
  CHECK(d.header.client_id == c.client_id);
  CHECK(d.body.replica_id == -1);
  REQUIRE(d.body.topics.size() == 1);
  CHECK(d.body.topics[0].name == c.topic);
  REQUIRE(d.body.topics[0].partitions.size() == 1);
  CHECK(d.body.topics[0].partitions[0].partition_index == 0);
  CHECK(d.body.topics[0].partitions[0].timestamp == c.timestamp);
  if (d.header.request_api_version == 0) CHECK(d.body.topics[0].partitions[0].max_num_offsets == 1);
}

// The MANIFEST.tsv rows: file -> (client, api, version).
std::vector<std::vector<std::string>> manifest_rows() {
  std::ifstream in(kDir / "MANIFEST.tsv");
  REQUIRE(in.good());
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // column names
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    rows.push_back(std::move(cols));
  }
  return rows;
}

}  // namespace

TEST_CASE("the fixtures directory is there and listed in MANIFEST.tsv") {
  const auto files = all_fixtures();
  MESSAGE(files.size() << " fixtures in " << kDir.string());
  CHECK(files.size() >= 50);
  std::set<std::string> listed, clients;
  for (const auto& row : manifest_rows()) {
    REQUIRE(row.size() == 5);
    listed.insert(row[0]);
    clients.insert(row[1]);
    CHECK(fs::path(row[0]).parent_path().string() == row[1]);
    CHECK(row[0].find("_" + row[2] + "_v" + row[3] + ".bin") != std::string::npos);
  }
  CHECK(listed == std::set<std::string>(files.begin(), files.end()));
  for (const char* c :
       {"kcat", "kafka-python", "confluent-kafka", "sarama-default", "sarama-v2.2", "kafkajs"}) {
    CHECK_MESSAGE(clients.count(c) == 1, "no fixtures from " << c);
  }
}

TEST_CASE("every fixture decodes whole and re-encodes to the same bytes") {
  for (const auto& f : all_fixtures()) check_round_trip(f);
}

TEST_CASE("every strict prefix of every fixture is a DecodeError") {
  for (const auto& f : all_fixtures()) check_truncations(f);
}

TEST_CASE("Produce fixtures carry the records each client was given") {
  for (const auto& c : produce_cases()) check_produce(c);
}

TEST_CASE("ApiVersions fixtures") {
  {
    const auto d = decode_as<ApiVersionsRequest>("kcat/0001-18_ApiVersions_v3.bin");
    CHECK(d.header.client_id == "rdkafka");
    CHECK(d.body.client_software_name == "librdkafka");
    CHECK(d.body.client_software_version == "2.0.2");
  }
  {
    const auto d = decode_as<ApiVersionsRequest>("confluent-kafka/0001-18_ApiVersions_v3.bin");
    CHECK(d.header.client_id == "fjord-fx-confluent");
    CHECK(d.body.client_software_name == "confluent-kafka-python");
  }
  // kafka-python probes with v0, kafkajs starts at v2: both have empty bodies.
  const auto kpy = decode_as<ApiVersionsRequest>("kafka-python/0001-18_ApiVersions_v0.bin");
  CHECK(kpy.header.client_id == "fjord-fx-kafka-python");
  CHECK(kpy.bytes.size() == 10 + std::string("fjord-fx-kafka-python").size());
  const auto kjs = decode_as<ApiVersionsRequest>("kafkajs/0001-18_ApiVersions_v2.bin");
  CHECK(kjs.header.request_api_version == 2);
  CHECK(kjs.header.client_id == "fjord-fx-kafkajs");
}

TEST_CASE("Metadata fixtures") {
  // librdkafka first refreshes brokers only (an empty list at v4, no auto-creation); kcat -L
  // then asks for every topic (a null list).
  const auto kcat = decode_as<MetadataRequest>("kcat/0002-03_Metadata_v4.bin");
  CHECK(kcat.header.client_id == "rdkafka");
  CHECK(metadata_topics(kcat.body) == Names{});
  CHECK_FALSE(kcat.body.allow_auto_topic_creation);
  const auto kcat_all = decode_as<MetadataRequest>("kcat/0003-03_Metadata_v4.bin");
  CHECK_FALSE(kcat_all.body.topics.has_value());
  // A librdkafka producer asks for its topic and allows auto-creation.
  const auto kcat_p = decode_as<MetadataRequest>("kcat/0005-03_Metadata_v4.bin");
  CHECK(metadata_topics(kcat_p.body) == Names{"fx-kcat"});
  CHECK(kcat_p.body.allow_auto_topic_creation);
  // kafka-python's bootstrap probe: Metadata v0 with an empty list, meaning all topics.
  const auto kpy = decode_as<MetadataRequest>("kafka-python/0002-03_Metadata_v0.bin");
  CHECK(metadata_topics(kpy.body) == Names{});
  const auto kpy1 = decode_as<MetadataRequest>("kafka-python/0004-03_Metadata_v1.bin");
  CHECK(metadata_topics(kpy1.body) == Names{"fx-kpy"});
  // sarama: a full refresh (empty v0 list), then its topic.
  const auto s0 = decode_as<MetadataRequest>("sarama-default/0001-03_Metadata_v0.bin");
  CHECK(s0.header.client_id == "sarama");
  CHECK(metadata_topics(s0.body) == Names{});
  const auto s0t = decode_as<MetadataRequest>("sarama-default/0002-03_Metadata_v0.bin");
  CHECK(metadata_topics(s0t.body) == Names{"fx-sarama0"});
  const auto s2 = decode_as<MetadataRequest>("sarama-v2.2/0002-03_Metadata_v5.bin");
  CHECK(metadata_topics(s2.body) == Names{"fx-sarama2"});
  CHECK(s2.body.allow_auto_topic_creation);
  // kafkajs: Metadata v6 for the produced topic, auto-creation on.
  const auto kjs = decode_as<MetadataRequest>("kafkajs/0005-03_Metadata_v6.bin");
  CHECK(metadata_topics(kjs.body) == Names{"fx-kjs"});
  CHECK(kjs.body.allow_auto_topic_creation);
}

TEST_CASE("Fetch fixtures") {
  // librdkafka: read_committed by default, sessionless v11, fetch.wait.max.ms=500.
  check_fetch({"kcat/0023-01_Fetch_v11.bin", "rdkafka", "fx-kcat", 500, 1, 1});
  check_fetch({"kcat-legacy/0010-01_Fetch_v1.bin", "rdkafka", "fx-kcat-legacy", 500, 1, 0});
  check_fetch({"confluent-kafka/0013-01_Fetch_v11.bin", "fjord-fx-confluent", "fx-ck", 500, 1, 1});
  check_fetch({"kafka-python/0026-01_Fetch_v4.bin", "fjord-fx-kafka-python", "fx-kpy", 500, 1, 0});
  // sarama: MaxWaitTime 250 ms, Fetch.Min 1.
  check_fetch({"sarama-default/0011-01_Fetch_v0.bin", "sarama", "fx-sarama0", 250, 1, 0});
  check_fetch({"sarama-v2.2/0011-01_Fetch_v4.bin", "sarama", "fx-sarama2", 250, 1, 0});
}

TEST_CASE("ListOffsets fixtures") {
  // Every consumer starts from the earliest offset (timestamp -2, "earliest").
  check_list_offsets({"kcat/0022-02_ListOffsets_v2.bin", "rdkafka", "fx-kcat", -2});
  check_list_offsets({"kcat-legacy/0009-02_ListOffsets_v0.bin", "rdkafka", "fx-kcat-legacy", -2});
  check_list_offsets(
      {"kafka-python/0025-02_ListOffsets_v1.bin", "fjord-fx-kafka-python", "fx-kpy", -2});
  // sarama asks for the newest offset (-1) before the oldest.
  check_list_offsets({"sarama-default/0009-02_ListOffsets_v0.bin", "sarama", "fx-sarama0", -1});
  check_list_offsets({"sarama-default/0010-02_ListOffsets_v0.bin", "sarama", "fx-sarama0", -2});
  check_list_offsets({"sarama-v2.2/0009-02_ListOffsets_v1.bin", "sarama", "fx-sarama2", -1});
  check_list_offsets({"sarama-v2.2/0010-02_ListOffsets_v1.bin", "sarama", "fx-sarama2", -2});
}

TEST_CASE("FindCoordinator fixture from kafka-python's group consumer") {
  const auto d = decode_as<FindCoordinatorRequest>("kafka-python/0029-10_FindCoordinator_v0.bin");
  CHECK(d.header.request_api_version == 0);
  CHECK(d.body.key == "fx-kpy-group");
}

// ---- group, admin and transaction requests (found by content: the frame numbers of a
// capture depend on timing, so these look for the frame that says what the scenario did) ----

namespace {

// Every fixture of one client for one API key, decoded.
template <class Req>
std::vector<Decoded<Req>> fixtures_of(const std::string& client) {
  std::vector<Decoded<Req>> out;
  for (const auto& f : all_fixtures()) {
    if (fs::path(f).parent_path().string() != client) continue;
    if (key_version_from_name(f).first != Req::kApiKey) continue;
    out.push_back(decode_as<Req>(f));
  }
  return out;
}

template <class Req, class Pred>
bool any_fixture(const std::string& client, Pred pred) {
  for (const auto& d : fixtures_of<Req>(client))
    if (pred(d)) return true;
  return false;
}

}  // namespace

TEST_CASE("group fixtures: sarama's raw group calls and librdkafka's consumer") {
  const std::string group = "fx-sarama-admin-group";
  CHECK(any_fixture<JoinGroupRequest>("sarama-v2.2", [&](const auto& d) {
    return d.body.group_id == group && d.body.protocol_type == "consumer" &&
           d.body.session_timeout_ms == 10000 && d.body.protocols.size() == 1 &&
           d.body.protocols[0].name == "range";
  }));
  CHECK(any_fixture<SyncGroupRequest>("sarama-v2.2", [&](const auto& d) {
    return d.body.group_id == group && d.body.assignments.size() == 1 &&
           d.body.assignments[0].member_id == d.body.member_id;
  }));
  CHECK(any_fixture<HeartbeatRequest>("sarama-v2.2",
                                      [&](const auto& d) { return d.body.group_id == group; }));
  CHECK(any_fixture<LeaveGroupRequest>("sarama-v2.2",
                                       [&](const auto& d) { return d.body.group_id == group; }));
  // OffsetCommit v2 with sarama's metadata string: offset 2 of partition 0.
  CHECK(any_fixture<OffsetCommitRequest>("sarama-v2.2", [&](const auto& d) {
    return d.body.group_id == group && d.body.topics.size() == 1 &&
           d.body.topics[0].partitions.size() == 1 &&
           d.body.topics[0].partitions[0].committed_offset == 2 &&
           d.body.topics[0].partitions[0].committed_metadata == "sarama-meta";
  }));
  CHECK(any_fixture<DeleteGroupsRequest>("sarama-v2.2", [&](const auto& d) {
    return d.body.groups_names == std::vector<std::string>{group};
  }));
  // confluent-kafka's subscribe() consumer: JoinGroup with a member id and the range and
  // round-robin protocols librdkafka offers by default.
  CHECK(any_fixture<JoinGroupRequest>("confluent-kafka", [](const auto& d) {
    return d.body.group_id == "fx-ck-group" && d.body.protocol_type == "consumer" &&
           d.body.session_timeout_ms == 6000 && !d.body.protocols.empty();
  }));
}

TEST_CASE("admin fixtures") {
  // confluent-kafka create_topics: 3 partitions, replication factor 1, retention.ms.
  CHECK(any_fixture<CreateTopicsRequest>("confluent-kafka", [](const auto& d) {
    if (d.body.topics.size() != 1) return false;
    const auto& t = d.body.topics[0];
    return t.name == "fx-ck-admin" && t.num_partitions == 3 && t.replication_factor == 1 &&
           t.configs.size() == 1 && t.configs[0].name == "retention.ms" &&
           t.configs[0].value == "3600000";
  }));
  // librdkafka 2.15.1 IncrementalAlterConfigs: SET (0) retention.ms on the topic (type 2).
  CHECK(any_fixture<IncrementalAlterConfigsRequest>("rdkafka-2.15", [](const auto& d) {
    if (d.body.resources.size() != 1) return false;
    const auto& r = d.body.resources[0];
    return r.resource_type == 2 && r.resource_name == "fx-rdk-admin" && r.configs.size() == 1 &&
           r.configs[0].name == "retention.ms" && r.configs[0].config_operation == 0 &&
           r.configs[0].value == "7200000";
  }));
  CHECK(any_fixture<DeleteRecordsRequest>("rdkafka-2.15", [](const auto& d) {
    return d.body.topics.size() == 1 && d.body.topics[0].name == "fx-rdk-admin" &&
           d.body.topics[0].partitions.size() == 1 && d.body.topics[0].partitions[0].offset == 1;
  }));
  CHECK(any_fixture<OffsetDeleteRequest>("rdkafka-2.15", [](const auto& d) {
    return d.body.group_id == "fx-rdk-admin-group" && d.body.topics.size() == 1 &&
           d.body.topics[0].name == "fx-rdk-admin" && d.body.topics[0].partitions.size() == 1 &&
           d.body.topics[0].partitions[0].partition_index == 0;
  }));
  // The consumer assigned at offset 1 with leader epoch 0 validates it.
  CHECK(any_fixture<OffsetForLeaderEpochRequest>("rdkafka-2.15", [](const auto& d) {
    return d.body.topics.size() == 1 && d.body.topics[0].topic == "fx-rdk-epoch" &&
           d.body.topics[0].partitions.size() == 1 &&
           d.body.topics[0].partitions[0].leader_epoch == 0;
  }));
  // kafkajs admin: createPartitions to 3, deleteTopicRecords up to offset 1.
  CHECK(any_fixture<CreatePartitionsRequest>("kafkajs", [](const auto& d) {
    return d.body.topics.size() == 1 && d.body.topics[0].name == "fx-kjs-admin" &&
           d.body.topics[0].count == 3;
  }));
  CHECK(any_fixture<DeleteRecordsRequest>("kafkajs", [](const auto& d) {
    return d.body.topics.size() == 1 && d.body.topics[0].name == "fx-kjs-admin" &&
           d.body.topics[0].partitions[0].offset == 1;
  }));
  // sarama AlterConfigs / DescribeConfigs on its topic.
  CHECK(any_fixture<AlterConfigsRequest>("sarama-v2.2", [](const auto& d) {
    return d.body.resources.size() == 1 && d.body.resources[0].resource_name == "fx-sarama-admin" &&
           d.body.resources[0].configs.size() == 1 &&
           d.body.resources[0].configs[0].value == "3600000";
  }));
  CHECK(any_fixture<DescribeConfigsRequest>("sarama-v2.2", [](const auto& d) {
    return d.body.resources.size() == 1 && d.body.resources[0].resource_name == "fx-sarama-admin";
  }));
}

TEST_CASE("transaction fixtures: confluent-kafka, kafkajs and sarama") {
  // confluent-kafka: transactional.id fx-ck-txn, transaction.timeout.ms 10000.
  CHECK(any_fixture<InitProducerIdRequest>("confluent-kafka", [](const auto& d) {
    return d.body.transactional_id == "fx-ck-txn" && d.body.transaction_timeout_ms == 10000;
  }));
  CHECK(any_fixture<AddPartitionsToTxnRequest>("confluent-kafka", [](const auto& d) {
    return d.body.v3_and_below_transactional_id == "fx-ck-txn" &&
           d.body.v3_and_below_producer_id >= 0 && d.body.v3_and_below_topics.size() == 1 &&
           d.body.v3_and_below_topics[0].name == "fx-ck-txn" &&
           d.body.v3_and_below_topics[0].partitions == std::vector<int32_t>{0};
  }));
  CHECK(any_fixture<AddOffsetsToTxnRequest>("confluent-kafka", [](const auto& d) {
    return d.body.transactional_id == "fx-ck-txn" && d.body.group_id == "fx-ck-txn";
  }));
  // send_offsets_to_transaction: offset 3 of partition 0.
  CHECK(any_fixture<TxnOffsetCommitRequest>("confluent-kafka", [](const auto& d) {
    return d.body.group_id == "fx-ck-txn" && d.body.topics.size() == 1 &&
           d.body.topics[0].partitions.size() == 1 &&
           d.body.topics[0].partitions[0].committed_offset == 3;
  }));
  // One commit and one abort.
  for (bool committed : {true, false}) {
    INFO("committed " << committed);
    CHECK(any_fixture<EndTxnRequest>("confluent-kafka", [&](const auto& d) {
      return d.body.transactional_id == "fx-ck-txn" && d.body.committed == committed;
    }));
    CHECK(any_fixture<EndTxnRequest>("kafkajs", [&](const auto& d) {
      return d.body.transactional_id == "fx-kjs-txn" && d.body.committed == committed;
    }));
  }
  CHECK(any_fixture<TxnOffsetCommitRequest>("kafkajs", [](const auto& d) {
    return d.body.transactional_id == "fx-kjs-txn" && d.body.group_id == "fx-kjs-txn-group" &&
           d.body.topics.size() == 1 && d.body.topics[0].partitions[0].committed_offset == 3;
  }));
  // sarama's idempotent producer: InitProducerId v0 with a null transactional id; its raw
  // calls: an abort (EndTxn committed=false) of fx-sarama-txn.
  CHECK(any_fixture<InitProducerIdRequest>(
      "sarama-v2.2", [](const auto& d) { return !d.body.transactional_id.has_value(); }));
  CHECK(any_fixture<EndTxnRequest>("sarama-v2.2", [](const auto& d) {
    return d.body.transactional_id == "fx-sarama-txn" && !d.body.committed;
  }));
}

TEST_CASE("KIP-848 fixtures from librdkafka 2.15.1") {
  // The joining heartbeat: member epoch 0 and the subscribed topic.
  CHECK(any_fixture<ConsumerGroupHeartbeatRequest>("rdkafka-2.15", [](const auto& d) {
    return d.body.group_id == "fx-rdk-consumer" && d.body.member_epoch == 0 &&
           d.body.subscribed_topic_names &&
           *d.body.subscribed_topic_names == std::vector<std::string>{"fx-rdk-consumer"};
  }));
  CHECK(any_fixture<ConsumerGroupDescribeRequest>("rdkafka-2.15", [](const auto& d) {
    return d.body.group_ids == std::vector<std::string>{"fx-rdk-consumer"};
  }));
}

TEST_CASE("admin fixtures from @platformatic/kafka: the APIs only it sends here") {
  const std::string c = "platformatic";
  CHECK(any_fixture<DescribeClusterRequest>(c, [](const auto& d) {
    return d.header.request_api_version == 1 && !d.body.include_cluster_authorized_operations &&
           d.body.endpoint_type == 1;  // brokers
  }));
  CHECK(any_fixture<DescribeLogDirsRequest>(c, [](const auto& d) {
    return d.body.topics && d.body.topics->size() == 1 &&
           (*d.body.topics)[0].topic == "fx-ck-txn" &&
           (*d.body.topics)[0].partitions == std::vector<int32_t>{0};
  }));
  CHECK(any_fixture<DescribeProducersRequest>(c, [](const auto& d) {
    return d.body.topics.size() == 1 && d.body.topics[0].name == "fx-ck-txn" &&
           d.body.topics[0].partition_indexes == std::vector<int32_t>{0};
  }));
  CHECK(any_fixture<DescribeTransactionsRequest>(c, [](const auto& d) {
    return d.body.transactional_ids == std::vector<std::string>{"fx-ck-txn"};
  }));
  CHECK(any_fixture<ListTransactionsRequest>(c, [](const auto& d) {
    return d.body.state_filters.empty() && d.body.producer_id_filters.empty() &&
           d.body.duration_filter == -1;
  }));
}
