// dlp_bench: the DLP detectors' throughput, MB of text per CPU second, on one core.
//
// Rows: each detector alone and all seven together, over (a) the visible text of every
// message of MESSAGE_DIR (recursively; the MIME analysis made once beforehand, not timed)
// and (b) 4 MiB of text that is nothing but valid numbers of every kind (the worst case
// for matches: every one validated, masked and keyword-checked). Each row repeats for at
// least --seconds (1).
// usage: dlp_bench [--seconds N] MESSAGE_DIR
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "dlp/detectors.hpp"
#include "mime/analysis.hpp"

namespace {

using namespace postern;
using bench::cpu_seconds;

// MB/s of CPU time for detect() over `texts` with `o`, repeated for at least `seconds`.
double rate(const std::vector<std::string>& texts, const dlp::Options& o, double seconds,
            size_t& matches) {
  size_t bytes = 0, rounds = 0;
  const double t0 = cpu_seconds();
  double t = 0;
  do {
    matches = 0;
    for (const auto& s : texts) {
      matches += dlp::detect(s, o).matches.size();
      bytes += s.size();
    }
    ++rounds;
    t = cpu_seconds() - t0;
  } while (t < seconds);
  return static_cast<double>(bytes) / t / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else
      dir = a;
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: dlp_bench [--seconds N] MESSAGE_DIR\n");
    return 2;
  }
  std::vector<std::string> ham;
  size_t ham_bytes = 0, messages = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string raw = ss.str();
    for (const auto& l : mime::analyze(raw).leaves)
      if (!l.text.empty()) ham_bytes += l.text.size(), ham.push_back(l.text);
    ++messages;
  }
  std::string dense;
  while (dense.size() < (4u << 20))
    dense +=
        "card 4241 9602 0928 2256, ref 1234567893; SSN 123-45-6789 IBAN DE89 3704 0044 "
        "0532 0130 00\n";
  const std::vector<std::string> dense_texts{dense};
  std::printf("dlp_bench: %zu messages, %.1f MB of visible text; dense: %.1f MB\n", messages,
              static_cast<double>(ham_bytes) / 1e6, static_cast<double>(dense.size()) / 1e6);
  std::printf("%-8s %12s %10s %12s %10s\n", "detector", "text MB/s", "matches", "dense MB/s",
              "matches");
  for (size_t d = 0; d <= dlp::kDetectors; ++d) {
    dlp::Options o;
    o.max_matches = 1000000;
    if (d < dlp::kDetectors) {
      o.enabled.fill(false);
      o.enabled[d] = true;
    }
    size_t m1 = 0, m2 = 0;
    const double r1 = rate(ham, o, seconds, m1);
    const double r2 = rate(dense_texts, o, seconds, m2);
    const std::string name = d < dlp::kDetectors
                                 ? std::string(dlp::detector_name(static_cast<dlp::Detector>(d)))
                                 : "all";
    std::printf("%-8s %12.1f %10zu %12.1f %10zu\n", name.c_str(), r1, m1, r2, m2);
  }
  return 0;
}
