// The fleet outputs of the real CLI: --metrics scraped over HTTP while a connection storm runs
// (parsed with a Prometheus text-format parser), --quiet, and --json validated against the
// shipped JSON Schema, with each line's delay from the kernel's accept to our read measured.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { kernelTest } from '../helpers/kernel.ts';
import { connectOnce, runCli, sleep, startServer, startTimeScale, startTracer, type Tracer } from '../helpers/processes.ts';
import { counterSum, histogramsBy, metricFamily, parsePrometheus } from '../cli/prometheus-text.ts';

const ACCEPTED = 'tcpaccept_accepted_connections_total';
const QUEUE_WAIT = 'tcpaccept_accept_queue_wait_seconds';
const LOST = 'tcpaccept_lost_samples_total';
const RATE = 'tcpaccept_events_per_second';
const BUILD_INFO = 'tcpaccept_build_info';

/** The URL the CLI printed on stderr once it was listening. */
async function metricsUrl(tracer: Tracer): Promise<string> {
  const line = await tracer.stderr.waitFor((l) => l.includes('serving Prometheus metrics at '), 20_000, 'the metrics URL');
  return line.slice(line.indexOf('http://'));
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
  return response.text();
}

/** Runs `total` connect-and-close clients, `concurrency` at a time, across `ports` in turn. */
async function storm(ports: number[], total: number, concurrency: number, started: { count: number }): Promise<void> {
  const worker = async () => {
    while (started.count < total) {
      const port = ports[started.count++ % ports.length]!;
      await connectOnce('127.0.0.1', port);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

t.test('bad --metrics and --quiet: one clear line, exit 2', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--metrics', '127.0.0.1:99999'], /--metrics: 99999 is out of range \(0 to 65535\)/],
    [['--metrics', '::1:9100'], /put an IPv6 address in brackets/],
    [['--metrics', ':9100'], /give the address to bind/],
    [['--quiet'], /--quiet .* needs --metrics/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    t.equal(result.code, 2, `${args.join(' ')}: exit 2`);
    t.match(result.stderr, message);
    t.equal(result.stdout, '');
  }
});

t.test('a taken metrics port fails before any probe is loaded (exit 1)', kernelTest(), async (t) => {
  const first = startTracer(['--metrics', '127.0.0.1:0', '--quiet', '-P', '1']);
  t.teardown(() => first.stop('SIGKILL'));
  await first.ready;
  const port = new URL(await metricsUrl(first)).port;
  const second = await runCli(['--metrics', `127.0.0.1:${port}`, '--quiet']);
  t.equal(second.code, 1);
  t.match(second.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE: the port is taken`));
  t.notMatch(second.stderr, /Tracing TCP accepts/);
  t.equal(await first.stop(), 0);
});

t.test('/metrics during a 300-connection storm on two ports: counts equal the connections made', kernelTest(), async (t) => {
  const perPort = 150;
  const alpha = await startServer({ family: 4, count: perPort, comm: 'storm-alpha' });
  const beta = await startServer({ family: 4, count: perPort, comm: 'storm-beta' });
  t.teardown(() => {
    alpha.kill();
    beta.kill();
  });
  const tracer = startTracer(['--metrics', '127.0.0.1:0', '--quiet', '-P', `${alpha.port},${beta.port}`]);
  t.teardown(() => tracer.stop('SIGKILL'));
  await tracer.ready;
  const url = await metricsUrl(tracer);
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, 'port 0: the bound address is printed');

  // Scrape while the storm runs: every scrape parses, and no count runs ahead of the clients.
  const started = { count: 0 };
  let stormDone = false;
  const stormRun = storm([alpha.port, beta.port], 2 * perPort, 20, started).finally(() => {
    stormDone = true;
  });
  let scrapesDuring = 0;
  let previous = 0;
  while (!stormDone) {
    const families = parsePrometheus(await scrape(url));
    const counted = counterSum(families, ACCEPTED);
    if (counted > started.count || counted < previous)
      t.fail(`scrape ${scrapesDuring}: ${counted} counted, ${started.count} connects started, ${previous} before`);
    previous = counted;
    scrapesDuring++;
    await sleep(5);
  }
  await stormRun;
  t.ok(scrapesDuring >= 2, `scraped ${scrapesDuring} times during the storm`);
  await alpha.accepted(perPort);
  await beta.accepted(perPort);

  // The last accepts reach the counters within one ring flush; poll briefly for them.
  let text = '';
  const deadline = Date.now() + 5000;
  do {
    text = await scrape(url);
    if (counterSum(parsePrometheus(text), ACCEPTED) >= 2 * perPort) break;
    await sleep(20);
  } while (Date.now() < deadline);
  const families = parsePrometheus(text);

  for (const [server, comm] of [
    [alpha, 'storm-alpha'],
    [beta, 'storm-beta'],
  ] as const) {
    const port = String(server.port);
    t.equal(counterSum(families, ACCEPTED, { local_port: port }), perPort, `port ${port}: ${perPort} accepted`);
    t.equal(counterSum(families, ACCEPTED, { local_port: port, family: 'ipv4', comm }), perPort, `port ${port}: all ipv4, comm ${comm}`);
  }
  t.equal(metricFamily(families, ACCEPTED).metrics.length, 2, 'one series per port (nothing else matched -P)');
  const waits = histogramsBy(text, QUEUE_WAIT, 'local_port');
  t.same([...waits.keys()].sort(), [String(alpha.port), String(beta.port)].sort());
  for (const [port, histogram] of waits) {
    t.equal(histogram.count, perPort, `port ${port}: histogram count equals the accepts`);
    t.equal(histogram.buckets['+Inf'], perPort);
    t.ok(histogram.buckets['10']! === perPort, 'every wait is under 10 s');
    t.ok(histogram.sum > 0 && histogram.sum < perPort * 10, `sum of waits ${histogram.sum.toFixed(6)} s`);
  }
  t.equal(Number(metricFamily(families, LOST).metrics[0]!.value), 0, 'no lost samples');
  const info = metricFamily(families, BUILD_INFO).metrics;
  t.equal(info.length, 1);
  t.match(info[0]!.labels, {
    version: JSON.parse(readFileSync('package.json', 'utf8')).version,
    node_version: process.version,
    ffi_backend: 'koffi',
    mode: 'accept',
  });
  t.ok(
    families.some((f) => f.name === 'process_cpu_seconds_total'),
    "the agent's own CPU time is exported",
  );

  // The rate counts complete seconds only: the storm shows up at most a second later.
  let rate = 0;
  const rateDeadline = Date.now() + 2500;
  while (rate === 0 && Date.now() < rateDeadline) {
    rate = Number(metricFamily(parsePrometheus(await scrape(url)), RATE).metrics[0]!.value);
    if (rate === 0) await sleep(100);
  }
  t.ok(rate > 0 && rate <= 2 * perPort, `events per second: ${rate}`);
  t.equal(tracer.stdout.lines.length, 0, '--quiet: nothing on stdout');
  t.equal(await tracer.stop(), 0);
});

/** stdout lines with the CLOCK_MONOTONIC time (process.hrtime) at which each was read. */
function timedLines(tracer: Tracer): Array<{ line: string; readNs: bigint }> {
  const lines: Array<{ line: string; readNs: bigint }> = [];
  let partial = '';
  tracer.child.stdout!.on('data', (chunk: Buffer) => {
    const readNs = process.hrtime.bigint();
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts) lines.push({ line, readNs });
  });
  return lines;
}

t.test('--json: real events validate against schema/event.schema.json and each line is out on its own', kernelTest(), async (t) => {
  const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync('schema/event.schema.json', 'utf8')) as object);
  const spaced = 12;
  const v4 = await startServer({ family: 4, count: spaced, comm: 'json-four' });
  // This one sleeps before each accept(), so a client's RST arrives first.
  const v6 = await startServer({ family: 6, count: 3, comm: 'json-six', delayMs: 30 });
  t.teardown(() => {
    v4.kill();
    v6.kill();
  });
  // Metrics at the same time: events on stdout, metrics over HTTP.
  const tracer = startTracer(['--json', '--metrics', '[::1]:0', '-P', `${v4.port},${v6.port}`]);
  t.teardown(() => tracer.stop('SIGKILL'));
  const lines = timedLines(tracer);
  await tracer.ready;
  t.match(await metricsUrl(tracer), /^http:\/\/\[::1\]:\d+\/metrics$/);

  // One at a time: each line must come out with no later event to push it (no wake-up from a
  // fuller ring, no output buffer waiting to fill). How fast is the machine's business; that
  // it comes before the next connection is the tool's.
  let alone = 0;
  for (let i = 0; i < spaced; i++) {
    await connectOnce('127.0.0.1', v4.port);
    const deadline = Date.now() + 5000 * startTimeScale;
    while (lines.length <= i && Date.now() < deadline) await sleep(5);
    if (lines.length === i + 1) alone++;
    await sleep(37 + (i % 4) * 11);
  }
  t.equal(alone, spaced, 'each line out before the next connection was made');
  await connectOnce('::1', v6.port);
  await connectOnce('::1', v6.port);
  await connectOnce('::1', v6.port, { reset: true });
  await v4.accepted(spaced);
  await v6.accepted(3);
  const deadline = Date.now() + 5000;
  while (lines.length < spaced + 3 && Date.now() < deadline) await sleep(20);
  t.equal(lines.length, spaced + 3, 'one line per accept');

  const delaysMs: number[] = [];
  for (const { line, readNs } of lines) {
    const event = JSON.parse(line) as Record<string, unknown>;
    if (!validate(event)) t.fail(`schema: ${ajv.errorsText(validate.errors)}\n${line}`);
    delaysMs.push(Number(readNs - BigInt(event.monotonic_ns as string)) / 1e6);
  }
  const events = lines.map(({ line }) => JSON.parse(line) as Record<string, unknown>);
  t.equal(events.filter((e) => e.comm === 'json-four' && e.ip === 4).length, spaced, 'IPv4 events');
  t.equal(events.filter((e) => e.comm === 'json-six' && e.ip === 6).length, 3, 'IPv6 events');
  t.equal(events.filter((e) => e.state === 'CLOSE').length, 1, 'the reset-before-accept event');
  t.ok(
    events.filter((e) => e.comm === 'json-six').every((e) => (e.queue_wait_us as number) >= 25_000),
    'queue waits of the delayed server',
  );
  const worst = Math.max(...delaysMs);
  const sorted = [...delaysMs].sort((a, b) => a - b);
  t.comment(
    `accept -> line read by the consumer: median ${sorted[sorted.length >> 1]!.toFixed(1)} ms, worst ${worst.toFixed(1)} ms over ${delaysMs.length} lines`,
  );
  t.ok(
    delaysMs.every((d) => d >= 0),
    'read after the kernel saw the accept (same clock)',
  );
  t.equal(await tracer.stop(), 0);
});
