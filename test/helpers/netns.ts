// Network namespaces for end-to-end tests: `ip netns add` names the test makes and deletes,
// with loopback up inside, and processes started in them with nsenter (which enters only the
// network namespace: the mounts, /sys/fs/cgroup and tracefs included, stay the host's).
// Nothing here touches the host's own interfaces or sends traffic outside a namespace.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { LineCollector, startTimeScale } from './processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverScript = join(root, 'test', 'helpers', 'tcp_server.py');

export function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why namespaces cannot be made here, or undefined. */
export function netnsUnavailableReason(): string | undefined {
  for (const tool of ['ip', 'nsenter', 'python3']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

export interface InNamespace {
  child: ChildProcess;
  stdout: LineCollector;
  stderr: LineCollector;
  exited: Promise<number | string>;
}

export interface Netns {
  name: string;
  /** The bind-mounted namespace file (/run/netns/NAME): what --netns PATH takes. */
  path: string;
  /** Starts a process inside; the test's teardown kills it. */
  spawn(command: string, args: string[]): InNamespace;
  /** Runs a command inside to completion. */
  run(command: string, args: string[]): string;
}

/** A new network namespace with loopback up; deleted (with its processes killed) at teardown. */
export function makeNetns(t: Test, name: string): Netns {
  const fullName = `${name}-${process.pid}`;
  const children: ChildProcess[] = [];
  try {
    sh('ip', ['netns', 'del', fullName]);
  } catch {
    /* not left over */
  }
  sh('ip', ['netns', 'add', fullName]);
  t.teardown(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve)),
      ),
    );
    try {
      sh('ip', ['netns', 'del', fullName]);
    } catch {
      /* already gone */
    }
  });
  sh('ip', ['-n', fullName, 'link', 'set', 'lo', 'up']);
  const path = `/run/netns/${fullName}`;
  if (!existsSync(path)) throw new Error(`ip netns add ${fullName} made no ${path}`);
  return {
    name: fullName,
    path,
    spawn(command, args) {
      const child = spawn('nsenter', [`--net=${path}`, '--', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const exited = new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? s ?? 'unknown')));
      return { child, stdout: new LineCollector(child.stdout!), stderr: new LineCollector(child.stderr!), exited };
    },
    run(command, args) {
      return sh('nsenter', [`--net=${path}`, '--', command, ...args]);
    },
  };
}

export interface NetnsServer {
  proc: InNamespace;
  pid: number;
  port: number;
  accepted(n: number, timeoutMs?: number): Promise<void>;
}

/** tcp_server.py inside a namespace: accepts `count` connections, each after `delayMs`. */
export async function serverIn(
  ns: Netns,
  options: { port?: number; count: number; delayMs?: number; comm?: string; host?: string },
): Promise<NetnsServer> {
  const args = [serverScript, '--family', '4', '--count', String(options.count)];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.host !== undefined) args.push('--host', options.host);
  if (options.delayMs) args.push('--delay-ms', String(options.delayMs));
  if (options.comm) args.push('--comm', options.comm);
  const proc = ns.spawn('python3', args);
  const listen = await proc.stdout.waitFor(
    (l) => l.startsWith('LISTEN '),
    10_000 * startTimeScale,
    `LISTEN from tcp_server.py in ${ns.name}`,
  );
  return {
    proc,
    // nsenter execs the command, so the child's pid is the server's.
    pid: proc.child.pid!,
    port: Number(listen.split(' ')[1]),
    async accepted(n, timeoutMs = 15_000 * startTimeScale) {
      await proc.stdout.waitFor(
        () => proc.stdout.lines.filter((l) => l.startsWith('ACCEPTED')).length >= n,
        timeoutMs,
        `${n} accepts in ${ns.name}`,
      );
    },
  };
}

/**
 * `count` connections to 127.0.0.1:port inside a namespace, one after another: each waits
 * until the server has accepted it (and closed it) before the next starts, so that every
 * connection waits in the accept queue for the server's delay and no longer.
 */
export async function connectIn(ns: Netns, port: number, count: number): Promise<void> {
  const script = `import socket
for _ in range(${count}):
    s = socket.create_connection(('127.0.0.1', ${port}))
    while s.recv(1024):
        pass
    s.close()
`;
  const client = ns.spawn('python3', ['-c', script]);
  const code = await client.exited;
  if (code !== 0) throw new Error(`client in ${ns.name} to port ${port} exited ${code}: ${client.stderr.lines.join('\n')}`);
}
