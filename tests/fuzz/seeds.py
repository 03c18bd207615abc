#!/usr/bin/python3
"""Write a seed corpus for the fuzz target: the TCP payloads and the whole
frames of the first packets that carry a TLS handshake record in the test
captures.

Usage: seeds.py OUTDIR CAPTURE...
"""
import os
import sys

from scapy.all import TCP, rdpcap

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
n = 0
for path in sys.argv[2:]:
    for i, pkt in enumerate(rdpcap(path)):
        if TCP not in pkt:
            continue
        payload = bytes(pkt[TCP].payload)
        if not payload or payload[0] != 22:
            continue
        base = os.path.join(out, "%s-%d" % (os.path.basename(path), i))
        with open(base + ".payload", "wb") as f:
            f.write(payload)
        with open(base + ".frame", "wb") as f:
            f.write(bytes(pkt))
        n += 1
print("%d seeds written to %s" % (n, out))
