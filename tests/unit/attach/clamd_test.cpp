// The clamd client against a real clamd (Debian's clamav-daemon, started here on a
// private socket with a private config and the test's own database): the same Hits
// as the in-process engine, clamd's StreamMaxLength reply as a limit finding, and
// every failure (no clamd, a silent or garbled peer) an error within its timeouts.
#include "attach/clamd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "clam_fixtures.hpp"
#include "support/loopback.hpp"

using namespace postern::attach;
using namespace postern::test;
using namespace std::chrono_literals;

namespace {

const fs::path kOle = fs::path(POSTERN_CORPUS_DIR) / "attach/oletools";
constexpr size_t kStreamMax = 4 << 20;  // the test clamd's StreamMaxLength

// clamd in the foreground on a private socket; stopped (SIGTERM, then waited for)
// when the test ends. `running()` is false when clamd is not installed or never
// opened its socket within 60 s.
class Clamd {
 public:
  explicit Clamd(const fs::path& dir)
      : socket_(dir / "clamd.sock"), port_(postern::test::free_port()) {
    fs::create_directories(dir / "db");
    write_md5_db(dir / "db");
    write_body_db(dir / "db");
    write_eicar_db(dir / "db");
    write_file(dir / "clamd.conf",
               "LocalSocket " + socket_.string() + "\nDatabaseDirectory " + (dir / "db").string() +
                   "\nForeground yes\nLogFile " + (dir / "clamd.log").string() +
                   "\nStreamMaxLength " + std::to_string(kStreamMax) +
                   "\nAlertEncrypted yes\nAlertOLE2Macros yes\nAlertExceedsMax yes\n"
                   "MaxThreads 4\nSelfCheck 3600\nTCPAddr 127.0.0.1\nTCPSocket " +
                   std::to_string(port_) + "\n");
    if (::access("/usr/sbin/clamd", X_OK) != 0) return;
    std::string conf = "--config-file=" + (dir / "clamd.conf").string();
    std::string out = (dir / "clamd.out").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      // clamd in the foreground also prints its log: keep it beside the log file.
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl("/usr/sbin/clamd", "clamd", "--foreground", conf.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 600 && !fs::exists(socket_); ++i) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  ~Clamd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0 && fs::exists(socket_); }
  std::string address() const { return "unix:" + socket_.string(); }
  std::string tcp_address() const { return "tcp:127.0.0.1:" + std::to_string(port_); }

 private:
  fs::path socket_;
  int port_;
  pid_t pid_ = -1;
};

ClamdClient client_for(const std::string& address, ClamdConfig c = {}) {
  c.address = address;
  auto r = ClamdClient::create(c);
  INFO((r ? std::string() : r.error()));
  REQUIRE(r);
  return *r;
}

// A small socket peer that is not clamd (labelled as such): it accepts one
// connection, reads what comes, then answers `reply` (or nothing) and closes.
class FakePeer {
 public:
  FakePeer(const fs::path& path, std::string reply, bool answer)
      : path_(path), reply_(std::move(reply)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::strncpy(un.sun_path, path.c_str(), sizeof un.sun_path - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&un), sizeof un) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
    thread_ = std::thread([this, answer] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      // Reads the request (up to its zero length) or until the client gives up.
      std::string got;
      while (got.size() < 14 || got.compare(got.size() - 4, 4, std::string(4, '\0')) != 0) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      if (answer) {
        (void)!::write(c, reply_.data(), reply_.size());
      } else {
        while (::read(c, buf, sizeof buf) > 0) {
        }
      }
      ::close(c);
    });
  }
  ~FakePeer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "unix:" + path_.string(); }

 private:
  fs::path path_;
  std::string reply_;
  int fd_ = -1;
  std::thread thread_;
};

}  // namespace

TEST_CASE("clamd finds what the in-process engine finds, as the same Hits", "[clamd]") {
  TempDir t;
  Clamd clamd(t.path());
  if (!clamd.running()) {
    WARN("clamd (clamav-daemon) could not be started here: test not run");
    return;
  }
  ClamConfig cc;
  cc.database_dirs = {(t.path() / "db").string()};
  auto engine = ClamEngine::load(cc);
  REQUIRE(engine);
  ClamdClient client = client_for(clamd.address());

  struct Row {
    std::string name, data;
    std::vector<Hit> want;
  };
  std::vector<Row> rows = {
      {"clam.exe", read_or_throw(kTestFiles / "clam.exe"), {{"ATTACH_VIRUS", kBodyName}}},
      {"clam.zip", read_or_throw(kTestFiles / "clam.zip"), {{"ATTACH_VIRUS", kBodyName}}},
      {"clam.7z", read_or_throw(kTestFiles / "clam.7z"), {{"ATTACH_VIRUS", kBodyName}}},
      {"clam.pdf", read_or_throw(kTestFiles / "clam.pdf"), {{"ATTACH_VIRUS", kBodyName}}},
      {"EICAR", kEicar, {{"ATTACH_VIRUS", kEicarName}}},
      {"macro ppt",
       read_or_throw(kOle / "olevba/sample_with_vba.ppt"),
       {{"ATTACH_MACRO", "Heuristics.OLE2.ContainsMacros.VBA"}}},
      {"password zip",
       read_or_throw(kOle / "msodde/dde-test-from-office2016.doc.zip"),
       {{"ATTACH_ENCRYPTED_ARCHIVE", "Heuristics.Encrypted.Zip"}}},
      {"clean text", "Hello, the report is attached.\r\n", {}},
      // More than one INSTREAM chunk (64 KiB), under StreamMaxLength.
      {"clean 3 MiB", random_bytes(3 << 20, 7), {}},
  };
  for (const Row& r : rows) {
    SECTION(r.name) {
      ScanResult over_socket = client.scan(r.data);
      INFO(over_socket.error);
      auto h = to_hits(over_socket);
      REQUIRE(h);
      CHECK(*h == r.want);
      auto local = to_hits((*engine)->scan(r.data, r.name));
      REQUIRE(local);
      CHECK(*local == *h);
      CHECK(over_socket.scanned_bytes == r.data.size());
    }
  }

  SECTION("over TCP too") {
    ClamdClient tcp = client_for(clamd.tcp_address());
    ScanResult r = tcp.scan(read_or_throw(kTestFiles / "clam.zip"));
    INFO(r.error);
    CHECK(*to_hits(r) == std::vector<Hit>{{"ATTACH_VIRUS", kBodyName}});
    CHECK(tcp.scan("nothing to see").status == ScanStatus::Clean);
  }

  SECTION("several threads at once") {
    std::string zip = read_or_throw(kTestFiles / "clam.zip");
    std::atomic<int> found{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i)
      ts.emplace_back([&] {
        for (int k = 0; k < 5; ++k)
          if (client.scan(zip).status == ScanStatus::Found) ++found;
      });
    for (auto& th : ts) th.join();
    CHECK(found.load() == 20);
  }
}

TEST_CASE("a stream over clamd's StreamMaxLength, or over max_stream, is a limit finding",
          "[clamd]") {
  TempDir t;
  Clamd clamd(t.path());
  if (!clamd.running()) {
    WARN("clamd (clamav-daemon) could not be started here: test not run");
    return;
  }
  const std::vector<Hit> limit{{"ATTACH_CLAMAV_LIMIT", std::string(kClamdStreamLimitName)}};
  SECTION("clamd says 'INSTREAM size limit exceeded' (it may close mid-send)") {
    ClamdClient client = client_for(clamd.address());
    ScanResult r = client.scan(random_bytes(kStreamMax + (1 << 20), 3));
    INFO(r.error);
    auto h = to_hits(r);
    REQUIRE(h);
    CHECK(*h == limit);
  }
  SECTION("the client's own max_stream: not sent at all") {
    ClamdConfig c;
    c.max_stream = 1000;
    ClamdClient client = client_for(clamd.address(), c);
    CHECK(*to_hits(client.scan(read_or_throw(kTestFiles / "clam.pdf"))) == limit);
    CHECK(*to_hits(client.scan(read_or_throw(kTestFiles / "clam.exe"))) ==
          std::vector<Hit>{{"ATTACH_VIRUS", kBodyName}});
  }
}

TEST_CASE("no clamd, a silent peer or a garbled reply is an error within the timeouts", "[clamd]") {
  TempDir t;
  ClamdConfig fast;
  fast.connect_timeout = 300ms;
  fast.io_timeout = 300ms;
  fast.scan_timeout = 2s;
  const std::string data = read_or_throw(kTestFiles / "clam.exe");
  struct Row {
    std::string name;
    bool peer, answer;
    std::string reply, error;
  };
  std::vector<Row> rows = {
      {"no socket", false, false, "", "No such file"},
      {"a peer (not clamd) that never answers", true, false, "", "timed out"},
      {"a peer (not clamd) that answers garbage", true, true, std::string("hello\0", 6),
       "unexpected reply"},
      {"a peer (not clamd) that closes without a reply", true, true, "", "no reply"},
      {"a peer (not clamd) whose reply is not NUL-terminated", true, true, "stream: OK",
       "not NUL-terminated"},
  };
  for (const Row& r : rows) {
    SECTION(r.name) {
      fs::path sock = t.path() / "peer.sock";
      std::unique_ptr<FakePeer> peer;
      if (r.peer) peer = std::make_unique<FakePeer>(sock, r.reply, r.answer);
      ClamdClient client = client_for("unix:" + sock.string(), fast);
      auto t0 = std::chrono::steady_clock::now();
      ScanResult res = client.scan(data);
      CHECK(std::chrono::steady_clock::now() - t0 < 3s);
      CHECK(res.status == ScanStatus::Error);
      CHECK_THAT(res.error, Catch::Contains(r.error));
      CHECK_FALSE(to_hits(res));
    }
  }
}

TEST_CASE("clamd replies are read one way only", "[clamd]") {
  using S = ScanStatus;
  struct Row {
    std::string reply;
    S status;
    std::vector<std::string> names = {};
  };
  std::vector<Row> rows = {
      {std::string("stream: OK\0", 11), S::Clean},
      {std::string("stream: Eicar-Signature FOUND\0", 30), S::Found, {"Eicar-Signature"}},
      {std::string("stream: A FOUND\0stream: B FOUND\0", 32), S::Found, {"A", "B"}},
      {std::string("INSTREAM size limit exceeded. ERROR\0", 36),
       S::Found,
       {std::string(kClamdStreamLimitName)}},
      {std::string("stream: Can't allocate memory ERROR\0", 36), S::Error},
      {std::string("stream: OK", 10), S::Error},                     // no NUL: cut short
      {std::string("stream: OK\0stream: OK\0", 22), S::Error},       // two answers to one scan
      {std::string("stream: A FOUND\0stream: OK\0", 27), S::Error},  // contradicts itself
      {std::string("stream:  FOUND\0", 15), S::Error},               // no name
      {std::string("stream: Two Words FOUND\0", 24), S::Error},      // a name with a space
      {std::string("stream: A\x01 FOUND\0", 17), S::Error},          // control byte
      {std::string("STREAM: OK\0", 11), S::Error},
      {std::string("stream: OK\n", 11), S::Error},
      {std::string("\0", 1), S::Error},
      {"", S::Error},
  };
  for (const Row& r : rows) {
    ScanResult res = parse_clamd_reply(r.reply);
    INFO(r.reply);
    CHECK(res.status == r.status);
    CHECK(res.names == r.names);
  }
}

TEST_CASE("clamd addresses: unix paths and tcp host:port, nothing else", "[clamd]") {
  struct Row {
    std::string address;
    bool ok;
  };
  std::vector<Row> rows = {
      {"unix:/run/clamav/clamd.ctl", true},
      {"/run/clamav/clamd.ctl", true},
      {"tcp:127.0.0.1:3310", true},
      {"tcp:[::1]:3310", true},
      {"tcp:localhost:3310", true},
      {"unix:relative/path", false},
      {"unix:/" + std::string(200, 'a'), false},
      {"tcp:127.0.0.1", false},
      {"tcp:127.0.0.1:0", false},
      {"tcp:127.0.0.1:65536", false},
      {"tcp:127.0.0.1:33a", false},
      {"tcp::3310", false},
      {"tcp:::1:3310", false},
      {"127.0.0.1:3310", false},
      {"", false},
  };
  for (const Row& r : rows) {
    ClamdConfig c;
    c.address = r.address;
    INFO(r.address);
    CHECK(static_cast<bool>(ClamdClient::create(c)) == r.ok);
  }
  ClamdConfig zero;
  zero.io_timeout = 0ms;
  CHECK_FALSE(ClamdClient::create(zero));
}
