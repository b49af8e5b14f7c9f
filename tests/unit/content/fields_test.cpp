// Tests for content/fields.hpp: the message's fields as rules and heuristics read them.
#include "content/fields.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mime/stage.hpp"
#include "url/stage.hpp"

using namespace postern;

namespace {

std::vector<std::string> texts(const std::vector<content::Value>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.emplace_back(x.text);
  return out;
}

}  // namespace

TEST_CASE("url_host takes the host a browser goes to", "[fields]") {
  struct Row {
    std::string url, host;
  };
  const std::vector<Row> rows = {
      {"https://Example.COM/path", "example.com"},
      {"http://paypal.com@evil.example/login", "evil.example"},
      {"http://user:pw@evil.example:8080/", "evil.example"},
      {"https://a@b@c.example/", "c.example"},
      {"http:\\\\evil.example\\x", "evil.example"},
      {"https://[2001:db8::1]:443/x", "[2001:db8::1]"},
      {"https://example.com./", "example.com"},
      {"https://example.com?q=1", "example.com"},
      {"www.Example.org/page", "www.example.org"},
      {"mailto:bob@example.com", ""},
      {"data:text/html,hi", ""},
      {"cid:part1", ""},
      {"/relative/link", ""},
      {"http:/one-slash.example", ""},
      {"", ""},
  };
  for (const auto& r : rows) {
    INFO(r.url);
    CHECK(content::url_host(r.url) == r.host);
  }
}

TEST_CASE("fields of a message: headers, body parts, links, attachments", "[fields]") {
  const std::string raw =
      "From: =?utf-8?q?PayPal_Service?= <service@paypa1.example>\r\n"
      "Reply-To: Help <help@freemail.example>\r\n"
      "Subject: =?utf-8?q?Your_account_is_l=C3=B6cked?=\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
      "--c\r\nContent-Type: text/plain\r\n\r\nVisit https://plain.example/x now\r\n"
      "--c\r\nContent-Type: text/html\r\n\r\n"
      "<p>Click <a href=\"https://User@Login.Evil.example:8443/a\">here</a></p>\r\n"
      "--c--\r\n"
      "--b\r\nContent-Type: text/html; name=invoice.html\r\n"
      "Content-Disposition: attachment; filename=invoice.html\r\n\r\n<form></form>\r\n"
      "--b--\r\n";
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(raw));
  REQUIRE(mime::MimeStage().on_message(tx).kind == core::Step::Kind::Continue);
  const content::Fields& f = content::fields(tx);
  CHECK(&f == &content::fields(tx));  // built once
  CHECK(texts(f.subject) == std::vector<std::string>{"Your account is l\xC3\xB6"
                                                     "cked"});
  CHECK(texts(f.from_display) == std::vector<std::string>{"PayPal Service"});
  CHECK(texts(f.from_address) == std::vector<std::string>{"service@paypa1.example"});
  CHECK(texts(f.reply_to) == std::vector<std::string>{"help@freemail.example"});
  REQUIRE(f.body_text.size() == 2);
  CHECK(f.body_text[0].text.find("plain.example") != std::string_view::npos);
  CHECK(f.body_text[1].text.find("Click here") != std::string_view::npos);
  CHECK(f.body_text[1].part == "1.1.2");
  REQUIRE(f.body_html.size() == 1);
  CHECK(f.body_html[0].text.find("<a href") != std::string_view::npos);
  CHECK(texts(f.url_host) == std::vector<std::string>{"plain.example", "login.evil.example"});
  CHECK(texts(f.attachment_name) == std::vector<std::string>{"invoice.html"});
  CHECK(texts(f.attachment_type) == std::vector<std::string>{"text/html"});
  CHECK(f.raw.text.size() == raw.size());
  CHECK(f.by_name("url.host") == &f.url_host);
  CHECK(f.by_name("header:Subject") == nullptr);
}

TEST_CASE("url and url.host are the url stage's reading: unwrapped, normalized, once each",
          "[fields]") {
  const std::string raw =
      "From: a@b.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/html\r\n\r\n"
      "<a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2FKit.Example"
      "%2Fp%2F..%2Flogin&amp;data=1\">wrapped</a> <a href=\"mailto:x@y.example\">m</a>"
      "<a href=\"https://p&#x430;ypal.example/\">idn</a> <a "
      "href=\"HTTPS://kit.example/login\">x</a>"
      "<base href=\"https://base.example/d/\"><a href=\"rel\">r</a>\r\n";
  struct Row {
    bool url_stage;
    std::vector<std::string> url, host;
  };
  const Row rows[] = {
      {true,
       {"https://kit.example/login", "https://xn--pypal-4ve.example/", "https://base.example/d/",
        "https://base.example/d/rel"},
       {"kit.example", "xn--pypal-4ve.example", "base.example", "base.example"}},
      // Without a url stage in the pipeline: the links as written.
      {false,
       {"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2FKit.Example%2Fp%2F..%"
        "2Flogin&data=1",
        "mailto:x@y.example", "https://p\xd0\xb0ypal.example/", "HTTPS://kit.example/login",
        "https://base.example/d/", "rel"},
       {"eur01.safelinks.protection.outlook.com", "p\xd0\xb0ypal.example", "kit.example",
        "base.example"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.url_stage);
    core::ConnectionInfo conn;
    core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
    tx.set_message(core::Message(raw));
    REQUIRE(mime::MimeStage().on_message(tx).kind == core::Step::Kind::Continue);
    if (r.url_stage) url::UrlStage(url::UrlPolicy{}, nullptr).on_message(tx);
    const content::Fields& f = content::fields(tx);
    CHECK(texts(f.url) == r.url);
    CHECK(texts(f.url_host) == r.host);
  }
}

TEST_CASE("fields without a MIME analysis have headers only", "[fields]") {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message("From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n"));
  const content::Fields& f = content::fields(tx);
  CHECK(texts(f.subject) == std::vector<std::string>{"hi"});
  CHECK(f.body_text.empty());
}

TEST_CASE("from.address holds the author domains other readings see", "[fields]") {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(
      "From: a@evil.test\r\nSubject: hello\rFrom: Bank <victim@bank.test>\r\n\r\nbody\r\n"));
  CHECK(texts(content::fields(tx).from_address) ==
        std::vector<std::string>{"a@evil.test", "@bank.test"});
}
