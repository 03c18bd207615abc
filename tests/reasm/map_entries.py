#!/usr/bin/python3
"""Print the number of keys in a BPF hash map, given its id.

    map_entries.py MAP_ID KEY_SIZE

Walks the keys with BPF_MAP_GET_NEXT_KEY and reads no values, so it stays
fast on maps with large values (a partial hello is about 10 KiB), where
`bpftool map dump` takes seconds.  When the map changes during the walk,
the kernel may no longer find the previous key and then returns the first
key again.  The walk stops at the first key it has already seen, so the
count is a lower bound and never counts a key twice.  Needs root.  Linux on x86-64 only: the
bpf() syscall number is that architecture's.
"""

import ctypes
import os
import sys

SYS_BPF_X86_64 = 321
BPF_MAP_GET_NEXT_KEY = 4
BPF_MAP_GET_FD_BY_ID = 14
# Room for union bpf_attr, which the kernel lets callers pass shorter or
# longer than its own.  The two commands used here read its first 24 bytes.
ATTR_SIZE = 160


def bpf(libc, cmd, attr):
    ret = libc.syscall(SYS_BPF_X86_64, cmd, ctypes.byref(attr),
                       ctypes.sizeof(attr))
    return ret, ctypes.get_errno()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: map_entries.py MAP_ID KEY_SIZE")
    map_id, key_size = int(sys.argv[1]), int(sys.argv[2])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    attr = ctypes.create_string_buffer(ATTR_SIZE)
    ctypes.c_uint32.from_buffer(attr, 0).value = map_id
    fd, err = bpf(libc, BPF_MAP_GET_FD_BY_ID, attr)
    if fd < 0:
        sys.exit("map_entries.py: map id %d: %s" % (map_id, os.strerror(err)))

    keys = [ctypes.create_string_buffer(key_size) for _ in range(2)]
    seen = set()
    have_key = False
    err = 0
    while True:
        attr = ctypes.create_string_buffer(ATTR_SIZE)
        ctypes.c_uint32.from_buffer(attr, 0).value = fd
        # A NULL key requests the first key.
        ctypes.c_uint64.from_buffer(attr, 8).value = \
            ctypes.addressof(keys[0]) if have_key else 0
        ctypes.c_uint64.from_buffer(attr, 16).value = \
            ctypes.addressof(keys[1])
        ret, err = bpf(libc, BPF_MAP_GET_NEXT_KEY, attr)
        if ret < 0 or keys[1].raw in seen:
            break
        seen.add(keys[1].raw)
        ctypes.memmove(keys[0], keys[1], key_size)
        have_key = True
    os.close(fd)
    # ENOENT ends a full walk.  ret >= 0 here means a restarted one.
    if ret < 0 and err != 2:
        sys.exit("map_entries.py: map id %d: %s" % (map_id, os.strerror(err)))
    print(len(seen))


if __name__ == "__main__":
    main()
