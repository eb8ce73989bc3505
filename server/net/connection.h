// One client connection: reads size-prefixed request frames, runs each through its handler
// and writes the responses back strictly in request order.
//
// Like Kafka, a connection handles one request at a time (Kafka mutes the channel while a
// request is in flight), which gives in-order responses for free; clients that pipeline
// simply find the next request waiting in the socket buffer. A long-polling Fetch therefore
// holds back later requests on the same connection, exactly as in Kafka.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "server/api/context.h"

namespace fjord {

class Broker;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Broker& broker, asio::ip::tcp::socket socket, ConnectionInfo info);
  ~Connection();

  // Serves the connection until the peer closes it, an error occurs, or close() is called.
  asio::awaitable<void> run();
  void close();
  const ConnectionInfo& info() const { return info_; }

 private:
  asio::awaitable<void> idle_watchdog();
  // Handles one request frame; false means close the connection.
  asio::awaitable<bool> handle_frame(std::span<const uint8_t> frame);
  // Reads exactly frame.size() bytes of a request body (SO_RCVLOWAT-paced, see the .cc).
  asio::awaitable<void> read_body(std::vector<uint8_t>& frame);
  void set_rcvlowat(size_t bytes);
  asio::awaitable<void> send(const class proto::Writer& w);
  // Sends `length` bytes at `offset` of file `fd` with sendfile(2).
  asio::awaitable<void> send_file(int fd, int64_t offset, size_t length);

  Broker& broker_;
  asio::ip::tcp::socket socket_;
  ConnectionInfo info_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_active_;
  bool closed_ = false;
  size_t rcvlowat_ = 1;  // the socket's SO_RCVLOWAT (Linux default 1)
};

}  // namespace fjord
