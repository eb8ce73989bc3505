// Minimal logging in Kafka's layout: "[2026-01-01 10:00:00,123] INFO message (component)".
// One line per event, written atomically to stderr.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace fjord {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view component, const std::string& message);

template <class... Args>
void log_message(LogLevel level, std::string_view component, Args&&... args) {
  if (!log_enabled(level)) return;
  std::ostringstream os;
  (os << ... << args);
  log_line(level, component, os.str());
}

#define FJORD_LOG_INFO(component, ...) \
  ::fjord::log_message(::fjord::LogLevel::kInfo, component, __VA_ARGS__)
#define FJORD_LOG_WARN(component, ...) \
  ::fjord::log_message(::fjord::LogLevel::kWarn, component, __VA_ARGS__)
#define FJORD_LOG_ERROR(component, ...) \
  ::fjord::log_message(::fjord::LogLevel::kError, component, __VA_ARGS__)
#define FJORD_LOG_DEBUG(component, ...) \
  ::fjord::log_message(::fjord::LogLevel::kDebug, component, __VA_ARGS__)

}  // namespace fjord
