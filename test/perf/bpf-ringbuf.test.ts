import t, { type Test } from 'tap';
import fc from 'fast-check';
import { BpfRingBuffer } from '../../src/perf/bpf-ringbuf.ts';
import { RingCorruptError } from '../../src/perf/errors.ts';
import { PAGE_SIZE, SyntheticRingBuffer, pattern } from './synthetic-rings.ts';

function open(source: SyntheticRingBuffer): BpfRingBuffer {
  return new BpfRingBuffer(source.consumerPage, source.producerArea, source.dataSize, PAGE_SIZE);
}

function readAll(ring: BpfRingBuffer, source: SyntheticRingBuffer, maxRecords?: number) {
  const samples: { cpu: number; bytes: Uint8Array; isView: boolean }[] = [];
  const records = ring.read(
    (cpu, bytes) => samples.push({ cpu, bytes: bytes.slice(), isView: bytes.buffer === source.producerArea }),
    () => {
      throw new Error('a BPF ring buffer has no lost records');
    },
    maxRecords,
  );
  return { samples, records };
}

function corruptError(t: Test, fn: () => unknown, reason: string, position: bigint): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  t.ok(caught instanceof RingCorruptError, 'throws RingCorruptError');
  t.equal((caught as RingCorruptError).reason, reason);
  t.equal((caught as RingCorruptError).position, position);
  t.equal((caught as RingCorruptError).cpu, -1);
}

t.test('empty ring buffer', (t) => {
  const source = new SyntheticRingBuffer(1);
  const ring = open(source);
  t.same(readAll(ring, source), { samples: [], records: 0 });
  ring.release();
  t.equal(source.consumerPos, 0n);
  t.end();
});

t.test('one record: exact length (no padding), view, consumer_pos stored on release', (t) => {
  const source = new SyntheticRingBuffer(1);
  source.write(pattern(13, 1));
  source.publish();
  const ring = open(source);
  t.equal(ring.readableBytes(), 24);
  t.same(readAll(ring, source), { samples: [{ cpu: -1, bytes: pattern(13, 1), isView: true }], records: 1 });
  t.equal(source.consumerPos, 0n);
  ring.release();
  t.equal(source.consumerPos, 24n);
  t.end();
});

t.test('many records in order; exactly full ring', (t) => {
  const source = new SyntheticRingBuffer(1, { startPosition: 4096n * 9n + 512n });
  const payloads = Array.from({ length: 128 }, (_, i) => pattern(24, i)); // 128 × 32 bytes = 4096
  for (const p of payloads) t.ok(source.write(p));
  t.notOk(source.write(pattern(1, 0)), 'producer sees a full ring');
  source.publish();
  const ring = open(source);
  const got = readAll(ring, source);
  t.same(
    got.samples.map((s) => s.bytes),
    payloads,
  );
  t.ok(
    got.samples.every((s) => s.isView),
    'the double mapping makes wrapped records contiguous',
  );
  ring.release();
  t.equal(source.consumerPos, source.head);
  t.end();
});

t.test('a record wrapping the end is still a zero-copy view', (t) => {
  const start = BigInt(PAGE_SIZE - 16);
  const source = new SyntheticRingBuffer(1, { startPosition: start });
  source.write(pattern(100, 5));
  source.publish();
  t.same(readAll(open(source), source).samples, [{ cpu: -1, bytes: pattern(100, 5), isView: true }]);
  t.end();
});

t.test('data mapped once: a record wrapping the end is copied, whole; the ones around it are views', (t) => {
  const start = BigInt(PAGE_SIZE - 48);
  const source = new SyntheticRingBuffer(1, { startPosition: start, mappedOnce: true });
  source.write(pattern(16, 1)); // 24 bytes: ends 24 bytes before the end
  source.write(pattern(100, 2)); // header in the last 24 bytes, payload runs past the end
  source.write(pattern(10, 3)); // back at the start
  source.publish();
  t.same(readAll(open(source), source).samples, [
    { cpu: -1, bytes: pattern(16, 1), isView: true },
    { cpu: -1, bytes: pattern(100, 2), isView: false },
    { cpu: -1, bytes: pattern(10, 3), isView: true },
  ]);
  t.end();
});

t.test('data mapped once: a payload that starts exactly at the end is a view of the start', (t) => {
  const source = new SyntheticRingBuffer(1, { startPosition: BigInt(PAGE_SIZE - 8), mappedOnce: true });
  source.write(pattern(40, 7)); // header in the last 8 bytes, payload from offset 0
  source.publish();
  t.same(readAll(open(source), source).samples, [{ cpu: -1, bytes: pattern(40, 7), isView: true }]);
  t.end();
});

t.test('busy records stop the read until submitted; discarded ones are skipped', (t) => {
  const source = new SyntheticRingBuffer(1);
  source.write(pattern(8, 1));
  const busyAt = source.head;
  source.write(pattern(8, 2), { busy: true });
  source.write(pattern(8, 3));
  source.write(pattern(8, 4), { discard: true });
  source.write(pattern(8, 5));
  source.publish();
  const ring = open(source);
  t.same(
    readAll(ring, source).samples.map((s) => s.bytes),
    [pattern(8, 1)],
  );
  ring.release();
  t.equal(source.consumerPos, 16n, 'nothing past the busy record is consumed');
  source.submit(busyAt, 8);
  const rest = readAll(ring, source);
  t.same(
    rest.samples.map((s) => s.bytes),
    [pattern(8, 2), pattern(8, 3), pattern(8, 5)],
  );
  t.equal(rest.records, 3, 'discarded records are not counted');
  ring.release();
  t.equal(source.consumerPos, source.head, 'discarded space is given back too');
  t.end();
});

t.test('corrupted length, short header, tail ahead of head, overfull', (t) => {
  {
    const source = new SyntheticRingBuffer(1);
    source.write(pattern(8, 1));
    source.write(pattern(8, 2), { lengthOverride: 5000 });
    source.publish();
    const ring = open(source);
    const seen: Uint8Array[] = [];
    corruptError(
      t,
      () =>
        ring.read(
          (_c, b) => seen.push(b.slice()),
          () => {},
        ),
      'bad-record-size',
      16n,
    );
    t.same(seen, [pattern(8, 1)]);
    ring.release();
    t.equal(source.consumerPos, 16n);
  }
  {
    const source = new SyntheticRingBuffer(1);
    source.publishHead(4n);
    corruptError(t, () => readAll(open(source), source), 'bad-record-size', 0n);
  }
  {
    const source = new SyntheticRingBuffer(1, { startPosition: 64n });
    source.consumerPos = 128n;
    corruptError(t, () => readAll(open(source), source), 'tail-ahead-of-head', 128n);
  }
  {
    const source = new SyntheticRingBuffer(1);
    source.publishHead(4096n + 8n);
    corruptError(t, () => readAll(open(source), source), 'overfull', 0n);
  }
  {
    const source = new SyntheticRingBuffer(1);
    source.consumerPos = 4n;
    source.publishHead(64n);
    corruptError(t, () => readAll(open(source), source), 'misaligned', 4n);
  }
  t.end();
});

t.test('maxRecords and split reads', (t) => {
  const source = new SyntheticRingBuffer(1);
  for (let i = 0; i < 5; i++) source.write(pattern(4, i));
  source.publish();
  const ring = open(source);
  t.equal(readAll(ring, source, 3).records, 3);
  t.same(
    readAll(ring, source).samples.map((s) => s.bytes),
    [pattern(4, 3), pattern(4, 4)],
  );
  ring.release();
  t.equal(source.consumerPos, 80n);
  t.end();
});

t.test('mapping too small for the data is refused', (t) => {
  t.throws(
    () => new BpfRingBuffer(new ArrayBuffer(PAGE_SIZE), new ArrayBuffer(PAGE_SIZE * 2), 2 * PAGE_SIZE, PAGE_SIZE),
    /cannot hold a page plus the data/,
  );
  t.throws(() => new BpfRingBuffer(new ArrayBuffer(PAGE_SIZE), new ArrayBuffer(PAGE_SIZE * 8), 3 * PAGE_SIZE, PAGE_SIZE), /power of two/);
  t.end();
});

t.test('property: any record sequence from any start position reads back exactly', (t) => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 62n }).map((p) => p & ~7n),
      fc.array(fc.record({ size: fc.integer({ min: 0, max: 400 }), discard: fc.boolean() }), { maxLength: 50 }),
      fc.integer({ min: 1, max: 6 }),
      fc.boolean(),
      (start, records, chunk, mappedOnce) => {
        const source = new SyntheticRingBuffer(2, { startPosition: start, mappedOnce });
        const ring = open(source);
        const expected: string[] = [];
        const actual: string[] = [];
        for (let i = 0; i < records.length; i += chunk) {
          for (const [j, r] of records.slice(i, i + chunk).entries()) {
            const payload = pattern(r.size, i + j);
            if (source.write(payload, { discard: r.discard }) && !r.discard) expected.push(Buffer.from(payload).toString('hex'));
          }
          source.publish();
          ring.read(
            (_cpu, bytes) => void actual.push(Buffer.from(bytes).toString('hex')),
            () => {},
          );
          ring.release();
          if (source.consumerPos !== source.head) return false;
        }
        return actual.join() === expected.join();
      },
    ),
    { numRuns: 200 },
  );
  t.pass('200 random sequences read back exactly, data mapped once or twice');
  t.end();
});
