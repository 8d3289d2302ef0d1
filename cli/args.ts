// Command-line parsing for ts-tcpaccept. Pure: it turns argv into Options or a UsageError
// whose one-line message the CLI prints before exiting 2 — before any kernel object exists.
// Values only ever become numbers checked against their range; no argument becomes code.
import { createRequire } from 'node:module';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Echoes an argument in a message, cut short so that a huge one still leaves one readable line. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function quoted(text: string): string {
  return JSON.stringify(clip(text));
}

export interface Options {
  help: boolean;
  /** --version: print the package version and exit. */
  version: boolean;
  /** -T: prefix HH:MM:SS wall-clock time. */
  clockTime: boolean;
  /** -t: prefix seconds since the first event. */
  relativeTime: boolean;
  pid: number | undefined;
  ports: number[] | undefined;
  ipVersion: 4 | 6 | undefined;
  /** -q: measure and print the accept-queue wait. */
  queueWait: boolean;
  json: boolean;
  /** Report at handshake completion from sock:inet_sock_set_state alone. */
  handshake: boolean;
  durationSeconds: number | undefined;
  ebpf: boolean;
  ffi: 'koffi' | 'ffi-napi' | undefined;
  /** Ring size in pages per CPU (a power of two); default 256. */
  ringPages: number | undefined;
  /** --metrics: where to serve Prometheus metrics over HTTP. */
  metrics: ListenAddress | undefined;
  /** --quiet: no per-event output (metrics only). */
  quiet: boolean;
  /** --cgroup: a cgroup v2 directory; only accepts by tasks in it or in a cgroup below it. */
  cgroupPath: string | undefined;
  /** --cgroup-exact: a cgroup v2 directory; only accepts by tasks in exactly that cgroup. */
  cgroupExactPath: string | undefined;
  /** --web-config: TLS and basic auth for --metrics (Prometheus exporter-toolkit format). */
  webConfig: string | undefined;
  /** --cgroup-labels: the accepting task's cgroup and container in --json and the metrics. */
  cgroupLabels: boolean;
  /** --netns: `self` or a network namespace file; only sockets of that namespace. */
  netns: string | undefined;
  /** --self-test: trace one loopback connection of our own and say what worked, stage by stage. */
  selfTest: boolean;
  /** --drops: report clients the kernel dropped because a listener's accept queue was full. */
  drops: boolean;
  /** --listeners: snapshot every TCP listener's accept queue each interval (sock_diag). */
  listeners: boolean;
  /** -i: seconds between --listeners snapshots and -c/-H summaries (default 1). */
  intervalSeconds: number | undefined;
  /** -c: per interval, accepted connections per thread and listener, counted in the kernel. */
  count: boolean;
  /** -H: per interval, log2 histograms of the accept-queue wait per local port. */
  hist: boolean;
  /** --metrics-per-process: add a pid label to tcpaccept_accepted_connections_total (needs -c). */
  metricsPerProcess: boolean;
}

/** An address to listen on: a host name, an IPv4 address or an IPv6 address (without brackets). */
export interface ListenAddress {
  host: string;
  /** 0 lets the kernel choose; the CLI prints the port it got. */
  port: number;
}

export const USAGE = `usage: ts-tcpaccept [-h] [-T] [-t] [-p PID] [-P PORTS] [-4 | -6] [-q] [--json]
                    [--handshake] [--duration SECONDS] [--ebpf] [--ffi BACKEND]
                    [--ring-pages N] [--metrics ADDR:PORT] [--quiet] [--cgroup PATH]
                    [--cgroup-exact PATH]
                    [--drops] [--listeners] [-c] [-H] [-i SECONDS]
                    [--metrics-per-process] [--netns self|PATH] [--cgroup-labels] [--web-config FILE]
                    [--self-test]`;

export const HELP = `${USAGE}

Trace TCP accepts: one line per connection accepted by a server on this host, with the
accepting process, both addresses and ports, and (with -q) how long the connection waited
in the accept queue. Needs root, or CAP_BPF + CAP_PERFMON + CAP_DAC_READ_SEARCH (tracefs
is readable by root only).

options:
  -h, --help            show this help and exit
  --version             print the version and exit
  -T, --time            prefix each line with the wall-clock time (HH:MM:SS)
  -t, --timestamp       prefix each line with seconds since the first event
  -p, --pid PID         only accepts made by this process (TGID)
  -P, --port PORTS      only these local ports, comma separated (e.g. 80,443)
  -4, --ipv4            only IPv4 (IPv4-mapped IPv6 peers count as IPv4)
  -6, --ipv6            only IPv6
  -q, --queue-wait      add QWAIT(us): microseconds from handshake completion to accept();
                        a connection reset by the client before accept() shows " RST"
  --json                one JSON object per line with every field (implies -q)
  --handshake           report at handshake completion from the sock:inet_sock_set_state
                        tracepoint alone: catches accepts that bypass accept(2) (io_uring,
                        in-kernel servers) and does not slow other syscalls; PID/COMM are
                        those of the listening socket's owner, "-" when unknown
  --duration SECONDS    stop after SECONDS (a positive number)
  --ebpf                print the BPF programs as annotated assembly and exit
  --ffi BACKEND         FFI backend: koffi (default) or ffi-napi
  --ring-pages N        event ring size in 4 KiB pages per CPU, a power of two from 1 to
                        4096 (default 256); raise it if "Possibly lost" appears
  --metrics ADDR:PORT   serve Prometheus metrics at http://ADDR:PORT/metrics: accepted
                        connections by local port, family and server comm, accept-queue
                        wait histogram by local port (10 us .. 10 s), lost samples, events
                        per second, build info. Binds only ADDR (0.0.0.0 for every IPv4
                        interface, [::] for every interface, IPv6 in brackets); port 0
                        picks a free port. The address is printed on stderr. Measures the
                        queue wait as -q does (the table shows it only with -q)
  --quiet               no per-event output, metrics only (needs --metrics)
  --cgroup PATH         only accepts by tasks in this cgroup v2 directory or any cgroup
                        below it (a Kubernetes pod and its containers, a systemd slice
                        and its services), checked in the kernel with
                        bpf_current_task_under_cgroup, e.g. /sys/fs/cgroup/system.slice
                        (or under /sys/fs/cgroup/unified on hybrid hosts). Not with
                        --handshake
  --cgroup-exact PATH   only accepts by tasks in exactly this cgroup v2 directory, not
                        its children (bpf_get_current_cgroup_id), e.g. a container's
                        cgroup from the 0:: line of /proc/<pid>/cgroup
  --drops               also report each client the kernel dropped because the listener's
                        accept queue was full: its handshake-completing ACK was thrown
                        away (skb:kfree_skb, reason TCP_LISTEN_OVERFLOW; Linux 6.15+).
                        Such rows end in " DROP"; PID/COMM are the listener's owner.
                        On with --json where the kernel has it
  --listeners           every interval, a line per TCP listener whose drop counter grew
                        or whose accept queue is at least half full: "LISTENER PID COMM
                        ADDR:PORT queue N/MAX drops D (+new)", read through sock_diag
                        (as ss -tlnm shows them; this network namespace only). With
                        --json, an object for every matching listener
  -c, --count           instead of a line per connection, every interval and at exit a
                        table of that interval's accepted connections per PID, TID, COMM
                        and local address:port, counted in the kernel, with each row's
                        share of its listener (an SO_REUSEPORT group counts as one
                        listener) and the group's sockets. With --json, one "count" object
                        per row per interval
  -H, --hist            every interval and at exit, a log2 histogram of the accept-queue
                        wait (microseconds) per local port, counted in the kernel, in bcc's
                        layout. With --json, one "histogram" object per port per interval.
                        Combines with -c
  -i, --interval SECONDS  seconds between --listeners snapshots and -c/-H tables (default 1)
  --metrics-per-process with -c and --metrics: label tcpaccept_accepted_connections_total
                        with pid too (one series per worker process: more series)
  --netns self|PATH     only sockets of this network namespace: self (the one ts-tcpaccept
                        runs in, e.g. a pod's) or a namespace file such as /proc/PID/ns/net
                        or /run/netns/NAME; checked in the kernel (the socket's
                        skc_net->ns.inum against the file's inode). Tracepoints are
                        host-wide: without it an agent in a namespace counts every
                        namespace's accepts. --listeners and --handshake owners still come
                        from ts-tcpaccept's own namespace
  --web-config FILE     TLS (certificate, key, optional client CA and client_auth_type) and
                        basic-auth users with bcrypt hashes for --metrics, in the
                        Prometheus exporter toolkit's format (node_exporter's
                        --web.config.file); what it cannot honour is refused (exit 2)
  --cgroup-labels       who the server is, beyond PID and COMM: --json objects get
                        cgroup_id, cgroup (the v2 path), container_id, container_runtime
                        and pod_uid, and tcpaccept_accepted_connections_total the labels
                        cgroup_id, cgroup, container_id and pod_uid (one series per
                        container: more series). Docker, containerd, CRI-O and podman
                        names under systemd or cgroupfs, Kubernetes pod slices. Read from
                        /proc/PID/task/TID/cgroup; needs --json or --metrics
  --self-test           check this kernel end to end: load and attach as usual, make one
                        loopback connection to a server of its own, and say per stage what
                        worked (programs loaded and attached, programs ran, record reached
                        the ring, reader decoded it, row printed); exit 0 only when the row
                        arrived. Combine with -q, --handshake, -4/-6 to test those modes

environment:
  TS_TCPACCEPT_BTF      kernel BTF file (default /sys/kernel/btf/vmlinux); when it cannot
                        be read, ts-tcpaccept falls back to --handshake mode with a notice
  TS_TCPACCEPT_TRACEFS  tracefs root (default: /sys/kernel/tracing, then
                        /sys/kernel/debug/tracing, mounting tracefs if neither has events/)
  TS_TCPACCEPT_FFI      FFI backend, as --ffi

examples:
  ts-tcpaccept               # trace all TCP accepts
  ts-tcpaccept -T -q         # with wall-clock time and accept-queue wait
  ts-tcpaccept -p 181        # only PID 181
  ts-tcpaccept -P 80,443     # only local ports 80 and 443
  ts-tcpaccept --json | jq   # machine-readable events
  ts-tcpaccept --metrics 127.0.0.1:9100 --quiet   # Prometheus metrics only
  ts-tcpaccept --cgroup /sys/fs/cgroup/unified/system.slice/nginx.service

exit status: 0 after SIGINT, SIGTERM, SIGHUP, SIGPIPE or --duration (130 when a second
SIGINT arrives while closing); 1 on a runtime error (e.g. not permitted, or writing the
output failed); 2 on a usage error.`;

interface FlagSpec {
  readonly takesValue: boolean;
}

const LONG: Readonly<Record<string, FlagSpec>> = {
  help: { takesValue: false },
  version: { takesValue: false },
  time: { takesValue: false },
  timestamp: { takesValue: false },
  pid: { takesValue: true },
  port: { takesValue: true },
  ipv4: { takesValue: false },
  ipv6: { takesValue: false },
  'queue-wait': { takesValue: false },
  json: { takesValue: false },
  handshake: { takesValue: false },
  duration: { takesValue: true },
  ebpf: { takesValue: false },
  ffi: { takesValue: true },
  'ring-pages': { takesValue: true },
  metrics: { takesValue: true },
  quiet: { takesValue: false },
  cgroup: { takesValue: true },
  'cgroup-exact': { takesValue: true },
  netns: { takesValue: true },
  'cgroup-labels': { takesValue: false },
  'web-config': { takesValue: true },
  'self-test': { takesValue: false },
  drops: { takesValue: false },
  listeners: { takesValue: false },
  interval: { takesValue: true },
  count: { takesValue: false },
  hist: { takesValue: false },
  'metrics-per-process': { takesValue: false },
};

const SHORT: Readonly<Record<string, string>> = {
  h: 'help',
  T: 'time',
  t: 'timestamp',
  p: 'pid',
  P: 'port',
  '4': 'ipv4',
  '6': 'ipv6',
  q: 'queue-wait',
  i: 'interval',
  c: 'count',
  H: 'hist',
};

function parseWholeNumber(flag: string, text: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got ${quoted(text)}`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag}: ${clip(text)} is out of range (${min} to ${max})`);
  }
  return value;
}

function parsePorts(flag: string, text: string): number[] {
  if (text === '') throw new UsageError(`${flag}: expected a comma-separated list of ports, got an empty value`);
  const ports = text.split(',').map((part, index) => {
    if (part === '') {
      throw new UsageError(`${flag}: empty port at position ${index + 1} in ${quoted(text)}`);
    }
    return parseWholeNumber(flag, part, 1, 65535);
  });
  return [...new Set(ports)];
}

function parseDuration(flag: string, text: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) {
    throw new UsageError(`${flag}: expected a positive number of seconds, got ${quoted(text)}`);
  }
  const value = Number(text);
  // setTimeout's limit is 2^31-1 ms; a longer duration would fire at once.
  if (!(value > 0) || value * 1000 > 2 ** 31 - 1) {
    throw new UsageError(`${flag}: ${clip(text)} is out of range (more than 0, at most 2147483 seconds)`);
  }
  return value;
}

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * node:net, loaded only to check a --metrics address: importing it at the top cost every
 * start 1.6 ms (it pulls in streams and dns), for a flag most runs do not use.
 */
function net(): typeof import('node:net') {
  return createRequire(import.meta.url)('node:net') as typeof import('node:net');
}

/** host:port, [ipv6]:port; a missing host is refused so that nothing binds where nobody said. */
export function parseListenAddress(flag: string, text: string): ListenAddress {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') {
      throw new UsageError(`${flag}: expected [IPv6]:PORT, e.g. [::1]:9100, got ${quoted(text)}`);
    }
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!net().isIPv6(host)) throw new UsageError(`${flag}: ${quoted(host)} is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new UsageError(`${flag}: expected ADDR:PORT, e.g. 127.0.0.1:9100, got ${quoted(text)}`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) {
      throw new UsageError(`${flag}: put an IPv6 address in brackets, e.g. [${host}]:${portText}`);
    }
    if (host === '') {
      throw new UsageError(`${flag}: give the address to bind, e.g. 127.0.0.1:${portText || 9100} (0.0.0.0 for every IPv4 interface)`);
    }
    if (!net().isIPv4(host) && (/^[0-9.]+$/.test(host) || !HOST_NAME.test(host))) {
      throw new UsageError(`${flag}: ${quoted(host)} is neither an IPv4 address nor a host name`);
    }
  }
  if (portText === '') throw new UsageError(`${flag}: missing port after ${quoted(text)} (0 picks a free one)`);
  return { host, port: parseWholeNumber(flag, portText, 0, 65535) };
}

export function defaultOptions(): Options {
  return {
    help: false,
    version: false,
    clockTime: false,
    relativeTime: false,
    pid: undefined,
    ports: undefined,
    ipVersion: undefined,
    queueWait: false,
    json: false,
    handshake: false,
    durationSeconds: undefined,
    ebpf: false,
    ffi: undefined,
    ringPages: undefined,
    metrics: undefined,
    quiet: false,
    cgroupPath: undefined,
    cgroupExactPath: undefined,
    netns: undefined,
    cgroupLabels: false,
    webConfig: undefined,
    selfTest: false,
    drops: false,
    listeners: false,
    intervalSeconds: undefined,
    count: false,
    hist: false,
    metricsPerProcess: false,
  };
}

/** Parses argv (without node and the script). Throws UsageError with one line to print. */
export function parseArgs(argv: readonly string[]): Options {
  const options = defaultOptions();
  const seen = new Set<string>();

  const apply = (longName: string, shown: string, value: string | undefined): void => {
    const seenKey = longName === 'ipv4' || longName === 'ipv6' ? 'ip' : longName;
    if (seen.has(seenKey)) {
      if (seenKey === 'ip') {
        throw new UsageError(options.ipVersion === (longName === 'ipv4' ? 4 : 6)
          ? `${shown} was given more than once`
          : '-4 and -6 cannot be combined (give at most one of them)');
      }
      throw new UsageError(`${shown} was given more than once`);
    }
    seen.add(seenKey);
    switch (longName) {
      case 'help': options.help = true; break;
      case 'version': options.version = true; break;
      case 'time': options.clockTime = true; break;
      case 'timestamp': options.relativeTime = true; break;
      case 'pid': options.pid = parseWholeNumber(shown, value!, 1, 4194304); break;
      case 'port': options.ports = parsePorts(shown, value!); break;
      case 'ipv4': options.ipVersion = 4; break;
      case 'ipv6': options.ipVersion = 6; break;
      case 'queue-wait': options.queueWait = true; break;
      case 'json': options.json = true; break;
      case 'handshake': options.handshake = true; break;
      case 'duration': options.durationSeconds = parseDuration(shown, value!); break;
      case 'ebpf': options.ebpf = true; break;
      case 'ffi':
        if (value !== 'koffi' && value !== 'ffi-napi') {
          throw new UsageError(`${shown}: expected koffi or ffi-napi, got ${quoted(value ?? '')}`);
        }
        options.ffi = value;
        break;
      case 'ring-pages': {
        const pages = parseWholeNumber(shown, value!, 1, 4096);
        if ((pages & (pages - 1)) !== 0) throw new UsageError(`${shown}: ${pages} is not a power of two (1, 2, 4, … 4096)`);
        options.ringPages = pages;
        break;
      }
      case 'metrics': options.metrics = parseListenAddress(shown, value!); break;
      case 'quiet': options.quiet = true; break;
      case 'cgroup':
        if (value === '') throw new UsageError(`${shown}: expected a cgroup v2 directory, got an empty value`);
        options.cgroupPath = value;
        break;
      case 'cgroup-exact':
        if (value === '') throw new UsageError(`${shown}: expected a cgroup v2 directory, got an empty value`);
        options.cgroupExactPath = value;
        break;
      case 'netns':
        if (value === '') throw new UsageError(`${shown}: expected self or a network namespace file such as /proc/PID/ns/net, got an empty value`);
        options.netns = value;
        break;
      case 'cgroup-labels': options.cgroupLabels = true; break;
      case 'web-config':
        if (value === '') throw new UsageError(`${shown}: expected a file, got an empty value`);
        options.webConfig = value;
        break;
      case 'self-test': options.selfTest = true; break;
      case 'drops': options.drops = true; break;
      case 'listeners': options.listeners = true; break;
      case 'interval': options.intervalSeconds = parseDuration(shown, value!); break;
      case 'count': options.count = true; break;
      case 'hist': options.hist = true; break;
      case 'metrics-per-process': options.metricsPerProcess = true; break;
      default:
        throw new UsageError(`unknown option ${shown}`);
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const takeValue = (shown: string, inline: string | undefined): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${shown} needs a value`);
      i++;
      return next;
    };
    if (arg.startsWith('--')) {
      if (arg === '--') throw new UsageError('unexpected "--": ts-tcpaccept takes no positional arguments');
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const spec = Object.hasOwn(LONG, name) ? LONG[name] : undefined;
      if (spec === undefined) throw new UsageError(`unknown option --${clip(name)} (see --help)`);
      if (!spec.takesValue && inline !== undefined) throw new UsageError(`--${clip(name)} takes no value`);
      apply(name, `--${name}`, spec.takesValue ? takeValue(`--${name}`, inline) : undefined);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // Bundled short flags: -Tt, -qp 123, -p123.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const name = Object.hasOwn(SHORT, letter) ? SHORT[letter] : undefined;
        if (name === undefined) throw new UsageError(`unknown option -${letter} (see --help)`);
        const spec = LONG[name]!;
        if (spec.takesValue) {
          const rest = arg.slice(j + 1);
          apply(name, `-${letter}`, takeValue(`-${letter}`, rest === '' ? undefined : rest));
          break;
        }
        apply(name, `-${letter}`, undefined);
      }
    } else {
      throw new UsageError(`unexpected argument ${quoted(arg)}: ts-tcpaccept takes no positional arguments`);
    }
  }
  if (options.selfTest) {
    // The self-test makes its own connection to its own port in its own process: filters that
    // would hide it, and outputs other than one row, make no sense with it.
    const clash = (['pid', 'port', 'cgroup', 'cgroup-exact', 'netns', 'json', 'metrics', 'quiet', 'duration', 'ebpf', 'drops', 'listeners', 'interval', 'count', 'hist'] as const).find((flag) => seen.has(flag));
    if (clash !== undefined) {
      throw new UsageError(`--self-test traces a connection of its own and cannot be combined with --${clash} ` +
        '(it takes -q, --handshake, -4/-6, -T, -t, --ffi and --ring-pages)');
    }
  }
  if (options.intervalSeconds !== undefined && !options.listeners && !options.count && !options.hist) {
    throw new UsageError('-i/--interval sets how often --listeners takes its snapshots and -c/-H print their tables: it needs one of them');
  }
  const summary = options.count || options.hist;
  if (summary) {
    const what = options.count && options.hist ? '-c and -H' : options.count ? '-c' : '-H';
    // Summaries replace the per-connection rows: the flags that shape those rows do not apply.
    const clash = (['handshake', 'timestamp', 'queue-wait', 'drops', 'listeners'] as const).find((flag) => seen.has(flag));
    if (clash !== undefined) {
      const why = clash === 'handshake' ? 'they count in the accept program, which --handshake replaces'
        : clash === 'timestamp' ? 'there are no per-connection rows to time; -T prints a time line per interval'
        : clash === 'queue-wait' ? 'there is no QWAIT column; -H is the queue-wait summary'
        : clash === 'drops' ? 'drop events are rows; see --listeners or --metrics for drops'
        : 'both print on the interval; run --listeners separately';
      throw new UsageError(`${what} cannot be combined with --${clash}: ${why}`);
    }
  }
  if (options.metricsPerProcess && !(options.count && options.metrics !== undefined)) {
    throw new UsageError('--metrics-per-process adds a pid label to the counts of -c: it needs -c and --metrics ADDR:PORT');
  }
  if (options.json && !summary) options.queueWait = true;
  if (options.ebpf && options.durationSeconds !== undefined) {
    throw new UsageError('--ebpf prints the programs and exits; it cannot be combined with --duration');
  }
  if (options.quiet && options.json) throw new UsageError('--quiet and --json cannot be combined: --quiet turns the per-event output off, --json is a per-event output');
  if (options.quiet && options.metrics === undefined) {
    throw new UsageError('--quiet leaves the metrics as the only output: it needs --metrics ADDR:PORT');
  }
  if (options.webConfig !== undefined && options.metrics === undefined) {
    throw new UsageError('--web-config sets up TLS and authentication for the metrics server: it needs --metrics ADDR:PORT');
  }
  if (options.cgroupLabels && !options.json && options.metrics === undefined) {
    throw new UsageError('--cgroup-labels adds fields to --json and labels to --metrics: it needs one of them');
  }
  if (options.cgroupPath !== undefined && options.cgroupExactPath !== undefined) {
    throw new UsageError('--cgroup and --cgroup-exact cannot be combined: --cgroup PATH already includes PATH itself; give one of them');
  }
  if ((options.cgroupPath !== undefined || options.cgroupExactPath !== undefined) && options.handshake) {
    throw new UsageError(`${options.cgroupPath !== undefined ? '--cgroup' : '--cgroup-exact'} cannot be combined with --handshake: handshakes complete in softirq ` +
      "context, where the current task (and so its cgroup) is whatever ran on that CPU, not the server; " +
      'use accept mode (the default), or -p PID');
  }
  return options;
}
