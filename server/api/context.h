// What a handler knows about the request it serves.
#pragma once

#include <cstdint>
#include <string>

#include "codec/messages.h"

namespace fjord {

class Broker;

// Per-connection facts. Security seams: `principal` is "User:ANONYMOUS" on PLAINTEXT
// listeners until SASL/TLS authentication fills it in; ACL and quota checks will read it.
struct ConnectionInfo {
  uint64_t id = 0;
  std::string peer;           // "127.0.0.1:53422"
  std::string listener_name;  // "PLAINTEXT"
  std::string principal = "User:ANONYMOUS";
  bool zero_copy_ok = true;  // plaintext sockets may splice file data (sendfile)
};

struct RequestContext {
  Broker& broker;
  ConnectionInfo& connection;
  const proto::RequestHeader& header;
  int16_t api_version;

  std::string_view client_id() const {
    return header.client_id ? std::string_view(*header.client_id) : std::string_view();
  }
};

}  // namespace fjord
