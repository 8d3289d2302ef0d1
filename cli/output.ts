// The bytes of one drain's output, built in place. In a storm the CLI prints tens of thousands
// of rows a second; building each row as strings (padEnd, concatenation, join, then encoding
// the joined text for write) made the garbage collector the largest single cost of the tracer
// (38% of its CPU in a 100 000-connection storm profile). Here digits and ASCII go straight
// into one reusable Buffer, and each drain ends in one copy and one write.

const SPACE = 0x20;
const NEWLINE = 0x0a;
const ZERO = 0x30;
const QUOTE = 0x22;

/** A growable byte buffer for output text. Not a stream: `take` hands the bytes over. */
export class OutputBuffer {
  private buffer: Buffer;
  /** this.buffer.length, kept as a plain field: the bounds check runs for every field. */
  private capacity: number;
  private used = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(256, initialBytes));
    this.capacity = this.buffer.length;
  }

  /** Bytes written since the last `take`. */
  get length(): number {
    return this.used;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes > this.capacity) this.grow(bytes);
  }

  private grow(bytes: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.capacity * 2, this.used + bytes));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
    this.capacity = grown.length;
  }

  /**
   * Direct access for writers that put bytes in themselves (cli/record-row.ts): returns the
   * buffer with room for `bytes` more after `length`; write from `length` on, then `commit`.
   * The buffer returned is only valid until the next call that may grow it.
   */
  writable(bytes: number): Buffer {
    this.reserve(bytes);
    return this.buffer;
  }

  /** Ends a direct write: the bytes up to `end` (an index into writable()'s buffer) are output. */
  commit(end: number): void {
    if (!(end >= this.used && end <= this.capacity)) throw new RangeError(`commit(${end}) outside ${this.used}..${this.capacity}`);
    this.used = end;
  }

  /** Text as UTF-8; ASCII (all of a row but perhaps a COMM) is copied without an encoder. */
  text(value: string): void {
    const length = value.length;
    this.reserve(length);
    const buffer = this.buffer;
    let at = this.used;
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) {
        // Up to 3 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units).
        this.used = at;
        this.reserve((length - i) * 3);
        this.used += this.buffer.write(value.slice(i), this.used, 'utf8');
        return;
      }
      buffer[at++] = code;
    }
    this.used = at;
  }

  /**
   * A JSON string literal: exactly the bytes of JSON.stringify(value). Printable ASCII other
   * than `"` and `\` (every address, state and nearly every name) is copied as is; anything
   * else hands the whole string to JSON.stringify, whose escapes are then the ones written.
   */
  jsonString(value: string): void {
    const length = value.length;
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code < 0x20 || code >= 0x7f || code === 0x22 || code === 0x5c) {
        this.text(JSON.stringify(value));
        return;
      }
    }
    this.reserve(length + 2);
    const buffer = this.buffer;
    let at = this.used;
    buffer[at++] = QUOTE;
    for (let i = 0; i < length; i++) buffer[at++] = value.charCodeAt(i);
    buffer[at++] = QUOTE;
    this.used = at;
  }

  /** Text, then spaces up to `width` UTF-16 units: String.prototype.padEnd's rule. */
  field(value: string, width: number): void {
    this.text(value);
    this.spaces(width - value.length);
  }

  /** A non-negative integer in decimal, then spaces up to `width` characters. */
  integer(value: number, width = 0): void {
    if (!(value >= 0 && value <= 0xffff_ffff && Number.isInteger(value))) {
      // Never in a row (pids, ports and microseconds of waiting fit in 32 bits); kept exact anyway.
      this.field(String(value), width);
      return;
    }
    // 32-bit unsigned arithmetic (>>> 0) is integer division without a float round trip.
    let digits = 1;
    for (let rest = (value / 10) >>> 0; rest > 0; rest = (rest / 10) >>> 0) digits++;
    this.reserve(digits);
    const buffer = this.buffer;
    let rest = value;
    for (let i = this.used + digits - 1; i >= this.used; i--) {
      const next = (rest / 10) >>> 0;
      buffer[i] = ZERO + rest - next * 10;
      rest = next;
    }
    this.used += digits;
    this.spaces(width - digits);
  }

  spaces(count: number): void {
    if (count <= 0) return;
    this.reserve(count);
    // A loop, not Buffer.fill: a row pads by a few bytes at a time, less than fill's call costs.
    const buffer = this.buffer;
    const end = this.used + count;
    for (let at = this.used; at < end; at++) buffer[at] = SPACE;
    this.used = end;
  }

  space(): void {
    this.reserve(1);
    this.buffer[this.used++] = SPACE;
  }

  newline(): void {
    this.reserve(1);
    this.buffer[this.used++] = NEWLINE;
  }

  /**
   * A copy of the bytes written so far, and the buffer emptied. A copy, because a stream may
   * hold on to what it was given (a full pipe queues it) while this buffer is reused.
   */
  take(): Buffer {
    const bytes = Buffer.from(this.buffer.subarray(0, this.used));
    this.used = 0;
    return bytes;
  }

  /** The text written so far (UTF-8 decoded), and the buffer emptied. */
  takeText(): string {
    const text = this.buffer.toString('utf8', 0, this.used);
    this.used = 0;
    return text;
  }
}
