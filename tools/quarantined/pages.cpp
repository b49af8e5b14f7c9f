// The HTML pages of postern-quarantined (see pages.hpp).
#include "tools/quarantined/pages.hpp"

#include <fmt/format.h>

#include "html/escape.hpp"

namespace postern::tools::qweb {
namespace {

std::string esc(std::string_view s) {
  return html::escape(s);
}

// Text for a <pre>: escaped line by line, so its line breaks stay (html::escape turns
// every control character, line feeds included, into U+FFFD); tabs become spaces.
std::string esc_lines(std::string_view s) {
  std::string out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) nl = s.size();
    std::string line(s.substr(pos, nl - pos));
    for (char& c : line)
      if (c == '\t') c = ' ';
    out += esc(line);
    if (nl < s.size()) out += '\n';
    pos = nl + 1;
  }
  return out;
}

// A query-string value: unreserved characters as they are, the rest %XX.
std::string query_value(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string head(std::string_view title) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{} - postern quarantine</title><link rel=\"stylesheet\" href=\"/style.css\">"
      "</head><body>",
      esc(title));
}

// The bar on top: the product, the list, the user and a logout form.
std::string bar(std::string_view user, std::string_view csrf) {
  std::string out = "<header class=\"bar\"><a class=\"brand\" href=\"/\">postern quarantine</a>";
  if (!user.empty())
    out += fmt::format(
        "<span class=\"who\">{}</span><form method=\"post\" action=\"/logout\" class=\"inline\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Log out"
        "</button></form>",
        esc(user), esc(csrf));
  return out + "</header><main>";
}

constexpr std::string_view kTail = "</main></body></html>\n";

std::string recipients_text(const quarantine::Entry& e) {
  std::string out = fmt::format("{}", fmt::join(e.recipients, ", "));
  if (e.recipient_count > e.recipients.size())
    out += fmt::format(" and {} more", e.recipient_count - e.recipients.size());
  return out;
}

}  // namespace

std::string_view style_sheet() {
  return "body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}"
         "main{padding:1rem 1.5rem;max-width:72rem}"
         ".bar{display:flex;align-items:center;gap:1rem;background:#22324a;color:#fff;"
         "padding:.6rem 1.5rem}"
         ".bar a{color:#fff;text-decoration:none}.brand{font-weight:600;flex:1}"
         ".who{opacity:.85}.inline{display:inline;margin:0}"
         "table{border-collapse:collapse;width:100%;background:#fff}"
         "th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #dde1e6;"
         "vertical-align:top;overflow-wrap:anywhere}"
         "th{background:#eceff3;font-weight:600;white-space:nowrap}td.t{white-space:nowrap}"
         "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #dde1e6;"
         "padding:.75rem;max-height:40rem;overflow:auto}"
         ".sym{font-family:monospace;background:#eef1f5;border-radius:3px;padding:0 .25rem;"
         "margin:0 .25rem .15rem 0;display:inline-block;white-space:nowrap}"
         ".released{color:#1c6b2a;font-weight:600}.error{color:#a40e26;font-weight:600}"
         "form.search,form.login,.actions form{margin:.75rem 0;display:flex;gap:.5rem;"
         "flex-wrap:wrap;align-items:center}"
         "form.login{flex-direction:column;align-items:stretch;max-width:20rem}"
         "input,select,button{font:inherit;padding:.3rem .5rem}"
         "button{cursor:pointer}button.danger{background:#a40e26;color:#fff;border:0}"
         "button.primary{background:#22324a;color:#fff;border:0}"
         ".pager{margin:.75rem 0;display:flex;gap:1rem}.muted{color:#5b6570}"
         "details{margin:.75rem 0}";
}

std::string login_page(std::string_view error, std::string_view user) {
  std::string out = head("Log in") + bar("", "") + "<h1>Log in</h1>";
  if (!error.empty()) out += fmt::format("<p class=\"error\">{}</p>", esc(error));
  out += fmt::format(
      "<form method=\"post\" action=\"/login\" class=\"login\">"
      "<label for=\"user\">User</label><input id=\"user\" name=\"user\" autocomplete=\"username\" "
      "value=\"{}\" required>"
      "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" "
      "type=\"password\" autocomplete=\"current-password\" required>"
      "<button type=\"submit\" class=\"primary\">Log in</button></form>",
      esc(user));
  return out + std::string(kTail);
}

std::string list_page(const ListView& v) {
  std::string out = head("Quarantine") + bar(v.user, v.csrf) + "<h1>Quarantined messages</h1>";
  out += fmt::format(
      "<form method=\"get\" action=\"/\" class=\"search\"><input name=\"q\" id=\"q\" "
      "value=\"{}\" placeholder=\"search\" aria-label=\"search\"><select name=\"in\" "
      "aria-label=\"search in\">",
      esc(v.query));
  for (auto [value, label] : {std::pair{"any", "anywhere"},
                              {"sender", "sender"},
                              {"rcpt", "recipient"},
                              {"subject", "subject"},
                              {"symbol", "symbol"}})
    out += fmt::format("<option value=\"{}\"{}>{}</option>", value,
                       v.field == value ? " selected" : "", label);
  out += "</select><button type=\"submit\">Search</button></form>";
  if (v.scanned_limit_hit)
    out += fmt::format("<p class=\"muted\">Only the newest {} messages were searched.</p>",
                       v.scanned_limit_hit);
  if (v.entries.empty()) {
    out += "<p id=\"none\">No quarantined message matches.</p>";
  } else {
    out +=
        "<table id=\"entries\"><thead><tr><th>Time (UTC)</th><th>From</th><th>To</th>"
        "<th>Subject</th><th>Score</th><th>Findings</th></tr></thead><tbody>";
    for (const auto& e : v.entries) {
      std::string syms;
      for (size_t i = 0; i < e.symbols.size() && i < 6; ++i)
        syms += fmt::format("<span class=\"sym\">{}</span>", esc(e.symbols[i]));
      if (e.symbols.size() > 6) syms += fmt::format("+{}", e.symbols.size() - 6);
      out += fmt::format(
          "<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td><td><a class=\"open\" "
          "href=\"/m/{}\">{}</a>{}</td>"
          "<td>{:.1f}</td><td>{}</td></tr>",
          esc(quarantine::iso_time(e.time)),
          esc(quarantine::printable(e.sender.empty() ? "<>" : e.sender)),
          esc(quarantine::printable(recipients_text(e))), esc(e.id),
          esc(quarantine::printable(e.subject.empty() ? "(no subject)" : e.subject)),
          e.released_at ? " <span class=\"released\">released</span>" : "", e.score, syms);
    }
    out += "</tbody></table>";
  }
  out += "<nav class=\"pager\">";
  const std::string search =
      fmt::format("q={}&amp;in={}", query_value(v.query), query_value(v.field));
  if (v.page > 1) out += fmt::format("<a href=\"/?{}&amp;page={}\">Newer</a>", search, v.page - 1);
  out += fmt::format("<span class=\"muted\">page {}</span>", v.page);
  if (v.more) out += fmt::format("<a href=\"/?{}&amp;page={}\">Older</a>", search, v.page + 1);
  return out + "</nav>" + std::string(kTail);
}

std::string show_page(const ShowView& v) {
  const quarantine::Entry& e = v.entry;
  auto p = [](std::string_view s) { return esc(quarantine::printable(s)); };
  std::string out = head(e.subject.empty() ? "(no subject)" : quarantine::printable(e.subject)) +
                    bar(v.user, v.csrf);
  out +=
      fmt::format("<h1 id=\"subject\">{}</h1>", p(e.subject.empty() ? "(no subject)" : e.subject));
  out += "<table id=\"entry\">";
  auto row = [&](std::string_view k, const std::string& html_value) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>", k, html_value);
  };
  row("Id", esc(e.id));
  row("Time (UTC)", esc(quarantine::iso_time(e.time)));
  row("Direction", p(e.direction));
  row("Sender", p(e.sender.empty() ? "<>" : e.sender));
  row("Recipients", p(recipients_text(e)));
  row("From", p(e.from));
  row("Score", fmt::format("{:.2f}", e.score));
  row("Reason", p(e.reason));
  std::string syms;
  for (const auto& s : e.symbols) syms += fmt::format("<span class=\"sym\">{}</span>", esc(s));
  row("Findings", syms);
  row("Group", fmt::format("{} (kept until {})", p(e.group), esc(quarantine::iso_time(e.expires))));
  row("Message", fmt::format("{} bytes, SHA-256 {}", e.size, esc(e.sha256)));
  if (e.released_at)
    row("Released", fmt::format("<span class=\"released\">{} by {} to {}</span>",
                                esc(quarantine::iso_time(e.released_at)), p(e.released_by),
                                p(fmt::format("{}", fmt::join(e.released_to, ", ")))));
  out += "</table>";

  out += fmt::format(
      "<div class=\"actions\"><form method=\"post\" action=\"/m/{0}/release\" id=\"release\">"
      "<input type=\"hidden\" name=\"csrf\" value=\"{1}\">"
      "<input name=\"to\" id=\"to\" placeholder=\"other recipient (optional)\" "
      "aria-label=\"release to\"><button type=\"submit\" class=\"primary\">Release</button></form>"
      "<form method=\"post\" action=\"/m/{0}/delete\" id=\"delete\">"
      "<input type=\"hidden\" name=\"csrf\" value=\"{1}\">"
      "<button type=\"submit\" class=\"danger\">Delete</button></form></div>",
      esc(e.id), esc(v.csrf));

  if (!v.read_error.empty()) {
    out += fmt::format("<p class=\"error\">{}</p>", esc(v.read_error));
    return out + std::string(kTail);
  }
  const quarantine::Rendering& r = v.rendering;
  out +=
      "<h2>Text</h2><p class=\"muted\">The visible text of the text parts; HTML is shown as "
      "text, never rendered.</p>";
  out += fmt::format("<pre id=\"text\">{}</pre>", esc_lines(r.text));
  if (r.cut)
    out += fmt::format("<p class=\"muted\">Cut at {} bytes.</p>", quarantine::kMaxRenderedText);
  if (!r.attachments.empty()) {
    out += "<h2>Attachments</h2><ul id=\"attachments\">";
    for (const auto& a : r.attachments)
      out +=
          fmt::format("<li>{} ({}, {} bytes)</li>", esc(a.filename), esc(a.content_type), a.size);
    out += "</ul>";
  }
  out += "<details><summary>Headers</summary><table id=\"headers\">";
  for (const auto& [name, value] : r.headers)
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>", esc(name), esc(value));
  out += "</table></details>";
  return out + std::string(kTail);
}

std::string recipient_page(const RecipientView& v) {
  const quarantine::Entry& e = v.entry;
  auto p = [](std::string_view s) { return esc(quarantine::printable(s)); };
  std::string out = head("Your held message") + bar("", "");
  out +=
      fmt::format("<h1 id=\"subject\">{}</h1>", p(e.subject.empty() ? "(no subject)" : e.subject));
  out += fmt::format(
      "<p>This message to <strong>{}</strong> was held because it looked unsafe or unwanted. "
      "Release it only if you know the sender and expected it.</p>",
      esc(v.rcpt));
  out += "<table id=\"entry\">";
  out += fmt::format("<tr><th>From</th><td>{}</td></tr>", p(e.from.empty() ? e.sender : e.from));
  out += fmt::format("<tr><th>Sender</th><td>{}</td></tr>", p(e.sender.empty() ? "<>" : e.sender));
  out += fmt::format("<tr><th>Time (UTC)</th><td>{}</td></tr>", esc(quarantine::iso_time(e.time)));
  out += fmt::format("<tr><th>Why</th><td>{}</td></tr></table>", p(e.reason));
  if (e.released_at) {
    out += fmt::format("<p class=\"released\" id=\"state\">Released on {}.</p>",
                       esc(quarantine::iso_time(e.released_at)));
  } else {
    out += fmt::format(
        "<div class=\"actions\"><form method=\"post\" action=\"/u/{0}/release\" "
        "id=\"release\"><input type=\"hidden\" name=\"csrf\" value=\"{1}\">"
        "<button type=\"submit\" class=\"primary\">Release to my mailbox</button></form>",
        esc(v.token), esc(v.csrf));
    if (v.can_delete)
      out += fmt::format(
          "<form method=\"post\" action=\"/u/{0}/delete\" id=\"delete\">"
          "<input type=\"hidden\" name=\"csrf\" value=\"{1}\">"
          "<button type=\"submit\" class=\"danger\">Delete</button></form>",
          esc(v.token), esc(v.csrf));
    out += "</div>";
  }
  out += "<h2>Text</h2><p class=\"muted\">HTML is shown as text, never rendered.</p>";
  out += fmt::format("<pre id=\"text\">{}</pre>", esc_lines(v.rendering.text));
  if (!v.rendering.attachments.empty()) {
    out += "<h2>Attachments</h2><ul id=\"attachments\">";
    for (const auto& a : v.rendering.attachments)
      out +=
          fmt::format("<li>{} ({}, {} bytes)</li>", esc(a.filename), esc(a.content_type), a.size);
    out += "</ul>";
  }
  return out + std::string(kTail);
}

std::string message_page(std::string_view user, std::string_view csrf, std::string_view title,
                         std::string_view line, std::string_view link, std::string_view link_text) {
  std::string out =
      head(title) + bar(user, csrf) +
      fmt::format("<h1 id=\"result\">{}</h1><p id=\"detail\">{}</p>", esc(title), esc(line));
  if (!link.empty()) out += fmt::format("<p><a href=\"{}\">{}</a></p>", esc(link), esc(link_text));
  return out + std::string(kTail);
}

}  // namespace postern::tools::qweb
