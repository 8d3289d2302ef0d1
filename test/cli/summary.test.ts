// The pure parts of -c and -H: bcc's log2 slots and histogram layout, per-CPU summing, interval
// diffing, shares per listener, and the table text.
import t from 'tap';
import {
  COUNT_KEY,
  COUNT_KEY_SIZE,
  COUNT_VALUE,
  COUNT_VALUE_SIZE,
  HIST_KEY_SIZE,
  IntervalDiff,
  decodeCountEntry,
  decodeHistEntry,
  log2Slot,
  slotRange,
  sumPerCpu,
  type CountEntry,
} from '../../src/internal.ts';
import { CountIntervals, HistIntervals, countTable, histText, log2HistText } from '../../cli/summary.ts';

t.test("log2Slot is bcc's bpf_log2l; slotRange is print_log2_hist's range", async (t) => {
  t.same(
    [0, 1, 2, 3, 4, 7, 8, 1000, 2 ** 20].map((v) => log2Slot(v)),
    [1, 1, 2, 2, 3, 3, 4, 10, 21],
  );
  t.equal(log2Slot((1n << 64n) - 1n), 64);
  t.same(slotRange(1), { low: 0, high: 1 });
  t.same(slotRange(2), { low: 2, high: 3 });
  t.same(slotRange(11), { low: 1024, high: 2047 });
  for (let v = 0; v < 5000; v += 7) {
    const { low, high } = slotRange(log2Slot(v));
    t.ok(v >= low && v <= high, `${v} in [${low}, ${high}]`);
  }
});

t.test('log2HistText matches bcc print_log2_hist byte for byte', async (t) => {
  // bcc: print_log2_hist on slots [0, 0, 3, 0, 12, 1] (python3 tools/lib layout).
  const expected = [
    '     usecs               : count     distribution',
    '         0 -> 1          : 0        |                                        |',
    '         2 -> 3          : 3        |**********                              |',
    '         4 -> 7          : 0        |                                        |',
    '         8 -> 15         : 12       |****************************************|',
    '        16 -> 31         : 1        |***                                     |',
    '',
  ].join('\n');
  t.equal(log2HistText([0, 0, 3, 0, 12, 1]), expected);
  t.equal(log2HistText([0, 0, 0]), '', 'nothing to print for an empty histogram');
  const wide = log2HistText([...new Array<number>(40).fill(0), 5]);
  t.match(wide.split('\n')[0], /^ {15}usecs {25}: count {5}distribution$/);
  t.match(wide.split('\n').at(-2), /^ +549755813888 -> 1099511627775 +: 5 +\|\*{20}\|$/);
  t.equal(histText([{ localPort: 80, slots: [0, 2], total: 2 }]), `\nlport = 80\n${log2HistText([0, 2])}`);
});

t.test("sumPerCpu adds each CPU's 8-byte-aligned copy", async (t) => {
  const values = new Uint8Array(COUNT_VALUE_SIZE * 3);
  const view = new DataView(values.buffer);
  view.setBigUint64(0, 5n, true);
  view.setBigUint64(COUNT_VALUE_SIZE, 7n, true);
  view.setBigUint64(2 * COUNT_VALUE_SIZE, 2n ** 40n, true);
  view.setBigUint64(COUNT_VALUE_SIZE + COUNT_VALUE.group.offset, 0xabcn, true);
  t.equal(sumPerCpu(values, COUNT_VALUE_SIZE), 12n + 2n ** 40n);
  const key = new Uint8Array(COUNT_KEY_SIZE);
  const k = new DataView(key.buffer);
  k.setBigUint64(COUNT_KEY.pidTgid.offset, (100n << 32n) | 101n, true);
  k.setUint16(COUNT_KEY.family.offset, 10, true);
  key.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1], COUNT_KEY.localAddr.offset);
  k.setUint16(COUNT_KEY.localPort.offset, 8080, true);
  key.set(new TextEncoder().encode('nginx'), COUNT_KEY.comm.offset);
  const entry = decodeCountEntry(key, values);
  t.match(entry, {
    pid: 100,
    tid: 101,
    comm: 'nginx',
    ipVersion: 4,
    localAddr: '127.0.0.1',
    localPort: 8080,
    group: 0xabcn,
    count: 12n + 2n ** 40n,
  });
  const histKey = new Uint8Array(HIST_KEY_SIZE);
  new DataView(histKey.buffer).setUint16(0, 443, true);
  new DataView(histKey.buffer).setUint32(4, 9, true);
  const perCpu = new Uint8Array(16);
  perCpu[0] = 3;
  perCpu[8] = 4;
  t.same(decodeHistEntry(histKey, perCpu), { localPort: 443, slot: 9, count: 7n });
});

t.test('IntervalDiff reports growth only, and merges repeated keys', async (t) => {
  const diff = new IntervalDiff<{ k: string; n: bigint }>();
  const key = (e: { k: string }) => e.k;
  const count = (e: { n: bigint }) => e.n;
  t.same(
    diff
      .take(
        [
          { k: 'a', n: 3n },
          { k: 'b', n: 1n },
        ],
        key,
        count,
      )
      .map((g) => [g.entry.k, g.delta]),
    [
      ['a', 3n],
      ['b', 1n],
    ],
  );
  t.same(
    diff
      .take(
        [
          { k: 'a', n: 3n },
          { k: 'b', n: 4n },
        ],
        key,
        count,
      )
      .map((g) => [g.entry.k, g.delta]),
    [['b', 3n]],
    'a did not grow',
  );
  t.same(
    diff
      .take(
        [
          { k: 'a', n: 5n },
          { k: 'a', n: 1n },
        ],
        key,
        count,
      )
      .map((g) => [g.entry.k, g.delta]),
    [['a', 3n]],
    'two entries of one key are one total',
  );
  t.same(
    diff.take([{ k: 'a', n: 2n }], key, count).map((g) => [g.entry.k, g.delta]),
    [['a', 2n]],
    'a total that fell restarts from zero',
  );
});

const entry = (over: Partial<CountEntry>): CountEntry => ({
  pid: 10,
  tid: 10,
  comm: 'nginx',
  listener: 0x1000n,
  ipVersion: 4,
  localAddr: '127.0.0.1',
  localPort: 8080,
  group: 0n,
  groupSize: 0,
  count: 0n,
  ...over,
});

t.test('CountIntervals: per-interval counts, shares per listener or group, sorted', async (t) => {
  const intervals = new CountIntervals();
  const first = intervals.take([
    entry({ pid: 11, tid: 11, count: 30n }),
    entry({ pid: 12, tid: 12, count: 10n }),
    entry({ localPort: 9090, listener: 0x2000n, count: 5n }),
  ]);
  t.same(
    first.map((r) => [r.entry.pid, r.entry.localPort, r.count, r.share]),
    [
      [11, 8080, 30, 0.75],
      [12, 8080, 10, 0.25],
      [10, 9090, 5, 1],
    ],
  );
  const second = intervals.take([
    entry({ pid: 11, tid: 11, count: 31n }),
    entry({ pid: 12, tid: 12, count: 13n }),
    entry({ localPort: 9090, listener: 0x2000n, count: 5n }),
  ]);
  t.same(
    second.map((r) => [r.entry.pid, r.count, r.share]),
    [
      [12, 3, 0.75],
      [11, 1, 0.25],
    ],
  );
  // Four sockets of one SO_REUSEPORT group, one worker each: shares are of the group.
  const group = intervals.take(
    [1, 2, 3, 4].map((i) =>
      entry({ pid: 20 + i, tid: 20 + i, localPort: 7000, listener: BigInt(i), group: 0xf00n, groupSize: 4, count: BigInt(i) }),
    ),
  );
  t.same(
    group.map((r) => [r.entry.pid, r.share, r.groupId]),
    [
      [24, 0.4, 1],
      [23, 0.3, 1],
      [22, 0.2, 1],
      [21, 0.1, 1],
    ],
  );
  const text = countTable(group);
  t.match(text.split('\n')[0], /^PID {5}TID {5}COMM {12}LADDR {12}LPORT {4}COUNT  SHARE REUSEPORT$/);
  t.match(text.split('\n')[1], /^24 +24 +nginx +127\.0\.0\.1 +7000 +4  40\.0% group 1 \(4 sockets\)$/);
  t.match(
    countTable([{ entry: entry({ listener: 0n }), count: 1, share: 1, groupId: undefined }]),
    / 100\.0% \?\n$/,
    'listener unknown: ?',
  );
  t.equal(countTable([]), '');
});

t.test('HistIntervals: per-interval buckets by port', async (t) => {
  const hists = new HistIntervals();
  t.same(
    hists.take([
      { localPort: 80, slot: 2, count: 3n },
      { localPort: 80, slot: 6, count: 1n },
      { localPort: 22, slot: 1, count: 1n },
    ]),
    [
      { localPort: 22, slots: [0, 1], total: 1 },
      { localPort: 80, slots: [0, 0, 3, 0, 0, 0, 1], total: 4 },
    ],
  );
  t.same(
    hists.take([
      { localPort: 80, slot: 2, count: 5n },
      { localPort: 80, slot: 6, count: 1n },
      { localPort: 22, slot: 1, count: 1n },
    ]),
    [{ localPort: 80, slots: [0, 0, 2], total: 2 }],
  );
});
