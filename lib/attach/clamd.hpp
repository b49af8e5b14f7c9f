// A clamd client: scans a file with a running clamd over its socket (zINSTREAM).
//
// Contract: `ClamdClient::create(config)` checks the address ("unix:/path", a bare
// "/path", or "tcp:HOST:PORT" with HOST an address, "[v6]" or a name resolved
// once here) and the bounds; nothing is connected yet. `scan(data)` opens one
// connection per call, sends "zINSTREAM\0", the data in chunks of a 4-byte
// big-endian length and the bytes, then a zero length, and reads clamd's
// NUL-terminated replies until it closes. Every wait has a bound: connect
// (`connect_timeout`), each send and receive (`io_timeout`), the whole exchange
// (`scan_timeout`); the reply is at most kMaxClamdReply bytes. A file larger than
// `max_stream` (set it to clamd's StreamMaxLength) is not sent, and clamd's own
// "INSTREAM size limit exceeded" reply is read even when clamd closed the socket
// mid-send: both are the limit finding "Heuristics.Limits.Exceeded.StreamMaxLength"
// (→ ATTACH_CLAMAV_LIMIT), never clean. The result is the in-process engine's
// ScanResult (clamav.hpp), so `to_hits` gives the same Hits (the heuristics are
// clamd's own settings: AlertEncrypted, AlertOLE2Macros, AlertExceedsMax, ... in
// clamd.conf; set AlertExceedsMax so a limit is never a silent OK); any failure
// (connect, timeout, a reply that is not exactly one of clamd's forms) is an
// Error, for the stage's on_error. Thread-safe (const; no shared connection).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "attach/clamav.hpp"
#include "core/expected.hpp"

namespace postern::attach {

inline constexpr size_t kMaxClamdReply = 4096;
// The name postern gives clamd's "INSTREAM size limit exceeded" (and a file over
// max_stream), in ClamAV's own form for limits.
inline constexpr std::string_view kClamdStreamLimitName =
    "Heuristics.Limits.Exceeded.StreamMaxLength";

struct ClamdConfig {
  std::string address = "unix:/run/clamav/clamd.ctl";
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds io_timeout{30000};     // any one wait to send or receive
  std::chrono::milliseconds scan_timeout{120000};  // the whole exchange (clamd's MaxScanTime)
  uint64_t max_stream = 100ull << 20;              // clamd's StreamMaxLength default
  size_t chunk_size = 64 << 10;                    // bytes per INSTREAM chunk
};

class ClamdClient {
 public:
  static postern::expected<ClamdClient, std::string> create(const ClamdConfig& config);

  ScanResult scan(std::string_view data) const;

 private:
  ClamdConfig config_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
};

// clamd's replies to one zINSTREAM (each NUL-terminated) as a result: "stream: OK",
// "stream: NAME FOUND" (one or more, all-match), "INSTREAM size limit exceeded.
// ERROR", "... ERROR"; anything else, an unterminated reply or OK mixed with FOUND
// is an Error.
ScanResult parse_clamd_reply(std::string_view reply);

}  // namespace postern::attach
