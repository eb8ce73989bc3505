#include "log/txn_index.h"

#include "log/error.h"

namespace fjord::log {

namespace {

void put_be(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t get_be(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

TransactionIndex::TransactionIndex(std::filesystem::path path) : path_(std::move(path)) {
  std::optional<std::string> text = fs::read_if_exists(path_);
  if (!text) return;
  file_ = File::open(path_, File::OpenMode::kExisting);
  const auto* p = reinterpret_cast<const uint8_t*>(text->data());
  size_t n = text->size() / kEntrySize;
  bool dirty = text->size() % kEntrySize != 0;
  for (size_t i = 0; i < n; ++i, p += kEntrySize) {
    AbortedTxn t;
    auto version = static_cast<int16_t>(get_be(p, 2));
    t.producer_id = static_cast<int64_t>(get_be(p + 2, 8));
    t.first_offset = static_cast<int64_t>(get_be(p + 10, 8));
    t.last_offset = static_cast<int64_t>(get_be(p + 18, 8));
    t.last_stable_offset = static_cast<int64_t>(get_be(p + 26, 8));
    if (version != 0 || t.first_offset < 0 || t.last_offset < t.first_offset ||
        (!entries_.empty() && t.last_offset <= entries_.back().last_offset)) {
      dirty = true;
      break;
    }
    entries_.push_back(t);
  }
  if (dirty) rewrite();
}

std::vector<uint8_t> TransactionIndex::encode(const AbortedTxn& t) {
  std::vector<uint8_t> out;
  out.reserve(kEntrySize);
  put_be(out, 0, 2);
  put_be(out, static_cast<uint64_t>(t.producer_id), 8);
  put_be(out, static_cast<uint64_t>(t.first_offset), 8);
  put_be(out, static_cast<uint64_t>(t.last_offset), 8);
  put_be(out, static_cast<uint64_t>(t.last_stable_offset), 8);
  return out;
}

void TransactionIndex::append(const AbortedTxn& t) {
  if (!entries_.empty() && t.last_offset <= entries_.back().last_offset) {
    throw LogError(LogErrc::kInvalidArgument,
                   "aborted transaction at " + std::to_string(t.last_offset) +
                       " is not after the last one in " + path_.string());
  }
  if (!file_) file_ = File::open(path_, File::OpenMode::kAlways);
  std::vector<uint8_t> bytes = encode(t);
  file_->write_at(bytes, static_cast<int64_t>(entries_.size() * kEntrySize));
  entries_.push_back(t);
}

void TransactionIndex::rewrite() {
  if (!file_) file_ = File::open(path_, File::OpenMode::kAlways);
  std::vector<uint8_t> all;
  for (const AbortedTxn& t : entries_) {
    std::vector<uint8_t> e = encode(t);
    all.insert(all.end(), e.begin(), e.end());
  }
  file_->truncate(0);
  if (!all.empty()) file_->write_at(all, 0);
}

void TransactionIndex::truncate_to(int64_t offset) {
  size_t keep = 0;
  while (keep < entries_.size() && entries_[keep].last_offset < offset) ++keep;
  if (keep == entries_.size()) return;
  entries_.resize(keep);
  if (file_) file_->truncate(static_cast<int64_t>(keep * kEntrySize));
}

void TransactionIndex::reset() {
  entries_.clear();
  delete_file();
}

void TransactionIndex::flush() {
  if (file_) file_->datasync();
}

void TransactionIndex::delete_file() {
  if (file_) {
    file_->unlink();
    file_.reset();
  } else {
    fs::remove_file(path_);
  }
}

void TransactionIndex::rename_to(const std::filesystem::path& to) {
  if (file_) {
    file_->rename_to(to);
  } else if (fs::exists(path_)) {
    fs::rename(path_, to);
  }
  path_ = to;
}

AbortedTxnSearch TransactionIndex::collect(int64_t fetch_offset, int64_t upper_bound) const {
  AbortedTxnSearch r;
  for (const AbortedTxn& t : entries_) {
    if (t.last_offset >= fetch_offset && t.first_offset < upper_bound) r.found.push_back(t);
    if (t.last_stable_offset >= upper_bound) {
      r.complete = true;
      return r;
    }
  }
  return r;
}

}  // namespace fjord::log
