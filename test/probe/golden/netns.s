// golden: ts-tcpaccept --ebpf --netns self, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused); ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, 16384 entries)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 141 instructions)
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
	 50: r3 = *(u64 *)(r10 - 120)             // --netns: sk->__sk_common.skc_net.net, from the copy
	 51: r3 += 176                            // &net->ns.inum
	 52: r1 = r10
	 53: r1 += -176
	 54: r2 = 4
	 55: call bpf_probe_read_kernel           // net->ns.inum: the namespace's inode (0 if unreadable)
	 56: r1 = *(u32 *)(r10 - 176)
	 57: if w1 != -268435455 goto out         // --netns net:[4026531841] (a u32, listed signed): a socket of another namespace
	 58: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 59: if r7 == 2 goto family_ok            // IPv4
	 60: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	 61: r1 = r10
	 62: r1 += -184
	 63: r2 = 2
	 64: r3 = r9
	 65: r3 += 532                            // &sk->sk_protocol
	 66: call bpf_probe_read_kernel
	 67: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 68: if r1 != 6 goto out
	 69: r1 = r10
	 70: r1 += -54
	 71: r2 = 2
	 72: r3 = r9
	 73: r3 += 814                            // &inet_sk(sk)->inet_sport
	 74: call bpf_probe_read_kernel
	 75: r1 = *(u16 *)(r10 - 54)
	 76: r1 = be16 r1                         // network to host byte order
	 77: *(u16 *)(r10 - 54) = r1
	 78: call bpf_ktime_get_ns
	 79: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	 80: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	 81: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	 82: r8 >>= 32
	 83: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	 84: r7 = *(u16 *)(r10 - 152)
	 85: *(u16 *)(r10 - 56) = r7
	 86: r1 = *(u16 *)(r10 - 156)
	 87: r1 = be16 r1                         // remote port, network to host byte order
	 88: *(u16 *)(r10 - 52) = r1
	 89: r1 = *(u8 *)(r10 - 150)
	 90: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	 91: *(u8 *)(r10 - 49) = 1
	 92: if r7 == 10 goto ipv6
	 93: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 94: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 95: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 96: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 97: r1 = *(u32 *)(r10 - 164)
	 98: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	 99: r1 = *(u32 *)(r10 - 168)
	100: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	101: goto comm
ipv6:
	102: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	103: *(u64 *)(r10 - 48) = r1
	104: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	105: *(u64 *)(r10 - 40) = r1
	106: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	107: *(u64 *)(r10 - 32) = r1
	108: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	109: *(u64 *)(r10 - 24) = r1
comm:
	110: r1 = r10
	111: r1 += -16
	112: r2 = 16
	113: call bpf_get_current_comm            // the server's command name, NUL-padded
	114: r1 = map[events] ll
	116: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	117: call bpf_ringbuf_query
	118: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	119: if r0 < 65448 goto wakeup_chosen
	120: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	121: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	122: r1 = map[events] ll
	124: r2 = r10
	125: r2 += -80
	126: r3 = 80
	127: call bpf_ringbuf_output
	128: if r0 == 0 goto out                  // delivered
	129: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	130: r1 = map[lost] ll
	132: r2 = r10
	133: r2 += -184
	134: call bpf_map_lookup_elem
	135: if r0 == 0 goto out
	136: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	137: r1 += 1
	138: *(u64 *)(r0 + 0) = r1
out:
	139: r0 = 0
	140: exit

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

// program tcpaccept_iocqe (BPF_PROG_TYPE_TRACEPOINT, 232 instructions)
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
	117: r3 = *(u64 *)(r10 - 120)             // --netns: sk->__sk_common.skc_net.net, from the copy
	118: r3 += 176                            // &net->ns.inum
	119: r1 = r10
	120: r1 += -176
	121: r2 = 4
	122: call bpf_probe_read_kernel           // net->ns.inum: the namespace's inode (0 if unreadable)
	123: r1 = *(u32 *)(r10 - 176)
	124: if w1 != -268435455 goto out         // --netns net:[4026531841] (a u32, listed signed): a socket of another namespace
	125: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	126: if r7 == 2 goto family_ok            // IPv4
	127: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	128: r1 = r10
	129: r1 += -184
	130: r2 = 2
	131: r3 = r9
	132: r3 += 532                            // &sk->sk_protocol
	133: call bpf_probe_read_kernel
	134: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	135: if r1 != 6 goto out
	136: r1 = r10
	137: r1 += -54
	138: r2 = 2
	139: r3 = r9
	140: r3 += 814                            // &inet_sk(sk)->inet_sport
	141: call bpf_probe_read_kernel
	142: r1 = *(u16 *)(r10 - 54)
	143: r1 = be16 r1                         // network to host byte order
	144: *(u16 *)(r10 - 54) = r1
	145: call bpf_ktime_get_ns
	146: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	147: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	148: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	149: r8 >>= 32
	150: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	151: r7 = *(u16 *)(r10 - 152)
	152: *(u16 *)(r10 - 56) = r7
	153: r1 = *(u16 *)(r10 - 156)
	154: r1 = be16 r1                         // remote port, network to host byte order
	155: *(u16 *)(r10 - 52) = r1
	156: r1 = *(u8 *)(r10 - 150)
	157: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	158: *(u8 *)(r10 - 49) = 4
	159: if r7 == 10 goto ipv6
	160: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	161: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	162: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	163: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	164: r1 = *(u32 *)(r10 - 164)
	165: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	166: r1 = *(u32 *)(r10 - 168)
	167: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	168: goto comm
ipv6:
	169: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	170: *(u64 *)(r10 - 48) = r1
	171: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	172: *(u64 *)(r10 - 40) = r1
	173: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	174: *(u64 *)(r10 - 32) = r1
	175: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	176: *(u64 *)(r10 - 24) = r1
comm:
	177: call bpf_get_current_task
	178: r3 = r0
	179: r3 += 44                             // &current->flags
	180: r1 = r10
	181: r1 += -176
	182: r2 = 4
	183: call bpf_probe_read_kernel
	184: r1 = *(u32 *)(r10 - 176)
	185: r1 &= 16                             // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
	186: if r1 == 0 goto own_comm
	187: call bpf_get_current_task
	188: r3 = r0
	189: r3 += 1328                           // &current->group_leader: the process's main thread
	190: r1 = r10
	191: r1 += -176
	192: r2 = 8
	193: call bpf_probe_read_kernel           // current->group_leader: the process's main thread (left 0 if unreadable: the walk then ends at the family check)
	194: r3 = *(u64 *)(r10 - 176)
	195: r3 += 1752                           // &group_leader->comm
	196: r1 = r10
	197: r1 += -16
	198: r2 = 16
	199: call bpf_probe_read_kernel           // the process's command name, NUL-padded
	200: goto comm_done
own_comm:
	201: r1 = r10
	202: r1 += -16
	203: r2 = 16
	204: call bpf_get_current_comm            // the submitting thread itself: its command name
comm_done:
	205: r1 = map[events] ll
	207: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	208: call bpf_ringbuf_query
	209: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	210: if r0 < 65448 goto wakeup_chosen
	211: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	212: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	213: r1 = map[events] ll
	215: r2 = r10
	216: r2 += -80
	217: r3 = 80
	218: call bpf_ringbuf_output
	219: if r0 == 0 goto out                  // delivered
	220: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	221: r1 = map[lost] ll
	223: r2 = r10
	224: r2 += -184
	225: call bpf_map_lookup_elem
	226: if r0 == 0 goto out
	227: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	228: r1 += 1
	229: *(u64 *)(r0 + 0) = r1
out:
	230: r0 = 0
	231: exit
