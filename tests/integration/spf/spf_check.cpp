// spf_check: runs SPF checks read as JSON lines on stdin, one JSON answer line per check.
//
// Input lines:
//   {"zone": ["example.com. IN TXT \"v=spf1 -all\"", ...], "timeout": ["slow.example.com"]}
//       replaces the resolver: lib/dns with these local-data lines, forwarding
//       what they do not answer to a fake upstream server in this process: it
//       answers NXDOMAIN, except for the "timeout" names, which it never answers
//       (the test suite's TIMEOUT; declare them `typetransparent` local zones);
//   {"id": "...", "host": "1.2.3.4", "helo": "...", "mailfrom": "..."}
//       checks the MAIL FROM identity (the HELO identity when mailfrom is empty).
// Output: {"id": ..., "result": "pass", "explanation": ..., "detail": ...}, or
// {"error": ...} for a zone the resolver refused. Used by conformance.py.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "auth/spf.hpp"
#include "dns/resolver.hpp"

using json = nlohmann::json;
using namespace postern;

namespace {

std::mutex g_mu;
std::set<std::string> g_timeout;  // lower case, no trailing dot

// The fake upstream: NXDOMAIN for every question, silence for the timeout names.
void upstream(int fd) {
  unsigned char buf[1500];
  for (;;) {
    sockaddr_storage from{};
    socklen_t flen = sizeof from;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n < 0) return;
    if (n < 17) continue;
    std::string name;
    size_t i = 12;
    while (i < static_cast<size_t>(n) && buf[i] != 0) {
      size_t l = buf[i++];
      if (i + l > static_cast<size_t>(n)) break;
      if (!name.empty()) name += '.';
      for (size_t k = 0; k < l; ++k) name += static_cast<char>(std::tolower(buf[i + k]));
      i += l;
    }
    size_t end = i + 1 + 4;  // root label, QTYPE, QCLASS
    if (end > static_cast<size_t>(n)) continue;
    {
      std::lock_guard lk(g_mu);
      if (g_timeout.count(name)) continue;
    }
    buf[2] = static_cast<unsigned char>(0x80 | (buf[2] & 0x01));  // QR, RD copied
    buf[3] = 0x80 | 3;                                            // RA, NXDOMAIN
    std::fill(buf + 6, buf + 12, 0);  // no answer, authority, additional
    ::sendto(fd, buf, end, 0, reinterpret_cast<sockaddr*>(&from), flen);
  }
}

}  // namespace

int main() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    std::cerr << "spf_check: cannot open the silent forwarder socket\n";
    return 2;
  }
  std::string silent = "127.0.0.1@" + std::to_string(ntohs(sa.sin_port));
  std::thread(upstream, fd).detach();
  std::shared_ptr<dns::Resolver> resolver;
  std::string zone_error;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    json in = json::parse(line, nullptr, false);
    if (in.is_discarded()) {
      std::cout << json{{"error", "bad JSON line"}}.dump() << std::endl;
      continue;
    }
    if (in.contains("zone")) {
      dns::Options o;
      o.forwarders = {silent};
      o.timeout = std::chrono::milliseconds(300);
      o.local_data = in["zone"].get<std::vector<std::string>>();
      {
        std::lock_guard lk(g_mu);
        g_timeout.clear();
        for (const auto& t : in.value("timeout", std::vector<std::string>{})) {
          std::string l = t;
          std::transform(l.begin(), l.end(), l.begin(),
                         [](unsigned char c) { return std::tolower(c); });
          while (!l.empty() && l.back() == '.') l.pop_back();
          g_timeout.insert(l);
        }
      }
      auto r = dns::Resolver::create(o);
      resolver = r ? *r : nullptr;
      zone_error = r ? "" : r.error();
      continue;
    }
    json out{{"id", in.value("id", "")}};
    if (!resolver) {
      out["result"] = "error";
      out["detail"] = zone_error;
    } else {
      dns::Budget budget(resolver, 200);
      auto r = auth::check_spf(auth::SpfIdentity::MailFrom, in.value("host", ""),
                               in.value("helo", ""), in.value("mailfrom", ""), budget,
                               auth::SpfOptions{.receiver = "spf-test.postern"});
      out["result"] = std::string(auth::to_string(r.result));
      out["explanation"] = r.explanation;
      out["detail"] = r.detail;
      out["queries"] = budget.used();
    }
    std::cout << out.dump() << std::endl;
  }
  std::_Exit(0);  // the upstream thread still sits in recvfrom
}
