// [rules.SYMBOL]: the reader, the per-field RE2::Set and the rules stage (see rules.hpp).
#include "content/rules.hpp"

#include <fmt/format.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

#include "content/fields.hpp"
#include "core/excerpt.hpp"
#include "core/message.hpp"
#include "mime/decode.hpp"
#include "policy/toml_reader.hpp"
#include "scan/registry.hpp"

namespace postern::content {

struct RuleSet::Rule {
  RuleDef def;
  std::unique_ptr<re2::RE2> re;
  std::shared_ptr<std::atomic<uint64_t>> hits;
};

struct RuleSet::FieldSet {
  std::string field;
  std::unique_ptr<re2::RE2::Set> set;
  std::vector<size_t> rules;  // index in rules_ of each Set pattern, in Add order
};

namespace {

// The pattern as the Set and the rule's RE2 compile it: case folding by an inline flag,
// which RE2 applies to the whole pattern (an unbalanced ')' in it fails to compile).
std::string effective_pattern(const RuleDef& r) {
  return r.case_sensitive ? r.pattern : "(?i)" + r.pattern;
}

re2::RE2::Options options(int64_t max_mem) {
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_encoding(re2::RE2::Options::EncodingUTF8);
  o.set_max_mem(max_mem);
  return o;
}

// A header field name (RFC 5322 ftext), as `header:NAME` names it.
bool is_field_name(std::string_view n) {
  if (n.empty() || n.size() > 76) return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return c > 32 && c < 127 && c != ':'; });
}

bool is_field(std::string_view f) {
  if (f.starts_with("header:")) return is_field_name(f.substr(7));
  const auto& n = Fields::names();
  return std::find(n.begin(), n.end(), f) != n.end();
}

std::string fields_expected() {
  std::string names;
  for (auto n : Fields::names()) names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", n);
  return fmt::format("expected one of {} or \"header:NAME\"", names);
}

// One [rules.SYMBOL] table; nullopt when it has an error (reported).
std::optional<RuleDef> read_rule(policy::TomlSection s, const std::string& symbol) {
  RuleDef r;
  r.symbol = symbol;
  bool ok = true;
  auto need = [&](std::string_view key) {
    if (s.node(key)) return true;
    s.error_here(fmt::format("[rules.{}]: missing '{}'", symbol, key));
    ok = false;
    return false;
  };
  if (need("field")) {
    if (auto f = s.string("field"); f && is_field(*f))
      r.field = *f;
    else if (f)
      s.error(*s.node("field"), fmt::format("'field': {}", fields_expected())), ok = false;
    else
      ok = false;
  }
  if (auto cs = s.boolean("case_sensitive"))
    r.case_sensitive = *cs;
  else if (s.node("case_sensitive"))
    ok = false;
  if (need("pattern")) {
    auto p = s.string("pattern");
    if (!p) {
      ok = false;
    } else if (p->empty() || p->size() > kMaxPatternBytes) {
      s.error(*s.node("pattern"),
              fmt::format("'pattern': expected a non-empty RE2 pattern of at most {} bytes",
                          kMaxPatternBytes));
      ok = false;
    } else {
      r.pattern = *p;
      // As written (RE2's error quotes it), with the rule's case folding as an option.
      re2::RE2::Options o = options(kRuleMaxMem);
      o.set_case_sensitive(r.case_sensitive);
      re2::RE2 re(r.pattern, o);
      if (!re.ok()) {
        s.error(*s.node("pattern"), fmt::format("'pattern': {}", re.error()));
        ok = false;
      } else if (re2::RE2(r.pattern, options(kRuleMaxMem))
                     .Match("", 0, 0, re2::RE2::UNANCHORED, nullptr, 0)) {
        s.error(*s.node("pattern"), "'pattern': matches the empty string, so every message");
        ok = false;
      }
    }
  }
  if (need("score")) {
    if (auto v = s.number("score"))
      r.score = *v;
    else
      ok = false;
  }
  if (need("description")) {
    if (auto d = s.string("description"))
      r.description = *d;
    else
      ok = false;
  }
  if (!policy::read_direction(s, r.directions)) ok = false;
  s.finish();
  if (!ok) return std::nullopt;
  return r;
}

// The values of a `header:NAME` field: every field of that name, RFC 2047-decoded.
std::vector<std::string> header_values(const core::Message& m, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : m.headers()) {
    if (!core::iequals(h.name, name)) continue;
    mime::DecodeStats st;
    out.push_back(mime::decode_rfc2047(h.value, st));
  }
  return out;
}

}  // namespace

bool is_symbol_name(std::string_view n) {
  if (n.empty() || n.size() > kMaxSymbolBytes || n[0] < 'A' || n[0] > 'Z') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void read_rules(policy::TomlSection& s, policy::Policy& p) {
  RulesPolicy rp = p.sections.section<RulesPolicy>("rules");
  for (const std::string& name : s.keys()) {
    const toml::node* n = s.node(name);
    const toml::table* t = n ? n->as_table() : nullptr;
    if (!t) {
      s.error(*n, fmt::format("[rules]: '{}': expected a table [rules.{}]", name, name));
      continue;
    }
    if (!is_symbol_name(name)) {
      s.error(*n, fmt::format("[rules.{}]: a rule's name is its symbol: expected UPPER_SNAKE "
                              "([A-Z][A-Z0-9_]*, at most {} characters)",
                              name, kMaxSymbolBytes));
      continue;
    }
    if (scan::find_builtin_symbol(name)) {
      s.error(*n, fmt::format("[rules.{}]: {} is a catalogued symbol; name the rule otherwise",
                              name, name));
      continue;
    }
    auto r = read_rule(policy::TomlSection(*t, "rules." + name, s.file(), s.errors()), name);
    if (!r) continue;
    r->at = policy::error_at(s.file(), n->source(), "");
    rp.rules[name] = std::move(*r);
  }
  if (rp.rules.size() > kMaxRules)
    s.error_here(fmt::format("[rules]: {} rules, at most {}", rp.rules.size(), kMaxRules));
  p.sections.set_section("rules", std::move(rp));
}

void rules_defined(const policy::Policy& p, std::vector<core::DefinedSymbol>& out) {
  for (const auto& [name, r] : p.sections.section<RulesPolicy>("rules").rules)
    out.push_back({name, r.score, core::Scope::Transaction, r.description,
                   fmt::format("[rules.{}]", name), r.at.file, r.at.line, r.at.column});
}

RuleSet::~RuleSet() = default;

std::shared_ptr<std::atomic<uint64_t>> HitCounters::counter(const std::string& symbol) {
  std::lock_guard lock(m_);
  auto& c = by_symbol_[symbol];
  if (!c) c = std::make_shared<std::atomic<uint64_t>>(0);
  return c;
}

postern::expected<std::shared_ptr<const RuleSet>, policy::Error> RuleSet::build(
    const RulesPolicy& rules, size_t max_field_bytes,
    const std::shared_ptr<HitCounters>& counters) {
  auto fail = [](const RuleDef& d, std::string message) {
    policy::Error e = d.at;
    e.message = std::move(message);
    return postern::unexpected(std::move(e));
  };
  std::shared_ptr<RuleSet> rs(new RuleSet());
  rs->max_field_bytes_ = max_field_bytes;
  std::map<std::string, FieldSet*, std::less<>> by_field;
  for (const auto& [name, def] : rules.rules) {
    auto rule = std::make_unique<Rule>();
    rule->def = def;
    rule->hits =
        counters ? counters->counter(def.symbol) : std::make_shared<std::atomic<uint64_t>>(0);
    rule->re = std::make_unique<re2::RE2>(effective_pattern(def), options(kRuleMaxMem));
    if (!rule->re->ok()) return fail(def, fmt::format("[rules.{}]: {}", name, rule->re->error()));
    FieldSet*& fs = by_field[def.field];
    if (!fs) {
      rs->fields_.push_back(std::make_unique<FieldSet>());
      fs = rs->fields_.back().get();
      fs->field = def.field;
      fs->set = std::make_unique<re2::RE2::Set>(options(kSetMaxMem), re2::RE2::UNANCHORED);
    }
    std::string err;
    if (fs->set->Add(effective_pattern(def), &err) < 0)
      return fail(def, fmt::format("[rules.{}]: {}", name, err));
    fs->rules.push_back(rs->rules_.size());
    rs->rules_.push_back(std::move(rule));
  }
  for (auto& fs : rs->fields_) {
    if (fs->set->Compile()) continue;
    // Over the Set's memory (its program and the DFA it needs): refused at the field's
    // largest rule, the one to simplify first; its rules are never dropped one by one.
    size_t largest = fs->rules.front();
    int total = 0;
    for (size_t ri : fs->rules) {
      int size = rs->rules_[ri]->re->ProgramSize();
      total += size;
      if (size > rs->rules_[largest]->re->ProgramSize()) largest = ri;
    }
    const RuleDef& big = rs->rules_[largest]->def;
    return fail(big, fmt::format("[rules.{}]: the {} rules of field {} do not compile as one RE2 "
                                 "set within {} MiB ({} program instructions in all); this rule "
                                 "is the largest ({} instructions): simplify it, or the field's "
                                 "other rules",
                                 big.symbol, fs->rules.size(), fs->field, kSetMaxMem >> 20, total,
                                 rs->rules_[largest]->re->ProgramSize()));
  }
  return std::shared_ptr<const RuleSet>(std::move(rs));
}

void rules_check(const policy::Policy& p, std::vector<policy::Error>& errors) {
  const auto& rp = p.sections.section<RulesPolicy>("rules");
  if (rp.rules.empty()) return;
  if (auto set = RuleSet::build(rp); !set) errors.push_back(set.error());
}

RuleSet::Scan RuleSet::match(core::Transaction& tx) const {
  Scan out;
  const core::Message* m = tx.message();
  if (!m || rules_.empty()) return out;
  const Fields& f = fields(tx);
  std::vector<bool> hit(rules_.size(), false);
  for (const auto& fs : fields_) {
    std::vector<std::string> owned;
    std::vector<Value> values;
    if (fs->field == "raw") {
      values.push_back(f.raw);
    } else if (fs->field.starts_with("header:")) {
      owned = header_values(*m, std::string_view(fs->field).substr(7));
      for (const auto& v : owned) values.push_back({v, ""});
    } else if (const auto* vs = f.by_name(fs->field)) {
      values = *vs;
    }
    size_t left = max_field_bytes_;
    bool cut = false, fell_back = false;
    for (const Value& v : values) {
      if (tx.budget().tick()) break;
      if (left == 0) {
        cut = cut || !v.text.empty();
        continue;
      }
      std::string_view text = v.text.substr(0, left);
      if (text.size() < v.text.size()) cut = true;
      left -= text.size();
      std::vector<int> matched;
      re2::RE2::Set::ErrorInfo info{};
      if (!fs->set->Match(text, &matched, &info)) {
        if (info.kind != re2::RE2::Set::kNoError) {
          // Out of memory (or a bug): no silent miss, every rule of the field on its own.
          fell_back = true;
          matched.clear();
          for (size_t i = 0; i < fs->rules.size(); ++i) matched.push_back(static_cast<int>(i));
        }
      }
      std::sort(matched.begin(), matched.end());  // the Set reports in no particular order
      for (int i : matched) {
        size_t ri = fs->rules[static_cast<size_t>(i)];
        if (hit[ri]) continue;
        const Rule& r = *rules_[ri];
        if (!r.def.directions.has(tx.direction())) continue;
        re2::StringPiece sp;
        if (!r.re->Match(text, 0, text.size(), re2::RE2::UNANCHORED, &sp, 1)) continue;
        hit[ri] = true;
        r.hits->fetch_add(1, std::memory_order_relaxed);
        size_t pos = static_cast<size_t>(sp.data() - text.data());
        std::string what =
            r.def.description.empty() ? fmt::format("/{}/", r.def.pattern) : r.def.description;
        out.hits.push_back(
            {&r.def, core::explain(what, fs->field, v.part, core::excerpt(text, pos, sp.size()))});
      }
    }
    if (cut) out.truncated.push_back(fs->field);
    if (fell_back) out.fallback.push_back(fs->field);
  }
  return out;
}

uint64_t RuleSet::hits(std::string_view symbol) const {
  for (const auto& r : rules_)
    if (r->def.symbol == symbol) return r->hits->load(std::memory_order_relaxed);
  return 0;
}

std::map<std::string, uint64_t> RuleSet::hit_counts() const {
  std::map<std::string, uint64_t> out;
  for (const auto& r : rules_) out[r->def.symbol] = r->hits->load(std::memory_order_relaxed);
  return out;
}

core::Step RulesStage::on_message(core::Transaction& tx) const {
  RuleSet::Scan s = set_->match(tx);
  for (auto& h : s.hits) tx.add_finding(h.rule->symbol, h.rule->score, std::move(h.detail));
  for (const auto& f : s.truncated)
    tx.add_finding("CONTENT_RULES_TRUNCATED", 0,
                   fmt::format("field {} is longer than the rules scan: only its first bytes "
                               "were matched",
                               f));
  for (const auto& f : s.fallback)
    tx.add_finding("CONTENT_RULES_FALLBACK", 0,
                   fmt::format("the rules of field {} ran out of memory as one set and were run "
                               "one by one",
                               f));
  return core::Step::next();
}

}  // namespace postern::content
