#include "server/config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

namespace fjord::config {
namespace {

// ---------------------------------------------------------------------------
// Small string helpers
// ---------------------------------------------------------------------------

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return upper(a) == upper(b); }

// Kafka's list parsing: trim, "" -> [], else split on commas and trim each
// element (empty elements are kept so validators can reject them).
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  s = trim(s);
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string_view part =
        s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
    out.emplace_back(trim(part));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string join_views(const std::vector<std::string_view>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// Java's Double.toString for the values configs use: "0.5", "1.0", "1.0E-4".
std::string java_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  double a = std::fabs(d);
  if (a == 0 || (a >= 1e-3 && a < 1e7)) {
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, r.ptr);  // e.g. "1e-05", "1.5e+20"
  size_t e = s.find('e');
  std::string mant = s.substr(0, e);
  if (mant.find('.') == std::string::npos) mant += ".0";
  int exp = std::stoi(s.substr(e + 1));
  return mant + "E" + std::to_string(exp);
}

std::string plain_double(double d) {  // for range descriptions: "0", "0.5", "1"
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strict Java Integer/Long.parseLong: optional sign, decimal digits only.
enum class IntParse { kOk, kSyntax, kRange };
IntParse parse_int64(std::string_view s, int64_t* out) {
  if (s.empty()) return IntParse::kSyntax;
  bool plus = s.front() == '+';
  if (plus) s.remove_prefix(1);
  if (s.empty()) return IntParse::kSyntax;
  size_t digits_from = (s.front() == '-') ? 1 : 0;
  if (plus && digits_from) return IntParse::kSyntax;
  if (s.size() == digits_from) return IntParse::kSyntax;
  for (size_t i = digits_from; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return IntParse::kSyntax;
  }
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ec == std::errc::result_out_of_range) return IntParse::kRange;
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return IntParse::kSyntax;
  return IntParse::kOk;
}

// Java Double.parseDouble for ordinary inputs (sign, digits, '.', exponent,
// optional d/D/f/F suffix, Infinity). NaN is rejected by callers' ranges.
bool parse_double(std::string_view s, double* out) {
  if (s.empty()) return false;
  if (s.back() == 'd' || s.back() == 'D' || s.back() == 'f' || s.back() == 'F') s.remove_suffix(1);
  bool neg = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "Infinity") {
    *out = neg ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '.')) {
    return false;
  }
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out, std::chars_format::general);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  if (neg) *out = -*out;
  return true;
}

bool is_ipv4_literal(const std::string& host) {
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}
bool is_ipv6_literal(const std::string& host) {  // an optional %zone is allowed
  in6_addr a{};
  return inet_pton(AF_INET6, host.substr(0, host.find('%')).c_str(), &a) == 1;
}

}  // namespace

// ---------------------------------------------------------------------------
// Java .properties
// ---------------------------------------------------------------------------

namespace {

// Splits text into logical lines per Properties.load: physical lines end at
// \n, \r or \r\n; an odd number of trailing backslashes continues the line.
struct LogicalLine {
  std::string text;  // continuation backslashes removed, next lines' leading ws dropped
  size_t line_no;    // 1-based number of the first physical line
};

std::vector<LogicalLine> logical_lines(std::string_view text) {
  std::vector<std::string_view> physical;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    physical.push_back(text.substr(pos, end - pos));
    if (end < text.size() && text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') {
      pos = end + 2;
    } else {
      pos = end + 1;
    }
  }
  auto skip_ws = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\f')) {
      s.remove_prefix(1);
    }
    return s;
  };
  auto continues = [](std::string_view s) {
    size_t n = 0;
    while (n < s.size() && s[s.size() - 1 - n] == '\\') ++n;
    return n % 2 == 1;
  };
  std::vector<LogicalLine> out;
  for (size_t i = 0; i < physical.size(); ++i) {
    std::string_view line = skip_ws(physical[i]);
    if (line.empty()) continue;
    if (line.front() == '#' || line.front() == '!') continue;  // comments never continue
    LogicalLine ll{std::string(), i + 1};
    while (true) {
      if (continues(line)) {
        ll.text.append(line.substr(0, line.size() - 1));
        if (i + 1 >= physical.size()) break;
        line = skip_ws(physical[++i]);
      } else {
        ll.text.append(line);
        break;
      }
    }
    out.push_back(std::move(ll));
  }
  return out;
}

// Unescapes s into *out. Returns false on a malformed \uXXXX.
bool unescape(std::string_view s, std::string* out) {
  uint32_t pending_high = 0;  // a high surrogate waiting for its low half
  auto flush_pending = [&] {
    if (pending_high) append_utf8(*out, 0xFFFD);
    pending_high = 0;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\') {
      flush_pending();
      *out += c;
      continue;
    }
    if (++i >= s.size()) break;  // a lone trailing backslash is dropped, as in Java
    c = s[i];
    if (c == 'u') {
      if (s.size() - i - 1 < 4) return false;
      uint32_t cp = 0;
      for (int k = 1; k <= 4; ++k) {
        int h = hex_value(s[i + k]);
        if (h < 0) return false;
        cp = cp * 16 + static_cast<uint32_t>(h);
      }
      i += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        flush_pending();
        pending_high = cp;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        if (pending_high) {
          append_utf8(*out, 0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00));
          pending_high = 0;
        } else {
          append_utf8(*out, 0xFFFD);
        }
      } else {
        flush_pending();
        append_utf8(*out, cp);
      }
      continue;
    }
    flush_pending();
    switch (c) {
      case 't':
        *out += '\t';
        break;
      case 'n':
        *out += '\n';
        break;
      case 'r':
        *out += '\r';
        break;
      case 'f':
        *out += '\f';
        break;
      default:
        *out += c;
        break;
    }
  }
  flush_pending();
  return true;
}

}  // namespace

PropertiesParseResult parse_properties(std::string_view text, std::string_view origin) {
  PropertiesParseResult result;
  for (const LogicalLine& ll : logical_lines(text)) {
    std::string_view line = ll.text;
    // The key ends at the first unescaped '=', ':' or whitespace.
    size_t key_end = 0;
    bool has_sep = false;
    while (key_end < line.size()) {
      char c = line[key_end];
      if (c == '\\') {
        key_end += 2;
        continue;
      }
      if (c == '=' || c == ':') {
        has_sep = true;
        break;
      }
      if (c == ' ' || c == '\t' || c == '\f') break;
      ++key_end;
    }
    key_end = std::min(key_end, line.size());
    size_t value_start = key_end;
    if (has_sep) {
      ++value_start;
    } else {
      while (value_start < line.size() &&
             (line[value_start] == ' ' || line[value_start] == '\t' || line[value_start] == '\f')) {
        ++value_start;
      }
      if (value_start < line.size() && (line[value_start] == '=' || line[value_start] == ':')) {
        ++value_start;
      }
    }
    while (value_start < line.size() &&
           (line[value_start] == ' ' || line[value_start] == '\t' || line[value_start] == '\f')) {
      ++value_start;
    }
    Property p;
    p.origin = std::string(origin) + ":" + std::to_string(ll.line_no);
    if (!unescape(line.substr(0, key_end), &p.key) ||
        !unescape(line.substr(value_start), &p.value)) {
      result.errors.push_back(p.origin + ": malformed \\uXXXX escape (expected four hex digits)");
      continue;
    }
    result.properties.push_back(std::move(p));
  }
  return result;
}

std::optional<Property> parse_override(std::string_view arg, std::string* error) {
  size_t eq = arg.find('=');
  std::string_view key =
      eq == std::string_view::npos ? std::string_view() : trim(arg.substr(0, eq));
  if (eq == std::string_view::npos || key.empty()) {
    if (error) {
      *error = "Invalid --override '" + std::string(arg) + "': expected key=value";
    }
    return std::nullopt;
  }
  return Property{std::string(key), std::string(arg.substr(eq + 1)), "--override"};
}

// ---------------------------------------------------------------------------
// Enumerations
// ---------------------------------------------------------------------------

std::string_view to_string(ConfigType type) {
  switch (type) {
    case ConfigType::kUnknown:
      return "UNKNOWN";
    case ConfigType::kBoolean:
      return "BOOLEAN";
    case ConfigType::kString:
      return "STRING";
    case ConfigType::kInt:
      return "INT";
    case ConfigType::kShort:
      return "SHORT";
    case ConfigType::kLong:
      return "LONG";
    case ConfigType::kDouble:
      return "DOUBLE";
    case ConfigType::kList:
      return "LIST";
    case ConfigType::kClass:
      return "CLASS";
    case ConfigType::kPassword:
      return "PASSWORD";
  }
  return "UNKNOWN";
}

std::string_view to_string(ConfigSource source) {
  switch (source) {
    case ConfigSource::kUnknown:
      return "UNKNOWN";
    case ConfigSource::kDynamicTopicConfig:
      return "DYNAMIC_TOPIC_CONFIG";
    case ConfigSource::kDynamicBrokerConfig:
      return "DYNAMIC_BROKER_CONFIG";
    case ConfigSource::kDynamicDefaultBrokerConfig:
      return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case ConfigSource::kStaticBrokerConfig:
      return "STATIC_BROKER_CONFIG";
    case ConfigSource::kDefaultConfig:
      return "DEFAULT_CONFIG";
    case ConfigSource::kDynamicBrokerLoggerConfig:
      return "DYNAMIC_BROKER_LOGGER_CONFIG";
    case ConfigSource::kClientMetricsConfig:
      return "CLIENT_METRICS_CONFIG";
    case ConfigSource::kGroupConfig:
      return "GROUP_CONFIG";
  }
  return "UNKNOWN";
}

std::string_view to_string(SecurityProtocol protocol) {
  switch (protocol) {
    case SecurityProtocol::kPlaintext:
      return "PLAINTEXT";
    case SecurityProtocol::kSsl:
      return "SSL";
    case SecurityProtocol::kSaslPlaintext:
      return "SASL_PLAINTEXT";
    case SecurityProtocol::kSaslSsl:
      return "SASL_SSL";
  }
  return "PLAINTEXT";
}

std::string_view to_string(TimestampType type) {
  return type == TimestampType::kLogAppendTime ? "LogAppendTime" : "CreateTime";
}

std::string_view to_string(CompressionType type) {
  switch (type) {
    case CompressionType::kProducer:
      return "producer";
    case CompressionType::kUncompressed:
      return "uncompressed";
    case CompressionType::kGzip:
      return "gzip";
    case CompressionType::kSnappy:
      return "snappy";
    case CompressionType::kLz4:
      return "lz4";
    case CompressionType::kZstd:
      return "zstd";
  }
  return "producer";
}

std::string CleanupPolicy::to_string() const {
  if (compact && remove) return "compact,delete";
  if (compact) return "compact";
  if (remove) return "delete";
  return "";
}

namespace {

std::optional<SecurityProtocol> protocol_from_name(std::string_view name) {
  std::string u = upper(trim(name));
  if (u == "PLAINTEXT") return SecurityProtocol::kPlaintext;
  if (u == "SSL") return SecurityProtocol::kSsl;
  if (u == "SASL_PLAINTEXT") return SecurityProtocol::kSaslPlaintext;
  if (u == "SASL_SSL") return SecurityProtocol::kSaslSsl;
  return std::nullopt;
}

constexpr std::string_view kProtocolNames = "[PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL]";

}  // namespace

// ---------------------------------------------------------------------------
// Listeners
// ---------------------------------------------------------------------------

std::string Listener::to_string() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return name + "://" + h + ":" + std::to_string(port);
}

std::optional<SecurityProtocolMap> parse_security_protocol_map(std::string_view text,
                                                               std::string* reason) {
  SecurityProtocolMap map;
  for (const std::string& entry : split_list(text)) {
    if (entry.empty()) continue;
    size_t colon = entry.find(':');
    if (colon == std::string::npos || entry.find(':', colon + 1) != std::string::npos) {
      *reason = "entry '" + entry + "' is not of the form NAME:PROTOCOL";
      return std::nullopt;
    }
    std::string name = upper(trim(std::string_view(entry).substr(0, colon)));
    std::string_view proto = trim(std::string_view(entry).substr(colon + 1));
    if (name.empty()) {
      *reason = "entry '" + entry + "' has an empty listener name";
      return std::nullopt;
    }
    auto p = protocol_from_name(proto);
    if (!p) {
      *reason = "entry '" + entry + "' names unknown security protocol '" + std::string(proto) +
                "' (known: " + std::string(kProtocolNames) + ")";
      return std::nullopt;
    }
    map[name] = *p;
  }
  return map;
}

std::optional<std::vector<Listener>> parse_listeners(std::string_view text,
                                                     const SecurityProtocolMap& map,
                                                     std::string* reason) {
  std::vector<Listener> out;
  for (const std::string& entry : split_list(text)) {
    if (entry.empty()) continue;  // Kafka's Csv.parseCsvList drops empty entries
    auto bad = [&](std::string why) {
      *reason = "listener '" + entry + "' " + why;
      return std::nullopt;
    };
    size_t sep = entry.find("://");
    if (sep == std::string::npos) return bad("is not of the form NAME://host:port");
    Listener l;
    l.name = upper(trim(std::string_view(entry).substr(0, sep)));
    if (l.name.empty()) return bad("has no listener name before '://'");
    for (char c : l.name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
        return bad("has an invalid listener name (use letters, digits, '_', '-', '.')");
      }
    }
    std::string_view rest = std::string_view(entry).substr(sep + 3);
    std::string_view port_text;
    if (!rest.empty() && rest.front() == '[') {
      size_t close = rest.find(']');
      if (close == std::string_view::npos) return bad("has an unterminated '[' in the host");
      l.host = std::string(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
      if (rest.empty() || rest.front() != ':') return bad("is missing ':port' after the host");
      port_text = rest.substr(1);
      if (!l.host.empty() && !is_ipv6_literal(l.host)) {
        return bad("has '[" + l.host + "]', which is not an IPv6 address");
      }
    } else {
      size_t colon = rest.rfind(':');
      if (colon == std::string_view::npos) return bad("is missing ':port' after the host");
      l.host = std::string(rest.substr(0, colon));
      port_text = rest.substr(colon + 1);
      for (char c : l.host) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
              c == '%' || c == ':')) {
          return bad("has an invalid host '" + l.host + "'");
        }
      }
    }
    int64_t port = 0;
    if (parse_int64(port_text, &port) != IntParse::kOk || port < 0 || port > 65535) {
      return bad("has invalid port '" + std::string(port_text) + "' (expected 0..65535)");
    }
    l.port = static_cast<int32_t>(port);
    auto it = map.find(l.name);
    if (it == map.end()) {
      return bad("has no security protocol: add " + l.name +
                 ":PLAINTEXT to listener.security.protocol.map");
    }
    l.protocol = it->second;
    for (const Listener& prev : out) {
      if (prev.name == l.name) return bad("reuses the name " + l.name + "; names must be unique");
    }
    out.push_back(std::move(l));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Key definitions
// ---------------------------------------------------------------------------

namespace {

using Value =
    std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<std::string>>;

// Returns "" when `value` (trimmed) is acceptable, else a reason sentence.
using CustomCheck = std::string (*)(std::string_view value);

struct KeyDef {
  std::string_view name;
  ConfigType type = ConfigType::kString;
  std::optional<std::string_view> def;  // default as Kafka would print it; nullopt = null
  std::string_view doc;
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::optional<int64_t> also;  // one extra accepted integer outside [min, max] (e.g. -1)
  double dmin = -HUGE_VAL;
  double dmax = HUGE_VAL;
  std::vector<std::string_view> choices;  // STRING: one of; LIST: each of
  CustomCheck custom = nullptr;
  std::string_view expect;  // overrides the generated "expected ..." text
  bool honoured = true;
  bool sensitive = false;
  std::vector<std::string_view> synonyms;  // lower-precedence broker keys (describe)
  std::string_view group;

  KeyDef&& at_least(int64_t v) && {
    min = v;
    return std::move(*this);
  }
  KeyDef&& between(int64_t lo, int64_t hi) && {
    min = lo;
    max = hi;
    return std::move(*this);
  }
  KeyDef&& or_value(int64_t v) && {
    also = v;
    return std::move(*this);
  }
  KeyDef&& dbetween(double lo, double hi) && {
    dmin = lo;
    dmax = hi;
    return std::move(*this);
  }
  KeyDef&& one_of(std::vector<std::string_view> c) && {
    choices = std::move(c);
    return std::move(*this);
  }
  KeyDef&& check(CustomCheck fn, std::string_view what) && {
    custom = fn;
    expect = what;
    return std::move(*this);
  }
  KeyDef&& expecting(std::string_view what) && {
    expect = what;
    return std::move(*this);
  }
  KeyDef&& ignored() && {
    honoured = false;
    return std::move(*this);
  }
  KeyDef&& secret() && {
    sensitive = true;
    return std::move(*this);
  }
  KeyDef&& with_synonyms(std::vector<std::string_view> s) && {
    synonyms = std::move(s);
    return std::move(*this);
  }
};

KeyDef make(std::string_view name, ConfigType type, std::optional<std::string_view> def,
            std::string_view doc) {
  KeyDef k;
  k.name = name;
  k.type = type;
  k.def = def;
  k.doc = doc;
  return k;
}
KeyDef Int(std::string_view n, std::optional<std::string_view> d, std::string_view doc) {
  return make(n, ConfigType::kInt, d, doc);
}
KeyDef Short(std::string_view n, std::optional<std::string_view> d, std::string_view doc) {
  return make(n, ConfigType::kShort, d, doc);
}
KeyDef Long(std::string_view n, std::optional<std::string_view> d, std::string_view doc) {
  return make(n, ConfigType::kLong, d, doc);
}
KeyDef Bool(std::string_view n, std::optional<std::string_view> d, std::string_view doc) {
  return make(n, ConfigType::kBoolean, d, doc);
}
KeyDef Double(std::string_view n, std::optional<std::string_view> d, std::string_view doc) {
  return make(n, ConfigType::kDouble, d, doc);
}
KeyDef Str(std::string_view n, std::optional<std::string_view> d, std::string_view doc) {
  return make(n, ConfigType::kString, d, doc);
}
KeyDef List(std::string_view n, std::optional<std::string_view> d, std::string_view doc) {
  return make(n, ConfigType::kList, d, doc);
}
KeyDef Password(std::string_view n, std::string_view doc) {
  return std::move(make(n, ConfigType::kPassword, std::nullopt, doc)).secret();
}
constexpr std::nullopt_t kNull = std::nullopt;

std::pair<int64_t, int64_t> type_range(ConfigType t) {
  switch (t) {
    case ConfigType::kInt:
      return {std::numeric_limits<int32_t>::min(), kIntMax};
    case ConfigType::kShort:
      return {std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max()};
    default:
      return {std::numeric_limits<int64_t>::min(), kLongMax};
  }
}

// "an integer in [14, 2147483647]", "one of [CreateTime, LogAppendTime]", ...
std::string expectation(const KeyDef& k) {
  if (!k.expect.empty()) return std::string(k.expect);
  switch (k.type) {
    case ConfigType::kInt:
    case ConfigType::kShort:
    case ConfigType::kLong: {
      auto [tlo, thi] = type_range(k.type);
      int64_t lo = std::max(k.min, tlo), hi = std::min(k.max, thi);
      std::string range = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
      if (k.also) return std::to_string(*k.also) + " or " + range;
      return range;
    }
    case ConfigType::kDouble:
      if (std::isinf(k.dmin) && std::isinf(k.dmax)) return "a number";
      return "a number in [" + plain_double(k.dmin) + ", " + plain_double(k.dmax) + "]";
    case ConfigType::kBoolean:
      return "true or false";
    case ConfigType::kList:
      if (!k.choices.empty()) {
        return "a comma-separated list of values from [" + join_views(k.choices, ", ") + "]";
      }
      return "a comma-separated list";
    default:
      if (!k.choices.empty()) return "one of [" + join_views(k.choices, ", ") + "]";
      return "a string";
  }
}

std::string invalid(std::string_view key, std::string_view value, std::string_view reason) {
  return "Invalid value '" + std::string(value) + "' for configuration " + std::string(key) + ": " +
         std::string(reason);
}

// Parses and validates `raw` for key `k`. On failure returns nullopt and sets
// *error to the full "Invalid value ..." message.
std::optional<Value> parse_value(const KeyDef& k, std::string_view raw, std::string* error) {
  std::string_view v = trim(raw);
  auto fail = [&](std::string_view detail = {}) -> std::optional<Value> {
    std::string reason = detail.empty() ? "expected " + expectation(k)
                                        : std::string(detail) + "; expected " + expectation(k);
    *error = invalid(k.name, v, reason);
    return std::nullopt;
  };
  if (k.custom) {
    std::string why = k.custom(v);
    if (!why.empty()) return fail(why);
  }
  switch (k.type) {
    case ConfigType::kInt:
    case ConfigType::kShort:
    case ConfigType::kLong: {
      int64_t n = 0;
      if (parse_int64(v, &n) != IntParse::kOk) return fail();
      auto [tlo, thi] = type_range(k.type);
      bool in_range = n >= std::max(k.min, tlo) && n <= std::min(k.max, thi);
      if (!in_range && !(k.also && n == *k.also)) return fail();
      return Value(n);
    }
    case ConfigType::kDouble: {
      double d = 0;
      if (!parse_double(v, &d) || std::isnan(d) || d < k.dmin || d > k.dmax) return fail();
      return Value(d);
    }
    case ConfigType::kBoolean:
      if (iequals(v, "true")) return Value(true);
      if (iequals(v, "false")) return Value(false);
      return fail();
    case ConfigType::kList: {
      std::vector<std::string> items = split_list(v);
      if (!k.choices.empty()) {
        for (const std::string& item : items) {
          if (std::find(k.choices.begin(), k.choices.end(), item) == k.choices.end()) {
            return fail();
          }
        }
      }
      return Value(std::move(items));
    }
    default:
      if (!k.choices.empty() &&
          std::find(k.choices.begin(), k.choices.end(), v) == k.choices.end()) {
        return fail();
      }
      return Value(std::string(v));
  }
}

// --- typed assignment from a parsed Value

void assign(bool& out, const Value& v) { out = std::get<bool>(v); }
void assign(int16_t& out, const Value& v) { out = static_cast<int16_t>(std::get<int64_t>(v)); }
void assign(int32_t& out, const Value& v) { out = static_cast<int32_t>(std::get<int64_t>(v)); }
void assign(int64_t& out, const Value& v) { out = std::get<int64_t>(v); }
void assign(double& out, const Value& v) { out = std::get<double>(v); }
void assign(std::string& out, const Value& v) { out = std::get<std::string>(v); }
void assign(std::vector<std::string>& out, const Value& v) {
  out = std::get<std::vector<std::string>>(v);
}
void assign(std::optional<std::string>& out, const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) {
    out.reset();
  } else {
    out = std::get<std::string>(v);
  }
}
void assign(CleanupPolicy& out, const Value& v) {
  out = CleanupPolicy{false, false};
  for (const std::string& s : std::get<std::vector<std::string>>(v)) {
    if (s == "delete") out.remove = true;
    if (s == "compact") out.compact = true;
  }
}
void assign(TimestampType& out, const Value& v) {
  out = std::get<std::string>(v) == "LogAppendTime" ? TimestampType::kLogAppendTime
                                                    : TimestampType::kCreateTime;
}
void assign(CompressionType& out, const Value& v) {
  const std::string& s = std::get<std::string>(v);
  for (CompressionType t :
       {CompressionType::kProducer, CompressionType::kUncompressed, CompressionType::kGzip,
        CompressionType::kSnappy, CompressionType::kLz4, CompressionType::kZstd}) {
    if (s == to_string(t)) out = t;
  }
}

std::string render(bool b) { return b ? "true" : "false"; }
std::string render(int32_t n) { return std::to_string(n); }
std::string render(int64_t n) { return std::to_string(n); }
std::string render(double d) { return java_double(d); }
std::string render(const std::string& s) { return s; }
std::string render(const std::vector<std::string>& v) { return join(v, ","); }
std::string render(const CleanupPolicy& p) { return p.to_string(); }
std::string render(TimestampType t) { return std::string(to_string(t)); }
std::string render(CompressionType t) { return std::string(to_string(t)); }

template <typename S, auto M>
void apply_member(S& s, const Value& v) {
  assign(s.*M, v);
}
template <typename S, auto M>
std::string render_member(const S& s) {
  return render(s.*M);
}

using BrokerApply = void (*)(BrokerConfig&, const Value&);

struct BrokerKey {
  KeyDef k;
  BrokerApply apply = nullptr;  // nullptr: resolved in finish() (synonyms, listeners, ...)
};

template <auto M>
BrokerKey bind(KeyDef k) {
  return BrokerKey{std::move(k), &apply_member<BrokerConfig, M>};
}
BrokerKey special(KeyDef k) { return BrokerKey{std::move(k), nullptr}; }

// --- custom checks

std::string check_listeners(std::string_view v) {
  // Syntax only (names are checked against the protocol map later).
  SecurityProtocolMap any;
  for (const std::string& e : split_list(v)) {
    size_t sep = e.find("://");
    if (sep != std::string::npos) any[upper(trim(std::string_view(e).substr(0, sep)))] = {};
  }
  std::string reason;
  if (!parse_listeners(v, any, &reason)) return reason;
  return "";
}

std::string check_protocol_map(std::string_view v) {
  std::string reason;
  if (!parse_security_protocol_map(v, &reason)) return reason;
  return "";
}

std::string check_log_dirs(std::string_view v) {
  std::vector<std::string> dirs = split_list(v);
  if (dirs.empty()) return "no directory given";
  for (const std::string& d : dirs) {
    if (d.empty()) return "empty directory name";
  }
  if (dirs.size() > 1) {
    return std::to_string(dirs.size()) +
           " directories given but Fjord supports one log directory (no JBOD)";
  }
  return "";
}

std::string check_cluster_id(std::string_view v) {
  return is_valid_uuid(v) ? "" : "not a Kafka cluster id";
}

std::string check_conn_overrides(std::string_view v) {
  for (const std::string& e : split_list(v)) {
    if (e.empty()) continue;
    size_t colon = e.rfind(':');
    int64_t n = 0;
    if (colon == std::string::npos || colon == 0 ||
        parse_int64(trim(std::string_view(e).substr(colon + 1)), &n) != IntParse::kOk || n < 0 ||
        n > kIntMax) {
      return "entry '" + e + "' is not host:count";
    }
  }
  return "";
}

std::string check_authorizer(std::string_view v) {
  return v.empty() ? "" : "Fjord does not implement ACL authorization";
}

std::string check_version_string(std::string_view v) {
  // Kafka versions: 0.10.2, 2.8, 3.0-IV1, 3.7-IV4, ...
  size_t i = 0, groups = 0;
  while (true) {
    size_t start = i;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
    if (i == start) return "not a Kafka version";
    ++groups;
    if (i < v.size() && v[i] == '.') {
      ++i;
      continue;
    }
    break;
  }
  if (groups < 2) return "not a Kafka version";
  if (i == v.size()) return "";
  std::string_view tail = v.substr(i);
  if (tail.size() > 3 && tail.substr(0, 3) == "-IV" &&
      std::all_of(tail.begin() + 3, tail.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return "";
  }
  return "not a Kafka version";
}

std::string check_throttled_replicas(std::string_view v) {
  if (trim(v) == "*") return "";
  for (const std::string& e : split_list(v)) {
    size_t colon = e.find(':');
    int64_t a = 0, b = 0;
    if (colon == std::string::npos ||
        parse_int64(trim(std::string_view(e).substr(0, colon)), &a) != IntParse::kOk ||
        parse_int64(trim(std::string_view(e).substr(colon + 1)), &b) != IntParse::kOk || a < 0 ||
        b < 0) {
      return "entry '" + e + "' is not partition:broker";
    }
  }
  return "";
}

constexpr std::string_view kListenersExpect =
    "a comma-separated list of NAME://host:port where NAME is in "
    "listener.security.protocol.map, host is a name, an IPv4 address, [IPv6 address] or empty "
    "(all interfaces), and port is in [0, 65535], e.g. PLAINTEXT://localhost:9092";

constexpr std::string_view kDefaultProtocolMap =
    "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";

// ---------------------------------------------------------------------------
// The broker table
// ---------------------------------------------------------------------------

const std::vector<BrokerKey>& broker_table() {
  static const std::vector<BrokerKey> table = [] {
    std::vector<BrokerKey> t;
    std::string_view group;
    auto add = [&](BrokerKey b) {
      b.k.group = group;
      t.push_back(std::move(b));
    };

    group = "Server Basics";
    add(special(Int("node.id", "1",
                    "The id of this node. Either node.id or broker.id may be set; if both are, "
                    "they must be equal. Stored in meta.properties on first start.")
                    .at_least(0)
                    .with_synonyms({"broker.id"})));
    add(special(Int("broker.id", "1", "Alias of node.id (ZooKeeper-era name).")
                    .at_least(0)
                    .with_synonyms({"node.id"})));
    add(special(Str("cluster.id", kNull,
                    "Fjord extension: the cluster id to write to meta.properties when the log "
                    "directory is new, and to check against it afterwards. Unset: a random id is "
                    "generated once and kept in meta.properties.")
                    .check(check_cluster_id, "a Kafka Uuid: 22 characters of URL-safe base64")));
    add(bind<&BrokerConfig::broker_rack>(
        Str("broker.rack", kNull, "Rack of this broker, reported in Metadata responses.")));
    add(bind<&BrokerConfig::process_roles>(
        List("process.roles", "",
             "KRaft roles. Fjord is always a single combined node, so the value is validated "
             "and otherwise ignored.")
            .one_of({"broker", "controller"})
            .ignored()));

    group = "Socket Server Settings";
    add(special(Str("listeners", "PLAINTEXT://localhost:9092",
                    "Comma-separated NAME://host:port addresses to listen on. An empty host binds "
                    "all interfaces; port 0 picks a free port. Listeners named in "
                    "controller.listener.names are not bound. Fjord's default binds localhost "
                    "only (Kafka's is PLAINTEXT://:9092).")
                    .check(check_listeners, kListenersExpect)));
    add(special(Str("advertised.listeners", kNull,
                    "Addresses returned to clients in Metadata and FindCoordinator, same syntax "
                    "as listeners; names must be a subset of the listeners' names. Default: "
                    "listeners. An empty host advertises this machine's host name.")
                    .check(check_listeners, kListenersExpect)));
    add(special(Str("listener.security.protocol.map", kDefaultProtocolMap,
                    "Maps listener names to security protocols as NAME:PROTOCOL pairs. Fjord "
                    "serves PLAINTEXT only; SSL and SASL listeners are rejected at startup.")
                    .check(check_protocol_map,
                           "a comma-separated list of NAME:PROTOCOL with PROTOCOL one of "
                           "[PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL]")));
    add(special(List("controller.listener.names", kNull,
                     "Names of KRaft controller listeners. Fjord has no separate controller: "
                     "such listeners are parsed but neither bound nor advertised.")));
    add(special(Str("inter.broker.listener.name", kNull,
                    "Listener used between brokers. Validated (must name a listener) and "
                    "otherwise unused: Fjord is a single node.")
                    .ignored()));
    add(special(Str("security.inter.broker.protocol", "PLAINTEXT",
                    "Protocol used between brokers. Validated and otherwise unused; set at most "
                    "one of this and inter.broker.listener.name.")
                    .one_of({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})
                    .ignored()));
    add(bind<&BrokerConfig::num_network_threads>(
        Int("num.network.threads", "3",
            "Number of network threads: each runs an event loop that accepts connections, reads "
            "requests and writes responses.")
            .at_least(1)));
    add(bind<&BrokerConfig::num_io_threads>(
        Int("num.io.threads", "8",
            "Number of request handler threads that execute requests (including disk I/O).")
            .at_least(1)));
    add(bind<&BrokerConfig::background_threads>(
        Int("background.threads", "10",
            "Threads for background work such as segment deletion and retention checks.")
            .at_least(1)));
    add(bind<&BrokerConfig::queued_max_requests>(
        Int("queued.max.requests", "500",
            "Requests that may wait for a handler thread before network threads stop reading.")
            .at_least(1)));
    add(bind<&BrokerConfig::socket_send_buffer_bytes>(
        Int("socket.send.buffer.bytes", "102400",
            "SO_SNDBUF of client sockets; -1 uses the OS default.")));
    add(bind<&BrokerConfig::socket_receive_buffer_bytes>(
        Int("socket.receive.buffer.bytes", "102400",
            "SO_RCVBUF of client sockets; -1 uses the OS default.")));
    add(bind<&BrokerConfig::socket_request_max_bytes>(
        Int("socket.request.max.bytes", "104857600",
            "Largest request (size prefix) accepted; larger requests close the connection.")
            .at_least(1)));
    add(bind<&BrokerConfig::socket_listen_backlog_size>(
        Int("socket.listen.backlog.size", "50", "Backlog passed to listen().").at_least(1)));
    add(bind<&BrokerConfig::connections_max_idle_ms>(
        Long("connections.max.idle.ms", "600000",
             "Close connections idle longer than this; a negative value disables it.")));
    add(bind<&BrokerConfig::max_connections>(
        Int("max.connections", "2147483647",
            "Most client connections open at once; further accepts are closed.")
            .at_least(0)));
    add(bind<&BrokerConfig::max_connections_per_ip>(
        Int("max.connections.per.ip", "2147483647", "Most connections from one IP address.")
            .at_least(0)));
    add(special(Str("max.connections.per.ip.overrides", "",
                    "Per-address exceptions to max.connections.per.ip as host:count pairs.")
                    .check(check_conn_overrides,
                           "a comma-separated list of host:count with count in [0, 2147483647]")));

    group = "Log Basics";
    add(special(List("log.dirs", kNull,
                     "The directory holding the log data (overrides log.dir). Fjord supports "
                     "exactly one directory.")
                    .check(check_log_dirs, "exactly one non-empty directory path")
                    .with_synonyms({"log.dir"})));
    add(special(Str("log.dir", "./data",
                    "The log directory, used when log.dirs is not set. Fjord's default is ./data "
                    "relative to the working directory (Kafka's is /tmp/kafka-logs).")
                    .check(check_log_dirs, "exactly one non-empty directory path")));
    add(bind<&BrokerConfig::num_partitions>(
        Int("num.partitions", "1",
            "Partitions of auto-created topics and of CreateTopics "
            "requests that pass -1.")
            .at_least(1)));
    add(bind<&BrokerConfig::default_replication_factor>(
        Int("default.replication.factor", "1",
            "Replication factor of auto-created topics. Fjord is a single node: values above 1 "
            "make auto-creation fail with INVALID_REPLICATION_FACTOR, as in Kafka.")
            .at_least(1)));
    add(bind<&BrokerConfig::auto_create_topics_enable>(
        Bool("auto.create.topics.enable", "true",
             "Create a topic when Metadata (with allow_auto_topic_creation) names an unknown "
             "one.")));
    add(bind<&BrokerConfig::delete_topic_enable>(
        Bool("delete.topic.enable", "true", "Allow DeleteTopics; false rejects it.")));
    add(bind<&BrokerConfig::num_recovery_threads_per_data_dir>(
        Int("num.recovery.threads.per.data.dir", "1",
            "Threads used to recover and load logs at startup and flush them at shutdown.")
            .at_least(1)));
    add(bind<&BrokerConfig::message_max_bytes>(
        Int("message.max.bytes", "1048588",
            "Largest record batch (after compression) the broker accepts; default for the "
            "topic key max.message.bytes.")
            .at_least(0)));
    add(bind<&BrokerConfig::fetch_max_bytes>(
        Int("fetch.max.bytes", "57671680",
            "Upper bound on the bytes returned by one Fetch response.")
            .at_least(1024)));
    add(bind<&BrokerConfig::max_incremental_fetch_session_cache_slots>(
        Int("max.incremental.fetch.session.cache.slots", "1000",
            "Incremental fetch sessions (KIP-227) kept at once.")
            .at_least(0)));

    group = "Records and Compression";
    add(bind<&BrokerConfig::compression_type>(
        Str("compression.type", "producer",
            "Codec for stored batches: 'producer' keeps the producer's codec, 'uncompressed' "
            "or a codec name recompresses.")
            .one_of({"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"})));
    add(bind<&BrokerConfig::compression_gzip_level>(
        Int("compression.gzip.level", "-1", "gzip level when the broker recompresses.")
            .between(1, 9)
            .or_value(-1)));
    add(bind<&BrokerConfig::compression_lz4_level>(
        Int("compression.lz4.level", "9", "lz4 level when the broker recompresses.")
            .between(1, 17)));
    add(bind<&BrokerConfig::compression_zstd_level>(
        Int("compression.zstd.level", "3", "zstd level when the broker recompresses.")
            .between(-131072, 22)));
    add(bind<&BrokerConfig::log_message_timestamp_type>(
        Str("log.message.timestamp.type", "CreateTime",
            "CreateTime keeps producer timestamps; LogAppendTime stamps batches with the "
            "broker's clock.")
            .one_of({"CreateTime", "LogAppendTime"})));
    add(bind<&BrokerConfig::log_message_timestamp_difference_max_ms>(
        Long("log.message.timestamp.difference.max.ms", "9223372036854775807",
             "Deprecated (KIP-937): largest allowed distance between a CreateTime timestamp "
             "and the broker's clock; the fallback for the before/after keys.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_message_timestamp_before_max_ms>(
        Long("log.message.timestamp.before.max.ms", "9223372036854775807",
             "Reject batches whose CreateTime is further in the past than this.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_message_timestamp_after_max_ms>(
        Long("log.message.timestamp.after.max.ms", "9223372036854775807",
             "Reject batches whose CreateTime is further in the future than this.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_message_downconversion_enable>(
        Bool("log.message.downconversion.enable", "true",
             "Allow converting v2 batches to the v0/v1 format for old fetchers.")));

    group = "Log Segments and Flushing";
    add(bind<&BrokerConfig::log_segment_bytes>(
        Int("log.segment.bytes", "1073741824", "Largest size of one segment file.").at_least(14)));
    add(special(Long("log.roll.ms", kNull,
                     "Roll a new segment after this time even if not full (overrides "
                     "log.roll.hours).")
                    .at_least(1)
                    .with_synonyms({"log.roll.hours"})));
    add(special(Int("log.roll.hours", "168", "Segment roll time in hours.").at_least(1)));
    add(special(Long("log.roll.jitter.ms", kNull,
                     "Random jitter subtracted from the roll time (overrides "
                     "log.roll.jitter.hours).")
                    .at_least(0)
                    .with_synonyms({"log.roll.jitter.hours"})));
    add(special(Int("log.roll.jitter.hours", "0", "Roll jitter in hours.").at_least(0)));
    add(bind<&BrokerConfig::log_index_size_max_bytes>(
        Int("log.index.size.max.bytes", "10485760",
            "Largest size of an offset or time index file; a full index rolls the segment.")
            .at_least(4)));
    add(bind<&BrokerConfig::log_index_interval_bytes>(
        Int("log.index.interval.bytes", "4096", "Bytes of log between two offset index entries.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_flush_interval_messages>(
        Long("log.flush.interval.messages", "9223372036854775807",
             "fsync a partition after this many messages.")
            .at_least(1)));
    add(special(Long("log.flush.interval.ms", kNull,
                     "fsync a partition when its oldest unflushed message is older than this; "
                     "unset uses log.flush.scheduler.interval.ms.")
                    .at_least(0)
                    .with_synonyms({"log.flush.scheduler.interval.ms"})));
    add(bind<&BrokerConfig::log_flush_scheduler_interval_ms>(
        Long("log.flush.scheduler.interval.ms", "9223372036854775807",
             "How often the flusher checks whether a log needs an fsync.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_flush_offset_checkpoint_interval_ms>(
        Int("log.flush.offset.checkpoint.interval.ms", "60000",
            "How often the recovery-point checkpoint is written.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_flush_start_offset_checkpoint_interval_ms>(
        Int("log.flush.start.offset.checkpoint.interval.ms", "60000",
            "How often the log-start-offset checkpoint is written.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_segment_delete_delay_ms>(
        Long("log.segment.delete.delay.ms", "60000",
             "Delay between removing a segment from the log and deleting its files.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_preallocate>(
        Bool("log.preallocate", "false", "Preallocate segment files when they are created.")));

    group = "Log Retention Policy";
    constexpr std::string_view kRetentionLongExpect =
        "-1 (unlimited) or an integer in [1, 9223372036854775807]";
    constexpr std::string_view kRetentionIntExpect =
        "-1 (unlimited) or an integer in [1, 2147483647]";
    add(special(Long("log.retention.ms", kNull,
                     "Delete segments older than this; -1 = keep forever. Overrides "
                     "log.retention.minutes and log.retention.hours.")
                    .expecting(kRetentionLongExpect)
                    .with_synonyms({"log.retention.minutes", "log.retention.hours"})));
    add(special(
        Int("log.retention.minutes", kNull, "Retention in minutes; overrides log.retention.hours.")
            .expecting(kRetentionIntExpect)
            .with_synonyms({"log.retention.hours"})));
    add(special(
        Int("log.retention.hours", "168", "Retention in hours.").expecting(kRetentionIntExpect)));
    add(bind<&BrokerConfig::log_retention_bytes>(
        Long("log.retention.bytes", "-1",
             "Delete old segments while a partition is larger than this; -1 = no size limit.")));
    add(bind<&BrokerConfig::log_retention_check_interval_ms>(
        Long("log.retention.check.interval.ms", "300000",
             "How often logs are checked for segments to delete.")
            .at_least(1)));
    add(bind<&BrokerConfig::log_cleanup_policy>(
        List("log.cleanup.policy", "delete",
             "delete: remove old segments by retention; compact: keep the latest record per "
             "key. Both may be given.")
            .one_of({"compact", "delete"})));
    add(bind<&BrokerConfig::log_cleaner_enable>(
        Bool("log.cleaner.enable", "true", "Run the log cleaner for compacted topics.")));
    add(bind<&BrokerConfig::log_cleaner_threads>(
        Int("log.cleaner.threads", "1", "Log cleaner threads.").at_least(0)));
    add(bind<&BrokerConfig::log_cleaner_dedupe_buffer_size>(
        Long("log.cleaner.dedupe.buffer.size", "134217728",
             "Memory for the cleaner's key-to-offset map, across all cleaner threads.")));
    add(bind<&BrokerConfig::log_cleaner_backoff_ms>(
        Long("log.cleaner.backoff.ms", "15000",
             "Sleep of the cleaner when there is nothing to clean.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_cleaner_min_cleanable_ratio>(
        Double("log.cleaner.min.cleanable.ratio", "0.5",
               "Smallest dirty/total ratio for a log to be cleaned.")
            .dbetween(0, 1)));
    add(bind<&BrokerConfig::log_cleaner_delete_retention_ms>(
        Long("log.cleaner.delete.retention.ms", "86400000",
             "How long tombstones are kept in compacted topics.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_cleaner_min_compaction_lag_ms>(
        Long("log.cleaner.min.compaction.lag.ms", "0", "Least time a message stays uncompacted.")
            .at_least(0)));
    add(bind<&BrokerConfig::log_cleaner_max_compaction_lag_ms>(
        Long("log.cleaner.max.compaction.lag.ms", "9223372036854775807",
             "Most time a message may stay ineligible for compaction.")
            .at_least(1)));

    group = "Replication";
    add(bind<&BrokerConfig::min_insync_replicas>(
        Int("min.insync.replicas", "1",
            "Replicas that must acknowledge an acks=all write. Fjord has one replica, so values "
            "above 1 make acks=all produce fail with NOT_ENOUGH_REPLICAS, as in Kafka.")
            .at_least(1)));
    add(bind<&BrokerConfig::unclean_leader_election_enable>(
        Bool("unclean.leader.election.enable", "false",
             "Validated and reported; no effect on a single node.")));

    group = "Group Coordinator";
    add(bind<&BrokerConfig::group_initial_rebalance_delay_ms>(
        Int("group.initial.rebalance.delay.ms", "3000",
            "How long the first rebalance of a new group waits for more members to join.")
            .at_least(0)));
    add(bind<&BrokerConfig::group_min_session_timeout_ms>(
        Int("group.min.session.timeout.ms", "6000",
            "Smallest session timeout a consumer may ask for.")));
    add(bind<&BrokerConfig::group_max_session_timeout_ms>(
        Int("group.max.session.timeout.ms", "1800000",
            "Largest session timeout a consumer may ask for.")));
    add(bind<&BrokerConfig::group_max_size>(
        Int("group.max.size", "2147483647", "Most members in one consumer group.").at_least(1)));
    add(bind<&BrokerConfig::group_consumer_session_timeout_ms>(
        Int("group.consumer.session.timeout.ms", "45000",
            "Session timeout of members of consumer protocol (KIP-848) groups.")
            .at_least(1)));
    add(bind<&BrokerConfig::group_consumer_heartbeat_interval_ms>(
        Int("group.consumer.heartbeat.interval.ms", "5000",
            "Heartbeat interval given to members of consumer protocol (KIP-848) groups.")
            .at_least(1)));
    add(bind<&BrokerConfig::group_consumer_max_size>(
        Int("group.consumer.max.size", "2147483647",
            "Most members in one consumer protocol (KIP-848) group.")
            .at_least(1)));
    add(bind<&BrokerConfig::offsets_topic_num_partitions>(
        Int("offsets.topic.num.partitions", "50",
            "Partitions of __consumer_offsets; fixed once the topic exists.")
            .at_least(1)));
    add(bind<&BrokerConfig::offsets_topic_replication_factor>(
        Short("offsets.topic.replication.factor", "1",
              "Replication factor of __consumer_offsets. Fjord default 1 (Kafka: 3); a single "
              "node always keeps one replica, larger values only produce a warning.")
            .at_least(1)));
    add(bind<&BrokerConfig::offsets_topic_segment_bytes>(
        Int("offsets.topic.segment.bytes", "104857600", "Segment size of __consumer_offsets.")
            .at_least(1)));
    add(bind<&BrokerConfig::offsets_load_buffer_size>(
        Int("offsets.load.buffer.size", "5242880",
            "Read buffer used when loading __consumer_offsets.")
            .at_least(1)));
    add(bind<&BrokerConfig::offsets_retention_minutes>(
        Int("offsets.retention.minutes", "10080",
            "Committed offsets of an empty group are dropped after this long.")
            .at_least(1)));
    add(bind<&BrokerConfig::offsets_retention_check_interval_ms>(
        Long("offsets.retention.check.interval.ms", "600000",
             "How often expired offsets are looked for.")
            .at_least(1)));
    add(bind<&BrokerConfig::offsets_commit_timeout_ms>(
        Int("offsets.commit.timeout.ms", "5000",
            "How long an offset commit may wait to be written.")
            .at_least(1)));
    add(bind<&BrokerConfig::offset_metadata_max_bytes>(
        Int("offset.metadata.max.bytes", "4096",
            "Largest metadata string stored with a committed offset.")));

    group = "Transactions";
    add(bind<&BrokerConfig::transaction_max_timeout_ms>(
        Int("transaction.max.timeout.ms", "900000",
            "Largest transaction timeout a producer may ask for.")
            .at_least(1)));
    add(bind<&BrokerConfig::transactional_id_expiration_ms>(
        Int("transactional.id.expiration.ms", "604800000",
            "A transactional id with no activity for this long is expired.")
            .at_least(1)));
    add(bind<&BrokerConfig::transaction_state_log_num_partitions>(
        Int("transaction.state.log.num.partitions", "50",
            "Partitions of __transaction_state; fixed once the topic exists.")
            .at_least(1)));
    add(bind<&BrokerConfig::transaction_state_log_replication_factor>(
        Short("transaction.state.log.replication.factor", "1",
              "Replication factor of __transaction_state. Fjord default 1 (Kafka: 3).")
            .at_least(1)));
    add(bind<&BrokerConfig::transaction_state_log_min_isr>(
        Int("transaction.state.log.min.isr", "1",
            "min.insync.replicas of __transaction_state. Fjord default 1 (Kafka: 2).")
            .at_least(1)));
    add(bind<&BrokerConfig::transaction_state_log_segment_bytes>(
        Int("transaction.state.log.segment.bytes", "104857600",
            "Segment size of __transaction_state.")
            .at_least(1)));
    add(bind<&BrokerConfig::transaction_state_log_load_buffer_size>(
        Int("transaction.state.log.load.buffer.size", "5242880",
            "Read buffer used when loading __transaction_state.")
            .at_least(1)));
    add(bind<&BrokerConfig::transaction_abort_timed_out_transaction_cleanup_interval_ms>(
        Int("transaction.abort.timed.out.transaction.cleanup.interval.ms", "10000",
            "How often transactions past their timeout are aborted.")
            .at_least(1)));
    add(bind<&BrokerConfig::transaction_remove_expired_transaction_cleanup_interval_ms>(
        Int("transaction.remove.expired.transaction.cleanup.interval.ms", "3600000",
            "How often expired transactional ids are removed.")
            .at_least(1)));
    add(bind<&BrokerConfig::producer_id_expiration_ms>(
        Int("producer.id.expiration.ms", "86400000",
            "Idempotent producer state is dropped after this long without writes.")
            .at_least(1)));
    add(bind<&BrokerConfig::producer_id_expiration_check_interval_ms>(
        Int("producer.id.expiration.check.interval.ms", "600000",
            "How often expired producer ids are looked for.")
            .at_least(1)));
    add(bind<&BrokerConfig::transaction_partition_verification_enable>(
        Bool("transaction.partition.verification.enable", "true",
             "Check that a partition was added to the transaction before a transactional "
             "write (KIP-890).")));

    // Kafka keys Fjord accepts without effect (a notice is logged when set).
    group = "Ignored";
    auto ign = [&](std::string_view name, std::string_view why) {
      add(special(Str(name, kNull, why).ignored()));
    };
    auto ign_secret = [&](std::string_view name, std::string_view why) {
      add(special(std::move(Password(name, why)).ignored()));
    };
    constexpr std::string_view kZk = "ZooKeeper is not used: Fjord keeps its own metadata.";
    constexpr std::string_view kKraft =
        "Fjord has no separate controller quorum: it is always one combined node.";
    constexpr std::string_view kRepl = "Fjord is a single node: there is no replication.";
    constexpr std::string_view kTls =
        "Fjord serves PLAINTEXT only; SSL/SASL listeners are rejected.";
    constexpr std::string_view kMetrics = "Fjord has no JMX/metrics reporters.";
    for (auto n : {"zookeeper.connect", "zookeeper.connection.timeout.ms",
                   "zookeeper.session.timeout.ms", "zookeeper.set.acl",
                   "zookeeper.max.in.flight.requests", "zookeeper.metadata.migration.enable"}) {
      ign(n, kZk);
    }
    for (auto n : {"controller.quorum.voters", "controller.quorum.bootstrap.servers",
                   "controller.quorum.election.timeout.ms", "controller.quorum.fetch.timeout.ms",
                   "metadata.log.dir", "metadata.log.segment.bytes", "metadata.max.retention.bytes",
                   "metadata.max.retention.ms"}) {
      ign(n, kKraft);
    }
    ign("inter.broker.protocol.version",
        "There are no other brokers to stay compatible with; clients negotiate versions "
        "with ApiVersions.");
    for (auto n : {"broker.id.generation.enable", "reserved.broker.max.id"}) {
      ign(n, "Fjord never generates node ids: node.id (default 1) is always used.");
    }
    add(special(Str("log.message.format.version", "3.0-IV1",
                    "Deprecated message format version; Fjord always writes v2 batches.")
                    .check(check_version_string, "a Kafka version such as 3.0-IV1")
                    .ignored()));
    for (auto n :
         {"num.replica.fetchers", "num.replica.alter.log.dirs.threads", "replica.lag.time.max.ms",
          "replica.fetch.max.bytes", "replica.fetch.min.bytes", "replica.fetch.wait.max.ms",
          "replica.fetch.backoff.ms", "replica.fetch.response.max.bytes",
          "replica.socket.timeout.ms", "replica.socket.receive.buffer.bytes",
          "replica.high.watermark.checkpoint.interval.ms", "replica.selector.class",
          "auto.leader.rebalance.enable", "leader.imbalance.check.interval.seconds",
          "leader.imbalance.per.broker.percentage", "controlled.shutdown.enable",
          "controlled.shutdown.max.retries", "controlled.shutdown.retry.backoff.ms",
          "offsets.commit.required.acks"}) {
      ign(n, kRepl);
    }
    for (auto n :
         {"ssl.keystore.location", "ssl.keystore.type", "ssl.truststore.location",
          "ssl.truststore.type", "ssl.client.auth", "ssl.protocol", "ssl.enabled.protocols",
          "ssl.cipher.suites", "ssl.endpoint.identification.algorithm", "sasl.enabled.mechanisms",
          "sasl.mechanism.inter.broker.protocol", "sasl.mechanism.controller.protocol",
          "connections.max.reauth.ms"}) {
      ign(n, kTls);
    }
    for (auto n : {"ssl.keystore.password", "ssl.key.password", "ssl.truststore.password",
                   "sasl.jaas.config"}) {
      ign_secret(n, kTls);
    }
    for (auto n : {"metric.reporters", "metrics.num.samples", "metrics.recording.level",
                   "metrics.sample.window.ms", "kafka.metrics.reporters",
                   "kafka.metrics.polling.interval.secs", "auto.include.jmx.reporter"}) {
      ign(n, kMetrics);
    }
    for (auto n : {"log.cleaner.io.max.bytes.per.second", "log.cleaner.io.buffer.size",
                   "log.cleaner.io.buffer.load.factor", "offsets.topic.compression.codec",
                   "group.coordinator.rebalance.protocols"}) {
      ign(n, "Accepted for compatibility; Fjord does not implement this tuning knob.");
    }
    for (auto n : {"quota.window.num", "quota.window.size.seconds"}) {
      ign(n, "Fjord does not implement client quotas.");
    }
    for (auto n : {"allow.everyone.if.no.acl.found", "super.users"}) {
      ign(n, "Fjord does not implement ACLs (see authorizer.class.name).");
    }
    add(special(Str("authorizer.class.name", "",
                    "Must be empty: Fjord does not implement ACLs, and silently ignoring an "
                    "authorizer would leave the broker open.")
                    .check(check_authorizer, "an empty value")
                    .ignored()));
    return t;
  }();
  return table;
}

const std::unordered_map<std::string_view, const BrokerKey*>& broker_index() {
  static const auto index = [] {
    std::unordered_map<std::string_view, const BrokerKey*> m;
    for (const BrokerKey& b : broker_table()) m.emplace(b.k.name, &b);
    return m;
  }();
  return index;
}

const KeyDef& broker_def(std::string_view name) { return broker_index().at(name)->k; }

}  // namespace

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

int64_t BrokerConfig::effective_timestamp_before_max_ms() const {
  return log_message_timestamp_before_max_ms != kLongMax ? log_message_timestamp_before_max_ms
                                                         : log_message_timestamp_difference_max_ms;
}
int64_t BrokerConfig::effective_timestamp_after_max_ms() const {
  return log_message_timestamp_after_max_ms != kLongMax ? log_message_timestamp_after_max_ms
                                                        : log_message_timestamp_difference_max_ms;
}

namespace {

class Finisher {
 public:
  Finisher(BrokerConfig& c, const std::map<std::string, Value>& set, LoadResult& r)
      : c_(c), set_(set), r_(r) {}

  void run() {
    ids();
    log_dirs();
    times();
    network();
    cross_checks();
  }

 private:
  const Value* get(std::string_view key) const {
    auto it = set_.find(std::string(key));
    return it == set_.end() ? nullptr : &it->second;
  }
  bool is_set(std::string_view key) const { return get(key) != nullptr; }
  // The configured value of `key` as written, or its default.
  std::string raw(std::string_view key) const {
    auto it = c_.static_configs.find(std::string(key));
    if (it != c_.static_configs.end()) return it->second;
    const KeyDef& k = broker_def(key);
    return k.def ? std::string(*k.def) : std::string();
  }
  std::optional<int64_t> get_int(std::string_view key) const {
    if (const Value* v = get(key)) return std::get<int64_t>(*v);
    const KeyDef& k = broker_def(key);
    if (!k.def) return std::nullopt;
    int64_t n = 0;
    parse_int64(*k.def, &n);
    return n;
  }
  void error(std::string_view key, std::string_view reason) {
    r_.errors.push_back(invalid(key, raw(key), reason));
  }

  void ids() {
    const Value* node = get("node.id");
    const Value* broker = get("broker.id");
    if (node && broker && std::get<int64_t>(*node) != std::get<int64_t>(*broker)) {
      error("broker.id", "must equal node.id (" + std::to_string(std::get<int64_t>(*node)) +
                             ") when both are set");
    }
    if (const Value* id = node ? node : broker) {
      c_.node_id = static_cast<int32_t>(std::get<int64_t>(*id));
    }
    if (const Value* v = get("cluster.id")) c_.cluster_id = std::get<std::string>(*v);
  }

  void log_dirs() {
    const Value* dirs = get("log.dirs");
    if (dirs) {
      c_.log_dir = std::get<std::vector<std::string>>(*dirs).at(0);
    } else if (const Value* dir = get("log.dir")) {
      c_.log_dir = std::get<std::string>(*dir);
    } else {
      c_.log_dir = std::string(*broker_def("log.dir").def);
    }
  }

  void times() {
    // Retention: ms > minutes > hours; any negative result means unlimited (-1).
    std::string_view retention_key = "log.retention.hours";
    int64_t retention = 0;
    if (const Value* ms = get("log.retention.ms")) {
      retention_key = "log.retention.ms";
      retention = std::get<int64_t>(*ms);
    } else if (const Value* min = get("log.retention.minutes")) {
      retention_key = "log.retention.minutes";
      retention = std::get<int64_t>(*min) * 60000;
    } else {
      retention = *get_int("log.retention.hours") * 3600000;
    }
    if (retention < 0) retention = -1;
    if (retention == 0) error(retention_key, "expected " + expectation(broker_def(retention_key)));
    c_.log_retention_ms = retention;

    if (const Value* ms = get("log.roll.ms")) {
      c_.log_roll_ms = std::get<int64_t>(*ms);
    } else {
      c_.log_roll_ms = *get_int("log.roll.hours") * 3600000;
    }
    if (const Value* ms = get("log.roll.jitter.ms")) {
      c_.log_roll_jitter_ms = std::get<int64_t>(*ms);
    } else {
      c_.log_roll_jitter_ms = *get_int("log.roll.jitter.hours") * 3600000;
    }
    if (const Value* ms = get("log.flush.interval.ms")) {
      c_.log_flush_interval_ms = std::get<int64_t>(*ms);
    } else {
      c_.log_flush_interval_ms = c_.log_flush_scheduler_interval_ms;
    }
  }

  void network() {
    // Controller listener names (upper-cased like all listener names).
    c_.controller_listener_names.clear();
    if (const Value* v = get("controller.listener.names")) {
      for (const std::string& n : std::get<std::vector<std::string>>(*v)) {
        if (!n.empty()) c_.controller_listener_names.push_back(upper(n));
      }
    }
    std::string reason;
    auto map = parse_security_protocol_map(raw("listener.security.protocol.map"), &reason);
    if (!map) return;  // already reported by the key's own check
    if (!is_set("listener.security.protocol.map")) {
      // As Kafka: controller listeners default to PLAINTEXT when the map is implicit.
      for (const std::string& n : c_.controller_listener_names) map->emplace(n, SecurityProtocol{});
    }
    c_.listener_security_protocol_map = *map;

    auto is_controller = [&](const Listener& l) {
      return std::find(c_.controller_listener_names.begin(), c_.controller_listener_names.end(),
                       l.name) != c_.controller_listener_names.end();
    };
    auto listener_error = [&](std::string_view key, std::string_view why) {
      error(key, std::string(why) + "; expected " + std::string(kListenersExpect));
    };

    std::string listeners_raw = raw("listeners");
    auto all = parse_listeners(listeners_raw, *map, &reason);
    if (!all) return listener_error("listeners", reason);
    c_.listeners.clear();
    c_.controller_listeners.clear();
    for (const Listener& l : *all) {
      if (is_controller(l)) {
        c_.controller_listeners.push_back(l);
        continue;
      }
      if (l.protocol != SecurityProtocol::kPlaintext) {
        return error("listeners", "listener " + l.name + " uses security protocol " +
                                      std::string(to_string(l.protocol)) +
                                      ", which Fjord does not support; expected PLAINTEXT "
                                      "listeners only");
      }
      c_.listeners.push_back(l);
    }
    if (c_.listeners.empty()) {
      return listener_error("listeners", "no listener to serve clients on");
    }
    // Distinct ports, unless exactly one IPv4 and one IPv6 address share one.
    std::map<int32_t, std::vector<const Listener*>> by_port;
    for (const Listener& l : *all) {
      if (l.port != 0) by_port[l.port].push_back(&l);
    }
    for (const auto& [port, ls] : by_port) {
      bool ok =
          ls.size() == 1 ||
          (ls.size() == 2 && ((is_ipv4_literal(ls[0]->host) && is_ipv6_literal(ls[1]->host)) ||
                              (is_ipv6_literal(ls[0]->host) && is_ipv4_literal(ls[1]->host))));
      if (!ok) {
        return listener_error("listeners",
                              "port " + std::to_string(port) +
                                  " is used by more than one listener (only an IPv4 and an IPv6 "
                                  "address may share a port)");
      }
    }

    if (is_set("advertised.listeners")) {
      std::string adv_raw = raw("advertised.listeners");
      auto adv = parse_listeners(adv_raw, *map, &reason);
      if (!adv) return listener_error("advertised.listeners", reason);
      c_.advertised_listeners.clear();
      for (const Listener& l : *adv) {
        if (is_controller(l)) continue;  // clients never talk to a controller listener
        auto same = std::find_if(c_.listeners.begin(), c_.listeners.end(),
                                 [&](const Listener& x) { return x.name == l.name; });
        if (same == c_.listeners.end()) {
          std::vector<std::string> names;
          for (const Listener& x : c_.listeners) names.push_back(x.name);
          return error("advertised.listeners",
                       "listener name " + l.name +
                           " is not defined in listeners; expected names from [" +
                           join(names, ", ") + "]");
        }
        if (l.host == "0.0.0.0" || l.host == "::") {
          return error("advertised.listeners", "cannot advertise the non-routable address " +
                                                   l.host +
                                                   "; expected a host name or routable IP address");
        }
        if (l.port == 0) {
          return error("advertised.listeners",
                       "listener " + l.name + " advertises port 0; expected a port in [1, 65535]");
        }
        c_.advertised_listeners.push_back(l);
      }
      if (c_.advertised_listeners.empty()) {
        return listener_error("advertised.listeners", "no client listener is advertised");
      }
    } else {
      c_.advertised_listeners = c_.listeners;
    }

    if (const Value* v = get("inter.broker.listener.name")) {
      std::string name = upper(std::get<std::string>(*v));
      if (is_set("security.inter.broker.protocol")) {
        error("inter.broker.listener.name",
              "only one of inter.broker.listener.name and security.inter.broker.protocol may "
              "be set");
      }
      auto it = std::find_if(c_.listeners.begin(), c_.listeners.end(),
                             [&](const Listener& x) { return x.name == name; });
      if (it == c_.listeners.end()) {
        std::vector<std::string> names;
        for (const Listener& x : c_.listeners) names.push_back(x.name);
        error("inter.broker.listener.name",
              "expected the name of a listener in [" + join(names, ", ") + "]");
      }
      c_.inter_broker_listener_name = name;
    }
    c_.security_inter_broker_protocol = protocol_from_name(raw("security.inter.broker.protocol"))
                                            .value_or(SecurityProtocol::kPlaintext);

    c_.max_connections_per_ip_overrides.clear();
    for (const std::string& e : split_list(raw("max.connections.per.ip.overrides"))) {
      if (e.empty()) continue;
      size_t colon = e.rfind(':');
      int64_t n = 0;
      parse_int64(trim(std::string_view(e).substr(colon + 1)), &n);
      c_.max_connections_per_ip_overrides[std::string(trim(std::string_view(e).substr(0, colon)))] =
          static_cast<int32_t>(n);
    }
  }

  void cross_checks() {
    if (c_.group_min_session_timeout_ms > c_.group_max_session_timeout_ms) {
      error("group.max.session.timeout.ms", "expected at least group.min.session.timeout.ms (" +
                                                std::to_string(c_.group_min_session_timeout_ms) +
                                                ")");
    }
    if (c_.log_cleaner_min_compaction_lag_ms > c_.log_cleaner_max_compaction_lag_ms) {
      error("log.cleaner.max.compaction.lag.ms",
            "expected at least log.cleaner.min.compaction.lag.ms (" +
                std::to_string(c_.log_cleaner_min_compaction_lag_ms) + ")");
    }
    auto single_replica = [&](std::string_view key, int64_t v) {
      if (v > 1) {
        r_.warnings.push_back("Configuration " + std::string(key) + "=" + std::to_string(v) +
                              " has no effect: Fjord is a single node and keeps one replica");
      }
    };
    single_replica("offsets.topic.replication.factor", c_.offsets_topic_replication_factor);
    single_replica("transaction.state.log.replication.factor",
                   c_.transaction_state_log_replication_factor);
    single_replica("transaction.state.log.min.isr", c_.transaction_state_log_min_isr);
  }

  BrokerConfig& c_;
  const std::map<std::string, Value>& set_;
  LoadResult& r_;
};

}  // namespace

LoadResult load_config(const std::vector<Property>& properties) {
  LoadResult result;
  std::map<std::string, const Property*> merged;  // a later duplicate replaces an earlier one
  for (const Property& p : properties) merged[p.key] = &p;

  BrokerConfig c;
  for (const BrokerKey& b : broker_table()) {
    if (!b.apply || !b.k.def) continue;
    std::string err;
    auto v = parse_value(b.k, *b.k.def, &err);
    if (v) b.apply(c, *v);  // defaults are tested to parse
  }

  std::map<std::string, Value> set;
  for (const auto& [key, p] : merged) {
    auto it = broker_index().find(key);
    if (it == broker_index().end()) {
      std::string msg = "Unknown configuration '" + key + "' (" + p->origin + ") is ignored";
      if (is_topic_config(key)) {
        msg += "; it is a topic-level key, set it per topic (CreateTopics/AlterConfigs)";
      }
      result.warnings.push_back(std::move(msg));
      continue;
    }
    const BrokerKey& b = *it->second;
    std::string err;
    auto v = parse_value(b.k, p->value, &err);
    if (!v) {
      result.errors.push_back(std::move(err));
      continue;  // later checks see the default, so one bad value gives one error
    }
    c.static_configs[key] = std::string(trim(p->value));
    if (!b.k.honoured) {
      result.notices.push_back("Configuration '" + key + "' (" + p->origin +
                               ") is accepted but has no effect in Fjord: " + std::string(b.k.doc));
    }
    if (b.apply) b.apply(c, *v);
    set.emplace(key, std::move(*v));
  }

  Finisher(c, set, result).run();
  if (result.errors.empty()) result.config = std::move(c);
  return result;
}

LoadResult load_config(const std::optional<std::filesystem::path>& file,
                       const std::vector<std::string>& overrides) {
  std::vector<Property> props;
  std::vector<std::string> errors;
  if (file) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      LoadResult r;
      r.errors.push_back("Cannot read configuration file " + file->string() + ": " +
                         std::strerror(errno));
      return r;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    PropertiesParseResult parsed = parse_properties(buf.str(), file->string());
    props = std::move(parsed.properties);
    errors = std::move(parsed.errors);
  }
  for (const std::string& o : overrides) {
    std::string err;
    if (auto p = parse_override(o, &err)) {
      props.push_back(std::move(*p));
    } else {
      errors.push_back(std::move(err));
    }
  }
  LoadResult r = load_config(props);
  if (!errors.empty()) {
    r.errors.insert(r.errors.begin(), errors.begin(), errors.end());
    r.config.reset();
  }
  return r;
}

LoadResult load_config_from_string(std::string_view text,
                                   const std::vector<std::string>& overrides) {
  PropertiesParseResult parsed = parse_properties(text, "<string>");
  std::vector<std::string> errors = std::move(parsed.errors);
  for (const std::string& o : overrides) {
    std::string err;
    if (auto p = parse_override(o, &err)) {
      parsed.properties.push_back(std::move(*p));
    } else {
      errors.push_back(std::move(err));
    }
  }
  LoadResult r = load_config(parsed.properties);
  if (!errors.empty()) {
    r.errors.insert(r.errors.begin(), errors.begin(), errors.end());
    r.config.reset();
  }
  return r;
}

// ---------------------------------------------------------------------------
// Topic configuration
// ---------------------------------------------------------------------------

int64_t TopicConfig::effective_timestamp_before_max_ms() const {
  return message_timestamp_before_max_ms != kLongMax ? message_timestamp_before_max_ms
                                                     : message_timestamp_difference_max_ms;
}
int64_t TopicConfig::effective_timestamp_after_max_ms() const {
  return message_timestamp_after_max_ms != kLongMax ? message_timestamp_after_max_ms
                                                    : message_timestamp_difference_max_ms;
}

namespace {

struct TopicKey {
  KeyDef k;
  std::vector<std::string_view> synonyms;  // broker keys, highest precedence first
  void (*apply)(TopicConfig&, const Value&);
  std::string (*render)(const TopicConfig&);
};

template <auto M>
TopicKey tbind(KeyDef k, std::vector<std::string_view> synonyms) {
  return TopicKey{std::move(k), std::move(synonyms), &apply_member<TopicConfig, M>,
                  &render_member<TopicConfig, M>};
}

// Sorted by name.
const std::vector<TopicKey>& topic_table() {
  static const std::vector<TopicKey> table = [] {
    std::vector<TopicKey> t;
    t.push_back(tbind<&TopicConfig::cleanup_policy>(
        List("cleanup.policy", kNull,
             "delete: drop old segments by retention.ms/retention.bytes; compact: keep the "
             "latest record per key; both may be given.")
            .one_of({"compact", "delete"}),
        {"log.cleanup.policy"}));
    t.push_back(tbind<&TopicConfig::compression_gzip_level>(
        Int("compression.gzip.level", kNull, "gzip level when compression.type is gzip.")
            .between(1, 9)
            .or_value(-1),
        {"compression.gzip.level"}));
    t.push_back(tbind<&TopicConfig::compression_lz4_level>(
        Int("compression.lz4.level", kNull, "lz4 level when compression.type is lz4.")
            .between(1, 17),
        {"compression.lz4.level"}));
    t.push_back(tbind<&TopicConfig::compression_type>(
        Str("compression.type", kNull,
            "Codec of stored batches: producer keeps what the producer sent; uncompressed or a "
            "codec name recompresses.")
            .one_of({"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}),
        {"compression.type"}));
    t.push_back(tbind<&TopicConfig::compression_zstd_level>(
        Int("compression.zstd.level", kNull, "zstd level when compression.type is zstd.")
            .between(-131072, 22),
        {"compression.zstd.level"}));
    t.push_back(tbind<&TopicConfig::delete_retention_ms>(
        Long("delete.retention.ms", kNull,
             "How long tombstones stay readable in a compacted topic.")
            .at_least(0),
        {"log.cleaner.delete.retention.ms"}));
    t.push_back(tbind<&TopicConfig::file_delete_delay_ms>(
        Long("file.delete.delay.ms", kNull,
             "Delay before the files of a removed segment are deleted.")
            .at_least(0),
        {"log.segment.delete.delay.ms"}));
    t.push_back(tbind<&TopicConfig::flush_messages>(
        Long("flush.messages", kNull, "fsync the partition after this many messages.").at_least(1),
        {"log.flush.interval.messages"}));
    t.push_back(tbind<&TopicConfig::flush_ms>(
        Long("flush.ms", kNull, "fsync the partition when unflushed data is this old.").at_least(0),
        {"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}));
    t.push_back(tbind<&TopicConfig::follower_replication_throttled_replicas>(
        List("follower.replication.throttled.replicas", kNull,
             "Replication throttling list; accepted and ignored (no replication).")
            .check(check_throttled_replicas,
                   "'*' or a comma-separated list of partition:broker pairs")
            .ignored(),
        {}));
    t.push_back(tbind<&TopicConfig::index_interval_bytes>(
        Int("index.interval.bytes", kNull, "Bytes of log between offset index entries.")
            .at_least(0),
        {"log.index.interval.bytes"}));
    t.push_back(tbind<&TopicConfig::leader_replication_throttled_replicas>(
        List("leader.replication.throttled.replicas", kNull,
             "Replication throttling list; accepted and ignored (no replication).")
            .check(check_throttled_replicas,
                   "'*' or a comma-separated list of partition:broker pairs")
            .ignored(),
        {}));
    t.push_back(tbind<&TopicConfig::max_compaction_lag_ms>(
        Long("max.compaction.lag.ms", kNull,
             "Most time a record may stay ineligible for compaction.")
            .at_least(1),
        {"log.cleaner.max.compaction.lag.ms"}));
    t.push_back(tbind<&TopicConfig::max_message_bytes>(
        Int("max.message.bytes", kNull,
            "Largest record batch (after compression) accepted for this topic.")
            .at_least(0),
        {"message.max.bytes"}));
    t.push_back(tbind<&TopicConfig::message_downconversion_enable>(
        Bool("message.downconversion.enable", kNull,
             "Allow down-converting batches for fetchers that need the old format."),
        {"log.message.downconversion.enable"}));
    t.push_back(tbind<&TopicConfig::message_format_version>(
        Str("message.format.version", kNull,
            "Deprecated; accepted and ignored: Fjord always stores v2 batches.")
            .check(check_version_string, "a Kafka version such as 3.0-IV1")
            .ignored(),
        {"log.message.format.version"}));
    t.push_back(tbind<&TopicConfig::message_timestamp_after_max_ms>(
        Long("message.timestamp.after.max.ms", kNull,
             "Reject batches whose CreateTime is further in the future than this.")
            .at_least(0),
        {"log.message.timestamp.after.max.ms"}));
    t.push_back(tbind<&TopicConfig::message_timestamp_before_max_ms>(
        Long("message.timestamp.before.max.ms", kNull,
             "Reject batches whose CreateTime is further in the past than this.")
            .at_least(0),
        {"log.message.timestamp.before.max.ms"}));
    t.push_back(tbind<&TopicConfig::message_timestamp_difference_max_ms>(
        Long("message.timestamp.difference.max.ms", kNull,
             "Deprecated (KIP-937): fallback for the before/after limits.")
            .at_least(0),
        {"log.message.timestamp.difference.max.ms"}));
    t.push_back(tbind<&TopicConfig::message_timestamp_type>(
        Str("message.timestamp.type", kNull,
            "CreateTime keeps producer timestamps; LogAppendTime uses the broker's clock.")
            .one_of({"CreateTime", "LogAppendTime"}),
        {"log.message.timestamp.type"}));
    t.push_back(tbind<&TopicConfig::min_cleanable_dirty_ratio>(
        Double("min.cleanable.dirty.ratio", kNull,
               "Smallest dirty/total ratio at which the log is compacted.")
            .dbetween(0, 1),
        {"log.cleaner.min.cleanable.ratio"}));
    t.push_back(tbind<&TopicConfig::min_compaction_lag_ms>(
        Long("min.compaction.lag.ms", kNull, "Least time a record stays uncompacted.").at_least(0),
        {"log.cleaner.min.compaction.lag.ms"}));
    t.push_back(tbind<&TopicConfig::min_insync_replicas>(
        Int("min.insync.replicas", kNull,
            "Replicas that must acknowledge an acks=all write (Fjord has one).")
            .at_least(1),
        {"min.insync.replicas"}));
    t.push_back(tbind<&TopicConfig::preallocate>(
        Bool("preallocate", kNull, "Preallocate segment files on creation."), {"log.preallocate"}));
    t.push_back(tbind<&TopicConfig::retention_bytes>(
        Long("retention.bytes", kNull,
             "Delete old segments while the partition is larger than this; -1 = no limit."),
        {"log.retention.bytes"}));
    t.push_back(tbind<&TopicConfig::retention_ms>(
        Long("retention.ms", kNull, "Delete segments older than this; -1 = keep forever.")
            .at_least(-1),
        {"log.retention.ms", "log.retention.minutes", "log.retention.hours"}));
    t.push_back(tbind<&TopicConfig::segment_bytes>(
        Int("segment.bytes", kNull, "Largest size of one segment file.").at_least(14),
        {"log.segment.bytes"}));
    t.push_back(tbind<&TopicConfig::segment_index_bytes>(
        Int("segment.index.bytes", kNull, "Largest size of a segment's index files.").at_least(4),
        {"log.index.size.max.bytes"}));
    t.push_back(tbind<&TopicConfig::segment_jitter_ms>(
        Long("segment.jitter.ms", kNull, "Random jitter subtracted from segment.ms.").at_least(0),
        {"log.roll.jitter.ms", "log.roll.jitter.hours"}));
    t.push_back(tbind<&TopicConfig::segment_ms>(
        Long("segment.ms", kNull, "Roll a new segment after this time even if not full.")
            .at_least(1),
        {"log.roll.ms", "log.roll.hours"}));
    t.push_back(tbind<&TopicConfig::unclean_leader_election_enable>(
        Bool("unclean.leader.election.enable", kNull,
             "Accepted and reported; no effect on a single node."),
        {"unclean.leader.election.enable"}));
    return t;
  }();
  return table;
}

const TopicKey* find_topic_key(std::string_view key) {
  for (const TopicKey& t : topic_table()) {
    if (t.k.name == key) return &t;
  }
  return nullptr;
}

TopicConfig from_broker(const BrokerConfig& b) {
  TopicConfig t;
  t.cleanup_policy = b.log_cleanup_policy;
  t.compression_type = b.compression_type;
  t.compression_gzip_level = b.compression_gzip_level;
  t.compression_lz4_level = b.compression_lz4_level;
  t.compression_zstd_level = b.compression_zstd_level;
  t.delete_retention_ms = b.log_cleaner_delete_retention_ms;
  t.file_delete_delay_ms = b.log_segment_delete_delay_ms;
  t.flush_messages = b.log_flush_interval_messages;
  t.flush_ms = b.log_flush_interval_ms;
  t.index_interval_bytes = b.log_index_interval_bytes;
  t.max_compaction_lag_ms = b.log_cleaner_max_compaction_lag_ms;
  t.max_message_bytes = b.message_max_bytes;
  t.message_downconversion_enable = b.log_message_downconversion_enable;
  auto mfv = b.static_configs.find("log.message.format.version");
  t.message_format_version = mfv != b.static_configs.end() ? mfv->second : "3.0-IV1";
  t.message_timestamp_difference_max_ms = b.log_message_timestamp_difference_max_ms;
  t.message_timestamp_before_max_ms = b.log_message_timestamp_before_max_ms;
  t.message_timestamp_after_max_ms = b.log_message_timestamp_after_max_ms;
  t.message_timestamp_type = b.log_message_timestamp_type;
  t.min_cleanable_dirty_ratio = b.log_cleaner_min_cleanable_ratio;
  t.min_compaction_lag_ms = b.log_cleaner_min_compaction_lag_ms;
  t.min_insync_replicas = b.min_insync_replicas;
  t.preallocate = b.log_preallocate;
  t.retention_bytes = b.log_retention_bytes;
  t.retention_ms = b.log_retention_ms;
  t.segment_bytes = b.log_segment_bytes;
  t.segment_index_bytes = b.log_index_size_max_bytes;
  t.segment_jitter_ms = b.log_roll_jitter_ms;
  t.segment_ms = b.log_roll_ms;
  t.unclean_leader_election_enable = b.unclean_leader_election_enable;
  return t;
}

// Parses one override; on failure sets *error to the INVALID_CONFIG message.
std::optional<Value> parse_topic_value(std::string_view key, std::string_view value,
                                       const TopicKey** def, std::string* error) {
  *def = find_topic_key(key);
  if (!*def) {
    *error = "Unknown topic config name: " + std::string(key);
    return std::nullopt;
  }
  return parse_value((*def)->k, value, error);
}

}  // namespace

bool is_topic_config(std::string_view key) { return find_topic_key(key) != nullptr; }

TopicConfig effective(const BrokerConfig& broker,
                      const std::map<std::string, std::string>& overrides,
                      std::vector<std::string>* problems) {
  TopicConfig t = from_broker(broker);
  for (const auto& [key, value] : overrides) {
    const TopicKey* def = nullptr;
    std::string err;
    auto v = parse_topic_value(key, value, &def, &err);
    if (!v) {
      if (problems) problems->push_back(std::move(err));
      continue;
    }
    def->apply(t, *v);
  }
  return t;
}

std::optional<std::string> validate_topic_config(std::string_view key, std::string_view value) {
  const TopicKey* def = nullptr;
  std::string err;
  if (!parse_topic_value(key, value, &def, &err)) return err;
  return std::nullopt;
}

std::optional<std::string> validate_topic_configs(
    const BrokerConfig& broker, const std::map<std::string, std::string>& overrides) {
  for (const auto& [key, value] : overrides) {
    if (auto err = validate_topic_config(key, value)) return err;
  }
  TopicConfig t = effective(broker, overrides);
  if (t.min_compaction_lag_ms > t.max_compaction_lag_ms) {
    return "conflict topic config setting min.compaction.lag.ms (" +
           std::to_string(t.min_compaction_lag_ms) + ") > max.compaction.lag.ms (" +
           std::to_string(t.max_compaction_lag_ms) + ")";
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// DescribeConfigs
// ---------------------------------------------------------------------------

namespace {

// STATIC synonyms (set in the file, in order) then DEFAULT ones.
void broker_synonyms(const BrokerConfig& b, const std::vector<std::string_view>& names,
                     std::vector<ConfigSynonym>* out) {
  for (std::string_view n : names) {
    auto it = b.static_configs.find(std::string(n));
    if (it == b.static_configs.end()) continue;
    const KeyDef& k = broker_def(n);
    out->push_back({std::string(n), k.sensitive ? std::nullopt : std::optional(it->second),
                    ConfigSource::kStaticBrokerConfig});
  }
  for (std::string_view n : names) {
    const KeyDef& k = broker_def(n);
    if (!k.def) continue;
    out->push_back({std::string(n), k.sensitive ? std::nullopt : std::optional(std::string(*k.def)),
                    ConfigSource::kDefaultConfig});
  }
}

}  // namespace

std::vector<ConfigEntry> describe_topic(const BrokerConfig& broker,
                                        const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> valid;
  for (const auto& [key, value] : overrides) {
    if (!validate_topic_config(key, value)) valid.emplace(key, value);
  }
  TopicConfig t = effective(broker, valid);
  std::vector<ConfigEntry> out;
  for (const TopicKey& def : topic_table()) {
    ConfigEntry e;
    e.name = std::string(def.k.name);
    e.value = def.render(t);
    e.type = def.k.type;
    e.documentation = std::string(def.k.doc);
    e.read_only = false;
    e.sensitive = false;
    auto it = valid.find(e.name);
    if (it != valid.end()) {
      e.synonyms.push_back(
          {e.name, std::string(trim(it->second)), ConfigSource::kDynamicTopicConfig});
    }
    broker_synonyms(broker, def.synonyms, &e.synonyms);
    e.source = e.synonyms.empty() ? ConfigSource::kDefaultConfig : e.synonyms.front().source;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<ConfigEntry> describe_broker(const BrokerConfig& broker) {
  std::vector<ConfigEntry> out;
  for (const BrokerKey& b : broker_table()) {
    const KeyDef& k = b.k;
    std::string name(k.name);
    auto set = broker.static_configs.find(name);
    bool is_set = set != broker.static_configs.end();
    if (!k.honoured && !is_set) continue;
    ConfigEntry e;
    e.name = name;
    e.type = k.type;
    e.documentation = std::string(k.doc);
    e.read_only = true;  // Fjord has no dynamic broker configs
    e.sensitive = k.sensitive;
    e.source = is_set ? ConfigSource::kStaticBrokerConfig : ConfigSource::kDefaultConfig;
    if (name == "node.id" || name == "broker.id") {
      e.value = std::to_string(broker.node_id);
    } else if (is_set) {
      e.value = set->second;
    } else if (k.def) {
      e.value = std::string(*k.def);
    }
    if (k.sensitive) e.value.reset();
    std::vector<std::string_view> names{k.name};
    names.insert(names.end(), k.synonyms.begin(), k.synonyms.end());
    broker_synonyms(broker, names, &e.synonyms);
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(),
            [](const ConfigEntry& a, const ConfigEntry& b) { return a.name < b.name; });
  return out;
}

// ---------------------------------------------------------------------------
// Key catalogue
// ---------------------------------------------------------------------------

std::vector<ConfigKeyInfo> broker_config_keys() {
  std::vector<ConfigKeyInfo> out;
  for (const BrokerKey& b : broker_table()) {
    const KeyDef& k = b.k;
    ConfigKeyInfo i;
    i.name = std::string(k.name);
    i.type = k.type;
    if (k.def) i.default_value = std::string(*k.def);
    i.valid_values = expectation(k);
    i.documentation = std::string(k.doc);
    i.honoured = k.honoured;
    i.sensitive = k.sensitive;
    for (std::string_view s : k.synonyms) i.synonyms.emplace_back(s);
    out.push_back(std::move(i));
  }
  return out;
}

std::vector<ConfigKeyInfo> topic_config_keys() {
  LoadResult defaults = load_config(std::vector<Property>{});
  TopicConfig t = from_broker(*defaults.config);
  std::vector<ConfigKeyInfo> out;
  for (const TopicKey& def : topic_table()) {
    ConfigKeyInfo i;
    i.name = std::string(def.k.name);
    i.type = def.k.type;
    i.default_value = def.render(t);
    i.valid_values = expectation(def.k);
    i.documentation = std::string(def.k.doc);
    i.honoured = def.k.honoured;
    for (std::string_view s : def.synonyms) i.synonyms.emplace_back(s);
    out.push_back(std::move(i));
  }
  return out;
}

// ---------------------------------------------------------------------------
// meta.properties
// ---------------------------------------------------------------------------

namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(const std::array<uint8_t, 16>& bytes) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kBase64Url[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kBase64Url[(acc << (6 - bits)) & 0x3F];
  return out;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string generate_uuid() {
  std::random_device rd;
  while (true) {
    std::array<uint8_t, 16> bytes{};
    for (size_t i = 0; i < bytes.size(); i += 4) {
      uint32_t r = rd();
      std::memcpy(&bytes[i], &r, 4);
    }
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // IETF variant
    std::string s = base64url(bytes);
    if (s.front() != '-') return s;  // as Kafka: ids must not look like a CLI flag
  }
}

bool is_valid_uuid(std::string_view text) {
  if (text.size() == 24 && text.substr(22) == "==") text = text.substr(0, 22);
  if (text.size() != 22) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

MetaResult ensure_meta_properties(const BrokerConfig& config) {
  namespace fs = std::filesystem;
  MetaResult r;
  fs::path dir(config.log_dir);
  fs::path path = dir / "meta.properties";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    if (!in) {
      r.error = "Cannot read " + path.string();
      return r;
    }
    PropertiesParseResult parsed = parse_properties(buf.str(), path.string());
    if (!parsed.errors.empty()) {
      r.error = parsed.errors.front();
      return r;
    }
    std::map<std::string, std::string> props;
    for (Property& p : parsed.properties) props[p.key] = std::string(trim(p.value));
    MetaProperties m;
    int64_t n = 0;
    if (parse_int64(props["version"], &n) != IntParse::kOk || (n != 0 && n != 1)) {
      r.error =
          path.string() + ": unsupported version '" + props["version"] + "' (expected 0 or 1)";
      return r;
    }
    m.version = static_cast<int32_t>(n);
    m.cluster_id = props["cluster.id"];
    if (m.cluster_id.empty()) {
      r.error = path.string() + ": cluster.id is missing";
      return r;
    }
    std::string id_key = m.version == 0 ? "broker.id" : "node.id";
    if (parse_int64(props[id_key], &n) != IntParse::kOk || n < 0 || n > kIntMax) {
      r.error = path.string() + ": invalid " + id_key + " '" + props[id_key] + "'";
      return r;
    }
    m.node_id = static_cast<int32_t>(n);
    if (props.count("directory.id")) m.directory_id = props["directory.id"];
    if (m.node_id != config.node_id) {
      r.error = "Stored node id " + std::to_string(m.node_id) + " in " + path.string() +
                " doesn't match the configured node.id " + std::to_string(config.node_id) +
                ". If the data was moved, set node.id to " + std::to_string(m.node_id) + ".";
      return r;
    }
    if (config.cluster_id && *config.cluster_id != m.cluster_id) {
      r.error = "Configured cluster.id " + *config.cluster_id + " doesn't match cluster.id " +
                m.cluster_id + " stored in " + path.string();
      return r;
    }
    r.meta = std::move(m);
    return r;
  }

  fs::create_directories(dir, ec);
  if (ec) {
    r.error = "Cannot create log directory " + dir.string() + ": " + ec.message();
    return r;
  }
  MetaProperties m;
  m.version = 1;
  m.cluster_id = config.cluster_id ? *config.cluster_id : generate_uuid();
  m.node_id = config.node_id;
  m.directory_id = generate_uuid();
  std::string text =
      "#\n# Written by Fjord when this log directory was first used. Do not edit.\n"
      "cluster.id=" +
      m.cluster_id + "\ndirectory.id=" + *m.directory_id +
      "\nnode.id=" + std::to_string(m.node_id) + "\nversion=1\n";
  fs::path tmp = dir / "meta.properties.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    r.error = "Cannot write " + tmp.string() + ": " + std::strerror(errno);
    return r;
  }
  bool ok = write_all(fd, text) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    r.error = "Cannot write " + path.string() + ": " + std::strerror(saved);
    return r;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  r.meta = std::move(m);
  r.created = true;
  return r;
}

}  // namespace fjord::config
