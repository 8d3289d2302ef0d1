import t from 'tap';
import { AcceptRecord, RECORD, RECORD_SIZE, decodeRecord, formatIpv6, EventSource } from '../../src/probe/record.ts';

function record(fill: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = new Uint8Array(RECORD_SIZE);
  fill(new DataView(bytes.buffer), bytes);
  return bytes;
}

t.test('layout is contiguous, aligned and sized', async (t) => {
  const fields = Object.values(RECORD).sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const f of fields) {
    t.equal(f.offset, end, `field at ${f.offset} follows the previous one`);
    t.equal(f.offset % Math.min(f.size, 8), 0, `field at ${f.offset} is aligned`);
    end = f.offset + f.size;
  }
  t.equal(end, RECORD_SIZE);
});

t.test('decodes an IPv4 accept', async (t) => {
  const e = decodeRecord(
    record((v, b) => {
      v.setBigUint64(RECORD.timestampNs.offset, 123456789n, true);
      v.setBigUint64(RECORD.queueWaitNs.offset, 2500n, true);
      v.setUint32(RECORD.pid.offset, 4242, true);
      v.setUint32(RECORD.tid.offset, 4243, true);
      v.setUint16(RECORD.family.offset, 2, true);
      v.setUint16(RECORD.localPort.offset, 8080, true);
      v.setUint16(RECORD.remotePort.offset, 51000, true);
      b[RECORD.state.offset] = 1;
      b[RECORD.source.offset] = EventSource.AcceptSyscall;
      b.set([127, 0, 0, 1], RECORD.localAddr.offset);
      b.set([127, 0, 0, 2], RECORD.remoteAddr.offset);
      b.set(new TextEncoder().encode('nginx'), RECORD.comm.offset);
    }),
  );
  t.same(e, {
    timestampNs: 123456789n,
    queueWaitNs: 2500n,
    pid: 4242,
    tid: 4243,
    comm: 'nginx',
    ipVersion: 4,
    family: 2,
    localAddr: '127.0.0.1',
    localPort: 8080,
    remoteAddr: '127.0.0.2',
    remotePort: 51000,
    state: 'ESTABLISHED',
    source: 'accept',
  });
});

t.test('decodes IPv6, IPv4-mapped IPv6, a reset socket and handshake mode', async (t) => {
  const v6 = decodeRecord(
    record((v, b) => {
      v.setUint16(RECORD.family.offset, 10, true);
      b[RECORD.localAddr.offset + 15] = 1;
      b.set([0x20, 0x01, 0x0d, 0xb8], RECORD.remoteAddr.offset);
      b[RECORD.remoteAddr.offset + 15] = 5;
      b[RECORD.state.offset] = 7;
      b[RECORD.source.offset] = EventSource.AcceptSyscall;
    }),
  );
  t.same([v6.ipVersion, v6.localAddr, v6.remoteAddr, v6.state, v6.queueWaitNs], [6, '::1', '2001:db8::5', 'CLOSE', undefined]);
  const mapped = decodeRecord(
    record((v, b) => {
      v.setUint16(RECORD.family.offset, 10, true);
      b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1], RECORD.localAddr.offset);
      b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9], RECORD.remoteAddr.offset);
    }),
  );
  t.same([mapped.ipVersion, mapped.localAddr, mapped.remoteAddr], [4, '127.0.0.1', '10.0.0.9']);
  const hs = decodeRecord(
    record((v, b) => {
      v.setUint32(RECORD.pid.offset, 99, true);
      b[RECORD.source.offset] = EventSource.Handshake;
    }),
  );
  t.same([hs.source, hs.pid, hs.tid, hs.comm], ['handshake', undefined, undefined, undefined]);
  t.throws(() => decodeRecord(new Uint8Array(10)), RangeError);
});

t.test('formatIpv6 follows RFC 5952', async (t) => {
  const b = (...groups: number[]) => {
    const out = new Uint8Array(16);
    groups.forEach((g, i) => {
      out[2 * i] = g >> 8;
      out[2 * i + 1] = g & 0xff;
    });
    return out;
  };
  t.equal(formatIpv6(b(0, 0, 0, 0, 0, 0, 0, 0)), '::');
  t.equal(formatIpv6(b(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)), '2001:db8::1:0:0:1');
  t.equal(formatIpv6(b(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1)), '2001:db8:0:1:1:1:1:1', 'a single zero group stays');
  t.equal(formatIpv6(b(0xfe80, 0, 0, 0, 0xabcd, 0, 0, 0)), 'fe80::abcd:0:0:0');
});

t.test('reused address and comm text never goes stale', async (t) => {
  const make = (family: number, local: number[], remote: number[], comm: string) =>
    record((v, b) => {
      v.setUint16(RECORD.family.offset, family, true);
      b.set(local, RECORD.localAddr.offset);
      b.set(remote, RECORD.remoteAddr.offset);
      b.set(new TextEncoder().encode(comm), RECORD.comm.offset);
      b[RECORD.source.offset] = EventSource.AcceptSyscall;
    });
  const a = make(2, [10, 0, 0, 1], [10, 0, 0, 2], 'alpha');
  const b6 = make(
    10,
    [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9],
    'beta',
  );
  const c = make(2, [10, 0, 0, 1], [10, 0, 0, 3], 'alphabet');
  const mapped = make(
    10,
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2],
    'alpha',
  );
  const expected = new Map<Uint8Array, [string, string, string, number]>([
    [a, ['10.0.0.1', '10.0.0.2', 'alpha', 4]],
    [b6, ['2001:db8::1', 'fe80::9', 'beta', 6]],
    [c, ['10.0.0.1', '10.0.0.3', 'alphabet', 4]],
    [mapped, ['10.0.0.1', '10.0.0.2', 'alpha', 4]],
  ]);
  for (const bytes of [a, b6, a, c, c, mapped, b6, a, mapped, c]) {
    const e = decodeRecord(bytes);
    t.same([e.localAddr, e.remoteAddr, e.comm, e.ipVersion], expected.get(bytes));
  }
});

t.test('the fast decoder and the record declaration read the same bytes', async (t) => {
  const bytes = AcceptRecord.encode({
    timestampNs: 123456789n,
    queueWaitNs: 5000n,
    pid: 4242,
    tid: 4243,
    family: 10,
    localPort: 8080,
    remotePort: 51000,
    state: 1,
    source: 1,
    localAddr: new Uint8Array(16).fill(1),
    remoteAddr: new Uint8Array(16).fill(2),
    comm: 'nginx',
  });
  t.equal(bytes.length, RECORD_SIZE, 'the declaration is RECORD_SIZE bytes');
  const fast = decodeRecord(bytes);
  const general = AcceptRecord.decode(bytes);
  t.same(
    [fast.timestampNs, fast.queueWaitNs, fast.pid, fast.tid, fast.localPort, fast.remotePort, fast.comm],
    [general.timestampNs, general.queueWaitNs, general.pid, general.tid, general.localPort, general.remotePort, general.comm],
  );
});
