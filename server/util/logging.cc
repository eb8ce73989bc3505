#include "server/util/logging.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace fjord {

namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
const char* name_of(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
bool log_enabled(LogLevel level) { return level >= g_level.load(std::memory_order_relaxed); }

void log_line(LogLevel level, std::string_view component, const std::string& message) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  std::string line;
  line.reserve(message.size() + 64);
  line += '[';
  line += stamp;
  line += ',';
  char msbuf[8];
  std::snprintf(msbuf, sizeof msbuf, "%03d", static_cast<int>(ms));
  line += msbuf;
  line += "] ";
  line += name_of(level);
  line += ' ';
  line += message;
  line += " (";
  line += component;
  line += ")\n";
  // One write() per line keeps lines whole even with several threads.
  [[maybe_unused]] auto n = ::write(2, line.data(), line.size());
}

}  // namespace fjord
