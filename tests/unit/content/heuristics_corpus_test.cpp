// The heuristics' firing rates on the shared corpus (../shared/corpus), per
// folder: the table behind the default scores in lib/content/symbols.cpp.
// Hidden ([.corpus]): run `unit_content "[.corpus]"`; POSTERN_CORPUS overrides
// the corpus path, POSTERN_SHOW=SYM1,SYM2 prints those symbols' ham
// details; ham messages whose heuristics sum to 5 or more are always printed.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "auth/dmarc.hpp"
#include "content/heuristics.hpp"
#include "content/symbols.hpp"
#include "core/transaction.hpp"
#include "mime/stage.hpp"
#include "policy/policy.hpp"
#include "scan/envelope_guess.hpp"
#include "scan/registry.hpp"

using namespace postern;
namespace fs = std::filesystem;

TEST_CASE("heuristics firing rates per corpus folder", "[.corpus]") {
  const char* env = std::getenv("POSTERN_CORPUS");
  const fs::path corpus = env ? env : POSTERN_CORPUS_DIR;
  const char* show_env = std::getenv("POSTERN_SHOW");
  const std::string show = show_env ? show_env : "";
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, scan::policy_sections());
  REQUIRE(pol);
  content::HeuristicsStage stage(
      pol->sections.section<content::HeuristicsPolicy>("heuristics"),
      std::shared_ptr<const auth::PublicSuffix>(&auth::PublicSuffix::instance(),
                                                [](const auth::PublicSuffix*) {}));
  mime::MimeStage mime;
  // The heuristics' symbols and the MIME/HTML ones they reuse.
  std::set<std::string> watched = {"MIME_EPILOGUE_CONTENT", "HTML_HIDDEN_TEXT", "HTML_TINY_FONT",
                                   "HTML_INVISIBLE_COLOR", "HTML_PASSWORD_FORM"};
  bool mine = false;
  for (const auto& s : content::symbols()) {
    if (s.name == "PHISH_BRAND_FROM_NAME") mine = true;
    if (mine) watched.insert(std::string(s.name));
  }
  const std::vector<std::string> folders = {
      "ham/spamassassin-easy", "ham/spamassassin-hard", "ham/usrp",  "ham/foff",
      "spam/spamassassin",     "spam/industrypack",     "spam/foff", "phish/nazario"};
  std::map<std::string, std::map<std::string, size_t>> hits;  // symbol -> folder -> count
  std::map<std::string, size_t> total, over5, any;
  for (const auto& folder : folders) {
    if (!fs::is_directory(corpus / folder)) continue;
    for (const auto& e : fs::directory_iterator(corpus / folder)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string raw = core::to_crlf(ss.str());
      core::ConnectionInfo conn;
      core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
      tx.envelope().mail_from = scan::guess_envelope(raw).from;
      tx.set_message(core::Message(raw));
      mime.on_message(tx);
      stage.on_message(tx);
      ++total[folder];
      double sum = 0;
      bool fired = false;
      for (const auto& f : tx.findings()) {
        if (!watched.count(f.symbol)) continue;
        ++hits[f.symbol][folder];
        sum += f.score;
        fired = true;
        if (("," + show + ",").find("," + f.symbol + ",") != std::string::npos &&
            folder.starts_with("ham/"))
          fmt::print("{} {}: {}\n", folder, e.path().filename().string(), f.detail);
      }
      if (sum >= 5.0) {
        ++over5[folder];
        if (folder.starts_with("ham/")) {
          std::string syms;
          for (const auto& f : tx.findings())
            if (watched.count(f.symbol)) syms += " " + f.symbol;
          fmt::print("ham over 5: {} {}:{}\n", folder, e.path().filename().string(), syms);
        }
      }
      if (fired) ++any[folder];
    }
  }
  auto pct = [&](size_t n, const std::string& f) {
    return total[f] ? fmt::format("{:6.1f}",
                                  100.0 * static_cast<double>(n) / static_cast<double>(total[f]))
                    : std::string("     -");
  };
  std::string head = fmt::format("{:28}", "symbol (% of messages)");
  for (const auto& f : folders) head += fmt::format(" {:>8}", f.substr(f.find('/') + 1, 8));
  fmt::print("{}\n", head);
  for (const auto& s : watched) {
    std::string line = fmt::format("{:28}", s);
    for (const auto& f : folders) line += fmt::format("   {}", pct(hits[s][f], f));
    fmt::print("{}\n", line);
  }
  std::string l5 = fmt::format("{:28}", "(sum of these >= 5)");
  std::string la = fmt::format("{:28}", "(any of these)");
  std::string ln = fmt::format("{:28}", "(messages)");
  for (const auto& f : folders) {
    l5 += fmt::format("   {}", pct(over5[f], f));
    la += fmt::format("   {}", pct(any[f], f));
    ln += fmt::format(" {:>8}", total[f]);
  }
  fmt::print("{}\n{}\n{}\n", la, l5, ln);
  CHECK(total.size() > 0);
}
