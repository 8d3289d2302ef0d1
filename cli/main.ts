#!/usr/bin/env node
// ts-tcpaccept: the command line. Thin: parse, open the tracer, print, close on every way out.
import { hostname } from 'node:os';
import {
  TcpAcceptTracer,
  describePlan,
  planPrograms,
  monotonicToWallClockMs,
  missingPrivilegesReason,
  type AcceptEvent,
} from '../src/index.ts';
import { HELP, USAGE, UsageError, parseArgs, type Options } from './args.ts';
import { TableFormatter, toJson } from './format.ts';

const PROGRAM = 'ts-tcpaccept';

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
  if (options.ffi !== undefined) process.env.TS_TCPACCEPT_FFI = options.ffi;

  if (options.ebpf) {
    try {
      process.stdout.write(describePlan(planPrograms({ ...options, ...kernelPaths() })));
    } catch (error) {
      fail(errorText(error), 1);
    }
    return;
  }

  const privilegeProblem = missingPrivilegesReason();
  if (privilegeProblem !== undefined) fail(privilegeProblem, 1);

  const formatter = new TableFormatter(options);
  const host = hostname();
  let pending: string[] = [];
  let flushScheduled = false;
  let tracer: TcpAcceptTracer | undefined;
  let closing = false;

  // Lines from one drain of the rings go out in one write; stdout to a pipe or file is
  // synchronous on Linux, so each batch is on its way before the next drain starts.
  const flush = () => {
    flushScheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    process.stdout.write(text);
  };
  const emit = (line: string) => {
    pending.push(line);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  const shutdown = (code: number) => {
    if (closing) return;
    closing = true;
    try {
      flush();
    } catch {
      // stdout is gone (EPIPE): nothing more to say there.
    }
    try {
      tracer?.close();
    } finally {
      process.exit(code);
    }
  };

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
    const context = { wallTimeMs: monotonicToWallClockMs(event.timestampNs), hostname: host };
    emit(options.json ? JSON.stringify(toJson(event, context)) : formatter.row(event, context));
  };

  try {
    tracer = TcpAcceptTracer.open({
      pid: options.pid,
      ports: options.ports,
      ipVersion: options.ipVersion,
      queueWait: options.queueWait,
      handshake: options.handshake,
      ...kernelPaths(),
      ...(options.ringPages === undefined ? {} : { ring: { dataPages: options.ringPages } }),
      onEvent,
      onLost: (count) => process.stderr.write(`Possibly lost ${count} samples\n`),
      onError: (error) => {
        process.stderr.write(`${PROGRAM}: ${errorText(error)}\n`);
        shutdown(1);
      },
    });
  } catch (error) {
    fail(errorText(error), 1);
  }
  for (const notice of tracer.notices) process.stderr.write(`${PROGRAM}: ${notice}\n`);
  // The header is the ready signal: the probes are attached once it is out.
  if (options.json) process.stderr.write('Tracing TCP accepts: one JSON object per line. Ctrl-C to end.\n');
  else process.stdout.write(`${formatter.header()}\n`);
  if (options.durationSeconds !== undefined) {
    setTimeout(() => shutdown(0), options.durationSeconds * 1000);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${PROGRAM}: ${errorText(error)}\n`);
  process.exit(1);
});
