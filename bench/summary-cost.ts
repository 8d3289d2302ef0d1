// What -c and -H cost, next to the default mode and -q, on the same loopback accept storm
// (bench/storm.py): in-kernel ns per accepted connection from run_time_ns (BPF_ENABLE_STATS),
// per program, and the user-space CPU of one interval's report (map walk, per-CPU sums, diff),
// at two storm sizes to show that it follows the number of keys, not the accept rate.
//   node --import tsx bench/summary-cost.ts [--connections N] [--repeats N]
import { pathToFileURL } from 'node:url';
import { CountIntervals, HistIntervals } from '../cli/summary.ts';
import { TcpAcceptTracer, type TcpAcceptFilters } from '../src/probe/tracer.ts';
import { enableStats } from '../src/syscalls/index.ts';
import { kernelUnavailableReason } from '../test/helpers/kernel.ts';
import { runStorm } from './scenario.ts';
import { formatNumber, formatSpread, median, printTable } from './stats.ts';

const MODES: Array<{ label: string; filters: TcpAcceptFilters }> = [
  { label: 'default (rows through the ring)', filters: {} },
  { label: '-q (rows + queue wait)', filters: { queueWait: true } },
  { label: '-c (counts in the kernel)', filters: { count: true } },
  { label: '-H (histograms in the kernel)', filters: { hist: true } },
  { label: '-c -H', filters: { count: true, hist: true } },
];

interface Measured {
  nsPerConnection: number;
  perProgram: Map<string, number>;
  intervalCpuUs: number;
  keys: number;
}

async function measure(filters: TcpAcceptFilters, connections: number): Promise<Measured> {
  let events = 0;
  const tracer = TcpAcceptTracer.open({
    ...filters,
    onEvent: () => {
      events++;
    },
  });
  try {
    const storm = await runStorm({ connections, clientsPerFamily: 2 });
    await new Promise((r) => setTimeout(r, 200));
    const perProgram = new Map<string, number>();
    let total = 0;
    for (const program of tracer.loadedPrograms()) {
      const info = program.info();
      const ns = Number(info.runTimeNs) / storm.connections;
      perProgram.set(program.name, (perProgram.get(program.name) ?? 0) + ns);
      total += ns;
    }
    // One interval's report, as cli/main.ts makes it: walk, sum the CPUs, diff.
    const counts = new CountIntervals();
    const hists = new HistIntervals();
    counts.take(tracer.readCounts());
    hists.take(tracer.readHistogram());
    const start = process.cpuUsage();
    const REPORTS = 20;
    let keys = 0;
    for (let i = 0; i < REPORTS; i++) {
      const c = tracer.readCounts();
      const h = tracer.readHistogram();
      keys = c.length + h.length;
      counts.take(c);
      hists.take(h);
    }
    const used = process.cpuUsage(start);
    void events;
    return { nsPerConnection: total, perProgram, intervalCpuUs: (used.user + used.system) / REPORTS, keys };
  } finally {
    tracer.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const reason = kernelUnavailableReason();
  if (reason !== undefined) throw new Error(`bench/summary-cost.ts needs the kernel: ${reason}`);
  const value = (flag: string, fallback: number) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const connections = value('--connections', 50_000);
  const repeats = value('--repeats', 3);
  const stats = enableStats();
  try {
    const rows: string[][] = [];
    for (const mode of MODES) {
      const results: Measured[] = [];
      for (let r = 0; r < repeats; r++) results.push(await measure(mode.filters, connections));
      const small = mode.filters.count || mode.filters.hist ? await measure(mode.filters, connections / 10) : undefined;
      const programs = [...results[0]!.perProgram.keys()]
        .map((name) => `${name} ${formatNumber(median(results.map((m) => m.perProgram.get(name) ?? 0)), 0)}`)
        .join(', ');
      rows.push([
        mode.label,
        formatSpread(
          results.map((m) => m.nsPerConnection),
          0,
        ),
        programs,
        small === undefined
          ? '-'
          : `${formatNumber(median(results.map((m) => m.intervalCpuUs)), 0)} µs (${results[0]!.keys} keys) / ${formatNumber(small.intervalCpuUs, 0)} µs (${small.keys} keys, ${connections / 10} conns)`,
      ]);
    }
    printTable(
      `In-kernel cost per accepted connection, ${connections} loopback connections, medians of ${repeats}`,
      ['mode', 'ns/conn', 'per program (ns/conn)', 'user CPU per interval report'],
      rows,
    );
  } finally {
    stats.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
