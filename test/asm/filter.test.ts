// A real tracepoint program written both ways: the sock:inet_sock_set_state filter that passes
// only TCP's SYN_RECV -> ESTABLISHED transition (a completed passive open) and sends the socket
// address to a perf event array. Builder and text must give identical bytes, and the kernel's
// verifier must accept them.
import t from 'tap';
import { DW, H, Helper, type Program, ProgramBuilder, R0, R1, R10, R2, R3, R4, R5, R6, W, bpf, disassemble } from '../../src/asm/index.ts';
import { kernelTest } from '../helpers/kernel.ts';

interface Offsets {
  skaddr: number;
  oldstate: number;
  newstate: number;
  protocol: number;
}

const IPPROTO_TCP = 6;
const TCP_ESTABLISHED = 1;
const TCP_SYN_RECV = 3;
const BPF_F_CURRENT_CPU = 0xffffffffn;

function fromText(o: Offsets): Program {
  return bpf`
    r6 = r1                                   // keep the context: r1 is clobbered by calls
    r2 = *(u16 *)(r6 + ${o.protocol})         // ctx->protocol
    if r2 != ${IPPROTO_TCP} goto drop         // TCP only
    r2 = *(u32 *)(r6 + ${o.oldstate})         // ctx->oldstate
    if r2 != ${TCP_SYN_RECV} goto drop
    r2 = *(u32 *)(r6 + ${o.newstate})         // ctx->newstate
    if r2 != ${TCP_ESTABLISHED} goto drop     // the handshake just completed
    r2 = *(u64 *)(r6 + ${o.skaddr})           // ctx->skaddr: the socket
    *(u64 *)(r10 - 8) = r2                    // event on the stack
    r1 = r6
    r2 = map[events] ll
    r3 = ${BPF_F_CURRENT_CPU} ll              // this CPU's ring
    r4 = r10
    r4 += -8
    r5 = 8                                    // sizeof event
    call bpf_perf_event_output
    r0 = 1
    exit
  drop:
    r0 = 0
    exit
  `;
}

function fromBuilder(o: Offsets): Program {
  return new ProgramBuilder()
    .mov64(R6, R1)
    .comment('keep the context: r1 is clobbered by calls')
    .ldx(H, R2, R6, o.protocol)
    .comment('ctx->protocol')
    .jne(R2, IPPROTO_TCP, 'drop')
    .comment('TCP only')
    .ldx(W, R2, R6, o.oldstate)
    .comment('ctx->oldstate')
    .jne(R2, TCP_SYN_RECV, 'drop')
    .ldx(W, R2, R6, o.newstate)
    .comment('ctx->newstate')
    .jne(R2, TCP_ESTABLISHED, 'drop')
    .comment('the handshake just completed')
    .ldx(DW, R2, R6, o.skaddr)
    .comment('ctx->skaddr: the socket')
    .stx(DW, R10, -8, R2)
    .comment('event on the stack')
    .mov64(R1, R6)
    .ldMap(R2, 'events')
    .ldImm64(R3, BPF_F_CURRENT_CPU)
    .comment("this CPU's ring")
    .mov64(R4, R10)
    .add64(R4, -8)
    .mov64(R5, 8)
    .comment('sizeof event')
    .call(Helper.perf_event_output)
    .mov64(R0, 1)
    .exit()
    .label('drop')
    .mov64(R0, 0)
    .exit()
    .build();
}

// The layout of sock:inet_sock_set_state's format file on Linux 6.x.
const FORMAT_OFFSETS: Offsets = { skaddr: 8, oldstate: 16, newstate: 20, protocol: 30 };

t.test('builder and text give identical bytes, comments and labels', async (t) => {
  const text = fromText(FORMAT_OFFSETS);
  const built = fromBuilder(FORMAT_OFFSETS);
  t.same(text.bytecode({ events: 5 }), built.bytecode({ events: 5 }));
  t.equal(text.instructionCount, 22, '20 instructions, two of them 16-byte ld_imm64');
  t.same(text.mapNames, ['events']);
  t.same([...text.labels], [['drop', 20]]);
  t.equal(text.disassemble(), built.disassemble(), 'same listing, comments included');
  t.match(text.disassemble(), /^\tif r2 != 6 goto drop {6,}\/\/ TCP only$/m);
  t.match(text.disassemble(), /^\tr2 = map\[events\] ll$/m);
  t.throws(() => text.bytecode(), /map 'events' has no fd/);
});

t.test('the listing re-assembles to the same program', async (t) => {
  const program = fromText(FORMAT_OFFSETS);
  const listing = program.disassemble();
  t.same(bpf([listing] as unknown as TemplateStringsArray).bytecode({ events: 9 }), program.bytecode({ events: 9 }));
  t.same(disassemble(program), listing);
});

t.test('the kernel verifier accepts the filter', kernelTest(), async (t) => {
  const syscalls = await import('../../src/syscalls/index.ts');
  const format = syscalls.readTracepoint('sock', 'inet_sock_set_state');
  const offsets: Offsets = {
    skaddr: format.field('skaddr').offset,
    oldstate: format.field('oldstate').offset,
    newstate: format.field('newstate').offset,
    protocol: format.field('protocol').offset,
  };
  const events = syscalls.createMap({
    type: syscalls.MapType.PerfEventArray,
    name: 'asm_test_events',
    keySize: 4,
    valueSize: 4,
    maxEntries: syscalls.possibleCpus().length,
  });
  t.teardown(() => events.close());
  for (const [how, program] of [
    ['text', fromText(offsets)],
    ['builder', fromBuilder(offsets)],
  ] as const) {
    const loaded = syscalls.loadProgram({
      type: syscalls.ProgType.Tracepoint,
      name: `asm_${how}`,
      instructions: program.bytecode({ events: events.fd }),
    });
    t.ok(loaded.fd >= 0, `${how}: loaded as fd ${loaded.fd}`);
    loaded.close();
  }
});

t.test('the kernel verifier accepts the v3 and v4 forms as we encode them', kernelTest(), async (t) => {
  const syscalls = await import('../../src/syscalls/index.ts');
  const program = bpf`
    r0 = 0
    r1 = -7
    r1 s/= 2                                  // v4 signed division
    r1 s%= 3
    w2 = w1
    w2 = (s8)w2                               // v4 sign-extending move
    r3 = (s32)r1
    r3 = bswap64 r3                           // v4 unconditional byte swap
    r3 = be16 r3
    *(u64 *)(r10 - 8) = 0
    *(u32 *)(r10 - 16) = -1
    lock *(u64 *)(r10 - 8) += r1
    r4 = 3
    r4 = atomic_fetch_add((u64 *)(r10 - 8), r4)
    w5 = 1
    w5 = xchg32_32(r10 - 16, w5)
    r0 = cmpxchg_64(r10 - 8, r0, r4)
    r6 = *(s32 *)(r10 - 16)                   // v4 sign-extending load
    r7 = *(u8 *)(r10 - 16)
    r8 = load_acquire((u64 *)(r10 - 8))
    store_release((u32 *)(r10 - 16), r7)
    if w6 s> 0 goto +1
    gotol +1                                  // v4 32-bit jump
    r0 = 1
    call bpf_ktime_get_ns
    r0 = 0
    exit
  `;
  const loaded = syscalls.loadProgram({ type: syscalls.ProgType.SocketFilter, name: 'asm_v4_forms', instructions: program.bytecode() });
  t.ok(loaded.fd >= 0, `loaded ${program.instructionCount} instructions`);
  loaded.close();
});
