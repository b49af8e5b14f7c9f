-- Helpers for the milter-protocol scripts. miltertest 2.11 swallows Lua error
-- text, so every script runs inside run_test(), which prints PASS or FAIL: why.
SOCK = SOCK or "inet:13001@127.0.0.1"

function check(cond, what)
  if not cond then error(what, 2) end
end

-- A connection that has sent connect info and HELO from `ip`.
function open(ip, host)
  local conn = mt.connect(SOCK, 20, 0.25)
  check(conn ~= nil, "cannot connect to " .. SOCK)
  check(mt.conninfo(conn, host or "client.example.net", ip or "198.51.100.7") == nil, "conninfo")
  check(mt.helo(conn, host or "client.example.net") == nil, "helo")
  return conn
end

-- Sends a whole message (headers table of {name, value}, body string) and EOM.
function send_message(conn, from, rcpts, headers, body)
  check(mt.mailfrom(conn, from) == nil, "mailfrom")
  for _, r in ipairs(rcpts) do
    check(mt.rcptto(conn, r) == nil, "rcptto " .. r)
    check(mt.getreply(conn) == SMFIR_CONTINUE, "rcpt " .. r .. " not accepted, reply " .. mt.getreply(conn))
  end
  for _, h in ipairs(headers) do check(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1]) end
  pcall(mt.eoh, conn)  -- postern negotiates SMFIP_NOEOH: it has no use for that step
  check(mt.bodystring(conn, body or "hello\r\n") == nil, "body")
  check(mt.eom(conn) == nil, "eom")
end

GOOD_HEADERS = {
  {"From", "Alice <alice@example.org>"},
  {"To", "bob@feas.test"},
  {"Subject", "plain"},
  {"Date", "Thu, 26 Nov 2026 10:00:00 +0000"},
  {"Message-ID", "<1@example.org>"},
}

function run_test(name, f)
  local ok, err = pcall(f)
  if ok then print("PASS " .. name) else print("FAIL " .. name .. ": " .. tostring(err)) end
end
