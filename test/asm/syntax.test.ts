// The text front end: comments, labels, offsets, templates, names, and the errors people see.
import t from 'tap';
import { AsmSyntaxError, Helper, R1, R6, W1, assemble, bpf, disassemble, parse } from '../../src/asm/index.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function syntaxError(text: string): AsmSyntaxError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof AsmSyntaxError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

t.test('comments: //, # and /* */ as LLVM accepts them; ; separates statements', async (t) => {
  const program = parse(`
    // a whole-line comment is not attached to anything
    r0 = 1 // one
    r0 = 2 # two
    /* block
       comment */ r0 = 3
    r0 = 4; r0 = 5 // five
    exit;
  `);
  t.same(
    program.instructions.map((i) => i.imm),
    [1, 2, 3, 4, 5, 0],
  );
  t.same(
    program.instructions.map((i) => i.comment),
    ['one', 'two', undefined, undefined, 'five', undefined],
  );
  t.equal(
    program.disassemble(),
    'r0 = 1                               // one\nr0 = 2                               // two\nr0 = 3\nr0 = 4\nr0 = 5                               // five\nexit\n',
  );
});

t.test('labels: forward and backward, on their own line or before an instruction', async (t) => {
  const program = parse(`
    start: r1 = 0
    loop:
      r1 += 1
      if r1 < 10 goto loop
      goto out
      r0 = 9
    out:
      r0 = 0
      exit
  `);
  t.same(
    [...program.labels],
    [
      ['start', 0],
      ['loop', 1],
      ['out', 5],
    ],
  );
  t.same(
    program.instructions.map((i) => i.off),
    [0, 0, -2, 1, 0, 0, 0],
  );
  t.equal(hex(program.bytecode()), hex(assemble('r1 = 0\nr1 += 1\nif r1 < 10 goto -2\ngoto +1\nr0 = 9\nr0 = 0\nexit')));
  t.match(program.disassemble(), /^loop:\n\tr1 \+= 1\n\tif r1 < 10 goto loop$/m);
});

t.test("jump offsets: +N, -N, N (as llvm-mc), and the verifier's pc+N", async (t) => {
  for (const spelling of ['goto +3', 'goto 3', 'goto pc+3']) t.equal(hex(assemble(spelling)), '0500030000000000', spelling);
  t.equal(hex(assemble('goto pc-1')), '0500ffff00000000');
  t.equal(hex(assemble('if r1 == r2 goto pc+0')), '1d21000000000000');
});

t.test("the verifier log's spacing and hex immediates parse", async (t) => {
  t.equal(hex(assemble('r2 = *(u32 *)(r6 +16)')), hex(assemble('r2 = *(u32 *)(r6 + 16)')));
  t.equal(hex(assemble('*(u64 *)(r10 -8) = r1')), hex(assemble('*(u64 *)(r10 - 8) = r1')));
  t.equal(hex(assemble('if r0 == 0x0 goto pc+1')), hex(assemble('if r0 == 0 goto +1')));
  t.equal(hex(assemble('lock *(u64 *)(r1 +0) += r2')), 'db21000000000000');
  t.equal(hex(assemble('R0 = 1')), hex(assemble('r0 = 1')), 'register names are case-insensitive, as in llvm-mc');
});

t.test('helper calls by name or number; labels win over helper names', async (t) => {
  t.equal(hex(assemble('call bpf_perf_event_output')), hex(assemble('call 25')));
  t.equal(hex(assemble('call bpf_get_current_task_btf')), hex(assemble(`call ${Helper.get_current_task_btf}`)));
  t.equal(hex(assemble('call bpf_ringbuf_submit#132')), '8500000084000000', "the verifier's name#id form");
  const local = parse('call bpf_ktime_get_ns\nexit\nbpf_ktime_get_ns:\nr0 = 0\nexit');
  t.equal(local.instructions[0]?.src, 1, 'a label of that name makes it a BPF-to-BPF call');
  t.equal(local.instructions[0]?.imm, 1);
  t.match(syntaxError('call ktime_get_ns').message, /neither a label nor a helper/);
});

t.test('BPF-to-BPF calls and function pointers by label', async (t) => {
  const program = parse('call square\nexit\nsquare:\nr0 = r1\nr0 *= r1\nexit\ncallback:\nr1 = func[square] ll\nexit');
  t.equal(program.instructions[0]?.imm, 1);
  t.equal(program.instructions[5]?.imm, -4, 'func[] is relative to the next slot');
  t.match(program.disassemble(), /\tcall square\n/);
  t.match(program.disassemble(), /\tr1 = func\[square\] ll\n/);
  t.equal(disassemble(program.bytecode()).split('\n')[0], 'call pc+1');
});

t.test('maps by name, resolved at load time', async (t) => {
  const program = parse('r1 = map[events] ll\nr2 = map[counts][0]+8 ll\nr3 = map[events]\nexit');
  t.same(program.mapNames, ['events', 'counts']);
  t.equal(program.instructionCount, 7);
  const bytes = program.bytecode(
    new Map([
      ['events', 7],
      ['counts', 8],
    ]),
  );
  t.equal(hex(bytes.subarray(0, 16)), '18110000070000000000000000000000');
  t.equal(hex(bytes.subarray(16, 32)), '18220000080000000000000008000000');
  t.equal(disassemble(bytes), 'r1 = map[fd:7] ll\nr2 = map[fd:8][0]+8 ll\nr3 = map[fd:7] ll\nexit\n');
  t.match(program.disassemble(), /r2 = map\[counts\]\[0\]\+8 ll/);
  t.throws(() => program.bytecode({ events: 7 }), /map 'counts' has no fd/);
  t.match(syntaxError('r1 = map[events][1] ll').message, /names element \[0\]/);
  t.match(syntaxError('w1 = map[events] ll').message, /64-bit register/);
});

t.test('template interpolation: numbers, bigints, registers, names', async (t) => {
  const offset = -8;
  const program = bpf`
    ${R6} = ${R1}
    r2 = *(u32 *)(r6 + ${offset})       // + ${'a negative offset'}
    ${W1} += ${0xffffffff}
    r3 = ${0x1234567890n} ll
    r4 = map[${'events'}] ll
    if r2 == ${7} goto ${'out'}
    call ${Helper.ktime_get_ns}
  ${'out'}:
    exit
  `;
  t.equal(
    hex(program.bytecode({ events: 3 })),
    hex(
      assemble('r6 = r1\nr2 = *(u32 *)(r6 - 8)\nw1 += -1\nr3 = 78187493520 ll\nr4 = map[events] ll\nif r2 == 7 goto +1\ncall 5\nexit', {
        events: 3,
      }),
    ),
  );
  t.equal(program.instructions[1]?.comment, "+ ${'a negative offset'}");
  const error = (() => {
    try {
      bpf`r1 = ${1.5}`;
    } catch (caught) {
      return caught as AsmSyntaxError;
    }
    throw new Error('parsed');
  })();
  t.ok(error instanceof AsmSyntaxError);
  t.match(error.message, /\$\{1\.5\}, which is not a safe integer/);
  t.equal(error.column, 6);
});

t.test('syntax errors name line, column and what was expected', async (t) => {
  const error = syntaxError('r0 = 0\n  r1 = *(u32 *)(r2 + x)\nexit');
  t.equal(error.line, 2);
  t.equal(error.column, 22);
  t.match(error.reason, /expected an offset, found "x"/);
  t.equal(error.message, 'line 2, column 22: expected an offset, found "x"\n    r1 = *(u32 *)(r2 + x)\n                       ^');
  const cases: [string, RegExp][] = [
    ['r1 = 0x80000000', /does not fit in a signed 32-bit field; add "ll"/],
    ['r1 = 0x100000000', /does not fit/],
    ['r1 = 010', /ambiguous number "010"/],
    ['r1 = 1ll', /expected a number/],
    ['r1 = w2', /differ in width/],
    ['if r1 > w2 goto +1', /differ in width/],
    ['r1 = r2 +', /end of the statement/],
    ['goto nowhere', /unknown label 'nowhere'/],
    ['a: exit\na: exit', /duplicate label 'a'/],
    ['goto +40000', /jump offset 40000 is out of range/],
    ['r1 = *(u64 *)(r2 + 32768)', /offset 32768 is out of range/],
    ['r11 = 1', /expected an instruction or a label/],
    ['r1 = -r2', /negation is in place/],
    ['r1 = be16 r2', /byte swaps are in place/],
    ['w1 = (s32)w2', /sign-extension cast/],
    ['lock *(u8 *)(r1 + 0) += r2', /u32 or u64/],
    ['r2 = xchg_64(r1 + 0, r3)', /on both sides/],
    ['r1 = cmpxchg_64(r1 + 0, r0, r2)', /r0/],
    ['callx r1', /not accepted by the Linux verifier/],
    ['r1 = r2 /* never closed', /unterminated/],
    ['r1 = $', /unexpected character "\$"/],
  ];
  for (const [text, reason] of cases) t.match(syntaxError(text).reason, reason, text);
  t.match(syntaxError('goto end\nexit\nend:').reason, /at the end of the program/);
});

t.test('32-bit operations take unsigned immediates; 64-bit ones refuse what would sign-extend', async (t) => {
  t.equal(hex(assemble('w1 = 0xffffffff')), hex(assemble('w1 = -1')));
  t.equal(hex(assemble('if w1 == 0x80000000 goto +0')), '1601000000000080');
  t.equal(hex(assemble('*(u32 *)(r10 - 4) = 0xffffffff')), '620afcffffffffff');
  t.match(syntaxError('*(u64 *)(r10 - 8) = 0xffffffff').reason, /signed 32-bit/);
  t.equal(hex(assemble('r1 = 0xffffffffffffffff ll')), hex(assemble('r1 = -1 ll')));
  t.match(syntaxError('r1 = 0x10000000000000000 ll').reason, /does not fit in 64 bits/);
});

t.test('an empty program and a program of comments are empty', async (t) => {
  t.equal(parse('').instructionCount, 0);
  t.equal(parse('// nothing\n# here\n').instructionCount, 0);
  t.equal(disassemble(new Uint8Array()), '');
});
