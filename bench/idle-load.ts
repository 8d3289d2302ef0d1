// The idle load of `npm run bench`'s idle pass (issue 16: "1 000 listeners and 100 000 idle
// connections open: does anything scale with them?"): bench/idle.py started and stopped from
// Node, and the scans of the tool that could grow with it, timed in-process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ListenerOwnerResolver, parseProcNetTcp } from '../src/internal.ts';
import { SockDiag } from '../src/syscalls/index.ts';
import { formatNumber, median } from './stats.ts';

const idleScript = join(dirname(fileURLToPath(import.meta.url)), 'idle.py');

export interface IdleLoadOptions {
  listeners: number;
  perListener: number;
}

/** What bench/idle.py reported once everything was open. */
export interface IdleLoadReport {
  listeners: number;
  ipv6Listeners: number;
  connections: number;
  descriptors: number;
  /** Processes holding them: RLIMIT_NOFILE's hard limit may keep one from holding all. */
  processes: number;
  nofile: number;
  setupSeconds: number;
  pids: number[];
}

export interface IdleLoad {
  report: IdleLoadReport;
  /** SIGTERM, then wait until every socket is closed; returns the seconds closing took. */
  stop(): Promise<number>;
}

/** Starts bench/idle.py and resolves once it reports ready (everything open). */
export async function startIdleLoad(options: IdleLoadOptions, timeoutMs = 180_000): Promise<IdleLoad> {
  const child: ChildProcess = spawn(
    'python3',
    [idleScript, '--listeners', String(options.listeners), '--per-listener', String(options.perListener)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const closed = new Promise<number>((resolve) => {
    lines.on('line', (line) => {
      if (line.startsWith('closed ')) resolve((JSON.parse(line.slice(7)) as { closeSeconds: number }).closeSeconds);
    });
    child.once('exit', () => resolve(Number.NaN));
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  try {
    const report = await new Promise<IdleLoadReport>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`idle.py was not ready within ${timeoutMs / 1000} s`)), timeoutMs);
      lines.on('line', (line) => {
        if (!line.startsWith('ready ')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(6)) as IdleLoadReport);
      });
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`idle.py exited ${code} before it was ready: ${stderr.trim()}`));
      });
    });
    return {
      report,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        await exited;
        clearTimeout(timer);
        if (child.exitCode !== 0) throw new Error(`idle.py exited ${child.exitCode ?? child.signalCode} while closing: ${stderr.trim()}`);
        return closed;
      },
    };
  } catch (error) {
    // Workers die with it (PR_SET_PDEATHSIG) and close their sockets.
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    throw error;
  }
}

/** One start-up scan the tool does, timed. */
export interface ScanTiming {
  key: string;
  label: string;
  /** Median wall milliseconds over the repeats. */
  ms: number;
  /** What it went through (lines, listeners, descriptors), for the table. */
  items: number;
}

const RESOLVE_CALLS = 10_000;
const formatCount = (n: number) => formatNumber(n, 0);
const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function timed(repeats: number, body: () => number): { ms: number; items: number } {
  const times: number[] = [];
  let items = 0;
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    items = body();
    times.push(msSince(start));
  }
  return { ms: median(times), items };
}

/** Socket descriptors under /proc/*\/fd: what the owner scan reads links of. */
function socketDescriptorCount(): number {
  let count = 0;
  for (const line of readFileSync('/proc/net/sockstat', 'utf8').split('\n')) {
    const match = /^sockets: used (\d+)/.exec(line);
    if (match !== null) count = Number(match[1]);
  }
  return count;
}

/**
 * The tool's scans that could grow with many sockets, each as the tool does it at start-up:
 * - /proc/net/tcp and tcp6 read (the kernel prints every TCP socket, not only listeners) and
 *   parsed (parseProcNetTcp keeps the listeners): ListenerOwnerResolver's fallback where
 *   sock_diag cannot be opened (it used to be the first half of every rescan);
 * - the whole cold rescan: a sock_diag dump plus readlink of the fds under /proc/*\/fd until
 *   each listener has an owner (--handshake, and wherever the drop program loads: --json,
 *   --drops, --metrics on Linux 6.15+);
 * - one sock_diag dump of the listeners (--listeners, --metrics), without the owner lookup;
 * - 10 000 owner lookups of one listener, as --handshake does per event once it is scanned.
 */
export function timeScans(repeats = 3): ScanTiming[] {
  const files = ['/proc/net/tcp', '/proc/net/tcp6'];
  let texts: string[] = [];
  const read = timed(repeats, () => {
    texts = files.map((f) => readFileSync(f, 'utf8'));
    return texts.reduce((n, t) => n + t.split('\n').length - 2, 0);
  });
  const parse = timed(repeats, () => parseProcNetTcp(texts[0]!, 4).length + parseProcNetTcp(texts[1]!, 6).length);
  const sockets = socketDescriptorCount();
  let resolver = new ListenerOwnerResolver();
  const rescan = timed(repeats, () => {
    resolver = new ListenerOwnerResolver();
    resolver.rescan();
    return sockets;
  });
  // The per-event part: each --handshake event looks its listener up (a Map since the owner
  // fix; before it, a walk of every listener until the address matched, the last one listed the worst case).
  const listed = [...parseProcNetTcp(texts[0]!, 4), ...parseProcNetTcp(texts[1]!, 6)];
  const last = listed.at(-1);
  const lookups = timed(repeats, () => {
    if (last === undefined) return 0;
    for (let i = 0; i < RESOLVE_CALLS; i++) resolver.resolve(last.address, last.port);
    return listed.length;
  });
  const diag = SockDiag.open();
  let dump: { ms: number; items: number };
  try {
    dump = timed(repeats, () => diag.tcpListeners({}).length);
  } finally {
    diag.close();
  }
  return [
    { key: 'proc-net-tcp-read', label: 'read /proc/net/tcp + tcp6 (lines)', ...read },
    { key: 'proc-net-tcp-parse', label: 'parse them for listeners (listeners)', ...parse },
    { key: 'owner-rescan', label: 'owner scan, cold: sock_diag + /proc/*/fd (sockets open)', ...rescan },
    { key: 'sock-diag-listeners', label: 'sock_diag listener dump (listeners)', ...dump },
    {
      key: 'owner-resolve-10k',
      label: `${formatCount(RESOLVE_CALLS)} resolve() of the last listener (listeners)`,
      ...lookups,
      ms: last === undefined ? Number.NaN : lookups.ms,
    },
  ];
}
