// Password candidates from a mail's visible text (see archive.hpp,
// passwords_from_text): a fixed keyword list tried at each word start, then a
// bounded look at what follows. Every look is capped at kMaxToken bytes, so the
// whole scan is linear in the text.
#include <array>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "attach/archive.hpp"

namespace postern::attach {
namespace {

constexpr size_t kMaxToken = 64;  // longer "passwords" are prose, not something to type

// Longest first where one is a prefix of another ("password" before "pass").
// ASCII letters match in any case; the others as written (with their capitals listed).
constexpr std::array<std::string_view, 44> kKeywords{
    "password", "passwort",   "passwd",   "passcode",   "passphrase",  "passord",      "pass",
    "pwd",      "pw",         "kennwort", "contraseña", "contrasena",  "mot de passe", "mdp",
    "senha",    "wachtwoord", "parola",   "hasło",      "haslo",       "heslo",        "jelszó",
    "jelszo",   "salasana",   "lösenord", "losenord",   "adgangskode", "şifre",        "Şifre",
    "sifre",    "пароль",     "Пароль",   "ПАРОЛЬ",     "密码",        "密碼",         "パスワード",
    "비밀번호", "κωδικός",    "Κωδικός",  "clave",      "code",        "kod",          "kodu",
    "geslo",    "lozinka",
};

// Connecting words between the keyword and the password ("the password is X").
constexpr std::array<std::string_view, 7> kLinks{"is", "ist", "est", "es", "è", "é", "=>"};

// Separators (ASCII and the full-width colon, en and em dashes).
constexpr std::array<std::string_view, 7> kSeparators{
    "->", ":", "=", "-", "\xEF\xBC\x9A", "\xE2\x80\x93", "\xE2\x80\x94"};

// Quote pairs: ASCII, typographic, guillemets, CJK corner brackets.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kQuotes{{
    {"\"", "\""},
    {"'", "'"},
    {"`", "`"},
    {"\xE2\x80\x9C", "\xE2\x80\x9D"},  // “ ”
    {"\xE2\x80\x98", "\xE2\x80\x99"},  // ‘ ’
    {"\xC2\xAB", "\xC2\xBB"},          // « »
    {"\xE3\x80\x8C", "\xE3\x80\x8D"},  // 「 」
}};

bool ascii_alpha(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
bool ascii_alnum(char c) {
  return ascii_alpha(c) || (c >= '0' && c <= '9');
}
bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}
bool any_space(char c) {
  return space(c) || c == '\n' || c == '\f' || c == '\v';
}

// `kw` at text[i], ASCII letters in any case.
bool match_at(std::string_view text, size_t i, std::string_view kw) {
  if (text.size() - i < kw.size()) return false;
  for (size_t k = 0; k < kw.size(); ++k) {
    char a = text[i + k], b = kw[k];
    if (a != b && !(ascii_alpha(a) && ascii_alpha(b) && (a | 0x20) == (b | 0x20))) return false;
  }
  return true;
}

size_t skip_spaces(std::string_view t, size_t i) {
  while (i < t.size() && space(t[i])) ++i;
  return i;
}

class Collector {
 public:
  Collector(std::vector<std::string>& out, size_t max) : out_(out), max_(max) {}
  bool full() const { return out_.size() >= max_; }

  // Adds `token` and, when it ends in sentence punctuation, the token without it.
  void add(std::string_view token) {
    put(token);
    while (!token.empty() &&
           std::string_view(".,;!?)").find(token.back()) != std::string_view::npos)
      token.remove_suffix(1);
    put(token);
  }

 private:
  void put(std::string_view t) {
    if (t.empty() || t.size() > kMaxToken || full()) return;
    if (seen_.insert(std::string(t)).second) out_.emplace_back(t);
  }
  std::vector<std::string>& out_;
  size_t max_;
  std::unordered_set<std::string> seen_;
};

// A token in quotes at t[i], the closing quote on the same line within kMaxToken.
struct Quoted {
  std::string_view token;  // empty: none
  size_t end = 0;          // just after the closing quote
};
Quoted quoted(std::string_view t, size_t i) {
  for (auto [open, close] : kQuotes) {
    if (t.substr(i, open.size()) != open) continue;
    size_t start = i + open.size();
    std::string_view window = t.substr(start, kMaxToken + close.size());
    size_t end = window.find(close);
    if (end == std::string_view::npos || end == 0) return {};
    if (window.substr(0, end).find('\n') != std::string_view::npos) return {};
    return {t.substr(start, end), start + end + close.size()};
  }
  return {};
}

// The token at t[i]: up to white space, at most kMaxToken + 1 bytes looked at.
std::string_view bare_token(std::string_view t, size_t i) {
  size_t j = i;
  while (j < t.size() && j - i <= kMaxToken && !any_space(t[j])) ++j;
  return j - i > kMaxToken ? std::string_view() : t.substr(i, j - i);
}

// After a keyword ending at t[i]: the candidate(s) it announces.
void after_keyword(std::string_view t, size_t i, Collector& out) {
  i = skip_spaces(t, i);
  bool announced = false;  // a separator or a connecting word: what follows is meant
  for (auto w : kLinks) {
    if (match_at(t, i, w) && (i + w.size() == t.size() || !ascii_alnum(t[i + w.size()]))) {
      i = skip_spaces(t, i + w.size());
      announced = true;
      break;
    }
  }
  for (auto s : kSeparators) {
    if (t.substr(i, s.size()) == s) {
      i = skip_spaces(t, i + s.size());
      announced = true;
      break;
    }
  }
  if (i >= t.size() || t[i] == '\n') {
    // A line that ends with the keyword: the password may be alone on the next line.
    size_t j = i < t.size() ? i + 1 : i;
    while (j < t.size() && any_space(t[j])) {
      if (t[j] == '\n') return;  // a blank line: the thought has ended
      ++j;
    }
    if (j >= t.size()) return;
    Quoted q = quoted(t, j);
    std::string_view tok = q.token.empty() ? bare_token(t, j) : q.token;
    size_t after = q.token.empty() ? j + tok.size() : q.end;
    while (after < t.size() && space(t[after])) ++after;
    if (!tok.empty() && (after >= t.size() || t[after] == '\n')) out.add(tok);  // alone on its line
    return;
  }
  if (Quoted q = quoted(t, i); !q.token.empty()) {
    out.add(q.token);
    return;
  }
  if (announced) out.add(bare_token(t, i));
}

// The bytes a keyword can start with (ASCII letters in both cases): most
// positions are rejected by one table look-up instead of a try of every keyword.
const std::array<bool, 256>& first_bytes() {
  static const std::array<bool, 256> table = [] {
    std::array<bool, 256> t{};
    for (auto kw : kKeywords) {
      unsigned char c = static_cast<unsigned char>(kw[0]);
      t[c] = true;
      if (ascii_alpha(kw[0])) t[c ^ 0x20] = true;
    }
    return t;
  }();
  return table;
}

}  // namespace

std::vector<std::string> passwords_from_text(std::string_view text, size_t max) {
  std::vector<std::string> out;
  Collector c(out, max);
  const auto& first = first_bytes();
  for (size_t i = 0; i < text.size() && !c.full(); ++i) {
    // Keywords start a word: the byte before is not an ASCII letter or digit.
    if (i > 0 && ascii_alnum(text[i - 1])) continue;
    if (!first[static_cast<unsigned char>(text[i])]) continue;
    for (auto kw : kKeywords) {
      if (!match_at(text, i, kw)) continue;
      size_t end = i + kw.size();
      // ASCII keywords end a word ("passing" is not "pass").
      if (ascii_alpha(kw.back()) && end < text.size() && ascii_alpha(text[end])) continue;
      after_keyword(text, end, c);
      i = end - 1;
      break;
    }
  }
  return out;
}

}  // namespace postern::attach
