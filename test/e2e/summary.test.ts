// -c and -H against real servers and real clients (issue #17):
// - nginx, 4 workers sharing one listener, then 4 workers on 4 SO_REUSEPORT sockets, loaded by
//   ab: the -c --json rows sum exactly to the connections nginx counted (stub_status "accepts"),
//   every row's PID is one of the workers, and the reuseport run names the group of 4;
// - a Python server that waits 2.5 ms before accepting half of its connections and 50 ms before
//   the other half: -H puts them in those buckets and the buckets add up to the connections made.
import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { bpfRequired, kernelTest } from '../helpers/kernel.ts';
import { LineCollector, sleep, startTracer } from '../helpers/processes.ts';
import { loadedMapIds, loadedProgramIds } from '../../src/syscalls/index.ts';

const schema = JSON.parse(readFileSync(new URL('../../schema/event.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv2020({ strict: true, allErrors: true, validateFormats: false }).compile(schema);

function have(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A free loopback port (bound and released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** GET a loopback URL with a connection of its own (no keep-alive). */
function fetchText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** stub_status's "accepts": connections nginx accepted, this request's own included. */
async function nginxAccepts(port: number): Promise<number> {
  const text = await fetchText(port, '/stub');
  const match = /server accepts handled requests\s+(\d+)/.exec(text);
  if (match === null) throw new Error(`unexpected stub_status:\n${text}`);
  return Number(match[1]);
}

interface Nginx {
  child: ChildProcess;
  stderr: LineCollector;
  workers: number[];
  stop(): Promise<void>;
}

/** nginx as a test-only server: a temp prefix, daemon off, a master and 4 workers on loopback. */
async function startNginx(port: number, reuseport: boolean): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'tcpaccept-nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes 4;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 0;
  server {
    listen 127.0.0.1:${port}${reuseport ? ' reuseport' : ''} backlog=4096;
    location = /stub { stub_status; }
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-e', `${dir}/error.log`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = new LineCollector(child.stderr!);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once the 4 workers run and the port answers.
  let workers: number[] = [];
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    try {
      workers = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      if (workers.length === 4) {
        await fetchText(port, '/');
        return { child, stderr, workers, stop };
      }
    } catch {
      // not yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`nginx did not start: ${stderr.lines.join('\n')}`);
}

/** ab, bounded: `requests` connections, 8 at a time, no keep-alive. */
function ab(port: number, requests: number): void {
  execFileSync('ab', ['-q', '-n', String(requests), '-c', '8', '-s', '10', `http://127.0.0.1:${port}/`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
}

interface JsonCountRow {
  event: string;
  pid: number;
  tid: number;
  comm: string;
  lport: number;
  count: number;
  share: number;
  reuseport_group: number | null;
  reuseport_sockets: number | null;
}

const objects = (lines: readonly string[]) => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

function leakCheck(before: { progs: Set<number>; maps: Set<number> }): { progs: number[]; maps: number[] } {
  return {
    progs: loadedProgramIds().filter((id) => !before.progs.has(id)),
    maps: loadedMapIds().filter((id) => !before.maps.has(id)),
  };
}

// .ci/run installs both; under TS_TCPACCEPT_REQUIRE_BPF=1 a missing one fails instead of skipping.
const nginxSkip =
  !have('nginx') || !have('ab')
    ? (() => {
        if (bpfRequired)
          throw new Error('TS_TCPACCEPT_REQUIRE_BPF=1 but nginx or ab is missing (apt-get install nginx-light apache2-utils)');
        return { skip: 'needs nginx and ab (apt-get install nginx-light apache2-utils)' };
      })()
    : {};

for (const reuseport of [false, true]) {
  t.test(
    `nginx, 4 workers${reuseport ? ', reuseport (4 sockets)' : ', one listener'}: -c rows sum to stub_status accepts`,
    { ...kernelTest(), ...nginxSkip },
    async (t) => {
      const port = await freePort();
      const nginx = await startNginx(port, reuseport);
      t.teardown(() => nginx.stop());
      const before = { progs: new Set(loadedProgramIds()), maps: new Set(loadedMapIds()) };
      // Read before tracing starts: this request is in `first` and must not be traced.
      const first = await nginxAccepts(port);
      const tracer = startTracer(['-c', '--json', '-i', '0.5', '-P', String(port)]);
      t.teardown(() => tracer.stop('SIGKILL'));
      await tracer.ready;
      const REQUESTS = 2000;
      ab(port, REQUESTS);
      // The last stub request is itself an accept, counted by nginx and traced.
      const last = await nginxAccepts(port);
      await sleep(100);
      t.equal(await tracer.stop('SIGINT'), 0, 'exit 0 after SIGINT');
      const rows = objects(tracer.stdout.lines) as unknown as JsonCountRow[];
      for (const row of rows) if (!validate(row)) t.fail(`schema: ${JSON.stringify(row)}`);
      const total = rows.reduce((sum, row) => sum + row.count, 0);
      // ab opens a few more connections than it completes requests (at the end of a concurrent
      // run): nginx's own count is the reference, not ab's -n.
      t.ok(last - first >= REQUESTS + 1, `nginx accepted ${last - first} connections for ${REQUESTS} requests and the stub`);
      t.equal(total, last - first, `-c rows sum to the accepts nginx counted (${total} of ${last - first})`);
      t.same(
        [...new Set(rows.map((r) => r.pid))].filter((pid) => !nginx.workers.includes(pid)),
        [],
        `every row is a worker (${nginx.workers.join(', ')})`,
      );
      t.ok(
        rows.every((r) => r.comm === 'nginx' && r.lport === port),
        'comm nginx, our port',
      );
      const workersSeen = new Set(rows.map((r) => r.pid));
      t.ok(workersSeen.size >= 2, `the load was spread over ${workersSeen.size} workers`);
      if (reuseport) {
        t.ok(
          rows.every((r) => r.reuseport_group !== null && r.reuseport_sockets === 4),
          'every row names a reuseport group of 4 sockets',
        );
        t.equal(new Set(rows.map((r) => r.reuseport_group)).size, 1, 'one group');
      } else {
        t.ok(
          rows.every((r) => r.reuseport_group === null),
          'no reuseport group',
        );
      }
      // Shares: per interval, the rows of one listener (or group) add up to 1.
      const byInterval = new Map<string, number>();
      for (const row of rows as unknown as Array<JsonCountRow & { time: string }>)
        byInterval.set(row.time, (byInterval.get(row.time) ?? 0) + row.share);
      t.ok(
        [...byInterval.values()].every((sum) => Math.abs(sum - 1) < 0.001),
        'shares of each interval add up to 1',
      );
      await sleep(300);
      t.same(leakCheck(before), { progs: [], maps: [] }, 'no BPF object outlives the run');
    },
  );
}

// Accepts one connection at a time: waits until one is queued, sleeps (2.5 ms for even, 50 ms
// for odd connections), accepts and closes it. The client connects only after the previous
// connection was closed, so each wait is the sleep and the scheduler's latency.
const DELAY_SERVER = `
import select, socket, sys, time
n = int(sys.argv[1])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(64)
print('LISTEN', srv.getsockname()[1], flush=True)
for i in range(n):
    select.select([srv], [], [])
    time.sleep(0.0025 if i % 2 == 0 else 0.050)
    conn, _ = srv.accept()
    conn.close()
    print('ACCEPTED', i, flush=True)
`;

t.test('-H: 2.5 ms and 50 ms accept delays land in their log2 buckets', kernelTest(), async (t) => {
  const N = 20;
  const server = spawn('python3', ['-c', DELAY_SERVER, String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  const out = new LineCollector(server.stdout!);
  const port = Number((await out.waitFor((l) => l.startsWith('LISTEN'))).split(' ')[1]);
  const before = { progs: new Set(loadedProgramIds()), maps: new Set(loadedMapIds()) };
  const tracer = startTracer(['-H', '--json', '-P', String(port)]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  for (let i = 0; i < N; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.resume();
    });
    await out.waitFor((l) => l === `ACCEPTED ${i}`);
  }
  t.equal(await tracer.stop('SIGINT'), 0);
  const hists = objects(tracer.stdout.lines) as unknown as Array<{
    lport: number;
    count: number;
    buckets: Array<{ low: number; high: number; count: number }>;
  }>;
  for (const h of hists) t.ok(validate(h), `schema: ${JSON.stringify(h)}`);
  const buckets = new Map<number, number>();
  for (const h of hists) {
    t.equal(h.lport, port);
    t.equal(
      h.count,
      h.buckets.reduce((s, b) => s + b.count, 0),
      'count is the sum of the buckets',
    );
    for (const b of h.buckets) buckets.set(b.low, (buckets.get(b.low) ?? 0) + b.count);
  }
  const total = [...buckets.values()].reduce((a, b) => a + b, 0);
  t.equal(total, N, 'the buckets add up to the connections made');
  const inRange = (from: number, to: number) => [...buckets].filter(([low]) => low >= from && low <= to).reduce((s, [, c]) => s + c, 0);
  t.equal(inRange(0, 2047), 0, 'no wait below the 2.5 ms sleep');
  // 2.5 ms is 2048..4095; a busy scheduler may add a millisecond or two, never 30.
  t.equal(inRange(2048, 8191), N / 2, `half in 2048 -> 8191 us (${JSON.stringify([...buckets])})`);
  t.ok(inRange(2048, 2048) >= N / 2 - 1, 'nearly all of them in 2048 -> 4095');
  t.equal(inRange(32768, 131071), N / 2, 'half in 32768 -> 131071 us');
  t.ok(inRange(32768, 32768) >= N / 2 - 1, 'nearly all of them in 32768 -> 65535');
  await sleep(300);
  t.same(leakCheck(before), { progs: [], maps: [] }, 'no BPF object outlives the run');
});

t.test('-c and -H tables: the layout of a real run', kernelTest(), async (t) => {
  const server = spawn('python3', ['-c', DELAY_SERVER, '4'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  const out = new LineCollector(server.stdout!);
  const port = Number((await out.waitFor((l) => l.startsWith('LISTEN'))).split(' ')[1]);
  const tracer = startTracer(['-c', '-H', '-T', '-P', String(port), '-i', '30']);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  for (let i = 0; i < 4; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.resume();
    });
    await out.waitFor((l) => l === `ACCEPTED ${i}`);
  }
  t.equal(await tracer.stop('SIGINT'), 0);
  const text = tracer.stdout.lines.join('\n');
  t.match(
    text,
    /^\n?\d\d:\d\d:\d\d\nPID {5}TID {5}COMM {12}LADDR {12}LPORT {4}COUNT  SHARE REUSEPORT\n\d+ +\d+ +python3 +127\.0\.0\.1 +\d+ +4 100\.0% -\n/m,
  );
  t.match(
    text,
    new RegExp(`\\nlport = ${port}\\n     usecs               : count     distribution\\n         0 -> 1          : 0        \\|`),
  );
});
