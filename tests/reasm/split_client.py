#!/usr/bin/python3
"""TLS client that sends its ClientHello in one-byte TCP segments.

    split_client.py [--head N] [--gap SECONDS] ADDRESS PORT SERVER_NAME

The handshake runs through the ssl module over memory BIOs, so the
ClientHello is the one OpenSSL builds with Python's default settings, and
the rest of the handshake is real.  The hello's first N bytes (default 1)
go in one send() and every later byte in its own send(), with TCP_NODELAY
set and a pause between sends, so that each send leaves as its own
segment.  Prints the negotiated version and cipher, and the number of
send() calls the hello took.  Exits 1 if the handshake fails.
"""

import argparse
import socket
import ssl
import sys
import time


def send_hello(sock, hello, head, gap):
    """Send hello: head bytes at once, then one byte per send()."""
    sends = 0
    pos = 0
    while pos < len(hello):
        size = head if pos == 0 else 1
        sock.sendall(hello[pos:pos + size])
        pos += size
        sends += 1
        time.sleep(gap)
    return sends


def handshake(sock, tls, incoming, outgoing, head, gap):
    """Run the TLS handshake and return the number of sends of the hello."""
    hello_sends = 0
    while True:
        try:
            tls.do_handshake()
            sock.sendall(outgoing.read())
            return hello_sends
        except ssl.SSLWantReadError:
            pass
        data = outgoing.read()
        if data and not hello_sends:
            hello_sends = send_hello(sock, data, head, gap)
        elif data:
            sock.sendall(data)
        received = sock.recv(65536)
        if not received:
            raise ConnectionError("server closed the connection during "
                                  "the handshake")
        incoming.write(received)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--head", type=int, default=1,
                        help="bytes of the hello in the first send()")
    parser.add_argument("--gap", type=float, default=0.002,
                        help="seconds between two send() calls")
    parser.add_argument("address")
    parser.add_argument("port", type=int)
    parser.add_argument("server_name")
    args = parser.parse_args()
    if args.head < 1:
        parser.error("--head must be at least 1")

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing,
                           server_hostname=args.server_name)
    with socket.create_connection((args.address, args.port),
                                  timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sends = handshake(sock, tls, incoming, outgoing, args.head,
                              args.gap)
        except (OSError, ssl.SSLError) as e:
            print("split_client.py: handshake with %s port %d failed: %s"
                  % (args.address, args.port, e), file=sys.stderr)
            return 1
    print("%s %s, ClientHello in %d sends"
          % (tls.version(), tls.cipher()[0], sends))
    return 0


if __name__ == "__main__":
    sys.exit(main())
