// Who owns a listening socket? In --handshake mode the event comes from softirq context, where
// the current task is whoever happened to run on that CPU (the defect that got BCC's tracepoint
// tcpaccept reverted). The real server is the process holding the listening socket's fd, which
// we find in user space: /proc/net/tcp{,6} maps local port -> socket inode, and /proc/<pid>/fd
// maps inode -> process. Both scans are cached. A miss rescans at once — a server started just
// now is found on its first connection — and the same address:port rescans again only after an
// interval, so a listener whose owner cannot be seen (another network namespace, fds we may not
// read) costs one scan per interval, not one per connection. A rescan looks in /proc/*/fd only
// for listeners not resolved before, and stops as soon as each has an owner.
//
// Limits: only sockets of this network namespace are visible in /proc/net; when several
// processes share one listening socket (pre-fork servers) the lowest PID is reported.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { formatIpv6 } from './record.ts';

export interface ListenerOwner {
  pid: number;
  comm: string;
}

export interface ListeningSocket {
  /** Text form of the bound address ('0.0.0.0', '::', '127.0.0.1', …). */
  address: string;
  port: number;
  inode: number;
  ipVersion: 4 | 6;
}

const TCP_LISTEN_HEX = '0A';

/** Parses /proc/net/tcp or tcp6 text into its listening sockets. Malformed lines are skipped. */
export function parseProcNetTcp(text: string, ipVersion: 4 | 6): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 10 || columns[3] !== TCP_LISTEN_HEX) continue;
    const [addressHex, portHex] = columns[1]!.split(':');
    const inode = Number(columns[9]);
    if (addressHex === undefined || portHex === undefined || !Number.isSafeInteger(inode)) continue;
    const address = decodeProcAddress(addressHex, ipVersion);
    if (address === undefined) continue;
    sockets.push({ address, port: parseInt(portHex, 16), inode, ipVersion });
  }
  return sockets;
}

/** /proc/net prints each 32-bit word of the address in host (little-endian) order. */
function decodeProcAddress(hex: string, ipVersion: 4 | 6): string | undefined {
  const words = ipVersion === 4 ? 1 : 4;
  if (hex.length !== words * 8 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(words * 4);
  for (let w = 0; w < words; w++) {
    const word = parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    new DataView(bytes.buffer).setUint32(w * 4, word, true);
  }
  return ipVersion === 4 ? bytes.join('.') : formatIpv6(bytes);
}

export interface OwnerResolverOptions {
  procRoot?: string;
  /** Minimum milliseconds between two rescans caused by misses on the same address:port. */
  rescanIntervalMs?: number;
  now?: () => number;
}

/** Misses remembered at most; past it the oldest are forgotten (each costs one early rescan). */
const MAX_REMEMBERED_MISSES = 4096;

/** Maps local (address, port) of accepted connections to the process that listens there. */
export class ListenerOwnerResolver {
  private readonly procRoot: string;
  private readonly rescanIntervalMs: number;
  private readonly now: () => number;
  private listeners: ListeningSocket[] = [];
  private ownersByInode = new Map<number, ListenerOwner>();
  /** address:port -> when a miss there may rescan again. */
  private readonly retryAfter = new Map<string, number>();
  /** How many times /proc was scanned (for tests and diagnostics). */
  scans = 0;

  constructor(options: OwnerResolverOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.rescanIntervalMs = options.rescanIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** The owner of the listener that accepted a connection to localAddr:localPort, if known. */
  resolve(localAddr: string, localPort: number): ListenerOwner | undefined {
    const cached = this.lookup(localAddr, localPort);
    if (cached !== undefined) return cached;
    const key = `${localAddr}|${localPort}`;
    const now = this.now();
    if ((this.retryAfter.get(key) ?? Number.NEGATIVE_INFINITY) > now) return undefined;
    this.rescan();
    const found = this.lookup(localAddr, localPort);
    if (found !== undefined) {
      this.retryAfter.delete(key);
    } else {
      if (this.retryAfter.size >= MAX_REMEMBERED_MISSES) this.retryAfter.delete(this.retryAfter.keys().next().value!);
      this.retryAfter.set(key, now + this.rescanIntervalMs);
    }
    return found;
  }

  /** Rescans /proc now (done lazily on a miss; call it once at start-up to warm the cache). */
  rescan(): void {
    this.scans++;
    this.listeners = [4, 6].flatMap((version) => {
      const file = join(this.procRoot, 'net', version === 4 ? 'tcp' : 'tcp6');
      try {
        return parseProcNetTcp(readFileSync(file, 'utf8'), version as 4 | 6);
      } catch {
        return [];
      }
    });
    // Owners found before stay while their listener is still listed; only new ones are searched.
    const listed = new Set(this.listeners.map((l) => l.inode));
    const kept = new Map<number, ListenerOwner>();
    for (const [inode, owner] of this.ownersByInode) if (listed.has(inode)) kept.set(inode, owner);
    const wanted = new Set([...listed].filter((inode) => !kept.has(inode)));
    for (const [inode, owner] of this.findOwners(wanted)) kept.set(inode, owner);
    this.ownersByInode = kept;
  }

  /**
   * The owner of the listening socket with this inode (as sock_diag reports it), if known. A
   * miss rescans at once; the same inode again only after the interval, as in resolve().
   */
  ownerOfInode(inode: number): ListenerOwner | undefined {
    const cached = this.ownersByInode.get(inode);
    if (cached !== undefined) return cached;
    const key = `inode|${inode}`;
    const now = this.now();
    if ((this.retryAfter.get(key) ?? Number.NEGATIVE_INFINITY) > now) return undefined;
    this.rescan();
    const found = this.ownersByInode.get(inode);
    if (found !== undefined) this.retryAfter.delete(key);
    else {
      if (this.retryAfter.size >= MAX_REMEMBERED_MISSES) this.retryAfter.delete(this.retryAfter.keys().next().value!);
      this.retryAfter.set(key, now + this.rescanIntervalMs);
    }
    return found;
  }

  private lookup(localAddr: string, localPort: number): ListenerOwner | undefined {
    let wildcard: ListenerOwner | undefined;
    for (const listener of this.listeners) {
      if (listener.port !== localPort) continue;
      const owner = this.ownersByInode.get(listener.inode);
      if (owner === undefined) continue;
      if (listener.address === localAddr || listener.address === `::ffff:${localAddr}`) return owner;
      if (listener.address === '0.0.0.0' || listener.address === '::') wildcard ??= owner;
    }
    return wildcard;
  }

  private findOwners(inodes: Set<number>): Map<number, ListenerOwner> {
    const owners = new Map<number, ListenerOwner>();
    if (inodes.size === 0) return owners;
    let entries: string[];
    try {
      entries = readdirSync(this.procRoot);
    } catch {
      return owners;
    }
    const pids = entries
      .filter((e) => /^[0-9]+$/.test(e))
      .map(Number)
      .sort((a, b) => a - b);
    for (const pid of pids) {
      const fdDir = join(this.procRoot, String(pid), 'fd');
      let fds: string[];
      try {
        fds = readdirSync(fdDir);
      } catch {
        continue; // the process exited, or its fds are not ours to read
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(join(fdDir, fd));
        } catch {
          continue;
        }
        const match = /^socket:\[([0-9]+)\]$/.exec(target);
        if (match === null) continue;
        const inode = Number(match[1]);
        if (!inodes.has(inode) || owners.has(inode)) continue;
        owners.set(inode, { pid, comm: readComm(this.procRoot, pid) });
      }
      // PIDs go upwards, so the first owner of each is the lowest: nothing more to learn.
      if (owners.size === inodes.size) break;
    }
    return owners;
  }
}

function readComm(procRoot: string, pid: number): string {
  try {
    return readFileSync(join(procRoot, String(pid), 'comm'), 'utf8').trimEnd();
  } catch {
    return '-';
  }
}
