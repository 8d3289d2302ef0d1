// Output formats. The table keeps BCC tcpaccept's columns and printf widths so existing habits
// and scripts keep working; --json writes one object per line with every field.
import type { AcceptEvent, ListenerSnapshot } from '../src/internal.ts';
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

/** Writes isoTime(wallTimeMs) into `out`, without building the string. */
function writeIsoTime(wallTimeMs: number, out: OutputBuffer): void {
  const second = Math.floor(wallTimeMs / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    isoSecond = second;
  }
  out.text(isoPrefix);
  const ms = Math.floor(wallTimeMs - second * 1000);
  if (ms < 100) out.text(ms < 10 ? '00' : '0');
  out.integer(ms);
  out.text('Z');
}

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
    // A client the kernel dropped: the accept queue was full when its handshake completed.
    if (event.source === 'drop') out.text(' DROP');
  }
}

/** The --json object. Field names are stable: log shippers and the JSON Schema rely on them. */
export interface JsonEvent {
  event: 'accept';
  time: string;
  monotonic_ns: string;
  hostname: string;
  mode: 'accept' | 'handshake';
  /** Which hook saw it: the accept syscalls, an io_uring accept completion, or the handshake. */
  source: 'accept' | 'io_uring' | 'handshake';
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

/** A client the kernel dropped because the listener's accept queue was full (--drops, --json). */
export interface JsonDrop {
  event: 'drop';
  time: string;
  monotonic_ns: string;
  hostname: string;
  /** The kernel's drop reason, without its SKB_DROP_REASON_ prefix. */
  reason: 'TCP_LISTEN_OVERFLOW';
  /** The listener's owner, as --handshake finds it; null when unknown. */
  pid: number | null;
  comm: string | null;
  ip: 4 | 6;
  family: 'AF_INET' | 'AF_INET6';
  raddr: string;
  rport: number;
  laddr: string;
  lport: number;
}

/** The --json object of an accept, or of a drop when `event.source` is 'drop'. */
export function toJson(event: AcceptEvent, context: EventContext): JsonEvent | JsonDrop {
  if (event.source === 'drop') {
    return {
      event: 'drop',
      time: isoTime(context.wallTimeMs),
      monotonic_ns: event.timestampNs.toString(),
      hostname: context.hostname,
      reason: 'TCP_LISTEN_OVERFLOW',
      pid: event.pid ?? null,
      comm: event.comm ?? null,
      ip: event.ipVersion,
      family: event.family === 10 ? 'AF_INET6' : 'AF_INET',
      raddr: event.remoteAddr,
      rport: event.remotePort,
      laddr: event.localAddr,
      lport: event.localPort,
    };
  }
  return {
    event: 'accept',
    time: isoTime(context.wallTimeMs),
    // CLOCK_MONOTONIC (time since boot, not counting suspend). A string: nanoseconds pass
    // 2^53, the largest integer a JSON number keeps exactly, after 104 days of uptime.
    monotonic_ns: event.timestampNs.toString(),
    hostname: context.hostname,
    mode: event.source === 'io_uring' ? 'accept' : event.source,
    source: event.source,
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

/**
 * The --json line of an accept written straight into `out` (no newline): exactly the bytes of
 * JSON.stringify(toJson(event, context)), without the object, its strings or the stringifier
 * (test/cli/output.test.ts compares the two on random events). Drops take the general path.
 */
export function writeJson(event: AcceptEvent, context: EventContext, out: OutputBuffer): void {
  if (event.source === 'drop') {
    out.text(JSON.stringify(toJson(event, context)));
    return;
  }
  out.text('{"event":"accept","time":"');
  writeIsoTime(context.wallTimeMs, out);
  out.text('","monotonic_ns":"');
  out.text(event.timestampNs.toString());
  out.text('","hostname":');
  out.jsonString(context.hostname);
  out.text(event.source === 'handshake' ? ',"mode":"handshake","source":' : ',"mode":"accept","source":');
  out.text(event.source === 'io_uring' ? '"io_uring","pid":' : event.source === 'handshake' ? '"handshake","pid":' : '"accept","pid":');
  if (event.pid === undefined) out.text('null');
  else out.integer(event.pid);
  out.text(',"tid":');
  if (event.tid === undefined) out.text('null');
  else out.integer(event.tid);
  out.text(',"comm":');
  if (event.comm === undefined) out.text('null');
  else out.jsonString(event.comm);
  out.text(
    event.family === 10
      ? event.ipVersion === 6
        ? ',"ip":6,"family":"AF_INET6","raddr":'
        : ',"ip":4,"family":"AF_INET6","raddr":'
      : event.ipVersion === 6
        ? ',"ip":6,"family":"AF_INET","raddr":'
        : ',"ip":4,"family":"AF_INET","raddr":',
  );
  out.jsonString(event.remoteAddr);
  out.text(',"rport":');
  out.integer(event.remotePort);
  out.text(',"laddr":');
  out.jsonString(event.localAddr);
  out.text(',"lport":');
  out.integer(event.localPort);
  out.text(',"state":');
  out.jsonString(event.state);
  out.text(',"queue_wait_us":');
  if (event.queueWaitNs === undefined) out.text('null');
  else out.integer(Number(event.queueWaitNs / 1000n));
  out.text('}');
}

/**
 * A --listeners table line: `LISTENER PID COMM ADDR:PORT queue N/MAX drops D (+NEW)`, after the
 * same time prefix as the rows (-T; -t counts from the first event or snapshot).
 */
export function listenerLine(listener: ListenerSnapshot, context: EventContext, options: Pick<FormatOptions, 'clockTime'>): string {
  const time = options.clockTime ? clock(context.wallTimeMs).padEnd(9) : '';
  const address = listener.family === 6 ? `[${listener.localAddr}]` : listener.localAddr;
  const drops = listener.drops === undefined ? 'drops -' : `drops ${listener.drops} (+${listener.dropsDelta ?? 0})`;
  return `${time}LISTENER ${listener.owner?.pid ?? '-'} ${listener.owner?.comm ?? '-'} ${address}:${listener.localPort} queue ${listener.queue}/${listener.queueMax} ${drops}`;
}

/** A --listeners object of --json. */
export interface JsonListener {
  event: 'listener';
  time: string;
  hostname: string;
  ip: 4 | 6;
  laddr: string;
  lport: number;
  pid: number | null;
  comm: string | null;
  /** Connections waiting for accept() (sk_ack_backlog). */
  queue: number;
  /** The accept queue's limit (sk_max_ack_backlog); the queue is full at queue_max + 1. */
  queue_max: number;
  /** The kernel's drop counter for the socket (sk_drops), null where sock_diag does not report it. */
  drops: number | null;
  /** Its growth since this listener's previous snapshot (0 the first time it is seen). */
  drops_delta: number | null;
}

export function listenerJson(listener: ListenerSnapshot, context: EventContext): JsonListener {
  return {
    event: 'listener',
    time: isoTime(context.wallTimeMs),
    hostname: context.hostname,
    ip: listener.family,
    laddr: listener.localAddr,
    lport: listener.localPort,
    pid: listener.owner?.pid ?? null,
    comm: listener.owner?.comm ?? null,
    queue: listener.queue,
    queue_max: listener.queueMax,
    drops: listener.drops ?? null,
    drops_delta: listener.dropsDelta ?? null,
  };
}
