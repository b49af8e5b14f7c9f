// Session: events → pipeline → policy → outcome and event.
#include "scan/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/address.hpp"
#include "scan/phases.hpp"
#include "scan/registry.hpp"
#include "scan/verdict_headers.hpp"
#include "telemetry/event.hpp"
#include "telemetry/metrics.hpp"

namespace postern::scan {
using core::Action;

std::string new_scan_id() {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  uint64_t z =
      seed + 0x9e3779b97f4a7c15ULL * (++counter);  // splitmix64: distinct inputs, distinct outputs
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return fmt::format("{:016x}", z);
}

namespace {

core::ScoreFn scorer(const SnapshotPtr& s) {
  return [s](std::string_view sym, double def) { return effective_score(s->policy, sym, def); };
}

// The more severe of a failed stage's on_error action and a verdict.
void apply_step(const Snapshot& s, const std::optional<core::Step>& step, core::Verdict& v) {
  if (!step || core::severity(step->action) <= core::severity(v.action)) return;
  v.action = step->action;
  v.reason = step->reason;
  v.reply = policy::reply_for(s.policy, v.action);
}

// The message in the metrics (telemetry/metrics.hpp): its action, its findings, and
// each stage's time summed over the events it ran at.
void count(const core::Transaction& tx, Action action, std::string_view group) {
  namespace m = telemetry::metrics;
  m::count_message(core::to_string(action), core::to_string(tx.direction()), group);
  for (const auto& f : tx.findings()) m::count_finding(f.symbol);
  constexpr size_t kStages = 64;
  std::array<std::pair<std::string_view, double>, kStages> per{};
  size_t n = 0;
  for (const auto& t : tx.stage_times()) {
    size_t i = 0;
    while (i < n && per[i].first != t.name) ++i;
    if (i == n) {
      if (n == kStages) continue;
      per[n++] = {t.name, 0};
    }
    per[i].second += t.ms;
  }
  for (size_t i = 0; i < n; ++i) m::observe_stage(per[i].first, per[i].second / 1000);
}

}  // namespace

Session::Session(SnapshotSource source, EventSink sink)
    : source_(std::move(source)), sink_(std::move(sink)) {}

Session::~Session() {
  try {
    abort();
  } catch (...) {  // never let a logging failure escape a destructor
  }
}

void Session::start_connection_tx() {
  if (conn_tx_) return;
  conn_snap_ = source_();
  conn_tx_ = std::make_unique<core::Transaction>(conn_, conn_snap_->policy.direction_of(conn_),
                                                 conn_snap_->config.limits, scorer(conn_snap_), "");
}

EventReply Session::connect() {
  start_connection_tx();
  core::Step st = conn_snap_->pipeline.run(core::Event::Connect, *conn_tx_);
  if (st.kind != core::Step::Kind::Continue) conn_final_ = st;
  return decide_early(policy::DecideAt::Connect);
}

EventReply Session::helo(std::string_view name) {
  conn_.helo = std::string(name);
  start_connection_tx();
  core::Step st = conn_snap_->pipeline.run(core::Event::Helo, *conn_tx_);
  if (st.kind != core::Step::Kind::Continue && !conn_final_) conn_final_ = st;
  return decide_early(policy::DecideAt::Helo);
}

EventReply Session::decide_early(policy::DecideAt at) {
  const policy::Policy& pol = conn_snap_->policy;
  if (pol.decide_at != at) return {};
  core::Verdict v =
      policy::decide(pol, conn_tx_->direction(), conn_tx_->findings(), policy::When::BeforeData);
  apply_step(*conn_snap_, conn_final_, v);
  if (v.action != Action::Reject && v.action != Action::Tempfail) return {};
  if (sink_) {  // the one event of this connection: it ends here
    core::Transaction tx(conn_, conn_tx_->direction(), conn_snap_->config.limits,
                         scorer(conn_snap_), new_scan_id());
    for (const auto& f : conn_tx_->findings()) tx.adopt(f);
    for (const auto& t : conn_tx_->stage_times()) tx.add_stage_time(t.name, t.ms);
    core::Outcome out;
    out.verdict = v;
    out.before_data = true;
    sink_(telemetry::make_event(tx, out, conn_snap_->event_writers));
  }
  count(*conn_tx_, v.action, policy::kDefaultGroup);
  return {v.action, v.reply};
}

void Session::mail_from(std::string_view address, std::vector<std::string> args) {
  abort();  // a new MAIL FROM ends any previous transaction
  start_connection_tx();
  snap_ = source_();
  tx_ = std::make_unique<core::Transaction>(conn_, snap_->policy.direction_of(conn_),
                                            snap_->config.limits, scorer(snap_), new_scan_id());
  // A client that authenticated after HELO (SASL is known from MAIL FROM on) is not
  // judged by its address or HELO name: a road warrior on a listed dial-up address.
  bool authenticated = !conn_.sasl_user.empty();
  for (const auto& f : conn_tx_->findings())
    if (!authenticated || !is_connection_symbol(snap_->policy, f.symbol)) tx_->adopt(f);
  for (const auto& t : conn_tx_->stage_times()) tx_->add_stage_time(t.name, t.ms);
  tx_->envelope().mail_from = core::envelope_address(address);
  tx_->envelope().mail_args = std::move(args);
  builder_.emplace(snap_->config.limits.message_size);
  tx_final_.reset();
  recipients_.clear();
  discarded_.reset();
  group_ = nullptr;
  if (tx_->direction() == core::Direction::Outbound) {
    // The sender's group: the authenticated user when it names an address, else the envelope.
    const std::string& user = conn_.sasl_user;
    group_ = &snap_->policy.group_for(user.find('@') != std::string::npos
                                          ? std::string_view(user)
                                          : std::string_view(tx_->envelope().mail_from));
  }
  core::Step st = snap_->pipeline.run(core::Event::MailFrom, *tx_);
  if (st.kind != core::Step::Kind::Continue) tx_final_ = st;
}

EventReply Session::rcpt(std::string_view address) {
  if (!tx_) mail_from("");
  std::string rcpt = core::envelope_address(address);
  const policy::Policy& pol = snap_->policy;
  const policy::Group& g =
      group_ && tx_->direction() == core::Direction::Outbound ? *group_ : pol.group_for(rcpt);
  core::Step st = snap_->pipeline.run(core::Event::Rcpt, *tx_, rcpt);
  core::RecipientOutcome ro;
  ro.address = rcpt;
  ro.group = g.name;
  if (!pol.is_pass_recipient(rcpt)) {
    core::Verdict v =
        policy::decide(pol, g, tx_->direction(), tx_->findings_for(rcpt), policy::When::BeforeData);
    apply_step(*snap_, conn_final_, v);
    apply_step(*snap_, tx_final_, v);
    if (st.kind != core::Step::Kind::Continue) apply_step(*snap_, st, v);
    if (core::is_final(v.action)) {
      ro.verdict = v;
      ro.at_rcpt = true;
      recipients_.push_back(std::move(ro));
      if (v.action == Action::Discard) {
        core::Outcome out;
        out.verdict = v;
        out.before_data = true;
        discarded_ = out;
        return {Action::Discard, {}};
      }
      return {v.action, v.reply};
    }
  }
  if (group_ && group_ != &g) {  // inbound: not the group of the first accepted recipient
    ro.verdict.action = Action::Tempfail;
    ro.verdict.reason =
        fmt::format("recipient of group {}, the transaction's group is {}", g.name, group_->name);
    ro.verdict.reply = kGroupDeferral;
    ro.at_rcpt = ro.deferred = true;
    EventReply r{Action::Tempfail, ro.verdict.reply};
    recipients_.push_back(std::move(ro));
    return r;
  }
  group_ = &g;
  tx_->envelope().recipients.push_back(rcpt);
  recipients_.push_back(std::move(ro));
  return {};
}

void Session::header(std::string_view name, std::string_view value) {
  if (builder_) builder_->add_header(name, value);
}

void Session::body(std::string_view chunk) {
  if (builder_) builder_->add_body(chunk);
}

core::Outcome Session::end_of_message(std::string_view queue_id) {
  if (!tx_) mail_from("");
  if (!queue_id.empty()) tx_->envelope().queue_id = std::string(queue_id);
  if (discarded_) return finish(*discarded_);
  tx_->set_message(builder_->finish());
  core::Step st = snap_->pipeline.run(core::Event::Message, *tx_);
  const policy::Policy& pol = snap_->policy;
  const policy::Group& g = group_ ? *group_ : pol.default_group;
  auto verdict_for = [&](std::string_view rcpt) {
    core::Verdict v = policy::decide(pol, g, tx_->direction(), tx_->findings_for(rcpt),
                                     policy::When::EndOfMessage);
    apply_step(*snap_, conn_final_, v);
    apply_step(*snap_, tx_final_, v);
    if (st.kind != core::Step::Kind::Continue) apply_step(*snap_, st, v);
    policy::settle(g, v);
    return v;
  };
  // Each accepted recipient's own result; the most severe decides the message.
  const core::Verdict base = verdict_for("");
  std::optional<core::Verdict> v;
  std::string decided_by;
  std::set<std::string, std::less<>> accepted;
  for (auto& r : recipients_) {
    if (r.at_rcpt) continue;
    accepted.insert(r.address);
    r.verdict = tx_->has_recipient_findings(r.address) ? verdict_for(r.address) : base;
    if (pol.is_pass_recipient(r.address) &&
        core::severity(r.verdict.action) > core::severity(Action::Tag)) {
      r.verdict.reason = fmt::format("{} (capped to tag: a pass recipient)", r.verdict.reason);
      r.verdict.action = Action::Tag;
      r.verdict.reply = {};
    }
    if (!v || core::severity(r.verdict.action) > core::severity(v->action))
      v = r.verdict, decided_by = r.address;
  }
  if (!v) v = base;  // no recipient (a message file scanned without one)
  if (std::any_of(recipients_.begin(), recipients_.end(), [&](const core::RecipientOutcome& r) {
        return !r.at_rcpt && r.verdict.action != v->action;
      }))
    v->reason = fmt::format("{} (the result for {}: the most severe among the recipients)",
                            v->reason, decided_by);

  core::Outcome out;
  out.verdict = *v;
  const core::Message& m = *tx_->message();
  if (!core::is_final(v->action)) {
    // The findings the delivered message is about: the transaction's and its recipients'.
    std::vector<core::Finding> shown;
    for (const auto& f : tx_->findings())
      if (f.recipient.empty() || accepted.contains(f.recipient)) shown.push_back(f);
    out.changed = forged_headers(m, snap_->authserv_id);
    out.added.push_back(
        {std::string(kVerdictHeader), verdict_value(v->action, v->score, tx_->scan_id())});
    if (g.findings_header && !shown.empty())
      out.added.push_back({std::string(kFindingsHeader), findings_value(shown)});
    if (pol.report_header && !shown.empty())
      out.added.push_back({std::string(kReportHeader), report_value(shown)});
    if (v->action == Action::Tag && !g.subject_prefix.empty()) {
      const core::HeaderField* subj = m.find("Subject");
      out.subject_exists = subj != nullptr;
      std::string old = subj ? subj->value : "";
      const std::string& prefix = g.subject_prefix;
      if (old.rfind(prefix, 0) != 0) out.new_subject = old.empty() ? prefix : prefix + " " + old;
    }
    if (v->action == Action::Quarantine)
      out.quarantine_reason = fmt::format("postern {}: {}", tx_->scan_id(), v->reason);
    run_edit_phases(*snap_, *tx_, out);  // modify → finish → dispose
  }
  return finish(std::move(out));
}

std::optional<core::Outcome> Session::abort() {
  if (!tx_) return std::nullopt;
  std::optional<core::Outcome> logged;
  if (discarded_) {
    logged = finish(*discarded_);
  } else {
    std::optional<core::Verdict> refused;  // the most severe refusal; deferrals are no refusal
    for (const auto& r : recipients_)
      if (r.at_rcpt && !r.deferred &&
          (!refused || core::severity(r.verdict.action) > core::severity(refused->action)))
        refused = r.verdict;
    if (refused) {
      core::Outcome out;
      out.before_data = true;
      out.verdict = *refused;
      logged = finish(std::move(out));
    }
  }
  tx_.reset();
  builder_.reset();
  return logged;
}

core::Outcome Session::finish(core::Outcome out) {
  out.recipients = recipients_;
  if (tx_) count(*tx_, out.verdict.action, group_ ? group_->name : policy::kDefaultGroup);
  emit(out);
  tx_.reset();
  builder_.reset();
  recipients_.clear();
  discarded_.reset();
  group_ = nullptr;
  return out;
}

void Session::emit(const core::Outcome& out) {
  if (sink_ && tx_) sink_(telemetry::make_event(*tx_, out, snap_->event_writers));
}

}  // namespace postern::scan
