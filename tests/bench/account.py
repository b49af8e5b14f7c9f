#!/usr/bin/env python3
"""account.py: where every message of a load run ended up.

Contract:
  account.py collect DUMP_DIR IDS_FILE MIN_AGE_S
      appends the Message-ID of every smtp-sink dump file older than MIN_AGE_S
      seconds to IDS_FILE (one per line) and deletes the file; prints nothing.
  account.py report --records FILE --sink-ids FILE --queue-json FILE --maillog FILE
                    [--label TEXT] [--json]
      FILE formats: --records is smtp_load's (one line per attempt: SEQ MESSAGE-ID
      ATTEMPT STEP CODE QUEUE-ID MS); --queue-json is `postqueue -j` output taken
      after the queue was flushed and drained; --maillog is Postfix's log.
      Per message (by Message-ID; the last attempt decides):
        rejected      the last reply was 5xx
        delivered     its Message-ID reached smtp-sink
        quarantined   its queue id is in the hold queue
        deferred      its queue id is still in the incoming/active/deferred queue
        tempfailed    the last reply was 4xx or a broken connection (the client still has it)
        lost          accepted (250, queue id) and none of the above
      plus "deferred then delivered": delivered after a 4xx/broken attempt or
      after a Postfix deferral of its queue id (maillog status=deferred), and
      "duplicates": extra copies at the sink. Cross-check: deliveries that the
      maillog shows for the accepted queue ids (status=sent).
      Prints one line of counts (and a JSON object with --json); exits 1 when
      lost > 0 or the counts do not add up to sent, else 0.
"""
import argparse
import json
import os
import re
import sys
import time

MID_RE = re.compile(rb"^message-id:\s*(<[^>\s]+>)", re.I | re.M)
LOG_MID = re.compile(r"\]: ([0-9A-Za-z]+): message-id=(<[^>]*>)")
LOG_STATUS = re.compile(r"\]: ([0-9A-Za-z]+): to=<[^>]*>,.* status=(sent|deferred|bounced)")


def collect(dump_dir, ids_file, min_age):
    now = time.time()
    out = []
    for root, _, names in os.walk(dump_dir):
        for n in names:
            p = os.path.join(root, n)
            try:
                if now - os.path.getmtime(p) < min_age:
                    continue
                with open(p, "rb") as f:
                    head = f.read(16384)
                m = MID_RE.search(head)
                out.append(m.group(1).decode("ascii", "replace") if m else "<none>")
                os.remove(p)
            except OSError:
                continue
    with open(ids_file, "a") as f:
        for mid in out:
            f.write(mid + "\n")


def report(a):
    last, bad_attempt = {}, set()
    for line in open(a.records):
        f = line.split()
        if len(f) < 7:
            continue
        seq, mid, attempt, step, code, qid = f[0], f[1], int(f[2]), f[3], int(f[4]), f[5]
        if mid not in last or attempt >= last[mid][0]:
            last[mid] = (attempt, step, code, qid)
        if code == 0 or 400 <= code < 500:
            bad_attempt.add(mid)
    sink = {}
    for line in open(a.sink_ids):
        mid = line.strip()
        sink[mid] = sink.get(mid, 0) + 1
    queues = {}
    for line in open(a.queue_json):
        line = line.strip()
        if line:
            m = json.loads(line)
            queues[m.get("queue_id")] = m.get("queue_name")
    sent_qids, deferred_qids = set(), set()
    with open(a.maillog, errors="replace") as f:
        for line in f:
            m = LOG_STATUS.search(line)
            if m:
                (sent_qids if m.group(2) == "sent" else deferred_qids).add(m.group(1))
    c = dict(sent=len(last), delivered=0, rejected=0, quarantined=0, deferred=0, tempfailed=0, lost=0,
             deferred_then_delivered=0, duplicates=0, maillog_sent=0)
    lost_examples = []
    for mid, (attempt, step, code, qid) in last.items():
        if 500 <= code < 600:
            c["rejected"] += 1
        elif code == 0 or 400 <= code < 500:
            c["tempfailed"] += 1
        elif mid in sink:
            c["delivered"] += 1
            c["duplicates"] += sink[mid] - 1
            if mid in bad_attempt or qid in deferred_qids:
                c["deferred_then_delivered"] += 1
        elif queues.get(qid) == "hold":
            c["quarantined"] += 1
        elif qid in queues:
            c["deferred"] += 1
        else:
            c["lost"] += 1
            if len(lost_examples) < 5:
                lost_examples.append("%s qid=%s" % (mid, qid))
        if code == 250 and qid in sent_qids:
            c["maillog_sent"] += 1
    total = c["delivered"] + c["rejected"] + c["quarantined"] + c["deferred"] + c["tempfailed"] + c["lost"]
    c["adds_up"] = total == c["sent"]
    print("%s: sent %d, delivered %d, rejected %d, quarantined %d, deferred %d, tempfailed %d, lost %d; "
          "deferred then delivered %d, duplicates %d; maillog status=sent for %d accepted queue ids; %s"
          % (a.label or "account", c["sent"], c["delivered"], c["rejected"], c["quarantined"], c["deferred"],
             c["tempfailed"], c["lost"], c["deferred_then_delivered"], c["duplicates"], c["maillog_sent"],
             "delivered + rejected + quarantined + deferred + tempfailed = sent" if c["adds_up"]
             else "COUNTS DO NOT ADD UP (%d != %d)" % (total, c["sent"])))
    for e in lost_examples:
        print("  lost: " + e)
    if a.json:
        c["label"] = a.label
        print(json.dumps(c, sort_keys=True))
    return 0 if c["lost"] == 0 and c["adds_up"] else 1


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "collect":
        collect(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["report"])
    ap.add_argument("--records", required=True)
    ap.add_argument("--sink-ids", required=True)
    ap.add_argument("--queue-json", required=True)
    ap.add_argument("--maillog", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--json", action="store_true")
    return report(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
