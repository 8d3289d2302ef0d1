import t from 'tap';
import { fdsLeftOpenSince, openFds, type FdSnapshot } from '../helpers/fds.ts';
import { kernelTest } from '../helpers/kernel.ts';
import { startTimeScale } from '../helpers/processes.ts';
import { PerfEventArrayReader, RingBufferReader, type RecordReader } from '../../src/perf/index.ts';
import { ffi } from '../../src/syscalls/index.ts';
import { CounterChecker, CounterFixture } from './counter-fixture.ts';
import { decodeCounter } from './counter-program.ts';

const N = 100_000;
const BURST = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(1);
  }
  return true;
}

/** Open fds of this process; loads the FFI backend first, whose own fds live as long as it does. */
function fdsBeforeTest(): FdSnapshot {
  ffi();
  return openFds();
}

/** Bursts of synchronous getppid calls; between bursts the reader drains on its own wake-ups/timer. */
async function burst(fixture: CounterFixture, reader: RecordReader, total: number): Promise<void> {
  for (let issued = 0; issued < total; issued += BURST) {
    fixture.trigger(BURST);
    await until(() => reader.pendingBytes() === 0, 2_000);
  }
}

function checkingReader(checker: CounterChecker) {
  return (cpu: number, bytes: Uint8Array): void => {
    const { count, cpu: from } = decodeCounter(bytes);
    checker.record(cpu, count, from);
  };
}

t.test('perf event array, default settings: all 100 000 events, per-CPU order, none lost', kernelTest(), async (t) => {
  const fdsBefore = fdsBeforeTest();
  const fixture = new CounterFixture('perf');
  t.teardown(() => fixture.close());
  const checker = new CounterChecker(false);
  const reader = new PerfEventArrayReader(fixture.events!, { onRecord: checkingReader(checker) });
  t.teardown(() => reader.close());
  fixture.attach();
  await burst(fixture, reader, N);
  t.ok(await until(() => checker.total >= N, 2_000), 'everything arrived without an explicit drain');
  t.equal(checker.total, N);
  t.equal(reader.lost, 0);
  t.same(checker.problems, []);
  const perCpu = Object.values(checker.highest());
  t.equal(
    perCpu.reduce((a, b) => a + b, 0),
    N,
    'per-CPU counts add up to N',
  );
  fixture.detach();
  reader.close();
  reader.close();
  fixture.close();
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'close() released every fd');
});

t.test('perf event array, 1-page rings under the same burst: lost counted, no crash', kernelTest(), async (t) => {
  const fixture = new CounterFixture('perf');
  t.teardown(() => fixture.close());
  const checker = new CounterChecker(true);
  const lostReports: number[] = [];
  const reader = new PerfEventArrayReader(fixture.events!, {
    dataPages: 1,
    onRecord: checkingReader(checker),
    onLost: (_cpu, count) => lostReports.push(count),
  });
  t.teardown(() => reader.close());
  fixture.attach();
  await burst(fixture, reader, N);
  // The kernel writes a lost record only when a later output on that CPU fits: give it one
  // (drops on a CPU the thread never returns to stay unreported, so delivered + lost <= N + 1).
  fixture.trigger(1);
  await until(() => reader.pendingBytes() === 0, 2_000);
  t.ok(reader.lost > 0, `kernel reported ${reader.lost} lost`);
  t.equal(
    reader.lost,
    lostReports.reduce((a, b) => a + b, 0),
    'onLost saw every count',
  );
  t.ok(checker.total > 0 && checker.total < N, `${checker.total} delivered`);
  t.ok(checker.total + reader.lost <= N + 1, 'no record counted twice');
  t.same(checker.problems, [], 'what did arrive is in per-CPU order');
});

t.test('perf event array: a lone event reaches a waiting iterator through the flush timer', kernelTest(), async (t) => {
  const fixture = new CounterFixture('perf');
  t.teardown(() => fixture.close());
  const reader = new PerfEventArrayReader(fixture.events!, { flushIntervalMs: 50 });
  t.teardown(() => reader.close());
  fixture.attach();
  const iterator = reader[Symbol.asyncIterator]();
  const pending = iterator.next();
  // Past the reader's first poll, so the default watermark (far from reached) sends no
  // wake-up and only the flush timer can deliver.
  await sleep(10);
  const started = Date.now();
  fixture.trigger(1);
  // Without the timer the event would wait for ever (nothing else comes to reach the
  // watermark), so arriving at all is the check; how soon is the machine's speed (printed).
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    pending,
    new Promise<'never'>((resolve) => (timer = setTimeout(() => resolve('never'), 10_000 * startTimeScale))),
  ]);
  clearTimeout(timer);
  const elapsed = Date.now() - started;
  if (first === 'never') {
    t.fail('the lone event never arrived: the flush timer did not deliver it');
    reader.close();
    return;
  }
  t.equal(first.done, false);
  t.equal(decodeCounter(first.value.bytes).count, 1);
  t.comment(`arrived after ${elapsed} ms (flush interval 50 ms)`);
  const next = iterator.next();
  reader.close();
  t.same(await next, { done: true, value: undefined }, 'close() ends the iteration');
});

t.test('perf event array: wakeup every event delivers with no timer help', kernelTest(), async (t) => {
  const fixture = new CounterFixture('perf');
  t.teardown(() => fixture.close());
  const checker = new CounterChecker(false);
  const reader = new PerfEventArrayReader(fixture.events!, {
    wakeup: { events: 1 },
    flushIntervalMs: 60_000,
    onRecord: checkingReader(checker),
  });
  t.teardown(() => reader.close());
  fixture.attach();
  for (let i = 0; i < 20; i++) {
    fixture.trigger(1);
    t.ok(await until(() => checker.total === i + 1, 1_000), `event ${i + 1} woke the reader`);
  }
  t.same(checker.problems, []);
});

t.test('perf event array: bad options are refused before anything is opened', kernelTest(), async (t) => {
  const fixture = new CounterFixture('ringbuf');
  t.teardown(() => fixture.close());
  const fdsBefore = fdsBeforeTest();
  t.throws(() => new PerfEventArrayReader(fixture.events!), /not PerfEventArray/);
  t.throws(() => new RingBufferReader(fixture.counter), /not RingBuf/);
  const perf = new CounterFixture('perf');
  t.teardown(() => perf.close());
  t.throws(() => new PerfEventArrayReader(perf.events!, { dataPages: 3 }), /power of two/);
  t.throws(() => new PerfEventArrayReader(perf.events!, { cpus: [perf.events!.maxEntries] }), /maxEntries/);
  perf.close();
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'no fd left open');
});

t.test('BPF ring buffer: all 100 000 events through the same interface, per-CPU order', kernelTest(), async (t) => {
  const fdsBefore = fdsBeforeTest();
  const fixture = new CounterFixture('ringbuf');
  t.teardown(() => fixture.close());
  const checker = new CounterChecker(false);
  const reader = new RingBufferReader(fixture.events!);
  t.teardown(() => reader.close());
  fixture.attach();
  const ringCpus = new Set<number>();
  const consumed = (async () => {
    for await (const record of reader) {
      ringCpus.add(record.cpu);
      checkingReader(checker)(-1, record.bytes);
      if (checker.total === N) break;
    }
  })();
  await burst(fixture, reader, N);
  let timeout: NodeJS.Timeout | undefined;
  await Promise.race([consumed, new Promise((resolve) => (timeout = setTimeout(resolve, 5_000)))]);
  clearTimeout(timeout);
  t.equal(checker.total, N);
  t.equal(reader.lost, 0);
  t.same(checker.problems, []);
  t.same([...ringCpus], [-1], 'ring buffer records do not say the CPU');
  t.ok(reader.isClosed, 'breaking out of for-await closed the reader');
  fixture.close();
  t.same(await fdsLeftOpenSince(fdsBefore), [], 'every fd and mapping released');
});
