// Output formats. The table keeps BCC tcpaccept's columns and printf widths so existing habits
// and scripts keep working; --json writes one object per line with every field.
import type { AcceptEvent } from '../src/index.ts';
import { OutputBuffer } from './output.ts';

export interface FormatOptions {
  clockTime: boolean;
  relativeTime: boolean;
  queueWait: boolean;
}

/** An event plus what only user space knows: wall-clock time and, in handshake mode, the owner. */
export interface EventContext {
  /** Wall-clock time of the event in milliseconds since the epoch (fractional). */
  wallTimeMs: number;
  hostname: string;
}

function left(value: string, width: number, precision?: number): string {
  const text = precision === undefined ? value : value.slice(0, precision);
  return text.padEnd(width);
}

// Formatting a Date costs microseconds (toISOString measured ~1 µs unloaded), and events come
// in bursts within the same second: the text of the current second is kept and only the
// milliseconds are appended per event.
let isoSecond = Number.NaN;
let isoPrefix = '';
let clockSecond = Number.NaN;
let clockText = '';

/** HH:MM:SS in local time. */
export function clock(wallTimeMs: number): string {
  const second = Math.floor(wallTimeMs / 1000);
  if (second !== clockSecond) {
    const d = new Date(second * 1000);
    const two = (n: number) => String(n).padStart(2, '0');
    clockText = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    clockSecond = second;
  }
  return clockText;
}

/** The same text as new Date(wallTimeMs).toISOString(). */
export function isoTime(wallTimeMs: number): string {
  const second = Math.floor(wallTimeMs / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20); // "2026-11-25T14:05:09."
    isoSecond = second;
  }
  return `${isoPrefix}${String(Math.floor(wallTimeMs - second * 1000)).padStart(3, '0')}Z`;
}

/** Microseconds in the accept queue, or undefined when it was not measured. */
export function queueWaitMicros(event: AcceptEvent): number | undefined {
  return event.queueWaitNs === undefined ? undefined : Number(event.queueWaitNs / 1000n);
}

export class TableFormatter {
  private firstTimestampNs: bigint | undefined;
  private readonly scratch = new OutputBuffer(256);

  constructor(private readonly options: FormatOptions) {}

  header(): string {
    let line = '';
    if (this.options.clockTime) line += left('TIME', 9);
    if (this.options.relativeTime) line += left('TIME(s)', 9);
    line += `${left('PID', 7)} ${left('COMM', 12)} ${left('IP', 2)} ${left('RADDR', 16)} ${left('RPORT', 5)} ${left('LADDR', 16)} ${left('LPORT', 5)}`;
    if (this.options.queueWait) line += ' QWAIT(us)';
    return line;
  }

  /** One row as text (no newline): the same bytes `writeRow` produces. */
  row(event: AcceptEvent, context: EventContext): string {
    this.writeRow(event, context, this.scratch);
    return this.scratch.takeText();
  }

  /**
   * One row, written straight into `out` (no newline). The CLI's path: no per-field strings,
   * so a storm of rows leaves little for the garbage collector (bench/event-cost.ts).
   */
  writeRow(event: AcceptEvent, context: EventContext, out: OutputBuffer): void {
    if (this.options.clockTime) out.field(clock(context.wallTimeMs), 9);
    if (this.options.relativeTime) {
      this.firstTimestampNs ??= event.timestampNs;
      const seconds = Number(event.timestampNs - this.firstTimestampNs) / 1e9;
      out.field(seconds.toFixed(3), 9);
    }
    if (event.pid === undefined) out.field('-', 7);
    else out.integer(event.pid, 7);
    out.space();
    const comm = event.comm === undefined || event.comm === '' ? '-' : event.comm;
    out.field(comm.length > 12 ? comm.slice(0, 12) : comm, 12);
    out.space();
    out.integer(event.ipVersion, 2);
    out.space();
    out.field(event.remoteAddr, 16);
    out.space();
    out.integer(event.remotePort, 5);
    out.space();
    out.field(event.localAddr, 16);
    out.space();
    out.integer(event.localPort, 5);
    if (this.options.queueWait) {
      out.space();
      if (event.queueWaitNs === undefined) out.text('-');
      else out.integer(Number(event.queueWaitNs / 1000n));
      if (event.state === 'CLOSE') out.text(' RST');
    }
  }
}

/** The --json object. Field names are stable: log shippers and the JSON Schema rely on them. */
export interface JsonEvent {
  time: string;
  monotonic_ns: string;
  hostname: string;
  mode: 'accept' | 'handshake';
  pid: number | null;
  tid: number | null;
  comm: string | null;
  ip: 4 | 6;
  family: 'AF_INET' | 'AF_INET6';
  raddr: string;
  rport: number;
  laddr: string;
  lport: number;
  state: string;
  queue_wait_us: number | null;
}

export function toJson(event: AcceptEvent, context: EventContext): JsonEvent {
  return {
    time: isoTime(context.wallTimeMs),
    // CLOCK_MONOTONIC (time since boot, not counting suspend). A string: nanoseconds pass
    // 2^53, the largest integer a JSON number keeps exactly, after 104 days of uptime.
    monotonic_ns: event.timestampNs.toString(),
    hostname: context.hostname,
    mode: event.source,
    pid: event.pid ?? null,
    tid: event.tid ?? null,
    comm: event.comm ?? null,
    ip: event.ipVersion,
    family: event.family === 10 ? 'AF_INET6' : 'AF_INET',
    raddr: event.remoteAddr,
    rport: event.remotePort,
    laddr: event.localAddr,
    lport: event.localPort,
    state: event.state,
    queue_wait_us: queueWaitMicros(event) ?? null,
  };
}
