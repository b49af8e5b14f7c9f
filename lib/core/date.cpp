// RFC 5322 date-time: tokenise (comments dropped), then read the fields in order.
#include "core/date.hpp"

#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "core/address.hpp"

namespace postern::core {
namespace {

std::vector<std::string> tokens(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (char c : s) {
    if (depth > 0) {
      if (c == '(')
        ++depth;
      else if (c == ')')
        --depth;
      continue;
    }
    if (c == '(') {
      flush();
      depth = 1;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',')
      flush();
    else
      cur.push_back(c);
    if (out.size() > 16) break;
  }
  flush();
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

int month_of(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  std::string l = to_lower(m);
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (l == kMonths[i]) return static_cast<int>(i) + 1;
  return 0;
}

std::optional<int> zone_minutes(std::string_view z) {
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-') && all_digits(z.substr(1))) {
    int hh = (z[1] - '0') * 10 + (z[2] - '0'), mm = (z[3] - '0') * 10 + (z[4] - '0');
    if (hh > 23 || mm > 59) return std::nullopt;
    int v = hh * 60 + mm;
    return z[0] == '-' ? -v : v;
  }
  std::string l = to_lower(z);
  if (l == "ut" || l == "gmt" || l == "utc" || l == "z") return 0;
  if (l == "edt") return -4 * 60;
  if (l == "est" || l == "cdt") return -5 * 60;
  if (l == "cst" || l == "mdt") return -6 * 60;
  if (l == "mst" || l == "pdt") return -7 * 60;
  if (l == "pst") return -8 * 60;
  if (l.size() == 1 && std::isalpha(static_cast<unsigned char>(l[0])) && l != "j")
    return 0;  // military: unknown offset
  return std::nullopt;
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<size_t>(month - 1)];
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<int64_t> parse_rfc5322_date(std::string_view s) {
  auto t = tokens(s);
  size_t i = 0;
  if (i < t.size() && !t[i].empty() && std::isalpha(static_cast<unsigned char>(t[i][0])))
    ++i;  // day name
  if (i + 4 > t.size()) return std::nullopt;
  if (!all_digits(t[i]) || t[i].size() > 2) return std::nullopt;
  int day = std::stoi(t[i++]);
  int month = month_of(t[i++]);
  if (month == 0 || !all_digits(t[i]) || t[i].size() > 4 || t[i].size() < 2) return std::nullopt;
  int year = std::stoi(t[i]);
  if (t[i].size() == 2)
    year += year < 50 ? 2000 : 1900;
  else if (t[i].size() == 3)
    year += 1900;
  ++i;
  // time: hh:mm[:ss]
  const std::string& tm = t[i++];
  int hh = -1, mm = -1, ss = 0;
  {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : tm) {
      if (c == ':') {
        parts.push_back(cur);
        cur.clear();
      } else
        cur.push_back(c);
    }
    parts.push_back(cur);
    if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
    for (const auto& p : parts)
      if (!all_digits(p) || p.size() > 2) return std::nullopt;
    hh = std::stoi(parts[0]);
    mm = std::stoi(parts[1]);
    if (parts.size() == 3) ss = std::stoi(parts[2]);
  }
  if (day < 1 || day > days_in_month(year, month) || hh > 23 || mm > 59 || ss > 60 || year < 1900 ||
      year > 9999)
    return std::nullopt;
  int zone = 0;
  if (i < t.size()) {
    auto z = zone_minutes(t[i]);
    if (!z) return std::nullopt;
    zone = *z;
  } else {
    return std::nullopt;  // RFC 5322 requires a zone
  }
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86400 + hh * 3600 + mm * 60 + ss - zone * 60;
}

}  // namespace postern::core
