// The sender's notice for missing_cert = "notify" (see notify.hpp).
#include "smime/notify.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "smime/stage.hpp"
#include "telemetry/log.hpp"

namespace postern::smime {
namespace {

// Printable ASCII of `s`, at most 200 bytes (a quoted value in the notice).
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  return out;
}

// Writes `data` to `fd` with SIGPIPE blocked on this thread (a reader that died makes
// write() fail with EPIPE; the signal it raised is taken before unblocking); the bytes
// written.
size_t write_all(int fd, const std::string& data) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  size_t done = 0;
  bool broken = false;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken = n < 0 && errno == EPIPE;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (broken) {
    const timespec zero{0, 0};
    ::sigtimedwait(&pipe_set, nullptr, &zero);
  }
  ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return done;
}

}  // namespace

std::string notice_text(const std::string& hostname, const std::string& sender,
                        const std::string& subject, const std::vector<std::string>& missing,
                        const std::string& scan_id) {
  const std::string host = hostname.empty() ? std::string("localhost") : hostname;
  std::string who;
  for (size_t i = 0; i < missing.size() && i < kMaxNamedRecipients; ++i)
    who += fmt::format("  {}\r\n", printable(missing[i]));
  if (missing.size() > kMaxNamedRecipients)
    who += fmt::format("  and {} more\r\n", missing.size() - kMaxNamedRecipients);
  return fmt::format(
      "From: Mail Delivery System <MAILER-DAEMON@{}>\r\n"
      "To: {}\r\n"
      "Subject: Not sent: your message must be encrypted\r\n"
      "Auto-Submitted: auto-replied\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "Content-Transfer-Encoding: 7bit\r\n"
      "\r\n"
      "Your message \"{}\" was not sent.\r\n"
      "\r\n"
      "The policy of this organization requires it to be encrypted (S/MIME), and\r\n"
      "there is no certificate for:\r\n"
      "{}"
      "\r\n"
      "It is held for review. Ask the recipients for their S/MIME certificate, or\r\n"
      "your mail administrator, quoting the reference postern {}.\r\n",
      printable(host), printable(sender), printable(subject), who, printable(scan_id));
}

std::optional<std::string> send_notice(const std::vector<std::string>& command,
                                       const std::string& message) {
  if (command.empty()) return std::string("no command");
  std::vector<std::string> argv = command;
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(in[0]);
    ::close(in[1]);
    return fmt::format("fork: {}", std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(in[0], 0);
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::close_range(3, ~0U, 0);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  const size_t done = write_all(in[1], message);
  ::close(in[1]);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(kNoticeSeconds);
  int status = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < until)
    ::usleep(10000);
  if (r == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return fmt::format("{}: no answer within {} s", argv[0], kNoticeSeconds);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (done < message.size()) return fmt::format("{}: stopped reading the notice", argv[0]);
    return std::nullopt;
  }
  return fmt::format(
      "{}: {}", argv[0],
      WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status)) : std::string("killed"));
}

std::optional<std::string> NotifyDisposer::dispose(const core::Transaction& tx,
                                                   const core::Message& leaving,
                                                   const core::Outcome& out) const {
  if (tx.direction() != core::Direction::Outbound ||
      out.verdict.action != core::Action::Quarantine || tx.envelope().mail_from.empty())
    return std::nullopt;
  const Decision* d = tx.get<Decision>();
  if (!d || !d->required || (d->missing.empty() && !d->limit)) return std::nullopt;
  const core::HeaderField* subj = leaving.find("Subject");
  const std::string& sender = tx.envelope().mail_from;
  std::vector<std::string> command = sendmail_;
  for (const char* a : {"-f", "<>", "--"}) command.emplace_back(a);
  command.push_back(sender);
  const std::vector<std::string> missing =
      d->missing.empty() ? std::vector<std::string>{"(the message is over the size bound)"}
                         : d->missing;
  if (auto err = send_notice(
          command, notice_text(hostname_, sender, subj ? subj->value : "", missing, tx.scan_id())))
    telemetry::log_warn("{}: smime-notify: the sender was not told: {}", tx.scan_id(), *err);
  else
    telemetry::log_info("{}: smime-notify: {} told the message is held", tx.scan_id(), sender);
  return std::nullopt;
}

}  // namespace postern::smime
