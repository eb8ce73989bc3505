#include "server/cluster/txn_markers.h"

#include <chrono>
#include <vector>

#include "coordinator/group_coordinator.h"
#include "coordinator/transaction_coordinator.h"
#include "server/broker.h"
#include "server/cluster/offsets_store.h"
#include "server/cluster/partition.h"
#include "server/cluster/producer_ids.h"
#include "server/cluster/topics.h"
#include "server/util/logging.h"

namespace fjord {

namespace {

int64_t wall_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

proto::ErrorCode write_txn_marker(Broker& broker, const std::string& topic, int32_t partition,
                                  int64_t producer_id, int16_t producer_epoch, bool commit,
                                  int32_t coordinator_epoch) {
  Partition* p = broker.topics().partition(topic, partition);
  if (!p) return proto::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
  // Pending offsets must be loaded before a marker can apply them (retried later).
  if (topic == kOffsetsTopic && !broker.groups().fully_loaded())
    return proto::ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
  // The log side (producer state, LSO, .txnindex) is Partition's.
  const AppendResult r =
      p->append_txn_marker(producer_id, producer_epoch, commit, coordinator_epoch, wall_now_ms());
  if (r.error != proto::ErrorCode::NONE) return r.error;
  if (topic == kOffsetsTopic) broker.groups().complete_transaction(partition, producer_id, commit);
  return proto::ErrorCode::NONE;
}

std::unique_ptr<coordinator::TransactionCoordinator> make_transaction_coordinator(
    Broker& broker, OffsetsStore& store) {
  const auto& bc = broker.config();
  coordinator::TxnCoordinatorConfig cc;
  cc.state_partitions = bc.transaction_state_log_num_partitions;
  cc.max_timeout_ms = bc.transaction_max_timeout_ms;
  cc.id_expiration_ms = bc.transactional_id_expiration_ms;
  cc.abort_interval_ms = bc.transaction_abort_timed_out_transaction_cleanup_interval_ms;
  cc.remove_expired_interval_ms = bc.transaction_remove_expired_transaction_cleanup_interval_ms;
  cc.load_buffer_size = bc.transaction_state_log_load_buffer_size;
  coordinator::TxnHooks hooks;
  hooks.new_producer_id = [&broker] { return broker.producer_ids().next(); };
  hooks.write_marker = [&broker](const coordinator::TopicPartition& tp, int64_t pid, int16_t epoch,
                                 bool commit, int32_t coordinator_epoch) {
    return write_txn_marker(broker, tp.topic, tp.partition, pid, epoch, commit, coordinator_epoch);
  };
  hooks.log = [](coordinator::TxnLogSeverity s, const std::string& m) {
    if (s == coordinator::TxnLogSeverity::kWarn) {
      FJORD_LOG_WARN("txn-coordinator", m);
    } else {
      FJORD_LOG_INFO("txn-coordinator", m);
    }
  };
  return std::make_unique<coordinator::TransactionCoordinator>(broker.io().get_executor(), store,
                                                               cc, std::move(hooks));
}

}  // namespace fjord
