// -q's handshake program on sock:inet_sock_set_state (~7 runs per connection), attached two
// ways on the same storm: today's perf-event tracepoint (perf_event_open + PERF_EVENT_IOC_SET_BPF,
// BPF_PROG_TYPE_TRACEPOINT: the kernel first builds the tracepoint's record, the program reads
// oldstate/newstate/protocol from it) against BPF_RAW_TRACEPOINT_OPEN (BPF_PROG_TYPE_RAW_TRACEPOINT:
// the program gets the tracepoint's raw arguments, u64 sk, oldstate, newstate, and reads
// sk->sk_protocol itself). Bench-only: the tool's attach path is unchanged.
//   node --import tsx bench/raw-tracepoint.ts [--connections N] [--repeats N]
// Charged three ways: run_time_ns per program run and per connection (BPF_ENABLE_STATS; blind to
// the record the perf-event path builds before the program runs), and the storm's own CPU per
// connection and rate against an untraced storm in the same run (which do see it).
import { closeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MAP_NAMES, assembleProgram, handshakeTimestampProgramText } from '../src/probe/programs.ts';
import { SET_STATE_TRACEPOINT, setStateLayout, socketLayoutFromBtf } from '../src/probe/layout.ts';
import { HANDSHAKE_MAP_ENTRIES } from '../src/probe/tracer.ts';
import {
  Btf,
  KERNEL_BTF_PATH,
  MapType,
  ProgType,
  attachTracepoint,
  checkedSyscall,
  createMap,
  enableStats,
  ffi,
  loadProgram,
  readTracepoint,
  syscallNumbers,
  type BpfProgram,
} from '../src/syscalls/index.ts';
import { kernelUnavailableReason } from '../test/helpers/kernel.ts';
import { runStorm, type StormResult } from './scenario.ts';
import { formatNumber, formatSpread, median, printTable } from './stats.ts';

const BPF_RAW_TRACEPOINT_OPEN = 17;
const TCP_ESTABLISHED = 1;
const TCP_SYN_RECV = 3;
const IPPROTO_TCP = 6;

/** The same filter and map update as handshakeTimestampProgramText, on the raw arguments. */
function rawProgramText(protocol: { byteOffset: number; size: number }): string {
  if (protocol.size !== 2) throw new Error(`sk_protocol is ${protocol.size} bytes here (a bitfield before 5.6): this bench reads a u16`);
  return `
// raw_tp inet_sock_set_state(const struct sock *sk, int oldstate, int newstate)
r2 = *(u32 *)(r1 + 8)                         // oldstate (low half of args[1])
if r2 != ${TCP_SYN_RECV} goto out
r2 = *(u32 *)(r1 + 16)                        // newstate
if r2 != ${TCP_ESTABLISHED} goto out
r6 = *(u64 *)(r1 + 0)                         // sk
r1 = r10
r1 += -24
r2 = 2
r3 = r6
r3 += ${protocol.byteOffset}                  // &sk->sk_protocol
call bpf_probe_read_kernel
r2 = *(u16 *)(r10 - 24)
if r2 != ${IPPROTO_TCP} goto out
*(u64 *)(r10 - 8) = r6                        // key: the child socket
call bpf_ktime_get_ns
*(u64 *)(r10 - 16) = r0                       // value: handshake completion time
r1 = map[${MAP_NAMES.handshakes}] ll
r2 = r10
r2 += -8
r3 = r10
r3 += -16
r4 = 0                                        // BPF_ANY
call bpf_map_update_elem
out:
r0 = 0
exit
`;
}

/** BPF_RAW_TRACEPOINT_OPEN: attr { u64 name; u32 prog_fd }; the returned fd holds the attachment. */
function rawTracepointOpen(name: string, program: BpfProgram): { close(): void } {
  const backend = ffi();
  const text = new TextEncoder().encode(`${name}\0`);
  const nameMemory = backend.alloc(text.length);
  const attr = backend.alloc(16);
  try {
    nameMemory.bytes.set(text);
    attr.bytes.fill(0);
    attr.view.setBigUint64(0, nameMemory.address, true);
    attr.view.setUint32(8, program.fd, true);
    const fd = checkedSyscall(
      backend,
      `BPF_RAW_TRACEPOINT_OPEN(${name})`,
      'bpf',
      syscallNumbers().bpf,
      BPF_RAW_TRACEPOINT_OPEN,
      attr.address,
      16,
    );
    return { close: () => closeSync(fd) };
  } finally {
    attr.free();
    nameMemory.free();
  }
}

type Attach = 'untraced' | 'perf-event' | 'raw';

interface Run {
  storm: StormResult;
  runTimeNs: number;
  runCnt: number;
}

async function measure(how: Attach, connections: number): Promise<Run> {
  if (how === 'untraced') return { storm: await runStorm({ connections, clientsPerFamily: 2 }), runTimeNs: 0, runCnt: 0 };
  const owned: Array<{ close(): void }> = [];
  try {
    const handshakes = createMap({
      type: MapType.LruHash,
      name: 'bench_hshk',
      keySize: 8,
      valueSize: 8,
      maxEntries: HANDSHAKE_MAP_ENTRIES,
    });
    owned.push(handshakes);
    const fds = { [MAP_NAMES.handshakes]: handshakes.fd };
    const format = readTracepoint(SET_STATE_TRACEPOINT.group, SET_STATE_TRACEPOINT.event);
    let program: BpfProgram;
    if (how === 'perf-event') {
      const text = handshakeTimestampProgramText(setStateLayout(format));
      program = loadProgram({
        type: ProgType.Tracepoint,
        name: 'bench_hs_tp',
        instructions: assembleProgram('bench_hs_tp', text).bytecode(fds),
      });
      owned.push(program);
      owned.push(attachTracepoint(format, program));
    } else {
      const btf = Btf.fromFile(KERNEL_BTF_PATH);
      const layout = socketLayoutFromBtf(btf);
      btf.close();
      const text = rawProgramText(layout.skProtocol);
      program = loadProgram({
        type: ProgType.RawTracepoint,
        name: 'bench_hs_raw',
        instructions: assembleProgram('bench_hs_raw', text).bytecode(fds),
      });
      owned.push(program);
      owned.push(rawTracepointOpen(SET_STATE_TRACEPOINT.event, program));
    }
    const before = program.info();
    const storm = await runStorm({ connections, clientsPerFamily: 2 });
    const after = program.info();
    return { storm, runTimeNs: Number(after.runTimeNs - before.runTimeNs), runCnt: Number(after.runCnt - before.runCnt) };
  } finally {
    for (const item of owned.reverse()) item.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const flag = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const connections = flag('--connections', 50_000);
  const repeats = flag('--repeats', 3);
  const unavailable = kernelUnavailableReason();
  if (unavailable !== undefined) {
    process.stderr.write(`bench/raw-tracepoint.ts: ${unavailable}\n`);
    process.exit(1);
  }
  const ways: Attach[] = ['untraced', 'perf-event', 'raw'];
  const runs = new Map<Attach, Run[]>(ways.map((w) => [w, []]));
  const stats = enableStats();
  try {
    for (let r = 0; r < repeats; r++) {
      for (const how of ways) {
        process.stderr.write(`repeat ${r + 1}/${repeats}: ${how}...\n`);
        runs.get(how)!.push(await measure(how, connections));
      }
    }
  } finally {
    stats.close();
  }
  const cpuUs = (run: Run) => ((run.storm.userSeconds + run.storm.systemSeconds) / run.storm.connections) * 1e6;
  const base = runs.get('untraced')!;
  const baseCpu = median(base.map(cpuUs));
  const baseRate = median(base.map((r) => r.storm.rate));
  const rows = ways.map((how) => {
    const list = runs.get(how)!;
    const traced = how !== 'untraced';
    return [
      how === 'perf-event'
        ? 'perf-event tracepoint (today: BPF_PROG_TYPE_TRACEPOINT)'
        : how === 'raw'
          ? 'raw tracepoint (BPF_RAW_TRACEPOINT_OPEN)'
          : 'untraced',
      traced
        ? formatSpread(
            list.map((r) => r.runTimeNs / r.runCnt),
            1,
          )
        : '-',
      traced
        ? formatSpread(
            list.map((r) => r.runCnt / r.storm.connections),
            2,
          )
        : '-',
      traced
        ? formatSpread(
            list.map((r) => r.runTimeNs / r.storm.connections),
            0,
          )
        : '-',
      formatSpread(list.map(cpuUs), 2),
      traced
        ? formatSpread(
            list.map((r) => cpuUs(r) - baseCpu),
            2,
          )
        : '-',
      formatSpread(
        list.map((r) => r.storm.rate / baseRate),
        3,
      ),
    ];
  });
  printTable(
    `-q's handshake program on sock:inet_sock_set_state, ${connections} connections, median ±half-range of ${repeats}`,
    ['attach', 'ns/run', 'runs/conn', 'ns/conn', 'storm CPU us/conn', 'added us/conn', 'rate / untraced'],
    rows,
  );
  const perf = median(runs.get('perf-event')!.map((r) => r.runTimeNs / r.storm.connections));
  const raw = median(runs.get('raw')!.map((r) => r.runTimeNs / r.storm.connections));
  console.log(`\nraw ÷ perf-event, run_time_ns per connection: ${formatNumber(raw / perf, 2)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
