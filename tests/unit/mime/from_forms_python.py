#!/usr/bin/env python3
"""Python's email.headerregistry, the reference reader, against tests/data/from_forms.tsv:
every author domain Python reads from a form must be among the domains the table
(and so postern, see address_test.cpp) gives for it. Exit 1 on the first miss."""
import sys
from email import policy
from email.parser import BytesParser


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n in "rnt":
                out += {"r": b"\r", "n": b"\n", "t": b"\t"}[n]
                i += 2
                continue
            if n == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
        out += c.encode()
        i += 1
    return bytes(out)


def main(path):
    bad = rows = 0
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        form, domains, _, what = line.split("\t")
        want = {d for d in domains.split(",") if d.strip()}
        raw = b"From: " + unescape(form) + b"\r\nSubject: x\r\n\r\nbody\r\n"
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        seen = set()
        for value in msg.get_all("From") or []:
            for a in getattr(value, "addresses", ()):
                if a.domain:
                    seen.add(a.domain.lower().rstrip("."))
        rows += 1
        if not seen <= want:
            bad += 1
            print(f"not ok - {what}: Python reads {sorted(seen)}, the table has {sorted(want)}")
    print(f"{rows} forms, {bad} where Python reads a domain postern does not")
    return 1 if bad or rows < 30 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
