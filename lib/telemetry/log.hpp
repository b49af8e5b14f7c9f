// log: the daemon's diagnostic log (syslog or stderr), not the event log.
//
// Contract: `init` once at startup (and again after a reload that changes the
// target); the functions are thread-safe. Four levels as in Postfix: info,
// warn (carry on), error (counted, carry on), fatal (the caller exits).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace postern::telemetry {

enum class LogLevel { Info, Warn, Error, Fatal };

void log_init(std::string_view ident, bool to_syslog);
void log_line(LogLevel level, std::string_view message);

template <typename... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  log_line(LogLevel::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... args) {
  log_line(LogLevel::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_error(fmt::format_string<Args...> f, Args&&... args) {
  log_line(LogLevel::Error, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_fatal(fmt::format_string<Args...> f, Args&&... args) {
  log_line(LogLevel::Fatal, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace postern::telemetry
