// A real Prometheus server for tests (Debian's `prometheus` package): started by the test with
// its data in a temp dir and a short scrape interval, queried over its HTTP API with promtool.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { bpfRequired } from './kernel.ts';
import type { InNamespace, Netns } from './netns.ts';
import { sleep, startTimeScale } from './processes.ts';

/** Why Prometheus tests cannot run; throws instead when CI requires them (TS_TCPACCEPT_REQUIRE_BPF=1). */
export function prometheusUnavailableReason(): string | undefined {
  for (const tool of ['prometheus', 'promtool']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      const reason = `${tool} is not installed (Debian package prometheus)`;
      if (bpfRequired) throw new Error(`TS_TCPACCEPT_REQUIRE_BPF=1 but ${reason}`);
      return reason;
    }
  }
  return undefined;
}

export interface ScrapeJob {
  job: string;
  targets: string[];
  scheme?: 'http' | 'https';
  /** Extra YAML lines for this scrape config, indented by 4 (tls_config, basic_auth). */
  extra?: string[];
}

/** One sample of an instant vector: its labels and value. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  dir: string;
  /** Instant query through promtool against the HTTP API; the result vector. */
  query(expr: string): Promise<Sample[]>;
  /** Polls `query` until `done` holds for its result, or fails after timeoutMs. */
  until(expr: string, done: (samples: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  /** The targets' health as Prometheus sees it (job/instance -> up, lastError). */
  targets(): Promise<Array<{ job: string; instance: string; health: string; lastError: string }>>;
}

/**
 * Starts Prometheus in `ns` (a namespace the test made), listening on 127.0.0.1:9090 there,
 * with the test's namespace teardown killing it; its data directory is removed at teardown.
 */
export async function startPrometheus(t: Test, jobs: ScrapeJob[], ns: Netns): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ts-tcpaccept-prometheus-'));
  const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 900ms', '  evaluation_interval: 1s', 'scrape_configs:'];
  for (const job of jobs) {
    lines.push(
      `  - job_name: ${JSON.stringify(job.job)}`,
      `    scheme: ${job.scheme ?? 'http'}`,
      ...(job.extra ?? []),
      '    static_configs:',
      `      - targets: [${job.targets.map((target) => JSON.stringify(target)).join(', ')}]`,
    );
  }
  writeFileSync(join(dir, 'prometheus.yml'), `${lines.join('\n')}\n`);
  const listen = '127.0.0.1:9090';
  const proc: InNamespace = ns.spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${listen}`,
    '--log.level=warn',
  ]);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const url = `http://${listen}`;
  const promtool = (args: string[]) => {
    const command = ['promtool', ...args];
    const [file, ...rest] = ['nsenter', `--net=${ns.path}`, '--', ...command];
    return execFileSync(file!, rest, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const get = (path: string): string =>
    execFileSync('nsenter', [`--net=${ns.path}`, '--', 'curl', '-sf', `${url}${path}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const api = async (path: string): Promise<unknown> => JSON.parse(get(path)) as unknown;
  // Ready when its own API answers.
  const deadline = Date.now() + 30_000 * startTimeScale;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`prometheus exited ${proc.child.exitCode}: ${proc.stderr.lines.join('\n')}`);
    try {
      get('/-/ready');
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${proc.stderr.lines.join('\n')}`);
      await sleep(200);
    }
  }
  const query = async (expr: string): Promise<Sample[]> => {
    const out = JSON.parse(promtool(['query', 'instant', '-o', 'json', url, expr])) as Array<{
      metric: Record<string, string>;
      value: [number, string];
    }>;
    return out.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
  };
  return {
    dir,
    query,
    async until(expr, done, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      let last: Sample[] = [];
      for (;;) {
        last = await query(expr);
        if (done(last)) return last;
        if (Date.now() > end) throw new Error(`timed out waiting on ${expr}; last result ${JSON.stringify(last)}`);
        await sleep(500);
      }
    },
    async targets() {
      const body = (await api('/api/v1/targets')) as {
        data: { activeTargets: Array<{ labels: { job: string; instance: string }; health: string; lastError: string }> };
      };
      return body.data.activeTargets.map((target) => ({
        job: target.labels.job,
        instance: target.labels.instance,
        health: target.health,
        lastError: target.lastError,
      }));
    },
  };
}
