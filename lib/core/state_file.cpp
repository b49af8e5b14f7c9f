// Durable state files (see state_file.hpp).
#include "core/state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace postern::core {
namespace {

std::string dir_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void adopt_directory_owner(int fd, const std::string& path) {
  if (::geteuid() != 0) return;
  struct stat st {};
  if (::stat(dir_of(path).c_str(), &st) != 0 || st.st_uid == 0) return;
  if (::fchown(fd, st.st_uid, st.st_gid) != 0) {
    // Left to root: the daemon's open will say it cannot read the file.
  }
}

std::optional<std::string> write_durably(const std::string& path, std::string_view data,
                                         mode_t mode) {
  static std::atomic<unsigned long> counter{0};
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), ++counter);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return fmt::format("cannot create {}: {}", tmp, std::strerror(errno));
  adopt_directory_owner(fd, path);
  bool ok = write_all(fd, data) && ::fsync(fd) == 0;
  int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    ::unlink(tmp.c_str());
    return fmt::format("cannot write {}: {}", tmp, std::strerror(saved ? saved : errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    saved = errno;
    ::unlink(tmp.c_str());
    return fmt::format("cannot rename {} to {}: {}", tmp, path, std::strerror(saved));
  }
  int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return fmt::format("cannot open the directory of {}: {}", path, std::strerror(errno));
  ok = ::fsync(dfd) == 0;
  saved = errno;
  ::close(dfd);
  if (!ok) return fmt::format("cannot sync the directory of {}: {}", path, std::strerror(saved));
  return std::nullopt;
}

std::optional<std::string> read_file(const std::string& path, size_t max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<size_t>(st.st_size) > max) {
    ::close(fd);
    return std::nullopt;
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != out.size()) return std::nullopt;
  return out;
}

}  // namespace postern::core
