#include "server/net/connection.h"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string_view>
#include <system_error>

#include "codec/error_codes.h"
#include "codec/frame.h"
#include "server/api/dispatch.h"
#include "server/broker.h"
#include "server/util/logging.h"

namespace fjord {

namespace {
constexpr std::string_view kComponent = "network";
// Records of this size or more are sent from where they are instead of being copied into
// the response buffer.
constexpr size_t kSpliceThreshold = 16 * 1024;
// At most this much per sendfile(2) call, so one large response does not hold the event
// loop for long.
constexpr size_t kMaxSendfile = 4 * 1024 * 1024;
// SO_RCVLOWAT while a request body is read (see Connection::read_body): only for bodies with
// at least kRcvLowatMin bytes still missing, and at most kRcvLowatMax (the kernel grows the
// receive buffer to twice the mark, so the sender is never held up by the window).
constexpr size_t kRcvLowatMin = 64 * 1024;
constexpr size_t kRcvLowatMax = 256 * 1024;

// FJORD_ZERO_COPY=0 in the environment turns sendfile off (for comparisons); the records
// are then read into memory and written like any other bytes.
bool zero_copy_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("FJORD_ZERO_COPY");
    return v == nullptr || std::string_view(v) != "0";
  }();
  return enabled;
}

// sendfile(2) has no MSG_NOSIGNAL: writing to a socket the peer has reset raises SIGPIPE,
// whose default action ends the process. With SIGPIPE ignored the call fails with EPIPE and
// only that connection closes (asio's own writes already use MSG_NOSIGNAL).
void ignore_sigpipe() {
  static const bool done = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)done;
}

[[noreturn]] void throw_file_shrank() {
  // The frame's length is already promised (and partly sent): the connection cannot go on.
  throw std::system_error(std::make_error_code(std::errc::io_error),
                          "segment file shorter than the records to send");
}

}  // namespace

Connection::Connection(Broker& broker, asio::ip::tcp::socket socket, ConnectionInfo info)
    : broker_(broker),
      socket_(std::move(socket)),
      info_(std::move(info)),
      idle_timer_(socket_.get_executor()),
      last_active_(std::chrono::steady_clock::now()) {
  if (!zero_copy_enabled()) info_.zero_copy_ok = false;
  if (info_.zero_copy_ok) ignore_sigpipe();
}

Connection::~Connection() = default;

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  idle_timer_.cancel();
}

asio::awaitable<void> Connection::idle_watchdog() {
  auto self = shared_from_this();
  const int64_t idle_ms = broker_.config().connections_max_idle_ms;
  if (idle_ms < 0) co_return;
  const auto idle = std::chrono::milliseconds(idle_ms);
  while (!closed_) {
    idle_timer_.expires_at(last_active_ + idle);
    asio::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) break;
    if (std::chrono::steady_clock::now() - last_active_ >= idle) {
      FJORD_LOG_INFO(kComponent, "Closing idle connection ", info_.peer, " after ", idle_ms, " ms");
      close();
    }
  }
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), idle_watchdog(), asio::detached);
  const auto max_request = static_cast<size_t>(broker_.config().socket_request_max_bytes);
  std::vector<uint8_t> frame;
  try {
    while (!closed_) {
      uint8_t size_bytes[4];
      co_await asio::async_read(socket_, asio::buffer(size_bytes), asio::use_awaitable);
      const int32_t size =
          static_cast<int32_t>((uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                               (uint32_t{size_bytes[2]} << 8) | size_bytes[3]);
      if (size < 0 || static_cast<size_t>(size) > max_request) {
        FJORD_LOG_WARN(kComponent, "Closing connection ", info_.peer, ": request size ", size,
                       " is larger than socket.request.max.bytes (", max_request, ")");
        break;
      }
      frame.resize(static_cast<size_t>(size));
      co_await read_body(frame);
      last_active_ = std::chrono::steady_clock::now();
      if (!co_await handle_frame(frame)) break;
      last_active_ = std::chrono::steady_clock::now();
    }
  } catch (const std::system_error& e) {
    if (e.code() != asio::error::eof && e.code() != asio::error::operation_aborted &&
        e.code() != asio::error::connection_reset && !closed_) {
      FJORD_LOG_DEBUG(kComponent, "Connection ", info_.peer, ": ", e.what());
    }
  }
  close();
}

void Connection::set_rcvlowat(size_t bytes) {
  if (bytes == rcvlowat_) return;
  const int v = static_cast<int>(bytes);
  // Best effort: if the option cannot be set, reads just wake more often.
  if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v) == 0)
    rcvlowat_ = bytes;
}

asio::awaitable<void> Connection::read_body(std::vector<uint8_t>& frame) {
  // A large request (a Produce of a few MB) arrives over many TCP segments. Read as it comes,
  // but with SO_RCVLOWAT the socket only reports readable once a good part of what is still
  // missing has arrived, instead of on every segment: far fewer wake-ups and recv calls per
  // request. The low-water mark never exceeds what is missing, so the read cannot stall,
  // and it is back to 1 before the next request's size prefix is read.
  size_t got = 0;
  const size_t n = frame.size();
  while (got < n) {
    const size_t missing = n - got;
    const size_t want = missing >= kRcvLowatMin ? std::min(missing, kRcvLowatMax) : 1;
    // Lower the mark when it would exceed what is missing; raise it only when worth a call.
    if (rcvlowat_ > missing || want >= 2 * rcvlowat_) set_rcvlowat(want);
    got += co_await socket_.async_read_some(asio::buffer(frame.data() + got, missing),
                                            asio::use_awaitable);
  }
  set_rcvlowat(1);
}

asio::awaitable<bool> Connection::handle_frame(std::span<const uint8_t> frame) {
  proto::Reader r(frame);
  proto::RequestHeader header;
  try {
    header = proto::decode_request_header(r);
  } catch (const proto::DecodeError& e) {
    FJORD_LOG_WARN(kComponent, "Closing connection ", info_.peer,
                   ": malformed request header: ", e.what());
    co_return false;
  }
  const int16_t key = header.request_api_key;
  const int16_t version = header.request_api_version;
  const api::ServedApi* api = api::find_served(key);
  proto::Writer out(kSpliceThreshold);

  if (api == nullptr || version < api->min_version || version > api->max_version) {
    if (key == proto::ApiVersionsRequest::kApiKey) {
      // Unknown ApiVersions version: a v0 body with UNSUPPORTED_VERSION and our own range,
      // so the client can retry with a version we know. The connection stays open.
      proto::ApiVersionsResponse resp;
      resp.error_code = proto::code(proto::ErrorCode::UNSUPPORTED_VERSION);
      auto& row = resp.api_keys.emplace_back();
      row.api_key = key;
      row.min_version = api ? api->min_version : 0;
      row.max_version = api ? api->max_version : 0;
      proto::encode_response_frame(out, header.correlation_id, 0, resp);
      co_await send(out);
      co_return true;
    }
    // Kafka cannot build a response body for an API or version it does not serve, so it
    // closes the connection; clients such as kafka-python rely on that.
    FJORD_LOG_WARN(kComponent, "Closing connection ", info_.peer, ": unsupported API key ", key,
                   " version ", version, " (client ", header.client_id.value_or(""), ")");
    co_return false;
  }

  RequestContext ctx{broker_, info_, header, version};
  try {
    co_await api->run(ctx, r, out);
  } catch (const proto::DecodeError& e) {
    FJORD_LOG_WARN(kComponent, "Closing connection ", info_.peer,
                   ": malformed request: ", e.what());
    co_return false;
  }
  if (out.size() > 0) co_await send(out);
  co_return true;
}

asio::awaitable<void> Connection::send(const proto::Writer& w) {
  if (w.splices().empty()) {
    co_await asio::async_write(socket_, asio::buffer(w.buffer()), asio::use_awaitable);
    co_return;
  }
  // Memory parts are gathered into one write; a file region in between flushes what was
  // gathered and goes out with sendfile(2), or, where zero copy is off, is read into memory.
  std::vector<asio::const_buffer> parts;
  std::vector<proto::Records> loaded;  // keeps regions read into memory alive until written
  loaded.reserve(w.splices().size());
  const auto& buf = w.buffer();
  const bool zero_copy = info_.zero_copy_ok;
  size_t at = 0;
  for (const auto& s : w.splices()) {
    if (s.position > at) parts.emplace_back(buf.data() + at, s.position - at);
    at = s.position;
    if (!s.records.is_file()) {
      parts.emplace_back(s.records.bytes().data(), s.records.size());
    } else if (zero_copy) {
      if (!parts.empty()) co_await asio::async_write(socket_, parts, asio::use_awaitable);
      parts.clear();
      co_await send_file(s.records.file_fd(), s.records.file_offset(), s.records.size());
    } else {
      const proto::Records& mem = loaded.emplace_back(s.records.in_memory());
      if (mem.size() != s.records.size()) throw_file_shrank();
      parts.emplace_back(mem.bytes().data(), mem.size());
    }
  }
  if (at < buf.size()) parts.emplace_back(buf.data() + at, buf.size() - at);
  if (!parts.empty()) co_await asio::async_write(socket_, parts, asio::use_awaitable);
}

asio::awaitable<void> Connection::send_file(int fd, int64_t offset, size_t length) {
  // The socket is non-blocking: sendfile sends what fits in the socket buffer and we wait
  // for room for the rest.
  if (!socket_.native_non_blocking()) socket_.native_non_blocking(true);
  off_t pos = static_cast<off_t>(offset);
  size_t left = length;
  while (left > 0) {
    const ssize_t n = ::sendfile(socket_.native_handle(), fd, &pos, std::min(left, kMaxSendfile));
    if (n > 0) {
      left -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) throw_file_shrank();
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      throw std::system_error(errno, std::generic_category(), "sendfile");
    co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, asio::use_awaitable);
  }
}

}  // namespace fjord
