// Child processes for end-to-end tests: the real CLI, a blocking Python server, and clients.
// Each test filters on its own ports, so tests and other traffic cannot disturb each other.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(root, 'dist', 'cli', 'main.js');
/** The bundled command (package.json's bin, scripts/bundle.mjs): what `npx ts-tcpaccept` runs. */
export const binPath = join(root, 'dist', 'bin', 'ts-tcpaccept.cjs');
/**
 * How much longer than on real hardware a step may take: TS_TCPACCEPT_TEST_TIME_SCALE (test/vm
 * sets it in its emulated guests, ~20x slower than native). Speed is no claim the tests make:
 * every wait for a ready signal, and every bound on how long something may take (a line to
 * arrive, a process to exit), is multiplied by it.
 */
export const startTimeScale = Math.max(1, Number(process.env.TS_TCPACCEPT_TEST_TIME_SCALE) || 1);
const serverScript = join(root, 'test', 'helpers', 'tcp_server.py');

/** Lines of a child's stream, awaitable one predicate at a time. */
export class LineCollector {
  readonly lines: string[] = [];
  private waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void; timer: NodeJS.Timeout }> = [];
  private ended = false;
  private endWaiters: Array<() => void> = [];

  constructor(stream: NodeJS.ReadableStream) {
    const rl = createInterface({ input: stream });
    rl.on('line', (line) => {
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    rl.on('close', () => {
      this.ended = true;
      for (const w of this.endWaiters) w();
    });
  }

  /** Resolves with the first line (already seen or future) matching test; rejects on timeout. */
  waitFor(test: (line: string) => boolean, timeoutMs = 10_000, what = 'line'): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got:\n${this.lines.join('\n')}`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        timer,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** Drops every pending waitFor (their promises never settle), so no timer keeps a test alive. */
  cancelWaits(): void {
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
  }

  closed(): Promise<void> {
    return this.ended ? Promise.resolve() : new Promise((resolve) => this.endWaiters.push(resolve));
  }
}

export interface Tracer {
  child: ChildProcess;
  stdout: LineCollector;
  stderr: LineCollector;
  /** Resolves when the header (the ready signal) has been printed. */
  ready: Promise<string>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function startTracer(args: string[], env: NodeJS.ProcessEnv = {}, script = cliPath): Tracer {
  if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build" (npm test does it)`);
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = new LineCollector(child.stdout!);
  const stderr = new LineCollector(child.stderr!);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const ready = Promise.race([
    stdout.waitFor((line) => /PID\s+COMM/.test(line), 20_000 * startTimeScale, 'the header'),
    stderr.waitFor((line) => line.startsWith('Tracing TCP accepts'), 20_000 * startTimeScale, 'the ready line'),
    exited.then((code) => {
      throw new Error(`tracer exited (${code}) before its header; stderr:\n${stderr.lines.join('\n')}`);
    }),
  ]);
  ready.catch(() => {});
  // Only one of the ready signals can win; the losers' timers must not keep the test alive.
  const cancelLosers = () => {
    stdout.cancelWaits();
    stderr.cancelWaits();
  };
  ready.then(cancelLosers, cancelLosers);
  return {
    child,
    stdout,
    stderr,
    ready,
    exited,
    stop(signal: NodeJS.Signals = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI to completion and collects its output. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
  script = cliPath,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | string>((resolve) => child.on('close', (c, s) => resolve(c ?? s ?? 'unknown')));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface ServerOptions {
  family?: 4 | 6;
  host?: string;
  count?: number;
  delayMs?: number;
  waitFile?: string;
  syscall?: 'accept' | 'accept4';
  comm?: string;
}

export interface Server {
  child: ChildProcess;
  pid: number;
  port: number;
  stdout: LineCollector;
  /** Resolves once the server has accepted n connections. */
  accepted(n: number, timeoutMs?: number): Promise<void>;
  exited: Promise<number | string>;
  kill(): void;
}

export async function startServer(options: ServerOptions = {}): Promise<Server> {
  const args = [serverScript, '--family', String(options.family ?? 4), '--count', String(options.count ?? 1)];
  if (options.host) args.push('--host', options.host);
  if (options.delayMs) args.push('--delay-ms', String(options.delayMs));
  if (options.waitFile) args.push('--wait-file', options.waitFile);
  if (options.syscall) args.push('--syscall', options.syscall);
  if (options.comm) args.push('--comm', options.comm);
  const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const stdout = new LineCollector(child.stdout!);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? s ?? 'unknown')));
  const listen = await stdout.waitFor((l) => l.startsWith('LISTEN '), 10_000 * startTimeScale, 'LISTEN from tcp_server.py');
  return {
    child,
    pid: child.pid!,
    port: Number(listen.split(' ')[1]),
    stdout,
    exited,
    async accepted(n: number, timeoutMs = 10_000 * startTimeScale) {
      const deadline = Date.now() + timeoutMs;
      while (stdout.lines.filter((l) => l.startsWith('ACCEPTED')).length < n) {
        if (Date.now() > deadline) throw new Error(`server accepted fewer than ${n} connections`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Connects to host:port and closes; with reset, closes with an RST (SO_LINGER 0). */
export function connectOnce(host: string, port: number, options: { reset?: boolean } = {}): Promise<{ localPort: number }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    socket.on('error', reject);
    socket.on('connect', () => {
      const localPort = socket.localPort!;
      if (options.reset) socket.resetAndDestroy();
      else socket.end();
      socket.on('close', () => resolve({ localPort }));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
