#!/usr/bin/env python3
"""ARC conformance: the ARC test suites (validation and signing) against postern's ARC code.

Usage: conformance.py ARC_CHECK VALIDATION.yml SIGN.yml KNOWN_FAILURES [--update]

Each scenario's txt-records become lib/dns local data (everything else is
NXDOMAIN). Validation cases pass when the chain validation status equals the
case's cv ("None", "Pass", "Fail"; an empty cv, which the suite uses for chains
whose newest ARC-Seal already says cv=fail, counts as "Fail": RFC 8617 5.2).
Signing cases pass when the three fields postern makes equal the expected AAR,
AMS and AS, compared as the suite's reference runner does (tag-specs split at
';', whitespace removed at line starts and ends, sorted); a case whose expected
fields are empty passes when postern refuses to seal. Prints the pass counts.
Exit 1 when a case fails that is not listed in KNOWN_FAILURES, or a listed case
passes (so the list stays honest).
KNOWN_FAILURES lines: "suite:scenario-index/case-name  reason"; # comments.
"""
import json
import re
import subprocess
import sys

import yaml


def quote_txt(s):
    b = s.encode('utf-8')
    parts = [b[i:i + 255] for i in range(0, len(b), 255)] or [b'']
    out = []
    for p in parts:
        q = ''
        for ch in p:
            c = chr(ch)
            if c in '"\\':
                q += '\\' + c
            elif 32 <= ch < 127:
                q += c
            else:
                q += '\\%03d' % ch
        out.append('"%s"' % q)
    return ' '.join(out)


def zone_lines(records):
    lines = []
    for name, value in (records or {}).items():
        text = ''.join(str(value).split('\n'))  # each line is one string of the record
        lines.append('%s. 300 IN TXT %s' % (name.rstrip('.'), quote_txt(text)))
    return lines


def message(text):
    return re.sub(r'[\r\n]*$', '', text or '') + '\n'


def srt(value):
    """The suite's comparison form of a header value."""
    v = re.sub(r'(?m)^\s+', '', value or '').replace('\r', '').replace('\n', '')
    return '; '.join(sorted(p.strip() for p in re.split(r';\s*', v) if p.strip()))


def load_known(path):
    known = {}
    for line in open(path, encoding='utf-8'):
        line = line.strip()
        if line and not line.startswith('#'):
            key, _, reason = line.partition(' ')
            known[key] = reason.strip()
    return known


def main():
    driver, vsuite, ssuite, known_path = sys.argv[1:5]
    update = '--update' in sys.argv
    known = load_known(known_path)
    inp, cases = [], []
    for suite, path in (('validation', vsuite), ('sign', ssuite)):
        for i, doc in enumerate(yaml.safe_load_all(open(path, encoding='utf-8'))):
            if not doc:
                continue
            inp.append(json.dumps({'zone': zone_lines(doc.get('txt-records'))}))
            for name, t in doc['tests'].items():
                key = '%s:%d/%s' % (suite, i, name)
                if suite == 'validation':
                    want = (t.get('cv') or 'Fail').strip().lower() or 'fail'
                    cases.append((key, suite, want, t.get('description', '')))
                    inp.append(json.dumps({'id': key, 'verify': message(t['message'])}))
                else:
                    want = {k: t.get(k) or '' for k in ('AAR', 'AMS', 'AS')}
                    cases.append((key, suite, want, t.get('description', '')))
                    inp.append(json.dumps({
                        'id': key, 'sign': message(t['message']), 'key': doc['privatekey'],
                        'domain': doc['domain'], 'selector': doc['sel'], 't': int(t['t']),
                        'headers': t['sig-headers'].split(':'), 'srv_id': t['srv-id']}))
    p = subprocess.run([driver], input='\n'.join(inp) + '\n', capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        print(p.stderr)
        return 2
    got = {}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        got[o.get('id')] = o
    passed = {'validation': 0, 'sign': 0}
    total = {'validation': 0, 'sign': 0}
    bad, fails = [], []
    for key, suite, want, desc in cases:
        total[suite] += 1
        o = got.get(key, {})
        if suite == 'validation':
            ok = o.get('cv') == want
            why = 'want cv=%s got %s (%s)' % (want, o.get('cv'), o.get('detail', o.get('error', '')))
        elif not any(want.values()):
            ok = 'refused' in o
            why = 'want no seal, got %s' % ('a seal' if 'as' in o else o.get('error'))
        else:
            diffs = [k for k, w in (('AAR', 'aar'), ('AMS', 'ams'), ('AS', 'as'))
                     if srt(o.get(w)) != srt(want[k])]
            ok = not diffs
            why = 'differs: %s (cv=%s %s)' % (','.join(diffs), o.get('cv'),
                                              o.get('refused', o.get('error', '')))
        if ok:
            passed[suite] += 1
            if key in known:
                bad.append('now passes, remove from the known failures: %s' % key)
        else:
            fails.append('%s  %s' % (key, why))
            if key not in known:
                bad.append('FAIL %s [%s] %s' % (key, desc, why))
    print('arc conformance: validation %d/%d passed, sign %d/%d passed, %d known failures' %
          (passed['validation'], total['validation'], passed['sign'], total['sign'], len(known)))
    if update:
        for f in fails:
            print(f)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
