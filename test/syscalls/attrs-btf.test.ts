// Every byte offset src/syscalls/attrs.ts writes or reads, and the perf mmap page offsets the
// ring reader uses, against the running kernel's own BTF (/sys/kernel/btf/vmlinux) rather than
// against hex typed by the same hand as the writers. Each writer is run with a distinct value
// per field, and the value is read back at the offset BTF gives that field. Needs no root;
// skips with the reason when the kernel has no readable BTF.
import t from 'tap';
import { kernelBtfTest, KERNEL_BTF } from '../helpers/kernel.ts';
import { Btf, type MemberOffset } from '../../src/syscalls/btf.ts';
import {
  attrSize,
  parseProgramInfo,
  PERF_ATTR_SIZE,
  PROG_INFO_SIZE,
  writeEnableStatsAttr,
  writeGetNextIdAttr,
  readNextId,
  writeMapCreateAttr,
  writeMapElemAttr,
  writeObjInfoAttr,
  writePerfEventAttr,
  writeProgLoadAttr,
} from '../../src/syscalls/attrs.ts';
import { PERF_MMAP_DATA_HEAD, PERF_MMAP_DATA_OFFSET, PERF_MMAP_DATA_SIZE, PERF_MMAP_DATA_TAIL } from '../../src/perf/layout.ts';

function written(size: number, write: (view: DataView) => void): DataView {
  const view = new DataView(new ArrayBuffer(size));
  write(view);
  return view;
}

/** The little-endian unsigned value of `bytes` bytes at `offset`. */
function read(view: DataView, offset: number, bytes: number): bigint {
  let value = 0n;
  for (let i = bytes - 1; i >= 0; i--) value = (value << 8n) | BigInt(view.getUint8(offset + i));
  return value;
}

function text(view: DataView, offset: number, length: number): string {
  let out = '';
  for (let i = 0; i < length && view.getUint8(offset + i) !== 0; i++) out += String.fromCharCode(view.getUint8(offset + i));
  return out;
}

t.test('attr and page layouts match the kernel BTF', kernelBtfTest(), async (t) => {
  const btf = Btf.fromFile(KERNEL_BTF);
  t.teardown(() => btf.close());
  const at = (struct: string, member: string): MemberOffset => btf.offsetOf(struct, member);
  const end = (struct: string, member: string): number => at(struct, member).byteOffset + at(struct, member).size;

  t.test('union bpf_attr: BPF_MAP_CREATE', async (t) => {
    const view = written(attrSize.mapCreate, (v) =>
      writeMapCreateAttr(v, { type: 0x11, keySize: 0x22, valueSize: 0x33, maxEntries: 0x44, flags: 0x55, name: 'btf_check' }),
    );
    for (const [member, value] of [
      ['map_type', 0x11],
      ['key_size', 0x22],
      ['value_size', 0x33],
      ['max_entries', 0x44],
      ['map_flags', 0x55],
    ] as const) {
      const field = at('bpf_attr', member);
      t.equal(read(view, field.byteOffset, field.size), BigInt(value), `${member} @${field.byteOffset}`);
    }
    t.equal(text(view, at('bpf_attr', 'map_name').byteOffset, 16), 'btf_check', `map_name @${at('bpf_attr', 'map_name').byteOffset}`);
    t.equal(at('bpf_attr', 'map_name').size, 16, 'map_name is BPF_OBJ_NAME_LEN bytes');
    t.equal(attrSize.mapCreate, end('bpf_attr', 'map_name'), 'attrSize.mapCreate = offsetofend(map_name)');
  });

  t.test('union bpf_attr: map element commands', async (t) => {
    const view = written(attrSize.mapElem, (v) =>
      writeMapElemAttr(v, { mapFd: 0x66, key: 0x1122334455n, valueOrNextKey: 0x6677889900n, flags: 0x2n }),
    );
    t.equal(read(view, at('bpf_attr', 'map_fd').byteOffset, 4), 0x66n, `map_fd @${at('bpf_attr', 'map_fd').byteOffset}`);
    t.equal(read(view, at('bpf_attr', 'key').byteOffset, 8), 0x1122334455n, `key @${at('bpf_attr', 'key').byteOffset}`);
    t.equal(read(view, at('bpf_attr', 'value').byteOffset, 8), 0x6677889900n, `value @${at('bpf_attr', 'value').byteOffset}`);
    t.equal(at('bpf_attr', 'next_key').byteOffset, at('bpf_attr', 'value').byteOffset, "next_key shares value's offset");
    // `flags` names a member of several commands' structs in bpf_attr; the element commands'
    // one follows value/next_key (a union) directly.
    const flagsAt = at('bpf_attr', 'value').byteOffset + 8;
    t.equal(read(view, flagsAt, 8), 2n, `flags @${flagsAt}, right after value`);
    t.equal(attrSize.mapElem, flagsAt + 8, 'attrSize.mapElem = offsetofend(flags)');
  });

  t.test('union bpf_attr: BPF_PROG_LOAD', async (t) => {
    const view = written(attrSize.progLoad, (v) =>
      writeProgLoadAttr(v, {
        type: 0x5,
        insnCount: 0x77,
        insns: 0xaa00000001n,
        license: 0xbb00000002n,
        logLevel: 0x3,
        logSize: 0x10000,
        logBuf: 0xcc00000003n,
        name: 'btf_prog',
        expectedAttachType: 0x29,
      }),
    );
    const fields = [
      ['prog_type', 0x5n],
      ['insn_cnt', 0x77n],
      ['insns', 0xaa00000001n],
      ['license', 0xbb00000002n],
      ['log_level', 0x3n],
      ['log_size', 0x10000n],
      ['log_buf', 0xcc00000003n],
      ['expected_attach_type', 0x29n],
    ] as const;
    for (const [member, value] of fields) {
      const field = at('bpf_attr', member);
      t.equal(read(view, field.byteOffset, field.size), value, `${member} @${field.byteOffset}`);
    }
    for (const member of ['kern_version', 'prog_flags', 'prog_ifindex']) {
      const field = at('bpf_attr', member);
      t.equal(read(view, field.byteOffset, field.size), 0n, `${member} @${field.byteOffset} left 0`);
    }
    t.equal(text(view, at('bpf_attr', 'prog_name').byteOffset, 16), 'btf_prog', `prog_name @${at('bpf_attr', 'prog_name').byteOffset}`);
    t.equal(attrSize.progLoad, end('bpf_attr', 'expected_attach_type'), 'attrSize.progLoad = offsetofend(expected_attach_type)');
  });

  t.test('union bpf_attr: GET_NEXT_ID, OBJ_GET_INFO_BY_FD, ENABLE_STATS', async (t) => {
    const ids = written(attrSize.getNextId, (v) => writeGetNextIdAttr(v, 0x1234));
    t.equal(read(ids, at('bpf_attr', 'start_id').byteOffset, 4), 0x1234n, `start_id @${at('bpf_attr', 'start_id').byteOffset}`);
    ids.setUint32(at('bpf_attr', 'next_id').byteOffset, 0x4321, true);
    t.equal(readNextId(ids), 0x4321, `readNextId reads next_id @${at('bpf_attr', 'next_id').byteOffset}`);
    t.equal(attrSize.getNextId, end('bpf_attr', 'open_flags'), 'attrSize.getNextId = offsetofend(open_flags)');

    const info = written(attrSize.objInfo, (v) => writeObjInfoAttr(v, 0x9, 0xe8, 0xdd00000004n));
    t.equal(read(info, at('bpf_attr', 'info.bpf_fd').byteOffset, 4), 0x9n, `info.bpf_fd @${at('bpf_attr', 'info.bpf_fd').byteOffset}`);
    t.equal(
      read(info, at('bpf_attr', 'info.info_len').byteOffset, 4),
      0xe8n,
      `info.info_len @${at('bpf_attr', 'info.info_len').byteOffset}`,
    );
    t.equal(read(info, at('bpf_attr', 'info.info').byteOffset, 8), 0xdd00000004n, `info.info @${at('bpf_attr', 'info.info').byteOffset}`);
    t.equal(attrSize.objInfo, end('bpf_attr', 'info.info'), 'attrSize.objInfo = offsetofend(info.info)');

    const stats = written(attrSize.enableStats, (v) => writeEnableStatsAttr(v, 0x7));
    t.equal(read(stats, at('bpf_attr', 'enable_stats.type').byteOffset, 4), 0x7n, 'enable_stats.type');
    t.equal(attrSize.enableStats, end('bpf_attr', 'enable_stats.type'), 'attrSize.enableStats = offsetofend(enable_stats.type)');

    t.ok(
      attrSize.max >=
        Math.max(attrSize.mapCreate, attrSize.mapElem, attrSize.progLoad, attrSize.getNextId, attrSize.objInfo, attrSize.enableStats),
      'attrSize.max is the largest',
    );
    t.ok(attrSize.max <= btf.sizeOf('bpf_attr'), 'and no larger than the union');
  });

  t.test('struct bpf_prog_info', async (t) => {
    const view = new DataView(new ArrayBuffer(PROG_INFO_SIZE));
    view.setUint32(at('bpf_prog_info', 'id').byteOffset, 0x31, true);
    const tagAt = at('bpf_prog_info', 'tag');
    t.equal(tagAt.size, 8, 'tag is 8 bytes');
    for (let i = 0; i < 8; i++) view.setUint8(tagAt.byteOffset + i, 0xa0 + i);
    const nameAt = at('bpf_prog_info', 'name').byteOffset;
    'btf_info'.split('').forEach((c, i) => view.setUint8(nameAt + i, c.charCodeAt(0)));
    view.setBigUint64(at('bpf_prog_info', 'run_time_ns').byteOffset, 0x1000n, true);
    view.setBigUint64(at('bpf_prog_info', 'run_cnt').byteOffset, 0x20n, true);
    const info = parseProgramInfo(view);
    t.equal(info.id, 0x31, `id @${at('bpf_prog_info', 'id').byteOffset}`);
    t.equal(info.tag, 'a0a1a2a3a4a5a6a7', `tag @${tagAt.byteOffset}`);
    t.equal(info.name, 'btf_info', `name @${nameAt}`);
    t.equal(info.runTimeNs, 0x1000n, `run_time_ns @${at('bpf_prog_info', 'run_time_ns').byteOffset}`);
    t.equal(info.runCnt, 0x20n, `run_cnt @${at('bpf_prog_info', 'run_cnt').byteOffset}`);
    // 232 is the 6.1 struct, which ends with attach_btf_id (u32), padded to its 8-byte alignment;
    // later kernels only add to the end.
    t.equal(
      PROG_INFO_SIZE,
      Math.ceil(end('bpf_prog_info', 'attach_btf_id') / 8) * 8,
      'PROG_INFO_SIZE = offsetofend(attach_btf_id), 8-aligned',
    );
    t.ok(PROG_INFO_SIZE <= btf.sizeOf('bpf_prog_info'), `within this kernel's ${btf.sizeOf('bpf_prog_info')} bytes`);
  });

  t.test('struct perf_event_attr', async (t) => {
    const view = written(PERF_ATTR_SIZE, (v) =>
      writePerfEventAttr(v, { type: 0x2, config: 0x1234n, samplePeriod: 0x1n, sampleType: 0x400n, disabled: true, wakeupWatermark: 0x800 }),
    );
    const fields = [
      ['type', 0x2n],
      ['size', BigInt(PERF_ATTR_SIZE)],
      ['config', 0x1234n],
      ['sample_period', 0x1n],
      ['sample_type', 0x400n],
      ['wakeup_watermark', 0x800n],
    ] as const;
    for (const [member, value] of fields) {
      const field = at('perf_event_attr', member);
      t.equal(read(view, field.byteOffset, field.size), value, `${member} @${field.byteOffset}`);
    }
    t.equal(at('perf_event_attr', 'sample_freq').byteOffset, at('perf_event_attr', 'sample_period').byteOffset, 'sample_freq shares it');
    t.equal(
      at('perf_event_attr', 'wakeup_events').byteOffset,
      at('perf_event_attr', 'wakeup_watermark').byteOffset,
      'wakeup_events shares it',
    );
    t.equal(read(view, at('perf_event_attr', 'read_format').byteOffset, 8), 0n, 'read_format left 0');
    for (const bit of ['disabled', 'watermark']) {
      const field = at('perf_event_attr', bit);
      t.equal(field.bitSize, 1, `${bit} is a 1-bit field`);
      const byte = Math.floor(field.bitOffset / 8);
      t.equal((view.getUint8(byte) >> (field.bitOffset % 8)) & 1, 1, `${bit}: bit ${field.bitOffset} set`);
    }
    // Every other bit of that word stays clear: only the two flags were asked for.
    const word = at('perf_event_attr', 'disabled').bitOffset / 64;
    const expected =
      (1n << BigInt(at('perf_event_attr', 'disabled').bitOffset % 64)) | (1n << BigInt(at('perf_event_attr', 'watermark').bitOffset % 64));
    t.equal(view.getBigUint64(word * 8, true), expected, 'no other flag bit set');
    // PERF_ATTR_SIZE_VER7 (128) ends with sig_data.
    t.equal(PERF_ATTR_SIZE, end('perf_event_attr', 'sig_data'), 'PERF_ATTR_SIZE = offsetofend(sig_data), VER7');
    t.ok(PERF_ATTR_SIZE <= btf.sizeOf('perf_event_attr'), `within this kernel's ${btf.sizeOf('perf_event_attr')} bytes`);
  });

  t.test('struct perf_event_mmap_page', async (t) => {
    t.equal(PERF_MMAP_DATA_HEAD, at('perf_event_mmap_page', 'data_head').byteOffset, 'data_head');
    t.equal(PERF_MMAP_DATA_TAIL, at('perf_event_mmap_page', 'data_tail').byteOffset, 'data_tail');
    t.equal(PERF_MMAP_DATA_OFFSET, at('perf_event_mmap_page', 'data_offset').byteOffset, 'data_offset');
    t.equal(PERF_MMAP_DATA_SIZE, at('perf_event_mmap_page', 'data_size').byteOffset, 'data_size');
    for (const member of ['data_head', 'data_tail', 'data_offset', 'data_size'])
      t.equal(at('perf_event_mmap_page', member).size, 8, `${member} is a u64`);
  });
});
