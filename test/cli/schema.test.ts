// schema/event.schema.json against toJson() of synthetic events (every mode and family), and
// the mistakes it must catch. The e2e test validates real --json output with the same schema.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { listenerJson, toJson, type JsonEvent } from '../../cli/format.ts';
import type { AcceptEvent, CountEntry, ListenerSnapshot } from '../../src/internal.ts';
import { countJson, histJson } from '../../cli/summary.ts';
import { cgroupJson } from '../../cli/cgroup-labels.ts';

/** The fields --cgroup-labels adds to accept, drop and count objects: in the schema, not required. */
const CGROUP_FIELDS = Object.keys(cgroupJson(undefined));

const schemaPath = new URL('../../schema/event.schema.json', import.meta.url);

const event = (over: Partial<AcceptEvent> = {}): AcceptEvent => ({
  timestampNs: 9_123_456_789_012_345_678n,
  queueWaitNs: 1_234_567n,
  pid: 1234,
  tid: 1235,
  comm: 'nginx',
  ipVersion: 4,
  family: 2,
  localAddr: '127.0.0.1',
  localPort: 8080,
  remoteAddr: '10.0.0.255',
  remotePort: 51000,
  state: 'ESTABLISHED',
  source: 'accept',
  ...over,
});
const ctx = { wallTimeMs: Date.UTC(2026, 0, 2, 3, 4, 5, 678), hostname: 'node-1' };

const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
const errors = () => ajv.errorsText(validate.errors);

t.test('every field of toJson is in the schema and required', async (t) => {
  const schema = (
    JSON.parse(readFileSync(schemaPath, 'utf8')) as { $defs: { accept: { required: string[]; properties: Record<string, unknown> } } }
  ).$defs.accept;
  const fields = Object.keys(toJson(event(), ctx)).sort();
  t.same([...schema.required].sort(), fields);
  t.same(Object.keys(schema.properties).sort(), [...fields, ...CGROUP_FIELDS].sort());
});

t.test('--cgroup-labels fields: known and unknown values validate, bad ones do not', async (t) => {
  const id = 'ab'.repeat(32);
  const where = {
    path: `/system.slice/docker-${id}.scope`,
    id: 12345n,
    container: { id, runtime: 'docker' as const },
    pod: { uid: '6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', qos: 'burstable' as const },
  };
  for (const fields of [cgroupJson(where), cgroupJson(undefined)]) {
    t.ok(validate({ ...toJson(event(), ctx), ...fields }), errors());
    t.ok(
      validate({ ...toJson(event({ source: 'drop', tid: undefined, queueWaitNs: undefined, state: 'LISTEN' }), ctx), ...fields }),
      errors(),
    );
    t.ok(validate({ ...countJson({ entry: countEntry, count: 1, share: 1, groupId: undefined }, intervalCtx), ...fields }), errors());
  }
  t.notOk(validate({ ...toJson(event(), ctx), ...cgroupJson(where), container_id: 'ABC' }), 'a container id is 64 lower-case hex digits');
  t.notOk(validate({ ...toJson(event(), ctx), ...cgroupJson(where), cgroup_id: 12345 }), 'a cgroup id is a decimal string');
});

const valid: Array<[string, AcceptEvent]> = [
  ['IPv4 accept with queue wait', event()],
  ['IPv6 accept', event({ ipVersion: 6, family: 10, localAddr: '::1', remoteAddr: 'fd00:1:2::abcd' })],
  ['IPv4-mapped peer on an IPv6 socket', event({ ipVersion: 4, family: 10 })],
  ['reset before accept', event({ state: 'CLOSE', queueWaitNs: undefined })],
  ['unknown state number', event({ state: 'STATE_42' })],
  ['handshake mode, owner known', event({ source: 'handshake', tid: undefined, queueWaitNs: undefined })],
  [
    'handshake mode, owner unknown',
    event({ source: 'handshake', pid: undefined, tid: undefined, comm: undefined, queueWaitNs: undefined }),
  ],
  ['empty comm (kernel thread)', event({ comm: '' })],
];
for (const [name, e] of valid) {
  t.test(`valid: ${name}`, async (t) => {
    t.ok(validate(JSON.parse(JSON.stringify(toJson(e, ctx)))), errors());
  });
}

const broken: Array<[string, (j: Record<string, unknown>) => void]> = [
  [
    'missing hostname',
    (j) => {
      delete j.hostname;
    },
  ],
  [
    'extra field',
    (j) => {
      j.extra = 1;
    },
  ],
  [
    'monotonic_ns as a number',
    (j) => {
      j.monotonic_ns = 5;
    },
  ],
  [
    'time without Z',
    (j) => {
      j.time = '2026-01-02T03:04:05.678';
    },
  ],
  [
    'port 0',
    (j) => {
      j.lport = 0;
    },
  ],
  [
    'port 65536',
    (j) => {
      j.rport = 65536;
    },
  ],
  [
    'ip 5',
    (j) => {
      j.ip = 5;
    },
  ],
  [
    'IPv6 text with ip 4',
    (j) => {
      j.raddr = '::1';
    },
  ],
  [
    'IPv4 text with ip 6',
    (j) => {
      j.ip = 6;
      j.family = 'AF_INET6';
    },
  ],
  [
    'ip 6 on an AF_INET socket',
    (j) => {
      j.ip = 6;
      j.raddr = '::1';
      j.laddr = '::1';
    },
  ],
  [
    'accept mode without pid',
    (j) => {
      j.pid = null;
    },
  ],
  [
    'handshake mode with a queue wait',
    (j) => {
      j.mode = 'handshake';
      j.tid = null;
    },
  ],
  [
    'comm longer than 15',
    (j) => {
      j.comm = 'x'.repeat(16);
    },
  ],
  [
    'negative queue wait',
    (j) => {
      j.queue_wait_us = -1;
    },
  ],
  [
    'lower-case state',
    (j) => {
      j.state = 'established';
    },
  ],
];
for (const [name, breakIt] of broken) {
  t.test(`invalid: ${name}`, async (t) => {
    const json = JSON.parse(JSON.stringify(toJson(event(), ctx))) as JsonEvent & Record<string, unknown>;
    breakIt(json);
    t.notOk(validate(json), 'rejected');
  });
}

t.test('accept objects say event: accept; another event value is rejected', async (t) => {
  const json = JSON.parse(JSON.stringify(toJson(event(), ctx))) as Record<string, unknown>;
  t.equal(json.event, 'accept');
  delete json.event;
  t.notOk(validate(json), 'without event');
  json.event = 'drop';
  t.notOk(validate(json), 'an accept object under event: drop');
});

const drop = (over: Partial<AcceptEvent> = {}) =>
  event({ source: 'drop', pid: 77, tid: undefined, comm: 'python3', queueWaitNs: undefined, state: 'LISTEN', ...over });
t.test('drop objects: IPv4 and IPv6, owner known or not', async (t) => {
  for (const e of [
    drop(),
    drop({ ipVersion: 6, family: 10, localAddr: '::1', remoteAddr: '::1' }),
    drop({ pid: undefined, comm: undefined }),
  ]) {
    const json = JSON.parse(JSON.stringify(toJson(e, ctx))) as Record<string, unknown>;
    t.equal(json.event, 'drop');
    t.equal(json.reason, 'TCP_LISTEN_OVERFLOW');
    t.ok(validate(json), errors());
  }
  const json = JSON.parse(JSON.stringify(toJson(drop(), ctx))) as Record<string, unknown>;
  json.queue_wait_us = 5;
  t.notOk(validate(json), 'a drop has no queue wait');
  delete json.queue_wait_us;
  json.family = 'AF_INET6';
  t.notOk(validate(json), 'an IPv4 drop is AF_INET');
});

const listener: ListenerSnapshot = {
  family: 4,
  localAddr: '0.0.0.0',
  localPort: 8080,
  queue: 9,
  queueMax: 8,
  drops: 24,
  inode: 5,
  uid: 0,
  cgroupId: undefined,
  owner: { pid: 10, comm: 'nginx' },
  dropsDelta: 12,
};
t.test('listener objects', async (t) => {
  const json = JSON.parse(JSON.stringify(listenerJson(listener, ctx))) as Record<string, unknown>;
  t.same(json, {
    event: 'listener',
    time: '2026-01-02T03:04:05.678Z',
    hostname: 'node-1',
    ip: 4,
    laddr: '0.0.0.0',
    lport: 8080,
    pid: 10,
    comm: 'nginx',
    queue: 9,
    queue_max: 8,
    drops: 24,
    drops_delta: 12,
  });
  t.ok(validate(json), errors());
  const unknown = JSON.parse(
    JSON.stringify(listenerJson({ ...listener, owner: undefined, drops: undefined, dropsDelta: undefined }, ctx)),
  ) as Record<string, unknown>;
  t.ok(validate(unknown), `owner and drops unknown: ${errors()}`);
  json.queue = -1;
  t.notOk(validate(json), 'a negative queue is rejected');
});

// -c and -H objects (cli/summary.ts).
const countEntry: CountEntry = {
  pid: 4321,
  tid: 4322,
  comm: 'nginx',
  listener: 0xffff888012345678n,
  ipVersion: 4,
  localAddr: '127.0.0.1',
  localPort: 8080,
  group: 0xffff888087654321n,
  groupSize: 4,
  count: 10n,
};
const intervalCtx = { wallTimeMs: ctx.wallTimeMs, intervalSeconds: 1.0004, hostname: 'node-1' };
t.test('count objects: every field in the schema and required; in a group or not', async (t) => {
  const schema = (
    JSON.parse(readFileSync(schemaPath, 'utf8')) as { $defs: { count: { required: string[]; properties: Record<string, unknown> } } }
  ).$defs.count;
  const row = { entry: countEntry, count: 7, share: 0.25, groupId: 1 };
  const json = JSON.parse(JSON.stringify(countJson(row, intervalCtx))) as Record<string, unknown>;
  t.same(Object.keys(json).sort(), [...schema.required].sort());
  t.same(Object.keys(schema.properties).sort(), [...schema.required, ...CGROUP_FIELDS].sort());
  t.same(json, {
    event: 'count',
    time: '2026-01-02T03:04:05.678Z',
    hostname: 'node-1',
    interval_s: 1,
    pid: 4321,
    tid: 4322,
    comm: 'nginx',
    ip: 4,
    laddr: '127.0.0.1',
    lport: 8080,
    count: 7,
    share: 0.25,
    reuseport_group: 1,
    reuseport_sockets: 4,
  });
  t.ok(validate(json), errors());
  const plain = JSON.parse(
    JSON.stringify(countJson({ entry: { ...countEntry, group: 0n, groupSize: 0 }, count: 3, share: 1, groupId: undefined }, intervalCtx)),
  ) as Record<string, unknown>;
  t.equal(plain.reuseport_group, null);
  t.ok(validate(plain), errors());
  for (const [name, breakIt] of [
    [
      'count 0',
      (j: Record<string, unknown>) => {
        j.count = 0;
      },
    ],
    [
      'share above 1',
      (j: Record<string, unknown>) => {
        j.share = 1.5;
      },
    ],
    [
      'extra field',
      (j: Record<string, unknown>) => {
        j.raddr = '1.2.3.4';
      },
    ],
    [
      'no interval',
      (j: Record<string, unknown>) => {
        delete j.interval_s;
      },
    ],
  ] as const) {
    const broken = { ...json };
    breakIt(broken);
    t.notOk(validate(broken), `rejected: ${name}`);
  }
});

t.test('histogram objects', async (t) => {
  const schema = (
    JSON.parse(readFileSync(schemaPath, 'utf8')) as { $defs: { histogram: { required: string[]; properties: Record<string, unknown> } } }
  ).$defs.histogram;
  const json = JSON.parse(JSON.stringify(histJson({ localPort: 8080, slots: [0, 0, 1, 0, 3], total: 4 }, intervalCtx))) as Record<
    string,
    unknown
  >;
  t.same(Object.keys(json).sort(), [...schema.required].sort());
  t.same(Object.keys(schema.properties).sort(), [...schema.required].sort());
  t.same(json.buckets, [
    { low: 0, high: 1, count: 0 },
    { low: 2, high: 3, count: 1 },
    { low: 4, high: 7, count: 0 },
    { low: 8, high: 15, count: 3 },
  ]);
  t.equal(json.unit, 'us');
  t.ok(validate(json), errors());
  t.notOk(validate({ ...json, unit: 'ms' }), 'another unit is rejected');
  t.notOk(validate({ ...json, buckets: [] }), 'no buckets is rejected');
  t.notOk(validate({ ...json, event: 'count' }), 'a histogram under event: count is rejected');
});
