// Tests for ArchiveModifier: the journal copy and the redirect as envelope edits.
#include "scan/archive.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace postern;
using core::Action;
using core::Direction;
using Mode = policy::ArchivePolicy::Mode;

TEST_CASE("the archive adds or redirects by mode, direction and verdict") {
  struct Row {
    std::string what;
    Mode mode;
    Direction dir;
    Action verdict;
    std::vector<std::string> rcpts;
    std::vector<std::string> added;
    std::vector<std::string> removed;
  };
  const std::vector<Row> rows{
      {"copy adds the journal",
       Mode::Copy,
       Direction::Inbound,
       Action::Accept,
       {"bob@y.test"},
       {"journal@x.test"},
       {}},
      {"copy: not twice when it is a recipient already",
       Mode::Copy,
       Direction::Inbound,
       Action::Accept,
       {"bob@y.test", "Journal@X.test"},
       {},
       {}},
      {"copy: not for a direction not configured",
       Mode::Copy,
       Direction::Outbound,
       Action::Accept,
       {"bob@y.test"},
       {},
       {}},
      {"copy: not for a verdict not listed",
       Mode::Copy,
       Direction::Inbound,
       Action::Tag,
       {"bob@y.test"},
       {},
       {}},
      {"redirect replaces every recipient",
       Mode::Redirect,
       Direction::Inbound,
       Action::Accept,
       {"bob@y.test", "carol@y.test"},
       {"journal@x.test"},
       {"bob@y.test", "carol@y.test"}},
      {"redirect keeps the target when it is a recipient",
       Mode::Redirect,
       Direction::Inbound,
       Action::Accept,
       {"bob@y.test", "journal@x.test"},
       {},
       {"bob@y.test"}},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    policy::ArchivePolicy p;
    p.recipient = "journal@x.test";
    p.mode = row.mode;
    p.directions = {true, false};
    p.actions = {Action::Accept, Action::Quarantine};
    scan::ArchiveModifier mod(p);
    core::Transaction tx(
        {}, row.dir, {}, [](std::string_view, double d) { return d; }, "id");
    tx.envelope().recipients = row.rcpts;
    core::Outcome out;
    out.verdict.action = row.verdict;
    mod.modify(tx, core::Message("Subject: x\r\n\r\nbody\r\n"), out);
    std::vector<std::string> added;
    for (const auto& a : out.added_recipients) {
      added.push_back(a.address);
      CHECK(a.esmtp_args.empty());
    }
    CHECK(added == row.added);
    CHECK(out.removed_recipients == row.removed);
    CHECK_FALSE(out.new_body);
  }
}
