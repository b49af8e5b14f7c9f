#!/usr/bin/env python3
"""make_mix.py: the standard benchmark message mix, generated deterministically.

Contract: make_mix.py CORPUS_DIR OUT_DIR [--count N] [--seed S]
writes N messages (default 200, seed 1) into OUT_DIR (created; old *.eml there
are removed) as NNNN-small.eml / NNNN-attach.eml / NNNN-large.eml, plus
MANIFEST (one line per message: file, size, sha256, sources) and prints one
summary line ending in the SHA-256 of the MANIFEST: the same corpus, count and
seed always give the same digest. Nothing random outside random.Random(seed);
corpus files are listed in sorted order.

The mix (round(0.6 N) / round(0.3 N) / the rest):
  small  (60 %) a corpus message as is: ham/, spam/, phish/ files under 20 KB
                (plain text and HTML, 2002-2005 real mail, 8-bit headers included)
  attach (30 %) the headers and text of a small message, re-wrapped as
                multipart/mixed with 1-2 base64 attachments from attach/
                (Office documents with and without macros, PDFs, RTF; < 110 KB each)
  large  (10 %) the same, with a 150-450 KB slice of attach/oletools/msodde/
                RTF-Spec-1.7.rtf plus one more attachment: 200-650 KB on the wire
Messages are shuffled. Failure: exits 2 when the corpus lacks the folders above.
"""
import argparse
import base64
import hashlib
import os
import random
import sys

SMALL_DIRS = ["ham", "spam", "phish"]
SMALL_MAX = 20 * 1024
ATTACH_MAX = 110 * 1024
BIG_FILE = "attach/oletools/msodde/RTF-Spec-1.7.rtf"
TYPES = {
    ".doc": "application/msword", ".dot": "application/msword", ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint", ".pps": "application/vnd.ms-powerpoint",
    ".pdf": "application/pdf", ".rtf": "application/rtf", ".xml": "application/xml",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docm": "application/vnd.ms-word.document.macroEnabled.12",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def files_under(root, rel, max_size=None):
    out = []
    for dirpath, _, names in os.walk(os.path.join(root, rel)):
        for n in names:
            p = os.path.join(dirpath, n)
            if n.endswith(".json") or n == "COPYING":
                continue
            if max_size is None or os.path.getsize(p) < max_size:
                out.append(os.path.relpath(p, root))
    return sorted(out)


def split(raw):
    """Header block and body of a raw message (bytes), line ends normalized to LF."""
    raw = raw.replace(b"\r\n", b"\n")
    i = raw.find(b"\n\n")
    return (raw, b"") if i < 0 else (raw[:i + 1], raw[i + 2:])


def base_headers(head):
    """Keep the envelope-like fields of a small message; drop its MIME fields."""
    keep, cur = [], None
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and cur is not None:
            if cur:
                keep.append(line)
            continue
        name = line.split(b":", 1)[0].lower()
        cur = name in (b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to", b"received")
        if cur:
            keep.append(line)
    return b"\n".join(keep) + b"\n"


def attachment(name, data, boundary):
    ext = os.path.splitext(name)[1].lower()
    ctype = TYPES.get(ext, "application/octet-stream")
    b64 = base64.encodebytes(data)  # 76-column lines
    return (b"--" + boundary + b"\nContent-Type: " + ctype.encode() + b'; name="' + name.encode() + b'"\n'
            b'Content-Disposition: attachment; filename="' + name.encode() + b'"\n'
            b"Content-Transfer-Encoding: base64\n\n" + b64)


def compose(rng, corpus, small, attach_files, large):
    src = rng.choice(small)
    head, body = split(open(os.path.join(corpus, src), "rb").read())
    boundary = b"=_bench_%08x" % rng.getrandbits(32)
    text = body[:4000] if body.strip() else b"Please see the attached file.\n"
    parts = [b"--" + boundary + b"\nContent-Type: text/plain; charset=us-ascii\n\n" + text.rstrip(b"\n") + b"\n"]
    sources = [src]
    picks = rng.sample(attach_files, 1 if large else rng.choice([1, 1, 2]))
    if large:
        big = open(os.path.join(corpus, BIG_FILE), "rb").read()
        n = rng.randint(150_000, 450_000)
        off = rng.randint(0, len(big) - n)
        parts.append(attachment("spec-excerpt.rtf", big[off:off + n], boundary))
        sources.append("%s[%d:%d]" % (BIG_FILE, off, off + n))
    for p in picks:
        parts.append(attachment(os.path.basename(p), open(os.path.join(corpus, p), "rb").read(), boundary))
        sources.append(p)
    msg = (base_headers(head) + b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"" + boundary + b"\"\n\n"
           b"This is a multi-part message in MIME format.\n\n" + b"".join(parts) + b"--" + boundary + b"--\n")
    return msg, sources


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.count < 1 or a.count > 100000:
        sys.exit("make_mix: --count must be 1..100000")
    for d in SMALL_DIRS + ["attach", BIG_FILE]:
        if not os.path.exists(os.path.join(a.corpus, d)):
            print("make_mix: %s has no %s" % (a.corpus, d), file=sys.stderr)
            sys.exit(2)
    rng = random.Random(a.seed)
    small = [f for d in SMALL_DIRS for f in files_under(a.corpus, d, SMALL_MAX)]
    attach_files = [f for f in files_under(a.corpus, "attach", ATTACH_MAX) if not f.endswith(".eml")]
    n_small = round(a.count * 0.6)
    n_attach = round(a.count * 0.3)
    kinds = ["small"] * n_small + ["attach"] * n_attach + ["large"] * (a.count - n_small - n_attach)
    rng.shuffle(kinds)
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(a.out):
        if f.endswith(".eml") or f == "MANIFEST":
            os.remove(os.path.join(a.out, f))
    manifest, total = [], 0
    for i, kind in enumerate(kinds, 1):
        if kind == "small":
            src = rng.choice(small)
            msg, sources = open(os.path.join(a.corpus, src), "rb").read(), [src]
        else:
            msg, sources = compose(rng, a.corpus, small, attach_files, kind == "large")
        name = "%04d-%s.eml" % (i, kind)
        with open(os.path.join(a.out, name), "wb") as f:
            f.write(msg)
        total += len(msg)
        manifest.append("%s %d %s %s" % (name, len(msg), hashlib.sha256(msg).hexdigest(), " ".join(sources)))
    text = "\n".join(manifest) + "\n"
    with open(os.path.join(a.out, "MANIFEST"), "w") as f:
        f.write(text)
    print("make_mix: %d messages (%d small, %d attach, %d large), %.1f MB, seed %d, manifest sha256 %s"
          % (a.count, n_small, n_attach, a.count - n_small - n_attach, total / 1e6, a.seed,
             hashlib.sha256(text.encode()).hexdigest()))


if __name__ == "__main__":
    main()
