import t, { type Test } from 'tap';
import fc from 'fast-check';
import { PerfRing } from '../../src/perf/perf-ring.ts';
import { RingCorruptError } from '../../src/perf/errors.ts';
import { PERF_MMAP_DATA_TAIL } from '../../src/perf/layout.ts';
import { PAGE_SIZE, SyntheticPerfRing, expectedRaw, pattern } from './synthetic-rings.ts';

interface Collected {
  samples: { cpu: number; bytes: Uint8Array; isView: boolean }[];
  lost: { cpu: number; count: number }[];
}

function readAll(ring: PerfRing, source: SyntheticPerfRing, maxRecords?: number): Collected & { records: number } {
  const out: Collected = { samples: [], lost: [] };
  const records = ring.read(
    (cpu, bytes) => out.samples.push({ cpu, bytes: bytes.slice(), isView: bytes.buffer === source.buffer }),
    (cpu, count) => out.lost.push({ cpu, count }),
    maxRecords,
  );
  return { ...out, records };
}

function corruptError(t: Test, fn: () => unknown, reason: string, position: bigint): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  t.ok(caught instanceof RingCorruptError, 'throws RingCorruptError');
  const error = caught as RingCorruptError;
  t.equal(error.reason, reason);
  t.equal(error.position, position);
  t.equal(error.cpu, 3);
}

t.test('empty ring: nothing delivered, tail unchanged', (t) => {
  const source = new SyntheticPerfRing(1);
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  t.equal(ring.dataSize, PAGE_SIZE);
  const got = readAll(ring, source);
  t.same(got, { samples: [], lost: [], records: 0 });
  ring.release();
  t.equal(source.tail, 0n);
  t.equal(ring.readableBytes(), 0);
  t.end();
});

t.test('one record: exact raw bytes as a zero-copy view, tail stored on release only', (t) => {
  const source = new SyntheticPerfRing(1);
  const payload = pattern(12, 1); // 4 + 12 = 16: no padding
  source.writeSample(payload);
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  t.equal(ring.readableBytes(), 24);
  const got = readAll(ring, source);
  t.equal(got.records, 1);
  t.same(got.samples, [{ cpu: 3, bytes: payload, isView: true }]);
  t.equal(source.tail, 0n, 'read() alone does not move data_tail');
  t.equal(ring.readableBytes(), 0);
  ring.release();
  t.equal(source.tail, 24n, 'release() stores data_tail past the record');
  t.equal(new DataView(source.buffer).getBigUint64(PERF_MMAP_DATA_TAIL, true), 24n);
  t.end();
});

t.test('raw payload keeps the kernel padding: exactly `size` bytes are handed out', (t) => {
  const source = new SyntheticPerfRing(1);
  const payload = pattern(8, 2); // 4 + 8 = 12 → padded to 16, raw size 12
  source.writeSample(payload);
  source.publish();
  const got = readAll(new PerfRing(source.buffer, 3, PAGE_SIZE), source);
  t.same(
    got.samples.map((s) => s.bytes),
    [Uint8Array.from([...payload, 0, 0, 0, 0])],
  );
  t.end();
});

t.test('many records arrive in order, each exact', (t) => {
  const source = new SyntheticPerfRing(4);
  const payloads = Array.from({ length: 150 }, (_, i) => pattern(4 + (i % 13) * 8, i));
  for (const payload of payloads) t.ok(source.writeSample(payload));
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  const got = readAll(ring, source);
  t.equal(got.records, 150);
  t.same(
    got.samples.map((s) => s.bytes),
    payloads.map(expectedRaw),
  );
  ring.release();
  t.equal(source.tail, source.head);
  t.end();
});

t.test('exactly full ring (head - tail == data size) is read completely', (t) => {
  const source = new SyntheticPerfRing(1, { startPosition: 1000n * 8n });
  // 4096 / 32 = 128 records of 32 bytes: 8 header + 4 size + 20 payload.
  const payloads = Array.from({ length: 128 }, (_, i) => pattern(20, i));
  for (const payload of payloads) t.ok(source.writeSample(payload));
  t.equal(source.free, 0);
  t.notOk(source.writeSample(pattern(20, 999)), 'producer sees a full ring');
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  const got = readAll(ring, source);
  t.same(
    got.samples.map((s) => s.bytes),
    payloads,
  );
  ring.release();
  t.equal(source.tail, 8000n + 4096n);
  t.end();
});

t.test('a payload wrapping the end of the ring is copied; whole ones stay views', (t) => {
  // Start 24 bytes before the end: the first record's header and size fit, its payload wraps.
  const start = BigInt(PAGE_SIZE - 24);
  const source = new SyntheticPerfRing(1, { startPosition: start });
  const wrapped = pattern(60, 7);
  const after = pattern(12, 8);
  source.writeSample(wrapped);
  source.writeSample(after);
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  const got = readAll(ring, source);
  t.same(got.samples, [
    { cpu: 3, bytes: wrapped, isView: false },
    { cpu: 3, bytes: after, isView: true },
  ]);
  ring.release();
  t.equal(source.tail, start + 72n + 24n);
  t.end();
});

t.test('a record whose header sits in the last 8 bytes has its payload at the start', (t) => {
  const start = BigInt(PAGE_SIZE - 8);
  const source = new SyntheticPerfRing(1, { startPosition: start });
  const payload = pattern(20, 9);
  source.writeSample(payload);
  source.publish();
  const got = readAll(new PerfRing(source.buffer, 3, PAGE_SIZE), source);
  t.same(got.samples, [{ cpu: 3, bytes: payload, isView: true }]);
  t.end();
});

t.test('lost records are reported between samples, in ring order', (t) => {
  const source = new SyntheticPerfRing(1);
  source.writeSample(pattern(12, 1));
  source.writeLost(7n, 42n);
  source.writeSample(pattern(12, 2));
  source.writeLost(2n ** 40n);
  source.publish();
  const order: string[] = [];
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  const records = ring.read(
    (cpu, bytes) => order.push(`sample cpu${cpu} ${bytes[0]}`),
    (cpu, count) => order.push(`lost cpu${cpu} ${count}`),
  );
  t.equal(records, 4);
  t.same(order, [`sample cpu3 ${pattern(12, 1)[0]}`, 'lost cpu3 7', `sample cpu3 ${pattern(12, 2)[0]}`, `lost cpu3 ${2 ** 40}`]);
  t.end();
});

t.test('unknown record type: typed error at its position, earlier records delivered and releasable', (t) => {
  const source = new SyntheticPerfRing(1);
  source.writeSample(pattern(12, 1));
  source.writeRecord(3 /* PERF_RECORD_COMM */, new Uint8Array(16));
  source.writeSample(pattern(12, 2));
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  const seen: Uint8Array[] = [];
  corruptError(
    t,
    () =>
      ring.read(
        (_cpu, bytes) => seen.push(bytes.slice()),
        () => t.fail('no lost'),
      ),
    'unknown-record-type',
    24n,
  );
  t.same(seen, [pattern(12, 1)], 'the record before the bad one was delivered');
  ring.release();
  t.equal(source.tail, 24n, 'tail stops at the bad record');
  t.end();
});

t.test('corrupted sizes are typed errors, never loops or reads outside the ring', async (t) => {
  const cases: { name: string; write: (s: SyntheticPerfRing) => void }[] = [
    { name: 'size 0', write: (s) => s.writeRecord(9, new Uint8Array(8), 0) },
    { name: 'size not 8-aligned', write: (s) => s.writeRecord(9, new Uint8Array(8), 20) },
    { name: 'size 8 sample without raw size', write: (s) => s.writeRecord(9, new Uint8Array(0), 8) },
    { name: 'size past the published head', write: (s) => s.writeRecord(9, new Uint8Array(8), 4096) },
    {
      name: 'raw size overflowing its record',
      write: (s) => {
        const body = new Uint8Array(8);
        new DataView(body.buffer).setUint32(0, 1000, true);
        s.writeRecord(9, body);
      },
    },
    { name: 'lost record too short for its count', write: (s) => s.writeRecord(2, new Uint8Array(8)) },
  ];
  for (const c of cases) {
    t.test(c.name, (t) => {
      const source = new SyntheticPerfRing(1, { startPosition: 4096n * 5n });
      source.writeSample(pattern(12, 1));
      c.write(source);
      source.publish();
      const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
      corruptError(t, () => readAll(ring, source), 'bad-record-size', 4096n * 5n + 24n);
      t.end();
    });
  }
});

t.test('a head ahead of the tail by less than a header is a bad size', (t) => {
  const source = new SyntheticPerfRing(1);
  source.publishHead(4n);
  corruptError(t, () => readAll(new PerfRing(source.buffer, 3, PAGE_SIZE), source), 'bad-record-size', 0n);
  t.end();
});

t.test('tail ahead of head', (t) => {
  const source = new SyntheticPerfRing(1, { startPosition: 64n });
  source.tail = 128n;
  corruptError(t, () => readAll(new PerfRing(source.buffer, 3, PAGE_SIZE), source), 'tail-ahead-of-head', 128n);
  t.end();
});

t.test('head more than a ring past the tail', (t) => {
  const source = new SyntheticPerfRing(1);
  source.publishHead(4096n + 8n);
  corruptError(t, () => readAll(new PerfRing(source.buffer, 3, PAGE_SIZE), source), 'overfull', 0n);
  t.end();
});

t.test('misaligned tail', (t) => {
  const source = new SyntheticPerfRing(1);
  source.tail = 4n;
  source.publishHead(64n);
  corruptError(t, () => readAll(new PerfRing(source.buffer, 3, PAGE_SIZE), source), 'misaligned', 4n);
  t.end();
});

t.test('maxRecords bounds a read; later reads continue before the release', (t) => {
  const source = new SyntheticPerfRing(1);
  const payloads = [1, 2, 3, 4, 5].map((i) => pattern(12, i));
  for (const p of payloads) source.writeSample(p);
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  const first = readAll(ring, source, 2);
  t.same(
    first.samples.map((s) => s.bytes),
    payloads.slice(0, 2),
  );
  const second = readAll(ring, source, 2);
  t.same(
    second.samples.map((s) => s.bytes),
    payloads.slice(2, 4),
  );
  t.equal(source.tail, 0n);
  ring.release();
  t.equal(source.tail, 96n, 'one release covers both reads');
  const rest = readAll(ring, source);
  t.same(
    rest.samples.map((s) => s.bytes),
    payloads.slice(4),
  );
  t.end();
});

t.test('records published after a read are picked up by the next one', (t) => {
  const source = new SyntheticPerfRing(1);
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  source.writeSample(pattern(12, 1));
  source.publish();
  t.equal(readAll(ring, source).records, 1);
  ring.release();
  source.writeSample(pattern(12, 2));
  source.publish();
  t.same(
    readAll(ring, source).samples.map((s) => s.bytes),
    [pattern(12, 2)],
  );
  t.end();
});

t.test('positions beyond 2^53 are handled exactly', (t) => {
  const start = 2n ** 60n + 4096n * 3n - 16n;
  const source = new SyntheticPerfRing(1, { startPosition: start });
  const payloads = [pattern(36, 1), pattern(12, 2)];
  for (const p of payloads) source.writeSample(p);
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  t.same(
    readAll(ring, source).samples.map((s) => s.bytes),
    payloads,
  );
  ring.release();
  t.equal(source.tail, start + 48n + 24n);
  t.end();
});

t.test('a throwing handler does not get the same record again', (t) => {
  const source = new SyntheticPerfRing(1);
  source.writeSample(pattern(12, 1));
  source.writeSample(pattern(12, 2));
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  t.throws(
    () =>
      ring.read(
        () => {
          throw new Error('consumer bug');
        },
        () => {},
      ),
    /consumer bug/,
  );
  t.same(
    readAll(ring, source).samples.map((s) => s.bytes),
    [pattern(12, 2)],
  );
  t.end();
});

t.test('stop() ends a read before the next record', (t) => {
  const source = new SyntheticPerfRing(1);
  for (let i = 0; i < 3; i++) source.writeSample(pattern(12, i));
  source.publish();
  const ring = new PerfRing(source.buffer, 3, PAGE_SIZE);
  let seen = 0;
  t.equal(
    ring.read(
      () => {
        seen++;
        ring.stop();
      },
      () => {},
    ),
    1,
  );
  t.equal(seen, 1);
  t.equal(
    ring.read(
      () => seen++,
      () => {},
    ),
    0,
    'a stopped ring reads nothing',
  );
  t.end();
});

t.test('mapping that cannot hold its data area is refused', (t) => {
  t.throws(() => new PerfRing(new ArrayBuffer(PAGE_SIZE + 3 * PAGE_SIZE), 0, PAGE_SIZE), /power of two/);
  t.throws(() => new PerfRing(new ArrayBuffer(512), 0, PAGE_SIZE), /smaller than its metadata page/);
  t.end();
});

t.test('property: any record sequence from any start position reads back exactly', (t) => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 62n }).map((p) => p & ~7n),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(-1)), { minLength: 0, maxLength: 60 }),
      fc.integer({ min: 1, max: 7 }),
      (start, sizes, chunk) => {
        const source = new SyntheticPerfRing(2, { startPosition: start });
        const ring = new PerfRing(source.buffer, 1, PAGE_SIZE);
        const expected: string[] = [];
        const actual: string[] = [];
        const onRecord = (cpu: number, bytes: Uint8Array): void => void actual.push(`s${cpu}:${Buffer.from(bytes).toString('hex')}`);
        const onLost = (cpu: number, count: number): void => void actual.push(`l${cpu}:${count}`);
        // Produce in chunks and drain between them, so the ring wraps many times.
        for (let i = 0; i < sizes.length; i += chunk) {
          for (const [j, size] of sizes.slice(i, i + chunk).entries()) {
            if (size < 0) {
              if (source.writeLost(BigInt(i + j))) expected.push(`l1:${i + j}`);
            } else {
              const payload = pattern(size, i + j);
              if (source.writeSample(payload)) expected.push(`s1:${Buffer.from(expectedRaw(payload)).toString('hex')}`);
            }
          }
          source.publish();
          ring.read(onRecord, onLost);
          ring.release();
          if (source.tail !== source.head) return false;
        }
        return actual.join() === expected.join();
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random sequences read back exactly');
  t.end();
});
