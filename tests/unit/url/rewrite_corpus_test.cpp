// Link rewriting over corpus mail (ham with HTML, the first 200 in name order, and every
// signed message): the rewritten message parses as the original did (same parts, no new
// anomaly), its visible text is the same, every link a browser would follow (as
// html::extract reads it, a second reading beside the rewriter's) is a click link whose
// token verifies to the original URL, every other link is unchanged, and signed mail is
// left alone.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/finisher.hpp"
#include "mime/analysis.hpp"
#include "support/files.hpp"
#include "url/rewrite.hpp"

using namespace postern;
namespace fs = std::filesystem;

namespace {

constexpr const char* kCorpusClickHost = "click.example.net";

using postern::test::slurp;

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> all;
  fs::path ham = fs::path(POSTERN_CORPUS_DIR) / "ham";
  if (!fs::is_directory(ham)) return all;
  for (const auto& e : fs::recursive_directory_iterator(ham))
    if (e.is_regular_file()) all.push_back(e.path());
  std::sort(all.begin(), all.end());
  return all;
}

bool is_link_source(std::string_view s) {
  return s == "a@href" || s == "area@href" || s == "form@action" || s == "button@formaction";
}

}  // namespace

TEST_CASE("corpus mail: rewritten links verify to their originals, text and structure unchanged") {
  auto files = corpus_files();
  REQUIRE(!files.empty());  // the shared corpus (POSTERN_CORPUS_DIR)
  const url::KeyRing keys = *url::KeyRing::from({{"k1", std::string(32, 'c'), false}}, "k1");
  url::Token base;
  base.issued = 1'700'000'000;
  base.scan_id = "corpus";
  size_t html_msgs = 0, rewritten_msgs = 0, reencoded = 0, links = 0, signed_msgs = 0,
         untouched = 0;
  std::map<std::string, size_t> refusals;  // why a message was left alone, how often
  for (const auto& f : files) {
    std::string raw = slurp(f);
    bool is_signed = raw.find("multipart/signed") != std::string::npos ||
                     raw.find("application/pkcs7-mime") != std::string::npos;
    bool has_html = raw.find("text/html") != std::string::npos;
    if (!is_signed && (!has_html || html_msgs >= 200)) continue;
    if (has_html && !is_signed) ++html_msgs;
    INFO(f.string());
    core::Message m(raw);
    url::RewriteSettings s;
    s.host = kCorpusClickHost;
    s.keep = url::list_unsubscribe_urls(m);
    mime::Analysis before = mime::analyze(raw);
    bool signed_tree = false;
    for (const auto& p : before.tree.parts())
      if (p.content_type == "multipart/signed" || p.content_type == "application/pkcs7-mime")
        signed_tree = true;
    auto r = url::rewrite_links(m, keys, base, s);
    if (signed_tree) {
      ++signed_msgs;
      REQUIRE_FALSE(r);
      CHECK(r.error().find("signed") != std::string::npos);
      continue;
    }
    if (!r) {
      ++untouched;
      std::string why = r.error();
      for (char& c : why)  // the reason, without the part path
        if (c >= '0' && c <= '9') c = '#';
      ++refusals[why.substr(0, 120)];
      continue;
    }
    ++rewritten_msgs;
    links += r->links;
    core::Outcome edits;
    if (r->transfer_encoding) {
      ++reencoded;
      if (const core::HeaderField* cte = m.find("Content-Transfer-Encoding"))
        edits.changed.push_back({cte->name, 1, *r->transfer_encoding});
      else
        edits.added.push_back({"Content-Transfer-Encoding", *r->transfer_encoding});
    }
    edits.new_body = r->body;
    std::string out = core::apply_edits(m, edits).raw();
    mime::Analysis after = mime::analyze(out);
    REQUIRE(after.leaves.size() == before.leaves.size());
    std::set<std::string> anomalies_before, anomalies_after;
    for (const auto& a : before.anomalies) anomalies_before.insert(a.symbol);
    for (const auto& a : after.anomalies) anomalies_after.insert(a.symbol);
    CHECK(anomalies_after == anomalies_before);
    for (size_t i = 0; i < before.leaves.size(); ++i) {
      CHECK(after.leaves[i].part->content_type == before.leaves[i].part->content_type);
      CHECK(after.leaves[i].part->charset == before.leaves[i].part->charset);
      CHECK(after.leaves[i].text == before.leaves[i].text);  // the visible text
    }
    // Every followable link, as html::extract reads it.
    std::vector<const mime::LinkRef*> lb, la;
    for (const auto& l : before.links)
      if (is_link_source(l.source)) lb.push_back(&l);
    for (const auto& l : after.links)
      if (is_link_source(l.source)) la.push_back(&l);
    REQUIRE(la.size() == lb.size());
    std::set<std::string> distinct;  // html::extract may list one link twice (a table replayed)
    for (size_t i = 0; i < lb.size(); ++i) {
      auto target = url::web_target(lb[i]->url);
      bool stays = !target || std::find(s.keep.begin(), s.keep.end(), *target) != s.keep.end() ||
                   target->size() > url::kMaxUrl;
      INFO(lb[i]->url);
      if (stays) {
        CHECK(la[i]->url == lb[i]->url);
        continue;
      }
      std::string prefix = std::string("https://") + kCorpusClickHost + "/v1/";
      REQUIRE(la[i]->url.starts_with(prefix));
      auto t = keys.verify(la[i]->url.substr(prefix.size()), std::chrono::seconds(0));
      REQUIRE(t);
      CHECK(t->url == *target);
      CHECK(la[i]->text == lb[i]->text);  // anchor text kept
      distinct.insert(la[i]->url);
    }
    CHECK(distinct.size() <= r->links);
  }
  std::string whys;
  for (const auto& [why, n] : refusals) whys += "\n  " + std::to_string(n) + " x " + why;
  CHECK(html_msgs == 200);
  CHECK(rewritten_msgs > 100);
  CHECK(signed_msgs > 0);
  WARN("corpus: " << html_msgs << " HTML messages, " << rewritten_msgs << " rewritten ("
                  << reencoded << " of them single-part, made quoted-printable), " << untouched
                  << " without a link to rewrite, " << links << " links, " << signed_msgs
                  << " signed left alone; left alone because:" << whys);
}
