#!/usr/bin/env python3
"""Prints one line per entry below ROOT (ROOT included): FIELD's time in ns and the path, sorted by
path. FIELD is atime or ctime. Directories are read with O_NOATIME, so listing a tree does not move
the atimes it reports (as find's does), and through descriptors, so paths longer than PATH_MAX work.
Needs root or the owner. --no-symlinks leaves symlinks out.
Usage: times.py atime|ctime ROOT [--no-symlinks]"""
import os, stat, sys

field, root = sys.argv[1], os.fsencode(sys.argv[2])
skip_links = "--no-symlinks" in sys.argv[3:]
out = []

def visit(parent_fd, name, path):
    st = os.lstat(name, dir_fd=parent_fd)
    if skip_links and stat.S_ISLNK(st.st_mode):
        return
    out.append((path, st.st_atime_ns if field == "atime" else st.st_ctime_ns))
    if stat.S_ISDIR(st.st_mode):
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOATIME | os.O_NOFOLLOW, dir_fd=parent_fd)
        try:
            for child in os.listdir(fd):
                child = os.fsencode(child)
                visit(fd, child, path + b"/" + child)
        finally:
            os.close(fd)

sys.setrecursionlimit(100000)
visit(None, root, root)
for path, ns in sorted(out):
    sys.stdout.buffer.write(b"%d %s\n" % (ns, path))
