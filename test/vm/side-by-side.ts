// Side by side, inside a guest (npm run test:kernels -- --kernel 6.1 --side-by-side): the same
// loopback workload traced at once by ts-tcpaccept (tracepoints), bpftrace's tcpaccept.bt
// (kretprobe:inet_csk_accept) and BCC's tcpaccept-bpfcc (kretprobe, compiled against the
// kernel headers at run time). Each tool's rows are matched to the connections made, by
// local and remote port, and compared field by field: same connections, same PIDs, same COMMs.
// Prints a report and the tools' start-up times; exits 0 only when every tool was exact.
//
// Needs root, bpftrace, bpfcc-tools and python3 on the shared root, and for BCC the kernel's
// headers: --headers DIR is a `dpkg -x` tree of linux-headers-<release> and its -common and
// linux-kbuild packages, linked here as /lib/modules/<release>/build.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { cliPath, connectOnce, LineCollector, startServer, sleep, type Server } from '../helpers/processes.ts';
import { compareRows, describeComparison, parseBcc, parseBpftrace, parseTsJson, type Expected } from './peers.ts';

interface Tool {
  name: string;
  child: ChildProcess;
  stdout: LineCollector;
  stderr: LineCollector;
  /** Milliseconds from spawn to the ready line. */
  readyMs?: number;
  /** Whether SIGINT goes to the whole process group (BCC ignores it otherwise, see below). */
  group: boolean;
}

/** Starts a tracer and waits for its ready line on stdout or stderr. */
async function startTool(
  name: string,
  command: string,
  args: string[],
  ready: RegExp,
  options: { group?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Tool> {
  const started = Date.now();
  // BCC's python ignores SIGINT when started as a background job of a non-interactive shell
  // (SIG_IGN is inherited): start it in its own process group and signal the group.
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group ?? false,
    env: { ...process.env, ...options.env },
  });
  const tool: Tool = {
    name,
    child,
    stdout: new LineCollector(child.stdout!),
    stderr: new LineCollector(child.stderr!),
    group: options.group ?? false,
  };
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code, signal) =>
      reject(
        new Error(
          `${name} exited (${code ?? signal}) before it was ready:\n${[...tool.stdout.lines, ...tool.stderr.lines].slice(-15).join('\n')}`,
        ),
      ),
    ),
  );
  exited.catch(() => {});
  const timeout = 600_000; // BCC compiles its C program with clang at start: minutes under TCG
  await Promise.race([
    tool.stdout.waitFor((l) => ready.test(l), timeout, `${name}'s ready line`),
    tool.stderr.waitFor((l) => ready.test(l), timeout, `${name}'s ready line`),
    exited,
  ]);
  tool.stdout.cancelWaits();
  tool.stderr.cancelWaits();
  tool.readyMs = Date.now() - started;
  say(`${name}: ready after ${(tool.readyMs / 1000).toFixed(1)} s`);
  return tool;
}

/** SIGINT (to the group when it has one), then SIGKILL if it lingers; resolves on exit. */
async function stopTool(tool: Tool): Promise<void> {
  if (tool.child.exitCode !== null || tool.child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => tool.child.on('exit', () => resolve()));
  const signal = (s: NodeJS.Signals) => (tool.group ? process.kill(-tool.child.pid!, s) : tool.child.kill(s));
  signal('SIGINT');
  const timer = setTimeout(() => signal('SIGKILL'), 30_000);
  await done;
  clearTimeout(timer);
  await Promise.all([tool.stdout.closed(), tool.stderr.closed()]);
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Links the unpacked headers as /lib/modules/<release>/build, where BCC looks for them. */
function linkHeaders(headersRoot: string): void {
  const kernel = release();
  const source = join(headersRoot, 'usr', 'src', `linux-headers-${kernel}`);
  if (!existsSync(source)) throw new Error(`no ${source}: --headers must be a dpkg -x tree of linux-headers-${kernel}`);
  const dir = join('/lib/modules', kernel);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'build'))) symlinkSync(source, join(dir, 'build'));
  // Debian splits the headers: the flavour's tree (build) includes the -common one, which BCC
  // finds as the kernel source directory.
  const common = readdirSync(join(headersRoot, 'usr', 'src')).find((name) => /^linux-headers-.*-common$/.test(name));
  if (common && !existsSync(join(dir, 'source'))) symlinkSync(join(headersRoot, 'usr', 'src', common), join(dir, 'source'));
}

async function main(): Promise<number> {
  const headersAt = process.argv.indexOf('--headers');
  if (headersAt > 0) linkHeaders(process.argv[headersAt + 1]!);
  say(`# side by side on ${release()}`);

  const tools: Tool[] = [];
  const failures: string[] = [];
  const tryStart = async (...args: Parameters<typeof startTool>) => {
    try {
      tools.push(await startTool(...args));
    } catch (error) {
      failures.push(`${args[0]} did not start: ${(error as Error).message}`);
      say(failures.at(-1)!);
    }
  };
  // One after the other, so each start-up time is its own.
  await tryStart('ts-tcpaccept', process.execPath, [cliPath, '--json'], /^Tracing TCP accepts/);
  await tryStart('bpftrace tcpaccept.bt', 'bpftrace', ['-B', 'line', '/usr/sbin/tcpaccept.bt'], /^TIME\s+PID\s+COMM/);
  await tryStart('BCC tcpaccept-bpfcc', 'tcpaccept-bpfcc', [], /^PID\s+COMM\s+IP/, { group: true, env: { PYTHONUNBUFFERED: '1' } });

  // The workload: accept4() over IPv4 and IPv6, the old accept(), and an IPv4 client of a
  // dual-stack IPv6 listener (an IPv4-mapped peer), each server with a comm of its own.
  const plans: Array<{ comm: string; family: 4 | 6; host?: string; syscall?: 'accept'; connectTo: string; n: number; expectAddr: string }> =
    [
      { comm: 'sbs-v4', family: 4, connectTo: '127.0.0.1', n: 4, expectAddr: '127.0.0.1' },
      { comm: 'sbs-v6', family: 6, connectTo: '::1', n: 3, expectAddr: '::1' },
      { comm: 'sbs-accept', family: 4, syscall: 'accept', connectTo: '127.0.0.1', n: 2, expectAddr: '127.0.0.1' },
      { comm: 'sbs-mapped', family: 6, host: '::', connectTo: '127.0.0.1', n: 2, expectAddr: '127.0.0.1' },
    ];
  const expected: Expected[] = [];
  const servers: Server[] = [];
  try {
    for (const plan of plans) {
      const server = await startServer({
        family: plan.family,
        count: plan.n,
        comm: plan.comm,
        ...(plan.host ? { host: plan.host } : {}),
        ...(plan.syscall ? { syscall: plan.syscall } : {}),
      });
      servers.push(server);
      for (let i = 0; i < plan.n; i++) {
        const { localPort } = await connectOnce(plan.connectTo, server.port);
        expected.push({
          pid: server.pid,
          comm: plan.comm,
          raddr: plan.expectAddr,
          rport: localPort,
          laddr: plan.expectAddr,
          lport: server.port,
        });
      }
      await server.accepted(plan.n, 60_000);
    }
    await sleep(3000); // every tool's ring or perf buffer has been read by now
  } finally {
    for (const server of servers) server.kill();
    for (const tool of tools) await stopTool(tool);
  }

  say(`workload: ${expected.length} connections to ${servers.length} servers (${plans.map((p) => `${p.comm} x${p.n}`).join(', ')})`);
  const parsers: Record<string, (text: string) => ReturnType<typeof parseBcc>> = {
    'ts-tcpaccept': parseTsJson,
    'bpftrace tcpaccept.bt': parseBpftrace,
    'BCC tcpaccept-bpfcc': parseBcc,
  };
  for (const tool of tools) {
    const comparison = compareRows(tool.name, expected, parsers[tool.name]!(tool.stdout.lines.join('\n')));
    say(describeComparison(comparison, expected.length));
    if (comparison.exact !== expected.length || comparison.extra.length > 0) {
      failures.push(describeComparison(comparison, expected.length));
      say(
        `  ${tool.name} stdout:\n${tool.stdout.lines.map((l) => `    ${l}`).join('\n')}\n  stderr:\n${tool.stderr.lines
          .slice(-10)
          .map((l) => `    ${l}`)
          .join('\n')}`,
      );
    }
  }
  const base = tools.find((t) => t.name === 'ts-tcpaccept')?.readyMs;
  say(
    `start-up (ready line): ${tools.map((t) => `${t.name} ${((t.readyMs ?? 0) / 1000).toFixed(1)} s${base ? ` (x${((t.readyMs ?? 0) / base).toFixed(1)})` : ''}`).join(', ')}`,
  );
  say(failures.length === 0 ? 'side by side: all tools agree on every connection' : `side by side: ${failures.length} problem(s)`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`side-by-side: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
