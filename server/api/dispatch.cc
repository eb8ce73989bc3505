#include "server/api/dispatch.h"

#include "codec/frame.h"
#include "server/api/handlers.h"

namespace fjord::api {

namespace {

template <class H>
asio::awaitable<void> run(RequestContext& ctx, proto::Reader& r, proto::Writer& w) {
  auto request = proto::decode_body<typename H::Request>(r, ctx.api_version);
  std::optional<typename H::Response> response = co_await H::handle(ctx, request);
  if (response)
    proto::encode_response_frame(w, ctx.header.correlation_id, ctx.api_version, *response);
}

template <class... H>
std::array<ServedApi, kMaxApiKey + 1> build(ApiList<H...>) {
  std::array<ServedApi, kMaxApiKey + 1> table{};
  ((table[H::kKey] = ServedApi{H::kMinVersion, H::kMaxVersion, &run<H>}), ...);
  return table;
}

}  // namespace

const std::array<ServedApi, kMaxApiKey + 1>& served_apis() {
  static const auto table = build(AllApis{});
  return table;
}

}  // namespace fjord::api
