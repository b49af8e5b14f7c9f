// [dlp]: the reader (see policy.hpp).
#include "dlp/policy.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>

#include "policy/toml_reader.hpp"

namespace postern::dlp {
namespace {

bool is_rule_name(std::string_view n) {
  return !n.empty() && n.size() <= 48 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string detector_list() {
  std::string out;
  for (size_t i = 0; i < kDetectors; ++i)
    out += fmt::format("{}\"{}\"", i ? ", " : "", detector_name(static_cast<Detector>(i)));
  return out;
}

// One [dlp.rules.NAME] over `r` (the rule as earlier files left it, key by key);
// false after an error (reported).
bool read_rule(policy::TomlSection s, const std::string& name, DlpRule& r) {
  r.name = name;
  r.symbol = "DLP_" + upper(name);
  bool ok = true;
  if (auto e = s.boolean("enabled")) r.enabled = *e;
  if (auto ds = s.strings("detectors")) {
    r.detectors.clear();
    for (const auto& d : *ds) {
      if (auto det = detector_from_name(d)) {
        r.detectors.push_back(*det);
      } else {
        s.error(*s.node("detectors"),
                fmt::format("'detectors': unknown detector '{}': expected {}", d, detector_list()));
        ok = false;
      }
    }
  }
  if (auto ps = s.strings("patterns")) {
    r.patterns.clear();
    if (ps->size() > kMaxPatterns) {
      s.error(*s.node("patterns"), fmt::format("'patterns': at most {}", kMaxPatterns));
      ok = false;
    }
    for (const auto& p : *ps) {
      re2::RE2::Options o;
      o.set_log_errors(false);
      o.set_case_sensitive(false);
      re2::RE2 re(p, o);
      if (p.empty() || p.size() > kMaxPatternBytes) {
        s.error(
            *s.node("patterns"),
            fmt::format("'patterns': expected RE2 patterns of 1 to {} bytes", kMaxPatternBytes));
        ok = false;
      } else if (!re.ok()) {
        s.error(*s.node("patterns"), fmt::format("'patterns': '{}': {}", p, re.error()));
        ok = false;
      } else if (re2::RE2::PartialMatch("", re)) {
        s.error(*s.node("patterns"),
                fmt::format("'patterns': '{}' matches the empty string, so every message", p));
        ok = false;
      } else {
        r.patterns.push_back(p);
      }
    }
  }
  if (auto ws = s.strings("dictionary")) {
    r.dictionary.clear();
    if (ws->size() > kMaxDictionary) {
      s.error(*s.node("dictionary"), fmt::format("'dictionary': at most {} words", kMaxDictionary));
      ok = false;
    }
    for (const auto& w : *ws)
      if (!w.empty() && w.size() <= 200) r.dictionary.push_back(w);
  }
  if (auto n = s.integer("min_count", 1, 100000)) r.min_count = static_cast<size_t>(*n);
  if (auto c = s.string("min_confidence")) {
    if (auto t = tier_from_name(*c)) {
      r.min_confidence = *t;
    } else {
      s.error(*s.node("min_confidence"),
              "'min_confidence': expected \"low\", \"medium\" or \"high\"");
      ok = false;
    }
  }
  if (auto a = s.string("action")) {
    if (*a == "block" || *a == "quarantine" || *a == "tag" || *a == "log" || *a == "encrypt" ||
        *a == "require_tls" || *a == "notify") {
      r.action = *a;
    } else {
      s.error(*s.node("action"),
              "'action': expected \"block\", \"quarantine\", \"tag\", \"log\", \"encrypt\", "
              "\"require_tls\" or \"notify\"");
      ok = false;
    }
  }
  if (auto n = s.boolean("notify")) r.notify = *n;
  if (auto m = s.string("message")) {
    if (m->find_first_of("\r\n") != std::string::npos || m->size() > 200) {
      s.error(*s.node("message"), "'message': one line of at most 200 characters");
      ok = false;
    } else {
      r.message = *m;
    }
  }
  if (auto v = s.number("score")) r.score = *v;
  if (auto d = s.string("description")) r.description = *d;
  if (!policy::read_direction(s, r.directions)) ok = false;
  if (r.enabled && ok && r.detectors.empty() && r.patterns.empty() && r.dictionary.empty()) {
    s.error_here(
        fmt::format("[dlp.rules.{}]: expected 'detectors', 'patterns' or 'dictionary'", name));
    ok = false;
  }
  s.finish();
  if (r.description.empty())
    r.description = fmt::format("the DLP rule {} matched ([dlp.rules.{}])", name, name);
  return ok;
}

// The hard rule of `r` in the directions it applies to (none for log); erases them first.
void set_hard_rules(policy::Policy& p, const std::string& symbol, const DlpRule* r) {
  for (auto* d : {&p.inbound, &p.outbound}) d->rules.erase(symbol);
  // encrypt: lib/smime reads the rule's hit (smime/stage.hpp); require_tls and notify:
  // the dlp-route finisher and the dlp-notify disposer. None is a hard rule.
  if (!r || !r->enabled || r->action == "log" || r->action == "encrypt" ||
      r->action == "require_tls" || r->action == "notify")
    return;
  policy::Rule hard;
  hard.action = r->action == "block"        ? core::Action::Reject
                : r->action == "quarantine" ? core::Action::Quarantine
                                            : core::Action::Tag;
  hard.text = r->message;
  if (r->directions.inbound) p.inbound.rules[symbol] = hard;
  if (r->directions.outbound) p.outbound.rules[symbol] = hard;
}

}  // namespace

void read_dlp(policy::TomlSection& s, policy::Policy& p) {
  DlpPolicy dp = p.sections.section<DlpPolicy>("dlp");
  if (auto w = s.integer("window", 0, 1000)) dp.window = static_cast<size_t>(*w);
  if (auto b = s.integer("max_bytes", 1024, 256ll << 20)) dp.max_bytes = static_cast<size_t>(*b);
  if (auto m = s.integer("max_matches", 1, 100000)) dp.max_matches = static_cast<size_t>(*m);
  if (auto a = s.boolean("attachments")) dp.attachments = *a;
  if (auto t = s.string("pdf_reader")) {
    if (!t->empty() && (*t)[0] != '/')
      s.error(*s.node("pdf_reader"), "[dlp] pdf_reader: an absolute path, or \"\" to read no PDF");
    else
      dp.pdf_reader = *t;
  }
  if (auto t = s.integer("pdf_timeout_ms", 100, 60000))
    dp.pdf_timeout = std::chrono::milliseconds(*t);
  if (auto t = s.integer("pdf_total_ms", 100, 300000)) {
    if (*t < dp.pdf_timeout.count())
      s.error(*s.node("pdf_total_ms"), "[dlp] pdf_total_ms: at least pdf_timeout_ms");
    else
      dp.pdf_total = std::chrono::milliseconds(*t);
  } else if (dp.pdf_total < dp.pdf_timeout) {
    dp.pdf_total = dp.pdf_timeout;  // a longer pdf_timeout_ms alone raises the default
  }
  if (auto n = s.integer("pdf_readers", 1, 16)) dp.pdf_readers = static_cast<unsigned>(*n);
  if (auto f = s.string("notify_from")) {
    if (f->empty() || f->size() > 200 || f->find_first_of(" \t\r\n<>,;\"()") != std::string::npos)
      s.error(*s.node("notify_from"), "'notify_from': expected an address or a local part");
    else
      dp.notify_from = *f;
  }
  if (auto c = s.strings("notify_command")) {
    if (c->empty() || c->front().empty() || c->front().front() != '/' || c->size() > 16)
      s.error(*s.node("notify_command"),
              "'notify_command': the command as an array, an absolute path first, at most 16 "
              "items");
    else
      dp.notify_command = *c;
  }
  if (const auto* kt = s.table("keywords")) {
    policy::TomlSection k(*kt, "dlp.keywords", s.file(), s.errors());
    for (const std::string& name : k.keys()) {
      auto det = detector_from_name(name);
      if (!det) {
        k.error(*k.node(name), fmt::format("[dlp.keywords]: unknown detector '{}': expected {}",
                                           name, detector_list()));
        continue;
      }
      if (auto words = k.strings(name)) {
        auto& out = dp.keywords[static_cast<size_t>(*det)];
        out.clear();
        for (auto w : *words) {
          for (char& c : w)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
          if (!w.empty() && w.size() <= 64) out.push_back(std::move(w));
        }
      }
    }
    k.finish();
  }
  if (const auto* rt = s.table("rules")) {
    policy::TomlSection rs(*rt, "dlp.rules", s.file(), s.errors());
    for (const std::string& name : rs.keys()) {
      const toml::node* n = rs.node(name);
      const toml::table* t = n ? n->as_table() : nullptr;
      if (!t || !is_rule_name(name)) {
        rs.error(*n, fmt::format("[dlp.rules]: '{}': expected a table [dlp.rules.NAME] with NAME "
                                 "of [a-z0-9_], at most 48 characters",
                                 name));
        continue;
      }
      DlpRule r = dp.rules.contains(name) ? dp.rules.find(name)->second : DlpRule{};
      if (!read_rule(policy::TomlSection(*t, "dlp.rules." + name, s.file(), s.errors()), name, r))
        continue;
      r.at = policy::error_at(s.file(), n->source(), "");
      set_hard_rules(p, r.symbol, &r);
      dp.rules[name] = std::move(r);
    }
    rs.finish();
  }
  if (dp.rules.size() > kMaxRules)
    s.error_here(fmt::format("[dlp]: {} rules, at most {}", dp.rules.size(), kMaxRules));
  s.finish();
  p.sections.set_section("dlp", std::move(dp));
}

void dlp_defined(const policy::Policy& p, std::vector<core::DefinedSymbol>& out) {
  for (const auto& [name, r] : p.sections.section<DlpPolicy>("dlp").rules)
    if (r.enabled)
      out.push_back({r.symbol, r.score, core::Scope::Transaction, r.description,
                     fmt::format("[dlp.rules.{}]", name), r.at.file, r.at.line, r.at.column});
}

}  // namespace postern::dlp
