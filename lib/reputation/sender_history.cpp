// SenderHistory: an LRU set of hashed (sender, domain) keys over an append-only
// file, compacted by write-temp-and-rename.
#include "reputation/sender_history.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/address.hpp"
#include "core/digest.hpp"
#include "core/state_file.hpp"

namespace postern::reputation {
namespace {

constexpr std::string_view kHeader = "postern-sender-history 1";
constexpr size_t kKeyBytes = 16;

// A key line: 32 lower-case hex digits.
bool key_line(std::string_view line) {
  return line.size() == kKeyBytes * 2 && std::all_of(line.begin(), line.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

SenderHistory::SenderHistory(std::string path, size_t max_entries)
    : path_(std::move(path)), max_(max_entries == 0 ? 1 : max_entries) {}

SenderHistory::~SenderHistory() {
  if (fd_ >= 0) ::close(fd_);
}

std::shared_ptr<SenderHistory> SenderHistory::in_memory(size_t max_entries) {
  return std::shared_ptr<SenderHistory>(new SenderHistory("", max_entries));
}

postern::expected<std::shared_ptr<SenderHistory>, std::string> SenderHistory::open(
    std::string path, size_t max_entries) {
  std::shared_ptr<SenderHistory> h(new SenderHistory(path, max_entries));
  bool exists = false;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      exists = true;
      std::string line;
      if (!std::getline(in, line) || line != kHeader) {
        if (!in.eof() || !line.empty())
          return postern::unexpected(fmt::format(
              "{}: not a sender history file (first line is not \"{}\")", path, kHeader));
        exists = false;  // empty file: start it
      }
      while (std::getline(in, line)) {
        if (!key_line(line)) {
          ++h->corrupt_;
          continue;
        }
        ++h->file_lines_;
        h->insert_locked(line);
      }
      if (in.bad()) return postern::unexpected(fmt::format("{}: cannot read it", path));
    } else if (::access(path.c_str(), F_OK) == 0) {
      return postern::unexpected(fmt::format("{}: cannot read it: {}", path, std::strerror(errno)));
    }
  }
  h->fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (h->fd_ < 0)
    return postern::unexpected(
        fmt::format("{}: cannot open it for appending: {}", path, std::strerror(errno)));
  if (!exists) core::adopt_directory_owner(h->fd_, path);
  if (!exists && !core::write_all(h->fd_, fmt::format("{}\n", kHeader)))
    return postern::unexpected(fmt::format("{}: cannot write it: {}", path, std::strerror(errno)));
  // A file with corrupt lines, or longer than the bound, is rewritten now.
  if (h->corrupt_ > 0 || h->file_lines_ > 2 * h->max_) {
    std::lock_guard lock(h->mu_);
    h->compact_locked();
  }
  return h;
}

SenderHistory::Key SenderHistory::key(std::string_view sender, std::string_view domain) {
  std::string in = core::to_lower(sender);
  in.push_back('\n');
  in += core::to_lower(domain);
  return core::sha256_hex(in).substr(0, kKeyBytes * 2);
}

bool SenderHistory::seen(std::string_view sender, std::string_view domain) const {
  const Key k = key(sender, domain);
  std::lock_guard lock(mu_);
  return index_.contains(k);
}

void SenderHistory::insert_locked(const Key& k) {
  if (auto it = index_.find(k); it != index_.end()) {
    order_.splice(order_.end(), order_, it->second);  // refreshed: now the newest
    return;
  }
  if (index_.size() >= max_) {
    index_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(k);
  index_[k] = std::prev(order_.end());
}

void SenderHistory::record(std::string_view sender, std::string_view domain) {
  const Key k = key(sender, domain);
  std::lock_guard lock(mu_);
  insert_locked(k);
  if (fd_ < 0) return;
  if (!core::write_all(fd_, k + "\n")) {
    ++write_errors_;
    return;
  }
  if (++file_lines_ > 2 * max_) compact_locked();
}

void SenderHistory::compact_locked() {
  if (path_.empty()) return;
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    ++write_errors_;
    return;
  }
  core::adopt_directory_owner(fd, path_);
  std::string out = fmt::format("{}\n", kHeader);
  out.reserve(out.size() + order_.size() * (kKeyBytes * 2 + 1));
  for (const Key& k : order_) {
    out += k;
    out.push_back('\n');
  }
  bool ok = core::write_all(fd, out) && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    ++write_errors_;
    return;
  }
  int nfd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (nfd < 0) {
    ++write_errors_;
    return;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = nfd;
  file_lines_ = order_.size();
}

size_t SenderHistory::size() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

size_t SenderHistory::write_errors() const {
  std::lock_guard lock(mu_);
  return write_errors_;
}

}  // namespace postern::reputation
