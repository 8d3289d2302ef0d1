// What the io_uring programs (issue #18) cost a host whose servers do not use io_uring: an
// ordinary accept4() storm with the default accept mode, which attaches them wherever the
// kernel has the tracepoints. Measured by run_time_ns (BPF_ENABLE_STATS) of every program the
// tracer loaded, per connection, against the floor measured in the same run: the accept
// syscall program's own cost per connection (what accept mode costs anyway). Their cost must
// stay below 50 ns per connection (the bar); an ordinary accept never reaches them,
// so what is left is any io_uring traffic elsewhere on the host during the storm.
//
//   node --import tsx bench/io-uring-cost.ts [--connects N] [--repeats N]
// (`npm run bench` runs it too, through printIoUringCost.)
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TcpAcceptTracer } from '../src/probe/tracer.ts';
import { enableStats, type BpfProgram } from '../src/syscalls/index.ts';
import { kernelUnavailableReason } from '../test/helpers/kernel.ts';
import { formatNumber, formatSpread, median, printTable } from './stats.ts';

/** The bar for the io_uring programs on a storm that has no io_uring accepts. */
export const IO_URING_COST_LIMIT_NS = 50;

/** `count` connections to `port`, 64 at a time, each closed once connected. */
async function acceptStorm(port: number, count: number): Promise<void> {
  let started = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', reject);
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
}

const runTime = (programs: readonly BpfProgram[]): number => programs.reduce((sum, p) => sum + Number(p.info().runTimeNs), 0);
const runCount = (programs: readonly BpfProgram[]): number => programs.reduce((sum, p) => sum + Number(p.info().runCnt), 0);

/** Prints the table and the verdict line; returns the median ns per connection of the io_uring programs. */
export async function printIoUringCost(connects = 20000, repeats = 3): Promise<number> {
  const why = kernelUnavailableReason({ btf: true });
  if (why !== undefined) throw new Error(`bench/io-uring-cost.ts needs the kernel: ${why}`);
  const statsHandle = enableStats();
  const server = createServer((socket: Socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 1024, resolve));
  const { port } = server.address() as AddressInfo;
  const tracer = TcpAcceptTracer.open({ ports: [port], onEvent: () => {} });
  const programs = tracer.loadedPrograms();
  const names = programs.map((p) => p.info().name);
  const io = programs.filter((_, i) => names[i]!.startsWith('tcpaccept_io'));
  const accept = programs.filter((_, i) => names[i]!.startsWith('tcpaccept_exit'));
  if (io.length === 0) throw new Error(`no io_uring programs on this kernel: ${tracer.notices.join('; ') || 'no io_uring tracepoints'}`);
  const rows: Array<{ name: string; ns: number[]; runs: number[] }> = [
    { name: "accept syscall program (the floor: accept mode's own cost)", ns: [], runs: [] },
    { name: `io_uring programs (${io.map((p) => p.info().name).join(', ')})`, ns: [], runs: [] },
  ];
  try {
    await acceptStorm(port, 2000); // warm-up: caches, the JIT'd code paths
    for (let i = 0; i < repeats; i++) {
      const before = [runTime(accept), runCount(accept), runTime(io), runCount(io)];
      await acceptStorm(port, connects);
      const after = [runTime(accept), runCount(accept), runTime(io), runCount(io)];
      rows[0]!.ns.push((after[0]! - before[0]!) / connects);
      rows[0]!.runs.push((after[1]! - before[1]!) / connects);
      rows[1]!.ns.push((after[2]! - before[2]!) / connects);
      rows[1]!.runs.push((after[3]! - before[3]!) / connects);
    }
  } finally {
    tracer.close();
    statsHandle.close();
    server.close();
  }
  printTable(
    `accept mode on a storm of ${connects} ordinary accept4() connections, ${repeats} repeats`,
    ['programs', 'ns per connection', 'runs per connection'],
    rows.map((r) => [r.name, formatSpread(r.ns, 1), formatNumber(median(r.runs), 3)]),
  );
  const cost = median(rows[1]!.ns);
  console.log(
    `\nio_uring programs: ${formatNumber(cost, 1)} ns per connection (limit ${IO_URING_COST_LIMIT_NS} ns), floor ${formatNumber(median(rows[0]!.ns), 1)} ns: ${cost < IO_URING_COST_LIMIT_NS ? 'within' : 'OVER'} the limit`,
  );
  return cost;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { connects: { type: 'string', default: '20000' }, repeats: { type: 'string', default: '3' } } });
  printIoUringCost(Number(values.connects), Number(values.repeats)).then(
    (cost) => {
      if (cost >= IO_URING_COST_LIMIT_NS) process.exitCode = 1;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
