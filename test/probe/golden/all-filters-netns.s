// golden: ts-tcpaccept --ebpf -p 4242 -P 8080 -4 --cgroup /sys/fs/cgroup/golden --netns /run/netns/golden, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: cgroups (CGROUP_ARRAY, 1 slot: the --cgroup directory, for bpf_current_task_under_cgroup); ports (HASH u16 local port -> u8, the -P list); events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused); ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, 16384 entries)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 162 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	  2: if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: r1 = r8
	  6: r1 >>= 32                            // r1 = tgid: what users call the PID
	  7: if r1 != 4242 goto out               // -p: another process
	  8: r1 = map[cgroups] ll                 // --cgroup: a CGROUP_ARRAY holding the directory's fd at index 0
	 10: r2 = 0
	 11: call bpf_current_task_under_cgroup   // r0 = 1 when the accepting task is in that cgroup or below it
	 12: if r0 != 1 goto out                  // 0: another cgroup; negative: the slot is empty
	 13: call bpf_get_current_task
	 14: r3 = r0                              // r3 = current (struct task_struct *)
	 15: r3 += 1824                           // &current->files
	 16: r1 = r10
	 17: r1 += -176
	 18: r2 = 8
	 19: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 20: r3 = *(u64 *)(r10 - 176)
	 21: r3 += 32                             // &files->fdt
	 22: r1 = r10
	 23: r1 += -176
	 24: r2 = 8
	 25: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 26: r3 = *(u64 *)(r10 - 176)
	 27: r3 += 8                              // &fdt->fd: the array of open files
	 28: r1 = r10
	 29: r1 += -176
	 30: r2 = 8
	 31: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 32: r3 = *(u64 *)(r10 - 176)
	 33: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 34: r3 += r7                             // &fdt->fd[ret]
	 35: r1 = r10
	 36: r1 += -176
	 37: r2 = 8
	 38: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 39: r3 = *(u64 *)(r10 - 176)
	 40: r3 += 24                             // &file->private_data: the struct socket
	 41: r1 = r10
	 42: r1 += -176
	 43: r2 = 8
	 44: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	 45: r3 = *(u64 *)(r10 - 176)
	 46: r3 += 24                             // &socket->sk: the struct sock
	 47: r1 = r10
	 48: r1 += -176
	 49: r2 = 8
	 50: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	 51: r3 = *(u64 *)(r10 - 176)
	 52: r9 = r3                              // r9 = sk; survives helper calls
	 53: r1 = r10
	 54: r1 += -168
	 55: r2 = 88
	 56: call bpf_probe_read_kernel
	 57: if r0 != 0 goto out                  // no readable socket behind this fd
	 58: r3 = *(u64 *)(r10 - 120)             // --netns: sk->__sk_common.skc_net.net, from the copy
	 59: r3 += 176                            // &net->ns.inum
	 60: r1 = r10
	 61: r1 += -176
	 62: r2 = 4
	 63: call bpf_probe_read_kernel           // net->ns.inum: the namespace's inode (0 if unreadable)
	 64: r1 = *(u32 *)(r10 - 176)
	 65: if w1 != -268435455 goto out         // --netns net:[4026531841] (a u32, listed signed): a socket of another namespace
	 66: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 67: if r7 == 2 goto family_ok            // plain IPv4
	 68: if r7 != 10 goto out                 // neither IPv4 nor IPv6: not ours
	 69: r1 = *(u32 *)(r10 - 112)             // IPv6: is the peer ::ffff:a.b.c.d?
	 70: if w1 != 0 goto out
	 71: r1 = *(u32 *)(r10 - 108)
	 72: if w1 != 0 goto out
	 73: r1 = *(u32 *)(r10 - 104)
	 74: if w1 != -65536 goto out
family_ok:
	 75: r1 = r10
	 76: r1 += -184
	 77: r2 = 2
	 78: r3 = r9
	 79: r3 += 532                            // &sk->sk_protocol
	 80: call bpf_probe_read_kernel
	 81: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 82: if r1 != 6 goto out
	 83: r1 = r10
	 84: r1 += -54
	 85: r2 = 2
	 86: r3 = r9
	 87: r3 += 814                            // &inet_sk(sk)->inet_sport
	 88: call bpf_probe_read_kernel
	 89: r1 = *(u16 *)(r10 - 54)
	 90: r1 = be16 r1                         // network to host byte order
	 91: *(u16 *)(r10 - 54) = r1
	 92: *(u16 *)(r10 - 184) = r1             // -P: is the local port in the ports map?
	 93: r1 = map[ports] ll
	 95: r2 = r10
	 96: r2 += -184
	 97: call bpf_map_lookup_elem
	 98: if r0 == 0 goto out                  // a port nobody asked for
	 99: call bpf_ktime_get_ns
	100: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	101: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	102: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	103: r8 >>= 32
	104: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	105: r7 = *(u16 *)(r10 - 152)
	106: *(u16 *)(r10 - 56) = r7
	107: r1 = *(u16 *)(r10 - 156)
	108: r1 = be16 r1                         // remote port, network to host byte order
	109: *(u16 *)(r10 - 52) = r1
	110: r1 = *(u8 *)(r10 - 150)
	111: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	112: *(u8 *)(r10 - 49) = 1
	113: if r7 == 10 goto ipv6
	114: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	115: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	116: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	117: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	118: r1 = *(u32 *)(r10 - 164)
	119: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	120: r1 = *(u32 *)(r10 - 168)
	121: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	122: goto comm
ipv6:
	123: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	124: *(u64 *)(r10 - 48) = r1
	125: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	126: *(u64 *)(r10 - 40) = r1
	127: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	128: *(u64 *)(r10 - 32) = r1
	129: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	130: *(u64 *)(r10 - 24) = r1
comm:
	131: r1 = r10
	132: r1 += -16
	133: r2 = 16
	134: call bpf_get_current_comm            // the server's command name, NUL-padded
	135: r1 = map[events] ll
	137: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	138: call bpf_ringbuf_query
	139: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	140: if r0 < 65448 goto wakeup_chosen
	141: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	142: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	143: r1 = map[events] ll
	145: r2 = r10
	146: r2 += -80
	147: r3 = 80
	148: call bpf_ringbuf_output
	149: if r0 == 0 goto out                  // delivered
	150: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	151: r1 = map[lost] ll
	153: r2 = r10
	154: r2 += -184
	155: call bpf_map_lookup_elem
	156: if r0 == 0 goto out
	157: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	158: r1 += 1
	159: *(u64 *)(r0 + 0) = r1
out:
	160: r0 = 0
	161: exit

// program tcpaccept_iosub (BPF_PROG_TYPE_TRACEPOINT, 33 instructions)
// attached to: tracepoint:io_uring:io_uring_submit_req
	 0: r2 = *(u8 *)(r1 + 32)                // opcode
	 1: if r2 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
	 2: r6 = r1                              // r6 = tracepoint record; survives helper calls
	 3: call bpf_get_current_pid_tgid
	 4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	 5: r1 = r8
	 6: r1 >>= 32                            // r1 = tgid: what users call the PID
	 7: if r1 != 4242 goto out               // -p: another process
	 8: r1 = map[cgroups] ll                 // --cgroup: a CGROUP_ARRAY holding the directory's fd at index 0
	10: r2 = 0
	11: call bpf_current_task_under_cgroup   // r0 = 1 when the accepting task is in that cgroup or below it
	12: if r0 != 1 goto out                  // 0: another cgroup; negative: the slot is empty
	13: r1 = *(u64 *)(r6 + 8)                // ctx: the ring
	14: *(u64 *)(r10 - 16) = r1              // key: ring ...
	15: r1 = *(u64 *)(r6 + 24)               // user_data: the tag the server gave the request
	16: *(u64 *)(r10 - 8) = r1               // ... and user_data, as the completion tracepoint reports them
	17: r3 = *(u64 *)(r6 + 16)               // req: struct io_kiocb *
	18: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	19: r1 = r10
	20: r1 += -24
	21: r2 = 4
	22: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
	23: r1 = map[ioaccepts] ll
	25: r2 = r10
	26: r2 += -16
	27: r3 = r10
	28: r3 += -24
	29: r4 = 0
	30: call bpf_map_update_elem             // LRU: requests that never complete age out
out:
	31: r0 = 0
	32: exit

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

// program tcpaccept_iocqe (BPF_PROG_TYPE_TRACEPOINT, 253 instructions)
// attached to: tracepoint:io_uring:io_uring_complete
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u32 *)(r6 + 32)               // r7 = res: the new fd, a fixed-file slot, 0, or -errno
	  2: if w7 s< 0 goto out                  // failed or cancelled (-ECANCELED as the ring goes away): nothing accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: r1 = r8
	  6: r1 >>= 32                            // r1 = tgid: what users call the PID
	  7: if r1 != 4242 goto out               // -p: another process
	  8: r1 = map[cgroups] ll                 // --cgroup: a CGROUP_ARRAY holding the directory's fd at index 0
	 10: r2 = 0
	 11: call bpf_current_task_under_cgroup   // r0 = 1 when the accepting task is in that cgroup or below it
	 12: if r0 != 1 goto out                  // 0: another cgroup; negative: the slot is empty
	 13: r1 = *(u64 *)(r6 + 16)               // req: the request; NULL on a multishot accept's CQEs but its last
	 14: if r1 == 0 goto by_user_data
	 15: r3 = r1
	 16: r3 += 64                             // &req->opcode
	 17: r1 = r10
	 18: r1 += -176
	 19: r2 = 1
	 20: call bpf_probe_read_kernel           // req->opcode (u8)
	 21: r1 = *(u8 *)(r10 - 176)
	 22: if r1 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): other CQEs leave here
	 23: r3 = *(u64 *)(r6 + 16)
	 24: r3 += 32                             // &req->cmd as struct io_accept: file_slot
	 25: r1 = r10
	 26: r1 += -176
	 27: r2 = 4
	 28: call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC
	 29: r9 = *(u32 *)(r10 - 176)             // r9 = file_slot, until the socket replaces it
	 30: r1 = *(u32 *)(r6 + 36)               // cflags
	 31: r1 &= 2                              // IORING_CQE_F_MORE: a multishot accept stays armed
	 32: if r1 != 0 goto have_slot
	 33: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 34: *(u64 *)(r10 - 184) = r1
	 35: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 36: *(u64 *)(r10 - 176) = r1
	 37: r1 = map[ioaccepts] ll
	 39: r2 = r10
	 40: r2 += -184
	 41: call bpf_map_delete_elem
	 42: goto have_slot
by_user_data:
	 43: r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	 44: *(u64 *)(r10 - 184) = r1
	 45: r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	 46: *(u64 *)(r10 - 176) = r1
	 47: r1 = map[ioaccepts] ll
	 49: r2 = r10
	 50: r2 += -184
	 51: call bpf_map_lookup_elem
	 52: if r0 == 0 goto out                  // not an accept (or submitted before tracing started)
	 53: r9 = *(u32 *)(r0 + 0)                // r9 = its file_slot
have_slot:
	 54: if r9 != 0 goto fixed_file           // a direct descriptor: res is no fd
	 55: call bpf_get_current_task
	 56: r3 = r0                              // r3 = current (struct task_struct *)
	 57: r3 += 1824                           // &current->files
	 58: r1 = r10
	 59: r1 += -176
	 60: r2 = 8
	 61: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 62: r3 = *(u64 *)(r10 - 176)
	 63: r3 += 32                             // &files->fdt
	 64: r1 = r10
	 65: r1 += -176
	 66: r2 = 8
	 67: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 68: r3 = *(u64 *)(r10 - 176)
	 69: r3 += 8                              // &fdt->fd: the array of open files
	 70: r1 = r10
	 71: r1 += -176
	 72: r2 = 8
	 73: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 74: r3 = *(u64 *)(r10 - 176)
	 75: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 76: r3 += r7                             // &fdt->fd[ret]
	 77: r1 = r10
	 78: r1 += -176
	 79: r2 = 8
	 80: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 81: r3 = *(u64 *)(r10 - 176)
	 82: goto have_file
fixed_file:
	 83: if w9 == -1 goto slot_known          // IORING_FILE_INDEX_ALLOC: the kernel chose the slot, res is it
	 84: r7 = r9                              // an explicit slot: file_index is slot + 1 (0 means no slot), res is 0
	 85: r7 += -1
slot_known:
	 86: r3 = *(u64 *)(r6 + 8)                // ctx: the ring (struct io_ring_ctx *)
	 87: r3 += 152                            // &ctx->file_table.data.nodes: the ring's fixed files
	 88: r1 = r10
	 89: r1 += -176
	 90: r2 = 8
	 91: call bpf_probe_read_kernel           // ctx->file_table.data.nodes: the ring's fixed files (left 0 if unreadable: the walk then ends at the family check)
	 92: r3 = *(u64 *)(r10 - 176)
	 93: r7 <<= 3                             // the slot indexes an array of 8-byte pointers
	 94: r3 += r7                             // &nodes[slot]
	 95: r1 = r10
	 96: r1 += -176
	 97: r2 = 8
	 98: call bpf_probe_read_kernel           // nodes[slot]: the slot's struct io_rsrc_node
	 99: r3 = *(u64 *)(r10 - 176)
	100: r3 += 16                             // &node->file_ptr: the struct file, flags in the low bits
	101: r1 = r10
	102: r1 += -176
	103: r2 = 8
	104: call bpf_probe_read_kernel           // node->file_ptr: the struct file, flags in the low bits (left 0 if unreadable: the walk then ends at the family check)
	105: r3 = *(u64 *)(r10 - 176)
	106: r3 &= -8                             // clear the FFS_* flag bits: the struct file pointer
have_file:
	107: r3 += 24                             // &file->private_data: the struct socket
	108: r1 = r10
	109: r1 += -176
	110: r2 = 8
	111: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	112: r3 = *(u64 *)(r10 - 176)
	113: r3 += 24                             // &socket->sk: the struct sock
	114: r1 = r10
	115: r1 += -176
	116: r2 = 8
	117: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	118: r3 = *(u64 *)(r10 - 176)
	119: r9 = r3                              // r9 = sk; survives helper calls
	120: r1 = r10
	121: r1 += -168
	122: r2 = 88
	123: call bpf_probe_read_kernel
	124: if r0 != 0 goto out                  // no readable socket behind this fd
	125: r3 = *(u64 *)(r10 - 120)             // --netns: sk->__sk_common.skc_net.net, from the copy
	126: r3 += 176                            // &net->ns.inum
	127: r1 = r10
	128: r1 += -176
	129: r2 = 4
	130: call bpf_probe_read_kernel           // net->ns.inum: the namespace's inode (0 if unreadable)
	131: r1 = *(u32 *)(r10 - 176)
	132: if w1 != -268435455 goto out         // --netns net:[4026531841] (a u32, listed signed): a socket of another namespace
	133: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	134: if r7 == 2 goto family_ok            // plain IPv4
	135: if r7 != 10 goto out                 // neither IPv4 nor IPv6: not ours
	136: r1 = *(u32 *)(r10 - 112)             // IPv6: is the peer ::ffff:a.b.c.d?
	137: if w1 != 0 goto out
	138: r1 = *(u32 *)(r10 - 108)
	139: if w1 != 0 goto out
	140: r1 = *(u32 *)(r10 - 104)
	141: if w1 != -65536 goto out
family_ok:
	142: r1 = r10
	143: r1 += -184
	144: r2 = 2
	145: r3 = r9
	146: r3 += 532                            // &sk->sk_protocol
	147: call bpf_probe_read_kernel
	148: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	149: if r1 != 6 goto out
	150: r1 = r10
	151: r1 += -54
	152: r2 = 2
	153: r3 = r9
	154: r3 += 814                            // &inet_sk(sk)->inet_sport
	155: call bpf_probe_read_kernel
	156: r1 = *(u16 *)(r10 - 54)
	157: r1 = be16 r1                         // network to host byte order
	158: *(u16 *)(r10 - 54) = r1
	159: *(u16 *)(r10 - 184) = r1             // -P: is the local port in the ports map?
	160: r1 = map[ports] ll
	162: r2 = r10
	163: r2 += -184
	164: call bpf_map_lookup_elem
	165: if r0 == 0 goto out                  // a port nobody asked for
	166: call bpf_ktime_get_ns
	167: *(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	168: *(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	169: *(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	170: r8 >>= 32
	171: *(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	172: r7 = *(u16 *)(r10 - 152)
	173: *(u16 *)(r10 - 56) = r7
	174: r1 = *(u16 *)(r10 - 156)
	175: r1 = be16 r1                         // remote port, network to host byte order
	176: *(u16 *)(r10 - 52) = r1
	177: r1 = *(u8 *)(r10 - 150)
	178: *(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	179: *(u8 *)(r10 - 49) = 4
	180: if r7 == 10 goto ipv6
	181: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	182: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	183: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	184: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	185: r1 = *(u32 *)(r10 - 164)
	186: *(u32 *)(r10 - 48) = r1              // local IPv4 address
	187: r1 = *(u32 *)(r10 - 168)
	188: *(u32 *)(r10 - 32) = r1              // remote IPv4 address
	189: goto comm
ipv6:
	190: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	191: *(u64 *)(r10 - 48) = r1
	192: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	193: *(u64 *)(r10 - 40) = r1
	194: r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	195: *(u64 *)(r10 - 32) = r1
	196: r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	197: *(u64 *)(r10 - 24) = r1
comm:
	198: call bpf_get_current_task
	199: r3 = r0
	200: r3 += 44                             // &current->flags
	201: r1 = r10
	202: r1 += -176
	203: r2 = 4
	204: call bpf_probe_read_kernel
	205: r1 = *(u32 *)(r10 - 176)
	206: r1 &= 16                             // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
	207: if r1 == 0 goto own_comm
	208: call bpf_get_current_task
	209: r3 = r0
	210: r3 += 1328                           // &current->group_leader: the process's main thread
	211: r1 = r10
	212: r1 += -176
	213: r2 = 8
	214: call bpf_probe_read_kernel           // current->group_leader: the process's main thread (left 0 if unreadable: the walk then ends at the family check)
	215: r3 = *(u64 *)(r10 - 176)
	216: r3 += 1752                           // &group_leader->comm
	217: r1 = r10
	218: r1 += -16
	219: r2 = 16
	220: call bpf_probe_read_kernel           // the process's command name, NUL-padded
	221: goto comm_done
own_comm:
	222: r1 = r10
	223: r1 += -16
	224: r2 = 16
	225: call bpf_get_current_comm            // the submitting thread itself: its command name
comm_done:
	226: r1 = map[events] ll
	228: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	229: call bpf_ringbuf_query
	230: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	231: if r0 < 65448 goto wakeup_chosen
	232: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	233: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	234: r1 = map[events] ll
	236: r2 = r10
	237: r2 += -80
	238: r3 = 80
	239: call bpf_ringbuf_output
	240: if r0 == 0 goto out                  // delivered
	241: *(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	242: r1 = map[lost] ll
	244: r2 = r10
	245: r2 += -184
	246: call bpf_map_lookup_elem
	247: if r0 == 0 goto out
	248: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	249: r1 += 1
	250: *(u64 *)(r0 + 0) = r1
out:
	251: r0 = 0
	252: exit
