// milter_load: load generator for any milter, speaking the milter protocol
// (version 6) as an MTA does, written from the protocol description.
//
// What it does: loads a message set (every *.eml of a directory, name order),
// opens N concurrent connections to the milter socket and replays the set
// round-robin, for --count messages or for --duration seconds. Each
// connection negotiates options (SMFIC_OPTNEG: version 6, every action, every
// step and no-reply flag the MTA can honour), then sends connect and HELO,
// then per message: macros, MAIL, RCPT, headers, end of headers, body chunks
// (<= 65535 bytes), end of message; it honours what the milter negotiated
// (skipped steps, no-reply steps, leading space in header values, SMFIR_SKIP
// in the body) and ends a transaction early when the milter answers one with
// a final reply (accept/reject/tempfail/discard/replycode) before the end of
// message, sending SMFIC_ABORT as an MTA does. --abort-every K aborts every
// K-th message after its headers. After --per-connection messages, or when
// the milter refuses the connection, it sends SMFIC_QUIT and reconnects.
//
// Reports: messages/s, latency per message (MAIL to the final reply) and the
// end-of-message round trip as p50/p90/p99/max, the milter process's CPU time
// per message and its RSS and peak RSS (from /proc/PID, --pid or --pid-file;
// with --pid-tree summed over PID and every descendant, for a milter whose
// work is done by worker processes, such as rspamd),
// and every reply counted by step and kind ("eom:continue", "eom:+addheader",
// "rcpt:reject", ...). --json adds one JSON object line (for scripts).
//
// Failure behaviour: a connection error, timeout (--timeout, default 30 s) or
// protocol violation counts as an error for that message, the connection is
// dropped and a fresh one is opened; the run goes on. Bounds: reply packets up
// to 64 MiB, at most 100000 reply packets per step, message set bounds in
// bench_common.hpp. Exit status: 0 when no message ended in an error, 1 when
// some did, 2 on bad arguments or an unreadable message set.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"

namespace {

using namespace postern::bench;
using Clock = std::chrono::steady_clock;

// Commands (MTA -> milter), replies (milter -> MTA) and flags of protocol version 6.
constexpr char kOptneg = 'O', kMacro = 'D', kConnect = 'C', kHelo = 'H', kMail = 'M', kRcpt = 'R',
               kHeader = 'L', kEoh = 'N', kBody = 'B', kEom = 'E', kAbort = 'A', kQuit = 'Q';
constexpr uint32_t kVersion = 6;
constexpr uint32_t kAllActions =
    0x1FF;  // ADDHDRS CHGBODY ADDRCPT DELRCPT CHGHDRS QUARANTINE CHGFROM ADDRCPT_PAR SETSYMLIST
constexpr uint32_t kNoConnect = 0x1, kNoHelo = 0x2, kNoMail = 0x4, kNoRcpt = 0x8, kNoBody = 0x10,
                   kNoHdrs = 0x20, kNoEoh = 0x40, kNrHdr = 0x80, kSkip = 0x400, kNrConn = 0x1000,
                   kNrHelo = 0x2000, kNrMail = 0x4000, kNrRcpt = 0x8000, kNrEoh = 0x40000,
                   kNrBody = 0x80000, kHdrLeadSpc = 0x100000;
// Offered: every step may be skipped, every no-reply option, SKIP, leading space; not the larger
// data sizes.
constexpr uint32_t kOfferedProtocol = 0x1FFFFF;
constexpr size_t kChunk = 65535;
constexpr uint32_t kMaxPacket = 64u << 20;
constexpr int kMaxPacketsPerStep = 100000;

struct Options {
  std::string socket, dir, pid_file, label;
  std::string from = "alice@example.org", rcpt = "bob@feas.test";
  std::string client_ip = "198.51.100.7", client_name = "client.example.net",
              helo = "client.example.net";
  int connections = 4, per_connection = 10, abort_every = 0, timeout = 30;
  long count = 0, pid = 0;
  double duration = 0;
  bool json = false, pid_tree = false;
};

void usage() {
  std::fprintf(
      stderr,
      "usage: milter_load --socket unix:PATH|inet:PORT@HOST --messages DIR\n"
      "                   [--connections N] [--count M | --duration SECONDS]\n"
      "                   [--pid PID | --pid-file FILE] [--pid-tree] [--per-connection K]\n"
      "                   [--abort-every K]\n"
      "                   [--from ADDR] [--rcpt ADDR] [--client-ip IP] [--client-name NAME]\n"
      "                   [--timeout SECONDS] [--label TEXT] [--json]\n");
}

std::string packet(char cmd, std::string_view data = {}) {
  std::string p;
  uint32_t len = htonl(static_cast<uint32_t>(data.size() + 1));
  p.append(reinterpret_cast<const char*>(&len), 4);
  p.push_back(cmd);
  p.append(data);
  return p;
}

std::string nul(std::string_view s) {
  return std::string(s) + '\0';
}

std::string macros(char cmd, std::initializer_list<std::pair<std::string, std::string>> kv) {
  std::string d(1, cmd);
  for (const auto& [k, v] : kv) d += nul(k) + nul(v);
  return packet(kMacro, d);
}

// A message prepared once: header and body packets for both header-value styles.
struct Prepared {
  std::vector<std::string> header_packets;          // value without the leading space (the default)
  std::vector<std::string> header_packets_leadspc;  // value as written (SMFIP_HDR_LEADSPC)
  std::vector<std::string> body_packets;
  size_t size = 0;
};

Prepared prepare(const std::string& raw) {
  Prepared p;
  std::string crlf = to_crlf(raw);
  std::vector<HeaderField> hs;
  std::string_view body;
  split_message(crlf, hs, body);
  for (const auto& h : hs) {
    p.header_packets.push_back(packet(kHeader, nul(h.name) + nul(h.value)));
    p.header_packets_leadspc.push_back(packet(kHeader, nul(h.name) + nul(" " + h.value)));
  }
  for (size_t off = 0; off < body.size(); off += kChunk)
    p.body_packets.push_back(packet(kBody, body.substr(off, kChunk)));
  p.size = crlf.size();
  return p;
}

struct Stats {
  std::vector<double> msg_ms, eom_ms;
  std::map<std::string, long> kinds;
  long done = 0, errors = 0, aborted = 0;
  size_t bytes = 0;
  std::string first_error;
  void merge(const Stats& o) {
    msg_ms.insert(msg_ms.end(), o.msg_ms.begin(), o.msg_ms.end());
    eom_ms.insert(eom_ms.end(), o.eom_ms.begin(), o.eom_ms.end());
    for (const auto& [k, v] : o.kinds) kinds[k] += v;
    done += o.done, errors += o.errors, aborted += o.aborted, bytes += o.bytes;
    if (first_error.empty()) first_error = o.first_error;
  }
};

// One milter connection: negotiation state and packet I/O.
class Session {
 public:
  Session(const Options& o, Stats& st) : opt_(o), st_(st) {}

  bool open(std::string& err) {
    fd_ = connect_socket(opt_.socket, opt_.timeout, err);
    if (!fd_) return false;
    if (opt_.socket.rfind("inet:", 0) == 0) {
      int one = 1;  // as Postfix: small requests go out at once
      setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    uint32_t v[3] = {htonl(kVersion), htonl(kAllActions), htonl(kOfferedProtocol)};
    if (!write_all(fd_.get(),
                   packet(kOptneg, std::string_view(reinterpret_cast<char*>(v), sizeof v)))) {
      err = "write of option negotiation failed";
      return false;
    }
    char cmd = 0;
    std::string data;
    if (!read_packet(cmd, data) || cmd != kOptneg || data.size() < 12) {
      err = "no option negotiation reply";
      return false;
    }
    uint32_t r[3];
    std::memcpy(r, data.data(), 12);
    version_ = ntohl(r[0]);
    actions_ = ntohl(r[1]);
    proto_ = ntohl(r[2]);
    if (version_ < 2 || version_ > kVersion || (proto_ & ~kOfferedProtocol)) {
      err = "milter negotiated unsupported version/flags";
      return false;
    }
    return true;
  }

  // Connect and HELO; false when the connection is unusable (err set) or refused (refused = true).
  bool greet(bool& refused, std::string& err) {
    refused = false;
    char reply = 0;
    if (!(proto_ & kNoConnect)) {
      uint16_t port = htons(40000);
      std::string d = nul(opt_.client_name) + "4" + std::string(reinterpret_cast<char*>(&port), 2) +
                      nul(opt_.client_ip);
      if (!send_step("connect",
                     macros(kConnect, {{"j", "mta.bench.test"},
                                       {"{daemon_name}", "bench"},
                                       {"_", opt_.client_name + " [" + opt_.client_ip + "]"}}) +
                         packet(kConnect, d),
                     kNrConn, reply, err))
        return false;
      if (reply && reply != 'c') return refused = true, false;
    }
    if (!(proto_ & kNoHelo)) {
      if (!send_step("helo", packet(kHelo, nul(opt_.helo)), kNrHelo, reply, err)) return false;
      if (reply && reply != 'c') return refused = true, false;
    }
    return true;
  }

  // One transaction. Returns false when the connection broke (err set).
  bool transaction(const Prepared& m, long seq, bool abort_it, std::string& err) {
    char qid[32];
    std::snprintf(qid, sizeof qid, "%010lX", seq);
    auto t0 = Clock::now();
    char reply = 0;
    auto ended_early = [&](const char*) {
      // a final answer before the end of message: the MTA aborts the transaction
      return write_all(fd_.get(), packet(kAbort));
    };
    if (!(proto_ & kNoMail)) {
      std::string d = nul("<" + opt_.from + ">") + nul("SIZE=" + std::to_string(m.size));
      if (!send_step("mail",
                     macros(kMail, {{"i", qid}, {"{mail_addr}", opt_.from}}) + packet(kMail, d),
                     kNrMail, reply, err))
        return false;
      if (reply && reply != 'c') return finish(t0, ended_early("mail"), err);
    }
    if (!(proto_ & kNoRcpt)) {
      if (!send_step("rcpt",
                     macros(kRcpt, {{"{rcpt_addr}", opt_.rcpt}}) +
                         packet(kRcpt, nul("<" + opt_.rcpt + ">")),
                     kNrRcpt, reply, err))
        return false;
      if (reply && reply != 'c') return finish(t0, ended_early("rcpt"), err);
    }
    if (!(proto_ & kNoHdrs)) {
      const auto& hp = (proto_ & kHdrLeadSpc) ? m.header_packets_leadspc : m.header_packets;
      if (proto_ & kNrHdr) {
        std::string all;
        for (const auto& h : hp) all += h;
        if (!write_all(fd_.get(), all)) return err = "write failed (headers)", false;
      } else {
        for (const auto& h : hp) {
          if (!send_step("header", h, 0, reply, err)) return false;
          if (reply && reply != 'c') return finish(t0, ended_early("header"), err);
        }
      }
    }
    if (!(proto_ & kNoEoh)) {
      if (!send_step("eoh", packet(kEoh), kNrEoh, reply, err)) return false;
      if (reply && reply != 'c') return finish(t0, ended_early("eoh"), err);
    }
    if (abort_it) {
      ++st_.aborted;
      ++st_.kinds["abort:sent"];
      if (!write_all(fd_.get(), packet(kAbort))) return err = "write failed (abort)", false;
      return true;
    }
    if (!(proto_ & kNoBody)) {
      if (proto_ & kNrBody) {
        std::string all;
        for (const auto& b : m.body_packets) all += b;
        if (!write_all(fd_.get(), all)) return err = "write failed (body)", false;
      } else {
        for (const auto& b : m.body_packets) {
          if (!send_step("body", b, 0, reply, err)) return false;
          if (reply == 's') break;  // the milter has seen enough of the body
          if (reply && reply != 'c') return finish(t0, ended_early("body"), err);
        }
      }
    }
    auto te = Clock::now();
    if (!send_step("eom", macros(kEom, {{"i", qid}}) + packet(kEom), 0, reply, err)) return false;
    st_.eom_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - te).count());
    st_.bytes += m.size;
    return finish(t0, true, err);
  }

  void quit() {
    if (fd_) write_all(fd_.get(), packet(kQuit));
    fd_.reset();
  }

 private:
  bool finish(Clock::time_point t0, bool wrote, std::string& err) {
    if (!wrote) return err = "write failed (abort)", false;
    st_.msg_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    ++st_.done;
    return true;
  }

  // Sends DATA; when the step expects a reply (nr_flag not negotiated), reads
  // packets up to the final reply, counting each by kind. reply = 0 when none.
  bool send_step(const char* step, const std::string& data, uint32_t nr_flag, char& reply,
                 std::string& err) {
    reply = 0;
    if (!write_all(fd_.get(), data)) return err = std::string("write failed (") + step + ")", false;
    if (nr_flag && (proto_ & nr_flag)) return true;
    for (int i = 0; i < kMaxPacketsPerStep; ++i) {
      char cmd = 0;
      std::string d;
      if (!read_packet(cmd, d)) return err = std::string("no reply to ") + step, false;
      std::string kind;
      switch (cmd) {
        case 'a':
          kind = "accept";
          break;
        case 'c':
          kind = "continue";
          break;
        case 'd':
          kind = "discard";
          break;
        case 'r':
          kind = "reject";
          break;
        case 't':
          kind = "tempfail";
          break;
        case 's':
          kind = "skip";
          break;
        case 'y':
          kind = d.size() >= 3 && d[0] == '4'   ? "reply-4xx"
                 : d.size() >= 3 && d[0] == '5' ? "reply-5xx"
                                                : "reply-bad";
          break;
        case 'p':
          ++st_.kinds[std::string(step) + ":progress"];
          continue;
        case 'h':
          kind = "+addheader";
          break;
        case 'i':
          kind = "+insheader";
          break;
        case 'm':
          kind = "+chgheader";
          break;
        case '+':
          kind = "+addrcpt";
          break;
        case '2':
          kind = "+addrcpt_par";
          break;
        case '-':
          kind = "+delrcpt";
          break;
        case 'e':
          kind = "+chgfrom";
          break;
        case 'b':
          kind = "+replbody";
          break;
        case 'q':
          kind = "+quarantine";
          break;
        case 'f':
        case '6':
          ++st_.kinds[std::string(step) + ":shutdown"];
          return err = "milter closed the connection", false;
        default:
          return err = std::string("unexpected reply '") + cmd + "' to " + step, false;
      }
      ++st_.kinds[std::string(step) + ":" + kind];
      if (kind[0] == '+') {
        if (std::string_view(step) != "eom")
          return err = std::string("modification before end of message"), false;
        continue;
      }
      if (cmd == 's' && std::string_view(step) != "body")
        return err = "SMFIR_SKIP outside the body", false;
      reply = cmd == 'y' ? (d[0] == '4' ? 't' : 'r') : cmd;
      return true;
    }
    return err = "too many reply packets", false;
  }

  bool read_packet(char& cmd, std::string& data) {
    uint32_t len = 0;
    if (!read_exact(fd_.get(), reinterpret_cast<char*>(&len), 4)) return false;
    len = ntohl(len);
    if (len < 1 || len > kMaxPacket) return false;
    if (!read_exact(fd_.get(), &cmd, 1)) return false;
    data.resize(len - 1);
    return len == 1 || read_exact(fd_.get(), data.data(), len - 1);
  }

  const Options& opt_;
  Stats& st_;
  Fd fd_;
  uint32_t version_ = 0, actions_ = 0, proto_ = 0;
};

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    auto num = [&](double& out) {
      const char* v = val();
      return v && parse_number(v, out);
    };
    double d = 0;
    if (a == "--json")
      o.json = true;
    else if (a == "--pid-tree")
      o.pid_tree = true;
    else if (a == "--socket") {
      const char* v = val();
      if (!v) return false;
      o.socket = v;
    } else if (a == "--messages") {
      const char* v = val();
      if (!v) return false;
      o.dir = v;
    } else if (a == "--pid-file") {
      const char* v = val();
      if (!v) return false;
      o.pid_file = v;
    } else if (a == "--label") {
      const char* v = val();
      if (!v) return false;
      o.label = v;
    } else if (a == "--from") {
      const char* v = val();
      if (!v) return false;
      o.from = v;
    } else if (a == "--rcpt") {
      const char* v = val();
      if (!v) return false;
      o.rcpt = v;
    } else if (a == "--client-ip") {
      const char* v = val();
      if (!v) return false;
      o.client_ip = v;
    } else if (a == "--client-name") {
      const char* v = val();
      if (!v) return false;
      o.client_name = o.helo = v;
    } else if (a == "--connections") {
      if (!num(d) || d < 1 || d > 1024) return false;
      o.connections = static_cast<int>(d);
    } else if (a == "--per-connection") {
      if (!num(d) || d < 1 || d > 1e6) return false;
      o.per_connection = static_cast<int>(d);
    } else if (a == "--abort-every") {
      if (!num(d) || d > 1e6) return false;
      o.abort_every = static_cast<int>(d);
    } else if (a == "--timeout") {
      if (!num(d) || d < 1 || d > 3600) return false;
      o.timeout = static_cast<int>(d);
    } else if (a == "--count") {
      if (!num(d) || d > 1e9) return false;
      o.count = static_cast<long>(d);
    } else if (a == "--pid") {
      if (!num(d) || d > 1e9) return false;
      o.pid = static_cast<long>(d);
    } else if (a == "--duration") {
      if (!num(d) || d > 86400) return false;
      o.duration = d;
    } else
      return false;
  }
  if (o.socket.empty() || o.dir.empty()) return false;
  if (o.count == 0 && o.duration == 0) o.count = 1000;
  return true;
}

std::string json_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\')
      o += '\\', o += c;
    else if (static_cast<unsigned char>(c) < 0x20)
      o += ' ';
    else
      o += c;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    usage();
    return 2;
  }
  if (!opt.pid_file.empty() && opt.pid == 0) {
    std::ifstream in(opt.pid_file);
    in >> opt.pid;
  }
  std::vector<LoadedMessage> loaded;
  std::string err;
  if (!load_messages(opt.dir, loaded, err)) {
    std::fprintf(stderr, "milter_load: %s\n", err.c_str());
    return 2;
  }
  std::vector<Prepared> msgs;
  size_t set_bytes = 0;
  for (const auto& l : loaded) {
    msgs.push_back(prepare(l.raw));
    set_bytes += msgs.back().size;
  }
  loaded.clear();

  std::atomic<long> next{0};
  std::vector<Stats> per_thread(static_cast<size_t>(opt.connections));
  // CPU and memory of the milter: one process, or (--pid-tree) the process and its descendants.
  auto measure = [&opt](int& processes) {
    if (!opt.pid_tree) {
      ProcStat p = read_proc(opt.pid);
      processes = p.ok ? 1 : 0;
      return p;
    }
    TreeStat t = read_proc_tree(opt.pid);
    processes = t.processes;
    return t.total;
  };
  int procs_before = 0, procs_after = 0;
  ProcStat before = measure(procs_before);
  auto t0 = Clock::now();
  auto deadline = opt.duration > 0 ? t0 + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(opt.duration))
                                   : Clock::time_point::max();
  std::vector<std::thread> workers;
  for (int w = 0; w < opt.connections; ++w) {
    workers.emplace_back([&, w] {
      Stats& st = per_thread[static_cast<size_t>(w)];
      std::unique_ptr<Session> s;
      int used = 0;
      for (;;) {
        if (Clock::now() >= deadline) break;
        long seq = next.fetch_add(1);
        if (opt.count > 0 && seq >= opt.count) break;
        std::string e;
        if (!s) {
          s = std::make_unique<Session>(opt, st);
          bool refused = false;
          if (!s->open(e) || !s->greet(refused, e)) {
            if (refused) {
              ++st.kinds["connect:refused"];
              ++st.done;
            } else {
              ++st.errors;
              if (st.first_error.empty()) st.first_error = e;
              std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            s.reset();
            continue;
          }
          used = 0;
        }
        const Prepared& m = msgs[static_cast<size_t>(seq) % msgs.size()];
        bool abort_it = opt.abort_every > 0 && seq % opt.abort_every == opt.abort_every - 1;
        if (!s->transaction(m, seq, abort_it, e)) {
          ++st.errors;
          if (st.first_error.empty()) st.first_error = e;
          s.reset();
          continue;
        }
        if (++used >= opt.per_connection) {
          s->quit();
          s.reset();
        }
      }
      if (s) s->quit();
    });
  }
  for (auto& t : workers) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  ProcStat after = measure(procs_after);

  Stats all;
  for (const auto& s : per_thread) all.merge(s);
  std::sort(all.msg_ms.begin(), all.msg_ms.end());
  std::sort(all.eom_ms.begin(), all.eom_ms.end());
  double rate = elapsed > 0 ? static_cast<double>(all.done) / elapsed : 0;
  double cpu = after.ok && before.ok ? after.cpu_seconds - before.cpu_seconds : -1;
  double cpu_ms = cpu >= 0 && all.done + all.aborted > 0
                      ? cpu * 1000 / static_cast<double>(all.done + all.aborted)
                      : -1;
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  double self_cpu = static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
                    static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;

  std::printf("milter_load%s%s: %s, %d connection(s), message set %zu files / %.1f MB, %.2f s\n",
              opt.label.empty() ? "" : " ", opt.label.c_str(), opt.socket.c_str(), opt.connections,
              msgs.size(), static_cast<double>(set_bytes) / 1e6, elapsed);
  std::printf("  messages: %ld done, %ld aborted, %ld errors%s%s\n", all.done, all.aborted,
              all.errors, all.first_error.empty() ? "" : " (first: ",
              all.first_error.empty() ? "" : (all.first_error + ")").c_str());
  std::printf("  throughput: %.1f msg/s, %.2f MB/s\n", rate,
              elapsed > 0 ? static_cast<double>(all.bytes) / 1e6 / elapsed : 0);
  std::printf("  latency per message ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
              percentile(all.msg_ms, 50), percentile(all.msg_ms, 90), percentile(all.msg_ms, 99),
              all.msg_ms.empty() ? 0 : all.msg_ms.back());
  std::printf("  end-of-message round trip ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
              percentile(all.eom_ms, 50), percentile(all.eom_ms, 90), percentile(all.eom_ms, 99),
              all.eom_ms.empty() ? 0 : all.eom_ms.back());
  if (opt.pid > 0 && after.ok && opt.pid_tree)
    std::printf(
        "  milter pid %ld and descendants (%d processes before, %d after): cpu %.2f s = %.3f "
        "ms/msg, rss %.1f MB, peak rss %.1f MB (sums)\n",
        opt.pid, procs_before, procs_after, cpu, cpu_ms, static_cast<double>(after.rss_kb) / 1024,
        static_cast<double>(after.hwm_kb) / 1024);
  else if (opt.pid > 0 && after.ok)
    std::printf("  milter pid %ld: cpu %.2f s = %.3f ms/msg, rss %.1f MB, peak rss %.1f MB\n",
                opt.pid, cpu, cpu_ms, static_cast<double>(after.rss_kb) / 1024,
                static_cast<double>(after.hwm_kb) / 1024);
  else if (opt.pid > 0)
    std::printf("  milter pid %ld: not readable in /proc (gone?)\n", opt.pid);
  std::printf("  load generator cpu: %.2f s\n", self_cpu);
  std::printf("  replies:");
  for (const auto& [k, v] : all.kinds) std::printf(" %s=%ld", k.c_str(), v);
  std::printf("\n");
  if (opt.json) {
    std::printf(
        "{\"tool\":\"milter_load\",\"label\":\"%s\",\"socket\":\"%s\",\"connections\":%d,\"done\":%"
        "ld,"
        "\"aborted\":%ld,\"errors\":%ld,\"seconds\":%.3f,\"msg_per_s\":%.2f,\"p50_ms\":%.3f,\"p90_"
        "ms\":%.3f,"
        "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"eom_p50_ms\":%.3f,\"eom_p90_ms\":%.3f,\"eom_p99_ms\":%."
        "3f,"
        "\"eom_max_ms\":%.3f,\"cpu_ms_per_msg\":%.4f,\"rss_kb\":%ld,\"peak_rss_kb\":%ld,"
        "\"pid_tree\":%s,\"processes\":%d,\"replies\":{",
        json_escape(opt.label).c_str(), json_escape(opt.socket).c_str(), opt.connections, all.done,
        all.aborted, all.errors, elapsed, rate, percentile(all.msg_ms, 50),
        percentile(all.msg_ms, 90), percentile(all.msg_ms, 99),
        all.msg_ms.empty() ? 0 : all.msg_ms.back(), percentile(all.eom_ms, 50),
        percentile(all.eom_ms, 90), percentile(all.eom_ms, 99),
        all.eom_ms.empty() ? 0 : all.eom_ms.back(), cpu_ms, after.rss_kb, after.hwm_kb,
        opt.pid_tree ? "true" : "false", procs_after);
    bool first = true;
    for (const auto& [k, v] : all.kinds) {
      std::printf("%s\"%s\":%ld", first ? "" : ",", json_escape(k).c_str(), v);
      first = false;
    }
    std::printf("}}\n");
  }
  return all.errors == 0 ? 0 : 1;
}
