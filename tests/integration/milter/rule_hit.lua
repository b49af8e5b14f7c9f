dofile(LIBDIR .. "/lib.lua")
run_test("a message that hits a shipped content rule (LURE_MAILBOX_FULL) gets a verdict", function()
  local conn = open()
  send_message(conn, "<it@example.org>", {"<bob@feas.test>"}, {
    {"From", "IT <it@example.org>"},
    {"To", "bob@feas.test"},
    {"Subject", "Your mailbox is full"},
    {"Date", "Thu, 26 Nov 2026 10:00:00 +0000"},
    {"Message-ID", "<rule-hit@example.org>"},
  })
  check(mt.eom_check(conn, MT_HDRADD, "X-Postern-Verdict"), "no verdict header")
  mt.disconnect(conn)
end)
