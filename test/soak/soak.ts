// Soak and overload runs of the real command (dist/bin/ts-tcpaccept.cjs, the bundled bin: run `npm run build` first).
//
//   steady: node --import tsx test/soak/soak.ts --seconds 600 --rate 5000
//     N seconds of R accepts/s: every accept printed (no loss), RSS and open fds flat.
//   storm:  node --import tsx test/soak/soak.ts --storm 1000000 --ring-pages 1
//   --node-options '--max-old-space-size=32' runs the tracer with a small heap: a leak then
//   crashes it, while lazy garbage collection (RSS creeping towards V8's own limit) does not.
//     N connections as fast as loopback allows into 1-page rings: the kernel drops samples, the
//     tracer reports them ("Possibly lost"), rows + lost = accepts, RSS and fds flat.
//     A fast machine drains even a 1-page ring as quickly as loopback fills it (CI once lost
//     nothing at 13 000 connects/s), so with --ring-pages the tracer is stopped (SIGSTOP) until
//     the first --stall-accepts connections (default 2000) are accepted: the ring must overflow,
//     and the check that losses are reported always has losses to find. --stall-accepts 0 turns
//     this off.
//
// Both end with SIGINT and check the exit code (0) and that no tcpaccept_* program or map
// stays loaded. Prints a sample line every --every seconds and a JSON summary last; exits 0
// when every check passed, 1 otherwise.
import { parseArgs } from 'node:util';
import { binPath, sleep, startTracer } from '../helpers/processes.ts';
import { RowCounter, leftovers, openFds, rssGrowthKb, snapshot, statusKb } from '../hardening/helpers.ts';
import { LoadServer, runLoad } from './load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rate: { type: 'string' },
    storm: { type: 'string' },
    'ring-pages': { type: 'string' },
    every: { type: 'string', default: '10' },
    'max-rss-growth-mb': { type: 'string', default: '5' },
    concurrency: { type: 'string' },
    'node-options': { type: 'string' },
    'warm-up': { type: 'string' },
    'stall-accepts': { type: 'string' },
  },
  strict: true,
});

const storm = values.storm === undefined ? undefined : Number(values.storm);
const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
const rate = values.rate === undefined ? undefined : Number(values.rate);
if ((storm === undefined) === (seconds === undefined) || (seconds !== undefined && rate === undefined)) {
  process.stderr.write('usage: soak.ts --seconds N --rate R [--ring-pages P] | --storm N [--ring-pages P]\n');
  process.exit(2);
}
const everyMs = Number(values.every) * 1000;
// Accepts made while the tracer is stopped: only a storm into rings sized to overflow.
const stallAccepts = storm !== undefined && values['ring-pages'] !== undefined ? Number(values['stall-accepts'] ?? 2000) : 0;
if (!Number.isInteger(stallAccepts) || stallAccepts < 0 || (storm !== undefined && stallAccepts > storm)) {
  process.stderr.write('soak.ts: --stall-accepts must be an integer from 0 to the storm size\n');
  process.exit(2);
}
const maxGrowthKb = Number(values['max-rss-growth-mb']) * 1024;
/** Fewer samples than this after the warm-up judge nothing: the run was too short for its warm-up. */
const MIN_JUDGED_SAMPLES = 10;

interface Sample {
  t: number;
  accepted: number;
  rows: number;
  lost: number;
  rssKb: number;
  fds: number;
}

async function main(): Promise<boolean> {
  const server = await LoadServer.listen();
  const before = snapshot();
  const args = ['-P', String(server.port)];
  if (values['ring-pages'] !== undefined) args.push('--ring-pages', values['ring-pages']);
  // e.g. --node-options=--max-old-space-size=32: a leak then ends in an out-of-memory crash,
  // while lazy garbage collection stays under the cap.
  const tracer = startTracer(args, values['node-options'] === undefined ? {} : { NODE_OPTIONS: values['node-options'] }, binPath);
  await tracer.ready;
  const pid = tracer.child.pid!;
  const counter = new RowCounter(server.port);
  // Count rows as they stream by; a million lines are not kept.
  tracer.child.stdout!.removeAllListeners('data');
  let partial = '';
  tracer.child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) counter.stdoutLine(line);
  });
  const otherStderr: string[] = [];
  tracer.child.stderr!.removeAllListeners('data');
  let partialErr = '';
  tracer.child.stderr!.on('data', (chunk: Buffer) => {
    const lines = (partialErr + chunk.toString()).split('\n');
    partialErr = lines.pop()!;
    for (const line of lines) {
      counter.stderrLine(line);
      if (!/^Possibly lost \d+ samples$/.test(line)) otherStderr.push(line);
    }
  });

  const started = Date.now();
  const samples: Sample[] = [];
  const take = (): Sample => {
    const sample = {
      t: Math.round((Date.now() - started) / 100) / 10,
      accepted: server.accepted,
      rows: counter.rows,
      lost: counter.lost,
      rssKb: statusKb(pid, 'VmRSS') ?? -1,
      fds: openFds(pid) ?? -1,
    };
    samples.push(sample);
    return sample;
  };
  take();
  let nextPrint = started + everyMs;
  // A storm may be over in a second on a fast machine: sample it often enough that the part
  // after the warm-up still holds enough samples to judge (MIN_JUDGED_SAMPLES).
  const sampler = setInterval(
    () => {
      const sample = take();
      if (Date.now() >= nextPrint) {
        nextPrint += everyMs;
        process.stdout.write(`${JSON.stringify(sample)}\n`);
      }
    },
    storm !== undefined ? 50 : 250,
  );

  // A stopped reader cannot drain: the first stallAccepts records overflow the ring whatever the
  // machine's speed. SIGCONT comes from the sampler-like poll below, as soon as they are in.
  let stalled = false;
  let resumeTimer: NodeJS.Timeout | undefined;
  if (stallAccepts > 0) {
    process.kill(pid, 'SIGSTOP');
    stalled = true;
    resumeTimer = setInterval(() => {
      if (server.accepted < stallAccepts) return;
      process.kill(pid, 'SIGCONT');
      stalled = false;
      clearInterval(resumeTimer);
    }, 5);
  }
  const load =
    storm !== undefined
      ? await runLoad(server, { total: storm, concurrency: Number(values.concurrency ?? 128) })
      : await runLoad(server, { seconds: seconds!, rate: rate!, concurrency: Number(values.concurrency ?? 256) });
  if (stalled) {
    // The storm ended before stallAccepts accepts (connects failed): let the tracer go on.
    clearInterval(resumeTimer);
    process.kill(pid, 'SIGCONT');
    stalled = false;
  }
  const loadSeconds = (Date.now() - started) / 1000;
  // Accepts still in flight, then the tracer's flush timer for the last partly filled ring.
  for (let last = -1; last !== server.accepted;) {
    last = server.accepted;
    await sleep(300);
  }
  const drainDeadline = Date.now() + 5000;
  while (counter.rows + counter.lost < server.accepted && Date.now() < drainDeadline) await sleep(50);
  clearInterval(sampler);
  const final = take();

  // Judge memory and fds after a warm-up: --warm-up seconds, by default the first fifth of the
  // run, so it always ends before the run does, however fast the machine. V8 and the allocator
  // grow in steps during the first minute or two (a 10–15 MB step around 60–90 s was seen in
  // every long run, flat afterwards), so short runs need a looser --max-rss-growth-mb, and long
  // ones a warm-up past the step. Too few samples after it is a failure of its own, named as
  // such: a memory or fd check never passes or fails on no data.
  const warmUntil = values['warm-up'] !== undefined ? Number(values['warm-up']) : final.t / 5;
  const measured = samples.filter((s) => s.t >= warmUntil && s.rssKb > 0 && s.fds >= 0);
  const rss = measured.map((s) => s.rssKb);
  const fdCounts = measured.map((s) => s.fds);
  const growthKb = rssGrowthKb(rss);
  const enoughSamples = measured.length >= MIN_JUDGED_SAMPLES;
  const alive = tracer.child.exitCode === null && tracer.child.signalCode === null;

  const exitCode = await tracer.stop('SIGINT');
  const left = await leftovers(before);
  await server.close();

  const checks: Record<string, boolean> = {
    'tracer kept running': alive,
    'rows + lost = accepts': final.rows + final.lost === final.accepted,
    [storm !== undefined ? 'lost samples reported' : 'no lost samples']:
      storm !== undefined ? final.lost > 0 || stallAccepts === 0 : final.lost === 0,
    [`at least ${MIN_JUDGED_SAMPLES} samples after the warm-up (${warmUntil.toFixed(1)} s of a ${final.t} s run)`]: enoughSamples,
    [`RSS growth after warm-up < ${maxGrowthKb / 1024} MB`]: enoughSamples && growthKb < maxGrowthKb,
    'open fds constant': enoughSamples && Math.min(...fdCounts) === Math.max(...fdCounts),
    'nothing unexpected on stderr': otherStderr.length === 0,
    'exit code 0 after SIGINT': exitCode === 0,
    'no tcpaccept program or map left loaded': left.progs.length === 0 && left.maps.length === 0,
  };
  const summary = {
    mode: storm !== undefined ? 'storm' : 'steady',
    ringPages: values['ring-pages'] ?? 'default',
    ...(stallAccepts > 0 ? { readerStoppedForAccepts: stallAccepts } : {}),
    seconds: Math.round(loadSeconds * 10) / 10,
    connectsPerSecond: Math.round(load.connected / loadSeconds),
    accepted: final.accepted,
    connectFailures: load.failed,
    rows: final.rows,
    lost: final.lost,
    samplesAfterWarmUp: measured.length,
    rssKb: { start: samples[0]!.rssKb, afterWarmUp: rss[0], end: rss.at(-1), max: Math.max(...rss), growthAfterWarmUp: growthKb },
    fds: { min: Math.min(...fdCounts), max: Math.max(...fdCounts) },
    otherStderr,
    leftovers: left,
    checks,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return Object.values(checks).every(Boolean);
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
