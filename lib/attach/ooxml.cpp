// OOXML checks (see ooxml.hpp): member names first, then a linear tag scan of
// the relationship parts, the Word parts (field codes) and Excel's external links.
#include "attach/ooxml.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "attach/text_scan.hpp"
#include "core/message.hpp"

namespace postern::attach {
namespace {

using core::iequals;
using core::Scope;
// Scores: DDE fields and remote templates are how documents fetch or run code
// with no VBA at all, and ordinary mail has none of them: a hard signal. Excel 4
// macro sheets are nearly as rare in honest mail. A VBA project alone is common in
// business spreadsheets, so it is moderate (the VBA analyzer adds for auto-exec and
// suspicious calls). ATTACH_MACRO and ATTACH_XLM_MACRO are also declared by the
// OLE2/VBA analyzer (and ATTACH_MACRO by the ClamAV mapping) with these same
// scores: the catalogue must keep one entry per name. An
// external OLE link is rarer in honest documents than an embedded object, which
// alone is weak (pasted spreadsheets and charts are everywhere).
constexpr std::array kSymbols{
    core::SymbolInfo{"ATTACH_MACRO", 3.0, Scope::Transaction,
                     "an Office document with a VBA macro project"},
    core::SymbolInfo{"ATTACH_XLM_MACRO", 4.0, Scope::Transaction,
                     "an Excel workbook with Excel 4 (XLM) macro sheets"},
    core::SymbolInfo{"ATTACH_REMOTE_TEMPLATE", 6.0, Scope::Transaction,
                     "an Office document that loads a template, frame or subdocument from "
                     "outside (remote template injection)"},
    core::SymbolInfo{"ATTACH_OLE_LINK", 4.0, Scope::Transaction,
                     "an Office document with an OLE object linked from outside"},
    core::SymbolInfo{"ATTACH_DDE", 6.0, Scope::Transaction,
                     "an Office document with a DDE field or link (runs a command when updated)"},
    core::SymbolInfo{"ATTACH_OLE_EMBEDDED", 0.5, Scope::Transaction,
                     "an Office document with an embedded OLE object or ActiveX control"},
    core::SymbolInfo{"ATTACH_OOXML_OBFUSCATED", 3.0, Scope::Transaction,
                     "character references where Office never writes them (relationship type "
                     "or mode, field keyword): evasion"},
};

constexpr size_t kMaxFieldDepth = 16;
constexpr size_t kNameShown = 60;  // bytes of a member name in a detail (details stay ~200)  //
                                   // nested fields tracked; deeper ones join their parent

std::string_view local_name(std::string_view qname) {
  size_t colon = qname.rfind(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

bool ws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// One tag of the scan: its local name, its attribute text, and whether it closes.
struct Tag {
  std::string_view name;   // local name
  std::string_view attrs;  // the text after the name, before '>' or '/>'
  bool closing = false;
  bool empty = false;  // <x/>
};

// Every value of attribute `local` (any prefix) in `attrs`, raw.
template <typename F>
void each_attr(std::string_view attrs, std::string_view local, F&& f) {
  size_t i = 0;
  while (i < attrs.size()) {
    while (i < attrs.size() && ws(attrs[i])) ++i;
    size_t n0 = i;
    while (i < attrs.size() && attrs[i] != '=' && !ws(attrs[i])) ++i;
    std::string_view name = attrs.substr(n0, i - n0);
    while (i < attrs.size() && ws(attrs[i])) ++i;
    if (i >= attrs.size() || attrs[i] != '=') {
      ++i;
      continue;
    }
    ++i;
    while (i < attrs.size() && ws(attrs[i])) ++i;
    if (i >= attrs.size() || (attrs[i] != '"' && attrs[i] != '\'')) continue;
    char q = attrs[i++];
    size_t end = attrs.find(q, i);
    if (end == std::string_view::npos) end = attrs.size();
    if (local_name(name) == local) f(attrs.substr(i, end - i));
    i = end + 1;
  }
}

// The scan: calls on_tag for each element tag and on_text for each run of
// character data (CDATA content included), in document order.
template <typename OnTag, typename OnText>
void scan_xml(std::string_view xml, OnTag&& on_tag, OnText&& on_text) {
  size_t i = 0;
  while (i < xml.size()) {
    size_t lt = xml.find('<', i);
    if (lt == std::string_view::npos) lt = xml.size();
    if (lt > i) on_text(xml.substr(i, lt - i));
    if (lt >= xml.size()) return;
    std::string_view rest = xml.substr(lt);
    auto skip_to = [&](std::string_view close, size_t from) {
      size_t e = xml.find(close, from);
      return e == std::string_view::npos ? xml.size() : e + close.size();
    };
    if (rest.starts_with("<!--")) {
      i = skip_to("-->", lt + 4);
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      size_t e = xml.find("]]>", lt + 9);
      if (e == std::string_view::npos) e = xml.size();
      on_text(xml.substr(lt + 9, e - lt - 9));
      i = e == xml.size() ? e : e + 3;
      continue;
    }
    if (rest.starts_with("<?") || rest.starts_with("<!")) {
      i = skip_to(">", lt + 2);
      continue;
    }
    // The tag ends at the first '>' outside a quoted attribute value.
    size_t j = lt + 1;
    char quote = 0;
    for (; j < xml.size(); ++j) {
      char c = xml[j];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
    }
    std::string_view body = xml.substr(lt + 1, j - lt - 1);
    Tag t;
    if (!body.empty() && body[0] == '/') {
      t.closing = true;
      body.remove_prefix(1);
    }
    if (!body.empty() && body.back() == '/') {
      t.empty = true;
      body.remove_suffix(1);
    }
    size_t n = 0;
    while (n < body.size() && !ws(body[n])) ++n;
    t.name = local_name(body.substr(0, n));
    t.attrs = body.substr(n);
    on_tag(t);
    i = j < xml.size() ? j + 1 : j;
  }
}

class Checker {
 public:
  explicit Checker(const OoxmlLimits& lim) : lim_(lim) {}

  void part(std::string_view full_name, std::string_view data) {
    std::string lname = ascii_lower(utf8_prefix(full_name, 1024));
    const std::string label = shown(full_name, kNameShown);  // in details
    std::string_view name = label;
    data = data.substr(0, std::min(data.size(), lim_.max_xml_bytes));
    if (lname.ends_with("vbaproject.bin")) add("ATTACH_MACRO", fmt::format("VBA project {}", name));
    if (macro_sheet(lname) && macro_sheets_++ == 0) first_macro_sheet_ = name;
    if (lname.find("/embeddings/") != std::string::npos)
      add("ATTACH_OLE_EMBEDDED", fmt::format("embedded object {}", name));
    if (lname.find("/activex/") != std::string::npos && lname.ends_with(".xml")) {
      if (activex_++ == 0) first_activex_ = name;
    }
    if (lname.ends_with(".rels")) rels(name, data);
    if (lname.starts_with("word/") && lname.ends_with(".xml")) fields(name, data);
    if (lname.find("externallinks/") != std::string::npos && lname.ends_with(".xml"))
      dde_links(name, data);
  }

  std::vector<Hit> finish() {
    if (macro_sheets_ > 0)
      add("ATTACH_XLM_MACRO",
          fmt::format("{} Excel 4 macro sheet(s), first {}", macro_sheets_, first_macro_sheet_));
    if (activex_ > 0)
      add("ATTACH_OLE_EMBEDDED",
          fmt::format("{} ActiveX control(s), first {}", activex_, first_activex_));
    if (dropped_ > 0 && !hits_.empty())
      hits_.back().detail += fmt::format(" (and {} more hits not listed)", dropped_);
    return std::move(hits_);
  }

 private:
  void add(std::string_view symbol, std::string detail) {
    if (hits_.size() >= lim_.max_hits) {
      ++dropped_;
      return;
    }
    Hit h{std::string(symbol), std::move(detail)};
    if (std::find(hits_.begin(), hits_.end(), h) == hits_.end()) hits_.push_back(std::move(h));
  }

  // A sheet of xl/macrosheets/ (not its _rels/ or xlsb's binaryIndex parts).
  static bool macro_sheet(std::string_view lname) {
    for (std::string_view dir : {"xl/macrosheets/", "xl/intlmacrosheets/"}) {
      if (!lname.starts_with(dir)) continue;
      std::string_view file = lname.substr(dir.size());
      return !file.empty() && file.find('/') == std::string_view::npos &&
             !file.starts_with("binaryindex");
    }
    return false;
  }

  static std::string shown(std::string_view s, size_t max) {
    return s.size() <= max ? std::string(s) : std::string(utf8_prefix(s, max)) + "...";
  }

  // External relationships that fetch a template, frame, subdocument or OLE object.
  void rels(std::string_view name, std::string_view xml) {
    scan_xml(
        xml,
        [&](const Tag& t) {
          if (t.closing || t.name != "Relationship") return;
          bool numeric = false, external = false;
          std::string type_tail, target;
          each_attr(t.attrs, "TargetMode", [&](std::string_view v) {
            std::string d = decode_xml(v, numeric);
            auto b = d.find_first_not_of(" \t\r\n"), e = d.find_last_not_of(" \t\r\n");
            if (b != std::string::npos && iequals(d.substr(b, e - b + 1), "External"))
              external = true;
          });
          each_attr(t.attrs, "Type", [&](std::string_view v) {
            std::string d = decode_xml(v, numeric);
            std::string tail =
                d.substr(d.find_last_of('/') == std::string::npos ? 0 : d.find_last_of('/') + 1);
            // Several Type attributes: any one of interest counts.
            if (type_tail.empty() || !interesting(type_tail)) type_tail = tail;
          });
          each_attr(t.attrs, "Target", [&](std::string_view v) {
            bool ignored = false;
            if (target.empty()) target = decode_xml(v, ignored);
          });
          if (external && !target.empty() && links_.size() < max_links_)
            links_.push_back(target.substr(0, lim_.max_target * 16));
          if (numeric)
            add("ATTACH_OOXML_OBFUSCATED",
                fmt::format("{}: character references in a relationship's Type or TargetMode",
                            name));
          if (!external || !interesting(type_tail)) return;
          bool ole = iequals(type_tail, "oleObject");
          add(ole ? "ATTACH_OLE_LINK" : "ATTACH_REMOTE_TEMPLATE",
              fmt::format("{}: external {} {}", name, type_tail, shown(target, lim_.max_target)));
        },
        [](std::string_view) {});
  }

  static bool interesting(std::string_view type_tail) {
    return iequals(type_tail, "attachedTemplate") || iequals(type_tail, "frame") ||
           iequals(type_tail, "subDocument") || iequals(type_tail, "oleObject");
  }

  // Word field codes: instrText runs between fldChar begin and separate/end,
  // nested fields on a stack, and fldSimple's instr attribute.
  void fields(std::string_view name, std::string_view xml) {
    std::vector<std::string> stack;
    bool in_instr = false;
    auto evaluate = [&](std::string_view code) { field_code(name, code); };
    scan_xml(
        xml,
        [&](const Tag& t) {
          if (t.name == "instrText") {
            in_instr = !t.closing && !t.empty;
            return;
          }
          if (t.closing) return;
          if (t.name == "fldSimple") {
            each_attr(t.attrs, "instr", evaluate);
          } else if (t.name == "fldChar") {
            std::string kind;
            each_attr(t.attrs, "fldCharType", [&](std::string_view v) { kind = v; });
            if (kind == "begin") {
              if (stack.size() < kMaxFieldDepth) stack.emplace_back();
            } else if ((kind == "separate" || kind == "end") && !stack.empty()) {
              evaluate(stack.back());
              stack.pop_back();
            }
          }
        },
        [&](std::string_view text) {
          if (!in_instr) return;
          if (stack.empty()) stack.emplace_back();  // instrText with no begin: its own field
          auto& code = stack.back();
          code.append(
              text.substr(0, lim_.max_field_code - std::min(code.size(), lim_.max_field_code)));
        });
    for (const auto& code : stack) evaluate(code);
  }

  // The first word of a field code ("" if none).
  static std::string_view keyword(std::string_view code) {
    size_t b = code.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    size_t e = code.find_first_of(" \t\r\n\"", b);
    return code.substr(b, e == std::string_view::npos ? e : e - b);
  }
  static bool dde_keyword(std::string_view kw) {
    return iequals(kw, "DDE") || iequals(kw, "DDEAUTO");
  }

  // A field code whose keyword (its first word) is DDE or DDEAUTO.
  void field_code(std::string_view name, std::string_view raw) {
    bool numeric = false;
    std::string code = decode_xml(raw, numeric);
    if (!dde_keyword(keyword(code))) return;
    std::string_view shown_code = code;
    shown_code.remove_prefix(code.find_first_not_of(" \t\r\n"));
    add("ATTACH_DDE", fmt::format("{}: field {}", name, shown(shown_code, lim_.max_target)));
    // The keyword itself written with references: decoded it is DDE, as written it is not.
    if (!dde_keyword(keyword(raw)))
      add("ATTACH_OOXML_OBFUSCATED",
          fmt::format("{}: a DDE field keyword written as character references", name));
  }

  // Excel external links to a DDE server.
  void dde_links(std::string_view name, std::string_view xml) {
    scan_xml(
        xml,
        [&](const Tag& t) {
          if (t.closing || t.name != "ddeLink") return;
          std::string service, topic;
          bool numeric = false;
          each_attr(t.attrs, "ddeService",
                    [&](std::string_view v) { service = decode_xml(v, numeric); });
          each_attr(t.attrs, "ddeTopic",
                    [&](std::string_view v) { topic = decode_xml(v, numeric); });
          add("ATTACH_DDE", fmt::format("{}: ddeLink {}|{}", name, shown(service, 40),
                                        shown(topic, lim_.max_target)));
        },
        [](std::string_view) {});
  }

  const OoxmlLimits& lim_;
  std::vector<Hit> hits_;
  size_t dropped_ = 0;
  size_t macro_sheets_ = 0, activex_ = 0;

 public:
  std::vector<std::string> links_;  // external relationship targets
  size_t max_links_ = 0;            // kept at most

 private:
  std::string first_macro_sheet_, first_activex_;
};

}  // namespace

std::vector<Hit> check_ooxml(std::span<const OoxmlPart> parts, const OoxmlLimits& limits) {
  Checker c(limits);
  for (const auto& p : parts) c.part(p.name, p.data);
  return c.finish();
}

std::vector<Hit> check_ooxml(std::span<const Member> members, const OoxmlLimits& limits) {
  Checker c(limits);
  for (const auto& m : members)
    if (!m.is_dir && !m.is_link) c.part(m.path, m.data);
  return c.finish();
}

std::vector<std::string> ooxml_links(std::span<const Member> members, size_t max,
                                     const OoxmlLimits& limits) {
  Checker c(limits);
  c.max_links_ = max;
  for (const auto& m : members)
    if (!m.is_dir && !m.is_link && ascii_lower(utf8_prefix(m.path, 1024)).ends_with(".rels"))
      c.part(m.path, m.data);
  return std::move(c.links_);
}

std::span<const core::SymbolInfo> ooxml_symbols() {
  return kSymbols;
}

}  // namespace postern::attach
