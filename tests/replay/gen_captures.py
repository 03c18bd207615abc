#!/usr/bin/python3
"""Generate the link-type captures for the `tlsfp -r` tests.

Two Ethernet captures of one curl TLS 1.3 connection, one over IPv4 and one
over IPv6 (tests/vectors/local/curl-tls13-h2{,-ipv6}.pcap), are rewritten
with every link header that tlsfp -r converts, in pcap and in pcapng.  Each
output keeps every frame and its timestamp, so the ClientHello keeps the
frame number and JA3 listed in tests/vectors/expected.tsv.

    captures/NAME.pcap, captures/NAME.pcapng
        readable captures; tlsfp must report the expected JA3
    captures/curl-tls13-h2-time0.pcap
        the IPv4 capture with every timestamp at 0 (1970-01-01T00:00:00Z)
    captures/snaplen-200.pcap
        the IPv4 capture with every frame cut to 200 bytes (snap length)
    captures/frame-sizes.pcap
        the IPv4 ClientHello in frames of 3520, 3521 and 9014 bytes, grown
        with its padding extension or followed by TLS 1.3 early data
    captures/unsupported/
        captures tlsfp -r must reject: link types it does not convert
        (PPP, IEEE 802.11) and a pcapng file that mixes two link types

The files are written byte by byte with the standard library only (no
scapy, no editcap), so the output does not depend on a tool's version and
running the script again gives identical files.  `--check` regenerates
into a temporary folder and compares with the committed files.

Every address in the outputs comes from the source captures, which use
198.18.0.0/15 and 2001:db8::/32 only.
"""

import argparse
import filecmp
import os
import shutil
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, os.pardir, "vectors", "local")

SOURCES = {
    "curl-tls13-h2": "curl-tls13-h2.pcap",
    "curl-tls13-h2-ipv6": "curl-tls13-h2-ipv6.pcap",
}

# LINKTYPE_* values, the link type stored in pcap and pcapng files.  They
# equal libpcap's DLT_* values (pcap/dlt.h) except LINKTYPE_RAW: DLT_RAW is
# 12 on Linux, and libpcap maps 101 in a file to it.
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_PPP = 9
LINKTYPE_RAW = 101
LINKTYPE_IEEE802_11 = 105
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
ARPHRD_ETHER = 1
# sll_pkttype values (linux/if_packet.h)
PACKET_HOST = 0
PACKET_OUTGOING = 4
# PPP protocol numbers (RFC 1332, RFC 5072)
PPP_IPV4 = 0x0021
PPP_IPV6 = 0x0057
# Interface index written in SLL2 headers.
SLL2_IFINDEX = 2
# Sub-microsecond part added to every timestamp of the nanosecond files, so
# that a reader which takes nanoseconds for microseconds gives a wrong time.
EXTRA_NSEC = 789

# Frames of frame-sizes.pcap: (Ethernet frame size, True to grow the
# ClientHello with padding or False to follow it with TLS 1.3 early data).
# BPF_PROG_TEST_RUN puts the first 3520 bytes of an XDP frame in the linear
# area and the rest in fragments (4096-byte page minus 256 of headroom and
# 320 of skb_shared_info, measured on Linux 6.18 x86_64).  9014 bytes is a
# 9000-byte MTU; the last hello is larger than tlsfp's 8192-byte buffer.
FRAME_SIZES = ((3520, True), (3521, True), (9014, False), (9014, True))
TLS_EXT_PADDING = 21
# Length of the ClientHello record in frame 4 of curl-tls13-h2.pcap.
HELLO_RECORD_LEN = 517

PCAP_MAGIC_USEC = 0xA1B2C3D4
PCAP_MAGIC_NSEC = 0xA1B23C4D
SNAPLEN = 262144


class Frame:
    """One captured Ethernet frame and its time in nanoseconds."""

    def __init__(self, ts_ns, data):
        self.ts_ns = ts_ns
        self.data = data

    @property
    def ethertype(self):
        return struct.unpack("!H", self.data[12:14])[0]

    @property
    def payload(self):
        return self.data[14:]

    @property
    def src_mac(self):
        return self.data[6:12]


def read_pcap(path):
    """Read a little-endian microsecond Ethernet pcap into Frames."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", raw[:24])
    if magic != PCAP_MAGIC_USEC or linktype != LINKTYPE_ETHERNET:
        raise SystemExit("%s: expected a little-endian microsecond "
                         "Ethernet pcap" % path)
    frames = []
    off = 24
    while off < len(raw):
        sec, usec, caplen, _ = struct.unpack("<IIII", raw[off:off + 16])
        off += 16
        frames.append(Frame(sec * 10**9 + usec * 1000,
                            raw[off:off + caplen]))
        off += caplen
    return frames


def ip_family(frame):
    if frame.ethertype == ETHERTYPE_IPV4:
        return 4
    if frame.ethertype == ETHERTYPE_IPV6:
        return 6
    raise SystemExit("frame with EtherType 0x%04x: only IP frames can be "
                     "rewritten as raw IP or loopback" % frame.ethertype)


def sll(frame, client_mac):
    """Linux cooked header v1: 16 bytes, the EtherType last."""
    pkttype = PACKET_OUTGOING if frame.src_mac == client_mac else PACKET_HOST
    return (struct.pack("!HHH", pkttype, ARPHRD_ETHER, 6) +
            frame.src_mac + b"\0\0" +
            struct.pack("!H", frame.ethertype) + frame.payload)


def sll2(frame, client_mac):
    """Linux cooked header v2: 20 bytes, the EtherType first."""
    pkttype = PACKET_OUTGOING if frame.src_mac == client_mac else PACKET_HOST
    return (struct.pack("!HHIHBB", frame.ethertype, 0, SLL2_IFINDEX,
                        ARPHRD_ETHER, pkttype, 6) +
            frame.src_mac + b"\0\0" + frame.payload)


def raw_ip(frame, client_mac):
    ip_family(frame)
    return frame.payload


def bsd_loopback(endian, af_inet6):
    """DLT_NULL and DLT_LOOP: a 4-byte address family, then the packet.

    DLT_NULL stores the family in the capturing host's byte order,
    DLT_LOOP in network byte order.  AF_INET is 2 on every BSD, AF_INET6
    differs: 24 OpenBSD and NetBSD, 28 FreeBSD, 30 macOS.
    """
    def convert(frame, client_mac):
        family = 2 if ip_family(frame) == 4 else af_inet6
        return struct.pack(endian + "I", family) + frame.payload
    return convert


def ppp(frame, client_mac):
    """PPP in HDLC-like framing (RFC 1662): address, control, protocol."""
    proto = PPP_IPV4 if ip_family(frame) == 4 else PPP_IPV6
    return struct.pack("!BBH", 0xFF, 0x03, proto) + frame.payload


def ieee80211(frame, client_mac):
    """802.11 data frame to the AP (To DS), then LLC/SNAP and EtherType."""
    header = struct.pack("<HH", 0x0108, 0) + frame.data[0:6] + \
        frame.src_mac + frame.data[0:6] + struct.pack("<H", 0)
    llc = b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", frame.ethertype)
    return header + llc + frame.payload


def checksum(data):
    """Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def grow_hello(tls, extra):
    """Return the ClientHello record tls with extra zero bytes of padding.

    The hello must end with the padding extension (RFC 7685), as curl's
    does; the record, handshake and extensions lengths grow with it.
    """
    body = tls[9:]
    off = 2 + 32
    off += 1 + body[off]
    off += 2 + struct.unpack("!H", body[off:off + 2])[0]
    off += 1 + body[off]
    exts_at = off + 2
    pos = exts_at
    while True:
        ext_type, ext_len = struct.unpack("!HH", body[pos:pos + 4])
        if pos + 4 + ext_len == len(body):
            break
        pos += 4 + ext_len
    if ext_type != TLS_EXT_PADDING:
        raise SystemExit("the ClientHello does not end with padding")
    body = (body[:pos] + struct.pack("!HH", ext_type, ext_len + extra) +
            body[pos + 4:] + b"\0" * extra)
    body = (body[:off] + struct.pack("!H", len(body) - exts_at) +
            body[exts_at:])
    handshake = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return tls[:3] + struct.pack("!H", len(handshake)) + handshake


def early_data(size):
    """Return size bytes of TLS 1.3 0-RTT records to follow a ClientHello.

    A change_cipher_spec record, then one application_data record of
    made-up ciphertext (RFC 8446 D.4 and 4.2.10).
    """
    ccs = b"\x14\x03\x03\x00\x01\x01"
    body = bytes(i % 251 for i in range(size - len(ccs) - 5))
    return ccs + b"\x17\x03\x03" + struct.pack("!H", len(body)) + body


def with_payload(frame, sport, payload):
    """Return the IPv4 TCP frame with a new source port and payload."""
    eth, ip = frame.data[:14], frame.data[14:]
    ihl = (ip[0] & 0x0F) * 4
    tcp = ip[ihl:]
    doff = (tcp[12] >> 4) * 4
    tcp = (struct.pack("!H", sport) + tcp[2:16] + b"\0\0" + tcp[18:doff] +
           payload)
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = (ip[:2] + struct.pack("!H", ihl + len(tcp)) + ip[4:10] + b"\0\0" +
          ip[12:ihl])
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return eth + ip + tcp


def ethernet(frame, client_mac):
    return frame.data


def write_pcap(path, linktype, frames, endian="<", nsec=False,
               snaplen=SNAPLEN):
    """Write frames, (ts_ns, data) pairs, each cut to snaplen bytes."""
    magic = PCAP_MAGIC_NSEC if nsec else PCAP_MAGIC_USEC
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen,
                       linktype)]
    for ts_ns, data in frames:
        sec, sub = divmod(ts_ns, 10**9)
        if not nsec:
            sub //= 1000
        caplen = min(len(data), snaplen)
        out.append(struct.pack(endian + "IIII", sec, sub, caplen,
                               len(data)))
        out.append(data[:caplen])
    with open(path, "wb") as f:
        f.write(b"".join(out))


def pcapng_block(endian, block_type, body):
    body += b"\0" * (-len(body) % 4)
    total = 12 + len(body)
    return (struct.pack(endian + "II", block_type, total) + body +
            struct.pack(endian + "I", total))


def pcapng_option(endian, code, value):
    value_len = len(value)
    value += b"\0" * (-len(value) % 4)
    return struct.pack(endian + "HH", code, value_len) + value


def write_pcapng(path, linktypes, frames, endian="<", nsec=False):
    """Write one section with an interface per entry of linktypes.

    frames contains (ts_ns, data, interface) tuples.  Timestamps are in
    microseconds, or in nanoseconds (if_tsresol 9) when nsec is true.
    """
    # Section Header Block: byte-order magic, version 1.0, length unknown.
    out = [pcapng_block(endian, 0x0A0D0D0A,
                        struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for linktype in linktypes:
        opts = b""
        if nsec:
            opts += pcapng_option(endian, 9, b"\x09")    # if_tsresol
        if opts:
            opts += pcapng_option(endian, 0, b"")         # opt_endofopt
        out.append(pcapng_block(endian, 1, struct.pack(
            endian + "HHI", linktype, 0, SNAPLEN) + opts))
    for ts_ns, data, interface in frames:
        ts = ts_ns if nsec else ts_ns // 1000
        out.append(pcapng_block(endian, 6, struct.pack(
            endian + "IIIII", interface, ts >> 32, ts & 0xFFFFFFFF,
            len(data), len(data)) + data))
    with open(path, "wb") as f:
        f.write(b"".join(out))


# name suffix: (link type, converter, byte order, nanoseconds, write pcap)
IPV4_VARIANTS = {
    "": (LINKTYPE_ETHERNET, ethernet, "<", False, False),
    "-sll": (LINKTYPE_LINUX_SLL, sll, "<", False, True),
    "-sll2": (LINKTYPE_LINUX_SLL2, sll2, "<", False, True),
    "-raw": (LINKTYPE_RAW, raw_ip, "<", False, True),
    "-dlt-ipv4": (LINKTYPE_IPV4, raw_ip, "<", False, True),
    "-null": (LINKTYPE_NULL, bsd_loopback("<", 30), "<", False, True),
    "-null-be": (LINKTYPE_NULL, bsd_loopback(">", 28), ">", False, True),
    "-loop": (LINKTYPE_LOOP, bsd_loopback(">", 24), "<", False, True),
    "-nsec": (LINKTYPE_ETHERNET, ethernet, "<", True, True),
}
IPV6_VARIANTS = {
    "": (LINKTYPE_ETHERNET, ethernet, "<", False, False),
    "-sll": (LINKTYPE_LINUX_SLL, sll, "<", False, True),
    "-sll2": (LINKTYPE_LINUX_SLL2, sll2, "<", False, True),
    "-raw": (LINKTYPE_RAW, raw_ip, "<", False, True),
    "-dlt-ipv6": (LINKTYPE_IPV6, raw_ip, "<", False, True),
    "-null": (LINKTYPE_NULL, bsd_loopback("<", 30), "<", False, True),
    "-null-be": (LINKTYPE_NULL, bsd_loopback(">", 28), ">", False, True),
    "-loop": (LINKTYPE_LOOP, bsd_loopback(">", 24), "<", False, True),
}


def convert_all(frames, convert, nsec):
    client_mac = frames[0].src_mac
    extra = EXTRA_NSEC if nsec else 0
    return [(fr.ts_ns + extra, convert(fr, client_mac)) for fr in frames]


def generate_readable(outdir):
    for base, src in SOURCES.items():
        frames = read_pcap(os.path.join(VECTORS, src))
        variants = IPV6_VARIANTS if base.endswith("ipv6") else IPV4_VARIANTS
        for suffix, (linktype, convert, endian, nsec, pcap) in \
                variants.items():
            out = convert_all(frames, convert, nsec)
            name = os.path.join(outdir, base + suffix)
            if pcap:
                write_pcap(name + ".pcap", linktype, out, endian, nsec)
            write_pcapng(name + ".pcapng", [linktype],
                         [(ts, data, 0) for ts, data in out], endian, nsec)


def generate_time_zero(outdir):
    """Write the IPv4 capture with every frame at time 0, the Unix epoch."""
    frames = read_pcap(os.path.join(VECTORS, SOURCES["curl-tls13-h2"]))
    write_pcap(os.path.join(outdir, "curl-tls13-h2-time0.pcap"),
               LINKTYPE_ETHERNET, [(0, fr.data) for fr in frames])


def generate_snaplen(outdir):
    """Write the IPv4 capture as `tcpdump -s 200` would, every frame cut to
    200 bytes, the ClientHello too."""
    frames = read_pcap(os.path.join(VECTORS, SOURCES["curl-tls13-h2"]))
    write_pcap(os.path.join(outdir, "snaplen-200.pcap"), LINKTYPE_ETHERNET,
               [(fr.ts_ns, fr.data) for fr in frames], snaplen=200)


def generate_frame_sizes(outdir):
    """One ClientHello per frame, each on its own flow, 1 s apart."""
    frames = read_pcap(os.path.join(VECTORS, SOURCES["curl-tls13-h2"]))
    hello = frames[3]
    sport = struct.unpack("!H", hello.data[34:36])[0]
    tls = hello.data[len(hello.data) - HELLO_RECORD_LEN:]
    headers = len(hello.data) - len(tls)
    payloads = []
    for size, grow in FRAME_SIZES:
        if grow:
            payloads.append(grow_hello(tls, size - len(hello.data)))
        else:
            payloads.append(tls + early_data(size - len(hello.data)))
    out = []
    for i, payload in enumerate(payloads):
        frame = with_payload(hello, sport + i, payload)
        assert len(frame) == headers + len(payload) == FRAME_SIZES[i][0]
        out.append((hello.ts_ns + i * 10**9, frame))
    write_pcap(os.path.join(outdir, "frame-sizes.pcap"), LINKTYPE_ETHERNET,
               out)


def generate_unsupported(outdir):
    frames = read_pcap(os.path.join(VECTORS, SOURCES["curl-tls13-h2"]))
    write_pcap(os.path.join(outdir, "curl-tls13-h2-ppp.pcap"), LINKTYPE_PPP,
               convert_all(frames, ppp, False))
    write_pcap(os.path.join(outdir, "curl-tls13-h2-ieee80211.pcap"),
               LINKTYPE_IEEE802_11, convert_all(frames, ieee80211, False))
    # Interface 0 is Ethernet and interface 1 Linux SLL.  Frames 1-3 are
    # on interface 0, the rest from the ClientHello (frame 4) on interface
    # 1.  libpcap reads a pcapng section only if every interface has the
    # same link type, but tshark reads this file.
    eth = convert_all(frames, ethernet, False)
    cooked = convert_all(frames, sll, False)
    mixed = [(ts, data, 0) for ts, data in eth[:3]] + \
        [(ts, data, 1) for ts, data in cooked[3:]]
    write_pcapng(os.path.join(outdir, "curl-tls13-h2-mixed-link.pcapng"),
                 [LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL], mixed)


def generate(outdir):
    os.makedirs(os.path.join(outdir, "unsupported"), exist_ok=True)
    generate_readable(outdir)
    generate_time_zero(outdir)
    generate_snaplen(outdir)
    generate_frame_sizes(outdir)
    generate_unsupported(os.path.join(outdir, "unsupported"))


def check(outdir):
    """Return 0 if regenerating gives the committed files, else 1."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        bad = 0
        for root, _, names in os.walk(tmp):
            rel = os.path.relpath(root, tmp)
            for name in sorted(names):
                want = os.path.join(outdir, rel, name)
                if not os.path.exists(want):
                    print("missing: %s" % os.path.normpath(want))
                    bad = 1
                elif not filecmp.cmp(os.path.join(root, name), want,
                                     shallow=False):
                    print("differs: %s" % os.path.normpath(want))
                    bad = 1
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed captures, write "
                         "nothing")
    ap.add_argument("--out", default=os.path.join(HERE, "captures"),
                    help="output folder (default: %(default)s)")
    args = ap.parse_args()
    if args.check:
        return check(args.out)
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    generate(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
