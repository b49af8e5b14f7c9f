// [banner] and [archive] (see edits.hpp).
#include "policy/edits.hpp"

#include <fmt/format.h>

#include "core/address.hpp"
#include "core/message.hpp"

namespace postern::policy {
namespace {

// accept, tag or quarantine: the verdicts whose mail is delivered or held.
std::optional<core::Action> delivered_action(std::string_view name) {
  auto a = core::parse_action(name);
  if (!a || core::is_final(*a)) return std::nullopt;
  return a;
}

constexpr const char* kDeliveredExpected = "expected \"accept\", \"tag\" or \"quarantine\"";

bool valid_utf8_line(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4)) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;  // toml++ already refuses overlong forms and surrogates in its strings
}

}  // namespace

// "inbound", "outbound" or "both" at "direction" (see policy.hpp).
bool read_direction(TomlSection& s, Directions& d) {
  auto v = s.string("direction");
  if (!v) return true;
  if (*v == "inbound")
    d = {true, false};
  else if (*v == "outbound")
    d = {false, true};
  else if (*v == "both")
    d = {true, true};
  else {
    s.error(*s.node("direction"), "'direction': expected \"inbound\", \"outbound\" or \"both\"");
    return false;
  }
  return true;
}

bool is_plain_address(std::string_view a) {
  size_t at = a.find('@');
  if (at == std::string_view::npos || at == 0 || a.find('@', at + 1) != std::string_view::npos)
    return false;
  for (char c : a.substr(0, at))
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("\"(),:;<>[\\]").find(c) != std::string_view::npos)
      return false;
  return core::is_hostname(a.substr(at + 1), true);
}

void read_banner(TomlSection s, BannerPolicy& b) {
  if (auto v = s.string("text")) {
    if (v->size() > kMaxBannerBytes || !valid_utf8_line(*v))
      s.error(*s.node("text"),
              fmt::format("'text': expected one line of printable UTF-8, at most {} bytes",
                          kMaxBannerBytes));
    else
      b.text = *v;
  }
  read_direction(s, b.directions);
  if (auto v = s.string("min_action")) {
    if (auto a = delivered_action(*v))
      b.min_action = *a;
    else
      s.error(*s.node("min_action"), fmt::format("'min_action': {}", kDeliveredExpected));
  }
  s.finish();
}

void read_archive(TomlSection s, ArchivePolicy& a) {
  if (auto v = s.string("recipient")) {
    std::string r(core::trim(*v));
    if (r.empty() || is_plain_address(r))
      a.recipient = r;
    else
      s.error(*s.node("recipient"),
              "'recipient': expected one address such as \"journal@example.org\" (no name, no "
              "angle brackets)");
  }
  if (auto v = s.string("mode")) {
    if (*v == "copy")
      a.mode = ArchivePolicy::Mode::Copy;
    else if (*v == "redirect")
      a.mode = ArchivePolicy::Mode::Redirect;
    else
      s.error(*s.node("mode"), "'mode': expected \"copy\" or \"redirect\"");
  }
  read_direction(s, a.directions);
  if (const toml::node* n = s.node("actions")) {
    const toml::array* arr = n->as_array();
    std::vector<core::Action> acts;
    bool ok = arr && !arr->empty();
    if (!ok)
      s.error(*n,
              fmt::format("'actions': expected a non-empty array, each {}", kDeliveredExpected));
    for (size_t i = 0; arr && i < arr->size(); ++i) {
      auto str = (*arr)[i].value_exact<std::string>();
      auto act = str ? delivered_action(*str) : std::nullopt;
      if (!act) {
        s.error((*arr)[i], fmt::format("'actions': {}", kDeliveredExpected));
        ok = false;
      } else {
        acts.push_back(*act);
      }
    }
    if (ok) a.actions = std::move(acts);
  }
  s.finish();
}

}  // namespace postern::policy
