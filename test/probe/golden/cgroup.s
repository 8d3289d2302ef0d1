// golden: ts-tcpaccept --ebpf --cgroup /sys/fs/cgroup/golden/app, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: cgroups (CGROUP_ARRAY, 1 slot: the --cgroup directory, for bpf_current_task_under_cgroup); events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused); ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, 16384 entries)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 138 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	  2: if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: r1 = map[cgroups] ll                 // --cgroup: a CGROUP_ARRAY holding the directory's fd at index 0
	  7: r2 = 0
	  8: call bpf_current_task_under_cgroup   // r0 = 1 when the accepting task is in that cgroup or below it
	  9: if r0 != 1 goto out                  // 0: another cgroup; negative: the slot is empty
	 10: call bpf_get_current_task
	 11: r3 = r0                              // r3 = current (struct task_struct *)
	 12: r3 += 1824                           // &current->files
	 13: r1 = r10
	 14: r1 += -176
	 15: r2 = 8
	 16: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 17: r3 = *(u64 *)(r10 - 176)
	 18: r3 += 32                             // &files->fdt
	 19: r1 = r10
	 20: r1 += -176
	 21: r2 = 8
	 22: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 23: r3 = *(u64 *)(r10 - 176)
	 24: r3 += 8                              // &fdt->fd: the array of open files
	 25: r1 = r10
	 26: r1 += -176
	 27: r2 = 8
	 28: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 29: r3 = *(u64 *)(r10 - 176)
	 30: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 31: r3 += r7                             // &fdt->fd[ret]
	 32: r1 = r10
	 33: r1 += -176
	 34: r2 = 8
	 35: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 36: r3 = *(u64 *)(r10 - 176)
	 37: r3 += 24                             // &file->private_data: the struct socket
	 38: r1 = r10
	 39: r1 += -176
	 40: r2 = 8
	 41: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	 42: r3 = *(u64 *)(r10 - 176)
	 43: r3 += 24                             // &socket->sk: the struct sock
	 44: r1 = r10
	 45: r1 += -176
	 46: r2 = 8
	 47: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	 48: r3 = *(u64 *)(r10 - 176)
	 49: r9 = r3                              // r9 = sk; survives helper calls
	 50: r1 = r10
	 51: r1 += -168
	 52: r2 = 88
	 53: call bpf_probe_read_kernel
	 54: if r0 != 0 goto out                  // no readable socket behind this fd
	 55: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 56: if r7 == 2 goto family_ok            // IPv4
	 57: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	 58: r1 = r10
	 59: r1 += -184
	 60: r2 = 2
	 61: r3 = r9
	 62: r3 += 532                            // &sk->sk_protocol
	 63: call bpf_probe_read_kernel
	 64: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 65: if r1 != 6 goto out
	 66: r1 = r10
	 67: r1 += -54
	 68: r2 = 2
	 69: r3 = r9
	 70: r3 += 814                            // &inet_sk(sk)->inet_sport
	 71: call bpf_probe_read_kernel
	 72: r1 = *(u16 *)(r10 - 54)
	 73: r1 = be16 r1                         // network to host byte order
	 74: *(u16 *)(r10 - 54) = r1
	 75: call bpf_ktime_get_ns
	 76: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	 77: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	 78: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	 79: r8 >>= 32
	 80: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	 81: r7 = *(u16 *)(r10 - 152)
	 82: *(u16 *)(r10 - 56) = r7
	 83: r1 = *(u16 *)(r10 - 156)
	 84: r1 = be16 r1                         // remote port, network to host byte order
	 85: *(u16 *)(r10 - 52) = r1
	 86: r1 = *(u8 *)(r10 - 150)
	 87: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	 88: *(u8 *)(r10 - 49) = 1
	 89: if r7 == 10 goto ipv6
	 90: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 91: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 92: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 93: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 94: r1 = *(u32 *)(r10 - 164)
	 95: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	 96: r1 = *(u32 *)(r10 - 168)
	 97: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	 98: goto comm
ipv6:
	 99: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	100: *(u64 *)(r10 - 48) = r1
	101: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	102: *(u64 *)(r10 - 40) = r1
	103: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	104: *(u64 *)(r10 - 32) = r1
	105: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	106: *(u64 *)(r10 - 24) = r1
comm:
	107: r1 = r10
	108: r1 += -16
	109: r2 = 16
	110: call bpf_get_current_comm            // the server's command name, NUL-padded
	111: r1 = map[events] ll
	113: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	114: call bpf_ringbuf_query
	115: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	116: if r0 < 65448 goto wakeup_chosen
	117: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	118: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	119: r1 = map[events] ll
	121: r2 = r10
	122: r2 += -80
	123: r3 = 80
	124: call bpf_ringbuf_output
	125: if r0 == 0 goto out                  // delivered
	126: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	127: r1 = map[lost] ll
	129: r2 = r10
	130: r2 += -184
	131: call bpf_map_lookup_elem
	132: if r0 == 0 goto out
	133: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	134: r1 += 1
	135: *(u64 *)(r0 + 0) = r1
out:
	136: r0 = 0
	137: exit

// program tcpaccept_iosub (BPF_PROG_TYPE_TRACEPOINT, 30 instructions)
// attached to: tracepoint:io_uring:io_uring_submit_req
	 0: r2 = *(u8 *)(r1 + 32)                // opcode
	 1: if r2 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
	 2: r6 = r1                              // r6 = tracepoint record; survives helper calls
	 3: call bpf_get_current_pid_tgid
	 4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	 5: r1 = map[cgroups] ll                 // --cgroup: a CGROUP_ARRAY holding the directory's fd at index 0
	 7: r2 = 0
	 8: call bpf_current_task_under_cgroup   // r0 = 1 when the accepting task is in that cgroup or below it
	 9: if r0 != 1 goto out                  // 0: another cgroup; negative: the slot is empty
	10: r1 = *(u64 *)(r6 + 8)                // ctx: the ring
	11: *(u64 *)(r10 - 16) = r1              // key: ring ...
	12: r1 = *(u64 *)(r6 + 24)               // user_data: the tag the server gave the request
	13: *(u64 *)(r10 - 8) = r1               // ... and user_data, as the completion tracepoint reports them
	14: r3 = *(u64 *)(r6 + 16)               // req: struct io_kiocb *
	15: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	16: r1 = r10
	17: r1 += -24
	18: r2 = 4
	19: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
	20: r1 = map[ioaccepts] ll
	22: r2 = r10
	23: r2 += -16
	24: r3 = r10
	25: r3 += -24
	26: r4 = 0
	27: call bpf_map_update_elem             // LRU: requests that never complete age out
out:
	28: r0 = 0
	29: exit

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

// program tcpaccept_iocqe (BPF_PROG_TYPE_TRACEPOINT, 229 instructions)
// attached to: tracepoint:io_uring:io_uring_complete
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u32 *)(r6 + 32)               // r7 = res: the new fd, a fixed-file slot, 0, or -errno
	  2: if w7 s< 0 goto out                  // failed or cancelled (-ECANCELED as the ring goes away): nothing accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: r1 = map[cgroups] ll                 // --cgroup: a CGROUP_ARRAY holding the directory's fd at index 0
	  7: r2 = 0
	  8: call bpf_current_task_under_cgroup   // r0 = 1 when the accepting task is in that cgroup or below it
	  9: if r0 != 1 goto out                  // 0: another cgroup; negative: the slot is empty
	 10: r1 = *(u64 *)(r6 + 16)               // req: the request; NULL on a multishot accept's CQEs but its last
	 11: if r1 == 0 goto by_user_data
	 12: r3 = r1
	 13: r3 += 64                             // &req->opcode
	 14: r1 = r10
	 15: r1 += -176
	 16: r2 = 1
	 17: call bpf_probe_read_kernel           // req->opcode (u8)
	 18: r1 = *(u8 *)(r10 - 176)
	 19: if r1 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): other CQEs leave here
	 20: r3 = *(u64 *)(r6 + 16)
	 21: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	 22: r1 = r10
	 23: r1 += -176
	 24: r2 = 4
	 25: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC
	 26: r9 = *(u32 *)(r10 - 176)             // r9 = file_slot, until the socket replaces it
	 27: r1 = *(u32 *)(r6 + 36)               // cflags
	 28: r1 &= 2                              // IORING_CQE_F_MORE: a multishot accept stays armed
	 29: if r1 != 0 goto have_slot
	 30: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 31: *(u64 *)(r10 - 184) = r1
	 32: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 33: *(u64 *)(r10 - 176) = r1
	 34: r1 = map[ioaccepts] ll
	 36: r2 = r10
	 37: r2 += -184
	 38: call bpf_map_delete_elem
	 39: goto have_slot
by_user_data:
	 40: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 41: *(u64 *)(r10 - 184) = r1
	 42: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 43: *(u64 *)(r10 - 176) = r1
	 44: r1 = map[ioaccepts] ll
	 46: r2 = r10
	 47: r2 += -184
	 48: call bpf_map_lookup_elem
	 49: if r0 == 0 goto out                  // not an accept (or submitted before tracing started)
	 50: r9 = *(u32 *)(r0 + 0)                // r9 = its file_slot
have_slot:
	 51: if r9 != 0 goto fixed_file           // a direct descriptor: res is no fd
	 52: call bpf_get_current_task
	 53: r3 = r0                              // r3 = current (struct task_struct *)
	 54: r3 += 1824                           // &current->files
	 55: r1 = r10
	 56: r1 += -176
	 57: r2 = 8
	 58: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 59: r3 = *(u64 *)(r10 - 176)
	 60: r3 += 32                             // &files->fdt
	 61: r1 = r10
	 62: r1 += -176
	 63: r2 = 8
	 64: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 65: r3 = *(u64 *)(r10 - 176)
	 66: r3 += 8                              // &fdt->fd: the array of open files
	 67: r1 = r10
	 68: r1 += -176
	 69: r2 = 8
	 70: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 71: r3 = *(u64 *)(r10 - 176)
	 72: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 73: r3 += r7                             // &fdt->fd[ret]
	 74: r1 = r10
	 75: r1 += -176
	 76: r2 = 8
	 77: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 78: r3 = *(u64 *)(r10 - 176)
	 79: goto have_file
fixed_file:
	 80: if w9 == -1 goto slot_known          // IORING_FILE_INDEX_ALLOC: the kernel chose the slot, res is it
	 81: r7 = r9                              // an explicit slot: file_index is slot + 1 (0 means no slot), res is 0
	 82: r7 += -1
slot_known:
	 83: r3 = *(u64 *)(r6 + 8)                // ctx: the ring (struct io_ring_ctx *)
	 84: r3 += 152                            // &ctx->file_table.data.nodes: the ring's fixed files
	 85: r1 = r10
	 86: r1 += -176
	 87: r2 = 8
	 88: call bpf_probe_read_kernel           // ctx->file_table.data.nodes: the ring's fixed files (left 0 if unreadable: the walk then ends at the family check)
	 89: r3 = *(u64 *)(r10 - 176)
	 90: r7 <<= 3                             // the slot indexes an array of 8-byte pointers
	 91: r3 += r7                             // &nodes[slot]
	 92: r1 = r10
	 93: r1 += -176
	 94: r2 = 8
	 95: call bpf_probe_read_kernel           // nodes[slot]: the slot's struct io_rsrc_node
	 96: r3 = *(u64 *)(r10 - 176)
	 97: r3 += 16                             // &node->file_ptr: the struct file, flags in the low bits
	 98: r1 = r10
	 99: r1 += -176
	100: r2 = 8
	101: call bpf_probe_read_kernel           // node->file_ptr: the struct file, flags in the low bits (left 0 if unreadable: the walk then ends at the family check)
	102: r3 = *(u64 *)(r10 - 176)
	103: r3 &= -8                             // clear the FFS_* flag bits: the struct file pointer
have_file:
	104: r3 += 24                             // &file->private_data: the struct socket
	105: r1 = r10
	106: r1 += -176
	107: r2 = 8
	108: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	109: r3 = *(u64 *)(r10 - 176)
	110: r3 += 24                             // &socket->sk: the struct sock
	111: r1 = r10
	112: r1 += -176
	113: r2 = 8
	114: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	115: r3 = *(u64 *)(r10 - 176)
	116: r9 = r3                              // r9 = sk; survives helper calls
	117: r1 = r10
	118: r1 += -168
	119: r2 = 88
	120: call bpf_probe_read_kernel
	121: if r0 != 0 goto out                  // no readable socket behind this fd
	122: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	123: if r7 == 2 goto family_ok            // IPv4
	124: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	125: r1 = r10
	126: r1 += -184
	127: r2 = 2
	128: r3 = r9
	129: r3 += 532                            // &sk->sk_protocol
	130: call bpf_probe_read_kernel
	131: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	132: if r1 != 6 goto out
	133: r1 = r10
	134: r1 += -54
	135: r2 = 2
	136: r3 = r9
	137: r3 += 814                            // &inet_sk(sk)->inet_sport
	138: call bpf_probe_read_kernel
	139: r1 = *(u16 *)(r10 - 54)
	140: r1 = be16 r1                         // network to host byte order
	141: *(u16 *)(r10 - 54) = r1
	142: call bpf_ktime_get_ns
	143: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	144: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	145: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	146: r8 >>= 32
	147: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	148: r7 = *(u16 *)(r10 - 152)
	149: *(u16 *)(r10 - 56) = r7
	150: r1 = *(u16 *)(r10 - 156)
	151: r1 = be16 r1                         // remote port, network to host byte order
	152: *(u16 *)(r10 - 52) = r1
	153: r1 = *(u8 *)(r10 - 150)
	154: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	155: *(u8 *)(r10 - 49) = 4
	156: if r7 == 10 goto ipv6
	157: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	158: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	159: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	160: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	161: r1 = *(u32 *)(r10 - 164)
	162: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	163: r1 = *(u32 *)(r10 - 168)
	164: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	165: goto comm
ipv6:
	166: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	167: *(u64 *)(r10 - 48) = r1
	168: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	169: *(u64 *)(r10 - 40) = r1
	170: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	171: *(u64 *)(r10 - 32) = r1
	172: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	173: *(u64 *)(r10 - 24) = r1
comm:
	174: call bpf_get_current_task
	175: r3 = r0
	176: r3 += 44                             // &current->flags
	177: r1 = r10
	178: r1 += -176
	179: r2 = 4
	180: call bpf_probe_read_kernel
	181: r1 = *(u32 *)(r10 - 176)
	182: r1 &= 16                             // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
	183: if r1 == 0 goto own_comm
	184: call bpf_get_current_task
	185: r3 = r0
	186: r3 += 1328                           // &current->group_leader: the process's main thread
	187: r1 = r10
	188: r1 += -176
	189: r2 = 8
	190: call bpf_probe_read_kernel           // current->group_leader: the process's main thread (left 0 if unreadable: the walk then ends at the family check)
	191: r3 = *(u64 *)(r10 - 176)
	192: r3 += 1752                           // &group_leader->comm
	193: r1 = r10
	194: r1 += -16
	195: r2 = 16
	196: call bpf_probe_read_kernel           // the process's command name, NUL-padded
	197: goto comm_done
own_comm:
	198: r1 = r10
	199: r1 += -16
	200: r2 = 16
	201: call bpf_get_current_comm            // the submitting thread itself: its command name
comm_done:
	202: r1 = map[events] ll
	204: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	205: call bpf_ringbuf_query
	206: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	207: if r0 < 65448 goto wakeup_chosen
	208: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	209: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	210: r1 = map[events] ll
	212: r2 = r10
	213: r2 += -80
	214: r3 = 80
	215: call bpf_ringbuf_output
	216: if r0 == 0 goto out                  // delivered
	217: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	218: r1 = map[lost] ll
	220: r2 = r10
	221: r2 += -184
	222: call bpf_map_lookup_elem
	223: if r0 == 0 goto out
	224: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	225: r1 += 1
	226: *(u64 *)(r0 + 0) = r1
out:
	227: r0 = 0
	228: exit
