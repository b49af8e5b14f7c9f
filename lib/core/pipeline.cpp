// Pipeline: runs one event through every stage, measuring time, containing errors,
// and keeping the content stages within the message's CPU budget.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <exception>

#include "core/stage.hpp"

namespace postern::core {

Pipeline::Pipeline(std::vector<std::unique_ptr<Stage>> stages, Action on_error,
                   std::map<std::string, Action, std::less<>> per_stage)
    : stages_(std::move(stages)), on_error_(on_error), per_stage_(std::move(per_stage)) {}

namespace {
Step dispatch(const Stage& s, Event e, Transaction& tx, std::string_view rcpt) {
  switch (e) {
    case Event::Connect:
      return s.on_connect(tx);
    case Event::Helo:
      return s.on_helo(tx);
    case Event::MailFrom:
      return s.on_mail_from(tx);
    case Event::Rcpt:
      return s.on_rcpt(tx, rcpt);
    case Event::Message:
      return s.on_message(tx);
  }
  return Step::next();
}

// Adds LIMIT_SCAN_TIME when the content stages ran out of CPU time.
void report_budget(Transaction& tx, std::string_view cut_short,
                   const std::vector<std::string_view>& skipped) {
  CpuBudget& b = tx.budget();
  if (!b.exhausted()) return;
  std::string detail =
      fmt::format("end-of-message inspection used {:.0f} ms of CPU, limit {:.0f} ms", b.used_ms(),
                  b.limit_ms());
  if (!cut_short.empty()) detail += fmt::format("; '{}' stopped early", cut_short);
  if (!skipped.empty()) detail += fmt::format("; skipped: {}", fmt::join(skipped, ", "));
  tx.add_finding("LIMIT_SCAN_TIME", 1.0, std::move(detail));
}
}  // namespace

namespace {
// The RCPT event's recipient scope: what the stages find there is about that recipient.
struct RecipientScope {
  Transaction& tx;
  bool open;
  RecipientScope(Transaction& t, Event e, std::string_view rcpt) : tx(t), open(e == Event::Rcpt) {
    if (open) tx.begin_recipient(std::string(rcpt));
  }
  ~RecipientScope() {
    if (open) tx.end_recipient();
  }
  RecipientScope(const RecipientScope&) = delete;
  RecipientScope& operator=(const RecipientScope&) = delete;
};
}  // namespace

Step Pipeline::run(Event event, Transaction& tx, std::string_view rcpt) const {
  RecipientScope scope(tx, event, rcpt);
  const bool budgeted = event == Event::Message;
  if (budgeted) tx.budget().start();
  std::string_view cut_short;  // the content stage during which the budget ran out
  std::vector<std::string_view> skipped;
  for (const auto& stage : stages_) {
    try {
      stage->prepare(event, tx);
    } catch (...) {  // the hook does the work itself
    }
  }
  for (const auto& stage : stages_) {
    const bool content = budgeted && stage->content();
    if (content && tx.budget().expired()) {
      skipped.push_back(stage->name());
      continue;
    }
    auto t0 = std::chrono::steady_clock::now();
    Step step;
    try {
      step = dispatch(*stage, event, tx, rcpt);
    } catch (const std::exception& e) {
      step = Step::error(e.what());
    } catch (...) {
      step = Step::error("unknown exception");
    }
    tx.add_stage_time(
        stage->name(),
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (content && cut_short.empty() && tx.budget().exhausted()) cut_short = stage->name();
    if (step.kind == Step::Kind::Error) {
      auto it = per_stage_.find(stage->name());
      Action a = it != per_stage_.end() ? it->second : on_error_;
      std::string detail = std::string(stage->name()) + ": " + step.reason;
      tx.add_finding("POSTERN_STAGE_ERROR", 0, detail);
      if (a == Action::Accept) continue;  // the admin chose to let mail through a failing stage
      if (budgeted) report_budget(tx, cut_short, skipped);
      return Step{Step::Kind::Error, a, "stage error: " + detail};
    }
  }
  if (budgeted) report_budget(tx, cut_short, skipped);
  return Step::next();
}

std::vector<std::string_view> Pipeline::stage_names() const {
  std::vector<std::string_view> out;
  for (const auto& s : stages_) out.push_back(s->name());
  return out;
}

}  // namespace postern::core
