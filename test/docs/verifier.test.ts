// The verifier rules docs/how-it-works.md states (§3), each shown by a short program loaded
// into this kernel: the wrong ones must be refused with the message the document quotes, and
// the two that a privileged loader may get away with must load.
import t from 'tap';
import { kernelTest } from '../helpers/kernel.ts';
import { KernelError, MapType, ProgType, bpf, createMap, createPerfEventArray, loadProgram, type Program } from '../../src/internal.ts';

t.test('the verifier answers as the walkthrough says', kernelTest(), async (t) => {
  const events = createPerfEventArray('vt_events');
  const hash = createMap({ type: MapType.Hash, name: 'vt_hash', keySize: 8, valueSize: 8, maxEntries: 4 });
  const ring = createMap({ type: MapType.RingBuf, name: 'vt_ring', keySize: 0, valueSize: 0, maxEntries: 4096 });
  t.teardown(() => {
    events.close();
    hash.close();
    ring.close();
  });
  const load = (program: Program) =>
    loadProgram({
      type: ProgType.Tracepoint,
      name: 'doc_verifier',
      instructions: program.bytecode({ events: events.fd, hash: hash.fd, ring: ring.fd }),
    });
  const refused = (what: string, program: Program, message: string) => {
    try {
      load(program).close();
      t.fail(`${what}: loaded, but the document says it is refused`);
    } catch (error) {
      t.ok(error instanceof KernelError && error.verifierLog?.includes(message), `${what}: "${message}"`);
    }
  };

  refused(
    'a misaligned context read',
    bpf`
    r2 = *(u32 *)(r1 + 18)
    r0 = 0
    exit`,
    'invalid bpf_context access off=18 size=4',
  );
  refused(
    'a store to the context',
    bpf`
    *(u32 *)(r1 + 16) = 0
    r0 = 0
    exit`,
    'invalid bpf_context access off=16 size=4',
  );
  refused(
    'a load through the task pointer',
    bpf`
    call bpf_get_current_task
    r1 = *(u64 *)(r0 + 16)
    r0 = 0
    exit`,
    "R0 invalid mem access 'scalar'",
  );
  refused(
    'a load through an unchecked lookup result',
    bpf`
    *(u64 *)(r10 - 8) = 0
    r1 = map[hash] ll
    r2 = r10
    r2 += -8
    call bpf_map_lookup_elem
    r0 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`,
    "R0 invalid mem access 'map_value_or_null'",
  );
  refused(
    'a store below the 512-byte frame',
    bpf`
    *(u64 *)(r10 - 520) = 0
    r0 = 0
    exit`,
    'invalid write to stack R10 off=-520 size=8',
  );
  refused(
    'an exit without r0',
    bpf`
    exit`,
    'R0 !read_ok',
  );

  // The ring buffer's rules (the default output).
  refused(
    'bpf_ringbuf_query on a perf event array',
    bpf`
    r1 = map[events] ll
    r2 = 0
    call bpf_ringbuf_query
    r0 = 0
    exit`,
    'cannot pass map_type 4 into func bpf_ringbuf_query#134',
  );
  refused(
    'bpf_perf_event_output into a ring buffer',
    bpf`
    *(u64 *)(r10 - 8) = 0
    r2 = map[ring] ll
    r3 = 0xffffffff ll
    r4 = r10
    r4 += -8
    r5 = 8
    call bpf_perf_event_output
    r0 = 0
    exit`,
    'cannot pass map_type 27 into func bpf_perf_event_output#25',
  );
  refused(
    'a ring buffer record reaching past the frame',
    bpf`
    *(u64 *)(r10 - 8) = 0
    r1 = map[ring] ll
    r2 = r10
    r2 += -8
    r3 = 16
    r4 = 0
    call bpf_ringbuf_output
    r0 = 0
    exit`,
    'invalid read from stack R2 off=-8 size=16',
  );
  refused(
    'a ring buffer record of unbounded size',
    bpf`
    *(u64 *)(r10 - 8) = 0
    call bpf_get_prandom_u32
    r3 = r0
    r1 = map[ring] ll
    r2 = r10
    r2 += -8
    r4 = 0
    call bpf_ringbuf_output
    r0 = 0
    exit`,
    "R3 min value is negative, either use unsigned or 'var &= const'",
  );
  refused(
    'a reserved record never submitted',
    bpf`
    r1 = map[ring] ll
    r2 = 8
    r3 = 0
    call bpf_ringbuf_reserve
    r0 = 0
    exit`,
    'Unreleased reference id=2 alloc_insn=4',
  );

  // Privileged (CAP_PERFMON) loads may hand uninitialized stack to helpers: initializing the
  // record is the programs' own rule, not the verifier's.
  t.doesNotThrow(
    () =>
      load(bpf`
    r2 = map[events] ll
    r3 = 0xffffffff ll
    r4 = r10
    r4 += -16
    r5 = 16
    call bpf_perf_event_output
    r0 = 0
    exit`).close(),
    'uninitialized stack passed to bpf_perf_event_output loads as root',
  );
  t.doesNotThrow(
    () =>
      load(bpf`
    r1 = map[hash] ll
    r2 = r10
    r2 += -8
    call bpf_map_lookup_elem
    r0 = 0
    exit`).close(),
    'an uninitialized map key loads as root',
  );
  t.doesNotThrow(
    () =>
      load(bpf`
    call bpf_get_prandom_u32
    r4 = r0
    r1 = map[ring] ll
    r2 = r10
    r2 += -16
    r3 = 16
    call bpf_ringbuf_output
    r0 = 0
    exit`).close(),
    'uninitialized stack and flags unknown until run time: bpf_ringbuf_output loads as root',
  );
});
