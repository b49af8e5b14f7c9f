// auth_bench: the sender-authentication stages alone, over a message set with
// local DNS data, on one core.
//
// Setup: every message of DIR (*.eml, e.g. the standard mix) gets the From
// address sender@bench.test and a DKIM signature (RSA 2048, relaxed/relaxed)
// made by postern's own signer; lib/dns answers from local data only: SPF
// (`v=spf1 ip4:192.0.2.0/24 -all`), DMARC (`p=reject`) and the DKIM key of
// bench.test. Each message is then checked from client 192.0.2.10 with
// MAIL FROM sender@bench.test. Rows, measured side by side in one run, each
// repeated for at least --seconds:
//   baseline  the snapshot pipeline without [dns] (limits, lists, header_sanity, mime)
//   full      the same pipeline with [dns]: plus helo, spf, dkim, arc, dmarc and the
//             Authentication-Results writer
//   auth      spf + dkim + arc + dmarc stages and the Authentication-Results writer alone
//   dkim-native, dkim-libopendkim
//             DKIM verification alone (DkimVerifier::verify), each verifier
// Prints messages/s and CPU-ms per message (this process, one thread) per row,
// and full/baseline as a ratio (of messages/s, and of CPU-ms). Every message must come out
// dkim=pass and dmarc=pass, or the run fails (exit 1): a benchmark of failures is no benchmark.
// usage: auth_bench [--seconds N] DIR
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "auth/arc_stage.hpp"
#include "auth/auth_results.hpp"
#include "auth/dkim.hpp"
#include "auth/dkim_stage.hpp"
#include "auth/dmarc.hpp"
#include "auth/dmarc_stage.hpp"
#include "auth/spf_stage.hpp"
#include "bench_common.hpp"
#include "core/message.hpp"
#include "dns/config.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"

namespace {

using namespace postern;
using Clock = std::chrono::steady_clock;
using bench::cpu_seconds;

// A fresh RSA 2048 key: the PEM private key and the DKIM p= value.
bool make_key(std::string& pem, std::string& p) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  if (!key) return false;
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  pem.assign(data, static_cast<size_t>(n));
  BIO_free(b);
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  std::string b64(4 * ((static_cast<size_t>(len) + 2) / 3) + 1, '\0');
  int out = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der, len);
  b64.resize(static_cast<size_t>(out));
  p = b64;
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  return true;
}

// The message with its From fields replaced by sender@bench.test, CRLF.
core::Message rebuild(const std::string& raw) {
  core::MessageBuilder b(64u << 20);
  b.add_header("From", "Bench Sender <sender@bench.test>");
  core::split_raw_message(
      raw,
      [&](std::string_view n, std::string_view v) {
        if (!core::iequals(n, "From")) b.add_header(n, v);
      },
      [&](std::string_view x) { b.add_body(x); });
  return b.finish();
}

struct Row {
  const char* name;
  double msgs_per_s = 0, cpu_ms = 0;
};

// Runs `one(i)` over the messages round-robin for at least `seconds`.
Row measure(const char* name, size_t n, double seconds, const std::function<void(size_t)>& one) {
  for (size_t i = 0; i < n; ++i) one(i);  // warm: caches, first lookups
  size_t done = 0;
  double c0 = cpu_seconds();
  auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (size_t i = 0; i < n; ++i) one(i);
    done += n;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  double cpu = cpu_seconds() - c0;
  return {name, static_cast<double>(done) / elapsed, 1000 * cpu / static_cast<double>(done)};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::stod(argv[++i]);
    else
      dir = a;
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: auth_bench [--seconds N] DIR\n");
    return 2;
  }
  std::vector<bench::LoadedMessage> loaded;
  std::string err;
  if (!bench::load_messages(dir, loaded, err)) {
    std::fprintf(stderr, "auth_bench: %s\n", err.c_str());
    return 2;
  }

  // Key, signer, local DNS data.
  std::string pem, p;
  if (!make_key(pem, p)) return 2;
  auto tmp = std::filesystem::temp_directory_path() / ("auth_bench." + std::to_string(getpid()));
  std::filesystem::create_directories(tmp);
  std::string key_file = (tmp / "s1.pem").string();
  std::ofstream(key_file) << pem;
  auto lib = auth::DkimVerifier::create({});  // the default: native
  if (!lib) return 2;
  auto signer = auth::DkimSigner::create(
      {{"bench.test", "s1", auth::DkimAlgorithm::RsaSha256, key_file, false}});
  std::filesystem::remove_all(tmp);
  if (!signer) {
    std::fprintf(stderr, "auth_bench: %s\n", signer.error().c_str());
    return 2;
  }
  std::string txt = "v=DKIM1; k=rsa; p=" + p, chunked;
  for (size_t i = 0; i < txt.size(); i += 200) chunked += "\"" + txt.substr(i, 200) + "\" ";
  dns::Options o;
  o.forwarders = {"127.0.0.1@9"};  // never asked: the zone is static
  o.local_data = {"local-zone: \"bench.test.\" static",
                  "bench.test. 3600 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
                  "_dmarc.bench.test. 3600 IN TXT \"v=DMARC1; p=reject\"",
                  "s1._domainkey.bench.test. 3600 IN TXT " + chunked};
  auto resolver = dns::Resolver::create(o);
  if (!resolver) {
    std::fprintf(stderr, "auth_bench: %s\n", resolver.error().c_str());
    return 2;
  }

  std::vector<core::Message> msgs;
  std::vector<std::string> raws;  // signed, for the session rows
  size_t bytes = 0;
  for (const auto& l : loaded) {
    core::Message m = rebuild(l.raw);
    auto s = (*signer)->sign(m, "bench.test");
    if (s.signatures.size() != 1) {
      std::fprintf(stderr, "auth_bench: %s: not signed\n", l.name.c_str());
      return 2;
    }
    std::string raw = "DKIM-Signature: " + s.signatures[0].value + "\r\n" + m.raw();
    bytes += raw.size();
    msgs.emplace_back(raw);
    raws.push_back(std::move(raw));
  }
  loaded.clear();

  // The auth stages alone, as the snapshot orders them.
  std::vector<std::unique_ptr<core::Stage>> stages;
  stages.push_back(std::make_unique<auth::SpfStage>(*resolver, 50, auth::SpfOptions{}));
  stages.push_back(std::make_unique<auth::DkimStage>(*lib, *resolver, 50));
  stages.push_back(std::make_unique<auth::ArcStage>(*resolver, 50, auth::ArcVerifyOptions{}));
  stages.push_back(std::make_unique<auth::DmarcStage>(*resolver, std::vector<std::string>{}));
  core::Pipeline auth_only(std::move(stages), core::Action::Tempfail);
  auth::AuthResultsFinisher ar("mx.bench.test");
  core::ConnectionInfo conn;
  conn.client_address = "192.0.2.10";
  conn.helo = "mx.bench.test";
  size_t failures = 0;
  std::map<std::string, double> stage_ms;  // wall ms per stage, summed over the auth row
  size_t auth_runs = 0;
  auto run_auth = [&](size_t i) {
    core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "bench");
    tx.envelope().mail_from = "sender@bench.test";
    auth_only.run(core::Event::MailFrom, tx);
    tx.set_message(msgs[i]);
    auth_only.run(core::Event::Message, tx);
    core::Outcome out;
    ar.finish(tx, *tx.message(), out);
    for (const auto& st : tx.stage_times()) stage_ms[st.name] += st.ms;
    ++auth_runs;
    const auto* d = tx.get<auth::DmarcResult>();
    const auto* k = tx.get<auth::DkimResults>();
    if (!d || d->result != auth::DmarcStatus::Pass || !k || k->signatures.size() != 1 ||
        k->signatures[0].result != auth::DkimStatus::Pass)
      ++failures;
  };

  // Whole sessions, without and with [dns].
  policy::Config base_cfg;
  base_cfg.limits.message_size = 64u << 20;
  policy::Config dns_cfg = base_cfg;
  dns_cfg.set_section("dns", dns::Config{});
  dns_cfg.authserv_id = "mx.bench.test";
  auto base = scan::make_snapshot(base_cfg, policy::Policy{});
  // The full pipeline on the bench's resolver (its local zone) and the registry's other services.
  auto services =
      std::make_shared<core::ServiceSet>(*scan::Services().prepare(dns_cfg, policy::Policy{}).set);
  services->put("dns.resolver", *resolver);
  auto full = scan::make_snapshot(dns_cfg, policy::Policy{}, services);
  auto run_session = [&](const scan::SnapshotPtr& snap, size_t i) {
    scan::Session s([&] { return snap; }, nullptr);
    s.connection().client_address = "192.0.2.10";
    s.connect();
    s.helo("mx.bench.test");
    s.mail_from("<sender@bench.test>");
    s.rcpt("<bob@example.com>");
    core::split_raw_message(
        raws[i], [&](std::string_view n, std::string_view v) { s.header(n, v); },
        [&](std::string_view x) { s.body(x); });
    s.end_of_message("Q");
  };

  std::vector<Row> rows;
  rows.push_back(
      measure("baseline", msgs.size(), seconds, [&](size_t i) { run_session(base, i); }));
  rows.push_back(measure("full", msgs.size(), seconds, [&](size_t i) { run_session(full, i); }));
  failures = 0;
  stage_ms.clear();
  auth_runs = 0;
  rows.push_back(measure("auth", msgs.size(), seconds, run_auth));
  // DKIM verification alone, with each verifier.
  for (auto [name, kind] : {std::pair{"dkim-native", auth::DkimVerifierKind::Native},
                            std::pair{"dkim-libopendkim", auth::DkimVerifierKind::LibOpenDkim}}) {
    auth::DkimOptions vo;
    vo.verifier = kind;
    auto v = auth::DkimVerifier::create(vo);
    if (!v) return 2;
    rows.push_back(measure(name, msgs.size(), seconds, [&](size_t i) {
      dns::Budget budget(*resolver, 50);
      auto r = (*v)->verify(msgs[i], budget);
      if (r.results.signatures.size() != 1 ||
          r.results.signatures[0].result != auth::DkimStatus::Pass)
        ++failures;
    }));
  }
  std::printf("auth_bench: %zu messages (%.1f MB), each DKIM-signed (RSA 2048) for bench.test\n",
              msgs.size(), static_cast<double>(bytes) / 1e6);
  std::printf("%-16s %12s %12s\n", "row", "msg/s", "CPU-ms/msg");
  for (const auto& r : rows) std::printf("%-16s %12.0f %12.3f\n", r.name, r.msgs_per_s, r.cpu_ms);
  std::printf(
      "full/baseline throughput ratio: %.2f (CPU-ms baseline/full: %.2f); auth stages alone: "
      "%.3f CPU-ms/msg\n",
      rows[1].msgs_per_s / rows[0].msgs_per_s, rows[0].cpu_ms / rows[1].cpu_ms, rows[2].cpu_ms);
  std::printf("DKIM verification alone: native %.3f, libopendkim %.3f CPU-ms/msg\n", rows[3].cpu_ms,
              rows[4].cpu_ms);
  std::printf("auth stages, wall ms per message:");
  for (const auto& [name, ms] : stage_ms)
    std::printf(" %s %.3f", name.c_str(), ms / static_cast<double>(auth_runs));
  std::printf("\n");
  if (failures) {
    std::fprintf(stderr, "auth_bench: %zu checks did not pass dkim and dmarc\n", failures);
    return 1;
  }
  return 0;
}
