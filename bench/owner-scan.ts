// ListenerOwnerResolver (src/probe/owner.ts) timed with bench/idle.py's idle load open: what
// --handshake and the drop events pay to find a listener's owner when a host holds many idle
// connections.
//
//   flock /tmp/ts-tcpaccept-kernel.lock node --import tsx bench/owner-scan.ts \
//     [--listeners 1000] [--per-listener 100] [--repeats 3] [--module PATH]
//
// --module imports ListenerOwnerResolver from another file (e.g. an older src/probe/owner.ts
// saved elsewhere) to compare implementations under the same load. Rows:
// - cold rescan(): a new resolver's first scan (the tool's start-up), median of --repeats;
// - first connection to a new listener held by a process younger than the idle ones (the
//   --handshake storm's first event): resolve() after the cold scan;
// - resolve() of the last-listed listener, a hit (the per-event cost);
// - a miss storm: resolve() on ports nobody listens on for 2 s, each a different port, and how
//   many rescans that caused (the livelock of bench/README.md's idle pass).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startIdleLoad } from './idle-load.ts';
import { median, printTable, formatNumber } from './stats.ts';
import { readSockDiagListeners, type ListenerOwner, type ListeningSocket } from '../src/probe/owner.ts';

interface Resolver {
  rescan(): void;
  resolve(address: string, port: number): ListenerOwner | undefined;
  scans: number;
  linksRead?: number;
}
type ResolverClass = new () => Resolver;

function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index < 0 ? fallback : (process.argv[index + 1] ?? fallback);
}

const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** A process younger than the idle load's, listening on 127.0.0.1 (as storm.py's server is). */
async function youngListener(): Promise<{ pid: number; port: number; stop: () => Promise<void> }> {
  const child = spawn(
    'python3',
    [
      '-c',
      'import os,signal,socket\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen()\nprint(os.getpid(),s.getsockname()[1],flush=True)\nsignal.pause()',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the listener child exited ${code}`)));
  });
  const [pid, port] = line.split(' ').map(Number);
  return {
    pid: pid!,
    port: port!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const listeners = Number(flag('--listeners', '1000'));
  const perListener = Number(flag('--per-listener', '100'));
  const repeats = Number(flag('--repeats', '3'));
  const modulePath = flag('--module', '../src/probe/owner.ts');
  const { ListenerOwnerResolver } = (await import(modulePath)) as { ListenerOwnerResolver: ResolverClass };

  const load = await startIdleLoad({ listeners, perListener });
  const rows: string[][] = [];
  try {
    const { report } = load;
    console.log(
      `idle load: ${report.listeners} listeners, ${report.connections} connections, ${report.descriptors} fds in ${report.processes} processes`,
    );
    const rssBefore = process.memoryUsage().rss;

    let resolver = new ListenerOwnerResolver();
    const cold: number[] = [];
    for (let i = 0; i < repeats; i++) {
      resolver = new ListenerOwnerResolver();
      const start = process.hrtime.bigint();
      resolver.rescan();
      cold.push(msSince(start));
    }
    rows.push(['cold rescan()', formatNumber(median(cold), 1), `${resolver.linksRead ?? '?'} links read`]);

    const young = await youngListener();
    try {
      const scans = resolver.scans;
      const start = process.hrtime.bigint();
      const owner = resolver.resolve('127.0.0.1', young.port);
      const ms = msSince(start);
      const right = owner?.pid === young.pid ? 'found' : `NOT found (${JSON.stringify(owner)})`;
      rows.push(['first connection to a new listener (resolve, miss)', formatNumber(ms, 1), `${right}, ${resolver.scans - scans} rescan`]);
    } finally {
      await young.stop();
    }

    const listed: ListeningSocket[] = readSockDiagListeners();
    const last = listed.at(-1)!;
    const calls = 100_000;
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const start = process.hrtime.bigint();
      for (let j = 0; j < calls; j++) resolver.resolve(last.address, last.port);
      times.push((msSince(start) * 1e6) / calls);
    }
    rows.push(['resolve() of the last-listed listener (hit), ns', formatNumber(median(times), 0), `${listed.length} listeners`]);

    const ports = new Set(listed.map((l) => l.port));
    const free = Array.from({ length: 20_000 }, (_, i) => 20_000 + i).filter((p) => !ports.has(p));
    const scans = resolver.scans;
    const began = Date.now();
    let misses = 0;
    // The loop never yields, as the tracer's ring callback does not during a drain.
    while (Date.now() - began < 2000) resolver.resolve('127.0.0.1', free[misses++ % free.length]!);
    const elapsed = Date.now() - began;
    rows.push([
      'miss storm: 2 s of resolve() on unknown ports',
      formatNumber(elapsed, 0),
      `${misses} misses, ${resolver.scans - scans} rescans`,
    ]);
    rows.push(['RSS growth of this process over the rows, MB', formatNumber((process.memoryUsage().rss - rssBefore) / 2 ** 20, 1), '']);
  } finally {
    const closeSeconds = await load.stop();
    console.log(`idle load closed in ${formatNumber(closeSeconds, 1)} s`);
  }
  printTable(`ListenerOwnerResolver from ${modulePath}`, ['row', 'ms', 'what'], rows);
}

await main();
