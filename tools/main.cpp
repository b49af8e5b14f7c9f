// postern: the admin CLI (scan, policy check, symbols, setup postfix|sendmail, train, learn,
// quarantine, version).
#include <curl/curl.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "content/classifier_stage.hpp"
#include "core/version.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "tools/eval_command.hpp"
#include "tools/quarantine_command.hpp"
#include "tools/sandbox_command.hpp"
#include "tools/scan_command.hpp"
#include "tools/setup_command.hpp"
#include "tools/status_command.hpp"
#include "tools/symbols_command.hpp"
#include "tools/tls_policy_command.hpp"
#include "tools/train_command.hpp"

using namespace postern;

namespace {

// `postern policy check [DIR...]`: with DIRs, those policy files alone; without,
// the daemon config and the policy directories it names.
int policy_check(const std::string& config_path, const std::vector<std::string>& dirs) {
  std::vector<std::string> check = dirs;
  if (check.empty()) {
    auto cfg = scan::load_config(config_path);
    if (!cfg) {
      for (const auto& e : cfg.error()) fmt::print(stderr, "{}\n", e.to_string());
      return 1;
    }
    check = cfg->policy_dirs;
  }
  auto pol = scan::load_checked_policy(check);
  policy::Errors errs = pol ? scan::check_sections(*pol) : pol.error();
  if (!errs.empty()) {
    for (const auto& e : errs) fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "policy check: {} error(s)\n", errs.size());
    return 1;
  }
  for (const auto& f : pol->files) fmt::print("ok: {}\n", f);
  fmt::print("policy check: {} file(s), {} list(s), {} group(s) besides default, no errors\n",
             pol->files.size(), pol->lists.size(), pol->groups.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"postern: secure email gateway administration"};
  app.set_version_flag("-V,--version", std::string("postern ") + kVersion);
  app.require_subcommand(1);
  std::string config_path = policy::kDefaultConfigPath;

  tools::ScanOptions so;
  auto* scan = app.add_subcommand("scan", "give the milter's verdict for message files, offline");
  auto* cfg_opt = scan->add_option("-c,--config", so.config_path,
                                   "daemon config (default /etc/postern/postern.toml)");
  // Options that may repeat take one value each time: "--policy-dir D a.eml" must
  // leave a.eml to the files.
  scan->add_option("--policy-dir", so.policy_dirs,
                   "policy directory, replacing the config's (repeatable)")
      ->allow_extra_args(false);
  auto* from_opt =
      scan->add_option("--from", so.from, "envelope sender (default: Return-Path or From)");
  scan->add_option("--rcpt", so.rcpts, "envelope recipient (repeatable; default: To and Cc)")
      ->allow_extra_args(false);
  scan->add_option("--client-ip", so.client_ip, "SMTP client address");
  scan->add_option("--client-name", so.client_name, "SMTP client reverse name");
  scan->add_option("--helo", so.helo, "HELO/EHLO name");
  scan->add_option("--auth", so.auth_user, "SASL user (makes the message outbound)");
  scan->add_flag("--json", so.json, "one JSON event per message, as in the event log");
  scan->add_flag("--parts", so.parts, "print the MIME part tree of each message");
  scan->add_option("--out", so.out,
                   "write the message as it would leave (every edit applied) to FILE, - for "
                   "standard output; one message file only");
  scan->add_option("files", so.files, "message files, or - for standard input")->required();

  tools::EvalOptions eo;
  auto* eval = app.add_subcommand(
      "eval", "how the policy treats folders of labelled mail: actions, scores, top symbols");
  auto* eval_cfg = eval->add_option("-c,--config", eo.scan.config_path,
                                    "daemon config (default /etc/postern/postern.toml)");
  eval->add_option("--policy-dir", eo.scan.policy_dirs,
                   "policy directory, replacing the config's (repeatable)")
      ->allow_extra_args(false);
  eval->add_option("dirs", eo.dirs, "folders of messages with the label --label");
  eval->add_option("--label", eo.label, "the label of the folders: ham, spam or phish")
      ->check(CLI::IsMember({"ham", "spam", "phish"}));
  eval->add_option("--ham", eo.ham, "folders of ham");
  eval->add_option("--spam", eo.spam, "folders of spam");
  eval->add_option("--phish", eo.phish, "folders of phishing");
  eval->add_option("-j,--jobs", eo.jobs, "threads (default: one per core)");
  eval->add_option("--top", eo.top, "symbols listed per folder (default 10)");
  eval->add_flag("--json", eo.json, "one JSON object per folder and label");
  eval->add_flag("--misses", eo.misses,
                 "list each misjudged file (ham flagged, spam or phish not) with its findings");
  eval->add_flag("--all", eo.all,
                 "with --misses, list every file, judged right or not (\"hit\" or \"miss\")");
  eval->add_option("--folds", eo.folds,
                   "cross-validate the classifier: K models, each file scored by one that never "
                   "saw it (K >= 2)")
      ->check(CLI::Range(2, 20));
  eval->add_option("--max-ham-flagged", eo.max_ham_flagged,
                   "exit 3 when more than this percent of ham is flagged");
  eval->add_option("--min-caught", eo.min_caught,
                   "exit 3 when less than this percent of spam or phish is flagged");

  auto* pol = app.add_subcommand("policy", "policy files");
  pol->require_subcommand(1);
  std::vector<std::string> check_dirs;
  auto* check = pol->add_subcommand("check", "validate policy files; non-zero exit on any error");
  check->add_option("-c,--config", config_path, "daemon config naming the policy directories");
  check->add_option("dirs", check_dirs, "policy directories to check instead");

  tools::SymbolsOptions sym_opts;
  auto* symbols = app.add_subcommand(
      "symbols", "every finding symbol with its score as the current policy sets it");
  symbols->add_option("-c,--config", sym_opts.config_path,
                      "daemon config naming the policy directories");
  symbols
      ->add_option("--policy-dir", sym_opts.policy_dirs,
                   "policy directory, replacing the config's (repeatable)")
      ->allow_extra_args(false);
  symbols->add_flag("--json", sym_opts.json, "a JSON array");
  symbols->add_flag("--markdown", sym_opts.markdown, "the README's table (built-in symbols)");

  std::string sandbox_config;
  auto* sandbox = app.add_subcommand("sandbox", "messages held for the external sandbox");
  sandbox->require_subcommand(1);
  auto* sandbox_list = sandbox->add_subcommand("list", "held messages and their files' verdicts");
  auto* sandbox_run =
      sandbox->add_subcommand("run", "one release pass now (the daemon does one every interval)");
  for (auto* c : {sandbox_list, sandbox_run})
    c->add_option("-c,--config", sandbox_config, "daemon config with the [sandbox] section");

  tools::StatusOptions status_opts;
  auto* status =
      app.add_subcommand("status", "what the running postern-milter counted (its metrics)");
  auto* status_cfg = status->add_option("-c,--config", status_opts.config_path,
                                        "daemon config with [metrics] listen");
  status->add_option("--url", status_opts.url, "the metrics URL (http://127.0.0.1:9187/metrics)");
  status->add_option("--top", status_opts.top, "findings shown (10)");

  auto quarantine = tools::add_quarantine_command(app);
  tools::SetupOptions setup_opts;
  auto* setup = app.add_subcommand("setup", "print or apply the MTA settings postern needs");
  setup->require_subcommand(1);
  auto* setup_pf = setup->add_subcommand(
      "postfix", "main.cf settings for the packaged socket; checks that Postfix reaches it");
  setup_pf->add_flag("--apply", setup_opts.apply,
                     "write the changed settings with postconf -e (no reload)");
  setup_pf->add_option("--config-dir", setup_opts.config_dir,
                       "Postfix config directory (postconf -c DIR)");
  setup_pf->add_option("--socket", setup_opts.socket,
                       "milter socket in Postfix syntax (default unix:postern/postern.sock)");
  auto* setup_sm =
      setup->add_subcommand("sendmail", "sendmail.mc lines: INPUT_MAIL_FILTER and the macros");
  setup_sm->add_option(
      "--socket", setup_opts.socket,
      "milter socket in Sendmail syntax (default local:/run/postern/postern.sock)");

  tools::TlsPolicyOptions tls_opts;
  auto* tls_policy = app.add_subcommand(
      "tls-policy", "the Postfix TLS policy table from [tls.outbound] and MTA-STS");
  tls_policy->require_subcommand(1);
  auto* tls_export = tls_policy->add_subcommand(
      "export", "write smtp_tls_policy_maps (texthash) from the policy and MTA-STS");
  auto* tls_cfg = tls_export->add_option("-c,--config", tls_opts.config,
                                         "daemon config (default /etc/postern/postern.toml)");
  tls_export->add_option("--policy-dir", tls_opts.policy_dirs,
                         "policy directory, replacing the config's (repeatable)");
  tls_export->add_option("-o,--output", tls_opts.output, "the table file (default: stdout)");
  tls_export->add_flag("--refresh", tls_opts.refresh,
                       "fetch every MTA-STS policy again, even when the cached one is current");
  tls_export->add_option("--ca-file", tls_opts.ca_file,
                         "PEM CA bundle for the HTTPS fetch ([tls.outbound] ca_file)");
  tls_export->add_option("--port", tls_opts.port,
                         "the HTTPS port of the policy hosts (default 443; for tests)");

  tools::TrainOptions train_opts;
  auto* train = app.add_subcommand("train", "train the classifier's model from message folders");
  train->add_option("--ham", train_opts.ham, "folder of ham messages (repeatable)")
      ->allow_extra_args(false);
  train->add_option("--spam", train_opts.spam, "folder of spam messages (repeatable)")
      ->allow_extra_args(false);
  train
      ->add_option("--phish", train_opts.phish,
                   "folder of phishing messages (repeatable; counts as spam)")
      ->allow_extra_args(false);
  train->add_option("--out", train_opts.out, "model file to write");
  train->add_option("--method", train_opts.method, "logistic (default) or bayes");
  train->add_option("--bits", train_opts.bits, "feature table of 2^BITS entries (10..22, 18)");
  train->add_option("--epochs", train_opts.epochs, "passes over the data (logistic; default 100)");
  train
      ->add_option("--min-df", train_opts.min_df,
                   "features in fewer training messages keep weight 0 (logistic; default 5, at "
                   "most one per 400 messages)")
      ->check(CLI::Range(1, 1000000));
  train
      ->add_option("--ham-weight", train_opts.ham_weight,
                   "how much more a ham message weighs than a spam one once the classes are "
                   "balanced (logistic; default 4: a ham scored high is the costlier error)")
      ->check(CLI::Range(0.1, 100.0));
  train->add_option("--cv", train_opts.cv, "print K-fold cross-validation figures per folder");
  train->add_option("--cut", train_opts.cut,
                    "probability counted as flagged in the CV figures (default 0.925)");

  tools::LearnOptions learn_opts;
  learn_opts.model = content::kLearnedModelPath;
  learn_opts.base = content::kShippedModelPath;
  auto* learn = app.add_subcommand("learn", "update the classifier's model with one message");
  auto* learn_ham = learn->add_option("--ham", learn_opts.ham, "a message that is ham");
  auto* learn_spam = learn->add_option("--spam", learn_opts.spam, "a message that is spam");
  learn_ham->excludes(learn_spam);
  learn->add_option("--model", learn_opts.model,
                    "model to update (default /var/lib/postern/classifier.model, first copied "
                    "from /usr/share/postern/classifier.model)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (scan->parsed()) {
    so.config_explicit = cfg_opt->count() > 0;
    if (!so.config_explicit) so.config_path = policy::kDefaultConfigPath;
    so.from_given = from_opt->count() > 0;
    return tools::run_scan(so);
  }
  if (eval->parsed()) {
    eo.scan.config_explicit = eval_cfg->count() > 0;
    if (!eo.scan.config_explicit) eo.scan.config_path = policy::kDefaultConfigPath;
    return tools::run_eval(eo);
  }
  if (check->parsed()) return policy_check(config_path, check_dirs);
  if (train->parsed()) {
    if (train_opts.out.empty() && train_opts.cv < 2) {
      fmt::print(stderr, "train: give --out MODEL, --cv K, or both\n");
      return 1;
    }
    return tools::run_train(train_opts);
  }
  if (learn->parsed()) {
    if (learn->get_option("--model")->count() > 0) learn_opts.base = learn_opts.model;
    return tools::run_learn(learn_opts);
  }
  if (symbols->parsed()) return tools::run_symbols(sym_opts);
  if (status->parsed()) {
    status_opts.config_explicit = status_cfg->count() > 0;
    if (!status_opts.config_explicit) status_opts.config_path = policy::kDefaultConfigPath;
    return tools::run_status(status_opts);
  }
  if (auto rc = quarantine()) return *rc;
  if (sandbox_list->parsed() || sandbox_run->parsed())
    return tools::run_sandbox(sandbox_config, sandbox_run->parsed());
  if (tls_export->parsed()) {
    tls_opts.config_explicit = tls_cfg->count() > 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return tools::run_tls_policy_export(tls_opts);
  }
  if (setup_pf->parsed() || setup_sm->parsed()) {
    setup_opts.mta = setup_pf->parsed() ? "postfix" : "sendmail";
    return tools::run_setup(setup_opts);
  }
  return 0;
}
