// --self-test: for a user on a kernel nobody here tested. Loads and attaches exactly as a
// normal run does, then makes one loopback connection to a server in this very process and
// reports each stage on the way to a printed row, so "a header followed by silence" always
// comes with the stage that failed. Exits 0 only when the row arrived and is right.
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { release } from 'node:os';
import {
  TcpAcceptTracer,
  backendNameFromEnv,
  enableStats,
  monotonicToWallClockMs,
  type AcceptEvent,
  type PlanOptions,
  type StatsHandle,
  type TcpAcceptFilters,
} from '../src/internal.ts';
import { TableFormatter, type FormatOptions } from './format.ts';

/** How long the record may take from the accept to the reader (the flush timer is 50 ms). */
const EVENT_TIMEOUT_MS = 3000;

type Write = (line: string) => void;

interface Stage {
  ok: boolean;
  text: string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function listen(ipVersion: 4 | 6 | undefined): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ipVersion === 6 ? '::1' : '127.0.0.1', () => resolve(server));
  });
}

function connect(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The comm the kernel keeps for this process: /proc/self/comm, 15 characters at most. */
async function ownComm(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  return readFileSync('/proc/self/comm', 'utf8').trimEnd();
}

/**
 * Runs the self-test and writes its report with `write`, one line per call. Resolves true when
 * every stage passed. Never throws for a kernel problem: that is a failed stage.
 */
export async function runSelfTest(
  filters: Pick<TcpAcceptFilters, 'queueWait' | 'handshake' | 'ipVersion'>,
  kernel: Pick<PlanOptions, 'btfPath' | 'tracefsRoot' | 'ring'>,
  format: FormatOptions,
  write: Write,
): Promise<boolean> {
  const stages: Stage[] = [];
  const report = (ok: boolean, text: string): boolean => {
    stages.push({ ok, text });
    write(`  ${ok ? 'ok  ' : 'FAIL'}  ${text}`);
    return ok;
  };
  const notReached = (...what: string[]) => {
    for (const text of what) write(`  --    ${text}: not reached`);
  };
  const mode = filters.handshake ? 'handshake' : 'accept';
  write(
    `ts-tcpaccept self-test: Linux ${release()} (${process.arch}), Node ${process.version}, FFI ${backendNameFromEnv()}, ${mode} mode${filters.queueWait ? ' with -q' : ''}`,
  );

  let server: Server | undefined;
  let client: Socket | undefined;
  let tracer: TcpAcceptTracer | undefined;
  let stats: StatsHandle | undefined;
  const accepted: Socket[] = [];
  try {
    try {
      server = await listen(filters.ipVersion);
    } catch (error) {
      report(false, `a loopback server of our own: ${errorText(error)} (is the loopback interface up? \`ip link set lo up\`)`);
      return false;
    }
    const { address, port } = server.address() as AddressInfo;
    server.on('connection', (socket) => accepted.push(socket));

    // run_cnt is kept only while BPF stats are on; without them (Linux < 5.8) that stage says so.
    let statsNote: string | undefined;
    try {
      stats = enableStats();
    } catch (error) {
      statsNote = errorText(error);
    }

    const events: AcceptEvent[] = [];
    try {
      tracer = TcpAcceptTracer.open({
        ...filters,
        ...kernel,
        ports: [port],
        onEvent: (event) => events.push(event),
        onError: (error) => report(false, `reading the rings: ${errorText(error)}`),
      });
    } catch (error) {
      report(false, `load and attach: ${errorText(error)}`);
      notReached('programs ran', 'record reached the ring', 'reader decoded it', 'row printed');
      return false;
    }
    for (const notice of tracer.notices) write(`  note  ${notice}`);
    const planned = tracer.plan.programs;
    report(
      true,
      `programs loaded and verified: ${planned.map((p) => `${p.name} (${p.program.instructionCount} instructions)`).join(', ')}; records through ${tracer.output === 'ringbuf' ? 'a BPF ring buffer' : 'per-CPU perf rings'}`,
    );
    report(true, `attached to ${[...new Set(planned.flatMap((p) => p.attachTo.map((tp) => `${tp.group}:${tp.event}`)))].join(', ')}`);

    try {
      client = await connect(address, port);
    } catch (error) {
      report(false, `a connection to our server at ${address}:${port}: ${errorText(error)}`);
      return false;
    }
    const clientPort = client.localPort!;
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    while (events.length === 0 && Date.now() < deadline) await sleep(10);
    report(accepted.length > 0, `this process accepted a loopback connection ${address}:${clientPort} -> ${address}:${port}`);

    const programs = tracer.loadedPrograms();
    if (stats !== undefined) {
      const runs = programs.map((program) => ({ name: program.info().name, runs: program.info().runCnt }));
      const ran = runs.some((r) => r.runs > 0n);
      report(
        ran,
        `programs ran: ${runs.map((r) => `${r.name} ${r.runs} times`).join(', ')}${ran ? '' : ' — the tracepoints never fired: is something else holding them, or does this kernel not reach them on accept?'}`,
      );
    } else {
      write(`  --    programs ran: unknown (BPF stats could not be enabled: ${statsNote})`);
    }

    const records = tracer.recordsRead;
    if (
      !report(
        records > 0,
        `record reached the ring: ${records} read${records > 0 ? '' : ` in ${EVENT_TIMEOUT_MS} ms — the program ran but did not emit (it filtered the connection out, or the output failed; lost so far: ${tracer.lost})`}`,
      )
    ) {
      notReached('reader decoded it', 'row printed');
      return false;
    }
    const event = events.find((e) => e.localPort === port && e.remotePort === clientPort);
    const comm = await ownComm();
    const expected = `pid ${process.pid}, comm ${comm}, ${address}:${port} <- ${address}:${clientPort}`;
    const seen =
      event === undefined
        ? `${events.length} event(s), none for port ${port}`
        : `pid ${event.pid ?? '-'}, comm ${event.comm ?? '-'}, ${event.localAddr}:${event.localPort} <- ${event.remoteAddr}:${event.remotePort}`;
    const right =
      event !== undefined &&
      event.pid === process.pid &&
      event.comm === comm &&
      event.localAddr === address &&
      event.remoteAddr === address;
    if (!report(right, `reader decoded it: ${seen}${right ? '' : ` (expected ${expected})`}`)) {
      notReached('row printed');
      return false;
    }
    if (filters.queueWait && filters.handshake) {
      write('  --    queue wait: not measured in --handshake mode (rows are reported when the handshake completes, before any accept)');
    } else if (filters.queueWait) {
      const waited = event!.queueWaitNs;
      report(
        waited !== undefined,
        `queue wait measured: ${waited === undefined ? 'none (the handshake program did not record the handshake)' : `${waited / 1000n} us`}`,
      );
    }
    const formatter = new TableFormatter(format);
    const context = { wallTimeMs: monotonicToWallClockMs(event!.timestampNs), hostname: '' };
    write(`        ${formatter.header()}`);
    write(`        ${formatter.row(event!, context)}`);
    report(true, 'row printed');
    return stages.every((stage) => stage.ok);
  } finally {
    client?.destroy();
    for (const socket of accepted) socket.destroy();
    server?.close();
    tracer?.close();
    stats?.close();
  }
}
