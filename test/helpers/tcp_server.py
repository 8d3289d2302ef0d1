#!/usr/bin/env python3
"""A plain blocking TCP server for end-to-end tests: real accept4()/accept() syscalls.

Node's net.Server accepts as soon as a connection is readable, so it cannot stand for a server
that is blocked in accept() or one that sleeps before calling it; this script can.

usage: tcp_server.py --family 4|6 [--host ADDR] [--port N] [--count N]
                     [--delay-ms MS] [--wait-file PATH] [--syscall accept|accept4] [--comm NAME]
Prints "LISTEN <port>" once listening, then "ACCEPTED <peer_port>" per connection.
"""
import argparse, ctypes, os, select, socket, sys, time

p = argparse.ArgumentParser()
p.add_argument('--family', type=int, default=4)
p.add_argument('--host', default=None)
p.add_argument('--port', type=int, default=0)
p.add_argument('--count', type=int, default=1)
p.add_argument('--delay-ms', type=int, default=0,
               help='once a connection is queued, sleep this long before accept(): it waits in the accept queue')
p.add_argument('--wait-file', default=None, help='wait until this file exists before accepting')
p.add_argument('--syscall', choices=['accept', 'accept4'], default='accept4')
p.add_argument('--comm', default=None, help='set the process comm (prctl PR_SET_NAME)')
args = p.parse_args()

libc = ctypes.CDLL(None, use_errno=True)
if args.comm:
    libc.prctl(15, args.comm.encode()[:15], 0, 0, 0)  # PR_SET_NAME

family = socket.AF_INET if args.family == 4 else socket.AF_INET6
host = args.host or ('127.0.0.1' if args.family == 4 else '::1')
srv = socket.socket(family, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, args.port))
srv.listen(1024)
print(f'LISTEN {srv.getsockname()[1]}', flush=True)

if args.wait_file:
    while not os.path.exists(args.wait_file):
        time.sleep(0.01)

for _ in range(args.count):
    if args.delay_ms:
        select.select([srv], [], [])  # a connection has completed its handshake
        time.sleep(args.delay_ms / 1000)
    if args.syscall == 'accept':
        fd = libc.accept(srv.fileno(), None, None)  # the old accept(2), not accept4
        if fd < 0:
            sys.exit(f'accept failed: errno {ctypes.get_errno()}')
        conn = socket.socket(fileno=fd)
    else:
        conn, _ = srv.accept()
    try:
        peer = conn.getpeername()[1]
    except OSError:
        peer = -1  # reset before accept: the peer is gone
    print(f'ACCEPTED {peer}', flush=True)
    conn.close()
srv.close()
