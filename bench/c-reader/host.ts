// Loads ts-tcpaccept's own planned programs (the default mode: planPrograms({}), the same maps,
// bytecode and attach points TcpAcceptTracer.open uses), then runs the C reader
// (bench/c-reader/reader.c) on the events ring buffer: its fd is inherited as fd 3. This
// process reads nothing itself; it holds the programs and links, passes SIGINT/SIGTERM on, and
// exits with the reader. The bench charges the reader's CPU (this process's only child).
//
//   node --import tsx bench/c-reader/host.ts READER_BINARY
import { spawn } from 'node:child_process';
import { MAP_NAMES, planPrograms } from '../../src/internal.ts';
import { IO_ACCEPT_KEY_SIZE, IO_ACCEPT_MAP_ENTRIES, IO_ACCEPT_VALUE_SIZE } from '../../src/probe/io-uring-program.ts';
import { MapType, ProgType, attachTracepoint, createMap, loadProgram, type BpfMap } from '../../src/syscalls/index.ts';

const reader = process.argv[2];
if (reader === undefined) {
  process.stderr.write('usage: host.ts READER_BINARY\n');
  process.exit(2);
}
const plan = planPrograms({});
if (plan.output.kind !== 'ringbuf') throw new Error('the C reader reads a BPF ring buffer; this kernel planned perf output');
const owned: Array<{ close(): void }> = [];
const maps = new Map<string, BpfMap>();
for (const name of plan.maps) {
  let map: BpfMap;
  if (name === MAP_NAMES.events)
    map = createMap({ type: MapType.RingBuf, name: 'tcpaccept_evts', keySize: 0, valueSize: 0, maxEntries: plan.ringBytes });
  else if (name === MAP_NAMES.lost)
    map = createMap({ type: MapType.PercpuArray, name: 'tcpaccept_lost', keySize: 4, valueSize: 8, maxEntries: 1 });
  else if (name === MAP_NAMES.ioaccepts) {
    map = createMap({
      type: MapType.LruHash,
      name: 'tcpaccept_ioacc',
      keySize: IO_ACCEPT_KEY_SIZE,
      valueSize: IO_ACCEPT_VALUE_SIZE,
      maxEntries: IO_ACCEPT_MAP_ENTRIES,
    });
  } else throw new Error(`the default plan now uses map ${name}: teach bench/c-reader/host.ts to create it as src/probe/tracer.ts does`);
  owned.push(map);
  maps.set(name, map);
}
const fds = Object.fromEntries([...maps].map(([name, map]) => [name, map.fd]));
for (const planned of plan.programs) {
  const program = loadProgram({ type: ProgType.Tracepoint, name: planned.name, instructions: planned.program.bytecode(fds) });
  owned.push(program);
  for (const tp of planned.attachTo) owned.push(attachTracepoint(tp, program));
}
const ring = maps.get(MAP_NAMES.events)!;
const child = spawn(reader, ['3', String(plan.ringBytes)], { stdio: ['ignore', 'inherit', 'inherit', ring.fd] });
const closeAll = () => {
  for (const item of owned.reverse()) item.close();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  closeAll();
  process.exit(code ?? (signal === null ? 1 : 0));
});
