// Link rewriting over the forms a body comes in: which links become click links (each
// verifying to the URL it replaced), which stay, and that everything else in the part,
// its charset, its transfer encoding and the boundaries stay as they were.
#include "url/rewrite.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/finisher.hpp"
#include "mime/decode.hpp"
#include "mime/tree.hpp"

using namespace postern;

namespace {

constexpr const char* kHead =
    "From: a@x.test\r\nTo: b@y.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n";
constexpr const char* kHost = "click.example.net";

const url::KeyRing& keys() {
  static const url::KeyRing r = *url::KeyRing::from({{"k1", std::string(32, 's'), false}}, "k1");
  return r;
}

url::Token base() {
  url::Token t;
  t.issued = 1'700'000'000;
  t.scan_id = "S1";
  t.recipient = url::recipient_hash({"b@y.test"});
  return t;
}

// The message as it leaves with the rewrite's edits (as the click-rewrite modifier makes them).
std::string leaving(const core::Message& m, const url::Rewritten& r) {
  core::Outcome o;
  if (r.transfer_encoding) {
    if (const core::HeaderField* f = m.find("Content-Transfer-Encoding"))
      o.changed.push_back({f->name, 1, *r.transfer_encoding});
    else
      o.added.push_back({"Content-Transfer-Encoding", *r.transfer_encoding});
  }
  o.new_body = r.body;
  return core::apply_edits(m, o).raw();
}

// The URL a click link stands for; "" when it is not a valid click link.
std::string resolve(const std::string& link) {
  std::string prefix = std::string("https://") + kHost + "/v1/";
  if (!link.starts_with(prefix)) return "";
  auto t = keys().verify(link.substr(prefix.size()), std::chrono::seconds(0));
  return t ? t->url : "";
}

struct Row {
  std::string name;
  std::string message;
  std::vector<std::string> urls;  // what the rewritten links verify to, in order; empty: refused
  std::string kept_text = "";     // still in the decoded part after rewriting
  bool text_plain = false;
  std::string part_path = "1";
  std::string charset = "";
  std::string encoding = "";  // the part's Content-Transfer-Encoding after rewriting
};

std::string html_msg(const std::string& html, const std::string& cte = "",
                     const std::string& charset = "utf-8", const std::string& extra = "") {
  std::string body = cte == "base64"             ? mime::encode_base64(html)
                     : cte == "quoted-printable" ? mime::encode_quoted_printable(html)
                                                 : html;
  return std::string(kHead) + extra + "Content-Type: text/html; charset=" + charset + "\r\n" +
         (cte.empty() ? "" : "Content-Transfer-Encoding: " + cte + "\r\n") + "\r\n" + body;
}

std::vector<Row> rows() {
  std::string long_url = "https://long.example/" + std::string(url::kMaxUrl, 'x');
  return {
      {"href of a and area, action of form, formaction of button",
       html_msg("<p><a href=\"https://a.example/1\">one</a> <area href='http://b.example/2'>"
                "<form action=https://c.example/3><button formaction=\"https://d.example/4\">"
                "go</button></form></p>"),
       {"https://a.example/1", "http://b.example/2", "https://c.example/3", "https://d.example/4"},
       ">one</a>"},
      {"character references decoded, spaces and tabs as a browser reads them",
       html_msg("<a href=\" https://a.example/?x=1&amp;y=2&#x26;z\t=3 \">t</a>"),
       {"https://a.example/?x=1&y=2&z=3"}},
      {"a scheme-relative link is https",
       html_msg("<a href=\"//a.example/p\">t</a>"),
       {"https://a.example/p"}},
      {"mailto, tel, cid, data, javascript and relative links stay",
       html_msg("<a href=\"mailto:x@y\">m</a><a href=\"tel:+1\">t</a><img src=\"cid:c1\">"
                "<a href=\"cid:c2\">c</a><a href=\"data:text/html,hi\">d</a>"
                "<a href=\"javascript:alert(1)\">j</a><a href=\"page.html\">r</a>"
                "<a href=\"https://e.example/\">e</a>"),
       {"https://e.example/"},
       "mailto:x@y\">m</a><a href=\"tel:+1\">t</a><img src=\"cid:c1\">"},
      {"relative links under an http(s) <base href> are rewritten to what they resolve to",
       html_msg("<head><base href=\"https://evil.example/app/x.html\"></head>"
                "<a href=\"login\">l</a><a href=\"/root?x=1\">r</a><a href=\"?q=2\">q</a>"
                "<a href=\"//other.example/p\">o</a><a href=\"mailto:x@y\">m</a>"
                "<a href=\"../up\">u</a>"),
       {"https://evil.example/app/login", "https://evil.example/root?x=1",
        "https://evil.example/app/x.html?q=2", "https://other.example/p",
        "https://evil.example/app/../up"},
       "<base href=\"https://evil.example/app/x.html\">"},
      {"the first <base href> decides: a javascript: one resolves nothing",
       html_msg("<base href=\"javascript:alert(1)\"><base href=\"https://evil.example/\">"
                "<a href=\"login\">l</a><a href=\"https://e.example/\">e</a>"),
       {"https://e.example/"},
       "<a href=\"login\">"},
      {"relative links under an internal base stay relative",
       html_msg("<base href=\"https://intra.example.com/\"><a href=\"wiki\">w</a>"
                "<a href=\"https://e.example/\">e</a>"),
       {"https://e.example/"},
       "<a href=\"wiki\">"},
      {"internal domains and their subdomains stay; a look-alike does not",
       html_msg("<a href=\"https://intra.example.com/\">i</a>"
                "<a href=\"https://WWW.Intra.Example.com./x\">w</a>"
                "<a href=\"https://intra.example.com.evil.test/\">e</a>"
                "<a href=\"https://intra.example.com@evil.test/\">u</a>"
                "<a href=\"https://evil.test\\@intra.example.com/\">b</a>"),
       {"https://intra.example.com.evil.test/", "https://intra.example.com@evil.test/",
        "https://evil.test\\@intra.example.com/"}},
      {"List-Unsubscribe URLs stay",
       html_msg("<a href=\"https://list.example/unsub?u=1\">u</a><a "
                "href=\"https://list.example/\">l</a>",
                "", "utf-8",
                "List-Unsubscribe: <mailto:u@list.example>, <https://list.example/unsub?u=1>\r\n"),
       {"https://list.example/"}},
      {"links in comments, scripts, styles and end tags are not links",
       html_msg("<!-- <a href=\"https://c.example/\">c</a> --><script>var s='<a "
                "href=\"https://s.example/\">'"
                "</script><style>a[href=\"https://y.example/\"]{}</style></a "
                "href=\"https://e.example/\">"
                "<textarea><a href=\"https://t.example/\"></textarea><a "
                "href=\"https://real.example/\">r</a>"),
       {"https://real.example/"},
       "<!-- <a href=\"https://c.example/\">c</a> -->"},
      {"an <a> in an <svg> <style> is markup, not style text: rewritten",
       html_msg("<svg><style><a href=\"https://svg.example/\">x</a></style></svg>"
                "<style><a href=\"https://css.example/\"></style>"
                "<a href=\"https://e.example/\">e</a>"),
       {"https://svg.example/", "https://e.example/"},
       "<style><a href=\"https://css.example/\"></style>"},
      {"a repeated href: every one rewritten",
       html_msg("<a href=\"https://first.example/\" href=\"https://second.example/\">x</a>"),
       {"https://first.example/", "https://second.example/"}},
      {"quoted-printable part stays quoted-printable, charset kept",
       html_msg("<p>Gr\xFC\xDF"
                "e <a href=\"https://q.example/" +
                    std::string(90, 'q') + "\">hier</a></p>",
                "quoted-printable", "iso-8859-1"),
       {"https://q.example/" + std::string(90, 'q')},
       "<p>Gr\xFC\xDF"
       "e <a href=",
       false,
       "1",
       "iso-8859-1",
       "quoted-printable"},
      {"base64 part stays base64",
       html_msg("<a href=\"https://b64.example/\">\xC3\xA4</a>", "base64"),
       {"https://b64.example/"},
       ">\xC3\xA4</a>",
       false,
       "1",
       "utf-8",
       "base64"},
      {"8bit part stays 8bit",
       html_msg("<a href=\"https://8.example/\">\xC3\xA4</a>\r\n", "8bit"),
       {"https://8.example/"},
       ">\xC3\xA4</a>",
       false,
       "1",
       "utf-8",
       "8bit"},
      {"text/plain is left alone unless the policy says so",
       std::string(kHead) + "Content-Type: text/plain\r\n\r\nsee https://p.example/x.\r\n",
       {}},
      {"text/plain with the option: closing punctuation is not part of the URL",
       std::string(kHead) + "Content-Type: text/plain\r\n\r\nsee https://p.example/x. (and "
                            "http://q.example/(a)) mailto:z@q\r\n",
       {"https://p.example/x", "http://q.example/(a)"},
       "see https://click",
       true},
      {"multipart/alternative: the HTML part only, boundaries kept",
       std::string(kHead) +
           "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n"
           "Content-Type: text/plain\r\n\r\nhttps://p.example/\r\n--b1\r\n"
           "Content-Type: text/html\r\n\r\n<a href=\"https://h.example/\">h</a>\r\n--b1--\r\n",
       {"https://h.example/"},
       "",
       false,
       "1.2"},
      {"multipart/signed is left alone",
       std::string(kHead) +
           "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
           "boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html\r\n\r\n"
           "<a href=\"https://h.example/\">h</a>\r\n--b1\r\nContent-Type: "
           "application/pkcs7-signature\r\n\r\nAAAA\r\n--b1--\r\n",
       {}},
      {"S/MIME encrypted is left alone",
       std::string(kHead) + "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n",
       {}},
      {"an HTML attachment is left alone",
       std::string(kHead) +
           "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
           "Content-Type: text/html\r\nContent-Disposition: attachment; filename=a.html\r\n\r\n"
           "<a href=\"https://h.example/\">h</a>\r\n--b1--\r\n",
       {}},
      {"a 7bit part whose line the links make too long becomes quoted-printable",
       html_msg("<p>" + std::string(900, 'w') +
                "<a href=\"https://long-line.example/\">x</a></p>\r\n"),
       {"https://long-line.example/"},
       std::string(900, 'w'),
       false,
       "1",
       "utf-8",
       "quoted-printable"},
      {"a URL over the bound stays as it is",
       html_msg("<a href=\"" + long_url + "\">l</a><a href=\"https://s.example/\">s</a>",
                "quoted-printable"),
       {"https://s.example/"},
       long_url},
  };
}

}  // namespace

TEST_CASE("links are rewritten to click links that verify to the original URL") {
  for (const Row& row : rows()) {
    INFO(row.name);
    core::Message m(row.message);
    url::RewriteSettings s;
    s.host = kHost;
    s.text_plain = row.text_plain;
    s.internal_domains = {"intra.example.com"};
    s.keep = url::list_unsubscribe_urls(m);
    auto r = url::rewrite_links(m, keys(), base(), s);
    if (row.urls.empty()) {
      CHECK_FALSE(r);
      continue;
    }
    REQUIRE(r);
    CHECK(r->links == row.urls.size());
    std::string out = leaving(m, *r);
    if (!r->transfer_encoding)
      CHECK(out.substr(0, m.body_offset()) == row.message.substr(0, m.body_offset()));
    mime::Tree before = mime::Tree::parse(row.message);
    mime::Tree after = mime::Tree::parse(out);
    REQUIRE(after.parts().size() == before.parts().size());
    const mime::Part* p = nullptr;
    for (const auto& q : after.parts())
      if (q.path == row.part_path) p = &q;
    REQUIRE(p);
    if (!row.charset.empty()) CHECK(p->charset == row.charset);
    if (!row.encoding.empty()) CHECK(p->transfer_encoding == row.encoding);
    mime::DecodeStats st;
    std::string content = after.decode(*p, st);
    auto spans = row.text_plain ? url::text_link_spans(content) : url::html_link_spans(content);
    std::vector<std::string> got;
    for (const auto& sp : spans)
      if (std::string u = resolve(sp.value); !u.empty()) got.push_back(u);
    CHECK(got == row.urls);
    if (!row.kept_text.empty()) CHECK(content.find(row.kept_text) != std::string::npos);
    // Every byte outside the rewritten values is as it was.
    mime::DecodeStats st0;
    const mime::Part* p0 = nullptr;
    for (const auto& q : before.parts())
      if (q.path == row.part_path) p0 = &q;
    std::string original = before.decode(*p0, st0);
    std::string stripped_after = content, stripped_before = original;
    for (auto* text : {&stripped_after, &stripped_before}) {
      auto sp = row.text_plain ? url::text_link_spans(*text) : url::html_link_spans(*text);
      for (auto it = sp.rbegin(); it != sp.rend(); ++it)
        text->replace(it->begin, it->end - it->begin, "@");
    }
    CHECK(stripped_after == stripped_before);
    // Lines of a re-encoded part stay within 76 columns.
    if (p->transfer_encoding == "quoted-printable" || p->transfer_encoding == "base64") {
      std::string_view raw =
          std::string_view(out).substr(p->body_begin, p->body_end - p->body_begin);
      size_t longest = 0, start = 0;
      for (size_t i = 0; i <= raw.size(); ++i)
        if (i == raw.size() || raw[i] == '\n') {
          longest = std::max(longest, i - start - (i > start && raw[i - 1] == '\r' ? 1 : 0));
          start = i + 1;
        }
      CHECK(longest <= 76);
    }
  }
}

TEST_CASE("web targets and hosts are read as a browser reads them") {
  CHECK(url::web_target("  HTTPS://a.example/  ") == "HTTPS://a.example/");
  CHECK(url::web_target("ht\ntp://a.example/") == "http://a.example/");
  CHECK(url::web_target("\\\\a.example/") == "https:\\\\a.example/");
  CHECK_FALSE(url::web_target("mailto:x@y"));
  CHECK_FALSE(url::web_target("javascript:x"));
  CHECK_FALSE(url::web_target("/relative"));
  CHECK(url::host_of("https://u:p@Host.Example.:8080/x") == "host.example");
  CHECK(url::host_of("https://evil.test\\@intra.example/") == "evil.test");
  CHECK(url::host_of("https://[::1]:80/") == "[::1]");
  CHECK(url::under_domains("a.intra.example", {"intra.example"}));
  CHECK_FALSE(url::under_domains("aintra.example", {"intra.example"}));
  CHECK_FALSE(url::under_domains("intra%2eexample", {"intra.example"}));
}
