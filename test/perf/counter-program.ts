// A tiny BPF program for the kernel tests and the benchmark: on each hit of a tracepoint by
// our own process it increments a per-CPU u64 counter and outputs the new value together with
// the CPU it ran on, so every CPU's records must read 1, 2, 3, … with no gap unless the kernel
// dropped some. The 12-byte payload (u64 count, u32 cpu) needs no raw-sample padding.
import { assemble } from '../../src/asm/index.ts';

/** Bytes each output carries: u64 count, u32 cpu. */
export const PAYLOAD_SIZE = 12;

/** Reads one record's count and CPU. */
export function decodeCounter(bytes: Uint8Array): { count: number; cpu: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { count: Number(view.getBigUint64(0, true)), cpu: view.getUint32(8, true) };
}

export type CounterOutput = 'perf' | 'ringbuf' | 'none';

const OUTPUT: Record<CounterOutput, string> = {
  // BPF_F_CURRENT_CPU (0xffffffff): the ring of the CPU the program runs on.
  perf: `
    r1 = r6
    r2 = map[events] ll
    r3 = 0xffffffff ll
    r4 = r10
    r4 += -16
    r5 = ${PAYLOAD_SIZE}
    call bpf_perf_event_output`,
  ringbuf: `
    r1 = map[events] ll
    r2 = r10
    r2 += -16
    r3 = ${PAYLOAD_SIZE}
    r4 = 0
    call bpf_ringbuf_output`,
  none: '',
};

export function counterProgram(opts: { counterFd: number; eventsFd: number; tgid: number; output: CounterOutput }): Uint8Array {
  const text = `
    r6 = r1                          // ctx, for perf_event_output
    call bpf_get_current_pid_tgid
    r0 >>= 32
    if r0 != ${opts.tgid} goto out   // other processes hit the tracepoint too
    *(u32 *)(r10 - 4) = 0            // key 0 of the per-CPU counter
    r2 = r10
    r2 += -4
    r1 = map[counter] ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = *(u64 *)(r0 + 0)
    r1 += 1
    *(u64 *)(r0 + 0) = r1
    *(u64 *)(r10 - 16) = r1          // payload: count at -16, cpu at -8
    call bpf_get_smp_processor_id
    *(u32 *)(r10 - 8) = r0
    ${OUTPUT[opts.output]}
  out:
    r0 = 0
    exit`;
  return assemble(text, opts.output === 'none' ? { counter: opts.counterFd } : { counter: opts.counterFd, events: opts.eventsFd });
}
