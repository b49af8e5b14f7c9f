// [smime] of postern.toml and of the policy (see config.hpp).
#include "smime/config.hpp"

#include <fmt/format.h>

#include "core/address.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"

namespace postern::smime {

std::string_view to_string(MissingCert m) {
  switch (m) {
    case MissingCert::Bounce:
      return "bounce";
    case MissingCert::Notify:
      return "notify";
    case MissingCert::Quarantine:
      break;
  }
  return "quarantine";
}

namespace {

template <class Path>
void read_ldap(const toml::table& t, policy::TomlSection& parent, LdapConfig& l, Path& path) {
  policy::TomlSection s(t, "smime.ldap", parent.file(), parent.errors());
  if (auto v = s.string("uri")) {
    if (!v->starts_with("ldap://") && !v->starts_with("ldaps://") && !v->starts_with("ldapi://"))
      s.error(*s.node("uri"), "'uri' in [smime.ldap]: expected ldap://, ldaps:// or ldapi://");
    else
      l.uri = *v;
  }
  if (auto v = s.string("base")) l.base = *v;
  if (auto v = s.string("filter")) {
    if (v->find("{address}") == std::string::npos || v->front() != '(' || v->back() != ')')
      s.error(*s.node("filter"),
              "'filter' in [smime.ldap]: an LDAP filter in parentheses naming {address}");
    else
      l.filter = *v;
  }
  if (auto v = s.string("attribute")) {
    if (v->empty() || v->find_first_of(" ,()\"") != std::string::npos)
      s.error(*s.node("attribute"), "'attribute' in [smime.ldap]: one attribute description");
    else
      l.attribute = *v;
  }
  if (auto v = s.string("bind_dn")) l.bind_dn = *v;
  path(s, "password_file", l.password_file);
  if (auto v = s.integer("timeout_ms", 50, 60000)) l.timeout_ms = static_cast<int>(*v);
  if (auto v = s.integer("ttl", 1, 30 * 86400)) l.ttl = static_cast<int>(*v);
  if (auto v = s.integer("negative_ttl", 1, 30 * 86400)) l.negative_ttl = static_cast<int>(*v);
  if (auto v = s.integer("max_certs", 1, 1000)) l.max_certs = static_cast<size_t>(*v);
  if (auto v = s.integer("max_bytes", 1024, 16 << 20)) l.max_bytes = static_cast<size_t>(*v);
  if (auto v = s.integer("max_lookups", 1, 1000)) l.max_lookups = static_cast<size_t>(*v);
  if (l.uri.empty() || l.base.empty()) s.error_here("[smime.ldap]: expected 'uri' and 'base'");
  if (auto v = s.boolean("starttls")) l.starttls = *v;
  if (!l.password_file.empty() && l.bind_dn.empty())
    s.error_here("[smime.ldap]: 'password_file' without 'bind_dn'");
  if (l.starttls && !l.uri.starts_with("ldap://"))
    s.error_here("[smime.ldap]: 'starttls' is for ldap:// (ldaps:// is TLS already)");
  // A password over plain ldap:// would cross the network in the clear.
  if (!l.bind_dn.empty() && l.uri.starts_with("ldap://") && !l.starttls)
    s.error_here(
        "[smime.ldap]: 'bind_dn' over ldap:// sends the password in the clear: use ldaps://, "
        "ldapi:// or starttls = true");
  s.finish();
}

}  // namespace

void read_smime_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  SmimeConfig k;
  auto path = [&](policy::TomlSection& t, const char* key, std::string& out) {
    if (auto v = t.string(key)) out = v->empty() ? std::string() : policy::resolve_path(dir, *v);
  };
  path(s, "cert_dir", k.cert_dir);
  path(s, "ca_file", k.ca_file);
  path(s, "ca_dir", k.ca_dir);
  if (auto v = s.boolean("verify")) k.verify = *v;
  if (auto v = s.string("cipher")) {
    if (*v == "aes-256-cbc")
      k.cipher = Cipher::Aes256Cbc;
    else if (*v == "aes-256-gcm")
      k.cipher = Cipher::Aes256Gcm;
    else
      s.error(*s.node("cipher"),
              "'cipher' in [smime]: expected \"aes-256-cbc\" or \"aes-256-gcm\"");
  }
  if (auto v = s.integer("max_bytes", 1024, 1ll << 30)) k.max_bytes = static_cast<size_t>(*v);
  if (const toml::table* t = s.table("sign")) {
    policy::TomlSection g(*t, "smime.sign", s.file(), s.errors());
    path(g, "cert", k.sign_cert);
    path(g, "key", k.sign_key);
    path(g, "chain", k.sign_chain);
    if (k.sign_cert.empty() != k.sign_key.empty())
      g.error_here("[smime.sign]: expected both 'cert' and 'key'");
    g.finish();
  }
  if (const toml::table* t = s.table("decrypt")) {
    policy::TomlSection d(*t, "smime.decrypt", s.file(), s.errors());
    path(d, "key_dir", k.decrypt_key_dir);
    if (k.decrypt_key_dir.empty()) d.error_here("[smime.decrypt]: expected 'key_dir'");
    if (auto v = d.integer("max_layers", 1, 8)) k.decrypt_max_layers = static_cast<size_t>(*v);
    d.finish();
  }
  if (const toml::table* t = s.table("ldap")) read_ldap(*t, s, k.ldap, path);
  s.finish();
  c.set_section(SmimeConfig::kSection, std::move(k));
}

const SmimeConfig& smime_config(const policy::Config& c) {
  return c.section<SmimeConfig>(SmimeConfig::kSection);
}

bool domain_listed(std::string_view domain, const std::vector<std::string>& domains) {
  for (const auto& d : domains)
    if (domain == d || (domain.size() > d.size() && domain.ends_with(d) &&
                        domain[domain.size() - d.size() - 1] == '.'))
      return true;
  return false;
}

namespace {

// The hard rule SMIME_NO_CERT and SMIME_LIMIT get from missing_cert (outbound mail).
void set_hard_rules(policy::Policy& p, const EncryptPolicy& e) {
  policy::Rule r;
  r.action =
      e.missing_cert == MissingCert::Bounce ? core::Action::Reject : core::Action::Quarantine;
  if (e.missing_cert == MissingCert::Bounce) r.text = e.message;
  for (const char* sym : {"SMIME_NO_CERT", "SMIME_LIMIT"}) p.outbound.rules[sym] = r;
}

}  // namespace

void read_smime_policy(policy::TomlSection& s, policy::Policy& p) {
  SmimePolicy sp = p.sections.section<SmimePolicy>("smime");
  if (const toml::table* t = s.table("encrypt")) {
    policy::TomlSection e(*t, "smime.encrypt", s.file(), s.errors());
    EncryptPolicy& ep = sp.encrypt;
    ep.configured = true;
    if (auto v = e.strings("domains")) {
      ep.domains.clear();
      for (const auto& d : *v) {
        std::string low = core::to_lower(d);
        while (low.ends_with(".")) low.pop_back();
        if (low.empty() || low.size() > 253 || low.find_first_of(" @\t") != std::string::npos) {
          e.error(*e.node("domains"), fmt::format("'domains': '{}' is not a domain name", d));
          continue;
        }
        ep.domains.push_back(std::move(low));
      }
    }
    if (auto v = e.boolean("on_dlp")) ep.on_dlp = *v;
    if (auto v = e.string("missing_cert")) {
      if (*v == "quarantine")
        ep.missing_cert = MissingCert::Quarantine;
      else if (*v == "bounce")
        ep.missing_cert = MissingCert::Bounce;
      else if (*v == "notify")
        ep.missing_cert = MissingCert::Notify;
      else
        e.error(*e.node("missing_cert"),
                "'missing_cert': expected \"quarantine\", \"bounce\" or \"notify\" (never plain "
                "text)");
    }
    if (auto v = e.string("message")) {
      if (v->empty() || v->size() > 200 || v->find_first_of("\r\n") != std::string::npos)
        e.error(*e.node("message"), "'message': one line of 1 to 200 characters");
      else
        ep.message = *v;
    }
    e.finish();
  }
  s.finish();
  set_hard_rules(p, sp.encrypt);
  p.sections.set_section("smime", std::move(sp));
}

const SmimePolicy& smime_policy(const policy::Policy& p) {
  return p.sections.section<SmimePolicy>("smime");
}

}  // namespace postern::smime
