// golden: ts-tcpaccept --ebpf -q (plan: {"output":"perf"}), on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: handshakes (LRU_HASH sock pointer -> handshake time, 16384 entries); events (PERF_EVENT_ARRAY, one ring per CPU)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 133 instructions)
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
	r7 = r0                              // r7 = now, for the queue wait
	*(u64 *)(r10 - 72) = 0               // unknown unless the handshake was seen
	*(u64 *)(r10 - 184) = r9             // key: the sock pointer, as the handshake program stored it
	r1 = map[handshakes] ll
	r2 = r10
	r2 += -184
	call bpf_map_lookup_elem
	if r0 == 0 goto no_handshake         // handshake before tracing started, or evicted
	r1 = *(u64 *)(r0 + 0)                // r1 = when the handshake completed
	r7 -= r1
	*(u64 *)(r10 - 72) = r7              // time spent in the accept queue
	r1 = map[handshakes] ll
	r2 = r10
	r2 += -184
	call bpf_map_delete_elem             // accepted: the entry has served
no_handshake:
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
	r1 = r6                              // ctx
	r2 = map[events] ll
	r3 = 4294967295 ll                   // BPF_F_CURRENT_CPU: this CPU's ring
	r4 = r10
	r4 += -80
	r5 = 80
	call bpf_perf_event_output
out:
	r0 = 0
	exit

// program tcpaccept_hshk (BPF_PROG_TYPE_TRACEPOINT, 21 instructions)
// attached to: tracepoint:sock:inet_sock_set_state
	r2 = *(u32 *)(r1 + 16)               // oldstate
	if r2 != 3 goto out                  // most transitions are not SYN_RECV -> …: leave early
	r2 = *(u32 *)(r1 + 20)               // newstate
	if r2 != 1 goto out                  // SYN_RECV -> ESTABLISHED: a passive open completed
	r2 = *(u16 *)(r1 + 30)               // protocol (u8 before 5.6, u16 since)
	if r2 != 6 goto out
	r6 = r1                              // r6 = tracepoint record
	r1 = *(u64 *)(r6 + 8)                // skaddr: the child socket accept() will return
	*(u64 *)(r10 - 8) = r1               // key
	call bpf_ktime_get_ns
	*(u64 *)(r10 - 16) = r0              // value: handshake completion time
	r1 = map[handshakes] ll
	r2 = r10
	r2 += -8
	r3 = r10
	r3 += -16
	r4 = 0
	call bpf_map_update_elem             // LRU: sockets never accepted age out
out:
	r0 = 0
	exit
