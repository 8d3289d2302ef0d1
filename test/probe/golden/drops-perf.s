// golden: ts-tcpaccept --ebpf --drops (plan: {"output":"perf"}), on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: events (PERF_EVENT_ARRAY, one ring per CPU); ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, 16384 entries)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 117 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	  2: if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: call bpf_get_current_task
	  6: r3 = r0                              // r3 = current (struct task_struct *)
	  7: r3 += 1824                           // &current->files
	  8: r1 = r10
	  9: r1 += -176
	 10: r2 = 8
	 11: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 12: r3 = *(u64 *)(r10 - 176)
	 13: r3 += 32                             // &files->fdt
	 14: r1 = r10
	 15: r1 += -176
	 16: r2 = 8
	 17: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 18: r3 = *(u64 *)(r10 - 176)
	 19: r3 += 8                              // &fdt->fd: the array of open files
	 20: r1 = r10
	 21: r1 += -176
	 22: r2 = 8
	 23: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 24: r3 = *(u64 *)(r10 - 176)
	 25: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 26: r3 += r7                             // &fdt->fd[ret]
	 27: r1 = r10
	 28: r1 += -176
	 29: r2 = 8
	 30: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 31: r3 = *(u64 *)(r10 - 176)
	 32: r3 += 24                             // &file->private_data: the struct socket
	 33: r1 = r10
	 34: r1 += -176
	 35: r2 = 8
	 36: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	 37: r3 = *(u64 *)(r10 - 176)
	 38: r3 += 24                             // &socket->sk: the struct sock
	 39: r1 = r10
	 40: r1 += -176
	 41: r2 = 8
	 42: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	 43: r3 = *(u64 *)(r10 - 176)
	 44: r9 = r3                              // r9 = sk; survives helper calls
	 45: r1 = r10
	 46: r1 += -168
	 47: r2 = 88
	 48: call bpf_probe_read_kernel
	 49: if r0 != 0 goto out                  // no readable socket behind this fd
	 50: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 51: if r7 == 2 goto family_ok            // IPv4
	 52: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	 53: r1 = r10
	 54: r1 += -184
	 55: r2 = 2
	 56: r3 = r9
	 57: r3 += 532                            // &sk->sk_protocol
	 58: call bpf_probe_read_kernel
	 59: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 60: if r1 != 6 goto out
	 61: r1 = r10
	 62: r1 += -54
	 63: r2 = 2
	 64: r3 = r9
	 65: r3 += 814                            // &inet_sk(sk)->inet_sport
	 66: call bpf_probe_read_kernel
	 67: r1 = *(u16 *)(r10 - 54)
	 68: r1 = be16 r1                         // network to host byte order
	 69: *(u16 *)(r10 - 54) = r1
	 70: call bpf_ktime_get_ns
	 71: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	 72: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	 73: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	 74: r8 >>= 32
	 75: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	 76: r7 = *(u16 *)(r10 - 152)
	 77: *(u16 *)(r10 - 56) = r7
	 78: r1 = *(u16 *)(r10 - 156)
	 79: r1 = be16 r1                         // remote port, network to host byte order
	 80: *(u16 *)(r10 - 52) = r1
	 81: r1 = *(u8 *)(r10 - 150)
	 82: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	 83: *(u8 *)(r10 - 49) = 1
	 84: if r7 == 10 goto ipv6
	 85: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 86: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 87: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 88: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 89: r1 = *(u32 *)(r10 - 164)
	 90: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	 91: r1 = *(u32 *)(r10 - 168)
	 92: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	 93: goto comm
ipv6:
	 94: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	 95: *(u64 *)(r10 - 48) = r1
	 96: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	 97: *(u64 *)(r10 - 40) = r1
	 98: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	 99: *(u64 *)(r10 - 32) = r1
	100: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	101: *(u64 *)(r10 - 24) = r1
comm:
	102: r1 = r10
	103: r1 += -16
	104: r2 = 16
	105: call bpf_get_current_comm            // the server's command name, NUL-padded
	106: r1 = r6                              // ctx
	107: r2 = map[events] ll
	109: r3 = 4294967295 ll                   // BPF_F_CURRENT_CPU: this CPU's ring
	111: r4 = r10
	112: r4 += -80
	113: r5 = 80
	114: call bpf_perf_event_output
out:
	115: r0 = 0
	116: exit

// program tcpaccept_iosub (BPF_PROG_TYPE_TRACEPOINT, 25 instructions)
// attached to: tracepoint:io_uring:io_uring_submit_req
	 0: r2 = *(u8 *)(r1 + 32)                // opcode
	 1: if r2 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
	 2: r6 = r1                              // r6 = tracepoint record; survives helper calls
	 3: call bpf_get_current_pid_tgid
	 4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	 5: r1 = *(u64 *)(r6 + 8)                // ctx: the ring
	 6: *(u64 *)(r10 - 16) = r1              // key: ring ...
	 7: r1 = *(u64 *)(r6 + 24)               // user_data: the tag the server gave the request
	 8: *(u64 *)(r10 - 8) = r1               // ... and user_data, as the completion tracepoint reports them
	 9: r3 = *(u64 *)(r6 + 16)               // req: struct io_kiocb *
	10: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	11: r1 = r10
	12: r1 += -24
	13: r2 = 4
	14: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
	15: r1 = map[ioaccepts] ll
	17: r2 = r10
	18: r2 += -16
	19: r3 = r10
	20: r3 += -24
	21: r4 = 0
	22: call bpf_map_update_elem             // LRU: requests that never complete age out
out:
	23: r0 = 0
	24: exit

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

// program tcpaccept_iocqe (BPF_PROG_TYPE_TRACEPOINT, 208 instructions)
// attached to: tracepoint:io_uring:io_uring_complete
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u32 *)(r6 + 32)               // r7 = res: the new fd, a fixed-file slot, 0, or -errno
	  2: if w7 s< 0 goto out                  // failed or cancelled (-ECANCELED as the ring goes away): nothing accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: r1 = *(u64 *)(r6 + 16)               // req: the request; NULL on a multishot accept's CQEs but its last
	  6: if r1 == 0 goto by_user_data
	  7: r3 = r1
	  8: r3 += 64                             // &req->opcode
	  9: r1 = r10
	 10: r1 += -176
	 11: r2 = 1
	 12: call bpf_probe_read_kernel           // req->opcode (u8)
	 13: r1 = *(u8 *)(r10 - 176)
	 14: if r1 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): other CQEs leave here
	 15: r3 = *(u64 *)(r6 + 16)
	 16: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	 17: r1 = r10
	 18: r1 += -176
	 19: r2 = 4
	 20: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC
	 21: r9 = *(u32 *)(r10 - 176)             // r9 = file_slot, until the socket replaces it
	 22: r1 = *(u32 *)(r6 + 36)               // cflags
	 23: r1 &= 2                              // IORING_CQE_F_MORE: a multishot accept stays armed
	 24: if r1 != 0 goto have_slot
	 25: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 26: *(u64 *)(r10 - 184) = r1
	 27: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 28: *(u64 *)(r10 - 176) = r1
	 29: r1 = map[ioaccepts] ll
	 31: r2 = r10
	 32: r2 += -184
	 33: call bpf_map_delete_elem
	 34: goto have_slot
by_user_data:
	 35: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 36: *(u64 *)(r10 - 184) = r1
	 37: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 38: *(u64 *)(r10 - 176) = r1
	 39: r1 = map[ioaccepts] ll
	 41: r2 = r10
	 42: r2 += -184
	 43: call bpf_map_lookup_elem
	 44: if r0 == 0 goto out                  // not an accept (or submitted before tracing started)
	 45: r9 = *(u32 *)(r0 + 0)                // r9 = its file_slot
have_slot:
	 46: if r9 != 0 goto fixed_file           // a direct descriptor: res is no fd
	 47: call bpf_get_current_task
	 48: r3 = r0                              // r3 = current (struct task_struct *)
	 49: r3 += 1824                           // &current->files
	 50: r1 = r10
	 51: r1 += -176
	 52: r2 = 8
	 53: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 54: r3 = *(u64 *)(r10 - 176)
	 55: r3 += 32                             // &files->fdt
	 56: r1 = r10
	 57: r1 += -176
	 58: r2 = 8
	 59: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 60: r3 = *(u64 *)(r10 - 176)
	 61: r3 += 8                              // &fdt->fd: the array of open files
	 62: r1 = r10
	 63: r1 += -176
	 64: r2 = 8
	 65: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 66: r3 = *(u64 *)(r10 - 176)
	 67: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 68: r3 += r7                             // &fdt->fd[ret]
	 69: r1 = r10
	 70: r1 += -176
	 71: r2 = 8
	 72: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 73: r3 = *(u64 *)(r10 - 176)
	 74: goto have_file
fixed_file:
	 75: if w9 == -1 goto slot_known          // IORING_FILE_INDEX_ALLOC: the kernel chose the slot, res is it
	 76: r7 = r9                              // an explicit slot: file_index is slot + 1 (0 means no slot), res is 0
	 77: r7 += -1
slot_known:
	 78: r3 = *(u64 *)(r6 + 8)                // ctx: the ring (struct io_ring_ctx *)
	 79: r3 += 152                            // &ctx->file_table.data.nodes: the ring's fixed files
	 80: r1 = r10
	 81: r1 += -176
	 82: r2 = 8
	 83: call bpf_probe_read_kernel           // ctx->file_table.data.nodes: the ring's fixed files (left 0 if unreadable: the walk then ends at the family check)
	 84: r3 = *(u64 *)(r10 - 176)
	 85: r7 <<= 3                             // the slot indexes an array of 8-byte pointers
	 86: r3 += r7                             // &nodes[slot]
	 87: r1 = r10
	 88: r1 += -176
	 89: r2 = 8
	 90: call bpf_probe_read_kernel           // nodes[slot]: the slot's struct io_rsrc_node
	 91: r3 = *(u64 *)(r10 - 176)
	 92: r3 += 16                             // &node->file_ptr: the struct file, flags in the low bits
	 93: r1 = r10
	 94: r1 += -176
	 95: r2 = 8
	 96: call bpf_probe_read_kernel           // node->file_ptr: the struct file, flags in the low bits (left 0 if unreadable: the walk then ends at the family check)
	 97: r3 = *(u64 *)(r10 - 176)
	 98: r3 &= -8                             // clear the FFS_* flag bits: the struct file pointer
have_file:
	 99: r3 += 24                             // &file->private_data: the struct socket
	100: r1 = r10
	101: r1 += -176
	102: r2 = 8
	103: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	104: r3 = *(u64 *)(r10 - 176)
	105: r3 += 24                             // &socket->sk: the struct sock
	106: r1 = r10
	107: r1 += -176
	108: r2 = 8
	109: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	110: r3 = *(u64 *)(r10 - 176)
	111: r9 = r3                              // r9 = sk; survives helper calls
	112: r1 = r10
	113: r1 += -168
	114: r2 = 88
	115: call bpf_probe_read_kernel
	116: if r0 != 0 goto out                  // no readable socket behind this fd
	117: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	118: if r7 == 2 goto family_ok            // IPv4
	119: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	120: r1 = r10
	121: r1 += -184
	122: r2 = 2
	123: r3 = r9
	124: r3 += 532                            // &sk->sk_protocol
	125: call bpf_probe_read_kernel
	126: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	127: if r1 != 6 goto out
	128: r1 = r10
	129: r1 += -54
	130: r2 = 2
	131: r3 = r9
	132: r3 += 814                            // &inet_sk(sk)->inet_sport
	133: call bpf_probe_read_kernel
	134: r1 = *(u16 *)(r10 - 54)
	135: r1 = be16 r1                         // network to host byte order
	136: *(u16 *)(r10 - 54) = r1
	137: call bpf_ktime_get_ns
	138: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	139: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	140: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	141: r8 >>= 32
	142: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	143: r7 = *(u16 *)(r10 - 152)
	144: *(u16 *)(r10 - 56) = r7
	145: r1 = *(u16 *)(r10 - 156)
	146: r1 = be16 r1                         // remote port, network to host byte order
	147: *(u16 *)(r10 - 52) = r1
	148: r1 = *(u8 *)(r10 - 150)
	149: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	150: *(u8 *)(r10 - 49) = 4
	151: if r7 == 10 goto ipv6
	152: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	153: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	154: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	155: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	156: r1 = *(u32 *)(r10 - 164)
	157: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	158: r1 = *(u32 *)(r10 - 168)
	159: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	160: goto comm
ipv6:
	161: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	162: *(u64 *)(r10 - 48) = r1
	163: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	164: *(u64 *)(r10 - 40) = r1
	165: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	166: *(u64 *)(r10 - 32) = r1
	167: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	168: *(u64 *)(r10 - 24) = r1
comm:
	169: call bpf_get_current_task
	170: r3 = r0
	171: r3 += 44                             // &current->flags
	172: r1 = r10
	173: r1 += -176
	174: r2 = 4
	175: call bpf_probe_read_kernel
	176: r1 = *(u32 *)(r10 - 176)
	177: r1 &= 16                             // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
	178: if r1 == 0 goto own_comm
	179: call bpf_get_current_task
	180: r3 = r0
	181: r3 += 1328                           // &current->group_leader: the process's main thread
	182: r1 = r10
	183: r1 += -176
	184: r2 = 8
	185: call bpf_probe_read_kernel           // current->group_leader: the process's main thread (left 0 if unreadable: the walk then ends at the family check)
	186: r3 = *(u64 *)(r10 - 176)
	187: r3 += 1752                           // &group_leader->comm
	188: r1 = r10
	189: r1 += -16
	190: r2 = 16
	191: call bpf_probe_read_kernel           // the process's command name, NUL-padded
	192: goto comm_done
own_comm:
	193: r1 = r10
	194: r1 += -16
	195: r2 = 16
	196: call bpf_get_current_comm            // the submitting thread itself: its command name
comm_done:
	197: r1 = r6                              // ctx
	198: r2 = map[events] ll
	200: r3 = 4294967295 ll                   // BPF_F_CURRENT_CPU: this CPU's ring
	202: r4 = r10
	203: r4 += -80
	204: r5 = 80
	205: call bpf_perf_event_output
out:
	206: r0 = 0
	207: exit

// program tcpaccept_drop (BPF_PROG_TYPE_TRACEPOINT, 113 instructions)
// attached to: tracepoint:skb:kfree_skb
	  0: r2 = *(u32 *)(r1 + 36)               // reason (enum skb_drop_reason)
	  1: if r2 != 40 goto out                 // SKB_DROP_REASON_TCP_LISTEN_OVERFLOW, from BTF
	  2: r6 = r1                              // r6 = tracepoint record
	  3: r9 = *(u64 *)(r6 + 24)               // rx_sk: the listener whose accept queue was full
	  4: if r9 == 0 goto out
	  5: r3 = r9
	  6: r3 += 14
	  7: r1 = r10
	  8: r1 += -88
	  9: r2 = 2
	 10: call bpf_probe_read_kernel           // rx_sk->__sk_common.skc_num
	 11: if r0 != 0 goto out
	 12: r1 = *(u16 *)(r10 - 88)
	 13: *(u16 *)(r10 - 54) = r1
	 14: r7 = *(u64 *)(r6 + 8)                // r7 = skbaddr
	 15: r3 = r7
	 16: r3 += 192
	 17: r1 = r10
	 18: r1 += -96
	 19: r2 = 8
	 20: call bpf_probe_read_kernel           // skb->head: where the packet buffer starts
	 21: if r0 != 0 goto out
	 22: r8 = *(u64 *)(r10 - 96)              // r8 = head
	 23: r3 = r7
	 24: r3 += 180
	 25: r1 = r10
	 26: r1 += -96
	 27: r2 = 2
	 28: call bpf_probe_read_kernel           // skb->network_header: the IP header, from head
	 29: if r0 != 0 goto out
	 30: r7 = *(u16 *)(r10 - 96)              // r7 = network header offset (r7 is free again)
	 31: r3 = r7
	 32: r3 += r8
	 33: r1 = r10
	 34: r1 += -128
	 35: r2 = 1
	 36: call bpf_probe_read_kernel           // the first byte of the IP header: version << 4 | ihl
	 37: if r0 != 0 goto out
	 38: r1 = *(u8 *)(r10 - 128)
	 39: r1 >>= 4                             // r1 = IP version
	 40: if r1 == 4 goto ipv4
	 41: if r1 != 6 goto out
	 42: r3 = r7
	 43: r3 += r8
	 44: r3 += 8
	 45: r1 = r10
	 46: r1 += -128
	 47: r2 = 32
	 48: call bpf_probe_read_kernel           // ipv6hdr saddr and daddr
	 49: if r0 != 0 goto out
	 50: r1 = *(u64 *)(r10 - 128)             // remote (client) IPv6 address, bytes 0..7
	 51: *(u64 *)(r10 - 32) = r1
	 52: r1 = *(u64 *)(r10 - 120)             // remote (client) IPv6 address, bytes 8..15
	 53: *(u64 *)(r10 - 24) = r1
	 54: r1 = *(u64 *)(r10 - 112)             // local (listener) IPv6 address, bytes 0..7
	 55: *(u64 *)(r10 - 48) = r1
	 56: r1 = *(u64 *)(r10 - 104)             // local (listener) IPv6 address, bytes 8..15
	 57: *(u64 *)(r10 - 40) = r1
	 58: *(u16 *)(r10 - 56) = 10
	 59: goto ports
ipv4:
	 60: r3 = r7
	 61: r3 += r8
	 62: r3 += 12
	 63: r1 = r10
	 64: r1 += -128
	 65: r2 = 8
	 66: call bpf_probe_read_kernel           // iphdr saddr and daddr
	 67: if r0 != 0 goto out
	 68: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 69: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 70: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 71: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 72: r1 = *(u32 *)(r10 - 128)
	 73: *(u32 *)(r10 - 32) = r1              // remote (client) IPv4 address
	 74: r1 = *(u32 *)(r10 - 124)
	 75: *(u32 *)(r10 - 48) = r1              // local (listener) IPv4 address
	 76: *(u16 *)(r10 - 56) = 2
ports:
	 77: r3 = *(u64 *)(r6 + 8)                // skbaddr again
	 78: r3 += 178
	 79: r1 = r10
	 80: r1 += -96
	 81: r2 = 2
	 82: call bpf_probe_read_kernel           // skb->transport_header: the TCP header, from head
	 83: if r0 != 0 goto out
	 84: r3 = *(u16 *)(r10 - 96)
	 85: r3 += r8
	 86: r1 = r10
	 87: r1 += -128
	 88: r2 = 2
	 89: call bpf_probe_read_kernel           // tcphdr source: the client's port
	 90: if r0 != 0 goto out
	 91: r1 = *(u16 *)(r10 - 128)
	 92: r1 = be16 r1                         // network to host byte order
	 93: *(u16 *)(r10 - 52) = r1
	 94: *(u8 *)(r10 - 50) = 10               // the listener's state
	 95: *(u8 *)(r10 - 49) = 3
	 96: *(u64 *)(r10 - 72) = 0               // never queued: that is the point
	 97: *(u64 *)(r10 - 64) = 0               // pid and tid: softirq context, the owner is found in user space
	 98: *(u64 *)(r10 - 16) = 0               // comm: resolved in user space
	 99: *(u64 *)(r10 - 8) = 0                // comm: resolved in user space
	100: call bpf_ktime_get_ns
	101: *(u64 *)(r10 - 80) = r0
	102: r1 = r6                              // ctx
	103: r2 = map[events] ll
	105: r3 = 4294967295 ll                   // BPF_F_CURRENT_CPU: this CPU's ring
	107: r4 = r10
	108: r4 += -80
	109: r5 = 80
	110: call bpf_perf_event_output
out:
	111: r0 = 0
	112: exit
