// Tests for content/tokenizer.hpp: what is and is not a classifier token.
#include "content/tokenizer.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace postern;

namespace {

bool has(const std::vector<std::string>& v, const std::string& t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

bool any_with(const std::vector<std::string>& v, const std::string& part) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string& t) { return t.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("tokens come from subject, From, links, structure and visible text", "[tokenizer]") {
  const std::string raw =
      "From: PayPal Service <service@mail.paypa1.example.co.uk>\r\n"
      "Reply-To: help@freemail.example\r\n"
      "Subject: [Usrp-users] Re: Your account is LOCKED\r\n"
      "X-Mailer: Microsoft Outlook 16.0\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/html; charset=utf-8\r\n\r\n"
      "<p>Verify now at <a href=\"https://Login.Evil.example/a\">here</a> "
      "or call 0123456789.</p>\r\n";
  auto t = content::tokenize_message(raw);
  struct Row {
    std::string token;
    bool want;
  };
  const std::vector<Row> rows = {
      {"s:your", true},
      {"s:locked", true},              // lower case
      {"s:your_account", true},        // adjacent pairs
      {"s:usrp-users", false},         // the list tag is cut
      {"s:re", false},                 // and the reply prefix
      {"n:paypal", true},              // display name words
      {"fd:example.co.uk", true},      // registrable domain of From
      {"rd:freemail.example", true},   // of Reply-To
      {"rt:differs", true},            // and that they differ
      {"xm:microsoft", true},          // mail program family
      {"ct:text/html", true},          // top content type
      {"mime:html_only", true},        //
      {"h:login.evil.example", true},  // link host, lower case
      {"d:evil.example", true},        // and its registrable domain
      {"tld:example", true},           //
      {"urls:1", true},                // link count bucket
      {"verify", true},                // visible text
      {"N9", true},                    // a digit run becomes its shape
      {"0123456789", false},           //
      {"href", false},                 // markup is not text
      {"la:none", true},               // no link goes to the From domain
      {"up:a", false},                 // path words are 2..20 letters
      {"cs:utf-8", true},              // declared charset of the text part
      {"cte:none", true},              // and its transfer encoding
      {"img:0", true},                 // no image
      {"len:0", true},                 // visible text under 200 bytes
      {"mid:none", true},              // no Message-ID
  };
  for (const auto& r : rows) {
    INFO(r.token);
    CHECK(has(t, r.token) == r.want);
  }
}

TEST_CASE("the number of addresses To and Cc show is a token", "[tokenizer]") {
  // A list's copy shows the list, a lure sent to a harvested batch dozens, a Bcc'd one none.
  struct Row {
    std::string fields;  // To / Cc lines
    std::string token;
  };
  const std::vector<Row> rows = {
      {"", "rcpt:0"},
      {"To: undisclosed-recipients:;\r\n", "rcpt:0"},
      {"To: List <list@lists.example>\r\n", "rcpt:1"},
      {"To: a@x.example, \"B, Jr.\" <b@x.example>\r\n", "rcpt:2-3"},
      {"To: a@x.example, b@x.example\r\nCc: c@y.example, d@y.example\r\n", "rcpt:4-10"},
      {"To: Friends: a@x.example, b@x.example, c@x.example;\r\nCc: d@y.example, e@y.example, "
       "f@y.example, g@y.example, h@y.example, i@y.example, j@y.example, k@y.example\r\n",
       "rcpt:11-30"},
  };
  for (const auto& r : rows) {
    INFO(r.fields);
    auto t = content::tokenize_message("From: s@sender.example\r\n" + r.fields +
                                       "Subject: hi\r\n\r\nhello\r\n");
    CHECK(has(t, r.token));
    CHECK(std::count_if(t.begin(), t.end(),
                        [](const std::string& x) { return x.starts_with("rcpt:"); }) == 1);
  }
  std::string many = "To: ";
  for (int i = 0; i < 40; ++i) many += "u" + std::to_string(i) + "@x.example, ";
  CHECK(has(content::tokenize_message("From: s@sender.example\r\n" + many +
                                      "\r\nSubject: hi\r\n\r\nhello\r\n"),
            "rcpt:31+"));
}

TEST_CASE("link paths, link alignment and the Message-ID's domain are tokens", "[tokenizer]") {
  const std::string raw =
      "From: Shop <news@shop.example>\r\n"
      "Message-ID: <abc@mailer.shop.example>\r\n"
      "Content-Type: text/html; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "<a href=\"https://www.shop.example/Account/Login.php?session=1\">sale</a>"
      "<a href=\"https://cdn.other.example/x\">x</a><img src=\"https://shop.example/i.png\">\r\n";
  auto t = content::tokenize_message(raw);
  for (const char* want : {"up:account", "up:login", "up:php", "up:session", "la:some",
                           "mid:aligned", "cs:iso-8859-1", "cte:quoted-printable", "img:1"}) {
    INFO(want);
    CHECK(has(t, want));
  }
  // A link only a list footer names gives no path words (the list's own pages).
  const std::string listed =
      "From: a@uni.example\r\n\r\nhello\r\n"
      "_______________________________________________\r\n"
      "Users mailing list\r\nhttps://lists.example.org/mailman/listinfo/users\r\n";
  auto u = content::tokenize_message(listed);
  CHECK_FALSE(has(u, "up:listinfo"));
  CHECK_FALSE(has(u, "up:mailman"));
  CHECK(has(u, "mid:none"));
}

TEST_CASE("sender shape, MIME and header findings and HTML tags are tokens", "[tokenizer]") {
  struct Row {
    std::string from, subject, body;
    std::vector<std::string> want, not_want;
  };
  const std::string html = "Content-Type: text/html\r\n\r\n";
  const std::vector<Row> rows = {
      // The display name names the From domain (a sender's own mail) ...
      {"\"Acme News\" <news@acmemail.example>",
       "Hello",
       "hi",
       {"nd:yes", "fl:news", "ftld:example"},
       {"nd:no", "nd:none"}},
      {"\"Think Vacuums Team\" <team@thinkvacuums.shop>", "Hi", "hi", {"nd:yes", "ftld:shop"}, {}},
      // ... or another name: a brand or a person on a throwaway domain.
      {"\"Santa Loanz Extra Funding\" <SantaLoans123@bergolo.bar>",
       "Hi",
       "hi",
       {"nd:no", "fl:santaloans", "ftld:bar"},
       {"nd:yes"}},
      {"no-reply@shop.example", "Hi", "hi", {"nd:none", "fl:no", "fl:reply"}, {"nd:yes"}},
      // Subject and display-name shape.
      {"\"\xF0\x9F\x8E\x81 Deals\" <a@b.example>",
       "FREE MONEY NOW!!!",
       "hi",
       {"ns:emoji", "ss:caps"},
       {"ss:emoji", "ss:nonascii"}},
      {"\"J\xC3\xBCrgen\" <a@b.example>",
       "Caf\xC3\xA9 \xE2\x98\x95",
       "hi",
       {"ns:nonascii", "ss:emoji", "ss:nonascii"},
       {"ss:caps", "ns:emoji"}},
      {"a@b.example", "Short CAPS", "hi", {}, {"ss:caps"}},  // not 80 % capitals
      // HTML tag names, each once; closing tags and comments are not tags.
      {"a@b.example",
       "Hi",
       "<table><tr><td><font>x</font></td></tr></table><!-- c --><img src=x>",
       {"ht:table", "ht:tr", "ht:td", "ht:font", "ht:img"},
       {"ht:", "ht:c"}},
  };
  for (const auto& r : rows) {
    std::string raw = "From: " + r.from + "\r\nSubject: " + r.subject +
                      "\r\nDate: Mon, 1 Dec 2025 10:00:00 +0000\r\nMessage-ID: <1@b.example>\r\n" +
                      "MIME-Version: 1.0\r\n" + html + r.body + "\r\n";
    auto t = content::tokenize_message(raw);
    INFO(raw);
    for (const auto& w : r.want) {
      INFO(w);
      CHECK(has(t, w));
    }
    for (const auto& w : r.not_want) {
      INFO(w);
      CHECK_FALSE(has(t, w));
    }
  }
  // What the MIME engine and the header checks found, as f: tokens (lower case).
  auto bare = content::tokenize_message("Subject: x\r\n\r\nbody\r\n");
  CHECK(has(bare, "f:header_missing_from"));
  CHECK(has(bare, "f:header_missing_date"));
  CHECK_FALSE(has(bare, "nd:none"));  // no From domain: nothing to compare
  auto hidden = content::tokenize_message(
      "From: a@b.example\r\nDate: Mon, 1 Dec 2025 10:00:00 +0000\r\nMessage-ID: <1@b.example>\r\n"
      "Content-Type: text/html\r\n\r\n<p>hi</p><div style=\"display:none\">hidden words</div>\r\n");
  CHECK(has(hidden, "f:html_hidden_text"));
  CHECK_FALSE(any_with(hidden, "f:header_missing"));
  CHECK(content::is_structure_symbol("HTML_TINY_FONT"));
  CHECK(content::is_structure_symbol("MIME_QP_INVALID"));
  CHECK(content::is_structure_symbol("HEADER_MISSING_FROM"));
  CHECK_FALSE(content::is_structure_symbol("CLASSIFIER_SPAM"));  // never its own output
  CHECK_FALSE(content::is_structure_symbol("PHISH_BRAND_FROM_NAME"));
  CHECK_FALSE(content::is_structure_symbol("DMARC_FAIL"));
}

TEST_CASE("list artifacts and other filters' headers are never tokens", "[tokenizer]") {
  const std::string raw =
      "From: \"Jane Doe via USRP-users\" <usrp-users@lists.ettus.com>\r\n"
      "Reply-To: Jane Doe <jane@uni.example.edu>\r\n"
      "Subject: [USRP-users] B210 clock question\r\n"
      "List-Id: USRP users <usrp-users.lists.ettus.com>\r\n"
      "List-Unsubscribe: <mailto:usrp-users-leave@lists.ettus.com>\r\n"
      "Received: from mail.ettus.example by lists.ettus.com\r\n"
      "Authentication-Results: lists.ettus.com; dkim=pass\r\n"
      "X-Spam-Flag: YES\r\n"
      "X-Spam-Status: Yes, score=12.0 tests=BAYES_99\r\n"
      "Content-Type: text/plain\r\n\r\n"
      "How do I lock the reference clock?\r\n"
      "_______________________________________________\r\n"
      "USRP-users mailing list\r\n"
      "usrp-users@lists.ettus.com\r\n"
      "http://lists.ettus.com/mailman/listinfo/usrp-users_lists.ettus.com\r\n";
  auto t = content::tokenize_message(raw);
  CHECK(has(t, "s:clock"));
  CHECK(has(t, "s:bN3"));  // "B210": digits become their shape
  CHECK(has(t, "clock"));
  CHECK(has(t, "n:jane"));
  CHECK(has(t, "fd:example.edu"));  // a munged From takes the author from Reply-To
  CHECK_FALSE(has(t, "rt:differs"));
  CHECK_FALSE(any_with(t, "ettus"));    // not the list's address, footer or hosts
  CHECK_FALSE(any_with(t, "mailing"));  // the footer is cut
  CHECK_FALSE(any_with(t, "usrp"));     // neither the tag nor the "via" name
  CHECK_FALSE(any_with(t, "bayes"));    // X-Spam-* never read
  CHECK_FALSE(any_with(t, "spam"));
  CHECK_FALSE(any_with(t, "dkim"));  // nor Authentication-Results
  CHECK_FALSE(has(t, "h:lists.ettus.com"));
}

TEST_CASE("tokens are bounded in number and length", "[tokenizer]") {
  std::string body;
  for (int i = 0; i < 20000; ++i) body += "w" + std::to_string(i % 5000) + "x ";
  body += std::string(5000, 'a');
  auto t = content::tokenize_message("Subject: s\r\n\r\n" + body + "\r\n");
  CHECK(t.size() == content::TokenLimits{}.max_tokens);
  for (const auto& x : t) CHECK(x.size() <= content::TokenLimits{}.max_token_bytes + 4);
  content::TokenLimits small{.max_tokens = 12,
                             .max_token_bytes = 8};  // the fixed tokens come first
  auto u = content::tokenize_message("Subject: s\r\n\r\nsupercalifragilistic word\r\n", small);
  CHECK(has(u, "L:supercal"));  // a long word keeps a prefix, marked
}

TEST_CASE("CJK text gives character bigrams; hostile bytes are survived", "[tokenizer]") {
  auto t = content::tokenize_message(
      "Subject: =?utf-8?b?5L2g5aW95LiW55WM?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
      "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96 \xff\xfe\xc3 caf\xc3\xa9\r\n");
  CHECK(has(t, "s:\xe4\xbd\xa0\xe5\xa5\xbd"));  // 你好
  CHECK(has(t, "\xe5\xa5\xbd\xe4\xb8\x96"));    // 好世
  CHECK(has(t, "caf\xc3\xa9"));                 // Latin letters join words
}

TEST_CASE("subject tags, list footers and registrable domains", "[tokenizer]") {
  CHECK(content::strip_subject_tags("[List] Re: [Other] Fwd: hello") == "hello");
  CHECK(content::strip_subject_tags("RE: price [urgent]") == "price [urgent]");
  CHECK(content::strip_list_footers("hi\n____________________________\nfoo list\nx\n") == "hi\n");
  // Every footer, quoted ones too; what follows a blank line is kept.
  CHECK(content::strip_list_footers("a\n> ______________________\n> L list\n>\nb\n"
                                    "_____________________\nL list\nhttp://l.example/\n\nc") ==
        "a\n>\nb\n\nc");
  CHECK(content::strip_list_footers("a ________________________ b") ==
        "a ________________________ b");
  CHECK(content::registrable_domain("a.b.example.com") == "example.com");
  CHECK(content::registrable_domain("www.bbc.co.uk") == "bbc.co.uk");
  CHECK(content::registrable_domain("192.0.2.1") == "");
  CHECK(content::registrable_domain("[2001:db8::1]") == "");
  CHECK(content::registrable_domain("localhost") == "localhost");
}

TEST_CASE("the same message always gives the same tokens", "[tokenizer]") {
  const std::string raw =
      "Subject: hi\r\nX-Mailer: Apple Mail (2.3696)\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nhello there\r\n--b--\r\n";
  auto a = content::tokenize_message(raw);
  CHECK(has(a, "ct:multipart/alternative"));  // longer than a short-string buffer
  CHECK(has(a, "xm:apple"));
  CHECK(content::tokenize_message(raw) == a);
}
