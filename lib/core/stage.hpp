// Stage: one inspection step, and Pipeline: the ordered stages of a snapshot.
//
// Contract: a Stage overrides only the hooks it needs; the defaults continue.
// Hooks are const: one Stage object serves every connection thread at once, so
// all per-message state lives in the Transaction. A hook adds findings and
// returns Step::next(), or Step::error(...) when a dependency failed (DNS down,
// engine not loaded). A stage never decides: the policy turns findings into the
// verdict (a finding with a hard rule is how a stage asks for a reject).
// Exceptions thrown by a hook are caught by the Pipeline and treated as errors:
// they never reach the MTA glue.
//
// Before any stage's hook for an event runs, every stage's `prepare` for that
// event runs (in order): a stage starts its DNS queries there, so the lookups
// of all stages overlap (DKIM keys, the DMARC record, ARC keys), and collects
// the answers in its hook. `prepare` never decides; an exception in it is
// ignored (the hook then does the work itself).
//
// Call order per connection: on_connect, on_helo, then per transaction
// on_mail_from, on_rcpt (once per recipient), on_message (the message is
// buffered and set on the transaction). Every finding added during a
// recipient's RCPT event (by a stage, or a stage error) is about that recipient
// (Transaction::begin_recipient): the policy weighs it for that recipient only.
// The Pipeline runs one event through every stage in order; the first error,
// turned into the stage's on_error action (unless that is accept), ends that
// event. Time per stage is measured and
// added to the transaction.
//
// Content stages (`content()` true: the MIME and HTML analysis, and
// whatever reads their results) share the message's CPU budget
// (Transaction::budget(), Limits::scan_time_ms): the Pipeline starts it when
// the end-of-message event begins and checks it before each content stage.
// Once it is spent, the remaining content stages are skipped (the other stages,
// authentication and limits, still run: an attacker must not be able to skip
// them by making the content slow) and one LIMIT_SCAN_TIME finding names the
// stage that was cut short and the ones skipped; the verdict comes from what was
// done. Content stages check the budget in their long loops too (budget().tick()).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.hpp"
#include "core/transaction.hpp"

namespace postern::core {

struct Step {
  enum class Kind { Continue, Error };
  Kind kind = Kind::Continue;
  // For Error: what failed. A stage sets only the reason; the Pipeline's result
  // carries the stage's on_error action and "stage error: <stage>: <reason>".
  Action action = Action::Accept;
  std::string reason;

  static Step next() { return {}; }
  static Step error(std::string what) { return {Kind::Error, Action::Tempfail, std::move(what)}; }
};

enum class Event { Connect, Helo, MailFrom, Rcpt, Message };

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  // True for a content stage: skipped once the message's CPU budget is spent.
  virtual bool content() const { return false; }
  virtual void prepare(Event /*event*/, Transaction&) const {}
  virtual Step on_connect(Transaction&) const { return Step::next(); }
  virtual Step on_helo(Transaction&) const { return Step::next(); }
  virtual Step on_mail_from(Transaction&) const { return Step::next(); }
  virtual Step on_rcpt(Transaction&, std::string_view /*rcpt*/) const { return Step::next(); }
  virtual Step on_message(Transaction&) const { return Step::next(); }
};

class Pipeline {
 public:
  // `on_error`: the action for a stage that fails; `per_stage` overrides it by stage name.
  Pipeline(std::vector<std::unique_ptr<Stage>> stages, Action on_error,
           std::map<std::string, Action, std::less<>> per_stage = {});

  // Runs `event` through the stages. A stage error adds a POSTERN_STAGE_ERROR
  // finding; unless the stage's on_error action is accept, it ends the event and
  // is returned (kind Error, that action). Otherwise returns Step::next().
  // At Event::Message: starts the transaction's CPU budget, skips the content stages
  // once it is spent and then adds LIMIT_SCAN_TIME.
  Step run(Event event, Transaction& tx, std::string_view rcpt = {}) const;

  std::vector<std::string_view> stage_names() const;

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
  Action on_error_;
  std::map<std::string, Action, std::less<>> per_stage_;
};

}  // namespace postern::core
