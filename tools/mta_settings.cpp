// mta_settings: Postfix main.cf and sendmail.mc settings for postern (see the header).
#include "tools/mta_settings.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace postern::tools {
namespace {

// The macros the milter asks for with smfi_setsymlist (milter/shim.cpp), per stage.
struct MacroStage {
  const char* postfix_param;
  const char* sendmail_define;
  const char* needed;            // space-separated
  const char* sendmail_default;  // sendmail 8.17's default list (cf/README), kept
};
constexpr MacroStage kMacros[] = {
    {"milter_connect_macros", "confMILTER_MACROS_CONNECT", "j {daemon_name}",
     "j, _, {daemon_name}, {if_name}, {if_addr}"},
    {"milter_helo_macros", "confMILTER_MACROS_HELO",
     "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} {verify}",
     "{tls_version}, {cipher}, {cipher_bits}, {cert_subject}, {cert_issuer}"},
    {"milter_mail_macros", "confMILTER_MACROS_ENVFROM", "i {auth_type} {auth_authen}",
     "i, {auth_type}, {auth_authen}, {auth_ssf}, {auth_author}, {mail_mailer}, {mail_host}, "
     "{mail_addr}"},
    {"milter_end_of_data_macros", "confMILTER_MACROS_EOM", "i", "{msg_id}"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// The socket an item names: the item, or the first entry of a `{ socket, options }` group.
std::string item_socket(std::string_view item) {
  if (item.empty() || item.front() != '{') return std::string(item);
  item.remove_prefix(1);
  if (!item.empty() && item.back() == '}') item.remove_suffix(1);
  auto inner = split_list(item);
  return inner.empty() ? std::string() : inner.front();
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

}  // namespace

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> items;
  std::string cur;
  int depth = 0;
  for (char c : list) {
    if (c == '{') ++depth;
    if (c == '}' && depth > 0) --depth;
    if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (!cur.empty()) items.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  if (!cur.empty()) items.push_back(std::move(cur));
  return items;
}

std::string merge_milters(std::string_view current, std::string_view socket) {
  current = trim(current);
  for (const auto& item : split_list(current))
    if (item_socket(item) == socket) return std::string(current);
  if (current.empty()) return std::string(socket);
  return fmt::format("{}, {}", socket, current);
}

std::string merge_macros(std::string_view current, std::string_view needed) {
  auto items = split_list(current);
  for (auto& m : split_list(needed))
    if (std::find(items.begin(), items.end(), m) == items.end()) items.push_back(std::move(m));
  return join(items, " ");
}

const std::vector<std::string>& postfix_parameters() {
  static const std::vector<std::string> kParams = [] {
    std::vector<std::string> p = {"smtpd_milters", "non_smtpd_milters", "milter_default_action",
                                  "milter_protocol", "milter_header_checks"};
    for (const auto& m : kMacros) p.emplace_back(m.postfix_param);
    return p;
  }();
  return kParams;
}

std::vector<PostfixSetting> postfix_settings(const std::map<std::string, std::string>& current,
                                             std::string_view socket) {
  auto cur = [&](const std::string& k) -> std::string {
    auto it = current.find(k);
    return it == current.end() ? std::string() : std::string(trim(it->second));
  };
  std::vector<PostfixSetting> out;
  auto add = [&](std::string name, std::string value) {
    bool changed = cur(name) != value;
    out.push_back({std::move(name), std::move(value), changed});
  };
  add("smtpd_milters", merge_milters(cur("smtpd_milters"), socket));
  // Local submission (sendmail(1), pickup) is inspected too; `$smtpd_milters` follows that list.
  std::string non_smtpd = cur("non_smtpd_milters");
  if (non_smtpd.find("$smtpd_milters") != std::string::npos ||
      non_smtpd.find("${smtpd_milters}") != std::string::npos ||
      non_smtpd.find("$(smtpd_milters)") != std::string::npos)
    add("non_smtpd_milters", non_smtpd);
  else if (non_smtpd.empty())
    add("non_smtpd_milters", "$smtpd_milters");
  else
    add("non_smtpd_milters", merge_milters(non_smtpd, socket));
  // postern down or failing: Postfix answers 4xx and the client retries; no mail is lost.
  add("milter_default_action", "tempfail");
  // Protocol 6: macro lists negotiated per stage (smfi_setsymlist), no replies to skipped steps.
  add("milter_protocol", "6");
  // The require_tls route: postern's table first, so it answers for its own field.
  {
    auto tables = split_list(cur("milter_header_checks"));
    if (std::find(tables.begin(), tables.end(), kRouteTable) == tables.end())
      tables.insert(tables.begin(), std::string(kRouteTable));
    add("milter_header_checks", join(tables, ", "));
  }
  for (const auto& m : kMacros) add(m.postfix_param, merge_macros(cur(m.postfix_param), m.needed));
  return out;
}

std::string route_table(std::string_view nexthop) {
  return fmt::format(
      "# postern: mail a DLP rule with action require_tls matched leaves over verified TLS only.\n"
      "# Written by `postern setup postfix --apply`; milter_header_checks sees only the fields\n"
      "# a milter added, and postern removes a sender's own X-Postern-* fields.\n"
      "/^X-Postern-Route:[[:space:]]*tls-required[[:space:]]*$/ FILTER {}:{}\n",
      kRouteTransport, trim(nexthop));
}

std::string route_service() {
  return fmt::format("{} unix - - n - - smtp", kRouteTransport);
}

const std::vector<std::pair<std::string, std::string>>& route_service_params() {
  static const std::vector<std::pair<std::string, std::string>> kParams = {
      {"smtp_tls_security_level", "verify"},
      {"smtp_tls_mandatory_protocols", ">=TLSv1.2"},
      {"smtp_tls_policy_maps", ""},
      {"syslog_name", "postfix/postern-tls"},
  };
  return kParams;
}

std::string sendmail_mc(std::string_view socket) {
  std::string out = fmt::format(
      "dnl postern: add these lines to /etc/mail/sendmail.mc (before the MAILER lines),\n"
      "dnl then rebuild and reload: make -C /etc/mail && systemctl reload sendmail\n"
      "dnl F=T: postern down -> 4xx (tempfail), so no mail is lost. Timeouts: Postfix's defaults\n"
      "dnl (connect 30 s, command 30 s, content 300 s), 10 min for the end of message.\n"
      "INPUT_MAIL_FILTER(`postern', `S={}, F=T, T=C:30s;S:30s;R:300s;E:10m')dnl\n",
      socket);
  for (const auto& m : kMacros) {
    auto items = split_list(m.sendmail_default);
    for (auto& need : split_list(m.needed))
      if (std::find(items.begin(), items.end(), need) == items.end())
        items.push_back(std::move(need));
    std::string list = join(items, ", ");
    out += fmt::format("define(`{}', `{}')dnl\n", m.sendmail_define, list);
  }
  return out;
}

}  // namespace postern::tools
