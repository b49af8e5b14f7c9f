// DMARC (RFC 7489, with DMARCbis `np`): the From domain's policy and whether
// SPF or DKIM authenticated that domain.
//
// Contract: `PublicSuffix` computes organizational domains from the public
// suffix list (libpsl over /usr/share/publicsuffix, ICANN and private
// sections: x.github.io is its own organization). libopendmarc is not used: its
// 1.4.2 drops one-character labels (q.com → com) and its strict alignment
// compares organizational domains. `parse_dmarc_record` parses one TXT record.
// `evaluate_dmarc` is the pure decision: given the From domain, the record and
// where it was found, and the SPF/DKIM/ARC results, it returns the result, the
// published policy that applies (p, sp or np), and the policy to enforce after
// pct sampling and the trusted-ARC override. `check_dmarc` adds the DNS part:
// `_dmarc.<From domain>`, then `_dmarc.<organizational domain>`, and for np
// whether the From domain exists (A, AAAA, MX), all through one dns::Budget.
// `start_dmarc_lookup` starts those queries early (Stage::prepare) so they
// overlap with the DKIM and ARC key lookups. A PublicSuffix is immutable and
// thread-safe; everything else is a pure function or bound to the caller's
// Budget (one thread).
//
// PublicSuffix lifecycle (the "auth.psl" service, see auth/registration.cpp):
// loaded once when the daemon or `postern scan` starts, handed to the dmarc
// stage of every snapshot; at a reload (SIGHUP) loaded again, and swapped in for
// the new snapshot, only when the system list's file (kSystemList) changed
// (its mtime). `instance()` is one process-wide list for callers without the
// service (tests, fuzzers, the functions' default argument).
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/results.hpp"
#include "auth/spf.hpp"
#include "core/expected.hpp"
#include "dns/resolver.hpp"

struct psl_ctx_st;

namespace postern::auth {

class PublicSuffix {
 public:
  static constexpr const char* kSystemList = "/usr/share/publicsuffix/public_suffix_list.dafsa";
  // The newer of the system list and libpsl's built-in one.
  static std::shared_ptr<const PublicSuffix> load();
  static const PublicSuffix& instance();  // one load(), kept for the process
  // The system list's mtime when this was loaded (0 when absent).
  int64_t source_mtime() const { return mtime_; }
  // Lower-cased organizational domain: the public suffix plus one label; the
  // name itself when it is a public suffix or has no known suffix.
  std::string org_domain(std::string_view domain) const;
  ~PublicSuffix();
  PublicSuffix(const PublicSuffix&) = delete;
  PublicSuffix& operator=(const PublicSuffix&) = delete;

  // kSystemList's mtime now (0 when absent).
  static int64_t system_list_mtime();

 private:
  PublicSuffix();
  const psl_ctx_st* psl_ = nullptr;
  bool owned_ = false;
  int64_t mtime_ = 0;
};

// Identifier alignment (RFC 7489 3.1): strict = the same name; relaxed = the
// same organizational domain. Case-insensitive, a trailing dot ignored.
bool dmarc_aligned(std::string_view a, std::string_view b, bool strict,
                   const PublicSuffix& psl = PublicSuffix::instance());

enum class DmarcPolicy { None, Quarantine, Reject };
std::string_view to_string(DmarcPolicy p);  // "none", "quarantine", "reject"

struct DmarcRecord {
  DmarcPolicy p = DmarcPolicy::None;
  std::optional<DmarcPolicy> sp;  // subdomains of the organizational domain
  std::optional<DmarcPolicy> np;  // DMARCbis: non-existent subdomains
  bool adkim_strict = false;
  bool aspf_strict = false;
  int pct = 100;         // 0..100
  bool testing = false;  // DMARCbis t=y: like pct=0
};

// One TXT record. Errors: not "v=DMARC1" first, or a p= that is missing or
// invalid with no rua= (RFC 7489 6.6.3: invalid p with rua= is p=none).
postern::expected<DmarcRecord, std::string> parse_dmarc_record(std::string_view txt);

enum class DmarcStatus { None, Pass, Fail, TempError, PermError };
std::string_view to_string(DmarcStatus s);  // "none", "pass", "fail", "temperror", "permerror"

struct DmarcResult {
  DmarcStatus result = DmarcStatus::None;
  std::string from_domain;    // header.from
  std::string record_domain;  // where the record was found ("" = none)
  std::string policy_tag;     // "p", "sp" or "np": the published policy that applies
  DmarcPolicy published = DmarcPolicy::None;  // that policy's value
  DmarcPolicy enforce = DmarcPolicy::None;    // after pct sampling and the ARC override
  bool spf_aligned = false;
  bool dkim_aligned = false;
  std::string dkim_domain;    // d= of the aligned passing signature
  bool sampled_out = false;   // pct < 100 and this message was not sampled: one level lower
  bool arc_override = false;  // reject lowered to quarantine: trusted ARC sealer, chain pass
  // A failed check could have passed had a lookup not failed (temperror SPF or DKIM of an
  // aligned domain): the failure is not certain.
  bool auth_temperror = false;
  std::string detail;
};

struct DmarcInputs {
  std::string from_domain;
  const SpfResult* spf = nullptr;     // null = not checked
  const DkimResults* dkim = nullptr;  // null = not checked
  const ArcResult* arc = nullptr;     // null = not checked
  std::vector<std::string> trusted_arc_sealers;
  unsigned sample = 0;  // 0..99: the message's pct draw (policy applies when sample < pct)
  const PublicSuffix* psl = nullptr;  // null = PublicSuffix::instance()
};

// The decision for a record found at `record_domain` (the From domain or its
// organizational domain); `from_exists` = false when A, AAAA and MX of the From
// domain are all NXDOMAIN (np applies).
DmarcResult evaluate_dmarc(const DmarcInputs& in, const DmarcRecord& rec,
                           std::string_view record_domain, bool from_exists = true);

// The DNS answers `check_dmarc` needs, started early.
struct DmarcLookup {
  std::string from_domain;
  std::string org_domain;
  std::shared_future<dns::Answer> at_from;  // _dmarc.<from>
  std::shared_future<dns::Answer> at_org;   // _dmarc.<org>, when org != from
};
DmarcLookup start_dmarc_lookup(std::string_view from_domain, dns::Budget& budget,
                               const PublicSuffix& psl = PublicSuffix::instance());

// The whole check; `lookup` from start_dmarc_lookup for the same domain (or null).
DmarcResult check_dmarc(const DmarcInputs& in, dns::Budget& budget,
                        const DmarcLookup* lookup = nullptr);

// A 0..99 draw for pct sampling from message properties (Message-ID, Date, From)
// and a random secret of the process: the same message gets the same answer from
// one daemon (a retry is not a second chance), and no sender can choose a
// Message-ID that always escapes the sample.
unsigned dmarc_sample(std::string_view key);

}  // namespace postern::auth
