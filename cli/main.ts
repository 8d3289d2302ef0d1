#!/usr/bin/env node
// ts-tcpaccept: the command line. Thin: parse, open the tracer, print, close on every way out.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  ListenerMonitor,
  TcpAcceptTracer,
  backendNameFromEnv,
  listenerNeedsAttention,
  cgroupIdOfPath,
  cgroupTreeOfPath,
  netnsInodeOfPath,
  monotonicToWallClockMs,
  missingPrivilegesReason,
  exitWithParent,
  watchProcessExit,
  type AcceptEvent,
  type CgroupTree,
  TaskCgroupResolver,
} from '../src/internal.ts';
import { cgroupJson } from './cgroup-labels.ts';
import { HELP, USAGE, UsageError, parseArgs, type Options } from './args.ts';
import { ebpfListing, tracerFiltersOf } from './plan.ts';
import { TableFormatter, listenerJson, listenerLine, toJson, writeJson } from './format.ts';
import { OutputBuffer } from './output.ts';
import { RecordJsonWriter, RecordRowWriter } from './record-row.ts';
import { CountIntervals, HistIntervals, countJson, countTable, histJson, histText, timeLine } from './summary.ts';
// cli/metrics.ts pulls in prom-client (~31 ms and ~5 MB at start-up, measured in bench/): it is
// imported only when --metrics asks for it.
import type { AcceptMetrics, MetricsServer } from './metrics.ts';

const PROGRAM = 'ts-tcpaccept';
/** The parent when we started: PR_SET_PDEATHSIG cannot tell a parent that died before the call. */
const parentAtStart = process.ppid;

/**
 * The npm process that `npx`/`npm exec` started us from: the nearest ancestor (at most four
 * levels up) whose title npm set to "npm exec ..." / "npm-cli ..."; undefined when none is.
 */
function npmAncestor(): number | undefined {
  let pid = process.ppid;
  for (let level = 0; level < 4 && pid > 1; level++) {
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (title[0] === 'npm' || /^npm( |$)/.test(title[0] ?? '') || /npm-cli\.js$/.test(title[1] ?? '')) return pid;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
/** signal(7) */
const SIGTERM = 15;

/**
 * Longest a record may sit in a perf ring before it is read (the reader's flush timer; the
 * kernel wakes us early once a quarter of a ring fills). Every line then reaches stdout within
 * about this long of the accept, which is what a log shipper tailing --json sees.
 */
const RING_FLUSH_INTERVAL_MS = 50;

function fail(message: string, code: number): never {
  process.stderr.write(`${PROGRAM}: ${message}\n`);
  process.exit(code);
}

function parseOrExit(argv: string[]): Options {
  try {
    return parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${USAGE}\n`);
      fail(`error: ${error.message}`, 2);
    }
    throw error;
  }
}

/** Where to find BTF and tracefs, when the environment says otherwise than the defaults. */
function kernelPaths(): { btfPath?: string; tracefsRoot?: string } {
  const paths: { btfPath?: string; tracefsRoot?: string } = {};
  if (process.env.TS_TCPACCEPT_BTF) paths.btfPath = process.env.TS_TCPACCEPT_BTF;
  if (process.env.TS_TCPACCEPT_TRACEFS) paths.tracefsRoot = process.env.TS_TCPACCEPT_TRACEFS;
  return paths;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const options = parseOrExit(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (options.version) {
    const { packageVersion } = await import('./version.ts');
    process.stdout.write(`ts-tcpaccept ${packageVersion()}\n`);
    return;
  }
  if (options.ffi !== undefined) process.env.TS_TCPACCEPT_FFI = options.ffi;

  let cgroupId: bigint | undefined;
  let cgroupTree: CgroupTree | undefined;
  try {
    if (options.cgroupExactPath !== undefined) cgroupId = cgroupIdOfPath(options.cgroupExactPath);
    if (options.cgroupPath !== undefined) cgroupTree = cgroupTreeOfPath(options.cgroupPath);
  } catch (error) {
    process.stderr.write(`${USAGE}\n`);
    fail(`error: ${options.cgroupPath !== undefined ? '--cgroup' : '--cgroup-exact'}: ${errorText(error)}`, 2);
  }
  let netnsInode: number | undefined;
  if (options.netns !== undefined) {
    try {
      netnsInode = netnsInodeOfPath(options.netns);
    } catch (error) {
      process.stderr.write(`${USAGE}\n`);
      fail(`error: --netns: ${errorText(error)}`, 2);
    }
  }
  const tracerFilters = tracerFiltersOf(options, cgroupId, netnsInode, cgroupTree);

  if (options.ebpf) {
    try {
      process.stdout.write(ebpfListing(tracerFilters, kernelPaths()));
    } catch (error) {
      fail(errorText(error), 1);
    }
    return;
  }

  const privilegeProblem = missingPrivilegesReason();
  if (privilegeProblem !== undefined) fail(privilegeProblem, 1);
  // Started by npx (npm exec), the tool is npm's grandchild, and npm passes no signal on: when
  // whoever started us goes away, end as on SIGTERM, closing everything.
  if (!exitWithParent(SIGTERM, parentAtStart)) fail('the process that started ts-tcpaccept has already exited', 1);
  // npx/npm exec runs us through a shell that outlives a SIGKILLed npm: watch npm itself too.
  const npm = process.env.npm_command === 'exec' ? npmAncestor() : undefined;
  let npmWatch: { close(): void } | undefined;

  if (options.selfTest) {
    const { runSelfTest } = await import('./self-test.ts');
    const passed = await runSelfTest(
      { queueWait: options.queueWait, handshake: options.handshake, ipVersion: options.ipVersion },
      { ...kernelPaths(), ...(options.ringPages === undefined ? {} : { ring: { dataPages: options.ringPages } }) },
      options,
      (line) => process.stdout.write(`${line}\n`),
    );
    process.stdout.write(
      passed ? 'self-test passed\n' : 'self-test FAILED: the first FAIL line above says where; please report it with this output\n',
    );
    process.exitCode = passed ? 0 : 1;
    return;
  }

  // Listen before loading anything: a port that is taken should fail before the probes attach.
  let metrics: AcceptMetrics | undefined;
  let metricsServer: MetricsServer | undefined;
  let packageVersion: (() => string) | undefined;
  if (options.metrics !== undefined) {
    const { AcceptMetrics, serveMetrics, packageVersion: version } = await import('./metrics.ts');
    packageVersion = version;
    metrics = new AcceptMetrics({ processMetrics: true, perProcess: options.metricsPerProcess, cgroupLabels: options.cgroupLabels });
    let web: import('./web-config.ts').WebConfig | undefined;
    if (options.webConfig !== undefined) {
      // A file that cannot be honoured is a usage error: nothing is served, nothing loaded.
      const { loadWebConfig, WebConfigError } = await import('./web-config.ts');
      try {
        web = loadWebConfig(options.webConfig);
      } catch (error) {
        if (error instanceof WebConfigError) {
          process.stderr.write(`${USAGE}\n`);
          fail(`error: --web-config: ${error.message}`, 2);
        }
        throw error;
      }
    }
    try {
      metricsServer = await serveMetrics(metrics, options.metrics, web);
    } catch (error) {
      fail(errorText(error), 1);
    }
  }

  const formatter = new TableFormatter(options);
  const cgroups = options.cgroupLabels ? new TaskCgroupResolver() : undefined;
  const host = hostname();
  // Rows are written as bytes into one buffer (cli/output.ts) and leave in one write per drain.
  const pending = new OutputBuffer();
  let flushScheduled = false;
  let tracer: TcpAcceptTracer | undefined;
  let monitor: ListenerMonitor | undefined;
  let monitorTimer: NodeJS.Timeout | undefined;
  let closing = false;
  // -c / -H: the tables of the in-kernel summaries, per interval and once more at exit.
  const summary = options.count || options.hist;
  const countIntervals = new CountIntervals();
  const histIntervals = new HistIntervals();
  let intervalStartMs = Date.now();
  let summaryTimer: NodeJS.Timeout | undefined;
  const reportSummary = () => {
    if (!summary || tracer === undefined) return;
    const nowMs = Date.now();
    const context = { wallTimeMs: nowMs, intervalSeconds: (nowMs - intervalStartMs) / 1000, hostname: host };
    intervalStartMs = nowMs;
    // Our own metrics scrapes are accepts too: leave them out, as the row mode does.
    const rows = options.count
      ? countIntervals.take(tracer.readCounts().filter((e) => metricsServer === undefined || e.pid !== process.pid))
      : [];
    const hists = options.hist ? histIntervals.take(tracer.readHistogram()) : [];
    for (const row of rows) metrics?.recordCount(row.entry, row.count, cgroups?.of(row.entry.pid, row.entry.tid));
    if (options.quiet) return;
    if (options.json) {
      for (const row of rows) {
        const json =
          cgroups === undefined
            ? countJson(row, context)
            : { ...countJson(row, context), ...cgroupJson(cgroups.of(row.entry.pid, row.entry.tid)) };
        pending.text(`${JSON.stringify(json)}\n`);
      }
      for (const hist of hists) pending.text(`${JSON.stringify(histJson(hist, context))}\n`);
    } else {
      if (options.clockTime) pending.text(`\n${timeLine(context)}`);
      if (options.count) pending.text(rows.length === 0 ? '(no connections accepted)\n' : countTable(rows));
      if (options.hist) pending.text(hists.length === 0 ? '\n(no queue waits measured)\n' : histText(hists));
      if (!options.clockTime) pending.text('\n');
    }
    flush();
  };

  // Lines from one drain of the rings go out in one write; stdout to a pipe or file is
  // synchronous on Linux, so each batch is on its way before the next drain starts.
  const flush = () => {
    flushScheduled = false;
    if (pending.length === 0) return;
    process.stdout.write(pending.take());
  };
  const scheduleFlush = () => {
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  const shutdown = (code: number) => {
    if (closing) return;
    closing = true;
    try {
      clearInterval(summaryTimer);
      // The last interval ends now: its counts go out before the maps are closed.
      if (code === 0) reportSummary();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') process.stderr.write(`${PROGRAM}: ${errorText(error)}\n`);
    }
    try {
      flush();
    } catch {
      // stdout is gone (EPIPE): nothing more to say there.
    }
    try {
      // The ring buffer's loss counter is read every 500 ms; read it once more before leaving.
      const late = tracer?.pollLost() ?? 0;
      if (late > 0) process.stderr.write(`Possibly lost ${late} samples\n`);
      metricsServer?.close();
      clearInterval(monitorTimer);
      npmWatch?.close();
      monitor?.close();
      tracer?.close();
      // Events that waited for a listener-owner scan are delivered as the tracer closes.
      flush();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') process.stderr.write(`${PROGRAM}: ${errorText(error)}\n`);
    } finally {
      process.exit(code);
    }
  };

  if (npm !== undefined) {
    try {
      npmWatch = watchProcessExit(npm, () => shutdown(0));
    } catch {
      // No pidfd (Linux < 5.3): PR_SET_PDEATHSIG still covers a SIGTERMed npx.
    }
  }
  // A bug in the event path must end like any other failure: one line, everything closed.
  process.on('uncaughtException', (error) => {
    process.stderr.write(`${PROGRAM}: internal error: ${errorText(error)}\n`);
    shutdown(1);
  });
  process.on('SIGINT', () => (closing ? process.exit(130) : shutdown(0)));
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGHUP', () => shutdown(0));
  // `ts-tcpaccept | head -1`: the reader went away; that is a normal end, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') shutdown(0);
    else {
      process.stderr.write(`${PROGRAM}: writing output failed: ${error.message}\n`);
      shutdown(1);
    }
  });

  const onEvent = (event: AcceptEvent) => {
    // Our own accepts are the metrics scrapes: reporting them would only measure the scraper.
    if (metricsServer !== undefined && event.pid === process.pid) return;
    // --cgroup-labels: the accepting task's cgroup (the listener owner's, for handshakes and drops).
    const where = cgroups?.of(event.pid, event.tid);
    metrics?.recordEvent(event, where);
    if (options.quiet) return;
    // Drops come along for --json and --metrics; the table shows them only with --drops.
    if (event.source === 'drop' && !options.drops && !options.json) return;
    const context = { wallTimeMs: monotonicToWallClockMs(event.timestampNs), hostname: host };
    // --json without labels: the bytes of JSON.stringify(toJson()), written in place (cli/format.ts).
    if (options.json) {
      if (cgroups === undefined) writeJson(event, context, pending);
      else pending.text(JSON.stringify({ ...toJson(event, context), ...cgroupJson(where) }));
    } else formatter.writeRow(event, context, pending);
    pending.newline();
    scheduleFlush();
  };

  // Nothing but the line wanted from an accept (no metrics, no cgroup labels): lines straight
  // from the ring's bytes, with no event object (cli/record-row.ts). The tracer then hands the
  // other records (handshakes, drops) to onEvent in the ring's order too.
  // With -t, a table that also shows decoded rows (handshakes, drops) keeps them all on the
  // formatter, whose first timestamp is the one every row counts from.
  const mixedRows = options.relativeTime && !options.json && (options.handshake || options.drops);
  const lineWriter =
    options.quiet || metrics !== undefined || cgroups !== undefined || mixedRows
      ? undefined
      : options.json
        ? new RecordJsonWriter(host)
        : new RecordRowWriter(options);
  const onAcceptRecord =
    lineWriter === undefined
      ? undefined
      : (record: Uint8Array) => {
          lineWriter.write(record, pending);
          pending.newline();
          scheduleFlush();
        };

  try {
    tracer = TcpAcceptTracer.open({
      ...tracerFilters,
      ...(onAcceptRecord === undefined ? {} : { onAcceptRecord }),
      ...kernelPaths(),
      ring: {
        flushIntervalMs: RING_FLUSH_INTERVAL_MS,
        ...(options.ringPages === undefined ? {} : { dataPages: options.ringPages }),
      },
      onEvent,
      onLost: (count) => {
        metrics?.recordLost(count);
        process.stderr.write(`Possibly lost ${count} samples\n`);
      },
      onError: (error) => {
        process.stderr.write(`${PROGRAM}: ${errorText(error)}\n`);
        shutdown(1);
      },
    });
  } catch (error) {
    fail(errorText(error), 1);
  }
  for (const notice of tracer.notices) {
    // --json asks for drop events only where the kernel has them: no notice unless --drops was given.
    if (!options.drops && notice.startsWith('no drop events')) continue;
    process.stderr.write(`${PROGRAM}: ${notice}\n`);
  }
  if (options.handshake && options.queueWait && !options.json) {
    process.stderr.write(
      `${PROGRAM}: QWAIT is "-" in --handshake mode: rows are reported when the handshake completes, before the accept\n`,
    );
  }
  if (metrics !== undefined && metricsServer !== undefined) {
    metrics.setBuildInfo({ version: packageVersion!(), nodeVersion: process.version, ffiBackend: backendNameFromEnv(), mode: tracer.mode });
    process.stderr.write(`${PROGRAM}: serving Prometheus metrics at ${metricsServer.url}\n`);
  }
  // The header is the ready signal: the probes are attached once it is out.
  if (summary) {
    const what = [options.count ? 'counts per thread and listener (-c)' : '', options.hist ? 'queue-wait histograms per port (-H)' : '']
      .filter(Boolean)
      .join(' and ');
    const every = options.intervalSeconds ?? 1;
    process.stderr.write(
      `Tracing TCP accepts: ${what}${options.quiet ? ' for --metrics only' : ''}, every ${every} s and at exit. Ctrl-C to end.\n`,
    );
    intervalStartMs = Date.now();
    summaryTimer = setInterval(reportSummary, every * 1000);
  } else if (options.quiet) process.stderr.write('Tracing TCP accepts: metrics only (--quiet). Ctrl-C to end.\n');
  else if (options.json) process.stderr.write('Tracing TCP accepts: one JSON object per line. Ctrl-C to end.\n');
  else process.stdout.write(`${formatter.header()}\n`);
  // --metrics carries the listener gauges, so it takes snapshots too; only --listeners prints them.
  if (options.listeners || metrics !== undefined) {
    try {
      monitor = ListenerMonitor.open({
        pid: options.pid,
        ports: options.ports,
        ipVersion: options.ipVersion,
        cgroupId,
        cgroupTree: cgroupTree?.path,
      });
    } catch (error) {
      process.stderr.write(`${PROGRAM}: --listeners: ${errorText(error)}\n`);
      shutdown(1);
      return;
    }
    const snapshots = monitor;
    const takeSnapshot = () => {
      const listeners = snapshots.snapshot();
      metrics?.recordListeners(listeners);
      if (!options.listeners || options.quiet) return;
      const context = { wallTimeMs: Date.now(), hostname: host };
      for (const listener of listeners) {
        if (options.json) pending.text(JSON.stringify(listenerJson(listener, context)));
        else if (listenerNeedsAttention(listener)) pending.text(listenerLine(listener, context, options));
        else continue;
        pending.newline();
      }
      scheduleFlush();
    };
    takeSnapshot();
    monitorTimer = setInterval(takeSnapshot, (options.intervalSeconds ?? 1) * 1000);
  }
  if (options.durationSeconds !== undefined) {
    setTimeout(() => shutdown(0), options.durationSeconds * 1000);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${PROGRAM}: ${errorText(error)}\n`);
  process.exit(1);
});
