// `promtool check metrics` (Prometheus's own linter: names, types, help, units) on the whole
// exposition, every metric family populated, prom-client's process and Node.js metrics included.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { AcceptMetrics, NON_COUNTER_TOTALS } from '../../cli/metrics.ts';
import type { AcceptEvent } from '../../src/internal.ts';
import { prometheusUnavailableReason } from '../helpers/prometheus.ts';

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

const skip = prometheusUnavailableReason();

for (const perProcess of [false, true]) {
  t.test(
    `promtool check metrics passes${perProcess ? ' with --metrics-per-process' : ''}`,
    skip === undefined ? {} : { skip },
    async (t) => {
      const metrics = new AcceptMetrics({ processMetrics: true, perProcess });
      metrics.setBuildInfo({ version: '0.1.0', nodeVersion: process.version, ffiBackend: 'koffi', mode: 'accept' });
      metrics.recordEvent(event());
      metrics.recordEvent(event({ source: 'drop', queueWaitNs: undefined }));
      metrics.recordCount(
        {
          pid: 1,
          tid: 1,
          comm: 'nginx',
          localAddr: '127.0.0.1',
          localPort: 8080,
          ipVersion: 4,
          family: 2,
          listener: 0n,
          group: 0n,
          groupSize: 0,
          count: 1,
        } as never,
        3,
      );
      metrics.recordLost(1);
      metrics.recordListeners([{ localPort: 8080, queue: 1, queueMax: 8, dropsDelta: 2 } as never]);
      const text = await metrics.exposition();
      for (const name of NON_COUNTER_TOTALS) t.notMatch(text, new RegExp(`^${name} `, 'm'), `${name} is not exported`);
      t.match(text, /^nodejs_active_handles\{/m, 'the per-type gauges it sums stay');
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      t.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
    },
  );
}
