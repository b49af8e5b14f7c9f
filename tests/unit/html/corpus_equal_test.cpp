// The streaming html::extract against the gumbo extraction it replaced
// (gumbo_reference.hpp), over every text/html part of the shared corpus: the same
// visible text, links (url, text, source, in order), forms and counts, but for the
// known parts listed below (each with its reason).
// POSTERN_HTML_DIFF=FILE writes each differing part and both outputs there.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gumbo_reference.hpp"
#include "html/extract.hpp"
#include "mime/analysis.hpp"

using namespace postern;
namespace fs = std::filesystem;

namespace {

std::string show(const html::Extract& e) {
  std::string s = "text: " + e.text + "\n";
  for (const auto& l : e.links) s += "link: " + l.source + " " + l.url + " [" + l.text + "]\n";
  for (const auto& f : e.forms) s += "form: " + f.action + (f.password ? " password" : "") + "\n";
  s += "counts: scripts " + std::to_string(e.scripts) + " styles " + std::to_string(e.styles) +
       " hidden " + std::to_string(e.hidden_elements) + " hidden_text " +
       std::to_string(e.hidden_text) + " tiny " + std::to_string(e.tiny_font) + " invisible " +
       std::to_string(e.invisible_color) + " truncated " + e.truncated_what + "\n";
  return s;
}

// The parts known to differ, and why (corpus path, part path). Anything else that
// differs fails the test.
const std::vector<std::pair<std::string, std::string>> kKnown = {
    // an <a> left open in a <p>: gumbo reopens it (the active formatting elements
    // are reconstructed) into two more empty links than the streaming reader
    {"spam/industrypack/ipack-01626.eml", "1.1.2"},
    // an <a> around a <form> in content foster-parented out of a table (gumbo is
    // still in the "in table" mode there, which pops the form at once): the
    // streaming reader has one more link to the <a>'s URL, after the form's
    {"phish/nazario/nazario0-00338.eml", "1.1"},
    // one space more or less between two text runs (not yet explained)
    {"spam/foff/foff-spam-00150.eml", "1.1"},
    {"spam/spamassassin/sa-spam-00469.eml", "1"},
    // a binary PDF sent as text/html: one space in the garbage text
    {"spam/industrypack/ipack-01707.eml", "1.2"},
    {"spam/industrypack/ipack-01712.eml", "1.2"},
};

}  // namespace

TEST_CASE("the streaming extraction equals the gumbo one on every HTML part of the corpus",
          "[html][corpus][all-mail]") {
  const fs::path corpus = POSTERN_CORPUS_DIR;
  if (!fs::exists(corpus)) {
    WARN("no corpus at " << corpus.string());
    return;
  }
  size_t parts = 0, same = 0;
  std::vector<std::string> differing, unknown;
  const char* diff_path = std::getenv("POSTERN_HTML_DIFF");
  std::ofstream diff;
  if (diff_path) diff.open(diff_path);
  for (const char* folder : {"ham", "spam", "phish", "mime"}) {
    if (!fs::exists(corpus / folder)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(corpus / folder))
      if (e.is_regular_file() && e.path().extension() != ".json" &&
          e.path().filename() != "COPYING")
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      mime::Analysis a = mime::analyze(ss.str());
      for (const auto& leaf : a.leaves) {
        if (leaf.part->content_type != "text/html") continue;
        ++parts;
        std::string want = show(html::reference::extract(leaf.html));
        std::string got = show(html::extract(leaf.html));
        if (want == got) {
          ++same;
          continue;
        }
        std::string rel = fs::relative(path, corpus).string();
        if (std::find(kKnown.begin(), kKnown.end(), std::pair{rel, leaf.part->path}) ==
            kKnown.end())
          unknown.push_back(rel + " " + leaf.part->path);
        differing.push_back(path.string() + " " + leaf.part->path);
        if (diff)
          diff << "=== " << differing.back() << "\n--- gumbo\n"
               << want << "+++ stream\n"
               << got << "\n";
      }
    }
  }
  std::printf("HTML parts compared: %zu, identical: %zu, differing: %zu\n", parts, same,
              differing.size());
  for (const auto& d : unknown) UNSCOPED_INFO(d);
  CHECK(parts > 0);
  CHECK(unknown.empty());
}
