// arc_check: ARC verification and sealing driven by JSON lines on stdin, one JSON answer per line.
//
// Input lines:
//   {"zone": ["dummy._domainkey.example.org. IN TXT \"v=DKIM1; ...\"", ...]}
//       replaces the resolver: lib/dns with these local-data lines under a static
//       root zone (every other name is NXDOMAIN; nothing reaches the network);
//   {"id": "...", "verify": "<message>"}
//       -> {"id", "cv": "none|pass|fail", "detail", "temporary"}
//   {"id": "...", "sign": "<message>", "key": "<PEM>", "domain": "...", "selector": "...",
//    "t": 12345, "headers": ["mime-version", ...], "srv_id": "lists.example.org"}
//       verifies the chain (cv), records the Authentication-Results fields of
//       srv_id (merged into one value) and seals:
//       -> {"id", "cv", "aar", "ams", "as"} or {"id", "cv", "refused": "why"}.
// Messages are given with LF or CRLF line ends; they become CRLF. Used by conformance.py.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/arc.hpp"
#include "auth/signature.hpp"
#include "dns/resolver.hpp"

using json = nlohmann::json;
using namespace postern;

namespace {

// The results of every Authentication-Results field whose authserv-id is `srv_id`,
// merged into one "srv_id; r1; r2" value.
std::string merged_ar(const core::Message& m, const std::string& srv_id) {
  std::string out = srv_id;
  for (const auto* f : m.find_all("Authentication-Results")) {
    std::string v = auth::relaxed_value(m.raw_value(*f));
    size_t semi = v.find(';');
    std::string id(core::trim(v.substr(0, semi)));
    if (id != srv_id || semi == std::string::npos) continue;
    std::string rest(core::trim(v.substr(semi + 1)));
    while (!rest.empty() && rest.back() == ';') rest.pop_back();
    if (!rest.empty()) out += "; " + rest;
  }
  return out;
}

}  // namespace

int main() {
  std::shared_ptr<dns::Resolver> resolver;
  std::string zone_error = "no zone given";
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
      o.timeout = std::chrono::milliseconds(2000);
      o.local_data = {"local-zone: \".\" static"};
      for (const auto& z : in["zone"]) o.local_data.push_back(z.get<std::string>());
      auto r = dns::Resolver::create(o);
      resolver = r ? *r : nullptr;
      zone_error = r ? "" : r.error();
      continue;
    }
    json out{{"id", in.value("id", "")}};
    if (!resolver) {
      out["error"] = zone_error;
      std::cout << out.dump() << std::endl;
      continue;
    }
    bool sign = in.contains("sign");
    core::Message m(core::to_crlf(in.value(sign ? "sign" : "verify", "")));
    dns::Budget budget(resolver, 200);
    auth::ArcResult r = auth::verify_arc(m, budget);
    out["cv"] = std::string(auth::to_string(r.cv));
    out["detail"] = r.detail;
    out["temporary"] = r.temporary;
    if (sign) {
      auto key = auth::SignatureKey::from_private_pem(in.value("key", ""));
      if (!key) {
        out["error"] = key.error();
        std::cout << out.dump() << std::endl;
        continue;
      }
      auth::ArcSealer sealer;
      sealer.domain = in.value("domain", "");
      sealer.selector = in.value("selector", "");
      sealer.key = std::make_shared<const auth::SignatureKey>(std::move(*key));
      sealer.headers = in.value("headers", std::vector<std::string>{});
      auto set = auth::seal_arc(m, merged_ar(m, in.value("srv_id", "")), r.cv, sealer,
                                in.value("t", int64_t{0}));
      if (set) {
        out["aar"] = set->aar;
        out["ams"] = set->ams;
        out["as"] = set->seal;
      } else {
        out["refused"] = set.error();
      }
    }
    std::cout << out.dump() << std::endl;
  }
  return 0;
}
