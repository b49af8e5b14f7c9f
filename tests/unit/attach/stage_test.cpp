// Tests for attach::AttachStage with the shipped [attachments] policy: the files
// of a message are found, named and typed as a client would, banned and
// mismatched files are found, hash feeds apply, and the event lists every file.
#include "attach/stage.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "attach/clamav.hpp"
#include "attach/html_attach.hpp"
#include "attach/office.hpp"
#include "attach/ooxml.hpp"
#include "attach/pdf.hpp"
#include "attach/registration.hpp"
#include "attach/sandbox_stage.hpp"
#include "attach/symbols.hpp"
#include "attach/yara.hpp"
#include "content/composites.hpp"
#include "core/digest.hpp"
#include "core/transaction.hpp"
#include "mime/stage.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

const attach::AttachPolicy& shipped() {
  static const attach::AttachPolicy p = [] {
    auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, scan::policy_sections());
    INFO((pol ? std::string() : policy::to_string(pol.error())));
    REQUIRE(pol);
    return pol->sections.section<attach::AttachPolicy>("attachments");
  }();
  return p;
}

using postern::test::slurp;

std::string b64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8 | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += t[(v >> k) & 63];
    if (out.size() % 77 == 76) out += "\r\n";
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16 | (i + 1 < in.size() ? uint8_t(in[i + 1]) << 8 : 0);
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

struct File {
  std::string name, type, bytes;
};

std::string message(const std::vector<File>& files) {
  std::string m =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nSee attached.\r\n";
  for (const auto& f : files)
    m += "--b\r\nContent-Type: " + f.type + "; name=\"" + f.name +
         "\"\r\nContent-Disposition: attachment; filename=\"" + f.name +
         "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(f.bytes) + "\r\n";
  return m + "--b--\r\n";
}

struct Run {
  std::vector<core::Finding> findings;
  attach::AttachReport report;
  nlohmann::json event;
};

Run run(const std::string& msg, const attach::AttachStage& stage) {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(msg));
  mime::MimeStage mime;
  CHECK(mime.on_message(tx).kind == core::Step::Kind::Continue);
  CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
  Run r;
  r.findings = tx.findings();
  if (const auto* rep = tx.get<attach::AttachReport>()) r.report = *rep;
  r.event = {{"postern", nlohmann::json::object()}, {"email", nlohmann::json::object()}};
  for (auto w : attach::registration().event_writers) w(tx, r.event);
  return r;
}

const core::Finding* find(const Run& r, std::string_view sym) {
  for (const auto& f : r.findings)
    if (f.symbol == sym) return &f;
  return nullptr;
}

const std::string kExe = "/usr/share/clamav-testfiles/clam.exe";

}  // namespace

TEST_CASE("each attachment is checked by name and by what it is") {
  const std::string exe = slurp(kExe);
  if (exe.empty()) {
    WARN("clamav-testfiles not installed");
    return;
  }
  // A plain one-page PDF (no script, no links).
  const std::string pdf =
      "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
      "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
      "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>\nendobj\n"
      "4 0 obj\n<< /Length 44 >>\nstream\nBT /F1 24 Tf 100 700 Td (Quarterly report) Tj ET\n"
      "endstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
  attach::AttachStage stage(shipped(), {});
  struct Row {
    std::string what;
    File file;
    std::vector<std::string> want;  // symbols, in any order; nothing else
  };
  const std::vector<Row> rows = {
      {"a PDF named as one", {"report.pdf", "application/pdf", pdf}, {}},
      {"a program named as a PDF",
       {"report.pdf", "application/pdf", exe},
       {"ATTACH_TYPE_MISMATCH", "ATTACH_BANNED"}},
      {"a program under a generic type",
       {"setup.exe", "application/octet-stream", exe},
       {"ATTACH_BANNED"}},
      {"a script with a document extension before it",
       {"bill.pdf.js", "application/octet-stream", "var x = 1;\n"},
       {"ATTACH_DOUBLE_EXTENSION", "ATTACH_BANNED"}},
      {"an extension reversed by U+202E",
       {"photo_\u202Egpj.scr", "image/jpeg", exe},
       {"ATTACH_NAME_BIDI", "ATTACH_TYPE_MISMATCH", "ATTACH_BANNED"}},
      {"trailing dots Windows strips",
       {"run.bat...", "application/octet-stream", "echo hi\r\n"},
       {"ATTACH_NAME_OBFUSCATED", "ATTACH_BANNED"}},
      {"a text file declared as text", {"notes.txt", "text/plain", "hello\r\n"}, {}},
      {"an HTML page named .pdf",
       {"invoice.pdf", "application/pdf", "<!DOCTYPE html><html><body>x</body></html>"},
       {"ATTACH_TYPE_MISMATCH"}},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    Run got = run(message({r.file}), stage);
    std::vector<std::string> syms;
    for (const auto& f : got.findings) syms.push_back(f.symbol);
    std::sort(syms.begin(), syms.end());
    auto want = r.want;
    std::sort(want.begin(), want.end());
    CHECK(syms == want);
    REQUIRE(got.report.files.size() == 1);
    CHECK(got.report.files[0].name == r.file.name);
    CHECK(got.report.files[0].size == r.file.bytes.size());
  }
}

TEST_CASE("details name the file, masked, with its bidi controls shown, not applied") {
  attach::AttachStage stage(shipped(), {});
  Run r = run(message({{"Rechnung_4711223344\u202Efdp.exe", "application/pdf", "MZ"}}), stage);
  const core::Finding* f = find(r, "ATTACH_NAME_BIDI");
  REQUIRE(f);
  CHECK(f->detail.find("<U+202E>") != std::string::npos);
  CHECK(f->detail.find("\u202E") == std::string::npos);
  CHECK(f->detail.find("4711223344") == std::string::npos);  // digits masked
  CHECK(f->detail.find("(part 1.2)") != std::string::npos);
}

TEST_CASE("one finding per symbol names the first files and counts the rest") {
  attach::AttachStage stage(shipped(), {});
  std::vector<File> files;
  for (int i = 0; i < 5; ++i)
    files.push_back({"tool" + std::to_string(i) + ".vbs", "application/octet-stream", "x"});
  Run r = run(message(files), stage);
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].symbol == "ATTACH_BANNED");
  CHECK(r.findings[0].detail.find("tool0.vbs") != std::string::npos);
  CHECK(r.findings[0].detail.find("tool3.vbs") == std::string::npos);
  CHECK(r.findings[0].detail.find("and 2 more") != std::string::npos);
  CHECK(r.report.files.size() == 5);
}

TEST_CASE("hash feeds flag a known file, and a known-good file skips the other checks") {
  test::TempDir d;
  const std::string body = "MZ this pretends to be a tool\n";
  // The SHA-256 the MIME engine computes for the attachment.
  core::ConnectionInfo conn;
  core::Transaction probe(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  probe.set_message(core::Message(message({{"a.bin", "application/octet-stream", body}})));
  mime::MimeStage mime;
  mime.on_message(probe);
  const auto* a = probe.get<mime::Analysis>();
  REQUIRE(a);
  REQUIRE(a->leaves.size() == 2);
  const std::string hash = a->leaves[1].sha256;

  auto bad = attach::HashFeeds::start(
      {{d.write("bad.txt", hash + "\n")}, {}, std::chrono::milliseconds(0)});
  REQUIRE(bad);
  attach::AttachStage with_bad(shipped(), {.feeds = *bad});
  Run r = run(message({{"a.bin", "application/octet-stream", body}}), with_bad);
  const core::Finding* f = find(r, "ATTACH_HASH_FEED");
  REQUIRE(f);
  CHECK(f->detail.find("bad.txt") != std::string::npos);

  // The same bytes as a banned .exe, but on the known-good list: nothing.
  auto good = attach::HashFeeds::start(
      {{}, {d.write("good.txt", hash + "\n")}, std::chrono::milliseconds(0)});
  REQUIRE(good);
  attach::AttachStage with_good(shipped(), {.feeds = *good});
  Run g = run(message({{"tool.exe", "application/octet-stream", body}}), with_good);
  CHECK(g.findings.empty());
  REQUIRE(g.report.files.size() == 1);
  CHECK(g.report.files[0].known_good);
}

TEST_CASE("the event lists every file: name, types, hash, findings (ECS email.attachments)") {
  const std::string exe = slurp(kExe);
  if (exe.empty()) {
    WARN("clamav-testfiles not installed");
    return;
  }
  attach::AttachStage stage(shipped(), {});
  Run r =
      run(message({{"report.pdf", "application/pdf", exe}, {"a.txt", "text/plain", "hi"}}), stage);
  const auto& files = r.event["postern"]["attachments"];
  REQUIRE(files.size() == 2);
  CHECK(files[0]["name"] == "report.pdf");
  CHECK(files[0]["part"] == "1.2");
  CHECK(files[0]["declared_type"] == "application/pdf");
  CHECK(files[0]["class"] == "executable");
  CHECK(files[0]["sha256"].get<std::string>().size() == 64);
  CHECK(files[0]["findings"].size() == 2);
  CHECK(files[1]["class"] == "text");
  const auto& ecs = r.event["email"]["attachments"];
  REQUIRE(ecs.size() == 2);
  CHECK(ecs[0]["file"]["name"] == "report.pdf");
  CHECK(ecs[0]["file"]["extension"] == "pdf");
  CHECK(ecs[0]["file"]["hash"]["sha256"] == files[0]["sha256"]);
  CHECK(ecs[0]["file"]["size"] == exe.size());
}

TEST_CASE("a message without attachments has no attachment findings or event keys") {
  attach::AttachStage stage(shipped(), {});
  Run r = run(message({}), stage);
  CHECK(r.findings.empty());
  CHECK(r.report.files.empty());
  CHECK_FALSE(r.event["postern"].contains("attachments"));
}

TEST_CASE("the [attachments] section refuses what it cannot mean") {
  test::TempDir d;
  d.write("p.toml",
          "[attachments]\nbanned_extensions = [\"exe\", \"a b\"]\nbanned_types = [\"exe\"]\n");
  auto pol = policy::load_policy({d.str()}, scan::policy_sections());
  REQUIRE_FALSE(pol);
  std::string e = policy::to_string(pol.error());
  CHECK(e.find("'a b' is not a file extension") != std::string::npos);
  CHECK(e.find("'exe' is not a file class") != std::string::npos);
  CHECK(e.find("p.toml:") != std::string::npos);
}

namespace {

// A zip of `files` (name -> bytes), made by Python's zipfile (the reference writer).
std::string zip_files(const std::vector<std::pair<std::string, std::string>>& files) {
  test::TempDir d;
  std::string args;
  for (size_t i = 0; i < files.size(); ++i) {
    d.write("in" + std::to_string(i), files[i].second);
    args += " '" + files[i].first + "' '" + d.str() + "/in" + std::to_string(i) + "'";
  }
  std::string out = d.str() + "/out.zip";
  std::string cmd =
      "python3 -c 'import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],\"w\","
      "zipfile.ZIP_DEFLATED)\nfor i in range(2,len(sys.argv),2): "
      "z.write(sys.argv[i+1],sys.argv[i])\nz.close()' '" +
      out + "'" + args;
  REQUIRE(std::system(cmd.c_str()) == 0);
  return slurp(out);
}

std::vector<std::string> symbols_of(const Run& r) {
  std::vector<std::string> s;
  for (const auto& f : r.findings) s.push_back(f.symbol);
  return s;
}

bool has(const Run& r, std::string_view sym) {
  return find(r, sym) != nullptr;
}

std::string corpus_message(const std::string& rel) {
  return slurp(std::string(POSTERN_CORPUS_DIR) + "/" + rel);
}

}  // namespace

TEST_CASE("files inside archives get every check, named by their path in the archive") {
  const std::string exe = slurp(kExe);
  if (exe.empty()) {
    WARN("clamav-testfiles not installed");
    return;
  }
  const std::string inner = zip_files({{"docs/invoice.pdf.exe", exe}, {"readme.txt", "hello"}});
  const std::string outer = zip_files({{"inner.zip", inner}, {"photo.jpg", "not really a jpeg"}});
  attach::AttachStage stage(shipped(), {});
  Run r = run(message({{"order.zip", "application/zip", outer}}), stage);
  const core::Finding* banned = find(r, "ATTACH_BANNED");
  REQUIRE(banned);
  CHECK(banned->detail.find("order.zip/inner.zip/docs/invoice.pdf.exe (part 1.2)") !=
        std::string::npos);
  CHECK(has(r, "ATTACH_DOUBLE_EXTENSION"));
  // The archive, its two members, the inner archive's two members.
  REQUIRE(r.report.files.size() == 5);
  CHECK(r.report.files[0].archive_path.empty());
  CHECK(r.report.files[0].cls == attach::FileClass::Archive);
  std::vector<std::string> paths;
  for (const auto& f : r.report.files) paths.push_back(f.archive_path);
  CHECK(std::find(paths.begin(), paths.end(), "order.zip/inner.zip/readme.txt") != paths.end());
  for (const auto& f : r.report.files) CHECK(f.sha256.size() == 64);
  CHECK(r.event["postern"]["attachments"].size() == 5);
}

TEST_CASE("archives deeper than the policy allows are a bomb finding, not a walk") {
  std::string z = zip_files({{"payload.js", "WScript.Echo(1)"}});
  for (int i = 0; i < 7; ++i) z = zip_files({{"level" + std::to_string(i) + ".zip", z}});
  attach::AttachStage stage(shipped(), {});
  Run r = run(message({{"nested.zip", "application/zip", z}}), stage);
  const core::Finding* bomb = find(r, "ATTACH_ARCHIVE_BOMB");
  REQUIRE(bomb);
  CHECK_FALSE(has(r, "ATTACH_BANNED"));  // payload.js at depth 8 was never reached
  CHECK(r.report.files.size() == 6);     // the attachment and 5 levels of members
}

TEST_CASE(
    "real macro mail: the document's macros are found, also in a zip_files whose password "
    "the text gives") {
  attach::AttachStage stage(shipped(), {});
  struct Row {
    std::string file;
    std::vector<std::string> want;
  };
  for (const auto& row : std::vector<Row>{
           {"attach/sa-olevbmacro/macro.eml", {"ATTACH_MACRO"}},
           {"attach/sa-olevbmacro/zippwmacro.eml",
            {"ATTACH_ARCHIVE_PASSWORD_IN_TEXT", "ATTACH_MACRO"}},
           {"attach/sa-olevbmacro/nomacro.eml", {}},
       }) {
    INFO(row.file);
    std::string m = corpus_message(row.file);
    REQUIRE_FALSE(m.empty());
    Run r = run(m, stage);
    for (const auto& w : row.want) {
      INFO(w);
      CHECK(has(r, w));
    }
    if (row.want.empty()) {
      for (const auto& s : symbols_of(r)) CHECK(s.rfind("ATTACH_MACRO", 0) != 0);
    }
  }
}

TEST_CASE("a PDF with JavaScript and an HTML smuggling page are found as attachments") {
  attach::AttachStage stage(shipped(), {});
  const std::string pdf = slurp(POSTERN_CORPUS_DIR "/attach/pdf/payload1.pdf");
  REQUIRE_FALSE(pdf.empty());
  Run r = run(message({{"statement.pdf", "application/pdf", pdf}}), stage);
  CHECK(has(r, "ATTACH_PDF_JAVASCRIPT"));
  std::string page = "<html><body><script>var b64 = '" + std::string(20000, 'A') +
                     "'; var blob = new Blob([Uint8Array.from(atob(b64), c => c.charCodeAt(0))]);"
                     "var a = document.createElement('a'); a.href = URL.createObjectURL(blob);"
                     "a.download = 'invoice.iso'; a.click();</script></body></html>";
  Run h = run(message({{"invoice.html", "text/html", page}}), stage);
  CHECK(has(h, "ATTACH_HTML_SMUGGLING"));
}

TEST_CASE("ClamAV scans each attachment; when it cannot, the stage fails (on_error)") {
  test::TempDir d;
  const std::string eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
  d.write("db/test.hsb",
          core::sha256_hex(eicar) + ":" + std::to_string(eicar.size()) + ":Postern.Test.Eicar\n");
  attach::ClamavSettings s;
  s.engine.database_dirs = {d.str() + "/db"};
  auto av = attach::AvScanner::make(s);
  REQUIRE(av);
  attach::AttachStage stage(shipped(), {.av = *av});
  Run r = run(message({{"fine.zip", "application/zip", zip_files({{"eicar.com", eicar}})}}), stage);
  const core::Finding* v = find(r, "ATTACH_VIRUS");
  REQUIRE(v);
  CHECK(v->detail.find("Postern.Test.Eicar") != std::string::npos);
  CHECK(v->detail.find("fine.zip (part 1.2)") != std::string::npos);

  // A clamd that is not there: an error for the stage, never a clean verdict.
  attach::ClamavSettings gone;
  gone.clamd = attach::ClamdConfig{};
  gone.clamd->address = "unix:" + d.str() + "/no-clamd.sock";
  gone.clamd->connect_timeout = std::chrono::milliseconds(200);
  auto bad = attach::AvScanner::make(gone);
  REQUIRE(bad);
  attach::AttachStage failing(shipped(), {.av = *bad});
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(message({{"a.pdf", "application/pdf", "%PDF-1.4\n"}})));
  mime::MimeStage mime;
  mime.on_message(tx);
  core::Step step = failing.on_message(tx);
  CHECK(step.kind == core::Step::Kind::Error);
  CHECK(step.reason.find("clamav") != std::string::npos);
}

TEST_CASE("the attach catalogue names each symbol once, and analyzers that share one agree") {
  std::vector<std::span<const core::SymbolInfo>> tables = {
      attach::archive_symbols(), attach::ooxml_symbols(),       attach::office_symbols(),
      attach::pdf_symbols(),     attach::html_attach_symbols(), attach::yara_symbols(),
      attach::clam_symbols()};
  std::map<std::string_view, double> seen;
  for (auto t : tables)
    for (const auto& s : t) {
      auto [it, fresh] = seen.emplace(s.name, s.score);
      INFO(s.name);
      if (!fresh) CHECK(it->second == s.score);
    }
  std::set<std::string_view> names;
  for (const auto& s : attach::symbols()) CHECK(names.insert(s.name).second);
  CHECK(names.size() >= seen.size());
}

TEST_CASE("more files than the stage checks is a limit finding, and the rest are counted") {
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 1100; ++i) many.push_back({"f" + std::to_string(i) + ".txt", "x"});
  attach::AttachStage stage(shipped(), {});
  Run r = run(message({{"many.zip", "application/zip", zip_files(many)}}), stage);
  const core::Finding* limit = find(r, "ATTACH_LIMIT");
  REQUIRE(limit);
  CHECK(limit->detail.find("more than 1000 files") != std::string::npos);
  CHECK(r.report.files.size() == attach::kMaxFiles);
  CHECK(r.report.files_skipped == 1100 + 1 - attach::kMaxFiles);
}

TEST_CASE("a file with two names has both checked: a client may show either") {
  attach::AttachStage stage(shipped(), {});
  // filename says .pdf, the Content-Type name says .exe (a client that prefers the
  // name shows a program).
  std::string m =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
      "Content-Type: application/octet-stream; name=\"invoice.exe\"\r\n"
      "Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      b64("just some bytes\n") + "\r\n--b--\r\n";
  Run r = run(m, stage);
  const core::Finding* banned = find(r, "ATTACH_BANNED");
  REQUIRE(banned);
  CHECK(banned->detail.find("extension .exe") != std::string::npos);
  REQUIRE(r.report.files.size() == 1);
  CHECK(r.report.files[0].name == "invoice.pdf");
  CHECK(r.report.files[0].other_name == "invoice.exe");
}

TEST_CASE("details show every bidi control and invisible character a name check reports") {
  // U+061C (Arabic letter mark) and U+00AD (soft hyphen) as well as U+202E.
  for (std::string name : {"a\u061Cb.exe", "in\u00ADvoice.exe", "x\u202Efdp.exe"}) {
    INFO(name);
    std::string shown = attach::shown_name(name);
    CHECK(shown.find("<U+") != std::string::npos);
    CHECK(shown.find("\u061C") == std::string::npos);
    CHECK(shown.find("\u202E") == std::string::npos);
  }
}

TEST_CASE(
    "the sandbox gets the chosen files only when its policy's expression holds, and a held "
    "message gets its record") {
  test::TempDir dir;
  attach::SandboxSettings settings;
  settings.state_dir = (dir.path() / "state").string();
  settings.inline_wait = std::chrono::seconds(0);  // no verdict at end of message: held
  auto sb = attach::Sandbox::make(settings);
  REQUIRE(sb);
  attach::Engines e;
  e.sandbox = attach::SandboxPick{{attach::FileClass::Text}, 1, 1 << 20, {true, false}};
  attach::AttachStage stage(attach::AttachPolicy{}, std::move(e));
  attach::SandboxPolicy sp;
  sp.types = {attach::FileClass::Text};
  sp.max_files = 1;
  sp.when = "BEC_FIRST_CONTACT";
  sp.parsed_when = *content::parse_expression(sp.when);
  attach::SandboxStage sandbox(sp, *sb);
  attach::SandboxDisposer disposer(*sb);

  for (bool first_contact : {false, true}) {
    INFO(first_contact);
    core::ConnectionInfo conn;
    core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "scan-9");
    tx.set_message(core::Message(message({{"a.txt", "text/plain", "first file text"},
                                          {"b.txt", "text/plain", "second file text"}})));
    mime::MimeStage mime;
    REQUIRE(mime.on_message(tx).kind == core::Step::Kind::Continue);
    REQUIRE(stage.on_message(tx).kind == core::Step::Kind::Continue);
    const auto* cand = tx.get<attach::SandboxCandidates>();
    REQUIRE(cand);
    CHECK(cand->files.size() == 1);  // max_files
    CHECK(cand->over_count == 1);
    if (first_contact) tx.add_finding("BEC_FIRST_CONTACT", 0.1, "no mail before");
    REQUIRE(sandbox.on_message(tx).kind == core::Step::Kind::Continue);
    CHECK(tx.has_finding("ATTACH_SANDBOX_PENDING") == first_contact);
    CHECK(tx.has_finding("ATTACH_SANDBOX_UNCHECKED") == first_contact);
    CHECK((tx.get<attach::SandboxHold>() != nullptr) == first_contact);

    core::Outcome out;
    tx.envelope().queue_id = "4XyZ12abC";
    out.verdict.action = core::Action::Accept;  // delivered (a group without quarantine): no record
    CHECK_FALSE(disposer.dispose(tx, *tx.message(), out));
    CHECK((*sb)->pending().empty());
    out.verdict.action = core::Action::Quarantine;
    CHECK_FALSE(disposer.dispose(tx, *tx.message(), out));
    CHECK((*sb)->pending().size() == (first_contact ? 1u : 0u));
    tx.envelope().queue_id =
        "../x";  // a garbled id: the disposer fails (the message is tempfailed)
    CHECK(disposer.dispose(tx, *tx.message(), out).has_value() == first_contact);
  }
}
