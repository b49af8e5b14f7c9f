// smtp_load: replays a message set at an SMTP server over N concurrent
// connections and records what happened to every message.
//
// What it does: loads every *.eml of a directory (name order), makes each one
// CRLF and dot-stuffed, and sends message set entries round-robin for --count
// messages or --duration seconds (--from may list several senders, used in
// turn by message number, e.g. to mix in senders a policy rejects): EHLO once per connection, then
// MAIL FROM, RCPT TO, DATA per message (--per-connection messages, then QUIT). Every message gets a
// fresh Message-ID <RUN.SEQ@bench.postern.test> (its own one is dropped) so deliveries can be
// matched. With --retry-4xx SECONDS a message that got a 4xx (or whose connection failed) is sent
// again after that delay, as an SMTP client would, with the same Message-ID, for up to --retry-for
// seconds after the load ends. --xclient ADDR[,ADDR...] makes each connection present an outside
// client address (Postfix XCLIENT ADDR=, then EHLO again), connection N using address N mod count,
// so that address-based checks (SPF, DNSBLs) run as for real outside clients.
//
// Reports: messages/s (accepted 2xx per second of load), latency per message
// (MAIL to the final reply) p50/p90/p99/max, and replies counted by step and
// class. --records FILE writes one line per attempt:
// "SEQ MESSAGE-ID ATTEMPT STEP CODE QUEUE-ID MS" (QUEUE-ID "-" unless 250
// "queued as"). --progress S prints a line every S seconds. --json adds one
// JSON object line.
//
// Failure behaviour: timeouts (--timeout, default 60 s) and broken connections
// count as step "conn" code 0 for that attempt; the connection is reopened.
// Bounds: reply lines up to 4096 bytes, 100 lines per reply; message set
// bounds in bench_common.hpp. Exit status 0, 2 on bad arguments.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"

namespace {

using namespace postern::bench;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxLine = 4096;
constexpr int kMaxReplyLines = 100;

struct Options {
  std::string server, dir, records, label, run_id = "run";
  std::string from = "alice@example.org", rcpt = "bob@sink.test", xclient;
  int connections = 4, per_connection = 10, timeout = 60;
  long count = 0;
  double duration = 0, retry_delay = -1, retry_for = 120, progress = 0;
  bool json = false;
};

void usage() {
  std::fprintf(stderr,
               "usage: smtp_load --server HOST:PORT --messages DIR [--connections N] [--count M | "
               "--duration S]\n"
               "                 [--per-connection K] [--from ADDR[,ADDR...]] [--rcpt ADDR] "
               "[--run-id ID] [--records FILE]\n"
               "                 [--retry-4xx SECONDS] [--retry-for SECONDS] [--progress SECONDS]\n"
               "                 [--timeout SECONDS] [--label TEXT] [--xclient ADDR[,ADDR...]] "
               "[--json]\n");
}

// The message for the DATA phase: CRLF, dot-stuffed, without Message-ID fields and without the
// final ".".
std::string prepare(const std::string& raw) {
  std::string crlf = to_crlf(raw);
  std::string out;
  out.reserve(crlf.size() + 64);
  size_t pos = 0;
  bool in_header = true, dropping = false;
  while (pos < crlf.size()) {
    size_t eol = crlf.find("\r\n", pos);
    size_t next = eol == std::string::npos ? crlf.size() : eol + 2;
    std::string_view line(crlf.data() + pos, (eol == std::string::npos ? crlf.size() : eol) - pos);
    pos = next;
    if (in_header) {
      if (line.empty())
        in_header = false;
      else if (dropping && (line[0] == ' ' || line[0] == '\t'))
        continue;
      else {
        dropping = line.size() >= 11 && strncasecmp(line.data(), "message-id:", 11) == 0;
        if (dropping) continue;
      }
    }
    if (!line.empty() && line[0] == '.') out.push_back('.');
    out.append(line);
    out += "\r\n";
  }
  return out;
}

struct Reply {
  int code = 0;
  std::string text;
};

// One SMTP connection with a small read buffer.
class Conn {
 public:
  explicit Conn(Fd fd) : fd_(std::move(fd)) {}
  bool send(std::string_view s) { return write_all(fd_.get(), s); }
  bool reply(Reply& r) {
    r = {};
    for (int n = 0; n < kMaxReplyLines; ++n) {
      std::string line;
      if (!read_line(line) || line.size() < 3) return false;
      r.code = std::atoi(line.substr(0, 3).c_str());
      r.text = line;
      if (line.size() == 3 || line[3] != '-') return r.code >= 200 && r.code < 600;
    }
    return false;
  }

 private:
  bool read_line(std::string& line) {
    for (;;) {
      auto nl = buf_.find("\r\n");
      if (nl != std::string::npos) {
        line = buf_.substr(0, nl);
        buf_.erase(0, nl + 2);
        return true;
      }
      if (buf_.size() > kMaxLine) return false;
      char tmp[4096];
      ssize_t n = ::recv(fd_.get(), tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  Fd fd_;
  std::string buf_;
};

struct Job {
  long seq = 0;
  int attempt = 1;
  Clock::time_point due;
};

struct Stats {
  std::vector<double> ms;
  std::map<std::string, long> kinds;
  std::string records;  // this thread's unflushed record lines
  long accepted = 0, attempts = 0;
};

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    auto num = [&](double& out) {
      const char* v = val();
      return v && parse_number(v, out);
    };
    auto str = [&](std::string& out) {
      const char* v = val();
      if (v) out = v;
      return v != nullptr;
    };
    double d = 0;
    if (a == "--json")
      o.json = true;
    else if (a == "--server") {
      if (!str(o.server)) return false;
    } else if (a == "--messages") {
      if (!str(o.dir)) return false;
    } else if (a == "--records") {
      if (!str(o.records)) return false;
    } else if (a == "--label") {
      if (!str(o.label)) return false;
    } else if (a == "--run-id") {
      if (!str(o.run_id)) return false;
    } else if (a == "--from") {
      if (!str(o.from)) return false;
    } else if (a == "--rcpt") {
      if (!str(o.rcpt)) return false;
    } else if (a == "--xclient") {
      if (!str(o.xclient)) return false;
    } else if (a == "--connections") {
      if (!num(d) || d < 1 || d > 1024) return false;
      o.connections = static_cast<int>(d);
    } else if (a == "--per-connection") {
      if (!num(d) || d < 1 || d > 1e6) return false;
      o.per_connection = static_cast<int>(d);
    } else if (a == "--timeout") {
      if (!num(d) || d < 1 || d > 3600) return false;
      o.timeout = static_cast<int>(d);
    } else if (a == "--count") {
      if (!num(d) || d > 1e9) return false;
      o.count = static_cast<long>(d);
    } else if (a == "--duration") {
      if (!num(d) || d > 86400) return false;
      o.duration = d;
    } else if (a == "--retry-4xx") {
      if (!num(d) || d > 3600) return false;
      o.retry_delay = d;
    } else if (a == "--retry-for") {
      if (!num(d) || d > 86400) return false;
      o.retry_for = d;
    } else if (a == "--progress") {
      if (!num(d) || d > 3600) return false;
      o.progress = d;
    } else
      return false;
  }
  if (o.server.empty() || o.dir.empty()) return false;
  if (o.count == 0 && o.duration == 0) o.count = 1000;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    usage();
    return 2;
  }
  std::vector<LoadedMessage> loaded;
  std::string err;
  if (!load_messages(opt.dir, loaded, err)) {
    std::fprintf(stderr, "smtp_load: %s\n", err.c_str());
    return 2;
  }
  std::vector<std::string> msgs;
  for (const auto& l : loaded) msgs.push_back(prepare(l.raw));
  std::vector<std::string> senders;
  for (size_t pos = 0; pos <= opt.from.size();) {
    size_t comma = std::min(opt.from.find(',', pos), opt.from.size());
    if (comma > pos) senders.push_back(opt.from.substr(pos, comma - pos));
    pos = comma + 1;
  }
  if (senders.empty()) senders.push_back("");
  std::vector<std::string> xclients;
  for (size_t pos = 0; pos < opt.xclient.size();) {
    size_t comma = std::min(opt.xclient.find(',', pos), opt.xclient.size());
    if (comma > pos) xclients.push_back(opt.xclient.substr(pos, comma - pos));
    pos = comma + 1;
  }
  loaded.clear();

  std::mutex mu;  // guards retries
  std::mutex
      out_mu;  // guards records_out: records are flushed in 1 MB pieces, so memory stays bounded
  std::ofstream records_out;
  if (!opt.records.empty()) {
    records_out.open(opt.records, std::ios::trunc);
    if (!records_out) {
      std::fprintf(stderr, "smtp_load: cannot write %s\n", opt.records.c_str());
      return 2;
    }
  }
  auto flush_records = [&](std::string& buf) {
    std::lock_guard lk(out_mu);
    if (records_out.is_open()) records_out << buf;
    buf.clear();
  };
  std::deque<Job> retries;
  std::atomic<long> next{0}, in_flight{0}, n_2xx{0}, n_4xx{0}, n_5xx{0}, n_err{0};
  std::vector<Stats> per_thread(static_cast<size_t>(opt.connections));
  auto t0 = Clock::now();
  auto secs = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  auto load_end = opt.duration > 0 ? t0 + secs(opt.duration) : Clock::time_point::max();
  std::atomic<bool> load_over{false};
  std::atomic<int64_t> load_seconds_ns{
      0};  // when a worker first found the load over (retry window start)
  std::atomic<int64_t> last_first_ns{0};  // completion of the last first attempt (throughput)

  auto worker = [&](size_t w) {
    Stats& st = per_thread[w];
    std::unique_ptr<Conn> c;
    int used = 0;
    auto drop = [&] {
      if (c) c->send("QUIT\r\n");
      c.reset();
    };
    for (;;) {
      Job job;
      bool have = false;
      auto now = Clock::now();
      {
        std::lock_guard lk(mu);
        if (!retries.empty() && retries.front().due <= now) {
          job = retries.front();
          retries.pop_front();
          have = true;
        }
      }
      if (!have && now < load_end && !load_over) {
        long seq = next.fetch_add(1);
        if (opt.count > 0 && seq >= opt.count)
          load_over = true;
        else
          job = Job{seq, 1, now}, have = true;
      }
      if (!have) {
        if (now >= load_end) load_over = true;
        if (load_seconds_ns == 0 && load_over)
          load_seconds_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - t0).count();
        bool pending;
        {
          std::lock_guard lk(mu);
          pending = !retries.empty() || in_flight > 0;
        }
        if (!pending || opt.retry_delay < 0 ||
            now > t0 + std::chrono::nanoseconds(load_seconds_ns.load()) + secs(opt.retry_for))
          break;
        drop();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      ++in_flight;
      char mid[160];
      std::snprintf(mid, sizeof mid, "<%s.%ld@bench.postern.test>", opt.run_id.c_str(), job.seq);
      const std::string& body = msgs[static_cast<size_t>(job.seq) % msgs.size()];
      auto ts = Clock::now();
      const char* step = "conn";
      Reply r;
      bool broken = false;
      if (!c) {
        std::string e;
        Fd fd = connect_socket(opt.server, opt.timeout, e);
        if (fd) {
          c = std::make_unique<Conn>(std::move(fd));
          if (!c->reply(r) || r.code != 220 || !c->send("EHLO load.bench.test\r\n") ||
              !c->reply(r) || r.code != 250)
            broken = true;
          // XCLIENT starts a new session: a 220 greeting, then EHLO again.
          if (!broken && !xclients.empty() &&
              (!c->send("XCLIENT ADDR=" + xclients[w % xclients.size()] + "\r\n") || !c->reply(r) ||
               r.code != 220 || !c->send("EHLO load.bench.test\r\n") || !c->reply(r) ||
               r.code != 250))
            broken = true;
          used = 0;
        } else {
          broken = true;
        }
        if (broken) r.code = 0;
      }
      if (!broken) {
        step = "mail";
        if (!c->send("MAIL FROM:<" + senders[static_cast<size_t>(job.seq) % senders.size()] +
                     ">\r\n") ||
            !c->reply(r))
          broken = true;
        else if (r.code == 250) {
          step = "rcpt";
          if (!c->send("RCPT TO:<" + opt.rcpt + ">\r\n") || !c->reply(r))
            broken = true;
          else if (r.code == 250) {
            step = "data";
            if (!c->send("DATA\r\n") || !c->reply(r))
              broken = true;
            else if (r.code == 354) {
              step = "dot";
              if (!c->send(std::string("Message-ID: ") + mid + "\r\n") || !c->send(body) ||
                  !c->send(".\r\n") || !c->reply(r))
                broken = true;
            }
          }
        }
        if (!broken && r.code != 250 && std::string_view(step) != "dot") {
          Reply rr;
          if (r.code == 421 || !c->send("RSET\r\n") || !c->reply(rr)) broken = true;
        }
      }
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - ts).count();
      if (broken) {
        step = r.code ? step : "conn";
        r.code = 0;
        c.reset();
      }
      std::string qid = "-";
      if (r.code == 250) {
        auto q = r.text.find("queued as ");
        if (q != std::string::npos)
          qid = r.text.substr(q + 10, r.text.find_first_of(" \r\n", q + 10) - (q + 10));
        ++st.accepted;
        ++n_2xx;
        st.ms.push_back(ms);
      } else if (r.code >= 500) {
        ++n_5xx;
        st.ms.push_back(ms);
      } else {
        if (r.code)
          ++n_4xx;
        else
          ++n_err;
      }
      if (job.attempt == 1) {
        int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
        for (int64_t cur = last_first_ns.load();
             t > cur && !last_first_ns.compare_exchange_weak(cur, t);) {
        }
      }
      ++st.attempts;
      ++st.kinds[std::string(step) + ":" + (r.code ? std::to_string(r.code) : "error")];
      char line[512];
      std::snprintf(line, sizeof line, "%ld %s %d %s %d %s %.2f\n", job.seq, mid, job.attempt, step,
                    r.code, qid.c_str(), ms);
      st.records += line;
      if (st.records.size() > (1u << 20)) flush_records(st.records);
      if ((r.code == 0 || (r.code >= 400 && r.code < 500)) && opt.retry_delay >= 0) {
        std::lock_guard lk(mu);
        retries.push_back(Job{job.seq, job.attempt + 1, Clock::now() + secs(opt.retry_delay)});
      }
      --in_flight;
      if (c && ++used >= opt.per_connection) drop();
    }
    drop();
    flush_records(st.records);
  };

  std::atomic<bool> done{false};
  std::thread progress;
  if (opt.progress > 0)
    progress = std::thread([&] {
      auto t = Clock::now();
      while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (Clock::now() - t < secs(opt.progress)) continue;
        t = Clock::now();
        size_t pending;
        {
          std::lock_guard lk(mu);
          pending = retries.size();
        }
        std::printf(
            "smtp_load progress: t=%.0fs 2xx=%ld 4xx=%ld 5xx=%ld conn-errors=%ld retry-queue=%zu\n",
            std::chrono::duration<double>(Clock::now() - t0).count(), n_2xx.load(), n_4xx.load(),
            n_5xx.load(), n_err.load(), pending);
        std::fflush(stdout);
      }
    });
  std::vector<std::thread> workers;
  for (size_t w = 0; w < per_thread.size(); ++w) workers.emplace_back(worker, w);
  for (auto& t : workers) t.join();
  done = true;
  if (progress.joinable()) progress.join();
  double total = std::chrono::duration<double>(Clock::now() - t0).count();
  double load_s = last_first_ns > 0 ? static_cast<double>(last_first_ns.load()) / 1e9 : total;

  Stats all;
  for (auto& s : per_thread) {
    all.ms.insert(all.ms.end(), s.ms.begin(), s.ms.end());
    for (const auto& [k, v] : s.kinds) all.kinds[k] += v;
    all.accepted += s.accepted;
    all.attempts += s.attempts;
  }
  std::sort(all.ms.begin(), all.ms.end());
  if (records_out.is_open()) {
    records_out.flush();
    if (!records_out) std::fprintf(stderr, "smtp_load: writing %s failed\n", opt.records.c_str());
  }
  long messages = next.load();
  if (opt.count > 0) messages = std::min(messages, opt.count);
  double rate = load_s > 0 ? static_cast<double>(n_2xx.load()) / load_s : 0;
  std::printf(
      "smtp_load%s%s: %s, %d connection(s), %zu files; %ld messages, %ld attempts in %.2f s (load "
      "%.2f s)\n",
      opt.label.empty() ? "" : " ", opt.label.c_str(), opt.server.c_str(), opt.connections,
      msgs.size(), messages, all.attempts, total, load_s);
  std::printf("  replies: 2xx %ld, 4xx %ld, 5xx %ld, connection errors %ld\n", n_2xx.load(),
              n_4xx.load(), n_5xx.load(), n_err.load());
  std::printf("  throughput: %.1f msg/s accepted\n", rate);
  std::printf("  latency per message ms (2xx and 5xx): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
              percentile(all.ms, 50), percentile(all.ms, 90), percentile(all.ms, 99),
              all.ms.empty() ? 0 : all.ms.back());
  std::printf("  by step:");
  for (const auto& [k, v] : all.kinds) std::printf(" %s=%ld", k.c_str(), v);
  std::printf("\n");
  if (opt.json)
    std::printf(
        "{\"tool\":\"smtp_load\",\"label\":\"%s\",\"messages\":%ld,\"attempts\":%ld,\"seconds\":%."
        "3f,"
        "\"load_seconds\":%.3f,\"n_2xx\":%ld,\"n_4xx\":%ld,\"n_5xx\":%ld,\"n_conn_errors\":%ld,"
        "\"msg_per_s\":%.2f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
        opt.label.c_str(), messages, all.attempts, total, load_s, n_2xx.load(), n_4xx.load(),
        n_5xx.load(), n_err.load(), rate, percentile(all.ms, 50), percentile(all.ms, 90),
        percentile(all.ms, 99), all.ms.empty() ? 0 : all.ms.back());
  return 0;
}
