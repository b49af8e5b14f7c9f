// Fuzz harness: the milter protocol input as postern-milter turns it into
// Session calls. The input is read as milter packets (4-byte length, command
// byte, data) and each command is dispatched the way milter/shim.cpp does:
// C connect, H helo, M mail, R rcpt, L header, B body, E end of message,
// A abort, D macros (ignored here: the shim reads them through libmilter).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scan/session.hpp"

namespace {

postern::scan::SnapshotPtr snapshot() {
  static postern::scan::SnapshotPtr s = [] {
    postern::policy::Config cfg;
    cfg.limits.message_size = 1 << 16;
    auto pol = postern::policy::parse_policy(
        "[inbound]\ntag = 3.0\nquarantine = 6.0\nreject = 9.0\n"
        "[inbound.rules]\nLIST_SENDER_BLOCK = \"reject\"\nLIST_CLIENT_BLOCK = \"tempfail\"\n"
        "[lists.sender_block]\nmatch = \"sender\"\nsymbol = \"LIST_SENDER_BLOCK\"\nentries = "
        "[\"@bad.example\"]\n"
        "[lists.client_block]\nmatch = \"client_ip\"\nsymbol = \"LIST_CLIENT_BLOCK\"\nentries = "
        "[\"192.0.2.0/24\"]\n"
        "[lists.pass]\nmatch = \"recipient\"\nsymbol = \"LIST_RCPT_PASS\"\npass = true\nentries = "
        "[\"postmaster@\"]\n",
        "fuzz.toml");
    if (!pol) __builtin_trap();
    return postern::scan::make_snapshot(cfg, *pol);
  }();
  return s;
}

// NUL-separated strings of a packet's data.
std::vector<std::string> strings(std::string_view d) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < d.size() && out.size() < 64) {
    size_t z = d.find('\0', pos);
    out.emplace_back(d.substr(pos, z == std::string_view::npos ? std::string_view::npos : z - pos));
    if (z == std::string_view::npos) break;
    pos = z + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto session = std::make_unique<postern::scan::Session>(
      [] { return snapshot(); },
      [](const nlohmann::json& e) {
        (void)e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      });
  size_t pos = 0;
  while (pos + 5 <= in.size()) {
    uint32_t len = 0;
    std::memcpy(&len, in.data() + pos, 4);
    len = __builtin_bswap32(len);
    if (len == 0 || len > in.size() - pos - 4) break;
    char cmd = in[pos + 4];
    std::string_view d = in.substr(pos + 5, len - 1);
    pos += 4 + len;
    auto s = strings(d);
    switch (cmd) {
      case 'C':
        session->connection().client_name = s.empty() ? "" : s[0];
        session->connection().client_address = s.size() > 1 ? s[1] : "";
        session->connect();
        break;
      case 'H':
        session->helo(s.empty() ? "" : s[0]);
        break;
      case 'M':
        session->mail_from(s.empty() ? "" : s[0],
                           std::vector<std::string>(s.begin() + (s.empty() ? 0 : 1), s.end()));
        break;
      case 'R':
        (void)session->rcpt(s.empty() ? "" : s[0]);
        break;
      case 'L':
        session->header(s.empty() ? "" : s[0], s.size() > 1 ? s[1] : "");
        break;
      case 'B':
        session->body(d);
        break;
      case 'E':
        (void)session->end_of_message(s.empty() ? "" : s[0]);
        break;
      case 'A':
        (void)session->abort();
        break;
      case 'U':
        session->connection().sasl_user = s.empty() ? "" : s[0];
        break;
      default:
        break;
    }
  }
  return 0;
}
