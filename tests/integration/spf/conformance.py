#!/usr/bin/env python3
"""SPF conformance: the openspf RFC 7208 test suite against postern's SPF check.

Usage: conformance.py SPF_CHECK SUITE.yml KNOWN_FAILURES [--update]

Each scenario's zonedata becomes lib/dns local data; what it does not answer
goes to the driver's fake upstream (NXDOMAIN), so nothing reaches the network.
A TIMEOUT name gets a typetransparent local zone (its own records answer, other
types are forwarded) and the upstream never answers it. {'TXT': 'NONE'} means
no TXT record; an SPF (type 99) record with no TXT beside it is served as TXT
(the suite's convention: RFC 7208 dropped type SPF). Each
case runs through the spf_check driver; the case passes when the result is one
of the results the YAML allows (one string or a list). Explanations are not
compared. Prints the pass count. Exit 1 when a case fails that is not listed in
KNOWN_FAILURES, or a listed case passes (so the list stays honest).
KNOWN_FAILURES lines: "scenario-index/case-name  reason"; # comments.
"""
import json
import subprocess
import sys

import yaml


def label_ok(name):
    labels = name.rstrip('.').split('.')
    return all(0 < len(l) <= 63 for l in labels) and len(name) <= 253


def quote_txt(s):
    """One TXT record's text as unbound zone-file strings (split at 255 bytes)."""
    if isinstance(s, list):
        parts = s
    else:
        b = s.encode('utf-8')
        parts = [b[i:i + 255].decode('utf-8', 'replace') for i in range(0, len(b), 255)] or ['']
    out = []
    for p in parts:
        q = ''
        for ch in p.encode('utf-8'):
            c = chr(ch)
            if c in '"\\':
                q += '\\' + c
            elif 32 <= ch < 127:
                q += c
            else:
                q += '\\%03d' % ch
        out.append('"%s"' % q)
    return ' '.join(out) if out else '""'


def owner(name):
    """A name in zone-file syntax: bytes other than letters, digits, - and _ as \\DDD."""
    out = ''
    for ch in name.rstrip('.').encode('utf-8'):
        c = chr(ch)
        out += c if (c.isalnum() and ch < 128) or c in '-_.' else '\\%03d' % ch
    return out + '.'


def zone_lines(zonedata, timeouts):
    lines = []
    for name, rrs in zonedata.items():
        if not label_ok(name):
            continue  # unbound refuses such names: they stay NXDOMAIN
        fq = owner(name)
        have_txt = any(isinstance(r, dict) and 'TXT' in r for r in rrs)
        for r in rrs:
            if r == 'TIMEOUT':
                lines.append('local-zone: "%s" typetransparent' % fq)
                timeouts.append(name.rstrip('.'))
                continue
            if not isinstance(r, dict):
                continue
            for t, v in r.items():
                if t == 'SPF':
                    if have_txt:
                        continue  # RFC 7208 dropped type SPF: only its TXT twin matters
                    t = 'TXT'
                if t == 'TXT' and v == 'NONE':
                    continue
                if t == 'TXT':
                    lines.append('%s 300 IN TXT %s' % (fq, quote_txt(v)))
                elif t == 'MX':
                    lines.append('%s 300 IN MX %d %s.' % (fq, v[0], v[1].rstrip('.') or ''))
                elif t in ('A', 'AAAA'):
                    lines.append('%s 300 IN %s %s' % (fq, t, v))
                elif t in ('PTR', 'CNAME'):
                    lines.append('%s 300 IN %s %s.' % (fq, t, v.rstrip('.')))
    return lines


def main():
    driver, suite, known_path = sys.argv[1:4]
    update = '--update' in sys.argv
    docs = list(yaml.safe_load_all(open(suite, encoding='utf-8')))
    known = {}
    for line in open(known_path, encoding='utf-8'):
        line = line.strip()
        if line and not line.startswith('#'):
            key, _, reason = line.partition(' ')
            known[key] = reason.strip()
    inp = []
    cases = []
    for i, doc in enumerate(docs):
        timeouts = []
        zone = zone_lines(doc.get('zonedata') or {}, timeouts)
        inp.append(json.dumps({'zone': zone, 'timeout': timeouts}))
        for name, t in doc['tests'].items():
            key = '%d/%s' % (i, name)
            want = t['result'] if isinstance(t['result'], list) else [t['result']]
            cases.append((key, want, doc.get('description', '')))
            inp.append(json.dumps({'id': key, 'host': t['host'], 'helo': t.get('helo', ''),
                                   'mailfrom': t.get('mailfrom', '')}))
    p = subprocess.run([driver], input='\n'.join(inp) + '\n', capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print(p.stderr)
        return 2
    got = {}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        got[o.get('id')] = o
    passed = 0
    bad = []
    fails = []
    for key, want, desc in cases:
        o = got.get(key, {})
        ok = o.get('result') in want
        if ok:
            passed += 1
            if key in known:
                bad.append('now passes, remove from the known failures: %s' % key)
        else:
            fails.append('%s  want %s got %s (%s)' % (key, '|'.join(want), o.get('result'), o.get('detail', '')))
            if key not in known:
                bad.append('FAIL %s [%s] want %s got %s (%s)' % (key, desc, '|'.join(want), o.get('result'),
                                                                 o.get('detail', '')))
    print('spf conformance (RFC 7208 suite): %d/%d passed, %d known failures' % (passed, len(cases), len(known)))
    if update:
        for f in fails:
            print(f)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
