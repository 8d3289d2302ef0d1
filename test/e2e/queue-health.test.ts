// Accept-queue health on the real kernel, in a network namespace of the test's own: an
// ACK-stage listen overflow reproduced (issue #13), its drop events checked client by client
// against the kernel's ListenOverflows counter, and the listener snapshots against `ss -tlnm`.
//
// The overflow: a listener with backlog 8 that never accepts. Six clients bound to ports
// 40001-40006 connect while an nftables rule throws away their handshake-completing ACK (so
// they believe they are connected and the server keeps them in SYN_RECV); nine more fill the
// accept queue (full at 8 + 1). The rule goes, the server retransmits its SYN-ACKs, the six
// clients answer, and tcp_check_req drops each ACK: TCP_LISTEN_OVERFLOW (Linux 6.15+).
import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bpfRequired, kernelTest } from '../helpers/kernel.ts';
import { LineCollector, cliPath, sleep } from '../helpers/processes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const serverScript = join(here, 'fixtures', 'backlog_server.py');
const clientsScript = join(here, 'fixtures', 'hold_clients.py');
const PORT = 7000;
const BACKLOG = 8;
const HELD = { first: 40001, count: 6 };
const FILLERS = 9;

/** Whether this kernel reports listen overflows as drop events (as the tool decides it). */
function kernelHasDropEvents(): boolean {
  const format = '/sys/kernel/tracing/events/skb/kfree_skb/format';
  return existsSync(format) && /\brx_sk\b/.test(readFileSync(format, 'utf8')) && /TCP_LISTEN_OVERFLOW/.test(readFileSync(format, 'utf8'));
}

function sh(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** TcpExt counters of the namespace, from its /proc/net/netstat. */
function tcpExt(ns: string): Record<string, number> {
  const lines = sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/netstat'])
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((name, i) => [name, values[i]!]));
}

/** Recv-Q, Send-Q and skmem's d of the listener on `port`, as ss prints them. */
function ssListener(ns: string, port: number): { queue: number; queueMax: number; drops: number } {
  const text = sh('ip', ['netns', 'exec', ns, 'ss', '-tlnmH', 'sport', '=', `:${port}`]);
  const row = /LISTEN\s+(\d+)\s+(\d+)/.exec(text);
  const drops = /skmem:\([^)]*\bd(\d+)\)/.exec(text);
  if (row === null || drops === null) throw new Error(`unexpected ss output:\n${text}`);
  return { queue: Number(row[1]), queueMax: Number(row[2]), drops: Number(drops[1]) };
}

function inNamespace(ns: string, command: string, args: string[]): { child: ChildProcess; stdout: LineCollector; stderr: LineCollector } {
  const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, stdout: new LineCollector(child.stdout!), stderr: new LineCollector(child.stderr!) };
}

function holdRule(family: 4 | 6, what: 'ack' | 'all'): string {
  const flags = what === 'ack' ? ' tcp flags & (syn | ack) == ack' : '';
  return `table inet tsta_hold {
  chain out {
    type filter hook output priority 0;
    meta nfproto ${family === 4 ? 'ipv4' : 'ipv6'} tcp dport ${PORT} tcp sport ${HELD.first}-${HELD.first + HELD.count - 1}${flags} drop
  }
}
`;
}

interface JsonObject {
  event: string;
  [key: string]: unknown;
}

const skipReason = (() => {
  const base = kernelTest();
  if (base.skip !== undefined) return base;
  if (!kernelHasDropEvents()) return { skip: 'this kernel has no skb:kfree_skb rx_sk or no TCP_LISTEN_OVERFLOW reason (Linux 6.15+)' };
  for (const tool of ['nft', 'ss', 'python3']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      if (bpfRequired)
        throw new Error(`TS_TCPACCEPT_REQUIRE_BPF=1 but ${tool} is not installed (.ci/run installs nftables, iproute2 and python3)`);
      return { skip: `${tool} is not installed (.ci/run installs nftables, iproute2 and python3)` };
    }
  }
  return {};
})();

for (const family of [4, 6] as const) {
  t.test(`IPv${family}: an ACK-stage listen overflow, client by client, and the listener's queue as ss sees it`, skipReason, async (t) => {
    const ns = `tsta-qh${family}-${process.pid}`;
    const host = family === 4 ? '127.0.0.1' : '::1';
    const dir = mkdtempSync(join(tmpdir(), 'queue-health-'));
    const children: ChildProcess[] = [];
    t.teardown(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true });
    });
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);

    // The tracer under test, and one whose family filter must hide everything here.
    const tracer = inNamespace(ns, process.execPath, [cliPath, '--json', '--drops', '--listeners', '-i', '0.5', '-P', String(PORT)]);
    const filtered = inNamespace(ns, process.execPath, [
      cliPath,
      '--json',
      '--drops',
      '--listeners',
      '-i',
      '0.5',
      family === 4 ? '-6' : '-4',
    ]);
    children.push(tracer.child, filtered.child);
    for (const run of [tracer, filtered]) await run.stderr.waitFor((l) => l.startsWith('Tracing TCP accepts'), 20_000, 'the ready line');

    const server = inNamespace(ns, 'python3', [serverScript, host, String(PORT), String(BACKLOG)]);
    children.push(server.child);
    await server.stdout.waitFor((l) => l.startsWith('LISTEN '), 10_000, 'the server');
    const before = tcpExt(ns);

    const rules = join(dir, 'hold.nft');
    writeFileSync(rules, holdRule(family, 'ack'));
    sh('ip', ['netns', 'exec', ns, 'nft', '-f', rules]);
    const held = inNamespace(ns, 'python3', [clientsScript, host, String(PORT), String(HELD.count), String(HELD.first)]);
    children.push(held.child);
    await held.stdout.waitFor((l) => l.startsWith('CONNECTED'), 15_000, 'the held clients');
    const fillers = inNamespace(ns, 'python3', [clientsScript, host, String(PORT), String(FILLERS)]);
    children.push(fillers.child);
    await fillers.stdout.waitFor((l) => l.startsWith('CONNECTED'), 15_000, 'the clients that fill the queue');

    // Let the ACKs through: SYN-ACK retransmits at ~1 s and ~3 s bring two drops per client.
    sh('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', 'tsta_hold']);
    await sleep(4500);
    // Stop the drops (the held clients' ACKs no longer reach the listener), then compare.
    writeFileSync(rules, holdRule(family, 'all'));
    sh('ip', ['netns', 'exec', ns, 'nft', '-f', rules]);
    await sleep(1200);
    const after = tcpExt(ns);
    const ss = ssListener(ns, PORT);
    await sleep(1200); // one more snapshot, and the flush of the last drop events
    for (const run of [tracer, filtered]) {
      run.child.kill('SIGINT');
      await new Promise((resolve) => run.child.once('exit', resolve));
    }

    const objects = tracer.stdout.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonObject);
    const drops = objects.filter((o) => o.event === 'drop');
    const overflows = after.ListenOverflows! - before.ListenOverflows!;
    t.ok(overflows > 0, `the kernel counted ${overflows} listen overflows`);
    t.equal(drops.length, overflows, 'one drop event per ListenOverflows increment');
    const heldPorts = Array.from({ length: HELD.count }, (_, i) => HELD.first + i);
    t.same([...new Set(drops.map((d) => d.rport as number))].sort(), heldPorts, 'every held client, and no other, was dropped');
    for (const drop of drops) {
      if (
        drop.lport !== PORT ||
        drop.raddr !== host ||
        drop.laddr !== host ||
        drop.reason !== 'TCP_LISTEN_OVERFLOW' ||
        drop.ip !== family ||
        drop.pid !== server.child.pid ||
        drop.comm !== 'python3'
      ) {
        t.fail(`unexpected drop event ${JSON.stringify(drop)}`);
      }
    }
    t.same(
      objects.filter((o) => o.event === 'accept'),
      [],
      'nothing was accepted',
    );

    const snapshots = objects.filter((o) => o.event === 'listener' && o.lport === PORT);
    t.ok(snapshots.length >= 4, `${snapshots.length} snapshots of the listener`);
    const last = snapshots.at(-1)!;
    t.same(
      { queue: last.queue, queueMax: last.queue_max, drops: last.drops },
      ss,
      `the last snapshot agrees with ss -tlnm (${JSON.stringify(ss)})`,
    );
    t.equal(last.queue_max, BACKLOG, 'queue_max is the backlog');
    t.equal(last.queue, BACKLOG + 1, 'queue is backlog + 1 when full');
    t.same(
      { pid: last.pid, comm: last.comm, laddr: last.laddr, ip: last.ip },
      { pid: server.child.pid, comm: 'python3', laddr: host, ip: family },
      'the owner and address',
    );
    const sumOfDeltas = snapshots.reduce((sum, s) => sum + (s.drops_delta as number), 0);
    t.equal(sumOfDeltas, (last.drops as number) - (snapshots[0]!.drops as number), "drops_delta adds up to the counter's growth");

    const hidden = filtered.stdout.lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as JsonObject)
      .filter((o) => o.lport === PORT);
    t.same(hidden, [], `${family === 4 ? '-6' : '-4'} hides the drops and the listener`);
    t.same(
      tracer.stderr.lines.filter((l) => !l.startsWith('Tracing TCP accepts')),
      [],
      'nothing else on stderr',
    );
  });
}
