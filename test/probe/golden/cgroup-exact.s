// golden: ts-tcpaccept --ebpf --cgroup-exact /sys/fs/cgroup/golden, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 137 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	r6 = r1                              // r6 = tracepoint record; survives helper calls
	r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	call bpf_get_current_pid_tgid
	r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	call bpf_get_current_cgroup_id       // r0 = id of the accepting task's cgroup (v2 hierarchy)
	r1 = 4660 ll                         // --cgroup-exact: the directory's inode number, a u64
	if r0 != r1 goto out                 // a task of another cgroup
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
	if r7 == 2 goto family_ok            // IPv4
	if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
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
