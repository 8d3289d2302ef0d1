// The io_uring accept programs (issue #18), written by hand like programs.ts: one comment per
// step says why. io_uring servers accept without accept(2)/accept4(2), so the syscall
// tracepoints never see them; these two programs report their accepts with the same exact
// PID/TID/COMM, the same filters and the same record (source EventSource.IoUring).
//
//   io_uring:io_uring_submit_req  remembers each IORING_OP_ACCEPT request by (ring, user_data)
//                                 with its file_slot: a multishot accept's CQEs, but its last,
//                                 come without a request pointer (kernels 6.1, 6.12, 6.18).
//   io_uring:io_uring_complete    a CQE: is it an accept's (the request's opcode, or the map),
//                                 where is the new socket (an fd of this process, or a slot of
//                                 the ring's fixed-file table), then the shared socket walk.
//
// Offsets come from tracefs formats and BTF (layout.ts); the few numbers below are uapi or
// kernel #defines, which BTF does not carry, each named where it is defined.
import { fp, mapUpdateElem, sizeName } from '../asm/index.ts';
import type { IoUringLayout } from './layout.ts';
import {
  MAP_NAMES,
  acceptedSocketProgramText,
  taskFilters,
  type AcceptFrame,
  type EventOutput,
  type ProgramFilters,
  type SocketLayout,
} from './programs.ts';
import { EventSource, RECORD } from './record.ts';

/** include/uapi/linux/io_uring.h: sqe->file_index asking the kernel to choose a free slot (and return it as res). */
export const IORING_FILE_INDEX_ALLOC = 0xffffffff;
/** include/uapi/linux/io_uring.h: cqe->flags bit saying the request will post more CQEs (multishot). */
export const IORING_CQE_F_MORE = 1 << 1;
/** include/linux/sched.h: task_struct.flags of io-wq workers and SQPOLL threads (Linux 5.12+). */
export const PF_IO_WORKER = 0x00000010;
/**
 * io_uring/filetable.h: a fixed file's `file_ptr` keeps FFS_NOWAIT, FFS_ISREG (and FFS_SCM on
 * 6.1) in its low bits, which the struct file's alignment leaves free: clearing the low 3 bits
 * gives the pointer on every kernel since 5.x.
 */
const FILE_PTR_FLAG_MASK = 7;
const BPF_ANY = 0;
const POINTER_SIZE = 8;

/** Entries of the ioaccepts map: accept requests in flight (an LRU: requests never completed age out). */
export const IO_ACCEPT_MAP_ENTRIES = 16384;
/** ioaccepts key: the ring (struct io_ring_ctx *) and the request's user_data. */
export const IO_ACCEPT_KEY_SIZE = 16;
/** ioaccepts value: the accept's file_slot (u32). */
export const IO_ACCEPT_VALUE_SIZE = 4;

/**
 * Program on io_uring:io_uring_submit_req. It runs for every request submitted to any ring on
 * the host, so its first comparison sends everything but an accept away; an ordinary
 * accept(2) server never reaches it.
 */
export function ioUringSubmitProgramText(layout: IoUringLayout, filters: ProgramFilters, on: 'submit' | 'taskAdd' = 'submit'): string {
  const tp = on === 'submit' ? layout.submit : layout.taskAdd!;
  // Stack: the key (ring, user_data) at -16, the value (file_slot) at -24.
  return `
${
  on === 'submit'
    ? '// io_uring:io_uring_submit_req — a request was submitted; keep only accepts.'
    : `// io_uring:io_uring_task_add — a request's poll fired and its task_work is queued: for a
// multishot accept armed before tracing started, this is where it is first seen (its CQEs
// carry no request). Softirq context: no task filter applies here.`
}
r2 = *(${sizeName(tp.opcode.size)} *)(r1 + ${tp.opcode.offset})   // opcode
if r2 != ${layout.opAccept} goto out            // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
r6 = r1                                       // r6 = tracepoint record; survives helper calls
${on === 'submit' ? taskFilters(filters) : ''}
r1 = *(u64 *)(r6 + ${tp.ctx.offset})           // ctx: the ring
*(u64 *)(r10 - 16) = r1                       // key: ring ...
r1 = *(u64 *)(r6 + ${tp.userData.offset})      // user_data: the tag the server gave the request
*(u64 *)(r10 - 8) = r1                        // ... and user_data, as the completion tracepoint reports them
// The accept's file_slot (io_accept in the request's cmd area, set by the prep before this tracepoint).
r3 = *(u64 *)(r6 + ${tp.req.offset})           // req: struct io_kiocb *
r3 += ${layout.reqFileSlot}                     // &req->cmd as struct io_accept: file_slot
r1 = r10
r1 += -24
r2 = 4
call bpf_probe_read_kernel                    // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
${mapUpdateElem(MAP_NAMES.ioaccepts, -16, -24, BPF_ANY, 'LRU: requests that never complete age out')}
out:
r0 = 0
exit
`;
}

/**
 * Program on io_uring:io_uring_complete. A CQE is posted in the task that submitted the request
 * (inline or task_work), in an io-wq worker (iou-wrk-PID, with IOSQE_ASYNC or when the accept
 * had to block) or in the SQPOLL thread: all in the server's thread group, sharing its fd table,
 * so the TGID and the fd walk are exact; the COMM of a worker is the process's (its leader's).
 */
export function ioUringCompleteProgramText(
  layout: IoUringLayout,
  socket: SocketLayout,
  filters: ProgramFilters,
  output: EventOutput = { kind: 'perf' },
): string {
  const tp = layout.complete;
  const fixed = layout.fixedFiles;
  const toFile = (frame: AcceptFrame): string => {
    const { key, scratch } = frame;
    if (scratch !== key + 8) throw new Error('io_uring program: the key and scratch slots must be adjacent (a 16-byte map key)');
    const ringKey = `r1 = *(u64 *)(r6 + ${tp.ctx.offset})           // key: ctx (the ring) ...
*(u64 *)(${fp(key)}) = r1
r1 = *(u64 *)(r6 + ${tp.userData.offset})      // ... and user_data, as the submit program stored them
*(u64 *)(${fp(scratch)}) = r1`;
    const probeRead = (size: number, what: string) => `r1 = r10
r1 += ${scratch}
r2 = ${size}
call bpf_probe_read_kernel                    // ${what}`;
    const fixedWalk =
      fixed.kind === 'nodes'
        ? `// Linux 6.13+: ctx->file_table.data.nodes[slot] is a struct io_rsrc_node *, which holds file_ptr.
r3 = *(u64 *)(r6 + ${tp.ctx.offset})           // ctx: the ring (struct io_ring_ctx *)
${frame.readPointer(fixed.ctxNodes, "ctx->file_table.data.nodes: the ring's fixed files")}
r7 <<= 3                                      // the slot indexes an array of 8-byte pointers
r3 += r7                                      // &nodes[slot]
${probeRead(POINTER_SIZE, "nodes[slot]: the slot's struct io_rsrc_node")}
r3 = *(u64 *)(${fp(scratch)})
${frame.readPointer(fixed.filePtr, 'node->file_ptr: the struct file, flags in the low bits')}`
        : `// Before Linux 6.13: ctx->file_table.files is an array of struct io_fixed_file { file_ptr }.
r3 = *(u64 *)(r6 + ${tp.ctx.offset})           // ctx: the ring (struct io_ring_ctx *)
${frame.readPointer(fixed.ctxFiles, "ctx->file_table.files: the ring's fixed files")}
r7 *= ${fixed.stride}                               // sizeof(struct io_fixed_file), from BTF
r3 += r7                                      // &files[slot]
${frame.readPointer(fixed.filePtr, 'files[slot].file_ptr: the struct file, flags in the low bits')}`;
    return `
// io_uring:io_uring_complete — a CQE was posted; report it if it is an accept's.
r6 = r1                                       // r6 = tracepoint record; survives helper calls
r7 = *(u32 *)(r6 + ${tp.res.offset})           // r7 = res: the new fd, a fixed-file slot, 0, or -errno
if w7 s< 0 goto out                           // failed or cancelled (-ECANCELED as the ring goes away): nothing accepted
${taskFilters(filters)}
r1 = *(u64 *)(r6 + ${tp.req.offset})           // req: the request; NULL on a multishot accept's CQEs but its last
if r1 == 0 goto by_user_data
// A request: is it an accept? Its opcode, offset from BTF.
r3 = r1
r3 += ${layout.reqOpcode}                       // &req->opcode
${probeRead(1, 'req->opcode (u8)')}
r1 = *(u8 *)(${fp(scratch)})
if r1 != ${layout.opAccept} goto out            // IORING_OP_ACCEPT (enum io_uring_op, from BTF): other CQEs leave here
r3 = *(u64 *)(r6 + ${tp.req.offset})
r3 += ${layout.reqFileSlot}                     // &req->cmd as struct io_accept: file_slot
${probeRead(4, 'file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC')}
r9 = *(u32 *)(${fp(scratch)})                   // r9 = file_slot, until the socket replaces it
r1 = *(u32 *)(r6 + ${tp.cflags.offset})        // cflags
r1 &= ${IORING_CQE_F_MORE}                                       // IORING_CQE_F_MORE: a multishot accept stays armed
if r1 != 0 goto have_slot
// The request's last CQE: the submit program's entry has served.
${ringKey}
r1 = map[${MAP_NAMES.ioaccepts}] ll
r2 = r10
r2 += ${key}
call bpf_map_delete_elem
goto have_slot
by_user_data:
// No request: a multishot accept's CQE (posted as an "aux" CQE). Was it an accept we saw submitted?
${ringKey}
r1 = map[${MAP_NAMES.ioaccepts}] ll
r2 = r10
r2 += ${key}
call bpf_map_lookup_elem
if r0 == 0 goto out                           // not an accept (or submitted before tracing started)
r9 = *(u32 *)(r0 + 0)                         // r9 = its file_slot
have_slot:
if r9 != 0 goto fixed_file                    // a direct descriptor: res is no fd
${frame.fdToFile(false)}
goto have_file
fixed_file:
if w9 == ${IORING_FILE_INDEX_ALLOC} goto slot_known           // IORING_FILE_INDEX_ALLOC: the kernel chose the slot, res is it
r7 = r9                                       // an explicit slot: file_index is slot + 1 (0 means no slot), res is 0
r7 += -1
slot_known:
${fixedWalk}
r3 &= ${-(FILE_PTR_FLAG_MASK + 1)}                                      // clear the FFS_* flag bits: the struct file pointer
have_file:`;
  };
  // An io-wq worker's or SQPOLL thread's comm is iou-wrk-PID / iou-sqp-PID: name the process.
  const comm = (commOffset: number, frame: AcceptFrame): string => `call bpf_get_current_task
r3 = r0
r3 += ${layout.taskFlags.byteOffset}                       // &current->flags
r1 = r10
r1 += ${frame.scratch}
r2 = ${layout.taskFlags.size}
call bpf_probe_read_kernel
r1 = *(${sizeName(layout.taskFlags.size)} *)(${fp(frame.scratch)})
r1 &= ${PF_IO_WORKER}                                      // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
if r1 == 0 goto own_comm
call bpf_get_current_task
r3 = r0
${frame.readPointer(layout.taskGroupLeader, "current->group_leader: the process's main thread")}
r3 += ${layout.taskComm}                       // &group_leader->comm
r1 = r10
r1 += ${commOffset}
r2 = ${Math.min(RECORD.comm.size, layout.taskCommSize)}
call bpf_probe_read_kernel                    // the process's command name, NUL-padded
goto comm_done
own_comm:
r1 = r10
r1 += ${commOffset}
r2 = ${RECORD.comm.size}
call bpf_get_current_comm                     // the submitting thread itself: its command name
comm_done:`;
  return acceptedSocketProgramText({ toFile, source: EventSource.IoUring, comm }, socket, filters, output);
}
