#!/usr/bin/python3
"""Write the captures that bench/run.sh measures tlsfp with.

    gen_traffic.py classes DIR     one small capture per packet class of the
                                   BPF_PROG_TEST_RUN benchmark (bench_prog)
    gen_traffic.py offline FILE N  N TLS flows mixed with HTTP, DNS and IPv6
                                   traffic, for tlsfp -r against tshark
    gen_traffic.py live FILE N     N ClientHellos of N distinct flows, one
                                   frame each, for tcpreplay onto a veth

The bytes are built with struct, not scapy: scapy takes about a minute for
the offline capture, struct a few seconds.  Every output is deterministic:
the same arguments write byte-identical files.  Addresses are from
198.18.0.0/15 and 2001:db8::/32 only.  Checksums are correct, so tshark and
the kernel read the frames as a real capture.
"""

import array
import hashlib
import random
import struct
import sys

CLIENT_MAC = bytes.fromhex("020000000001")
# Not the MAC of any veth, so that the server namespace's stack drops the
# live frames as PACKET_OTHERHOST after XDP and sends no reply.
SERVER_MAC = bytes.fromhex("020000000002")
SERVER_V4 = bytes([198, 18, 0, 2])
DNS_V4 = bytes([198, 18, 0, 53])
SERVER_V6 = bytes.fromhex("20010db8000000000000000000000002")

# 2026-01-01T00:00:00Z; frames are FRAME_GAP_US apart.
BASE_TIME = 1767225600
FRAME_GAP_US = 10

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
TCP_FIN, TCP_SYN, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x08, 0x10
# Largest TCP payload of a 1500-byte MTU with a 20-byte TCP header.
MSS = 1460

GREASE = [0x0A0A + 0x1010 * i for i in range(16)]

# Client profiles: each gives its own JA3 string.  Values are from the IANA
# TLS registries; the lists are shaped like those of browsers and libraries.
PROFILES = [
    {
        "ciphers": [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030,
                    0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F,
                    0x0035],
        "exts": [0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27,
                 17513, 21],
        "grease": True,
    },
    {
        "ciphers": [0x1301, 0x1303, 0x1302, 0xC02B, 0xC02F, 0xCCA9, 0xCCA8,
                    0xC02C, 0xC030, 0xC00A, 0xC009, 0xC013, 0xC014, 0x009C,
                    0x009D, 0x002F, 0x0035],
        "exts": [0, 23, 65281, 10, 11, 35, 16, 5, 34, 51, 43, 13, 45, 28,
                 21],
        "grease": False,
    },
    {
        "ciphers": [0x1302, 0x1303, 0x1301, 0xC02C, 0xC030, 0x009F, 0xCCA9,
                    0xCCA8, 0xCCAA, 0xC02B, 0xC02F, 0x009E, 0xC024, 0xC028,
                    0x006B, 0xC023, 0xC027, 0x0067, 0xC00A, 0xC014, 0x0039,
                    0xC009, 0xC013, 0x0033, 0x009D, 0x009C, 0x003D, 0x003C,
                    0x0035, 0x002F, 0x00FF],
        "exts": [0, 11, 10, 35, 16, 22, 23, 49, 13, 43, 45, 51, 21],
        "grease": False,
    },
    {
        "ciphers": [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02C, 0xCCA9, 0xC02F,
                    0xC030, 0xCCA8],
        "exts": [65281, 0, 10, 11, 13, 16, 23, 43, 45, 51, 21],
        "grease": False,
    },
]

GROUPS = [29, 23, 24]
GROUP_HYBRID = 0x6399          # X25519Kyber768Draft00
HYBRID_SHARE_LEN = 1216
SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]

# Size of a small hello's handshake message, the TLS record payload:
# Chromium pads its hello to 512 bytes.  A large hello carries a hybrid key
# share instead and is not padded.
SMALL_HELLO_LEN = 512
ECH_LEN = 250


def u16(n):
    return struct.pack("!H", n)


def vec8(data):
    return bytes([len(data)]) + data


def vec16(data):
    return u16(len(data)) + data


def u16_list(values):
    return struct.pack("!%dH" % len(values), *values)


def extension(ext_type, data=b""):
    return u16(ext_type) + vec16(data)


def seeded_bytes(label, length):
    """Return length bytes that depend only on label."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(b"%s/%d" % (label, counter)).digest()
        counter += 1
    return out[:length]


def extension_body(ext_type, sni, large, grease):
    """Return the encoded extension ext_type of a client's hello."""
    if ext_type == 0:
        return extension(0, vec16(b"\x00" + vec16(sni)))
    if ext_type == 10:
        groups = ([grease] if grease else []) + \
            ([GROUP_HYBRID] if large else []) + GROUPS
        return extension(10, vec16(u16_list(groups)))
    if ext_type == 11:
        return extension(11, vec8(b"\x00"))
    if ext_type == 13:
        return extension(13, vec16(u16_list(SIGALGS)))
    if ext_type == 16:
        return extension(16, vec16(vec8(b"h2") + vec8(b"http/1.1")))
    if ext_type == 5:
        return extension(5, b"\x01\x00\x00\x00\x00")
    if ext_type == 27:
        return extension(27, vec8(u16(2)))
    if ext_type == 43:
        versions = ([grease] if grease else []) + [0x0304, 0x0303]
        return extension(43, vec8(u16_list(versions)))
    if ext_type == 45:
        return extension(45, vec8(b"\x01"))
    if ext_type == 51:
        shares = b""
        if grease:
            shares += u16(grease) + vec16(b"\x00")
        if large:
            shares += u16(GROUP_HYBRID) + vec16(
                seeded_bytes(b"hybrid" + sni, HYBRID_SHARE_LEN))
        shares += u16(29) + vec16(seeded_bytes(b"x25519" + sni, 32))
        return extension(51, vec16(shares))
    if ext_type == 65281:
        return extension(65281, b"\x00")
    if ext_type == 17513:
        return extension(17513, vec16(vec8(b"h2")))
    if ext_type == 28:
        return extension(28, u16(16385))
    if ext_type == 34:
        return extension(34, vec16(u16_list([0x0403, 0x0503, 0x0603])))
    return extension(ext_type)


def client_hello(profile, sni, large, index):
    """Return a ClientHello TLS record (header included)."""
    prof = PROFILES[profile]
    grease = GREASE[index % 16] if prof["grease"] else 0
    ciphers = ([grease] if grease else []) + prof["ciphers"]
    exts = [extension_body(t, sni, large, grease)
            for t in prof["exts"] if t != 21]
    if grease:
        exts = [extension(grease)] + exts + [extension(GREASE[-1 - index % 16],
                                                       b"\x00")]
    body = (u16(0x0303) + seeded_bytes(b"random%d" % index, 32)
            + vec8(seeded_bytes(b"session%d" % index, 32))
            + vec16(u16_list(ciphers)) + vec8(b"\x00"))
    # Chromium sends a GREASE ECH extension (draft-ietf-tls-esni) with its
    # hybrid key share, which brings its hello to about 1.8 KB.
    if large:
        exts.append(extension(0xFE0D, seeded_bytes(b"ech" + sni, ECH_LEN)))
    ext_len = sum(len(e) for e in exts)
    # The padding extension (RFC 7685) fills a small hello up to its size.
    if 21 in prof["exts"] and not large:
        pad = SMALL_HELLO_LEN - 4 - len(body) - 2 - ext_len - 4
        if pad >= 0:
            exts.append(extension(21, bytes(pad)))
    body += vec16(b"".join(exts))
    msg = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + vec16(msg)


def server_hello(index):
    """Return a TLS 1.3 ServerHello record."""
    exts = (extension(43, u16(0x0304))
            + extension(51, u16(29) + vec16(seeded_bytes(b"srv%d" % index,
                                                         32))))
    body = (u16(0x0303) + seeded_bytes(b"srand%d" % index, 32)
            + vec8(seeded_bytes(b"session%d" % index, 32)) + u16(0x1301)
            + b"\x00" + vec16(exts))
    msg = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + vec16(msg)


def checksum(data):
    """Return the Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(array.array("H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    # array("H") reads native-order words; the sum swaps back on store.
    return struct.unpack("!H", struct.pack("=H", ~total & 0xFFFF))[0]


class Flow:
    """One TCP or UDP conversation between a client and a server."""

    def __init__(self, src, dst, sport, dport, isn=1000, peer_isn=5000):
        self.src, self.dst = src, dst
        self.sport, self.dport = sport, dport
        self.ipv6 = len(src) == 16
        self.seq = [isn, peer_isn]

    def ip(self, proto, l4, reply):
        src, dst = (self.dst, self.src) if reply else (self.src, self.dst)
        if self.ipv6:
            pseudo = src + dst + struct.pack("!IxxxB", len(l4), proto)
            hdr = struct.pack("!IHBB", 6 << 28, len(l4), proto, 64) + src + dst
            ether_type = ETH_P_IPV6
        else:
            pseudo = src + dst + struct.pack("!xBH", proto, len(l4))
            hdr = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(l4), 0, 0x4000,
                              64, proto, 0) + src + dst
            hdr = hdr[:10] + u16(checksum(hdr)) + hdr[12:]
            ether_type = ETH_P_IP
        csum_off = 16 if proto == 6 else 6
        csum = checksum(pseudo + l4)
        if proto == 17 and csum == 0:
            csum = 0xFFFF
        l4 = l4[:csum_off] + u16(csum) + l4[csum_off + 2:]
        macs = CLIENT_MAC + SERVER_MAC if reply else SERVER_MAC + CLIENT_MAC
        return macs + u16(ether_type) + hdr + l4

    def tcp(self, flags, payload=b"", reply=False, options=b""):
        """Return a TCP frame and advance that side's sequence number."""
        side = 1 if reply else 0
        sport, dport = (self.dport, self.sport) if reply else \
            (self.sport, self.dport)
        ack = self.seq[1 - side] if flags & TCP_ACK else 0
        doff = (20 + len(options)) // 4
        l4 = struct.pack("!HHIIBBHHH", sport, dport, self.seq[side], ack,
                         doff << 4, flags, 64240, 0, 0) + options + payload
        self.seq[side] = (self.seq[side] + len(payload)
                          + (1 if flags & (TCP_SYN | TCP_FIN) else 0)) \
            & 0xFFFFFFFF
        return self.ip(6, l4, reply)

    def udp(self, payload, reply=False):
        sport, dport = (self.dport, self.sport) if reply else \
            (self.sport, self.dport)
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        return self.ip(17, l4, reply)


SYN_OPTIONS = struct.pack("!BBH", 2, 4, MSS) + b"\x01\x03\x03\x07"


def handshake_frames(flow):
    return [flow.tcp(TCP_SYN, options=SYN_OPTIONS),
            flow.tcp(TCP_SYN | TCP_ACK, reply=True, options=SYN_OPTIONS),
            flow.tcp(TCP_ACK)]


def tls_flow(flow, index, large):
    """Return the frames of a TLS connection up to the ServerHello."""
    hello = client_hello(index % len(PROFILES),
                         b"host%d.bench.example" % index, large, index)
    frames = handshake_frames(flow)
    for off in range(0, len(hello), MSS):
        frames.append(flow.tcp(TCP_PSH | TCP_ACK, hello[off:off + MSS]))
    frames.append(flow.tcp(TCP_PSH | TCP_ACK, server_hello(index),
                           reply=True))
    return frames


def http_request(index):
    return (b"GET /item/%d HTTP/1.1\r\nHost: www%d.bench.example\r\n"
            b"User-Agent: bench\r\nAccept: */*\r\n\r\n" % (index, index))


def http_flow(flow, index):
    request = http_request(index)
    response = (b"HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n"
                + seeded_bytes(b"body%d" % index, 600))
    return handshake_frames(flow)[:2] + [
        flow.tcp(TCP_PSH | TCP_ACK, request),
        flow.tcp(TCP_PSH | TCP_ACK, response, reply=True)]


def dns_flow(flow, index):
    qname = b"".join(vec8(p) for p in
                     [b"n%d" % index, b"bench", b"example"]) + b"\x00"
    query = struct.pack("!HHHHHH", index & 0xFFFF, 0x0100, 1, 0, 0, 0) + \
        qname + struct.pack("!HH", 1, 1)
    answer = struct.pack("!HHHHHH", index & 0xFFFF, 0x8180, 1, 1, 0, 0) + \
        qname + struct.pack("!HH", 1, 1) + \
        struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + bytes([198, 18, 1, 1])
    return [flow.udp(query), flow.udp(answer, reply=True)]


def client_v4(index):
    """Client address of flow index: 198.19.0.0/16, never the server's."""
    return bytes([198, 19, (index >> 8) & 0xFF, index & 0xFF])


def client_v6(index):
    return bytes.fromhex("20010db8000100000000000000000000")[:12] + \
        struct.pack("!I", index)


def client_port(index):
    return 10000 + (index >> 16)


def write_pcap(path, frames):
    """Write frames to a microsecond pcap, FRAME_GAP_US apart."""
    with open(path, "wb") as f:
        f.write(struct.pack("=IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            t = i * FRAME_GAP_US
            f.write(struct.pack("=IIII", BASE_TIME + t // 1000000,
                                t % 1000000, len(frame), len(frame)))
            f.write(frame)


def interleave(flows, width):
    """Interleave the frames of width flows at a time, in a fixed order."""
    out = []
    for start in range(0, len(flows), width):
        group = flows[start:start + width]
        for step in range(max(len(f) for f in group)):
            out.extend(f[step] for f in group if step < len(f))
    return out


def write_offline(path, nr_hellos):
    """Write nr_hellos TLS flows mixed with other traffic.

    Of the TLS flows, 1 in 10 is IPv6, and 1 in 5 sends a 1.8 KB hello in
    two segments.  The others send a 517-byte hello in one segment.  Every
    10 TLS flows come with 3 HTTP flows on port 80 and 5 DNS exchanges.
    """
    rng = random.Random(1)
    flows = []
    other = 0
    for i in range(nr_hellos):
        if i % 10 == 9:
            flow = Flow(client_v6(i), SERVER_V6, client_port(i), 443)
        else:
            flow = Flow(client_v4(i), SERVER_V4, client_port(i), 443,
                        isn=rng.getrandbits(32))
        flows.append(tls_flow(flow, i, large=(i % 5 == 2)))
        if i % 10 < 3:
            other += 1
            flows.append(http_flow(Flow(client_v4(i), SERVER_V4,
                                        client_port(i) + 1000, 80), i))
        if i % 2:
            flows.append(dns_flow(Flow(client_v4(i), DNS_V4,
                                       client_port(i) + 2000, 53), i))
    frames = interleave(flows, 16)
    write_pcap(path, frames)
    return len(frames)


def write_live(path, nr_hellos):
    """Write one small ClientHello frame for each of nr_hellos flows."""
    frames = []
    for i in range(nr_hellos):
        flow = Flow(client_v4(i), SERVER_V4, client_port(i), 443)
        hello = client_hello(i % len(PROFILES), b"host%d.bench.example" % i,
                             False, i)
        frames.append(flow.tcp(TCP_PSH | TCP_ACK, hello))
    write_pcap(path, frames)
    return len(frames)


def write_classes(directory):
    """Write one capture per packet class of bench_prog.

    Every class has its own flow, so that no class changes the state
    another one runs in.  split.pcap contains the two segments of a 1.8 KB
    hello, and the others one frame each.
    """
    v4 = Flow(bytes([198, 18, 0, 1]), SERVER_V4, 40001, 443)
    write_pcap(directory + "/syn.pcap", [v4.tcp(TCP_SYN, options=SYN_OPTIONS)])
    ack = Flow(bytes([198, 18, 0, 1]), SERVER_V4, 40002, 443)
    write_pcap(directory + "/ack_data.pcap",
               [ack.tcp(TCP_PSH | TCP_ACK, http_request(1))])
    udp = Flow(bytes([198, 18, 0, 1]), DNS_V4, 40003, 53)
    write_pcap(directory + "/udp.pcap", dns_flow(udp, 1)[:1])
    v6 = Flow(bytes.fromhex("20010db8000000000000000000000001"), SERVER_V6,
              40004, 443)
    write_pcap(directory + "/ipv6_data.pcap",
               [v6.tcp(TCP_PSH | TCP_ACK, http_request(2))])
    sni = b"www.example.com"
    small = Flow(bytes([198, 18, 0, 1]), SERVER_V4, 40005, 443)
    hello = client_hello(0, sni, False, 0)
    write_pcap(directory + "/hello_small.pcap",
               [small.tcp(TCP_PSH | TCP_ACK, hello)])
    large = Flow(bytes([198, 18, 0, 1]), SERVER_V4, 40006, 443)
    hello = client_hello(0, sni, True, 0)
    write_pcap(directory + "/hello_large.pcap",
               [large.tcp(TCP_PSH | TCP_ACK, hello)])
    split = Flow(bytes([198, 18, 0, 1]), SERVER_V4, 40007, 443)
    write_pcap(directory + "/split.pcap",
               [split.tcp(TCP_PSH | TCP_ACK, hello[:MSS]),
                split.tcp(TCP_PSH | TCP_ACK, hello[MSS:])])


def main(argv):
    if len(argv) == 3 and argv[1] == "classes":
        write_classes(argv[2])
    elif len(argv) == 4 and argv[1] in ("offline", "live"):
        write = write_offline if argv[1] == "offline" else write_live
        print(write(argv[2], int(argv[3])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
