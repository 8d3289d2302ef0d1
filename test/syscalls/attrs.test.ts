// Attr encodings byte for byte, against layouts read off include/uapi/linux/{bpf,perf_event}.h.
import t from 'tap';
import {
  attrSize,
  parseProgramInfo,
  PERF_ATTR_SIZE,
  PERF_COUNT_SW_BPF_OUTPUT,
  PERF_SAMPLE_RAW,
  PerfType,
  PROG_INFO_SIZE,
  validateObjectName,
  writeEnableStatsAttr,
  writeGetNextIdAttr,
  writeMapCreateAttr,
  writeMapElemAttr,
  writeObjInfoAttr,
  writePerfEventAttr,
  writeProgLoadAttr,
} from '../../src/syscalls/attrs.ts';

function encode(size: number, write: (view: DataView) => void): string {
  const bytes = new Uint8Array(size);
  write(new DataView(bytes.buffer));
  return Buffer.from(bytes).toString('hex');
}

/** Hex with spaces and comments stripped, so expectations can be laid out per field. */
function hex(text: string): string {
  return text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
}

t.test('BPF_MAP_CREATE attr', async (t) => {
  const actual = encode(attrSize.mapCreate, (view) =>
    writeMapCreateAttr(view, { type: 9, keySize: 8, valueSize: 16, maxEntries: 1024, flags: 0, name: 'sk_start' }),
  );
  t.equal(
    actual,
    hex(`
      09000000 # map_type BPF_MAP_TYPE_LRU_HASH
      08000000 # key_size
      10000000 # value_size
      00040000 # max_entries 1024
      00000000 # map_flags
      00000000 # inner_map_fd
      00000000 # numa_node
      736b5f7374617274 0000000000000000 # map_name "sk_start"
    `),
  );
  t.equal(attrSize.mapCreate, 44);
});

t.test('BPF_MAP_*_ELEM attr', async (t) => {
  const actual = encode(attrSize.mapElem, (view) =>
    writeMapElemAttr(view, { mapFd: 7, key: 0x1122334455n, valueOrNextKey: 0x66778899aan, flags: 2n }),
  );
  t.equal(
    actual,
    hex(`
      07000000 00000000 # map_fd, padding to the aligned key
      5544332211000000 # key
      aa99887766000000 # value / next_key
      0200000000000000 # flags BPF_EXIST
    `),
  );
});

t.test('BPF_PROG_LOAD attr', async (t) => {
  const actual = encode(attrSize.progLoad, (view) =>
    writeProgLoadAttr(view, {
      type: 5,
      insnCount: 2,
      insns: 0x1000n,
      license: 0x2000n,
      logLevel: 1,
      logSize: 65536,
      logBuf: 0x3000n,
      name: 'tcpaccept',
      expectedAttachType: 0,
    }),
  );
  t.equal(
    actual,
    hex(`
      05000000 # prog_type BPF_PROG_TYPE_TRACEPOINT
      02000000 # insn_cnt
      0010000000000000 # insns
      0020000000000000 # license
      01000000 # log_level
      00000100 # log_size 64 KiB
      0030000000000000 # log_buf
      00000000 # kern_version
      00000000 # prog_flags
      7463706163636570 7400000000000000 # prog_name "tcpaccept"
      00000000 # prog_ifindex
      00000000 # expected_attach_type
    `),
  );
});

t.test('small attrs: next id, info by fd, enable stats', async (t) => {
  t.equal(
    encode(attrSize.getNextId, (view) => writeGetNextIdAttr(view, 42)),
    hex('2a000000 00000000 00000000'),
  );
  t.equal(
    encode(attrSize.objInfo, (view) => writeObjInfoAttr(view, 5, PROG_INFO_SIZE, 0xabcdefn)),
    hex('05000000 e8000000 efcdab0000000000'),
  );
  t.equal(
    encode(attrSize.enableStats, (view) => writeEnableStatsAttr(view, 0)),
    hex('00000000'),
  );
});

t.test('bpf_prog_info decoding', async (t) => {
  const bytes = new Uint8Array(PROG_INFO_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 5, true);
  view.setUint32(4, 1234, true);
  bytes.set([0x59, 0xf4, 0xa9, 0x31, 0x74, 0x4d, 0xcd, 0xc6], 8);
  bytes.set(Buffer.from('tcpaccept'), 64);
  view.setBigUint64(192, 987654321n, true);
  view.setBigUint64(200, 77n, true);
  t.same(parseProgramInfo(view), { id: 1234, tag: '59f4a931744dcdc6', name: 'tcpaccept', runTimeNs: 987654321n, runCnt: 77n });
});

t.test('perf_event_attr for a tracepoint', async (t) => {
  const actual = encode(PERF_ATTR_SIZE, (view) => writePerfEventAttr(view, { type: PerfType.TRACEPOINT, config: 1402n, disabled: true }));
  t.equal(
    actual,
    hex(`
      02000000 # type PERF_TYPE_TRACEPOINT
      80000000 # size 128
      7a05000000000000 # config: tracepoint id 1402
      0000000000000000 # sample_period
      0000000000000000 # sample_type
      0000000000000000 # read_format
      0100000000000000 # disabled
      00000000 # wakeup_events
    `) + '00'.repeat(PERF_ATTR_SIZE - 52),
  );
});

t.test('perf_event_attr for BPF output, both wake-up styles', async (t) => {
  const base = { type: PerfType.SOFTWARE, config: BigInt(PERF_COUNT_SW_BPF_OUTPUT), samplePeriod: 1n, sampleType: PERF_SAMPLE_RAW };
  const head = hex(`
    01000000 # type PERF_TYPE_SOFTWARE
    80000000 # size
    0a00000000000000 # config PERF_COUNT_SW_BPF_OUTPUT
    0100000000000000 # sample_period 1
    0004000000000000 # sample_type PERF_SAMPLE_RAW
    0000000000000000 # read_format
  `);
  const tail = '00'.repeat(PERF_ATTR_SIZE - 52);
  t.equal(
    encode(PERF_ATTR_SIZE, (view) => writePerfEventAttr(view, { ...base, wakeupEvents: 1 })),
    head + hex('0000000000000000 01000000') + tail,
    'wakeup_events',
  );
  t.equal(
    encode(PERF_ATTR_SIZE, (view) => writePerfEventAttr(view, { ...base, wakeupWatermark: 4096 })),
    head + hex('0040000000000000 # watermark is bit 14\n 00100000 # wakeup_watermark 4096') + tail,
    'watermark',
  );
  t.throws(() => encode(PERF_ATTR_SIZE, (view) => writePerfEventAttr(view, { ...base, wakeupEvents: 1, wakeupWatermark: 1 })), RangeError);
});

t.test('object names are checked before the kernel sees them', async (t) => {
  t.doesNotThrow(() => validateObjectName('tcpaccept_v4.x'));
  t.doesNotThrow(() => validateObjectName(''));
  t.throws(() => validateObjectName('sixteen_chars_xx'), /at most 15 characters/);
  t.throws(() => validateObjectName('bad-name'), RangeError);
  t.throws(() =>
    encode(attrSize.mapCreate, (view) =>
      writeMapCreateAttr(view, { type: 1, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, name: 'a/b' }),
    ),
  );
});
