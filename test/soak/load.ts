// Loopback TCP load for the hardening tests and the soak: a server that accepts (accept4 through
// libuv) and drops every connection, and clients that connect and reset (SO_LINGER 0), so no
// TIME_WAIT piles up and the ephemeral port range lasts forever. Either paced (`rate`
// connections per second) or as fast as `concurrency` connections in flight allow.
import { connect, createServer, type Server } from 'node:net';

export interface LoadOptions {
  /** Connections to make; stops early when `seconds` runs out. */
  total?: number;
  /** Stop after this long. */
  seconds?: number;
  /** Connections per second; unpaced (as fast as possible) when undefined. */
  rate?: number;
  /** Connections in flight at most. */
  concurrency?: number;
  /** Stops launching new connections once aborted. */
  signal?: AbortSignal;
  /** Called about once a second with the counts so far. */
  onProgress?: (progress: LoadProgress) => void;
}

export interface LoadProgress {
  elapsedMs: number;
  /** Connections the server's accept() returned. */
  accepted: number;
  /** Client connects that completed (the client saw the handshake). */
  connected: number;
  /** Client connects that failed (e.g. the accept queue overflowed and SYNs were dropped). */
  failed: number;
}

export class LoadServer {
  readonly server: Server;
  accepted = 0;

  private constructor(server: Server) {
    this.server = server;
    server.on('connection', (socket) => {
      this.accepted++;
      socket.on('error', () => {});
      socket.destroy();
    });
  }

  static async listen(host = '127.0.0.1'): Promise<LoadServer> {
    const server = createServer();
    const load = new LoadServer(server);
    // A deep backlog so bursts wait in the accept queue instead of being dropped.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: 0, backlog: 4096 }, () => resolve());
    });
    return load;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('server is not listening');
    return address.port;
  }

  /** Resolves once accepted reaches n, or rejects after timeoutMs. */
  async waitAccepted(n: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted < n) {
      if (Date.now() > deadline) throw new Error(`server accepted ${this.accepted} of ${n} connections`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One connect-and-reset; resolves true when the handshake completed. */
function connectAndReset(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.resetAndDestroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Drives connections at `server` until total or seconds is reached; returns the final counts. */
export async function runLoad(server: LoadServer, options: LoadOptions, host = '127.0.0.1'): Promise<LoadProgress> {
  const total = options.total ?? Number.POSITIVE_INFINITY;
  let endAt = options.seconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.seconds * 1000;
  options.signal?.addEventListener(
    'abort',
    () => {
      endAt = 0;
    },
    { once: true },
  );
  const concurrency = options.concurrency ?? 64;
  const started = Date.now();
  let launched = 0;
  let connected = 0;
  let failed = 0;
  let inFlight = 0;
  const progress = (): LoadProgress => ({ elapsedMs: Date.now() - started, accepted: server.accepted, connected, failed });
  let nextReport = started + 1000;

  await new Promise<void>((resolve) => {
    let finished = false;
    const finishIfDone = () => {
      if (!finished && inFlight === 0 && (launched >= total || Date.now() >= endAt)) {
        finished = true;
        clearInterval(ticker);
        resolve();
      }
    };
    const launch = () => {
      launched++;
      inFlight++;
      void connectAndReset(host, port).then((ok) => {
        inFlight--;
        if (ok) connected++;
        else failed++;
        if (options.rate === undefined) pump();
        finishIfDone();
      });
    };
    const port = server.port;
    // Unpaced: keep `concurrency` in flight. Paced: every 5 ms, launch what the schedule owes.
    const pump = () => {
      while (inFlight < concurrency && launched < total && Date.now() < endAt) launch();
    };
    const ticker = setInterval(() => {
      const now = Date.now();
      if (now >= nextReport) {
        nextReport += 1000;
        options.onProgress?.(progress());
      }
      if (options.rate !== undefined) {
        const owed = Math.min(total, Math.floor(((now - started) / 1000) * options.rate));
        while (launched < owed && inFlight < concurrency && now < endAt) launch();
      }
      finishIfDone();
    }, 5);
    if (options.rate === undefined) pump();
  });
  return progress();
}
