// Hash feeds: loading, lookup and the reloading service (see hash_feed.hpp).
#include "attach/hash_feed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <unordered_map>

#include "core/feed_fields.hpp"

namespace postern::attach {
using core::feed_fields;
using core::feed_trim;
namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Sha256> parse_sha256(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256 out{};
  for (size_t i = 0; i < 32; ++i) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

postern::expected<HashFeed, std::string> HashFeed::load(const std::string& path,
                                                        size_t max_entries) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return postern::unexpected(fmt::format("hash feed {}: cannot open", path));
  HashFeed f;
  f.path_ = path;
  f.name_ = path.substr(path.find_last_of('/') + 1);
  f.labels_.emplace_back();
  std::unordered_map<std::string, uint32_t> label_index;  // label -> index in labels_
  size_t signature_col = SIZE_MAX, bad = 0, lineno = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.size() > 64 * 1024)
      return postern::unexpected(fmt::format("hash feed {}:{}: line over 64 KiB", path, lineno));
    std::string_view l = feed_trim(line);
    if (l.empty()) continue;
    if (l.front() == '#') {
      // abuse.ch: '# "first_seen_utc","sha256_hash",...,"signature",...'
      auto names = feed_fields(l.substr(1));
      for (size_t k = 0; k < names.size(); ++k)
        if (names[k] == "signature") signature_col = k;
      continue;
    }
    auto fs = feed_fields(l);
    std::optional<Sha256> h;
    for (auto fld : fs)
      if ((h = parse_sha256(fld))) break;
    if (!h) {
      ++bad;
      continue;
    }
    if (f.entries_.size() >= max_entries)
      return postern::unexpected(
          fmt::format("hash feed {}: more than {} entries", path, max_entries));
    uint32_t label = 0;
    if (signature_col < fs.size() && !fs[signature_col].empty() && fs[signature_col] != "n/a") {
      std::string_view sig = fs[signature_col].substr(0, 64);
      // A hash lookup per line: a full dump has ~10^6 lines and thousands of labels.
      auto it = label_index.find(std::string(sig));
      if (it != label_index.end()) {
        label = it->second;
      } else if (label_index.size() < 100000) {
        label = static_cast<uint32_t>(f.labels_.size());
        f.labels_.emplace_back(sig);
        label_index.emplace(std::string(sig), label);
      }
    }
    f.entries_.push_back({*h, label});
  }
  if (f.entries_.empty() && bad > 0)
    return postern::unexpected(
        fmt::format("hash feed {}: {} line(s) and no SHA-256 in any of them", path, bad));
  std::sort(f.entries_.begin(), f.entries_.end());
  return f;
}

std::optional<std::string_view> HashFeed::find(const Sha256& h) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), Entry{h, 0});
  if (it == entries_.end() || it->hash != h) return std::nullopt;
  return std::string_view(labels_[it->label]);
}

std::optional<FeedMatch> HashFeeds::Set::bad_match(const Sha256& h) const {
  for (const auto& f : bad)
    if (auto label = f.find(h)) return FeedMatch{f.name(), std::string(*label)};
  return std::nullopt;
}

bool HashFeeds::Set::good_match(const Sha256& h) const {
  return std::any_of(good.begin(), good.end(), [&](const HashFeed& f) { return f.find(h); });
}

size_t HashFeeds::Set::entries() const {
  size_t n = 0;
  for (const auto& f : bad) n += f.size();
  for (const auto& f : good) n += f.size();
  return n;
}

postern::expected<std::shared_ptr<const HashFeeds::Set>, std::string> HashFeeds::load_all() const {
  auto set = std::make_shared<Set>();
  for (const auto& p : cfg_.bad) {
    auto f = HashFeed::load(p);
    if (!f) return postern::unexpected(f.error());
    set->bad.push_back(std::move(*f));
  }
  for (const auto& p : cfg_.good) {
    auto f = HashFeed::load(p);
    if (!f) return postern::unexpected(f.error());
    set->good.push_back(std::move(*f));
  }
  return std::shared_ptr<const Set>(std::move(set));
}

postern::expected<std::shared_ptr<HashFeeds>, std::string> HashFeeds::start(HashFeedConfig cfg) {
  std::shared_ptr<HashFeeds> feeds(new HashFeeds(std::move(cfg)));
  auto set = feeds->load_all();
  if (!set) return postern::unexpected(set.error());
  feeds->set_.store(std::move(*set));
  std::vector<std::string> paths = feeds->cfg_.bad;
  paths.insert(paths.end(), feeds->cfg_.good.begin(), feeds->cfg_.good.end());
  feeds->watcher_.start(std::move(paths), feeds->cfg_.interval, [f = feeds.get()] {
    auto s = f->load_all();
    if (!s) return s.error();
    f->set_.store(std::move(*s));
    return std::string();
  });
  return feeds;
}

HashFeeds::~HashFeeds() = default;

}  // namespace postern::attach
