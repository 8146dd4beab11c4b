#!/usr/bin/env python3
"""Floods one node's remoting port on the loopback with unauthenticated connections, as a hostile
peer would: bounded in count and in time, and it refuses any address outside 127.0.0.0/8 and ::1.

  flood.py HOST PORT --connections N --seconds S [--hold K] [--junk BYTES]

Opens N connections spread over S seconds, each sending BYTES of junk (0: nothing) and closing at
once; with --hold K, K of them are instead kept open (sending a partial TLS record) until the end.
Prints one JSON line: connections made, refused, errors, and the seconds it took."""
import argparse, ipaddress, json, socket, sys, time

p = argparse.ArgumentParser()
p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--connections", type=int, required=True)
p.add_argument("--seconds", type=float, required=True)
p.add_argument("--hold", type=int, default=0)
p.add_argument("--junk", type=int, default=64)
a = p.parse_args()
if not ipaddress.ip_address(a.host).is_loopback:
    sys.exit("flood.py: loopback addresses only")
if a.connections > 50_000 or a.seconds > 120:
    sys.exit("flood.py: at most 50,000 connections and 120 s")

family = socket.AF_INET6 if ":" in a.host else socket.AF_INET
# A TLS record header that announces 16 KiB and never delivers it: the server waits on it.
partial = bytes([0x16, 0x03, 0x01, 0x40, 0x00]) + b"\x01" * 100
junk = (b"GET / HTTP/1.1\r\n\r\n" * 1000)[: a.junk]
held, made, refused, errors = [], 0, 0, 0
start = time.monotonic()
deadline = start + a.seconds
for i in range(a.connections):
    # Spread evenly over the time given.
    due = start + a.seconds * i / a.connections
    now = time.monotonic()
    if due > now: time.sleep(due - now)
    if time.monotonic() > deadline + 5: break
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((a.host, a.port))
        made += 1
        if len(held) < a.hold:
            s.sendall(partial)
            held.append(s)
            continue
        if junk: s.sendall(junk)
        # RST instead of FIN: no TIME_WAIT left on this side for each of thousands of connections.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except ConnectionRefusedError:
        refused += 1
    except OSError:
        errors += 1
    if s not in held: s.close()
for s in held: s.close()
print(json.dumps({"made": made, "refused": refused, "errors": errors, "held": len(held), "seconds": round(time.monotonic() - start, 2)}))
