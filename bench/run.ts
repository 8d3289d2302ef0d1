// `npm run bench`: ts-tcpaccept against bpftrace, in one run, on one loopback accept storm.
// Prints one table of medians (± half the range over repeats) with the ratio ts-tcpaccept /
// bpftrace, then the FFI backends side by side and the ring reader's synthetic drain rate.
// Method and the meaning of each row: bench/README.md.
//
//   node --import tsx bench/run.ts [--connections N] [--repeats N] [--quick] [--clients N]
//                                  [--no-bpftrace] [--no-c-reader] [--no-ffi-napi] [--no-build] [--modes LIST]
//                                  [--save FILE] [--no-idle] [--idle-repeats N] [--idle-listeners N] [--idle-per-listener N]
// --save writes the medians as JSON (format: bench/results.ts); the README's performance table
// is generated from the committed bench/results/storm.json by scripts/gen-docs.ts.
// --modes: default, json, q, handshake (the default set), default-256, handshake-256 (bigger rings).
// The idle pass (on unless --no-idle): bench/idle.py opens 1 000 loopback listeners and 100 000
// accepted, idle connections, and the untraced storm, every ts-tcpaccept mode and bpftrace run
// again with them open (--idle-repeats times, default 1: the pass adds ~1 min); a second table puts
// each figure next to the one without them, with the ratio, and times the tool's start-up scans.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { enableStats, loadFfiBackend } from '../src/syscalls/index.ts';
import { kernelUnavailableReason } from '../test/helpers/kernel.ts';
import { syntheticDrains, iteratorDrain } from './ring.ts';
import { loadAverage } from './procfs.ts';
import { buildCReader } from './c-reader/build.ts';
import {
  bpftrace,
  binPath,
  cReader,
  repoRoot,
  runTraced,
  runUntraced,
  scratchDir,
  tsTcpaccept,
  type RunResult,
  type StormOptions,
  type Tool,
} from './scenario.ts';
import { RESULT_FORMAT, type IdleResult, type ResultCell, type ResultRows, type StormResultFile } from './results.ts';
import { formatNumber, formatSpread, median, printTable } from './stats.ts';
import { getppidNs, syscallTracepointAttachments } from './syscall-cost.ts';
import { printIoUringCost } from './io-uring-cost.ts';
import { startIdleLoad, timeScans, type IdleLoadReport, type ScanTiming } from './idle-load.ts';

export interface BenchOptions {
  connections: number;
  repeats: number;
  clientsPerFamily: number;
  bpftrace: boolean;
  /** The C reader floor column (bench/c-reader, built with gcc at bench time). */
  cReader: boolean;
  ffiNapi: boolean;
  build: boolean;
  /** ts-tcpaccept modes to measure: default, q (-q), handshake (--handshake). */
  modes: string[];
  /** Where to write the medians as JSON (bench/results.ts), e.g. bench/results/storm.json. */
  save?: string;
  /** The idle pass: the storms again with bench/idle.py's listeners and idle connections open. */
  idle: boolean;
  idleRepeats: number;
  idleListeners: number;
  idlePerListener: number;
}

const MODES: Record<string, { label: string; args: string[] }> = {
  default: { label: 'ts default', args: [] },
  q: { label: 'ts -q', args: ['-q'] },
  // The same storm as NDJSON: what a log shipper reads (its lines are matched by rport/lport).
  json: { label: 'ts --json', args: ['--json'] },
  handshake: { label: 'ts --handshake', args: ['--handshake'] },
  // Not in the default set: the lost-event experiments (4x the default 64-page rings).
  'default-256': { label: 'ts --ring-pages 256', args: ['--ring-pages', '256'] },
  'handshake-256': { label: 'ts --handshake --ring-pages 256', args: ['--handshake', '--ring-pages', '256'] },
};

function usage(message: string): never {
  process.stderr.write(
    `bench/run.ts: ${message}\nusage: npm run bench -- [--connections N] [--repeats N] [--quick] [--clients N] [--no-bpftrace] [--no-ffi-napi] [--no-build] [--modes default,json,q,handshake,default-256,handshake-256] [--save FILE] [--no-idle] [--idle-repeats N] [--idle-listeners N] [--idle-per-listener N]\n`,
  );
  process.exit(2);
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    connections: 100_000,
    repeats: 3,
    clientsPerFamily: 2,
    bpftrace: true,
    cReader: true,
    ffiNapi: true,
    build: true,
    modes: ['default', 'json', 'q', 'handshake'],
    idle: true,
    idleRepeats: 1,
    idleListeners: 1000,
    idlePerListener: 100,
  };
  let explicitConnections = false;
  let explicitRepeats = false;
  let quick = false;
  const number = (flag: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (text === undefined || !Number.isInteger(value) || value < min) usage(`${flag} needs a whole number >= ${min}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--connections':
        options.connections = number(arg, argv[++i], 2);
        explicitConnections = true;
        break;
      case '--repeats':
        options.repeats = number(arg, argv[++i], 1);
        explicitRepeats = true;
        break;
      case '--clients':
        options.clientsPerFamily = number(arg, argv[++i], 1);
        break;
      case '--quick':
        quick = true;
        break;
      case '--no-bpftrace':
        options.bpftrace = false;
        break;
      case '--no-ffi-napi':
        options.ffiNapi = false;
        break;
      case '--no-c-reader':
        options.cReader = false;
        break;
      case '--no-build':
        options.build = false;
        break;
      case '--idle':
        options.idle = true;
        break;
      case '--no-idle':
        options.idle = false;
        break;
      case '--idle-repeats':
        options.idleRepeats = number(arg, argv[++i], 1);
        break;
      case '--idle-listeners':
        options.idleListeners = number(arg, argv[++i], 1);
        break;
      case '--idle-per-listener':
        options.idlePerListener = number(arg, argv[++i], 1);
        break;
      case '--save': {
        const file = argv[++i];
        if (file === undefined || file.startsWith('--')) usage('--save needs a file name');
        options.save = file;
        break;
      }
      case '--modes': {
        const modes = (argv[++i] ?? '').split(',').filter(Boolean);
        const unknown = modes.filter((m) => !(m in MODES));
        if (modes.length === 0 || unknown.length > 0) usage(`--modes takes a list of ${Object.keys(MODES).join(', ')}`);
        options.modes = modes;
        break;
      }
      default:
        usage(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (quick) {
    if (!explicitConnections) options.connections = 20_000;
    if (!explicitRepeats) options.repeats = 1;
  }
  return options;
}

function build(): void {
  const tsc = spawnSync(process.execPath, [`${repoRoot}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  // npm run build's second step: the bin the bench runs is the bundle, not dist/cli.
  const bundle =
    tsc.status === 0 ? spawnSync(process.execPath, [`${repoRoot}/scripts/bundle.mjs`], { cwd: repoRoot, encoding: 'utf8' }) : tsc;
  if (bundle.status === 0) return;
  if (tsc.status === 0) {
    process.stderr.write(`bench: scripts/bundle.mjs failed:\n${bundle.stdout}${bundle.stderr}\n`);
    process.exit(1);
  }
  const why = `${tsc.stdout}${tsc.stderr}`.trim().split('\n').slice(0, 5).join('\n');
  if (!existsSync(binPath)) {
    process.stderr.write(`bench: npm run build failed and there is no ${binPath}:\n${why}\n`);
    process.exit(1);
  }
  console.log(`note: the build failed, measuring the existing dist/ (${why.split('\n')[0]})`);
}

function bpftraceVersion(): string | undefined {
  const result = spawnSync('bpftrace', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

interface Column {
  tool?: Tool;
  label: string;
  runs: RunResult[];
}

/** One table row: a label, how to get a number from a run, digits, and the target (default mode). */
interface RowSpec {
  /** Stable name of the row in a --save file (bench/results.ts). */
  key: string;
  label: string;
  value: (run: RunResult, untraced: Baseline) => number | undefined;
  digits: number;
  untraced?: boolean;
  target?: { text: string; met: (value: number, bpftraceValue: number | undefined) => boolean };
}

interface Baseline {
  cpuPerConnectionUs: number;
  rate: number;
  getppidNs: number;
  /** The C reader floor's tracer CPU per event (median), when that column ran. */
  floorCpuUs: number | undefined;
  /** The same for its second storm. */
  warmFloorCpuUs: number | undefined;
}

const tracerCpuUs = (r: RunResult) => (r.tool && r.tool.printed > 0 ? (r.tool.cpuSeconds / r.tool.printed) * 1e6 : undefined);
const warmTracerCpuUs = (r: RunResult) =>
  r.tool?.warm && r.tool.warm.printed > 0 ? (r.tool.warm.cpuSeconds / r.tool.warm.printed) * 1e6 : undefined;

const perConnection = (run: RunResult) => run.storm.connections;
const stormCpuUs = (run: RunResult) => ((run.storm.userSeconds + run.storm.systemSeconds) / perConnection(run)) * 1e6;

const ROWS: RowSpec[] = [
  {
    key: 'kernel-ns',
    label: '1a in-kernel ns/conn (run_time_ns)',
    value: (r) => (r.tool ? r.tool.runTimeNs / perConnection(r) : undefined),
    digits: 0,
    target: { text: '<= 1000', met: (v) => v <= 1000 },
  },
  { key: 'runs-per-conn', label: '   program runs/conn', value: (r) => (r.tool ? r.tool.runCnt / perConnection(r) : undefined), digits: 2 },
  { key: 'storm-cpu-us', label: '1b storm CPU us/conn', value: (r) => stormCpuUs(r), digits: 2, untraced: true },
  {
    key: 'storm-cpu-added-us',
    label: '   added vs untraced, us/conn',
    value: (r, b) => (r.tool ? stormCpuUs(r) - b.cpuPerConnectionUs : undefined),
    digits: 2,
  },
  { key: 'rate', label: '2  storm rate, conn/s', value: (r) => r.storm.rate, digits: 0, untraced: true },
  {
    key: 'rate-ratio',
    label: '   rate / untraced',
    value: (r, b) => (r.tool ? r.storm.rate / b.rate : undefined),
    digits: 3,
    target: { text: '>= 0.97', met: (v) => v >= 0.97 },
  },
  {
    key: 'tracer-cpu-us',
    label: '3  tracer CPU us/event',
    value: tracerCpuUs,
    digits: 2,
    target: { text: '<= 0.6', met: (v) => v <= 0.6 },
  },
  {
    key: 'tracer-cpu-vs-c',
    label: '   ÷ the C reader floor',
    value: (r, b) => {
      const us = tracerCpuUs(r);
      return us !== undefined && b.floorCpuUs !== undefined && b.floorCpuUs > 0 ? us / b.floorCpuUs : undefined;
    },
    digits: 2,
  },
  {
    key: 'tracer-cpu-warm-us',
    label: '   warm: a 2nd storm, same tracer',
    value: warmTracerCpuUs,
    digits: 2,
    target: { text: '<= 0.6', met: (v) => v <= 0.6 },
  },
  {
    key: 'tracer-cpu-warm-vs-c',
    label: '   warm ÷ the C reader floor',
    value: (r, b) => {
      const us = warmTracerCpuUs(r);
      return us !== undefined && b.warmFloorCpuUs !== undefined && b.warmFloorCpuUs > 0 ? us / b.warmFloorCpuUs : undefined;
    },
    digits: 2,
  },
  {
    key: 'lost',
    label: '4  lost (expected - printed)',
    value: (r) => (r.tool ? r.storm.connections - r.tool.printed : undefined),
    digits: 0,
    target: { text: '0', met: (v) => v === 0 },
  },
  {
    key: 'first-event-s',
    label: '5  spawn to first traced event, s',
    value: (r) => r.tool?.firstEventSeconds,
    digits: 3,
    target: { text: '<= bpftrace', met: (v, bt) => bt !== undefined && v <= bt },
  },
  { key: 'first-line-s', label: '   spawn to first line out, s', value: (r) => r.tool?.firstLineSeconds, digits: 3 },
  {
    key: 'peak-rss-mb',
    label: '6  peak RSS, MB',
    value: (r) => (r.tool ? r.tool.peakRssBytes / 1e6 : undefined),
    digits: 1,
    target: { text: '<= 50', met: (v) => v <= 50 },
  },
  {
    key: 'anon-rss-mb',
    label: '   anonymous RSS after, MB',
    value: (r) => (r.tool ? r.tool.anonymousRssBytes / 1e6 : undefined),
    digits: 1,
  },
  { key: 'getppid-ns', label: '7  getppid ns (attached, idle)', value: (r) => r.getppidNs, digits: 0, untraced: true },
  {
    key: 'getppid-added-ns',
    label: '   added vs untraced, ns',
    value: (r, b) => (r.tool ? r.getppidNs - b.getppidNs : undefined),
    digits: 0,
  },
];

function baselineOf(columns: Column[]): Baseline {
  const untraced = columns[0]!;
  const floor = columns.find((c) => c.tool?.key === 'c-reader');
  const floorCpu = floor === undefined ? [] : floor.runs.map(tracerCpuUs).filter((v): v is number => v !== undefined);
  const warmFloorCpu = floor === undefined ? [] : floor.runs.map(warmTracerCpuUs).filter((v): v is number => v !== undefined);
  return {
    cpuPerConnectionUs: median(untraced.runs.map(stormCpuUs)),
    rate: median(untraced.runs.map((r) => r.storm.rate)),
    getppidNs: median(untraced.runs.map((r) => r.getppidNs)),
    floorCpuUs: floorCpu.length > 0 ? median(floorCpu) : undefined,
    warmFloorCpuUs: warmFloorCpu.length > 0 ? median(warmFloorCpu) : undefined,
  };
}

function valuesOf(column: Column, row: RowSpec, baseline: Baseline): number[] {
  if (column.tool === undefined && !row.untraced) return [];
  return column.runs.map((r) => row.value(r, baseline)).filter((v): v is number => v !== undefined && Number.isFinite(v));
}

export function printMainTable(columns: Column[], options: BenchOptions): void {
  const baseline = baselineOf(columns);
  const ours = columns.find((c) => c.tool?.key === 'ts-default');
  const peer = columns.find((c) => c.tool?.key === 'bpftrace');
  const header = ['row', ...columns.map((c) => c.label)];
  if (ours && peer) header.push('ts/bpftrace');
  header.push('target (ts default)');
  const rows = ROWS.map((row) => {
    const cells = [row.label, ...columns.map((c) => formatSpread(valuesOf(c, row, baseline), row.digits))];
    const ourMedian = ours ? median(valuesOf(ours, row, baseline)) : Number.NaN;
    const peerMedian = peer ? median(valuesOf(peer, row, baseline)) : Number.NaN;
    // A ratio of two differences near zero says nothing: only ratios of positive figures.
    if (ours && peer) cells.push(ourMedian >= 0 && peerMedian > 0 ? formatNumber(ourMedian / peerMedian, 2) : '-');
    if (row.target && Number.isFinite(ourMedian)) {
      cells.push(
        `${row.target.text} ${row.target.met(ourMedian, Number.isFinite(peerMedian) ? peerMedian : undefined) ? 'met' : 'MISSED'}`,
      );
    } else cells.push(row.target?.text ?? '');
    return cells;
  });
  printTable(
    `Accept storm of ${options.connections} loopback connections (IPv4 + IPv6, ${options.clientsPerFamily} client processes per family), median ±half-range of ${options.repeats} repeat(s)`,
    header,
    rows,
  );
}

// The rows the idle pass repeats: what could grow with listeners and idle connections (start-up
// scans: row 5; per-event lookups: rows 3 and 4; the kernel's hash tables: rows 1b and 2 of the
// untraced storm; memory: row 6) and the in-kernel cost of the programs.
const IDLE_ROW_KEYS = ['kernel-ns', 'storm-cpu-us', 'rate', 'rate-ratio', 'tracer-cpu-us', 'lost', 'first-event-s', 'peak-rss-mb'];
const IDLE_ROWS = ROWS.filter((row) => IDLE_ROW_KEYS.includes(row.key));

/** Which columns the idle pass runs again: untraced, ts-tcpaccept's modes and bpftrace. */
export function idleColumnsOf(columns: Column[]): Column[] {
  return columns
    .filter((c) => c.tool === undefined || (c.tool.key.startsWith('ts-') && c.tool.key !== 'ts-ffi-napi') || c.tool.key === 'bpftrace')
    .map((c) => ({ ...(c.tool ? { tool: c.tool } : {}), label: c.label, runs: [] }));
}

/** The idle pass: what the load was and what it measured. */
interface IdlePass {
  load: IdleLoadReport;
  columns: Column[];
  scansWithout: ScanTiming[];
  scansWith: ScanTiming[];
}

const keyOf = (column: Column) => column.tool?.key ?? 'untraced';

/** Each row with the idle load next to the same row without it, and the ratio of the two. */
export function printIdleTable(columns: Column[], idle: IdlePass, options: BenchOptions): void {
  const baseline = baselineOf(columns);
  const idleBaseline = baselineOf(idle.columns);
  const without = new Map(columns.map((c) => [keyOf(c), c]));
  const rows: string[][] = [];
  for (const row of IDLE_ROWS) {
    const pairs = idle.columns.map((c) => {
      const before = without.get(keyOf(c));
      return { before: before ? valuesOf(before, row, baseline) : [], after: valuesOf(c, row, idleBaseline) };
    });
    rows.push([row.label, ...pairs.map((p) => formatSpread(p.before, row.digits))]);
    rows.push(['   with idle load', ...pairs.map((p) => formatSpread(p.after, row.digits))]);
    rows.push([
      '   idle ÷ without',
      ...pairs.map((p) => {
        const a = median(p.after);
        const b = median(p.before);
        return Number.isFinite(a) && b > 0 && a >= 0 ? formatNumber(a / b, 2) : '-';
      }),
    ]);
  }
  const { load } = idle;
  printTable(
    `Idle pass: the same storms with ${formatNumber(load.listeners, 0)} listeners (${load.ipv6Listeners} on ::1) + ${formatNumber(load.connections, 0)} accepted idle connections open ` +
      `(bench/idle.py: ${load.processes} processes, ${formatNumber(load.descriptors, 0)} fds, set up in ${formatNumber(load.setupSeconds, 1)} s), ` +
      `median ±half-range of ${options.idleRepeats} repeat(s) with it, ${options.repeats} without`,
    ['row', ...idle.columns.map((c) => c.label)],
    rows,
  );
  printTable(
    "The tool's start-up scans, timed in the bench process (median of 3), without and with the idle load",
    ['scan', 'without, ms', 'with, ms', 'with ÷ without', 'items without', 'items with'],
    idle.scansWithout.map((before, i) => {
      const after = idle.scansWith[i]!;
      return [
        before.label,
        formatNumber(before.ms, 1),
        formatNumber(after.ms, 1),
        before.ms > 0 ? formatNumber(after.ms / before.ms, 1) : '-',
        formatNumber(before.items, 0),
        formatNumber(after.items, 0),
      ];
    }),
  );
}

function rowsOf(columns: Column[], specs: readonly RowSpec[]): ResultRows {
  const baseline = baselineOf(columns);
  const rows: ResultRows = {};
  for (const row of specs) {
    const cells: Record<string, ResultCell> = {};
    for (const column of columns) {
      const values = valuesOf(column, row, baseline);
      if (values.length === 0) continue;
      cells[column.tool?.key ?? 'untraced'] = {
        median: median(values),
        min: Math.min(...values),
        max: Math.max(...values),
        n: values.length,
      };
    }
    rows[row.key] = { label: row.label.trim(), cells };
  }
  return rows;
}

/** The run as a result file: every row's median and range per column. */
export function resultOf(
  columns: Column[],
  options: BenchOptions,
  machine: StormResultFile['machine'],
  notes: string[],
  idle?: IdlePass,
): StormResultFile {
  const rows = rowsOf(columns, ROWS);
  let idleResult: IdleResult | undefined;
  if (idle !== undefined) {
    const scans: IdleResult['scans'] = {};
    idle.scansWithout.forEach((before, i) => {
      const after = idle.scansWith[i]!;
      scans[before.key] = {
        label: before.label,
        withoutMs: before.ms,
        withMs: after.ms,
        withoutItems: before.items,
        withItems: after.items,
      };
    });
    idleResult = {
      listeners: idle.load.listeners,
      connections: idle.load.connections,
      processes: idle.load.processes,
      setupSeconds: idle.load.setupSeconds,
      repeats: options.idleRepeats,
      columns: idle.columns.map((c) => ({ key: keyOf(c), label: c.label })),
      rows: rowsOf(idle.columns, IDLE_ROWS),
      scans,
    };
  }
  return {
    format: RESULT_FORMAT,
    date: new Date().toISOString(),
    machine,
    storm: { connections: options.connections, repeats: options.repeats, clientsPerFamily: options.clientsPerFamily },
    columns: columns.map((c) => ({ key: c.tool?.key ?? 'untraced', label: c.label })),
    rows,
    notes,
    ...(idleResult ? { idle: idleResult } : {}),
  };
}

/** What a reader of the numbers should know about each column's runs, as "label: note; note". */
function notesOf(columns: Column[]): string[] {
  const out: string[] = [];
  for (const column of columns) {
    const notes = new Set<string>();
    const foreign = column.runs.filter((r) => (r.foreignSyscallTracepoints ?? 0) > 0).length;
    if (foreign > 0)
      notes.add(
        `row 7 taken while another process had a syscall tracepoint attached in ${foreign} of ${column.runs.length} runs (inflates it)`,
      );
    for (const run of column.runs) {
      if (run.storm.failures > 0) notes.add(`${run.storm.failures} storm connections failed`);
      if (run.tool?.killed)
        notes.add(
          `ignored SIGINT for 10 s after the storm and was killed, in ${column.runs.filter((r) => r.tool?.killed).length} of ${column.runs.length} runs`,
        );
      for (const line of (run.tool?.stderr ?? '').split('\n')) {
        if (/lost/i.test(line)) notes.add(line.trim());
      }
    }
    if (notes.size > 0) out.push(`${column.label}: ${[...notes].slice(0, 3).join('; ')}`);
  }
  return out;
}

function printFfiTable(): void {
  const rows: string[][] = [];
  for (const name of ['koffi', 'ffi-napi'] as const) {
    try {
      loadFfiBackend(name);
      rows.push([name, formatNumber(getppidNs(name), 0)]);
    } catch (error) {
      rows.push([name, `unavailable: ${(error as Error).message.split('\n')[0]}`]);
    }
  }
  printTable('FFI backends: ns per getppid() call through the backend, untraced (fastest of 7 batches)', ['backend', 'ns/call'], rows);
}

async function printDrainTable(): Promise<void> {
  const drains = [...syntheticDrains(), await iteratorDrain('batches')];
  printTable(
    'Ring reader, synthetic drain of 88-byte records (bench/ring.ts; full ring bench: node --import tsx bench/ring.ts)',
    ['reader', 'M records/s'],
    drains.map((d) => [d.name, formatNumber(d.recordsPerSecond / 1e6, 2)]),
  );
}

/** Opens the idle load, runs the idle columns with it (interleaved), closes it. */
async function idlePass(columns: Column[], options: BenchOptions, storm: StormOptions, dir: string): Promise<IdlePass> {
  const started = Date.now();
  const scansWithout = timeScans();
  process.stderr.write(
    `idle pass: opening ${options.idleListeners} listeners and ${options.idleListeners * options.idlePerListener} idle connections...\n`,
  );
  const load = await startIdleLoad({ listeners: options.idleListeners, perListener: options.idlePerListener });
  const idleColumns = idleColumnsOf(columns);
  let scansWith: ScanTiming[];
  try {
    process.stderr.write(`idle pass: ${load.report.descriptors} fds open in ${load.report.setupSeconds} s\n`);
    scansWith = timeScans();
    for (let repeat = 0; repeat < options.idleRepeats; repeat++) {
      for (const column of idleColumns) {
        process.stderr.write(`idle pass, repeat ${repeat + 1}/${options.idleRepeats}: ${column.label}...\n`);
        column.runs.push(column.tool ? await runTraced(column.tool, storm, dir) : await runUntraced(storm));
      }
    }
  } finally {
    const closeSeconds = await load.stop();
    process.stderr.write(`idle pass: closed in ${closeSeconds} s; the pass took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return { load: load.report, columns: idleColumns, scansWithout, scansWith };
}

export async function main(argv: string[]): Promise<void> {
  const options = parseBenchArgs(argv);
  const unavailable = kernelUnavailableReason();
  if (unavailable !== undefined) {
    process.stderr.write(`bench: cannot trace here: ${unavailable}\n`);
    process.exit(1);
  }
  if (options.build) build();
  else if (!existsSync(binPath)) usage(`--no-build, but ${binPath} is missing: run npm run build`);

  const version = options.bpftrace ? bpftraceVersion() : undefined;
  const loadBefore = loadAverage();
  if (options.bpftrace && version === undefined) {
    console.log('note: bpftrace is not installed: the comparison column is skipped (apt-get install bpftrace to include it)');
  }
  console.log(
    `ts-tcpaccept bench: ${cpus().length} CPUs, Node ${process.version}${version ? `, ${version}` : ''}; load average before: ${loadBefore}`,
  );
  const foreign = syscallTracepointAttachments();
  if (foreign !== undefined && foreign.length > 0) {
    console.log(
      `warning: other syscall tracepoints are attached (${foreign.map((f) => `${f.tracepoint} by pid ${f.pid}`).join(', ')}): the untraced getppid baseline is not untraced`,
    );
  }

  const columns: Column[] = [{ label: 'untraced', runs: [] }];
  for (const mode of options.modes)
    columns.push({ tool: tsTcpaccept(`ts-${mode}`, MODES[mode]!.label, MODES[mode]!.args), label: MODES[mode]!.label, runs: [] });
  if (options.ffiNapi)
    columns.push({ tool: tsTcpaccept('ts-ffi-napi', 'ts ffi-napi', ['--ffi', 'ffi-napi']), label: 'ts ffi-napi', runs: [] });
  if (options.cReader) {
    const built = buildCReader();
    if ('path' in built) columns.push({ tool: cReader(built.path), label: 'C reader (floor)', runs: [] });
    else console.log(`note: the C reader floor column is skipped: ${built.unavailable}`);
  }
  if (version !== undefined) columns.push({ tool: bpftrace(), label: 'bpftrace', runs: [] });

  const storm: StormOptions = { connections: options.connections, clientsPerFamily: options.clientsPerFamily };
  const dir = scratchDir();
  const stats = enableStats(); // run_time_ns accounting, machine-wide, while this handle is open
  let idle: IdlePass | undefined;
  try {
    // Interleaved, so a burst of load from elsewhere spreads over every column.
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const column of columns) {
        process.stderr.write(`repeat ${repeat + 1}/${options.repeats}: ${column.label}...\n`);
        column.runs.push(column.tool ? await runTraced(column.tool, storm, dir, { warmStorm: true }) : await runUntraced(storm));
      }
    }
    if (options.idle) idle = await idlePass(columns, options, storm, dir);
  } finally {
    stats.close();
    rmSync(dir, { recursive: true, force: true });
  }
  printMainTable(columns, options);
  if (idle !== undefined) printIdleTable(columns, idle, options);
  const notes = [...notesOf(columns), ...(idle ? notesOf(idle.columns).map((note) => `idle pass, ${note}`) : [])];
  for (const note of notes) console.log(`  ${note}`);
  printFfiTable();
  await printDrainTable();
  // The io_uring programs on an ordinary accept storm (issue #18: below 50 ns per connection).
  console.log('');
  await printIoUringCost(options.connections, options.repeats);
  const loadAfter = loadAverage();
  console.log(`\nload average after: ${loadAfter}`);
  if (options.save !== undefined) {
    const machine = {
      cpus: cpus().length,
      kernel: release(),
      node: process.version,
      ...(version ? { bpftrace: version } : {}),
      loadBefore,
      loadAfter,
    };
    writeFileSync(options.save, `${JSON.stringify(resultOf(columns, options, machine, notes, idle), null, 2)}\n`);
    console.log(`medians written to ${options.save} (regenerate the README table: node --import tsx scripts/gen-docs.ts)`);
  }
}

await main(process.argv.slice(2));
