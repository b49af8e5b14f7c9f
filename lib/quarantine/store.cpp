// The quarantine store: message files and their index (see store.hpp).
#include "quarantine/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "core/digest.hpp"
#include "core/state_file.hpp"
#include "quarantine/release.hpp"
#include "state/store.hpp"

namespace postern::quarantine {
namespace {

using json = nlohmann::json;

constexpr size_t kPage = 1000;
constexpr int64_t kDeleteGrace = 60;

// At most `max` bytes, cut at a UTF-8 character boundary.
std::string cut(std::string_view s, size_t max = kMaxTextField) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_sha_hex(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string state_error(const state::Error& e) {
  return "state store: " + state::to_string(e);
}

// mkdir with mode 0700 when missing (owned like its parent when run by root).
std::optional<std::string> ensure_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      core::adopt_directory_owner(fd, path);
      ::close(fd);
    }
    std::string parent = path.substr(0, path.find_last_of('/'));
    int pfd = ::open(parent.empty() ? "/" : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd >= 0) {
      bool ok = ::fsync(pfd) == 0;
      ::close(pfd);
      if (!ok) return fmt::format("cannot fsync {}: {}", parent, std::strerror(errno));
    }
    return std::nullopt;
  }
  if (errno == EEXIST) return std::nullopt;
  return fmt::format("cannot create {}: {}", path, std::strerror(errno));
}

}  // namespace

std::string to_json(const Entry& e) {
  json j = {{"id", e.id},
            {"time", e.time},
            {"direction", e.direction},
            {"sender", cut(e.sender)},
            {"recipient_count", std::max(e.recipient_count, e.recipients.size())},
            {"from", cut(e.from)},
            {"subject", cut(e.subject)},
            {"score", e.score},
            {"reason", cut(e.reason)},
            {"group", cut(e.group, 64)},
            {"expires", e.expires},
            {"sha256", e.sha256},
            {"size", e.size},
            {"scan_id", cut(e.scan_id, 64)},
            {"queue_id", cut(e.queue_id, 64)}};
  json r = json::array(), s = json::array();
  for (size_t i = 0; i < e.recipients.size() && i < kMaxListedRecipients; ++i)
    r.push_back(cut(e.recipients[i], 256));
  for (size_t i = 0; i < e.symbols.size() && i < kMaxListedSymbols; ++i)
    s.push_back(cut(e.symbols[i], 64));
  j["recipients"] = std::move(r);
  j["symbols"] = std::move(s);
  if (e.released_at) {
    j["released_at"] = e.released_at;
    j["released_by"] = cut(e.released_by, 128);
    json to = json::array();
    for (size_t i = 0; i < e.released_to.size() && i < kMaxListedRecipients; ++i)
      to.push_back(cut(e.released_to[i], 256));
    j["released_to"] = std::move(to);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<Entry> entry_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    Entry e;
    e.id = j.at("id").get<std::string>();
    e.time = j.at("time").get<int64_t>();
    e.direction = j.value("direction", "");
    e.sender = j.value("sender", "");
    e.recipients = j.value("recipients", std::vector<std::string>{});
    e.recipient_count = j.value("recipient_count", e.recipients.size());
    e.from = j.value("from", "");
    e.subject = j.value("subject", "");
    e.score = j.value("score", 0.0);
    e.symbols = j.value("symbols", std::vector<std::string>{});
    e.reason = j.value("reason", "");
    e.group = j.value("group", "");
    e.expires = j.value("expires", int64_t{0});
    e.sha256 = j.at("sha256").get<std::string>();
    e.size = j.value("size", uint64_t{0});
    e.scan_id = j.value("scan_id", "");
    e.queue_id = j.value("queue_id", "");
    e.released_at = j.value("released_at", int64_t{0});
    e.released_by = j.value("released_by", "");
    e.released_to = j.value("released_to", std::vector<std::string>{});
    if (!valid_id(e.id) || !is_sha_hex(e.sha256, 64)) return std::nullopt;
    return e;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

Store::Store(std::string dir, std::shared_ptr<state::Store> state, int64_t grace_seconds)
    : dir_(std::move(dir)), state_(std::move(state)), grace_(grace_seconds) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string Store::path_of(std::string_view sha) const {
  return fmt::format("{}/{}/{}", dir_, sha.substr(0, 2), sha.substr(2));
}

postern::expected<Entry, std::string> Store::put(Entry e, std::string_view message) const {
  if (e.id.empty()) e.id = new_id();
  e.sha256 = core::sha256_hex(message);
  e.size = message.size();
  const std::string path = path_of(e.sha256);
  struct stat st {};
  bool have = ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
              uint64_t(st.st_size) == e.size &&
              ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) == 0;
  if (!have) {
    if (auto err = ensure_dir(dir_)) return postern::unexpected(*err);
    if (auto err = ensure_dir(dir_ + "/" + e.sha256.substr(0, 2))) return postern::unexpected(*err);
    if (auto err = core::write_durably(path, message, 0600)) return postern::unexpected(*err);
  }
  if (auto r = update(e); !r) return postern::unexpected(r.error());
  return e;
}

postern::expected<std::optional<Entry>, std::string> Store::get(std::string_view id) const {
  if (!valid_id(id)) return std::optional<Entry>();
  auto r = state_->index_get(kIndexNamespace, id);
  if (!r) return postern::unexpected(state_error(r.error()));
  if (!*r) return std::optional<Entry>();
  auto e = entry_from_json((*r)->value);
  if (!e) return postern::unexpected(fmt::format("index entry {} is malformed", id));
  return e;
}

postern::expected<void, std::string> Store::update(const Entry& e) const {
  std::string value = to_json(e);
  if (value.size() > kMaxIndexValue)
    return postern::unexpected(
        fmt::format("index entry of {} bytes, over {}", value.size(), kMaxIndexValue));
  if (auto r = state_->index_add(kIndexNamespace, e.id, e.time, value); !r)
    return postern::unexpected(state_error(r.error()));
  return {};
}

postern::expected<void, std::string> Store::for_each(int64_t since, int64_t until,
                                                     const std::function<bool(Entry&&)>& fn) const {
  std::set<std::string> seen_at_edge;  // ids already given at time `until` of the page
  int64_t edge = INT64_MIN;
  for (;;) {
    auto r = state_->index_range(kIndexNamespace, since, until, kPage);
    if (!r) return postern::unexpected(state_error(r.error()));
    size_t fresh = 0;
    for (auto& ie : *r) {
      if (ie.time == edge && seen_at_edge.contains(ie.id)) continue;
      ++fresh;
      auto e = entry_from_json(ie.value);
      if (!e) continue;  // not ours: skipped (list) and kept (sweep)
      if (!fn(std::move(*e))) return {};
    }
    if (r->size() < kPage) return {};
    int64_t last = r->back().time;
    if (fresh == 0) {  // a whole page at one second: move past it
      if (last == since) return {};
      until = last - 1;
      seen_at_edge.clear();
      edge = INT64_MIN;
      continue;
    }
    if (last != edge) seen_at_edge.clear();
    edge = last;
    for (auto& ie : *r)
      if (ie.time == last) seen_at_edge.insert(ie.id);
    until = last;
  }
}

postern::expected<std::vector<Entry>, std::string> Store::list(const Filter& f) const {
  std::vector<Entry> out;
  const std::string rcpt = lower(f.rcpt), from = lower(f.from);
  auto r = for_each(f.since, f.until, [&](Entry&& e) {
    if (!rcpt.empty() && std::none_of(e.recipients.begin(), e.recipients.end(),
                                      [&](const std::string& a) { return lower(a) == rcpt; }))
      return true;
    if (!from.empty() && lower(e.sender).find(from) == std::string::npos &&
        lower(e.from).find(from) == std::string::npos)
      return true;
    if (!f.symbol.empty() &&
        std::find(e.symbols.begin(), e.symbols.end(), f.symbol) == e.symbols.end())
      return true;
    out.push_back(std::move(e));
    return out.size() < f.limit;
  });
  if (!r) return postern::unexpected(r.error());
  return out;
}

postern::expected<std::string, std::string> Store::read_message(const Entry& e) const {
  const std::string path = path_of(e.sha256);
  auto data = core::read_file(path, e.size);
  if (!data) return postern::unexpected(fmt::format("{}: missing or unreadable", path));
  if (core::sha256_hex(*data) != e.sha256)
    return postern::unexpected(fmt::format("{}: its SHA-256 does not match the entry", path));
  return *data;
}

postern::expected<bool, std::string> Store::remove(std::string_view id) const {
  auto e = get(id);
  if (!e) return postern::unexpected(e.error());
  if (!*e) return false;
  if (auto r = state_->index_remove(kIndexNamespace, id); !r)
    return postern::unexpected(state_error(r.error()));
  bool shared = false;
  auto r = for_each(0, INT64_MAX, [&](Entry&& other) {
    shared = other.sha256 == (*e)->sha256;
    return !shared;
  });
  if (!r) return postern::unexpected(r.error());
  const std::string path = path_of((*e)->sha256);
  struct stat st {};
  // An operator's delete takes the file at once, but for one a put wrote or touched in
  // the last minute (the same message quarantined again just now): the sweep takes that.
  if (!shared && ::stat(path.c_str(), &st) == 0 &&
      st.st_mtime < ::time(nullptr) - std::min<int64_t>(grace_, kDeleteGrace) &&
      ::unlink(path.c_str()) != 0 && errno != ENOENT)
    return postern::unexpected(fmt::format("cannot remove {}: {}", path, std::strerror(errno)));
  return true;
}

postern::expected<SweepReport, std::string> Store::sweep(int64_t now) const {
  SweepReport rep;
  std::vector<std::string> expired;
  std::set<std::string> live;
  auto r = for_each(0, INT64_MAX, [&](Entry&& e) {
    if (e.expires && e.expires <= now) {
      expired.push_back(e.id);
    } else {
      live.insert(e.sha256);
      ++rep.kept;
      rep.kept_bytes += e.size;
    }
    return true;
  });
  if (!r) return postern::unexpected(r.error());
  for (const auto& id : expired) {
    auto gone = state_->index_remove(kIndexNamespace, id);
    if (!gone) return postern::unexpected(state_error(gone.error()));
    rep.entries += *gone ? 1 : 0;
  }
  // Files no live entry names, older than the grace (a put may have just written one).
  const int64_t cutoff = now - grace_;
  DIR* top = ::opendir(dir_.c_str());
  if (!top) {
    if (errno == ENOENT) return rep;
    return postern::unexpected(fmt::format("cannot read {}: {}", dir_, std::strerror(errno)));
  }
  while (dirent* d = ::readdir(top)) {
    std::string_view fan = d->d_name;
    if (!is_sha_hex(fan, 2)) continue;
    const std::string sub = dir_ + "/" + std::string(fan);
    DIR* inner = ::opendir(sub.c_str());
    if (!inner) continue;
    while (dirent* f = ::readdir(inner)) {
      std::string_view name = f->d_name;
      const bool message = is_sha_hex(name, 62);
      const bool temp = name.find(".tmp.") != std::string_view::npos;
      if (!message && !temp) continue;
      if (message && live.contains(std::string(fan) + std::string(name))) continue;
      const std::string path = sub + "/" + std::string(name);
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_mtime >= cutoff)
        continue;
      if (::unlink(path.c_str()) == 0)
        rep.files += message ? 1 : 0;
      else if (errno != ENOENT)
        rep.errors.push_back(fmt::format("cannot remove {}: {}", path, std::strerror(errno)));
    }
    ::closedir(inner);
  }
  ::closedir(top);
  return rep;
}

}  // namespace postern::quarantine
