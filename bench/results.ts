// The storm bench's result file: what `npm run bench -- --save FILE` writes, and the one place
// the README's performance table comes from (scripts/gen-docs.ts renders it; test/docs checks
// that the README matches the committed file). Nothing here measures: it only shapes numbers a
// run measured.
import { formatNumber } from './stats.ts';

/**
 * The format this bench writes. /2 added the optional `idle` section (the idle pass); a /1 file
 * is a /2 file without it, so both are read.
 */
export const RESULT_FORMAT = 'ts-tcpaccept-bench-storm/2';
export const READABLE_FORMATS = ['ts-tcpaccept-bench-storm/1', RESULT_FORMAT] as const;
export type ResultFormat = (typeof READABLE_FORMATS)[number];

/** Median and range of one row in one column over the run's repeats. */
export interface ResultCell {
  median: number;
  min: number;
  max: number;
  /** How many repeats gave a number. */
  n: number;
}

/** Row key -> column key -> cell. Rows a column has no number for are absent. */
export type ResultRows = Record<string, { label: string; cells: Record<string, ResultCell> }>;

/**
 * The idle pass: the same storms again with bench/idle.py's listeners and idle connections
 * open (started before the tool), and the tool's start-up scans timed without and with them.
 */
export interface IdleResult {
  listeners: number;
  connections: number;
  /** Processes holding them (RLIMIT_NOFILE may keep one process from holding all). */
  processes: number;
  setupSeconds: number;
  repeats: number;
  columns: { key: string; label: string }[];
  /** Same row keys and cells as the file's rows, measured with the idle load present. */
  rows: ResultRows;
  /** Scan key -> wall milliseconds (median) and what it went through, without and with the load. */
  scans: Record<string, { label: string; withoutMs: number; withMs: number; withoutItems: number; withItems: number }>;
}

export interface StormResultFile {
  format: ResultFormat;
  /** ISO time the run ended. */
  date: string;
  machine: { cpus: number; kernel: string; node: string; bpftrace?: string; loadBefore: string; loadAfter: string };
  storm: { connections: number; repeats: number; clientsPerFamily: number };
  /** Columns in table order: key (e.g. untraced, ts-default, ts-q, bpftrace) and label. */
  columns: { key: string; label: string }[];
  rows: ResultRows;
  /** What the run noticed that bends its numbers (another tracer attached, losses), per column. */
  notes: string[];
  /** Format /2, when the run had its idle pass (not --no-idle). */
  idle?: IdleResult;
}

/** Reads and checks a result file's shape, naming what is wrong. */
export function parseStormResult(text: string, name: string): StormResultFile {
  const value = JSON.parse(text) as Partial<StormResultFile>;
  if (!READABLE_FORMATS.some((f) => f === value.format))
    throw new Error(`${name}: format is ${JSON.stringify(value.format)}, expected one of ${READABLE_FORMATS.join(', ')}`);
  for (const key of ['date', 'machine', 'storm', 'columns', 'rows', 'notes'] as const) {
    if (value[key] === undefined) throw new Error(`${name}: no "${key}"`);
  }
  if (value.idle !== undefined) {
    if (value.format === READABLE_FORMATS[0]) throw new Error(`${name}: format ${READABLE_FORMATS[0]} has no "idle" section`);
    for (const key of ['listeners', 'connections', 'repeats', 'columns', 'rows', 'scans'] as const) {
      if (value.idle[key] === undefined) throw new Error(`${name}: no "idle.${key}"`);
    }
  }
  return value as StormResultFile;
}

/** One README row: which result row, how to print it, in what unit. */
interface ReadmeRow {
  label: string;
  row: string;
  digits: number;
  unit: string;
  /** Print a leading + (a difference against untraced). */
  signed?: boolean;
  /** Also print the range over repeats: for figures that move from run to run. */
  range?: boolean;
}

// The rows a reader of the README cares about, in the order they read best. Each names a row
// key of bench/run.ts's table; a key missing from the file stops the generator.
const README_ROWS: readonly ReadmeRow[] = [
  { label: 'BPF time per accepted connection (`run_time_ns`)', row: 'kernel-ns', digits: 0, unit: ' ns' },
  { label: 'CPU added to the traced storm per connection', row: 'storm-cpu-added-us', digits: 2, unit: ' µs', signed: true },
  { label: 'storm rate ÷ untraced (range over repeats)', row: 'rate-ratio', digits: 2, unit: '', range: true },
  { label: 'tracer CPU per event, fresh tracer (first storm)', row: 'tracer-cpu-us', digits: 2, unit: ' µs' },
  { label: 'tracer CPU per event, warm (a second storm)', row: 'tracer-cpu-warm-us', digits: 2, unit: ' µs' },
  { label: 'events lost', row: 'lost', digits: 0, unit: '' },
  { label: 'spawn to first traced event', row: 'first-event-s', digits: 3, unit: ' s' },
  { label: 'peak RSS', row: 'peak-rss-mb', digits: 0, unit: ' MB' },
  { label: 'added to an unrelated `getppid()` while attached', row: 'getppid-added-ns', digits: 0, unit: ' ns', signed: true },
];

// The rows the idle pass repeats in the README, each with its ratio to the same row without
// the idle load: the answer to "does anything scale with them?".
const IDLE_README_ROWS: readonly (ReadmeRow & { ratio: boolean })[] = [
  { label: 'spawn to first traced event', row: 'first-event-s', digits: 3, unit: ' s', ratio: true },
  { label: 'tracer CPU per event', row: 'tracer-cpu-us', digits: 2, unit: ' µs', ratio: true },
  { label: 'storm rate ÷ untraced', row: 'rate-ratio', digits: 2, unit: '', ratio: true },
  { label: 'events lost', row: 'lost', digits: 0, unit: '', ratio: false },
  { label: 'peak RSS', row: 'peak-rss-mb', digits: 0, unit: ' MB', ratio: true },
];

/** The tools the README compares, by column key; columns the file lacks are left out. */
const README_COLUMNS: readonly { key: string; label: string }[] = [
  { key: 'ts-default', label: 'ts-tcpaccept' },
  { key: 'ts-json', label: 'ts-tcpaccept --json' },
  { key: 'ts-q', label: 'ts-tcpaccept -q' },
  { key: 'ts-handshake', label: 'ts-tcpaccept --handshake' },
  { key: 'bpftrace', label: 'bpftrace' },
];

function cellText(cell: ResultCell | undefined, row: ReadmeRow): string {
  if (cell === undefined) return '-';
  // Rounding can leave a minus on zero ("-0 ns"): a difference that small has no sign.
  const text = formatNumber(cell.median, row.digits).replace(/^-(0(\.0+)?)$/, '$1');
  const range = row.range && cell.n > 1 ? ` (${formatNumber(cell.min, row.digits)}–${formatNumber(cell.max, row.digits)})` : '';
  return `${row.signed && cell.median >= 0 ? '+' : ''}${text}${row.unit}${range}`;
}

/** The README's performance table (Markdown) and the line that says where it was measured. */
export function readmePerformanceTable(result: StormResultFile, source: string): string {
  const columns = README_COLUMNS.filter((c) => result.columns.some((r) => r.key === c.key));
  if (!columns.some((c) => c.key === 'ts-default')) throw new Error(`${source}: no ts-default column`);
  const lines = [`| | ${columns.map((c) => c.label).join(' | ')} |`, `|---|${columns.map(() => '---:').join('|')}|`];
  for (const row of README_ROWS) {
    const measured = result.rows[row.row];
    if (measured === undefined) throw new Error(`${source}: no row "${row.row}" (re-run npm run bench -- --save ${source})`);
    lines.push(`| ${row.label} | ${columns.map((c) => cellText(measured.cells[c.key], row)).join(' | ')} |`);
  }
  const idle = result.idle;
  if (idle !== undefined) {
    const load = `${formatNumber(idle.listeners, 0)} listeners + ${formatNumber(idle.connections, 0)} idle connections`;
    for (const row of IDLE_README_ROWS) {
      const measured = idle.rows[row.row];
      if (measured === undefined) throw new Error(`${source}: no idle row "${row.row}" (re-run npm run bench -- --save ${source})`);
      const cells = columns.map((c) => {
        const cell = measured.cells[c.key];
        const without = result.rows[row.row]?.cells[c.key]?.median;
        const ratio =
          row.ratio && cell !== undefined && without !== undefined && without > 0 ? ` (×${formatNumber(cell.median / without, 2)})` : '';
        return `${cellText(cell, row)}${ratio}`;
      });
      lines.push(`| ${row.label}, with ${load} | ${cells.join(' | ')} |`);
    }
  }
  const { machine, storm } = result;
  lines.push(
    '',
    `Medians of ${storm.repeats} storms of ${formatNumber(storm.connections, 0)} connections, ${result.date.slice(0, 10)}: ` +
      `${machine.cpus} CPUs, Linux ${machine.kernel}, Node ${machine.node}${machine.bpftrace ? `, ${machine.bpftrace}` : ''}, ` +
      `load average ${machine.loadBefore} before and ${machine.loadAfter} after. From [${source}](${source}), written by \`npm run bench -- --save ${source}\`.`,
  );
  if (idle !== undefined) {
    lines.push(
      '',
      `The rows "with ${formatNumber(idle.listeners, 0)} listeners + ${formatNumber(idle.connections, 0)} idle connections": the same storms, ` +
        `medians of ${idle.repeats}, with that many loopback listeners and accepted, idle connections open (bench/idle.py, ` +
        `${idle.processes} processes, set up in ${formatNumber(idle.setupSeconds, 1)} s) before the tool starts; (×N) is that figure ÷ the one without them.`,
    );
  }
  if (result.notes.length > 0) lines.push('', 'Noticed during that run:', '', ...result.notes.map((note) => `- ${note}`));
  return lines.join('\n');
}
