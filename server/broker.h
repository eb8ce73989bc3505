// The broker: owns the event loop, the listeners, the connections and the partition state.
//
// Threading: one io_context run by one thread. Every handler, the partition logs and (later)
// the group and transaction coordinators run on it, so no state needs locks. Disk writes go
// to the page cache (fsync only when log.flush.* asks for it), which keeps that loop fast.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/config.h"

namespace fjord {

namespace coordinator {
class GroupCoordinator;
class TransactionCoordinator;
}  // namespace coordinator

class Connection;
class FetchSessionCache;
class OffsetsStore;
class ProducerIdManager;
class TopicManager;

// A listener as clients should reach it (advertised host and the port actually bound).
struct Endpoint {
  std::string listener_name;
  std::string host;
  int32_t port;
};

class Broker {
 public:
  explicit Broker(config::BrokerConfig config);
  ~Broker();

  // Opens the data directory and the listeners. Throws std::runtime_error with a message
  // fit for the operator on failure.
  void start();
  // Runs the event loop until stop() (SIGTERM/SIGINT call it).
  void run();
  // Closes listeners and connections, flushes logs and writes checkpoints; then run() returns.
  void stop();

  asio::io_context& io() { return io_; }
  const config::BrokerConfig& config() const { return config_; }
  int32_t node_id() const { return config_.node_id; }
  const std::string& cluster_id() const { return cluster_id_; }
  const std::vector<Endpoint>& endpoints() const { return endpoints_; }
  // The endpoint advertised on the listener a connection arrived on.
  const Endpoint& endpoint_for(const std::string& listener_name) const;
  TopicManager& topics() { return *topics_; }
  FetchSessionCache& fetch_sessions() { return *fetch_sessions_; }
  coordinator::GroupCoordinator& groups() { return *groups_; }
  ProducerIdManager& producer_ids() { return *producer_ids_; }
  coordinator::TransactionCoordinator& transactions() { return *transactions_; }

 private:
  asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, std::string listener);
  asio::awaitable<void> housekeeping();
  void remove_expired_producers();  // producer.id.expiration.ms
  void start_group_coordinator();

  config::BrokerConfig config_;
  asio::io_context io_{1};
  asio::signal_set signals_{io_, SIGINT, SIGTERM};
  std::string cluster_id_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<Endpoint> endpoints_;
  std::map<uint64_t, std::weak_ptr<Connection>> connections_;
  uint64_t next_connection_id_ = 1;
  std::unique_ptr<TopicManager> topics_;
  std::unique_ptr<FetchSessionCache> fetch_sessions_;
  std::unique_ptr<OffsetsStore> offsets_store_;
  std::unique_ptr<coordinator::GroupCoordinator> groups_;  // uses offsets_store_ and topics_
  std::unique_ptr<ProducerIdManager> producer_ids_;        // <log.dir>/fjord-producer-ids
  std::unique_ptr<OffsetsStore> txn_state_store_;          // __transaction_state
  std::unique_ptr<coordinator::TransactionCoordinator> transactions_;
  asio::steady_timer housekeeping_timer_{io_};
  bool stopping_ = false;
};

}  // namespace fjord
