// golden: ts-tcpaccept --ebpf -q (plan: {"output":"perf"}), on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: handshakes (LRU_HASH sock pointer -> handshake time, 16384 entries); events (PERF_EVENT_ARRAY, one ring per CPU); ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, 16384 entries)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 133 instructions)
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
	 72: r7 = r0                              // r7 = now, for the queue wait
	 73: *(u64 *)(r10 - 72) = 0               // unknown unless the handshake was seen
	 74: *(u64 *)(r10 - 184) = r9             // key: the sock pointer, as the handshake program stored it
	 75: r1 = map[handshakes] ll
	 77: r2 = r10
	 78: r2 += -184
	 79: call bpf_map_lookup_elem
	 80: if r0 == 0 goto no_handshake         // handshake before tracing started, or evicted
	 81: r1 = *(u64 *)(r0 + 0)                // r1 = when the handshake completed
	 82: r7 -= r1
	 83: *(u64 *)(r10 - 72) = r7              // time spent in the accept queue
	 84: r1 = map[handshakes] ll
	 86: r2 = r10
	 87: r2 += -184
	 88: call bpf_map_delete_elem             // accepted: the entry has served
no_handshake:
	 89: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	 90: r8 >>= 32
	 91: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	 92: r7 = *(u16 *)(r10 - 152)
	 93: *(u16 *)(r10 - 56) = r7
	 94: r1 = *(u16 *)(r10 - 156)
	 95: r1 = be16 r1                         // remote port, network to host byte order
	 96: *(u16 *)(r10 - 52) = r1
	 97: r1 = *(u8 *)(r10 - 150)
	 98: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	 99: *(u8 *)(r10 - 49) = 1
	100: if r7 == 10 goto ipv6
	101: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	102: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	103: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	104: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	105: r1 = *(u32 *)(r10 - 164)
	106: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	107: r1 = *(u32 *)(r10 - 168)
	108: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	109: goto comm
ipv6:
	110: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	111: *(u64 *)(r10 - 48) = r1
	112: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	113: *(u64 *)(r10 - 40) = r1
	114: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	115: *(u64 *)(r10 - 32) = r1
	116: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	117: *(u64 *)(r10 - 24) = r1
comm:
	118: r1 = r10
	119: r1 += -16
	120: r2 = 16
	121: call bpf_get_current_comm            // the server's command name, NUL-padded
	122: r1 = r6                              // ctx
	123: r2 = map[events] ll
	125: r3 = 4294967295 ll                   // BPF_F_CURRENT_CPU: this CPU's ring
	127: r4 = r10
	128: r4 += -80
	129: r5 = 80
	130: call bpf_perf_event_output
out:
	131: r0 = 0
	132: exit

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

// program tcpaccept_iocqe (BPF_PROG_TYPE_TRACEPOINT, 224 instructions)
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
	139: r7 = r0                              // r7 = now, for the queue wait
	140: *(u64 *)(r10 - 72) = 0               // unknown unless the handshake was seen
	141: *(u64 *)(r10 - 184) = r9             // key: the sock pointer, as the handshake program stored it
	142: r1 = map[handshakes] ll
	144: r2 = r10
	145: r2 += -184
	146: call bpf_map_lookup_elem
	147: if r0 == 0 goto no_handshake         // handshake before tracing started, or evicted
	148: r1 = *(u64 *)(r0 + 0)                // r1 = when the handshake completed
	149: r7 -= r1
	150: *(u64 *)(r10 - 72) = r7              // time spent in the accept queue
	151: r1 = map[handshakes] ll
	153: r2 = r10
	154: r2 += -184
	155: call bpf_map_delete_elem             // accepted: the entry has served
no_handshake:
	156: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	157: r8 >>= 32
	158: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	159: r7 = *(u16 *)(r10 - 152)
	160: *(u16 *)(r10 - 56) = r7
	161: r1 = *(u16 *)(r10 - 156)
	162: r1 = be16 r1                         // remote port, network to host byte order
	163: *(u16 *)(r10 - 52) = r1
	164: r1 = *(u8 *)(r10 - 150)
	165: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	166: *(u8 *)(r10 - 49) = 4
	167: if r7 == 10 goto ipv6
	168: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	169: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	170: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	171: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	172: r1 = *(u32 *)(r10 - 164)
	173: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	174: r1 = *(u32 *)(r10 - 168)
	175: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	176: goto comm
ipv6:
	177: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	178: *(u64 *)(r10 - 48) = r1
	179: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	180: *(u64 *)(r10 - 40) = r1
	181: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	182: *(u64 *)(r10 - 32) = r1
	183: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	184: *(u64 *)(r10 - 24) = r1
comm:
	185: call bpf_get_current_task
	186: r3 = r0
	187: r3 += 44                             // &current->flags
	188: r1 = r10
	189: r1 += -176
	190: r2 = 4
	191: call bpf_probe_read_kernel
	192: r1 = *(u32 *)(r10 - 176)
	193: r1 &= 16                             // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
	194: if r1 == 0 goto own_comm
	195: call bpf_get_current_task
	196: r3 = r0
	197: r3 += 1328                           // &current->group_leader: the process's main thread
	198: r1 = r10
	199: r1 += -176
	200: r2 = 8
	201: call bpf_probe_read_kernel           // current->group_leader: the process's main thread (left 0 if unreadable: the walk then ends at the family check)
	202: r3 = *(u64 *)(r10 - 176)
	203: r3 += 1752                           // &group_leader->comm
	204: r1 = r10
	205: r1 += -16
	206: r2 = 16
	207: call bpf_probe_read_kernel           // the process's command name, NUL-padded
	208: goto comm_done
own_comm:
	209: r1 = r10
	210: r1 += -16
	211: r2 = 16
	212: call bpf_get_current_comm            // the submitting thread itself: its command name
comm_done:
	213: r1 = r6                              // ctx
	214: r2 = map[events] ll
	216: r3 = 4294967295 ll                   // BPF_F_CURRENT_CPU: this CPU's ring
	218: r4 = r10
	219: r4 += -80
	220: r5 = 80
	221: call bpf_perf_event_output
out:
	222: r0 = 0
	223: exit

// program tcpaccept_hshk (BPF_PROG_TYPE_TRACEPOINT, 21 instructions)
// attached to: tracepoint:sock:inet_sock_set_state
	 0: r2 = *(u32 *)(r1 + 16)               // oldstate
	 1: if r2 != 3 goto out                  // most transitions are not SYN_RECV -> …: leave early
	 2: r2 = *(u32 *)(r1 + 20)               // newstate
	 3: if r2 != 1 goto out                  // SYN_RECV -> ESTABLISHED: a passive open completed
	 4: r2 = *(u16 *)(r1 + 30)               // protocol (u8 before 5.6, u16 since)
	 5: if r2 != 6 goto out
	 6: r6 = r1                              // r6 = tracepoint record
	 7: r1 = *(u64 *)(r6 + 8)                // skaddr: the child socket accept() will return
	 8: *(u64 *)(r10 - 8) = r1               // key
	 9: call bpf_ktime_get_ns
	10: *(u64 *)(r10 - 16) = r0              // value: handshake completion time
	11: r1 = map[handshakes] ll
	13: r2 = r10
	14: r2 += -8
	15: r3 = r10
	16: r3 += -16
	17: r4 = 0
	18: call bpf_map_update_elem             // LRU: sockets never accepted age out
out:
	19: r0 = 0
	20: exit
