// Table rows and --json lines straight from the ring's bytes: the CLI's path through an accept storm.
//
// TableFormatter.writeRow and writeJson format an AcceptEvent, and decoding a record into one
// costs an object, two BigInts and a wall-clock conversion per accept: at 40 000 accepts/s that
// was most of the tracer's CPU (bench/README.md). These writers read each field where the
// programs stored it (RECORD's offsets) and put the output's bytes into the OutputBuffer
// themselves. A line whose addresses and COMM repeat the previous one's (a storm's nearly all
// do) allocates nothing.
//
// They write exactly the bytes writeRow and writeJson write for decodeRecord(record)
// (test/cli/record-row.test.ts compares them on random records), for the records the tracer
// hands to onAcceptRecord: accept syscalls and io_uring completions, which carry their PID and COMM.
import {
  AF_INET,
  AF_INET6,
  EventSource,
  RECORD,
  TCP_CLOSE,
  TCP_STATE_NAMES,
  monotonicNumberToWallClockMs,
  readU16,
  readU32,
  recordAddressText,
  recordIpVersion,
} from '../src/internal.ts';
import { clock, type FormatOptions } from './format.ts';
import type { OutputBuffer } from './output.ts';

const SPACE = 0x20;
const ZERO = 0x30;
const DASH = 0x2d;
const NUL = 0;
const TWO_TO_32 = 4_294_967_296;

/**
 * Room reserved per row before writing it: the widest row is -T and -t (18 bytes), a 10-digit
 * PID, 12 bytes of COMM, two 39-character IPv6 addresses, ports, a queue wait of up to 13
 * digits and " RST": 159 bytes.
 */
const ROW_BYTES = 192;
const COMM_WIDTH = 12;
const ADDRESS_WIDTH = 16;

const TIMESTAMP = RECORD.timestampNs.offset;
const QUEUE_WAIT = RECORD.queueWaitNs.offset;
const PID = RECORD.pid.offset;
const FAMILY = RECORD.family.offset;
const LOCAL_PORT = RECORD.localPort.offset;
const REMOTE_PORT = RECORD.remotePort.offset;
const STATE = RECORD.state.offset;
const LOCAL_ADDR = RECORD.localAddr.offset;
const REMOTE_ADDR = RECORD.remoteAddr.offset;
const COMM = RECORD.comm.offset;
const COMM_SIZE = RECORD.comm.size;
const TID = RECORD.tid.offset;
const SOURCE = RECORD.source.offset;

/** `value` (0 ≤ value < 2^32) in decimal at `at`; returns the index after the last digit. */
function writeDigits(out: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let rest = (value / 10) >>> 0; rest > 0; rest = (rest / 10) >>> 0) digits++;
  let rest = value;
  for (let i = at + digits - 1; i >= at; i--) {
    const next = (rest / 10) >>> 0;
    out[i] = ZERO + rest - next * 10;
    rest = next;
  }
  return at + digits;
}

/** Spaces from `at` until the field that began at `start` is `width` bytes wide. */
function pad(out: Buffer, at: number, start: number, width: number): number {
  const end = start + width;
  while (at < end) out[at++] = SPACE;
  return at;
}

/** ASCII text (every character below 0x80) at `at`. */
function writeAscii(out: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/**
 * The text of the last address seen in one field of one family, kept as bytes: a storm
 * repeats it row after row. (One per family: a dual-stack server's rows alternate.)
 */
class AddressBytes {
  private readonly key: Uint8Array;
  private text: Uint8Array | undefined;

  constructor(private readonly family: number) {
    this.key = new Uint8Array(family === AF_INET6 ? 16 : 4);
  }

  /** The address text's bytes for the field at `offset`. */
  of(record: Uint8Array, offset: number): Uint8Array {
    const key = this.key;
    let same = this.text !== undefined;
    for (let i = 0; same && i < key.length; i++) same = key[i] === record[offset + i];
    if (!same) {
      key.set(record.subarray(offset, offset + key.length));
      // Address texts are ASCII: one byte per character.
      this.text = Buffer.from(recordAddressText(record, offset, this.family), 'latin1');
    }
    return this.text!;
  }
}

/** Writes TableFormatter rows from record bytes; one per output, as it keeps -t's first timestamp. */
export class RecordRowWriter {
  private readonly remote4 = new AddressBytes(AF_INET);
  private readonly local4 = new AddressBytes(AF_INET);
  private readonly remote6 = new AddressBytes(AF_INET6);
  private readonly local6 = new AddressBytes(AF_INET6);
  private readonly commDecoder = new TextDecoder('utf-8', { fatal: false });
  /** -t counts from the first row's timestamp, kept as its two 32-bit halves. */
  private firstHigh = -1;
  private firstLow = 0;

  constructor(private readonly options: FormatOptions) {}

  /** One row for an accept or io_uring record, without its newline. */
  write(record: Uint8Array, out: OutputBuffer): void {
    let buffer = out.writable(ROW_BYTES);
    let at = out.length;
    if (this.options.clockTime || this.options.relativeTime) at = this.writeTimes(record, buffer, at);

    const pidStart = at;
    at = pad(buffer, writeDigits(buffer, at, readU32(record, PID)), pidStart, 7);
    buffer[at++] = SPACE;

    // COMM: ASCII (nearly always) is copied, up to its NUL or 12 bytes; anything else is decoded
    // as decodeRecord decodes it and written as writeRow writes it.
    let commLength = 0;
    let ascii = true;
    while (commLength < COMM_SIZE && record[COMM + commLength] !== NUL) {
      if (record[COMM + commLength]! >= 0x80) ascii = false;
      commLength++;
    }
    if (ascii) {
      const commStart = at;
      if (commLength === 0) buffer[at++] = DASH;
      for (let i = 0; i < commLength && i < COMM_WIDTH; i++) buffer[at++] = record[COMM + i]!;
      at = pad(buffer, at, commStart, COMM_WIDTH);
    } else {
      const comm = this.commDecoder.decode(record.subarray(COMM, COMM + commLength));
      out.commit(at);
      out.field(comm.length > COMM_WIDTH ? comm.slice(0, COMM_WIDTH) : comm, COMM_WIDTH);
      buffer = out.writable(ROW_BYTES);
      at = out.length;
    }
    buffer[at++] = SPACE;

    buffer[at++] = recordIpVersion(record) === 6 ? 0x36 : 0x34;
    buffer[at++] = SPACE;
    buffer[at++] = SPACE;

    const v6 = readU16(record, FAMILY) === AF_INET6;
    at = this.writeAddress(buffer, at, v6 ? this.remote6.of(record, REMOTE_ADDR) : this.remote4.of(record, REMOTE_ADDR));
    const remotePortStart = at;
    at = pad(buffer, writeDigits(buffer, at, readU16(record, REMOTE_PORT)), remotePortStart, 5);
    buffer[at++] = SPACE;
    at = this.writeAddress(buffer, at, v6 ? this.local6.of(record, LOCAL_ADDR) : this.local4.of(record, LOCAL_ADDR));
    const localPortStart = at;
    at = pad(buffer, writeDigits(buffer, at, readU16(record, LOCAL_PORT)), localPortStart, 5);

    if (this.options.queueWait) {
      buffer[at++] = SPACE;
      const low = readU32(record, QUEUE_WAIT);
      const high = readU32(record, QUEUE_WAIT + 4);
      if (low === 0 && high === 0) buffer[at++] = DASH;
      else {
        const micros = microseconds(high, low);
        if (micros < TWO_TO_32) at = writeDigits(buffer, at, micros);
        else at = writeAscii(buffer, at, String(micros));
      }
      if (record[STATE] === TCP_CLOSE) at = writeAscii(buffer, at, ' RST');
    }
    out.commit(at);
  }

  /** An address's text padded to 16, then the space before the port. */
  private writeAddress(buffer: Buffer, at: number, text: Uint8Array): number {
    const start = at;
    for (let i = 0; i < text.length; i++) buffer[at++] = text[i]!;
    at = pad(buffer, at, start, ADDRESS_WIDTH);
    buffer[at++] = SPACE;
    return at;
  }

  /** -T's HH:MM:SS and -t's seconds since the first row, each padded to 9. */
  private writeTimes(record: Uint8Array, buffer: Buffer, at: number): number {
    const low = readU32(record, TIMESTAMP);
    const high = readU32(record, TIMESTAMP + 4);
    if (this.options.clockTime) {
      const start = at;
      // high × 2^32 is exact and the sum is rounded once: the same double as Number() of the BigInt.
      at = pad(buffer, writeAscii(buffer, at, clock(monotonicNumberToWallClockMs(high * TWO_TO_32 + low))), start, 9);
    }
    if (this.options.relativeTime) {
      if (this.firstHigh < 0) {
        this.firstHigh = high;
        this.firstLow = low;
      }
      // The difference is exact in each half and rounded once, as Number(ts - first) is.
      const seconds = ((high - this.firstHigh) * TWO_TO_32 + (low - this.firstLow)) / 1e9;
      const start = at;
      at = pad(buffer, writeAscii(buffer, at, seconds.toFixed(3)), start, 9);
    }
    return at;
  }
}

/**
 * ⌊ns / 1000⌋ for the u64 high × 2^32 + low, as Number(ns / 1000n) gives it. Below 2^53 the
 * remainder, the subtraction and the division are all exact in doubles; above (a wait of
 * over 104 days) the BigInt is cheaper than being clever.
 */
function microseconds(high: number, low: number): number {
  if (high < 0x20_0000) {
    const ns = high * TWO_TO_32 + low;
    return (ns - (ns % 1000)) / 1000;
  }
  return Number(((BigInt(high) << 32n) | BigInt(low)) / 1000n);
}

/** Room reserved per --json line before the hostname: every field at its widest is under 400 bytes. */
const JSON_BYTES = 448;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');
// The constant text between two values, each in one piece: a line is ten copies and its values.
const JSON_HEAD = '{"event":"accept","time":"';
const JSON_MONOTONIC = ascii('Z","monotonic_ns":"');
const JSON_TID = ascii(',"tid":');
const JSON_COMM = ascii(',"comm":');
const JSON_IP4_INET = ascii(',"ip":4,"family":"AF_INET","raddr":"');
const JSON_IP4_INET6 = ascii(',"ip":4,"family":"AF_INET6","raddr":"');
const JSON_IP6_INET6 = ascii(',"ip":6,"family":"AF_INET6","raddr":"');
const JSON_RPORT = ascii('","rport":');
const JSON_LADDR = ascii(',"laddr":"');
const JSON_LPORT = ascii('","lport":');
const JSON_NULL_END = ascii('null}');
/** `,"state":NAME,"queue_wait_us":` for each state byte, NAME as writeJson writes decodeRecord's name. */
const JSON_STATES = Array.from({ length: 256 }, (_, state) =>
  ascii(`,"state":${JSON.stringify(TCP_STATE_NAMES[state] ?? `STATE_${state}`)},"queue_wait_us":`),
);

/** Bytes at `at`: a loop for a few, memcpy (TypedArray set) past the call's cost. */
function copy(out: Buffer, at: number, bytes: Uint8Array): number {
  const length = bytes.length;
  if (length > 24) out.set(bytes, at);
  else for (let i = 0; i < length; i++) out[at + i] = bytes[i]!;
  return at + length;
}

/** `value` (an integer below 2^53) in decimal. */
function writeWholeNumber(out: Buffer, at: number, value: number): number {
  if (value < TWO_TO_32) return writeDigits(out, at, value);
  // Below 2^53, value / 1e9 is within half an ulp (< 1e-9) of the true quotient, whose fraction
  // is a multiple of 1e-9: the floor is exact (checked for every m × 10^9 - 1 below 2^53).
  const high = Math.floor(value / 1e9);
  return writeNineDigits(out, writeWholeNumber(out, at, high), value - high * 1e9);
}

/** 0 ≤ value < 10^9 as exactly nine digits, zeros first. */
function writeNineDigits(out: Buffer, at: number, value: number): number {
  let rest = value;
  for (let i = at + 8; i >= at; i--) {
    const next = (rest / 10) >>> 0;
    out[i] = ZERO + rest - next * 10;
    rest = next;
  }
  return at + 9;
}

/**
 * The u64 high × 2^32 + low in decimal, exactly as BigInt's toString (monotonic_ns passes 2^53
 * after 104 days of uptime): divided by 10^9 in 16-bit limbs, where every step is exact in doubles.
 */
function writeU64(out: Buffer, at: number, high: number, low: number): number {
  if (high < 0x20_0000) return writeWholeNumber(out, at, high * TWO_TO_32 + low);
  let quotient = 0;
  let remainder = 0;
  for (let limb = 0; limb < 4; limb++) {
    const bits = limb === 0 ? high >>> 16 : limb === 1 ? high & 0xffff : limb === 2 ? low >>> 16 : low & 0xffff;
    // remainder < 10^9, so current < 2^46 and its quotient digit is below 2^16.
    const current = remainder * 65536 + bits;
    const digit = Math.floor(current / 1e9);
    remainder = current - digit * 1e9;
    quotient = quotient * 65536 + digit;
  }
  return writeNineDigits(out, writeWholeNumber(out, at, quotient), remainder);
}

/** writeJson's lines from record bytes; one per output, as it caches the second's ISO text. */
export class RecordJsonWriter {
  private readonly remote4 = new AddressBytes(AF_INET);
  private readonly local4 = new AddressBytes(AF_INET);
  private readonly remote6 = new AddressBytes(AF_INET6);
  private readonly local6 = new AddressBytes(AF_INET6);
  private readonly commDecoder = new TextDecoder('utf-8', { fatal: false });
  /** `","hostname":…,"mode":"accept","source":"accept","pid":`, and the io_uring one. */
  private readonly hostAccept: Uint8Array;
  private readonly hostIoUring: Uint8Array;
  private isoSecond = Number.NaN;
  /** `{"event":"accept","time":"2026-12-01T16:05:09.` for isoSecond. */
  private lineHead: Uint8Array = new Uint8Array(0);

  constructor(hostname: string) {
    const host = `","hostname":${JSON.stringify(hostname)},"mode":"accept","source":`;
    this.hostAccept = Buffer.from(`${host}"accept","pid":`, 'utf8');
    this.hostIoUring = Buffer.from(`${host}"io_uring","pid":`, 'utf8');
  }

  /** One --json line for an accept or io_uring record, without its newline. */
  write(record: Uint8Array, out: OutputBuffer): void {
    let buffer = out.writable(JSON_BYTES + this.hostIoUring.length);
    let at = out.length;

    const low = readU32(record, TIMESTAMP);
    const high = readU32(record, TIMESTAMP + 4);
    // time: as writeJson's writeIsoTime, from the same double monotonicToWallClockMs computes.
    const wallTimeMs = monotonicNumberToWallClockMs(high * TWO_TO_32 + low);
    const second = Math.floor(wallTimeMs / 1000);
    if (second !== this.isoSecond) {
      this.lineHead = ascii(`${JSON_HEAD}${new Date(second * 1000).toISOString().slice(0, 20)}`);
      this.isoSecond = second;
    }
    at = copy(buffer, at, this.lineHead);
    const ms = Math.floor(wallTimeMs - second * 1000);
    if (ms < 100) buffer[at++] = ZERO;
    if (ms < 10) buffer[at++] = ZERO;
    at = writeDigits(buffer, at, ms);
    at = copy(buffer, at, JSON_MONOTONIC);
    at = writeU64(buffer, at, high, low);

    at = copy(buffer, at, record[SOURCE] === EventSource.IoUring ? this.hostIoUring : this.hostAccept);
    at = writeDigits(buffer, at, readU32(record, PID));
    at = copy(buffer, at, JSON_TID);
    at = writeDigits(buffer, at, readU32(record, TID));
    // COMM: printable ASCII without quote or backslash (nearly always) is copied between quotes;
    // anything else is decoded as decodeRecord decodes it and escaped as writeJson escapes it.
    at = copy(buffer, at, JSON_COMM);
    let commLength = 0;
    let plain = true;
    while (commLength < COMM_SIZE && record[COMM + commLength] !== NUL) {
      const byte = record[COMM + commLength]!;
      if (byte < 0x20 || byte >= 0x7f || byte === QUOTE || byte === BACKSLASH) plain = false;
      commLength++;
    }
    if (plain) {
      buffer[at++] = QUOTE;
      for (let i = 0; i < commLength; i++) buffer[at++] = record[COMM + i]!;
      buffer[at++] = QUOTE;
    } else {
      out.commit(at);
      out.jsonString(this.commDecoder.decode(record.subarray(COMM, COMM + commLength)));
      buffer = out.writable(JSON_BYTES);
      at = out.length;
    }

    const v6 = readU16(record, FAMILY) === AF_INET6;
    at = copy(buffer, at, v6 ? (recordIpVersion(record) === 6 ? JSON_IP6_INET6 : JSON_IP4_INET6) : JSON_IP4_INET);
    at = copy(buffer, at, v6 ? this.remote6.of(record, REMOTE_ADDR) : this.remote4.of(record, REMOTE_ADDR));
    at = copy(buffer, at, JSON_RPORT);
    at = writeDigits(buffer, at, readU16(record, REMOTE_PORT));
    at = copy(buffer, at, JSON_LADDR);
    at = copy(buffer, at, v6 ? this.local6.of(record, LOCAL_ADDR) : this.local4.of(record, LOCAL_ADDR));
    at = copy(buffer, at, JSON_LPORT);
    at = writeDigits(buffer, at, readU16(record, LOCAL_PORT));
    at = copy(buffer, at, JSON_STATES[record[STATE]!]!);
    const waitLow = readU32(record, QUEUE_WAIT);
    const waitHigh = readU32(record, QUEUE_WAIT + 4);
    if (waitLow === 0 && waitHigh === 0) at = copy(buffer, at, JSON_NULL_END);
    else {
      const micros = microseconds(waitHigh, waitLow);
      at = micros < TWO_TO_32 ? writeDigits(buffer, at, micros) : writeAscii(buffer, at, String(micros));
      buffer[at++] = 0x7d; // }
    }
    out.commit(at);
  }
}
