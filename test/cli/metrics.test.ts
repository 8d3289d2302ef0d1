// cli/metrics.ts without the kernel: synthetic events into AcceptMetrics, the exposition parsed
// back with a Prometheus text-format parser, the rate window on a fake clock, and the HTTP server.
import t from 'tap';
import { createServer } from 'node:net';
import {
  AcceptMetrics,
  EventRateWindow,
  METRIC_NAMES,
  QUEUE_WAIT_BUCKETS_SECONDS,
  packageVersion,
  serveMetrics,
} from '../../cli/metrics.ts';
import type { AcceptEvent } from '../../src/internal.ts';
import { histogramsBy, metricFamily as family, parsePrometheus } from './prometheus-text.ts';

const event = (over: Partial<AcceptEvent> = {}): AcceptEvent => ({
  timestampNs: 5_000_000_000n,
  queueWaitNs: 20_000n,
  pid: 1234,
  tid: 1235,
  comm: 'nginx',
  ipVersion: 4,
  family: 2,
  localAddr: '127.0.0.1',
  localPort: 8080,
  remoteAddr: '127.0.0.2',
  remotePort: 51000,
  state: 'ESTABLISHED',
  source: 'accept',
  ...over,
});

t.test('buckets cover 10 us .. 10 s in increasing order', async (t) => {
  t.equal(QUEUE_WAIT_BUCKETS_SECONDS[0], 10e-6);
  t.equal(QUEUE_WAIT_BUCKETS_SECONDS.at(-1), 10);
  t.ok(
    QUEUE_WAIT_BUCKETS_SECONDS.every((b, i) => i === 0 || b > QUEUE_WAIT_BUCKETS_SECONDS[i - 1]!),
    'strictly increasing',
  );
});

t.test('counter by port, family and comm; histogram by port; lost; build info', async (t) => {
  const metrics = new AcceptMetrics();
  for (let i = 0; i < 3; i++) metrics.recordEvent(event());
  metrics.recordEvent(event({ localPort: 443, ipVersion: 6, family: 10, comm: 'envoy', queueWaitNs: 3_000_000_000n }));
  metrics.recordEvent(event({ localPort: 443, ipVersion: 6, family: 10, comm: 'envoy', queueWaitNs: undefined }));
  metrics.recordEvent(event({ localPort: 22, source: 'handshake', pid: undefined, comm: undefined, queueWaitNs: undefined }));
  metrics.recordLost(7);
  metrics.setBuildInfo({ version: '9.9.9', nodeVersion: 'v20.0.0', ffiBackend: 'koffi', mode: 'accept' });
  const text = await metrics.exposition();
  const parsed = parsePrometheus(text);

  const accepted = family(parsed, METRIC_NAMES.accepted);
  t.equal(accepted.type, 'COUNTER');
  const byLabels = Object.fromEntries(
    accepted.metrics.map((m) => [`${m.labels!.local_port}/${m.labels!.family}/${m.labels!.comm}`, Number(m.value)]),
  );
  t.same(byLabels, { '8080/ipv4/nginx': 3, '443/ipv6/envoy': 2, '22/ipv4/-': 1 });

  t.equal(family(parsed, METRIC_NAMES.queueWait).type, 'HISTOGRAM');
  const wait = histogramsBy(text, METRIC_NAMES.queueWait, 'local_port');
  const port8080 = wait.get('8080')!;
  t.equal(port8080.count, 3, 'every measured wait is observed');
  t.equal(port8080.buckets['0.00001'], 0, '20 us is above the first bucket');
  t.equal(port8080.buckets['0.000025'], 3);
  t.equal(port8080.sum.toFixed(6), '0.000060');
  const port443 = wait.get('443')!;
  t.equal(port443.count, 1, 'an unmeasured wait is not observed');
  t.equal(port443.buckets['2.5'], 0);
  t.equal(port443.buckets['5'], 1);
  t.same(
    Object.keys(port443.buckets)
      .filter((le) => le !== '+Inf')
      .map(Number)
      .sort((a, b) => a - b),
    QUEUE_WAIT_BUCKETS_SECONDS,
  );
  t.same([...wait.keys()].sort(), ['443', '8080'], 'no wait measured on port 22');

  t.equal(Number(family(parsed, METRIC_NAMES.lost).metrics[0]!.value), 7);
  const info = family(parsed, METRIC_NAMES.buildInfo).metrics;
  t.same(info, [{ value: '1', labels: { version: '9.9.9', node_version: 'v20.0.0', ffi_backend: 'koffi', mode: 'accept' } }]);
  metrics.setBuildInfo({ version: '9.9.9', nodeVersion: 'v20.0.0', ffiBackend: 'koffi', mode: 'handshake' });
  t.equal(family(parsePrometheus(await metrics.exposition()), METRIC_NAMES.buildInfo).metrics.length, 1, 'one build_info series');
});

t.test('own registry: nothing in the global one, process metrics only on request', async (t) => {
  const { register } = await import('prom-client');
  const plain = new AcceptMetrics();
  t.notOk((await plain.exposition()).includes('process_cpu_seconds_total'));
  const withProcess = new AcceptMetrics({ processMetrics: true });
  t.ok((await withProcess.exposition()).includes('process_cpu_seconds_total'));
  t.notOk((await register.metrics()).includes('tcpaccept_'), 'global registry untouched');
});

t.test('events per second over the last complete seconds', async (t) => {
  let now = 1_000_000;
  const window = new EventRateWindow(10, () => now);
  t.equal(window.perSecond(), 0, 'no complete second yet');
  now += 500;
  window.add(30);
  t.equal(window.perSecond(), 0, 'the current second does not count yet');
  now += 500;
  t.equal(window.perSecond(), 30, 'one complete second');
  now += 4000;
  t.equal(window.perSecond(), 6, '30 events over 5 seconds');
  window.add(10);
  now += 5000;
  t.equal(window.perSecond(), 4, '40 events over the full 10 s window');
  now += 1000;
  t.equal(window.perSecond(), 1, 'the first second left the window');
  now += 20_000;
  t.equal(window.perSecond(), 0, 'everything aged out');
  window.add();
  now += 1000;
  t.equal(window.perSecond(), 0.1, 'a reused slot starts from zero');
});

t.test('the gauge reads the window when scraped', async (t) => {
  let now = 0;
  const metrics = new AcceptMetrics({ nowMs: () => now });
  for (let i = 0; i < 20; i++) metrics.recordEvent(event());
  now = 2000;
  const gauge = family(parsePrometheus(await metrics.exposition()), METRIC_NAMES.eventsPerSecond);
  t.equal(Number(gauge.metrics[0]!.value), 10);
});

t.test('package version is found from the source tree', async (t) => {
  t.match(packageVersion(), /^\d+\.\d+\.\d+/);
});

t.test('HTTP: /metrics with the registry content type, 404 elsewhere, 405 for POST', async (t) => {
  const metrics = new AcceptMetrics();
  metrics.recordEvent(event());
  const server = await serveMetrics(metrics, { host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const response = await fetch(server.url);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  t.match(await response.text(), /tcpaccept_accepted_connections_total\{local_port="8080",family="ipv4",comm="nginx"\} 1/);
  t.equal((await fetch(server.url.replace('/metrics', '/'))).status, 404);
  t.equal((await fetch(server.url, { method: 'POST' })).status, 405);
  server.close();
  server.close();
});

t.test('HTTP on IPv6 loopback prints a bracketed URL', async (t) => {
  const server = await serveMetrics(new AcceptMetrics(), { host: '::1', port: 0 });
  t.teardown(() => server.close());
  t.match(server.url, /^http:\/\/\[::1\]:\d+\/metrics$/);
  t.equal((await fetch(server.url)).status, 200);
});

t.test('a taken port is an actionable error', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  await t.rejects(
    serveMetrics(new AcceptMetrics(), { host: '127.0.0.1', port }),
    /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE: the port is taken/,
  );
});
