// Property tests: disassemble -> assemble is the identity on bytes for every valid program,
// and no input text makes the parser throw anything but AsmSyntaxError (or hang).
import fc from 'fast-check';
import t from 'tap';
import { AsmDecodeError, AsmSyntaxError, Program, assemble, decode, disassemble, parse } from '../../src/asm/index.ts';
import { instruction, program } from './arbitrary.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

t.test('assemble(disassemble(x)) == x over random valid instruction streams', async (t) => {
  fc.assert(
    fc.property(program, (bytes) => {
      const text = disassemble(bytes);
      const again = assemble(text);
      if (hex(again) !== hex(bytes)) throw new Error(`round trip changed bytes:\n${text}`);
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random programs round-tripped');
});

t.test('the round trip also holds with generated labels and numeric helper calls', async (t) => {
  fc.assert(
    fc.property(program, fc.boolean(), (bytes, helperNames) => {
      const text = disassemble(bytes, { labels: true, helperNames });
      if (hex(assemble(text)) !== hex(bytes)) throw new Error(`round trip changed bytes:\n${text}`);
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 random programs round-tripped through labels');
});

t.test('every instruction prints as exactly one line that parses back alone', async (t) => {
  fc.assert(
    fc.property(instruction, (insn) => {
      const bytes = Program.fromBytecode(new Program([insn], new Map()).bytecode()).bytecode();
      const text = disassemble(bytes);
      if (text.split('\n').length !== 2) throw new Error(`not one line: ${JSON.stringify(text)}`);
      t.equal(hex(assemble(text)), hex(bytes));
    }),
    { numRuns: 1000 },
  );
});

t.test('random bytes either decode and round-trip or fail with AsmDecodeError', async (t) => {
  let decoded = 0;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
      let text: string;
      try {
        text = disassemble(bytes);
      } catch (error) {
        if (!(error instanceof AsmDecodeError)) throw error;
        return;
      }
      decoded++;
      if (hex(assemble(text)) !== hex(bytes)) throw new Error(`round trip changed bytes:\n${text}`);
    }),
    { numRuns: 3000 },
  );
  t.ok(decoded > 0, `some random byte strings were valid programs (${decoded})`);
});

const VOCABULARY = [
  'r0',
  'r1',
  'w2',
  'r10',
  'r11',
  'w11',
  '=',
  '+=',
  's>>=',
  's/=',
  '-',
  '+',
  '*',
  '(',
  ')',
  '[',
  ']',
  ',',
  ':',
  ';',
  'u8',
  'u64',
  's32',
  'u128',
  'if',
  'goto',
  'gotol',
  'may_goto',
  'call',
  'exit',
  'lock',
  'll',
  'map',
  'fd',
  'idx',
  'btf',
  'id',
  'func',
  'kfunc',
  'pc',
  'skb',
  'out',
  'out:',
  'bpf_ktime_get_ns',
  'atomic_fetch_add',
  'xchg_64',
  'cmpxchg_64',
  'load_acquire',
  'store_release',
  'addr_space_cast',
  'be16',
  'bswap64',
  '0',
  '1',
  '-1',
  '0x7fffffff',
  '0x80000000',
  '99999999999999999999999',
  '08',
  '1ll',
  '//',
  '#',
  '/*',
  '*/',
  '\n',
  '==',
  '!=',
  's<',
  '&',
  '<<=',
];

function expectSyntaxErrorOrProgram(text: string): void {
  try {
    parse(text);
  } catch (error) {
    if (!(error instanceof AsmSyntaxError)) throw new Error(`${String(error)} for ${JSON.stringify(text)}`);
    if (!(error.line >= 1 && error.column >= 1)) throw new Error(`bad position ${error.line}:${error.column}`);
  }
}

t.test('garbage text gives AsmSyntaxError, never another exception or a hang', async (t) => {
  const tokenSoup = fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 30 }).map((words) => words.join(' '));
  const tightSoup = fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 30 }).map((words) => words.join(''));
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), tokenSoup, tightSoup), (text) =>
      expectSyntaxErrorOrProgram(text),
    ),
    {
      numRuns: 5000,
    },
  );
  t.pass('5000 random texts');
});

t.test('mutations of valid programs give a Program or an AsmSyntaxError', async (t) => {
  fc.assert(
    fc.property(
      program,
      fc.nat(),
      fc.constantFrom('delete', 'insert', 'swap'),
      fc.string({ minLength: 1, maxLength: 1 }),
      (bytes, at, mutation, c) => {
        const text = disassemble(bytes, { labels: true });
        const i = at % (text.length + 1);
        const mutated =
          mutation === 'delete'
            ? text.slice(0, i) + text.slice(i + 1)
            : mutation === 'insert'
              ? text.slice(0, i) + c + text.slice(i)
              : text.slice(0, i) + c + text.slice(i + 1);
        expectSyntaxErrorOrProgram(mutated);
      },
    ),
    { numRuns: 3000 },
  );
  t.pass('3000 mutated programs');
});

t.test('decode rejects what the kernel would reject, naming the instruction', async (t) => {
  const cases: [string, string][] = [
    ['9500000000000001', 'reserved field imm'], // exit with imm
    ['18010000000000000000000000000000'.slice(0, 16), 'second 8-byte half'],
    ['8d01000000000000', 'call must be'], // callx
    ['f700000000000000', 'unknown ALU operation'],
    ['b7000000000000000101', 'whole number'],
    ['db21000002000000', 'unknown atomic operation'],
    ['0f2b000000000000', 'out of range'],
  ];
  for (const [bytes, reason] of cases) {
    const error = (() => {
      try {
        decode(Buffer.from(bytes, 'hex'));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    t.ok(error instanceof AsmDecodeError, `${bytes} is refused with AsmDecodeError`);
    t.match((error as Error).message, reason);
    t.match((error as Error).message, /^instruction \d+: /);
  }
});
