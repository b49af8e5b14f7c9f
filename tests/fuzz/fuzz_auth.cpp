// Fuzz harness: the sender-authentication code on arbitrary messages. DKIM
// verification (libopendkim), ARC chain validation, the DMARC record parser,
// the From-domain extraction and the Authentication-Results forgery check all
// read attacker bytes. DNS answers come from local data only ("." is a static
// zone: every key lookup is NXDOMAIN at once), so no network is touched.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/arc.hpp"
#include "auth/auth_results.hpp"
#include "auth/dkim.hpp"
#include "auth/dmarc.hpp"
#include "auth/dmarc_stage.hpp"
#include "core/message.hpp"
#include "mime/address.hpp"

namespace {
struct Env {
  std::shared_ptr<postern::dns::Resolver> resolver;
  std::shared_ptr<const postern::auth::DkimVerifier> dkim;
  Env() {
    postern::dns::Options o;
    o.forwarders = {"127.0.0.1@9"};
    o.local_data = {"local-zone: \".\" static"};
    resolver = *postern::dns::Resolver::create(o);
    dkim = *postern::auth::DkimVerifier::create({});
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Env env;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  postern::core::Message m{postern::core::to_crlf(in)};
  postern::dns::Budget budget(env.resolver, 20);
  (void)env.dkim->verify(m, budget);
  (void)postern::auth::verify_arc(m, budget);
  for (const auto& d : postern::mime::author(m).domains)
    (void)postern::auth::PublicSuffix::instance().org_domain(d);
  for (const auto& h : m.headers()) {
    (void)postern::auth::parse_dmarc_record(h.value);
    (void)postern::auth::is_our_authentication_results(h.value, "mx.example");
  }
  (void)postern::auth::parse_dmarc_record(in);
  return 0;
}
