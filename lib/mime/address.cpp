// Address fields: a tokenizer, the RFC 5322 reading, and the other readings' domains.
#include "mime/address.hpp"

#include <algorithm>
#include <memory>
#include <unordered_set>

#include "core/address.hpp"
#include "mime/decode.hpp"

namespace postern::mime {
namespace {

enum class Kind { Atom, Quoted, Literal, Special };

struct Token {
  Kind kind;
  std::string_view raw;       // as written (a quoted string with its quotes)
  std::string_view text;      // what it reads as (quoted: inside the quotes, quoted-pairs kept)
  bool space_before = false;  // whitespace, a comment or a control byte came before it
};

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c < 0x20 || c == 0x7f;  // controls separate, as whitespace
}

bool is_special(char c) {
  return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':' || c == '.';
}

// Comments are dropped (they count as whitespace); an unclosed quote, comment or
// literal runs to the end. Linear in the value.
std::vector<Token> tokenize(std::string_view v) {
  std::vector<Token> out;
  bool space = false;
  for (size_t i = 0; i < v.size();) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (is_space(c)) {
      space = true;
      ++i;
    } else if (c == '(') {
      int depth = 0;
      for (; i < v.size(); ++i) {
        if (v[i] == '\\') {
          ++i;
        } else if (v[i] == '(') {
          ++depth;
        } else if (v[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
      }
      space = true;
    } else if (c == '"' || c == '[') {
      char close = c == '"' ? '"' : ']';
      size_t start = i++;
      while (i < v.size() && v[i] != close) i += v[i] == '\\' ? 2 : 1;
      i = std::min(i, v.size());
      std::string_view inner = v.substr(start + 1, i - start - 1);
      if (i < v.size()) ++i;
      std::string_view raw = v.substr(start, i - start);
      out.push_back({c == '"' ? Kind::Quoted : Kind::Literal, raw, c == '"' ? inner : raw, space});
      space = false;
    } else if (is_special(static_cast<char>(c))) {
      out.push_back({Kind::Special, v.substr(i, 1), v.substr(i, 1), space});
      space = false;
      ++i;
    } else {
      size_t start = i;
      while (i < v.size() && !is_space(static_cast<unsigned char>(v[i])) && !is_special(v[i]) &&
             v[i] != '"' && v[i] != '(' && v[i] != '[')
        ++i;
      out.push_back({Kind::Atom, v.substr(start, i - start), v.substr(start, i - start), space});
      space = false;
    }
  }
  return out;
}

bool is(const Token& t, char c) {
  return t.kind == Kind::Special && t.raw[0] == c;
}

std::string normalize_domain(std::string_view d) {
  std::string out = core::to_lower(d);
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// Distinct domains in first-seen order, at most `max` of them (then `full` is set).
struct DomainSet {
  explicit DomainSet(size_t max) : max_(max) {}
  void add(std::string d) {
    if (d.empty() || set_.contains(d)) return;
    if (list.size() >= max_) {
      full = true;
      return;
    }
    set_.insert(d);
    list.push_back(std::move(d));
  }
  bool contains(const std::string& d) const { return set_.contains(d); }
  std::vector<std::string> list;
  bool full = false;

 private:
  size_t max_;
  std::unordered_set<std::string> set_;
};

// The text of a token range as one string: quoted strings unescaped, words joined by
// one space where the message had whitespace.
std::string join(const std::vector<Token>& t, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (i > from && t[i].space_before) out.push_back(' ');
    if (t[i].kind == Kind::Quoted) {
      for (size_t k = 0; k < t[i].text.size(); ++k) {
        if (t[i].text[k] == '\\' && k + 1 < t[i].text.size()) ++k;
        out.push_back(t[i].text[k]);
      }
    } else {
      out.append(t[i].text);
    }
  }
  return out;
}

// An addr-spec from tokens [i, end): local '@' domain, as the RFC reading takes it.
// The domain is every atom and dot after the '@' (whitespace between them is
// obsolete syntax and read away, as Python does); it stops at anything else.
struct AddrSpec {
  std::string local, domain;
  bool has_at = false;
};

AddrSpec addr_spec(const std::vector<Token>& t, size_t i, size_t end) {
  AddrSpec a;
  size_t at = i;
  while (at < end && !is(t[at], '@')) ++at;
  std::string local;
  for (size_t k = i; k < at; ++k) {
    if (k > i && t[k].space_before && !is(t[k], '.') && !is(t[k - 1], '.')) local.push_back(' ');
    local += t[k].kind == Kind::Quoted ? join(t, k, k + 1) : std::string(t[k].text);
  }
  a.local = std::move(local);
  if (at >= end) return a;
  a.has_at = true;
  std::string domain;
  for (size_t k = at + 1; k < end; ++k) {
    bool dot = is(t[k], '.');
    if (!dot && t[k].kind != Kind::Atom && t[k].kind != Kind::Literal) break;
    if (!dot && !domain.empty() && domain.back() != '.') break;  // two words: the domain ended
    domain.append(t[k].text);
  }
  a.domain = normalize_domain(domain);
  return a;
}

// Domains other readers see: the dot-atom written right after each '@' outside
// quoted strings and comments (not a route's "<@a,@b:"), with no whitespace inside.
void at_sign_domains(const std::vector<Token>& t, DomainSet& out) {
  bool in_angle = false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (is(t[i], '<')) in_angle = true;
    if (is(t[i], '>')) in_angle = false;
    if (!is(t[i], '@')) continue;
    if (i > 0 && (is(t[i - 1], '<') || (in_angle && is(t[i - 1], ',')))) continue;  // a route
    std::string d;
    for (size_t k = i + 1; k < t.size() && !t[k].space_before; ++k) {
      if (!is(t[k], '.') && t[k].kind != Kind::Atom && t[k].kind != Kind::Literal) break;
      d.append(t[k].text);
    }
    out.add(normalize_domain(d));
  }
}

// Encoded words where an address belongs ("From: =?utf-8?q?a=40b.example?="):
// a client that decodes them shows an address; its domains count.
void encoded_domains(std::string_view raw, DomainSet& out) {
  if (raw.find("=?") == std::string_view::npos) return;
  DecodeStats st;
  std::string decoded = decode_rfc2047(raw, st);
  at_sign_domains(tokenize(decoded), out);
}

}  // namespace

AddressList parse_mailboxes(std::string_view value) {
  AddressList out;
  std::vector<Token> t = tokenize(value);
  DomainSet rfc(kMaxMailboxes), seen(kMaxMailboxes);
  auto add_mailbox = [&](Mailbox m) {
    if (out.mailboxes.size() >= kMaxMailboxes) {
      out.limit = true;
      return;
    }
    rfc.add(m.domain);
    out.mailboxes.push_back(std::move(m));
  };
  // Elements end at ',' or ';' outside angle brackets; "phrase :" opens a group.
  size_t start = 0;
  while (start < t.size()) {
    size_t end = start, angle = SIZE_MAX, close = SIZE_MAX;
    bool at = false;
    for (; end < t.size(); ++end) {
      if (angle != SIZE_MAX && close == SIZE_MAX) {
        if (is(t[end], '>')) close = end;
        continue;
      }
      if (is(t[end], ',') || is(t[end], ';')) break;
      if (is(t[end], '@')) at = true;
      if (is(t[end], '<') && angle == SIZE_MAX) angle = end;
      if (is(t[end], ':') && !at && angle == SIZE_MAX) {  // a group's name: read past it
        start = end + 1;
        at = false;
      }
    }
    if (angle != SIZE_MAX) {
      size_t inner_end = close == SIZE_MAX ? end : close;
      size_t i = angle + 1;
      if (i < inner_end && is(t[i], '@')) {  // obsolete route "<@a,@b:user@dom>"
        while (i < inner_end && !is(t[i], ':')) ++i;
        if (i < inner_end) ++i;
      }
      AddrSpec a = addr_spec(t, i, inner_end);
      Mailbox m;
      m.display_name = join(t, start, angle);
      if (!a.has_at && a.local.empty()) {
        // "a@b <>": the address stands where the display name would.
        AddrSpec phrase = addr_spec(t, start, angle);
        if (phrase.has_at) a = std::move(phrase), m.display_name.clear();
      }
      m.local = std::move(a.local);
      m.domain = std::move(a.domain);
      if (!m.domain.empty() || !m.local.empty() || !m.display_name.empty())
        add_mailbox(std::move(m));
      if (inner_end > angle + 1)
        encoded_domains(value.substr(t[angle + 1].raw.data() - value.data(),
                                     t[inner_end - 1].raw.data() + t[inner_end - 1].raw.size() -
                                         t[angle + 1].raw.data()),
                        seen);
    } else if (end > start) {
      AddrSpec a = addr_spec(t, start, end);
      if (a.has_at) {
        add_mailbox({"", std::move(a.local), std::move(a.domain)});
      } else if (!a.local.empty()) {
        DecodeStats st;
        add_mailbox({decode_rfc2047(join(t, start, end), st), "", ""});
      }
      encoded_domains(
          value.substr(t[start].raw.data() - value.data(),
                       t[end - 1].raw.data() + t[end - 1].raw.size() - t[start].raw.data()),
          seen);
    }
    start = end + 1;
  }
  for (auto& m : out.mailboxes)
    if (!m.display_name.empty() && m.display_name.find("=?") != std::string::npos) {
      DecodeStats st;
      m.display_name = decode_rfc2047(m.display_name, st);
    }
  at_sign_domains(t, seen);
  for (auto& d : seen.list)
    if (!rfc.contains(d)) out.others.push_back(std::move(d));
  out.limit = out.limit || seen.full;
  return out;
}

std::string Author::single_domain() const {
  return domains.size() == 1 && !ambiguous && !limit ? domains.front() : std::string();
}

Author author(const core::Message& m) {
  Author a;
  // One more than the bound, so that passing it shows.
  DomainSet rfc(kMaxAuthorDomains + 1), others(kMaxAuthorDomains + 1);
  auto read = [&](std::string_view value, bool mta_reading) {
    AddressList l = parse_mailboxes(value);
    a.limit = a.limit || l.limit;
    for (auto& mb : l.mailboxes) {
      if (mta_reading) {
        rfc.add(mb.domain);
        if (a.mailboxes.size() < kMaxMailboxes) a.mailboxes.push_back(mb);
      } else {
        others.add(mb.domain);
      }
    }
    for (auto& d : l.others) others.add(std::move(d));
  };
  for (const auto& h : m.headers()) {
    if (!core::iequals(h.name, "From")) continue;
    ++a.fields;
    read(h.value, true);
    if (h.bare_line_break) read(h.split_value, false);
  }
  for (const auto& h : m.hidden_fields())
    if (core::iequals(h.name, "From")) {
      a.hidden_from = true;
      read(h.value, false);
    }
  a.domains = std::move(rfc.list);
  a.rfc_domains = a.domains.size();
  for (auto& d : others.list)
    if (!rfc.contains(d)) a.domains.push_back(std::move(d));
  a.ambiguous = a.domains.size() != a.rfc_domains || (others.full && !rfc.full);
  if (a.domains.size() > kMaxAuthorDomains || rfc.full || others.full) {
    a.limit = true;
    if (a.domains.size() > kMaxAuthorDomains + 1) a.domains.resize(kMaxAuthorDomains + 1);
    a.rfc_domains = std::min(a.rfc_domains, a.domains.size());
  }
  return a;
}

const Author& author(core::Transaction& tx) {
  if (const Author* a = tx.get<Author>()) return *a;
  auto a = std::make_shared<const Author>(author(*tx.message()));
  tx.put<Author>(a);
  return *a;
}

}  // namespace postern::mime
