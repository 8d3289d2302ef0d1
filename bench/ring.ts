// Perf ring reader benchmark: how fast the readers drain synthetic rings, and what each wake-up
// policy costs the traced code in the kernel (run_time_ns / run_cnt with BPF stats enabled).
// Run: node --import tsx bench/ring.ts [--quick]
import { pathToFileURL } from 'node:url';
import { BpfRingBuffer, PerfEventArrayReader, PerfRing, RecordReader, RingBufferReader, defaultWakeup } from '../src/perf/index.ts';
import { enableStats, pageSize, type Wakeup } from '../src/syscalls/index.ts';
import { kernelUnavailableReason } from '../test/helpers/kernel.ts';
import { CounterChecker, CounterFixture } from '../test/perf/counter-fixture.ts';
import { decodeCounter, type CounterOutput } from '../test/perf/counter-program.ts';
import { PAGE_SIZE, SyntheticPerfRing, SyntheticRingBuffer, pattern } from '../test/perf/synthetic-rings.ts';

const quick = process.argv.includes('--quick');
// bench/run.ts imports the synthetic drains; the rest runs only when this file is the entry point.
const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
const RECORD_PAYLOAD = 88;
const SYNTHETIC_PAGES = 256; // 1 MiB of data per ring
const SYNTHETIC_ROUNDS = quick ? 20 : 200;
const KERNEL_EVENTS = quick ? 20_000 : 100_000;
const KERNEL_BURST = 5_000;
const KERNEL_REPEATS = quick ? 1 : 3;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (value: number, digits = 1): string => value.toFixed(digits);

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  console.log(`\n${title}`);
  console.log(header.map((h, i) => h.padEnd(widths[i]!)).join('  '));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

// ---- synthetic drain throughput -------------------------------------------------------------

export interface DrainResult {
  name: string;
  recordsPerSecond: number;
  bytesPerRecord: number;
}

/** Fills the ring (not timed), then times read + release; the best of several rounds per sample. */
function measureDrain(name: string, fill: () => number, drain: () => number, bytesPerRecord: number): DrainResult {
  const samples: number[] = [];
  for (let round = 0; round < SYNTHETIC_ROUNDS; round++) {
    const filled = fill();
    const started = process.hrtime.bigint();
    const drained = drain();
    const elapsed = Number(process.hrtime.bigint() - started);
    if (drained !== filled) throw new Error(`${name}: drained ${drained} of ${filled} records`);
    if (round >= SYNTHETIC_ROUNDS / 4) samples.push((drained / elapsed) * 1e9); // after warm-up
  }
  return { name, recordsPerSecond: median(samples), bytesPerRecord };
}

export function syntheticDrains(): DrainResult[] {
  const payload = pattern(RECORD_PAYLOAD, 1);
  let checksum = 0;
  const onRecord = (_cpu: number, bytes: Uint8Array): void => {
    checksum += bytes[0]!; // touch the record, as any decoder would
  };
  const onLost = (): void => {};

  const perfSource = new SyntheticPerfRing(SYNTHETIC_PAGES);
  const perfRing = new PerfRing(perfSource.buffer, 0, PAGE_SIZE);
  const fillPerf = (): number => {
    let n = 0;
    while (perfSource.writeSample(payload)) n++;
    perfSource.publish();
    return n;
  };
  const perfRecordBytes = 8 + 4 + RECORD_PAYLOAD + 4; // header, raw size, payload, kernel padding

  const rbSource = new SyntheticRingBuffer(SYNTHETIC_PAGES);
  const rbRing = new BpfRingBuffer(rbSource.consumerPage, rbSource.producerArea, rbSource.dataSize, PAGE_SIZE);
  const fillRb = (): number => {
    let n = 0;
    while (rbSource.write(payload)) n++;
    rbSource.publish();
    return n;
  };

  // Through the delivery layer too: RecordReader.drain() (callback) and the async iterator.
  const iterSource = new SyntheticPerfRing(SYNTHETIC_PAGES);
  const readerRing = new PerfRing(iterSource.buffer, 0, PAGE_SIZE);
  const callbackReader = new RecordReader({ rings: [readerRing], wakeups: [], resources: [] }, { onRecord });
  const fillReader = (): number => {
    let n = 0;
    while (iterSource.writeSample(payload)) n++;
    iterSource.publish();
    return n;
  };

  const results = [
    measureDrain(
      'perf ring, PerfRing.read',
      fillPerf,
      () => {
        const n = perfRing.read(onRecord, onLost);
        perfRing.release();
        return n;
      },
      perfRecordBytes,
    ),
    measureDrain('perf ring, RecordReader callback', fillReader, () => callbackReader.drain(), perfRecordBytes),
    measureDrain(
      'BPF ringbuf, BpfRingBuffer.read',
      fillRb,
      () => {
        const n = rbRing.read(onRecord, onLost);
        rbRing.release();
        return n;
      },
      RECORD_PAYLOAD + 8,
    ),
  ];
  callbackReader.close();
  if (checksum === -1) console.log('unreachable');
  return results;
}

/** The async iterators: records are copied out of the ring, one await per record or per batch. */
export async function iteratorDrain(kind: 'records' | 'batches'): Promise<DrainResult> {
  const payload = pattern(RECORD_PAYLOAD, 1);
  const source = new SyntheticPerfRing(SYNTHETIC_PAGES);
  const reader = new RecordReader({ rings: [new PerfRing(source.buffer, 0, PAGE_SIZE)], wakeups: [], resources: [] });
  const records = kind === 'records' ? reader[Symbol.asyncIterator]() : undefined;
  const batches = kind === 'batches' ? reader.batches() : undefined;
  const samples: number[] = [];
  for (let round = 0; round < Math.max(8, SYNTHETIC_ROUNDS / 10); round++) {
    let filled = 0;
    while (source.writeSample(payload)) filled++;
    source.publish();
    const started = process.hrtime.bigint();
    for (let got = 0; got < filled;) {
      if (records !== undefined) {
        await records.next();
        got++;
      } else {
        got += (await batches!.next()).value!.length;
      }
    }
    samples.push((filled / Number(process.hrtime.bigint() - started)) * 1e9);
  }
  reader.close();
  return { name: `perf ring, async iterator of ${kind}`, recordsPerSecond: median(samples), bytesPerRecord: 8 + 4 + RECORD_PAYLOAD + 4 };
}

// ---- in-kernel cost per output event ------------------------------------------------------------

interface KernelResult {
  name: string;
  nsPerRun: number;
  delivered: number;
  lost: number;
  wallMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the counter program KERNEL_EVENTS times in bursts, the reader draining between them. */
async function kernelCost(name: string, output: CounterOutput, wakeup?: Wakeup): Promise<KernelResult> {
  const runs: KernelResult[] = [];
  for (let repeat = 0; repeat < KERNEL_REPEATS; repeat++) {
    const fixture = new CounterFixture(output);
    const checker = new CounterChecker(true);
    const onRecord = (cpu: number, bytes: Uint8Array): void => {
      const { count, cpu: from } = decodeCounter(bytes);
      checker.record(cpu, count, from);
    };
    let reader: RecordReader | undefined;
    try {
      if (output === 'perf') reader = new PerfEventArrayReader(fixture.events!, { onRecord, ...(wakeup ? { wakeup } : {}) });
      if (output === 'ringbuf') reader = new RingBufferReader(fixture.events!, { onRecord });
      fixture.attach();
      const stats = enableStats();
      try {
        const before = fixture.program.info();
        const started = process.hrtime.bigint();
        for (let issued = 0; issued < KERNEL_EVENTS;) {
          fixture.trigger(KERNEL_BURST);
          issued += KERNEL_BURST;
          const deadline = Date.now() + 2000;
          while (reader !== undefined && checker.total + reader.lost < issued && Date.now() < deadline) await sleep(1);
        }
        const after = fixture.program.info();
        runs.push({
          name,
          nsPerRun: Number(after.runTimeNs - before.runTimeNs) / Number(after.runCnt - before.runCnt),
          delivered: checker.total,
          lost: reader?.lost ?? 0,
          wallMs: Number(process.hrtime.bigint() - started) / 1e6,
        });
      } finally {
        stats.close();
      }
    } finally {
      reader?.close();
      fixture.close();
    }
  }
  const chosen = [...runs].sort((a, b) => a.nsPerRun - b.nsPerRun)[Math.floor(runs.length / 2)]!;
  return chosen;
}

/** Time from one event to its delivery at a low rate (one event, then silence). */
async function lowRateLatency(wakeup: Wakeup | undefined, samples: number): Promise<number[]> {
  const fixture = new CounterFixture('perf');
  let arrived: bigint | undefined;
  const reader = new PerfEventArrayReader(fixture.events!, {
    onRecord: () => void (arrived = process.hrtime.bigint()),
    ...(wakeup ? { wakeup } : {}),
  });
  const latencies: number[] = [];
  try {
    fixture.attach();
    for (let i = 0; i < samples; i++) {
      arrived = undefined;
      await sleep(7 + ((i * 37) % 50)); // land at varying points of the flush period
      const started = process.hrtime.bigint();
      fixture.trigger(1);
      const deadline = Date.now() + 1000;
      while (arrived === undefined && Date.now() < deadline) await sleep(0.2);
      latencies.push(arrived === undefined ? Number.POSITIVE_INFINITY : Number(arrived - started) / 1e6);
    }
  } finally {
    reader.close();
    fixture.close();
  }
  return latencies;
}

// ---- main ------------------------------------------------------------------------------------

if (isEntryPoint) {
  const drains = [...syntheticDrains(), await iteratorDrain('records'), await iteratorDrain('batches')];
  table(
    `Synthetic drain, ${RECORD_PAYLOAD}-byte payloads, ${(SYNTHETIC_PAGES * PAGE_SIZE) / 1024} KiB ring (median after warm-up; target >= 5 M records/s)`,
    ['reader', 'M records/s', 'MB/s'],
    drains.map((d) => [d.name, fmt(d.recordsPerSecond / 1e6, 2), fmt((d.recordsPerSecond * d.bytesPerRecord) / 1e6, 0)]),
  );

  const unavailable = kernelUnavailableReason();
  if (unavailable !== undefined) {
    console.log(`\nIn-kernel cost skipped: ${unavailable}`);
  } else {
    const defaultPages = 64;
    const policies: { name: string; output: CounterOutput; wakeup?: Wakeup }[] = [
      { name: 'no output (filter + counter only)', output: 'none' },
      { name: 'perf, wakeup every event', output: 'perf', wakeup: { events: 1 } },
      { name: 'perf, wakeup every 16 events', output: 'perf', wakeup: { events: 16 } },
      { name: 'perf, wakeup every 256 events', output: 'perf', wakeup: { events: 256 } },
      { name: `perf, watermark ${pageSize} B`, output: 'perf', wakeup: { watermarkBytes: pageSize } },
      { name: `perf, watermark 1/4 ring (default)`, output: 'perf', wakeup: defaultWakeup(defaultPages) },
      { name: `perf, watermark 1/2 ring`, output: 'perf', wakeup: { watermarkBytes: (defaultPages * pageSize) / 2 } },
      { name: 'ringbuf, adaptive wakeup', output: 'ringbuf' },
    ];
    const results: KernelResult[] = [];
    for (const policy of policies) results.push(await kernelCost(policy.name, policy.output, policy.wakeup));
    const baseline = results[0]!.nsPerRun;
    table(
      `In-kernel cost per getppid hit, ${KERNEL_EVENTS} events in bursts of ${KERNEL_BURST} (median of ${KERNEL_REPEATS}; output adds = minus the no-output run)`,
      ['policy', 'ns/event', 'output adds ns', 'delivered', 'lost', 'wall ms'],
      results.map((r) => [
        r.name,
        fmt(r.nsPerRun, 0),
        r === results[0] ? '-' : fmt(r.nsPerRun - baseline, 0),
        String(r.delivered),
        String(r.lost),
        fmt(r.wallMs, 0),
      ]),
    );

    const latencyRows: string[][] = [];
    for (const [name, wakeup] of [
      ['wakeup every event', { events: 1 }],
      ['watermark 1/4 ring (default)', undefined],
    ] as const) {
      const latencies = await lowRateLatency(wakeup, quick ? 5 : 20);
      latencyRows.push([name, fmt(median(latencies), 2), fmt(Math.max(...latencies), 2)]);
    }
    table('Low-rate latency, one event then silence (flush interval 100 ms)', ['policy', 'median ms', 'max ms'], latencyRows);
  }
}
