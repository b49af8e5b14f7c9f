// The [bec] policy section's reader and the BEC checks compiled from it.
#include "content/bec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "auth/dmarc.hpp"
#include "content/confusable.hpp"
#include "core/address.hpp"
#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"

namespace postern::content {
namespace {

constexpr std::string_view kKindKeys[kPhraseKinds] = {"payment", "gift_card", "urgency"};
constexpr size_t kMaxDisplayWords = 64;
constexpr size_t kMaxLabel = 128;  // skeleton bytes of a label compared by edit distance

// A domain as compared: lower case, no final dot.
std::string clean_domain(std::string_view d) {
  std::string out = core::to_lower(d);
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool plain_domain(std::string_view d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.find("..") != std::string_view::npos)
    return false;
  return std::all_of(d.begin(), d.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

// `d` is `base` or a subdomain of it.
bool within(std::string_view d, std::string_view base) {
  if (d == base) return true;
  return d.size() > base.size() && d.ends_with(base) && d[d.size() - base.size() - 1] == '.';
}

// The RE2 source of one phrase: a space matches any run of white space.
std::string phrase_source(std::string_view phrase) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < phrase.size(); ++i) {
    const char c = phrase[i];
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) {
      // "gift ?card": the space is optional.
      const bool optional = c == '?';
      out += optional ? "[\\s\\x{a0}]*" : "[\\s\\x{a0}]+";
      space = false;
      if (optional) continue;
    }
    space = false;
    out.push_back(c);
  }
  return out;
}

RE2::Options phrase_options() {
  RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  o.set_never_capture(false);
  o.set_max_mem(32 << 20);
  return o;
}

std::optional<std::vector<std::string>> read_domains(policy::TomlSection& s, std::string_view key) {
  auto v = s.strings(key);
  if (!v) return std::nullopt;
  std::vector<std::string> out;
  const toml::array* arr = s.node(key)->as_array();
  for (size_t i = 0; i < v->size(); ++i) {
    std::string d = clean_domain((*v)[i]);
    if (!plain_domain(d) || d.find('.') == std::string::npos) {
      s.error((*arr)[i], fmt::format("'{}' {}: expected a domain name such as \"example.com\"", key,
                                     s.where()));
      return std::nullopt;
    }
    out.push_back(std::move(d));
  }
  if (out.size() > kMaxBecDomains) {
    s.error(*s.node(key),
            fmt::format("'{}' {}: at most {} domains", key, s.where(), kMaxBecDomains));
    return std::nullopt;
  }
  return out;
}

void read_protected(policy::TomlSection& s, BecPolicy& b) {
  const toml::node* n = s.node("protected");
  if (!n) return;
  const toml::array* arr = n->as_array();
  if (!arr) {
    s.error(*n, "'protected' in [bec]: expected [[bec.protected]] tables with name and addresses");
    return;
  }
  for (const auto& el : *arr) {
    const toml::table* t = el.as_table();
    if (!t) {
      s.error(el, "'protected' in [bec]: expected a table with name and addresses");
      continue;
    }
    policy::TomlSection ps(*t, "bec.protected", s.file(), s.errors());
    ProtectedName p;
    auto name = ps.string("name");
    auto addrs = ps.strings("addresses");
    ps.finish();
    if (!name || words(skeleton(*name)).empty() || name->size() > 200) {
      s.error(el, "[[bec.protected]]: expected 'name', a person's name (at most 200 bytes)");
      continue;
    }
    if (!addrs || addrs->empty() || addrs->size() > kMaxBecAddresses) {
      s.error(el, fmt::format("[[bec.protected]] \"{}\": expected 'addresses', 1 to {} addresses "
                              "the person really writes from",
                              *name, kMaxBecAddresses));
      continue;
    }
    p.name = *name;
    for (const auto& a : *addrs) p.addresses.push_back(core::to_lower(a));
    if (b.protected_names.size() >= kMaxProtected) {
      s.error(el, fmt::format("[[bec.protected]]: at most {} protected names", kMaxProtected));
      return;
    }
    b.protected_names.push_back(std::move(p));
  }
}

}  // namespace

std::vector<std::string> default_phrases(PhraseKind kind) {
  switch (kind) {
    case PhraseKind::Payment:
      return {"wire transfer",
              "wire (the )?(funds|payment)",
              "bank transfer",
              "(bank|banking|account|payment) (details|information|info) (have|has) (been "
              ")?(changed|updated)",
              "(change|update|updated|new) (of |to )?(our|the|my) "
              "(bank|banking|payment|remittance) (details|information|account)",
              "new (bank|banking) (details|account)",
              "remittance (advice|details)",
              "outstanding (invoice|payment)s?",
              "overdue (invoice|payment)s?",
              "process (a|the|this) payment",
              "payroll direct deposit",
              "direct deposit (details|information|account)",
              "change (my|of) direct deposit",
              "swift code",
              "iban"};
    case PhraseKind::GiftCard:
      return {"gift ?cards?", "(itunes|google play|steam) (gift )?cards?",
              "(apple|amazon|ebay|visa|vanilla) gift ?cards?", "scratch (the|off) (back|code)",
              "card codes?"};
    case PhraseKind::Urgency:
      return {"urgent(ly)?",
              "asap",
              "are you (available|around|at your desk)",
              "quick (favou?r|task|request)",
              "kindly",
              "(strictly )?confidential",
              "keep (this|it) (between us|confidential|private)",
              "i am in a meeting",
              "i'm in a meeting",
              "can't talk",
              "immediately",
              "today before"};
  }
  return {};
}

void read_bec_policy(policy::TomlSection& s, policy::Policy& p) {
  BecPolicy b = p.sections.section<BecPolicy>("bec");
  read_protected(s, b);
  if (auto v = read_domains(s, "own_domains")) b.own_domains = std::move(*v);
  if (auto v = read_domains(s, "partner_domains")) b.partner_domains = std::move(*v);
  // The sender history lives in the state store now (postern.toml [state]).
  for (const char* gone : {"history", "history_max"})
    if (const toml::node* h = s.node(gone))
      s.error(*h, fmt::format("'{}' in [bec]: the sender history is kept in the state store "
                              "(postern.toml [state]), where entries expire 400 days after "
                              "their last use; remove this key",
                              gone));
  if (auto v = s.integer("max_body_bytes", 0, 10000000)) b.max_body_bytes = static_cast<size_t>(*v);
  if (auto v = s.integer("max_links", 0, 100000)) b.max_links = static_cast<size_t>(*v);
  for (size_t k = 0; k < kPhraseKinds; ++k) {
    auto v = s.strings(kKindKeys[k]);
    if (!v) continue;
    const toml::array* arr = s.node(kKindKeys[k])->as_array();
    bool ok = true;
    if (v->size() > kMaxPhrases) {
      s.error(*s.node(kKindKeys[k]),
              fmt::format("'{}' in [bec]: at most {} phrases", kKindKeys[k], kMaxPhrases));
      continue;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      const std::string& ph = (*v)[i];
      RE2 re(phrase_source(ph), phrase_options());
      if (ph.empty() || ph.size() > kMaxPhraseBytes || !re.ok()) {
        s.error((*arr)[i],
                fmt::format("'{}' in [bec]: expected a phrase of 1 to {} bytes in RE2 syntax{}",
                            kKindKeys[k], kMaxPhraseBytes, re.ok() ? "" : ": " + re.error()));
        ok = false;
      }
    }
    if (ok) b.phrases[k] = std::move(*v);
  }
  s.finish();
  p.sections.set_section("bec", std::move(b));
}

size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  const size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  // Three rows of the optimal string alignment table.
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[m], limit + 1);
}

BecChecks::BecChecks(const BecPolicy& p, std::shared_ptr<const auth::PublicSuffix> psl)
    : p_(p), psl_(std::move(psl)) {
  for (const auto& who : p_.protected_names) {
    std::vector<std::string> w = words(skeleton(who.name));
    if (!w.empty()) people_.push_back({&who, std::move(w)});
  }
  auto add_ref = [&](const std::string& d, bool own) {
    Reference r;
    r.own = own;
    r.domain = domain_to_unicode(registrable(d));
    const size_t dot = r.domain.find('.');
    if (dot == std::string::npos) return;
    r.label = r.domain.substr(0, dot);
    r.suffix = r.domain.substr(dot + 1);
    r.label_skeleton = skeleton(r.label);
    r.domain_skeleton = skeleton(r.domain);
    for (const auto& o : refs_)
      if (o.domain == r.domain) return;
    refs_.push_back(std::move(r));
  };
  for (const auto& d : p_.own_domains) add_ref(d, true);
  for (const auto& d : p_.partner_domains) add_ref(d, false);
  for (size_t k = 0; k < kPhraseKinds; ++k) {
    if (p_.phrases[k].empty()) continue;
    std::string src = "(?:^|[^\\pL\\pN])(";
    for (size_t i = 0; i < p_.phrases[k].size(); ++i) {
      if (i) src += "|";
      src += "(?:" + phrase_source(p_.phrases[k][i]) + ")";
    }
    src += ")(?:[^\\pL\\pN]|$)";
    auto re = std::make_unique<RE2>(src, phrase_options());
    if (re->ok()) phrase_re_[k] = std::move(re);
  }
}

std::string BecChecks::registrable(std::string_view domain) const {
  std::string d = clean_domain(domain);
  if (psl_) return psl_->org_domain(d);
  size_t dot = d.rfind('.');
  if (dot == std::string::npos || dot == 0) return d;
  size_t prev = d.rfind('.', dot - 1);
  return prev == std::string::npos ? d : d.substr(prev + 1);
}

bool BecChecks::own(std::string_view domain) const {
  const std::string d = clean_domain(domain);
  return std::any_of(p_.own_domains.begin(), p_.own_domains.end(),
                     [&](const std::string& o) { return within(d, o); });
}

std::optional<VipMatch> BecChecks::vip(std::string_view display, std::string_view address) const {
  if (people_.empty() || display.empty()) return std::nullopt;
  std::vector<std::string> shown = words(skeleton(display));
  if (shown.size() > kMaxDisplayWords) shown.resize(kMaxDisplayWords);
  const std::string addr = core::to_lower(address);
  if (own(core::domain_of(addr))) return std::nullopt;
  auto contains = [&](const std::vector<std::string>& seq) {
    if (seq.size() > shown.size()) return false;
    for (size_t i = 0; i + seq.size() <= shown.size(); ++i)
      if (std::equal(seq.begin(), seq.end(), shown.begin() + static_cast<ptrdiff_t>(i)))
        return true;
    return false;
  };
  for (const auto& person : people_) {
    bool match = contains(person.words);
    if (!match && person.words.size() > 1) {
      // "Doe, Jane" and "Doe Jane Q." for "Jane Q. Doe": the last name first.
      std::vector<std::string> swapped{person.words.back()};
      swapped.insert(swapped.end(), person.words.begin(), person.words.end() - 1);
      match = contains(swapped);
    }
    if (!match) continue;
    const auto& addrs = person.who->addresses;
    if (std::find(addrs.begin(), addrs.end(), addr) != addrs.end()) return std::nullopt;
    return VipMatch{person.who};
  }
  return std::nullopt;
}

std::optional<Lookalike> BecChecks::lookalike(std::string_view domain) const {
  if (refs_.empty()) return std::nullopt;
  const std::string d = clean_domain(domain);
  if (d.empty() || d.size() > 253 || d.front() == '[') return std::nullopt;
  for (const auto* list : {&p_.own_domains, &p_.partner_domains})
    for (const auto& o : *list)
      if (within(d, o)) return std::nullopt;
  // Compared as a reader sees it: "xn--pypal-4ve.com" is "pаypal.com".
  const std::string reg = domain_to_unicode(registrable(d));
  const size_t dot = reg.find('.');
  if (dot == std::string::npos || dot == 0) return std::nullopt;
  const std::string label = reg.substr(0, dot);
  const std::string suffix = reg.substr(dot + 1);
  const std::string label_sk = skeleton(label);
  const std::string reg_sk = skeleton(reg);
  std::string compact;  // the label without hyphens
  for (char c : label)
    if (c != '-') compact.push_back(c);
  for (const auto& r : refs_) {
    if (reg == r.domain) return std::nullopt;  // a sibling of one of ours: not a lookalike
  }
  for (const auto& r : refs_)
    if (reg_sk == r.domain_skeleton) return Lookalike{r.domain, "confusable"};
  // Another suffix: the reference whose suffix is closest ("corp.co" is corp.com's).
  const Reference* other = nullptr;
  size_t other_dist = 0;
  for (const auto& r : refs_) {
    // Partners (brands) own many suffixes (docusign.net): another suffix counts for own domains.
    if (!r.own || label_sk != r.label_skeleton || suffix == r.suffix) continue;
    const size_t dist = edit_distance(suffix, r.suffix, 64);
    if (!other || dist < other_dist) {
      other = &r;
      other_dist = dist;
    }
  }
  if (other)
    return Lookalike{other->domain,
                     label == other->label ? "other suffix" : "confusable, other suffix"};
  for (const auto& r : refs_) {
    std::string ref_compact;  // "corp.example" -> "corpexample"
    for (char c : r.domain)
      if (c != '-' && c != '.') ref_compact.push_back(c);
    if (r.own && compact == ref_compact) return Lookalike{r.domain, "suffix in label"};
    if (r.label.size() >= kMinEditLabel && label.size() >= kMinEditLabel &&
        label_sk.size() <= kMaxLabel && r.label_skeleton.size() <= kMaxLabel) {
      const size_t limit = r.label.size() <= kMaxOneEditLabel ? 1 : 2;
      const size_t dist = edit_distance(label_sk, r.label_skeleton, limit);
      if (dist >= 1 && dist <= limit)
        return Lookalike{r.domain, fmt::format("edit distance {}", dist)};
    }
  }
  return std::nullopt;
}

std::optional<PhraseMatch> BecChecks::phrase(PhraseKind kind, std::string_view text) const {
  const RE2* re = phrase_re_[static_cast<size_t>(kind)].get();
  if (!re || text.empty()) return std::nullopt;
  re2::StringPiece groups[2];
  if (!re->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                 groups, 2))
    return std::nullopt;
  return PhraseMatch{static_cast<size_t>(groups[1].data() - text.data()), groups[1].size()};
}

}  // namespace postern::content
