// SPF check: libspf2 with a DNS layer over lib/dns (see spf.hpp for the contract).
#include "auth/spf.hpp"

// libspf2's headers need these first and have no extern "C" guards.
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
extern "C" {
#include <spf2/spf.h>
}

#include <cstring>
#include <memory>

namespace postern::auth {
namespace {

struct ServerDeleter {
  void operator()(SPF_server_t* s) const { SPF_server_free(s); }
};
struct RequestDeleter {
  void operator()(SPF_request_t* r) const { SPF_request_free(r); }
};
struct ResponseDeleter {
  void operator()(SPF_response_t* r) const { SPF_response_free(r); }
};
using ServerPtr = std::unique_ptr<SPF_server_t, ServerDeleter>;
using RequestPtr = std::unique_ptr<SPF_request_t, RequestDeleter>;
using ResponsePtr = std::unique_ptr<SPF_response_t, ResponseDeleter>;

// The explanation of a fail when the domain gives none (exp=); SPF macros.
constexpr const char* kDefaultExplanation =
    "%{i}%_is%_not%_a%_permitted%_sender%_for%_%{d}%_(SPF)";  // %_ = space

// What the DNS layer of one check knows; hung on SPF_dns_server_t::hook.
struct LayerState {
  dns::Budget* budget = nullptr;
  int max_void = 2;
  int voids = 0;
  bool void_limit_hit = false;
  bool mx_limit_hit = false;  // an MX answer with more than 10 names
  bool dns_failed = false;    // a timeout, servfail or spent budget was answered TRY_AGAIN
  std::string dns_detail;
};

// The SPF_dns_server_t lookup function: asks lib/dns and converts the answer.
SPF_dns_rr_t* layer_lookup(SPF_dns_server_t* server, const char* domain, ns_type rr_type,
                           int /*should_cache*/) {
  auto* st = static_cast<LayerState*>(server->hook);
  dns::Type type;
  switch (rr_type) {
    case ns_t_a:
      type = dns::Type::A;
      break;
    case ns_t_aaaa:
      type = dns::Type::AAAA;
      break;
    case ns_t_txt:
      type = dns::Type::TXT;
      break;
    case ns_t_mx:
      type = dns::Type::MX;
      break;
    case ns_t_ptr:
      type = dns::Type::PTR;
      break;
    default:
      return SPF_dns_rr_new_init(server, domain, rr_type, 0,
                                 NO_DATA);  // type SPF (99): RFC 7208 dropped it
  }
  if (st->void_limit_hit) return SPF_dns_rr_new_init(server, domain, rr_type, 0, TRY_AGAIN);
  dns::Answer a;
  try {
    a = st->budget->query(domain ? domain : "", type).get();
  } catch (...) {
    a.status = dns::Status::Error;
    a.detail = "resolver failure";
  }
  int herrno = NETDB_SUCCESS;
  switch (a.status) {
    case dns::Status::Ok:
      break;
    case dns::Status::NoData:
      herrno = NO_DATA;
      break;
    case dns::Status::NxDomain:
      herrno = HOST_NOT_FOUND;
      break;
    case dns::Status::Error:
      // a name the resolver refuses to ask (empty, too long, bad label) does not exist;
      // anything else is transient
      if (a.detail == "invalid name" || a.detail == "syntax error") {
        herrno = HOST_NOT_FOUND;
        break;
      }
      [[fallthrough]];
    case dns::Status::ServFail:
    case dns::Status::Timeout:
    case dns::Status::Budget:
      herrno = TRY_AGAIN;
      st->dns_failed = true;
      if (st->dns_detail.empty())
        st->dns_detail = std::string(dns::to_string(a.status)) + " for " + (domain ? domain : "") +
                         (a.detail.empty() ? "" : " (" + a.detail + ")");
      break;
  }
  // Void lookups (RFC 7208 4.6.4) are counted for A, AAAA, MX and PTR only: a void TXT
  // lookup is the checked domain itself (none), an include or redirect target (permerror
  // anyway) or the exp= domain (which must not change the result).
  if ((herrno == NO_DATA || herrno == HOST_NOT_FOUND) && rr_type != ns_t_txt) {
    if (++st->voids > st->max_void) st->void_limit_hit = true;
  }
  if (herrno == NETDB_SUCCESS && rr_type == ns_t_mx && a.records.size() > 10)
    st->mx_limit_hit = true;
  SPF_dns_rr_t* rr = SPF_dns_rr_new_init(server, domain, rr_type, static_cast<int>(a.ttl), herrno);
  if (!rr || herrno != NETDB_SUCCESS) return rr;
  int n = 0;
  for (const auto& rec : a.records) {
    if (rr_type == ns_t_ptr && n == 10) break;  // RFC 7208 4.6.4: the first 10 PTR names only
    if (rr_type == ns_t_a) {
      in_addr v4{};
      if (inet_pton(AF_INET, rec.c_str(), &v4) != 1) continue;
      if (SPF_dns_rr_buf_realloc(rr, n, sizeof v4) != SPF_E_SUCCESS) break;
      rr->rr[n]->a = v4;
    } else if (rr_type == ns_t_aaaa) {
      in6_addr v6{};
      if (inet_pton(AF_INET6, rec.c_str(), &v6) != 1) continue;
      if (SPF_dns_rr_buf_realloc(rr, n, sizeof v6) != SPF_E_SUCCESS) break;
      rr->rr[n]->aaaa = v6;
    } else {
      std::string text = rec;
      if (rr_type == ns_t_mx) {  // "PREF host" -> host
        size_t sp = text.find(' ');
        text = sp == std::string::npos ? std::string() : text.substr(sp + 1);
      }
      if (text.find('\0') != std::string::npos) continue;
      if (SPF_dns_rr_buf_realloc(rr, n, text.size() + 1) != SPF_E_SUCCESS) break;
      std::memcpy(rr->rr[n]->txt, text.c_str(), text.size() + 1);
    }
    ++n;
  }
  rr->num_rr = n;
  if (n == 0) rr->herrno = NO_DATA;
  return rr;
}

SpfStatus map_result(SPF_result_t r) {
  switch (r) {
    case SPF_RESULT_NEUTRAL:
      return SpfStatus::Neutral;
    case SPF_RESULT_PASS:
      return SpfStatus::Pass;
    case SPF_RESULT_FAIL:
      return SpfStatus::Fail;
    case SPF_RESULT_SOFTFAIL:
      return SpfStatus::SoftFail;
    case SPF_RESULT_NONE:
      return SpfStatus::None;
    case SPF_RESULT_TEMPERROR:
      return SpfStatus::TempError;
    case SPF_RESULT_PERMERROR:
      return SpfStatus::PermError;
    case SPF_RESULT_INVALID:
      break;
  }
  return SpfStatus::PermError;
}

// True when libspf2 reported a record error other than "no record" or DNS trouble. libspf2
// only warns about a domain-spec without a valid top label or that is an IP address;
// RFC 7208 7.1 makes both syntax errors.
bool record_error(SPF_response_t* resp) {
  if (!resp) return false;
  int n = SPF_response_messages(resp);
  for (int i = 0; i < n; ++i) {
    SPF_error_t* e = SPF_response_message(resp, i);
    if (!e) continue;
    SPF_errcode_t c = SPF_error_code(e);
    if (!SPF_error_errorp(e) && c != SPF_E_BAD_HOST_TLD && c != SPF_E_BAD_HOST_IP) continue;
    if (c != SPF_E_NOT_SPF && c != SPF_E_DNS_ERROR) return true;
  }
  return false;
}

bool is_loopback(std::string_view ip, bool& valid) {
  std::string s(ip);
  in_addr v4{};
  in6_addr v6{};
  valid = true;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) return v6.s6_addr[12] == 127;
    return false;
  }
  valid = false;
  return false;
}

}  // namespace

std::string_view to_string(SpfStatus s) {
  switch (s) {
    case SpfStatus::None:
      return "none";
    case SpfStatus::Neutral:
      return "neutral";
    case SpfStatus::Pass:
      return "pass";
    case SpfStatus::Fail:
      return "fail";
    case SpfStatus::SoftFail:
      return "softfail";
    case SpfStatus::TempError:
      return "temperror";
    case SpfStatus::PermError:
      return "permerror";
  }
  return "none";
}

SpfResult check_spf(SpfIdentity identity, std::string_view client_ip, std::string_view helo,
                    std::string_view mail_from, dns::Budget& budget, const SpfOptions& options) {
  SpfResult out;
  if (mail_from.empty()) identity = SpfIdentity::Helo;  // RFC 7208 2.4
  out.identity = identity;
  std::string sender =
      identity == SpfIdentity::Helo ? "postmaster@" + std::string(helo) : std::string(mail_from);
  size_t at = sender.rfind('@');
  out.domain = at == std::string::npos ? sender : sender.substr(at + 1);
  out.sender = sender;

  bool valid = false;
  if (is_loopback(client_ip, valid) || !valid) {
    out.detail = valid ? "loopback client: not checked" : "no usable client address: not checked";
    out.skipped = true;
    return out;
  }

  LayerState st;
  st.budget = &budget;
  st.max_void = options.max_void_lookups;
  SPF_dns_server_t layer{};
  layer.destroy = nullptr;  // ours (on this stack frame), never freed by libspf2
  layer.lookup = &layer_lookup;
  layer.name = "postern-dns";
  layer.hook = &st;

  ServerPtr server(SPF_server_new_dns(&layer, 0));
  if (!server) {
    out.result = SpfStatus::TempError;
    out.detail = "cannot create the libspf2 server";
    return out;
  }
  SPF_server_set_rec_dom(server.get(), options.receiver.c_str());
  {  // libspf2's default explanation points at the defunct openspf.org
    SPF_response_t* exp_resp = nullptr;
    SPF_server_set_explanation(server.get(), kDefaultExplanation, &exp_resp);
    if (exp_resp) SPF_response_free(exp_resp);
  }
  SPF_server_set_max_dns_mech(server.get(), options.max_dns_mech);
  SPF_server_set_max_dns_mx(server.get(), options.max_dns_mech);
  SPF_server_set_max_dns_ptr(server.get(), options.max_dns_mech);

  RequestPtr req(SPF_request_new(server.get()));
  std::string ip(client_ip);
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) {
    SPF_request_set_ipv4(req.get(), v4);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1 && IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4.s_addr, &v6.s6_addr[12],
                4);  // RFC 7208 5: an IPv4-mapped client is an IPv4 client
    SPF_request_set_ipv4(req.get(), v4);
  } else {
    SPF_request_set_ipv6(req.get(), v6);
  }
  std::string helo_s(helo);
  if (!helo_s.empty()) SPF_request_set_helo_dom(req.get(), helo_s.c_str());
  if (SPF_request_set_env_from(req.get(), sender.c_str()) != 0) {
    out.result = SpfStatus::None;
    out.detail = "no usable domain in " + sender;
    return out;
  }

  SPF_response_t* raw = nullptr;
  SPF_errcode_t err = SPF_request_query_mailfrom(req.get(), &raw);
  ResponsePtr resp(raw);
  SPF_result_t r = resp ? SPF_response_result(resp.get()) : SPF_RESULT_INVALID;
  out.result = map_result(r);
  if (r == SPF_RESULT_INVALID || r == SPF_RESULT_TEMPERROR || r == SPF_RESULT_PERMERROR) {
    // libspf2 says "invalid" for DNS trouble and broken records alike
    if (st.void_limit_hit || st.mx_limit_hit)
      out.result = SpfStatus::PermError;
    else if (st.dns_failed || err == SPF_E_DNS_ERROR)
      out.result = SpfStatus::TempError;
    else
      out.result = SpfStatus::PermError;
  } else if (record_error(resp.get()) && r != SPF_RESULT_NONE && !st.dns_failed) {
    // libspf2 keeps evaluating the part of a record it could compile; RFC 7208 4.6:
    // a syntax error anywhere in the record is a permerror
    out.result = SpfStatus::PermError;
  } else if ((st.void_limit_hit || st.mx_limit_hit) && r != SPF_RESULT_NONE) {
    out.result =
        SpfStatus::PermError;  // RFC 7208 4.6.4: more than two void lookups, or 10 MX names
  } else if (st.dns_failed && r == SPF_RESULT_NONE) {
    out.result = SpfStatus::TempError;  // the record could not be fetched
  }
  if (st.void_limit_hit)
    out.detail = "more than " + std::to_string(options.max_void_lookups) + " void DNS lookups";
  else if (st.mx_limit_hit)
    out.detail = "an mx mechanism found more than 10 MX names";
  else if (st.dns_failed)
    out.detail = st.dns_detail;
  else if (err != SPF_E_SUCCESS)
    out.detail = SPF_strerror(err);
  if (resp) {
    // the first error libspf2 reported, else its first warning
    for (int pass = 0; pass < 2 && out.detail.empty(); ++pass)
      for (int i = 0; i < SPF_response_messages(resp.get()) && out.detail.empty(); ++i) {
        SPF_error_t* e = SPF_response_message(resp.get(), i);
        if (e && (pass == 1 || SPF_error_errorp(e)) && SPF_error_message(e))
          out.detail = SPF_error_message(e);
      }
    if (out.result == SpfStatus::Fail)
      if (const char* e = SPF_response_get_explanation(resp.get())) out.explanation = e;
    if (out.result == map_result(r))
      if (const char* v = SPF_response_get_received_spf_value(resp.get())) out.received_spf = v;
  }
  return out;
}

}  // namespace postern::auth
