// YARA rules over attachment bytes (libyara 4.2 behind one RAII wrapper).
//
// Contract: `YaraRules::compile_dir(dir)` compiles every regular `*.yar` / `*.yara`
// file of `dir` (not recursive; sorted by name), each file in its own namespace
// (the file name), into one immutable rule set. A file that does not compile fails
// the whole set: the result is every error as "file:line: message" and no rules.
// (Why all-or-nothing: YARA's compiler cannot be used again after an error, and a
// set that silently lacks a file would let an admin believe a rule is active; the
// service keeps the old set on a bad reload, as for any bad config.) An empty or
// missing directory is an error too ("no rule files"): the lead decides whether
// that is fatal. libyara is initialised once per process on first use and
// finalised when the last YaraRules is gone (reference counted, thread-safe).
//
// `scan(data, timeout_s)` is const and thread-safe: any number of threads may call
// it on one set at once. libyara 4.2's limits.h still documents YR_MAX_THREADS (32)
// as the number of threads that may use one YR_RULES at once (4.x scanners keep
// their matches per scanner and ERROR_TOO_MANY_SCAN_THREADS is legacy, but nothing
// promises that), so at most that many scans of one set run at a time; a scan
// beyond it waits for a slot, up to its timeout, and then returns an
// ATTACH_YARA_TIMEOUT hit (never an error, never a crash). Each matching rule gives
// one ATTACH_YARA hit ("namespace:rule", its meta description) scored by its meta
// `score` (an integer, or a string holding a number, since YARA 4.2 has no float
// metas; absent or not a number: the catalogued score). At most `max_matches` rules
// are reported. A timeout gives ATTACH_YARA_TIMEOUT (with what matched before it),
// another libyara error ATTACH_YARA_ERROR. Only the first `max_scan_bytes` of a
// file are scanned (then also an ATTACH_YARA_LIMIT hit).
//
// Reload: `files()` lists each compiled file with its mtime and size, and
// `changed()` tells whether the directory's rule files differ now (added, removed,
// touched); the service polls it and compiles a new set when it does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"
#include "core/expected.hpp"
#include "core/symbols.hpp"

namespace postern::attach {

inline constexpr std::string_view kDefaultYaraDir = "/etc/postern/yara";

struct YaraLimits {
  size_t max_files = 1000;              // rule files in the directory
  uintmax_t max_file_bytes = 8u << 20;  // size of one rule file
  size_t max_matches = 32;              // matching rules reported per scan
  size_t max_scan_bytes = 64u << 20;    // bytes of one file scanned; beyond: ATTACH_YARA_LIMIT
};

struct RuleFile {
  std::string path;
  int64_t mtime_ns = 0;
  uintmax_t size = 0;
  bool operator==(const RuleFile&) const = default;
};

struct YaraError {
  std::string file;  // "" for errors not about one file (directory, libyara)
  int line = 0;
  std::string message;
  std::string to_string() const;  // "file:line: message"
};

class YaraRules {
 public:
  static expected<std::shared_ptr<const YaraRules>, std::vector<YaraError>> compile_dir(
      const std::filesystem::path& dir = kDefaultYaraDir, const YaraLimits& limits = {});

  ~YaraRules();
  YaraRules(const YaraRules&) = delete;
  YaraRules& operator=(const YaraRules&) = delete;

  std::vector<Hit> scan(std::string_view data, int timeout_s) const;

  const std::vector<RuleFile>& files() const { return files_; }
  size_t rule_count() const { return rule_count_; }
  // True when the rule files of the directory differ from files() now.
  bool changed() const;

  struct Impl;

 private:
  YaraRules() = default;
  std::filesystem::path dir_;
  YaraLimits limits_;
  std::vector<RuleFile> files_;
  size_t rule_count_ = 0;
  std::unique_ptr<Impl> impl_;
};

// The ATTACH_YARA* symbols.
std::span<const core::SymbolInfo> yara_symbols();

}  // namespace postern::attach
