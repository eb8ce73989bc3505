// Routes a decoded request header to the handler of its API and encodes the response frame.
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <cstdint>
#include <span>

#include "codec/reader.h"
#include "codec/writer.h"
#include "server/api/context.h"

namespace fjord::api {

struct ServedApi {
  int16_t min_version = -1;  // -1: not served
  int16_t max_version = -1;
  // Decodes the body from the reader, handles it and appends the response frame to the
  // writer (nothing when the request gets no response).
  asio::awaitable<void> (*run)(RequestContext&, proto::Reader&, proto::Writer&) = nullptr;
};

inline constexpr int16_t kMaxApiKey = 127;

// The served APIs indexed by key; built once from the handler list in handlers.h.
const std::array<ServedApi, kMaxApiKey + 1>& served_apis();

inline const ServedApi* find_served(int16_t key) {
  if (key < 0 || key > kMaxApiKey || served_apis()[key].run == nullptr) return nullptr;
  return &served_apis()[key];
}

}  // namespace fjord::api
