#include "server/broker.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <filesystem>
#include <stdexcept>

#include "coordinator/group_coordinator.h"
#include "coordinator/transaction_coordinator.h"
#include "log/log.h"
#include "server/cluster/fetch_sessions.h"
#include "server/cluster/offsets_store.h"
#include "server/cluster/producer_ids.h"
#include "server/cluster/topics.h"
#include "server/cluster/txn_markers.h"
#include "server/net/connection.h"
#include "server/util/logging.h"

namespace fjord {

namespace {
constexpr std::string_view kComponent = "broker";
}

Broker::Broker(config::BrokerConfig config)
    : config_(std::move(config)),
      fetch_sessions_(
          std::make_unique<FetchSessionCache>(config_.max_incremental_fetch_session_cache_slots)) {}

Broker::~Broker() = default;

const Endpoint& Broker::endpoint_for(const std::string& listener_name) const {
  for (const auto& e : endpoints_)
    if (e.listener_name == listener_name) return e;
  return endpoints_.front();
}

void Broker::start() {
  auto meta = config::ensure_meta_properties(config_);
  if (!meta.meta) throw std::runtime_error(meta.error);
  cluster_id_ = meta.meta->cluster_id;
  producer_ids_ = std::make_unique<ProducerIdManager>(std::filesystem::path(config_.log_dir) /
                                                      "fjord-producer-ids");
  producer_ids_->load();

  topics_ = std::make_unique<TopicManager>(*this);
  topics_->load();
  start_group_coordinator();
  // The transaction coordinator (after the groups: its markers complete pending offsets).
  txn_state_store_ = std::make_unique<OffsetsStore>(
      *this,
      InternalTopicSpec{kTransactionStateTopic, config_.transaction_state_log_replication_factor,
                        config_.transaction_state_log_segment_bytes, "txn-coordinator"});
  transactions_ = make_transaction_coordinator(*this, *txn_state_store_);
  transactions_->start();

  for (const auto& l : config_.listeners) {
    asio::ip::tcp::endpoint ep;
    asio::error_code ec;
    if (l.host.empty()) {
      ep = asio::ip::tcp::endpoint(asio::ip::tcp::v6(), static_cast<uint16_t>(l.port));
    } else {
      asio::ip::tcp::resolver resolver(io_);
      auto results = resolver.resolve(l.host, std::to_string(l.port), ec);
      if (ec || results.empty())
        throw std::runtime_error("cannot resolve listener host '" + l.host + "': " + ec.message());
      ep = results.begin()->endpoint();
    }
    auto acc = std::make_unique<asio::ip::tcp::acceptor>(io_);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && l.host.empty()) acc->set_option(asio::ip::v6_only(false), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(config_.socket_listen_backlog_size, ec);
    if (ec) throw std::runtime_error("cannot listen on " + l.to_string() + ": " + ec.message());
    const int32_t bound_port = acc->local_endpoint().port();

    // What clients are told: the advertised listener of the same name, else this one.
    Endpoint adv{l.name, l.host.empty() ? "localhost" : l.host, bound_port};
    for (const auto& a : config_.advertised_listeners) {
      if (a.name == l.name) {
        adv.host = a.host.empty() ? adv.host : a.host;
        adv.port = a.port == 0 ? bound_port : a.port;
      }
    }
    endpoints_.push_back(adv);
    FJORD_LOG_INFO(kComponent, "Listening on ", l.name, "://", l.host, ":", bound_port,
                   " (advertised as ", adv.host, ":", adv.port, ")");
    asio::co_spawn(io_, accept_loop(*acc, l.name), asio::detached);
    acceptors_.push_back(std::move(acc));
  }

  signals_.async_wait([this](const asio::error_code& ec, int sig) {
    if (ec) return;
    FJORD_LOG_INFO(kComponent, "Received signal ", sig, ", shutting down");
    stop();
  });
  asio::co_spawn(io_, housekeeping(), asio::detached);
  FJORD_LOG_INFO(kComponent, "Fjord broker ", config_.node_id, " started (cluster ", cluster_id_,
                 ", data in ", config_.log_dir, ")");
}

void Broker::run() { io_.run(); }

void Broker::stop() {
  if (stopping_) return;
  stopping_ = true;
  asio::error_code ec;
  signals_.cancel(ec);
  housekeeping_timer_.cancel();
  for (auto& a : acceptors_) a->close(ec);
  for (auto& [id, weak] : connections_)
    if (auto c = weak.lock()) c->close();
  connections_.clear();
  if (transactions_) transactions_->shutdown();
  if (groups_) groups_->shutdown();  // before the logs close: it writes to __consumer_offsets
  if (topics_) topics_->shutdown();
  FJORD_LOG_INFO(kComponent, "Shut down cleanly");
  io_.stop();
}

void Broker::start_group_coordinator() {
  coordinator::CoordinatorConfig cc;
  cc.min_session_timeout_ms = config_.group_min_session_timeout_ms;
  cc.max_session_timeout_ms = config_.group_max_session_timeout_ms;
  cc.initial_rebalance_delay_ms = config_.group_initial_rebalance_delay_ms;
  cc.max_group_size = config_.group_max_size;
  cc.consumer_session_timeout_ms = config_.group_consumer_session_timeout_ms;
  cc.consumer_heartbeat_interval_ms = config_.group_consumer_heartbeat_interval_ms;
  cc.consumer_max_size = config_.group_consumer_max_size;
  cc.offsets_topic_partitions = config_.offsets_topic_num_partitions;
  cc.offsets_retention_ms = config_.offsets_retention_ms();
  cc.retention_check_interval_ms = config_.offsets_retention_check_interval_ms;
  cc.offset_metadata_max_bytes = config_.offset_metadata_max_bytes;
  cc.load_buffer_size = config_.offsets_load_buffer_size;
  coordinator::CoordinatorHooks hooks;
  hooks.log = [](coordinator::LogSeverity s, const std::string& m) {
    if (s == coordinator::LogSeverity::kWarn) {
      FJORD_LOG_WARN("group-coordinator", m);
    } else {
      FJORD_LOG_INFO("group-coordinator", m);
    }
  };
  offsets_store_ = std::make_unique<OffsetsStore>(*this);
  groups_ = std::make_unique<coordinator::GroupCoordinator>(io_.get_executor(), *offsets_store_, cc,
                                                            std::move(hooks));
  groups_->start();
}

asio::awaitable<void> Broker::accept_loop(asio::ip::tcp::acceptor& acceptor, std::string listener) {
  while (!stopping_) {
    asio::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      FJORD_LOG_WARN(kComponent, "accept failed: ", ec.message());
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    if (config_.socket_send_buffer_bytes > 0)
      socket.set_option(asio::socket_base::send_buffer_size(config_.socket_send_buffer_bytes), ec);
    if (config_.socket_receive_buffer_bytes > 0)
      socket.set_option(asio::socket_base::receive_buffer_size(config_.socket_receive_buffer_bytes),
                        ec);
    ConnectionInfo info;
    info.id = next_connection_id_++;
    auto remote = socket.remote_endpoint(ec);
    info.peer = ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
    info.listener_name = listener;
    auto conn = std::make_shared<Connection>(*this, std::move(socket), std::move(info));
    const uint64_t id = conn->info().id;
    connections_[id] = conn;
    asio::co_spawn(io_, conn->run(), [this, id](std::exception_ptr) { connections_.erase(id); });
  }
}

asio::awaitable<void> Broker::housekeeping() {
  // Periodic work on the event loop, like everything. Retention every
  // log.retention.check.interval.ms, the first pass after min(30 s, that interval) (Kafka waits
  // log.initial.task.delay.ms = 30 s); flushes and checkpoints every
  // min(60 s, log.flush.scheduler.interval.ms); idle producer ids are forgotten every
  // producer.id.expiration.check.interval.ms (Kafka's ProducerExpiration task).
  using std::chrono::milliseconds;
  constexpr int64_t kMaxInterval = int64_t{365} * 24 * 3600 * 1000;  // keeps time_points finite
  const milliseconds retention_every(
      std::min<int64_t>(config_.log_retention_check_interval_ms, kMaxInterval));
  const milliseconds flush_every(
      std::clamp<int64_t>(config_.log_flush_scheduler_interval_ms, 1, 60000));
  const milliseconds producer_expiry_every(
      std::max<int64_t>(config_.producer_id_expiration_check_interval_ms, 1));
  auto now = std::chrono::steady_clock::now();
  auto next_retention = now + std::min(retention_every, milliseconds(30000));
  auto next_flush = now + flush_every;
  auto next_producer_expiry = now + producer_expiry_every;
  while (!stopping_) {
    housekeeping_timer_.expires_at(std::min({next_retention, next_flush, next_producer_expiry}));
    asio::error_code ec;
    co_await housekeeping_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    now = std::chrono::steady_clock::now();
    if (now >= next_retention) {
      topics_->run_retention();
      next_retention = now + retention_every;
    }
    if (now >= next_flush) {
      topics_->housekeeping();
      next_flush = now + flush_every;
    }
    if (now >= next_producer_expiry) {
      remove_expired_producers();
      next_producer_expiry = now + producer_expiry_every;
    }
  }
}

void Broker::remove_expired_producers() {
  // producer.id.expiration.ms: producers without an open transaction whose last write is that
  // old leave every partition's producer state (and so DescribeProducers and the snapshots).
  size_t removed = 0;
  for (const auto& [name, topic] : topics_->all()) {
    for (const auto& partition : topic->partitions) {
      if (!partition || partition->log().is_offline()) continue;
      removed += partition->log().remove_expired_producers(config_.producer_id_expiration_ms);
    }
  }
  if (removed > 0) FJORD_LOG_INFO(kComponent, "Removed ", removed, " expired producer id entries");
}

}  // namespace fjord
