// [composites.SYMBOL]: the expression parser, the reader and the composites stage
// (see composites.hpp).
#include "content/composites.hpp"

#include <fmt/format.h>

#include <functional>

#include "content/rules.hpp"
#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"
#include "scan/registry.hpp"

namespace postern::content {
namespace {

struct Token {
  enum class Kind { Name, Not, And, Or, Open, Close, End } kind;
  std::string_view text;
  size_t offset;
};

postern::expected<std::vector<Token>, ExpressionError> tokenize(std::string_view s) {
  std::vector<Token> out;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == ' ' || c == '\t') {
      ++i;
    } else if (c == '(' || c == ')' || c == '!') {
      out.push_back({c == '('   ? Token::Kind::Open
                     : c == ')' ? Token::Kind::Close
                                : Token::Kind::Not,
                     s.substr(i, 1), i});
      ++i;
    } else if ((c == '&' || c == '|') && i + 1 < s.size() && s[i + 1] == c) {
      out.push_back({c == '&' ? Token::Kind::And : Token::Kind::Or, s.substr(i, 2), i});
      i += 2;
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_') {
      size_t j = i;
      while (j < s.size() && ((s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= 'a' && s[j] <= 'z') ||
                              (s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
        ++j;
      std::string_view name = s.substr(i, j - i);
      if (!is_symbol_name(name))
        return postern::unexpected(ExpressionError{
            i, fmt::format("'{}' is not a symbol name (UPPER_SNAKE, at most {} characters)",
                           name.substr(0, kMaxSymbolBytes), kMaxSymbolBytes)});
      out.push_back({Token::Kind::Name, name, i});
      i = j;
    } else {
      return postern::unexpected(ExpressionError{
          i, fmt::format("unexpected '{}': expected a symbol, '!', '&&', '||' or parentheses",
                         c == '&' || c == '|' ? std::string(1, c) + " (write " + c + c + ")"
                                              : std::string(1, c))});
    }
  }
  out.push_back({Token::Kind::End, "", s.size()});
  return out;
}

// Recursive descent: or := and ('||' and)*; and := unary ('&&' unary)*;
// unary := '!' unary | '(' or ')' | NAME. Depth bounded by kMaxExpressionDepth.
class Parser {
 public:
  Parser(const std::vector<Token>& t, Expression& e) : t_(t), e_(e) {}

  postern::expected<size_t, ExpressionError> parse() {
    auto r = parse_or(0);
    if (!r) return r;
    if (t_[i_].kind != Token::Kind::End) return fail("expected '&&', '||' or the end");
    return r;
  }

 private:
  postern::unexpected<ExpressionError> fail(std::string what) const {
    const Token& t = t_[i_];
    std::string got = t.kind == Token::Kind::End ? "the end" : fmt::format("'{}'", t.text);
    return postern::unexpected(ExpressionError{t.offset, fmt::format("{}, got {}", what, got)});
  }
  size_t add(Expression::Node n) {
    e_.nodes.push_back(std::move(n));
    return e_.nodes.size() - 1;
  }
  postern::expected<size_t, ExpressionError> parse_or(size_t depth) {
    auto l = parse_and(depth);
    if (!l) return l;
    while (t_[i_].kind == Token::Kind::Or) {
      ++i_;
      auto r = parse_and(depth);
      if (!r) return r;
      l = add({Expression::Node::Kind::Or, "", *l, *r});
    }
    return l;
  }
  postern::expected<size_t, ExpressionError> parse_and(size_t depth) {
    auto l = parse_unary(depth);
    if (!l) return l;
    while (t_[i_].kind == Token::Kind::And) {
      ++i_;
      auto r = parse_unary(depth);
      if (!r) return r;
      l = add({Expression::Node::Kind::And, "", *l, *r});
    }
    return l;
  }
  postern::expected<size_t, ExpressionError> parse_unary(size_t depth) {
    if (depth >= kMaxExpressionDepth)
      return fail(fmt::format("nested deeper than {}", kMaxExpressionDepth));
    const Token& t = t_[i_];
    if (t.kind == Token::Kind::Not) {
      ++i_;
      auto a = parse_unary(depth + 1);
      if (!a) return a;
      return add({Expression::Node::Kind::Not, "", *a, 0});
    }
    if (t.kind == Token::Kind::Open) {
      ++i_;
      auto a = parse_or(depth + 1);
      if (!a) return a;
      if (t_[i_].kind != Token::Kind::Close) return fail("expected ')'");
      ++i_;
      return a;
    }
    if (t.kind == Token::Kind::Name) {
      ++i_;
      e_.names.push_back({std::string(t.text), t.offset});
      return add({Expression::Node::Kind::Symbol, std::string(t.text)});
    }
    return fail("expected a symbol, '!' or '('");
  }

  const std::vector<Token>& t_;
  Expression& e_;
  size_t i_ = 0;
};

// The source column of byte `offset` of the string value `n`, when the string is
// written plainly on one line (a basic or literal string without escapes); else
// the column of the value.
uint32_t column_in(const toml::node& n, std::string_view value, size_t offset) {
  const auto& src = n.source();
  if (src.begin.line == src.end.line && src.end.column - src.begin.column == value.size() + 2 &&
      value.find_first_of("\\\"'") == std::string_view::npos)
    return static_cast<uint32_t>(src.begin.column + 1 + offset);
  return static_cast<uint32_t>(src.begin.column);
}

std::optional<CompositeDef> read_composite(policy::TomlSection s, const std::string& symbol,
                                           policy::Policy& p) {
  CompositeDef c;
  c.symbol = symbol;
  bool ok = true;
  auto need = [&](std::string_view key) {
    if (s.node(key)) return true;
    s.error_here(fmt::format("[composites.{}]: missing '{}'", symbol, key));
    ok = false;
    return false;
  };
  if (need("expression")) {
    auto e = s.string("expression");
    const toml::node& n = *s.node("expression");
    if (!e) {
      ok = false;
    } else if (e->size() > kMaxExpressionBytes) {
      s.error(n, fmt::format("'expression': longer than {} bytes", kMaxExpressionBytes));
      ok = false;
    } else if (auto parsed = parse_expression(*e); !parsed) {
      policy::Error err = policy::error_at(s.file(), n.source(),
                                           fmt::format("'expression': {}", parsed.error().message));
      err.column = column_in(n, *e, parsed.error().offset);
      s.errors().push_back(std::move(err));
      ok = false;
    } else {
      c.expression = *e;
      c.parsed = std::move(*parsed);
      c.at = policy::error_at(s.file(), n.source(), "");
      for (const auto& name : c.parsed.names) {
        policy::Error where = policy::error_at(s.file(), n.source(), "");
        where.column = column_in(n, *e, name.offset);
        if (name.symbol == symbol) {
          where.message = fmt::format("'expression': [composites.{}] names itself", symbol);
          s.errors().push_back(std::move(where));
          ok = false;
          continue;
        }
        p.symbol_refs.push_back(
            {name.symbol, fmt::format("composite [composites.{}]", symbol), std::move(where)});
      }
    }
  }
  if (need("score")) {
    if (auto v = s.number("score"))
      c.score = *v;
    else
      ok = false;
  }
  if (need("description")) {
    if (auto d = s.string("description"))
      c.description = *d;
    else
      ok = false;
  }
  s.finish();
  if (!ok) return std::nullopt;
  return c;
}

}  // namespace

bool Expression::eval(const std::set<std::string, std::less<>>& present) const {
  if (nodes.empty()) return false;
  // Children come before their parent in `nodes`: one pass, bottom up.
  std::vector<char> v(nodes.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    switch (n.kind) {
      case Node::Kind::Symbol:
        v[i] = present.count(n.symbol) > 0;
        break;
      case Node::Kind::Not:
        v[i] = !v[n.a];
        break;
      case Node::Kind::And:
        v[i] = v[n.a] && v[n.b];
        break;
      case Node::Kind::Or:
        v[i] = v[n.a] || v[n.b];
        break;
    }
  }
  return v.back();
}

postern::expected<Expression, ExpressionError> parse_expression(std::string_view text) {
  if (text.size() > kMaxExpressionBytes)
    return postern::unexpected(
        ExpressionError{0, fmt::format("longer than {} bytes", kMaxExpressionBytes)});
  auto toks = tokenize(text);
  if (!toks) return postern::unexpected(toks.error());
  Expression e;
  Parser p(*toks, e);
  auto root = p.parse();
  if (!root) return postern::unexpected(root.error());
  return e;
}

void read_composites(policy::TomlSection& s, policy::Policy& p) {
  CompositesPolicy cp = p.sections.section<CompositesPolicy>("composites");
  for (const std::string& name : s.keys()) {
    const toml::node* n = s.node(name);
    const toml::table* t = n ? n->as_table() : nullptr;
    if (!t) {
      s.error(*n, fmt::format("[composites]: '{}': expected a table [composites.{}]", name, name));
      continue;
    }
    if (!is_symbol_name(name)) {
      s.error(*n, fmt::format("[composites.{}]: a composite's name is its symbol: expected "
                              "UPPER_SNAKE ([A-Z][A-Z0-9_]*, at most {} characters)",
                              name, kMaxSymbolBytes));
      continue;
    }
    if (scan::find_builtin_symbol(name)) {
      s.error(*n, fmt::format("[composites.{}]: {} is a catalogued symbol; name the composite "
                              "otherwise",
                              name, name));
      continue;
    }
    auto c = read_composite(policy::TomlSection(*t, "composites." + name, s.file(), s.errors()),
                            name, p);
    if (!c) continue;
    c->defined_at = policy::error_at(s.file(), n->source(), "");
    cp.composites[name] = std::move(*c);
  }
  if (cp.composites.size() > kMaxComposites)
    s.error_here(fmt::format("[composites]: {} composites, at most {}", cp.composites.size(),
                             kMaxComposites));
  p.sections.set_section("composites", std::move(cp));
}

void composites_defined(const policy::Policy& p, std::vector<core::DefinedSymbol>& out) {
  for (const auto& [name, c] : p.sections.section<CompositesPolicy>("composites").composites)
    out.push_back({name, c.score, core::Scope::Transaction, c.description,
                   fmt::format("[composites.{}]", name), c.defined_at.file, c.defined_at.line,
                   c.defined_at.column});
}

postern::expected<std::shared_ptr<const CompositeSet>, policy::Error> CompositeSet::build(
    const CompositesPolicy& c, const std::set<std::string, std::less<>>& rule_names) {
  auto set = std::make_shared<CompositeSet>();
  enum class Mark { None, Active, Done };
  std::map<std::string_view, Mark> mark;
  std::optional<policy::Error> err;
  // Depth-first: a composite after every composite it names (depth bounded by kMaxComposites).
  std::function<void(const CompositeDef&)> visit = [&](const CompositeDef& d) {
    if (err) return;
    Mark& m = mark[d.symbol];
    if (m == Mark::Done) return;
    if (m == Mark::Active) {
      err = d.at;
      err->message = fmt::format("[composites.{}] is part of a cycle of composites", d.symbol);
      return;
    }
    m = Mark::Active;
    for (const auto& n : d.parsed.names)
      if (auto it = c.composites.find(n.symbol); it != c.composites.end()) visit(it->second);
    mark[d.symbol] = Mark::Done;
    if (!err) set->ordered_.push_back(d);
  };
  for (const auto& [name, d] : c.composites) {
    if (rule_names.count(name)) {
      policy::Error e = d.at;
      e.message = fmt::format("[composites.{}]: a rule [rules.{}] has the same name", name, name);
      return postern::unexpected(std::move(e));
    }
    visit(d);
    if (err) return postern::unexpected(std::move(*err));
  }
  return std::shared_ptr<const CompositeSet>(std::move(set));
}

core::Step CompositesStage::on_message(core::Transaction& tx) const {
  // The symbols present for the transaction, and for each recipient with its own findings.
  std::set<std::string, std::less<>> common;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> own;
  for (const auto& f : tx.findings())
    if (f.recipient.empty()) common.insert(f.symbol);
  for (const auto& f : tx.findings())
    if (!f.recipient.empty()) {
      auto [it, fresh] = own.try_emplace(f.recipient);
      if (fresh) it->second = common;
      it->second.insert(f.symbol);
    }
  for (const auto& d : set_->ordered()) {
    bool base = d.parsed.eval(common);
    std::vector<std::string> differ;  // recipients whose own findings change the value
    for (auto& [rcpt, present] : own)
      if (d.parsed.eval(present) != base) differ.push_back(rcpt);
    auto detail = [&](const std::set<std::string, std::less<>>& present) {
      std::string parts;
      for (const auto& n : d.parsed.names)
        if (present.count(n.symbol) && parts.find(n.symbol) == std::string::npos)
          parts += fmt::format("{}{}", parts.empty() ? "" : ", ", n.symbol);
      return fmt::format("{} ({} holds; present: {})", d.description, d.expression,
                         parts.empty() ? "none" : parts);
    };
    if (differ.empty()) {
      if (!base) continue;
      tx.add_finding(d.symbol, d.score, detail(common));
      common.insert(d.symbol);
      for (auto& [rcpt, present] : own) present.insert(d.symbol);
      continue;
    }
    // The value differs by recipient: one finding in the scope of each where it holds
    // (the recipients without findings of their own share the transaction's value;
    // from now on they have one of their own, for the composites that name this one).
    std::string saved = tx.current_recipient();
    for (const auto& r : tx.envelope().recipients) {
      auto it = own.find(r);
      if (!d.parsed.eval(it == own.end() ? common : it->second)) continue;
      if (it == own.end()) it = own.emplace(r, common).first;
      tx.begin_recipient(r);
      tx.add_finding(d.symbol, d.score, detail(it->second));
      it->second.insert(d.symbol);
    }
    if (saved.empty())
      tx.end_recipient();
    else
      tx.begin_recipient(saved);
  }
  return core::Step::next();
}

}  // namespace postern::content
