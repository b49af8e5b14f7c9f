// `postern quarantine list | show | release | delete | export | sweep`: postern's
// quarantine store (lib/quarantine) from the command line.
//
// Contract: every subcommand reads the daemon config (-c, default
// /etc/postern/postern.toml): [state] for the index, [quarantine] for the files,
// the release key and the sendmail command.
// - list [--since T] [--until T] [--rcpt A] [--from S] [--symbol SYM] [--limit N]
//   [--json]: entries newest first (T: Unix seconds, YYYY-MM-DD,
//   YYYY-MM-DDTHH:MM[:SS][Z] in UTC, or an age like 90m, 24h, 7d).
// - show ID: the entry, the header block, the findings and the visible text of
//   the text parts (lib/mime: HTML as text, never the raw HTML); control
//   characters are shown as '?', so a message cannot drive the terminal.
// - release ID [--to RCPT]... [--actor NAME]: re-injects the message through
//   [quarantine] sendmail (-f SENDER -- RCPTS) with a signed X-Postern-Release
//   field (quarantine/release.hpp), then marks the entry released.
// - delete ID [--actor NAME]: removes the entry (the file when no other entry
//   names it). release and delete write an audit JSON line (who: --actor, else
//   the Unix user, with SUDO_USER) to syslog (mail facility) and to the event log.
// - export ID: the message as stored, to standard output.
// - sweep: removes the expired entries and unreferenced files now.
// - digest [--dry-run]: mails each recipient of inbound mail quarantined in the last
//   [quarantine.digest] since_hours a list of their held messages, each with a signed
//   link to the web page (tools/quarantine_digest.hpp); exit 3 when a mail failed.
// - passwd USER [--file F] [--iterations N]: sets USER's password for the web page
//   (postern-quarantined) in [quarantine.web] password_file or F: a line of standard
//   input, or asked twice with echo off on a terminal; 8 to 1024 bytes.
// Exit codes: 0 done; 1 a usage, config or store error; 2 no such entry; 3 the
// sendmail command failed (the entry is not marked).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace postern::tools {

// Adds the subcommand to `app`; the function returned runs it when it was parsed
// (nullopt otherwise).
std::function<std::optional<int>()> add_quarantine_command(CLI::App& app);

// A time of list's --since and --until, in Unix seconds: "1700000000", "2026-12-04",
// "2026-12-04T10:00[:00][Z]" (UTC), or an age before `now` ("90m", "24h", "7d");
// nullopt for anything else.
std::optional<int64_t> parse_time(const std::string& s, int64_t now);

}  // namespace postern::tools
