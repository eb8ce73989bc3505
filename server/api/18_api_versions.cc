// ApiVersions (key 18), v0-4: the APIs and versions this broker serves, built from the
// handler declarations in handlers.h.
//
// An ApiVersions request of a version we do not know never reaches this handler: the
// connection answers it with a v0 body carrying UNSUPPORTED_VERSION (net/connection.cc).
// v3+ client software name/version are accepted without validation (lenient, like Kafka
// before KIP-511 enforcement; librdkafka retries with v0 on INVALID_REQUEST anyway).
// Deliberate gap: no SupportedFeatures/FinalizedFeatures yet, which keeps Kafka 4 clients on
// the classic group and transaction protocols.
#include "codec/error_codes.h"
#include "server/api/dispatch.h"
#include "server/api/handlers.h"

namespace fjord::api {

std::vector<proto::ApiVersionsResponse::ApiVersion> advertised_versions() {
  std::vector<proto::ApiVersionsResponse::ApiVersion> out;
  for (int16_t key = 0; key <= kMaxApiKey; ++key) {
    const ServedApi& s = served_apis()[key];
    if (!s.run) continue;
    auto& v = out.emplace_back();
    v.api_key = key;
    v.min_version = s.min_version;
    v.max_version = s.max_version;
  }
  return out;
}

asio::awaitable<std::optional<ApiVersionsApi::Response>> ApiVersionsApi::handle(RequestContext&,
                                                                                Request&) {
  Response resp;
  resp.error_code = proto::code(proto::ErrorCode::NONE);
  resp.api_keys = advertised_versions();
  co_return resp;
}

}  // namespace fjord::api
