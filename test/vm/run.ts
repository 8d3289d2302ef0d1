// The kernel matrix: boots each Debian kernel in QEMU with the host's root as the guest's and
// runs the kernel-facing tests inside, then prints one line per kernel and exits non-zero on any
// failure or skip. `npm run test:kernels [-- --kernel 6.1]`; --help lists the options.
//
// The decisions live in pure modules with their own tests (plan.ts, guest.ts, modules.ts,
// cpio.ts, kernels.ts); this file does the I/O: build, fetch kernels, write the initramfs,
// run QEMU with a time limit, stream and keep its output, count the TAP results.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cpioNewc, type CpioEntry } from './cpio.ts';
import {
  chooseAccelerator,
  commandScript,
  shellQuote,
  initScript,
  kernelCommandLine,
  kernelLogProblems,
  parseConsole,
  qemuArgs,
  type Accelerator,
} from './guest.ts';
import { ensureHeaders, ensureKernel, findOnPath, type Kernel } from './kernels.ts';
import { elfInterpreter, indexModules, loadOrder, readModuleFile } from './modules.ts';
import {
  countFilteredOut,
  EXCLUDED_SUBTESTS,
  formatDuration,
  guestEnvironment,
  guestJobs,
  parseRunnerArgs,
  parseTapCounts,
  summaryLine,
  tapCommand,
  USAGE,
  verdict,
  type KernelRun,
  type RunnerOptions,
} from './plan.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Modules the guest needs for its root: virtio PCI transport, 9p over virtio, overlayfs. */
// tcp_diag (with inet_diag): sock_diag's TCP listener dumps, which --listeners reads. A real
// Debian host loads it on the first request (request_module); the guest's /lib/modules is the
// host's, so it is loaded here.
const GUEST_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay', 'tcp_diag'];

/** A problem a person can fix, reported as one line without a stack trace. */
class UserError extends Error {}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** QEMU processes running now, and the signal that asked the runner to stop, if one did. */
const running = new Set<ChildProcess>();
let stoppedBy: NodeJS.Signals | undefined;

/** Ctrl-C or SIGTERM stops every guest and starts no new one (the summary still prints). */
function stopOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stoppedBy) process.exit(1); // a second signal: leave now
      stoppedBy = signal;
      say(`== ${signal}: stopping the guests`);
      for (const child of running) child.kill('SIGTERM');
    });
  }
}

/** Checks the host tools the matrix needs, naming the Debian package of each missing one. */
function preflight(): { qemu: string; busybox: string } {
  const missing: string[] = [];
  const qemu = findOnPath('qemu-system-x86_64');
  if (!qemu) missing.push('qemu-system-x86_64 (Debian package qemu-system-x86)');
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) missing.push('busybox (Debian package busybox-static)');
  else if (elfInterpreter(readFileSync(busybox)) !== undefined) {
    missing.push(`a static busybox: ${busybox} is dynamically linked (Debian package busybox-static replaces busybox)`);
  }
  if (!findOnPath('xz')) missing.push('xz, for the .ko.xz modules of 6.12 (Debian package xz-utils)');
  if (!findOnPath('apt-get') || !findOnPath('dpkg')) missing.push('apt-get and dpkg (a Debian or Ubuntu host)');
  if (missing.length > 0) throw new UserError(`missing on the host: ${missing.join('; ')}. .ci/kernels.sh installs them.`);
  return { qemu: qemu!, busybox: busybox! };
}

/** KVM when /dev/kvm is usable and not PVM (kvm_pvm boots only PVM guests); otherwise TCG. */
function detectAccelerator(forced?: Accelerator): Accelerator {
  let kvmUsable = false;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    kvmUsable = true;
  } catch {
    // No KVM: TCG.
  }
  return chooseAccelerator({ kvmUsable, pvmLoaded: existsSync('/sys/module/kvm_pvm') }, forced);
}

/** The initramfs for `kernel`: busybox, /init, /cmd.sh, the modules in load order, gzipped. */
function buildInitramfs(kernel: Kernel, busybox: string, script: string): Buffer {
  const { available, builtin } = indexModules(kernel.modulesDir, GUEST_MODULES);
  const modules = loadOrder(GUEST_MODULES, available, builtin);
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'modules', 'lower', 'rw', 'newroot', 'tmp'].map((path): CpioEntry => ({ kind: 'dir', path })),
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    { kind: 'file', path: 'init', data: initScript({ modules: modules.map((m) => `${m.name}.ko`) }), mode: 0o755 },
    { kind: 'file', path: 'cmd.sh', data: script, mode: 0o755 },
    ...modules.map((m): CpioEntry => ({ kind: 'file', path: `modules/${m.name}.ko`, data: readModuleFile(m.path) })),
  ];
  return gzipSync(cpioNewc(entries), { level: 1 });
}

/** Writes each complete line of a stream to stdout with a prefix, as it arrives. */
function lineEcho(prefix: string): { push(chunk: string): void; flush(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk.replace(/\r/g, '');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) say(`${prefix}${line}`);
    },
    flush() {
      if (pending) say(`${prefix}${pending}`);
      pending = '';
    },
  };
}

/** Runs QEMU to completion (or the time limit); resolves with ttyS1's text and how it ended. */
function runQemu(
  qemu: string,
  args: string[],
  timeoutMs: number,
  prefix: string,
): Promise<{ console: string; stderr: string; timedOut: boolean; code: number | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(qemu, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let consoleText = '';
    let stderr = '';
    let timedOut = false;
    const echo = lineEcho(prefix);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      consoleText += chunk;
      echo.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    running.add(child);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new UserError(`${qemu} could not be started: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      echo.flush();
      resolvePromise({ console: consoleText, stderr, timedOut, code });
    });
  });
}

/** Whether the guest runs the tap suites (and so must report TAP results), not a --command. */
const expectsTap = (options: RunnerOptions) => options.command === undefined && !options.sideBySide;

/** Leaf TAP counts of a log, by the same script .ci/run uses. */
function countTap(logFile: string) {
  const result = spawnSync(process.execPath, [join(repo, '.ci', 'count-tap.mjs'), logFile], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`.ci/count-tap.mjs failed: ${result.stderr}`);
  return parseTapCounts(result.stdout);
}

/** Boots one kernel series and runs the command (the tests) in it. */
async function runKernel(
  series: string,
  options: RunnerOptions,
  tools: { qemu: string; busybox: string },
  outDir: string,
): Promise<KernelRun> {
  const started = Date.now();
  const run: KernelRun = { series, seconds: 0, kernelFaults: [] };
  const dir = join(outDir, series);
  mkdirSync(dir, { recursive: true });
  try {
    const kernel = ensureKernel(series, options.cacheDir, { refresh: options.refresh, log: (l) => say(`[${series}] ${l}`) });
    run.release = kernel.release;
    const accelerator = detectAccelerator(options.accelerator);
    run.accelerator = accelerator;
    let command = options.command ?? tapCommand(options.files, EXCLUDED_SUBTESTS);
    if (options.sideBySide) {
      const headers = ensureHeaders(kernel, options.cacheDir, (l) => say(`[${series}] ${l}`));
      command = `exec node --import tsx test/vm/side-by-side.ts --headers ${shellQuote(headers)}`;
    }
    const script = commandScript(command, repo, guestEnvironment(process.execPath));
    const initrd = join(dir, 'initramfs.cpio.gz');
    writeFileSync(initrd, buildInitramfs(kernel, tools.busybox, script));
    const kernelLog = join(dir, 'kernel.log');
    const args = qemuArgs({
      kernel: kernel.vmlinuz,
      initrd,
      append: kernelCommandLine(),
      accelerator,
      tcgThreads: options.tcgThreads,
      memoryMiB: options.memoryMiB,
      cpus: options.cpus,
      shareRoot: '/',
      kernelLog,
    });
    writeFileSync(join(dir, 'qemu-args.json'), `${JSON.stringify([tools.qemu, ...args], null, 2)}\n`);
    say(`[${series}] booting ${kernel.package} (${kernel.release}) with ${accelerator.toUpperCase()}; kernel log: ${kernelLog}`);
    const result = await runQemu(tools.qemu, args, options.timeoutMinutes * 60_000, `[${series}] `);
    writeFileSync(join(dir, 'console.log'), result.console);
    const parsed = parseConsole(result.console);
    const guestLog = join(dir, 'guest.log');
    writeFileSync(guestLog, parsed.output);
    const kernelText = existsSync(kernelLog) ? readFileSync(kernelLog, 'utf8') : '';
    const problems = kernelLogProblems(kernelText);
    run.kernelFaults = problems.fatal;
    for (const w of problems.warnings) say(`[${series}] kernel warning: ${w}`);
    if (stoppedBy) run.error = `stopped by ${stoppedBy}`;
    else if (result.timedOut) run.error = `timed out after ${options.timeoutMinutes} min`;
    else if (parsed.initFailure) run.error = `guest /init failed: ${parsed.initFailure} (see ${kernelLog})`;
    else if (!parsed.started)
      run.error = `the guest never started the command (QEMU exit ${result.code}; ${result.stderr.trim().split('\n').pop() || `see ${kernelLog}`})`;
    if (parsed.exitStatus !== undefined) run.exitStatus = parsed.exitStatus;
    if (expectsTap(options) && parsed.started) {
      const counts = countTap(guestLog);
      run.excluded = Math.min(countFilteredOut(parsed.output), counts.skipped);
      run.counts = { ...counts, skipped: counts.skipped - run.excluded };
    }
    if (!verdict(run, expectsTap(options)).ok && kernelText) {
      say(`[${series}] last lines of the kernel log:`);
      for (const line of kernelText.replace(/\r/g, '').trimEnd().split('\n').slice(-15)) say(`[${series}]   ${line}`);
    }
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    run.error = error.message;
  }
  run.seconds = (Date.now() - started) / 1000;
  return run;
}

async function main(): Promise<number> {
  let options: RunnerOptions;
  try {
    options = parseRunnerArgs(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`test:kernels: ${(error as Error).message}\n`);
    return 2;
  }
  if (options.help) {
    say(USAGE);
    return 0;
  }
  const tools = preflight();
  if (/^\/(run|dev|proc|sys)(\/|$)/.test(repo)) {
    throw new UserError(`the repository is at ${repo}, which the guest covers with its own mounts: clone it elsewhere`);
  }
  stopOnSignals();
  for (const file of options.command ? [] : options.files) {
    if (!existsSync(join(repo, file))) throw new UserError(`no such test file: ${file} (paths are relative to ${repo})`);
  }
  if (options.build) {
    say('== npm run build (the guest runs dist/ from the host root)');
    const build = spawnSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });
    if (build.status !== 0) throw new UserError('npm run build failed');
  }
  const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), 'ts-tcpaccept-kernels-'));
  mkdirSync(outDir, { recursive: true });
  const jobs = guestJobs(options.jobs, availableParallelism(), options.series.length);
  if (jobs > 1) say(`== ${jobs} guests at once (--jobs 1 to run them one after the other)`);
  // A small pool: each worker takes the next kernel until none is left; results keep the
  // order of --kernel.
  const runs: KernelRun[] = new Array<KernelRun>(options.series.length);
  let next = 0;
  const worker = async () => {
    while (next < options.series.length) {
      const index = next++;
      const series = options.series[index]!;
      if (stoppedBy) {
        runs[index] = { series, seconds: 0, kernelFaults: [], error: `not started: stopped by ${stoppedBy}` };
        continue;
      }
      say(`== kernel ${series}`);
      const run = await runKernel(series, options, tools, outDir);
      say(`[${series}] ${summaryLine(run, expectsTap(options))}`);
      runs[index] = run;
    }
  };
  const wallStart = Date.now();
  await Promise.all(Array.from({ length: jobs }, worker));
  say(`== kernel matrix (logs in ${outDir}): ${formatDuration((Date.now() - wallStart) / 1000)} wall time`);
  for (const run of runs) say(summaryLine(run, expectsTap(options)));
  return runs.every((run) => verdict(run, expectsTap(options)).ok) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UserError) process.stderr.write(`test:kernels: ${error.message}\n`);
    else process.stderr.write(`test:kernels: ${error instanceof Error ? error.stack : String(error)}\n`);
    // Still end on a verdict line, as a run that booted something would.
    say(`kernel matrix: FAIL (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
    process.exitCode = 1;
  },
);
