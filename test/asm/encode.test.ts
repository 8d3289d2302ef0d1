// src/asm/encode.ts is the one place instruction fields are composed: both front ends call it.
// This checks that they do (no opcode composed by hand in parser.ts or builder.ts) and that each
// constructor gives what the text syntax means (the llvm-mc tests check the text's bytes).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as encode from '../../src/asm/encode.ts';
import { B, DW, H, W, parse, type Instruction } from '../../src/asm/index.ts';

const asm = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'asm');

t.test('the front ends compose no opcode themselves', async (t) => {
  for (const file of ['parser.ts', 'builder.ts']) {
    const source = readFileSync(join(asm, file), 'utf8');
    t.notMatch(source, /\bopcode:/, `${file}: no instruction literal`);
    t.notMatch(source, /\b(Class|Mode|AluOp|JmpOp|Source|ByteOrder|Pseudo)\.[A-Z]/, `${file}: no opcode constants`);
    t.notMatch(source, /from '\.\/parser\.ts'/, `${file}: imports nothing from the parser`);
  }
});

const cases: Array<[text: string, insn: Instruction]> = [
  ['r1 += r2', encode.aluReg(64, 'add', 1, 2)],
  ['w3 s/= 7', encode.aluImm(32, 'sdiv', 3, 7)],
  ['r4 s%= r5', encode.aluReg(64, 'smod', 4, 5)],
  ['w0 = -1', encode.aluImm(32, 'mov', 0, -1)],
  ['r1 = -r1', encode.neg(64, 1)],
  ['r1 = (s16)r2', encode.movsx(64, 1, 2, 16)],
  ['r1 = addr_space_cast(r2, 1, 0)', encode.addrSpaceCast(1, 2, 1, 0)],
  ['r1 = be16 r1', encode.byteSwap('be', 1, 16)],
  ['r2 = bswap64 r2', encode.byteSwap('bswap', 2, 64)],
  ['goto +3', encode.ja(3)],
  ['gotol -2', encode.gotol(-2)],
  ['may_goto +1', encode.mayGoto(1)],
  ['if r1 s< r2 goto +4', encode.jumpReg(64, 'jslt', 1, 2, 4)],
  ['if w1 & 0x80 goto -1', encode.jumpImm(32, 'jset', 1, 0x80, -1)],
  ['call bpf_ktime_get_ns', encode.callHelper(5)],
  ['call pc+2', encode.callLocal(2)],
  ['call kfunc[id:99, idx:1]', encode.callKfunc(99, 1)],
  ['exit', encode.exit()],
  ['r2 = *(u32 *)(r6 + 16)', encode.ldx(W, 2, 6, 16)],
  ['r2 = *(s8 *)(r6 - 1)', encode.ldxsx(B, 2, 6, -1)],
  ['*(u16 *)(r10 - 2) = r3', encode.stx(H, 10, -2, 3)],
  ['*(u64 *)(r10 - 8) = 0', encode.st(DW, 10, -8, 0)],
  ['lock *(u64 *)(r1 + 0) += r2', encode.atomic('add', DW, 1, 0, 2)],
  ['r2 = atomic_fetch_or((u32 *)(r1 + 4), r2)', encode.atomic('fetch_or', W, 1, 4, 2)],
  ['r0 = cmpxchg_64(r1 + 0, r0, r2)', encode.atomic('cmpxchg', DW, 1, 0, 2)],
  ['r3 = load_acquire((u64 *)(r1 + 8))', encode.loadAcquire(DW, 3, 1, 8)],
  ['store_release((u32 *)(r1 + 0), r2)', encode.storeRelease(W, 1, 0, 2)],
  ['r0 = *(u8 *)skb[12]', encode.ldAbs(B, 12)],
  ['r0 = *(u16 *)skb[r3 + 2]', encode.ldInd(H, 3, 2)],
  ['r1 = 0x1122334455667788 ll', encode.ldImm64(1, 0x1122334455667788n)],
  ['r1 = -1 ll', encode.ldImm64(1, -1n)],
  ['r1 = map[events] ll', encode.ldMap(1, 'events')],
  ['r1 = map[fd:7] ll', encode.ldMap(1, 7)],
  ['r1 = map[config][0]+8 ll', encode.ldMapValue(1, 'config', 8)],
  ['r1 = map[idx:2][0]+4 ll', encode.ldMapIdx(1, 2, 4)],
  ['r1 = btf[id:123, fd:4] ll', encode.ldBtfId(1, 123, 4)],
  ['r1 = func[pc+3] ll', encode.ldFunc(1, 3)],
];

t.test('each constructor is what its text means', async (t) => {
  for (const [text, insn] of cases) {
    // exit ends each program so that forward jumps and calls have somewhere to land.
    const program = parse(`${text}\nexit\nexit\nexit\nexit\nexit\n`);
    t.same(program.instructions[0], insn, text);
  }
});
