// Prototypes of the accept program, measured on the same loopback accept storm: where do the
// ~900 ns per connection of the default mode go, and what would a change save?
//   node --import tsx bench/variants.ts [--connections N] [--repeats N] [--only REGEX]
// Each variant is derived from src/probe/programs.ts's own acceptProgramText (so it follows
// whatever src/probe does today), loaded and attached to sys_exit_accept4 + sys_exit_accept here,
// read by src/perf's readers, and charged by run_time_ns (BPF_ENABLE_STATS) over the storm.
import { pathToFileURL } from 'node:url';
import { PerfEventArrayReader, RingBufferReader, type RecordReader } from '../src/perf/index.ts';
import { ACCEPT_TRACEPOINTS, socketLayoutFromBtf, syscallReturnField } from '../src/probe/layout.ts';
import { MAP_NAMES, acceptProgramText, assembleProgram } from '../src/probe/programs.ts';
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

// The output block of acceptProgramText, as it reads today: ctx, map, flags, data, size, call.
const PERF_OUTPUT = /r1 = r6[^\n]*\nr2 = map\[events\] ll[^\n]*\nr3 = [^\n]*\nr4 = r10[^\n]*\nr4 \+= (-?\d+)[^\n]*\nr5 = (\d+)[^\n]*\ncall bpf_perf_event_output[^\n]*/;

function replaceOutput(text: string, replacement: (dataOffset: string, size: string) => string): string {
  if (!PERF_OUTPUT.test(text)) throw new Error('the accept program no longer ends in the perf output block this bench rewrites; update bench/variants.ts');
  return text.replace(PERF_OUTPUT, (_, offset: string, size: string) => replacement(offset, size));
}

/** The probe read whose result the line matching `usedBy` loads, removed (the value stays 0). */
function withoutProbeRead(text: string, usedBy: RegExp): string {
  const lines = text.split('\n');
  const use = lines.findIndex((line) => usedBy.test(line));
  const call = lines.lastIndexOf('call bpf_probe_read_kernel', use);
  if (use < 0 || call < 0 || !lines[call]!.startsWith('call bpf_probe_read_kernel')) throw new Error(`no probe read feeding ${usedBy} in the accept program`);
  lines[call] = 'r0 = 0                                        // (probe read removed for this measurement)';
  return lines.join('\n');
}

export function variants(): Variant[] {
  const root = locateTracefs({ mount: mountTracefs });
  const format = readTracepoint(ACCEPT_TRACEPOINTS[0].group, ACCEPT_TRACEPOINTS[0].event, root);
  const btf = Btf.fromFile(KERNEL_BTF_PATH);
  const layout = socketLayoutFromBtf(btf);
  btf.close();
  const current = acceptProgramText(syscallReturnField(format), layout, {});
  const ringbuf = (wakeup: string) =>
    replaceOutput(current, (offset, size) => `${wakeup}
r1 = map[${MAP_NAMES.events}] ll
r2 = r10
r2 += ${offset}
r3 = ${size}
call bpf_ringbuf_output`);
  return [
    { name: 'empty program (r0 = 0; exit): the hook itself', output: 'none', text: 'r0 = 0\nexit\n' },
    { name: 'current, output removed (fd walk, reads, record)', output: 'none', text: replaceOutput(current, () => '') },
    { name: 'current: perf output, watermark wake-ups', output: 'perf', text: current },
    // Not a proposal to drop the TCP check: it prices one probe read of the nine.
    { name: 'current minus the sk_protocol probe read', output: 'perf', text: withoutProbeRead(current.replace(/\nif r1 != 6 goto out/, ''), /sk_protocol/) },
    { name: 'ringbuf, default flags (adaptive wake-up)', output: 'ringbuf', text: ringbuf('r4 = 0                                        // flags 0: wake the reader when it has caught up') },
    { name: 'ringbuf, BPF_RB_NO_WAKEUP (flush timer only)', output: 'ringbuf', text: ringbuf('r4 = 1                                        // BPF_RB_NO_WAKEUP') },
    {
      name: `ringbuf, wake-up from ${WATERMARK_BYTES / 1024} KiB pending`,
      output: 'ringbuf',
      text: ringbuf(`r1 = map[${MAP_NAMES.events}] ll
r2 = 0                                        // BPF_RB_AVAIL_DATA: bytes not yet consumed
call bpf_ringbuf_query
r4 = 1                                        // BPF_RB_NO_WAKEUP below the watermark
if r0 < ${WATERMARK_BYTES} goto flags_set
r4 = 2                                        // BPF_RB_FORCE_WAKEUP from it on
flags_set:`),
    },
    {
      name: `ringbuf, one wake-up as ${WATERMARK_BYTES / 1024} KiB pending is crossed`,
      output: 'ringbuf',
      // Forcing a wake-up for every output past the watermark makes a lagging reader cost
      // every event a wake-up again; only the output that crosses the mark asks for one.
      text: ringbuf(`r1 = map[${MAP_NAMES.events}] ll
r2 = 0                                        // BPF_RB_AVAIL_DATA: bytes not yet consumed
call bpf_ringbuf_query
r4 = 1                                        // BPF_RB_NO_WAKEUP, unless this output crosses the mark
if r0 < ${WATERMARK_BYTES - RINGBUF_RECORD_BYTES} goto flags_set
if r0 >= ${WATERMARK_BYTES} goto flags_set
r4 = 2                                        // BPF_RB_FORCE_WAKEUP
flags_set:`),
    },
  ];
}

const RING_BYTES = 256 * 1024; // per CPU for perf (64 pages), the same total for the ringbuf
const WATERMARK_BYTES = 64 * 1024; // a quarter of a perf ring: the perf array's default watermark
/** A ringbuf record: 8-byte header and the payload rounded up to 8. */
const RINGBUF_RECORD_BYTES = 8 + ((RECORD_SIZE + 7) & ~7);

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
          ? createMap({ type: MapType.PerfEventArray, name: 'bench_evts', keySize: 4, valueSize: 4, maxEntries: Math.max(...possibleCpus()) + 1 })
          : createMap({ type: MapType.RingBuf, name: 'bench_rb', keySize: 0, valueSize: 0, maxEntries: RING_BYTES * cpus });
      owned.push(events);
      fds[MAP_NAMES.events] = events.fd;
      reader = variant.output === 'perf' ? new PerfEventArrayReader(events, { onRecord, dataPages: RING_BYTES / 4096 }) : new RingBufferReader(events, { onRecord });
      owned.push(reader);
    }
    const program = loadProgram({ type: ProgType.Tracepoint, name: 'bench_accept', instructions: assembleProgram(variant.name, variant.text).bytecode(fds) });
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
  const list = variants().filter((v, i) => only === undefined || i === 2 || only.test(v.name)); // keep the reference (current)
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
        formatSpread(ms.map((m) => m.stormCpuUs), 2),
        formatSpread(ms.map((m) => m.rate), 0),
      ];
    }),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
