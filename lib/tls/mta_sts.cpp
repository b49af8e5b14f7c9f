// MTA-STS records and policies (see mta_sts.hpp).
#include "tls/mta_sts.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "tls/policy.hpp"

namespace postern::tls {
namespace {

std::string_view strip(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_mx_pattern(std::string_view p) {
  if (p.starts_with("*.")) p.remove_prefix(2);
  return p.find('.') != std::string_view::npos && is_domain(p);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string_view mode_name(StsPolicy::Mode m) {
  switch (m) {
    case StsPolicy::Mode::Enforce:
      return "enforce";
    case StsPolicy::Mode::Testing:
      return "testing";
    default:
      return "none";
  }
}

postern::expected<std::string, std::string> parse_sts_txt(std::string_view txt) {
  std::string id;
  bool first = true;
  while (!txt.empty()) {
    size_t semi = txt.find(';');
    std::string_view field = strip(txt.substr(0, semi));
    txt = semi == std::string_view::npos ? std::string_view() : txt.substr(semi + 1);
    if (field.empty() && txt.empty()) break;
    size_t eq = field.find('=');
    if (eq == std::string_view::npos) return postern::unexpected("a field without '='");
    std::string_view k = field.substr(0, eq), v = field.substr(eq + 1);
    if (first && (k != "v" || v != "STSv1"))
      return postern::unexpected(std::string("the record does not start with v=STSv1"));
    first = false;
    if (k == "id") {
      if (!id.empty()) return postern::unexpected(std::string("id twice"));
      if (v.empty() || v.size() > 32 || !std::all_of(v.begin(), v.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
          }))
        return postern::unexpected(std::string("id is not 1 to 32 letters and digits"));
      id = std::string(v);
    }
  }
  if (first) return postern::unexpected(std::string("an empty record"));
  if (id.empty()) return postern::unexpected(std::string("no id"));
  return id;
}

postern::expected<StsPolicy, std::string> parse_sts_policy(std::string_view text,
                                                           int64_t max_age_cap) {
  if (text.size() > kMaxPolicyBytes)
    return postern::unexpected(fmt::format("larger than {} bytes", kMaxPolicyBytes));
  StsPolicy p;
  bool version = false, mode = false, age = false;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos)
      return postern::unexpected(fmt::format("line {}: a bare CR", line_no));
    if (strip(line).empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return postern::unexpected(fmt::format("line {}: no 'key: value'", line_no));
    std::string_view k = strip(line.substr(0, colon)), v = strip(line.substr(colon + 1));
    auto once = [&](bool& seen) -> postern::expected<void, std::string> {
      if (seen) return postern::unexpected(fmt::format("line {}: {} twice", line_no, k));
      seen = true;
      return {};
    };
    if (k == "version") {
      if (auto r = once(version); !r) return postern::unexpected(r.error());
      if (v != "STSv1")
        return postern::unexpected(fmt::format("line {}: version is not STSv1", line_no));
    } else if (k == "mode") {
      if (auto r = once(mode); !r) return postern::unexpected(r.error());
      if (v == "enforce")
        p.mode = StsPolicy::Mode::Enforce;
      else if (v == "testing")
        p.mode = StsPolicy::Mode::Testing;
      else if (v == "none")
        p.mode = StsPolicy::Mode::None;
      else
        return postern::unexpected(
            fmt::format("line {}: mode is not enforce, testing or none", line_no));
    } else if (k == "max_age") {
      if (auto r = once(age); !r) return postern::unexpected(r.error());
      if (v.empty() || v.size() > 10 ||
          !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return postern::unexpected(
            fmt::format("line {}: max_age is not an integer of 1 to 10 digits", line_no));
      int64_t n = 0;
      for (char c : v) n = n * 10 + (c - '0');
      p.max_age = std::min(n, max_age_cap);
    } else if (k == "mx") {
      std::string m = lower(v);
      if (!is_mx_pattern(m))
        return postern::unexpected(fmt::format("line {}: mx '{}' is not a host name or *.domain",
                                               line_no, v.substr(0, 80)));
      if (p.mx.size() >= 100) return postern::unexpected(std::string("more than 100 mx"));
      p.mx.push_back(std::move(m));
    }
  }
  if (!version) return postern::unexpected(std::string("no version"));
  if (!mode) return postern::unexpected(std::string("no mode"));
  if (!age) return postern::unexpected(std::string("no max_age"));
  if (p.mode != StsPolicy::Mode::None && p.mx.empty())
    return postern::unexpected(std::string("no mx"));
  return p;
}

std::string policy_line(std::string_view domain, const StsPolicy& p) {
  if (p.mode == StsPolicy::Mode::None) return {};
  if (p.mode == StsPolicy::Mode::Testing) return fmt::format("{} may", domain);
  std::string match;
  for (const auto& m : p.mx) {
    if (!match.empty()) match += ':';
    match += m.starts_with("*.") ? m.substr(1) : m;
  }
  return fmt::format("{} secure match={}", domain, match);
}

std::string to_cache(const StsPolicy& p) {
  std::string out = fmt::format("{} {}", mode_name(p.mode), p.max_age);
  for (const auto& m : p.mx) out += " " + m;
  return out;
}

postern::expected<StsPolicy, std::string> from_cache(std::string_view line) {
  std::string text;
  size_t i = 0;
  while (!line.empty()) {
    size_t sp = line.find(' ');
    std::string_view w = line.substr(0, sp);
    line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    if (i == 0)
      text += fmt::format("version: STSv1\nmode: {}\n", w);
    else if (i == 1)
      text += fmt::format("max_age: {}\n", w);
    else
      text += fmt::format("mx: {}\n", w);
    ++i;
  }
  return parse_sts_policy(text, 31557600);
}

}  // namespace postern::tls
