// Policy: the layered policy files, compiled into one immutable value.
//
// Contract: `load_policy(dirs)` reads every `*.toml` file of the given
// directories. Layering rule: a file in a later directory replaces the file of
// the same name in an earlier one (so /etc/postern/policies/10-lists.toml
// masks /usr/share/postern/policies/10-lists.toml); the resulting files are
// then applied in file-name order, and a later file overrides what an earlier
// one set key by key: a threshold, a rule (per symbol), a score (per symbol), a
// whole list (per list name), a whole DNSBL zone (per zone name; `enabled =
// false` removes it), a reply, a setting; a whole [[group]] (per group name,
// keeping the place where it was first defined). Every problem in any file is
// an Error with file:line:column; unknown keys are errors. A file is checked
// against policy/toml_bounds before it is parsed (at most 8 MiB, 64 dotted key
// parts, arrays and inline tables 32 deep), and every number (scores,
// thresholds) must be finite: nan and inf are errors. The Policy is
// immutable after load and shared by all threads.
//
// Groups ([[group]]): a group is the policy for some addresses (recipients of
// inbound mail, the sender of outbound mail): its `recipients` patterns and
// the entries of the address `lists` it names. Each group inherits the
// top-level policy after layering and sets over it what it sets: thresholds
// key by key, rules per symbol (per direction), subject_prefix,
// findings_header, and quarantine = false (a quarantine result is delivered
// tagged instead). `group_for(address)` is the first group in definition order
// whose patterns or lists match, else `default_group` ("default": the
// top-level policy, or a [[group]] named "default" over it, which matches no
// addresses of its own).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include "core/expected.hpp"

#include "core/connection.hpp"
#include "core/finding.hpp"
#include "core/ip.hpp"
#include "core/registration.hpp"
#include "core/verdict.hpp"
#include "policy/error.hpp"
#include "policy/sections.hpp"

namespace postern::policy {

enum class ListMatch { ClientIp, Sender, Recipient };

// One address entry: "user@example.com" (that address), "user@" (that local part
// at any domain), "@example.com" (that domain only), "example.com" (that domain
// and every subdomain). Comparison is case-insensitive.
struct AddressPattern {
  enum class Kind { Address, LocalPart, Domain, DomainTree };
  Kind kind;
  std::string text;  // lower-cased, without the marker '@'
  bool matches(std::string_view address) const;
  // An entry as written in a list; nullopt when it is none of the four forms.
  static std::optional<AddressPattern> parse(std::string_view entry);
};

struct List {
  std::string name;
  ListMatch match = ListMatch::Sender;
  std::string symbol;
  double score = 0;
  bool pass = false;  // recipient lists: matching recipients always get their mail
  std::vector<core::Cidr> networks;
  std::vector<AddressPattern> addresses;
  std::vector<std::string> entries;  // as written, for details

  // The entry that matches, as written; nullopt if none.
  std::optional<std::string> match_ip(const core::IpAddress& a) const;
  std::optional<std::string> match_address(std::string_view address) const;
};

struct Rule {
  core::Action action = core::Action::Accept;
  std::string text;  // SMTP reply text; "" = the action's default reply
};

// One DNSBL zone ([dnsbl.NAME]): the client address is looked up as
// <reversed address>.<zone> A; each 127.0.0.0/8 answer is a return code.
struct DnsblCode {
  std::string symbol;
  double score = 0;
};

struct DnsblZone {
  std::string name;       // the table name (spamhaus in [dnsbl.spamhaus])
  std::string zone;       // "zen.spamhaus.org": lower case, no trailing dot
  int timeout_ms = 1500;  // how long the stage waits for this zone's answer
  std::string symbol;     // the finding for a listing whose code is not in `codes`
  double score = 0;
  std::map<std::string, DnsblCode, std::less<>> codes;  // "127.0.0.2" -> RBL_SBL
};

// When findings of connect and HELO may end the SMTP session (hard rules only):
// at RCPT like every other before-data decision (default), or right at the
// connect or HELO event.
enum class DecideAt { Rcpt, Connect, Helo };

struct Thresholds {
  std::optional<double> tag, quarantine, reject;
};

struct DirectionPolicy {
  Thresholds thresholds;
  std::map<std::string, Rule, std::less<>> rules;  // hard rules: symbol -> action
};

inline constexpr std::string_view kDefaultGroup = "default";

// One policy group, resolved: the top-level policy with the group's settings over it.
struct Group {
  std::string name = std::string(kDefaultGroup);
  std::vector<AddressPattern> addresses;  // `recipients` patterns
  std::vector<std::string> entries;       // the patterns as written, for details
  std::vector<std::string> lists;         // names of address lists whose entries belong to it
  DirectionPolicy inbound, outbound;
  std::string subject_prefix = "[SPAM]";
  bool findings_header = true;
  bool quarantine = true;  // false: a quarantine result becomes tag

  const DirectionPolicy& for_direction(core::Direction d) const {
    return d == core::Direction::Inbound ? inbound : outbound;
  }
};

// Where a policy names a symbol it does not define (a rule or a score), for
// scan::check_symbols to refuse the names that do not exist.
struct SymbolRef {
  std::string symbol;
  std::string what;  // "rule in [inbound.rules]", "score"
  Error where;       // file, line, column of the name
};

// Which mail a section applies to, by direction.
struct Directions {
  bool inbound = true, outbound = true;
  bool has(core::Direction d) const { return d == core::Direction::Inbound ? inbound : outbound; }
};
// Reads "direction" = "inbound" | "outbound" | "both" of a section into `d` (absent:
// `d` unchanged); false after an error at the value.
bool read_direction(TomlSection& s, Directions& d);

// Reads one DNS list zone table ([dnsbl.NAME], and lib/url's [url.uribl.NAME]):
// zone, timeout_ms, symbol, score, codes; replaces the zone of the same name in
// `zones` (enabled = false removes it). Errors at their file:line:column.
void read_dnsbl_zone(TomlSection& s, const std::string& name, std::vector<DnsblZone>& zones);

// [banner]: a warning line prepended to the first text/plain and text/html body
// parts of the mail it applies to (content/banner.hpp).
struct BannerPolicy {
  std::string text;  // one line of UTF-8; "" = no banner
  Directions directions{true, false};
  core::Action min_action = core::Action::Accept;  // accept, tag or quarantine
};

// [archive]: one more recipient for every message (copy: a journal), or in place
// of every recipient (redirect), for the verdicts listed in `actions`.
struct ArchivePolicy {
  enum class Mode { Copy, Redirect };
  std::string recipient;  // "" = off
  Mode mode = Mode::Copy;
  Directions directions;
  std::vector<core::Action> actions{core::Action::Accept, core::Action::Tag,
                                    core::Action::Quarantine};
};

struct Policy {
  std::vector<std::string> files;  // the files applied, in order
  std::vector<SymbolRef> symbol_refs;
  DirectionPolicy inbound, outbound;
  std::map<std::string, double, std::less<>> scores;  // per-symbol score overrides
  std::vector<List> lists;
  std::vector<core::Cidr> internal_networks;
  std::vector<DnsblZone> dnsbl;  // enabled zones, by name
  DecideAt decide_at = DecideAt::Rcpt;
  size_t dnsbl_cache = 10000;  // results kept (per zone and address), 0 = no cache
  core::SmtpReply reject_reply{"550", "5.7.1", "Message rejected by policy"};
  core::SmtpReply tempfail_reply{"451", "4.7.1", "Message deferred by policy, try again later"};
  std::string subject_prefix = "[SPAM]";
  bool findings_header = true;
  bool report_header = false;  // [headers] report: X-Postern-Report with every finding's detail
  // [dmarc]: ARC sealers (d= of the newest ARC-Seal) whose passing chain turns a
  // DMARC p=reject failure into quarantine (mailing lists, forwarders you trust).
  std::vector<std::string> trusted_arc_sealers;
  BannerPolicy banner;
  ArchivePolicy archive;
  std::vector<Group> groups;  // [[group]], in the order first defined, resolved
  Group default_group;        // everyone no group matches
  // The folders' own policy sections ([rules] in lib/content, ...), each read by the
  // reader its folder registers (core/registration.hpp: PolicySection), by name.
  Sections sections;

  const DirectionPolicy& for_direction(core::Direction d) const {
    return d == core::Direction::Inbound ? inbound : outbound;
  }
  // The first group whose patterns or lists match `address`, else default_group.
  const Group& group_for(std::string_view address) const;
  double score_for(std::string_view symbol, double stage_default) const;
  // Outbound when the client authenticated or connects from internal_networks.
  core::Direction direction_of(const core::ConnectionInfo& c) const;
  bool is_pass_recipient(std::string_view rcpt) const;
};

// `readers`: the folders' policy sections; any other top-level table is an
// unknown-key error. scan::load_checked_policy passes every folder's.
postern::expected<Policy, Errors> load_policy(const std::vector<std::string>& dirs,
                                              std::span<const core::PolicySection> readers = {});

// One policy file's text on its own (`name` is used in error positions); the
// same checks as load_policy. For tools and fuzzing.
postern::expected<Policy, Errors> parse_policy(std::string_view text, const std::string& name,
                                               std::span<const core::PolicySection> readers = {});

// When the policy is consulted: before the message (only hard rules whose action
// ends the transaction apply) or at end of message (rules and thresholds).
enum class When { BeforeData, EndOfMessage };

// Turns findings into one verdict for `dir` under group `g`'s rules and thresholds;
// a quarantine result in a group with quarantine = false becomes tag (see settle).
core::Verdict decide(const Policy& p, const Group& g, core::Direction dir,
                     std::span<const core::Finding> findings, When when);
// The same under the default group.
core::Verdict decide(const Policy& p, core::Direction dir, std::span<const core::Finding> findings,
                     When when);

// What group `g` allows of a verdict: quarantine becomes tag where quarantine = false.
void settle(const Group& g, core::Verdict& v);

// A rule's reply text with every "{detail}" replaced by `detail` made safe for
// an SMTP reply: one line of printable ASCII (anything else becomes a space or
// '?'), runs of spaces collapsed, at most kMaxDetailInReply characters.
inline constexpr size_t kMaxDetailInReply = 200;
std::string expand_rule_text(std::string_view text, std::string_view detail);

// The SMTP reply for a final action, with `text` replacing the default text when given.
core::SmtpReply reply_for(const Policy& p, core::Action a, std::string_view text = {});

}  // namespace postern::policy
