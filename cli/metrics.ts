// Prometheus metrics for --metrics: the tool's own Registry (never prom-client's global one, so
// that nothing else in the process can add to or clear it) served over plain HTTP.
//
// Label cardinality is bounded on purpose: local port, family and server comm are a handful of
// values per host; remote addresses and ports are not labels (one series per client would
// grow without bound) — they are in the --json event stream.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AcceptEvent, CountEntry, ListenerSnapshot, TaskCgroup } from '../src/internal.ts';
import type { ListenAddress } from './args.ts';
import { CGROUP_LABEL_NAMES, cgroupLabels } from './cgroup-labels.ts';
import type { WebConfig } from './web-config.ts';

/**
 * Upper bounds of the accept-queue wait histogram, in seconds: 1, 2.5 and 5 per decade from
 * 10 µs to 10 s. Written out rather than computed so that the `le` labels are exact decimals.
 * A loopback connection accepted by a server already blocked in accept() waits a few µs (first
 * bucket); a saturated server's backlog shows up in the millisecond to second buckets.
 */
export const QUEUE_WAIT_BUCKETS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Width of the window tcpaccept_events_per_second averages over. */
export const RATE_WINDOW_SECONDS = 10;

export const METRIC_NAMES = {
  accepted: 'tcpaccept_accepted_connections_total',
  queueWait: 'tcpaccept_accept_queue_wait_seconds',
  lost: 'tcpaccept_lost_samples_total',
  eventsPerSecond: 'tcpaccept_events_per_second',
  buildInfo: 'tcpaccept_build_info',
  listenQueueLength: 'tcpaccept_listen_queue_length',
  listenQueueMax: 'tcpaccept_listen_queue_max',
  listenDrops: 'tcpaccept_listen_drops_total',
  listenOverflowDrops: 'tcpaccept_listen_overflow_drops_total',
} as const;

/**
 * Events per second over the last `windowSeconds` complete seconds, from one counter per
 * second. Complete seconds only, so a scrape never sees a rate inflated by a partial second;
 * until the window has filled, it averages over the seconds that have passed.
 */
export class EventRateWindow {
  private readonly counts: number[];
  private readonly seconds: number[];
  private readonly startSecond: number;

  constructor(
    private readonly windowSeconds: number,
    private readonly nowMs: () => number = Date.now,
  ) {
    // One slot more than the window: the second being counted now.
    this.counts = new Array<number>(windowSeconds + 1).fill(0);
    this.seconds = new Array<number>(windowSeconds + 1).fill(-1);
    this.startSecond = Math.floor(nowMs() / 1000);
  }

  add(n = 1): void {
    const second = Math.floor(this.nowMs() / 1000);
    const slot = second % this.counts.length;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += n;
  }

  perSecond(): number {
    const now = Math.floor(this.nowMs() / 1000);
    const completeSeconds = Math.min(this.windowSeconds, now - this.startSecond);
    if (completeSeconds <= 0) return 0;
    let total = 0;
    for (let slot = 0; slot < this.counts.length; slot++) {
      const second = this.seconds[slot]!;
      if (second < now && second >= now - completeSeconds) total += this.counts[slot]!;
    }
    return total / completeSeconds;
  }
}

export interface BuildInfo {
  version: string;
  nodeVersion: string;
  ffiBackend: string;
  /** The tracer's mode: 'accept' or 'handshake' (after any fallback). */
  mode: string;
}

export interface AcceptMetricsOptions {
  /** Also export prom-client's process_* and nodejs_* metrics (the agent's own cost). */
  processMetrics?: boolean;
  /**
   * --metrics-per-process: label the accepted counter with the accepting pid as well. Off by
   * default: a pid per worker (and a new one per restart) multiplies the series.
   */
  perProcess?: boolean;
  /**
   * --cgroup-labels: label the accepted counter with the accepting task's cgroup id and path,
   * container id and pod uid. Off by default: one series per container (and per restart).
   */
  cgroupLabels?: boolean;
  nowMs?: () => number;
}

/** prom-client default gauges whose names end in _total; see AcceptMetrics' constructor. */
export const NON_COUNTER_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** The metrics of one tracer run. */
export class AcceptMetrics {
  readonly registry = new Registry();
  private readonly accepted: Counter<'local_port' | 'family' | 'comm' | 'pid' | (typeof CGROUP_LABEL_NAMES)[number]>;
  private readonly perProcess: boolean;
  private readonly withCgroup: boolean;
  private readonly queueWait: Histogram<'local_port'>;
  private readonly lost: Counter;
  private readonly buildInfo: Gauge<'version' | 'node_version' | 'ffi_backend' | 'mode'>;
  private readonly rate: EventRateWindow;
  private readonly listenQueue: Gauge<'local_port'>;
  private readonly listenQueueMax: Gauge<'local_port'>;
  private readonly listenDrops: Counter<'local_port'>;
  private readonly overflowDrops: Counter<'local_port'>;

  constructor(options: AcceptMetricsOptions = {}) {
    const registers = [this.registry];
    this.rate = new EventRateWindow(RATE_WINDOW_SECONDS, options.nowMs);
    this.perProcess = options.perProcess === true;
    this.withCgroup = options.cgroupLabels === true;
    this.accepted = new Counter({
      name: METRIC_NAMES.accepted,
      help: `TCP connections accepted, by local port, peer IP version (ipv4 includes IPv4-mapped IPv6 peers)${this.perProcess ? ', accepting process comm and pid (--metrics-per-process)' : ' and accepting process comm'}${this.withCgroup ? ', and its cgroup id and path, container id and pod uid (--cgroup-labels).' : '.'}`,
      labelNames: [
        ...(this.perProcess ? (['local_port', 'family', 'comm', 'pid'] as const) : (['local_port', 'family', 'comm'] as const)),
        ...(this.withCgroup ? CGROUP_LABEL_NAMES : []),
      ],
      registers,
    });
    this.queueWait = new Histogram({
      name: METRIC_NAMES.queueWait,
      help: 'Time from handshake completion to accept(), by local port. Accept mode only; connections whose handshake was not seen are not observed.',
      labelNames: ['local_port'] as const,
      buckets: [...QUEUE_WAIT_BUCKETS_SECONDS],
      registers,
    });
    this.lost = new Counter({
      name: METRIC_NAMES.lost,
      help: 'Events the kernel dropped because a perf ring was full (raise --ring-pages).',
      registers,
    });
    const rate = this.rate;
    new Gauge({
      name: METRIC_NAMES.eventsPerSecond,
      help: `Accepted connections per second over the last ${RATE_WINDOW_SECONDS} complete seconds. In PromQL prefer rate(${METRIC_NAMES.accepted}[1m]).`,
      registers,
      collect() {
        this.set(rate.perSecond());
      },
    });
    this.buildInfo = new Gauge({
      name: METRIC_NAMES.buildInfo,
      help: 'Always 1; the labels say which ts-tcpaccept, Node.js, FFI backend and tracer mode are running.',
      labelNames: ['version', 'node_version', 'ffi_backend', 'mode'] as const,
      registers,
    });
    this.listenQueue = new Gauge({
      name: METRIC_NAMES.listenQueueLength,
      help: "Connections waiting for accept() on the listeners of a local port (sk_ack_backlog, summed over the port's listeners), at the last snapshot.",
      labelNames: ['local_port'] as const,
      registers,
    });
    this.listenQueueMax = new Gauge({
      name: METRIC_NAMES.listenQueueMax,
      help: 'Accept-queue limit of the listeners of a local port (sk_max_ack_backlog, summed); a listener is full at its limit + 1.',
      labelNames: ['local_port'] as const,
      registers,
    });
    this.listenDrops = new Counter({
      name: METRIC_NAMES.listenDrops,
      help: "Growth of the kernel's drop counter (sk_drops) of the listeners of a local port since ts-tcpaccept started: SYNs refused at a full queue, ACKs dropped at a full queue, and other drops of the listening socket.",
      labelNames: ['local_port'] as const,
      registers,
    });
    this.overflowDrops = new Counter({
      name: METRIC_NAMES.listenOverflowDrops,
      help: 'Clients whose handshake-completing ACK the kernel dropped because the accept queue was full (skb:kfree_skb TCP_LISTEN_OVERFLOW events, Linux 6.15+).',
      labelNames: ['local_port'] as const,
      registers,
    });
    if (options.processMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client's nodejs_active_{handles,requests,resources}_total are gauges named like
      // counters, which `promtool check metrics` rejects (a _total suffix promises a counter to
      // rate()). They are only the sums of the per-type gauges of the same name without the
      // suffix (nodejs_active_handles{type=…}), so nothing is lost: sum() those instead.
      for (const name of NON_COUNTER_TOTALS) this.registry.removeSingleMetric(name);
    }
  }

  /** One listener snapshot: the queue gauges per port, and the drop counters' growth. */
  recordListeners(listeners: readonly ListenerSnapshot[]): void {
    const queue = new Map<string, number>();
    const queueMax = new Map<string, number>();
    for (const listener of listeners) {
      const port = String(listener.localPort);
      queue.set(port, (queue.get(port) ?? 0) + listener.queue);
      queueMax.set(port, (queueMax.get(port) ?? 0) + listener.queueMax);
      // A counter is created at 0 for every port seen, so rate() works from the first scrape.
      this.listenDrops.inc({ local_port: port }, Math.max(0, listener.dropsDelta ?? 0));
    }
    // Ports whose listeners went away drop out of the gauges.
    this.listenQueue.reset();
    this.listenQueueMax.reset();
    for (const [port, value] of queue) this.listenQueue.set({ local_port: port }, value);
    for (const [port, value] of queueMax) this.listenQueueMax.set({ local_port: port }, value);
  }

  setBuildInfo(info: BuildInfo): void {
    this.buildInfo.reset();
    this.buildInfo.set({ version: info.version, node_version: info.nodeVersion, ffi_backend: info.ffiBackend, mode: info.mode }, 1);
  }

  /** One event; `where` is the accepting task's cgroup, for --cgroup-labels. */
  recordEvent(event: AcceptEvent, where?: TaskCgroup): void {
    const localPort = String(event.localPort);
    if (event.source === 'drop') {
      this.overflowDrops.inc({ local_port: localPort });
      return;
    }
    const comm = event.comm === undefined || event.comm === '' ? '-' : event.comm;
    const labels = { local_port: localPort, family: event.ipVersion === 6 ? 'ipv6' : 'ipv4', comm };
    this.accepted.inc(this.withCgroup ? { ...labels, ...cgroupLabels(where) } : labels);
    if (event.queueWaitNs !== undefined) this.queueWait.observe({ local_port: localPort }, Number(event.queueWaitNs) / 1e9);
    this.rate.add();
  }

  /** -c: one row of an interval, `count` connections (the kernel counted them, not us). */
  recordCount(entry: CountEntry, count: number, where?: TaskCgroup): void {
    const labels = {
      local_port: String(entry.localPort),
      family: entry.ipVersion === 6 ? 'ipv6' : 'ipv4',
      comm: entry.comm === '' ? '-' : entry.comm,
    };
    const withPid = this.perProcess ? { ...labels, pid: String(entry.pid) } : labels;
    this.accepted.inc(this.withCgroup ? { ...withPid, ...cgroupLabels(where) } : withPid, count);
    this.rate.add(count);
  }

  recordLost(count: number): void {
    this.lost.inc(count);
  }

  /** The text exposition format, as served at /metrics. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}

export { packageVersion } from './version.ts';

export interface MetricsServer {
  /** The URL of the metrics page, with the port the kernel actually bound. */
  readonly url: string;
  close(): void;
}

/** `[::1]` for IPv6 so that the URL can be pasted into a browser or curl. */
function urlHost(address: string, family: string | number): string {
  return family === 'IPv6' || family === 6 ? `[${address}]` : address;
}

/**
 * Serves GET /metrics; resolves once listening, rejects with an actionable message when it
 * cannot bind. With a --web-config (cli/web-config.ts): HTTPS, client certificates, basic auth.
 */
export async function serveMetrics(metrics: AcceptMetrics, where: ListenAddress, web?: WebConfig): Promise<MetricsServer> {
  const webConfig = web === undefined ? undefined : await import('./web-config.ts');
  const auth = web?.users === undefined ? undefined : new webConfig!.BasicAuth(web.users);
  await auth?.ready();
  const serve = (request: IncomingMessage, response: ServerResponse) => {
    const tls = web?.tls;
    const refused = tls === undefined ? undefined : webConfig!.checkClientCertificate(tls, request);
    if (refused !== undefined) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end(`${refused}\n`);
      return;
    }
    if (auth === undefined) {
      handle(request, response);
      return;
    }
    auth.check(request).then(
      (ok) => {
        if (ok) handle(request, response);
        else
          response
            .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="ts-tcpaccept", charset="UTF-8"' })
            .end('Unauthorized\n');
      },
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`checking credentials failed: ${String(error)}\n`),
    );
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('ts-tcpaccept serves Prometheus metrics at /metrics\n');
      return;
    }
    metrics.exposition().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(error)}\n`),
    );
  };
  const server: Server =
    web?.tls === undefined ? createServer(serve) : (await import('node:https')).createServer(webConfig!.httpsOptions(web.tls), serve);
  const scheme = web?.tls === undefined ? 'http' : 'https';
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE'
          ? ': the port is taken (choose another, or 0 for any free port)'
          : error.code === 'EADDRNOTAVAIL'
            ? ': no interface of this host has that address'
            : error.code === 'EACCES'
              ? ': ports below 1024 need root or CAP_NET_BIND_SERVICE'
              : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
                ? ': the host name does not resolve'
                : '';
      reject(
        new Error(
          `--metrics: cannot listen on ${urlHost(where.host, where.host.includes(':') ? 6 : 4)}:${where.port}: ${error.code ?? error.message}${hint}`,
        ),
      );
    });
    server.listen({ host: where.host, port: where.port }, () => {
      const bound = server.address();
      const url =
        bound !== null && typeof bound === 'object'
          ? `${scheme}://${urlHost(bound.address, bound.family)}:${bound.port}/metrics`
          : `${scheme}://${where.host}:${where.port}/metrics`;
      // A scraper's keep-alive connection must not hold the process open after a signal.
      let closed = false;
      resolve({
        url,
        close() {
          if (closed) return;
          closed = true;
          server.close();
          server.closeAllConnections();
        },
      });
    });
  });
}
