-- Recipients that differ, through the real postern-milter: a recipient list's
-- reject refuses that recipient alone, and a recipient of another policy group
-- is deferred (the run script checks the 550 and 452 4.5.3 in the event log).
dofile(LIBDIR .. "/lib.lua")

local function eom_accepts(conn)
  local r = mt.getreply(conn)
  return r == SMFIR_CONTINUE or r == SMFIR_ACCEPT
end

local function data(conn, headers)
  for _, h in ipairs(headers) do check(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1]) end
  pcall(mt.eoh, conn)
  check(mt.bodystring(conn, "hello\r\n") == nil, "body")
  check(mt.eom(conn) == nil, "eom")
end

for _, order in ipairs({{"blocked-rcpt", "bob"}, {"bob", "blocked-rcpt"}}) do
  run_test("two recipients, " .. order[1] .. " first: only the listed one is refused, the other gets the message", function()
    local conn = open()
    check(mt.mailfrom(conn, "<rcpt-" .. order[1] .. "-first@example.org>") == nil, "mailfrom")
    for _, who in ipairs(order) do
      check(mt.rcptto(conn, "<" .. who .. "@feas.test>") == nil, "rcptto " .. who)
      local r = mt.getreply(conn)
      if who == "blocked-rcpt" then
        check(r == SMFIR_REPLYCODE, "listed recipient: expected a reply code, got " .. r)
      else
        check(r == SMFIR_CONTINUE, "bob: expected continue, got " .. r)
      end
    end
    data(conn, GOOD_HEADERS)
    check(eom_accepts(conn), "eom reply " .. mt.getreply(conn))
    local v = mt.getheader(conn, "X-Postern-Verdict", 0)
    check(v ~= nil and string.find(v, "^accept score=0 ") ~= nil, "verdict: " .. tostring(v))
    check(mt.getheader(conn, "X-Postern-Findings", 0) == nil, "the refused recipient's finding is in bob's copy")
    mt.disconnect(conn)
  end)
end

run_test("a recipient of another group is deferred; bob's message goes through", function()
  local conn = open()
  check(mt.mailfrom(conn, "<group-deferral@example.org>") == nil, "mailfrom")
  check(mt.rcptto(conn, "<bob@feas.test>") == nil, "rcptto bob")
  check(mt.getreply(conn) == SMFIR_CONTINUE, "bob not accepted: " .. mt.getreply(conn))
  check(mt.rcptto(conn, "<carol@strict.feas.test>") == nil, "rcptto carol")
  check(mt.getreply(conn) == SMFIR_REPLYCODE, "carol (group strict): expected a reply code, got " .. mt.getreply(conn))
  data(conn, GOOD_HEADERS)
  check(eom_accepts(conn), "eom reply " .. mt.getreply(conn))
  mt.disconnect(conn)
end)

run_test("the deferred recipient's own transaction: the strict group tags what the default accepts", function()
  local conn = open()
  local h = {}
  for _, f in ipairs(GOOD_HEADERS) do
    if f[1] ~= "Message-ID" then table.insert(h, f) end  -- HEADER_MISSING_MESSAGE_ID (1)
  end
  check(mt.mailfrom(conn, "<group-strict@example.org>") == nil, "mailfrom")
  check(mt.rcptto(conn, "<carol@strict.feas.test>") == nil, "rcptto carol")
  check(mt.getreply(conn) == SMFIR_CONTINUE, "carol not accepted: " .. mt.getreply(conn))
  data(conn, h)
  check(eom_accepts(conn), "eom reply " .. mt.getreply(conn))
  local v = mt.getheader(conn, "X-Postern-Verdict", 0)
  check(v ~= nil and string.find(v, "^tag score=1 ") ~= nil, "verdict: " .. tostring(v))
  check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[STRICT] plain"), "subject not tagged with the group's prefix")
  mt.disconnect(conn)
end)
