// mta_settings: merging postern's milter and macros into an admin's Postfix
// settings keeps everything that was there.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "tools/mta_settings.hpp"

using namespace postern::tools;

TEST_CASE("split_list treats commas and white space alike and keeps { } groups whole") {
  struct {
    std::string in;
    std::vector<std::string> want;
  } cases[] = {
      {"", {}},
      {"a, b c,,d", {"a", "b", "c", "d"}},
      {"{ inet:localhost:8891, connect_timeout=10s }, unix:x",
       {"{ inet:localhost:8891, connect_timeout=10s }", "unix:x"}},
      {"j {daemon_name}\n v", {"j", "{daemon_name}", "v"}},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    CHECK(split_list(c.in) == c.want);
  }
}

TEST_CASE("merge_milters puts postern first and keeps every other milter") {
  struct {
    std::string current, want;
  } cases[] = {
      {"", "unix:postern/postern.sock"},
      {"   ", "unix:postern/postern.sock"},
      {"inet:localhost:8891", "unix:postern/postern.sock, inet:localhost:8891"},
      {"unix:postern/postern.sock", "unix:postern/postern.sock"},
      {"inet:localhost:8891, unix:postern/postern.sock",
       "inet:localhost:8891, unix:postern/postern.sock"},
      {"{ unix:postern/postern.sock, default_action=accept }",
       "{ unix:postern/postern.sock, default_action=accept }"},
      {"unix:postern/postern.sock.old", "unix:postern/postern.sock, unix:postern/postern.sock.old"},
  };
  for (const auto& c : cases) {
    INFO(c.current);
    CHECK(merge_milters(c.current, kPostfixSocket) == c.want);
  }
}

TEST_CASE("merge_macros adds the missing macros and keeps the admin's") {
  CHECK(merge_macros("", "i {auth_type}") == "i {auth_type}");
  CHECK(merge_macros("j {daemon_name} {daemon_addr} v _", "j {daemon_name}") ==
        "j {daemon_name} {daemon_addr} v _");
  CHECK(merge_macros("i {mail_addr}", "i {auth_type} {auth_authen}") ==
        "i {mail_addr} {auth_type} {auth_authen}");
}

TEST_CASE(
    "postfix_settings on Postfix's defaults sets the milters, tempfail, protocol 6 and {verify}") {
  std::map<std::string, std::string> current = {
      {"smtpd_milters", ""},
      {"non_smtpd_milters", ""},
      {"milter_default_action", "tempfail"},
      {"milter_protocol", "6"},
      {"milter_connect_macros", "j {daemon_name} {daemon_addr} v _"},
      {"milter_helo_macros", "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}"},
      {"milter_mail_macros",
       "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}"},
      {"milter_end_of_data_macros", "i"},
  };
  auto s = postfix_settings(current, kPostfixSocket);
  REQUIRE(s.size() == postfix_parameters().size());
  std::map<std::string, std::pair<std::string, bool>> got;
  for (const auto& x : s) got[x.name] = {x.value, x.changed};
  CHECK(got["smtpd_milters"] == std::pair<std::string, bool>{"unix:postern/postern.sock", true});
  CHECK(got["non_smtpd_milters"] == std::pair<std::string, bool>{"$smtpd_milters", true});
  CHECK_FALSE(got["milter_default_action"].second);
  CHECK_FALSE(got["milter_protocol"].second);
  CHECK_FALSE(got["milter_connect_macros"].second);
  CHECK_FALSE(got["milter_mail_macros"].second);
  CHECK_FALSE(got["milter_end_of_data_macros"].second);
  // Postfix's default HELO list lacks {verify} (a verified client certificate, for lib/tls).
  CHECK(got["milter_helo_macros"] ==
        std::pair<std::string, bool>{
            "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} {verify}", true});
}

TEST_CASE("postfix_settings repairs an admin's narrowed macros and accept default action") {
  std::map<std::string, std::string> current = {
      {"smtpd_milters", "inet:localhost:8891"}, {"non_smtpd_milters", "inet:localhost:8891"},
      {"milter_default_action", "accept"},      {"milter_protocol", "2"},
      {"milter_end_of_data_macros", ""},
  };
  std::map<std::string, std::string> got;
  for (const auto& x : postfix_settings(current, kPostfixSocket)) got[x.name] = x.value;
  CHECK(got["smtpd_milters"] == "unix:postern/postern.sock, inet:localhost:8891");
  CHECK(got["non_smtpd_milters"] == "unix:postern/postern.sock, inet:localhost:8891");
  CHECK(got["milter_default_action"] == "tempfail");
  CHECK(got["milter_protocol"] == "6");
  CHECK(got["milter_end_of_data_macros"] == "i");
  CHECK(got["milter_helo_macros"] ==
        "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} {verify}");
}

TEST_CASE("non_smtpd_milters that follows $smtpd_milters is left alone") {
  for (std::string v : {"$smtpd_milters", "${smtpd_milters}", "$(smtpd_milters)"}) {
    std::map<std::string, std::string> current = {{"non_smtpd_milters", v}};
    for (const auto& x : postfix_settings(current, kPostfixSocket))
      if (x.name == "non_smtpd_milters") {
        CHECK(x.value == v);
        CHECK_FALSE(x.changed);
      }
  }
}

TEST_CASE("sendmail_mc has the filter line and adds i to the end-of-message macros") {
  std::string mc = sendmail_mc(kSendmailSocket);
  CHECK(mc.find("INPUT_MAIL_FILTER(`postern', `S=local:/run/postern/postern.sock, F=T,") !=
        std::string::npos);
  CHECK(mc.find("define(`confMILTER_MACROS_EOM', `{msg_id}, i')dnl") != std::string::npos);
  CHECK(
      mc.find(
          "define(`confMILTER_MACROS_CONNECT', `j, _, {daemon_name}, {if_name}, {if_addr}')dnl") !=
      std::string::npos);
  CHECK(mc.find("define(`confMILTER_MACROS_ENVFROM', `i, {auth_type}, {auth_authen},") !=
        std::string::npos);
}

TEST_CASE("milter_header_checks gains the require_tls route table first and keeps the admin's") {
  struct Row {
    std::string current, want;
  };
  const std::string t(kRouteTable);
  const Row rows[] = {
      {"", t},
      {"pcre:/etc/postfix/mine.pcre", t + ", pcre:/etc/postfix/mine.pcre"},
      {t + ", pcre:/etc/postfix/mine.pcre", t + ", pcre:/etc/postfix/mine.pcre"},
      {"pcre:/a, " + t, "pcre:/a, " + t},
  };
  for (const auto& row : rows) {
    INFO(row.current);
    std::map<std::string, std::string> got;
    for (const auto& x : postfix_settings({{"milter_header_checks", row.current}}, kPostfixSocket))
      got[x.name] = x.value;
    CHECK(got["milter_header_checks"] == row.want);
  }
  // The table routes postern's field to the transport; the transport verifies TLS.
  CHECK_THAT(route_table(),
             Catch::Contains("/^X-Postern-Route:[[:space:]]*tls-required[[:space:]]*$/ "
                             "FILTER postern-tls:\n"));
  // With a relayhost, the route keeps it as the next hop.
  CHECK_THAT(route_table(" [smarthost.example]:587"),
             Catch::Contains("FILTER postern-tls:[smarthost.example]:587\n"));
  CHECK(route_service() == "postern-tls unix - - n - - smtp");
  std::map<std::string, std::string> params(route_service_params().begin(),
                                            route_service_params().end());
  CHECK(params["smtp_tls_security_level"] == "verify");
  CHECK(params["smtp_tls_policy_maps"].empty());
}
