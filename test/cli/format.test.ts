import t from 'tap';
import { TableFormatter, listenerLine, toJson } from '../../cli/format.ts';
import type { AcceptEvent } from '../../src/internal.ts';

const event = (over: Partial<AcceptEvent> = {}): AcceptEvent => ({
  timestampNs: 5_000_000_000n,
  queueWaitNs: 1_234_567n,
  pid: 1234,
  tid: 1235,
  comm: 'a-very-long-command-name',
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
const ctx = { wallTimeMs: new Date(2026, 10, 25, 14, 5, 9, 250).getTime(), hostname: 'node-1' };

t.test('BCC columns and widths', async (t) => {
  const f = new TableFormatter({ clockTime: false, relativeTime: false, queueWait: false });
  t.equal(f.header(), 'PID     COMM         IP RADDR            RPORT LADDR            LPORT');
  t.equal(f.row(event(), ctx), '1234    a-very-long- 4  127.0.0.2        51000 127.0.0.1        8080 ');
});

t.test('-T then -t prefixes, -q suffix with RST and unknown wait', async (t) => {
  const f = new TableFormatter({ clockTime: true, relativeTime: true, queueWait: true });
  t.equal(f.header(), 'TIME     TIME(s)  PID     COMM         IP RADDR            RPORT LADDR            LPORT QWAIT(us)');
  t.equal(f.row(event(), ctx), '14:05:09 0.000    1234    a-very-long- 4  127.0.0.2        51000 127.0.0.1        8080  1234');
  const later = f.row(event({ timestampNs: 6_500_000_000n, queueWaitNs: undefined, state: 'CLOSE' }), ctx);
  t.equal(later, '14:05:09 1.500    1234    a-very-long- 4  127.0.0.2        51000 127.0.0.1        8080  - RST');
});

t.test('unknown owner prints "-"; IPv6 addresses fit', async (t) => {
  const f = new TableFormatter({ clockTime: false, relativeTime: false, queueWait: false });
  const row = f.row(
    event({
      pid: undefined,
      tid: undefined,
      comm: undefined,
      ipVersion: 6,
      family: 10,
      localAddr: '::1',
      remoteAddr: '::1',
      source: 'handshake',
    }),
    ctx,
  );
  t.equal(row, '-       -            6  ::1              51000 ::1              8080 ');
});

t.test('JSON fields', async (t) => {
  t.same(toJson(event(), ctx), {
    event: 'accept',
    time: new Date(ctx.wallTimeMs).toISOString(),
    monotonic_ns: '5000000000',
    hostname: 'node-1',
    mode: 'accept',
    source: 'accept',
    pid: 1234,
    tid: 1235,
    comm: 'a-very-long-command-name',
    ip: 4,
    family: 'AF_INET',
    raddr: '127.0.0.2',
    rport: 51000,
    laddr: '127.0.0.1',
    lport: 8080,
    state: 'ESTABLISHED',
    queue_wait_us: 1234,
  });
  const io = toJson(event({ source: 'io_uring' }), ctx);
  if (io.event !== 'accept') throw new Error('an io_uring accept is an accept object');
  t.same([io.mode, io.source], ['accept', 'io_uring'], 'an io_uring accept: accept mode, source io_uring');
  const hs = toJson(
    event({ pid: undefined, tid: undefined, comm: undefined, queueWaitNs: undefined, family: 10, ipVersion: 6, source: 'handshake' }),
    ctx,
  );
  if (hs.event !== 'accept') throw new Error('a handshake is an accept object');
  t.same([hs.pid, hs.tid, hs.comm, hs.queue_wait_us, hs.family, hs.mode], [null, null, null, null, 'AF_INET6', 'handshake']);
});

t.test('cached clock and ISO text equal what Date prints', async (t) => {
  const { clock, isoTime } = await import('../../cli/format.ts');
  const base = Date.UTC(2026, 10, 25, 23, 59, 58, 0);
  for (const offset of [0, 1, 999, 1000, 1001, 1999.6, 2000, 86_400_000 + 5, -1, 250.25]) {
    const ms = base + offset;
    const d = new Date(ms);
    t.equal(isoTime(ms), d.toISOString(), `iso at +${offset}`);
    const two = (n: number) => String(n).padStart(2, '0');
    t.equal(clock(ms), `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`, `clock at +${offset}`);
  }
});

t.test('a drop row ends in DROP; the listener line', async (t) => {
  const drop = event({ source: 'drop', tid: undefined, queueWaitNs: undefined, state: 'LISTEN', comm: 'python3' });
  t.match(new TableFormatter({ clockTime: false, relativeTime: false, queueWait: false }).row(drop, ctx), / DROP$/);
  t.match(
    new TableFormatter({ clockTime: false, relativeTime: false, queueWait: true }).row(drop, ctx),
    / - DROP$/,
    'QWAIT - then DROP with -q',
  );
  const listener = {
    family: 6 as const,
    localAddr: '::',
    localPort: 80,
    queue: 9,
    queueMax: 8,
    drops: 24,
    inode: 1,
    uid: 0,
    cgroupId: undefined,
    owner: { pid: 5, comm: 'nginx' },
    dropsDelta: 12,
  };
  t.equal(listenerLine(listener, ctx, { clockTime: false }), 'LISTENER 5 nginx [::]:80 queue 9/8 drops 24 (+12)');
  t.equal(
    listenerLine({ ...listener, family: 4, localAddr: '0.0.0.0', owner: undefined, drops: undefined }, ctx, { clockTime: false }),
    'LISTENER - - 0.0.0.0:80 queue 9/8 drops -',
  );
});
