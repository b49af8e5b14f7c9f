// url_bench: URLs per second extracted and checked, on one core.
//
// Rows, each repeated for at least --seconds:
//   parse+match  url::parse of every URL of the phishunt feed (778, read as text) and
//                a match against the phishunt feeds (list and CSV): URLs/s
//   stage        the url stage (extraction from the MIME analysis, text, Subject;
//                reading; feeds) over every message of DIR, the MIME analysis made
//                once beforehand (not timed): messages/s, URLs/s, CPU-ms per message
// usage: url_bench [--seconds N] [--feeds DIR] MESSAGE_DIR
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "core/message.hpp"
#include "core/transaction.hpp"
#include "mime/analysis.hpp"
#include "mime/stage.hpp"
#include "url/feeds.hpp"
#include "url/stage.hpp"

namespace {

using namespace postern;
using Clock = std::chrono::steady_clock;
using bench::cpu_seconds;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  std::string feeds_dir = POSTERN_CORPUS_DIR "/urlfeeds", dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::stod(argv[++i]);
    else if (a == "--feeds" && i + 1 < argc)
      feeds_dir = argv[++i];
    else
      dir = a;
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: url_bench [--seconds N] [--feeds DIR] MESSAGE_DIR\n");
    return 2;
  }
  url::FeedConfig list{"phishunt",
                       feeds_dir + "/phishunt/feed.txt",
                       url::FeedConfig::Format::List,
                       "phish",
                       "URL_FEED_PHISH",
                       0};
  url::FeedConfig csv{"phishunt-csv",
                      feeds_dir + "/phishunt/feed.csv",
                      url::FeedConfig::Format::Csv,
                      "phish",
                      "URL_FEED_PHISH",
                      0};
  auto feeds = url::UrlFeeds::start({{list, csv}, std::chrono::milliseconds(0)});
  if (!feeds) {
    std::fprintf(stderr, "url_bench: %s\n", feeds.error().c_str());
    return 1;
  }
  auto set = (*feeds)->current();

  // Row 1: parse + match of the feed's own URLs.
  std::vector<std::string> raw;
  {
    std::ifstream in(list.path);
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) raw.push_back(l);
  }
  size_t n = 0, hits = 0;
  auto t0 = Clock::now();
  double c0 = cpu_seconds();
  while (std::chrono::duration<double>(Clock::now() - t0).count() < seconds) {
    for (const auto& r : raw) {
      auto u = url::parse(r);
      if (u) hits += set->match(*u).size();
      ++n;
    }
  }
  double cpu = cpu_seconds() - c0;
  std::printf("parse+match  %zu URLs, %.0f URLs/s (CPU), %.2f us per URL, %zu feed hits\n", n,
              n / cpu, cpu * 1e6 / n, hits);
  if (hits != n * 2) {
    std::fprintf(stderr, "url_bench: every feed URL must hit both feeds\n");
    return 1;
  }

  // Row 2: the stage over messages whose MIME analysis is made once.
  struct Prepared {
    core::ConnectionInfo conn;
    std::unique_ptr<core::Transaction> tx;
  };
  std::vector<std::unique_ptr<Prepared>> msgs;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  mime::MimeStage mime;
  for (const auto& p : files) {
    auto m = std::make_unique<Prepared>();
    m->tx = std::make_unique<core::Transaction>(m->conn, core::Direction::Inbound, core::Limits{},
                                                nullptr, "bench");
    m->tx->set_message(core::Message(slurp(p.string())));
    mime.on_message(*m->tx);
    msgs.push_back(std::move(m));
  }
  url::UrlPolicy pol;
  pol.feeds = (*feeds)->config().feeds;
  url::UrlStage stage(pol, *feeds);
  size_t messages = 0, urls = 0;
  t0 = Clock::now();
  c0 = cpu_seconds();
  while (std::chrono::duration<double>(Clock::now() - t0).count() < seconds) {
    for (auto& m : msgs) {
      // A fresh transaction each time would re-run the analysis; the stage reads it
      // from the prepared one and replaces its UrlList.
      m->tx->budget().start();
      stage.on_message(*m->tx);
      urls += m->tx->get<url::UrlList>()->candidates;
      ++messages;
    }
  }
  cpu = cpu_seconds() - c0;
  std::printf(
      "stage        %zu messages (%zu files), %.0f messages/s, %.0f URLs/s (CPU), "
      "%.3f CPU-ms per message\n",
      messages, msgs.size(), messages / cpu, urls / cpu, cpu * 1e3 / messages);
  return 0;
}
