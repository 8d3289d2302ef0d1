// What the --drops program costs a host that drops packets for other reasons. It runs on
// skb:kfree_skb, which fires for every packet freed as dropped — a host under a SYN flood or
// a port scan frees millions a second — so all but listen overflows must leave on its first
// comparison. Measured on a storm of SYNs to a closed loopback port (each is freed with
// SKB_DROP_REASON_NO_SOCKET after the RST goes out), by run_time_ns (BPF_ENABLE_STATS), against
// the floor measured in the same run: a program on the same tracepoint that does nothing
// (`r0 = 0; exit`), i.e. what any program there costs.
//
//   node --import tsx bench/drop-cost.ts [--connects N] [--repeats N]
import { connect, createServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { parse } from '../src/asm/index.ts';
import { TcpAcceptTracer } from '../src/probe/tracer.ts';
import { KFREE_SKB_TRACEPOINT } from '../src/probe/layout.ts';
import {
  ProgType,
  attachTracepoint,
  enableStats,
  loadProgram,
  locateTracefs,
  mountTracefs,
  readTracepoint,
  type BpfProgram,
} from '../src/syscalls/index.ts';
import { kernelUnavailableReason } from '../test/helpers/kernel.ts';
import { formatNumber, formatSpread, median, printTable } from './stats.ts';

const { values } = parseArgs({ options: { connects: { type: 'string', default: '50000' }, repeats: { type: 'string', default: '3' } } });
const connects = Number(values.connects);
const repeats = Number(values.repeats);

/** A port nothing listens on: bound and closed again (nothing else on loopback takes it meanwhile). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `count` connects to a closed port, 64 at a time: every SYN is answered by RST and dropped. */
async function refusedStorm(port: number, count: number): Promise<number> {
  let started = 0;
  let refused = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', () => {
        refused++;
        resolve();
      });
      socket.on('connect', () => {
        socket.destroy();
        resolve();
      });
    });
  const worker = async () => {
    while (started < count) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return refused;
}

function stats(program: BpfProgram): { runs: bigint; ns: bigint } {
  const info = program.info();
  return { runs: info.runCnt, ns: info.runTimeNs };
}

async function measure(program: BpfProgram, port: number): Promise<{ nsPerRun: number; runsPerConnect: number }> {
  const before = stats(program);
  await refusedStorm(port, connects);
  const after = stats(program);
  const runs = Number(after.runs - before.runs);
  return { nsPerRun: Number(after.ns - before.ns) / runs, runsPerConnect: runs / connects };
}

async function main(): Promise<void> {
  const why = kernelUnavailableReason();
  if (why !== undefined) throw new Error(`bench/drop-cost.ts needs the kernel: ${why}`);
  const statsHandle = enableStats();
  const port = await closedPort();
  const root = locateTracefs({ mount: mountTracefs });
  const kfreeSkb = readTracepoint(KFREE_SKB_TRACEPOINT.group, KFREE_SKB_TRACEPOINT.event, root);

  const floor = loadProgram({ type: ProgType.Tracepoint, name: 'bench_drop_nop', instructions: parse('r0 = 0\nexit').bytecode({}) });
  const tracer = TcpAcceptTracer.open({ handshake: true, drops: true, onEvent: () => {} });
  const drop = tracer.loadedPrograms().find((p) => p.info().name === 'tcpaccept_drop');
  if (drop === undefined) throw new Error(`no drop program on this kernel: ${tracer.notices.join('; ')}`);
  const rows: Array<{ name: string; ns: number[]; runs: number[] }> = [
    { name: 'empty program on skb:kfree_skb (the floor)', ns: [], runs: [] },
    { name: 'ts-tcpaccept --drops (tcpaccept_drop)', ns: [], runs: [] },
  ];
  try {
    const link = attachTracepoint(kfreeSkb, floor);
    try {
      await refusedStorm(port, 2000); // warm-up: caches, the JIT'd code paths
      for (let i = 0; i < repeats; i++) {
        const a = await measure(floor, port);
        rows[0]!.ns.push(a.nsPerRun);
        rows[0]!.runs.push(a.runsPerConnect);
        const b = await measure(drop, port);
        rows[1]!.ns.push(b.nsPerRun);
        rows[1]!.runs.push(b.runsPerConnect);
      }
    } finally {
      link.close();
    }
  } finally {
    tracer.close();
    floor.close();
    statsHandle.close();
  }
  const floorNs = median(rows[0]!.ns);
  printTable(
    `skb:kfree_skb programs on a storm of ${connects} refused connects (SYN to a closed port), ${repeats} repeats`,
    ['program', 'ns per run', 'runs per connect', '÷ floor'],
    rows.map((r) => [r.name, formatSpread(r.ns, 1), formatNumber(median(r.runs), 2), formatNumber(median(r.ns) / floorNs, 2)]),
  );
  console.log(`\n+${formatNumber(median(rows[1]!.ns) - floorNs, 1)} ns per dropped packet over the floor`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
