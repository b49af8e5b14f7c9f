// False positives of every BEC symbol over all ham of the shared corpus, with the
// shipped [bec] phrases and a directory as an admin would set one up: the
// corpus' recipient domains as ours, brands and the lists' hosts as partners,
// and protected people, some of whom write to the lists from their own
// addresses. Each message is replayed inbound with the envelope a mail client
// would guess and an in-memory sender history (no outbound mail: every external
// author is first contact, so the amplified rate is the rate of strong
// findings). The spam/foff lures are counted too, for the report.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "auth/dmarc.hpp"
#include "content/bec.hpp"
#include "content/bec_stage.hpp"
#include "mime/stage.hpp"
#include "policy/policy.hpp"
#include "reputation/sender_history.hpp"
#include "scan/envelope_guess.hpp"
#include "scan/registry.hpp"
#include "state/sqlite_store.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
namespace fs = std::filesystem;

namespace {

const char* kDirectory = R"([bec]
own_domains = ["example.com", "spamassassin.taint.org", "jmason.org", "ettus.com"]
partner_domains = ["paypal.com", "microsoft.com", "amazon.com", "apple.com", "docusign.com",
                   "gmail.com", "freshrpms.net", "sourceforge.net", "perl.org", "nd.edu"]

[[bec.protected]]
name = "Matthias Saou"
addresses = ["matthias@egwn.net", "matthias@rpmforge.net"]

[[bec.protected]]
name = "Rob Kossler"
addresses = ["rkossler@nd.edu"]

[[bec.protected]]
name = "John Smith"
addresses = ["john.smith@example.com"]

[[bec.protected]]
name = "David Lee"
addresses = ["david.lee@example.com"]
)";

struct Tally {
  size_t messages = 0;
  std::map<std::string, size_t> hits;  // symbol -> messages
  std::map<std::string, std::vector<std::string>> examples;
};

using postern::test::slurp;

void scan_dir(const content::BecStage& stage, const fs::path& dir, Tally& t) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string raw = slurp(f);
    const scan::GuessedEnvelope env = scan::guess_envelope(raw);
    core::ConnectionInfo conn;
    core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
    tx.envelope().mail_from = env.from;
    tx.envelope().recipients = env.rcpts;
    tx.set_message(core::Message(raw));
    (void)mime::MimeStage().on_message(tx);
    REQUIRE(stage.on_message(tx).kind == core::Step::Kind::Continue);
    ++t.messages;
    std::vector<std::string> seen;
    for (const auto& fd : tx.findings()) {
      if (!fd.symbol.starts_with("BEC_") ||
          std::find(seen.begin(), seen.end(), fd.symbol) != seen.end())
        continue;
      seen.push_back(fd.symbol);
      ++t.hits[fd.symbol];
      auto& ex = t.examples[fd.symbol];
      if (ex.size() < 3) ex.push_back(f.filename().string() + ": " + fd.detail);
    }
  }
}

double rate(const Tally& t, const std::string& symbol) {
  auto it = t.hits.find(symbol);
  return t.messages == 0 || it == t.hits.end() ? 0.0 : 100.0 * it->second / t.messages;
}

void print(const std::string& what, const Tally& t) {
  std::ostringstream out;
  out << what << ": " << t.messages << " messages\n";
  for (const auto& [sym, n] : t.hits) {
    out << "  " << sym << " " << n << " (" << rate(t, sym) << " %)\n";
    for (const auto& ex : t.examples.at(sym)) out << "      " << ex << "\n";
  }
  WARN(out.str());
}

}  // namespace

TEST_CASE("BEC symbols stay under their false-positive ceilings on all shared ham",
          "[bec][corpus][all-mail]") {
  const fs::path corpus(POSTERN_CORPUS_DIR);
  INFO("the shared corpus at " << corpus.string());
  REQUIRE(fs::exists(corpus / "ham"));
  test::TempDir dir;
  dir.write("99-directory.toml", kDirectory);
  auto p = scan::load_checked_policy({std::string(POSTERN_SOURCE_DIR) + "/policies", dir.str()});
  if (!p) FAIL(policy::to_string(p.error()));
  const auto& b = p->sections.section<content::BecPolicy>("bec");
  auto checks = std::make_shared<const content::BecChecks>(b, auth::PublicSuffix::load());
  auto store = state::SqliteStore::open(state::SqliteOptions{.path = dir.str() + "/state.db"});
  REQUIRE(store);
  content::BecStage stage(checks, std::make_shared<reputation::SenderHistory>(*store));

  Tally ham;
  for (const auto& e : fs::directory_iterator(corpus / "ham"))
    if (e.is_directory()) scan_dir(stage, e.path(), ham);
  print("ham (all folders)", ham);
  REQUIRE(ham.messages > 4000);
  // Ceilings, in % of ham messages.
  CHECK(rate(ham, "BEC_DISPLAY_NAME_VIP") <= 0.1);
  CHECK(rate(ham, "BEC_LOOKALIKE_DOMAIN") <= 0.1);
  CHECK(rate(ham, "BEC_GIFT_CARD") <= 0.3);
  CHECK(rate(ham, "BEC_PAYMENT_LANGUAGE") <= 1.0);
  CHECK(rate(ham, "BEC_URGENCY") <= 5.0);
  CHECK(rate(ham, "BEC_FIRST_CONTACT_AMPLIFIED") <= 1.5);

  if (fs::exists(corpus / "spam" / "foff")) {
    Tally lures;
    scan_dir(stage, corpus / "spam" / "foff", lures);
    print("spam/foff", lures);
  }
}
