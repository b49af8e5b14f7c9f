// ICAP client (RFC 3507): sends one file to an ICAP server's RESPMOD service
// (an antivirus gateway such as c-icap's virus_scan, or a sandbox front end)
// and reads its verdict.
//
// Contract: `icap_scan(config, data, name)` opens one TCP connection, sends the
// file as the body of an encapsulated HTTP response (a GET of /<name>, then
// "200 OK" with the bytes, chunked) with "Allow: 204" and "Connection: close",
// and reads the reply to the end (at most kMaxReply bytes). 204 No Content or
// a 200 that names no threat is Clean; a reply whose ICAP headers name a threat
// (X-Infection-Found "Threat=NAME;", X-Violations-Found, X-Virus-ID) is
// Infected with that name; anything else (connect or I/O failure within the
// timeouts, an ICAP status other than 200/204, a garbled reply) is Error with
// the reason, never Clean. A file over `max_bytes` is TooLarge (not sent).
// Blocking, bounded by the timeouts (each poll waits at most io_timeout; the
// whole exchange at most `deadline`). Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace postern::attach {

struct IcapConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 1344;
  std::string service = "avscan";  // the path of icap://host:port/service
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds io_timeout{10000};  // between two reads or writes
  std::chrono::milliseconds deadline{60000};    // the whole exchange
  size_t max_bytes = size_t{32} << 20;
  bool operator==(const IcapConfig&) const = default;
};

// "icap://host[:port]/service" into a config (timeouts and size left as they are).
postern::expected<IcapConfig, std::string> parse_icap_url(std::string_view url,
                                                          IcapConfig base = {});

inline constexpr size_t kMaxIcapReply = 1 << 20;

struct IcapResult {
  enum class Status { Clean, Infected, TooLarge, Error };
  Status status = Status::Error;
  std::string threat;   // Infected: the name the server gave
  std::string error;    // Error: why
  int icap_status = 0;  // the server's status code, 0 when none was read
};

IcapResult icap_scan(const IcapConfig& config, std::string_view data, std::string_view name);

}  // namespace postern::attach
