#!/usr/bin/env python3
# integration.qweb, the part a person and an attacker do over HTTP: run by ./run once a
# message is quarantined and postern-quarantined listens.
#   - HTTP (urllib): no page without a session (GET → the login form, POST → 403); a wrong
#     password is 401; every page carries the CSP, X-Frame-Options DENY and no-store; the
#     session cookie is HttpOnly and SameSite=Strict; an action over GET is 405; a POST with
#     a missing or wrong CSRF token, or another session's token, is 403 and does nothing;
#     the proxy's header logs in from loopback; a delete with the token works; ten failed
#     logins lock out that client (X-Forwarded-For behind the proxy), not another.
#   - Chromium (chromedriver over WebDriver): logs in, searches the subject, opens the
#     message (its HTML's script is shown as text: no <script> element, the title not
#     changed), releases it. Screenshots login.png, list.png, show.png, released.png in
#     $OUT_DIR.
# `browser.py digest`: a recipient's digest link (env LINK, SUBJECT): over HTTP the link
#   alone acts on nothing (POST without the page's session: 403, GET of an action: 405, a
#   tampered token: 400); in Chromium the link shows the message and its Release form, and
#   the release is confirmed (screenshot digest.png).
# Env: WEB (http://127.0.0.1:PORT), SUBJECT (the message to release), OTHER_SUBJECT (the one
# to delete), WEB_USER, WEB_PASSWORD, OUT_DIR. Prints "ok - ..." / "not ok - ..." lines.
import base64
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

WEB = os.environ["WEB"]
SUBJECT = os.environ["SUBJECT"]
OTHER = os.environ.get("OTHER_SUBJECT", "")
USER = os.environ.get("WEB_USER", "")
PASSWORD = os.environ.get("WEB_PASSWORD", "")
OUT_DIR = os.environ["OUT_DIR"]
failed = 0


def check(cond, what, detail=""):
    global failed
    if cond:
        print(f"ok - [qweb] {what}")
    else:
        failed += 1
        print(f"not ok - [qweb] {what}")
        if detail:
            print("#   " + str(detail)[:2000].replace("\n", "\n#   "))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """An HTTP client with its own cookie jar that does not follow redirects."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect)

    def req(self, method, path, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        r = urllib.request.Request(WEB + path, data=data, method=method, headers=headers or {})
        if data is not None:
            r.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(r, timeout=30) as resp:
                return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")


def csrf_of(page):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    return m.group(1) if m else ""


def entry_id(page, subject):
    m = re.search(r'href="/m/([A-Za-z0-9_-]+)">' + re.escape(subject) + "<", page)
    return m.group(1) if m else ""


def http_checks():
    anon = Client()
    status, headers, _ = anon.req("GET", "/")
    check(status == 303 and headers.get("Location") == "/login",
          f"without a session, the list redirects to the login form ({status})")
    status, headers, page = anon.req("GET", "/login")
    check(status == 200 and 'type="password"' in page, "the login form is served")
    csp = headers.get("Content-Security-Policy", "")
    check("default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp,
          "Content-Security-Policy: nothing by default, no script, no framing", csp)
    check(headers.get("X-Frame-Options") == "DENY" and headers.get("Cache-Control") == "no-store",
          "X-Frame-Options DENY, Cache-Control no-store")
    check("<script" not in page.lower() and "style=" not in page, "no script, no inline style")

    status, _, page = anon.req("POST", "/login", {"user": USER, "password": PASSWORD + "x"})
    check(status == 401 and "Wrong user or password" in page, f"a wrong password: 401 ({status})")
    status, _, _ = anon.req("POST", "/login", {"user": "nobody-here", "password": PASSWORD})
    check(status == 401, f"an unknown user: 401 ({status})")

    ops = Client()
    status, headers, _ = ops.req("POST", "/login", {"user": USER, "password": PASSWORD})
    cookie = headers.get("Set-Cookie", "")
    check(status == 303 and headers.get("Location") == "/", f"the right password logs in ({status})")
    check(re.match(r"postern_qsid=[0-9a-f]{64};", cookie) is not None and "HttpOnly" in cookie
          and "SameSite=Strict" in cookie and "Max-Age=" in cookie,
          "the session cookie: a random id, HttpOnly, SameSite=Strict, an expiry", cookie)
    status, _, page = ops.req("GET", "/?q=" + urllib.parse.quote(OTHER) + "&in=subject")
    other_id = entry_id(page, OTHER)
    check(status == 200 and other_id != "", f"the list finds the other message by subject ({other_id})")
    check(SUBJECT not in page, "and only it")
    token = csrf_of(page)
    check(token != "", "the page carries a CSRF token")

    status, headers, _ = ops.req("GET", f"/m/{other_id}/delete")
    check(status == 405 and headers.get("Allow") == "POST", f"an action over GET: 405 ({status})")
    status, _, _ = ops.req("POST", f"/m/{other_id}/delete", {})
    check(status == 403, f"delete without a CSRF token: 403 ({status})")
    status, _, _ = ops.req("POST", f"/m/{other_id}/delete", {"csrf": "0" * 64})
    check(status == 403, f"delete with a wrong CSRF token: 403 ({status})")
    second = Client()
    second.req("POST", "/login", {"user": USER, "password": PASSWORD})
    _, _, page2 = second.req("GET", "/")
    token2 = csrf_of(page2)
    check(token2 != "" and token2 != token, "another session has another token")
    status, _, _ = ops.req("POST", f"/m/{other_id}/delete", {"csrf": token2})
    check(status == 403, f"delete with another session's token: 403 ({status})")
    status, _, _ = anon.req("POST", f"/m/{other_id}/delete", {"csrf": token})
    check(status == 403, f"delete without a session, with a stolen token: 403 ({status})")
    status, _, page = ops.req("GET", f"/m/{other_id}")
    check(status == 200 and OTHER in page, "after the refused deletes the message is still there")

    proxy = Client()
    status, _, page = proxy.req("GET", "/", headers={"X-Remote-User": "proxy-op"})
    check(status == 200 and "proxy-op" in page and entry_id(page, SUBJECT) != "",
          f"the proxy's X-Remote-User logs in from loopback ({status})")
    status, headers, _ = proxy.req("GET", "/", headers={"X-Remote-User": "bad user<>"})
    check(status == 303 and headers.get("Location") == "/login",
          f"a header value that is not a user name logs nobody in ({status})")

    status, _, page = ops.req("POST", f"/m/{other_id}/delete", {"csrf": token})
    check(status == 200 and "Deleted" in page, f"delete with the session's token works ({status})")
    status, _, _ = ops.req("GET", f"/m/{other_id}")
    check(status == 404, f"the deleted message is gone ({status})")

    # Ten failed logins from one client behind the proxy lock that client out, not others.
    guess = Client()
    codes = [guess.req("POST", "/login", {"user": USER, "password": f"guess{i}"},
                       headers={"X-Forwarded-For": "192.0.2.66"})[0] for i in range(11)]
    check(codes[:10] == [401] * 10 and codes[10] == 429,
          f"after ten failures the client gets 429 ({codes})")
    status, _, _ = guess.req("POST", "/login", {"user": USER, "password": PASSWORD},
                             headers={"X-Forwarded-For": "192.0.2.66"})
    check(status == 429, f"even with the right password, for the rest of the window ({status})")
    status, _, _ = Client().req("POST", "/login", {"user": USER, "password": PASSWORD},
                                headers={"X-Forwarded-For": "198.51.100.7"})
    check(status == 303, f"another client behind the same proxy still logs in ({status})")
    return other_id


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--disable-features=HttpsUpgrades"]}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["value"]

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.sid}{path}", body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})
        return self.s("GET", "/url")

    def element(self, css):
        el = self.s("POST", "/element", {"using": "css selector", "value": css})
        return list(el.values())[0]

    def count(self, css):
        return len(self.s("POST", "/elements", {"using": "css selector", "value": css}))

    def text(self, css):
        return self.s("GET", f"/element/{self.element(css)}/text")

    def type(self, css, value):
        self.s("POST", f"/element/{self.element(css)}/value", {"text": value})

    def click(self, css):
        self.s("POST", f"/element/{self.element(css)}/click", {})
        time.sleep(0.5)
        return self.s("GET", "/url")

    def title(self):
        return self.s("GET", "/title")

    def screenshot(self, name):
        png = base64.b64decode(self.s("GET", "/screenshot"))
        with open(os.path.join(OUT_DIR, name), "wb") as f:
            f.write(png)
        return png

    def quit(self):
        try:
            self.call("DELETE", f"/session/{self.sid}")
        except Exception:
            pass


def with_browser(fn):
    port = free_port()
    driver = subprocess.Popen(["/usr/bin/chromedriver", f"--port={port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wd = None
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        wd = WebDriver(port)
        fn(wd)
    finally:
        if wd:
            wd.quit()
        driver.terminate()
        driver.wait(timeout=10)


def operator_flow(wd):
    where = wd.go(WEB + "/")
    check(where == WEB + "/login", f"Chromium is sent to the login form ({where})")
    png = wd.screenshot("login.png")
    check(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, f"login.png saved ({len(png)} bytes)")
    wd.type("#user", USER)
    wd.type("#password", PASSWORD)
    where = wd.click("button[type=submit]")
    check(where == WEB + "/", f"logging in leads to the list ({where})")
    check(USER in wd.text("header"), "the bar names the user")
    wd.type("#q", SUBJECT)
    where = wd.click("form.search button")
    check("q=" in where, f"the search is a GET of the list ({where})")
    rows = wd.count("#entries tbody tr")
    check(rows == 1, f"searching the subject lists one message ({rows})")
    check(SUBJECT in wd.text("#entries"), "the row shows the subject")
    png = wd.screenshot("list.png")
    check(len(png) > 5000, f"list.png saved ({len(png)} bytes)")
    where = wd.click("a.open")
    check("/m/" in where, f"the subject opens the message ({where})")
    shown = wd.text("#text")
    check("Quarterly report ready" in shown, "the visible text of the HTML part is shown", shown)
    check(wd.count("script") == 0, "the message's <script> is not in the page")
    check(wd.title().startswith(SUBJECT), f"and did not run (the title is ours: {wd.title()})")
    check("LIST_SENDER_QUARANTINE" in wd.text("#entry"), "the findings are shown")
    png = wd.screenshot("show.png")
    check(len(png) > 5000, f"show.png saved ({len(png)} bytes)")
    wd.click("#release button")
    result = wd.text("#result")
    check(result == "Released", f"release answers Released ({result})", wd.text("body"))
    check("bob@feas.test" in wd.text("#detail"), "to the original recipient")
    wd.screenshot("released.png")
    wd.go(WEB + "/?q=" + urllib.parse.quote(SUBJECT))
    check("released" in wd.text("#entries"), "the list marks it released")


def digest_checks():
    link = os.environ["LINK"]
    token = link.rsplit("/u/", 1)[1]
    anon = Client()
    status, _, _ = anon.req("POST", f"/u/{token}/release", {})
    check(status == 403, f"the link alone releases nothing: POST without its page's session 403 ({status})")
    status, headers, _ = anon.req("GET", f"/u/{token}/release")
    check(status == 405 and headers.get("Allow") == "POST", f"a release over GET: 405 ({status})")
    flip = "0" if token[-1] != "0" else "1"
    status, _, page = anon.req("GET", f"/u/{token[:-1]}{flip}")
    check(status == 400 and "not valid" in page, f"a tampered digest link: 400 ({status})")
    status, headers, page = anon.req("GET", f"/u/{token}")
    cookie = headers.get("Set-Cookie", "")
    check(status == 200 and SUBJECT in page and "Path=/u/" in cookie and "HttpOnly" in cookie,
          f"the link opens the message with a session cookie on /u/ ({status})", cookie)
    check("Log out" not in page and "/m/" not in page, "no operator page or link is offered")
    status, _, _ = anon.req("POST", f"/u/{token}/release", {"csrf": "0" * 64})
    check(status == 403, f"a wrong CSRF token: 403 ({status})")
    csrf = csrf_of(page)
    status, _, page = anon.req("POST", f"/u/{token}/delete", {"csrf": csrf})
    check(status == 403 and "other recipients" in page,
          f"delete of a message with other recipients: 403 ({status})")

    def recipient_flow(wd):
        where = wd.go(link)
        check(where == link, "Chromium opens the digest link")
        check(wd.text("#subject") == SUBJECT, "the page names the held message")
        check("Release to my mailbox" in wd.text("#release"), "with a Release form")
        check(wd.count("#delete") == 0,
              "but no Delete form: the message has another recipient (the archive's journal)")
        png = wd.screenshot("digest.png")
        check(len(png) > 5000, f"digest.png saved ({len(png)} bytes)")
        wd.click("#release button")
        result = wd.text("#result")
        check(result == "Released", f"the recipient's release answers Released ({result})", wd.text("body"))
        wd.screenshot("digest-released.png")
        wd.go(link)
        check("Released on" in wd.text("#state"), "the link then shows it released, without forms")

    with_browser(recipient_flow)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    if len(sys.argv) > 1 and sys.argv[1] == "digest":
        digest_checks()
    else:
        http_checks()
        with_browser(operator_flow)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
