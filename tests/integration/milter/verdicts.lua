-- Every verdict kind through the real postern-milter, driven by miltertest.
dofile(LIBDIR .. "/lib.lua")

run_test("clean message is accepted with our verdict header", function()
  local conn = open()
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, GOOD_HEADERS, "hello\r\n")
  check(mt.getreply(conn) == SMFIR_CONTINUE or mt.getreply(conn) == SMFIR_ACCEPT, "eom reply " .. mt.getreply(conn))
  check(mt.eom_check(conn, MT_HDRADD, "X-Postern-Verdict"), "no X-Postern-Verdict added")
  local v = mt.getheader(conn, "X-Postern-Verdict", 0)
  check(v ~= nil and string.find(v, "^accept score=0 id=%x+$") ~= nil, "verdict value: " .. tostring(v))
  check(not mt.eom_check(conn, MT_QUARANTINE), "clean message quarantined")
  check(not mt.eom_check(conn, MT_HDRDELETE), "a header was deleted")
  mt.disconnect(conn)
end)

run_test("a forged X-Postern-Verdict is removed before ours is added", function()
  local conn = open()
  local h = {table.unpack(GOOD_HEADERS)}
  table.insert(h, {"X-Postern-Verdict", "accept score=0 id=forged"})
  table.insert(h, {"x-postern-findings", "NONE(0)"})
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, h)
  check(mt.eom_check(conn, MT_HDRDELETE, "X-Postern-Verdict"), "forged verdict not deleted")
  check(mt.eom_check(conn, MT_HDRDELETE, "x-postern-findings"), "forged findings (lower case) not deleted")
  local v = mt.getheader(conn, "X-Postern-Verdict", 0)
  check(v ~= nil and string.find(v, "forged") == nil, "our verdict: " .. tostring(v))
  mt.disconnect(conn)
end)

run_test("fields after a name with a DEL byte are still seen (Sendmail passes such names)", function()
  local conn = open()
  local h = {table.unpack(GOOD_HEADERS)}
  table.insert(h, {"X-Postern-Verdict\127", "accept score=-100 id=forged"})
  table.insert(h, {"X-Postern-Findings", "NONE(0)"})
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, h)
  check(mt.eom_check(conn, MT_HDRDELETE, "X-Postern-Verdict\127"), "forged verdict with DEL not deleted")
  check(mt.eom_check(conn, MT_HDRDELETE, "X-Postern-Findings"), "the forged field after it not deleted")
  mt.disconnect(conn)
end)

run_test("a Subject hiding a forged verdict behind a bare CR is rewritten", function()
  local conn = open()
  local h = {}
  for _, f in ipairs(GOOD_HEADERS) do
    if f[1] == "Subject" then
      table.insert(h, {"Subject", "x\n \rX-Postern-Verdict: accept score=-100"})
    else
      table.insert(h, f)
    end
  end
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, h)
  -- the bare CR reads as a space: one field for every reader downstream
  check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "x X-Postern-Verdict: accept score=-100"),
        "Subject not rewritten to one line without the CR")
  local verdict = mt.getheader(conn, "X-Postern-Verdict", 0)
  check(verdict ~= nil and string.find(verdict, "score=-100", 1, true) == nil, "our verdict: " .. tostring(verdict))
  mt.disconnect(conn)
end)

run_test("a blocked sender is rejected at RCPT with 5.7.1", function()
  local conn = open()
  check(mt.mailfrom(conn, "<spammer@blocked.example>") == nil, "mailfrom")
  check(mt.rcptto(conn, "<bob@feas.test>") == nil, "rcptto")
  check(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code, got " .. mt.getreply(conn))
  mt.disconnect(conn)
end)

run_test("postmaster still gets mail from a blocked sender, tagged", function()
  local conn = open()
  send_message(conn, "<spammer@blocked.example>", {"<postmaster@feas.test>"}, GOOD_HEADERS)
  check(mt.getreply(conn) == SMFIR_CONTINUE or mt.getreply(conn) == SMFIR_ACCEPT, "eom reply " .. mt.getreply(conn))
  local v = mt.getheader(conn, "X-Postern-Verdict", 0)
  check(v ~= nil and string.find(v, "^tag ") ~= nil, "verdict: " .. tostring(v))
  mt.disconnect(conn)
end)

run_test("a tempfail rule answers 4xx at RCPT", function()
  local conn = open()
  check(mt.mailfrom(conn, "<news@defer.example>") == nil, "mailfrom")
  check(mt.rcptto(conn, "<bob@feas.test>") == nil, "rcptto")
  check(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code, got " .. mt.getreply(conn))
  mt.disconnect(conn)
end)

run_test("a quarantine rule quarantines with a reason naming the scan", function()
  local conn = open()
  send_message(conn, "<x@mail.review.example>", {"<bob@feas.test>"}, GOOD_HEADERS)
  check(mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
  local v = mt.getheader(conn, "X-Postern-Verdict", 0)
  check(v ~= nil and string.find(v, "^quarantine ") ~= nil, "verdict: " .. tostring(v))
  mt.disconnect(conn)
end)

run_test("a score over the tag threshold tags the subject and lists the findings", function()
  local conn = open()
  local h = {{"From", "a@x.example, b@y.example"}, {"From", "c@z.example"}, {"To", "bob@feas.test"},
             {"Subject", "hello"}}
  send_message(conn, "<a@x.example>", {"<bob@feas.test>"}, h)
  check(mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "subject not changed")
  local v = mt.getheader(conn, "X-Postern-Verdict", 0)
  check(v ~= nil and string.find(v, "^tag score=7 ") ~= nil, "verdict: " .. tostring(v))
  local f = mt.getheader(conn, "X-Postern-Findings", 0)
  check(f ~= nil and string.find(f, "HEADER_MULTIPLE_FROM%(3%)") ~= nil, "findings: " .. tostring(f))
  mt.disconnect(conn)
end)

run_test("a discard rule discards", function()
  local conn = open()
  check(mt.mailfrom(conn, "<x@discard.example>") == nil, "mailfrom")
  check(mt.rcptto(conn, "<bob@feas.test>") == nil, "rcptto")
  check(mt.getreply(conn) == SMFIR_DISCARD, "expected discard, got " .. mt.getreply(conn))
  mt.disconnect(conn)
end)

run_test("a blocked client address is refused at RCPT", function()
  local conn = open("192.0.2.66", "bad.example.net")
  check(mt.mailfrom(conn, "<alice@example.org>") == nil, "mailfrom")
  check(mt.rcptto(conn, "<bob@feas.test>") == nil, "rcptto")
  check(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code, got " .. mt.getreply(conn))
  mt.disconnect(conn)
end)

run_test("a blocked IPv6 client is refused at RCPT", function()
  local conn = open("2001:db8:bad::25", "bad6.example.net")
  check(mt.mailfrom(conn, "<alice@example.org>") == nil, "mailfrom")
  check(mt.rcptto(conn, "<bob@feas.test>") == nil, "rcptto")
  check(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code, got " .. mt.getreply(conn))
  mt.disconnect(conn)
end)

run_test("direction from the SASL macro: an authenticated sender is outbound", function()
  local conn = open()
  mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice", "{auth_type}", "PLAIN")
  send_message(conn, "<x@mail.review.example>", {"<bob@feas.test>"}, GOOD_HEADERS)
  -- the quarantine rule for LIST_SENDER_REVIEW exists for inbound mail only
  check(not mt.eom_check(conn, MT_QUARANTINE), "outbound mail quarantined by an inbound rule")
  mt.disconnect(conn)
end)

run_test("direction from internal_networks: a client in 10.0.0.0/8 is outbound", function()
  local conn = open("10.1.2.3", "internal.example.net")
  send_message(conn, "<x@mail.review.example>", {"<bob@feas.test>"}, GOOD_HEADERS)
  check(not mt.eom_check(conn, MT_QUARANTINE), "outbound mail quarantined by an inbound rule")
  mt.disconnect(conn)
end)

run_test("two messages on one connection get their own verdicts", function()
  local conn = open()
  send_message(conn, "<x@mail.review.example>", {"<bob@feas.test>"}, GOOD_HEADERS)
  check(mt.eom_check(conn, MT_QUARANTINE), "first not quarantined")
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, GOOD_HEADERS)
  check(not mt.eom_check(conn, MT_QUARANTINE), "second quarantined")
  mt.disconnect(conn)
end)

run_test("an oversized message is rejected by the LIMIT_MESSAGE_SIZE rule", function()
  local conn = open()
  check(mt.mailfrom(conn, "<alice@example.org>") == nil, "mailfrom")
  check(mt.rcptto(conn, "<bob@feas.test>") == nil, "rcptto")
  for _, h in ipairs(GOOD_HEADERS) do mt.header(conn, h[1], h[2]) end
  pcall(mt.eoh, conn)
  local line = string.rep("x", 998) .. "\r\n"
  local chunk = string.rep(line, 60)   -- 60 KB
  for i = 1, 3 do check(mt.bodystring(conn, chunk) == nil, "body") end
  check(mt.eom(conn) == nil, "eom")
  check(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code, got " .. mt.getreply(conn))
  check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", "Message too large to be inspected"), "expected 550 5.7.1 Message too large to be inspected")
  mt.disconnect(conn)
end)
