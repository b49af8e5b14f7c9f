// mime_dump: prints, for each message file, one JSON line with the leaf parts
// postern's MIME engine finds in the file's bytes as they are (no CRLF
// canonicalisation), for the differential test against Python's email package.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mime/analysis.hpp"

int main(int argc, char** argv) {
  std::string line;
  std::vector<std::string> files(argv + 1, argv + argc);
  if (files.empty())
    while (std::getline(std::cin, line)) files.push_back(line);
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string raw = ss.str();
    postern::mime::Analysis a = postern::mime::analyze(raw);
    nlohmann::json leaves = nlohmann::json::array();
    for (const auto& l : a.leaves) {
      nlohmann::json anomalies = nlohmann::json::array();
      for (const auto& an : l.anomalies) anomalies.push_back(an.symbol);
      nlohmann::json leaf_json = {{"path", l.part->path},
                                  {"content_type", l.part->content_type},
                                  {"filename", l.part->filename},
                                  {"sha256", l.sha256},
                                  {"size", l.size},
                                  {"uuencoded", l.part->uuencoded},
                                  {"anomalies", anomalies}};
      if (l.part->type() == "text") {  // the raw decoded text in UTF-8 (HTML not rendered)
        postern::mime::DecodeStats st;
        leaf_json["utf8"] = postern::mime::to_utf8(a.tree.decode(*l.part, st), l.part->charset, st);
      }
      leaves.push_back(std::move(leaf_json));
    }
    nlohmann::json out{{"file", f}, {"leaves", leaves}};
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
}
