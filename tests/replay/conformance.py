#!/usr/bin/python3
"""Compare the JA3 of `tlsfp -r --json` with tshark's on every test capture.

Usage: conformance.py PATH/TO/tlsfp

Captures: tests/vectors/** and tests/fixtures/pcap/*.pcap, and the files
(not the folders) in tests/replay/captures/.  For every TCP flow, the first
ClientHello that tshark decodes (with TCP and TLS reassembly) is compared
with tlsfp's event for that flow; QUIC and other UDP hellos are left out.
For tests/vectors, tshark must also agree with expected.tsv.

A flow where tlsfp and tshark disagree passes only when known_differences.tsv
lists it with exactly the values seen.  A row that no longer matches a
disagreement fails too, so the table stays true.  Values are written as

    none                no event (tlsfp) or no ClientHello (tshark)
    frame N: no JA3     a ClientHello in frame N without a JA3
    frame N: MD5        a ClientHello in frame N with JA3 MD5

Prints "ok - ...", "not ok - ..." lines and "N passed, N failed"; exits 1
on a failure.
"""

import csv
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
VECTORS = os.path.join(TESTS, "vectors")
KNOWN = os.path.join(HERE, "known_differences.tsv")

TSHARK_FIELDS = ("frame.number", "ip.src", "ipv6.src", "tcp.srcport",
                 "ip.dst", "ipv6.dst", "tcp.dstport", "tls.handshake.ja3",
                 "tls.handshake.ja3_full")
TSHARK_PREFS = ("tls.desegment_ssl_records:TRUE",
                "tcp.desegment_tcp_streams:TRUE",
                "tcp.reassemble_out_of_order:TRUE")


class Hello:
    """One side's result for a flow: frame, JA3 MD5 and JA3 string."""

    def __init__(self, frame, md5, string):
        self.frame = frame
        self.md5 = md5
        self.string = string

    def __str__(self):
        return "frame %d: %s" % (self.frame, self.md5 or "no JA3")


def show(hello):
    return str(hello) if hello else "none"


def flow_name(src, sport, dst, dport):
    def endpoint(addr, port):
        return "[%s]:%s" % (addr, port) if ":" in addr else \
            "%s:%s" % (addr, port)
    return "%s -> %s" % (endpoint(src, sport), endpoint(dst, dport))


def captures():
    found = glob.glob(os.path.join(VECTORS, "**", "*.pcap"), recursive=True)
    found += glob.glob(os.path.join(VECTORS, "**", "*.pcapng"),
                       recursive=True)
    found += glob.glob(os.path.join(TESTS, "fixtures", "pcap", "*.pcap"))
    for pattern in ("*.pcap", "*.pcapng"):
        found += glob.glob(os.path.join(HERE, "captures", pattern))
    return sorted(found)


def run_tlsfp(tlsfp, path):
    """Run tlsfp -r --json on path.

    Returns ({flow: Hello}, None), or (None, message) when tlsfp fails or
    reports a flow twice.
    """
    proc = subprocess.run([tlsfp, "-r", path, "--json"], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        return None, "tlsfp exited %d: %s" % (proc.returncode,
                                              proc.stderr.strip())
    hellos = {}
    for line in proc.stdout.splitlines():
        ev = json.loads(line)
        flow = flow_name(ev["src_ip"], ev["src_port"], ev["dest_ip"],
                         ev["dest_port"])
        if flow in hellos:
            return None, "tlsfp reported %s twice" % flow
        ja3 = ev["tls"].get("ja3", {})
        hellos[flow] = Hello(ev["pcap_cnt"], ja3.get("hash"),
                             ja3.get("string"))
    return hellos, None


def run_tshark(path):
    """Run tshark on path and return {flow: Hello}, first hello per flow."""
    # occurrence=f: a field that occurs twice in one frame (two hellos in
    # one segment) gives its first value, not both joined by commas.
    cmd = ["tshark", "-r", path, "-Y", "tls.handshake.type == 1",
           "-T", "fields", "-E", "occurrence=f"]
    for field in TSHARK_FIELDS:
        cmd += ["-e", field]
    for pref in TSHARK_PREFS:
        cmd += ["-o", pref]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    hellos = {}
    for line in proc.stdout.splitlines():
        (frame, src4, src6, sport, dst4, dst6, dport, md5,
         string) = line.split("\t")
        if not sport:
            continue
        flow = flow_name(src4 or src6, sport, dst4 or dst6, dport)
        hellos.setdefault(flow, Hello(int(frame), md5 or None,
                                      string or None))
    return hellos


def load_expected():
    """Read expected.tsv into {(file, flow): Hello}, first row per flow."""
    rows = {}
    with open(os.path.join(VECTORS, "expected.tsv"), newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = (os.path.join("vectors", row["file"]),
                   flow_name(row["src"], row["sport"], row["dst"],
                             row["dport"]))
            rows.setdefault(key, Hello(int(row["frame"]), row["ja3_md5"],
                                       row["ja3_string"]))
    return rows


def load_known():
    """Read known_differences.tsv into {(file, flow): row}."""
    with open(KNOWN, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    known = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        known[(row["file"], row["flow"])] = row
    return known


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, name):
        print("ok - %s" % name)
        self.passed += 1

    def not_ok(self, name, why):
        print("not ok - %s: %s" % (name, why))
        self.failed += 1


def compare_flow(report, name, key, got, ref, expected, known, seen):
    """Check one flow: tlsfp (got) against tshark (ref) and expected.tsv."""
    if key in expected and show(expected[key]) != show(ref):
        report.not_ok(name, "expected.tsv gives %s, tshark %s" %
                      (show(expected[key]), show(ref)))
        return
    if show(got) == show(ref):
        if got and got.string != ref.string:
            report.not_ok(name, "same MD5, JA3 strings differ: tlsfp %s, "
                          "tshark %s" % (got.string, ref.string))
        else:
            report.ok(name)
        return
    row = known.get(key)
    if row is None:
        report.not_ok(name, "tlsfp gives %s, tshark %s; add a row to "
                      "known_differences.tsv once the cause is known" %
                      (show(got), show(ref)))
        return
    seen.add(key)
    if (row["tlsfp"], row["tshark"]) != (show(got), show(ref)):
        report.not_ok(name, "known_differences.tsv lists tlsfp %s, tshark "
                      "%s; now tlsfp %s, tshark %s" %
                      (row["tlsfp"], row["tshark"], show(got), show(ref)))
        return
    report.ok("%s: known difference (right: %s)" % (name, row["right"]))


def main():
    if len(sys.argv) != 2:
        print("usage: conformance.py PATH/TO/tlsfp", file=sys.stderr)
        return 2
    tlsfp = sys.argv[1]
    report = Report()
    expected = load_expected()
    known = load_known()
    seen = set()

    for path in captures():
        rel = os.path.relpath(path, TESTS)
        got, err = run_tlsfp(tlsfp, path)
        if err:
            report.not_ok(rel, err)
            continue
        ref = run_tshark(path)
        flows = set(got) | set(ref)
        flows |= {flow for file, flow in expected if file == rel}
        if not flows:
            report.ok("%s: no ClientHello" % rel)
        for flow in sorted(flows):
            key = (rel, flow)
            compare_flow(report, "%s %s" % (rel, flow), key, got.get(flow),
                         ref.get(flow), expected, known, seen)

    for key in sorted(set(known) - seen):
        report.not_ok("%s %s" % key, "listed in known_differences.tsv, but "
                      "tlsfp and tshark no longer differ there as listed; "
                      "update or remove the row")

    print("%d passed, %d failed" % (report.passed, report.failed))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
