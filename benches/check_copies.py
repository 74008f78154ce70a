#!/usr/bin/env python3
"""Checks that every flow of a gen_bench.py capture is reported like the template it copies.

Usage: benches/check_copies.py SUMMARY.txt OUT.jsonl [TLSNOOP]

SUMMARY.txt is what gen_bench.py printed (its per-template flow counts), OUT.jsonl tlsnoop's
`read --format jsonl` output of the capture, TLSNOOP the binary (default target/release/tlsnoop),
which is also run on each template capture in testdata/real/. Addresses, ports, frame numbers
and times differ between a copy and its template, so the flows are compared as a multiset of
(outcome, version, cipher suite, SNI, ALPN, group, resumed, history, diagnosis, finding ids,
certificate hashes, JA4, JA3S, number of notes): each template's value counted as often as it was
copied must equal the values in OUT.jsonl. Notes of a capture-time timeout ("no packet for more
than N s …") are not counted: a copy in the long capture can be half-closed for longer than
--half-closed-timeout (no_server_response: the client's FIN, never one from the server), a
template capture ends first. Exit status 1 on a difference. Python stdlib only.
"""
import collections
import json
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
summary, jsonl = sys.argv[1], sys.argv[2]
tlsnoop = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "..", "target", "release", "tlsnoop")


def key(j):
    fp = j.get("fingerprints") or {}
    return json.dumps([j["outcome"], j["version"], j["cipher_suite"], j["sni"], j["alpn"], j["group"],
                       j["resumed"], j["history"], (j.get("diagnosis") or {}).get("code"),
                       sorted(f["id"] for f in j["findings"]), [c.get("sha256") for c in j["certificates"]],
                       fp.get("ja4"), fp.get("ja3s"),
                       len([n for n in j["notes"] if not n.startswith("no packet for more than")])],
                      sort_keys=True)


counts = {}
for line in open(summary):
    m = re.match(r"\s+(\S+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)(\s+\(not TLS\))?$", line)
    if m and m.group(1) != "template":
        counts[m.group(1)] = int(m.group(2).replace(",", ""))
if not counts:
    sys.exit("%s: no per-template lines (is it gen_bench.py's output?)" % summary)

want = collections.Counter()
for name, n in sorted(counts.items()):
    stem, _, idx = name.partition("#")
    out = subprocess.run([tlsnoop, "read", "--format", "jsonl", "-q", os.path.join(here, "..", "testdata", "real", stem + ".pcap")],
                         check=True, capture_output=True, text=True).stdout
    flows = sorted((json.loads(x) for x in out.splitlines()), key=lambda j: j["first_frame"])
    if idx:   # the capture's idx-th TCP connection; gen_bench numbers only connections, tlsnoop only TLS ones
        flows = [flows[int(idx) - 1]] if len(flows) >= int(idx) else []
    for j in flows:
        want[key(j)] += n

got = collections.Counter()
with open(jsonl) as f:
    for line in f:
        got[key(json.loads(line))] += 1

diffs = [(k, want[k], got[k]) for k in set(want) | set(got) if want[k] != got[k]]
print("%d flows expected from %d templates, %d in %s: %s"
      % (sum(want.values()), len(counts), sum(got.values()), jsonl, "OK" if not diffs else "%d values DIFFER" % len(diffs)))
for k, w, g in sorted(diffs, key=lambda d: -abs(d[1] - d[2]))[:10]:
    print("  expected %d, got %d: %s" % (w, g, k[:400]))
sys.exit(1 if diffs else 0)
