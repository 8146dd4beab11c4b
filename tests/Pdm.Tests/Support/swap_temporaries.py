#!/usr/bin/env python3
"""The attacker of SafetyAsRootTests: run as the unprivileged owner of a target directory, it
swaps every pdm temporary that appears there for a symlink to OUTSIDE, as fast as inotify tells
it, until killed. Prints how many it swapped. Usage: swap_temporaries.py DIR OUTSIDE READYFILE"""
import ctypes, os, struct, sys, signal

directory, outside, ready = sys.argv[1], sys.argv[2], sys.argv[3]
libc = ctypes.CDLL("libc.so.6", use_errno=True)
IN_CREATE = 0x100
fd = libc.inotify_init1(0)
if fd < 0 or libc.inotify_add_watch(fd, directory.encode(), IN_CREATE) < 0:
    sys.exit(f"inotify: {os.strerror(ctypes.get_errno())}")
os.chdir(directory)
swapped = 0
signal.signal(signal.SIGTERM, lambda *_: (print(swapped, flush=True), os._exit(0)))
spare = b".swap-spare"
open(ready, "w").close()
while True:
    buf = os.read(fd, 1 << 16)
    i = 0
    while i < len(buf):
        _, mask, _, length = struct.unpack_from("iIII", buf, i)
        name = buf[i + 16:i + 16 + length].rstrip(b"\0")
        i += 16 + length
        if not name.startswith(b".pdm-tmp."):
            continue
        try:
            if not os.path.lexists(spare):
                os.symlink(outside, spare)
            os.rename(spare, name)  # atomically replaces what pdm just made
            swapped += 1
        except OSError:
            pass  # pdm renamed it away first
