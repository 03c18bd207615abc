#!/usr/bin/python3
"""Write a large Ethernet pcap for bench_offline.sh.

Usage: gen_bench_capture.py OUT.pcap [HELLOS]

The capture has HELLOS ClientHellos (default 100000), each on its own TCP
flow, and two other frames per hello, about 3 * HELLOS frames in all:

    every hello     the ClientHello, client to server port 443
    every hello     one non-TLS TCP frame, in turn: the flow's SYN, an HTTP
                    request to port 80, and a TLS application data record
                    from the server
    every hello     in turn: a DNS query (UDP 53), a 1200-byte QUIC-sized
                    datagram (UDP 443) and an ARP request

The ClientHello payloads are the single-segment hellos listed in
tests/vectors/single_segment.tsv, one per distinct JA3, taken from the
captures with tshark; only their bytes are reused.  Every address is in
198.18.0.0/15: clients in 198.18.0.0/16, servers in 198.19.0.0/16.  The
output is the same on every run.
"""

import array
import csv
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, os.pardir, "vectors")

CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")
BROADCAST_MAC = b"\xff" * 6
SERVER_IP = bytes([198, 19, 0, 1])
HTTP_IP = bytes([198, 19, 0, 2])
DNS_IP = bytes([198, 19, 0, 53])
GATEWAY_IP = bytes([198, 18, 255, 254])
# 2026-01-01T00:00:00Z; frames are 10 us apart.
BASE_TIME_US = 1767225600 * 10**6
FRAME_GAP_US = 10
CLIENT_HOSTS = 65534
FIRST_PORT = 10000

HTTP_REQUEST = (b"GET / HTTP/1.1\r\nHost: bench.example\r\n"
                b"User-Agent: bench\r\nAccept: */*\r\n\r\n")
# TLS 1.2 application_data record of 64 bytes.
APP_DATA = b"\x17\x03\x03\x00\x40" + bytes(range(64))
DNS_QUERY = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
             b"\x05bench\x07example\x00\x00\x01\x00\x01")
QUIC_DATAGRAM = b"\xc3\x00\x00\x00\x01" + bytes(1195)


def checksum(data):
    """Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    words = array.array("H", data)
    if sys.byteorder == "little":
        words.byteswap()
    total = sum(words)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(src, dst, proto, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0,
                         0x4000, 64, proto, 0, src, dst)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def tcp(src, dst, sport, dport, flags, payload, seq=1, ack=1):
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4,
                          flags, 64240, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(segment))
    segment = (segment[:16] + struct.pack("!H", checksum(pseudo + segment)) +
               segment[18:])
    return ipv4(src, dst, 6, segment)


def udp(src, dst, sport, dport, payload):
    datagram = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + \
        payload
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(datagram))
    datagram = (datagram[:6] +
                struct.pack("!H", checksum(pseudo + datagram) or 0xFFFF) +
                datagram[8:])
    return ipv4(src, dst, 17, datagram)


def ether(dst, src, ethertype, payload):
    frame = dst + src + struct.pack("!H", ethertype) + payload
    return frame + b"\0" * (60 - len(frame)) if len(frame) < 60 else frame


def arp_request(target):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SERVER_MAC,
                       GATEWAY_IP, b"\0" * 6, target)
    return ether(BROADCAST_MAC, SERVER_MAC, 0x0806, body)


def hello_payloads():
    """Extract with tshark the TCP payloads of single-segment hellos, one
    per JA3."""
    chosen = {}
    with open(os.path.join(VECTORS, "single_segment.tsv"), newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            chosen.setdefault(row["ja3_md5"], (row["file"], row["frame"]))
    by_file = {}
    for name, frame in chosen.values():
        by_file.setdefault(name, []).append(frame)
    payloads = []
    for name in sorted(by_file):
        frames = ",".join(by_file[name])
        out = subprocess.run(
            ["tshark", "-r", os.path.join(VECTORS, name),
             "-Y", "frame.number in {%s}" % frames,
             "-T", "fields", "-e", "tcp.payload"],
            capture_output=True, text=True, check=True).stdout
        payloads += [bytes.fromhex(h.replace(":", ""))
                     for h in out.split()]
    return payloads


def client(i):
    host = i % CLIENT_HOSTS + 1
    return (bytes([198, 18, host >> 8, host & 0xFF]),
            FIRST_PORT + i // CLIENT_HOSTS)


def frames_for(i, hello):
    """Return the three frames of hello number i."""
    ip, port = client(i)
    yield ether(SERVER_MAC, CLIENT_MAC, 0x0800,
                tcp(ip, SERVER_IP, port, 443, 0x18, hello))
    kind = i % 3
    if kind == 0:
        pkt = tcp(ip, SERVER_IP, port, 443, 0x02, b"", seq=0, ack=0)
    elif kind == 1:
        pkt = tcp(ip, HTTP_IP, port, 80, 0x18, HTTP_REQUEST)
    else:
        pkt = tcp(SERVER_IP, ip, 443, port, 0x18, APP_DATA)
    src_mac, dst_mac = (SERVER_MAC, CLIENT_MAC) if kind == 2 else \
        (CLIENT_MAC, SERVER_MAC)
    yield ether(dst_mac, src_mac, 0x0800, pkt)
    kind = (i // 3) % 3
    if kind == 0:
        yield ether(SERVER_MAC, CLIENT_MAC, 0x0800,
                    udp(ip, DNS_IP, port, 53, DNS_QUERY))
    elif kind == 1:
        yield ether(SERVER_MAC, CLIENT_MAC, 0x0800,
                    udp(ip, SERVER_IP, port, 443, QUIC_DATAGRAM))
    else:
        yield arp_request(ip)


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: gen_bench_capture.py OUT.pcap [HELLOS]",
              file=sys.stderr)
        return 2
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 100000
    hellos = hello_payloads()
    n = 0
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            for frame in frames_for(i, hellos[i % len(hellos)]):
                sec, usec = divmod(BASE_TIME_US + n * FRAME_GAP_US, 10**6)
                f.write(struct.pack("<IIII", sec, usec, len(frame),
                                    len(frame)))
                f.write(frame)
                n += 1
    print("%s: %d frames, %d ClientHellos from %d distinct hellos" %
          (sys.argv[1], n, count, len(hellos)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
