// DMARC: organizational domains, records, alignment and the decision (see dmarc.hpp).
#include "auth/dmarc.hpp"

#include <fmt/format.h>
#include <libpsl.h>
#include <sys/stat.h>

#include <array>
#include <cstring>
#include <random>

#include "core/address.hpp"
#include "core/message.hpp"

namespace postern::auth {
namespace {

std::string normalize(std::string_view d) {
  d = core::trim(d);
  while (!d.empty() && d.back() == '.') d.remove_suffix(1);
  return core::to_lower(d);
}

std::optional<DmarcPolicy> parse_policy(std::string_view v) {
  v = core::trim(v);
  if (core::iequals(v, "none")) return DmarcPolicy::None;
  if (core::iequals(v, "quarantine")) return DmarcPolicy::Quarantine;
  if (core::iequals(v, "reject")) return DmarcPolicy::Reject;
  return std::nullopt;
}

DmarcPolicy one_lower(DmarcPolicy p) {
  return p == DmarcPolicy::Reject ? DmarcPolicy::Quarantine : DmarcPolicy::None;
}

// The v=DMARC1 records of a TXT answer: the first tag must be v=DMARC1 (exact value).
std::vector<std::string> dmarc_records(const dns::Answer& a) {
  std::vector<std::string> out;
  for (const auto& r : a.records) {
    std::string_view t = core::trim(r);
    std::string_view first = t.substr(0, t.find(';'));
    size_t eq = first.find('=');
    if (eq != std::string_view::npos && core::trim(first.substr(0, eq)) == "v" &&
        core::trim(first.substr(eq + 1)) == "DMARC1")
      out.emplace_back(t);
  }
  return out;
}

bool dns_failed(dns::Status s) {
  return s == dns::Status::ServFail || s == dns::Status::Timeout || s == dns::Status::Budget ||
         s == dns::Status::Error;
}

}  // namespace

// ---- public suffix list ----

int64_t PublicSuffix::system_list_mtime() {
  struct stat st {};
  return ::stat(kSystemList, &st) == 0 ? static_cast<int64_t>(st.st_mtime) : 0;
}

PublicSuffix::PublicSuffix() : mtime_(system_list_mtime()) {
  // psl_latest: the newer of the system list (/usr/share/publicsuffix) and the built-in one.
  psl_ctx_t* p = psl_latest(nullptr);
  if (p) {
    psl_ = p;
    owned_ = true;
  } else {
    psl_ = psl_builtin();
  }
}

PublicSuffix::~PublicSuffix() {
  if (owned_) psl_free(const_cast<psl_ctx_t*>(psl_));
}

std::shared_ptr<const PublicSuffix> PublicSuffix::load() {
  return std::shared_ptr<const PublicSuffix>(new PublicSuffix());
}

const PublicSuffix& PublicSuffix::instance() {
  static const std::shared_ptr<const PublicSuffix> list = load();
  return *list;
}

std::string PublicSuffix::org_domain(std::string_view domain) const {
  std::string d = normalize(domain);
  if (d.empty() || !psl_) return d;
  const char* reg = psl_registrable_domain(psl_, d.c_str());
  return reg ? std::string(reg) : d;
}

bool dmarc_aligned(std::string_view a, std::string_view b, bool strict, const PublicSuffix& psl) {
  std::string x = normalize(a), y = normalize(b);
  if (x.empty() || y.empty()) return false;
  if (x == y) return true;
  if (strict) return false;
  return psl.org_domain(x) == psl.org_domain(y);
}

std::string_view to_string(DmarcPolicy p) {
  switch (p) {
    case DmarcPolicy::None:
      return "none";
    case DmarcPolicy::Quarantine:
      return "quarantine";
    case DmarcPolicy::Reject:
      return "reject";
  }
  return "none";
}

std::string_view to_string(DmarcStatus s) {
  switch (s) {
    case DmarcStatus::None:
      return "none";
    case DmarcStatus::Pass:
      return "pass";
    case DmarcStatus::Fail:
      return "fail";
    case DmarcStatus::TempError:
      return "temperror";
    case DmarcStatus::PermError:
      return "permerror";
  }
  return "none";
}

// ---- record ----

postern::expected<DmarcRecord, std::string> parse_dmarc_record(std::string_view txt) {
  DmarcRecord r;
  bool first = true, have_p = false, bad_p = false, have_rua = false;
  std::string bad;
  size_t pos = 0;
  while (pos <= txt.size()) {
    size_t semi = txt.find(';', pos);
    std::string_view tag =
        core::trim(txt.substr(pos, semi == std::string_view::npos ? semi : semi - pos));
    pos = semi == std::string_view::npos ? txt.size() + 1 : semi + 1;
    if (tag.empty()) {
      if (first) return postern::unexpected(std::string("empty record"));
      continue;
    }
    size_t eq = tag.find('=');
    if (eq == std::string_view::npos) {
      if (first) return postern::unexpected(std::string("not a DMARC1 record"));
      continue;  // RFC 7489 6.3: unknown or malformed tags are ignored
    }
    std::string name = core::to_lower(core::trim(tag.substr(0, eq)));
    std::string_view value = core::trim(tag.substr(eq + 1));
    if (first) {
      if (name != "v" || value != "DMARC1")
        return postern::unexpected(std::string("not a DMARC1 record"));
      first = false;
      continue;
    }
    if (name == "p") {
      auto p = parse_policy(value);
      have_p = true;
      if (p)
        r.p = *p;
      else {
        bad_p = true;
        bad = fmt::format("invalid p={}", value.substr(0, 40));
      }
    } else if (name == "sp") {
      if (auto p = parse_policy(value))
        r.sp = *p;
      else {
        bad_p = true;
        bad = fmt::format("invalid sp={}", value.substr(0, 40));
      }
    } else if (name == "np") {
      if (auto p = parse_policy(value)) r.np = *p;  // DMARCbis; an invalid np is ignored
    } else if (name == "adkim") {
      r.adkim_strict = core::iequals(value, "s");
    } else if (name == "aspf") {
      r.aspf_strict = core::iequals(value, "s");
    } else if (name == "pct") {
      int n = 0;
      bool ok = !value.empty() && value.size() <= 3;
      for (char c : value) ok = ok && c >= '0' && c <= '9' && (n = n * 10 + (c - '0'), true);
      if (ok && n <= 100) r.pct = n;
    } else if (name == "t") {
      r.testing = core::iequals(value, "y");
    } else if (name == "rua") {
      have_rua = value.find(':') != std::string_view::npos;
    }
  }
  if (first) return postern::unexpected(std::string("not a DMARC1 record"));
  if (!have_p || bad_p) {
    if (have_rua) {  // RFC 7489 6.6.3: act as p=none
      r.p = DmarcPolicy::None;
      r.sp.reset();
      return r;
    }
    return postern::unexpected(have_p ? bad : std::string("no p= tag"));
  }
  return r;
}

// ---- decision ----

DmarcResult evaluate_dmarc(const DmarcInputs& in, const DmarcRecord& rec,
                           std::string_view record_domain, bool from_exists) {
  DmarcResult r;
  const PublicSuffix& psl = in.psl ? *in.psl : PublicSuffix::instance();
  r.from_domain = normalize(in.from_domain);
  r.record_domain = normalize(record_domain);
  if (in.spf && in.spf->result == SpfStatus::Pass &&
      dmarc_aligned(in.spf->domain, r.from_domain, rec.aspf_strict, psl))
    r.spf_aligned = true;
  if (in.spf && in.spf->result == SpfStatus::TempError &&
      dmarc_aligned(in.spf->domain, r.from_domain, rec.aspf_strict, psl))
    r.auth_temperror = true;
  if (in.dkim) {
    for (const auto& s : in.dkim->signatures) {
      if (!dmarc_aligned(s.domain, r.from_domain, rec.adkim_strict, psl)) continue;
      if (s.counts_for_dmarc() && !r.dkim_aligned) {
        r.dkim_aligned = true;
        r.dkim_domain = s.domain;
      }
      if (s.result == DkimStatus::TempError) r.auth_temperror = true;
    }
  }
  if (r.record_domain == r.from_domain) {
    r.policy_tag = "p";
    r.published = rec.p;
  } else if (rec.np && !from_exists) {
    r.policy_tag = "np";
    r.published = *rec.np;
  } else if (rec.sp) {
    r.policy_tag = "sp";
    r.published = *rec.sp;
  } else {
    r.policy_tag = "p";
    r.published = rec.p;
  }
  if (r.spf_aligned || r.dkim_aligned) {
    r.result = DmarcStatus::Pass;
    r.auth_temperror = false;
    r.detail = fmt::format("{} aligned", r.dkim_aligned ? "DKIM (d=" + r.dkim_domain + ")" : "SPF");
    return r;
  }
  r.result = DmarcStatus::Fail;
  r.enforce = r.published;
  int pct = rec.testing ? 0 : rec.pct;
  if (r.enforce != DmarcPolicy::None && static_cast<int>(in.sample) >= pct) {
    r.enforce = one_lower(r.enforce);
    r.sampled_out = true;
  }
  if (r.enforce == DmarcPolicy::Reject && in.arc && in.arc->cv == ArcStatus::Pass) {
    std::string sealer = normalize(in.arc->newest_sealer());
    for (const auto& t : in.trusted_arc_sealers)
      if (!sealer.empty() && normalize(t) == sealer) {
        r.enforce = DmarcPolicy::Quarantine;
        r.arc_override = true;
        break;
      }
  }
  std::string why = "SPF and DKIM not aligned";
  if (in.spf && in.spf->result == SpfStatus::Pass)
    why = fmt::format("SPF passed for {} (not aligned), no aligned DKIM", in.spf->domain);
  r.detail = fmt::format("{}={}: {}", r.policy_tag, to_string(r.published), why);
  if (r.sampled_out)
    r.detail += fmt::format("; not sampled (pct={}{})", pct, rec.testing ? ", t=y" : "");
  if (r.arc_override) r.detail += fmt::format("; trusted ARC sealer {}", in.arc->newest_sealer());
  if (r.auth_temperror) r.detail += "; a DNS error may have caused the failure";
  return r;
}

DmarcLookup start_dmarc_lookup(std::string_view from_domain, dns::Budget& budget,
                               const PublicSuffix& psl) {
  DmarcLookup l;
  l.from_domain = normalize(from_domain);
  l.org_domain = psl.org_domain(l.from_domain);
  if (l.from_domain.empty()) return l;
  l.at_from = budget.query("_dmarc." + l.from_domain, dns::Type::TXT);
  if (l.org_domain != l.from_domain)
    l.at_org = budget.query("_dmarc." + l.org_domain, dns::Type::TXT);
  return l;
}

DmarcResult check_dmarc(const DmarcInputs& in, dns::Budget& budget, const DmarcLookup* lookup) {
  DmarcLookup own;
  if (!lookup || lookup->from_domain != normalize(in.from_domain)) {
    own = start_dmarc_lookup(in.from_domain, budget, in.psl ? *in.psl : PublicSuffix::instance());
    lookup = &own;
  }
  DmarcResult none;
  none.from_domain = lookup->from_domain;
  if (lookup->from_domain.empty()) {
    none.detail = "no From domain";
    return none;
  }
  struct Level {
    const std::string& domain;
    const std::shared_future<dns::Answer>& answer;
  };
  std::array<Level, 2> levels{Level{lookup->from_domain, lookup->at_from},
                              Level{lookup->org_domain, lookup->at_org}};
  for (const auto& lv : levels) {
    if (!lv.answer.valid()) break;
    const dns::Answer& a = lv.answer.get();
    if (dns_failed(a.status)) {
      none.result = DmarcStatus::TempError;
      none.detail = fmt::format("_dmarc.{}: {}", lv.domain, dns::to_string(a.status));
      return none;
    }
    std::vector<std::string> recs =
        a.status == dns::Status::Ok ? dmarc_records(a) : std::vector<std::string>{};
    if (recs.empty()) continue;
    if (recs.size() > 1) {  // RFC 7489 6.6.3: several records = no policy
      none.detail = fmt::format("_dmarc.{}: {} DMARC records", lv.domain, recs.size());
      return none;
    }
    auto rec = parse_dmarc_record(recs.front());
    if (!rec) {
      none.result = DmarcStatus::PermError;
      none.record_domain = lv.domain;
      none.detail = fmt::format("_dmarc.{}: {}", lv.domain, rec.error());
      return none;
    }
    bool exists = true;
    if (rec->np && &lv.domain == &lookup->org_domain) {
      // DMARCbis: the From domain does not exist when A, AAAA and MX are all NXDOMAIN.
      auto qa = budget.query(lookup->from_domain, dns::Type::A);
      auto qaaaa = budget.query(lookup->from_domain, dns::Type::AAAA);
      auto qmx = budget.query(lookup->from_domain, dns::Type::MX);
      exists = !(qa.get().status == dns::Status::NxDomain &&
                 qaaaa.get().status == dns::Status::NxDomain &&
                 qmx.get().status == dns::Status::NxDomain);
    }
    return evaluate_dmarc(in, *rec, lv.domain, exists);
  }
  none.detail = "no DMARC record";
  return none;
}

unsigned dmarc_sample(std::string_view key) {
  // A secret of this process goes first: the sender chooses Message-ID and Date,
  // and must not be able to pick a message that always falls outside pct.
  static const uint64_t salt = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  uint64_t h = 1469598103934665603ull ^ salt;  // FNV-1a
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<unsigned>(h % 100);
}

}  // namespace postern::auth
