// Slot numbers in listings (disassemble({ slots: true }), as the verifier log and bpftool print
// them) and the slot -> source line map a parsed Program keeps, which turns a verifier
// rejection ("12: (79) ... R1 invalid mem access") into the line of text that wrote it.
import t from 'tap';
import {
  AsmSyntaxError,
  ProgramBuilder,
  R0,
  R1,
  Helper,
  bpf,
  describeVerifierRejection,
  disassemble,
  locateVerifierRejection,
  parse,
} from '../../src/asm/index.ts';

const text = `r6 = r1                      // the context
r1 = 0x100000000 ll          // two slots

out:
  call bpf_ktime_get_ns
  if r0 == 0 goto out        // never taken
  r0 = 0
  exit
`;

t.test('disassemble({ slots: true }) numbers slots, ld_imm64 taking two', async (t) => {
  const program = parse(text);
  const listing = disassemble(program, { slots: true });
  t.equal(
    listing,
    [
      '\t0: r6 = r1                              // the context',
      '\t1: r1 = 4294967296 ll                   // two slots',
      'out:',
      '\t3: call bpf_ktime_get_ns',
      '\t4: if r0 == 0 goto out                  // never taken',
      '\t5: r0 = 0',
      '\t6: exit',
      '',
    ].join('\n'),
  );
  t.same(parse(listing).bytecode(), program.bytecode(), 'a numbered listing parses back to the same bytes');
  t.same(parse(disassemble(program.bytecode(), { slots: true })).bytecode(), program.bytecode(), 'also from bytecode, without labels');
});

t.test('slot numbers right-align past 9', async (t) => {
  const program = parse(`${'r0 = 0\n'.repeat(11)}exit\n`);
  const lines = disassemble(program, { slots: true }).trimEnd().split('\n');
  t.equal(lines[0], ' 0: r0 = 0');
  t.equal(lines[11], '11: exit');
});

t.test('the parser checks each slot number against the slot it names', async (t) => {
  t.same(parse('0: r0 = 0\n1: exit').bytecode(), parse('r0 = 0\nexit').bytecode());
  t.same(parse('0: r1 = 5 ll\n2: r0 = 0\n3: exit').instructionCount, 4, 'ld_imm64 moves the count by two');
  t.throws(() => parse('0: r0 = 0\n2: exit'), AsmSyntaxError, 'a wrong number is an error');
  try {
    parse('0: r1 = 5 ll\n1: exit');
  } catch (error) {
    t.match((error as Error).message, /slot number 1 does not match: this instruction is at slot 2/);
  }
  t.throws(() => parse('0:\nexit'), /expected an instruction after slot number 0/);
});

t.test('a parsed Program maps every slot to its line of text', async (t) => {
  const program = parse(text);
  t.same(program.sourceOf(0), { line: 1, text: 'r6 = r1                      // the context' });
  t.same(program.sourceOf(1), { line: 2, text: 'r1 = 0x100000000 ll          // two slots' });
  t.same(program.sourceOf(2), { line: 2, text: 'r1 = 0x100000000 ll          // two slots' }, 'the second half of ld_imm64: the same line');
  t.equal(program.sourceOf(3)?.line, 5, 'blank lines and labels counted');
  t.equal(program.sourceOf(4)?.line, 6, "a jump to a label: the jump's line");
  t.equal(program.sourceOf(6)?.line, 8);
  t.equal(program.sourceOf(7), undefined, 'past the end');
  const templated = bpf`
    r2 = *(u32 *)(r1 + ${16})   // newstate
    exit`;
  t.same(
    templated.sourceOf(0),
    { line: 2, text: '    r2 = *(u32 *)(r1 + ${16})   // newstate' },
    'templates show interpolations as ${value}',
  );
  const several = parse('r0 = 0; exit');
  t.equal(several.sourceOf(1)?.line, 1, 'two statements on one line share it');
  const built = new ProgramBuilder().mov64(R0, 0).exit().build();
  t.equal(built.sourceOf(0), undefined, 'a built program has no text');
});

const log = `func#0 @0
0: R1=ctx() R10=fp0
0: (bf) r6 = r1                       ; R1=ctx() R6_w=ctx()
1: (18) r1 = 0x100000000              ; R1_w=0x100000000
3: (85) call bpf_ktime_get_ns#5       ; R0_w=scalar()
4: (79) r1 = *(u64 *)(r0 +16)
R0 invalid mem access 'scalar'
processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

t.test('locateVerifierRejection: the slot the log stopped at, its line and comment', async (t) => {
  const program = parse(`r6 = r1                      // the context
r1 = 0x100000000 ll
call bpf_ktime_get_ns
r1 = *(u64 *)(r0 + 16)       // the bug: r0 is a scalar
r0 = 0
exit
`);
  const rejection = locateVerifierRejection(program, log)!;
  t.equal(rejection.slot, 4);
  t.equal(rejection.reason, "R0 invalid mem access 'scalar'");
  t.equal(rejection.line, 4);
  t.equal(rejection.sourceText, 'r1 = *(u64 *)(r0 + 16)       // the bug: r0 is a scalar');
  t.equal(rejection.instruction, 'r1 = *(u64 *)(r0 + 16)');
  t.equal(rejection.comment, 'the bug: r0 is a scalar');
  t.equal(
    describeVerifierRejection(rejection),
    'slot 4, line 4 of the program text: r1 = *(u64 *)(r0 + 16)       // the bug: r0 is a scalar',
  );

  const built = new ProgramBuilder().mov64(R1, 0).call(Helper.ktime_get_ns).comment('now').exit().build();
  const placed = locateVerifierRejection(built, '0: (b7) r1 = 0\n1: (85) call bpf_ktime_get_ns#5\nunknown func\n')!;
  t.equal(describeVerifierRejection(placed), 'slot 1: call bpf_ktime_get_ns    // now', 'a built program: the instruction and its comment');

  const structural = locateVerifierRejection(program, 'unreachable insn 5\nprocessed 0 insns\n')!;
  t.equal(structural.slot, 5, 'structural errors name an insn');
  t.equal(structural.line, 5);
  t.equal(locateVerifierRejection(program, 'BPF program is too large\n'), undefined, 'no instruction named: undefined');
});
