-- The outcome as an edit script over the milter protocol: the banner as a body
-- replacement (smfi_replacebody) and the archive copy as an added recipient
-- (smfi_addrcpt). Policy: 60-edits.toml written by run. (miltertest crashes on a
-- replacement body of more than a few KiB: replace_body.py checks a large one.)
dofile(LIBDIR .. "/lib.lua")

BANNER = "CAUTION: external sender"

run_test("inbound mail gets the banner as a new body and the journal as a recipient", function()
  local conn = open()
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, GOOD_HEADERS, "hello\r\nbob\r\n")
  check(mt.getreply(conn) == SMFIR_CONTINUE or mt.getreply(conn) == SMFIR_ACCEPT, "eom reply " .. mt.getreply(conn))
  check(mt.eom_check(conn, MT_BODYCHANGE, BANNER .. "\r\n\r\nhello\r\nbob\r\n"), "body not replaced with the bannered body")
  check(mt.eom_check(conn, MT_RCPTADD, "<journal@feas.test>"), "journal@feas.test not added")
  check(not mt.eom_check(conn, MT_RCPTDELETE, "<bob@feas.test>"), "bob was removed")
  mt.disconnect(conn)
end)

run_test("a multipart/signed message keeps its body; the journal copy is still added", function()
  local conn = open()
  local h = {table.unpack(GOOD_HEADERS)}
  table.insert(h, {"MIME-Version", "1.0"})
  table.insert(h, {"Content-Type", "multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"s1\""})
  local body = "--s1\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n--s1\r\n" ..
               "Content-Type: application/pkcs7-signature\r\n\r\nMIIB\r\n--s1--\r\n"
  send_message(conn, "<alice@example.org>", {"<bob@feas.test>"}, h, body)
  check(not mt.eom_check(conn, MT_BODYCHANGE), "a signed body was changed")
  check(mt.eom_check(conn, MT_RCPTADD, "<journal@feas.test>"), "journal@feas.test not added")
  mt.disconnect(conn)
end)

run_test("outbound mail gets neither (both sections are for inbound mail)", function()
  local conn = open("10.1.2.3", "internal.example.net")
  send_message(conn, "<alice@feas.test>", {"<bob@example.org>"}, GOOD_HEADERS, "hello\r\n")
  check(not mt.eom_check(conn, MT_BODYCHANGE), "outbound body changed")
  check(not mt.eom_check(conn, MT_RCPTADD, "<journal@feas.test>"), "outbound journal copy added")
  mt.disconnect(conn)
end)
