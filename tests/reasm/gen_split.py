#!/usr/bin/python3
"""Generate the captures of split ClientHellos for the reassembly tests.

Three real ClientHellos are cut into TCP segments and TLS records in every
way the datapath must reassemble, or must give up on cleanly:

    big      openssl s_client, 1884 bytes, from
             tests/vectors/local/openssl-bigch-2seg.pcap
    curl13   curl TLS 1.3, 517 bytes, from
             tests/vectors/local/curl-tls13-h2.pcap
    curl12   curl TLS 1.2, 220 bytes, from
             tests/vectors/local/curl-tls12-h1.pcap

Each case is one capture in captures/, and each client flow in it is one
row of cases.tsv:

    name  file  client_ip  client_port  expect  ja3_md5  counters  note

expect is one of:
    hello      tlsfp must report the hello of this flow with this JA3
    truncated  tlsfp must report the flow with "truncated": true, no JA3,
               and a ja3_error naming the cause: a hello too large when
               the counters column has too_large>0, else a flow that
               ended or idled out
    none       tlsfp must report nothing for this flow

A flow with several rows (a reused port) gets one event per row, in order.
ja3_md5 is what tshark 4.0.17 prints in tls.handshake.ja3 for the same
handshake message sent whole, in one record and one segment, so it does not
depend on tshark's reassembly.  The counters column lists conditions on
the `tlsfp -r CAPTURE -s` counters, such as out_of_order>0 or err_hello=0,
joined by commas.  They apply to the capture as a whole.

Every flow starts with a full TCP handshake and ends with a client FIN
unless its note states otherwise.  Addresses are 198.18.0.0/15 and
2001:db8::/32 only.  Addresses, ports, sequence numbers and timestamps are
fixed and the pcap files are written byte by byte, so running the script
again gives identical files.  `--check` regenerates into a temporary
folder and compares.

Needs scapy (Debian python3-scapy, run with /usr/bin/python3) and tshark.
"""

import argparse
import filecmp
import os
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
    from scapy.packet import Raw
    from scapy.utils import rdpcap
except ImportError:
    sys.exit("scapy not found: install python3-scapy and run this script"
             " with /usr/bin/python3")

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, os.pardir, "vectors", "local")

CLIENT_MAC = "02:00:00:00:00:01"
SERVER_MAC = "02:00:00:00:00:02"
CLIENT_V4 = "198.18.0.1"
SERVER_V4 = "198.18.0.2"
CLIENT_V6 = "2001:db8::1"
SERVER_V6 = "2001:db8::2"
SERVER_PORT = 443

# 2026-01-01T00:00:00Z.  Frames of a capture are 1 ms apart unless a case
# waits longer.
BASE_TIME_NS = 1767225600 * 10**9
FRAME_GAP_NS = 10**6
CLIENT_ISN = 0x10000000
SERVER_ISN = 0x20000000
# Largest TCP payload of a generated segment: every frame must fit the
# 1500-byte MTU of the test bed's veth, except the whole-hello baselines.
MSS = 1448

# Bytes of a client stream that tlsfp keeps for one hello (TLSFP_BUF_SIZE in
# include/tlsfp.h), record headers included.
BUF_SIZE = 8192
# TLS records that one reassembled hello may span (TLSFP_MAX_RECORDS).
MAX_RECORDS = 32
# Out-of-order ranges kept per partial hello (TLSFP_REASM_RANGES).
REASM_RANGES = 8

TLS_HANDSHAKE = 22
TLS_ALERT = 21
EXT_SNI = 0
EXT_GROUPS = 10
EXT_PADDING = 21

PCAP_MAGIC_USEC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 262144

TSHARK_PREFS = [
    "-o", "tls.desegment_ssl_records:TRUE",
    "-o", "tcp.desegment_tcp_streams:TRUE",
    "-o", "tcp.reassemble_out_of_order:TRUE",
]


# ---------------------------------------------------------------------
# ClientHellos


def client_stream(path):
    """Return the client's TCP payload bytes, from the first after its SYN."""
    syn = None
    chunks = {}
    for pkt in rdpcap(path):
        if TCP not in pkt:
            continue
        tcp = pkt[TCP]
        if tcp.dport != SERVER_PORT:
            continue
        if tcp.flags & 0x02:
            syn = tcp.seq
            continue
        data = bytes(tcp.payload)
        if data and syn is not None:
            chunks.setdefault((tcp.seq - syn - 1) & 0xFFFFFFFF, data)
    stream = b""
    for off in sorted(chunks):
        data = chunks[off]
        if off > len(stream):
            break
        stream += data[len(stream) - off:]
    return stream


class Hello:
    """A ClientHello handshake message and the record version it came in."""

    def __init__(self, record_version, message):
        self.record_version = record_version
        self.message = message

    @classmethod
    def from_capture(cls, name):
        stream = client_stream(os.path.join(VECTORS, name))
        if len(stream) < 9 or stream[0] != TLS_HANDSHAKE or stream[5] != 1:
            sys.exit("%s: the client stream does not start with a "
                     "ClientHello" % name)
        rec_len = struct.unpack("!H", stream[3:5])[0]
        message = stream[5:5 + rec_len]
        hs_len = int.from_bytes(message[1:4], "big")
        if hs_len + 4 != rec_len:
            sys.exit("%s: the ClientHello is not alone in its first record"
                     % name)
        return cls(stream[1:3], message)

    def offsets(self):
        """Return the offsets in the message of the length fields."""
        m = self.message
        off = {"sid_len": 4 + 2 + 32}
        off["cipher_len"] = off["sid_len"] + 1 + m[off["sid_len"]]
        cipher_len = struct.unpack("!H", m[off["cipher_len"]:
                                           off["cipher_len"] + 2])[0]
        off["comp_len"] = off["cipher_len"] + 2 + cipher_len
        off["ext_len"] = off["comp_len"] + 1 + m[off["comp_len"]]
        off["exts"] = off["ext_len"] + 2
        return off

    def extensions(self):
        """Return [(type, offset of its 4-byte header, body length)]."""
        m = self.message
        pos = self.offsets()["exts"]
        out = []
        while pos + 4 <= len(m):
            ext_type, ext_len = struct.unpack("!HH", m[pos:pos + 4])
            out.append((ext_type, pos, ext_len))
            pos += 4 + ext_len
        return out

    def record(self):
        """Return the hello as one TLS record."""
        return frame_records(self.record_version, self.message,
                             [len(self.message)])

    def with_padding(self, stream_len):
        """Return a copy with a padding extension (RFC 7685) appended, so
        that the hello in one record is stream_len bytes long."""
        m = self.message
        off = self.offsets()
        pad_body = stream_len - 5 - len(m) - 4
        if pad_body < 0:
            raise ValueError("hello already longer than %d" % stream_len)
        ext_len = struct.unpack("!H", m[off["ext_len"]:off["exts"]])[0]
        body = m[4:] + struct.pack("!HH", EXT_PADDING, pad_body) + \
            bytes(pad_body)
        body = patch(body, off["ext_len"] - 4,
                     struct.pack("!H", ext_len + 4 + pad_body))
        return Hello(self.record_version,
                     b"\x01" + len(body).to_bytes(3, "big") + body)

    def patched(self, off, value):
        return Hello(self.record_version, patch(self.message, off, value))


def patch(data, off, value):
    return data[:off] + value + data[off + len(value):]


def frame_records(record_version, message, sizes):
    """Cut message into TLS handshake records of the given sizes.  One more
    record takes whatever the sizes leave."""
    out = b""
    pos = 0
    for size in sizes:
        if pos >= len(message):
            break
        part = message[pos:pos + size]
        out += bytes([TLS_HANDSHAKE]) + record_version + \
            struct.pack("!H", len(part)) + part
        pos += len(part)
    if pos < len(message):
        part = message[pos:]
        out += bytes([TLS_HANDSHAKE]) + record_version + \
            struct.pack("!H", len(part)) + part
    return out


def cut(data, offsets):
    """Cut data at the given offsets: [(offset, bytes)]."""
    edges = [0] + sorted(offsets) + [len(data)]
    return [(a, data[a:b]) for a, b in zip(edges, edges[1:]) if b > a]


def cut_every(data, size):
    return cut(data, list(range(size, len(data), size)))


def cut_mss(data):
    return cut_every(data, MSS)


# ---------------------------------------------------------------------
# Captures


class Capture:
    """Frames of one capture file, timed FRAME_GAP_NS apart."""

    def __init__(self):
        self.frames = []
        self.now_ns = BASE_TIME_NS

    def add(self, pkt, wait_ns=0):
        self.now_ns += wait_ns
        self.frames.append((self.now_ns, bytes(pkt)))
        self.now_ns += FRAME_GAP_NS

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", PCAP_MAGIC_USEC, 2, 4, 0, 0,
                                SNAPLEN, LINKTYPE_ETHERNET))
            for ts_ns, data in self.frames:
                sec, rest = divmod(ts_ns, 10**9)
                f.write(struct.pack("<IIII", sec, rest // 1000, len(data),
                                    len(data)))
                f.write(data)


class Flow:
    """One TCP connection from a client to the server, written into a
    capture.  Client stream offset 0 is the byte after the SYN."""

    def __init__(self, cap, sport, client=CLIENT_V4, server=SERVER_V4,
                 isn=CLIENT_ISN, vlans=()):
        self.cap = cap
        self.sport = sport
        self.client = client
        self.server = server
        self.isn = isn
        self.vlans = vlans
        self.v6 = ":" in client
        self.end = 0
        self.server_end = 0

    def frame(self, from_client, flags, seq, ack, data=b""):
        src, dst = CLIENT_MAC, SERVER_MAC
        sip, dip = self.client, self.server
        sport, dport = self.sport, SERVER_PORT
        if not from_client:
            src, dst, sip, dip = dst, src, dip, sip
            sport, dport = dport, sport
        eth = Ether(src=src, dst=dst)
        if len(self.vlans) == 2:
            l2 = eth / Dot1AD(vlan=self.vlans[0]) / Dot1Q(vlan=self.vlans[1])
        elif len(self.vlans) == 1:
            l2 = eth / Dot1Q(vlan=self.vlans[0])
        else:
            l2 = eth
        if self.v6:
            l3 = IPv6(src=sip, dst=dip, hlim=64)
        else:
            l3 = IP(src=sip, dst=dip, id=0, flags="DF", ttl=64)
        options = [("MSS", MSS)] if "S" in flags else []
        tcp = TCP(sport=sport, dport=dport, seq=seq & 0xFFFFFFFF,
                  ack=ack & 0xFFFFFFFF, flags=flags, window=64240,
                  options=options)
        pkt = l2 / l3 / tcp
        if data:
            pkt = pkt / Raw(data)
        return pkt

    def client_seq(self, off):
        return self.isn + 1 + off

    def server_ack(self):
        return SERVER_ISN + 1 + self.server_end

    def handshake(self):
        self.cap.add(self.frame(True, "S", self.isn, 0))
        self.cap.add(self.frame(False, "SA", SERVER_ISN, self.isn + 1))
        self.cap.add(self.frame(True, "A", self.isn + 1, SERVER_ISN + 1))

    def send(self, off, data, wait_ns=0, oversize=False):
        """Send client stream bytes [off, off + len(data)).  Only oversize
        segments may carry more than MSS bytes."""
        if len(data) > MSS and not oversize:
            raise ValueError("segment of %d bytes at offset %d, over the "
                             "MSS" % (len(data), off))
        self.cap.add(self.frame(True, "PA", self.client_seq(off),
                                self.server_ack(), data), wait_ns)
        self.end = max(self.end, off + len(data))

    def send_pieces(self, pieces, base=0, order=None, oversize=False):
        order = range(len(pieces)) if order is None else order
        for i in order:
            off, data = pieces[i]
            self.send(base + off, data, oversize=oversize)

    def reply(self, data):
        """Send server stream bytes, acknowledging the client's."""
        self.cap.add(self.frame(False, "PA", SERVER_ISN + 1 + self.server_end,
                                self.client_seq(self.end), data))
        self.server_end += len(data)

    def fin(self):
        self.cap.add(self.frame(True, "FA", self.client_seq(self.end),
                                self.server_ack()))

    def rst(self):
        self.cap.add(self.frame(True, "R", self.client_seq(self.end), 0))


# ---------------------------------------------------------------------
# JA3 of a whole hello, from tshark


class Ja3Oracle:
    """JA3 of a handshake message sent whole, as tshark computes it."""

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.cache = {}

    def ja3(self, hello):
        key = hello.message
        if key not in self.cache:
            self.cache[key] = self.run_tshark(hello)
        return self.cache[key]

    def run_tshark(self, hello):
        cap = Capture()
        flow = Flow(cap, 40000)
        flow.handshake()
        flow.send(0, hello.record(), oversize=True)
        flow.fin()
        path = os.path.join(self.tmpdir, "whole-%d.pcap" % len(self.cache))
        cap.write(path)
        out = subprocess.run(
            ["tshark", "-r", path, "-Y", "tls.handshake.type == 1",
             "-T", "fields", "-e", "tls.handshake.ja3"] + TSHARK_PREFS,
            check=True, capture_output=True, text=True).stdout.split()
        if len(out) != 1 or len(out[0]) != 32:
            sys.exit("tshark gave no JA3 for a whole hello of %d bytes: %r"
                     % (len(hello.message), out))
        return out[0]


# ---------------------------------------------------------------------
# Cases


class Generator:
    def __init__(self, outdir, tmpdir):
        self.outdir = outdir
        self.capdir = os.path.join(outdir, "captures")
        os.makedirs(self.capdir, exist_ok=True)
        self.oracle = Ja3Oracle(tmpdir)
        self.rows = []
        self.next_port = 40001
        self.big = Hello.from_capture("openssl-bigch-2seg.pcap")
        self.curl13 = Hello.from_capture("curl-tls13-h2.pcap")
        self.curl12 = Hello.from_capture("curl-tls12-h1.pcap")

    def port(self):
        port = self.next_port
        self.next_port += 1
        return port

    def case(self, name, cap, flows, counters, note):
        """Write cap and one row per (flow, expect, hello) in flows."""
        path = os.path.join(self.capdir, name + ".pcap")
        cap.write(path)
        for flow, expect, hello in flows:
            ja3 = self.oracle.ja3(hello) if expect == "hello" else "-"
            self.rows.append([name, "captures/%s.pcap" % name, flow.client,
                              str(flow.sport), expect, ja3,
                              ",".join(counters) or "-", note])

    def simple(self, name, hello, pieces, expect, counters, note,
               order=None, oversize=False, **flow_args):
        """One flow: handshake, the pieces in order, FIN."""
        cap = Capture()
        flow = Flow(cap, self.port(), **flow_args)
        flow.handshake()
        flow.send_pieces(pieces, order=order, oversize=oversize)
        flow.fin()
        self.case(name, cap, [(flow, expect, hello)], counters, note)

    def run(self):
        self.baselines()
        self.segments()
        self.out_of_order()
        self.repeats()
        self.records()
        self.encapsulation()
        self.mid_stream()
        self.preambles()
        self.endings()
        self.sizes()
        self.many_flows()
        self.same_flow()
        self.malformed()
        self.write_tsv()

    def baselines(self):
        for label, hello in (("big", self.big), ("curl13", self.curl13),
                             ("curl12", self.curl12)):
            self.simple(label + "-whole", hello, [(0, hello.record())],
                        "hello", ["reassembled=0", "partial_created=0"],
                        "%s hello in one segment (%d bytes, one frame over "
                        "1500 for big): the baseline"
                        % (label, len(hello.record())), oversize=True)

    def segments(self):
        big, c13, c12 = self.big, self.curl13, self.curl12
        self.simple("big-2seg", big, cut(big.record(), [1000]), "hello",
                    ["reassembled>0", "partial_created>0",
                     "segments_buffered=2"],
                    "big hello in two segments, cut at 1000")

        self.simple("curl13-2seg", c13, cut(c13.record(), [100]), "hello",
                    ["reassembled>0"],
                    "curl13 hello in two segments, cut in the cipher list")

        self.simple("curl12-cut-hs-header", c12, cut(c12.record(), [7]),
                    "hello", ["reassembled>0"],
                    "curl12 hello cut at 7, inside the handshake header")

        self.simple("curl13-seg-mss", c13, cut_every(c13.record(), 100),
                    "hello", ["reassembled>0", "segments_buffered=6"],
                    "curl13 hello in 100-byte segments")

        self.simple("curl13-1byte", c13, cut_every(c13.record(), 1),
                    "hello", ["reassembled>0"],
                    "curl13 hello in 517 one-byte segments")

        self.simple("curl12-first-1byte", c12, cut(c12.record(), [1]),
                    "hello", ["reassembled>0"],
                    "first segment holds only the record type byte")

        self.simple("curl12-first-5byte", c12, cut(c12.record(), [5]),
                    "hello", ["reassembled>0"],
                    "first segment holds only the 5-byte record header, as "
                    "a client that writes the header on its own sends it")

        self.simple("curl12-first-6byte", c12, cut(c12.record(), [6]),
                    "hello", ["reassembled>0"],
                    "first segment holds the record header and the "
                    "handshake type, the least tlsfp needs to start")

        self.simple("big-seq-wrap", big, cut(big.record(), [700, 1400]),
                    "hello", ["reassembled>0"],
                    "sequence numbers wrap past 2^32 inside the hello",
                    isn=0xFFFFFF00)

    def out_of_order(self):
        big, c13 = self.big, self.curl13
        rec = big.record()
        self.simple("big-ooo-reversed", big, cut(rec, [1000]), "hello",
                    ["reassembled>0", "out_of_order>0"],
                    "big hello in two segments, the second sent first",
                    order=[1, 0])

        self.simple("big-ooo-middle-last", big, cut(rec, [600, 1200]),
                    "hello", ["reassembled>0", "out_of_order>0"],
                    "three segments sent 1, 3, 2", order=[0, 2, 1])

        self.simple("big-ooo-5seg", big, cut(rec, [400, 800, 1200, 1600]),
                    "hello", ["reassembled>0", "out_of_order>0"],
                    "five segments sent 1, 5, 3, 4, 2",
                    order=[0, 4, 2, 3, 1])

        self.simple("big-ooo-first-last", big, cut(rec, [600, 1200]),
                    "hello", ["reassembled>0", "out_of_order>0"],
                    "three segments sent 2, 3, 1: data ahead of the first "
                    "byte, kept from the SYN", order=[1, 2, 0])

        pieces = cut_every(rec, 100)
        evens = list(range(2, len(pieces), 2))
        odds = list(range(1, len(pieces), 2))
        first_evens = evens[:REASM_RANGES]
        order = [0] + first_evens + odds + evens[REASM_RANGES:]
        self.simple("big-ooo-ranges-max", big, pieces, "hello",
                    ["reassembled>0", "out_of_order>0",
                     "err_ranges_full=0"],
                    "%d segments of 100 bytes: 1, then %d even ones that "
                    "leave %d separate gaps, then the odd ones, then the "
                    "rest: the most ranges tlsfp keeps"
                    % (len(pieces), len(first_evens), REASM_RANGES),
                    order=order)

        order = [0] + evens + odds
        self.simple("big-ooo-ranges-over", big, pieces, "truncated",
                    ["out_of_order>0", "err_ranges_full>0",
                     "ended_partial>0"],
                    "%d segments of 100 bytes: 1, then the %d even ones "
                    "(separate ranges, over the %d tlsfp keeps), then the "
                    "odd ones. tshark reassembles it; tlsfp drops the "
                    "ranges over its limit and reports the hello "
                    "truncated at FIN" % (len(pieces), len(evens),
                                          REASM_RANGES), order=order)

        pieces = cut_every(rec, 160)
        order = list(range(1, len(pieces))) + [0]
        self.simple("big-ooo-first-last-12seg", big, pieces, "hello",
                    ["reassembled>0", "out_of_order>0"],
                    "%d segments of 160 bytes, the first sent last: the "
                    "others form one contiguous block" % len(pieces),
                    order=order)

        c13_pieces = cut(c13.record(), [200, 400])
        self.simple("curl13-ooo-last-first", c13, c13_pieces, "hello",
                    ["reassembled>0", "out_of_order>0"],
                    "curl13 in three segments sent 3, 2, 1", order=[2, 1, 0])

    def repeats(self):
        big = self.big
        rec = big.record()
        pieces = cut(rec, [700, 1400])
        self.simple("big-dup-each", big, pieces, "hello",
                    ["reassembled>0", "retransmits>0"],
                    "each of three segments sent twice in a row",
                    order=[0, 0, 1, 1, 2, 2])

        self.simple("big-dup-stale", big, pieces, "hello",
                    ["reassembled>0", "retransmits>0"],
                    "segments 1, 2, 1 again, 3", order=[0, 1, 0, 2])

        self.simple("big-dup-ooo", big, pieces, "hello",
                    ["reassembled>0", "out_of_order>0"],
                    "segment 3 twice before 1 and 2", order=[2, 2, 0, 1])

        overlap = [(0, rec[:600]), (400, rec[400:1200]), (1000, rec[1000:])]
        self.simple("big-overlap", big, overlap, "hello",
                    ["reassembled>0"],
                    "segments [0,600) [400,1200) [1000,end): overlapping "
                    "ranges with the same bytes")

        self.simple("big-overlap-ooo", big, overlap, "hello",
                    ["reassembled>0", "out_of_order>0"],
                    "the same overlapping segments sent 3, 1, 2",
                    order=[2, 0, 1])

        coalesced = [(0, rec[:500]), (500, rec[500:1000]), (0, rec[:1400]),
                     (1400, rec[1400:])]
        self.simple("big-retrans-coalesced", big, coalesced, "hello",
                    ["reassembled>0"],
                    "segments [0,500) [500,1000), then a retransmission "
                    "[0,1400) that joins them and adds data, then the rest")

        # Linux queues a segment that starts before rcv_nxt but reads it
        # from rcv_nxt on (tcp_data_queue() in net/ipv4/tcp_input.c), so
        # the server parses the first copy of the overlapping bytes.
        c13rec = self.curl13.record()
        off = 5 + self.curl13.offsets()["cipher_len"] + 2 + 2
        changed = patch(c13rec, off, b"\x00\x2f")
        conflict = [(0, c13rec[:off + 10]), (off - 10, changed[off - 10:])]
        self.simple("curl13-overlap-conflict", self.curl13, conflict,
                    "hello", ["reassembled>0"],
                    "second segment overlaps the first by 20 bytes and "
                    "changes the second cipher there; the server's TCP keeps "
                    "the first copy, so the expected JA3 is the original "
                    "hello's")

    def records(self):
        big, c13, c12 = self.big, self.curl13, self.curl12
        two = frame_records(c13.record_version, c13.message, [200])
        self.simple("curl13-2rec-1seg", c13, [(0, two)], "hello",
                    ["reassembled>0"],
                    "curl13 hello in two records (200 + 312 bytes) in one "
                    "segment")

        three = frame_records(big.record_version, big.message, [600, 700])
        self.simple("big-3rec-4seg", big, cut(three, [300, 900, 1500]),
                    "hello", ["reassembled>0"],
                    "big hello in three records (600, 700, 579) over four "
                    "segments that do not line up with them")

        self.simple("big-3rec-4seg-ooo", big, cut(three, [300, 900, 1500]),
                    "hello", ["reassembled>0", "out_of_order>0"],
                    "the same records and segments sent 1, 4, 2, 3",
                    order=[0, 3, 1, 2])

        first1 = frame_records(c12.record_version, c12.message, [1])
        self.simple("curl12-rec-1byte-first", c12, [(0, first1)], "hello",
                    ["reassembled>0"],
                    "first record holds only the handshake type byte "
                    "(valid: RFC 8446 5.1 lets a handshake message be cut "
                    "anywhere)")

        first3 = frame_records(c12.record_version, c12.message, [3])
        self.simple("curl12-rec-3byte-first", c12, [(0, first3)], "hello",
                    ["reassembled>0"],
                    "first record holds 3 of the 4 handshake header bytes")

        sni = [e for e in c13.extensions() if e[0] == EXT_SNI][0]
        at_sni = frame_records(c13.record_version, c13.message,
                               [sni[1] + 6])
        self.simple("curl13-rec-at-sni", c13, cut(at_sni, [sni[1] + 11]),
                    "hello", ["reassembled>0"],
                    "records and segments cut inside the server_name, as "
                    "DPI-evasion tools do")

        many = frame_records(c13.record_version, c13.message, [15] * 64)
        nrec = -(-len(c13.message) // 15)
        self.simple("curl13-rec-over-max", c13, cut_mss(many), "truncated",
                    ["too_large>0"],
                    "curl13 hello in %d records of 15 bytes, over the %d "
                    "records tlsfp follows: reported too large"
                    % (nrec, MAX_RECORDS))

        few = frame_records(c12.record_version, c12.message,
                            [6] * (MAX_RECORDS - 1))
        self.simple("curl12-rec-max", c12, cut_every(few, 100), "hello",
                    ["reassembled>0"],
                    "curl12 hello in %d records (6 bytes each but the "
                    "last), the most tlsfp follows, in 100-byte segments"
                    % MAX_RECORDS)

    def encapsulation(self):
        big, c13 = self.big, self.curl13
        self.simple("big-2seg-vlan", big, cut(big.record(), [1000]),
                    "hello", ["reassembled>0"],
                    "two segments with an 802.1Q tag (VLAN 100)",
                    vlans=(100,))

        self.simple("big-ooo-qinq", big, cut(big.record(), [1000]),
                    "hello", ["reassembled>0", "out_of_order>0"],
                    "802.1ad and 802.1Q tags, second segment first",
                    vlans=(200, 100), order=[1, 0])

        self.simple("big-2seg-ipv6", big, cut(big.record(), [1000]),
                    "hello", ["reassembled>0"], "two segments over IPv6",
                    client=CLIENT_V6, server=SERVER_V6)

        self.simple("curl13-ooo-ipv6", c13, cut(c13.record(), [200, 400]),
                    "hello", ["reassembled>0", "out_of_order>0"],
                    "three segments over IPv6, sent 1, 3, 2",
                    client=CLIENT_V6, server=SERVER_V6, order=[0, 2, 1])

    def mid_stream(self):
        big = self.big
        pieces = cut(big.record(), [700, 1400])

        cap = Capture()
        flow = Flow(cap, self.port())
        flow.send_pieces(pieces)
        flow.fin()
        self.case("big-nosyn", cap, [(flow, "hello", big)],
                  ["reassembled>0", "syn_tracked=0"],
                  "capture starts at the first hello segment, no TCP "
                  "handshake; segments in order")

        cap = Capture()
        flow = Flow(cap, self.port())
        flow.send_pieces(pieces, order=[1, 0, 2])
        flow.fin()
        self.case("big-nosyn-ooo", cap, [(flow, "truncated", big)],
                  ["ended_partial>0"],
                  "no TCP handshake and segment 2 before segment 1: "
                  "without the SYN, tlsfp cannot place segment 2 and drops "
                  "it, so the hello never completes and FIN reports it "
                  "truncated")

        cap = Capture()
        flow = Flow(cap, self.port())
        flow.send_pieces(pieces, order=[1, 0])
        self.case("big-nosyn-ooo-nofin", cap, [(flow, "none", big)],
                  ["partial_created>0"],
                  "as big-nosyn-ooo but segment 3 and the FIN never come: "
                  "the capture ends with the hello partial, and tlsfp -r "
                  "reports nothing for it")

    def preamble_case(self, name, hello, client_msgs, server_msgs, order,
                      expect, counters, note):
        cap = Capture()
        flow = Flow(cap, self.port())
        flow.handshake()
        for request, response in zip(client_msgs, server_msgs):
            flow.send(flow.end, request)
            flow.reply(response)
        base = flow.end
        rec = hello.record()
        flow.send_pieces(cut(rec, [len(rec) // 2]), base=base, order=order)
        flow.fin()
        self.case(name, cap, [(flow, expect, hello)], counters, note)

    def preambles(self):
        big = self.big
        connect = [b"CONNECT test.example:443 HTTP/1.1\r\n"
                   b"Host: test.example:443\r\n\r\n"]
        connect_ok = [b"HTTP/1.1 200 Connection established\r\n\r\n"]
        socks5 = [b"\x05\x01\x00",
                  b"\x05\x01\x00\x03\x0ctest.example\x01\xbb"]
        socks5_ok = [b"\x05\x00", b"\x05\x00\x00\x01" + bytes(6)]
        socks4 = [b"\x04\x01\x01\xbb\xc6\x12\x00\x02user\x00"]
        socks4_ok = [b"\x00\x5a" + bytes(6)]

        self.preamble_case("big-connect-2seg", big, connect, connect_ok,
                           None, "hello",
                           ["reassembled>0", "proxy_preambles>0"],
                           "HTTP CONNECT, 200 from the proxy, then the "
                           "hello in two segments")

        self.preamble_case("big-socks5-2seg", big, socks5, socks5_ok, None,
                           "hello", ["reassembled>0", "proxy_preambles>0"],
                           "SOCKS 5 greeting and CONNECT, then the hello in "
                           "two segments")

        self.preamble_case("big-socks4-2seg", big, socks4, socks4_ok, None,
                           "hello", ["reassembled>0", "proxy_preambles>0"],
                           "SOCKS 4 CONNECT, then the hello in two segments")

        self.preamble_case("big-connect-ooo", big, connect, connect_ok,
                           [1, 0], "truncated",
                           ["proxy_preambles>0", "ended_partial>0"],
                           "HTTP CONNECT, then the hello's second segment "
                           "before its first: after a preamble tlsfp keeps "
                           "no data ahead of the hello's start, so it is "
                           "reported truncated at FIN")

    def endings(self):
        big, c13 = self.big, self.curl13
        pieces = cut(big.record(), [700, 1400])

        cap = Capture()
        flow = Flow(cap, self.port())
        flow.handshake()
        flow.send_pieces(pieces[:2])
        flow.fin()
        self.case("big-fin-early", cap, [(flow, "truncated", big)],
                  ["ended_partial>0", "reassembled=0"],
                  "two of three segments, then FIN")

        cap = Capture()
        flow = Flow(cap, self.port())
        flow.handshake()
        flow.send_pieces(pieces[:1])
        flow.rst()
        self.case("big-rst-early", cap, [(flow, "truncated", big)],
                  ["ended_partial>0"], "first segment, then RST")

        cap = Capture()
        flow = Flow(cap, self.port())
        flow.handshake()
        flow.send(*pieces[0])
        flow.send(*pieces[1], wait_ns=12 * 10**9)
        flow.send(*pieces[2])
        flow.fin()
        self.case("big-idle-timeout", cap, [(flow, "truncated", big)],
                  ["reassembled=0", "swept_partial>0"],
                  "12 s between segments 1 and 2, over the default 10 s "
                  "--reasm-timeout: reported truncated once, the late "
                  "segments ignored")

        pieces = cut(c13.record(), [200])
        cap = Capture()
        flow = Flow(cap, self.port())
        flow.handshake()
        flow.send(*pieces[0])
        flow.send(*pieces[1], wait_ns=5 * 10**9)
        flow.fin()
        self.case("curl13-slow-5s", cap, [(flow, "hello", c13)],
                  ["reassembled>0", "timeouts=0"],
                  "5 s between the two segments, within the timeout")

    def sizes(self):
        c13 = self.curl13
        for name, size, expect, counters, note in (
                ("curl13-9000", 9000, "truncated", ["too_large>0"],
                 "hello padded to 9000 bytes in one record: over the "
                 "8192 bytes tlsfp keeps, reported too large"),
                ("curl13-8192", BUF_SIZE, "hello", ["reassembled>0"],
                 "hello padded to exactly 8192 bytes with its record "
                 "header: the largest tlsfp fingerprints"),
                ("curl13-8193", BUF_SIZE + 1, "truncated", ["too_large>0"],
                 "one byte over the limit: reported too large")):
            hello = c13.with_padding(size)
            self.simple(name, hello, cut_mss(hello.record()), expect,
                        counters, note)

        hello = c13.with_padding(BUF_SIZE)
        two = frame_records(hello.record_version, hello.message, [4000])
        self.simple("curl13-8192-2rec", hello, cut_mss(two), "truncated",
                    ["too_large>0"],
                    "the 8192-byte hello in two records: 8197 stream "
                    "bytes, over the limit, so it must be reported too "
                    "large")

    def many_flows(self):
        hellos = [self.big, self.curl13, self.curl12]

        cap = Capture()
        flows = []
        for i in range(200):
            client = "198.18.1.%d" % (i + 1)
            flow = Flow(cap, 50000 + i, client=client,
                        isn=CLIENT_ISN + i * 0x01000193)
            flows.append((flow, hellos[i % 3]))
        for flow, _ in flows:
            flow.handshake()
        pieces = {}
        for flow, hello in flows:
            rec = hello.record()
            pieces[flow.sport] = cut(rec, [len(rec) // 3,
                                           2 * len(rec) // 3])
        for part in range(3):
            ordered = flows if part != 1 else list(reversed(flows))
            for flow, _ in ordered:
                flow.send(*pieces[flow.sport][part])
        for flow, _ in flows:
            flow.fin()
        self.case("flows-200", cap,
                  [(flow, "hello", hello) for flow, hello in flows],
                  ["reassembled=200", "partial_created=200"],
                  "200 flows from 198.18.1.1-200, each hello in three "
                  "segments, all first segments, then all second ones in "
                  "reverse flow order, then all third ones")

    def same_flow(self):
        c13, c12 = self.curl13, self.curl12

        cap = Capture()
        flow = Flow(cap, self.port())
        flow.handshake()
        flow.send_pieces(cut(c13.record(), [200]))
        flow.reply(b"\x16\x03\x03\x00\x04\x02\x00\x00\x00")
        flow.send_pieces(cut(c12.record(), [100]), base=flow.end)
        flow.fin()
        self.case("second-hello", cap, [(flow, "hello", c13)],
                  ["reassembled>0", "partial_created=1"],
                  "a split curl13 hello, then a split curl12 hello on the "
                  "same flow: only the first counts")

        cap = Capture()
        flow = Flow(cap, self.port())
        flow.handshake()
        flow.send_pieces(cut(c13.record(), [200]))
        flow.fin()
        again = Flow(cap, flow.sport, isn=CLIENT_ISN + 0x00100000)
        again.handshake()
        again.send_pieces(cut(c12.record(), [100]))
        again.fin()
        self.case("port-reuse", cap,
                  [(flow, "hello", c13), (again, "hello", c12)],
                  ["reassembled>0"],
                  "a flow ends with FIN, then a new connection with the "
                  "same addresses and ports (new SYN, new ISN) sends "
                  "another hello: two connections, two fingerprints")

    def malformed(self):
        """Malformed hellos and non-TLS streams, each whole and split.

        The split form cuts after 6 bytes (record header and handshake
        type), so the error lies in data that only reassembly brings."""
        c12 = self.curl12
        off = c12.offsets()
        exts = c12.extensions()
        groups = [e for e in exts if e[0] == EXT_GROUPS][0]
        sni = [e for e in exts if e[0] == EXT_SNI][0]
        rec = c12.record()
        cipher_len = struct.unpack(
            "!H", c12.message[off["cipher_len"]:off["cipher_len"] + 2])[0]
        ext_len = struct.unpack(
            "!H", c12.message[off["ext_len"]:off["exts"]])[0]
        hs_len = len(c12.message) - 4

        def msg(h):
            return h.record()

        cases = [
            ("rec-len-over-max", patch(rec, 3, b"\x40\x01"), "err_record",
             "record length 16385, over the 2^14 limit"),
            ("cipher-len-odd",
             msg(c12.patched(off["cipher_len"],
                             struct.pack("!H", cipher_len - 1))),
             "err_hello", "odd cipher_suites length"),
            ("cipher-len-overrun",
             msg(c12.patched(off["cipher_len"], b"\xff\xfe")), "err_hello",
             "cipher_suites length past the end of the hello"),
            ("sid-len-33", msg(c12.patched(off["sid_len"], b"\x21")),
             "err_hello", "legacy_session_id length 33, over 32"),
            ("ext-block-short",
             msg(c12.patched(off["ext_len"],
                             struct.pack("!H", ext_len - 1))),
             "err_hello", "extensions length one less than the bytes left"),
            ("ext-len-overrun",
             msg(c12.patched(groups[1] + 2, b"\x7f\xff")), "err_hello",
             "supported_groups extension length past the extensions block"),
            ("groups-len-odd",
             msg(c12.patched(groups[1] + 4,
                             struct.pack("!H", groups[2] - 3))),
             "err_hello", "odd supported_groups list length"),
            ("sni-len-overrun",
             msg(c12.patched(sni[1] + 4 + 3, b"\x7f\xff")), "err_hello",
             "server_name host_name length past its extension"),
            ("hs-len-huge",
             patch(rec, 6, b"\xff\xff\xff"), "err_hello",
             "handshake length 2^24 - 1, more than a ClientHello can be"),
            ("hs-len-over-record-alert",
             patch(rec, 6, (hs_len + 100).to_bytes(3, "big")) +
             bytes([TLS_ALERT]) + c12.record_version + b"\x00\x02\x02\x28",
             "err_record",
             "handshake length 100 bytes past its record, and the next "
             "record is an alert, not a handshake record"),
            ("zero-record-inside",
             frame_records(c12.record_version, c12.message[:100], [100]) +
             bytes([TLS_HANDSHAKE]) + c12.record_version + b"\x00\x00" +
             frame_records(c12.record_version, c12.message[100:],
                           [len(c12.message)]),
             "err_record",
             "a zero-length handshake record between the two parts of a "
             "hello (RFC 8446 5.1 forbids it)"),
            ("rec-version-bad-second",
             frame_records(c12.record_version, c12.message, [100])[:105] +
             bytes([TLS_HANDSHAKE, 3, 9]) +
             frame_records(c12.record_version, c12.message,
                           [100])[108:],
             "err_record",
             "second record of a two-record hello with version 3.9"),
        ]
        for label, data, counter, note in cases:
            self.malformed_pair("bad-" + label, data, "none",
                                [counter + ">0", "hellos=0"], note)

        # No counter names these: the stream is not a TLS ClientHello.
        http = (b"GET / HTTP/1.1\r\nHost: test.example\r\n"
                b"User-Agent: gen_split\r\n\r\n")
        sslv2 = bytes.fromhex("802e0103010015000000100700c00500800300800100"
                              "80060040040080020080") + bytes(16)
        zero_first = bytes([TLS_HANDSHAKE]) + c12.record_version + \
            b"\x00\x00" + rec
        quiet = ["hellos=0", "err_record=0", "err_hello=0",
                 "partial_created=0"]
        self.malformed_pair("none-http", http, "none", quiet,
                            "an HTTP request on port 443")
        self.malformed_pair("none-sslv2", sslv2, "none", quiet,
                            "an SSL 2.0 compatible ClientHello (no JA3 for "
                            "it in tlsfp or tshark)")
        # RFC 8446 5.1 forbids zero-length handshake fragments, so the
        # record walk counts the stream as a malformed record.
        self.malformed_pair("none-zero-record-first", zero_first, "none",
                            ["hellos=0", "err_record=1", "err_hello=0"],
                            "a zero-length handshake record before the "
                            "hello record, which RFC 8446 5.1 forbids: "
                            "counted as an invalid record")

    def malformed_pair(self, name, data, expect, counters, note):
        for suffix, pieces, extra in (
                ("", [(0, data)], ""),
                ("-split", cut(data, [6]), "; split after 6 bytes, so the "
                 "error shows only after reassembly")):
            self.simple(name + suffix, self.curl12, pieces, expect,
                        counters, note + extra)

    def write_tsv(self):
        with open(os.path.join(self.outdir, "cases.tsv"), "w") as f:
            f.write("\t".join(["name", "file", "client_ip", "client_port",
                               "expect", "ja3_md5", "counters",
                               "note"]) + "\n")
            for row in self.rows:
                f.write("\t".join(row) + "\n")


def generate(outdir):
    with tempfile.TemporaryDirectory() as tmpdir:
        Generator(outdir, tmpdir).run()


def check():
    """Regenerate into a temporary folder and compare with HERE."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        differ = []
        names = ["cases.tsv"] + [
            os.path.join("captures", n)
            for n in sorted(os.listdir(os.path.join(tmp, "captures")))]
        for name in names:
            ours = os.path.join(HERE, name)
            if not os.path.exists(ours) or \
                    not filecmp.cmp(ours, os.path.join(tmp, name),
                                    shallow=False):
                differ.append(name)
        stale = sorted(set(os.listdir(os.path.join(HERE, "captures"))) -
                       set(os.listdir(os.path.join(tmp, "captures"))))
        for name in differ:
            print("differs: %s" % name)
        for name in stale:
            print("not generated: captures/%s" % name)
        return 1 if differ or stale else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the committed files with a fresh "
                        "generation instead of writing them")
    args = parser.parse_args()
    if shutil.which("tshark") is None:
        sys.exit("tshark not found: install the tshark package")
    if args.check:
        sys.exit(check())
    captures = os.path.join(HERE, "captures")
    if os.path.isdir(captures):
        shutil.rmtree(captures)
    generate(HERE)


if __name__ == "__main__":
    main()
