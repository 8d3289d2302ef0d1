import t from 'tap';
import { PerfRing } from '../../src/perf/perf-ring.ts';
import { RecordReader, type RingRecord, type WakeupSource } from '../../src/perf/record-reader.ts';
import { RingCorruptError } from '../../src/perf/errors.ts';
import { PAGE_SIZE, SyntheticPerfRing, pattern } from './synthetic-rings.ts';

/** Wake-up sources the test fires by hand, recording how many watches are open. */
class FakeWakeups {
  private listeners = new Set<() => void>();
  watchesOpened = 0;
  readonly source: WakeupSource = (onReadable) => {
    this.watchesOpened++;
    this.listeners.add(onReadable);
    return { close: () => void this.listeners.delete(onReadable) };
  };
  get active(): number {
    return this.listeners.size;
  }
  fire(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function setup(cpus: number, opts: { pages?: number } = {}) {
  const sources = Array.from({ length: cpus }, () => new SyntheticPerfRing(opts.pages ?? 1));
  const rings = sources.map((s, cpu) => new PerfRing(s.buffer, cpu, PAGE_SIZE));
  const wakeups = new FakeWakeups();
  const closed: string[] = [];
  const resources = sources.map((_s, cpu) => ({ close: () => void closed.push(`cpu${cpu}`) }));
  return { sources, rings, wakeups, closed, parts: { rings, wakeups: [wakeups.source], resources } };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('callback mode: a wake-up drains every ring, in ring order, and releases the space', (t) => {
  const { sources, wakeups, parts } = setup(2);
  const got: string[] = [];
  const reader = new RecordReader(parts, { onRecord: (cpu, bytes) => got.push(`${cpu}:${hex(bytes)}`) });
  t.teardown(() => reader.close());
  sources[1]!.writeSample(pattern(12, 1));
  sources[0]!.writeSample(pattern(12, 2));
  sources[1]!.writeSample(pattern(12, 3));
  for (const s of sources) s.publish();
  t.equal(wakeups.active, 1, 'callback mode watches from the start');
  wakeups.fire();
  t.same(got, [`0:${hex(pattern(12, 2))}`, `1:${hex(pattern(12, 1))}`, `1:${hex(pattern(12, 3))}`]);
  t.same(
    sources.map((s) => s.tail),
    [24n, 48n],
  );
  t.end();
});

t.test('callback mode: the flush timer delivers without any wake-up', async (t) => {
  const { sources, parts } = setup(1);
  const got: number[] = [];
  const reader = new RecordReader(parts, { onRecord: (_cpu, bytes) => got.push(bytes[0]!), flushIntervalMs: 20 });
  t.teardown(() => reader.close());
  sources[0]!.writeSample(pattern(12, 4));
  sources[0]!.publish();
  const started = Date.now();
  while (got.length === 0 && Date.now() - started < 1000) await delay(5);
  t.same(got, [pattern(12, 4)[0]]);
  t.ok(Date.now() - started < 500, 'delivered by the timer (20 ms period; slack for a loaded machine)');
});

t.test('lost records are counted per ring and reported', (t) => {
  const { sources, wakeups, parts } = setup(2);
  const lost: string[] = [];
  const reader = new RecordReader(parts, { onRecord: () => {}, onLost: (cpu, n) => lost.push(`${cpu}:${n}`) });
  t.teardown(() => reader.close());
  sources[0]!.writeLost(5n);
  sources[1]!.writeLost(2n);
  sources[1]!.writeLost(1n);
  for (const s of sources) s.publish();
  wakeups.fire();
  t.same(lost, ['0:5', '1:2', '1:1']);
  t.same(reader.lostPerRing, [5, 3]);
  t.equal(reader.lost, 8);
  t.end();
});

t.test('close(): idempotent, closes every resource once, stops watches and the timer', (t) => {
  const { wakeups, closed, parts } = setup(2);
  const reader = new RecordReader(parts, { onRecord: () => {} });
  reader.close();
  reader.close();
  t.same(closed, ['cpu0', 'cpu1']);
  t.equal(wakeups.active, 0);
  t.equal(reader.drain(), 0, 'a closed reader reads nothing');
  t.ok(reader.isClosed);
  t.end();
});

t.test('close() from inside onRecord stops delivery and unmaps only after the read returns', (t) => {
  const { sources, wakeups, closed, parts } = setup(1);
  for (let i = 0; i < 3; i++) sources[0]!.writeSample(pattern(12, i));
  sources[0]!.publish();
  const events: string[] = [];
  const reader = new RecordReader(parts, {
    onRecord: () => {
      events.push('record');
      reader.close();
      events.push(`closed during read: ${closed.length}`);
    },
  });
  wakeups.fire();
  t.same(events, ['record', 'closed during read: 0']);
  t.same(closed, ['cpu0']);
  t.end();
});

t.test('corruption in callback mode goes to onError and closes the reader', (t) => {
  const { sources, wakeups, closed, parts } = setup(1);
  sources[0]!.writeRecord(3, new Uint8Array(8));
  sources[0]!.publish();
  const errors: unknown[] = [];
  const reader = new RecordReader(parts, { onRecord: () => {}, onError: (e) => errors.push(e) });
  wakeups.fire();
  t.equal(errors.length, 1);
  t.ok(errors[0] instanceof RingCorruptError);
  t.ok(reader.isClosed);
  t.same(closed, ['cpu0']);
  t.end();
});

t.test('corruption from drain() without onError is thrown to the caller', (t) => {
  const { sources, parts } = setup(1);
  sources[0]!.writeRecord(9, new Uint8Array(8), 0);
  sources[0]!.publish();
  const reader = new RecordReader(parts, { onRecord: () => {} });
  t.throws(() => reader.drain(), RingCorruptError);
  t.ok(reader.isClosed);
  t.end();
});

t.test('iterator: yields owned copies in order; reads only when asked (back-pressure)', async (t) => {
  const { sources, wakeups, parts } = setup(2);
  const reader = new RecordReader(parts, { iteratorBatch: 2 });
  t.teardown(() => reader.close());
  for (let i = 0; i < 3; i++) sources[0]!.writeSample(pattern(12, i));
  sources[1]!.writeSample(pattern(12, 10));
  for (const s of sources) s.publish();
  t.equal(wakeups.active, 0, 'nothing is watched before someone iterates');
  const iterator = reader[Symbol.asyncIterator]();
  const first = await iterator.next();
  t.same(first, { done: false, value: { cpu: 0, bytes: pattern(12, 0) } });
  t.not((first.value as RingRecord).bytes.buffer, sources[0]!.buffer, 'a copy, safe to keep');
  t.same(
    sources.map((s) => s.tail),
    [48n, 24n],
    'one batch (2 per ring) was read and released',
  );
  wakeups.fire();
  t.same(
    sources.map((s) => s.tail),
    [48n, 24n],
    'no reading while nobody waits',
  );
  const rest: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await iterator.next();
    rest.push(`${r.value.cpu}:${r.value.bytes[0]}`);
  }
  t.same(rest, [`0:${pattern(12, 1)[0]}`, `1:${pattern(12, 10)[0]}`, `0:${pattern(12, 2)[0]}`]);
  t.same(
    sources.map((s) => s.tail),
    [72n, 24n],
  );
});

t.test('iterator: a waiting consumer is woken by the producer wake-up and then stops watching', async (t) => {
  const { sources, wakeups, parts } = setup(1);
  const reader = new RecordReader(parts, { flushIntervalMs: 60_000 });
  t.teardown(() => reader.close());
  const iterator = reader[Symbol.asyncIterator]();
  const pending = iterator.next();
  await delay(1);
  t.equal(wakeups.active, 1, 'watching while the consumer waits');
  sources[0]!.writeSample(pattern(12, 7));
  sources[0]!.publish();
  wakeups.fire();
  t.same(await pending, { done: false, value: { cpu: 0, bytes: pattern(12, 7) } });
  t.equal(wakeups.active, 0, 'not watching once the consumer has its record');
});

t.test('iterator: the flush timer wakes a waiting consumer without a wake-up', async (t) => {
  const { sources, parts } = setup(1);
  const reader = new RecordReader(parts, { flushIntervalMs: 15 });
  t.teardown(() => reader.close());
  const iterator = reader[Symbol.asyncIterator]();
  const pending = iterator.next();
  sources[0]!.writeSample(pattern(12, 8));
  sources[0]!.publish();
  t.same(await pending, { done: false, value: { cpu: 0, bytes: pattern(12, 8) } });
});

t.test('iterator: close() ends a pending next(); breaking out of for-await closes', async (t) => {
  {
    const { closed, parts } = setup(1);
    const reader = new RecordReader(parts);
    const pending = reader[Symbol.asyncIterator]().next();
    reader.close();
    t.same(await pending, { done: true, value: undefined });
    t.same(closed, ['cpu0']);
  }
  {
    const { sources, closed, parts } = setup(1);
    for (let i = 0; i < 3; i++) sources[0]!.writeSample(pattern(12, i));
    sources[0]!.publish();
    const reader = new RecordReader(parts);
    let seen = 0;
    for await (const record of reader) {
      t.equal(record.cpu, 0);
      if (++seen === 2) break;
    }
    t.ok(reader.isClosed);
    t.same(closed, ['cpu0']);
  }
});

t.test('iterator: corruption rejects next() with RingCorruptError and closes', async (t) => {
  const { sources, closed, parts } = setup(1);
  const reader = new RecordReader(parts, { flushIntervalMs: 10 });
  const iterator = reader[Symbol.asyncIterator]();
  const pending = iterator.next();
  sources[0]!.writeRecord(4, new Uint8Array(8));
  sources[0]!.publish();
  await t.rejects(pending, RingCorruptError);
  await t.rejects(iterator.next(), RingCorruptError, 'keeps failing afterwards');
  t.same(closed, ['cpu0']);
});

t.test('iterator and callback modes are exclusive; one iteration only', (t) => {
  const a = setup(1);
  const withCallback = new RecordReader(a.parts, { onRecord: () => {} });
  t.throws(() => withCallback[Symbol.asyncIterator](), /onRecord/);
  withCallback.close();
  const b = setup(1);
  const iterable = new RecordReader(b.parts);
  iterable[Symbol.asyncIterator]();
  t.throws(() => iterable[Symbol.asyncIterator](), /only once/);
  t.throws(() => iterable.drain(), /iteration/);
  iterable.close();
  t.throws(() => new RecordReader(setup(1).parts, { flushIntervalMs: 0 }), /flushIntervalMs/);
  t.end();
});

t.test('a producer faster than one pass is drained again on the next turn of the loop', async (t) => {
  const { sources, wakeups, parts } = setup(1);
  let got = 0;
  let refills = 3;
  const reader = new RecordReader(parts, {
    flushIntervalMs: 60_000,
    onRecord: () => {
      got++;
      // Simulate the kernel writing more while we read: new data past the head we loaded.
      if (refills > 0) {
        refills--;
        sources[0]!.writeSample(pattern(12, refills));
        sources[0]!.publish();
      }
    },
  });
  t.teardown(() => reader.close());
  sources[0]!.writeSample(pattern(12, 9));
  sources[0]!.publish();
  wakeups.fire();
  t.equal(got, 1, 'one pass stops at the head it loaded');
  // No wake-up fires and the flush timer is a minute away: only the re-read can deliver.
  const deadline = Date.now() + 1000;
  while (got < 4 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  t.equal(got, 4, 'the rest followed without another wake-up');
});

t.test('batches(): everything ready in one array, then waits for more; exclusive with records', async (t) => {
  const { sources, wakeups, parts } = setup(2);
  const reader = new RecordReader(parts, { flushIntervalMs: 60_000 });
  t.teardown(() => reader.close());
  sources[0]!.writeSample(pattern(12, 1));
  sources[1]!.writeSample(pattern(12, 2));
  sources[0]!.writeSample(pattern(12, 3));
  for (const s of sources) s.publish();
  const batches = reader.batches();
  t.throws(() => reader[Symbol.asyncIterator](), /only once/);
  const first = await batches.next();
  t.same(
    (first.value as RingRecord[]).map((r) => `${r.cpu}:${r.bytes[0]}`),
    [`0:${pattern(12, 1)[0]}`, `0:${pattern(12, 3)[0]}`, `1:${pattern(12, 2)[0]}`],
  );
  const pending = batches.next();
  await delay(1);
  sources[1]!.writeSample(pattern(12, 4));
  sources[1]!.publish();
  wakeups.fire();
  t.same(
    ((await pending).value as RingRecord[]).map((r) => hex(r.bytes)),
    [hex(pattern(12, 4))],
  );
  const last = batches.next();
  reader.close();
  t.same(await last, { done: true, value: undefined });
});
