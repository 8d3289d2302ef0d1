// Who owns a listening socket? In --handshake mode the event comes from softirq context, where
// the current task is whoever happened to run on that CPU (the defect that got BCC's tracepoint
// tcpaccept reverted). The real server is the process holding the listening socket's fd, which
// we find in user space: sock_diag lists the listeners with their socket inodes, and
// /proc/<pid>/fd maps inode -> process.
//
// Why it is built this way (bench/README.md, "Idle pass", has the measurements): a host may hold
// hundreds of thousands of idle connections next to a few listeners.
// - Listeners come from a NETLINK_SOCK_DIAG dump of LISTEN sockets only (the kernel never walks
//   the established hash: 2–13 ms for 1 001 listeners next to 200 000 connections), not from
//   /proc/net/tcp{,6}, which prints every TCP socket (0.5–0.65 s + 0.2–0.3 s of parsing there).
//   /proc/net stays as the fallback where sock_diag cannot be opened (no FFI backend, no
//   CONFIG_INET_DIAG), and for a procRoot other than /proc (tests, a host /proc mounted elsewhere).
// - The fd walk is the expensive part (~6 µs per fd, nearly all of it the kernel's readdir and
//   readlink of /proc/<pid>/fd: ~1.2 s for 201 000 fds). It looks only for listener inodes
//   never searched before, compares each link's text with a map of "socket:[inode]" strings,
//   and stops as soon as every wanted inode has an owner. PIDs go upwards, so the first holder
//   found is the lowest PID: pre-fork servers and forked workers that share one socket report
//   their lowest PID, as before.
// - A listener whose owner the walk cannot see (kernel-owned, fds we may not read) would force a
//   walk of every fd each time; it is searched again only after a backoff that doubles per
//   failed search (1 s, 2 s, … 60 s).
// - A miss rescans at once — a server started just now is found on its first connection — but
//   misses rescan at most once per interval whatever the address (a storm of misses on a port
//   nobody owns must not rescan per event: that livelocked --handshake), the interval counted
//   from the end of the scan and at least 4× the scan's length, so scans take at most a fifth of
//   the main thread. The same address:port rescans again only after its own backoff (the same
//   doubling): connections to a listener of another network namespace, which sock_diag cannot
//   list, cost one dump per backoff, not one per event.
// - resolve() is one to four Map lookups per event.
//
// Limits: only sockets of this network namespace are listed; an owner found once is kept while
// its listener stays listed (a shared socket whose lowest-PID holder exited keeps that PID).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SockDiag } from '../syscalls/sock-diag.ts';
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

/** The TCP listeners of procRoot's /proc/net/tcp and tcp6 (the fallback; see the top of the file). */
export function readProcNetListeners(procRoot = '/proc'): ListeningSocket[] {
  return ([4, 6] as const).flatMap((version) => {
    try {
      return parseProcNetTcp(readFileSync(join(procRoot, 'net', version === 4 ? 'tcp' : 'tcp6'), 'utf8'), version);
    } catch {
      return []; // no IPv6 in this kernel, or no /proc/net here
    }
  });
}

/** The TCP listeners of this network namespace from one sock_diag dump (throws where sock_diag cannot be used). */
export function readSockDiagListeners(): ListeningSocket[] {
  // Opened per scan: scans are rare (see the top of the file), and the resolver has no close().
  const diag = SockDiag.open();
  try {
    return diag.tcpListeners().map((l) => ({ address: l.localAddr, port: l.localPort, inode: l.inode, ipVersion: l.family }));
  } finally {
    diag.close();
  }
}

export interface OwnerResolverOptions {
  /** Where /proc is; anything but '/proc' also reads listeners from its net/tcp{,6}. */
  procRoot?: string;
  /**
   * Minimum milliseconds from the end of one miss-triggered rescan to the next (whatever the
   * address), and the first backoff of an address:port or a listener that stays unresolved.
   */
  rescanIntervalMs?: number;
  now?: () => number;
  /**
   * Lists the listening sockets (tests inject one). Default: sock_diag for /proc, falling back
   * to /proc/net/tcp{,6} if it cannot be opened; /proc/net/tcp{,6} of any other procRoot.
   */
  listListeners?: () => ListeningSocket[];
}

/** Misses remembered at most; past it the oldest are forgotten (each costs one early rescan). */
const MAX_REMEMBERED_MISSES = 4096;
/** The longest backoff of an address:port or listener that stays unresolved. */
const MAX_BACKOFF_MS = 60_000;
/** A miss-triggered rescan waits at least this many times the previous scan's duration. */
const SCAN_DUTY_FACTOR = 4;
/**
 * resolveWithoutBlocking() scans in slices this long: at 40 000 accepts/s a slice leaves
 * ~200 records in the ring (of the 21 000 it holds) for the drain between two slices.
 */
const SCAN_SLICE_MS = 5;
/** Links read between two of the walk's yields: ~1.5 ms at the ~6 µs per link measured. */
const WALK_STEP_LINKS = 256;

interface Backoff {
  retryAt: number;
  failures: number;
}

/** Maps local (address, port) of accepted connections to the process that listens there. */
export class ListenerOwnerResolver {
  private readonly procRoot: string;
  private readonly rescanIntervalMs: number;
  private readonly now: () => number;
  private readonly listListeners: () => ListeningSocket[];
  private ownersByInode = new Map<number, ListenerOwner>();
  /** "address|port" -> owner of the lowest PID among the listeners bound there. */
  private ownersByAddress = new Map<string, ListenerOwner>();
  /** Listener inodes searched for and not found, and when they may be searched again. */
  private unresolved = new Map<number, Backoff>();
  /** Keys ("address|port", "inode|N") that missed, and when a miss there may rescan again. */
  private readonly misses = new Map<string, Backoff>();
  /** No miss-triggered rescan before this time (the global cap). */
  private nextRescanAt = Number.NEGATIVE_INFINITY;
  private sockDiagFailed = false;
  /** The resolveWithoutBlocking() scan running now: who waits for it, its next slice. */
  private sliced: { waiting: (() => void)[]; timer: NodeJS.Immediate | undefined } | undefined;
  /** How many times the listeners were listed (for tests and diagnostics). */
  scans = 0;
  /** How many of those walked /proc/<pid>/fd, and how many links those walks read in all. */
  fdWalks = 0;
  linksRead = 0;
  /** Milliseconds (by `now`) the last scan took. */
  lastScanMs = 0;

  constructor(options: OwnerResolverOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.rescanIntervalMs = options.rescanIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.listListeners =
      options.listListeners ?? (this.procRoot === '/proc' ? () => this.listFromSockDiag() : () => readProcNetListeners(this.procRoot));
  }

  /** The owner of the listener that accepted a connection to localAddr:localPort, if known. */
  resolve(localAddr: string, localPort: number): ListenerOwner | undefined {
    const cached = this.lookup(localAddr, localPort);
    if (cached !== undefined) return cached;
    return this.afterMiss(`${localAddr}|${localPort}`, () => this.lookup(localAddr, localPort));
  }

  /**
   * The owner of the listening socket with this inode (as sock_diag reports it), if known. A
   * miss rescans under the same limits as in resolve().
   */
  ownerOfInode(inode: number): ListenerOwner | undefined {
    const cached = this.ownersByInode.get(inode);
    if (cached !== undefined) return cached;
    return this.afterMiss(`inode|${inode}`, () => this.ownersByInode.get(inode));
  }

  /**
   * Lists the listeners and searches owners for every one without, now (done lazily on a miss;
   * call it once at start-up to warm the cache). Not limited by the rescan interval.
   */
  rescan(): void {
    this.scan(true);
  }

  /**
   * resolve() for a caller that must not block: the cached owner, or, when a miss may rescan
   * (the same limits as resolve()), a scan of at most SCAN_SLICE_MS now; if that does not
   * finish it, 'scanning': the rest runs in slices between turns of the event loop, and
   * `onScanned` is called once it is done (then ask `cached()`). While a scan runs, every miss returns 'scanning' and is called back
   * with it. With 200 000 sockets open the walk takes over a second: done in one piece, the
   * ring buffer overflowed behind it (76 169 of a 100 000-accept storm lost in --handshake).
   */
  resolveWithoutBlocking(localAddr: string, localPort: number, onScanned: () => void): ListenerOwner | undefined | 'scanning' {
    const cached = this.lookup(localAddr, localPort);
    if (cached !== undefined) return cached;
    if (this.sliced !== undefined) {
      this.sliced.waiting.push(onScanned);
      return 'scanning';
    }
    const key = `${localAddr}|${localPort}`;
    if (!this.mayRescan(key)) return undefined;
    const steps = this.scanSteps(false);
    const scan = { waiting: [onScanned], timer: undefined as NodeJS.Immediate | undefined };
    this.sliced = scan;
    const step = (): void => {
      scan.timer = undefined;
      if (this.sliced !== scan) return; // closed
      const sliceEnd = this.now() + SCAN_SLICE_MS;
      let done = false;
      try {
        while (!done && this.now() < sliceEnd) done = steps.next().done === true;
      } catch {
        done = true; // a scan that fails (procfs gone) finds nothing; the misses back off below
      }
      if (!done) {
        scan.timer = setImmediate(step);
        return;
      }
      this.sliced = undefined;
      this.afterScan(key, () => this.lookup(localAddr, localPort));
      for (const callback of scan.waiting) callback();
    };
    // The first slice runs now: on most hosts it is the whole scan (a few ms), and the owner
    // comes back at once, as from resolve().
    scan.waiting.pop();
    step();
    if (this.sliced !== scan) return this.lookup(localAddr, localPort);
    scan.waiting.unshift(onScanned);
    return 'scanning';
  }

  /** The owner already known for localAddr:localPort; never scans. */
  cached(localAddr: string, localPort: number): ListenerOwner | undefined {
    return this.lookup(localAddr, localPort);
  }

  /** True while a resolveWithoutBlocking() scan is running. */
  get scanning(): boolean {
    return this.sliced !== undefined;
  }

  /** Stops a running sliced scan; its callbacks are not called. */
  close(): void {
    const scan = this.sliced;
    this.sliced = undefined;
    if (scan?.timer !== undefined) clearImmediate(scan.timer);
  }

  private afterMiss(key: string, find: () => ListenerOwner | undefined): ListenerOwner | undefined {
    if (!this.mayRescan(key)) return undefined;
    this.scan(false);
    return this.afterScan(key, find);
  }

  /** A miss at `key` may rescan now: the global interval and the key's own backoff have passed. */
  private mayRescan(key: string): boolean {
    const now = this.now();
    if (now < this.nextRescanAt) return false;
    const missed = this.misses.get(key);
    return missed === undefined || now >= missed.retryAt;
  }

  /** After a miss-triggered scan: start the interval, and back `key` off if it is still unknown. */
  private afterScan(key: string, find: () => ListenerOwner | undefined): ListenerOwner | undefined {
    const end = this.now();
    this.nextRescanAt = end + Math.max(this.rescanIntervalMs, SCAN_DUTY_FACTOR * this.lastScanMs);
    const found = find();
    const missed = this.misses.get(key);
    this.misses.delete(key); // re-inserted below as the newest, so eviction drops the oldest
    if (found === undefined) {
      if (this.misses.size >= MAX_REMEMBERED_MISSES) this.misses.delete(this.misses.keys().next().value!);
      this.misses.set(key, this.backoff(end, missed?.failures ?? 0));
    }
    return found;
  }

  private backoff(from: number, failures: number): Backoff {
    const delay = Math.min(this.rescanIntervalMs * 2 ** failures, Math.max(MAX_BACKOFF_MS, this.rescanIntervalMs));
    return { retryAt: from + delay, failures: failures + 1 };
  }

  /** One scan, in one piece. */
  private scan(searchAll: boolean): void {
    for (const step of this.scanSteps(searchAll)) void step;
  }

  /**
   * Lists the listeners, keeps owners still listed, walks /proc for the wanted rest, rebuilds
   * the maps. A generator: it yields every WALK_STEP_LINKS links and between processes, so a
   * caller may spread the walk over several turns of the event loop (resolveWithoutBlocking).
   */
  private *scanSteps(searchAll: boolean): Generator<void, void> {
    const start = this.now();
    this.scans++;
    const listeners = this.listListeners();
    const owners = new Map<number, ListenerOwner>();
    const wanted = new Map<string, number>();
    const unresolved = new Map<number, Backoff>();
    for (const { inode } of listeners) {
      const owner = this.ownersByInode.get(inode);
      if (owner !== undefined) {
        owners.set(inode, owner);
        continue;
      }
      const previous = this.unresolved.get(inode);
      if (previous !== undefined) unresolved.set(inode, previous);
      if (searchAll || previous === undefined || start >= previous.retryAt) wanted.set(`socket:[${inode}]`, inode);
    }
    if (wanted.size > 0) {
      const found = new Map<number, ListenerOwner>();
      yield* this.findOwners(wanted, found);
      for (const [inode, owner] of found) {
        owners.set(inode, owner);
        unresolved.delete(inode);
      }
      // What is still wanted was not found: back off before walking every fd for it again.
      const end = this.now();
      for (const inode of wanted.values()) unresolved.set(inode, this.backoff(end, unresolved.get(inode)?.failures ?? 0));
    }
    this.ownersByInode = owners;
    this.unresolved = unresolved;
    const byAddress = new Map<string, ListenerOwner>();
    for (const { address, port, inode } of listeners) {
      const owner = owners.get(inode);
      if (owner === undefined) continue;
      const key = `${address}|${port}`;
      const other = byAddress.get(key);
      // Several sockets on one address:port (SO_REUSEPORT groups): the lowest PID, as for one shared socket.
      if (other === undefined || owner.pid < other.pid) byAddress.set(key, owner);
    }
    this.ownersByAddress = byAddress;
    this.lastScanMs = this.now() - start;
  }

  private listFromSockDiag(): ListeningSocket[] {
    if (!this.sockDiagFailed) {
      try {
        return readSockDiagListeners();
      } catch {
        // No FFI backend or no sock_diag here: /proc/net from now on (slower with many connections).
        this.sockDiagFailed = true;
      }
    }
    return readProcNetListeners(this.procRoot);
  }

  private lookup(localAddr: string, localPort: number): ListenerOwner | undefined {
    const byAddress = this.ownersByAddress;
    return (
      byAddress.get(`${localAddr}|${localPort}`) ??
      byAddress.get(`::ffff:${localAddr}|${localPort}`) ??
      byAddress.get(`0.0.0.0|${localPort}`) ??
      byAddress.get(`::|${localPort}`)
    );
  }

  /**
   * The lowest PID holding each wanted socket ("socket:[inode]" -> inode; found ones are deleted
   * from it). PIDs in ascending order, and the walk ends as soon as nothing is wanted any more.
   */
  private *findOwners(wanted: Map<string, number>, owners: Map<number, ListenerOwner>): Generator<void, void> {
    let entries: string[];
    try {
      entries = readdirSync(this.procRoot);
    } catch {
      return;
    }
    this.fdWalks++;
    const pids: number[] = [];
    for (const entry of entries) {
      const code = entry.charCodeAt(0);
      if (code >= 48 && code <= 57) pids.push(Number(entry)); // PIDs; the rest are files like 'net', 'self'
    }
    pids.sort((a, b) => a - b);
    for (const pid of pids) {
      yield;
      const fdDir = `${this.procRoot}/${pid}/fd`;
      let fds: string[];
      try {
        fds = readdirSync(fdDir);
      } catch {
        continue; // the process exited, or its fds are not ours to read
      }
      let comm: string | undefined;
      let sinceYield = 0;
      for (const fd of fds) {
        if (++sinceYield === WALK_STEP_LINKS) {
          sinceYield = 0;
          yield;
        }
        let target: string;
        try {
          target = readlinkSync(`${fdDir}/${fd}`);
        } catch {
          continue; // closed since the readdir
        }
        this.linksRead++;
        const inode = wanted.get(target);
        if (inode === undefined) continue;
        wanted.delete(target); // higher PIDs holding it too are not the lowest
        owners.set(inode, { pid, comm: (comm ??= readComm(this.procRoot, pid)) });
        if (wanted.size === 0) return;
      }
    }
  }
}

function readComm(procRoot: string, pid: number): string {
  try {
    return readFileSync(join(procRoot, String(pid), 'comm'), 'utf8').trimEnd();
  } catch {
    return '-';
  }
}
