// Two ts-tcpaccept processes at once, each with its own -P filter, each with its own programs,
// maps and rings: both must see exactly their own port's accepts, all of them, and stopping
// one must not disturb the other.
import t from 'tap';
import { kernelTest } from '../helpers/kernel.ts';
import { sleep, startTracer, type Tracer } from '../helpers/processes.ts';
import { LoadServer, runLoad } from '../soak/load.ts';
import { leftovers, snapshot } from './helpers.ts';

const lportOf = (line: string): number => Number(line.trim().split(/\s+/)[6]);
const rows = (tracer: Tracer) => tracer.stdout.lines.filter((l) => !/PID\s+COMM/.test(l));

async function settle(server: LoadServer): Promise<void> {
  for (let last = -1; last !== server.accepted;) {
    last = server.accepted;
    await sleep(300);
  }
}

async function waitRows(tracer: Tracer, n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (rows(tracer).length < n && Date.now() < deadline) await sleep(50);
}

t.test('two tracers with their own -P filters: each complete and exact', kernelTest(), async (t) => {
  const a = await LoadServer.listen();
  const b = await LoadServer.listen();
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const before = snapshot();
  const tracerA = startTracer(['-P', String(a.port)]);
  const tracerB = startTracer(['-q', '-P', String(b.port)]);
  t.teardown(() => {
    void tracerA.stop('SIGKILL');
    void tracerB.stop('SIGKILL');
  });
  await Promise.all([tracerA.ready, tracerB.ready]);

  // Both ports loaded at once, 1 500 connections/s each for 2 s.
  await Promise.all([runLoad(a, { rate: 1500, seconds: 2 }), runLoad(b, { rate: 1500, seconds: 2 })]);
  await Promise.all([settle(a), settle(b)]);
  await Promise.all([waitRows(tracerA, a.accepted), waitRows(tracerB, b.accepted)]);
  t.ok(a.accepted > 2000 && b.accepted > 2000, `accepted ${a.accepted} on A, ${b.accepted} on B`);
  t.equal(rows(tracerA).length, a.accepted, 'A printed one row per accept on its port');
  t.equal(rows(tracerB).length, b.accepted, 'B printed one row per accept on its port');
  t.ok(
    rows(tracerA).every((l) => lportOf(l) === a.port),
    "A printed nothing of B's port",
  );
  t.ok(
    rows(tracerB).every((l) => lportOf(l) === b.port),
    "B printed nothing of A's port",
  );
  t.same([...tracerA.stderr.lines, ...tracerB.stderr.lines], [], 'no loss, no errors');

  // Stopping A leaves B working.
  t.equal(await tracerA.stop(), 0);
  const bBefore = rows(tracerB).length;
  const acceptedBefore = b.accepted;
  await runLoad(b, { total: 300, concurrency: 16 });
  await settle(b);
  await waitRows(tracerB, bBefore + (b.accepted - acceptedBefore));
  t.equal(rows(tracerB).length - bBefore, b.accepted - acceptedBefore, 'B still gets every accept after A exited');
  t.equal(await tracerB.stop(), 0);
  t.same(await leftovers(before), { progs: [], maps: [] }, 'neither left anything loaded');
});
