// The price of a cheap syscall, through the FFI: getppid(2) in a tight loop. While a syscall
// tracepoint is enabled every task takes the slow syscall path, so the difference between a
// traced and an untraced run is what a tool costs unrelated work.
import { spawnSync } from 'node:child_process';
import { loadFfiBackend, syscallNumbers, type BackendName } from '../src/syscalls/index.ts';

const GETPPID = syscallNumbers().getppid;

/**
 * ns per getppid() call: the fastest of `batches` timed batches of about `batchMs` each.
 * The fastest, because on a shared 2-core machine preemption only ever adds time; backends
 * differ 50-fold in call cost, so the batch length is calibrated, not a call count.
 */
export function getppidNs(backendName: BackendName, batchMs = 40, batches = 7): number {
  const backend = loadFfiBackend(backendName);
  const probeCalls = 1000;
  const probeStarted = process.hrtime.bigint();
  for (let i = 0; i < probeCalls; i++) backend.syscall(GETPPID);
  const probeNs = Number(process.hrtime.bigint() - probeStarted) / probeCalls;
  const calls = Math.max(1000, Math.round((batchMs * 1e6) / probeNs));
  const samples: number[] = [];
  for (let batch = 0; batch <= batches; batch++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) backend.syscall(GETPPID);
    const elapsed = Number(process.hrtime.bigint() - started);
    if (batch > 0) samples.push(elapsed / calls); // the first batch warms up the JIT
  }
  return Math.min(...samples);
}

export interface TracepointAttachment {
  pid: number;
  tracepoint: string;
}

/**
 * Syscall tracepoints with a BPF program attached anywhere on the machine (`bpftool perf`),
 * or undefined without bpftool. One is enough to put every task on the slow syscall path, so a
 * baseline measured while another engineer's tracer runs is not a baseline.
 */
export function syscallTracepointAttachments(): TracepointAttachment[] | undefined {
  const result = spawnSync('bpftool', ['perf', 'list', '--json'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const entries = JSON.parse(result.stdout) as Array<{ pid: number; tracepoint?: string }>;
  return entries
    .filter((e) => e.tracepoint !== undefined && /^sys_(enter|exit)_/.test(e.tracepoint))
    .map((e) => ({ pid: e.pid, tracepoint: e.tracepoint! }));
}
