// Every API Fjord serves: one handler type per API, with the versions it serves declared
// next to it. The ApiVersions response is built from this list (api/dispatch.cc), so what
// we advertise is exactly what we implement. Each handler lives in api/NN_name.cc.
//
// A handler returns std::nullopt when the request gets no response (Produce with acks=0).
#pragma once

#include <asio/awaitable.hpp>
#include <optional>
#include <tuple>

#include "codec/messages.h"
#include "server/api/context.h"

namespace fjord::api {

template <class H>
using Result = asio::awaitable<std::optional<typename H::Response>>;

#define FJORD_API(Name, MinV, MaxV)                                                            \
  struct Name##Api {                                                                           \
    using Request = proto::Name##Request;                                                      \
    using Response = proto::Name##Response;                                                    \
    static constexpr int16_t kKey = Request::kApiKey;                                          \
    static constexpr int16_t kMinVersion = MinV;                                               \
    static constexpr int16_t kMaxVersion = MaxV;                                               \
    static_assert(kMinVersion >= Request::kMinVersion && kMaxVersion <= Request::kMaxVersion,  \
                  "a handler cannot serve versions the codec does not know");                  \
    static asio::awaitable<std::optional<Response>> handle(RequestContext& ctx, Request& req); \
  };

// clang-format off
FJORD_API(Produce,          0, 11)
FJORD_API(Fetch,            0, 17)
FJORD_API(ListOffsets,      0, 7)
FJORD_API(Metadata,         0, 12)
FJORD_API(ApiVersions,      0, 4)
FJORD_API(CreateTopics,     0, 7)
FJORD_API(DeleteTopics,     0, 6)
FJORD_API(DeleteRecords,    0, 2)
FJORD_API(OffsetForLeaderEpoch, 0, 4)
FJORD_API(DescribeConfigs,  0, 4)
FJORD_API(AlterConfigs,     0, 2)
FJORD_API(DescribeLogDirs,  0, 4)
FJORD_API(CreatePartitions, 0, 3)
FJORD_API(IncrementalAlterConfigs, 0, 1)
FJORD_API(DescribeCluster,  0, 1)
// groups and offsets (coordinator/)
FJORD_API(OffsetCommit,     0, 9)
FJORD_API(OffsetFetch,      0, 9)
FJORD_API(FindCoordinator,  0, 6)
FJORD_API(JoinGroup,        0, 9)
FJORD_API(Heartbeat,        0, 4)
FJORD_API(LeaveGroup,       0, 5)
FJORD_API(SyncGroup,        0, 5)
FJORD_API(DescribeGroups,   0, 5)
FJORD_API(ListGroups,       0, 5)
FJORD_API(DeleteGroups,     0, 2)
FJORD_API(OffsetDelete,     0, 0)
FJORD_API(ConsumerGroupHeartbeat, 0, 1)
FJORD_API(ConsumerGroupDescribe, 0, 0)
// transactions and idempotent producers (coordinator/transaction_coordinator.h)
FJORD_API(InitProducerId,   0, 5)
FJORD_API(AddPartitionsToTxn, 0, 5)
FJORD_API(AddOffsetsToTxn,  0, 4)
FJORD_API(EndTxn,           0, 4)
FJORD_API(TxnOffsetCommit,  0, 4)
FJORD_API(DescribeTransactions, 0, 0)
FJORD_API(ListTransactions, 0, 1)
FJORD_API(DescribeProducers, 0, 0)
// clang-format on

#undef FJORD_API

// Every served API. Adding a handler: declare it above, implement it in api/NN_name.cc and
// list it here; dispatch and ApiVersions follow from this list.
template <class... H>
struct ApiList {};
using AllApis =
    ApiList<ProduceApi, FetchApi, ListOffsetsApi, MetadataApi, ApiVersionsApi,
            // admin
            CreateTopicsApi, DeleteTopicsApi, DeleteRecordsApi, OffsetForLeaderEpochApi,
            DescribeConfigsApi, AlterConfigsApi, DescribeLogDirsApi, CreatePartitionsApi,
            IncrementalAlterConfigsApi, DescribeClusterApi,
            // groups and offsets
            OffsetCommitApi, OffsetFetchApi, FindCoordinatorApi, JoinGroupApi, HeartbeatApi,
            LeaveGroupApi, SyncGroupApi, DescribeGroupsApi, ListGroupsApi, DeleteGroupsApi,
            OffsetDeleteApi, ConsumerGroupHeartbeatApi, ConsumerGroupDescribeApi,
            // transactions
            InitProducerIdApi, AddPartitionsToTxnApi, AddOffsetsToTxnApi, EndTxnApi,
            TxnOffsetCommitApi, DescribeTransactionsApi, ListTransactionsApi, DescribeProducersApi>;

}  // namespace fjord::api
