// The README's performance table is rendered from a bench result file (bench/results.ts), not
// typed: these check the rendering on a synthetic file and the errors on a broken one. That
// the README matches the committed bench/results/storm.json is checked by test/docs
// (scripts/gen-docs.ts --check).
import t from 'tap';
import { READABLE_FORMATS, RESULT_FORMAT, parseStormResult, readmePerformanceTable, type StormResultFile } from '../../bench/results.ts';

const cell = (median: number, min = median, max = median, n = 3) => ({ median, min, max, n });

function synthetic(): StormResultFile {
  const both = (ts: number, bt: number) => ({ 'ts-default': cell(ts), bpftrace: cell(bt) });
  return {
    format: RESULT_FORMAT,
    date: '2026-12-01T13:00:00.000Z',
    machine: {
      cpus: 2,
      kernel: '6.18.44',
      node: 'v20.20.2',
      bpftrace: 'bpftrace v0.17.0',
      loadBefore: '0.5 0.4 0.3',
      loadAfter: '1.0 0.8 0.5',
    },
    storm: { connections: 100_000, repeats: 3, clientsPerFamily: 2 },
    columns: [
      { key: 'untraced', label: 'untraced' },
      { key: 'ts-default', label: 'ts default' },
      { key: 'bpftrace', label: 'bpftrace' },
    ],
    rows: {
      'kernel-ns': { label: '1a', cells: both(304.4, 21458) },
      'storm-cpu-added-us': { label: 'added', cells: both(0.354, 28.353) },
      'rate-ratio': { label: 'ratio', cells: { 'ts-default': cell(0.92, 0.9, 0.95), bpftrace: cell(0.35, 0.35, 0.35, 1) } },
      'tracer-cpu-us': { label: 'cpu', cells: both(2.5, 5.3) },
      'tracer-cpu-warm-us': { label: 'warm', cells: both(0.71, 5.1) },
      lost: { label: 'lost', cells: both(0, 4188) },
      'first-event-s': { label: 'first', cells: both(0.0912, 0.045) },
      'peak-rss-mb': { label: 'rss', cells: both(64.6, 105.2) },
      'getppid-added-ns': { label: 'getppid', cells: { 'ts-default': cell(74), bpftrace: cell(-1) } },
    },
    notes: [],
  };
}

t.test('renders one row per README figure from the medians, with units and signs', async (t) => {
  const table = readmePerformanceTable(synthetic(), 'bench/results/storm.json').split('\n');
  t.equal(table[0], '| | ts-tcpaccept | bpftrace |', 'only the columns the file has, in README order');
  t.equal(table[2], '| BPF time per accepted connection (`run_time_ns`) | 304 ns | 21 458 ns |', 'rounded, thousands spaced');
  t.equal(table[3], '| CPU added to the traced storm per connection | +0.35 µs | +28.35 µs |', 'differences carry a sign');
  t.equal(table[4], '| storm rate ÷ untraced (range over repeats) | 0.92 (0.90–0.95) | 0.35 |', 'the range where repeats differ');
  t.equal(table[6], '| tracer CPU per event, warm (a second storm) | 0.71 µs | 5.10 µs |', 'the warm figure next to the fresh one');
  t.equal(table[10], '| added to an unrelated `getppid()` while attached | +74 ns | -1 ns |', 'a negative difference keeps its own sign');
  t.match(
    table.at(-1)!,
    /^Medians of 3 storms of 100 000 connections, 2026-12-01: 2 CPUs, Linux 6\.18\.44, Node v20\.20\.2, bpftrace v0\.17\.0, load average 0\.5 0\.4 0\.3 before and 1\.0 0\.8 0\.5 after\. From \[bench\/results\/storm\.json\]/,
    'says where and when it was measured',
  );
});

t.test('notes of the run follow the table; a difference rounded to zero has no sign', async (t) => {
  const result = synthetic();
  result.notes = ['bpftrace: Lost 12 events'];
  result.rows['getppid-added-ns']!.cells['ts-default'] = cell(-0.3);
  const text = readmePerformanceTable(result, 's.json');
  t.match(text, /\| added to an unrelated `getppid\(\)` while attached \| 0 ns \| -1 ns \|/);
  t.match(text, /Noticed during that run:\n\n- bpftrace: Lost 12 events$/);
});

t.test('a file without a row the README needs is refused, naming the row', async (t) => {
  const result = synthetic();
  delete result.rows['peak-rss-mb'];
  t.throws(() => readmePerformanceTable(result, 'x.json'), /x\.json: no row "peak-rss-mb" \(re-run npm run bench -- --save x\.json\)/);
});

t.test('a file of another format or shape is refused', async (t) => {
  t.throws(
    () => parseStormResult('{"format":"other/1"}', 'a.json'),
    /a\.json: format is "other\/1", expected one of ts-tcpaccept-bench-storm\/1, ts-tcpaccept-bench-storm\/2/,
  );
  t.throws(() => parseStormResult(JSON.stringify({ format: RESULT_FORMAT, date: 'x' }), 'b.json'), /b\.json: no "machine"/);
  const result = synthetic();
  result.columns = result.columns.filter((c) => c.key !== 'ts-default');
  t.throws(() => readmePerformanceTable(result, 'c.json'), /c\.json: no ts-default column/);
});

/** The synthetic file with an idle pass: the same rows measured with the idle load open. */
function withIdle(): StormResultFile {
  const result = synthetic();
  const both = (ts: number, bt: number) => ({ 'ts-default': cell(ts), bpftrace: cell(bt) });
  result.idle = {
    listeners: 1000,
    connections: 100_000,
    processes: 11,
    setupSeconds: 4.42,
    repeats: 2,
    columns: result.columns,
    rows: {
      'first-event-s': { label: 'first', cells: both(2.351, 0.045) },
      'tracer-cpu-us': { label: 'cpu', cells: { 'ts-default': cell(2.5) } },
      'rate-ratio': { label: 'ratio', cells: both(0.46, 0.35) },
      lost: { label: 'lost', cells: both(20_000, 4188) },
      'peak-rss-mb': { label: 'rss', cells: both(175.3, 105.2) },
    },
    scans: { 'owner-rescan': { label: 'scan', withoutMs: 12, withMs: 2054, withoutItems: 14, withItems: 201_018 } },
  };
  return result;
}

t.test('an idle pass adds its rows after the others, each with its ratio to the same row without the load', async (t) => {
  const table = readmePerformanceTable(withIdle(), 'storm.json').split('\n');
  t.equal(
    table[11],
    '| spawn to first traced event, with 1 000 listeners + 100 000 idle connections | 2.351 s (×25.78) | 0.045 s (×1.00) |',
    'idle figure (× idle ÷ without)',
  );
  t.equal(
    table[12],
    '| tracer CPU per event, with 1 000 listeners + 100 000 idle connections | 2.50 µs (×1.00) | - |',
    'a column the pass has no number for is "-"',
  );
  t.equal(table[14], '| events lost, with 1 000 listeners + 100 000 idle connections | 20 000 | 4 188 |', 'no ratio for counts of losses');
  t.equal(table[15], '| peak RSS, with 1 000 listeners + 100 000 idle connections | 175 MB (×2.71) | 105 MB (×1.00) |');
  t.match(
    table.join('\n'),
    /The rows "with 1 000 listeners \+ 100 000 idle connections": the same storms, medians of 2, .*\(bench\/idle\.py, 11 processes, set up in 4\.4 s\)/,
    'says what the idle load was',
  );
});

t.test('a file without an idle pass renders as before; an idle pass in a /1 file or without its rows is refused', async (t) => {
  const old = { ...synthetic(), format: READABLE_FORMATS[0] };
  const parsed = parseStormResult(JSON.stringify(old), 'old.json');
  t.equal(readmePerformanceTable(parsed, 'old.json'), readmePerformanceTable(synthetic(), 'old.json'), 'a /1 file: the same table');
  t.notMatch(readmePerformanceTable(parsed, 'old.json'), /idle/, 'no idle rows');
  t.throws(
    () => parseStormResult(JSON.stringify({ ...withIdle(), format: READABLE_FORMATS[0] }), 'd.json'),
    /d\.json: format ts-tcpaccept-bench-storm\/1 has no "idle" section/,
  );
  const broken = withIdle();
  delete (broken.idle as Partial<NonNullable<StormResultFile['idle']>>).scans;
  t.throws(() => parseStormResult(JSON.stringify(broken), 'e.json'), /e\.json: no "idle\.scans"/);
  const missing = withIdle();
  delete missing.idle!.rows['peak-rss-mb'];
  t.throws(() => readmePerformanceTable(missing, 'f.json'), /f\.json: no idle row "peak-rss-mb"/);
});
