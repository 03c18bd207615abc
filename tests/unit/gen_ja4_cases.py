#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Generate tests/unit/ja4_cases.h: captured ClientHellos as struct
tlsfp_hello initializers, each with its expected JA4 and ja4_r.

The rows come from tests/vectors/expected.tsv, the first row of each
distinct JA4 value, in file order.  tests/vectors/ref/ja3.py reads the
hello from its capture (built-in pcap reader, TCP reassembly).  This script
fills the struct as bpf/parse.h does.  Every list is in wire order with
GREASE kept, and only the first of repeated extensions counts.  The ALPN
protocol_name_list is kept as raw bytes.  A list longer than its bound in
include/tlsfp.h is cut, and its *_OVER flag is set.
The JA4 is the expected.tsv value; the ja4_r comes from ref/ja4.py, and the
script stops if ref/ja4.py disagrees with expected.tsv on the JA4.

Usage: tests/unit/gen_ja4_cases.py > tests/unit/ja4_cases.h
"""

import csv
import os
import struct
import sys

sys.dont_write_bytecode = True
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VECTORS = os.path.join(TOP, "tests", "vectors")
sys.path.insert(0, os.path.join(VECTORS, "ref"))
import ja3  # noqa: E402
import ja4  # noqa: E402

# Bounds from include/tlsfp.h.
MAX = {"ciphers": 256, "exts": 64, "sigalgs": 64, "versions": 16,
       "alpn": 128}
EXT_SNI, EXT_SIGALGS, EXT_ALPN, EXT_VERSIONS = 0, 13, 16, 43
# TLSFP_HELLO_F_* flags that this script sets, in the order of tlsfp.h.
FLAGS = ("CIPHERS_OVER", "EXTS_OVER", "SIGALGS_OVER", "VERSIONS_OVER",
         "ALPN_OVER", "HAS_SNI", "HAS_ALPN", "HAS_VERSIONS", "HAS_SIGALGS")


def select_rows(path):
    """Return the first expected.tsv row of each distinct JA4, in order."""
    seen = set()
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["ja4"] in seen:
                continue
            seen.add(row["ja4"])
            rows.append(row)
    return rows


def find_hello(row):
    """Return the ClientHello body that expected.tsv row describes."""
    key = (row["src"], int(row["sport"]), row["dst"], int(row["dport"]))
    streams, _ = ja3.process_file(os.path.join(VECTORS, row["file"]),
                                  ja3.read_frames_builtin, want_all=True)
    for st in streams:
        if st.key != key:
            continue
        for r in st.results:
            if r["frame"] == int(row["frame"]):
                return r["body"]
    sys.exit("%s frame %s: no ClientHello found" % (row["file"],
                                                    row["frame"]))


def hello_fields(body):
    """Fill the tlsfp_hello fields that JA4 reads, as the parser does."""
    version, ciphers, exts = ja4.parse_clienthello(body)
    h = {"legacy_version": version, "hello_len": len(body),
         "ciphers": ciphers, "exts": [t for t, _ in exts],
         "sigalgs": [], "versions": [], "alpn": b"", "flags": []}
    for etype, data in exts:
        if etype == EXT_SNI and "HAS_SNI" not in h["flags"]:
            h["flags"].append("HAS_SNI")
        elif etype == EXT_ALPN and "HAS_ALPN" not in h["flags"]:
            h["flags"].append("HAS_ALPN")
            n = struct.unpack("!H", data[:2])[0]
            h["alpn"] = data[2:2 + n]
        elif etype == EXT_SIGALGS and "HAS_SIGALGS" not in h["flags"]:
            h["flags"].append("HAS_SIGALGS")
            n = struct.unpack("!H", data[:2])[0]
            h["sigalgs"] = ja3.u16_list(data[2:2 + n])
        elif etype == EXT_VERSIONS and "HAS_VERSIONS" not in h["flags"]:
            h["flags"].append("HAS_VERSIONS")
            h["versions"] = ja3.u16_list(data[1:1 + data[0]])
    # The parser keeps the first MAX entries and sets an *_OVER flag.
    for name in ("ciphers", "exts", "sigalgs", "versions", "alpn"):
        h["nr_" + name] = len(h[name])
        if len(h[name]) > MAX[name]:
            h["flags"].append(name.upper() + "_OVER")
            h[name] = h[name][:MAX[name]]
    return h


def c_list(values, fmt, per_line, indent):
    """Format values as the lines of a C array initializer."""
    lines = []
    for i in range(0, len(values), per_line):
        chunk = values[i:i + per_line]
        lines.append(indent + ", ".join(fmt % v for v in chunk) + ",")
    return "\n".join(lines)


def c_string(s, indent, width=52):
    """Format s as C string literals of at most width characters each,
    cut after a ',' or '_'."""
    parts = []
    while len(s) > width:
        cut = max(s.rfind(",", 0, width), s.rfind("_", 0, width)) + 1
        if cut <= 0:
            cut = width
        parts.append(s[:cut])
        s = s[cut:]
    parts.append(s)
    return ("\n" + indent).join('"%s"' % p for p in parts)


def emit_case(out, row, h, ja4_r):
    t1, t2, t3 = "\t", "\t\t", "\t\t\t"
    flags = " |\n\t\t\t\t ".join("TLSFP_HELLO_F_" + f for f in FLAGS
                                   if f in h["flags"])

    out.append(t1 + "{")
    out.append(t2 + '.capture = "%s",' % row["file"])
    out.append(t2 + ".frame = %s," % row["frame"])
    out.append(t2 + '.ja4 = "%s",' % row["ja4"])
    out.append(t2 + ".ja4_r = " + c_string(ja4_r, t3) + ",")

    out.append(t2 + ".hello = {")
    out.append(t3 + ".flags = %s," % (flags or "0"))
    out.append(t3 + ".hello_len = %d," % h["hello_len"])
    out.append(t3 + ".legacy_version = 0x%04x," % h["legacy_version"])
    for name, nr in (("ciphers", "nr_ciphers"), ("exts", "nr_exts"),
                     ("sigalgs", "nr_sigalgs"), ("versions", "nr_versions")):
        if not h[name]:
            continue
        out.append(t3 + ".%s = %d," % (nr, h[nr]))
        out.append(t3 + ".%s = {" % name)
        out.append(c_list(h[name], "0x%04x", 6, t3 + "\t"))
        out.append(t3 + "},")

    if h["alpn"]:
        out.append(t3 + ".alpn_len = %d," % len(h["alpn"]))
        if h["nr_alpn"] > len(h["alpn"]):
            out.append(t3 + "/* The list on the wire is %d bytes. */"
                       % h["nr_alpn"])
        out.append(t3 + ".alpn = {")
        out.append(c_list(list(h["alpn"]), "0x%02x", 8, t3 + "\t"))
        out.append(t3 + "},")

    out.append(t2 + "},")
    out.append(t1 + "},")


HEADER = """\
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ClientHellos from the captures in tests/vectors, as the parser would
 * fill struct tlsfp_hello, with the JA4 of expected.tsv and the ja4_r of
 * tests/vectors/ref/ja4.py.  Generated by tests/unit/gen_ja4_cases.py:
 * change that script and rerun it rather than editing this file.
 */
#ifndef TLSFP_JA4_CASES_H
#define TLSFP_JA4_CASES_H

#include "tlsfp.h"

struct ja4_case {
	/* Path under tests/vectors and frame number, as in expected.tsv. */
	const char *capture;
	unsigned int frame;
	const char *ja4;
	const char *ja4_r;
	struct tlsfp_hello hello;
};

static const struct ja4_case ja4_cases[] = {"""

FOOTER = """\
};

#endif /* TLSFP_JA4_CASES_H */"""


def main():
    out = [HEADER]
    for row in select_rows(os.path.join(VECTORS, "expected.tsv")):
        body = find_hello(row)
        # expected.tsv's JA3 strings agree with tshark, so matching one
        # checks the capture reading that the lists below come from.
        if ja3.ja3_string(body) != row["ja3_string"]:
            sys.exit("%s frame %s: ref/ja3.py disagrees with expected.tsv"
                     % (row["file"], row["frame"]))
        ref_ja4, ref_ja4_r = ja4.ja4(body)
        if ref_ja4 != row["ja4"]:
            sys.exit("%s frame %s: ref/ja4.py gives %s, expected.tsv %s"
                     % (row["file"], row["frame"], ref_ja4, row["ja4"]))
        emit_case(out, row, hello_fields(body), ref_ja4_r)
    out.append(FOOTER)
    print("\n".join(out))


if __name__ == "__main__":
    main()
