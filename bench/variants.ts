// Prototypes of the accept program, measured on the same loopback accept storm: where do the
// ~900 ns per connection of the default mode go, and what would a change save?
//   node --import tsx bench/variants.ts [--connections N] [--repeats N] [--only REGEX]
// Each variant is src/probe/programs.ts's own acceptProgramText, generated for another record
// sink (RecordSink: none, perf, or a ring buffer with one of four wake-up policies), so it
// follows whatever src/probe does today; loaded and attached to sys_exit_accept4 +
// sys_exit_accept here, read by src/perf's readers, and charged by run_time_ns
// (BPF_ENABLE_STATS) over the storm. (The 'minus the sk_protocol probe read' row of
// bench/README.md came from patching the text; it is not a parameter of the program.)
import { pathToFileURL } from 'node:url';
import { PerfEventArrayReader, RingBufferReader, type RecordReader } from '../src/perf/index.ts';
import { ACCEPT_TRACEPOINTS, socketLayoutFromBtf, syscallReturnField } from '../src/probe/layout.ts';
import { MAP_NAMES, acceptProgramText, assembleProgram, type RecordSink } from '../src/probe/programs.ts';
import { RECORD_SIZE } from '../src/probe/record.ts';
import {
  Btf,
  KERNEL_BTF_PATH,
  MapType,
  ProgType,
  attachTracepoint,
  createMap,
  enableStats,
  loadProgram,
  locateTracefs,
  mountTracefs,
  possibleCpus,
  readTracepoint,
  type BpfMap,
} from '../src/syscalls/index.ts';
import { kernelUnavailableReason } from '../test/helpers/kernel.ts';
import { runStorm } from './scenario.ts';
import { formatNumber, formatSpread, median, printTable } from './stats.ts';

type Output = 'perf' | 'ringbuf' | 'none';

interface Variant {
  name: string;
  output: Output;
  text: string;
}

export function variants(): Variant[] {
  const root = locateTracefs({ mount: mountTracefs });
  const format = readTracepoint(ACCEPT_TRACEPOINTS[0].group, ACCEPT_TRACEPOINTS[0].event, root);
  const btf = Btf.fromFile(KERNEL_BTF_PATH);
  const layout = socketLayoutFromBtf(btf);
  btf.close();
  // Every variant is the accept program itself, generated for a different record sink.
  const accept = (sink: RecordSink) => acceptProgramText(syscallReturnField(format), layout, {}, sink);
  const ringbuf = (wakeup: 'crossing' | 'adaptive' | 'never' | 'fromMark') =>
    accept({ kind: 'ringbuf', wakeupBytes: WATERMARK_BYTES, wakeup });
  return [
    { name: 'empty program (r0 = 0; exit): the hook itself', output: 'none', text: 'r0 = 0\nexit\n' },
    { name: 'output removed (fd walk, reads, record)', output: 'none', text: accept({ kind: 'none' }) },
    { name: 'perf output, watermark wake-ups', output: 'perf', text: accept({ kind: 'perf' }) },
    { name: 'ringbuf, default flags (adaptive wake-up)', output: 'ringbuf', text: ringbuf('adaptive') },
    { name: 'ringbuf, BPF_RB_NO_WAKEUP (flush timer only)', output: 'ringbuf', text: ringbuf('never') },
    { name: `ringbuf, wake-up from ${WATERMARK_BYTES / 1024} KiB pending`, output: 'ringbuf', text: ringbuf('fromMark') },
    // Forcing a wake-up for every output past the mark makes a lagging reader cost every event a
    // wake-up again; only the output that crosses the mark asks for one. The tool's default.
    {
      name: `current: ringbuf, one wake-up as ${WATERMARK_BYTES / 1024} KiB pending is crossed`,
      output: 'ringbuf',
      text: ringbuf('crossing'),
    },
  ];
}

const RING_BYTES = 256 * 1024; // per CPU for perf (64 pages), the same total for the ringbuf
const WATERMARK_BYTES = 64 * 1024; // a quarter of a perf ring: the perf array's default watermark

interface Measurement {
  nsPerConnection: number;
  runsPerConnection: number;
  delivered: number;
  connections: number;
  stormCpuUs: number;
  rate: number;
}

async function measure(variant: Variant, connections: number): Promise<Measurement> {
  const formats = ACCEPT_TRACEPOINTS.map((tp) => readTracepoint(tp.group, tp.event));
  const owned: Array<{ close(): void }> = [];
  let delivered = 0;
  const onRecord = () => void delivered++;
  try {
    const fds: Record<string, number> = {};
    let reader: RecordReader | undefined;
    if (variant.output !== 'none') {
      const cpus = possibleCpus().length;
      const events: BpfMap =
        variant.output === 'perf'
          ? createMap({
              type: MapType.PerfEventArray,
              name: 'bench_evts',
              keySize: 4,
              valueSize: 4,
              maxEntries: Math.max(...possibleCpus()) + 1,
            })
          : createMap({ type: MapType.RingBuf, name: 'bench_rb', keySize: 0, valueSize: 0, maxEntries: RING_BYTES * cpus });
      owned.push(events);
      fds[MAP_NAMES.events] = events.fd;
      reader =
        variant.output === 'perf'
          ? new PerfEventArrayReader(events, { onRecord, dataPages: RING_BYTES / 4096 })
          : new RingBufferReader(events, { onRecord });
      owned.push(reader);
    }
    const assembled = assembleProgram(variant.name, variant.text);
    if (assembled.mapNames.includes(MAP_NAMES.lost)) {
      // The ring buffer programs count refused records, as the tool's do.
      const lost = createMap({ type: MapType.PercpuArray, name: 'bench_lost', keySize: 4, valueSize: 8, maxEntries: 1 });
      owned.push(lost);
      fds[MAP_NAMES.lost] = lost.fd;
    }
    const program = loadProgram({ type: ProgType.Tracepoint, name: 'bench_accept', instructions: assembled.bytecode(fds) });
    owned.push(program);
    for (const format of formats) owned.push(attachTracepoint(format, program));
    const before = program.info();
    const storm = await runStorm({ connections, clientsPerFamily: 2 });
    const after = program.info();
    const deadline = Date.now() + 2000;
    while (reader !== undefined && delivered < storm.connections && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return {
      nsPerConnection: Number(after.runTimeNs - before.runTimeNs) / storm.connections,
      runsPerConnection: Number(after.runCnt - before.runCnt) / storm.connections,
      delivered: variant.output === 'none' ? Number.NaN : delivered,
      connections: storm.connections,
      stormCpuUs: ((storm.userSeconds + storm.systemSeconds) / storm.connections) * 1e6,
      rate: storm.rate,
    };
  } finally {
    for (const item of owned.reverse()) item.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const unavailable = kernelUnavailableReason();
  if (unavailable !== undefined) throw new Error(`cannot trace here: ${unavailable}`);
  const flag = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
  const connections = flag('--connections', 100_000);
  const repeats = flag('--repeats', 3);
  const only = argv.includes('--only') ? new RegExp(argv[argv.indexOf('--only') + 1]!) : undefined;
  const list = variants().filter((v) => only === undefined || v.name.startsWith('current:') || only.test(v.name)); // keep the reference
  const results = new Map<string, Measurement[]>(list.map((v) => [v.name, []]));
  const stats = enableStats();
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const variant of list) results.get(variant.name)!.push(await measure(variant, connections));
    }
  } finally {
    stats.close();
  }
  const reference = median(results.get(list.find((v) => v.name.startsWith('current:'))!.name)!.map((m) => m.nsPerConnection));
  printTable(
    `Accept program variants, ${connections} connections, median ±half-range of ${repeats} (record ${RECORD_SIZE} bytes)`,
    ['variant', 'ns/conn', 'vs current', 'runs/conn', 'delivered', 'storm CPU us/conn', 'conn/s'],
    list.map((variant) => {
      const ms = results.get(variant.name)!;
      const ns = ms.map((m) => m.nsPerConnection);
      return [
        variant.name,
        formatSpread(ns, 0),
        formatNumber(median(ns) - reference, 0),
        formatNumber(median(ms.map((m) => m.runsPerConnection)), 2),
        variant.output === 'none' ? '-' : `${formatNumber(median(ms.map((m) => m.delivered)), 0)}/${connections}`,
        formatSpread(
          ms.map((m) => m.stormCpuUs),
          2,
        ),
        formatSpread(
          ms.map((m) => m.rate),
          0,
        ),
      ];
    }),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
