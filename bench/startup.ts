// Where ts-tcpaccept's start-up time goes, from spawn to the header (the ready signal).
//   node --import tsx bench/startup.ts [--repeats N] [--cli-only]
// Each stage is timed inside a fresh Node process that does what cli/main.ts does, in the same
// order, on the built dist/ (median of N processes); then the real CLI is timed from spawn to
// its header. (A V8 CPU profile is no use here: its SIGPROF ticks land inside bpf(2) and charge
// the verifier's time to whichever FFI call was running, and can even make BPF_PROG_LOAD fail
// with EAGAIN, which the kernel returns when a signal is pending during verification.)
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { binPath, cliPath, repoRoot } from './scenario.ts';
import { formatNumber, median, printTable } from './stats.ts';

/** The esbuild bundle itself, which the bin (scripts/bin-stub.cjs) runs from its V8 code cache. */
const mainBundlePath = join(repoRoot, 'dist', 'bin', 'ts-tcpaccept-main.cjs');
const dist = (path: string) => pathToFileURL(join(repoRoot, 'dist', path)).href;

/** Runs in the child: performance.now() is ms since the process started. */
const STAGES_SCRIPT = `
const rss = () => process.memoryUsage().rss / 1e6;
import { readFileSync } from 'node:fs';
const marks = [['Node start-up, to the first line of user code', performance.now(), rss()]];
let last = performance.now();
let lastRss = rss();
const mark = (name) => { const now = performance.now(); const r = rss(); marks.push([name, now - last, r - lastRss]); last = now; lastRss = r; };
const api = await import('${dist('src/index.js')}');
mark('import dist/src/index.js (asm, syscalls, perf, probe)');
await import('${dist('cli/args.js')}'); await import('${dist('cli/format.js')}');
mark('import cli/args.js, cli/format.js');
await import('prom-client');
mark('import prom-client (cli/metrics.ts imports it statically)');
api.ffi();
mark('load koffi (first FFI use)');
const btf = api.Btf.fromFile(api.KERNEL_BTF_PATH);
mark('parse /sys/kernel/btf/vmlinux (' + (btf.mapped ? 'mapped' : 'read') + ')');
api.socketLayoutFromBtf(btf);
mark('struct offsets from BTF');
btf.close();
api.planPrograms({});
mark('planPrograms: BTF again, tracefs formats, assemble');
const tracer = api.TcpAcceptTracer.open({ onEvent() {} });
mark('TcpAcceptTracer.open: plan again, maps, load, attach, rings');
globalThis.gc?.();
marks.push(['(after a full GC: RSS now, not an increment)', 0, rss()]);
tracer.close();
const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1e3;
marks.push(['(peak RSS, VmHWM)', 0, hwm]);
process.stdout.write(JSON.stringify(marks));
`;

function stageTimes(): Array<[string, number, number]> {
  const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', STAGES_SCRIPT], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`stage script failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Array<[string, number, number]>;
}

/** ms from spawning the CLI to its header line; the CLI is then stopped with SIGINT. */
export async function cliToHeaderMs(cliArgs: string[] = [], script = binPath): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [script, ...cliArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ms = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      if (/PID\s+COMM/.test(line)) resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    child.once('exit', (code) => reject(new Error(`ts-tcpaccept exited ${code} before its header: ${stderr}`)));
  });
  child.kill('SIGINT');
  await exited;
  return ms;
}

export async function main(argv: string[]): Promise<void> {
  const index = argv.indexOf('--repeats');
  const repeats = index >= 0 ? Number(argv[index + 1]) : 7;
  // --cli-only: only the spawn-to-header comparison (bin with its code cache, bundle without, module tree).
  const stages = !argv.includes('--cli-only');
  const samples = new Map<string, { ms: number[]; mb: number[] }>();
  for (let i = 0; stages && i < repeats; i++) {
    for (const [name, ms, mb] of stageTimes()) {
      const entry = samples.get(name) ?? { ms: [], mb: [] };
      entry.ms.push(ms);
      entry.mb.push(mb);
      samples.set(name, entry);
    }
  }
  const rows = [...samples].map(([name, { ms, mb }]) => [
    name,
    ms.some((v) => v > 0) ? formatNumber(median(ms), 1) : '',
    ms.some((v) => v > 0) ? formatNumber(Math.min(...ms), 1) : '',
    formatNumber(median(mb), 1),
  ]);
  const total = [...samples.values()].reduce((sum, { ms }) => sum + median(ms), 0);
  if (stages) rows.push(['sum of the stages', formatNumber(total, 1), '', '']);
  // Interleaved, so that a busy spell on the machine hits both alike.
  const bundled: number[] = [];
  const uncached: number[] = [];
  const unbundled: number[] = [];
  for (let i = 0; i < repeats; i++) {
    bundled.push(await cliToHeaderMs([], binPath));
    uncached.push(await cliToHeaderMs([], mainBundlePath));
    unbundled.push(await cliToHeaderMs([], cliPath));
  }
  rows.push([
    'ts-tcpaccept, spawn to header (dist/bin: the bin, code cache)',
    formatNumber(median(bundled), 1),
    formatNumber(Math.min(...bundled), 1),
    '',
  ]);
  rows.push([
    'the bundle without the code cache (…-main.cjs), spawn to header',
    formatNumber(median(uncached), 1),
    formatNumber(Math.min(...uncached), 1),
    '',
  ]);
  rows.push([
    'the same CLI unbundled (dist/cli/main.js), spawn to header',
    formatNumber(median(unbundled), 1),
    formatNumber(Math.min(...unbundled), 1),
    '',
  ]);
  printTable(
    `Start-up, stage by stage in fresh processes (median and min of ${repeats}; RSS: what the stage added)`,
    ['stage', 'median ms', 'min ms', 'RSS MB'],
    rows,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
