#!/usr/bin/env python3
"""Idle load for bench/run.ts --idle: many listeners and many idle established connections.

Opens LISTENERS listening TCP sockets on loopback (half on 127.0.0.1, half on ::1 with
--families 4,6) and PER_LISTENER connections to each, every one accepted: both ends stay open,
as a server with that many idle clients holds them (the accepted end) and as its clients do
(the connecting end, here on the same machine). No byte is ever sent. Only loopback addresses
are used, never any other.

That is LISTENERS + 2 x LISTENERS x PER_LISTENER descriptors (201 000 by default). It raises
RLIMIT_NOFILE itself: to all of them in one process where it may (root with CAP_SYS_RESOURCE,
up to fs.nr_open); where the hard limit cannot be raised, to the hard limit, and the listeners
are split over as many worker processes as that takes (each holds its listeners and both ends
of their connections), as a pre-fork server's workers would. When everything is open it prints
one line to stdout, `ready {json}` (what it opened, in how many processes, how long it took),
then holds until SIGTERM or SIGINT (or until its parent dies: PR_SET_PDEATHSIG), closes every
socket and prints `closed {json}`. The connecting ends are closed with SO_LINGER 0 (an RST, so
the closes leave no TIME_WAIT sockets behind to bend the next measurement), then the accepted
ends (already reset: no packet), then the listeners.

Why Python: the set-up is ~100 000 blocking connect() + accept() pairs on loopback, where the
kernel does the handshake inside those calls; the interpreter's share is small and the set-up
takes seconds (bench/README.md has the measured time), so a C generator would save little and
cost a build step. Like bench/storm.py and bench/prober.py, it needs only python3.
"""
import argparse
import ctypes
import json
import os
import resource
import signal
import socket
import struct
import sys
import time

LINGER_RST = struct.pack('ii', 1, 0)
PR_SET_PDEATHSIG = 1

ADDRESSES = {socket.AF_INET: '127.0.0.1', socket.AF_INET6: '::1'}
SIGNALS = {signal.SIGTERM, signal.SIGINT}
SLACK = 64  # stdio, the report pipe, Python's own


def die_with_parent():
    """If the parent dies without stopping us, the kernel sends the SIGTERM it would have."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass


def nofile_limit(needed):
    """Raises RLIMIT_NOFILE towards `needed`; returns the soft limit reached (may be less)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    with open('/proc/sys/fs/nr_open') as f:
        nr_open = int(f.read())
    target = min(needed, nr_open)
    try:
        new_hard = hard if hard == resource.RLIM_INFINITY or hard >= target else target
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, new_hard))
        return target
    except (ValueError, OSError):
        # No CAP_SYS_RESOURCE: the hard limit stays; go up to it and split into processes.
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard


def hold(indices, families, per_listener, listener_count, report_fd):
    """Opens the listeners of `indices` and their connections, reports, waits for a signal, closes."""
    started = time.monotonic()
    listeners, clients, accepted = [], [], []
    ports = []
    ipv6 = 0
    for index in indices:
        family = families[index * len(families) // listener_count]
        address = ADDRESSES[family]
        server = socket.socket(family, socket.SOCK_STREAM)
        server.bind((address, 0))
        # The whole group queues before it is accepted: the backlog must hold it.
        server.listen(max(per_listener, 128))
        listeners.append(server)
        port = server.getsockname()[1]
        ports.append(port)
        ipv6 += family == socket.AF_INET6
        for _ in range(per_listener):
            client = socket.socket(family, socket.SOCK_STREAM)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
            client.connect((address, port))  # on loopback the handshake completes in here
            clients.append(client)
        for _ in range(per_listener):
            conn, _ = server.accept()
            accepted.append(conn)
    report = {
        'listeners': len(listeners),
        'ipv6Listeners': ipv6,
        'connections': len(accepted),
        'descriptors': len(listeners) + len(clients) + len(accepted),
        'seconds': time.monotonic() - started,
        'ports': ports,
    }
    os.write(report_fd, (json.dumps(report) + '\n').encode())
    os.close(report_fd)
    signal.sigwait(SIGNALS)
    for group in (clients, accepted, listeners):
        for sock in group:
            sock.close()
        group.clear()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--listeners', type=int, default=1000)
    parser.add_argument('--per-listener', type=int, default=100, help='idle connections per listener')
    parser.add_argument('--families', default='4,6', help='4, 6 or 4,6 (listeners split evenly, IPv4 first)')
    args = parser.parse_args()
    families = [socket.AF_INET if f == '4' else socket.AF_INET6 for f in args.families.split(',')]

    die_with_parent()
    # Blocked from the start and waited for with sigwait: a signal during the set-up stays
    # pending (the set-up finishes, then everything closes), and none slips between a check
    # and a wait. Workers inherit the mask.
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)

    per_fd = 1 + 2 * args.per_listener  # descriptors per listener
    limit = nofile_limit(args.listeners * per_fd + SLACK)
    per_process = (limit - SLACK) // per_fd
    if per_process < 1:
        sys.exit(f'idle.py: RLIMIT_NOFILE {limit} cannot hold one listener and its {args.per_listener} connections')

    started = time.monotonic()
    workers = []  # (pid, read end of its report pipe)
    for first in range(0, args.listeners, per_process):
        indices = range(first, min(first + per_process, args.listeners))
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            die_with_parent()
            try:
                hold(indices, families, args.per_listener, args.listeners, w)
                os._exit(0)
            except BaseException as error:  # report and fail: the parent sees no report
                print(f'idle.py worker: {error!r}', file=sys.stderr, flush=True)
                os._exit(1)
        os.close(w)
        workers.append((pid, r))

    reports = []
    for pid, r in workers:
        with os.fdopen(r) as f:
            line = f.readline()
        if not line:
            for other, _ in workers:
                try:
                    os.kill(other, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for _ in workers:
                os.wait()
            sys.exit(f'idle.py: worker {pid} failed during the set-up')
        reports.append(json.loads(line))
    seconds = time.monotonic() - started
    all_ports = [p for report in reports for p in report['ports']]
    summary = {
        'listeners': sum(r['listeners'] for r in reports),
        'ipv6Listeners': sum(r['ipv6Listeners'] for r in reports),
        'connections': sum(r['connections'] for r in reports),
        'descriptors': sum(r['descriptors'] for r in reports),
        'processes': len(workers),
        'nofile': limit,
        'setupSeconds': round(seconds, 3),
        'pids': [pid for pid, _ in workers],
        'minPort': min(all_ports),
        'maxPort': max(all_ports),
    }
    print(f'ready {json.dumps(summary)}', flush=True)

    signal.sigwait(SIGNALS)
    closing = time.monotonic()
    for pid, _ in workers:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    failed = 0
    for _ in workers:
        _, status = os.wait()
        failed += os.waitstatus_to_exitcode(status) != 0
    print(f'closed {json.dumps({"closeSeconds": round(time.monotonic() - closing, 3), "failedWorkers": failed})}', flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
