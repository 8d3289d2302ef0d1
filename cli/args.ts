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

/** One command-line flag: how it is spelled, what --help says, and what it sets. */
interface Flag {
  readonly long: string;
  readonly short?: string;
  /** The value's name in --help and usage (PID, PORTS…); absent for a flag without a value. */
  readonly value?: string;
  /** --help's text, one string per line as printed (after the flag column). */
  readonly help: readonly string[];
  /** Sets what the flag means on `options`; `value` is the flag's value, '' for flags without one. */
  readonly apply: (options: Options, value: string, shown: string) => void;
}

function nonEmpty(shown: string, value: string, what: string): string {
  if (value === '') throw new UsageError(`${shown}: expected ${what}, got an empty value`);
  return value;
}

/**
 * Every flag, in --help order: the one table parsing, the usage line and --help come from,
 * so a new flag is one entry here (and its field in Options). Cross-flag rules (conflicts,
 * implications) are in parseArgs, after every flag has been read.
 */
const FLAGS: readonly Flag[] = [
  {
    long: 'help',
    short: 'h',
    help: ['show this help and exit'],
    apply: (o) => {
      o.help = true;
    },
  },
  {
    long: 'version',
    help: ['print the version and exit'],
    apply: (o) => {
      o.version = true;
    },
  },
  {
    long: 'time',
    short: 'T',
    help: ['prefix each line with the wall-clock time (HH:MM:SS)'],
    apply: (o) => {
      o.clockTime = true;
    },
  },
  {
    long: 'timestamp',
    short: 't',
    help: ['prefix each line with seconds since the first event'],
    apply: (o) => {
      o.relativeTime = true;
    },
  },
  {
    long: 'pid',
    short: 'p',
    value: 'PID',
    help: ['only accepts made by this process (TGID)'],
    apply: (o, v, shown) => {
      o.pid = parseWholeNumber(shown, v, 1, 4194304);
    },
  },
  {
    long: 'port',
    short: 'P',
    value: 'PORTS',
    help: ['only these local ports, comma separated (e.g. 80,443)'],
    apply: (o, v, shown) => {
      o.ports = parsePorts(shown, v);
    },
  },
  {
    long: 'ipv4',
    short: '4',
    help: ['only IPv4 (IPv4-mapped IPv6 peers count as IPv4)'],
    apply: (o) => {
      o.ipVersion = 4;
    },
  },
  {
    long: 'ipv6',
    short: '6',
    help: ['only IPv6'],
    apply: (o) => {
      o.ipVersion = 6;
    },
  },
  {
    long: 'queue-wait',
    short: 'q',
    help: [
      'add QWAIT(us): microseconds from handshake completion to accept();',
      'a connection reset by the client before accept() shows " RST"',
    ],
    apply: (o) => {
      o.queueWait = true;
    },
  },
  {
    long: 'json',
    help: ['one JSON object per line with every field (implies -q)'],
    apply: (o) => {
      o.json = true;
    },
  },
  {
    long: 'handshake',
    help: [
      'report at handshake completion from the sock:inet_sock_set_state',
      'tracepoint alone: catches accepts that bypass accept(2) (io_uring,',
      'in-kernel servers) and does not slow other syscalls; PID/COMM are',
      'those of the listening socket\'s owner, "-" when unknown',
    ],
    apply: (o) => {
      o.handshake = true;
    },
  },
  {
    long: 'duration',
    value: 'SECONDS',
    help: ['stop after SECONDS (a positive number)'],
    apply: (o, v, shown) => {
      o.durationSeconds = parseDuration(shown, v);
    },
  },
  {
    long: 'ebpf',
    help: ['print the BPF programs as annotated assembly and exit'],
    apply: (o) => {
      o.ebpf = true;
    },
  },
  {
    long: 'ffi',
    value: 'BACKEND',
    help: ['FFI backend: koffi (default) or ffi-napi'],
    apply: (o, v, shown) => {
      if (v !== 'koffi' && v !== 'ffi-napi') throw new UsageError(`${shown}: expected koffi or ffi-napi, got ${quoted(v)}`);
      o.ffi = v;
    },
  },
  {
    long: 'ring-pages',
    value: 'N',
    help: ['event ring size in 4 KiB pages per CPU, a power of two from 1 to', '4096 (default 256); raise it if "Possibly lost" appears'],
    apply: (o, v, shown) => {
      const pages = parseWholeNumber(shown, v, 1, 4096);
      if ((pages & (pages - 1)) !== 0) throw new UsageError(`${shown}: ${pages} is not a power of two (1, 2, 4, … 4096)`);
      o.ringPages = pages;
    },
  },
  {
    long: 'metrics',
    value: 'ADDR:PORT',
    help: [
      'serve Prometheus metrics at http://ADDR:PORT/metrics: accepted',
      'connections by local port, family and server comm, accept-queue',
      'wait histogram by local port (10 us .. 10 s), lost samples, events',
      'per second, build info. Binds only ADDR (0.0.0.0 for every IPv4',
      'interface, [::] for every interface, IPv6 in brackets); port 0',
      'picks a free port. The address is printed on stderr. Measures the',
      'queue wait as -q does (the table shows it only with -q)',
    ],
    apply: (o, v, shown) => {
      o.metrics = parseListenAddress(shown, v);
    },
  },
  {
    long: 'quiet',
    help: ['no per-event output, metrics only (needs --metrics)'],
    apply: (o) => {
      o.quiet = true;
    },
  },
  {
    long: 'cgroup',
    value: 'PATH',
    help: [
      'only accepts by tasks in this cgroup v2 directory or any cgroup',
      'below it (a Kubernetes pod and its containers, a systemd slice',
      'and its services), checked in the kernel with',
      'bpf_current_task_under_cgroup, e.g. /sys/fs/cgroup/system.slice',
      '(or under /sys/fs/cgroup/unified on hybrid hosts). Not with',
      '--handshake',
    ],
    apply: (o, v, shown) => {
      o.cgroupPath = nonEmpty(shown, v, 'a cgroup v2 directory');
    },
  },
  {
    long: 'cgroup-exact',
    value: 'PATH',
    help: [
      'only accepts by tasks in exactly this cgroup v2 directory, not',
      "its children (bpf_get_current_cgroup_id), e.g. a container's",
      'cgroup from the 0:: line of /proc/<pid>/cgroup',
    ],
    apply: (o, v, shown) => {
      o.cgroupExactPath = nonEmpty(shown, v, 'a cgroup v2 directory');
    },
  },
  {
    long: 'drops',
    help: [
      "also report each client the kernel dropped because the listener's",
      'accept queue was full: its handshake-completing ACK was thrown',
      'away (skb:kfree_skb, reason TCP_LISTEN_OVERFLOW; Linux 6.15+).',
      'Such rows end in " DROP"; PID/COMM are the listener\'s owner.',
      'On with --json where the kernel has it',
    ],
    apply: (o) => {
      o.drops = true;
    },
  },
  {
    long: 'listeners',
    help: [
      'every interval, a line per TCP listener whose drop counter grew',
      'or whose accept queue is at least half full: "LISTENER PID COMM',
      'ADDR:PORT queue N/MAX drops D (+new)", read through sock_diag',
      '(as ss -tlnm shows them; this network namespace only). With',
      '--json, an object for every matching listener',
    ],
    apply: (o) => {
      o.listeners = true;
    },
  },
  {
    long: 'count',
    short: 'c',
    help: [
      'instead of a line per connection, every interval and at exit a',
      "table of that interval's accepted connections per PID, TID, COMM",
      "and local address:port, counted in the kernel, with each row's",
      'share of its listener (an SO_REUSEPORT group counts as one',
      'listener) and the group\'s sockets. With --json, one "count" object',
      'per row per interval',
    ],
    apply: (o) => {
      o.count = true;
    },
  },
  {
    long: 'hist',
    short: 'H',
    help: [
      'every interval and at exit, a log2 histogram of the accept-queue',
      "wait (microseconds) per local port, counted in the kernel, in bcc's",
      'layout. With --json, one "histogram" object per port per interval.',
      'Combines with -c',
    ],
    apply: (o) => {
      o.hist = true;
    },
  },
  {
    long: 'interval',
    short: 'i',
    value: 'SECONDS',
    help: ['seconds between --listeners snapshots and -c/-H tables (default 1)'],
    apply: (o, v, shown) => {
      o.intervalSeconds = parseDuration(shown, v);
    },
  },
  {
    long: 'metrics-per-process',
    help: [
      'with -c and --metrics: label tcpaccept_accepted_connections_total',
      'with pid too (one series per worker process: more series)',
    ],
    apply: (o) => {
      o.metricsPerProcess = true;
    },
  },
  {
    long: 'netns',
    value: 'self|PATH',
    help: [
      'only sockets of this network namespace: self (the one ts-tcpaccept',
      "runs in, e.g. a pod's) or a namespace file such as /proc/PID/ns/net",
      "or /run/netns/NAME; checked in the kernel (the socket's",
      "skc_net->ns.inum against the file's inode). Tracepoints are",
      'host-wide: without it an agent in a namespace counts every',
      "namespace's accepts. --listeners and --handshake owners still come",
      "from ts-tcpaccept's own namespace",
    ],
    apply: (o, v, shown) => {
      o.netns = nonEmpty(shown, v, 'self or a network namespace file such as /proc/PID/ns/net');
    },
  },
  {
    long: 'web-config',
    value: 'FILE',
    help: [
      'TLS (certificate, key, optional client CA and client_auth_type) and',
      'basic-auth users with bcrypt hashes for --metrics, in the',
      "Prometheus exporter toolkit's format (node_exporter's",
      '--web.config.file); what it cannot honour is refused (exit 2)',
    ],
    apply: (o, v, shown) => {
      o.webConfig = nonEmpty(shown, v, 'a file');
    },
  },
  {
    long: 'cgroup-labels',
    help: [
      'who the server is, beyond PID and COMM: --json objects get',
      'cgroup_id, cgroup (the v2 path), container_id, container_runtime',
      'and pod_uid, and tcpaccept_accepted_connections_total the labels',
      'cgroup_id, cgroup, container_id and pod_uid (one series per',
      'container: more series). Docker, containerd, CRI-O and podman',
      'names under systemd or cgroupfs, Kubernetes pod slices. Read from',
      '/proc/PID/task/TID/cgroup; needs --json or --metrics',
    ],
    apply: (o) => {
      o.cgroupLabels = true;
    },
  },
  {
    long: 'self-test',
    help: [
      'check this kernel end to end: load and attach as usual, make one',
      'loopback connection to a server of its own, and say per stage what',
      'worked (programs loaded and attached, programs ran, record reached',
      'the ring, reader decoded it, row printed); exit 0 only when the row',
      'arrived. Combine with -q, --handshake, -4/-6 to test those modes',
    ],
    apply: (o) => {
      o.selfTest = true;
    },
  },
];

const BY_LONG = new Map(FLAGS.map((flag) => [flag.long, flag]));
const BY_SHORT = new Map(FLAGS.flatMap((flag) => (flag.short === undefined ? [] : [[flag.short, flag] as const])));

/** The usage line, wrapped at 80 columns: every flag, -4 and -6 as the alternatives they are. */
function usageLine(): string {
  const tokens: string[] = [];
  for (const flag of FLAGS) {
    if (flag.long === 'ipv6') continue;
    if (flag.long === 'ipv4') {
      tokens.push('[-4 | -6]');
      continue;
    }
    const name = flag.short === undefined ? `--${flag.long}` : `-${flag.short}`;
    tokens.push(`[${name}${flag.value === undefined ? '' : ` ${flag.value}`}]`);
  }
  const prefix = 'usage: ts-tcpaccept';
  const lines: string[] = [];
  let line = prefix;
  for (const token of tokens) {
    if (line.length + 1 + token.length > 80 && line.trim() !== '') {
      lines.push(line);
      line = ' '.repeat(prefix.length);
    }
    line += ` ${token}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/** --help's options section: the flag in a 24-column gutter, then its lines. */
function optionsHelp(): string {
  const lines: string[] = [];
  for (const flag of FLAGS) {
    const spelled = `  ${flag.short === undefined ? '' : `-${flag.short}, `}--${flag.long}${flag.value === undefined ? '' : ` ${flag.value}`}`;
    const [first = '', ...rest] = flag.help;
    lines.push(`${spelled.length < 24 ? spelled.padEnd(24) : `${spelled}  `}${first}`);
    for (const more of rest) lines.push(`${' '.repeat(24)}${more}`);
  }
  return lines.join('\n');
}

export const USAGE = usageLine();

export const HELP = `${USAGE}

Trace TCP accepts: one line per connection accepted by a server on this host, with the
accepting process, both addresses and ports, and (with -q) how long the connection waited
in the accept queue. Needs root, or CAP_BPF + CAP_PERFMON + CAP_DAC_READ_SEARCH (tracefs
is readable by root only).

options:
${optionsHelp()}

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
        throw new UsageError(
          options.ipVersion === (longName === 'ipv4' ? 4 : 6)
            ? `${shown} was given more than once`
            : '-4 and -6 cannot be combined (give at most one of them)',
        );
      }
      throw new UsageError(`${shown} was given more than once`);
    }
    seen.add(seenKey);
    BY_LONG.get(longName)!.apply(options, value ?? '', shown);
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
      const flag = BY_LONG.get(name);
      if (flag === undefined) throw new UsageError(`unknown option --${clip(name)} (see --help)`);
      if (flag.value === undefined && inline !== undefined) throw new UsageError(`--${clip(name)} takes no value`);
      apply(name, `--${name}`, flag.value !== undefined ? takeValue(`--${name}`, inline) : undefined);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // Bundled short flags: -Tt, -qp 123, -p123.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const flag = BY_SHORT.get(letter);
        if (flag === undefined) throw new UsageError(`unknown option -${letter} (see --help)`);
        if (flag.value !== undefined) {
          const rest = arg.slice(j + 1);
          apply(flag.long, `-${letter}`, takeValue(`-${letter}`, rest === '' ? undefined : rest));
          break;
        }
        apply(flag.long, `-${letter}`, undefined);
      }
    } else {
      throw new UsageError(`unexpected argument ${quoted(arg)}: ts-tcpaccept takes no positional arguments`);
    }
  }
  if (options.selfTest) {
    // The self-test makes its own connection to its own port in its own process: filters that
    // would hide it, and outputs other than one row, make no sense with it.
    const clash = (
      [
        'pid',
        'port',
        'cgroup',
        'cgroup-exact',
        'netns',
        'json',
        'metrics',
        'quiet',
        'duration',
        'ebpf',
        'drops',
        'listeners',
        'interval',
        'count',
        'hist',
      ] as const
    ).find((flag) => seen.has(flag));
    if (clash !== undefined) {
      throw new UsageError(
        `--self-test traces a connection of its own and cannot be combined with --${clash} ` +
          '(it takes -q, --handshake, -4/-6, -T, -t, --ffi and --ring-pages)',
      );
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
      const why =
        clash === 'handshake'
          ? 'they count in the accept program, which --handshake replaces'
          : clash === 'timestamp'
            ? 'there are no per-connection rows to time; -T prints a time line per interval'
            : clash === 'queue-wait'
              ? 'there is no QWAIT column; -H is the queue-wait summary'
              : clash === 'drops'
                ? 'drop events are rows; see --listeners or --metrics for drops'
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
  if (options.quiet && options.json)
    throw new UsageError('--quiet and --json cannot be combined: --quiet turns the per-event output off, --json is a per-event output');
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
    throw new UsageError(
      `${options.cgroupPath !== undefined ? '--cgroup' : '--cgroup-exact'} cannot be combined with --handshake: handshakes complete in softirq ` +
        'context, where the current task (and so its cgroup) is whatever ran on that CPU, not the server; ' +
        'use accept mode (the default), or -p PID',
    );
  }
  return options;
}
