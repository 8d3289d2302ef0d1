// Every way out while events are flowing (about 1 000 accepts/s on the traced port): SIGINT,
// SIGTERM, SIGHUP, --duration, SIGPIPE, a write error on stdout (EFBIG from RLIMIT_FSIZE, the
// closest thing to an exception in the output path that can be injected from outside), a full
// disk, SIGKILL and a double SIGINT. Each must end with the exit code `--help` documents, one
// line of explanation at most, no stack trace, and no tcpaccept_* program or map left loaded.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelTest } from '../helpers/kernel.ts';
import { cliPath, sleep, startTimeScale, startTracer, type Tracer } from '../helpers/processes.ts';
import { LoadServer, runLoad } from '../soak/load.ts';
import { leftovers, snapshot, type KernelSnapshot } from './helpers.ts';

interface Flow {
  server: LoadServer;
  before: KernelSnapshot;
  stopLoad(): Promise<void>;
}

/** A server with ~1 000 connections/s flowing into it until stopLoad(). */
async function flowingLoad(t: Test): Promise<Flow> {
  const server = await LoadServer.listen();
  const before = snapshot();
  const abort = new AbortController();
  const load = runLoad(server, { rate: 1000, seconds: 60, signal: abort.signal });
  const stopLoad = async () => {
    abort.abort();
    await load;
  };
  t.teardown(async () => {
    await stopLoad();
    await server.close();
  });
  return { server, before, stopLoad };
}

const rowsFor = (tracer: Tracer, port: number) => tracer.stdout.lines.filter((l) => Number(l.trim().split(/\s+/)[6]) === port).length;

async function waitForRows(tracer: Tracer, port: number, n: number): Promise<void> {
  const deadline = Date.now() + 10_000 * startTimeScale;
  while (rowsFor(tracer, port) < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} rows; stderr: ${tracer.stderr.lines.join('\n')}`);
    await sleep(20);
  }
}

function noStackTrace(t: Test, stderr: string): void {
  t.notMatch(stderr, /^\s+at /m, 'no stack trace');
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  t.test(`${signal} while events flow: exit 0, everything released`, kernelTest(), async (t) => {
    const flow = await flowingLoad(t);
    const tracer = startTracer(['-q', '-P', String(flow.server.port)]);
    t.teardown(() => tracer.stop('SIGKILL'));
    await tracer.ready;
    await waitForRows(tracer, flow.server.port, 50);
    // The leak check sees a running tracer's objects; otherwise its empty answers would prove nothing.
    const live = await leftovers(flow.before, 0);
    t.ok(live.progs.length > 0 && live.maps.length > 0, `while running: programs ${live.progs.join(',')}, maps ${live.maps.join(',')}`);
    const sentAt = Date.now();
    t.equal(await tracer.stop(signal), 0, `exit code after ${signal}`);
    t.ok(Date.now() - sentAt < 3000 * startTimeScale, `exited ${Date.now() - sentAt} ms after the signal`);
    noStackTrace(t, tracer.stderr.lines.join('\n'));
    t.same(await leftovers(flow.before), { progs: [], maps: [] }, 'no program or map left loaded');
  });
}

t.test('--duration while events flow: exit 0 on time, everything released', kernelTest(), async (t) => {
  const flow = await flowingLoad(t);
  const tracer = startTracer(['--json', '--duration', '1.5', '-P', String(flow.server.port)]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  const readyAt = Date.now();
  t.equal(await tracer.exited, 0);
  const ran = Date.now() - readyAt;
  t.ok(ran >= 1000 && ran < 4000, `ran ${ran} ms after its ready line`);
  t.ok(tracer.stdout.lines.filter((l) => l.startsWith('{')).length > 100, 'events were flowing');
  t.same(await leftovers(flow.before), { progs: [], maps: [] }, 'no program or map left loaded');
});

t.test('SIGPIPE while events flow (| head -20): exit 0, everything released', kernelTest(), async (t) => {
  const flow = await flowingLoad(t);
  const dir = mkdtempSync(join(tmpdir(), 'tcpaccept-exit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'pipe.sh');
  writeFileSync(
    script,
    `unset NODE_OPTIONS\n"${process.execPath}" "${cliPath}" -P ${flow.server.port} 2>"${dir}/err" | head -20 >"${dir}/out"\necho "status=\${PIPESTATUS[0]}"\n`,
  );
  const result = await new Promise<string>((resolve) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  t.match(result, /status=0/, 'the tracer exits 0 when its reader goes away');
  t.equal(readFileSync(join(dir, 'out'), 'utf8').trim().split('\n').length, 20, 'head got its 20 lines');
  t.equal(readFileSync(join(dir, 'err'), 'utf8'), '', 'nothing on stderr');
  t.same(await leftovers(flow.before), { progs: [], maps: [] }, 'no program or map left loaded');
});

/** Runs the CLI through bash (for ulimit/trap/redirections), without tap's hook (see withoutTapHook). */
async function runThroughBash(t: Test, shell: string, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `unset NODE_OPTIONS; ${shell}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      t.fail('did not exit in time');
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

t.test(
  'a write error while events flow (EFBIG: stdout file over RLIMIT_FSIZE): exit 1, one line, everything released',
  kernelTest(),
  async (t) => {
    const flow = await flowingLoad(t);
    const dir = mkdtempSync(join(tmpdir(), 'tcpaccept-efbig-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'out');
    // SIGXFSZ ignored, so the write fails with EFBIG instead of killing the process; 4 KiB lets
    // the header and ~50 rows through first.
    const { code, stderr } = await runThroughBash(
      t,
      `trap '' XFSZ; ulimit -f 4; exec "${process.execPath}" "${cliPath}" -P ${flow.server.port} >"${out}"`,
    );
    t.equal(code, 1, 'exit 1: a runtime error');
    t.match(stderr, /^ts-tcpaccept: writing output failed: EFBIG[^\n]*\n$/, 'one line naming the error');
    t.ok(readFileSync(out, 'utf8').split('\n').length > 10, 'events were written before the error');
    t.same(await leftovers(flow.before), { progs: [], maps: [] }, 'no program or map left loaded');
  },
);

t.test('stdout on a full device: exit 1, one line, nothing left loaded', kernelTest(), async (t) => {
  const before = snapshot();
  const { code, stderr } = await runThroughBash(t, `exec "${process.execPath}" "${cliPath}" -P 1 >/dev/full`);
  t.equal(code, 1);
  t.match(stderr, /^ts-tcpaccept: writing output failed: ENOSPC[^\n]*\n$/);
  t.same(await leftovers(before), { progs: [], maps: [] }, 'no program or map left loaded');
});

t.test('SIGKILL while events flow: the kernel releases everything with the process', kernelTest(), async (t) => {
  const flow = await flowingLoad(t);
  const tracer = startTracer(['-q', '-P', String(flow.server.port)]);
  await tracer.ready;
  await waitForRows(tracer, flow.server.port, 50);
  t.equal(await tracer.stop('SIGKILL'), 'SIGKILL');
  // Nothing is pinned in bpffs and no link outlives its fd, so the kernel's own cleanup is complete.
  t.same(await leftovers(flow.before), { progs: [], maps: [] }, 'no program or map left loaded');
});

t.test('a second SIGINT during shutdown ends the process at once', kernelTest(), async (t) => {
  const flow = await flowingLoad(t);
  const tracer = startTracer(['--json', '-P', String(flow.server.port)]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  await tracer.stdout.waitFor((l) => l.startsWith('{'), 10_000, 'an event');
  const sentAt = Date.now();
  tracer.child.kill('SIGINT');
  tracer.child.kill('SIGINT');
  const code = await tracer.exited;
  // Shutdown is synchronous, so the second signal usually finds the process gone (0); if it
  // lands during close() the process exits at once with 130 (128 + SIGINT).
  t.ok(code === 0 || code === 130, `exit code ${String(code)}`);
  t.ok(Date.now() - sentAt < 3000 * startTimeScale, `gone ${Date.now() - sentAt} ms after the signals`);
  noStackTrace(t, tracer.stderr.lines.join('\n'));
  t.same(await leftovers(flow.before), { progs: [], maps: [] }, 'no program or map left loaded');
});
