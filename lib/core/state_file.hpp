// State files: what the daemon writes under /var/lib/postern so that it
// survives a crash (a held message's record, a verdict, a learned model).
//
// Contract: `write_durably(path, data, mode)` writes `data` to "<path>.tmp.<pid>.<n>",
// fsyncs it, renames it over `path` and fsyncs the directory: once it returns
// without an error, `path` holds `data` whole after a crash, and a reader never
// sees a partial file. The error is one line naming the path and the errno.
// `adopt_directory_owner(fd, path)`: when run by root, gives the file open on
// `fd` the owner and group of the directory of `path` (root runs `postern scan`,
// `postern-milter -t` and the package scripts; a root-owned 0600 file there
// would lock the daemon, User=postern, out of it). `read_file(path, max)`: the
// whole file, or nullopt when it does not exist, cannot be read, or is larger
// than `max` bytes. `write_all(fd, data)`: every byte written (EINTR and short
// writes retried), false on an error (errno says which). Thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace postern::core {

std::optional<std::string> write_durably(const std::string& path, std::string_view data,
                                         mode_t mode = 0600);
void adopt_directory_owner(int fd, const std::string& path);
bool write_all(int fd, std::string_view data);
std::optional<std::string> read_file(const std::string& path, size_t max);

}  // namespace postern::core
