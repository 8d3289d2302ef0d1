import t from 'tap';
import fc from 'fast-check';
import { OutputBuffer } from '../../cli/output.ts';
import { TableFormatter, writeJson } from '../../cli/format.ts';
import { RecordJsonWriter, RecordRowWriter } from '../../cli/record-row.ts';
import { AF_INET, AF_INET6, EventSource, RECORD, RECORD_SIZE, decodeRecord, monotonicToWallClockMs } from '../../src/internal.ts';

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Address bytes a record may hold: IPv4 in the first 4, ::ffff:a.b.c.d, ::1-like runs of zeros, or anything. */
const addressBytes = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v4) => Uint8Array.from([...V4_MAPPED_PREFIX, ...v4])),
  fc
    .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 255 }))
    .map(([at, byte]) => Uint8Array.from({ length: 16 }, (_, i) => (i === at ? byte : 0))),
);

/** COMM bytes: short ASCII names, 15-character ones, UTF-8, invalid UTF-8, control bytes, empty. */
const commBytes = fc.oneof(
  fc.string({ maxLength: 15 }).map((s) => Buffer.from(s, 'latin1').subarray(0, 15)),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => Buffer.from(s, 'utf8').subarray(0, 15)),
  fc.uint8Array({ maxLength: 16 }),
  fc.constant(new Uint8Array(0)),
);

const u64 = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: (1n << 40n) - 1n }),
  fc.bigInt({ min: 1n, max: (1n << 53n) + 5000n }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

const record = fc
  .record({
    timestampNs: u64,
    queueWaitNs: u64,
    pid: fc.integer({ min: 0, max: 0xffff_ffff }),
    family: fc.constantFrom(AF_INET, AF_INET6, AF_INET6, 0, 3),
    localPort: fc.integer({ min: 0, max: 65535 }),
    remotePort: fc.integer({ min: 0, max: 65535 }),
    state: fc.constantFrom(1, 7, 3, 200),
    source: fc.constantFrom(EventSource.AcceptSyscall, EventSource.IoUring),
    localAddr: addressBytes,
    remoteAddr: addressBytes,
    comm: commBytes,
  })
  .map((fields) => {
    // Records are views into a larger ring at an 8-byte aligned offset, as the reader hands them out.
    const ring = new Uint8Array(RECORD_SIZE + 16);
    const bytes = ring.subarray(8, 8 + RECORD_SIZE);
    const view = new DataView(ring.buffer, 8, RECORD_SIZE);
    view.setBigUint64(RECORD.timestampNs.offset, fields.timestampNs, true);
    view.setBigUint64(RECORD.queueWaitNs.offset, fields.queueWaitNs, true);
    view.setUint32(RECORD.pid.offset, fields.pid, true);
    view.setUint32(RECORD.tid.offset, fields.pid, true);
    view.setUint16(RECORD.family.offset, fields.family, true);
    view.setUint16(RECORD.localPort.offset, fields.localPort, true);
    view.setUint16(RECORD.remotePort.offset, fields.remotePort, true);
    bytes[RECORD.state.offset] = fields.state;
    bytes[RECORD.source.offset] = fields.source;
    bytes.set(fields.localAddr, RECORD.localAddr.offset);
    bytes.set(fields.remoteAddr, RECORD.remoteAddr.offset);
    bytes.set(fields.comm, RECORD.comm.offset);
    return bytes;
  });

t.test('RecordRowWriter writes exactly writeRow(decodeRecord(record)), for any record and flags', async (t) => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.array(record, { minLength: 1, maxLength: 6 }),
      (clockTime, relativeTime, queueWait, records) => {
        const options = { clockTime, relativeTime, queueWait };
        const formatter = new TableFormatter(options);
        const writer = new RecordRowWriter(options);
        const expected = new OutputBuffer(256);
        const actual = new OutputBuffer(256);
        for (const bytes of records) {
          const event = decodeRecord(bytes);
          formatter.writeRow(event, { wallTimeMs: monotonicToWallClockMs(event.timestampNs), hostname: 'h' }, expected);
          expected.newline();
          writer.write(bytes, actual);
          actual.newline();
        }
        const want = expected.take();
        const got = actual.take();
        if (!got.equals(want))
          throw new Error(`rows differ:\n${JSON.stringify(got.toString('latin1'))}\n${JSON.stringify(want.toString('latin1'))}`);
        return true;
      },
    ),
    { numRuns: 3000 },
  );
  t.pass('3000 random record lists');
});

t.test('RecordJsonWriter writes exactly writeJson(decodeRecord(record)), for any record and host name', async (t) => {
  const hostname = fc.oneof(fc.constant('web-1'), fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
  fc.assert(
    fc.property(hostname, fc.array(record, { minLength: 1, maxLength: 6 }), (host, records) => {
      const writer = new RecordJsonWriter(host);
      const expected = new OutputBuffer(256);
      const actual = new OutputBuffer(256);
      for (const bytes of records) {
        const event = decodeRecord(bytes);
        writeJson(event, { wallTimeMs: monotonicToWallClockMs(event.timestampNs), hostname: host }, expected);
        expected.newline();
        writer.write(bytes, actual);
        actual.newline();
      }
      const want = expected.take();
      const got = actual.take();
      if (!got.equals(want)) throw new Error(`lines differ:\n${got.toString('utf8')}\n${want.toString('utf8')}`);
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 random record lists');
});

t.test('monotonic_ns is exact past 2^53 and at the edges of its 64 bits', async (t) => {
  const writer = new RecordJsonWriter('h');
  for (const ns of [
    0n,
    1n,
    (1n << 32n) - 1n,
    1n << 32n,
    (1n << 53n) - 1n,
    1n << 53n,
    (1n << 53n) + 1n,
    9_007_198_999_999_999n,
    4_294_967_296_000_000_000n,
    999_999_999_999_999_999n,
    (1n << 64n) - 1n,
  ]) {
    const bytes = new Uint8Array(RECORD_SIZE);
    new DataView(bytes.buffer).setBigUint64(RECORD.timestampNs.offset, ns, true);
    bytes[RECORD.source.offset] = EventSource.AcceptSyscall;
    const out = new OutputBuffer(256);
    writer.write(bytes, out);
    const line = JSON.parse(out.takeText()) as { monotonic_ns: string };
    t.equal(line.monotonic_ns, ns.toString(), `${ns}`);
  }
});

t.test('a storm of repeated rows grows nothing and reuses its address texts', async (t) => {
  const ring = new Uint8Array(RECORD_SIZE);
  const view = new DataView(ring.buffer);
  view.setUint32(RECORD.pid.offset, 4242, true);
  view.setUint16(RECORD.family.offset, AF_INET, true);
  view.setUint16(RECORD.localPort.offset, 8080, true);
  ring.set([127, 0, 0, 1], RECORD.localAddr.offset);
  ring.set([127, 0, 0, 2], RECORD.remoteAddr.offset);
  ring.set(Buffer.from('nginx'), RECORD.comm.offset);
  ring[RECORD.source.offset] = EventSource.AcceptSyscall;
  const writer = new RecordRowWriter({ clockTime: false, relativeTime: false, queueWait: false });
  const out = new OutputBuffer(64 * 1024);
  for (let port = 40_000; port < 40_100; port++) {
    view.setUint16(RECORD.remotePort.offset, port, true);
    writer.write(ring, out);
    out.newline();
  }
  const lines = out.takeText().split('\n');
  t.equal(lines.length, 101);
  t.equal(lines[0], '4242    nginx        4  127.0.0.2        40000 127.0.0.1        8080 ');
  t.equal(lines[99], '4242    nginx        4  127.0.0.2        40099 127.0.0.1        8080 ');
});
