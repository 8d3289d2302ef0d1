// A tiny hand-encoded BPF program for the kernel tests and the benchmark: on each hit of a
// tracepoint by our own process it increments a per-CPU u64 counter and outputs the new value,
// with the CPU it ran on, so every CPU's records must read 1, 2, 3, … with no gap unless the
// kernel dropped some. The 12-byte payload (u64 count, u32 cpu) needs no raw-sample padding.
//
//   r6 = r1                              ; keep ctx for perf_event_output
//   call bpf_get_current_pid_tgid
//   r0 >>= 32
//   if r0 != TGID goto out               ; other processes trigger the tracepoint too
//   *(u32 *)(r10 - 4) = 0
//   r2 = r10 ; r2 += -4
//   r1 = map[counter] ll
//   call bpf_map_lookup_elem
//   if r0 == 0 goto out
//   r1 = *(u64 *)(r0 + 0) ; r1 += 1 ; *(u64 *)(r0 + 0) = r1
//   *(u64 *)(r10 - 16) = r1
//   call bpf_get_smp_processor_id ; *(u32 *)(r10 - 8) = r0
//   perf:    r1 = r6 ; r2 = map[events] ll ; r3 = 0xffffffff ll (BPF_F_CURRENT_CPU)
//            r4 = r10 ; r4 += -16 ; r5 = 12 ; call bpf_perf_event_output
//   ringbuf: r1 = map[events] ll ; r2 = r10 ; r2 += -16 ; r3 = 12 ; r4 = 0 ; call bpf_ringbuf_output
// out:
//   r0 = 0 ; exit

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R10 = 10;
const BPF_PSEUDO_MAP_FD = 1;
const HELPER = { map_lookup_elem: 1, get_smp_processor_id: 8, get_current_pid_tgid: 14, perf_event_output: 25, ringbuf_output: 130 } as const;

type Insn = [opcode: number, dst: number, src: number, off: number, imm: number];

const mov64Reg = (dst: number, src: number): Insn => [0xbf, dst, src, 0, 0];
const mov64Imm = (dst: number, imm: number): Insn => [0xb7, dst, 0, 0, imm];
const add64Imm = (dst: number, imm: number): Insn => [0x07, dst, 0, 0, imm];
const rsh64Imm = (dst: number, imm: number): Insn => [0x77, dst, 0, 0, imm];
const jneImm = (dst: number, imm: number, off: number): Insn => [0x55, dst, 0, off, imm];
const jeqImm = (dst: number, imm: number, off: number): Insn => [0x15, dst, 0, off, imm];
const stW = (dst: number, off: number, imm: number): Insn => [0x62, dst, 0, off, imm];
const stxW = (dst: number, src: number, off: number): Insn => [0x63, dst, src, off, 0];
const stxDw = (dst: number, src: number, off: number): Insn => [0x7b, dst, src, off, 0];
const ldxDw = (dst: number, src: number, off: number): Insn => [0x79, dst, src, off, 0];
const call = (helper: number): Insn => [0x85, 0, 0, 0, helper];
const exit = (): Insn => [0x95, 0, 0, 0, 0];
/** ld_imm64 takes two slots; src 1 marks the immediate as a map fd. */
const ldImm64 = (dst: number, value: number, src = 0): Insn[] => [
  [0x18, dst, src, 0, value | 0],
  [0x00, 0, 0, 0, Math.floor(value / 2 ** 32) | 0],
];

/** Bytes each output carries: u64 count, u32 cpu. */
export const PAYLOAD_SIZE = 12;

/** Reads one record's count and CPU. */
export function decodeCounter(bytes: Uint8Array): { count: number; cpu: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { count: Number(view.getBigUint64(0, true)), cpu: view.getUint32(8, true) };
}

export type CounterOutput = 'perf' | 'ringbuf' | 'none';

export function counterProgram(opts: { counterFd: number; eventsFd: number; tgid: number; output: CounterOutput }): Uint8Array {
  const tail: Insn[] = [mov64Imm(R0, 0), exit()];
  const output: Insn[] =
    opts.output === 'perf'
      ? [mov64Reg(R1, R6), ...ldImm64(R2, opts.eventsFd, BPF_PSEUDO_MAP_FD), ...ldImm64(R3, 0xffff_ffff), mov64Reg(R4, R10), add64Imm(R4, -16), mov64Imm(R5, PAYLOAD_SIZE), call(HELPER.perf_event_output)]
      : opts.output === 'ringbuf'
        ? [...ldImm64(R1, opts.eventsFd, BPF_PSEUDO_MAP_FD), mov64Reg(R2, R10), add64Imm(R2, -16), mov64Imm(R3, PAYLOAD_SIZE), mov64Imm(R4, 0), call(HELPER.ringbuf_output)]
        : [];
  const afterLookup: Insn[] = [ldxDw(R1, R0, 0), add64Imm(R1, 1), stxDw(R0, R1, 0), stxDw(R10, R1, -16), call(HELPER.get_smp_processor_id), stxW(R10, R0, -8), ...output];
  const lookup: Insn[] = [stW(R10, -4, 0), mov64Reg(R2, R10), add64Imm(R2, -4), ...ldImm64(R1, opts.counterFd, BPF_PSEUDO_MAP_FD), call(HELPER.map_lookup_elem)];
  // Jump offsets count instructions after the jump up to `out`.
  const body: Insn[] = [...lookup, jeqImm(R0, 0, afterLookup.length), ...afterLookup];
  const program: Insn[] = [mov64Reg(R6, R1), call(HELPER.get_current_pid_tgid), rsh64Imm(R0, 32), jneImm(R0, opts.tgid, body.length), ...body, ...tail];
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach(([opcode, dst, src, off, imm], i) => {
    view.setUint8(i * 8, opcode);
    view.setUint8(i * 8 + 1, (src << 4) | dst);
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  return bytes;
}
