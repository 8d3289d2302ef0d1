// One measured run: optionally start a tracer, find out when it saw its first event, measure a
// cheap syscall while it idles, then drive the accept storm through it and collect what it
// cost, what it printed and what the kernel charged everyone.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { anonymousRssBytes, peakRssBytes, processCpuSeconds } from './procfs.ts';
import { programIdsOfProcess, runTotals } from './program-stats.ts';
import { getppidNs, syscallTracepointAttachments } from './syscall-cost.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(benchDir, '..');
export const cliPath = join(repoRoot, 'dist', 'cli', 'main.js');
/** What users run (package.json's bin): the esbuild bundle of the CLI. The bench measures it. */
export const binPath = join(repoRoot, 'dist', 'bin', 'ts-tcpaccept.cjs');
const stormScript = join(benchDir, 'storm.py');
const proberScript = join(benchDir, 'prober.py');
export const bpftraceScript = join(benchDir, 'tcpaccept.bt');

/** A tracer under test: how to start it and how to read its output lines. */
export interface Tool {
  key: string;
  label: string;
  command: string;
  args: string[];
  /** Local and remote port of an output line, or undefined for headers and notices. */
  ports(line: string): { local: number; remote: number } | undefined;
  /**
   * The process whose CPU and memory are the tracer's, given the spawned one (default: itself).
   * The C reader floor is started by a Node host that only holds the programs: its child reads.
   */
  measuredPid?(spawned: number): number;
}

function portsAt(line: string, remoteField: number, localField: number): { local: number; remote: number } | undefined {
  const fields = line.trim().split(/\s+/);
  const remote = Number(fields[remoteField]);
  const local = Number(fields[localField]);
  return Number.isInteger(remote) && Number.isInteger(local) && fields.length > localField ? { local, remote } : undefined;
}

/** The ports of a --json line ({"event":"accept",…,"rport":N,…,"lport":N,…}). */
function jsonPorts(line: string): { local: number; remote: number } | undefined {
  const remote = /"rport":(\d+)/.exec(line);
  const local = /"lport":(\d+)/.exec(line);
  return remote !== null && local !== null ? { local: Number(local[1]), remote: Number(remote[1]) } : undefined;
}

/** ts-tcpaccept's table: PID COMM IP RADDR RPORT LADDR LPORT [QWAIT(us) [RST]], or --json lines. */
export function tsTcpaccept(key: string, label: string, extraArgs: string[]): Tool {
  const ports = extraArgs.includes('--json') ? jsonPorts : (line: string) => portsAt(line, 4, 6);
  return { key, label, command: process.execPath, args: [binPath, ...extraArgs], ports };
}

/** The only child of a process (from /proc/PID/task/PID/children). */
function onlyChild(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  if (children.length !== 1) throw new Error(`expected process ${pid} to have one child, it has ${children.length}`);
  return children[0]!;
}

/**
 * The C reader floor (bench/c-reader): ts-tcpaccept's default-mode programs loaded by
 * bench/c-reader/host.ts, the ring buffer read and rows formatted by the C program `reader`.
 * CPU and RSS are the C reader's; the programs (row 1a) are the host's.
 */
export function cReader(reader: string): Tool {
  return {
    key: 'c-reader',
    label: 'C reader (floor)',
    command: process.execPath,
    args: ['--import', 'tsx', join(benchDir, 'c-reader', 'host.ts'), reader],
    ports: (line) => portsAt(line, 4, 6),
    measuredPid: onlyChild,
  };
}

/** The bpftrace script of issue 6: TIME PID COMM IP DADDR DPORT SADDR SPORT. */
export function bpftrace(): Tool {
  return { key: 'bpftrace', label: 'bpftrace', command: 'bpftrace', args: [bpftraceScript], ports: (line) => portsAt(line, 5, 7) };
}

export interface StormResult {
  connections: number;
  failures: number;
  seconds: number;
  rate: number;
  userSeconds: number;
  systemSeconds: number;
  ports: number[];
}

export interface StormOptions {
  connections: number;
  clientsPerFamily: number;
}

/** Runs bench/storm.py to completion and returns its report. */
export function runStorm(options: StormOptions): Promise<StormResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'python3',
      [stormScript, '--connections', String(options.connections), '--clients', String(options.clientsPerFamily)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`storm.py exited ${code}: ${err.trim()}`));
      else resolve(JSON.parse(out) as StormResult);
    });
  });
}

export interface RunResult {
  storm: StormResult;
  /** ns per getppid() through koffi while the tool was attached and idle (or untraced). */
  getppidNs: number;
  /** Syscall tracepoints other processes had attached during that measurement (undefined: no bpftool). */
  foreignSyscallTracepoints: number | undefined;
  tool?: {
    /** Seconds from spawn to the first connection the tool reported (1 ms resolution). */
    firstEventSeconds: number;
    /** Seconds from spawn until that first line was in its output. */
    firstLineSeconds: number;
    programIds: number[];
    /** Over the storm: summed run_time_ns and run_cnt of the tool's programs. */
    runTimeNs: number;
    runCnt: number;
    /** utime + stime of the tracer from storm start until it printed its last line. */
    cpuSeconds: number;
    /** Storm connections found in the output (by the storm's listening ports). */
    printed: number;
    peakRssBytes: number;
    /** RssAnon after the storm: the part of RSS not shared with Node's binary and libraries. */
    anonymousRssBytes: number;
    stderr: string;
    /**
     * It ignored SIGINT for 10 s after the storm and was killed (its figures are up to then).
     * Seen in --handshake with 100 000 idle connections open: bench/README.md, "Idle pass".
     */
    killed: boolean;
    /** With `warmStorm`: a second storm through the same tracer, its CPU and the lines it printed. */
    warm?: { cpuSeconds: number; printed: number };
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a growing file line by line, from where it left off. */
class OutputFollower {
  private offset = 0;
  private partial = '';
  private readonly buffer = Buffer.alloc(1 << 20);
  constructor(private readonly path: string) {}

  /** Lines completed since the last call. */
  poll(): string[] {
    const fd = openSync(this.path, 'r');
    try {
      let text = '';
      for (;;) {
        const n = readSync(fd, this.buffer, 0, this.buffer.length, this.offset);
        if (n === 0) break;
        this.offset += n;
        text += this.buffer.toString('utf8', 0, n);
      }
      if (text === '') return [];
      const lines = (this.partial + text).split('\n');
      this.partial = lines.pop()!;
      return lines;
    } finally {
      closeSync(fd);
    }
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Sends `signal`, SIGKILL after 10 s; with `tolerate`, returns whether it had to kill instead of throwing. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals, what: string, tolerate = false): Promise<boolean> {
  child.kill(signal);
  const exited = exitOf(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  const killed = child.signalCode === 'SIGKILL';
  if (killed && !tolerate) throw new Error(`${what} ignored ${signal} for 10 s and was killed`);
  return killed;
}

/** Starts prober.py (one accepted connection per millisecond) and returns its listening port. */
async function startProber(logPath: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn('python3', [proberScript, logPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve(Number(line)));
    child.once('exit', (code) => reject(new Error(`prober.py exited ${code} before listening`)));
  });
  return { child, port };
}

/** A scratch directory on tmpfs, so a tool's output costs it no more than /dev/null would. */
export function scratchDir(): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : '/tmp', 'ts-tcpaccept-bench-'));
}

/** The untraced run: only the storm (and the syscall probe, for row 7's baseline). */
export async function runUntraced(storm: StormOptions): Promise<RunResult> {
  const syscall = getppidNs('koffi');
  const foreign = syscallTracepointAttachments()?.length;
  return { storm: await runStorm(storm), getppidNs: syscall, foreignSyscallTracepoints: foreign };
}

/** The storm's lines in the tool's output, read until all are there or it stays quiet for 1.5 s. */
async function countPrinted(tool: Tool, follower: OutputFollower, storm: StormResult): Promise<number> {
  const stormPorts = new Set(storm.ports);
  let printed = 0;
  let quietSince = Date.now();
  while (printed < storm.connections && Date.now() - quietSince < 1500) {
    await sleep(20);
    const lines = follower.poll();
    if (lines.length > 0) quietSince = Date.now();
    for (const line of lines) {
      const ports = tool.ports(line);
      if (ports !== undefined && stormPorts.has(ports.local)) printed++;
    }
  }
  return printed;
}

/** Storm through one tool. Output goes to a tmpfs file that is counted afterwards. */
export async function runTraced(tool: Tool, storm: StormOptions, dir: string, options: { warmStorm?: boolean } = {}): Promise<RunResult> {
  const outPath = join(dir, `${tool.key}.out`);
  const errPath = join(dir, `${tool.key}.err`);
  const proberLog = join(dir, `${tool.key}.prober`);
  rmSync(outPath, { force: true });
  const prober = await startProber(proberLog);
  let child: ChildProcess | undefined;
  try {
    const outFd = openSync(outPath, 'w');
    const errFd = openSync(errPath, 'w');
    const spawnedAt = process.hrtime.bigint();
    child = spawn(tool.command, tool.args, { stdio: ['ignore', outFd, errFd] });
    closeSync(outFd);
    closeSync(errFd);
    const spawnError = new Promise<never>((_, reject) => child!.once('error', reject));
    spawnError.catch(() => {});

    // 1. Wait for the first prober connection in the output.
    const follower = new OutputFollower(outPath);
    let firstRemotePort: number | undefined;
    let firstLineAt = 0n;
    const deadline = Date.now() + 30_000;
    while (firstRemotePort === undefined) {
      if (child.exitCode !== null)
        throw new Error(`${tool.label} exited ${child.exitCode} at start: ${readFileSync(errPath, 'utf8').trim()}`);
      if (Date.now() > deadline) throw new Error(`${tool.label} printed no event within 30 s: ${readFileSync(errPath, 'utf8').trim()}`);
      await Promise.race([sleep(5), spawnError]);
      for (const line of follower.poll()) {
        const ports = tool.ports(line);
        if (ports !== undefined && ports.local === prober.port) {
          firstRemotePort = ports.remote;
          firstLineAt = process.hrtime.bigint();
          break;
        }
      }
    }
    await stopChild(prober.child, 'SIGTERM', 'prober.py');
    const connectedAt = readFileSync(proberLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').map(Number) as [number, number]);
    const first = connectedAt.find(([, port]) => port === firstRemotePort);
    if (first === undefined) throw new Error(`${tool.label} reported prober port ${firstRemotePort}, which the prober never used`);
    const spawnedSeconds = Number(spawnedAt) / 1e9;

    // 2. The tool is attached and idle: what does a cheap syscall cost now?
    const syscall = getppidNs('koffi');
    const foreign = syscallTracepointAttachments()?.filter((a) => a.pid !== child!.pid).length;

    // 3. The storm.
    const pid = child.pid!;
    const programIds = programIdsOfProcess(pid);
    const tracerPid = tool.measuredPid?.(pid) ?? pid;
    const cpuBefore = processCpuSeconds(tracerPid);
    const runBefore = runTotals(programIds);
    const result = await runStorm(storm);
    const runAfter = runTotals(programIds);

    // 4. Wait until it has printed everything (its output stops growing), then collect.
    const printed = await countPrinted(tool, follower, result);
    const cpuAfter = processCpuSeconds(tracerPid);
    const peak = peakRssBytes(tracerPid);
    const anonymous = anonymousRssBytes(tracerPid);

    // 5. The same storm again through the same tracer: its cost once the JIT has compiled the
    // event path (a fresh Node process spends the first few thousand events warming up).
    let warm: { cpuSeconds: number; printed: number } | undefined;
    if (options.warmStorm) {
      const warmBefore = processCpuSeconds(tracerPid);
      const again = await runStorm(storm);
      const warmPrinted = await countPrinted(tool, follower, again);
      warm = { cpuSeconds: processCpuSeconds(tracerPid) - warmBefore, printed: warmPrinted };
    }
    const killed = await stopChild(child, 'SIGINT', tool.label, true);
    return {
      storm: result,
      getppidNs: syscall,
      foreignSyscallTracepoints: foreign,
      tool: {
        firstEventSeconds: first[0] - spawnedSeconds,
        firstLineSeconds: Number(firstLineAt - spawnedAt) / 1e9,
        programIds,
        runTimeNs: runAfter.runTimeNs - runBefore.runTimeNs,
        runCnt: runAfter.runCnt - runBefore.runCnt,
        cpuSeconds: cpuAfter - cpuBefore,
        printed,
        peakRssBytes: peak,
        anonymousRssBytes: anonymous,
        stderr: readFileSync(errPath, 'utf8'),
        killed,
        ...(warm === undefined ? {} : { warm }),
      },
    };
  } finally {
    if (prober.child.exitCode === null) prober.child.kill('SIGKILL');
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(outPath, { force: true });
    rmSync(proberLog, { force: true });
  }
}
