#!/usr/bin/env python3
"""Accepts one loopback connection every millisecond and logs when it connected and from
which client port, so bench/run.ts can tell which was the first connection a tracer saw and
when that was (CLOCK_MONOTONIC, the clock of Node's process.hrtime).

Usage: prober.py LOG_FILE. Writes its listening port to stdout first; on SIGTERM it writes
"monotonic_seconds client_port" lines to LOG_FILE and exits.
"""
import signal
import socket
import struct
import sys
import time

log = []


def finish(*_):
    with open(sys.argv[1], 'w') as f:
        f.write(''.join(f'{t:.6f} {port}\n' for t, port in log))
    sys.exit(0)


def main():
    signal.signal(signal.SIGTERM, finish)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(('127.0.0.1', 0))
    server.listen(64)
    print(server.getsockname()[1], flush=True)
    linger = struct.pack('ii', 1, 0)
    while True:
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        at = time.monotonic()
        client.connect(server.getsockname())
        conn, _ = server.accept()  # accept(2): ts-tcpaccept's default hook needs it
        log.append((at, client.getsockname()[1]))
        conn.close()
        client.close()
        time.sleep(0.001)


if __name__ == '__main__':
    main()
