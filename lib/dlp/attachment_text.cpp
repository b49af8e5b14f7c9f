#include "dlp/attachment_text.hpp"

#include <algorithm>
#include <optional>

#include <fmt/core.h>

#include "attach/office.hpp"
#include "attach/ole2.hpp"
#include "core/utf8.hpp"
#include "dlp/pdf_reader.hpp"
#include "mime/analysis.hpp"

namespace postern::dlp {
namespace {

char fold_ascii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool same_icase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (fold_ascii(a[i]) != fold_ascii(b[i])) return false;
  return true;
}

// U+FFFD for what is no character (NUL, a surrogate, beyond U+10FFFF).
void append_char(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  core::append_utf8(out, cp);
}

// "&amp;" "&#52;" "&#x34;" at the start of `s` (which begins with '&'): appends the
// character and returns the reference's length, or 0 when it is not one.
size_t decode_reference(std::string_view s, std::string& out) {
  size_t semi = s.find(';', 1);
  if (semi == std::string_view::npos || semi > 12) return 0;
  std::string_view name = s.substr(1, semi - 1);
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (auto [n, c] : kNamed)
    if (name == n) {
      out.push_back(c);
      return semi + 1;
    }
  if (name.size() < 2 || name[0] != '#') return 0;
  const bool hex = name[1] == 'x' || name[1] == 'X';
  uint32_t cp = 0;
  size_t digits = 0;
  for (char c : name.substr(hex ? 2 : 1)) {
    int v = c >= '0' && c <= '9'                                  ? c - '0'
            : hex && fold_ascii(c) >= 'a' && fold_ascii(c) <= 'f' ? fold_ascii(c) - 'a' + 10
                                                                  : -1;
    if (v < 0 || ++digits > 8) return 0;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
  }
  if (digits == 0) return 0;
  append_char(out, cp);
  return semi + 1;
}

// The local name of a tag ("w:p" → "p", "text:table-cell" → "table-cell").
std::string_view local_name(std::string_view tag) {
  size_t end = 0;
  while (end < tag.size() && tag[end] != ' ' && tag[end] != '\t' && tag[end] != '\r' &&
         tag[end] != '\n' && tag[end] != '/' && tag[end] != '>')
    ++end;
  tag = tag.substr(0, end);
  size_t colon = tag.rfind(':');
  return colon == std::string_view::npos ? tag : tag.substr(colon + 1);
}

bool line_break(std::string_view name) {
  static constexpr std::string_view kNames[] = {"p",  "h",   "br",        "cr",        "tr",
                                                "si", "row", "list-item", "line-break"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

bool cell_break(std::string_view name) {
  static constexpr std::string_view kNames[] = {"tab", "tc", "c", "table-cell"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

std::string_view leaf_name(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The document parts of an OOXML or ODF package whose text a reader sees.
bool document_part(std::string_view path) {
  if (path.size() < 5 || !same_icase(path.substr(path.size() - 4), ".xml")) return false;
  if (path.find("_rels/") != std::string_view::npos) return false;
  // OpenDocument: the body, the master pages (headers and footers), the properties.
  if (path == "content.xml" || path == "styles.xml" || path == "meta.xml") return true;
  static constexpr std::string_view kProps[] = {"docProps/core.xml", "docProps/app.xml",
                                                "docProps/custom.xml"};
  for (auto p : kProps)
    if (same_icase(path, p)) return true;
  static constexpr std::string_view kFolders[] = {
      "word/",       "xl/sharedStrings.xml", "xl/worksheets/", "xl/comments",
      "ppt/slides/", "ppt/notesSlides/",     "ppt/comments/",  "xl/threadedComments/"};
  bool in = false;
  for (auto f : kFolders)
    if (path.size() >= f.size() && same_icase(path.substr(0, f.size()), f)) in = true;
  if (!in) return false;
  // Word's own machinery: formatting, not text.
  static constexpr std::string_view kNot[] = {"styles.xml",    "settings.xml",
                                              "fontTable.xml", "webSettings.xml",
                                              "numbering.xml", "stylesWithEffects.xml"};
  const auto name = leaf_name(path);
  for (auto n : kNot)
    if (same_icase(name, n)) return false;
  return path.find("theme/") == std::string_view::npos &&
         path.find("glossary/") == std::string_view::npos;
}

bool looks_like_text(std::string_view data) {
  const auto head = data.substr(0, 8192);
  if (head.find('\0') != std::string_view::npos) return false;
  size_t control = 0;
  for (unsigned char c : head)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') ++control;
  return control * 100 <= head.size();  // at most 1 % control characters
}

bool utf16_bom(std::string_view data, bool& little) {
  if (data.size() < 2) return false;
  const auto a = static_cast<unsigned char>(data[0]), b = static_cast<unsigned char>(data[1]);
  if (a == 0xFF && b == 0xFE) {
    little = true;
    return true;
  }
  if (a == 0xFE && b == 0xFF) {
    little = false;
    return true;
  }
  return false;
}

bool is_pdf(std::string_view data) {
  return data.substr(0, 1024).find("%PDF-") != std::string_view::npos;
}

// At most this much of the mail's text is searched for passwords.
constexpr size_t kPasswordText = 1u << 20;

struct Reader {
  const TextLimits& limits;
  std::span<const std::string_view> mail_text;
  std::optional<std::vector<std::string>> passwords_found;  // on the first archive
  core::CpuBudget* cpu;
  attach::ArchiveBudget budget;
  AttachmentText out;
  size_t bytes = 0, files = 0;
  std::string part;  // the MIME part of the file being read
  // The PDF reading time of this message: starts at its first PDF.
  std::optional<std::chrono::steady_clock::time_point> pdf_deadline;

  size_t room() const { return limits.max_bytes - bytes; }

  void add(const std::string& where, std::string text) {
    if (text.empty()) return;
    if (text.size() > room()) {
      text.resize(room());
      out.limit = true;
    }
    bytes += text.size();
    out.files.push_back({fmt::format("{} (part {})", where, part), std::move(text)});
  }

  // Password candidates for encrypted archive members, from the mail's text: looked
  // for once, when the first archive is met (most mail has none).
  std::span<const std::string> passwords() {
    if (!passwords_found) {
      passwords_found.emplace();
      const size_t max = limits.archive.max_passwords;
      size_t searched = 0;
      for (auto t : mail_text) {
        if (searched >= kPasswordText || passwords_found->size() >= max) break;
        t = t.substr(0, kPasswordText - searched);
        searched += t.size();
        for (auto& p : attach::passwords_from_text(t, max - passwords_found->size()))
          if (std::find(passwords_found->begin(), passwords_found->end(), p) ==
              passwords_found->end())
            passwords_found->push_back(std::move(p));
      }
    }
    return *passwords_found;
  }

  void unread(const std::string& where, std::string_view why) {
    if (out.unread.size() < kMaxUnreadNamed)
      out.unread.push_back(fmt::format("{} (part {}): {}", where, part, why));
    ++out.unread_count;
  }

  void pdf(const std::string& where, std::string_view data) {
    if (!limits.pdf) return unread(where, "PDF text is not read ([dlp] pdf_reader)");
    const auto now = std::chrono::steady_clock::now();
    if (!pdf_deadline) pdf_deadline = now + limits.pdf_total;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*pdf_deadline - now);
    if (left.count() <= 0)
      return unread(where, "the message's PDF reading time is spent ([dlp] pdf_total_ms)");
    auto r = limits.pdf->read(data, limits.pdf_pages, room(), std::min(limits.pdf_wall, left));
    if (!r) return unread(where, fmt::format("PDF: {}", r.error()));
    if (r->truncated) out.limit = true;
    add(where, std::move(r->text));
  }

  void ole2(const std::string& where, std::string_view data) {
    auto f = attach::Ole2File::open(data);
    if (!f) return unread(where, fmt::format("OLE2: {}", attach::to_string(f.error())));
    if (f->find("EncryptionInfo") || f->find("EncryptedPackage"))
      return unread(where, "an encrypted Office document");
    std::string text;
    static constexpr std::string_view kStreams[] = {
        "WordDocument",
        "1Table",
        "0Table",
        "Workbook",
        "Book",
        "PowerPoint Document",
        "__substg1.0_1000001F",
        "__substg1.0_0037001F"};  // Word, Excel, PowerPoint, Outlook .msg
    for (const auto& e : f->entries()) {
      if (e.type != attach::Ole2Entry::Type::Stream || text.size() >= room()) continue;
      if (std::find(std::begin(kStreams), std::end(kStreams), e.name) == std::end(kStreams))
        continue;
      auto bytes = f->read(e);
      if (!bytes) continue;
      text += printable_runs(*bytes, room() - text.size());
    }
    add(where, std::move(text));
  }

  void file(const std::string& where, std::string_view data, unsigned depth) {
    if (cpu && cpu->tick()) return unread(where, "the CPU budget was spent");
    if (++files > limits.max_files || room() == 0) {
      out.limit = true;
      return;
    }
    if (attach::sniff(data) != attach::Kind::None) return archive(where, data, depth);
    if (is_pdf(data)) return pdf(where, data);
    if (attach::is_ole2(data)) return ole2(where, data);
    bool little = true;
    if (utf16_bom(data, little)) {
      std::string le;
      if (little) {
        le.assign(data.substr(2));
      } else {
        le.reserve(data.size());
        for (size_t i = 2; i + 1 < data.size(); i += 2) le += {data[i + 1], data[i]};
      }
      return add(where, attach::utf16le_to_utf8(le));
    }
    if (looks_like_text(data)) add(where, std::string(data.substr(0, room())));
  }

  void archive(const std::string& where, std::string_view data, unsigned depth) {
    if (depth + 1 > limits.archive.max_depth) return unread(where, "archives nested too deep");
    auto ex = attach::expand(data, limits.archive, budget, passwords(), cpu, leaf_name(where));
    if (ex.kind == attach::Kind::Ooxml || ex.kind == attach::Kind::Odf) {
      add(where, package_text(ex.members, room()));
      for (const auto& m : ex.members)
        if (!m.data.empty() && m.path.find("embeddings/") != std::string::npos)
          file(where + "/" + m.path, m.data, depth + 1);
    } else {
      for (const auto& m : ex.members) {
        if (m.is_dir || m.is_link) continue;
        if (m.encrypted && m.data.empty()) {
          unread(where + "/" + m.path, "encrypted, and no password in the mail opens it");
          continue;
        }
        file(where + "/" + m.path, m.data, depth + 1);
      }
    }
    if (ex.out_of_time) unread(where, "the CPU budget was spent inside it");
    for (const auto& h : ex.hits)
      if (h.symbol == "ATTACH_ARCHIVE_BOMB") unread(where, "an archive limit was reached");
  }
};

}  // namespace

std::string xml_text(std::string_view xml, size_t max) {
  std::string out;
  size_t i = 0;
  auto newline = [&](char c) {
    if (c == '\n' && !out.empty() && out.back() == '\t') out.pop_back();  // a row's last cell
    if (!out.empty() && out.back() != '\n' && out.back() != c) out.push_back(c);
  };
  while (i < xml.size() && out.size() < max) {
    const char c = xml[i];
    if (c == '&') {
      size_t n = decode_reference(xml.substr(i), out);
      if (n == 0) out.push_back('&');
      i += n ? n : 1;
      continue;
    }
    if (c != '<') {
      out.push_back(c);
      ++i;
      continue;
    }
    auto rest = xml.substr(i);
    if (rest.starts_with("<![CDATA[")) {
      size_t end = xml.find("]]>", i + 9);
      size_t stop = end == std::string_view::npos ? xml.size() : end;
      out.append(xml.substr(i + 9, std::min(stop - (i + 9), max - out.size())));
      i = end == std::string_view::npos ? xml.size() : end + 3;
      continue;
    }
    if (rest.starts_with("<!--")) {
      size_t end = xml.find("-->", i + 4);
      i = end == std::string_view::npos ? xml.size() : end + 3;
      continue;
    }
    size_t end = xml.find('>', i + 1);
    if (end == std::string_view::npos) break;
    std::string_view tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    const bool closing = tag[0] == '/';
    const bool empty = tag.back() == '/';
    const std::string_view name = local_name(closing ? tag.substr(1) : tag);
    if (line_break(name) && (closing || empty || name == "br" || name == "cr"))
      newline('\n');
    else if (name == "s" && empty)  // OpenDocument's <text:s/>: a space
      out.push_back(' ');
    else if (cell_break(name) && (closing || empty))
      newline('\t');
  }
  if (out.size() > max) out.resize(max);
  return out;
}

std::string package_text(std::span<const attach::Member> members, size_t max) {
  std::string out;
  for (const auto& m : members) {
    if (out.size() >= max) break;
    if (m.is_dir || m.data.empty() || !document_part(m.path)) continue;
    out += xml_text(m.data, max - out.size());
    if (!out.empty() && out.back() != '\n' && out.size() < max) out.push_back('\n');
  }
  return out;
}

std::string printable_runs(std::string_view bytes, size_t max, size_t min_run) {
  std::string out;
  auto printable = [](unsigned c) { return (c >= 0x20 && c < 0x7F) || c >= 0xA0 || c == '\t'; };
  // 8-bit runs (ASCII and Latin-1; Latin-1 bytes become UTF-8).
  std::string run;
  size_t chars = 0;
  auto flush = [&] {
    if (chars >= min_run && out.size() + run.size() + 1 <= max) out.append(run).push_back('\n');
    run.clear();
    chars = 0;
  };
  for (unsigned char c : bytes) {
    if (printable(c) && c < 0xFF) {
      core::append_utf8(run, c);
      ++chars;
    } else {
      flush();
    }
    if (out.size() >= max) return out;
  }
  flush();
  // UTF-16LE runs, at both alignments, of the scripts below U+2000 and the fullwidth
  // forms: two ASCII bytes read as UTF-16 are U+2020 or above, so 8-bit text does
  // not come back as CJK noise.
  for (size_t start = 0; start < 2; ++start) {
    for (size_t i = start; i + 1 < bytes.size(); i += 2) {
      const unsigned cp =
          static_cast<unsigned char>(bytes[i]) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
      if ((cp >= 0x20 && cp < 0x2000 && cp != 0x7F && (cp < 0x80 || cp >= 0xA0)) ||
          (cp >= 0xFF01 && cp <= 0xFF5E)) {
        core::append_utf8(run, cp);
        ++chars;
      } else {
        flush();
      }
      if (out.size() >= max) return out;
    }
    flush();
  }
  return out;
}

AttachmentText attachment_text(const mime::Analysis& analysis, const TextLimits& limits,
                               std::span<const std::string_view> mail_text, core::CpuBudget* cpu) {
  Reader r{limits, mail_text, {}, cpu, attach::ArchiveBudget(limits.archive), {}, 0, 0, {}, {}};
  for (const auto& leaf : analysis.leaves) {
    if (!leaf.part || leaf.data.empty() || !leaf.text.empty()) continue;
    r.part = leaf.part->path;
    const std::string name = leaf.part->filename.empty() ? "attachment" : leaf.part->filename;
    r.file(name, leaf.data, 0);
    if (r.out.limit) break;
  }
  return std::move(r.out);
}

}  // namespace postern::dlp
