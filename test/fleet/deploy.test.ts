// The files in deploy/, each checked against what it is for: the rules by promtool (syntax and
// unit tests on synthetic series), the Grafana dashboard's queries against the metric and
// label names the agent exports (and by promtool for PromQL syntax), the DaemonSet and the
// systemd unit parsed, with their command lines through the CLI's own argument parser.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseArgs } from '../../cli/args.ts';
import { METRIC_NAMES } from '../../cli/metrics.ts';
import { CGROUP_LABEL_NAMES } from '../../cli/cgroup-labels.ts';
import { prometheusUnavailableReason } from '../helpers/prometheus.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const deploy = (name: string) => join(root, 'deploy', name);
const promtoolSkip = prometheusUnavailableReason();

/** What the agent exports: its metric names (a histogram's three series) and its label names. */
const EXPORTED = new Set<string>([
  ...Object.values(METRIC_NAMES).filter((name) => name !== METRIC_NAMES.queueWait),
  ...['_bucket', '_count', '_sum'].map((suffix) => `${METRIC_NAMES.queueWait}${suffix}`),
]);
const LABELS = new Set(['instance', 'job', 'local_port', 'family', 'comm', 'pid', 'le', ...CGROUP_LABEL_NAMES]);

/** The tcpaccept_* metric names an expression reads, and the label names it groups or selects by. */
function namesIn(expr: string): { metrics: string[]; labels: string[] } {
  const metrics = [...expr.matchAll(/(?<![:\w])(tcpaccept_[a-z_]+)(?![:\w])/g)].map((m) => m[1]!);
  const labels: string[] = [];
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g))
    labels.push(
      ...m[1]!
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const matcher of m[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(matcher[1]!);
  }
  return { metrics, labels };
}

/** Runs promtool check rules on recording rules made of these expressions: their PromQL parses. */
function promqlParses(exprs: string[]): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ts-tcpaccept-promql-'));
  try {
    const rules = exprs.map((expr, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(expr)}`).join('\n');
    writeFileSync(join(dir, 'rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
    const run = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test(
  'alert and recording rules: promtool check rules, and its unit tests',
  promtoolSkip === undefined ? {} : { skip: promtoolSkip },
  async (t) => {
    const check = spawnSync('promtool', ['check', 'rules', deploy('prometheus-rules.yml')], { encoding: 'utf8' });
    t.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    const unit = spawnSync('promtool', ['test', 'rules', 'prometheus-rules.test.yml'], { cwd: join(root, 'deploy'), encoding: 'utf8' });
    t.equal(unit.status, 0, `promtool test rules: ${unit.stdout}${unit.stderr}`);
    const rules = parseYaml(readFileSync(deploy('prometheus-rules.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ record?: string; alert?: string; expr: string }> }>;
    };
    const all = rules.groups.flatMap((g) => g.rules);
    t.ok(
      all.some((r) => r.alert === 'TcpListenerDroppingConnections'),
      'the "listener dropping connections" alert',
    );
    const recorded = new Set(all.flatMap((r) => (r.record === undefined ? [] : [r.record])));
    for (const rule of all) {
      const { metrics, labels } = namesIn(rule.expr);
      for (const name of metrics) t.ok(EXPORTED.has(name) || recorded.has(name), `${rule.record ?? rule.alert}: ${name} is exported`);
      for (const label of labels) t.ok(LABELS.has(label), `${rule.record ?? rule.alert}: label ${label} exists`);
    }
  },
);

t.test('Grafana dashboard: valid JSON, every query on exported metrics and labels, PromQL that parses', async (t) => {
  const dashboard = JSON.parse(readFileSync(deploy('grafana-dashboard.json'), 'utf8')) as {
    title: string;
    uid: string;
    panels: Array<{ id: number; title: string; type: string; targets: Array<{ expr: string; refId: string }> }>;
    templating: { list: Array<{ name: string; query: unknown }> };
  };
  t.match(dashboard, { title: String, uid: 'ts-tcpaccept' });
  const variables = new Set(dashboard.templating.list.map((v) => v.name));
  t.same([...variables].sort(), ['datasource', 'instance', 'port']);
  t.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique');
  const exprs: string[] = [];
  const seen = new Set<string>();
  for (const panel of dashboard.panels) {
    t.ok(panel.targets.length > 0, `${panel.title}: has queries`);
    for (const target of panel.targets) {
      const { metrics, labels } = namesIn(target.expr);
      t.ok(metrics.length > 0, `${panel.title} ${target.refId}: reads a tcpaccept metric`);
      for (const name of metrics) {
        t.ok(EXPORTED.has(name), `${panel.title}: ${name} is exported`);
        seen.add(name);
      }
      for (const label of labels) t.ok(LABELS.has(label), `${panel.title}: label ${label} exists`);
      for (const ref of target.expr.matchAll(/\$(?!__)([a-z_]+)/g))
        t.ok(variables.has(ref[1]!), `${panel.title}: $${ref[1]} is a dashboard variable`);
      // Grafana's variables, as Grafana would substitute them, so that promtool can parse the rest.
      exprs.push(target.expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*').replaceAll('$port', '.*'));
    }
  }
  for (const wanted of [
    METRIC_NAMES.accepted,
    `${METRIC_NAMES.queueWait}_bucket`,
    METRIC_NAMES.listenDrops,
    METRIC_NAMES.listenOverflowDrops,
  ]) {
    t.ok(seen.has(wanted), `the dashboard shows ${wanted}`);
  }
  t.ok(
    exprs.some((e) => /histogram_quantile\(0\.99/.test(e)),
    'a p99 of the queue wait',
  );
  if (promtoolSkip === undefined) {
    const parsed = promqlParses(exprs);
    t.equal(parsed.status, 0, `PromQL of every panel parses: ${parsed.output}`);
  }
});

t.test('DaemonSet: a DaemonSet with the host access the agent needs and a command line the CLI accepts', async (t) => {
  const ds = parseYaml(readFileSync(deploy('daemonset.yaml'), 'utf8')) as {
    apiVersion: string;
    kind: string;
    spec: {
      selector: { matchLabels: Record<string, string> };
      template: {
        metadata: { labels: Record<string, string>; annotations: Record<string, string> };
        spec: {
          hostPID: boolean;
          hostNetwork: boolean;
          containers: Array<{
            args: string[];
            securityContext: { runAsUser: number; capabilities: { add: string[]; drop: string[] } };
            ports: Array<{ containerPort: number }>;
            volumeMounts: Array<{ name: string; mountPath: string }>;
          }>;
          volumes: Array<{ name: string; hostPath: { path: string } }>;
        };
      };
    };
  };
  t.equal(ds.apiVersion, 'apps/v1');
  t.equal(ds.kind, 'DaemonSet');
  const template = ds.spec.template;
  t.match(template.metadata.labels, ds.spec.selector.matchLabels, 'the selector matches the pods');
  t.equal(template.spec.hostPID, true, 'hostPID: BPF reports host PIDs');
  const [container] = template.spec.containers;
  const options = parseArgs(container!.args);
  t.ok(options.metrics !== undefined && options.quiet, 'args: --metrics and --quiet, accepted by the CLI parser');
  t.equal(container!.ports[0]!.containerPort, options.metrics!.port, 'containerPort is the --metrics port');
  t.equal(template.metadata.annotations['prometheus.io/port'], String(options.metrics!.port), 'the scrape annotation names that port');
  t.same(container!.securityContext.capabilities.drop, ['ALL']);
  t.same([...container!.securityContext.capabilities.add].sort(), ['BPF', 'PERFMON'], 'CAP_BPF and CAP_PERFMON only');
  t.equal(container!.securityContext.runAsUser, 0, 'uid 0: tracefs is root-only');
  const hostPaths = new Map(template.spec.volumes.map((v) => [v.name, v.hostPath.path]));
  const mounts = new Map(container!.volumeMounts.map((m) => [m.mountPath, hostPaths.get(m.name)]));
  t.equal(mounts.get('/sys/kernel/btf'), '/sys/kernel/btf', 'kernel BTF from the host');
  t.equal(mounts.get('/sys/kernel/tracing'), '/sys/kernel/tracing', 'tracefs from the host');
});

t.test('systemd unit: the sections, the capabilities, and a command line the CLI accepts', async (t) => {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of readFileSync(deploy('ts-tcpaccept.service'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    t.ok(current !== undefined && eq > 0, `a key=value line inside a section: ${line}`);
    current!.set(line.slice(0, eq), line.slice(eq + 1));
  }
  t.same([...sections.keys()], ['Unit', 'Service', 'Install']);
  const service = sections.get('Service')!;
  const [binary, ...args] = service.get('ExecStart')!.split(/\s+/);
  t.match(binary, /^\/.*\/ts-tcpaccept$/, 'ExecStart: an absolute path to the command');
  const options = parseArgs(args);
  t.ok(options.metrics !== undefined, 'ExecStart: --metrics, accepted by the CLI parser');
  t.same(service.get('CapabilityBoundingSet')!.split(' ').sort(), ['CAP_BPF', 'CAP_PERFMON']);
  t.same(service.get('AmbientCapabilities')!.split(' ').sort(), ['CAP_BPF', 'CAP_PERFMON']);
  t.equal(service.get('NoNewPrivileges'), 'yes');
  t.equal(sections.get('Install')!.get('WantedBy'), 'multi-user.target');
  // systemd's own check, where systemd-analyze is installed: on a copy whose ExecStart names an
  // executable that exists here (it checks that), with the same arguments.
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) {
    const dir = mkdtempSync(join(tmpdir(), 'ts-tcpaccept-unit-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const copy = join(dir, 'ts-tcpaccept.service');
    writeFileSync(copy, readFileSync(deploy('ts-tcpaccept.service'), 'utf8').replace(binary!, process.execPath));
    const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    t.equal(verify.status, 0, `systemd-analyze verify: ${verify.stdout}${verify.stderr}`);
    t.equal(verify.stderr.trim(), '', 'no warnings');
  }
});

t.test('docs/fleet.md points at each deploy/ file', async (t) => {
  const fleet = readFileSync(join(root, 'docs', 'fleet.md'), 'utf8');
  for (const file of ['grafana-dashboard.json', 'daemonset.yaml', 'ts-tcpaccept.service', 'prometheus-rules.yml']) {
    t.match(fleet, `../deploy/${file}`, file);
  }
});
