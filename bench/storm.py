#!/usr/bin/env python3
"""Loopback accept storm for bench/run.ts.

One server process per address family accepts and closes; client processes connect and close
with SO_LINGER 0 (an RST instead of FIN, so no TIME_WAIT pile-up and no port exhaustion).
Everything is blocking and process-per-role: on loopback the whole handshake runs inside the
client's connect() and the server's accept(), so the kernel, not Python, is the bottleneck
(user time is reported separately so that can be checked).

Prints one JSON line: connections, wall seconds, CPU seconds charged to the storm processes
(user and system, via wait4 rusage), and the listening ports (to pick our lines out of a
tracer's output).
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

LINGER_RST = struct.pack('ii', 1, 0)


def listener(family):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1' if family == socket.AF_INET else '::1', 0))
    sock.listen(4096)
    return sock


def serve(sock, count):
    for _ in range(count):
        conn, _ = sock.accept()
        conn.close()


def connect_many(family, port, count):
    address = ('127.0.0.1' if family == socket.AF_INET else '::1', port)
    failures = 0
    for _ in range(count):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
        try:
            sock.connect(address)
        except OSError:
            failures += 1
        sock.close()
    return failures


def spawn(start_fd, work):
    """Forks a child that waits for the start byte, runs work() and exits with its result."""
    pid = os.fork()
    if pid == 0:
        try:
            os.read(start_fd, 1)
            result = work()
            os._exit(min(int(result or 0), 255))
        except BaseException as error:  # report and fail: the parent sees the exit code
            print(f'storm child: {error!r}', file=sys.stderr)
            os._exit(254)
    return pid


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--connections', type=int, default=100_000)
    parser.add_argument('--clients', type=int, default=2, help='client processes per family')
    parser.add_argument('--families', default='4,6')
    parser.add_argument('--ready-file', help='print ports here, then wait for a byte on stdin before starting')
    args = parser.parse_args()

    families = [socket.AF_INET if f == '4' else socket.AF_INET6 for f in args.families.split(',')]
    listeners = [listener(f) for f in families]
    ports = [s.getsockname()[1] for s in listeners]
    start_r, start_w = os.pipe()

    # Split the connections: per family, then per client process, remainders to the first ones.
    pids = []
    for index, (family, sock) in enumerate(zip(families, listeners)):
        share = args.connections // len(families) + (1 if index < args.connections % len(families) else 0)
        pids.append(spawn(start_r, lambda sock=sock, share=share: serve(sock, share)))
        for c in range(args.clients):
            part = share // args.clients + (1 if c < share % args.clients else 0)
            port = ports[index]
            pids.append(spawn(start_r, lambda family=family, port=port, part=part: connect_many(family, port, part)))
    for sock in listeners:
        sock.close()  # the children hold the listeners now

    if args.ready_file:
        with open(args.ready_file, 'w') as f:
            f.write(json.dumps({'ports': ports}) + '\n')
        sys.stdin.buffer.read(1)

    started = time.monotonic()
    os.write(start_w, b'x' * len(pids))
    user = system = 0.0
    failures = 0
    for _ in pids:
        _, status, usage = os.wait4(-1, 0)
        user += usage.ru_utime
        system += usage.ru_stime
        code = os.waitstatus_to_exitcode(status)
        if code == 254:
            raise SystemExit('a storm process failed')
        failures += code
    seconds = time.monotonic() - started
    print(json.dumps({
        'connections': args.connections - failures,
        'failures': failures,
        'seconds': seconds,
        'rate': (args.connections - failures) / seconds,
        'userSeconds': user,
        'systemSeconds': system,
        'ports': ports,
        'startedMonotonic': started,
    }))


if __name__ == '__main__':
    main()
