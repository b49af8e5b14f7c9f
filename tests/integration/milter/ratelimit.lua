-- A rate limit shared by two postern-milters on one redis-server: an outbound
-- burst from one SASL account (limit 2 per hour) is tempfailed at RCPT on
-- whichever instance the third message reaches. SOCK_A and SOCK_B are the two.
dofile(LIBDIR .. "/lib.lua")

-- One message from the SASL user `user` through `sock`; the RCPT reply.
local function attempt(sock, user)
  SOCK = sock
  local conn = open("203.0.113.9", "laptop.example.net")
  check(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", user, "{auth_type}", "PLAIN") == nil, "macro")
  check(mt.mailfrom(conn, "<" .. user .. ">") == nil, "mailfrom")
  check(mt.rcptto(conn, "<friend@example.net>") == nil, "rcptto")
  local reply = mt.getreply(conn)
  if reply == SMFIR_CONTINUE then
    for _, h in ipairs(GOOD_HEADERS) do check(mt.header(conn, h[1], h[2]) == nil, "header") end
    pcall(mt.eoh, conn)
    check(mt.bodystring(conn, "hello\r\n") == nil, "body")
    check(mt.eom(conn) == nil, "eom")
  end
  mt.disconnect(conn)
  return reply
end

run_test("the first message of the account is accepted by instance A", function()
  check(attempt(SOCK_A, "burst@feas.test") == SMFIR_CONTINUE, "refused")
end)
run_test("the second is accepted by instance B", function()
  check(attempt(SOCK_B, "burst@feas.test") == SMFIR_CONTINUE, "refused")
end)
run_test("the third, on instance A, is over the shared limit: tempfailed at RCPT", function()
  check(attempt(SOCK_A, "burst@feas.test") == SMFIR_REPLYCODE, "not refused")
end)
run_test("and on instance B too (the refused attempt did not count, the limit still holds)", function()
  check(attempt(SOCK_B, "burst@feas.test") == SMFIR_REPLYCODE, "not refused")
end)
run_test("another account on the same instances is not limited", function()
  check(attempt(SOCK_B, "calm@feas.test") == SMFIR_CONTINUE, "refused")
end)
