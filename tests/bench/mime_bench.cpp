// mime_bench: MIME engine throughput over a message set, on one core.
//
// Loads every message under the given folders into memory, then measures
// (a) structure only (Tree::parse) and (b) the full analysis (structure,
// transfer decoding, charset conversion, HTML text and links, SHA-256), each
// repeated until at least MIN_SECONDS have passed. Prints MB/s for both and
// the process's peak RSS; (c) and (d) time the HTML extraction alone over the decoded
// HTML parts: the streaming html::extract, and the gumbo extraction it replaced
// (tests/unit/html/gumbo_reference.hpp), side by side.
// usage: mime_bench [--seconds N] [--only a|b|c|d] DIR...
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gumbo_reference.hpp"
#include "mime/analysis.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  double min_seconds = 3;
  std::string only;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      min_seconds = std::stod(argv[++i]);
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else
      dirs.push_back(a);
  }
  std::vector<std::string> msgs;
  size_t bytes = 0;
  for (const auto& d : dirs)
    for (const auto& e : fs::recursive_directory_iterator(d)) {
      if (!e.is_regular_file() || e.path().extension() == ".json" ||
          e.path().filename() == "COPYING")
        continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      bytes += ss.str().size();
      msgs.push_back(ss.str());
    }
  std::printf("messages: %zu, %.1f MB\n", msgs.size(), bytes / 1e6);
  size_t sink = 0;
  auto run = [&](const char* name, auto&& fn) {
    if (!only.empty() && name[1] != only[0]) return;
    auto t0 = std::chrono::steady_clock::now();
    size_t passes = 0;
    double secs = 0;
    do {
      for (const auto& m : msgs) sink += fn(m);
      ++passes;
      secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (secs < min_seconds);
    std::printf("%-34s %8.1f MB/s  (%zu passes, %.2f s)\n", name, bytes * passes / secs / 1e6,
                passes, secs);
  };
  run("(a) structure only",
      [](const std::string& m) { return postern::mime::Tree::parse(m).parts().size(); });
  run("(b) structure+decode+charset+html",
      [](const std::string& m) { return postern::mime::analyze(m).leaves.size(); });
  // (c) the HTML parser alone, over the decoded UTF-8 of every text/html part
  std::vector<std::string> html;
  size_t html_bytes = 0;
  for (const auto& m : msgs) {
    postern::mime::Tree t = postern::mime::Tree::parse(m);
    for (const auto* p : t.leaves())
      if (p->content_type == "text/html") {
        postern::mime::DecodeStats st;
        html.push_back(postern::mime::to_utf8(t.decode(*p, st), p->charset, st));
        html_bytes += html.back().size();
      }
  }
  auto run_html = [&](const char* name, char key, auto&& fn) {
    if (!only.empty() && only[0] != key) return;
    auto t0 = std::chrono::steady_clock::now();
    size_t passes = 0;
    double secs = 0;
    do {
      for (const auto& h : html) sink += fn(h).links.size();
      ++passes;
      secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (secs < min_seconds);
    std::printf("%-34s %8.1f MB/s of HTML (%zu parts, %.1f MB = %.0f%% of the input)\n", name,
                html_bytes * passes / secs / 1e6, html.size(), html_bytes / 1e6,
                100.0 * html_bytes / bytes);
  };
  run_html("(c) HTML extraction alone", 'c',
           [](const std::string& h) { return postern::html::extract(h); });
  run_html("(d) the old gumbo extraction alone", 'd',
           [](const std::string& h) { return postern::html::reference::extract(h); });
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS: %.1f MB (corpus held in memory: %.1f MB)\n", ru.ru_maxrss / 1024.0,
              bytes / 1e6);
  return sink == 0 ? 1 : 0;
}
