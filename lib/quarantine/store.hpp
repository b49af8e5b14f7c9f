// Quarantine store: quarantined messages as files, and their index in the state
// store (state/store.hpp, namespace "quarantine").
//
// Contract: `put(entry, message)` writes `message` (the message exactly as it
// leaves) to <dir>/<sha256[0..2]>/<sha256[2..]>: content-addressed (the same
// bytes twice are one file), through core::write_durably (temporary file,
// fsync, rename, directory fsync; mode 0600, owned like the directory when run
// by root); a file already there is only touched (its mtime is the guard the
// sweep honours). Then the entry (id: new_id() when empty, sha256, size) is
// added to the index at its time, as one JSON value of at most kMaxIndexValue
// bytes (long fields are cut, lists bounded). Any failure is an error, one
// line: nothing is indexed without its file.
// `get`, `update` (same id and time), `list(filter)` (newest first),
// `read_message` (the file, checked against the entry's SHA-256),
// `remove(id)` (the entry; its file when no other entry names it and it was
// written or touched more than a minute ago, or the grace when shorter; else
// the sweep takes it), `sweep(now)`: removes the entries whose `expires` is
// past, then every message file that no entry names and whose mtime is older
// than `grace` seconds (a file a concurrent put just wrote or touched stays),
// and stale temporary files. Thread-safe as the state store is; the files are
// shared by every host that mounts the directory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace postern::state {
class Store;
}

namespace postern::quarantine {

inline constexpr std::string_view kIndexNamespace = "quarantine";
inline constexpr size_t kMaxIndexValue = 16 * 1024;
inline constexpr size_t kMaxListedRecipients = 50;
inline constexpr size_t kMaxListedSymbols = 100;
inline constexpr size_t kMaxTextField = 512;

struct Entry {
  std::string id;
  int64_t time = 0;  // Unix seconds it was quarantined
  std::string direction;
  std::string sender;                   // envelope sender ("" = null sender)
  std::vector<std::string> recipients;  // envelope recipients
  size_t recipient_count = 0;           // all of them (recipients holds at most 50)
  std::string from, subject;            // header From and Subject, decoded as written
  double score = 0;
  std::vector<std::string> symbols;  // the findings' symbols, distinct
  std::string reason;
  std::string group;
  int64_t expires = 0;  // Unix seconds the sweep removes it after
  std::string sha256;   // of the message file
  uint64_t size = 0;
  std::string scan_id, queue_id;
  int64_t released_at = 0;  // 0 = not released
  std::string released_by;
  std::vector<std::string> released_to;
};

std::string to_json(const Entry& e);
std::optional<Entry> entry_from_json(std::string_view json);

struct Filter {
  int64_t since = 0, until = INT64_MAX;
  std::string rcpt{};    // a recipient equal to it (case-insensitive); "" = any
  std::string from{};    // envelope sender or header From containing it (case-insensitive)
  std::string symbol{};  // a finding symbol equal to it
  size_t limit = 100;
};

struct SweepReport {
  size_t entries = 0, files = 0;  // removed
  size_t kept = 0;                // entries left after the sweep
  uint64_t kept_bytes = 0;        // their messages' sizes (a file two entries name counts twice)
  std::vector<std::string> errors;
};

class Store {
 public:
  Store(std::string dir, std::shared_ptr<state::Store> state, int64_t grace_seconds = 3600);

  postern::expected<Entry, std::string> put(Entry e, std::string_view message) const;
  postern::expected<std::optional<Entry>, std::string> get(std::string_view id) const;
  postern::expected<void, std::string> update(const Entry& e) const;
  postern::expected<std::vector<Entry>, std::string> list(const Filter& f) const;
  postern::expected<std::string, std::string> read_message(const Entry& e) const;
  postern::expected<bool, std::string> remove(std::string_view id) const;
  postern::expected<SweepReport, std::string> sweep(int64_t now) const;

  std::string path_of(std::string_view sha256) const;
  const std::string& dir() const { return dir_; }

 private:
  // Every entry with since <= time <= until, newest first, page by page; `fn` false stops.
  postern::expected<void, std::string> for_each(int64_t since, int64_t until,
                                                const std::function<bool(Entry&&)>& fn) const;
  std::string dir_;
  std::shared_ptr<state::Store> state_;
  int64_t grace_;
};

}  // namespace postern::quarantine
