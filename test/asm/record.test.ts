// defineRecord: one declaration gives the layout, the program text that fills the record on the
// stack, and the decoder/encoder user space uses. Pure: no kernel.
import t from 'tap';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { defineRecord, parse } from '../../src/index.ts';

t.test('laid out as C lays out the struct: natural alignment, padding listed, sizeof', async (t) => {
  const R = defineRecord({ a: 'u8', b: 'u32', c: 'u16', d: 'u64', comm: 'char[16]', e: 'u8' });
  t.same(Object.fromEntries(Object.entries(R.fields).map(([k, f]) => [k, [f.offset, f.size]])), {
    a: [0, 1],
    b: [4, 4],
    c: [8, 2],
    d: [16, 8],
    comm: [24, 16],
    e: [40, 1],
  });
  t.same(
    R.padding,
    [
      [1, 3],
      [10, 6],
      [41, 7],
    ],
    'every gap, the tail included',
  );
  t.equal(R.size, 48);
  t.same(
    [defineRecord({ port: 'u16' }).size, defineRecord({ a: 'u32', b: 'u8' }).size, defineRecord({ c: 'char[5]' }).size],
    [2, 8, 5],
    'sizeof: rounded to the largest alignment only',
  );
  t.equal(defineRecord({ a: 'u64', b: 'u32', c: 'u8' }).onStack(-16).zero(), '*(u64 *)(r10 - 16) = 0\n*(u64 *)(r10 - 8) = 0');
  t.equal(defineRecord({ a: 'u32', b: 'u16', c: 'u8' }).onStack(-8).zero(), '*(u64 *)(r10 - 8) = 0', 'zeroes with the widest stores');
  t.equal(
    defineRecord({ c: 'char[7]' }).onStack(-8).zero(),
    '*(u32 *)(r10 - 8) = 0\n*(u16 *)(r10 - 4) = 0\n*(u8 *)(r10 - 2) = 0',
    'an odd size',
  );
  t.throws(() => defineRecord({}), /at least one field/);
  t.throws(() => defineRecord({ x: 'u128' as 'u64' }), /field x: type "u128" is not one of/);
  t.throws(() => R.offsetOf('nope' as 'a'), /the record has no field "nope" \(fields: a, b, c, d, comm, e\)/);
});

t.test('decode reads what encode wrote, for every field type', async (t) => {
  const R = defineRecord({
    u8: 'u8',
    s8: 's8',
    u16: 'u16',
    s16: 's16',
    u32: 'u32',
    s32: 's32',
    u64: 'u64',
    s64: 's64',
    addr: 'u8[16]',
    comm: 'char[16]',
  });
  fc.assert(
    fc.property(
      fc.record({
        u8: fc.integer({ min: 0, max: 255 }),
        s8: fc.integer({ min: -128, max: 127 }),
        u16: fc.integer({ min: 0, max: 65535 }),
        s16: fc.integer({ min: -32768, max: 32767 }),
        u32: fc.nat({ max: 2 ** 32 - 1 }),
        s32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        u64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        s64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        addr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        comm: fc.stringMatching(/^[a-z0-9-]{0,15}$/),
      }),
      (values) => {
        assert.deepStrictEqual(R.decode(R.encode(values)), { ...values });
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random records round-trip');
  const shifted = new Uint8Array(R.size + 5);
  shifted.set(R.encode({ u32: 7, comm: 'nginx' }), 5);
  t.same([R.decode(shifted, 5).u32, R.decode(shifted, 5).comm], [7, 'nginx'], 'at an offset into a larger buffer');
  t.throws(() => R.decode(new Uint8Array(R.size - 1)), /needs \d+ bytes at offset 0, the buffer has/);
  t.throws(() => R.encode({ u16: 65536 }), /field u16 \(u16\) cannot hold 65536/);
  t.throws(() => R.encode({ u64: 1 as unknown as bigint }), /field u64 \(u64\) takes a bigint/);
  t.throws(() => R.encode({ comm: 'x'.repeat(17) }), /field comm \(char\[16\]\) takes a string of at most 16 bytes/);
});

t.test('on the stack: stores, zeroing and copies are program text the assembler takes', async (t) => {
  const R = defineRecord({ pid: 'u32', family: 'u16', port: 'u16', addr: 'u8[16]' });
  const rec = R.onStack(-R.size);
  t.equal(rec.offset, -24);
  t.equal(rec.address('port'), 'r10 - 18');
  t.equal(rec.store('family', 'r7'), '*(u16 *)(r10 - 20) = r7');
  t.equal(rec.store('pid', 0), '*(u32 *)(r10 - 24) = 0');
  t.equal(rec.zero().split('\n').length, 3, 'three 8-byte stores for 24 bytes');
  t.throws(() => rec.store('addr', 'r1'), /field addr is u8\[16\]: fill it with copy\(\), not store\(\)/);
  t.throws(() => R.onStack(-20), /needs an offset from -512 to -24, not -20/);
  t.throws(() => R.onStack(-28), /8-byte aligned/);
  const program = parse(`${rec.zero()}\n${rec.store('pid', 'r1')}\n${rec.copy('addr', 'r6', 34, 4)}\nr0 = 0\nexit`);
  t.match(program.disassemble(), /\*\(u16 \*\)\(r10 - 16\) = r1/, 'a copy from an odd context offset uses aligned halves');
});
