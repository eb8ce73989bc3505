#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "codec/reader.h"
#include "codec/writer.h"

namespace fjord::proto {

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}

bool Uuid::is_zero() const {
  for (uint8_t b : bytes)
    if (b) return false;
  return true;
}

std::string Uuid::to_base64url() const {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kB64[(acc << (6 - bits)) & 63]);
  return out;
}

bool Uuid::from_base64url(std::string_view text, Uuid& out) {
  if (text.size() != 22) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (char c : text) {
    const char* p = std::strchr(kB64, c);
    if (c == 0 || p == nullptr) {
      if (c == '+')
        p = kB64 + 62;  // accept the standard alphabet too
      else if (c == '/')
        p = kB64 + 63;
      else
        return false;
    }
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n < 16) out.bytes[n++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  return n == 16;
}

Records Records::copy_of(std::span<const uint8_t> bytes) {
  auto store = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
  std::span<const uint8_t> view(store->data(), store->size());
  return Records(view, std::move(store));
}

Records Records::from_file(int fd, int64_t offset, size_t length,
                           std::shared_ptr<const void> owner) {
  Records r;
  r.null_ = false;
  r.size_ = length;
  r.fd_ = fd;
  r.file_offset_ = offset;
  r.owner_ = std::move(owner);
  return r;
}

void Records::throw_file_backed() {
  throw std::logic_error("records live in a file: call in_memory() before bytes()");
}

size_t Records::append_to(std::vector<uint8_t>& out) const {
  if (fd_ < 0) {
    out.insert(out.end(), data_, data_ + size_);
    return size_;
  }
  const size_t start = out.size();
  out.resize(start + size_);
  size_t done = 0;
  while (done < size_) {
    const ssize_t n = ::pread(fd_, out.data() + start + done, size_ - done,
                              static_cast<off_t>(file_offset_ + static_cast<int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "reading records");
    if (n == 0) break;  // the file shrank under us
    done += static_cast<size_t>(n);
  }
  out.resize(start + done);
  return done;
}

Records Records::in_memory() const {
  if (fd_ < 0) return *this;
  auto store = std::make_shared<std::vector<uint8_t>>();
  store->reserve(size_);
  append_to(*store);
  std::span<const uint8_t> view(store->data(), store->size());
  return Records(view, std::move(store));
}

void Reader::fail_short(size_t n) const {
  throw DecodeError("need " + std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                    " remain");
}

double Reader::read_float64() {
  uint64_t bits = read_be<uint64_t>();
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

Uuid Reader::read_uuid() {
  need(16);
  Uuid u;
  std::memcpy(u.bytes.data(), p_, 16);
  p_ += 16;
  return u;
}

uint64_t Reader::read_uvarlong() {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    need(1);
    uint8_t b = *p_++;
    if (shift == 63 && (b & 0x7e)) throw DecodeError("varlong overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw DecodeError("varlong longer than 10 bytes");
}

uint32_t Reader::read_uvarint() {
  uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    need(1);
    uint8_t b = *p_++;
    if (shift == 28 && (b & 0xf0)) throw DecodeError("varint overflows 32 bits");
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw DecodeError("varint longer than 5 bytes");
}

int32_t Reader::read_varint() {
  uint32_t u = read_uvarint();
  return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

int64_t Reader::read_varlong() {
  uint64_t u = read_uvarlong();
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

int64_t Reader::read_length(bool compact, bool int32_length) {
  int64_t len;
  if (compact) {
    len = static_cast<int64_t>(read_uvarint()) - 1;
  } else if (int32_length) {
    len = read_int32();
  } else {
    len = read_int16();
  }
  if (len < -1) throw DecodeError("negative length " + std::to_string(len));
  if (len > 0 && static_cast<uint64_t>(len) > remaining())
    throw DecodeError("length " + std::to_string(len) + " exceeds the " +
                      std::to_string(remaining()) + " bytes that remain");
  return len;
}

std::span<const uint8_t> Reader::read_span(size_t n) {
  need(n);
  std::span<const uint8_t> s(p_, n);
  p_ += n;
  return s;
}

std::optional<std::string> Reader::read_nullable_string(bool compact) {
  int64_t len = read_length(compact, false);
  if (len < 0) return std::nullopt;
  auto s = read_span(static_cast<size_t>(len));
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

std::string Reader::read_string(bool compact) {
  auto s = read_nullable_string(compact);
  if (!s) throw DecodeError("null value for a non-nullable string");
  return std::move(*s);
}

std::optional<Bytes> Reader::read_nullable_bytes(bool compact) {
  int64_t len = read_length(compact, true);
  if (len < 0) return std::nullopt;
  auto s = read_span(static_cast<size_t>(len));
  return Bytes(s.begin(), s.end());
}

Bytes Reader::read_bytes(bool compact) {
  auto b = read_nullable_bytes(compact);
  if (!b) throw DecodeError("null value for non-nullable bytes");
  return std::move(*b);
}

Records Reader::read_records(bool compact) {
  int64_t len = read_length(compact, true);
  if (len < 0) return Records();
  return Records(read_span(static_cast<size_t>(len)));
}

int32_t Reader::read_array_length(bool compact, size_t min_elem_size) {
  int64_t n = compact ? static_cast<int64_t>(read_uvarint()) - 1 : read_int32();
  if (n < -1) throw DecodeError("negative array length " + std::to_string(n));
  if (n > INT32_MAX) throw DecodeError("array length " + std::to_string(n) + " too large");
  if (n > 0 && static_cast<uint64_t>(n) * min_elem_size > remaining())
    throw DecodeError("array of " + std::to_string(n) + " elements cannot fit in the " +
                      std::to_string(remaining()) + " bytes that remain");
  return static_cast<int32_t>(n);
}

void Writer::patch_int32(size_t pos, int32_t v) {
  auto u = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) buf_[pos + i] = static_cast<uint8_t>(u >> (24 - 8 * i));
}

std::vector<uint8_t> Writer::flatten() const {
  std::vector<uint8_t> out;
  out.reserve(size());
  size_t at = 0;
  for (const auto& s : splices_) {
    out.insert(out.end(), buf_.begin() + static_cast<ptrdiff_t>(at),
               buf_.begin() + static_cast<ptrdiff_t>(s.position));
    s.records.append_to(out);
    at = s.position;
  }
  out.insert(out.end(), buf_.begin() + static_cast<ptrdiff_t>(at), buf_.end());
  return out;
}

}  // namespace fjord::proto

#include "codec/frame.h"

namespace fjord::proto {

RequestHeader decode_request_header(Reader& r, int16_t* header_version) {
  if (r.remaining() < 4) throw DecodeError("request header shorter than 4 bytes");
  const uint8_t* p = r.position();
  const auto key = static_cast<int16_t>((p[0] << 8) | p[1]);
  const auto version = static_cast<int16_t>((p[2] << 8) | p[3]);
  const int16_t hv = request_header_version(key, version);
  if (header_version) *header_version = hv;
  RequestHeader h;
  try {
    h.decode(r, hv);
  } catch (DecodeError& e) {
    e.set_message("RequestHeader", hv);
    throw;
  }
  return h;
}

}  // namespace fjord::proto
