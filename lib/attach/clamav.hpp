// ClamAV in process: one compiled engine shared by every scanning thread, and the
// service that reloads it without a gap.
//
// Contract: `ClamEngine::load(config)` loads every signature database of the
// configured directories (a directory that does not exist is skipped; no
// signatures at all is an error), sets the engine limits and compiles. A compiled
// engine is immutable; `scan` may be called from any number of threads at once.
// `scan` reads the bytes in place (cl_fmap_open_memory: no copy, no temp file)
// and returns clean, found (the ClamAV names) or error; it never returns clean
// for a file it did not scan: a limit that is hit is reported by ClamAV as a
// "Heuristics.Limits.Exceeded.*" name (the exceeds-max alert is always on).
// `to_hits` maps a result to Hits (lib/attach/hit.hpp); an error stays an error:
// the attach stage turns it into its on_error action (tempfail by default).
//
// `ClamService::start` loads the first engine (its failure is the caller's
// startup error) and starts one background thread that checks the database
// files every `check_interval` (names, sizes, mtimes in ns, inodes) and on
// `request_check()`; `reload_now()` reloads on the calling thread. A new engine
// is built off to the side and swapped in only when it compiled; a failed
// reload keeps the engine that serves and records why (`status()`). `current()`
// never returns null once start() succeeded; an old engine is freed by the
// background thread within ~100 ms of the last scan holding it returning (never
// by a scanning thread). The destructor stops the thread (condition variable: no
// polling delay; a reload in progress is finished first). libclamav's own messages go nowhere,
// except those logged while a database loads, which become the load error's text.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "attach/hit.hpp"
#include "attach/sha_cache.hpp"
#include "core/expected.hpp"
#include "core/symbols.hpp"

struct cl_engine;

namespace postern::attach {

// The heuristic alerts of a scan (ClamAV's CL_SCAN_HEURISTIC_* switches).
struct ClamHeuristics {
  bool macros = true;               // Heuristics.OLE2.ContainsMacros
  bool encrypted_archives = true;   // Heuristics.Encrypted.{Zip,RAR,7Zip,...}
  bool encrypted_documents = true;  // Heuristics.Encrypted.PDF, ...
  bool broken_executables = true;   // Heuristics.Broken.Executable
  // Mail links whose text and target disagree, against the .pdb/.wdb databases
  // (loaded only when on): Heuristics.Phishing.Email.{SpoofedDomain,SSL-Spoof,Cloaked.*}.
  bool phishing = true;
  bool structured = false;  // credit card and SSN numbers: many false positives
};

// Engine limits; the defaults are clamd's (clamd.conf(5), ClamAV 1.4).
struct ClamLimits {
  uint64_t max_scansize = 400ull << 20;  // bytes scanned per input, archives included
  uint64_t max_filesize = 100ull << 20;  // an input or inner file larger is not scanned
  uint32_t max_recursion = 17;           // nested containers
  uint32_t max_files = 10000;            // files per container
  uint32_t max_scantime_ms = 120000;     // per scan; 0 would disable it (refused)
};

struct ClamConfig {
  std::vector<std::string> database_dirs{"/var/lib/clamav", "/etc/postern/clamav"};
  // Where libclamav extracts archive members while it scans (its own temp files,
  // removed after each scan); empty: $TMPDIR or /tmp.
  std::string tmpdir{};
  ClamLimits limits{};
  ClamHeuristics heuristics{};
  // Report every signature that matches instead of the first: ClamAV then keeps
  // scanning after a match (costs the rest of the file). Off: first match.
  bool all_matches = false;
};

enum class ScanStatus { Clean, Found, Error };

struct ScanResult {
  ScanStatus status = ScanStatus::Error;
  std::vector<std::string> names;  // Found: the ClamAV names, at least one
  std::string error;               // Error: what failed
  uint64_t scanned_bytes = 0;      // as ClamAV counts them (in-process only)
};

inline constexpr size_t kClamCacheEntries = 4096;

class ClamEngine {
 public:
  // Loads and compiles; the error names the directory or file and ClamAV's reason.
  static postern::expected<std::shared_ptr<const ClamEngine>, std::string> load(
      const ClamConfig& config);

  ~ClamEngine();
  ClamEngine(const ClamEngine&) = delete;
  ClamEngine& operator=(const ClamEngine&) = delete;

  // Scans `data` (the whole file) in place; `name` is only shown to ClamAV. With
  // `key` (the SHA-256 of data) a result found before by this engine is given again
  // without a scan: clean and found results are kept (kClamCacheEntries, LRU), never
  // an error or a limit hit (Heuristics.Limits.Exceeded.*: it may depend on the load).
  // The cache is this engine's: a reload starts with an empty one.
  ScanResult scan(std::string_view data, std::string_view name, const Sha256* key = nullptr) const;
  ShaCache<ScanResult>::Stats cache_stats() const { return results_.stats(); }

  unsigned signatures() const { return signatures_; }
  std::chrono::milliseconds load_time() const { return load_time_; }
  const std::vector<std::string>& loaded_dirs() const { return loaded_dirs_; }

  // Engines alive in the process (a test and the service's status can see old
  // engines being freed).
  static size_t live_engines();

 private:
  struct EngineDeleter {
    void operator()(cl_engine* e) const;
  };
  ClamEngine() = default;

  std::unique_ptr<cl_engine, EngineDeleter> engine_;
  ClamConfig config_;
  unsigned signatures_ = 0;
  std::chrono::milliseconds load_time_{0};
  std::vector<std::string> loaded_dirs_;
  mutable ShaCache<ScanResult> results_{kClamCacheEntries};
};

// The symbol a ClamAV name maps to (ATTACH_VIRUS for a signature, the closest
// ATTACH_* for a Heuristics.* name); the detail is the name.
Hit clamav_hit(std::string_view clamav_name);
// Found: one Hit per name; Clean: none; Error: the error text.
postern::expected<std::vector<Hit>, std::string> to_hits(const ScanResult& result);

// The ATTACH_* symbols of ClamAV findings (in-process and clamd).
std::span<const core::SymbolInfo> clam_symbols();

struct ClamServiceStatus {
  uint64_t reloads = 0;         // engines swapped in after the first
  uint64_t failed_reloads = 0;  // reloads that kept the old engine
  std::string last_error;       // of the last failed reload; empty after a success
  std::chrono::system_clock::time_point last_reload{};  // last attempt
  std::chrono::milliseconds last_load_time{0};
  unsigned signatures = 0;  // of the engine serving
};

class ClamService {
 public:
  // Loads the first engine; fails as ClamEngine::load does. An interval of zero
  // means no periodic check (request_check and reload_now still work).
  static postern::expected<std::unique_ptr<ClamService>, std::string> start(
      const ClamConfig& config, std::chrono::milliseconds check_interval);
  ~ClamService();
  ClamService(const ClamService&) = delete;
  ClamService& operator=(const ClamService&) = delete;

  // The engine serving: hold the pointer for the duration of one scan.
  std::shared_ptr<const ClamEngine> current() const { return current_.load(); }

  // Reloads now on this thread (serialized with the background check), whether or
  // not the files changed; returns the new engine, or the load error when it kept
  // the old one.
  postern::expected<std::shared_ptr<const ClamEngine>, std::string> reload_now();
  // Wakes the background thread to check the files now (returns at once).
  void request_check();

  ClamServiceStatus status() const;

 private:
  ClamService(const ClamConfig& config, std::chrono::milliseconds interval);
  void run();
  void reap();
  std::string fingerprint() const;
  postern::expected<std::shared_ptr<const ClamEngine>, std::string> reload_locked(std::string fp);

  const ClamConfig config_;
  const std::chrono::milliseconds interval_;
  std::atomic<std::shared_ptr<const ClamEngine>> current_;

  std::mutex reload_mu_;  // one reload at a time; guards seen_
  std::string seen_;      // fingerprint of the files the last load attempt read

  mutable std::mutex status_mu_;
  ClamServiceStatus status_;

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool stop_ = false, check_requested_ = false, reap_requested_ = false;
  std::thread thread_;

  // Engines swapped out and maybe still held by a scan: freed by the service's
  // thread once no scan holds them (cl_engine_free of a full database takes long:
  // a scanning thread never pays for it).
  std::mutex retired_mu_;
  std::vector<std::shared_ptr<const ClamEngine>> retired_;
};

}  // namespace postern::attach
