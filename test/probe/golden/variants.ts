// The golden programs: every plan variant's --ebpf listing, planned for the recorded kernel
// (test/fixtures/kernel: its BTF blob, tracepoint formats and possible CPUs), so that a change to
// src/probe/programs.ts shows up as a text diff of test/probe/golden/*.s on any machine, without
// root. One row per variant: a new variant is one line in VARIANTS.
//
//   node --import tsx scripts/update-golden.ts     rewrite the .s files (or UPDATE_GOLDEN=1 tap ...)
//   npx tap test/probe/golden.test.ts             compare
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describePlan, parseCpuList, planPrograms, type PlanOptions, type TracerPlan } from '../../../src/internal.ts';
import { parseArgs } from '../../../cli/args.ts';
import { tracerFiltersOf } from '../../../cli/plan.ts';

export const GOLDEN_DIR = dirname(fileURLToPath(import.meta.url));
const KERNEL_DIR = join(GOLDEN_DIR, '..', '..', 'fixtures', 'kernel');

/** A stand-in for the id of a --cgroup directory: a real one is a machine's inode number. */
export const GOLDEN_CGROUP_ID = 0x1234n;
/** A stand-in for the inode of a --netns namespace (self or a path): a machine's, too. */
export const GOLDEN_NETNS_INODE = 0xf0000001;

export interface GoldenVariant {
  /** File name without `.s`. */
  readonly name: string;
  /**
   * ts-tcpaccept arguments (`--ebpf` is added). Paths are never opened: `--cgroup PATH` and
   * `--cgroup-exact PATH` get GOLDEN_CGROUP_ID (and the level PATH has under /sys/fs/cgroup),
   * `--netns` GOLDEN_NETNS_INODE.
   */
  readonly args: readonly string[];
  /** Plan options with no command-line flag (e.g. the perf-ring output). */
  readonly plan?: Partial<PlanOptions>;
}

export const VARIANTS: readonly GoldenVariant[] = [
  { name: 'default', args: [] },
  { name: 'perf-output', args: [], plan: { output: 'perf' } },
  { name: 'pid', args: ['-p', '4242'] },
  { name: 'ports', args: ['-P', '80,443'] },
  { name: 'ipv4', args: ['-4'] },
  { name: 'ipv6', args: ['-6'] },
  { name: 'cgroup', args: ['--cgroup', '/sys/fs/cgroup/golden/app'] },
  { name: 'cgroup-ancestor', args: ['--cgroup', '/sys/fs/cgroup/golden/app'], plan: { cgroupMethod: 'ancestor' } },
  { name: 'cgroup-exact', args: ['--cgroup-exact', '/sys/fs/cgroup/golden'] },
  { name: 'all-filters', args: ['-p', '4242', '-P', '8080', '-4', '--cgroup', '/sys/fs/cgroup/golden'] },
  { name: 'netns', args: ['--netns', 'self'] },
  { name: 'handshake-netns', args: ['--handshake', '--netns', 'self'] },
  {
    name: 'all-filters-netns',
    args: ['-p', '4242', '-P', '8080', '-4', '--cgroup', '/sys/fs/cgroup/golden', '--netns', '/run/netns/golden'],
  },
  { name: 'queue-wait', args: ['-q'] },
  { name: 'queue-wait-perf', args: ['-q'], plan: { output: 'perf' } },
  { name: 'json', args: ['--json'] },
  { name: 'handshake', args: ['--handshake'] },
  { name: 'handshake-filters', args: ['--handshake', '-p', '4242', '-P', '80', '-6'] },
  { name: 'handshake-perf', args: ['--handshake'], plan: { output: 'perf' } },
  { name: 'drops', args: ['--drops'] },
  { name: 'handshake-drops', args: ['--handshake', '--drops'] },
  { name: 'drops-perf', args: ['--drops'], plan: { output: 'perf' } },
  { name: 'count', args: ['-c'] },
  { name: 'count-filters', args: ['-c', '-p', '4242', '-P', '80', '-4', '--cgroup-exact', '/sys/fs/cgroup/golden'] },
  { name: 'hist', args: ['-H'] },
  { name: 'count-hist', args: ['-c', '-H'] },
  { name: 'small-ring', args: [], plan: { ring: { dataPages: 1 } } },
];

interface RecordedKernel {
  readonly release: string;
  readonly arch: string;
  readonly possibleCpus: string;
}

/** Plan options for the recorded kernel (test/fixtures/kernel): pure, no root, same everywhere. */
export function recordedKernel(): Pick<PlanOptions, 'btfPath' | 'tracefsRoot' | 'cpuSlots'> {
  const recorded = JSON.parse(readFileSync(join(KERNEL_DIR, 'kernel.json'), 'utf8')) as RecordedKernel;
  return {
    btfPath: join(KERNEL_DIR, 'btf'),
    tracefsRoot: join(KERNEL_DIR, 'tracing'),
    cpuSlots: Math.max(...parseCpuList(recorded.possibleCpus)) + 1,
  };
}

const commandLine = (variant: GoldenVariant): string[] => ['--ebpf', ...variant.args];

/** The plan of one variant for the recorded kernel, through the CLI's own option mapping. */
export function planGolden(variant: GoldenVariant): TracerPlan {
  const options = parseArgs(commandLine(variant));
  const cgroupId = options.cgroupExactPath === undefined ? undefined : GOLDEN_CGROUP_ID;
  const tree = options.cgroupPath;
  const cgroupTree =
    tree === undefined
      ? undefined
      : {
          path: tree,
          id: GOLDEN_CGROUP_ID,
          level: tree
            .replace(/^\/sys\/fs\/cgroup\/?/, '')
            .split('/')
            .filter(Boolean).length,
        };
  const filters = tracerFiltersOf(options, cgroupId, options.netns === undefined ? undefined : GOLDEN_NETNS_INODE, cgroupTree);
  return planPrograms({ ...filters, ...recordedKernel(), ...variant.plan });
}

/** The golden text of one variant: a header naming how it was made, then the --ebpf listing (no slot numbers). */
export function renderGolden(variant: GoldenVariant): string {
  const args = commandLine(variant);
  // Without slot numbers: an inserted instruction would renumber every line after it.
  const listing = describePlan(planGolden(variant), { slots: false });
  const planned = variant.plan === undefined ? '' : ` (plan: ${JSON.stringify(variant.plan)})`;
  return `// golden: ts-tcpaccept ${args.join(' ')}${planned}, on test/fixtures/kernel\n${listing}`;
}

export const goldenPath = (variant: GoldenVariant): string => join(GOLDEN_DIR, `${variant.name}.s`);
