// Where ts-tcpaccept's start-up time goes, from spawn to the header (the ready signal).
//   node --import tsx bench/startup.ts [--repeats N]
// Each stage is timed inside a fresh Node process that does what cli/main.ts does, in the same
// order, on the built dist/ (median of N processes); then the real CLI is timed from spawn to
// its header. (A V8 CPU profile is no use here: its SIGPROF ticks land inside bpf(2) and charge
// the verifier's time to whichever FFI call was running, and can even make BPF_PROG_LOAD fail
// with EAGAIN, which the kernel returns when a signal is pending during verification.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { cliPath, repoRoot } from './scenario.ts';
import { formatNumber, median, printTable } from './stats.ts';

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
  const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', STAGES_SCRIPT], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`stage script failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Array<[string, number, number]>;
}

/** ms from spawning the CLI to its header line; the CLI is then stopped with SIGINT. */
export async function cliToHeaderMs(cliArgs: string[] = [], script = cliPath): Promise<number> {
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

/**
 * Prototype: the CLI bundled into one ES module with esbuild (tsx's own dependency, so it is
 * there wherever the bench runs), native addons left external. Returns its path, or the reason
 * it could not be built.
 */
async function bundleCli(dir: string, external: string[]): Promise<string> {
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const outfile = join(dir, `main-${external.length}.mjs`);
  await esbuild.build({
    entryPoints: [join(repoRoot, 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external,
    logLevel: 'silent',
    // Bundled CommonJS dependencies (prom-client) call require(): give the bundle one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return outfile;
}

export async function main(argv: string[]): Promise<void> {
  const index = argv.indexOf('--repeats');
  const repeats = index >= 0 ? Number(argv[index + 1]) : 7;
  const samples = new Map<string, { ms: number[]; mb: number[] }>();
  for (let i = 0; i < repeats; i++) {
    for (const [name, ms, mb] of stageTimes()) {
      const entry = samples.get(name) ?? { ms: [], mb: [] };
      entry.ms.push(ms);
      entry.mb.push(mb);
      samples.set(name, entry);
    }
  }
  const rows = [...samples].map(([name, { ms, mb }]) => [name, ms.some((v) => v > 0) ? formatNumber(median(ms), 1) : '', ms.some((v) => v > 0) ? formatNumber(Math.min(...ms), 1) : '', formatNumber(median(mb), 1)]);
  const total = [...samples.values()].reduce((sum, { ms }) => sum + median(ms), 0);
  rows.push(['sum of the stages', formatNumber(total, 1), '', '']);
  const spawnToHeader: number[] = [];
  for (let i = 0; i < repeats; i++) spawnToHeader.push(await cliToHeaderMs());
  rows.push(['ts-tcpaccept, spawn to header (the real CLI)', formatNumber(median(spawnToHeader), 1), formatNumber(Math.min(...spawnToHeader), 1), '']);
  // The bundles must resolve koffi and friends from the repository's node_modules.
  const dir = mkdtempSync(join(repoRoot, 'node_modules', '.ts-tcpaccept-bench-'));
  try {
    for (const [name, external] of [
      ['prototype: one esbuild bundle, spawn to header', ['koffi', '@2060.io/*']],
      ['prototype: bundle without prom-client, spawn to header', ['koffi', '@2060.io/*', 'prom-client']],
    ] as const) {
      try {
        const bundle = await bundleCli(dir, [...external]);
        const samples: number[] = [];
        for (let i = 0; i < repeats; i++) samples.push(await cliToHeaderMs([], bundle));
        rows.push([name, formatNumber(median(samples), 1), formatNumber(Math.min(...samples), 1), '']);
      } catch (error) {
        rows.push([name, `skipped: ${(error as Error).message.split('\n')[0]}`, '', '']);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(`Start-up, stage by stage in fresh processes (median and min of ${repeats}; RSS: what the stage added)`, ['stage', 'median ms', 'min ms', 'RSS MB'], rows);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
