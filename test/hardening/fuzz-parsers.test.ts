// Parsers fed random and mutated input: the perf ring parsers, the event decoder, the tracefs
// format parser, the BTF parser (mutations of this kernel's own vmlinux blob) and the text
// assembler (mutations of the real tcpaccept programs). Each input must end in a result or in
// our typed error — never RangeError/TypeError (a read outside a buffer), never a loop — and
// each input gets a time bound, so a parser that starts to crawl fails here, not in production.
// test/perf, test/syscalls and test/asm already check well-formed round trips and single-byte
// mutations of small synthetic inputs; this file adds whole-garbage rings, real-input mutations
// and pathological sizes.
import fc from 'fast-check';
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { BpfRingBuffer, PerfRing, RingCorruptError } from '../../src/perf/index.ts';
import { PERF_MMAP_DATA_HEAD, PERF_MMAP_DATA_OFFSET, PERF_MMAP_DATA_SIZE, PERF_MMAP_DATA_TAIL } from '../../src/perf/layout.ts';
import { decodeRecord, RECORD_SIZE } from '../../src/probe/record.ts';
import { Btf, ParseError, parseFormat, type TracepointFormat } from '../../src/syscalls/index.ts';
import { socketLayoutFromBtf, setStateLayout, syscallReturnField } from '../../src/probe/layout.ts';
import {
  acceptProgramText,
  handshakeReportProgramText,
  handshakeTimestampProgramText,
  type SocketLayout,
} from '../../src/probe/programs.ts';
import { AsmBuildError, AsmSyntaxError, parse } from '../../src/asm/index.ts';
import { PAGE_SIZE, SyntheticPerfRing, SyntheticRingBuffer, pattern } from '../perf/synthetic-rings.ts';

/**
 * Generous, because the machine is shared and GC pauses land on random inputs; inputs take
 * well under 10 ms, and what this catches is a loop or a quadratic blow-up (seconds).
 */
const PER_INPUT_BOUND_MS = 1000;

/** Runs fn, returning its duration; the slowest input of a property is checked against a bound. */
class Stopwatch {
  slowestMs = 0;
  slowestInput = '';
  time(input: () => string, fn: () => void): void {
    const started = performance.now();
    try {
      fn();
    } finally {
      const elapsed = performance.now() - started;
      if (elapsed > this.slowestMs) {
        this.slowestMs = elapsed;
        this.slowestInput = input();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Perf rings

interface RingOutcome {
  records: number;
  error?: RingCorruptError;
}

/**
 * Reads until the ring is empty or corrupt. Every payload must lie inside the data area (a view)
 * or be a copy no longer than the ring; the number of reads is bounded by the ring size, since
 * every record is at least 8 bytes.
 */
function drainPerfRing(ring: PerfRing, buffer: ArrayBuffer, dataOffset: number, dataSize: number): RingOutcome {
  let records = 0;
  const onRecord = (_cpu: number, bytes: Uint8Array): void => {
    if (bytes.buffer === buffer) {
      if (bytes.byteOffset < dataOffset || bytes.byteOffset + bytes.byteLength > dataOffset + dataSize) {
        throw new Error(`payload view [${bytes.byteOffset}, +${bytes.byteLength}) outside the data area`);
      }
    } else if (bytes.byteLength > dataSize) {
      throw new Error(`payload copy of ${bytes.byteLength} bytes is larger than the ${dataSize}-byte ring`);
    }
    records++;
  };
  const onLost = (_cpu: number, count: number): void => {
    if (!Number.isFinite(count) || count < 0) throw new Error(`lost count ${count}`);
  };
  for (let reads = 0; reads <= dataSize / 8 + 1; reads++) {
    let got: number;
    try {
      got = ring.read(onRecord, onLost);
    } catch (error) {
      if (error instanceof RingCorruptError) return { records, error };
      throw error;
    }
    ring.release();
    if (got === 0) return { records };
  }
  throw new Error('the ring kept producing records after more reads than it has room for');
}

/** A perf mapping whose header fields and data are whatever the property chose. */
function perfMapping(dataPages: number, head: bigint, tail: bigint, data: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(PAGE_SIZE + dataPages * PAGE_SIZE);
  const meta = new DataView(buffer);
  meta.setBigUint64(PERF_MMAP_DATA_OFFSET, BigInt(PAGE_SIZE), true);
  meta.setBigUint64(PERF_MMAP_DATA_SIZE, BigInt(dataPages * PAGE_SIZE), true);
  meta.setBigUint64(PERF_MMAP_DATA_HEAD, head, true);
  meta.setBigUint64(PERF_MMAP_DATA_TAIL, tail, true);
  const bytes = new Uint8Array(buffer, PAGE_SIZE);
  for (let i = 0; i < bytes.length; i += data.length) bytes.set(data.subarray(0, Math.min(data.length, bytes.length - i)), i);
  return buffer;
}

/** Concatenated records whose header fields are mostly plausible and sometimes anything. */
const perfRecordSoup = fc
  .array(
    fc.record({
      type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(9, 2) }, { weight: 1, arbitrary: fc.nat({ max: 2 ** 32 - 1 }) }),
      size: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 20 }).map((n) => n * 8) },
        { weight: 1, arbitrary: fc.nat({ max: 65535 }) },
      ),
      word: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 40 }) }, { weight: 1, arbitrary: fc.nat({ max: 2 ** 32 - 1 }) }),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .map((records) => {
    const parts = records.map(({ type, size, word }) => {
      const bytes = new Uint8Array(Math.max(16, Math.min(160, size + ((8 - (size % 8)) % 8))));
      const view = new DataView(bytes.buffer);
      view.setUint32(0, type, true);
      view.setUint16(6, size, true);
      view.setUint32(8, word, true);
      return bytes;
    });
    return Uint8Array.from(parts.flatMap((p) => [...p]));
  });

const position = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.bigInt({ min: 0n, max: 1n << 20n }),
  fc.constantFrom(0n, 8n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 8n),
);

t.test('perf ring: random header fields and random bytes end in records or RingCorruptError', async (t) => {
  const watch = new Stopwatch();
  let corrupt = 0;
  let delivered = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2),
      position,
      fc.oneof(fc.nat({ max: 2 * PAGE_SIZE }), fc.constant(-1)),
      fc.oneof(perfRecordSoup, fc.uint8Array({ minLength: 8, maxLength: 512 })),
      fc.boolean(),
      (pages, anyTail, distance, data, atRecordStart) => {
        const size = BigInt(pages * PAGE_SIZE);
        // Mostly a tail at the start of the soup, so its records get parsed; sometimes anywhere.
        const tail = atRecordStart ? anyTail - (anyTail % size) : anyTail;
        // Mostly heads within reach of the tail (so records get parsed), sometimes anything.
        const head = distance < 0 ? (tail + size * 3n) & (2n ** 64n - 1n) : (tail + BigInt(distance)) & (2n ** 64n - 1n);
        const buffer = perfMapping(pages, head, tail, data);
        watch.time(
          () => `pages ${pages} tail ${tail} head ${head} data ${Buffer.from(data).toString('hex')}`,
          () => {
            const outcome = drainPerfRing(new PerfRing(buffer, 0, PAGE_SIZE), buffer, PAGE_SIZE, pages * PAGE_SIZE);
            delivered += outcome.records;
            if (outcome.error) corrupt++;
          },
        );
      },
    ),
    { numRuns: 2000 },
  );
  t.ok(corrupt > 0 && delivered > 0, `2000 random rings: ${corrupt} RingCorruptErrors, ${delivered} records delivered`);
  t.ok(watch.slowestMs < PER_INPUT_BOUND_MS, `slowest input took ${watch.slowestMs.toFixed(2)} ms`, { input: watch.slowestInput });
});

t.test('perf ring: valid rings with random bytes overwritten read a prefix, then stop with RingCorruptError', async (t) => {
  const watch = new Stopwatch();
  let corrupt = 0;
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 62n }).map((p) => p & ~7n),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant(-1)), { minLength: 1, maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      (start, sizes, flips) => {
        const source = new SyntheticPerfRing(1, { startPosition: start });
        let written = 0;
        for (const [i, size] of sizes.entries()) {
          if (size < 0 ? source.writeLost(BigInt(i)) : source.writeSample(pattern(size, i))) written++;
        }
        source.publish();
        const data = new Uint8Array(source.buffer, PAGE_SIZE);
        for (const [at, value] of flips) data[at % data.length] = value;
        const ring = new PerfRing(source.buffer, 0, PAGE_SIZE);
        watch.time(
          () => `start ${start} sizes ${sizes.join()} flips ${JSON.stringify(flips)}`,
          () => {
            const outcome = drainPerfRing(ring, source.buffer, PAGE_SIZE, source.dataSize);
            if (outcome.error) corrupt++;
            // A corrupted size field can only merge records (never invent more than fit).
            if (outcome.records > source.dataSize / 8) throw new Error(`${outcome.records} records from a ${source.dataSize}-byte ring`);
            if (!outcome.error && outcome.records > written + source.dataSize / 8) throw new Error('more records than bytes');
          },
        );
      },
    ),
    { numRuns: 1500 },
  );
  t.ok(corrupt > 0, `1500 mutated rings, ${corrupt} stopped at corruption`);
  t.ok(watch.slowestMs < PER_INPUT_BOUND_MS, `slowest input took ${watch.slowestMs.toFixed(2)} ms`, { input: watch.slowestInput });
});

/** BPF ring buffer records: a u32 length word with BUSY/DISCARD bits, a page offset, a body. */
const ringbufRecordSoup = fc
  .array(
    fc.record({
      length: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 120 }) }, { weight: 1, arbitrary: fc.nat({ max: 2 ** 32 - 1 }) }),
      flags: fc.constantFrom(0, 0, 0, 1 << 31, 1 << 30),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .map((records) =>
    Uint8Array.from(
      records.flatMap(({ length, flags }) => {
        const bytes = new Uint8Array(8 + ((Math.min(length, 120) + 7) & ~7));
        new DataView(bytes.buffer).setUint32(0, (length | flags) >>> 0, true);
        return [...bytes];
      }),
    ),
  );

t.test('BPF ring buffer: random positions and bytes end in records, a busy stop or RingCorruptError', async (t) => {
  const watch = new Stopwatch();
  let corrupt = 0;
  let delivered = 0;
  fc.assert(
    fc.property(
      position,
      fc.oneof(fc.nat({ max: 2 * PAGE_SIZE }), fc.constant(-1)),
      fc.oneof(ringbufRecordSoup, fc.uint8Array({ minLength: 8, maxLength: 256 })),
      (consumer, distance, data) => {
        const source = new SyntheticRingBuffer(1);
        const size = BigInt(source.dataSize);
        const producer = distance < 0 ? (consumer + size * 5n) & (2n ** 64n - 1n) : (consumer + BigInt(distance)) & (2n ** 64n - 1n);
        source.consumerPos = consumer;
        source.publishHead(producer);
        const bytes = new Uint8Array(source.dataSize);
        for (let i = 0; i < bytes.length; i += data.length) bytes.set(data.subarray(0, Math.min(data.length, bytes.length - i)), i);
        source.writeBytes(0n, bytes);
        const ring = new BpfRingBuffer(source.consumerPage, source.producerArea, source.dataSize, PAGE_SIZE);
        watch.time(
          () => `consumer ${consumer} producer ${producer} data ${Buffer.from(data).toString('hex')}`,
          () => {
            for (let reads = 0; ; reads++) {
              if (reads > source.dataSize / 8 + 1) throw new Error('reads never ended');
              let got: number;
              try {
                got = ring.read(
                  (_cpu, payload) => {
                    // The double mapping makes every record contiguous: it must end inside the second copy.
                    if (payload.byteOffset < PAGE_SIZE || payload.byteOffset + payload.byteLength > PAGE_SIZE + 2 * source.dataSize) {
                      throw new Error(`payload [${payload.byteOffset}, +${payload.byteLength}) outside the data mapping`);
                    }
                    delivered++;
                  },
                  () => {},
                );
              } catch (error) {
                if (!(error instanceof RingCorruptError)) throw error;
                corrupt++;
                return;
              }
              ring.release();
              if (got === 0) return;
            }
          },
        );
      },
    ),
    { numRuns: 2000 },
  );
  t.ok(corrupt > 0 && delivered > 0, `2000 random ring buffers: ${corrupt} RingCorruptErrors, ${delivered} records`);
  t.ok(watch.slowestMs < PER_INPUT_BOUND_MS, `slowest input took ${watch.slowestMs.toFixed(2)} ms`, { input: watch.slowestInput });
});

t.test('event decoder: any 80+ bytes decode to a well-formed event; shorter is a RangeError', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: RECORD_SIZE, maxLength: RECORD_SIZE + 40 }), fc.nat({ max: 7 }), (bytes, shift) => {
      // Records arrive at any byte offset inside a ring mapping.
      const backing = new Uint8Array(bytes.length + shift);
      backing.set(bytes, shift);
      const event = decodeRecord(backing.subarray(shift));
      const portOk = (p: number) => Number.isInteger(p) && p >= 0 && p <= 65535;
      if (!portOk(event.localPort) || !portOk(event.remotePort)) throw new Error('port out of range');
      if (event.ipVersion !== 4 && event.ipVersion !== 6) throw new Error(`ipVersion ${String(event.ipVersion)}`);
      if (typeof event.state !== 'string' || typeof event.localAddr !== 'string' || typeof event.remoteAddr !== 'string') {
        throw new Error('non-string field');
      }
      if (event.comm !== undefined && event.comm.includes('\0')) throw new Error('NUL in comm');
      JSON.stringify({ ...event, timestampNs: String(event.timestampNs), queueWaitNs: String(event.queueWaitNs) });
    }),
    { numRuns: 3000 },
  );
  for (const length of [0, 1, 8, RECORD_SIZE - 1]) {
    t.throws(() => decodeRecord(new Uint8Array(length)), RangeError, `${length} bytes`);
  }
});

// ---------------------------------------------------------------------------------------------
// tracefs format files

const fixturesUrl = new URL('../syscalls/fixtures/', import.meta.url);
const FORMAT_FILES: Array<{ group: string; event: string; text: string; from: string }> = [];
for (const [group, event] of [
  ['sock', 'inet_sock_set_state'],
  ['syscalls', 'sys_exit_accept4'],
  ['syscalls', 'sys_exit_accept'],
] as const) {
  // This kernel's own files when readable (root), the checked-in copies otherwise.
  const live = `/sys/kernel/tracing/events/${group}/${event}/format`;
  let text: string;
  let from: string;
  try {
    text = readFileSync(live, 'utf8');
    from = live;
  } catch {
    text = readFileSync(new URL(`${group}_${event}.format`, fixturesUrl), 'utf8');
    from = 'fixture';
  }
  FORMAT_FILES.push({ group, event, text, from });
}

type TextMutation =
  | { kind: 'delete-range'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'duplicate-line'; line: number }
  | { kind: 'drop-line'; line: number }
  | { kind: 'swap-lines'; a: number; b: number }
  | { kind: 'number'; nth: number; value: string };

const WEIRD_NUMBERS = ['0', '-1', '4294967296', '9007199254740993', '1e9', '0x10', '99999999999999999999999999', '', '+1', '07', ' '];

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete-range' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(';', ':', '\t', '\n', '[', ']', '\0', 'field:', 'offset:', 'size:', 'signed:', '__data_loc ', 'unsigned ', '\u00e9'),
    ),
  }),
  fc.record({ kind: fc.constant('duplicate-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('drop-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('number' as const), nth: fc.nat(), value: fc.constantFrom(...WEIRD_NUMBERS) }),
);

function applyMutation(text: string, m: TextMutation): string {
  const lines = text.split('\n');
  switch (m.kind) {
    case 'delete-range': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'duplicate-line': {
      const i = m.line % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 'drop-line':
      lines.splice(m.line % lines.length, 1);
      return lines.join('\n');
    case 'swap-lines': {
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 'number': {
      const numbers = [...text.matchAll(/\d+/g)];
      if (numbers.length === 0) return text;
      const hit = numbers[m.nth % numbers.length]!;
      return text.slice(0, hit.index) + m.value + text.slice(hit.index! + hit[0].length);
    }
  }
}

t.test('tracefs format: mutations of the real files parse to sane fields or throw ParseError', async (t) => {
  const watch = new Stopwatch();
  let parsed = 0;
  let rejected = 0;
  fc.assert(
    fc.property(fc.nat({ max: FORMAT_FILES.length - 1 }), fc.array(textMutation, { minLength: 1, maxLength: 5 }), (which, mutations) => {
      const file = FORMAT_FILES[which]!;
      const text = mutations.reduce(applyMutation, file.text);
      watch.time(
        () => JSON.stringify(text),
        () => {
          let format: TracepointFormat;
          try {
            format = parseFormat(text, file.group, file.event);
          } catch (error) {
            if (!(error instanceof ParseError)) throw new Error(`${String(error)} for ${JSON.stringify(text)}`);
            rejected++;
            return;
          }
          parsed++;
          // Whatever was accepted must be numbers a BPF program can use as offsets.
          for (const field of format.fields) {
            for (const n of [field.offset, field.size]) {
              if (!Number.isSafeInteger(n) || n < 0) throw new Error(`field ${field.name}: ${n} in ${JSON.stringify(text)}`);
            }
          }
          if (!Number.isSafeInteger(format.id) || format.id < 0) throw new Error(`id ${format.id}`);
          // The layouts the programs are built from either come out whole or fail with an Error.
          try {
            if (file.group === 'sock') setStateLayout(format);
            else syscallReturnField(format);
          } catch (error) {
            if (error instanceof RangeError || error instanceof TypeError || !(error instanceof Error)) throw error;
          }
        },
      );
    }),
    { numRuns: 3000 },
  );
  t.ok(
    parsed > 0 && rejected > 0,
    `3000 mutated format files (${FORMAT_FILES.map((f) => f.from).join(', ')}): ${parsed} parsed, ${rejected} ParseErrors`,
  );
  t.ok(watch.slowestMs < PER_INPUT_BOUND_MS, `slowest input took ${watch.slowestMs.toFixed(2)} ms`);
});

t.test('tracefs format: huge inputs are handled in linear time', async (t) => {
  const base = FORMAT_FILES[0]!;
  const fieldLine = '\tfield:unsigned char x; offset:8; size:1; signed:0;';
  const cases: Array<[string, string]> = [
    ['a 4 MB line', `name: ${base.event}\nID: 1\nformat:\n\tfield:${'a'.repeat(4 << 20)} b; offset:0; size:1; signed:0;\n`],
    [
      '100 000 fields',
      `name: ${base.event}\nID: 1\nformat:\n${Array.from({ length: 100_000 }, (_, i) => fieldLine.replace(' x;', ` x${i};`)).join('\n')}\n`,
    ],
    ['a 100 000-digit offset', `name: ${base.event}\nID: 1\nformat:\n\tfield:int x; offset:${'9'.repeat(100_000)}; size:4; signed:1;\n`],
    ['200 000 duplicate fields', `name: ${base.event}\nID: 1\nformat:\n${Array.from({ length: 200_000 }, () => fieldLine).join('\n')}\n`],
    ['nested brackets', `name: ${base.event}\nID: 1\nformat:\n\tfield:char x${'['.repeat(100_000)}; offset:0; size:1; signed:0;\n`],
  ];
  for (const [what, text] of cases) {
    const started = performance.now();
    try {
      parseFormat(text, base.group, base.event);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
    }
    const elapsed = performance.now() - started;
    t.ok(elapsed < 2000, `${what}: ${elapsed.toFixed(0)} ms`);
  }
});

// ---------------------------------------------------------------------------------------------
// BTF

const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

/** Word-aligned positions in the type section that hold the name offset of `names` (struct and member records). */
function recordsNaming(blob: Uint8Array, names: string[]): number[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const headerLength = view.getUint32(4, true);
  const typeStart = headerLength + view.getUint32(8, true);
  const typeLength = view.getUint32(12, true);
  const stringStart = headerLength + view.getUint32(16, true);
  const stringLength = view.getUint32(20, true);
  const strings = Buffer.from(blob.buffer, blob.byteOffset + stringStart, stringLength);
  const wanted = new Set<number>();
  for (const name of names) {
    const needle = Buffer.from(`\0${name}\0`);
    for (let at = strings.indexOf(needle); at >= 0; at = strings.indexOf(needle, at + 1)) wanted.add(at + 1);
  }
  const hits: number[] = [];
  for (let at = typeStart; at < typeStart + typeLength; at += 4) {
    if (wanted.has(view.getUint32(at, true))) hits.push(at);
  }
  return hits;
}

t.test(
  "BTF: mutations of this kernel's vmlinux give the layout, a ParseError or a lookup Error",
  { skip: existsSync(KERNEL_BTF) ? false : `${KERNEL_BTF} is missing` },
  async (t) => {
    const blob = new Uint8Array(readFileSync(KERNEL_BTF));
    const reference = socketLayoutFromBtf(Btf.parse(blob));
    // Aim at what tcpaccept reads: the records and members named like the fields it looks up,
    // their neighbours (type ids, offsets, vlen), plus the header and anywhere at all.
    const targets = recordsNaming(blob, [
      'sock',
      'sock_common',
      'socket',
      'inet_sock',
      'file',
      'fdtable',
      'files_struct',
      'task_struct',
      '__sk_common',
      'skc_daddr',
      'skc_rcv_saddr',
      'skc_dport',
      'skc_family',
      'skc_state',
      'skc_v6_daddr',
      'skc_v6_rcv_saddr',
      'sk_protocol',
      'inet_sport',
      'files',
      'fdt',
      'fd',
      'private_data',
      'sk',
    ]);
    t.ok(targets.length > 20, `${targets.length} records and members to aim at`);
    const watch = new Stopwatch();
    const outcomes = { same: 0, different: 0, parseError: 0, lookupError: 0 };
    fc.assert(
      fc.property(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc.tuple(fc.nat({ max: targets.length - 1 }), fc.integer({ min: -8, max: 15 })).map(([i, d]) => targets[i]! + d),
          },
          { weight: 1, arbitrary: fc.nat({ max: 31 }) },
          { weight: 1, arbitrary: fc.nat({ max: blob.length - 1 }) },
        ),
        fc.oneof(fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x01), fc.integer({ min: 0, max: 255 })),
        (at, value) => {
          const original = blob[at]!;
          blob[at] = value;
          try {
            watch.time(
              () => `byte ${at} = ${value}`,
              () => {
                let btf: Btf;
                try {
                  btf = Btf.parse(blob);
                } catch (error) {
                  if (!(error instanceof ParseError)) throw error;
                  outcomes.parseError++;
                  return;
                }
                try {
                  const layout = socketLayoutFromBtf(btf);
                  outcomes[JSON.stringify(layout) === JSON.stringify(reference) ? 'same' : 'different']++;
                  for (const value of Object.values(layout).flatMap((v: number | object) =>
                    typeof v === 'number' ? [v] : Object.values(v),
                  )) {
                    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new Error(`layout value ${String(value)}`);
                  }
                } catch (error) {
                  // Missing or ambiguous members are ordinary Errors; RangeError/TypeError would be a read off the blob.
                  if (!(error instanceof Error) || error instanceof RangeError || error instanceof TypeError) throw error;
                  if (error.message.startsWith('layout value')) throw error;
                  outcomes.lookupError++;
                }
              },
            );
          } finally {
            blob[at] = original;
          }
        },
      ),
      { numRuns: 400 },
    );
    t.ok(outcomes.parseError + outcomes.lookupError + outcomes.different > 0, `400 mutated blobs: ${JSON.stringify(outcomes)}`);
    t.ok(watch.slowestMs < PER_INPUT_BOUND_MS, `slowest input took ${watch.slowestMs.toFixed(0)} ms`, { input: watch.slowestInput });
  },
);

t.test(
  "BTF: truncations of this kernel's vmlinux are ParseErrors",
  { skip: existsSync(KERNEL_BTF) ? false : `${KERNEL_BTF} is missing` },
  async (t) => {
    const blob = new Uint8Array(readFileSync(KERNEL_BTF));
    let errors = 0;
    for (const length of [0, 1, 23, 24, 25, 4096, 65537, blob.length >> 1, blob.length - 5, blob.length - 1]) {
      try {
        socketLayoutFromBtf(Btf.parse(blob.subarray(0, length)));
      } catch (error) {
        if (!(error instanceof ParseError)) throw new Error(`${length} bytes: ${String(error)}`);
        errors++;
      }
    }
    t.equal(errors, 10, 'every truncation is refused');
  },
);

// ---------------------------------------------------------------------------------------------
// The text assembler, on the real programs

function realPrograms(): string[] {
  const format = (name: string) =>
    parseFormat(readFileSync(new URL(name, fixturesUrl), 'utf8'), name.split('_')[0]!, name.replace(/^[a-z]+_/, '').replace('.format', ''));
  const setState = setStateLayout(format('sock_inet_sock_set_state.format'));
  const ret = syscallReturnField(format('syscalls_sys_exit_accept4.format'));
  let layout: SocketLayout;
  try {
    const btf = Btf.fromFile(KERNEL_BTF);
    layout = socketLayoutFromBtf(btf);
    btf.close();
  } catch {
    // No kernel BTF here: the recorded 6.18 kernel's (test/fixtures/kernel/btf), so the numbers
    // are a real kernel's, read from BTF like the others, not typed in.
    const recorded = Btf.fromFile(new URL('../fixtures/kernel/btf', import.meta.url).pathname);
    layout = socketLayoutFromBtf(recorded);
    recorded.close();
  }
  return [
    acceptProgramText(ret, layout, { pid: 1234, portFilter: true, ipVersion: 4, queueWait: true } as Parameters<
      typeof acceptProgramText
    >[2]),
    acceptProgramText(ret, layout, {}),
    handshakeTimestampProgramText(setState),
    handshakeReportProgramText(setState, { portFilter: true, ipVersion: 6 }),
  ];
}

const ASM_TOKENS = [
  'r11',
  'w12',
  'r10',
  '0x7fffffff',
  '-2147483649',
  '4294967296',
  '99999999999999999999',
  'goto',
  'out',
  'nowhere',
  '*(u128 *)',
  'map[nope]',
  'll',
  ':',
  '(',
  ')',
  '+',
  '-',
  '=',
  'exit',
  'call',
  'call 99999',
  'call bpf_nope',
];

t.test('assembler: mutations of the real tcpaccept programs give a Program or AsmSyntaxError', async (t) => {
  const programs = realPrograms();
  for (const text of programs) parse(text); // the unmutated ones assemble
  const watch = new Stopwatch();
  let assembled = 0;
  let rejected = 0;
  const errorNames = new Set<string>();
  const mutation = fc.oneof(
    textMutation,
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...ASM_TOKENS) }),
  );
  fc.assert(
    fc.property(fc.nat({ max: programs.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
      const text = mutations.reduce(applyMutation, programs[which]!);
      watch.time(
        () => JSON.stringify(mutations),
        () => {
          try {
            parse(text);
            assembled++;
          } catch (error) {
            if (!(error instanceof AsmSyntaxError || error instanceof AsmBuildError)) {
              throw new Error(`${String(error)} after ${JSON.stringify(mutations)}`);
            }
            errorNames.add(error.name);
            rejected++;
          }
        },
      );
    }),
    { numRuns: 2000 },
  );
  t.ok(
    assembled > 0 && rejected > 0,
    `2000 mutated programs: ${assembled} assembled, ${rejected} rejected with ${[...errorNames].join(', ')}`,
  );
  t.ok(watch.slowestMs < PER_INPUT_BOUND_MS, `slowest input took ${watch.slowestMs.toFixed(2)} ms`, { input: watch.slowestInput });
});

t.test('assembler: pathological sizes stay linear', async (t) => {
  const cases: Array<[string, string]> = [
    ['100 000 instructions', 'r0 = 0\n'.repeat(100_000) + 'exit\n'],
    ['10 000 labels jumping forward', Array.from({ length: 10_000 }, (_, i) => `l${i}: goto l${i + 1}`).join('\n') + '\nl10000: exit\n'],
    ['a 256 KB comment', `/* ${'*'.repeat(1 << 18)} */ exit`],
    ['an unterminated 256 KB comment', `/* ${'/*'.repeat(1 << 17)}`],
    ['a 256 KB identifier', `${'a'.repeat(1 << 18)} = 1`],
    ['a 256 KB number', `r0 = ${'9'.repeat(1 << 18)}`],
    ['100 000 nested parentheses', `r0 = *(u32 *)${'('.repeat(100_000)}r1 + 0${')'.repeat(100_000)}`],
    ['a jump 40 000 instructions back', 'top: r0 = 0\n' + 'r0 += 1\n'.repeat(40_000) + 'goto top\n'],
  ];
  for (const [what, text] of cases) {
    const started = performance.now();
    let outcome = 'assembled';
    try {
      parse(text);
    } catch (error) {
      if (!(error instanceof AsmSyntaxError || error instanceof AsmBuildError)) throw new Error(`${what}: ${String(error)}`);
      outcome = error.name;
    }
    const elapsed = performance.now() - started;
    t.ok(elapsed < 3000, `${what}: ${outcome} in ${elapsed.toFixed(0)} ms`);
  }
});
