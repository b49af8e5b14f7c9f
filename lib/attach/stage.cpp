// The attach stage: finds the files of a message and runs the file checks
// over each (see stage.hpp).
#include "attach/stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "attach/html_attach.hpp"
#include "attach/office.hpp"
#include "attach/onenote.hpp"
#include "attach/ooxml.hpp"
#include "attach/pdf.hpp"
#include "attach/rtf.hpp"
#include "attach/sha_cache.hpp"
#include "attach/symbols.hpp"
#include "core/digest.hpp"
#include "core/excerpt.hpp"
#include "mime/analysis.hpp"

namespace postern::attach {
namespace {

// Content types that say nothing about the file.
bool generic_type(std::string_view t) {
  return t.empty() || t == "application/octet-stream" || t == "application/x-download" ||
         t == "application/force-download" || t == "binary/octet-stream" ||
         t == "application/unknown" || t == "application/binary" || t == "text/plain";
}

bool document_class(FileClass c) {
  switch (c) {
    case FileClass::Pdf:
    case FileClass::OfficeOle:
    case FileClass::OfficeOoxml:
    case FileClass::Odf:
    case FileClass::Rtf:
    case FileClass::Image:
    case FileClass::Media:
    case FileClass::Text:
      return true;
    default:
      return false;
  }
}

bool runnable_class(FileClass c) {
  return c == FileClass::Executable || c == FileClass::Script || c == FileClass::Shortcut ||
         c == FileClass::DiskImage || c == FileClass::Html;
}

// Detected classes too weak to call a mismatch on: libmagic's text and unknown.
bool weak_class(FileClass c) {
  return c == FileClass::Unknown || c == FileClass::Text;
}

// An .hta is an HTML application whatever libmagic calls it.
bool nf_is_hta(std::string_view name) {
  return name_facts(name).extension == "hta";
}

bool is_attachment(const mime::Leaf& leaf) {
  const mime::Part& p = *leaf.part;
  return p.type() != "text" || !p.filename.empty() || p.disposition == "attachment";
}

}  // namespace

AttachStage::AttachStage(AttachPolicy policy, Engines engines)
    : policy_(std::move(policy)), engines_(std::move(engines)) {}

void AttachStage::check_file(const HashFeeds::Set* feeds, std::string_view data, FileReport& file,
                             std::vector<Hit>& hits) const {
  auto hit = [&](std::string symbol, std::string detail) {
    hits.push_back({std::move(symbol), std::move(detail)});
  };
  auto sha = parse_sha256(file.sha256);
  if (feeds && sha && feeds->good_match(*sha)) {
    file.known_good = true;
    return;
  }
  // The type once per distinct file (the SHA-256 is of `data`, but for an opaque part,
  // whose data is empty and whose SHA-256 is of its encoded body: no cache for that).
  const Detected det = sha && !data.empty() ? detect_cached(*sha, data) : detect(data);
  file.detected = det.mime;
  file.cls = det.cls;

  // Each name the message gives the file (the Content-Disposition filename and a
  // different Content-Type name: clients differ in which they show), read as strictly
  // as Windows and a mail client might: every one is checked.
  bool banned = false, mismatch = false;
  auto name_checks = [&](std::string_view name) {
    const NameFacts nf = name_facts(name);
    const FileClass ext_cls = extension_class(nf.extension);
    if (nf.bidi_control) hit("ATTACH_NAME_BIDI", "a bidirectional control in the file name");
    std::vector<std::string_view> tricks;
    if (nf.invisible) tricks.push_back("invisible characters");
    if (nf.control) tricks.push_back("control characters");
    if (nf.trailing_dots_or_spaces) tricks.push_back("trailing dots or spaces");
    if (nf.padded) tricks.push_back("padding before the extension");
    if (!tricks.empty()) hit("ATTACH_NAME_OBFUSCATED", fmt::format("{}", fmt::join(tricks, ", ")));
    if (!nf.inner_extension.empty() && document_class(extension_class(nf.inner_extension)) &&
        runnable_class(ext_cls))
      hit("ATTACH_DOUBLE_EXTENSION",
          fmt::format(".{} hides behind .{}", nf.extension, nf.inner_extension));
    if (!weak_class(det.cls) && ext_cls != FileClass::Unknown && !compatible(ext_cls, det.cls)) {
      hit("ATTACH_TYPE_MISMATCH", fmt::format("named .{} ({}) but is {} ({})", nf.extension,
                                              to_string(ext_cls), to_string(det.cls), det.mime));
      mismatch = true;
    }
    const auto& be = policy_.banned_extensions;
    if (!nf.extension.empty() && std::find(be.begin(), be.end(), nf.extension) != be.end()) {
      hit("ATTACH_BANNED", fmt::format("extension .{}", nf.extension));
      banned = true;
    }
  };
  name_checks(file.name);
  if (!file.other_name.empty()) name_checks(file.other_name);

  // What it is against what it was declared to be, and the bans by what it is,
  // whatever its name.
  if (!mismatch && !weak_class(det.cls) && !generic_type(file.declared) &&
      classify(file.declared) != FileClass::Unknown &&
      !compatible(classify(file.declared), det.cls))
    hit("ATTACH_TYPE_MISMATCH",
        fmt::format("declared {} but is {} ({})", file.declared.substr(0, 80), to_string(det.cls),
                    det.mime));
  if (!banned && std::find(policy_.banned_types.begin(), policy_.banned_types.end(), det.cls) !=
                     policy_.banned_types.end())
    hit("ATTACH_BANNED", fmt::format("{} ({})", to_string(det.cls), det.mime));

  if (feeds && sha)
    if (auto m = feeds->bad_match(*sha))
      hit("ATTACH_HASH_FEED",
          m->label.empty()
              ? fmt::format("SHA-256 {} on {}", file.sha256.substr(0, 16), m->feed)
              : fmt::format("SHA-256 {} on {}: {}", file.sha256.substr(0, 16), m->feed, m->label));
}

// One message's walk over its files: what every file of it shares.
struct AttachStage::Walk {
  core::Transaction& tx;
  const mime::Analysis& analysis;
  const HashFeeds::Set* feeds;
  ArchiveBudget budget;
  std::optional<std::vector<std::string>> passwords;  // read from the text on first need
  AttachReport& report;
  SandboxCandidates* sandbox;  // null when no file is kept for the sandbox
  struct Found {
    std::vector<std::string> where;
    size_t count = 0;
    double score = std::nan("");
  };
  std::vector<std::pair<std::string, Found>> found;  // by symbol, in the order first found
  std::string error;                                 // the first engine error

  const std::vector<std::string>& text_passwords(const AttachPolicy& p) {
    if (!passwords) {
      passwords.emplace();
      if (p.archive_passwords) {
        std::string text;
        for (const auto& leaf : analysis.leaves)
          if (leaf.part->type() == "text" && leaf.data.empty() && text.size() < (1u << 20))
            text.append(leaf.text.substr(0, (1u << 20) - text.size())).push_back('\n');
        *passwords = passwords_from_text(text, p.archive.max_passwords);
      }
    }
    return *passwords;
  }

  void add(const FileReport& f, std::vector<Hit>& hits) {
    if (hits.empty()) return;
    std::string where = !f.archive_path.empty()
                            ? fmt::format("{} (part {})", shown_name(f.archive_path), f.part)
                        : f.name.empty() ? fmt::format("part {}", f.part)
                                         : fmt::format("{} (part {})", shown_name(f.name), f.part);
    // One hit per symbol and file (the VBA reader and the package both report a macro).
    std::vector<Hit> unique;
    for (auto& h : hits) {
      auto same = std::find_if(unique.begin(), unique.end(),
                               [&](const Hit& u) { return u.symbol == h.symbol; });
      if (same == unique.end())
        unique.push_back(std::move(h));
      else if (!std::isnan(h.score) && !(h.score <= same->score))
        same->score = h.score;
    }
    for (auto& h : unique) {
      auto it = std::find_if(found.begin(), found.end(),
                             [&](const auto& e) { return e.first == h.symbol; });
      if (it == found.end()) it = found.insert(found.end(), {h.symbol, Found{}});
      Found& fd = it->second;
      if (fd.where.size() < kMaxNamed) fd.where.push_back(fmt::format("{}: {}", where, h.detail));
      ++fd.count;
      if (!std::isnan(h.score) && !(h.score <= fd.score)) fd.score = h.score;
    }
  }
};

namespace {

std::string_view base_name(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool ends_with_icase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
      return false;
  return true;
}

void append(std::vector<Hit>& to, std::vector<Hit>&& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

void AttachStage::content_checks(Walk& w, std::string_view data, const FileReport& file,
                                 unsigned depth, std::vector<Hit>& hits) const {
  core::CpuBudget* cpu = &w.tx.budget();
  const std::string& here = file.archive_path.empty() ? file.name : file.archive_path;
  if (sniff(data) != Kind::None) {
    if (auto deep = depth_hit(depth + 1, policy_.archive)) {
      hits.push_back(std::move(*deep));
      return;
    }
    Expanded ex = expand(data, policy_.archive, w.budget, w.text_passwords(policy_), cpu,
                         base_name(file.name));
    append(hits, std::move(ex.hits));
    const bool package = ex.kind == Kind::Ooxml || ex.kind == Kind::Odf || ex.kind == Kind::Jar;
    if (ex.kind == Kind::Ooxml) {
      append(hits, check_ooxml(std::span<const Member>(ex.members)));
      for (auto& u : ooxml_links(std::span<const Member>(ex.members)))
        if (w.report.urls.size() < kMaxFileUrls)
          w.report.urls.push_back({std::move(u), file.part, "ooxml"});
      for (const auto& m : ex.members)
        if (ends_with_icase(m.path, "vbaproject.bin")) append(hits, scan_vba_project(m.data).hits);
    }
    for (const auto& m : ex.members) {
      if (m.is_dir || m.is_link || (m.data.empty() && !m.encrypted)) continue;
      // A document package's own parts are its checks' business; the files
      // embedded in it are files of their own.
      if (package && m.path.find("embeddings/") == std::string::npos) continue;
      if (w.report.files.size() >= kMaxFiles) {
        ++w.report.files_skipped;
        continue;
      }
      FileReport child;
      child.name = std::string(base_name(m.path));
      child.part = file.part;
      child.archive_path = fmt::format("{}/{}", here.empty() ? "attachment" : here, m.path);
      child.sha256 = m.data.empty() ? std::string() : core::sha256_hex(m.data);
      child.size = m.data.size();
      // ClamAV opens archives itself; only what postern alone could open is sent again.
      scan_file(w, m.data, std::move(child), depth + 1, !ex.password.empty());
    }
    return;
  }
  // A file a document carries (an OLE Package, an object, a PDF attachment, a
  // OneNote payload) is a file of its own, named by where it sits.
  auto embedded = [&](std::string_view name, std::string_view bytes, size_t i) {
    if (w.report.files.size() >= kMaxFiles || bytes.empty()) return;
    FileReport child;
    child.name = name.empty() ? fmt::format("embedded-{}", i + 1) : std::string(name);
    child.part = file.part;
    child.archive_path = fmt::format("{}/{}", here.empty() ? "attachment" : here, child.name);
    child.sha256 = core::sha256_hex(bytes);
    child.size = bytes.size();
    scan_file(w, bytes, std::move(child), depth + 1, true);
  };
  if (is_ole2(data)) {
    OfficeScan sc = scan_ole2(data);
    append(hits, std::move(sc.hits));
    for (size_t i = 0; i < sc.embedded.size(); ++i)
      embedded(base_name(sc.embedded[i].name), sc.embedded[i].data, i);
    return;
  }
  if (is_rtf(data)) {
    RtfScan sc = scan_rtf(data);
    append(hits, std::move(sc.hits));
    for (size_t i = 0; i < sc.objects.size(); ++i)
      embedded(base_name(sc.objects[i].package_name), sc.objects[i].native, i);
    return;
  }
  if (is_onenote(data)) {
    OneNoteScan sc = scan_onenote(data);
    append(hits, std::move(sc.hits));
    for (size_t i = 0; i < sc.payloads.size(); ++i) embedded({}, sc.payloads[i].data, i);
    return;
  }
  const FileClass ext = extension_class(name_facts(file.name).extension);
  if (file.cls == FileClass::Pdf) {
    PdfReport pdf = analyze_pdf(data, {}, cpu);
    append(hits, std::move(pdf.hits));
    for (auto& u : pdf.uris)
      if (w.report.urls.size() < kMaxFileUrls)
        w.report.urls.push_back({std::move(u), file.part, "pdf"});
    for (size_t i = 0; i < pdf.embedded_files.size(); ++i) embedded({}, pdf.embedded_files[i], i);
    return;
  }
  if (file.cls == FileClass::Html || ext == FileClass::Html ||
      (ext == FileClass::Script && file.cls == FileClass::Text && nf_is_hta(file.name)))
    append(hits, scan_html_attachment(data, {}, cpu));
}

void AttachStage::scan_file(Walk& w, std::string_view data, FileReport file, unsigned depth,
                            bool antivirus) const {
  if (w.tx.budget().tick()) return;
  std::vector<Hit> hits;
  check_file(w.feeds, data, file, hits);
  if (!file.known_good) {
    const size_t index = w.report.files.size();
    w.report.files.push_back(file);  // members are listed after their archive
    content_checks(w, data, file, depth, hits);
    if (engines_.yara) append(hits, engines_.yara->scan(data, engines_.yara_timeout_s));
    if (engines_.av && antivirus && w.error.empty()) {
      const auto key = parse_sha256(file.sha256);
      auto found = to_hits(engines_.av->scan(data, file.name, key ? &*key : nullptr));
      if (found)
        append(hits, std::move(*found));
      else
        w.error = fmt::format("clamav: {}", found.error());
    }
    if (w.sandbox && !file.sha256.empty() && engines_.sandbox) {
      const SandboxPick& pick = *engines_.sandbox;
      auto& c = w.sandbox->files;
      const bool chosen =
          std::find(pick.types.begin(), pick.types.end(), file.cls) != pick.types.end();
      const bool seen =
          std::any_of(c.begin(), c.end(), [&](const auto& f) { return f.sha256 == file.sha256; });
      if (chosen && !seen && c.size() >= pick.max_files) ++w.sandbox->over_count;
      if (chosen && !seen && c.size() < pick.max_files)
        c.push_back(
            {file.sha256, file.archive_path.empty() ? file.name : file.archive_path,
             data.size() > pick.max_bytes ? nullptr : std::make_shared<const std::string>(data),
             data.size()});
    }
    auto& symbols = w.report.files[index].symbols;
    for (const auto& h : hits)
      if (std::find(symbols.begin(), symbols.end(), h.symbol) == symbols.end())
        symbols.push_back(h.symbol);
    w.add(file, hits);
    return;
  }
  w.report.files.push_back(std::move(file));
}

core::Step AttachStage::on_message(core::Transaction& tx) const {
  const auto* a = tx.get<mime::Analysis>();
  if (!a) return core::Step::next();
  auto report = std::make_shared<AttachReport>();
  auto feed_set = engines_.feeds ? engines_.feeds->current() : nullptr;
  std::shared_ptr<SandboxCandidates> sandbox;
  if (engines_.sandbox && engines_.sandbox->directions.has(tx.direction()))
    sandbox = std::make_shared<SandboxCandidates>();
  Walk w{
      tx, *a, feed_set.get(), ArchiveBudget(policy_.archive), std::nullopt, *report, sandbox.get(),
      {}, {}};
  for (const auto& leaf : a->leaves) {
    if (!is_attachment(leaf)) continue;
    if (report->files.size() >= kMaxFiles) {
      ++report->files_skipped;
      continue;
    }
    const mime::Part& p = *leaf.part;
    FileReport f;
    f.name = p.filename;
    f.other_name = p.other_filename;
    f.part = p.path;
    f.declared = p.content_type;
    f.sha256 = leaf.sha256;
    f.size = leaf.size;
    scan_file(w, leaf.data, std::move(f), 0, true);
  }
  if (report->files_skipped)
    w.found.push_back(
        {"ATTACH_LIMIT", Walk::Found{{fmt::format("more than {} files: {} not checked", kMaxFiles,
                                                  report->files_skipped)},
                                     1,
                                     std::nan("")}});
  for (auto& [symbol, fd] : w.found) {
    std::string detail = fmt::format("{}", fmt::join(fd.where, "; "));
    if (fd.count > fd.where.size())
      detail += fmt::format("; and {} more", fd.count - fd.where.size());
    double score = std::isnan(fd.score) ? default_score(symbol) : fd.score;
    tx.add_finding(symbol, score, std::move(detail));
  }
  tx.put<AttachReport>(std::move(report));
  if (sandbox) tx.put<SandboxCandidates>(std::move(sandbox));
  if (!w.error.empty()) return core::Step::error(w.error);
  return core::Step::next();
}

}  // namespace postern::attach
