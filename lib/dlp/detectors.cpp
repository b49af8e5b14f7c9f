// DLP detectors: see detectors.hpp. One pass folds fullwidth forms to ASCII (with a
// map back to the input's offsets, built only when the text holds such forms), one
// pass cuts digit chains (digit groups joined by single spaces or dashes) that the
// number detectors share, and IBAN, ICD-10 and MRZ have their own scans.
#include "dlp/detectors.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace postern::dlp {
namespace {

constexpr std::array<std::string_view, kDetectors> kNames = {"card", "ssn",   "iban", "nhs",
                                                             "npi",  "icd10", "mrz"};
constexpr size_t kMaxKeyword = 64;      // longest keyword looked for
constexpr size_t kMaxChainDigits = 40;  // digits kept of a chain (longer: no detector's)

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_alpha(char c) {
  return is_upper(c) || (c >= 'a' && c <= 'z');
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
char lower(char c) {
  return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

// The text as read: fullwidth forms and no-break/ideographic spaces folded to ASCII.
struct Folded {
  std::string_view text;       // the input itself when nothing was folded
  std::string storage;         // the folded text otherwise
  std::vector<uint32_t> orig;  // input offset of each folded byte (and of its end)
  size_t to_input(size_t i) const { return orig.empty() ? i : orig[i]; }
};

// The ASCII byte a 2- or 3-byte sequence at s[i] folds to (0: none), and its length.
char fold_at(std::string_view s, size_t i, size_t& len) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (b(0) == 0xC2 && i + 1 < s.size() && b(1) == 0xA0) {
    len = 2;
    return ' ';
  }
  if (i + 2 >= s.size()) return 0;
  len = 3;
  if (b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return ' ';
  if (b(0) != 0xEF) return 0;
  if (b(1) == 0xBC) {
    if (b(2) >= 0x90 && b(2) <= 0x99) return static_cast<char>('0' + (b(2) - 0x90));
    if (b(2) >= 0xA1 && b(2) <= 0xBA) return static_cast<char>('A' + (b(2) - 0xA1));
    if (b(2) == 0x8D) return '-';
    if (b(2) == 0x8E) return '.';
    if (b(2) == 0x9C) return '<';
  }
  if (b(1) == 0xBD && b(2) >= 0x81 && b(2) <= 0x9A) return static_cast<char>('a' + (b(2) - 0x81));
  return 0;
}

Folded fold(std::string_view in) {
  Folded f;
  f.text = in;
  bool any = false;
  for (size_t i = 0; i < in.size() && !any; ++i) {
    size_t len = 0;
    any = (in[i] == '\xC2' || in[i] == '\xE3' || in[i] == '\xEF') && fold_at(in, i, len) != 0;
  }
  if (!any) return f;
  f.storage.reserve(in.size());
  f.orig.reserve(in.size() + 1);
  for (size_t i = 0; i < in.size();) {
    size_t len = 1;
    char c = 0;
    if (in[i] == '\xC2' || in[i] == '\xE3' || in[i] == '\xEF') c = fold_at(in, i, len);
    if (c == 0) {
      c = in[i];
      len = 1;
    }
    f.storage.push_back(c);
    f.orig.push_back(static_cast<uint32_t>(i));
    i += len;
  }
  f.orig.push_back(static_cast<uint32_t>(in.size()));
  return f;  // the caller points f.text at f.storage (a move would leave it dangling)
}

// Where the keywords of one detector are in the text (word starts, case-insensitive).
struct KeywordIndex {
  std::vector<std::pair<size_t, size_t>> spans;  // [begin, end), sorted by begin

  static KeywordIndex build(std::string_view t, const std::vector<std::string>& keywords) {
    KeywordIndex k;
    std::array<std::vector<const std::string*>, 256> by_first{};
    for (const auto& w : keywords)
      if (!w.empty() && w.size() <= kMaxKeyword)
        by_first[static_cast<unsigned char>(lower(w[0]))].push_back(&w);
    for (size_t i = 0; i < t.size(); ++i) {
      if (i > 0 && is_alpha(t[i - 1])) continue;
      for (const auto* w : by_first[static_cast<unsigned char>(lower(t[i]))]) {
        if (w->size() > t.size() - i) continue;
        bool eq = true;
        for (size_t j = 1; j < w->size() && eq; ++j) eq = lower(t[i + j]) == (*w)[j];
        if (eq) {
          k.spans.emplace_back(i, i + w->size());
          break;
        }
      }
    }
    return k;
  }

  bool near(size_t begin, size_t end, size_t window) const {
    const size_t lo = begin > window + kMaxKeyword ? begin - window - kMaxKeyword : 0;
    auto it = std::lower_bound(spans.begin(), spans.end(), std::pair<size_t, size_t>{lo, 0});
    for (; it != spans.end() && it->first <= end + window; ++it)
      if (it->second + window >= begin) return true;
    return false;
  }
};

// Digit groups joined by single spaces or dashes, bounded by non-alphanumerics.
struct Chain {
  size_t begin = 0, end = 0;
  std::string digits;           // at most kMaxChainDigits
  std::vector<uint8_t> groups;  // lengths (capped)
  char sep = 0;                 // the separator (0: one group)
  bool mixed = false;           // both spaces and dashes
  bool bounded = true;          // not part of a word or of a longer number
  bool too_long = false;
};

bool is_sep(char c) {
  return c == ' ' || c == '-';
}

// Cuts the chain starting at t[i] (a digit not after a digit); returns its end.
Chain cut_chain(std::string_view t, size_t i) {
  Chain c;
  c.begin = i;
  if (i > 0 &&
      (is_alpha(t[i - 1]) || ((t[i - 1] == '.' || t[i - 1] == ',') && i > 1 && is_digit(t[i - 2]))))
    c.bounded = false;
  size_t j = i;
  while (true) {
    size_t g = 0;
    while (j < t.size() && is_digit(t[j])) {
      if (c.digits.size() < kMaxChainDigits)
        c.digits.push_back(t[j]);
      else
        c.too_long = true;
      ++g;
      ++j;
    }
    if (c.groups.size() < kMaxChainDigits)
      c.groups.push_back(static_cast<uint8_t>(std::min<size_t>(g, 255)));
    if (j + 1 < t.size() && is_sep(t[j]) && is_digit(t[j + 1])) {
      if (c.sep != 0 && c.sep != t[j]) c.mixed = true;
      c.sep = t[j];
      ++j;
      continue;
    }
    break;
  }
  c.end = j;
  if (j < t.size() && is_alpha(t[j])) c.bounded = false;
  if (j + 1 < t.size() && (t[j] == '.' || t[j] == ',') && is_digit(t[j + 1])) c.bounded = false;
  return c;
}

bool groups_are(const Chain& c, std::initializer_list<uint8_t> want) {
  return c.groups.size() == want.size() && std::equal(want.begin(), want.end(), c.groups.begin());
}

int num(std::string_view d, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n && i < d.size(); ++i) v = v * 10 + (d[i] - '0');
  return v;
}

bool issuer_ok(std::string_view d) {
  const size_t n = d.size();
  const int p2 = num(d, 2), p3 = num(d, 3), p4 = num(d, 4);
  if (d[0] == '4') return n == 13 || n == 16 || n == 19;                     // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // MC
  if (p2 == 34 || p2 == 37) return n == 15;                                  // Amex
  if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) return n >= 16;    // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16;                              // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38) return n >= 14;      // Diners
  if (p2 == 62) return n >= 16;                                              // UnionPay
  return false;
}

// Published test numbers of the card networks and payment processors.
constexpr std::array<std::string_view, 24> kTestCards = {
    "4111111111111111", "4012888888881881", "4222222222222",    "4242424242424242",
    "4000056655665556", "4000000000000002", "4000000000000077", "4000000000003220",
    "5555555555554444", "5105105105105100", "5200828282828210", "2223003122003222",
    "2222400070000005", "378282246310005",  "371449635398431",  "378734493671000",
    "6011111111111117", "6011000990139424", "6011000400000000", "3530111333300000",
    "3566002020360505", "30569309025904",   "38520000023237",   "6200000000000005"};

std::string group_right(std::string_view s, size_t every, char sep) {
  std::string out;
  const size_t first = s.size() % every == 0 ? every : s.size() % every;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (i == first || (i > first && (i - first) % every == 0))) out.push_back(sep);
    out.push_back(s[i]);
  }
  return out;
}

std::string stars_last4(std::string_view d) {
  const size_t keep = std::min<size_t>(4, d.size());
  return std::string(d.size() - keep, '*') + std::string(d.substr(d.size() - keep));
}

struct Ctx {
  const Folded& f;
  const Options& o;
  Result& r;
  std::array<std::optional<KeywordIndex>, kDetectors> kw{};
  std::array<size_t, kDetectors> count{};

  bool on(Detector d) const { return o.enabled[static_cast<size_t>(d)]; }
  bool keyword_near(Detector d, size_t b, size_t e) {
    auto& k = kw[static_cast<size_t>(d)];
    if (!k) {
      const auto& words = o.keywords[static_cast<size_t>(d)];
      k = KeywordIndex::build(f.text, words.empty() ? default_keywords(d) : words);
    }
    return k->near(b, e, o.window);
  }
  // Adds a validated match: high with a keyword near, else `base`.
  void add(Detector d, size_t b, size_t e, std::string masked, Tier base, bool may_raise = true) {
    auto& n = count[static_cast<size_t>(d)];
    if (n >= o.max_matches) {
      r.truncated = true;
      return;
    }
    ++n;
    Tier t = base;
    if (may_raise && base == Tier::medium && keyword_near(d, b, e)) t = Tier::high;
    r.matches.push_back(Match{d, t, f.to_input(b), f.to_input(e), std::move(masked)});
  }
};

void card(Ctx& x, const Chain& c) {
  const auto& d = c.digits;
  if (d.size() < 13 || d.size() > 19 || c.mixed) return;
  if (c.groups.size() > 1 &&
      !(groups_are(c, {4, 4, 4, 4}) || groups_are(c, {4, 6, 5}) || groups_are(c, {4, 6, 4}) ||
        groups_are(c, {4, 4, 5}) || groups_are(c, {4, 4, 4, 3}) || groups_are(c, {4, 4, 4, 4, 3})))
    return;
  if (!issuer_ok(d) || !luhn_valid(d)) return;
  if (std::find(kTestCards.begin(), kTestCards.end(), d) != kTestCards.end()) return;
  x.add(Detector::card, c.begin, c.end, group_right(stars_last4(d), 4, ' '), Tier::medium);
}

void ssn(Ctx& x, const Chain& c) {
  const auto& d = c.digits;
  if (d.size() != 9 || c.mixed || !ssn_valid(d)) return;
  const std::string masked = "***-**-" + d.substr(5);
  if (groups_are(c, {3, 2, 4}))
    x.add(Detector::ssn, c.begin, c.end, masked, Tier::medium);
  else if (c.groups.size() == 1 && x.keyword_near(Detector::ssn, c.begin, c.end))
    x.add(Detector::ssn, c.begin, c.end, masked, Tier::medium, false);
}

void nhs(Ctx& x, const Chain& c) {
  const auto& d = c.digits;
  if (d.size() != 10 || !(c.groups.size() == 1 || (groups_are(c, {3, 3, 4}) && c.sep == ' ')))
    return;
  if (!nhs_valid(d)) return;
  x.add(Detector::nhs, c.begin, c.end, "*** *** " + d.substr(6), Tier::medium);
}

void npi(Ctx& x, const Chain& c) {
  const auto& d = c.digits;
  if (d.size() != 10 || c.groups.size() != 1 || !npi_valid(d)) return;
  x.add(Detector::npi, c.begin, c.end, "******" + d.substr(6), Tier::medium);
}

void digit_chains(Ctx& x) {
  const auto t = x.f.text;
  for (size_t i = 0; i < t.size();) {
    if (!is_digit(t[i])) {
      ++i;
      continue;
    }
    const Chain c = cut_chain(t, i);
    i = c.end;
    if (!c.bounded || c.too_long) continue;
    if (x.on(Detector::card)) card(x, c);
    if (x.on(Detector::ssn)) ssn(x, c);
    if (x.on(Detector::nhs)) nhs(x, c);
    if (x.on(Detector::npi)) npi(x, c);
  }
}

// IBAN lengths per country (the SWIFT IBAN registry).
int iban_length(char a, char b) {
  struct Row {
    char cc[3];
    int len;
  };
  static constexpr Row kRows[] = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
      {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
      {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
      {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
      {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
      {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
      {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
      {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
      {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
      {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
      {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
      {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
      {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30}};
  for (const auto& r : kRows)
    if (r.cc[0] == a && r.cc[1] == b) return r.len;
  return 0;
}

bool iban_char(char c) {
  return is_digit(c) || is_upper(c);
}

void iban(Ctx& x) {
  const auto t = x.f.text;
  for (size_t i = 0; i + 4 <= t.size(); ++i) {
    if (!is_upper(t[i]) || !is_upper(t[i + 1]) || !is_digit(t[i + 2]) || !is_digit(t[i + 3]))
      continue;
    if (i > 0 && is_alnum(t[i - 1])) continue;
    const int len = iban_length(t[i], t[i + 1]);
    if (len == 0) continue;
    std::string compact;
    size_t j = i;
    // Compact: one run of exactly `len`.
    while (j < t.size() && iban_char(t[j]) && compact.size() <= static_cast<size_t>(len))
      compact.push_back(t[j++]);
    bool ok = compact.size() == static_cast<size_t>(len) && (j >= t.size() || !is_alnum(t[j]));
    if (!ok && compact.size() == 4 && j < t.size() && t[j] == ' ') {
      // Grouped: groups of 4 after single spaces, the last 1 to 4, to `len` in all.
      bool bad = false;
      while (!bad && compact.size() < static_cast<size_t>(len) && j + 1 < t.size() && t[j] == ' ' &&
             iban_char(t[j + 1])) {
        size_t g = 0;
        ++j;
        while (j < t.size() && iban_char(t[j]) && g < 5) {
          compact.push_back(t[j++]);
          ++g;
        }
        bad = g > 4 || (g < 4 && compact.size() != static_cast<size_t>(len));
      }
      ok = !bad && compact.size() == static_cast<size_t>(len) && (j >= t.size() || !is_alnum(t[j]));
    }
    if (!ok || !iban_valid(compact)) continue;
    std::string m = compact.substr(0, 2) + std::string(compact.size() - 6, '*') +
                    compact.substr(compact.size() - 4);
    std::string grouped;
    for (size_t k = 0; k < m.size(); ++k) {
      if (k > 0 && k % 4 == 0) grouped.push_back(' ');
      grouped.push_back(m[k]);
    }
    x.add(Detector::iban, i, j, grouped, Tier::medium);
    i = j;
  }
}

void icd10(Ctx& x) {
  const auto t = x.f.text;
  for (size_t i = 0; i + 3 <= t.size(); ++i) {
    if (!is_upper(t[i]) || !is_digit(t[i + 1]) || !is_digit(t[i + 2])) continue;
    if (i > 0 && is_alnum(t[i - 1])) continue;
    size_t j = i + 3;
    std::string masked = std::string(1, t[i]) + "**";
    if (j + 1 < t.size() && t[j] == '.' && iban_char(t[j + 1])) {
      size_t k = j + 1;
      while (k < t.size() && iban_char(t[k]) && k - j <= 4) ++k;
      masked += "." + std::string(k - j - 1, '*');
      j = k;
    }
    if (j < t.size() && is_alnum(t[j])) continue;
    if (!x.keyword_near(Detector::icd10, i, j)) continue;
    x.add(Detector::icd10, i, j, masked, Tier::low, false);
  }
}

bool mrz_line(std::string_view l) {
  return l.size() == 44 &&
         std::all_of(l.begin(), l.end(), [](char c) { return iban_char(c) || c == '<'; });
}

bool mrz_digit_ok(std::string_view field, char check) {
  const int v = mrz_check_digit(field);
  if (check == '<') return v == 0;
  return v >= 0 && is_digit(check) && v == check - '0';
}

void mrz(Ctx& x) {
  const auto t = x.f.text;
  size_t prev_b = std::string_view::npos;
  std::string_view prev;
  for (size_t b = 0; b < t.size();) {
    size_t e = t.find('\n', b);
    if (e == std::string_view::npos) e = t.size();
    size_t lb = b, le = e;
    while (lb < le && (t[lb] == ' ' || t[lb] == '\t')) ++lb;
    while (le > lb && (t[le - 1] == '\r' || t[le - 1] == ' ' || t[le - 1] == '\t')) --le;
    const auto line = t.substr(lb, le - lb);
    if (mrz_line(line)) {
      if (!prev.empty() && prev[0] == 'P') {
        const auto& l2 = line;
        std::string composite = std::string(l2.substr(0, 10)) + std::string(l2.substr(13, 7)) +
                                std::string(l2.substr(21, 22));
        if (mrz_digit_ok(l2.substr(0, 9), l2[9]) && mrz_digit_ok(l2.substr(13, 6), l2[19]) &&
            mrz_digit_ok(l2.substr(21, 6), l2[27]) && mrz_digit_ok(l2.substr(28, 14), l2[42]) &&
            mrz_digit_ok(composite, l2[43])) {
          std::string doc(l2.substr(0, 9));
          while (!doc.empty() && doc.back() == '<') doc.pop_back();
          const size_t keep = std::min<size_t>(2, doc.size());
          x.add(Detector::mrz, prev_b, le,
                "P<" + std::string(prev.substr(2, 3)) + " " + std::string(doc.size() - keep, '*') +
                    doc.substr(doc.size() - keep),
                Tier::medium);
          prev = {};
          b = e + 1;
          continue;
        }
      }
      prev = line;
      prev_b = lb;
    } else {
      prev = {};
    }
    b = e + 1;
  }
}

}  // namespace

std::string_view detector_name(Detector d) {
  return kNames[static_cast<size_t>(d)];
}

std::optional<Detector> detector_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Detector>(i);
  return std::nullopt;
}

std::string_view tier_name(Tier t) {
  switch (t) {
    case Tier::low:
      return "low";
    case Tier::medium:
      return "medium";
    case Tier::high:
      return "high";
  }
  return "low";
}

std::optional<Tier> tier_from_name(std::string_view name) {
  for (Tier t : {Tier::low, Tier::medium, Tier::high})
    if (tier_name(t) == name) return t;
  return std::nullopt;
}

const std::vector<std::string>& default_keywords(Detector d) {
  static const std::array<std::vector<std::string>, kDetectors> kWords = {{
      {"card",     "credit",   "debit",  "visa",     "mastercard", "amex",  "american express",
       "discover", "jcb",      "diners", "unionpay", "cc#",        "ccn",   "pan",
       "expir",    "exp date", "cvv",    "cvc",      "payment",    "karte", "carte",
       "tarjeta"},
      {"ssn", "social security", "ss#", "ssa", "taxpayer", "tin"},
      {"iban", "bank", "account", "konto", "transfer", "swift", "bic", "compte", "cuenta", "wire"},
      {"nhs", "national health", "health service", "patient", "hospital", "gp"},
      {"npi", "national provider", "provider", "prescriber", "physician"},
      {"icd", "diagnos", "patient", "dx", "clinical", "condition"},
      {"passport", "mrz", "travel document", "reisepass", "passeport", "pasaporte"},
  }};
  return kWords[static_cast<size_t>(d)];
}

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    if (!is_digit(digits[i])) return false;
    int v = digits[i] - '0';
    if (dbl && (v *= 2) > 9) v -= 9;
    sum += v;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool iban_valid(std::string_view s) {
  if (s.size() < 5 || s.size() > 34 || !is_upper(s[0]) || !is_upper(s[1]) || !is_digit(s[2]) ||
      !is_digit(s[3]))
    return false;
  if (iban_length(s[0], s[1]) != static_cast<int>(s.size())) return false;
  int rem = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    const char c = s[(k + 4) % s.size()];
    if (is_digit(c))
      rem = (rem * 10 + (c - '0')) % 97;
    else if (is_upper(c))
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    else
      return false;
  }
  return rem == 1;
}

bool nhs_valid(std::string_view d) {
  if (d.size() != 10 || !std::all_of(d.begin(), d.end(), is_digit)) return false;
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) sum += (d[i] - '0') * static_cast<int>(10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  return check != 10 && check == d[9] - '0';
}

bool npi_valid(std::string_view d) {
  if (d.size() != 10 || (d[0] != '1' && d[0] != '2')) return false;
  return luhn_valid("80840" + std::string(d));
}

bool ssn_valid(std::string_view d) {
  if (d.size() != 9 || !std::all_of(d.begin(), d.end(), is_digit)) return false;
  const int area = num(d, 3), group = num(d.substr(3), 2), serial = num(d.substr(5), 4);
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return false;
  return d != "078051120" && d != "219099999";
}

int mrz_check_digit(std::string_view field) {
  static constexpr int kWeights[3] = {7, 3, 1};
  int sum = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    int v = 0;
    if (is_digit(c))
      v = c - '0';
    else if (is_upper(c))
      v = c - 'A' + 10;
    else if (c != '<')
      return -1;
    sum += v * kWeights[i % 3];
  }
  return sum % 10;
}

Result detect(std::string_view text, const Options& options) {
  Result r;
  Folded f = fold(text);
  if (!f.orig.empty()) f.text = f.storage;
  Ctx x{f, options, r};
  if (x.on(Detector::card) || x.on(Detector::ssn) || x.on(Detector::nhs) || x.on(Detector::npi))
    digit_chains(x);
  if (x.on(Detector::iban)) iban(x);
  if (x.on(Detector::icd10)) icd10(x);
  if (x.on(Detector::mrz)) mrz(x);
  std::stable_sort(r.matches.begin(), r.matches.end(),
                   [](const Match& a, const Match& b) { return a.detector < b.detector; });
  return r;
}

}  // namespace postern::dlp
