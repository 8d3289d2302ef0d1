import t from 'tap';
import fc from 'fast-check';
import { OutputBuffer } from '../../cli/output.ts';
import { TableFormatter, toJson, writeJson, type FormatOptions } from '../../cli/format.ts';
import type { AcceptEvent } from '../../src/internal.ts';

t.test('ASCII, UTF-8, padding and integers land as String would print them', async (t) => {
  const out = new OutputBuffer(256);
  out.field('ab', 5);
  out.integer(0, 3);
  out.integer(4_294_967_295);
  out.space();
  out.field('żółw', 6); // 4 UTF-16 units, 7 UTF-8 bytes: padded by units, as padEnd does
  out.text('🦀|');
  out.field('longer than width', 4);
  out.integer(-1, 4); // not a non-negative integer: printed by String()
  out.integer(2 ** 40, 14); // past 32 bits: String() too
  out.newline();
  t.equal(out.takeText(), `${'ab'.padEnd(5)}${'0'.padEnd(3)}4294967295 ${'żółw'.padEnd(6)}🦀|longer than width-1  1099511627776 \n`);
  t.equal(out.length, 0, 'taken: empty again');
});

t.test('grows past its initial size and take() hands over a copy', async (t) => {
  const out = new OutputBuffer(256);
  const line = 'x'.repeat(100);
  for (let i = 0; i < 50; i++) out.field(line, 120);
  out.text('é'.repeat(400)); // the UTF-8 path must grow too
  t.equal(out.length, 50 * 120 + 800);
  const taken = out.take();
  t.equal(taken.toString('utf8'), `${line.padEnd(120).repeat(50)}${'é'.repeat(400)}`);
  out.text('overwrite the start of the old bytes');
  t.equal(taken.subarray(0, 4).toString(), 'xxxx', 'what take() returned is not the reused buffer');
});

/** The table row as cli/format.ts built it before the byte path: the oracle for writeRow. */
function stringRow(options: FormatOptions, event: AcceptEvent, clockText: string, seconds: string): string {
  const left = (value: string, width: number, precision?: number) =>
    (precision === undefined ? value : value.slice(0, precision)).padEnd(width);
  let line = '';
  if (options.clockTime) line += left(clockText, 9);
  if (options.relativeTime) line += left(seconds, 9);
  const pid = event.pid === undefined ? '-' : String(event.pid);
  const comm = event.comm === undefined || event.comm === '' ? '-' : event.comm;
  line +=
    `${left(pid, 7)} ${left(comm, 12, 12)} ${left(String(event.ipVersion), 2)} ` +
    `${left(event.remoteAddr, 16)} ${left(String(event.remotePort), 5)} ` +
    `${left(event.localAddr, 16)} ${left(String(event.localPort), 5)}`;
  if (options.queueWait) {
    line += ` ${event.queueWaitNs === undefined ? '-' : String(Number(event.queueWaitNs / 1000n))}`;
    if (event.state === 'CLOSE') line += ' RST';
  }
  return line;
}

const arbitraryEvent: fc.Arbitrary<AcceptEvent> = fc.record({
  timestampNs: fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }),
  queueWaitNs: fc.option(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), { nil: undefined }),
  pid: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }),
  tid: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }),
  comm: fc.option(
    fc.oneof(fc.string({ maxLength: 15 }), fc.string({ unit: 'binary', maxLength: 15 }), fc.string({ unit: 'grapheme', maxLength: 8 })),
    { nil: undefined },
  ),
  ipVersion: fc.constantFrom(4 as const, 6 as const),
  family: fc.constantFrom(2, 10),
  localAddr: fc.oneof(fc.ipV4(), fc.ipV6()),
  localPort: fc.integer({ min: 0, max: 65535 }),
  remoteAddr: fc.oneof(fc.ipV4(), fc.ipV6()),
  remotePort: fc.integer({ min: 0, max: 65535 }),
  state: fc.constantFrom('ESTABLISHED', 'CLOSE', 'SYN_RECV'),
  source: fc.constantFrom('accept' as const, 'handshake' as const),
});

t.test('writeRow gives exactly the bytes of the string-built row, for any event and flags', async (t) => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.array(arbitraryEvent, { minLength: 1, maxLength: 4 }),
      (clockTime, relativeTime, queueWait, events) => {
        const options = { clockTime, relativeTime, queueWait };
        const formatter = new TableFormatter(options);
        const context = { wallTimeMs: Date.UTC(2026, 10, 25, 14, 5, 9, 250), hostname: 'h' };
        const out = new OutputBuffer(256);
        const expected: string[] = [];
        const first = events[0]!.timestampNs;
        for (const event of events) {
          formatter.writeRow(event, context, out);
          out.newline();
          const seconds = (Number(event.timestampNs - first) / 1e9).toFixed(3);
          const clockText = new Date(context.wallTimeMs).toTimeString().slice(0, 8);
          expected.push(`${stringRow(options, event, clockText, seconds)}\n`);
        }
        const bytes = out.take();
        // Compared as bytes: what reaches stdout is the UTF-8 encoding of the old string.
        return bytes.equals(Buffer.from(expected.join(''), 'utf8'));
      },
    ),
    { numRuns: 2000 },
  );
  t.pass('2000 random event lists');
});

t.test('writeJson gives exactly the bytes of JSON.stringify(toJson()), for any event and context', async (t) => {
  const anyString = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
  );
  const event = fc
    .record({
      base: arbitraryEvent,
      source: fc.constantFrom('accept' as const, 'handshake' as const, 'io_uring' as const, 'drop' as const),
      comm: fc.option(anyString, { nil: undefined }),
      state: fc.oneof(fc.constantFrom('ESTABLISHED', 'CLOSE', 'LISTEN', 'STATE_13'), anyString),
      remoteAddr: fc.oneof(fc.ipV4(), fc.ipV6(), anyString),
    })
    .map(({ base, ...rest }) => ({ ...base, ...rest }));
  fc.assert(
    fc.property(
      fc.array(event, { minLength: 1, maxLength: 4 }),
      // Any time from 1970 to 2100, with fractions of a millisecond, and any host name.
      fc.double({ min: 0, max: 4_102_444_800_000, noNaN: true }),
      anyString,
      (events, wallTimeMs, hostname) => {
        const context = { wallTimeMs, hostname };
        const out = new OutputBuffer(256);
        const expected: string[] = [];
        for (const e of events) {
          writeJson(e, context, out);
          out.newline();
          expected.push(`${JSON.stringify(toJson(e, context))}\n`);
        }
        return out.take().equals(Buffer.from(expected.join(''), 'utf8'));
      },
    ),
    { numRuns: 2000 },
  );
  t.pass('2000 random event lists');
});
