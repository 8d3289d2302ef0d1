// The typed builder: every method encodes like its text form, and bad operands are refused at
// the call that made them, naming the instruction's index and mnemonic.
import t, { type Test } from 'tap';
import {
  AsmBuildError,
  B,
  DW,
  type Size,
  FP,
  H,
  Helper,
  type Instruction,
  ProgramBuilder,
  R0,
  R1,
  R2,
  R3,
  R10,
  R,
  Register,
  W,
  assemble,
} from '../../src/asm/index.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const same = (t: Test, build: (b: ProgramBuilder) => ProgramBuilder, text: string): void => {
  t.equal(hex(build(new ProgramBuilder()).build().bytecode({ m: 4 })), hex(assemble(text, { m: 4 })), text);
};

function buildError(build: () => unknown): AsmBuildError {
  try {
    build();
  } catch (error) {
    if (error instanceof AsmBuildError) return error;
    throw error;
  }
  throw new Error('built');
}

t.test('each builder method encodes like its text form', async (t) => {
  const alu = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'xor', 'lsh', 'rsh', 'arsh', 'mov'] as const;
  const operators = ['+=', '-=', '*=', '/=', 's/=', '%=', 's%=', '|=', '&=', '^=', '<<=', '>>=', 's>>=', '='];
  alu.forEach((op, i) => {
    const operator = operators[i] as string;
    same(t, (b) => b[`${op}64`](R1, R2), `r1 ${operator} r2`);
    same(t, (b) => b[`${op}64`](R1, -3), `r1 ${operator} -3`);
    same(t, (b) => b[`${op}32`](R1, R2), `w1 ${operator} w2`);
    same(t, (b) => b[`${op}32`](R1, 0xffffffff), `w1 ${operator} -1`);
  });
  same(t, (b) => b.neg64(R3).neg32(R3), 'r3 = -r3\nw3 = -w3');
  same(t, (b) => b.movsx64(R1, R2, 32).movsx32(R1, R2, 8), 'r1 = (s32)r2\nw1 = (s8)w2');
  same(t, (b) => b.le(R1, 16).be(R1, 32).bswap(R1, 64), 'r1 = le16 r1\nr1 = be32 r1\nr1 = bswap64 r1');
  same(t, (b) => b.addrSpaceCast(R1, R2, 1, 0), 'r1 = addr_space_cast(r2, 1, 0)');
  const conditions = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jset', 'jsgt', 'jsge', 'jslt', 'jsle'] as const;
  const symbols = ['==', '!=', '>', '>=', '<', '<=', '&', 's>', 's>=', 's<', 's<='];
  conditions.forEach((cond, i) => {
    same(t, (b) => b[cond](R1, R2, 1).exit().exit(), `if r1 ${symbols[i]} r2 goto +1\nexit\nexit`);
    same(t, (b) => b[`${cond}32`](R1, 7, 'x').exit().label('x').exit(), `if w1 ${symbols[i]} 7 goto x\nexit\nx: exit`);
  });
  same(t, (b) => b.ja('x').gotol('x').mayGoto('x').label('x').exit(), 'goto x\ngotol x\nmay_goto x\nx: exit');
  same(t, (b) => b.ja(-1).gotol(70000), 'goto -1\ngotol +70000');
  same(
    t,
    (b) => b.call(Helper.map_lookup_elem).callSubprog('f').callKfunc(1234, 2).exit().label('f').exit(),
    'call 1\ncall f\ncall kfunc[id:1234, idx:2]\nexit\nf: exit',
  );
  for (const [size, type] of [
    [B, 'u8'],
    [H, 'u16'],
    [W, 'u32'],
    [DW, 'u64'],
  ] as const) {
    same(t, (b) => b.ldx(size, R1, R2, -4), `r1 = *(${type} *)(r2 - 4)`);
    same(t, (b) => b.stx(size, FP, -8, R1), `*(${type} *)(r10 - 8) = r1`);
    same(t, (b) => b.st(size, FP, -8, 7), `*(${type} *)(r10 - 8) = 7`);
    same(t, (b) => b.loadAcquire(size, R0, R1, 8), `r0 = load_acquire((${type} *)(r1 + 8))`);
    same(t, (b) => b.storeRelease(size, R1, 8, R2), `store_release((${type} *)(r1 + 8), r2)`);
  }
  same(t, (b) => b.ldxsx(B, R1, R2, 0).ldxsx(W, R1, R2, 0), 'r1 = *(s8 *)(r2 + 0)\nr1 = *(s32 *)(r2 + 0)');
  same(
    t,
    (b) => b.atomic('add', DW, R1, 0, R2).atomic('fetch_xor', W, R1, 4, R2),
    'lock *(u64 *)(r1 + 0) += r2\nw2 = atomic_fetch_xor((u32 *)(r1 + 4), w2)',
  );
  same(
    t,
    (b) => b.atomic('xchg', DW, R1, 0, R2).atomic('cmpxchg', W, R1, 0, R2),
    'r2 = xchg_64(r1 + 0, r2)\nw0 = cmpxchg32_32(r1 + 0, w0, w2)',
  );
  same(t, (b) => b.ldAbs(H, 12).ldInd(W, R1, 4), 'r0 = *(u16 *)skb[12]\nr0 = *(u32 *)skb[r1 + 4]');
  same(t, (b) => b.ldImm64(R1, -1n).ldImm64(R2, 2 ** 40), 'r1 = -1 ll\nr2 = 1099511627776 ll');
  same(t, (b) => b.ldMap(R1, 'm').ldMapValue(R2, 'm', 8).ldMapFd(R3, 9), 'r1 = map[m] ll\nr2 = map[m][0]+8 ll\nr3 = map[fd:9] ll');
  same(
    t,
    (b) => b.ldMapIdx(R1, 1).ldMapIdx(R1, 1, 4).ldBtfId(R2, 77, 3),
    'r1 = map[idx:1] ll\nr1 = map[idx:1][0]+4 ll\nr2 = btf[id:77, fd:3] ll',
  );
  same(t, (b) => b.ldFunc(R1, 'f').exit().label('f').exit(), 'r1 = func[f] ll\nexit\nf: exit');
});

t.test('invalid operands throw at the call, with instruction index and mnemonic', async (t) => {
  const b = new ProgramBuilder().mov64(R0, 0).ldImm64(R1, 5n); // slots 0, 1-2
  const cases: [() => unknown, string][] = [
    [() => b.add64(R1, 2 ** 31), 'instruction 3 (add64): immediate 2147483648 does not fit in a signed 32-bit field'],
    [() => b.add32(R1, 2 ** 32), 'instruction 3 (add32): immediate 4294967296 does not fit in a signed 32-bit field'],
    [() => b.ldx(W, R1, R2, 40000), 'instruction 3 (ldx): offset 40000 does not fit in a signed 16-bit field'],
    [() => b.jeq(R1, 1.5, 'x'), 'instruction 3 (jeq): immediate 1.5 does not fit in a signed 32-bit field'],
    [
      () => b.mov64({ index: 11 } as unknown as Register, 0),
      'instruction 3 (mov64): destination [object Object] is not a register (use R0..R10)',
    ],
    [() => b.ja('r1'), 'instruction 3 (ja): label "r1" is not a usable identifier'],
    [() => b.ldMap(R1, 'my map'), 'instruction 3 (ld_map): map name "my map" is not a usable identifier'],
    [() => b.ldx(3 as unknown as Size, R1, R2, 0), 'instruction 3 (ldx): 3 is not a size (use B, H, W or DW)'],
    [
      () => b.raw({ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 1 } satisfies Instruction),
      'instruction 3 (exit): reserved field imm must be 0, is 1',
    ],
    [() => b.ldImm64(R1, 2n ** 64n), 'instruction 3 (ld_imm64): 18446744073709551616 is not a 64-bit integer'],
  ];
  for (const [build, message] of cases) t.equal(buildError(build).message, message);
  t.equal(b.build().instructionCount, 3, 'failed calls added nothing');
});

t.test('build() reports unknown, duplicate and too-distant labels', async (t) => {
  t.equal(
    buildError(() => new ProgramBuilder().mov64(R0, 0).jne(R1, 0, 'out').exit().build()).message,
    "instruction 1 (jne): unknown label 'out'",
  );
  t.equal(
    buildError(() => new ProgramBuilder().label('a').exit().label('a').exit().build()).message,
    "instruction 1 (label): duplicate label 'a'",
  );
  const far = new ProgramBuilder().ja('end');
  for (let i = 0; i < 40000; i++) far.mov64(R0, 0);
  far.label('end').exit();
  t.match(buildError(() => far.build()).message, /^instruction 0 \(ja\): label 'end' is 40000 slots away/);
  const long = new ProgramBuilder().gotol('end');
  for (let i = 0; i < 40000; i++) long.mov64(R0, 0);
  t.equal(long.label('end').exit().build().instructions[0]?.imm, 40000, 'gotol reaches it');
  t.equal(
    buildError(() => new ProgramBuilder().comment('nothing yet')).message,
    'instruction 0 (comment): there is no instruction to attach the comment to yet',
  );
});

t.test('programs list their maps, count slots, and keep comments', async (t) => {
  const program = new ProgramBuilder()
    .ldMap(R1, 'events')
    .comment('perf ring')
    .ldMap(R2, 'starts')
    .ldMap(R3, 'events')
    .mov64(R0, 0)
    .exit()
    .build();
  t.same(program.mapNames, ['events', 'starts']);
  t.equal(program.instructionCount, 8);
  t.equal(program.instructions.length, 5);
  t.equal(program.listing()[0]?.comment, 'perf ring');
  t.same(
    program.listing().map((e) => e.pc),
    [0, 2, 4, 6, 7],
  );
  t.equal(
    buildError(() => program.bytecode({ events: 3 })).message,
    "instruction 2 (ld_imm64): map 'starts' has no fd: pass it to bytecode({ starts: fd })",
  );
  t.equal(
    buildError(() => program.bytecode({ events: 3, starts: -1 })).message,
    "instruction 2 (ld_imm64): fd -1 for map 'starts' is not a file descriptor",
  );
  t.equal(R.length, 11);
  t.equal(R10, FP);
  t.equal(`${R1}`, 'r1');
});
