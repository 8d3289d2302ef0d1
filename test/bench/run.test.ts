// Smoke run of `npm run bench` with a tiny storm: the script must run end to end against the
// real kernel and print its table with a number in every cell it promises.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { kernelTest } from '../helpers/kernel.ts';
import { parseStormResult, readmePerformanceTable } from '../../bench/results.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The main table as rows of cells keyed by column header (cells are separated by 2+ spaces). */
function mainTable(output: string): Map<string, Map<string, string>> {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith('row '));
  if (start < 0) throw new Error(`no table in the output:\n${output}`);
  const header = lines[start]!.trim().split(/\s{2,}/);
  const rows = new Map<string, Map<string, string>>();
  const labelWidth = lines[start + 1]!.indexOf(' '); // the first run of dashes
  for (const line of lines.slice(start + 2)) {
    if (line.trim() === '') break;
    const label = line.slice(0, labelWidth).trim();
    const cells = line
      .slice(labelWidth)
      .trim()
      .split(/\s{2,}/);
    rows.set(label, new Map(header.slice(1).map((name, i) => [name, cells[i] ?? ''])));
  }
  return rows;
}

const numeric = (cell: string | undefined) => /^-?[0-9][0-9 ]*(\.[0-9]+)?( ±[0-9][0-9 ]*(\.[0-9]+)?)?$/.test(cell ?? '');
const valueOf = (cell: string | undefined) => Number((cell ?? '').split('±')[0]!.replace(/ /g, ''));

t.test('npm run bench with 500 connections prints the table', kernelTest(), async (t) => {
  const bin = join(root, 'dist', 'bin', 'ts-tcpaccept.cjs');
  t.ok(existsSync(bin), 'dist/bin/ts-tcpaccept.cjs, the bin the bench runs, exists (npm test builds it first)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-save-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const saved = join(dir, 'storm.json');
  const bench = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'bench', 'run.ts'),
      '--connections',
      '500',
      '--repeats',
      '1',
      '--modes',
      'default',
      '--no-ffi-napi',
      '--no-build',
      '--quick',
      '--no-idle', // the idle pass has its own test below
      '--save',
      saved,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 55_000,
    },
  );
  t.equal(bench.status, 0, `bench exits 0; stderr:\n${bench.stderr}`);
  const table = mainTable(bench.stdout);

  for (const label of ['1b storm CPU us/conn', '2  storm rate, conn/s', '7  getppid ns (attached, idle)']) {
    t.ok(numeric(table.get(label)?.get('untraced')), `untraced: ${label} is a number (${table.get(label)?.get('untraced')})`);
  }
  for (const [label] of table) {
    // A ratio to the C reader's CPU, which 500 connections leave at 0 ticks (10 ms resolution).
    if (label === '' || label === '÷ the C reader floor') continue;
    t.ok(numeric(table.get(label)?.get('ts default')), `ts default: ${label} is a number (${table.get(label)?.get('ts default')})`);
  }
  t.equal(
    valueOf(table.get('4  lost (expected - printed)')?.get('ts default')),
    0,
    'ts-tcpaccept printed every one of the 500 connections',
  );
  t.ok(valueOf(table.get('1a in-kernel ns/conn (run_time_ns)')?.get('ts default')) > 0, 'run_time_ns was counted for its programs');
  const hasBpftrace = spawnSync('bpftrace', ['--version']).status === 0;
  if (hasBpftrace) t.ok(numeric(table.get('1a in-kernel ns/conn (run_time_ns)')?.get('bpftrace')), 'the bpftrace column is filled');
  else t.match(bench.stdout, /bpftrace is not installed: the comparison column is skipped/, 'says the comparison is skipped');
  const hasGcc = spawnSync('gcc', ['--version']).status === 0;
  if (hasGcc)
    t.equal(valueOf(table.get('4  lost (expected - printed)')?.get('C reader (floor)')), 0, 'the C reader floor printed every connection');
  else t.match(bench.stdout, /the C reader floor column is skipped: no gcc/, 'says the C reader floor is skipped');
  t.match(bench.stdout, /FFI backends/, 'prints the FFI table');
  t.match(bench.stdout, /perf ring, PerfRing\.read\s+[0-9.]+/, 'prints the synthetic drain rate');

  // --save: the same medians as JSON, which the README's table is generated from.
  const result = parseStormResult(readFileSync(saved, 'utf8'), saved);
  t.equal(result.storm.connections, 500, 'the file says how big the storms were');
  t.same(result.columns.map((c) => c.key).slice(0, 2), ['untraced', 'ts-default'], 'columns in table order, by key');
  const lostCell = result.rows.lost?.cells['ts-default'];
  t.equal(
    lostCell?.median,
    valueOf(table.get('4  lost (expected - printed)')?.get('ts default')),
    'the saved lost count is the printed one',
  );
  const rateCell = result.rows.rate?.cells.untraced;
  t.equal(
    Math.round(rateCell?.median ?? -1),
    valueOf(table.get('2  storm rate, conn/s')?.get('untraced')),
    'the saved untraced rate is the printed one',
  );
  const readme = readmePerformanceTable(result, 'storm.json');
  t.notMatch(
    readme
      .split('\n')
      .slice(2, 10)
      .map((line) => line.split('|')[2])
      .join(''),
    /-\s*$/m,
    'every README row has a ts-tcpaccept figure',
  );
});

/** Processes running bench/idle.py (the idle load must be gone when the bench exits). */
function idleLoadProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('bench/idle.py')) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

t.test('the idle pass, with a small idle load, prints its table and saves its rows', kernelTest(), async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-idle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const saved = join(dir, 'storm.json');
  const bench = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'bench', 'run.ts'),
      '--connections',
      '300',
      '--repeats',
      '1',
      '--modes',
      'default',
      '--no-ffi-napi',
      '--no-c-reader',
      '--no-bpftrace',
      '--no-build',
      '--idle-listeners',
      '10',
      '--idle-per-listener',
      '5',
      '--save',
      saved,
    ],
    { cwd: root, encoding: 'utf8', timeout: 55_000 },
  );
  t.equal(bench.status, 0, `bench exits 0; stderr:\n${bench.stderr}`);
  t.match(
    bench.stdout,
    /Idle pass: the same storms with 10 listeners \(5 on ::1\) \+ 50 accepted idle connections open/,
    'idle table title',
  );
  const lines = bench.stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Idle pass'));
  const idleRows = lines.slice(start + 3, lines.indexOf('', start));
  const cells = (label: string) =>
    idleRows
      .filter((line) => line.startsWith(label))
      .map((line) =>
        line
          .slice(label.length)
          .trim()
          .split(/\s{2,}/),
      );
  for (const row of cells('   with idle load')) t.equal(row.length, 2, `a cell per column (untraced, ts default): ${row.join(' | ')}`);
  t.ok(
    cells('   with idle load').some((row) => numeric(row[1])),
    'ts default has numbers with the idle load',
  );
  t.match(bench.stdout, /owner scan, cold: sock_diag \+ \/proc\/\*\/fd/, 'times the start-up scans');
  t.same(idleLoadProcesses(), [], 'no idle.py process is left');

  const result = parseStormResult(readFileSync(saved, 'utf8'), saved);
  t.equal(result.idle?.listeners, 10, 'the file says how many listeners');
  t.equal(result.idle?.connections, 50, 'and idle connections');
  t.equal(result.idle?.rows.lost?.cells['ts-default']?.median, 0, 'ts default lost nothing with the idle load');
  t.ok(
    (result.idle?.scans['owner-rescan']?.withItems ?? 0) > (result.idle?.scans['owner-rescan']?.withoutItems ?? 0),
    'more sockets with the load',
  );
  t.match(
    readmePerformanceTable(result, 'storm.json'),
    /\| spawn to first traced event, with 10 listeners \+ 50 idle connections \| [0-9.]+ s \(×[0-9.]+\) \|/,
  );
});
