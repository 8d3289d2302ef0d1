// golden: ts-tcpaccept --ebpf -p 4242, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused); ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, 16384 entries)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 136 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	  2: if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: r1 = r8
	  6: r1 >>= 32                            // r1 = tgid: what users call the PID
	  7: if r1 != 4242 goto out               // -p: another process
	  8: call bpf_get_current_task
	  9: r3 = r0                              // r3 = current (struct task_struct *)
	 10: r3 += 1824                           // &current->files
	 11: r1 = r10
	 12: r1 += -176
	 13: r2 = 8
	 14: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 15: r3 = *(u64 *)(r10 - 176)
	 16: r3 += 32                             // &files->fdt
	 17: r1 = r10
	 18: r1 += -176
	 19: r2 = 8
	 20: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 21: r3 = *(u64 *)(r10 - 176)
	 22: r3 += 8                              // &fdt->fd: the array of open files
	 23: r1 = r10
	 24: r1 += -176
	 25: r2 = 8
	 26: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 27: r3 = *(u64 *)(r10 - 176)
	 28: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 29: r3 += r7                             // &fdt->fd[ret]
	 30: r1 = r10
	 31: r1 += -176
	 32: r2 = 8
	 33: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 34: r3 = *(u64 *)(r10 - 176)
	 35: r3 += 24                             // &file->private_data: the struct socket
	 36: r1 = r10
	 37: r1 += -176
	 38: r2 = 8
	 39: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	 40: r3 = *(u64 *)(r10 - 176)
	 41: r3 += 24                             // &socket->sk: the struct sock
	 42: r1 = r10
	 43: r1 += -176
	 44: r2 = 8
	 45: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	 46: r3 = *(u64 *)(r10 - 176)
	 47: r9 = r3                              // r9 = sk; survives helper calls
	 48: r1 = r10
	 49: r1 += -168
	 50: r2 = 88
	 51: call bpf_probe_read_kernel
	 52: if r0 != 0 goto out                  // no readable socket behind this fd
	 53: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 54: if r7 == 2 goto family_ok            // IPv4
	 55: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	 56: r1 = r10
	 57: r1 += -184
	 58: r2 = 2
	 59: r3 = r9
	 60: r3 += 532                            // &sk->sk_protocol
	 61: call bpf_probe_read_kernel
	 62: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 63: if r1 != 6 goto out
	 64: r1 = r10
	 65: r1 += -54
	 66: r2 = 2
	 67: r3 = r9
	 68: r3 += 814                            // &inet_sk(sk)->inet_sport
	 69: call bpf_probe_read_kernel
	 70: r1 = *(u16 *)(r10 - 54)
	 71: r1 = be16 r1                         // network to host byte order
	 72: *(u16 *)(r10 - 54) = r1
	 73: call bpf_ktime_get_ns
	 74: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	 75: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	 76: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	 77: r8 >>= 32
	 78: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	 79: r7 = *(u16 *)(r10 - 152)
	 80: *(u16 *)(r10 - 56) = r7
	 81: r1 = *(u16 *)(r10 - 156)
	 82: r1 = be16 r1                         // remote port, network to host byte order
	 83: *(u16 *)(r10 - 52) = r1
	 84: r1 = *(u8 *)(r10 - 150)
	 85: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	 86: *(u8 *)(r10 - 49) = 1
	 87: if r7 == 10 goto ipv6
	 88: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 89: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 90: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 91: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 92: r1 = *(u32 *)(r10 - 164)
	 93: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	 94: r1 = *(u32 *)(r10 - 168)
	 95: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	 96: goto comm
ipv6:
	 97: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	 98: *(u64 *)(r10 - 48) = r1
	 99: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	100: *(u64 *)(r10 - 40) = r1
	101: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	102: *(u64 *)(r10 - 32) = r1
	103: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	104: *(u64 *)(r10 - 24) = r1
comm:
	105: r1 = r10
	106: r1 += -16
	107: r2 = 16
	108: call bpf_get_current_comm            // the server's command name, NUL-padded
	109: r1 = map[events] ll
	111: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	112: call bpf_ringbuf_query
	113: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	114: if r0 < 65448 goto wakeup_chosen
	115: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	116: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	117: r1 = map[events] ll
	119: r2 = r10
	120: r2 += -80
	121: r3 = 80
	122: call bpf_ringbuf_output
	123: if r0 == 0 goto out                  // delivered
	124: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	125: r1 = map[lost] ll
	127: r2 = r10
	128: r2 += -184
	129: call bpf_map_lookup_elem
	130: if r0 == 0 goto out
	131: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	132: r1 += 1
	133: *(u64 *)(r0 + 0) = r1
out:
	134: r0 = 0
	135: exit

// program tcpaccept_iosub (BPF_PROG_TYPE_TRACEPOINT, 28 instructions)
// attached to: tracepoint:io_uring:io_uring_submit_req
	 0: r2 = *(u8 *)(r1 + 32)                // opcode
	 1: if r2 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
	 2: r6 = r1                              // r6 = tracepoint record; survives helper calls
	 3: call bpf_get_current_pid_tgid
	 4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	 5: r1 = r8
	 6: r1 >>= 32                            // r1 = tgid: what users call the PID
	 7: if r1 != 4242 goto out               // -p: another process
	 8: r1 = *(u64 *)(r6 + 8)                // ctx: the ring
	 9: *(u64 *)(r10 - 16) = r1              // key: ring ...
	10: r1 = *(u64 *)(r6 + 24)               // user_data: the tag the server gave the request
	11: *(u64 *)(r10 - 8) = r1               // ... and user_data, as the completion tracepoint reports them
	12: r3 = *(u64 *)(r6 + 16)               // req: struct io_kiocb *
	13: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	14: r1 = r10
	15: r1 += -24
	16: r2 = 4
	17: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
	18: r1 = map[ioaccepts] ll
	20: r2 = r10
	21: r2 += -16
	22: r3 = r10
	23: r3 += -24
	24: r4 = 0
	25: call bpf_map_update_elem             // LRU: requests that never complete age out
out:
	26: r0 = 0
	27: exit

// program tcpaccept_iotwa (BPF_PROG_TYPE_TRACEPOINT, 23 instructions)
// attached to: tracepoint:io_uring:io_uring_task_add
	 0: r2 = *(u8 *)(r1 + 32)                // opcode
	 1: if r2 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
	 2: r6 = r1                              // r6 = tracepoint record; survives helper calls
	 3: r1 = *(u64 *)(r6 + 8)                // ctx: the ring
	 4: *(u64 *)(r10 - 16) = r1              // key: ring ...
	 5: r1 = *(u64 *)(r6 + 24)               // user_data: the tag the server gave the request
	 6: *(u64 *)(r10 - 8) = r1               // ... and user_data, as the completion tracepoint reports them
	 7: r3 = *(u64 *)(r6 + 16)               // req: struct io_kiocb *
	 8: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	 9: r1 = r10
	10: r1 += -24
	11: r2 = 4
	12: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
	13: r1 = map[ioaccepts] ll
	15: r2 = r10
	16: r2 += -16
	17: r3 = r10
	18: r3 += -24
	19: r4 = 0
	20: call bpf_map_update_elem             // LRU: requests that never complete age out
out:
	21: r0 = 0
	22: exit

// program tcpaccept_iocqe (BPF_PROG_TYPE_TRACEPOINT, 227 instructions)
// attached to: tracepoint:io_uring:io_uring_complete
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u32 *)(r6 + 32)               // r7 = res: the new fd, a fixed-file slot, 0, or -errno
	  2: if w7 s< 0 goto out                  // failed or cancelled (-ECANCELED as the ring goes away): nothing accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: r1 = r8
	  6: r1 >>= 32                            // r1 = tgid: what users call the PID
	  7: if r1 != 4242 goto out               // -p: another process
	  8: r1 = *(u64 *)(r6 + 16)               // req: the request; NULL on a multishot accept's CQEs but its last
	  9: if r1 == 0 goto by_user_data
	 10: r3 = r1
	 11: r3 += 64                             // &req->opcode
	 12: r1 = r10
	 13: r1 += -176
	 14: r2 = 1
	 15: call bpf_probe_read_kernel           // req->opcode (u8)
	 16: r1 = *(u8 *)(r10 - 176)
	 17: if r1 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): other CQEs leave here
	 18: r3 = *(u64 *)(r6 + 16)
	 19: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	 20: r1 = r10
	 21: r1 += -176
	 22: r2 = 4
	 23: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC
	 24: r9 = *(u32 *)(r10 - 176)             // r9 = file_slot, until the socket replaces it
	 25: r1 = *(u32 *)(r6 + 36)               // cflags
	 26: r1 &= 2                              // IORING_CQE_F_MORE: a multishot accept stays armed
	 27: if r1 != 0 goto have_slot
	 28: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 29: *(u64 *)(r10 - 184) = r1
	 30: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 31: *(u64 *)(r10 - 176) = r1
	 32: r1 = map[ioaccepts] ll
	 34: r2 = r10
	 35: r2 += -184
	 36: call bpf_map_delete_elem
	 37: goto have_slot
by_user_data:
	 38: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 39: *(u64 *)(r10 - 184) = r1
	 40: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 41: *(u64 *)(r10 - 176) = r1
	 42: r1 = map[ioaccepts] ll
	 44: r2 = r10
	 45: r2 += -184
	 46: call bpf_map_lookup_elem
	 47: if r0 == 0 goto out                  // not an accept (or submitted before tracing started)
	 48: r9 = *(u32 *)(r0 + 0)                // r9 = its file_slot
have_slot:
	 49: if r9 != 0 goto fixed_file           // a direct descriptor: res is no fd
	 50: call bpf_get_current_task
	 51: r3 = r0                              // r3 = current (struct task_struct *)
	 52: r3 += 1824                           // &current->files
	 53: r1 = r10
	 54: r1 += -176
	 55: r2 = 8
	 56: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 57: r3 = *(u64 *)(r10 - 176)
	 58: r3 += 32                             // &files->fdt
	 59: r1 = r10
	 60: r1 += -176
	 61: r2 = 8
	 62: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 63: r3 = *(u64 *)(r10 - 176)
	 64: r3 += 8                              // &fdt->fd: the array of open files
	 65: r1 = r10
	 66: r1 += -176
	 67: r2 = 8
	 68: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 69: r3 = *(u64 *)(r10 - 176)
	 70: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 71: r3 += r7                             // &fdt->fd[ret]
	 72: r1 = r10
	 73: r1 += -176
	 74: r2 = 8
	 75: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 76: r3 = *(u64 *)(r10 - 176)
	 77: goto have_file
fixed_file:
	 78: if w9 == -1 goto slot_known          // IORING_FILE_INDEX_ALLOC: the kernel chose the slot, res is it
	 79: r7 = r9                              // an explicit slot: file_index is slot + 1 (0 means no slot), res is 0
	 80: r7 += -1
slot_known:
	 81: r3 = *(u64 *)(r6 + 8)                // ctx: the ring (struct io_ring_ctx *)
	 82: r3 += 152                            // &ctx->file_table.data.nodes: the ring's fixed files
	 83: r1 = r10
	 84: r1 += -176
	 85: r2 = 8
	 86: call bpf_probe_read_kernel           // ctx->file_table.data.nodes: the ring's fixed files (left 0 if unreadable: the walk then ends at the family check)
	 87: r3 = *(u64 *)(r10 - 176)
	 88: r7 <<= 3                             // the slot indexes an array of 8-byte pointers
	 89: r3 += r7                             // &nodes[slot]
	 90: r1 = r10
	 91: r1 += -176
	 92: r2 = 8
	 93: call bpf_probe_read_kernel           // nodes[slot]: the slot's struct io_rsrc_node
	 94: r3 = *(u64 *)(r10 - 176)
	 95: r3 += 16                             // &node->file_ptr: the struct file, flags in the low bits
	 96: r1 = r10
	 97: r1 += -176
	 98: r2 = 8
	 99: call bpf_probe_read_kernel           // node->file_ptr: the struct file, flags in the low bits (left 0 if unreadable: the walk then ends at the family check)
	100: r3 = *(u64 *)(r10 - 176)
	101: r3 &= -8                             // clear the FFS_* flag bits: the struct file pointer
have_file:
	102: r3 += 24                             // &file->private_data: the struct socket
	103: r1 = r10
	104: r1 += -176
	105: r2 = 8
	106: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	107: r3 = *(u64 *)(r10 - 176)
	108: r3 += 24                             // &socket->sk: the struct sock
	109: r1 = r10
	110: r1 += -176
	111: r2 = 8
	112: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	113: r3 = *(u64 *)(r10 - 176)
	114: r9 = r3                              // r9 = sk; survives helper calls
	115: r1 = r10
	116: r1 += -168
	117: r2 = 88
	118: call bpf_probe_read_kernel
	119: if r0 != 0 goto out                  // no readable socket behind this fd
	120: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	121: if r7 == 2 goto family_ok            // IPv4
	122: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	123: r1 = r10
	124: r1 += -184
	125: r2 = 2
	126: r3 = r9
	127: r3 += 532                            // &sk->sk_protocol
	128: call bpf_probe_read_kernel
	129: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	130: if r1 != 6 goto out
	131: r1 = r10
	132: r1 += -54
	133: r2 = 2
	134: r3 = r9
	135: r3 += 814                            // &inet_sk(sk)->inet_sport
	136: call bpf_probe_read_kernel
	137: r1 = *(u16 *)(r10 - 54)
	138: r1 = be16 r1                         // network to host byte order
	139: *(u16 *)(r10 - 54) = r1
	140: call bpf_ktime_get_ns
	141: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	142: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	143: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	144: r8 >>= 32
	145: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	146: r7 = *(u16 *)(r10 - 152)
	147: *(u16 *)(r10 - 56) = r7
	148: r1 = *(u16 *)(r10 - 156)
	149: r1 = be16 r1                         // remote port, network to host byte order
	150: *(u16 *)(r10 - 52) = r1
	151: r1 = *(u8 *)(r10 - 150)
	152: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	153: *(u8 *)(r10 - 49) = 4
	154: if r7 == 10 goto ipv6
	155: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	156: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	157: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	158: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	159: r1 = *(u32 *)(r10 - 164)
	160: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	161: r1 = *(u32 *)(r10 - 168)
	162: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	163: goto comm
ipv6:
	164: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	165: *(u64 *)(r10 - 48) = r1
	166: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	167: *(u64 *)(r10 - 40) = r1
	168: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	169: *(u64 *)(r10 - 32) = r1
	170: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	171: *(u64 *)(r10 - 24) = r1
comm:
	172: call bpf_get_current_task
	173: r3 = r0
	174: r3 += 44                             // &current->flags
	175: r1 = r10
	176: r1 += -176
	177: r2 = 4
	178: call bpf_probe_read_kernel
	179: r1 = *(u32 *)(r10 - 176)
	180: r1 &= 16                             // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
	181: if r1 == 0 goto own_comm
	182: call bpf_get_current_task
	183: r3 = r0
	184: r3 += 1328                           // &current->group_leader: the process's main thread
	185: r1 = r10
	186: r1 += -176
	187: r2 = 8
	188: call bpf_probe_read_kernel           // current->group_leader: the process's main thread (left 0 if unreadable: the walk then ends at the family check)
	189: r3 = *(u64 *)(r10 - 176)
	190: r3 += 1752                           // &group_leader->comm
	191: r1 = r10
	192: r1 += -16
	193: r2 = 16
	194: call bpf_probe_read_kernel           // the process's command name, NUL-padded
	195: goto comm_done
own_comm:
	196: r1 = r10
	197: r1 += -16
	198: r2 = 16
	199: call bpf_get_current_comm            // the submitting thread itself: its command name
comm_done:
	200: r1 = map[events] ll
	202: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	203: call bpf_ringbuf_query
	204: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	205: if r0 < 65448 goto wakeup_chosen
	206: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	207: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	208: r1 = map[events] ll
	210: r2 = r10
	211: r2 += -80
	212: r3 = 80
	213: call bpf_ringbuf_output
	214: if r0 == 0 goto out                  // delivered
	215: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	216: r1 = map[lost] ll
	218: r2 = r10
	219: r2 += -184
	220: call bpf_map_lookup_elem
	221: if r0 == 0 goto out
	222: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	223: r1 += 1
	224: *(u64 *)(r0 + 0) = r1
out:
	225: r0 = 0
	226: exit
