#!/usr/bin/python3
"""Write a capture of Chromium-like ClientHellos in permuted extension orders.

Chrome sends its TLS extensions in a new random order on every connection
("TLS ClientHello extension permutation" on Chrome Platform Status, enabled
by default in Chrome 110).  JA3 keeps the wire order of the extensions, so
such a client's JA3 changes from one connection to the next.  JA4 sorts the
extension types, so its JA4 stays the same.  This capture lets a test check
both, and that one JA4 blocklist entry catches every connection.

Each of the --flows connections (5 by default) goes from 198.18.0.1 port
50001, 50002, ... to 198.18.0.2 port 443: SYN, SYN-ACK, ACK, then one
ClientHello in one segment, which the server acknowledges.  Every hello
has 15 cipher suites and 16 extensions besides GREASE, the set of
tests/vectors/real/browsers-x509.pcapng frame 4.  As in BoringSSL's
ClientHello code (ssl/t1_lib.c), an empty GREASE extension comes first, and
a GREASE extension of one zero byte and then the padding extension come
last.  The 15 extensions in between are shuffled, differently in each
flow, and each flow has its own GREASE values.

The output is deterministic: fixed addresses, ports, sequence numbers and
timestamps, and shuffles and "random" bytes taken from SHA-256 of fixed
labels, not from Python's random module, whose shuffle may change between
Python versions.  Running the script again gives a byte-identical file.

Needs scapy (Debian python3-scapy, so run it with /usr/bin/python3).

Usage: gen_chromium.py [--flows N] OUTPUT.pcap
"""

import argparse
import hashlib
import struct
import sys

try:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
except ImportError:
    sys.exit("scapy not found: install python3-scapy and run this script"
             " with /usr/bin/python3")

CLIENT_MAC = "02:00:00:00:00:01"
SERVER_MAC = "02:00:00:00:00:02"
CLIENT_V4 = "198.18.0.1"
SERVER_V4 = "198.18.0.2"
FIRST_CLIENT_PORT = 50001
SERVER_PORT = 443
# 2026-01-01T00:00:00Z.  Flow i starts i seconds later; its frames are
# 1 ms apart.
BASE_TIME = 1767225600

# RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ..., 0xfafa.
GREASE = [0x0A0A + 0x1010 * i for i in range(16)]

CIPHERS = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9,
           0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
GROUPS = [29, 23, 24]                   # x25519, secp256r1, secp384r1
SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
SERVER_NAME = b"test.example"

# TLS extension types (IANA registry).
EXT_SERVER_NAME = 0
EXT_STATUS_REQUEST = 5
EXT_SUPPORTED_GROUPS = 10
EXT_EC_POINT_FORMATS = 11
EXT_SIGNATURE_ALGORITHMS = 13
EXT_ALPN = 16
EXT_SCT = 18
EXT_PADDING = 21
EXT_EXTENDED_MASTER_SECRET = 23
EXT_COMPRESS_CERTIFICATE = 27
EXT_SESSION_TICKET = 35
EXT_SUPPORTED_VERSIONS = 43
EXT_PSK_KEY_EXCHANGE_MODES = 45
EXT_KEY_SHARE = 51
EXT_APPLICATION_SETTINGS = 17513
EXT_RENEGOTIATION_INFO = 65281


def u8(n):
    return struct.pack("!B", n)


def u16(n):
    return struct.pack("!H", n)


def vec8(data):
    return u8(len(data)) + data


def vec16(data):
    return u16(len(data)) + data


def u16_list(values):
    return b"".join(u16(v) for v in values)


def extension(ext_type, data=b""):
    return u16(ext_type) + vec16(data)


def fixed_bytes(label, length):
    """Return `length` pseudo-random bytes that depend only on `label`."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(b"%s/%d" % (label.encode(), counter)).digest()
        counter += 1
    return out[:length]


def flow_grease(flow):
    """Return five different GREASE values for one flow: for the cipher
    list, the group lists, supported_versions and the first and the last
    GREASE extension.  Flows next to each other get different values."""
    start = flow * 5
    return [GREASE[(start + i) % 16] for i in range(5)]


def permuted_extensions(flow, grease_group, grease_version):
    """Return the 15 extensions that Chromium shuffles, in wire order."""
    key_share = (u16(grease_group) + vec16(b"\x00")
                 + u16(29) + vec16(fixed_bytes("x25519/%d" % flow, 32)))
    return [
        extension(EXT_SERVER_NAME, vec16(u8(0) + vec16(SERVER_NAME))),
        extension(EXT_EXTENDED_MASTER_SECRET),
        extension(EXT_RENEGOTIATION_INFO, b"\x00"),
        extension(EXT_SUPPORTED_GROUPS,
                  vec16(u16_list([grease_group] + GROUPS))),
        extension(EXT_EC_POINT_FORMATS, vec8(b"\x00")),
        extension(EXT_SESSION_TICKET),
        extension(EXT_ALPN, vec16(vec8(b"h2") + vec8(b"http/1.1"))),
        extension(EXT_STATUS_REQUEST, b"\x01\x00\x00\x00\x00"),
        extension(EXT_SIGNATURE_ALGORITHMS, vec16(u16_list(SIGALGS))),
        extension(EXT_SCT),
        extension(EXT_KEY_SHARE, vec16(key_share)),
        extension(EXT_PSK_KEY_EXCHANGE_MODES, vec8(b"\x01")),
        extension(EXT_SUPPORTED_VERSIONS,
                  vec8(u16_list([grease_version, 0x0304, 0x0303]))),
        extension(EXT_COMPRESS_CERTIFICATE, vec8(u16(2))),
        extension(EXT_APPLICATION_SETTINGS, vec16(vec8(b"h2"))),
    ]


def client_hello(flow, extensions, ciphers):
    """Return the ClientHello handshake message, 4-byte header included."""
    body = (u16(0x0303) + fixed_bytes("random/%d" % flow, 32)
            + vec8(fixed_bytes("session_id/%d" % flow, 32))
            + vec16(u16_list(ciphers)) + vec8(b"\x00")
            + vec16(b"".join(extensions)))
    return u8(1) + struct.pack("!I", len(body))[1:] + body


def chromium_hello(flow, order):
    """Return the TLS record of flow's ClientHello, with the shuffled
    extensions in `order` (a permutation of range(15)).

    As in BoringSSL, the padding extension brings a ClientHello of 256 to
    511 bytes up to 512 bytes (RFC 7685).  Here it always carries at least
    1 byte, so every flow has the same 16 extension types.
    """
    g_cipher, g_group, g_version, g_first, g_last = flow_grease(flow)
    shuffled = permuted_extensions(flow, g_group, g_version)
    extensions = ([extension(g_first)] + [shuffled[i] for i in order]
                  + [extension(g_last, b"\x00")])
    ciphers = [g_cipher] + CIPHERS
    length = len(client_hello(flow, extensions + [extension(EXT_PADDING)],
                              ciphers))
    pad_len = max(0x200 - length, 1) if 0xFF < length < 0x200 else 1
    extensions.append(extension(EXT_PADDING, bytes(pad_len)))
    hello = client_hello(flow, extensions, ciphers)
    return u8(22) + u16(0x0301) + vec16(hello)


def shuffled_orders(count):
    """Return `count` different shuffles of range(15), none the identity.

    Each is a Fisher-Yates shuffle that draws its indexes from fixed_bytes.
    """
    orders = []
    attempt = 0
    while len(orders) < count:
        order = list(range(15))
        for i in range(len(order) - 1, 0, -1):
            draw = fixed_bytes("shuffle/%d/%d" % (attempt, i), 4)
            j = int.from_bytes(draw, "big") % (i + 1)
            order[i], order[j] = order[j], order[i]
        attempt += 1
        if order != list(range(15)) and order not in orders:
            orders.append(order)
    return orders


def flow_frames(flow, record):
    """Return the Ethernet frames of one connection, as bytes."""
    sport = FIRST_CLIENT_PORT + flow
    client_seq = 0x10000000 + flow * 0x100000
    server_seq = 0x70000000 + flow * 0x100000

    def client(flags, seq, ack, payload=b""):
        packet = (Ether(src=CLIENT_MAC, dst=SERVER_MAC)
                  / IP(src=CLIENT_V4, dst=SERVER_V4, id=sport, flags="DF",
                       ttl=64)
                  / TCP(sport=sport, dport=SERVER_PORT, seq=seq, ack=ack,
                        flags=flags, window=502))
        return bytes(packet / Raw(payload) if payload else packet)

    def server(flags, seq, ack):
        return bytes(Ether(src=SERVER_MAC, dst=CLIENT_MAC)
                     / IP(src=SERVER_V4, dst=CLIENT_V4, id=0, flags="DF",
                          ttl=64)
                     / TCP(sport=SERVER_PORT, dport=sport, seq=seq, ack=ack,
                           flags=flags, window=509))

    return [
        client("S", client_seq, 0),
        server("SA", server_seq, client_seq + 1),
        client("A", client_seq + 1, server_seq + 1),
        client("PA", client_seq + 1, server_seq + 1, record),
        server("A", server_seq + 1, client_seq + 1 + len(record)),
    ]


def write_pcap(path, flows):
    """Write each flow's frames to a classic pcap file, microsecond stamps."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, frames in enumerate(flows):
            for j, frame in enumerate(frames):
                f.write(struct.pack("<IIII", BASE_TIME + i, j * 1000,
                                    len(frame), len(frame)))
                f.write(frame)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0])
    parser.add_argument("--flows", type=int, default=5,
                        help="number of connections (default 5, at most 100)")
    parser.add_argument("output", help="pcap file to write")
    args = parser.parse_args()
    if not 1 <= args.flows <= 100:
        parser.error("--flows must be from 1 to 100")

    orders = shuffled_orders(args.flows)
    flows = [flow_frames(i, chromium_hello(i, order))
             for i, order in enumerate(orders)]
    write_pcap(args.output, flows)


if __name__ == "__main__":
    main()
