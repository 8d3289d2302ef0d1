// golden: ts-tcpaccept --ebpf -4, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused); ioaccepts (LRU_HASH io_uring ring + user_data -> accept file_slot, 16384 entries)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 139 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	r6 = r1                              // r6 = tracepoint record; survives helper calls
	r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	call bpf_get_current_pid_tgid
	r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	call bpf_get_current_task
	r3 = r0                              // r3 = current (struct task_struct *)
	r3 += 1824                           // &current->files
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 += 32                             // &files->fdt
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 += 8                              // &fdt->fd: the array of open files
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	r3 += r7                             // &fdt->fd[ret]
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // fd[ret]: the struct file
	r3 = *(u64 *)(r10 - 176)
	r3 += 24                             // &file->private_data: the struct socket
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 += 24                             // &socket->sk: the struct sock
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r9 = r3                              // r9 = sk; survives helper calls
	r1 = r10
	r1 += -168
	r2 = 88
	call bpf_probe_read_kernel
	if r0 != 0 goto out                  // no readable socket behind this fd
	r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	if r7 == 2 goto family_ok            // plain IPv4
	if r7 != 10 goto out                 // neither IPv4 nor IPv6: not ours
	r1 = *(u32 *)(r10 - 112)             // IPv6: is the peer ::ffff:a.b.c.d?
	if w1 != 0 goto out
	r1 = *(u32 *)(r10 - 108)
	if w1 != 0 goto out
	r1 = *(u32 *)(r10 - 104)
	if w1 != -65536 goto out
family_ok:
	r1 = r10
	r1 += -184
	r2 = 2
	r3 = r9
	r3 += 532                            // &sk->sk_protocol
	call bpf_probe_read_kernel
	r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	if r1 != 6 goto out
	r1 = r10
	r1 += -54
	r2 = 2
	r3 = r9
	r3 += 814                            // &inet_sk(sk)->inet_sport
	call bpf_probe_read_kernel
	r1 = *(u16 *)(r10 - 54)
	r1 = be16 r1                         // network to host byte order
	*(u16 *)(r10 - 54) = r1
	call bpf_ktime_get_ns
	*(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	*(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	*(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	r8 >>= 32
	*(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	r7 = *(u16 *)(r10 - 152)
	*(u16 *)(r10 - 56) = r7
	r1 = *(u16 *)(r10 - 156)
	r1 = be16 r1                         // remote port, network to host byte order
	*(u16 *)(r10 - 52) = r1
	r1 = *(u8 *)(r10 - 150)
	*(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	*(u8 *)(r10 - 49) = 1
	if r7 == 10 goto ipv6
	*(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	r1 = *(u32 *)(r10 - 164)
	*(u32 *)(r10 - 48) = r1              // local IPv4 address
	r1 = *(u32 *)(r10 - 168)
	*(u32 *)(r10 - 32) = r1              // remote IPv4 address
	goto comm
ipv6:
	r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	*(u64 *)(r10 - 48) = r1
	r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	*(u64 *)(r10 - 40) = r1
	r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	*(u64 *)(r10 - 32) = r1
	r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	*(u64 *)(r10 - 24) = r1
comm:
	r1 = r10
	r1 += -16
	r2 = 16
	call bpf_get_current_comm            // the server's command name, NUL-padded
	r1 = map[events] ll
	r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	call bpf_ringbuf_query
	r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	if r0 < 65448 goto wakeup_chosen
	if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	r1 = map[events] ll
	r2 = r10
	r2 += -80
	r3 = 80
	call bpf_ringbuf_output
	if r0 == 0 goto out                  // delivered
	*(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	r1 = map[lost] ll
	r2 = r10
	r2 += -184
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	r1 += 1
	*(u64 *)(r0 + 0) = r1
out:
	r0 = 0
	exit

// program tcpaccept_iosub (BPF_PROG_TYPE_TRACEPOINT, 25 instructions)
// attached to: tracepoint:io_uring:io_uring_submit_req
	r2 = *(u8 *)(r1 + 32)                // opcode
	if r2 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
	r6 = r1                              // r6 = tracepoint record; survives helper calls
	call bpf_get_current_pid_tgid
	r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	r1 = *(u64 *)(r6 + 8)                // ctx: the ring
	*(u64 *)(r10 - 16) = r1              // key: ring ...
	r1 = *(u64 *)(r6 + 24)               // user_data: the tag the server gave the request
	*(u64 *)(r10 - 8) = r1               // ... and user_data, as the completion tracepoint reports them
	r3 = *(u64 *)(r6 + 16)               // req: struct io_kiocb *
	r3 += 32                             // &req->cmd as struct io_accept: file_slot
	r1 = r10
	r1 += -24
	r2 = 4
	call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
	r1 = map[ioaccepts] ll
	r2 = r10
	r2 += -16                            // key
	r3 = r10
	r3 += -24                            // value
	r4 = 0
	call bpf_map_update_elem             // LRU: requests that never complete age out
out:
	r0 = 0
	exit

// program tcpaccept_iotwa (BPF_PROG_TYPE_TRACEPOINT, 23 instructions)
// attached to: tracepoint:io_uring:io_uring_task_add
	r2 = *(u8 *)(r1 + 32)                // opcode
	if r2 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): nothing else goes further
	r6 = r1                              // r6 = tracepoint record; survives helper calls
	r1 = *(u64 *)(r6 + 8)                // ctx: the ring
	*(u64 *)(r10 - 16) = r1              // key: ring ...
	r1 = *(u64 *)(r6 + 24)               // user_data: the tag the server gave the request
	*(u64 *)(r10 - 8) = r1               // ... and user_data, as the completion tracepoint reports them
	r3 = *(u64 *)(r6 + 16)               // req: struct io_kiocb *
	r3 += 32                             // &req->cmd as struct io_accept: file_slot
	r1 = r10
	r1 += -24
	r2 = 4
	call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC (0 if unreadable)
	r1 = map[ioaccepts] ll
	r2 = r10
	r2 += -16                            // key
	r3 = r10
	r3 += -24                            // value
	r4 = 0
	call bpf_map_update_elem             // LRU: requests that never complete age out
out:
	r0 = 0
	exit

// program tcpaccept_iocqe (BPF_PROG_TYPE_TRACEPOINT, 230 instructions)
// attached to: tracepoint:io_uring:io_uring_complete
	r6 = r1                              // r6 = tracepoint record; survives helper calls
	r7 = *(u32 *)(r6 + 32)               // r7 = res: the new fd, a fixed-file slot, 0, or -errno
	if w7 s< 0 goto out                  // failed or cancelled (-ECANCELED as the ring goes away): nothing accepted
	call bpf_get_current_pid_tgid
	r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	r1 = *(u64 *)(r6 + 16)               // req: the request; NULL on a multishot accept's CQEs but its last
	if r1 == 0 goto by_user_data
	r3 = r1
	r3 += 64                             // &req->opcode
	r1 = r10
	r1 += -176
	r2 = 1
	call bpf_probe_read_kernel           // req->opcode (u8)
	r1 = *(u8 *)(r10 - 176)
	if r1 != 13 goto out                 // IORING_OP_ACCEPT (enum io_uring_op, from BTF): other CQEs leave here
	r3 = *(u64 *)(r6 + 16)
	r3 += 32                             // &req->cmd as struct io_accept: file_slot
	r1 = r10
	r1 += -176
	r2 = 4
	call bpf_probe_read_kernel           // file_slot: 0 for a normal fd, slot + 1, or IORING_FILE_INDEX_ALLOC
	r9 = *(u32 *)(r10 - 176)             // r9 = file_slot, until the socket replaces it
	r1 = *(u32 *)(r6 + 36)               // cflags
	r1 &= 2                              // IORING_CQE_F_MORE: a multishot accept stays armed
	if r1 != 0 goto have_slot
	r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	*(u64 *)(r10 - 184) = r1
	r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	*(u64 *)(r10 - 176) = r1
	r1 = map[ioaccepts] ll
	r2 = r10
	r2 += -184
	call bpf_map_delete_elem
	goto have_slot
by_user_data:
	r1 = *(u64 *)(r6 + 8)                // key: ctx (the ring) ...
	*(u64 *)(r10 - 184) = r1
	r1 = *(u64 *)(r6 + 24)               // ... and user_data, as the submit program stored them
	*(u64 *)(r10 - 176) = r1
	r1 = map[ioaccepts] ll
	r2 = r10
	r2 += -184
	call bpf_map_lookup_elem
	if r0 == 0 goto out                  // not an accept (or submitted before tracing started)
	r9 = *(u32 *)(r0 + 0)                // r9 = its file_slot
have_slot:
	if r9 != 0 goto fixed_file           // a direct descriptor: res is no fd
	call bpf_get_current_task
	r3 = r0                              // r3 = current (struct task_struct *)
	r3 += 1824                           // &current->files
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 += 32                             // &files->fdt
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 += 8                              // &fdt->fd: the array of open files
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	r3 += r7                             // &fdt->fd[ret]
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // fd[ret]: the struct file
	r3 = *(u64 *)(r10 - 176)
	goto have_file
fixed_file:
	if w9 == -1 goto slot_known          // IORING_FILE_INDEX_ALLOC: the kernel chose the slot, res is it
	r7 = r9                              // an explicit slot: file_index is slot + 1 (0 means no slot), res is 0
	r7 += -1
slot_known:
	r3 = *(u64 *)(r6 + 8)                // ctx: the ring (struct io_ring_ctx *)
	r3 += 152                            // &ctx->file_table.data.nodes: the ring's fixed files
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // ctx->file_table.data.nodes: the ring's fixed files (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r7 <<= 3                             // the slot indexes an array of 8-byte pointers
	r3 += r7                             // &nodes[slot]
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // nodes[slot]: the slot's struct io_rsrc_node
	r3 = *(u64 *)(r10 - 176)
	r3 += 16                             // &node->file_ptr: the struct file, flags in the low bits
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // node->file_ptr: the struct file, flags in the low bits (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 &= -8                             // clear the FFS_* flag bits: the struct file pointer
have_file:
	r3 += 24                             // &file->private_data: the struct socket
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 += 24                             // &socket->sk: the struct sock
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r9 = r3                              // r9 = sk; survives helper calls
	r1 = r10
	r1 += -168
	r2 = 88
	call bpf_probe_read_kernel
	if r0 != 0 goto out                  // no readable socket behind this fd
	r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	if r7 == 2 goto family_ok            // plain IPv4
	if r7 != 10 goto out                 // neither IPv4 nor IPv6: not ours
	r1 = *(u32 *)(r10 - 112)             // IPv6: is the peer ::ffff:a.b.c.d?
	if w1 != 0 goto out
	r1 = *(u32 *)(r10 - 108)
	if w1 != 0 goto out
	r1 = *(u32 *)(r10 - 104)
	if w1 != -65536 goto out
family_ok:
	r1 = r10
	r1 += -184
	r2 = 2
	r3 = r9
	r3 += 532                            // &sk->sk_protocol
	call bpf_probe_read_kernel
	r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	if r1 != 6 goto out
	r1 = r10
	r1 += -54
	r2 = 2
	r3 = r9
	r3 += 814                            // &inet_sk(sk)->inet_sport
	call bpf_probe_read_kernel
	r1 = *(u16 *)(r10 - 54)
	r1 = be16 r1                         // network to host byte order
	*(u16 *)(r10 - 54) = r1
	call bpf_ktime_get_ns
	*(u64 *)(r10 - 80) = r0              // CLOCK_MONOTONIC, as process.hrtime reads it
	*(u64 *)(r10 - 72) = 0               // queue wait not measured (no -q)
	*(u32 *)(r10 - 60) = r8              // low half of pid_tgid: the thread
	r8 >>= 32
	*(u32 *)(r10 - 64) = r8              // high half: the process (TGID)
	r7 = *(u16 *)(r10 - 152)
	*(u16 *)(r10 - 56) = r7
	r1 = *(u16 *)(r10 - 156)
	r1 = be16 r1                         // remote port, network to host byte order
	*(u16 *)(r10 - 52) = r1
	r1 = *(u8 *)(r10 - 150)
	*(u8 *)(r10 - 50) = r1               // TCP_CLOSE here means reset before accept()
	*(u8 *)(r10 - 49) = 4
	if r7 == 10 goto ipv6
	*(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	r1 = *(u32 *)(r10 - 164)
	*(u32 *)(r10 - 48) = r1              // local IPv4 address
	r1 = *(u32 *)(r10 - 168)
	*(u32 *)(r10 - 32) = r1              // remote IPv4 address
	goto comm
ipv6:
	r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	*(u64 *)(r10 - 48) = r1
	r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	*(u64 *)(r10 - 40) = r1
	r1 = *(u64 *)(r10 - 112)             // remote IPv6 address, bytes 0..7
	*(u64 *)(r10 - 32) = r1
	r1 = *(u64 *)(r10 - 104)             // remote IPv6 address, bytes 8..15
	*(u64 *)(r10 - 24) = r1
comm:
	call bpf_get_current_task
	r3 = r0
	r3 += 44                             // &current->flags
	r1 = r10
	r1 += -176
	r2 = 4
	call bpf_probe_read_kernel
	r1 = *(u32 *)(r10 - 176)
	r1 &= 16                             // PF_IO_WORKER: an io-wq worker or the SQPOLL thread
	if r1 == 0 goto own_comm
	call bpf_get_current_task
	r3 = r0
	r3 += 1328                           // &current->group_leader: the process's main thread
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // current->group_leader: the process's main thread (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 += 1752                           // &group_leader->comm
	r1 = r10
	r1 += -16
	r2 = 16
	call bpf_probe_read_kernel           // the process's command name, NUL-padded
	goto comm_done
own_comm:
	r1 = r10
	r1 += -16
	r2 = 16
	call bpf_get_current_comm            // the submitting thread itself: its command name
comm_done:
	r1 = map[events] ll
	r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	call bpf_ringbuf_query
	r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	if r0 < 65448 goto wakeup_chosen
	if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	r1 = map[events] ll
	r2 = r10
	r2 += -80
	r3 = 80
	call bpf_ringbuf_output
	if r0 == 0 goto out                  // delivered
	*(u32 *)(r10 - 184) = 0              // the ring is full: count the loss (key 0)
	r1 = map[lost] ll
	r2 = r10
	r2 += -184
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	r1 += 1
	*(u64 *)(r0 + 0) = r1
out:
	r0 = 0
	exit
