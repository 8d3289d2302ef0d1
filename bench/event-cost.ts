// User-space CPU per event, without the kernel: what the CLI does with each 80-byte record
// (now: a table row or --json line straight from the record's bytes, cli/record-row.ts),
// against the earlier paths (decode to an AcceptEvent, sort the batch, format it).
//   node --import tsx bench/event-cost.ts
import { openSync, closeSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { TableFormatter, toJson, writeJson } from '../cli/format.ts';
import { OutputBuffer } from '../cli/output.ts';
import { RecordJsonWriter, RecordRowWriter } from '../cli/record-row.ts';
import {
  AF_INET,
  AF_INET6,
  EventSource,
  RECORD,
  RECORD_SIZE,
  decodeRecord,
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
 * The CLI now (cli/record-row.ts through TcpAcceptTracer's onAcceptRecord): rows or --json lines
 * from the record bytes, no event object.
 */
function recordPath(writer: RecordRowWriter | RecordJsonWriter, records: Uint8Array[], fd: number): void {
  const out = new OutputBuffer();
  for (let start = 0; start < records.length; start += BATCH) {
    for (let i = start; i < Math.min(start + BATCH, records.length); i++) {
      writer.write(records[i]!, out);
      out.newline();
    }
    writeSync(fd, out.take());
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
    const rows = nsPerRecord(
      () => recordPath(new RecordRowWriter({ clockTime: false, relativeTime: false, queueWait: false }), records, fd),
      RECORDS,
    );
    const jsonBefore = nsPerRecord(() => jsonStringifyPath(records, fd), RECORDS);
    const jsonNow = nsPerRecord(() => jsonDirectPath(records, fd), RECORDS);
    const jsonRecords = nsPerRecord(() => recordPath(new RecordJsonWriter('bench'), records, fd), RECORDS);
    printTable(
      `User-space work per event, ${RECORDS} synthetic records (half IPv4, half IPv6), batches of ${BATCH}, to /dev/null (median of 7)`,
      ['path', 'ns/event'],
      [
        ['decodeRecord only', formatNumber(decodeOnly, 0)],
        ['before: decode, sort, string rows, join, write', formatNumber(strings, 0)],
        ['round 2: decode, sort, writeRow to OutputBuffer, write', formatNumber(current, 0)],
        ['CLI now: RecordRowWriter from the bytes, write', formatNumber(rows, 0)],
        ['--json before: decode, sort, JSON.stringify(toJson()), write', formatNumber(jsonBefore, 0)],
        ['--json round 3: decode, sort, writeJson to OutputBuffer, write', formatNumber(jsonNow, 0)],
        ['--json now: RecordJsonWriter from the bytes, write', formatNumber(jsonRecords, 0)],
      ],
    );
  } finally {
    closeSync(fd);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
