// BTF start-up cost: what ts-tcpaccept pays before it can assemble its programs.
// Each cold sample is a fresh Node process (cold JIT, cold caches in our code; the kernel's
// page cache for /sys/kernel/btf/vmlinux is warm after the first run) that reads and parses
// vmlinux BTF and resolves every offset tcpaccept needs. The peer is what a tool without a
// BTF parser would do instead: spawn `bpftool btf dump ... format raw` and read its text.
//
//   node --import tsx bench/btf.ts [--samples N]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Btf, KERNEL_BTF_PATH } from '../src/syscalls/btf.ts';
import { TCPACCEPT_MEMBERS } from '../test/syscalls/fixtures/tcpaccept-members.ts';

interface ColdSample {
  readMs: number;
  parseMs: number;
  firstLookupMs: number;
  allOffsetsMs: number;
  totalMs: number;
  typeCount: number;
}

function coldSample(): ColdSample {
  const start = performance.now();
  const bytes = readFileSync(KERNEL_BTF_PATH);
  const read = performance.now();
  const btf = Btf.parse(bytes, KERNEL_BTF_PATH);
  const parsed = performance.now();
  const [firstStruct, firstMember] = TCPACCEPT_MEMBERS[0] ?? ['task_struct', 'files'];
  btf.offsetOf(firstStruct, firstMember);
  const firstLookup = performance.now();
  for (const [struct, member] of TCPACCEPT_MEMBERS) btf.offsetOf(struct, member);
  btf.sizeOf('sock_common');
  const done = performance.now();
  return {
    readMs: read - start,
    parseMs: parsed - read,
    firstLookupMs: firstLookup - parsed,
    allOffsetsMs: done - parsed,
    totalMs: done - start,
    typeCount: btf.typeCount,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function main(): void {
  if (process.argv.includes('--child')) {
    process.stdout.write(JSON.stringify(coldSample()));
    return;
  }
  const samplesArg = process.argv.indexOf('--samples');
  const samples = samplesArg > 0 ? Number(process.argv[samplesArg + 1]) : 7;
  const self = fileURLToPath(import.meta.url);
  const cold: ColdSample[] = [];
  for (let i = 0; i < samples; i++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child'], { encoding: 'utf8' });
    cold.push(JSON.parse(out) as ColdSample);
  }
  const row = (label: string, pick: (s: ColdSample) => number): string =>
    `${label.padEnd(36)} median ${median(cold.map(pick)).toFixed(2).padStart(7)} ms   max ${Math.max(...cold.map(pick))
      .toFixed(2)
      .padStart(7)} ms`;
  console.log(`BTF: ${KERNEL_BTF_PATH}, ${cold[0]?.typeCount ?? '?'} types, ${samples} cold processes`);
  console.log(row('read file', (s) => s.readMs));
  console.log(row('parse (index type offsets)', (s) => s.parseMs));
  console.log(row('first offsetOf (finds lookup kinds)', (s) => s.firstLookupMs));
  console.log(row(`all ${TCPACCEPT_MEMBERS.length} offsets + sizeOf`, (s) => s.allOffsetsMs));
  console.log(row('total (read+parse+offsets)', (s) => s.totalMs));

  // Warm: the same work repeated in this process, for the steady-state cost of parsing.
  const warm: number[] = [];
  for (let i = 0; i < 10; i++) warm.push(coldSample().totalMs);
  console.log(`${'total, warm JIT (10 runs)'.padEnd(36)} median ${median(warm).toFixed(2).padStart(7)} ms`);

  const bpftool = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
  if (bpftool.status !== 0) {
    console.log('peer: bpftool not installed, no ratio');
    return;
  }
  const peer: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    execFileSync('bpftool', ['btf', 'dump', 'file', KERNEL_BTF_PATH, 'format', 'raw'], { maxBuffer: 256 * 1024 * 1024 });
    peer.push(performance.now() - start);
  }
  const ours = median(cold.map((s) => s.totalMs));
  console.log(
    `${'peer: spawn+capture bpftool dump'.padEnd(36)} median ${median(peer).toFixed(2).padStart(7)} ms   ` +
      `(ours cold is ${(median(peer) / ours).toFixed(1)}x faster, before parsing its text)`,
  );
}

main();
