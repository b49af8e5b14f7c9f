#!/usr/bin/python3
"""Differential test: postern's MIME engine against Python's email package.

For every message under the corpus folders, compares the leaf parts that
Python (email.message_from_bytes with policy.default) and postern find: count,
content type, filename, SHA-256 of the decoded payload. uuencoded blocks that
postern adds as extra parts are left out of the comparison (an intended
addition). Differences postern makes on purpose are listed in allowlist.txt,
one line per message ("path-relative-to-corpus  reason"); any other difference
fails. Usage: differential.py MIME_DUMP CORPUS [ALLOWLIST]
"""
import email
import email.policy
import hashlib
import json
import os
import subprocess
import sys


def python_leaves(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename() or ""
        except Exception:  # a header Python cannot parse
            filename = "<error>"
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = None
        if payload is None:
            payload = b""
        out.append((part.get_content_type(), str(filename), hashlib.sha256(payload).hexdigest()))
    return out


def main():
    dump, corpus = sys.argv[1], sys.argv[2]
    allow_path = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "allowlist.txt")
    allow = {}
    if os.path.exists(allow_path):
        for line in open(allow_path, encoding="utf-8"):
            line = line.strip()
            if line and not line.startswith("#"):
                path, _, reason = line.partition(" ")
                allow[path] = reason.strip()
    files = []
    for folder in ("ham", "spam", "phish", "mime"):
        for root, _, names in os.walk(os.path.join(corpus, folder)):
            for n in names:
                if n.endswith(".eml") or ".fuzzy" in n:
                    files.append(os.path.join(root, n))
    files.sort()
    res = subprocess.run([dump], input="\n".join(files) + "\n", capture_output=True, text=True, check=True)
    ours = {}
    for line in res.stdout.split("\n"):
        if not line:
            continue
        e = json.loads(line)
        ours[e["file"]] = [(l["content_type"], l["filename"], l["sha256"]) for l in e["leaves"] if not l["uuencoded"]]
    same = differ = allowed = 0
    unexpected = []
    seen_allowed = set()
    for f in files:
        rel = os.path.relpath(f, corpus)
        theirs = python_leaves(open(f, "rb").read())
        mine = ours.get(f)
        if mine == theirs:
            same += 1
            if rel in allow:
                unexpected.append("%s: allow-listed but now identical: remove it from the allow-list" % rel)
            continue
        differ += 1
        if rel in allow:
            allowed += 1
            seen_allowed.add(rel)
            continue
        detail = []
        if mine is None:
            detail.append("postern produced no output")
        else:
            if len(mine) != len(theirs):
                detail.append("leaf count postern=%d python=%d" % (len(mine), len(theirs)))
            for i, (a, b) in enumerate(zip(mine, theirs)):
                for name, x, y in zip(("type", "filename", "sha256"), a, b):
                    if x != y:
                        detail.append("leaf %d %s: postern=%r python=%r" % (i + 1, name, x[:80], y[:80]))
        unexpected.append("%s: %s" % (rel, "; ".join(detail[:4])))
    for rel in sorted(set(allow) - seen_allowed):
        if not os.path.exists(os.path.join(corpus, rel)):
            unexpected.append("%s: allow-listed but not in the corpus" % rel)
    print("messages=%d identical=%d different=%d allow-listed=%d unexpected=%d"
          % (len(files), same, differ, allowed, len(unexpected)))
    for u in unexpected:
        print("UNEXPECTED " + u)
    sys.exit(1 if unexpected else 0)


if __name__ == "__main__":
    main()
