// The io_uring programs' pure parts (issue #18): the struct layout read from BTF for both
// shapes of the ring's fixed-file table (before Linux 6.13: file_table.files, an array of
// struct io_fixed_file; since: file_table.data.nodes, pointers to struct io_rsrc_node), built
// by hand at the offsets the real 6.1 and 6.18 kernels have; and the program texts assembling
// with every filter, with no offset typed into them.
import t from 'tap';
import { Btf } from '../../src/syscalls/index.ts';
import { ioUringStructLayout, ioUringTracepointLayout, type IoUringLayout } from '../../src/probe/layout.ts';
import {
  IORING_CQE_F_MORE,
  IORING_FILE_INDEX_ALLOC,
  PF_IO_WORKER,
  ioUringCompleteProgramText,
  ioUringSubmitProgramText,
} from '../../src/probe/io-uring-program.ts';
import { assembleProgram, type SocketLayout } from '../../src/probe/programs.ts';
import { EventSource, RECORD, decodeRecord, RECORD_SIZE } from '../../src/probe/record.ts';
import { parseFormat } from '../../src/syscalls/tracefs.ts';
import { BtfBuilder, type Member } from '../helpers/btf-builder.ts';

/** A vmlinux-like BTF with what the io_uring programs read, at a given kernel's offsets (bytes). */
function kernelBtf(
  shape: 'files' | 'nodes',
  at: { opcode: number; fileSlot: number; flags: number; leader: number; comm: number; fileTable: number; accept: number },
): Btf {
  const b = new BtfBuilder();
  const u8 = b.int('u8', 1);
  const u32 = b.int('unsigned int', 4);
  const u64 = b.int('long unsigned int', 8);
  const charArray = b.array(b.int('char', 1, { signed: true }), u32, 16);
  const bits = (bytes: number) => bytes * 8;
  const task = b.struct('task_struct', at.comm + 16 + 64, [
    ['flags', u32, bits(at.flags)],
    ['group_leader', b.ptr(0), bits(at.leader)],
    ['comm', charArray, bits(at.comm)],
  ]);
  void task;
  const cmd = b.struct('io_cmd_data', 64, [['data', b.array(u8, u32, 64), 0]]);
  const file = b.fwd('file');
  const reqUnion = b.union('', 64, [
    ['file', b.ptr(file), 0],
    ['cmd', cmd, 0],
  ]);
  b.struct('io_kiocb', 256, [
    ['', reqUnion, 0],
    ['opcode', u8, bits(at.opcode)],
  ]);
  b.struct('io_accept', 48, [
    ['file', b.ptr(file), 0],
    ['file_slot', u32, bits(at.fileSlot)],
  ]);
  let table: number;
  if (shape === 'files') {
    const fixed = b.struct('io_fixed_file', 8, [['file_ptr', u64, 0]]);
    table = b.struct('io_file_table', 24, [
      ['files', b.ptr(fixed), 0],
      ['bitmap', b.ptr(u64), 64],
    ]);
  } else {
    b.struct('io_rsrc_node', 24, [
      ['type', u8, 0],
      ['refs', u32, 32],
      ['tag', u64, 64],
      ['file_ptr', u64, 128],
    ]);
    const data = b.struct('io_rsrc_data', 16, [
      ['nr', u32, 0],
      ['nodes', b.ptr(b.ptr(0)), 64],
    ]);
    table = b.struct('io_file_table', 32, [
      ['data', data, 0],
      ['bitmap', b.ptr(u64), 128],
    ]);
  }
  const members: Member[] = [['file_table', table, bits(at.fileTable)]];
  b.struct('io_ring_ctx', 1024, members);
  b.enumeration('io_uring_op', 4, [
    ['IORING_OP_NOP', 0],
    ['IORING_OP_ACCEPT', at.accept],
    ['IORING_OP_LAST', 63],
  ]);
  return Btf.parse(b.build(), `hand-built ${shape} BTF`);
}

t.test('BTF layout before 6.13 (6.1: file_table.files) and since (6.18: file_table.data.nodes)', async (t) => {
  const v61 = kernelBtf('files', { opcode: 64, fileSlot: 28, flags: 44, leader: 2480, comm: 2976, fileTable: 136, accept: 13 });
  t.same(
    ioUringStructLayout(v61),
    {
      opAccept: 13,
      reqOpcode: 64,
      reqFileSlot: 28,
      taskFlags: { byteOffset: 44, size: 4 },
      taskGroupLeader: 2480,
      taskComm: 2976,
      taskCommSize: 16,
      fixedFiles: { kind: 'files', ctxFiles: 136, stride: 8, filePtr: 0 },
    },
    '6.1 shape: io_accept.file_slot at 28, an array of io_fixed_file',
  );
  const v618 = kernelBtf('nodes', { opcode: 64, fileSlot: 32, flags: 44, leader: 1328, comm: 1752, fileTable: 144, accept: 14 });
  const l = ioUringStructLayout(v618);
  t.same(
    l.fixedFiles,
    { kind: 'nodes', ctxNodes: 152, filePtr: 16 },
    '6.18 shape: data.nodes at file_table + 8, file_ptr at 16 in io_rsrc_node',
  );
  t.equal(l.opAccept, 14, 'IORING_OP_ACCEPT is taken from BTF, not typed in');
  t.equal(l.reqFileSlot, 32, 'file_slot: io_kiocb.cmd + io_accept.file_slot');
  const broken = new BtfBuilder();
  broken.struct('io_kiocb', 8, [['opcode', broken.int('u8', 1), 0]]);
  t.throws(() => ioUringStructLayout(Btf.parse(broken.build(), 'partial')), 'a kernel without the members: an error naming them');
});

const socket: SocketLayout = {
  taskFiles: 2000,
  filesFdt: 32,
  fdtableFd: 8,
  filePrivateData: 200,
  socketSk: 24,
  skcDaddr: 0,
  skcRcvSaddr: 4,
  skcDport: 12,
  skcFamily: 16,
  skcState: 18,
  skcV6Daddr: 56,
  skcV6RcvSaddr: 72,
  skProtocol: { byteOffset: 516, size: 2 },
  inetSport: 782,
};

const format = (event: string, fields: string) =>
  parseFormat(
    `name: ${event}
ID: 100
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

${fields}
print fmt: ""
`,
    'io_uring',
    event,
  );

// The host's formats (6.18); the programs take every offset from them.
const submit = format(
  'io_uring_submit_req',
  `	field:void * ctx;	offset:8;	size:8;	signed:0;
	field:void * req;	offset:16;	size:8;	signed:0;
	field:unsigned long long user_data;	offset:24;	size:8;	signed:0;
	field:u8 opcode;	offset:32;	size:1;	signed:0;
	field:unsigned long long flags;	offset:40;	size:8;	signed:0;
`,
);
const complete = format(
  'io_uring_complete',
  `	field:void * ctx;	offset:8;	size:8;	signed:0;
	field:void * req;	offset:16;	size:8;	signed:0;
	field:u64 user_data;	offset:24;	size:8;	signed:0;
	field:int res;	offset:32;	size:4;	signed:1;
	field:unsigned cflags;	offset:36;	size:4;	signed:0;
`,
);
const taskAdd = format(
  'io_uring_task_add',
  `	field:void * ctx;	offset:8;	size:8;	signed:0;
	field:void * req;	offset:16;	size:8;	signed:0;
	field:unsigned long long user_data;	offset:24;	size:8;	signed:0;
	field:u8 opcode;	offset:32;	size:1;	signed:0;
	field:int mask;	offset:36;	size:4;	signed:1;
`,
);

t.test('the programs assemble for both table shapes and every filter, offsets from the formats and BTF', async (t) => {
  for (const [shape, btf] of [
    ['files', kernelBtf('files', { opcode: 64, fileSlot: 28, flags: 44, leader: 2480, comm: 2976, fileTable: 136, accept: 13 })],
    ['nodes', kernelBtf('nodes', { opcode: 64, fileSlot: 32, flags: 44, leader: 1328, comm: 1752, fileTable: 144, accept: 13 })],
  ] as const) {
    const layout: IoUringLayout = { ...ioUringTracepointLayout(submit, complete, taskAdd), ...ioUringStructLayout(btf) };
    for (const filters of [
      {},
      { pid: 4242, portFilter: true, ipVersion: 4 as const, cgroupId: 77n, queueWait: true },
      { ipVersion: 6 as const },
    ]) {
      const text = ioUringCompleteProgramText(layout, socket, filters, { kind: 'ringbuf', wakeupBytes: 65536 });
      const program = assembleProgram('tcpaccept_iocqe', text);
      t.ok(
        program.instructionCount > 50,
        `${shape} ${JSON.stringify(filters, (_, v) => (typeof v === 'bigint' ? String(v) : v))}: completion program assembles`,
      );
      t.match(text, new RegExp(`r1 != ${layout.opAccept} goto out`), 'the opcode test uses IORING_OP_ACCEPT from BTF');
      t.match(text, `r3 += ${layout.reqOpcode}`, 'req->opcode at the BTF offset');
      t.match(text, `r3 += ${layout.reqFileSlot}`, 'file_slot at the BTF offset');
      t.match(text, `r7 = *(u32 *)(r6 + ${complete.field('res').offset})`, 'res at its format offset');
      t.match(text, `if w9 == ${IORING_FILE_INDEX_ALLOC} goto slot_known`, 'an allocated slot comes back as res');
      t.match(text, `r1 &= ${IORING_CQE_F_MORE}`, 'the last CQE of a request ends its map entry');
      t.match(text, `r1 &= ${PF_IO_WORKER}`, 'workers are named after their process');
      t.match(text, `*(u8 *)(r10 - ${-(-RECORD_SIZE + RECORD.source.offset)}) = ${EventSource.IoUring}`, 'the record says io_uring');
      t.match(
        text,
        shape === 'files' ? `r7 *= 8` : `r3 += ${(layout.fixedFiles as { ctxNodes: number }).ctxNodes}`,
        `the ${shape} table walk`,
      );
      if ('pid' in filters) t.match(text, 'if r1 != 4242 goto out', '-p in the completion program');
      for (const on of ['submit', 'taskAdd'] as const) {
        const sub = ioUringSubmitProgramText(layout, filters, on);
        t.ok(assembleProgram(`tcpaccept_${on}`, sub).instructionCount > 10, `${on} program assembles`);
        const code = sub.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('//'));
        t.match(code[1], `if r2 != ${layout.opAccept} goto out`, `${on}: leaves on its first comparison when not an accept`);
        t.equal(
          sub.includes('if r1 != 4242 goto out'),
          on === 'submit' && 'pid' in filters,
          `${on}: the task filter only where current is the server (not in softirq)`,
        );
      }
    }
  }
});

t.test('an io_uring record decodes as source io_uring, with its PID and COMM', async (t) => {
  const bytes = new Uint8Array(RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(RECORD.pid.offset, 1234, true);
  view.setUint32(RECORD.tid.offset, 1240, true);
  view.setUint16(RECORD.family.offset, 2, true);
  view.setUint16(RECORD.localPort.offset, 8080, true);
  bytes[RECORD.state.offset] = 1;
  bytes[RECORD.source.offset] = EventSource.IoUring;
  bytes.set(new TextEncoder().encode('io_uring_server'), RECORD.comm.offset);
  const event = decodeRecord(bytes);
  t.same([event.source, event.pid, event.tid, event.comm, event.localPort], ['io_uring', 1234, 1240, 'io_uring_server', 8080]);
});
