// `postern setup postfix|sendmail`: prints, or applies, the MTA settings
// postern needs (tools/mta_settings.hpp), and checks that the MTA can reach
// the milter socket.
//
// Contract (postfix): reads the current values with `postconf [-c DIR] -h`,
// prints the merged settings as main.cf lines, or with `apply` writes the
// changed ones with `postconf [-c DIR] -e` (nothing else is touched; Postfix is
// not reloaded). Then, for a unix socket, resolves it against
// queue_directory and connects to it as Postfix's mail_owner (when run as
// root; else as the caller, and says so); for inet, connects over TCP.
// Exit codes: 0 settings printed/applied and the socket is reachable; 1 bad
// usage or postconf failed; 2 settings fine but Postfix cannot reach the socket.
// (sendmail): prints the sendmail.mc lines; exit 0.
#pragma once

#include <string>

namespace postern::tools {

struct SetupOptions {
  std::string mta;         // "postfix" | "sendmail"
  bool apply = false;      // postfix: postconf -e
  std::string config_dir;  // postfix: postconf -c DIR ("" = Postfix's default)
  std::string socket;      // "" = the packaged socket for that MTA
};

int run_setup(const SetupOptions& o);

}  // namespace postern::tools
