// -c and -H: the tables and JSON objects of the in-kernel summaries, one set per interval.
// Pure apart from the two read functions it is given (the tracer's map walks), so the layout
// and the interval arithmetic are tested without a kernel.
import { IntervalDiff, slotRange, type CountEntry, type HistEntry } from '../src/internal.ts';
import { clock, isoTime } from './format.ts';

/** One row of a -c table: an entry and its connections in this interval. */
export interface CountRow {
  entry: CountEntry;
  count: number;
  /** count / the interval's total of the row's listener (an SO_REUSEPORT group counts as one). */
  share: number;
  /** A small number naming the row's SO_REUSEPORT group in this run (1, 2, …); undefined for none. */
  groupId: number | undefined;
}

/**
 * What a row's share is of: the SO_REUSEPORT group when the listener is in one (the kernel
 * spreads a port's connections over the group's sockets, so the group is the unit a worker's
 * share means something against), else the listening socket, else (listener not seen at
 * sys_enter) the local address and port.
 */
export function listenerOf(entry: CountEntry): string {
  if (entry.group !== 0n) return `group ${entry.group}`;
  if (entry.listener !== 0n) return `socket ${entry.listener}`;
  return `address ${entry.localAddr}:${entry.localPort}`;
}

const countKey = (e: CountEntry) => `${e.pid}/${e.tid}/${e.comm}/${e.listener}/${e.localAddr}/${e.localPort}`;
const histKey = (e: HistEntry) => `${e.localPort}/${e.slot}`;

/** Per-interval rows from cumulative in-kernel totals. */
export class CountIntervals {
  private readonly diff = new IntervalDiff<CountEntry>();
  private readonly groupIds = new Map<bigint, number>();

  /** This interval's rows, most connections first. */
  take(totals: readonly CountEntry[]): CountRow[] {
    const grown = this.diff.take(totals, countKey, (e) => e.count);
    const perListener = new Map<string, number>();
    for (const { entry, delta } of grown) perListener.set(listenerOf(entry), (perListener.get(listenerOf(entry)) ?? 0) + Number(delta));
    const rows = grown.map(({ entry, delta }) => {
      let groupId: number | undefined;
      if (entry.group !== 0n) {
        groupId = this.groupIds.get(entry.group);
        if (groupId === undefined) this.groupIds.set(entry.group, (groupId = this.groupIds.size + 1));
      }
      const count = Number(delta);
      return { entry, count, share: count / perListener.get(listenerOf(entry))!, groupId };
    });
    return rows.sort(
      (a, b) => b.count - a.count || a.entry.localPort - b.entry.localPort || a.entry.pid - b.entry.pid || a.entry.tid - b.entry.tid,
    );
  }
}

/** One port's histogram in one interval: counts per log2 slot (index = slot). */
export interface PortHistogram {
  localPort: number;
  slots: number[];
  total: number;
}

/** Per-interval histograms from cumulative in-kernel buckets, by port. */
export class HistIntervals {
  private readonly diff = new IntervalDiff<HistEntry>();

  take(totals: readonly HistEntry[]): PortHistogram[] {
    const byPort = new Map<number, PortHistogram>();
    for (const { entry, delta } of this.diff.take(totals, histKey, (e) => e.count)) {
      let hist = byPort.get(entry.localPort);
      if (hist === undefined) byPort.set(entry.localPort, (hist = { localPort: entry.localPort, slots: [], total: 0 }));
      while (hist.slots.length <= entry.slot) hist.slots.push(0);
      hist.slots[entry.slot]! += Number(delta);
      hist.total += Number(delta);
    }
    return [...byPort.values()].sort((a, b) => a.localPort - b.localPort);
  }
}

const STARS_MAX = 40;

/** bcc's _stars: floor(width * val / max) stars, at most width. */
function stars(value: number, max: number, width: number): string {
  return '*'.repeat(max === 0 ? 0 : Math.min(width, Math.floor((width * value) / max)));
}

/**
 * The text bcc's print_log2_hist prints for these slot counts (index = bpf_log2l slot):
 * a header, then one line per slot from 1 to the last non-empty one, with the star bar.
 */
export function log2HistText(slots: readonly number[], valueType = 'usecs'): string {
  let idxMax = -1;
  let valMax = 0;
  slots.forEach((v, i) => {
    if (v > 0) idxMax = i;
    if (v > valMax) valMax = v;
  });
  if (idxMax <= 0) return '';
  const wide = idxMax > 32;
  const width = wide ? STARS_MAX / 2 : STARS_MAX;
  const lines = [
    wide ? `               ${valueType.padEnd(29)} : count     distribution` : `     ${valueType.padEnd(19)} : count     distribution`,
  ];
  for (let i = 1; i <= idxMax; i++) {
    const { low, high } = slotRange(i);
    const value = slots[i] ?? 0;
    const range = wide
      ? `${String(low).padStart(20)} -> ${String(high).padEnd(20)}`
      : `${String(low).padStart(10)} -> ${String(high).padEnd(10)}`;
    lines.push(`${range} : ${String(value).padEnd(8)} |${stars(value, valMax, width).padEnd(width)}|`);
  }
  return `${lines.join('\n')}\n`;
}

export interface IntervalContext {
  /** Wall-clock time at the end of the interval, ms since the epoch. */
  wallTimeMs: number;
  /** How long the interval lasted (the last one ends at exit). */
  intervalSeconds: number;
  hostname: string;
}

/** -T: the time line bcc's interval tools print before each table. */
export function timeLine(context: IntervalContext): string {
  return `${clock(context.wallTimeMs)}\n`;
}

const REUSEPORT_UNKNOWN = '?';

/** The -c table of one interval (empty string when nothing was accepted). */
export function countTable(rows: readonly CountRow[]): string {
  if (rows.length === 0) return '';
  const lines = [
    `${'PID'.padEnd(7)} ${'TID'.padEnd(7)} ${'COMM'.padEnd(15)} ${'LADDR'.padEnd(16)} ${'LPORT'.padEnd(5)} ${'COUNT'.padStart(8)} ${'SHARE'.padStart(6)} REUSEPORT`,
  ];
  for (const row of rows) {
    const e = row.entry;
    const group = row.groupId !== undefined ? `group ${row.groupId} (${e.groupSize} sockets)` : e.listener === 0n ? REUSEPORT_UNKNOWN : '-';
    lines.push(
      `${String(e.pid).padEnd(7)} ${String(e.tid).padEnd(7)} ${(e.comm === '' ? '-' : e.comm).padEnd(15)} ${e.localAddr.padEnd(16)} ${String(e.localPort).padEnd(5)} ${String(row.count).padStart(8)} ${`${(row.share * 100).toFixed(1)}%`.padStart(6)} ${group}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The -H text of one interval: bcc's `lport = N` section and histogram per port. */
export function histText(hists: readonly PortHistogram[]): string {
  return hists.map((h) => `\nlport = ${h.localPort}\n${log2HistText(h.slots)}`).join('');
}

/** A -c object of --json: one row of one interval. */
export interface JsonCount {
  event: 'count';
  time: string;
  hostname: string;
  interval_s: number;
  pid: number;
  tid: number;
  comm: string;
  ip: 4 | 6;
  laddr: string;
  lport: number;
  /** This interval's connections: the sum over every object is the total. */
  count: number;
  /** count / the interval's total of the row's listener (its SO_REUSEPORT group, if any). */
  share: number;
  /** The group's number in this run, null when the listener is in none or was not seen. */
  reuseport_group: number | null;
  reuseport_sockets: number | null;
}

/** A -H object of --json: one port's histogram of one interval. */
export interface JsonHistogram {
  event: 'histogram';
  time: string;
  hostname: string;
  interval_s: number;
  lport: number;
  unit: 'us';
  /** Connections in this interval whose handshake was seen (the sum of the buckets). */
  count: number;
  /** From the first log2 bucket (0..1) to the last non-empty one, as print_log2_hist shows them. */
  buckets: Array<{ low: number; high: number; count: number }>;
}

const seconds = (s: number) => Math.round(s * 1000) / 1000;

export function countJson(row: CountRow, context: IntervalContext): JsonCount {
  const e = row.entry;
  return {
    event: 'count',
    time: isoTime(context.wallTimeMs),
    hostname: context.hostname,
    interval_s: seconds(context.intervalSeconds),
    pid: e.pid,
    tid: e.tid,
    comm: e.comm,
    ip: e.ipVersion,
    laddr: e.localAddr,
    lport: e.localPort,
    count: row.count,
    share: Math.round(row.share * 10000) / 10000,
    reuseport_group: row.groupId ?? null,
    reuseport_sockets: row.groupId === undefined ? null : e.groupSize,
  };
}

export function histJson(hist: PortHistogram, context: IntervalContext): JsonHistogram {
  const buckets: JsonHistogram['buckets'] = [];
  for (let slot = 1; slot < hist.slots.length; slot++) buckets.push({ ...slotRange(slot), count: hist.slots[slot] ?? 0 });
  return {
    event: 'histogram',
    time: isoTime(context.wallTimeMs),
    hostname: context.hostname,
    interval_s: seconds(context.intervalSeconds),
    lport: hist.localPort,
    unit: 'us',
    count: hist.total,
    buckets,
  };
}
