#!/usr/bin/python3
"""Run every capture listed in expected.tsv through `tlsfp -r --json` and
compare each reported fingerprint with the expected JA3 and JA4.

Usage: test_vectors.py PATH/TO/tlsfp

expected.tsv holds one row per ClientHello; only the first ClientHello of a
flow counts, and each must be reported once with the expected JA3 string
and hash and the expected JA4, whether it arrived in one segment or needed reassembly
(multi_segment.tsv lists those).  An event for a flow not in expected.tsv
fails.
"""

import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    with open(os.path.join(HERE, name), newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def flow_key(row):
    return (row["file"], row["src"], row["sport"], row["dst"], row["dport"])


def main():
    if len(sys.argv) != 2:
        print("usage: test_vectors.py PATH/TO/tlsfp", file=sys.stderr)
        return 2
    tlsfp = sys.argv[1]
    if os.geteuid() != 0:
        print("skip - vectors: tlsfp -r loads BPF programs and needs root")
        print("0 passed, 0 failed")
        return 0

    first = {}
    for row in load("expected.tsv"):
        first.setdefault(flow_key(row), row)
    split = {flow_key(r) for r in load("multi_segment.tsv")}

    passed = failed = 0
    for name in sorted({k[0] for k in first}):
        proc = subprocess.run([tlsfp, "-r", os.path.join(HERE, name),
                               "--json"], capture_output=True, text=True)
        if proc.returncode != 0:
            print("not ok - %s: tlsfp exited %d: %s" %
                  (name, proc.returncode, proc.stderr.strip()))
            failed += 1
            continue
        got = {}
        for line in proc.stdout.splitlines():
            ev = json.loads(line)
            key = (name, ev["src_ip"], str(ev["src_port"]), ev["dest_ip"],
                   str(ev["dest_port"]))
            if key in got:
                print("not ok - %s %s:%s: reported twice" % key[:3])
                failed += 1
            got[key] = ev

        for key, row in first.items():
            if key[0] != name:
                continue
            label = "%s frame %s %s:%s%s" % (name, row["frame"], key[1],
                                             key[2],
                                             " (split)" if key in split else "")
            ev = got.pop(key, None)
            if ev is None:
                print("not ok - %s: not reported" % label)
                failed += 1
                continue
            ja3 = ev["tls"].get("ja3", {})
            if (ja3.get("hash") == row["ja3_md5"] and
                    ja3.get("string") == row["ja3_string"]):
                print("ok - %s JA3" % label)
                passed += 1
            else:
                print("not ok - %s JA3: got %s %s, want %s %s" %
                      (label, ja3.get("hash"), ja3.get("string"),
                       row["ja3_md5"], row["ja3_string"]))
                failed += 1
            ja4 = ev["tls"].get("ja4")
            if not row.get("ja4"):
                continue
            if ja4 == row["ja4"]:
                print("ok - %s JA4" % label)
                passed += 1
            else:
                print("not ok - %s JA4: got %s, want %s" %
                      (label, ja4, row["ja4"]))
                failed += 1
        for key in got:
            print("not ok - %s %s:%s: reported, not in expected.tsv" %
                  key[:3])
            failed += 1

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
