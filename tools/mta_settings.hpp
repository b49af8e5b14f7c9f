// mta_settings: what Postfix and Sendmail must be told so postern sees every
// transaction with the macros it reads. Pure text functions, no I/O: the
// `postern setup` commands (setup_command.cpp) read and write the MTA config.
//
// Contract: merging never drops what the admin has. A milter list gains
// postern's socket in front (postern inspects before a signing milter such as
// opendkim signs) and keeps every other entry; a list that already names the
// socket, bare or as the first item of a `{ ... }` group, is left as it is. A
// macro list gains the macros postern asks for and keeps the others (other
// milters may need them). Thread-safe (no state).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace postern::tools {

// The packaged socket as Postfix sees it: relative to queue_directory, so it
// works for chrooted smtpd (/var/spool/postfix/postern/postern.sock).
inline constexpr std::string_view kPostfixSocket = "unix:postern/postern.sock";
// The socket for Sendmail, which runs no chroot (RuntimeDirectory of the unit).
inline constexpr std::string_view kSendmailSocket = "local:/run/postern/postern.sock";

struct PostfixSetting {
  std::string name;
  std::string value;    // what it should be
  bool changed = true;  // differs from the current value
};

// The require_tls route (DLP action require_tls, lib/dlp/notify.hpp): postern adds
// `X-Postern-Route: tls-required`; milter_header_checks (a regexp table, built into
// Postfix: no postfix-pcre needed) answers FILTER postern-tls:, and the master.cf
// transport postern-tls is smtp with TLS level verify (a CA-signed certificate that
// names the MX host: encrypt would let an active attacker in the middle read the
// mail), TLS 1.2 or later, and no smtp_tls_policy_maps (a table's "may" for the
// destination must not lower it). The FILTER's next hop is main.cf's relayhost when
// there is one (the mail leaves the way it would have, over verified TLS), else empty
// (Postfix then takes the recipient's domain). A FILTER routes the whole message:
// every recipient of it, local ones too, goes out through the transport.
inline constexpr std::string_view kRouteTransport = "postern-tls";
inline constexpr std::string_view kRouteFile = "postern-route.regexp";
// The table as main.cf names it (config_directory follows `postconf -c`).
inline constexpr std::string_view kRouteTable = "regexp:${config_directory}/postern-route.regexp";
// The table file's text; `nexthop`: main.cf's relayhost ("" = none).
std::string route_table(std::string_view nexthop = {});
// The master.cf service line and its -o parameters (postconf -M / -P syntax).
std::string route_service();
const std::vector<std::pair<std::string, std::string>>& route_service_params();

// The Postfix parameters `postern setup postfix` reads and writes, in order.
const std::vector<std::string>& postfix_parameters();

// The settings for milter SOCKET (Postfix syntax), given the current values
// (`postconf -h`; a missing key counts as empty).
std::vector<PostfixSetting> postfix_settings(const std::map<std::string, std::string>& current,
                                             std::string_view socket);

// Milter list CURRENT with SOCKET in front (unchanged when it names SOCKET).
std::string merge_milters(std::string_view current, std::string_view socket);

// Macro list CURRENT plus the macros of NEEDED it lacks, space-separated.
std::string merge_macros(std::string_view current, std::string_view needed);

// Items of a Postfix or Sendmail list: separated by commas and white space;
// a `{ ... }` group is one item.
std::vector<std::string> split_list(std::string_view list);

// The sendmail.mc lines for SOCKET (Sendmail syntax, e.g. local:/run/postern/postern.sock).
std::string sendmail_mc(std::string_view socket);

}  // namespace postern::tools
