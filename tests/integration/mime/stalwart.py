#!/usr/bin/python3
"""Compares postern's MIME engine with the expected JSON of stalwart's mail-parser
(../shared/corpus/mime/stalwart/*/NNN.json) where the fields correspond: the
leaf parts in document order (Text, Html, Binary, InlineBinary bodies; Multipart
and Message are containers), their content type, and their decoded content
(text compared as UTF-8 with line ends normalised, binary by SHA-256).
Differences postern makes on purpose are in stalwart_allowlist.txt.
Usage: stalwart.py MIME_DUMP STALWART_DIR [ALLOWLIST]
"""
import glob
import hashlib
import json
import os
import subprocess
import sys


def stalwart_leaves(doc):
    out = []

    def ctype(part):
        for h in part["headers"]:
            if h["name"] == "content_type":
                ct = h["value"].get("ContentType")
                if ct:
                    return ("%s/%s" % (ct["c_type"], ct.get("c_subtype") or "")).lower()
        return None

    def walk(parts, idx, default):
        p = parts[idx]
        body = p["body"]
        kind = next(iter(body))
        if kind == "Multipart":
            for i in body["Multipart"]:
                walk(parts, i, "text/plain")
        elif kind == "Message":
            inner = body["Message"]
            walk(inner["parts"], 0, "text/plain")
        else:
            t = ctype(p) or default
            if kind in ("Text", "Html"):
                content = ("text", body[kind].replace("\r\n", "\n"))
            else:
                content = ("sha256", hashlib.sha256(bytes(body[kind])).hexdigest())
            out.append((t, content))

    walk(doc["parts"], 0, "text/plain")
    return out


def ours_leaves(e):
    out = []
    for l in e["leaves"]:
        if l["uuencoded"]:
            continue
        if "utf8" in l:
            content = ("text", l["utf8"].replace("\r\n", "\n"))
        else:
            content = ("sha256", l["sha256"])
        out.append((l["content_type"], content))
    return out


def main():
    dump, sdir = sys.argv[1], sys.argv[2]
    allow_path = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "stalwart_allowlist.txt")
    allow = {}
    for line in open(allow_path, encoding="utf-8") if os.path.exists(allow_path) else []:
        line = line.strip()
        if line and not line.startswith("#"):
            path, _, reason = line.partition(" ")
            allow[path] = reason
    pairs = []
    for js in sorted(glob.glob(os.path.join(sdir, "*", "*.json"))):
        if js.endswith(".crlf.json"):
            continue
        eml = js[:-5] + ".eml"
        if os.path.exists(eml):
            pairs.append((eml, js))
    res = subprocess.run([dump], input="\n".join(e for e, _ in pairs) + "\n", capture_output=True, text=True, check=True)
    ours = {}
    for line in res.stdout.split("\n"):
        if not line:
            continue
        e = json.loads(line)
        ours[e["file"]] = ours_leaves(e)
    same = allowed = 0
    unexpected = []
    for eml, js in pairs:
        rel = os.path.relpath(eml, sdir)
        theirs = stalwart_leaves(json.load(open(js, encoding="utf-8")))
        mine = ours[eml]
        # A part one side reads as text and the other as bytes: compare bytes (UTF-8 of the text).
        def norm(a, b):
            if a[1][0] != b[1][0]:
                conv = lambda c: c if c[0] == "sha256" else ("sha256", hashlib.sha256(c[1].encode("utf-8", "surrogateescape")).hexdigest())
                return (a[0], conv(a[1])), (b[0], conv(b[1]))
            return a, b
        if len(mine) == len(theirs):
            pairs_n = [norm(a, b) for a, b in zip(mine, theirs)]
            mine = [a for a, _ in pairs_n]
            theirs = [b for _, b in pairs_n]
        if mine == theirs:
            same += 1
            if rel in allow:
                unexpected.append("%s: allow-listed but now identical" % rel)
            continue
        if rel in allow:
            allowed += 1
            continue
        detail = []
        if len(mine) != len(theirs):
            detail.append("leaf count postern=%d stalwart=%d" % (len(mine), len(theirs)))
        for i, (a, b) in enumerate(zip(mine, theirs)):
            if a[0] != b[0]:
                detail.append("leaf %d type postern=%s stalwart=%s" % (i + 1, a[0], b[0]))
            if a[1] != b[1]:
                detail.append("leaf %d content differs (%s: %r vs %r)" % (i + 1, a[1][0], a[1][1][:60], b[1][1][:60]))
        unexpected.append("%s: %s" % (rel, "; ".join(detail[:3])))
    print("messages=%d identical=%d allow-listed=%d unexpected=%d" % (len(pairs), same, allowed, len(unexpected)))
    for u in unexpected:
        print("UNEXPECTED " + u)
    sys.exit(1 if unexpected else 0)


if __name__ == "__main__":
    main()
