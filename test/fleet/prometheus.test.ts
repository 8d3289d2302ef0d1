// The fleet with real parts: a real Prometheus scrapes three ts-tcpaccept agents, each in its
// own network namespace standing for a node, and PromQL over Prometheus's HTTP API must return
// exactly the connections made in each.
//
// Topology (all inside namespaces this test makes and deletes; the host's interfaces are not
// touched and no traffic leaves them):
//
//   netns prom: Prometheus on 127.0.0.1:9090 ─ vp1 10.77.1.1/30 ══ va1 10.77.1.2/30 :netns node1
//                                             ─ vp2 10.77.2.1/30 ══ va2 10.77.2.2/30 :netns node2
//                                             ─ vp3 10.77.3.1/30 ══ va3 10.77.3.2/30 :netns node3
//
// Each node runs `ts-tcpaccept --netns self --metrics 10.77.N.2:9479 --quiet` and servers on
// loopback that delay accept() by a known amount per node; clients inside the node connect one
// at a time, so each connection waits in the accept queue for that delay. Tracepoints are
// host-wide: without --netns each agent would count all three nodes' accepts (3x the truth).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { kernelTest } from '../helpers/kernel.ts';
import { cliPath, startTimeScale } from '../helpers/processes.ts';
import { connectIn, makeNetns, netnsUnavailableReason, serverIn, sh, type Netns } from '../helpers/netns.ts';
import { prometheusUnavailableReason, startPrometheus, type Sample } from '../helpers/prometheus.ts';
import { QUEUE_WAIT_BUCKETS_SECONDS } from '../../cli/metrics.ts';

const gate = () => {
  const reason = netnsUnavailableReason() ?? prometheusUnavailableReason();
  return reason === undefined ? kernelTest() : { skip: reason };
};

/** What each node serves: port -> connections, all delayed by the node's delay. */
const NODES = [
  { delayMs: 15, ports: { 8080: 6 } },
  { delayMs: 70, ports: { 8080: 4, 8443: 3 } },
  { delayMs: 160, ports: { 8443: 5 } },
] as const;

/** Index of the histogram bucket (upper bounds, +Inf last) a value in seconds falls in. */
function bucketOf(seconds: number): number {
  const index = QUEUE_WAIT_BUCKETS_SECONDS.findIndex((upper) => seconds <= upper);
  return index < 0 ? QUEUE_WAIT_BUCKETS_SECONDS.length : index;
}

const byLabel = (samples: Sample[], label: string) => Object.fromEntries(samples.map((s) => [s.metric[label], s.value]));

t.test('three agents in three namespaces behind one Prometheus: exact sums, quantiles within a bucket', gate(), async (t) => {
  const prom = makeNetns(t, 'tsta-prom');
  const nodes: Netns[] = [];
  for (let i = 1; i <= NODES.length; i++) {
    const node = makeNetns(t, `tsta-node${i}`);
    nodes.push(node);
    // A veth pair between Prometheus's namespace and the node's, with addresses only there.
    sh('ip', ['-n', prom.name, 'link', 'add', `vp${i}`, 'type', 'veth', 'peer', 'name', `va${i}`, 'netns', node.name]);
    sh('ip', ['-n', prom.name, 'addr', 'add', `10.77.${i}.1/30`, 'dev', `vp${i}`]);
    sh('ip', ['-n', node.name, 'addr', 'add', `10.77.${i}.2/30`, 'dev', `va${i}`]);
    sh('ip', ['-n', prom.name, 'link', 'set', `vp${i}`, 'up']);
    sh('ip', ['-n', node.name, 'link', 'set', `va${i}`, 'up']);
  }
  const agents = nodes.map((node, i) =>
    node.spawn(process.execPath, [cliPath, '--netns', 'self', '--metrics', `10.77.${i + 1}.2:9479`, '--quiet']),
  );
  // The control: an agent in node 1 without --netns, scraped as another job. It counts every node.
  agents.push(nodes[0]!.spawn(process.execPath, [cliPath, '--metrics', '10.77.1.2:9480', '--quiet']));
  await Promise.all(
    agents.map((agent, i) =>
      agent.stderr.waitFor((l) => l.startsWith('Tracing TCP accepts'), 30_000 * startTimeScale, `agent ${i + 1} ready`),
    ),
  );
  const targets = nodes.map((_, i) => `10.77.${i + 1}.2:9479`);
  const prometheus = await startPrometheus(
    t,
    [
      { job: 'ts-tcpaccept', targets },
      { job: 'unfiltered', targets: ['10.77.1.2:9480'] },
    ],
    prom,
  );
  // Every agent scraped once before any connection: the counters then start from nothing.
  await prometheus.until('sum(up)', (s) => s[0]?.value === NODES.length + 1, 30_000);
  // What Prometheus scraped passes promtool's own lint (names, types, help, units).
  const exposition = prom.run('curl', ['-sf', `http://${targets[0]}/metrics`]);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  t.equal(lint.status, 0, `promtool check metrics on a live agent: ${lint.stdout}${lint.stderr}`);

  const expected: Record<string, number> = {};
  await Promise.all(
    NODES.map(async (spec, i) => {
      for (const [port, count] of Object.entries(spec.ports)) {
        const server = await serverIn(nodes[i]!, { port: Number(port), count, delayMs: spec.delayMs, comm: `node${i + 1}-srv` });
        await connectIn(nodes[i]!, Number(port), count);
        await server.accepted(count);
        expected[port] = (expected[port] ?? 0) + count;
      }
    }),
  );
  const total = Object.values(expected).reduce((a, b) => a + b, 0);

  // Prometheus's scrapes are accepts too: an agent leaves out its own, but node 1's agent sees
  // the control agent's (port 9480), and the control sees all three agents' (9479). The
  // servers' ports are the connections the test made.
  const servers = 'local_port=~"8080|8443"';
  const sumByPort = `sum by (local_port) (tcpaccept_accepted_connections_total{job="ts-tcpaccept",${servers}})`;
  await prometheus.until(sumByPort, (s) => s.reduce((a, x) => a + x.value, 0) >= total, 30_000);
  // Three more scrapes: an agent that counted another namespace's accepts would have grown past it.
  await new Promise((resolve) => setTimeout(resolve, 3500));
  t.same(byLabel(await prometheus.query(sumByPort), 'local_port'), expected, `${sumByPort}: exactly the connections made`);
  const perNode = byLabel(
    await prometheus.query(`sum by (instance) (tcpaccept_accepted_connections_total{job="ts-tcpaccept",${servers}})`),
    'instance',
  );
  t.same(
    perNode,
    Object.fromEntries(NODES.map((spec, i) => [targets[i], Object.values(spec.ports).reduce((a: number, b: number) => a + b, 0)])),
    'per node: only its own namespace',
  );
  const [unfiltered] = await prometheus.query(`sum(tcpaccept_accepted_connections_total{job="unfiltered",${servers}})`);
  t.equal(unfiltered?.value, total, `the control agent without --netns in node 1 counted all ${total} connections of the three nodes`);

  // Each node's median and p90 queue wait, and the fleet's, within one bucket of the truth.
  for (const q of [0.5, 0.9]) {
    const quantiles = byLabel(
      await prometheus.query(
        `histogram_quantile(${q}, sum by (le, instance) (tcpaccept_accept_queue_wait_seconds_bucket{job="ts-tcpaccept",${servers}}))`,
      ),
      'instance',
    );
    NODES.forEach((spec, i) => {
      const got = quantiles[targets[i]!]!;
      const truth = spec.delayMs / 1000;
      t.ok(
        Math.abs(bucketOf(got) - bucketOf(truth)) <= 1,
        `node ${i + 1} p${q * 100}: ${got.toFixed(4)} s against a ${truth} s delay (buckets ${bucketOf(got)}, ${bucketOf(truth)})`,
      );
    });
  }
  const fleetCount = await prometheus.query(`sum(tcpaccept_accept_queue_wait_seconds_count{job="ts-tcpaccept",${servers}})`);
  t.equal(fleetCount[0]?.value, total, "every connection's queue wait observed once across the fleet");
  // Fleet-wide: 6 at 15 ms, 7 at 70 ms, 5 at 160 ms: the median is a 70 ms connection.
  const [fleetMedian] = await prometheus.query(
    `histogram_quantile(0.5, sum by (le) (tcpaccept_accept_queue_wait_seconds_bucket{job="ts-tcpaccept",${servers}}))`,
  );
  t.ok(
    Math.abs(bucketOf(fleetMedian!.value) - bucketOf(0.07)) <= 1,
    `fleet median ${fleetMedian!.value.toFixed(4)} s within a bucket of 0.07 s`,
  );
  const health = await prometheus.targets();
  t.ok(
    health.every((target) => target.health === 'up'),
    `every target up: ${JSON.stringify(health)}`,
  );

  for (const agent of agents) agent.child.kill('SIGINT');
  t.same(
    await Promise.all(agents.map((agent) => agent.exited)),
    agents.map(() => 0),
    'agents exit 0 on SIGINT',
  );
});
