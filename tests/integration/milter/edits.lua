-- The outcome as an edit script over the milter protocol: the banner as a body
-- replacement (smfi_replacebody) and the redirect of quarantined mail as removed
-- and added recipients (smfi_delrcpt, smfi_addrcpt). Policy: 60-edits.toml written by run. (miltertest crashes on a
-- replacement body of more than a few KiB: replace_body.py checks a large one.)
dofile(LIBDIR .. "/lib.lua")

BANNER = "CAUTION: external sender"

run_test("inbound mail gets the banner as a new body; its recipients stay", function()
  local conn = open()
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, GOOD_HEADERS, "hello\r\nbob\r\n")
  check(mt.getreply(conn) == SMFIR_CONTINUE or mt.getreply(conn) == SMFIR_ACCEPT, "eom reply " .. mt.getreply(conn))
  check(mt.eom_check(conn, MT_BODYCHANGE, BANNER .. "\r\n\r\nhello\r\nbob\r\n"), "body not replaced with the bannered body")
  check(not mt.eom_check(conn, MT_RCPTADD, "<review@feas.test>"), "accepted mail redirected")
  check(not mt.eom_check(conn, MT_RCPTDELETE, "<bob@feas.test>"), "bob was removed")
  mt.disconnect(conn)
end)

run_test("quarantined inbound mail is redirected: bob removed, review@ added, and held", function()
  local conn = open()
  send_message(conn, "<x@mail.review.example>", {"<bob@feas.test>"}, GOOD_HEADERS, "hello\r\n")
  check(mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
  check(mt.eom_check(conn, MT_RCPTDELETE, "<bob@feas.test>"), "bob not removed")
  check(mt.eom_check(conn, MT_RCPTADD, "<review@feas.test>"), "review@feas.test not added")
  check(mt.eom_check(conn, MT_BODYCHANGE, BANNER .. "\r\n\r\nhello\r\n"), "no banner")
  mt.disconnect(conn)
end)

run_test("a multipart/signed message keeps its body", function()
  local conn = open()
  local h = {table.unpack(GOOD_HEADERS)}
  table.insert(h, {"MIME-Version", "1.0"})
  table.insert(h, {"Content-Type", "multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"s1\""})
  local body = "--s1\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n--s1\r\n" ..
               "Content-Type: application/pkcs7-signature\r\n\r\nMIIB\r\n--s1--\r\n"
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, h, body)
  check(not mt.eom_check(conn, MT_BODYCHANGE), "a signed body was changed")
  mt.disconnect(conn)
end)

run_test("outbound mail gets neither (both sections are for inbound mail)", function()
  local conn = open("10.1.2.3", "internal.example.net")
  send_message(conn, "<alice@feas.test>", {"<bob@example.org>"}, GOOD_HEADERS, "hello\r\n")
  check(not mt.eom_check(conn, MT_BODYCHANGE), "outbound body changed")
  check(not mt.eom_check(conn, MT_RCPTADD, "<review@feas.test>"), "outbound recipient added")
  mt.disconnect(conn)
end)
