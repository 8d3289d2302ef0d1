// What the kernel matrix runs and how it judges the result: the command line of the runner,
// the test files booted into each guest, the guest's environment and command, and the verdict
// per kernel. Pure: no I/O here, so test/vm/plan.test.ts can pin all of it.
import { dirname } from 'node:path';
import { shellQuote } from './guest.ts';

/** The kernel series the matrix covers by default: Debian 12's own and its 6.12 update kernel. */
export const DEFAULT_SERIES = ['6.1', '6.12'] as const;

/**
 * The test files run inside each guest: the ones whose claims depend on the kernel. The pure
 * suites (assembler, parsers, formatters, synthetic rings) give the same answer on any kernel
 * and stay on the host.
 */
export const KERNEL_TEST_FILES: readonly string[] = [
  // The CLI end to end: default mode, -q queue wait, RST, filters (-p -P -4 -6), --handshake,
  // -T/-t/--json, not-root, SIGTERM/--duration/SIGPIPE, an exception; each checks that no
  // program or map is left loaded.
  'test/e2e/cli.test.ts',
  // --cgroup against a real cgroup v2 hierarchy (bpf_get_current_cgroup_id in the kernel).
  'test/e2e/cgroup.test.ts',
  // --netns against real network namespaces (the socket's skc_net->ns.inum in the kernel).
  'test/e2e/netns.test.ts',
  // Every way out while events flow, under load: signals, write errors, SIGKILL, double SIGINT.
  'test/hardening/exits.test.ts',
  // The tracer library: ring buffer and perf array outputs, a full ring's losses.
  'test/probe/tracer.test.ts',
  // Both ring readers against real kernel rings (100 000 events each, per-CPU order, losses).
  'test/perf/kernel-reader.test.ts',
  // The raw kernel interfaces the rest stands on: bpf(2), perf_event_open, tracefs formats and
  // the kernel's own BTF (offsets really differ between 6.1, 6.12 and the host).
  'test/syscalls/bpf.test.ts',
  'test/syscalls/perf-event.test.ts',
  'test/syscalls/tracefs.test.ts',
  'test/syscalls/btf.test.ts',
  // io_uring accepts (plain, fixed-file, multishot, io-wq workers) from a liburing server: the
  // io_kiocb and fixed-file table layouts really differ between 6.1, 6.12 and the host.
  'test/e2e/io-uring.test.ts',
  // --self-test in every mode: what a user on an untested kernel runs first.
  'test/e2e/self-test.test.ts',
  // sock_diag's listener figures against ss -tlnm (the --listeners snapshots stand on them).
  'test/syscalls/sock-diag.test.ts',
];

/**
 * Top-level subtests of those files that are left out in the guests (tap --grep), with why:
 * they check no kernel behaviour and cost minutes under emulation. Each shows up as a
 * "# SKIP filter:" point, which the runner counts as excluded, not as a skip.
 */
export const EXCLUDED_SUBTESTS: readonly string[] = [
  // 40 CLI invocations with bad arguments, each refused before any kernel object exists
  // (~100 s per kernel under TCG); the host suite runs it.
  'bad input: one clear line, exit 2, nothing loaded',
];

export interface RunnerOptions {
  /** Kernel series to boot, in order. */
  series: string[];
  /** Test files to run in each guest (ignored with `command`). */
  files: string[];
  /** Run this shell command in the guest instead of the tests (exit status only). */
  command?: string;
  /** Run the side-by-side check against bpftrace and BCC instead of the tests. */
  sideBySide: boolean;
  /** Where the unpacked kernels are kept between runs. */
  cacheDir: string;
  /** Ask apt for a newer kernel even when one is cached. */
  refresh: boolean;
  /** Skip `npm run build` on the host. */
  build: boolean;
  /** Force an accelerator instead of detecting one. */
  accelerator?: 'kvm' | 'tcg';
  /** TCG's threading: one host thread per vCPU, or one for all. */
  tcgThreads: 'single' | 'multi';
  memoryMiB: number;
  cpus: number;
  /** Guests booted at once (each single-threaded TCG guest keeps one host core busy). */
  jobs?: number;
  /** Per-kernel limit on the guest's wall time. */
  timeoutMinutes: number;
  /** Where logs and images go (a fresh temporary directory when unset). */
  outDir?: string;
  help: boolean;
}

export const DEFAULT_CACHE_DIR = '/var/cache/ts-tcpaccept/kernels';

export const USAGE = `Usage: npm run test:kernels [-- OPTIONS]
   or: node --import tsx test/vm/run.ts [OPTIONS]

Boots Debian kernels in QEMU (KVM when /dev/kvm is real, TCG otherwise) with the host's root
as the guest's (read-only, over 9p, with a tmpfs overlay) and runs the kernel-facing tests in
each, with TS_TCPACCEPT_REQUIRE_BPF=1 (a skip is a failure). Exit status 0 only when every
kernel passed with nothing skipped.

Options:
  --kernel SERIES     kernel series to boot (6.1, 6.12); repeatable or comma separated
                      (default: ${DEFAULT_SERIES.join(', ')})
  --file PATH         a test file to run instead of the default set; repeatable
  --command CMD       run a shell command in the guest instead of the tests (cwd: the repo)
  --side-by-side      instead of the tests, trace one workload with ts-tcpaccept, bpftrace's
                      tcpaccept.bt and BCC's tcpaccept-bpfcc and compare (fetches the headers)
  --cache DIR         unpacked kernels (default ${DEFAULT_CACHE_DIR}, or $TS_TCPACCEPT_KERNEL_CACHE)
  --refresh           ask apt for a newer kernel even when one is cached
  --no-build          do not run "npm run build" on the host first
  --accel kvm|tcg     force the accelerator
  --tcg-threads single|multi
                      TCG: one host thread for all vCPUs, or one per vCPU (default single:
                      QEMU 7.2's multi-threaded TCG oopses x86 guests on kernel code patching)
  --jobs N            guests run at once (default: one per host CPU, at most one per kernel)
  --memory MIB        guest memory (default 2048)
  --cpus N            guest CPUs (default 2)
  --timeout MINUTES   per-kernel limit (default 45)
  --out DIR           where logs go (default: a new directory under /tmp)
  -h, --help          this text`;

/** Parses the runner's arguments; throws an Error with a one-line message on bad input. */
export function parseRunnerArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): RunnerOptions {
  const options: RunnerOptions = {
    series: [],
    files: [],
    sideBySide: false,
    cacheDir: env.TS_TCPACCEPT_KERNEL_CACHE || DEFAULT_CACHE_DIR,
    refresh: false,
    build: true,
    tcgThreads: 'single',
    memoryMiB: 2048,
    cpus: 2,
    // Two guests at once take 20-22 min each here, ~1.4x that on a busier machine; 45 leaves
    // room for that and still ends a hung guest inside CI's 90 min (host + Node parts: ~19).
    timeoutMinutes: 45,
    help: false,
  };
  const positive = (flag: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--kernel':
        for (const s of value()
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)) {
          if (!/^\d+\.\d+$/.test(s)) throw new Error(`--kernel takes a series like 6.1 or 6.12, got ${JSON.stringify(s)}`);
          if (!options.series.includes(s)) options.series.push(s);
        }
        break;
      case '--file':
        options.files.push(value());
        break;
      case '--command':
        options.command = value();
        break;
      case '--side-by-side':
        options.sideBySide = true;
        break;
      case '--cache':
        options.cacheDir = value();
        break;
      case '--refresh':
        options.refresh = true;
        break;
      case '--no-build':
        options.build = false;
        break;
      case '--accel': {
        const v = value();
        if (v !== 'kvm' && v !== 'tcg') throw new Error(`--accel takes kvm or tcg, got ${JSON.stringify(v)}`);
        options.accelerator = v;
        break;
      }
      case '--tcg-threads': {
        const v = value();
        if (v !== 'single' && v !== 'multi') throw new Error(`--tcg-threads takes single or multi, got ${JSON.stringify(v)}`);
        options.tcgThreads = v;
        break;
      }
      case '--jobs':
        options.jobs = positive(flag, value());
        break;
      case '--memory':
        options.memoryMiB = positive(flag, value());
        break;
      case '--cpus':
        options.cpus = positive(flag, value());
        break;
      case '--timeout':
        options.timeoutMinutes = positive(flag, value());
        break;
      case '--out':
        options.outDir = value();
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(arg)} (see --help)`);
    }
  }
  if (options.sideBySide && options.command !== undefined) throw new Error('--side-by-side and --command are alternatives');
  if (options.series.length === 0) options.series = options.sideBySide ? ['6.1'] : [...DEFAULT_SERIES];
  if (options.files.length === 0) options.files = [...KERNEL_TEST_FILES];
  return options;
}

/**
 * How many guests to run at once: --jobs, or one per host CPU. Single-threaded TCG keeps one
 * host core busy per guest, so on a 2-core host 6.1 and 6.12 run side by side in the time of one.
 */
export function guestJobs(requested: number | undefined, hostCpus: number, kernels: number): number {
  return Math.max(1, Math.min(requested ?? hostCpus, kernels));
}

/**
 * The guest's environment: nothing inherited from the host except what is listed here. PATH
 * puts the host's node first and uses the system directories, not a developer's shims (a
 * pyenv shim costs a second per python3 start under TCG).
 */
export function guestEnvironment(nodePath: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: [dirname(nodePath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
      .filter((dir, i, all) => all.indexOf(dir) === i)
      .join(':'),
    HOME: '/root',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    CI: 'true',
    TS_TCPACCEPT_REQUIRE_BPF: '1',
    // Waits for a child's ready signal (test/helpers/processes.ts) get 3x longer: under TCG a
    // tracer starting while 1 000 connections/s flow took 5.5 s alone and over 20 s with the
    // host busy.
    TS_TCPACCEPT_TEST_TIME_SCALE: '3',
    ...extra,
  };
}

/** A regular expression matching exactly the given literal names. */
const anyOf = (names: readonly string[]) => names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

/**
 * The guest's shell command that runs `files` with tap, TAP on stdout, and says which kernel it
 * is. Top-level subtests named in `exclude` are filtered out by a negative-lookahead --grep.
 */
export function tapCommand(files: readonly string[], exclude: readonly string[] = []): string {
  for (const file of files) {
    if (!/^[\w./-]+$/.test(file)) throw new Error(`test file path has characters the guest command cannot take: ${JSON.stringify(file)}`);
  }
  const grep = exclude.length > 0 ? ` --grep=${shellQuote(`^(?!(?:${anyOf(exclude)})$)`)}` : '';
  return [
    'echo "# kernel $(uname -r), node $(node --version)"',
    // The first start of the CLI reads dist/, node_modules and the kernel's BTF cold over 9p
    // (many seconds under emulation); warm the guest's caches before the tests time anything.
    'node dist/cli/main.js --ebpf > /dev/null 2>&1; python3 -c pass',
    `exec node node_modules/tap/dist/esm/run.mjs --reporter=tap --no-color${grep} ${files.join(' ')}`,
  ].join('\n');
}

/** Test points tap skipped because --grep filtered them out (our exclusions, not real skips). */
export function countFilteredOut(tap: string): number {
  return tap.split('\n').filter((line) => /^\s*ok \d+ - .* # SKIP filter: /.test(line)).length;
}

/** TAP leaf counts (as .ci/count-tap.mjs prints them). */
export interface TapCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Parses count-tap.mjs's "passed failed skipped" line. */
export function parseTapCounts(line: string): TapCounts {
  const parts = line.trim().split(/\s+/).map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 0))
    throw new Error(`unexpected count-tap output: ${JSON.stringify(line)}`);
  return { passed: parts[0]!, failed: parts[1]!, skipped: parts[2]! };
}

/** Everything known about one kernel's run. */
export interface KernelRun {
  series: string;
  release?: string;
  accelerator?: string;
  seconds: number;
  /** Set when the run could not happen or did not finish (no kernel, timeout, init failure…). */
  error?: string;
  exitStatus?: number;
  counts?: TapCounts;
  /** Subtests left out by EXCLUDED_SUBTESTS (not counted in `counts.skipped`). */
  excluded?: number;
  /** Oopses and panics found in the kernel log. */
  kernelFaults: string[];
}

/** Whether a run passed, and if not, the reasons, most fundamental first. */
export function verdict(run: KernelRun, expectTap: boolean): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (run.error) reasons.push(run.error);
  else if (run.exitStatus === undefined) reasons.push('no exit status from the guest');
  else if (run.exitStatus !== 0) reasons.push(`guest command exited ${run.exitStatus}`);
  if (run.kernelFaults.length > 0) reasons.push(`kernel fault: ${run.kernelFaults[0]}`);
  if (expectTap && !run.error) {
    if (!run.counts || run.counts.passed + run.counts.failed + run.counts.skipped === 0) reasons.push('no TAP results');
    else {
      if (run.counts.failed > 0) reasons.push(`${run.counts.failed} failed`);
      if (run.counts.skipped > 0) reasons.push(`${run.counts.skipped} skipped (a skip is a failure here)`);
    }
  }
  return { ok: reasons.length === 0, reasons };
}

/** `7m05s` */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The one line per kernel the runner ends with. */
export function summaryLine(run: KernelRun, expectTap: boolean): string {
  const { ok, reasons } = verdict(run, expectTap);
  const what = [run.release, run.accelerator].filter(Boolean).join(', ');
  const excluded = run.excluded ? ` (${run.excluded} excluded)` : '';
  const counts = run.counts
    ? `${run.counts.passed} passed, ${run.counts.failed} failed, ${run.counts.skipped} skipped${excluded}`
    : undefined;
  const parts = [`kernel ${run.series}${what ? ` (${what})` : ''}: ${ok ? 'PASS' : 'FAIL'}`];
  if (counts) parts.push(counts);
  parts.push(`in ${formatDuration(run.seconds)}`);
  const line = parts.join(', ');
  return ok ? line : `${line} (${reasons.join('; ')})`;
}
