#!/usr/bin/python3
"""Write a capture of many clients that each start a ClientHello and stop.

    gen_flood.py [--flows N] [--head BYTES] FILE

Flow i comes from 198.19.(i / 250).(i % 250 + 1), port 20000 + i % 40000,
to 198.18.0.2 port 443: a SYN, then the first BYTES (default 300) of the
curl TLS 1.3 hello of gen_split.py, and nothing more.  The server sends
nothing.  Frames are 1 ms apart, and tcpreplay sets its own rate.
"""

import argparse
import sys

from gen_split import CLIENT_ISN, Capture, Flow, Hello, MSS


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flows", type=int, default=2000,
                        help="number of clients (at most 62500)")
    parser.add_argument("--head", type=int, default=300,
                        help="bytes of the hello each client sends")
    parser.add_argument("file")
    args = parser.parse_args()
    if not 1 <= args.flows <= 62500:
        parser.error("--flows must be from 1 to 62500")

    record = Hello.from_capture("curl-tls13-h2.pcap").record()
    if not 6 <= args.head < len(record) or args.head > MSS:
        parser.error("--head must be from 6 to %d"
                     % min(len(record) - 1, MSS))
    cap = Capture()
    for i in range(args.flows):
        client = "198.19.%d.%d" % (i // 250, i % 250 + 1)
        flow = Flow(cap, 20000 + i % 40000, client=client,
                    isn=CLIENT_ISN + i * 7919)
        cap.add(flow.frame(True, "S", flow.isn, 0))
        flow.send(0, record[:args.head])
    cap.write(args.file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
