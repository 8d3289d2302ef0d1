// User-space CPU per event, without the kernel: what the CLI does with each 80-byte record
// (decode to an AcceptEvent, format a table row, batch, write), against a prototype that
// formats straight from the record bytes into one reusable buffer.
//   node --import tsx bench/event-cost.ts
import { openSync, closeSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { TableFormatter, toJson, writeJson } from '../cli/format.ts';
import { OutputBuffer } from '../cli/output.ts';
import {
  AF_INET,
  AF_INET6,
  EventSource,
  RECORD,
  RECORD_SIZE,
  decodeRecord,
  formatIpv6,
  monotonicToWallClockMs,
  type AcceptEvent,
} from '../src/internal.ts';
import { formatNumber, median, printTable } from './stats.ts';

const RECORDS = 100_000;
const BATCH = 2048; // records per ring drain: one write per batch, as the CLI does

/** Records as the storm produces them: half IPv4 127.0.0.1, half IPv6 ::1, python3, ports varying. */
export function syntheticRecords(count: number): Uint8Array[] {
  // Views into one buffer, as records in an mmapped ring are (perf records are 104 bytes apart).
  const ring = new Uint8Array(count * 104);
  const records: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = ring.subarray(i * 104 + 12, i * 104 + 12 + RECORD_SIZE);
    const view = new DataView(bytes.buffer, bytes.byteOffset, RECORD_SIZE);
    view.setBigUint64(RECORD.timestampNs.offset, 1_000_000_000n + BigInt(i) * 40_000n, true);
    view.setUint32(RECORD.pid.offset, 28_000 + (i % 7), true);
    view.setUint32(RECORD.tid.offset, 28_000 + (i % 7), true);
    const v6 = i % 2 === 1;
    view.setUint16(RECORD.family.offset, v6 ? AF_INET6 : AF_INET, true);
    view.setUint16(RECORD.localPort.offset, 41_353, true);
    view.setUint16(RECORD.remotePort.offset, 32_768 + (i % 28_000), true);
    bytes[RECORD.state.offset] = 7;
    bytes[RECORD.source.offset] = EventSource.AcceptSyscall;
    if (v6) {
      bytes[RECORD.localAddr.offset + 15] = 1;
      bytes[RECORD.remoteAddr.offset + 15] = 1;
    } else {
      bytes.set([127, 0, 0, 1], RECORD.localAddr.offset);
      bytes.set([127, 0, 0, 1], RECORD.remoteAddr.offset);
    }
    bytes.set(new TextEncoder().encode('python3'), RECORD.comm.offset);
    records.push(bytes);
  }
  return records;
}

/** Events sorted by time, as the tracer delivers a drain. */
function decodeBatch(records: Uint8Array[], start: number): AcceptEvent[] {
  const batch: AcceptEvent[] = [];
  for (let i = start; i < Math.min(start + BATCH, records.length); i++) batch.push(decodeRecord(records[i]!));
  batch.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0));
  return batch;
}

/** The table row as strings, padEnd and template literals: how cli/format.ts built rows before cli/output.ts. */
function stringRow(event: AcceptEvent): string {
  const left = (value: string, width: number, precision?: number) =>
    (precision === undefined ? value : value.slice(0, precision)).padEnd(width);
  const pid = event.pid === undefined ? '-' : String(event.pid);
  const comm = event.comm === undefined || event.comm === '' ? '-' : event.comm;
  return (
    `${left(pid, 7)} ${left(comm, 12, 12)} ${left(String(event.ipVersion), 2)} ` +
    `${left(event.remoteAddr, 16)} ${left(String(event.remotePort), 5)} ` +
    `${left(event.localAddr, 16)} ${left(String(event.localPort), 5)}`
  );
}

/** The CLI's path before: decodeRecord, sort the drain, a string per row, join, write. */
function stringPath(records: Uint8Array[], fd: number): void {
  for (let start = 0; start < records.length; start += BATCH) {
    const lines: string[] = [];
    for (const event of decodeBatch(records, start)) {
      monotonicToWallClockMs(event.timestampNs);
      lines.push(stringRow(event));
    }
    writeSync(fd, `${lines.join('\n')}\n`);
  }
}

/** The CLI's path now (cli/main.ts): decodeRecord, sort, TableFormatter.writeRow into one OutputBuffer, one write. */
function currentPath(records: Uint8Array[], fd: number): void {
  const formatter = new TableFormatter({ clockTime: false, relativeTime: false, queueWait: false });
  const context = { wallTimeMs: 0, hostname: 'bench' };
  const out = new OutputBuffer();
  for (let start = 0; start < records.length; start += BATCH) {
    for (const event of decodeBatch(records, start)) {
      context.wallTimeMs = monotonicToWallClockMs(event.timestampNs);
      formatter.writeRow(event, context, out);
      out.newline();
    }
    writeSync(fd, out.take());
  }
}

/** --json before: decodeRecord, sort, JSON.stringify(toJson()) into the OutputBuffer, one write. */
function jsonStringifyPath(records: Uint8Array[], fd: number): void {
  const context = { wallTimeMs: 0, hostname: 'bench' };
  const out = new OutputBuffer();
  for (let start = 0; start < records.length; start += BATCH) {
    for (const event of decodeBatch(records, start)) {
      context.wallTimeMs = monotonicToWallClockMs(event.timestampNs);
      out.text(JSON.stringify(toJson(event, context)));
      out.newline();
    }
    writeSync(fd, out.take());
  }
}

/** --json now: decodeRecord, sort, writeJson (the same bytes, written in place), one write. */
function jsonDirectPath(records: Uint8Array[], fd: number): void {
  const context = { wallTimeMs: 0, hostname: 'bench' };
  const out = new OutputBuffer();
  for (let start = 0; start < records.length; start += BATCH) {
    for (const event of decodeBatch(records, start)) {
      context.wallTimeMs = monotonicToWallClockMs(event.timestampNs);
      writeJson(event, context, out);
      out.newline();
    }
    writeSync(fd, out.take());
  }
}

/**
 * Prototype: no event object, no per-field strings. Digits and bytes go straight into one
 * Buffer; IPv4 is printed from its bytes, IPv6 through a one-entry cache of its text's bytes (a server's local
 * address is nearly always the same; the remote one repeats per client).
 */
class DirectTableWriter {
  private readonly out = Buffer.alloc(BATCH * 128);
  private length = 0;
  private readonly lastV6 = new Uint8Array(16);
  private lastV6Text: Uint8Array = new Uint8Array(0);

  constructor(private readonly fd: number) {}

  private digits(value: number, width: number): void {
    const start = this.length;
    let n = value;
    let count = 1;
    for (let rest = (n / 10) >>> 0; rest > 0; rest = (rest / 10) >>> 0) count++;
    for (let i = count - 1; i >= 0; i--) {
      this.out[start + i] = 48 + (n % 10);
      n = (n / 10) >>> 0;
    }
    this.length += count;
    this.pad(start, width);
  }

  private pad(start: number, width: number): void {
    while (this.length - start < width) this.out[this.length++] = 32;
  }

  private ipv4(bytes: Uint8Array, offset: number, width: number): void {
    const start = this.length;
    for (let i = 0; i < 4; i++) {
      if (i > 0) this.out[this.length++] = 46;
      this.digits(bytes[offset + i]!, 0);
    }
    this.pad(start, width);
  }

  private ipv6(bytes: Uint8Array, offset: number, width: number): void {
    const start = this.length;
    let same = this.lastV6Text.length > 0;
    for (let i = 0; same && i < 16; i++) same = bytes[offset + i] === this.lastV6[i];
    if (!same) {
      this.lastV6.set(bytes.subarray(offset, offset + 16));
      this.lastV6Text = Buffer.from(formatIpv6(bytes, offset), 'latin1');
    }
    // Byte by byte: Buffer.write is a native call costing ~140 ns even for 3 characters.
    for (let i = 0; i < this.lastV6Text.length; i++) this.out[this.length++] = this.lastV6Text[i]!;
    this.pad(start, width);
  }

  row(bytes: Uint8Array): void {
    // Little-endian loads by hand: a DataView per record costs more than the whole row here.
    const u16 = (offset: number) => bytes[offset]! | (bytes[offset + 1]! << 8);
    this.digits((u16(RECORD.pid.offset) | (u16(RECORD.pid.offset + 2) << 16)) >>> 0, 7);
    this.out[this.length++] = 32;
    const comm = this.length;
    for (let i = 0; i < 12 && bytes[RECORD.comm.offset + i] !== 0; i++) this.out[this.length++] = bytes[RECORD.comm.offset + i]!;
    this.pad(comm, 12);
    this.out[this.length++] = 32;
    const v6 = u16(RECORD.family.offset) === AF_INET6;
    this.out[this.length++] = v6 ? 54 : 52;
    this.out[this.length++] = 32;
    this.out[this.length++] = 32;
    if (v6) this.ipv6(bytes, RECORD.remoteAddr.offset, 16);
    else this.ipv4(bytes, RECORD.remoteAddr.offset, 16);
    this.out[this.length++] = 32;
    this.digits(u16(RECORD.remotePort.offset), 5);
    this.out[this.length++] = 32;
    if (v6) this.ipv6(bytes, RECORD.localAddr.offset, 16);
    else this.ipv4(bytes, RECORD.localAddr.offset, 16);
    this.out[this.length++] = 32;
    this.digits(u16(RECORD.localPort.offset), 0);
    this.out[this.length++] = 10;
  }

  flush(): void {
    writeSync(this.fd, this.out, 0, this.length);
    this.length = 0;
  }
}

function directPath(records: Uint8Array[], fd: number): void {
  const writer = new DirectTableWriter(fd);
  for (let start = 0; start < records.length; start += BATCH) {
    for (let i = start; i < Math.min(start + BATCH, records.length); i++) writer.row(records[i]!);
    writer.flush();
  }
}

function nsPerRecord(run: () => void, count: number, rounds = 7): number {
  const samples: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const started = process.hrtime.bigint();
    run();
    if (round > 0) samples.push(Number(process.hrtime.bigint() - started) / count);
  }
  return median(samples);
}

export function main(): void {
  const records = syntheticRecords(RECORDS);
  const fd = openSync('/dev/null', 'w');
  try {
    const decodeOnly = nsPerRecord(() => {
      for (const record of records) decodeRecord(record);
    }, RECORDS);
    const strings = nsPerRecord(() => stringPath(records, fd), RECORDS);
    const current = nsPerRecord(() => currentPath(records, fd), RECORDS);
    const direct = nsPerRecord(() => directPath(records, fd), RECORDS);
    const jsonBefore = nsPerRecord(() => jsonStringifyPath(records, fd), RECORDS);
    const jsonNow = nsPerRecord(() => jsonDirectPath(records, fd), RECORDS);
    printTable(
      `User-space work per event, ${RECORDS} synthetic records (half IPv4, half IPv6), batches of ${BATCH}, to /dev/null (median of 7)`,
      ['path', 'ns/event'],
      [
        ['decodeRecord only', formatNumber(decodeOnly, 0)],
        ['before: decode, sort, string rows, join, write', formatNumber(strings, 0)],
        ['CLI now: decode, sort, writeRow to OutputBuffer, write', formatNumber(current, 0)],
        ['prototype: bytes to one Buffer, one write', formatNumber(direct, 0)],
        ['--json before: decode, sort, JSON.stringify(toJson()), write', formatNumber(jsonBefore, 0)],
        ['--json now: decode, sort, writeJson to OutputBuffer, write', formatNumber(jsonNow, 0)],
      ],
    );
  } finally {
    closeSync(fd);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
