// [dns]: the resolver's section of postern.toml.
#include "dns/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

namespace postern::dns {
namespace {

// "IP" or "IP@PORT" (unbound's forward-addr syntax).
bool forwarder_ok(const std::string& f) {
  std::string ip = f.substr(0, f.find('@'));
  if (f.find('@') != std::string::npos) {
    std::string port = f.substr(f.find('@') + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535)
      return false;
  }
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

int64_t mtime(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

void read_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  Config d;
  if (auto v = s.strings("forwarders")) {
    const toml::array* arr = s.node("forwarders")->as_array();
    for (size_t i = 0; i < v->size(); ++i) {
      if (forwarder_ok((*v)[i]))
        d.forwarders.push_back((*v)[i]);
      else
        s.error(*arr->get(i), "'forwarders' in [dns]: expected an IP address, optionally @PORT");
    }
  }
  if (auto v = s.string("trust_anchor")) d.trust_anchor = policy::resolve_path(dir, *v);
  if (auto v = s.string("local_data")) d.local_data = policy::resolve_path(dir, *v);
  if (auto v = s.integer("timeout_ms", 10, 60000)) d.timeout_ms = static_cast<int>(*v);
  if (auto v = s.integer("max_queries", 1, 10000)) d.max_queries = static_cast<int>(*v);
  d.trust_anchor_mtime = mtime(d.trust_anchor);
  d.local_data_mtime = mtime(d.local_data);
  s.finish();
  c.set_section(std::string(Config::kSection), std::move(d));
}

bool resolver_changed(const Config& a, const Config& b) {
  Config x = a, y = b;
  x.max_queries = y.max_queries = 0;
  return !(x == y);
}

Options options(const Config& c) {
  Options o;
  o.forwarders = c.forwarders;
  o.trust_anchor_file = c.trust_anchor;
  o.local_data_file = c.local_data;
  o.timeout = std::chrono::milliseconds(c.timeout_ms);
  return o;
}

}  // namespace postern::dns
