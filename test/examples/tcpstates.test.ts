// examples/tcpstates.ts, run as a user would run it, against real loopback connections made
// by this process. Each tracer filters on this test's own listening port, so other traffic on
// the machine cannot disturb what it checks.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.ts';
import { LineCollector, sleep } from '../helpers/processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = join(root, 'examples', 'tcpstates.ts');

interface Change {
  skaddr: string;
  local: string;
  remote: string;
  oldstate: string;
  newstate: string;
  ms: number;
}

const ROW = /^([0-9a-f]{16}) (\S+)\s+(\S+)\s+(\S+)\s+-> (\S+)\s+(\d+\.\d{3})$/;

function parseChange(line: string): Change | undefined {
  const m = ROW.exec(line.trim());
  if (m === null) return undefined;
  return { skaddr: m[1]!, local: m[2]!, remote: m[3]!, oldstate: m[4]!, newstate: m[5]!, ms: Number(m[6]) };
}

interface Tool {
  child: ChildProcess;
  stdout: LineCollector;
  stderr: LineCollector;
  ready: Promise<string>;
  exited: Promise<number | string>;
  changes(): Change[];
}

function startTool(args: string[]): Tool {
  const child = spawn(process.execPath, ['--import', 'tsx', example, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = new LineCollector(child.stdout!);
  const stderr = new LineCollector(child.stderr!);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const ready = Promise.race([
    stdout.waitFor((line) => line.startsWith('SKADDR'), 30_000, 'the tcpstates header'),
    exited.then((code) => {
      throw new Error(`tcpstates exited (${code}) before its header; stderr:\n${stderr.lines.join('\n')}`);
    }),
  ]);
  ready.catch(() => {});
  return {
    child,
    stdout,
    stderr,
    ready,
    exited,
    changes: () => stdout.lines.map(parseChange).filter((c): c is Change => c !== undefined),
  };
}

/** The transitions of one socket, in the order printed. */
function chainOf(changes: Change[], skaddr: string): string[] {
  return changes.filter((c) => c.skaddr === skaddr).map((c) => `${c.oldstate}->${c.newstate}`);
}

async function waitFor<T>(what: string, probe: () => T | undefined, tools: Tool[], timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const outputs = tools.map((tool) => `${tool.stdout.lines.join('\n')}\n(stderr: ${tool.stderr.lines.join(' ')})`).join('\n---\n');
      throw new Error(`timed out waiting for ${what}; output:\n${outputs}`);
    }
    await sleep(20);
  }
}

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Each accepted socket closes its side once the client has closed its own.
    const server = createServer({ allowHalfOpen: false }, (socket) => {
      socket.resume();
      server.on('close', () => socket.destroy());
    });
    server.once('error', reject);
    server.listen({ host, port: 0, ipv6Only: false }, () => resolve(server));
  });
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => resolve(socket));
  });
}

async function stop(tool: Tool): Promise<number | string> {
  if (tool.child.exitCode === null && tool.child.signalCode === null) tool.child.kill('SIGINT');
  return tool.exited;
}

t.test('usage errors exit 2 without touching the kernel', async (t) => {
  for (const args of [['-4', '-6'], ['-L', '0'], ['-D', 'http'], ['--nope']]) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', example, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    t.equal(run.status, 2, `${args.join(' ')} exits 2`);
    t.match(run.stderr, /^usage: tcpstates/, `${args.join(' ')} prints the usage`);
  }
});

t.test('one loopback connection, both ends, IPv4 and IPv6 filters', kernelTest(), async (t) => {
  // Dual-stack listener: IPv4 clients reach it as IPv4-mapped IPv6 sockets on the server side,
  // while their own client sockets stay AF_INET.
  const server = await listen('::');
  const port = (server.address() as { port: number }).port;
  const serverSide = startTool(['-L', String(port)]);
  const v4Clients = startTool(['-4', '-D', String(port)]);
  const v6Clients = startTool(['-6', '-D', String(port)]);
  const tools = [serverSide, v4Clients, v6Clients];
  const sockets: Socket[] = [];
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(tools.map(stop));
    server.close();
  });
  await Promise.all(tools.map((tool) => tool.ready));

  const v4 = await open('127.0.0.1', port);
  const v6 = await open('::1', port);
  sockets.push(v4, v6);
  const v4Port = v4.localPort!;
  const v6Port = v6.localPort!;
  const v4Local = `127.0.0.1:${v4Port}`;
  const v6Local = `[::1]:${v6Port}`;

  // SKADDR ties one socket's lines together: the first line of a client socket (CLOSE ->
  // SYN_SENT) is written before connect() has picked the local port, so it shows port 0.
  const established = (tool: Tool, local: string) => tool.changes().find((c) => c.local === local && c.newstate === 'ESTABLISHED');
  const v4Client = await waitFor('the IPv4 client ESTABLISHED', () => established(v4Clients, v4Local), tools);
  const v6Client = await waitFor('the IPv6 client ESTABLISHED', () => established(v6Clients, v6Local), tools);
  const v4Server = await waitFor(
    'the server end of the IPv4 client ESTABLISHED',
    () => serverSide.changes().find((c) => c.remote === `[::ffff:127.0.0.1]:${v4Port}` && c.newstate === 'ESTABLISHED'),
    tools,
  );

  await sleep(50); // a visible time in ESTABLISHED
  v4.end();
  v6.end();
  const closed = (tool: Tool, skaddr: string) => tool.changes().some((c) => c.skaddr === skaddr && c.newstate === 'CLOSE') || undefined;
  await waitFor('the IPv4 client CLOSE', () => closed(v4Clients, v4Client.skaddr), tools);
  await waitFor('the IPv6 client CLOSE', () => closed(v6Clients, v6Client.skaddr), tools);
  await waitFor('the server end CLOSE', () => closed(serverSide, v4Server.skaddr), tools);

  const clientChain = chainOf(v4Clients.changes(), v4Client.skaddr);
  t.same(
    clientChain.slice(0, 3),
    ['CLOSE->SYN_SENT', 'SYN_SENT->ESTABLISHED', 'ESTABLISHED->FIN_WAIT1'],
    'client: connect, then the active close',
  );
  t.equal(clientChain.at(-1)?.endsWith('->CLOSE'), true, 'client: ends in CLOSE');
  t.same(chainOf(v6Clients.changes(), v6Client.skaddr), clientChain, 'the IPv6 client goes through the same states');

  const serverChain = chainOf(serverSide.changes(), v4Server.skaddr);
  t.same(
    serverChain,
    ['LISTEN->SYN_RECV', 'SYN_RECV->ESTABLISHED', 'ESTABLISHED->CLOSE_WAIT', 'CLOSE_WAIT->LAST_ACK', 'LAST_ACK->CLOSE'],
    'server: the child socket from handshake to passive close',
  );

  // Each line's state is the next line's old state, and MS is the time in that old state.
  const client = v4Clients.changes().filter((c) => c.skaddr === v4Client.skaddr);
  for (let i = 1; i < client.length; i++) t.equal(client[i]!.oldstate, client[i - 1]!.newstate, `client line ${i + 1} continues line ${i}`);
  t.equal(client[0]!.ms, 0, 'the first change of a new socket has no previous one to time');
  const inEstablished = client.find((c) => c.oldstate === 'ESTABLISHED')!;
  t.ok(inEstablished.ms >= 45 && inEstablished.ms < 5000, `time in ESTABLISHED measured (${inEstablished.ms} ms, slept 50)`);
  t.equal(client[1]!.remote, `127.0.0.1:${port}`, 'client lines show the server as remote');

  const v6ClientLines = v6Clients.changes().filter((c) => c.skaddr === v6Client.skaddr);
  t.ok(
    v6ClientLines.every((c) => c.remote === `[::1]:${port}`),
    'IPv6 addresses print in brackets',
  );
  t.notOk(
    v4Clients.changes().some((c) => c.remote.startsWith('[')),
    '-4 shows no IPv6 socket',
  );
  t.notOk(
    v6Clients.changes().some((c) => c.local === v4Local || c.skaddr === v4Client.skaddr),
    '-6 shows no IPv4 socket',
  );
  t.ok(
    serverSide.changes().every((c) => c.local.endsWith(`:${port}`)),
    '-L shows only the listening port',
  );
  t.ok(
    v4Clients.changes().every((c) => c.remote.endsWith(`:${port}`)),
    '-D shows only the remote port',
  );

  const codes = await Promise.all(tools.map(stop));
  t.same(codes, [0, 0, 0], 'SIGINT ends every tracer with status 0');
  t.same(
    tools.map((tool) => tool.stderr.lines),
    [[], [], []],
    'nothing on stderr',
  );
});

t.test('--ebpf prints a listing that assembles back to the same bytes', kernelTest(), async (t) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', example, '--ebpf', '-6', '-L', '80', '-D', '443'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.equal(run.status, 0, `--ebpf exits 0 ${run.stderr}`);
  t.match(
    run.stdout,
    /attached to: tracepoint:sock:inet_sock_set_state; maps: sports, dports, timestamps, events/,
    'attach point and maps',
  );
  const { parse } = await import('../../src/internal.ts');
  const program = parse(run.stdout);
  const fds = { sports: 1, dports: 2, timestamps: 3, events: 4 };
  t.same(parse(program.disassemble()).bytecode(fds), program.bytecode(fds), 'the listing assembles back to the same bytes');
  t.match(run.stdout, /if r7 != 10 goto out\s+\/\/ -6/, 'the family filter is compiled in');
});
