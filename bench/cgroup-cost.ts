// What the cgroup filters cost per accepted connection in the kernel: no filter, --cgroup-exact
// (bpf_get_current_cgroup_id), and the two ways to match a subtree for --cgroup,
// bpf_current_task_under_cgroup with a CGROUP_ARRAY (`under`) and
// bpf_get_current_ancestor_cgroup_id at the directory's level (`ancestor`). The storm's server
// runs in a grandchild cgroup made here (the bench moves itself there; storm.py inherits it),
// so every filter matches and the full program runs; a second pass puts the filter on a
// sibling, where each accept leaves at the check. run_time_ns from BPF_ENABLE_STATS.
//   node --import tsx bench/cgroup-cost.ts [--connections N] [--repeats N]
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TcpAcceptTracer, type TcpAcceptFilters } from '../src/probe/tracer.ts';
import { cgroupIdOfPath, cgroupTreeOfPath } from '../src/syscalls/index.ts';
import { enableStats } from '../src/syscalls/index.ts';
import { kernelUnavailableReason } from '../test/helpers/kernel.ts';
import { runStorm } from './scenario.ts';
import { formatSpread, median, printTable } from './stats.ts';

function cgroup2Mount(): string {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, mountPoint, type] = line.split(' ');
    if (type === 'cgroup2' && mountPoint !== undefined) return mountPoint;
  }
  throw new Error('no cgroup2 filesystem mounted');
}

async function nsPerConnection(filters: TcpAcceptFilters, connections: number): Promise<number> {
  const tracer = TcpAcceptTracer.open({ ...filters, onEvent: () => {} });
  try {
    const storm = await runStorm({ connections, clientsPerFamily: 2 });
    await new Promise((r) => setTimeout(r, 200));
    const accept = tracer.loadedPrograms().filter((p) => p.name.startsWith('tcpaccept_exit'));
    return accept.reduce((sum, p) => sum + Number(p.info().runTimeNs), 0) / storm.connections;
  } finally {
    tracer.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const reason = kernelUnavailableReason();
  if (reason !== undefined) throw new Error(`bench/cgroup-cost.ts needs the kernel: ${reason}`);
  const value = (flag: string, fallback: number) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const connections = value('--connections', 30_000);
  const repeats = value('--repeats', 3);
  const root = cgroup2Mount();
  const top = join(root, `ts-tcpaccept-bench-${process.pid}`);
  const child = join(top, 'pod');
  const grandchild = join(child, 'container');
  const sibling = join(top, 'other');
  const original = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'))!
    .slice(3);
  for (const dir of [top, child, grandchild, sibling]) mkdirSync(dir);
  const stats = enableStats();
  try {
    writeFileSync(join(grandchild, 'cgroup.procs'), String(process.pid));
    const cases: Array<{ label: string; filters: (target: string) => TcpAcceptFilters }> = [
      { label: 'no cgroup filter', filters: () => ({}) },
      { label: '--cgroup-exact (get_current_cgroup_id)', filters: (target) => ({ cgroupId: cgroupIdOfPath(target) }) },
      {
        label: '--cgroup, under (current_task_under_cgroup)',
        filters: (target) => ({ cgroupTree: cgroupTreeOfPath(target), cgroupMethod: 'under' }),
      },
      {
        label: '--cgroup, ancestor (get_current_ancestor_cgroup_id)',
        filters: (target) => ({ cgroupTree: cgroupTreeOfPath(target), cgroupMethod: 'ancestor' }),
      },
    ];
    const rows: string[][] = [];
    for (const c of cases) {
      // exact needs the task's own cgroup; a subtree filter is put on the top of the tree.
      const matching = c.label.includes('exact') ? grandchild : top;
      const hit: number[] = [];
      const miss: number[] = [];
      for (let r = 0; r < repeats; r++) {
        hit.push(await nsPerConnection(c.filters(matching), connections));
        if (!c.label.startsWith('no ')) miss.push(await nsPerConnection(c.filters(sibling), connections));
      }
      rows.push([c.label, formatSpread(hit, 0), miss.length === 0 ? '-' : formatSpread(miss, 0)]);
      process.stderr.write(
        `${c.label}: ${median(hit).toFixed(0)} ns matching, ${miss.length ? median(miss).toFixed(0) : '-'} ns elsewhere\n`,
      );
    }
    printTable(
      `accept program ns per connection (${connections} connections, median ± half range of ${repeats})`,
      ['filter', 'task in the cgroup', 'task elsewhere (left at the check)'],
      rows,
    );
  } finally {
    stats.close();
    writeFileSync(join(root, original === '/' ? '' : original, 'cgroup.procs'), String(process.pid));
    for (const dir of [grandchild, child, sibling, top]) {
      for (let attempt = 0; ; attempt++) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt > 50) throw error;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
