// golden: ts-tcpaccept --ebpf --cgroup-exact /sys/fs/cgroup/golden, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused); ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, 16384 entries)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 137 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	  2: if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: call bpf_get_current_cgroup_id       // r0 = id of the accepting task's cgroup (v2 hierarchy)
	  6: r1 = 4660 ll                         // --cgroup-exact: the directory's inode number, a u64
	  8: if r0 != r1 goto out                 // a task of another cgroup
	  9: call bpf_get_current_task
	 10: r3 = r0                              // r3 = current (struct task_struct *)
	 11: r3 += 1824                           // &current->files
	 12: r1 = r10
	 13: r1 += -176
	 14: r2 = 8
	 15: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 16: r3 = *(u64 *)(r10 - 176)
	 17: r3 += 32                             // &files->fdt
	 18: r1 = r10
	 19: r1 += -176
	 20: r2 = 8
	 21: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 22: r3 = *(u64 *)(r10 - 176)
	 23: r3 += 8                              // &fdt->fd: the array of open files
	 24: r1 = r10
	 25: r1 += -176
	 26: r2 = 8
	 27: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 28: r3 = *(u64 *)(r10 - 176)
	 29: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 30: r3 += r7                             // &fdt->fd[ret]
	 31: r1 = r10
	 32: r1 += -176
	 33: r2 = 8
	 34: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 35: r3 = *(u64 *)(r10 - 176)
	 36: r3 += 24                             // &file->private_data: the struct socket
	 37: r1 = r10
	 38: r1 += -176
	 39: r2 = 8
	 40: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	 41: r3 = *(u64 *)(r10 - 176)
	 42: r3 += 24                             // &socket->sk: the struct sock
	 43: r1 = r10
	 44: r1 += -176
	 45: r2 = 8
	 46: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	 47: r3 = *(u64 *)(r10 - 176)
	 48: r9 = r3                              // r9 = sk; survives helper calls
	 49: r1 = r10
	 50: r1 += -168
	 51: r2 = 88
	 52: call bpf_probe_read_kernel
	 53: if r0 != 0 goto out                  // no readable socket behind this fd
	 54: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 55: if r7 == 2 goto family_ok            // IPv4
	 56: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	 57: r1 = r10
	 58: r1 += -184
	 59: r2 = 2
	 60: r3 = r9
	 61: r3 += 532                            // &sk->sk_protocol
	 62: call bpf_probe_read_kernel
	 63: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 64: if r1 != 6 goto out
	 65: r1 = r10
	 66: r1 += -54
	 67: r2 = 2
	 68: r3 = r9
	 69: r3 += 814                            // &inet_sk(sk)->inet_sport
	 70: call bpf_probe_read_kernel
	 71: r1 = *(u16 *)(r10 - 54)
	 72: r1 = be16 r1                         // network to host byte order
	 73: *(u16 *)(r10 - 54) = r1
	 74: call bpf_ktime_get_ns
	 75: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	 76: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	 77: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	 78: r8 >>= 32
	 79: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	 80: r7 = *(u16 *)(r10 - 152)
	 81: *(u16 *)(r10 - 56) = r7
	 82: r1 = *(u16 *)(r10 - 156)
	 83: r1 = be16 r1                         // remote port, network to host byte order
	 84: *(u16 *)(r10 - 52) = r1
	 85: r1 = *(u8 *)(r10 - 150)
	 86: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	 87: *(u8 *)(r10 - 49) = 1
	 88: if r7 == 10 goto ipv6
	 89: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 90: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 91: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 92: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 93: r1 = *(u32 *)(r10 - 164)
	 94: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	 95: r1 = *(u32 *)(r10 - 168)
	 96: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	 97: goto comm
ipv6:
	 98: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	 99: *(u64 *)(r10 - 48) = r1
	100: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	101: *(u64 *)(r10 - 40) = r1
	102: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	103: *(u64 *)(r10 - 32) = r1
	104: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	105: *(u64 *)(r10 - 24) = r1
comm:
	106: r1 = r10
	107: r1 += -16
	108: r2 = 16
	109: call bpf_get_current_comm            // the server's command name, NUL-padded
	110: r1 = map[events] ll
	112: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	113: call bpf_ringbuf_query
	114: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	115: if r0 < 65448 goto wakeup_chosen
	116: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	117: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	118: r1 = map[events] ll
	120: r2 = r10
	121: r2 += -80
	122: r3 = 80
	123: call bpf_ringbuf_output
	124: if r0 == 0 goto out                  // delivered
	125: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	126: r1 = map[lost] ll
	128: r2 = r10
	129: r2 += -184
	130: call bpf_map_lookup_elem
	131: if r0 == 0 goto out
	132: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	133: r1 += 1
	134: *(u64 *)(r0 + 0) = r1
out:
	135: r0 = 0
	136: exit

// program tcpaccept_iosub (BPF_PROG_TYPE_TRACEPOINT, 29 instructions)
// attached to: tracepoint:io_uring:io_uring_submit_req
	 0: r2 = *(u8 *)(r1 + 32)                // opcode
	 1: if r2 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
	 2: r6 = r1                              // r6 = tracepoint record; survives helper calls
	 3: call bpf_get_current_pid_tgid
	 4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	 5: call bpf_get_current_cgroup_id       // r0 = id of the accepting task's cgroup (v2 hierarchy)
	 6: r1 = 4660 ll                         // --cgroup-exact: the directory's inode number, a u64
	 8: if r0 != r1 goto out                 // a task of another cgroup
	 9: r1 = *(u64 *)(r6 + 8)                // ctx: the ring
	10: *(u64 *)(r10 - 16) = r1              // key: ring ...
	11: r1 = *(u64 *)(r6 + 24)               // user_data: the tag the server gave the request
	12: *(u64 *)(r10 - 8) = r1               // ... and user_data, as the completion tracepoint reports them
	13: r3 = *(u64 *)(r6 + 16)               // req: struct io_kiocb *
	14: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	15: r1 = r10
	16: r1 += -24
	17: r2 = 4
	18: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
	19: r1 = map[ioaccepts] ll
	21: r2 = r10
	22: r2 += -16
	23: r3 = r10
	24: r3 += -24
	25: r4 = 0
	26: call bpf_map_update_elem             // LRU: requests that never complete age out
out:
	27: r0 = 0
	28: exit

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

// program tcpaccept_iocqe (BPF_PROG_TYPE_TRACEPOINT, 228 instructions)
// attached to: tracepoint:io_uring:io_uring_complete
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u32 *)(r6 + 32)               // r7 = res: the new fd, a fixed-file slot, 0, or -errno
	  2: if w7 s< 0 goto out                  // failed or cancelled (-ECANCELED as the ring goes away): nothing accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: call bpf_get_current_cgroup_id       // r0 = id of the accepting task's cgroup (v2 hierarchy)
	  6: r1 = 4660 ll                         // --cgroup-exact: the directory's inode number, a u64
	  8: if r0 != r1 goto out                 // a task of another cgroup
	  9: r1 = *(u64 *)(r6 + 16)               // req: the request; NULL on a multishot accept's CQEs but its last
	 10: if r1 == 0 goto by_user_data
	 11: r3 = r1
	 12: r3 += 64                             // &req->opcode
	 13: r1 = r10
	 14: r1 += -176
	 15: r2 = 1
	 16: call bpf_probe_read_kernel           // req->opcode (u8)
	 17: r1 = *(u8 *)(r10 - 176)
	 18: if r1 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): other CQEs leave here
	 19: r3 = *(u64 *)(r6 + 16)
	 20: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	 21: r1 = r10
	 22: r1 += -176
	 23: r2 = 4
	 24: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC
	 25: r9 = *(u32 *)(r10 - 176)             // r9 = file_slot, until the socket replaces it
	 26: r1 = *(u32 *)(r6 + 36)               // cflags
	 27: r1 &= 2                              // IORING_CQE_F_MORE: a multishot accept stays armed
	 28: if r1 != 0 goto have_slot
	 29: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 30: *(u64 *)(r10 - 184) = r1
	 31: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 32: *(u64 *)(r10 - 176) = r1
	 33: r1 = map[ioaccepts] ll
	 35: r2 = r10
	 36: r2 += -184
	 37: call bpf_map_delete_elem
	 38: goto have_slot
by_user_data:
	 39: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 40: *(u64 *)(r10 - 184) = r1
	 41: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 42: *(u64 *)(r10 - 176) = r1
	 43: r1 = map[ioaccepts] ll
	 45: r2 = r10
	 46: r2 += -184
	 47: call bpf_map_lookup_elem
	 48: if r0 == 0 goto out                  // not an accept (or submitted before tracing started)
	 49: r9 = *(u32 *)(r0 + 0)                // r9 = its file_slot
have_slot:
	 50: if r9 != 0 goto fixed_file           // a direct descriptor: res is no fd
	 51: call bpf_get_current_task
	 52: r3 = r0                              // r3 = current (struct task_struct *)
	 53: r3 += 1824                           // &current->files
	 54: r1 = r10
	 55: r1 += -176
	 56: r2 = 8
	 57: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 58: r3 = *(u64 *)(r10 - 176)
	 59: r3 += 32                             // &files->fdt
	 60: r1 = r10
	 61: r1 += -176
	 62: r2 = 8
	 63: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 64: r3 = *(u64 *)(r10 - 176)
	 65: r3 += 8                              // &fdt->fd: the array of open files
	 66: r1 = r10
	 67: r1 += -176
	 68: r2 = 8
	 69: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 70: r3 = *(u64 *)(r10 - 176)
	 71: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 72: r3 += r7                             // &fdt->fd[ret]
	 73: r1 = r10
	 74: r1 += -176
	 75: r2 = 8
	 76: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 77: r3 = *(u64 *)(r10 - 176)
	 78: goto have_file
fixed_file:
	 79: if w9 == -1 goto slot_known          // IORING_FILE_INDEX_ALLOC: the kernel chose the slot, res is it
	 80: r7 = r9                              // an explicit slot: file_index is slot + 1 (0 means no slot), res is 0
	 81: r7 += -1
slot_known:
	 82: r3 = *(u64 *)(r6 + 8)                // ctx: the ring (struct io_ring_ctx *)
	 83: r3 += 152                            // &ctx->file_table.data.nodes: the ring's fixed files
	 84: r1 = r10
	 85: r1 += -176
	 86: r2 = 8
	 87: call bpf_probe_read_kernel           // ctx->file_table.data.nodes: the ring's fixed files (left 0 if unreadable: the walk then ends at the family check)
	 88: r3 = *(u64 *)(r10 - 176)
	 89: r7 <<= 3                             // the slot indexes an array of 8-byte pointers
	 90: r3 += r7                             // &nodes[slot]
	 91: r1 = r10
	 92: r1 += -176
	 93: r2 = 8
	 94: call bpf_probe_read_kernel           // nodes[slot]: the slot's struct io_rsrc_node
	 95: r3 = *(u64 *)(r10 - 176)
	 96: r3 += 16                             // &node->file_ptr: the struct file, flags in the low bits
	 97: r1 = r10
	 98: r1 += -176
	 99: r2 = 8
	100: call bpf_probe_read_kernel           // node->file_ptr: the struct file, flags in the low bits (left 0 if unreadable: the walk then ends at the family check)
	101: r3 = *(u64 *)(r10 - 176)
	102: r3 &= -8                             // clear the FFS_* flag bits: the struct file pointer
have_file:
	103: r3 += 24                             // &file->private_data: the struct socket
	104: r1 = r10
	105: r1 += -176
	106: r2 = 8
	107: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	108: r3 = *(u64 *)(r10 - 176)
	109: r3 += 24                             // &socket->sk: the struct sock
	110: r1 = r10
	111: r1 += -176
	112: r2 = 8
	113: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	114: r3 = *(u64 *)(r10 - 176)
	115: r9 = r3                              // r9 = sk; survives helper calls
	116: r1 = r10
	117: r1 += -168
	118: r2 = 88
	119: call bpf_probe_read_kernel
	120: if r0 != 0 goto out                  // no readable socket behind this fd
	121: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	122: if r7 == 2 goto family_ok            // IPv4
	123: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	124: r1 = r10
	125: r1 += -184
	126: r2 = 2
	127: r3 = r9
	128: r3 += 532                            // &sk->sk_protocol
	129: call bpf_probe_read_kernel
	130: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	131: if r1 != 6 goto out
	132: r1 = r10
	133: r1 += -54
	134: r2 = 2
	135: r3 = r9
	136: r3 += 814                            // &inet_sk(sk)->inet_sport
	137: call bpf_probe_read_kernel
	138: r1 = *(u16 *)(r10 - 54)
	139: r1 = be16 r1                         // network to host byte order
	140: *(u16 *)(r10 - 54) = r1
	141: call bpf_ktime_get_ns
	142: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	143: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	144: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	145: r8 >>= 32
	146: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	147: r7 = *(u16 *)(r10 - 152)
	148: *(u16 *)(r10 - 56) = r7
	149: r1 = *(u16 *)(r10 - 156)
	150: r1 = be16 r1                         // remote port, network to host byte order
	151: *(u16 *)(r10 - 52) = r1
	152: r1 = *(u8 *)(r10 - 150)
	153: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	154: *(u8 *)(r10 - 49) = 4
	155: if r7 == 10 goto ipv6
	156: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	157: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	158: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	159: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	160: r1 = *(u32 *)(r10 - 164)
	161: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	162: r1 = *(u32 *)(r10 - 168)
	163: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	164: goto comm
ipv6:
	165: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	166: *(u64 *)(r10 - 48) = r1
	167: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	168: *(u64 *)(r10 - 40) = r1
	169: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	170: *(u64 *)(r10 - 32) = r1
	171: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	172: *(u64 *)(r10 - 24) = r1
comm:
	173: call bpf_get_current_task
	174: r3 = r0
	175: r3 += 44                             // &current->flags
	176: r1 = r10
	177: r1 += -176
	178: r2 = 4
	179: call bpf_probe_read_kernel
	180: r1 = *(u32 *)(r10 - 176)
	181: r1 &= 16                             // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
	182: if r1 == 0 goto own_comm
	183: call bpf_get_current_task
	184: r3 = r0
	185: r3 += 1328                           // &current->group_leader: the process's main thread
	186: r1 = r10
	187: r1 += -176
	188: r2 = 8
	189: call bpf_probe_read_kernel           // current->group_leader: the process's main thread (left 0 if unreadable: the walk then ends at the family check)
	190: r3 = *(u64 *)(r10 - 176)
	191: r3 += 1752                           // &group_leader->comm
	192: r1 = r10
	193: r1 += -16
	194: r2 = 16
	195: call bpf_probe_read_kernel           // the process's command name, NUL-padded
	196: goto comm_done
own_comm:
	197: r1 = r10
	198: r1 += -16
	199: r2 = 16
	200: call bpf_get_current_comm            // the submitting thread itself: its command name
comm_done:
	201: r1 = map[events] ll
	203: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	204: call bpf_ringbuf_query
	205: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	206: if r0 < 65448 goto wakeup_chosen
	207: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	208: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	209: r1 = map[events] ll
	211: r2 = r10
	212: r2 += -80
	213: r3 = 80
	214: call bpf_ringbuf_output
	215: if r0 == 0 goto out                  // delivered
	216: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	217: r1 = map[lost] ll
	219: r2 = r10
	220: r2 += -184
	221: call bpf_map_lookup_elem
	222: if r0 == 0 goto out
	223: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	224: r1 += 1
	225: *(u64 *)(r0 + 0) = r1
out:
	226: r0 = 0
	227: exit
