// `postern setup`: runs postconf, prints or applies settings, checks the socket
// (see the header). postconf is run with fork/exec and an argument vector: no
// shell, so values with `$` or braces pass through unquoted.
#include "tools/setup_command.hpp"

#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/mta_settings.hpp"

namespace postern::tools {
namespace {

struct RunResult {
  int status = -1;  // exit status, -1 when it could not run or was killed
  std::string out;
};

// Runs ARGV (argv[0] looked up in PATH, then /usr/sbin); captures stdout, passes stderr through.
RunResult run(const std::vector<std::string>& argv) {
  RunResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return r;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return r;
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::string sbin = "/usr/sbin/" + argv[0];
    execv(sbin.c_str(), args.data());
    fmt::print(stderr, "postern setup: cannot run {}: {}\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) r.out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::string> postconf_cmd(const SetupOptions& o) {
  std::vector<std::string> cmd = {"postconf"};
  if (!o.config_dir.empty()) cmd.insert(cmd.end(), {"-c", o.config_dir});
  return cmd;
}

// `postconf -h NAME...`: one value per line, in order.
std::optional<std::map<std::string, std::string>> postconf_get(
    const SetupOptions& o, const std::vector<std::string>& names) {
  auto cmd = postconf_cmd(o);
  cmd.push_back("-h");
  cmd.insert(cmd.end(), names.begin(), names.end());
  auto r = run(cmd);
  if (r.status != 0) return std::nullopt;
  std::map<std::string, std::string> values;
  size_t pos = 0;
  for (const auto& name : names) {
    size_t nl = r.out.find('\n', pos);
    if (nl == std::string::npos) nl = r.out.size();
    values[name] = r.out.substr(pos, nl - pos);
    pos = std::min(nl + 1, r.out.size());
  }
  return values;
}

// Connects to a unix socket; 0 or the errno.
int connect_unix(const std::string& path) {
  sockaddr_un sa{};
  if (path.size() >= sizeof sa.sun_path) return ENAMETOOLONG;
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 ? 0 : errno;
  close(fd);
  return rc;
}

// Connects to a unix socket as USER (fork, drop to the user and its groups); 0 or the errno.
int connect_unix_as(const std::string& path, const passwd& pw) {
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    if (initgroups(pw.pw_name, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0)
      _exit(255);
    _exit(connect_unix(path) & 0xff);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) == 255) return EPERM;
  return WEXITSTATUS(st);
}

// Connects over TCP to "inet:HOST:PORT" (Postfix syntax); 0 or an errno-like code.
int connect_inet(const std::string& spec) {
  std::string hp = spec.substr(5);
  auto colon = hp.rfind(':');
  if (colon == std::string::npos) return EINVAL;
  std::string host = hp.substr(0, colon), port = hp.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return EHOSTUNREACH;
  int rc = ECONNREFUSED;
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    rc = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    close(fd);
    if (rc == 0) break;
  }
  freeaddrinfo(res);
  return rc;
}

// Checks that Postfix reaches SOCKET; prints what it found. True when it does.
bool check_postfix_reach(const SetupOptions& o, const std::string& socket) {
  if (socket.rfind("inet:", 0) == 0) {
    int rc = connect_inet(socket);
    if (rc == 0) {
      fmt::print("check: ok, {} accepts connections\n", socket);
      return true;
    }
    fmt::print(
        "check: FAILED, cannot connect to {}: {}; is postern-milter running? (systemctl status "
        "postern)\n",
        socket, std::strerror(rc));
    return false;
  }
  std::string path;
  if (socket.rfind("unix:", 0) == 0)
    path = socket.substr(5);
  else if (socket.rfind("local:", 0) == 0)
    path = socket.substr(6);
  else {
    fmt::print("check: FAILED, cannot check socket {}: expected unix:PATH or inet:HOST:PORT\n",
               socket);
    return false;
  }
  auto vals = postconf_get(o, {"queue_directory", "mail_owner"});
  if (!vals) {
    fmt::print("check: FAILED, postconf could not tell queue_directory and mail_owner\n");
    return false;
  }
  // Postfix daemons run in queue_directory (their chroot): a relative path is relative to it.
  if (path.front() != '/') path = (*vals)["queue_directory"] + "/" + path;
  const std::string owner = (*vals)["mail_owner"];
  int rc;
  std::string who;
  const passwd* pw = getpwnam(owner.c_str());
  if (geteuid() == 0 && pw) {
    rc = connect_unix_as(path, *pw);
    who = owner;
  } else {
    rc = connect_unix(path);
    const passwd* me = getpwuid(geteuid());
    who = me ? me->pw_name : std::to_string(geteuid());
    if (geteuid() != 0)
      who += fmt::format(", not as Postfix's {} (run as root for that check)", owner);
  }
  if (rc == 0) {
    fmt::print("check: ok, {} accepts connections (connected as {})\n", path, who);
    return true;
  }
  std::string why;
  if (rc == ENOENT)
    why =
        "it does not exist: is postern-milter running? (systemctl status postern; journalctl -u "
        "postern)";
  else if (rc == ECONNREFUSED)
    why = "nobody listens there (a stale socket): start postern-milter (systemctl start postern)";
  else if (rc == EACCES || rc == EPERM)
    why = fmt::format(
        "permission denied for {}: the directory must be group postfix, mode 0750, and the socket "
        "group postfix, mode 0660 (socket_group and socket_mode in /etc/postern/postern.toml)",
        owner);
  else
    why = std::strerror(rc);
  fmt::print("check: FAILED, Postfix cannot connect to {}: {}\n", path, why);
  return false;
}

// The require_tls route: the table file in config_directory and the master.cf
// transport (postconf -M and -P; each written only when it differs). Prints what it
// did, or with `apply` false what it would write. False when a step failed.
bool setup_route(const SetupOptions& o) {
  auto dir = postconf_get(o, {"config_directory", "relayhost"});
  if (!dir) {
    fmt::print(stderr, "postern setup postfix: postconf could not tell config_directory\n");
    return false;
  }
  const std::string file = (*dir)["config_directory"] + "/" + std::string(kRouteFile);
  const std::string service = route_service();
  const std::string name = std::string(kRouteTransport) + "/unix";
  if (!o.apply) {
    fmt::print("# the require_tls route: {} holds\n", file);
    std::string table = route_table((*dir)["relayhost"]);
    for (size_t pos = 0; pos < table.size();) {
      size_t nl = table.find('\n', pos);
      fmt::print("#   {}\n", table.substr(pos, nl - pos));
      pos = nl + 1;
    }
    fmt::print("# and master.cf: {}\n", service);
    for (const auto& [k, v] : route_service_params()) fmt::print("#     -o {}={}\n", k, v);
    return true;
  }
  std::string old;
  if (FILE* f = std::fopen(file.c_str(), "rb")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) old.append(buf, n);
    std::fclose(f);
  }
  const std::string table = route_table((*dir)["relayhost"]);
  if (old != table) {
    const std::string tmp = file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    bool ok = f && std::fwrite(table.data(), 1, table.size(), f) == table.size();
    if (f) ok = (std::fclose(f) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
      fmt::print(stderr, "postern setup postfix: cannot write {}: {}\n", file,
                 std::strerror(errno));
      return false;
    }
    fmt::print("set: {} (the require_tls route table)\n", file);
  } else {
    fmt::print("unchanged: {}\n", file);
  }
  auto cmd = postconf_cmd(o);
  cmd.insert(cmd.end(), {"-M", name});
  auto cur = run(cmd);
  std::string have = cur.out;
  while (!have.empty() && (have.back() == '\n' || have.back() == ' ')) have.pop_back();
  std::string want = service;
  for (const auto& [k, v] : route_service_params()) want += fmt::format(" -o {}={}", k, v);
  auto squeeze = [](const std::string& in) {  // postconf -M aligns its columns
    std::string out;
    for (char c : in)
      if (!(c == ' ' && (out.empty() || out.back() == ' '))) out += c == '\t' ? ' ' : c;
    return out;
  };
  if (squeeze(have) == squeeze(want)) {
    fmt::print("unchanged: master.cf {}\n", name);
    return true;
  }
  auto set = postconf_cmd(o);
  set.insert(set.end(), {"-M", name + "=" + service});
  if (run(set).status != 0) {
    fmt::print(stderr, "postern setup postfix: postconf -M {} failed\n", name);
    return false;
  }
  for (const auto& [k, v] : route_service_params()) {
    auto p = postconf_cmd(o);
    p.insert(p.end(), {"-P", fmt::format("{}/{}={}", name, k, v)});
    if (run(p).status != 0) {
      fmt::print(stderr, "postern setup postfix: postconf -P {}/{} failed\n", name, k);
      return false;
    }
  }
  fmt::print("set: master.cf {} ({})\n", name, want);
  return true;
}

int setup_postfix(const SetupOptions& o) {
  const std::string socket = o.socket.empty() ? std::string(kPostfixSocket) : o.socket;
  auto current = postconf_get(o, postfix_parameters());
  if (!current) {
    fmt::print(stderr, "postern setup postfix: postconf{} failed: is Postfix installed?\n",
               o.config_dir.empty() ? "" : " -c " + o.config_dir);
    return 1;
  }
  auto settings = postfix_settings(*current, socket);
  if (!o.apply) {
    fmt::print("# postern: Postfix settings (main.cf) for the milter socket {}\n", socket);
    for (const auto& s : settings)
      fmt::print("{}{} = {}\n", s.changed ? "" : "# already set: ", s.name, s.value);
    setup_route(o);
    fmt::print("# apply with: postern setup postfix --apply{}   then: postfix reload\n",
               o.config_dir.empty() ? "" : " --config-dir " + o.config_dir);
  } else {
    auto cmd = postconf_cmd(o);
    cmd.push_back("-e");
    size_t n = 0;
    for (const auto& s : settings) {
      if (!s.changed) continue;
      cmd.push_back(s.name + " = " + s.value);
      ++n;
    }
    if (n > 0) {
      auto r = run(cmd);
      if (r.status != 0) {
        fmt::print(stderr, "postern setup postfix: postconf -e failed (status {})\n", r.status);
        return 1;
      }
    }
    for (const auto& s : settings)
      fmt::print("{}: {} = {}\n", s.changed ? "set" : "unchanged", s.name, s.value);
    if (!setup_route(o)) return 1;
    fmt::print("{} setting(s) changed{}\n", n,
               n ? "; now run: postfix reload (or systemctl reload postfix)" : "");
  }
  return check_postfix_reach(o, socket) ? 0 : 2;
}

int setup_sendmail(const SetupOptions& o) {
  const std::string socket = o.socket.empty() ? std::string(kSendmailSocket) : o.socket;
  fmt::print("{}", sendmail_mc(socket));
  fmt::print(
      "dnl and in /etc/postern/postern.toml, [milter]: socket = \"unix:{}\", socket_group = \"\"\n"
      "dnl (Sendmail connects as root); then clear the unit's Postfix group: systemctl edit "
      "postern\n"
      "dnl   [Service]\n"
      "dnl   SupplementaryGroups=\n",
      socket.substr(socket.find(':') + 1));
  return 0;
}

}  // namespace

int run_setup(const SetupOptions& o) {
  if (o.mta == "postfix") return setup_postfix(o);
  if (o.mta == "sendmail") return setup_sendmail(o);
  fmt::print(stderr, "postern setup: unknown MTA '{}' (postfix or sendmail)\n", o.mta);
  return 1;
}

}  // namespace postern::tools
