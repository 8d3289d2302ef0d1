// golden: ts-tcpaccept --ebpf -c, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: listenfds (LRU_HASH pid_tgid -> listening fd, 16384 entries); counts (PERCPU_HASH 56-byte key thread/listener/address/port/comm -> count, group, group size; 10240 entries); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 172 instructions)
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
	*(u64 *)(r10 - 192) = r3             // -c: keep the array, for the listening fd's file
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
	*(u64 *)(r10 - 240) = 0              // listener unknown until found
	*(u64 *)(r10 - 264) = 0              // no SO_REUSEPORT group until found
	*(u64 *)(r10 - 256) = 0
	*(u64 *)(r10 - 184) = r8             // key: pid_tgid, as the sys_enter program stored it
	r1 = map[listenfds] ll
	r2 = r10
	r2 += -184
	call bpf_map_lookup_elem
	if r0 == 0 goto listener_done        // accept() was entered before tracing started
	r3 = *(u32 *)(r0 + 0)                // r3 = the listening fd
	r3 <<= 3                             // an index into the array of 8-byte pointers
	r1 = *(u64 *)(r10 - 192)
	r3 += r1                             // &fdt->fd[listening fd]
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // the listening struct file
	r3 = *(u64 *)(r10 - 176)
	r3 += 24                             // &file->private_data: the listening struct socket
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // file->private_data: the listening struct socket (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	r3 += 24                             // &socket->sk: the listening struct sock
	r1 = r10
	r1 += -176
	r2 = 8
	call bpf_probe_read_kernel           // socket->sk: the listening struct sock (left 0 if unreadable: the walk then ends at the family check)
	r3 = *(u64 *)(r10 - 176)
	*(u64 *)(r10 - 240) = r3             // the listener, an opaque id for user space
	if r3 == 0 goto listener_done
	r3 += 728
	r1 = r10
	r1 += -264
	r2 = 8
	call bpf_probe_read_kernel           // sk->sk_reuseport_cb: its SO_REUSEPORT group, NULL when none
	r3 = *(u64 *)(r10 - 264)
	if r3 == 0 goto listener_done
	r3 += 18
	r1 = r10
	r1 += -256
	r2 = 2
	call bpf_probe_read_kernel           // reuse->num_socks (u16; the slot's upper bytes stay 0)
listener_done:
	*(u64 *)(r10 - 248) = r8
	r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	*(u16 *)(r10 - 214) = r7
	r1 = *(u16 *)(r10 - 54)              // the local port, host order, read above
	*(u16 *)(r10 - 216) = r1
	*(u32 *)(r10 - 212) = 0              // padding: hash keys compare every byte
	if r7 == 10 goto count_ipv6
	*(u64 *)(r10 - 232) = 0              // IPv4 uses 4 of the 16 address bytes
	*(u64 *)(r10 - 224) = 0              // IPv4 uses 4 of the 16 address bytes
	r1 = *(u32 *)(r10 - 164)
	*(u32 *)(r10 - 232) = r1             // local IPv4 address
	goto count_comm
count_ipv6:
	r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	*(u64 *)(r10 - 232) = r1
	r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	*(u64 *)(r10 - 224) = r1
count_comm:
	r1 = r10
	r1 += -208
	r2 = 16
	call bpf_get_current_comm            // the server's command name, NUL-padded
	r1 = map[counts] ll
	r2 = r10
	r2 += -248
	call bpf_map_lookup_elem
	if r0 == 0 goto count_new            // this thread's first accept on this listener
	r1 = *(u64 *)(r0 + 0)
	r1 += 1                              // per-CPU value: only this CPU writes it, no atomics
	*(u64 *)(r0 + 0) = r1
	r1 = *(u64 *)(r10 - 264)
	*(u64 *)(r0 + 8) = r1                // the group as last seen
	r1 = *(u64 *)(r10 - 256)
	*(u64 *)(r0 + 16) = r1               // and its size (sockets join and leave)
	goto count_done
count_new:
	*(u64 *)(r10 - 272) = 1
	r1 = map[counts] ll
	r2 = r10
	r2 += -248                           // key
	r3 = r10
	r3 += -272                           // value
	r4 = 0
	call bpf_map_update_elem             // exact: it sets this CPU's copy only, others stay
	if r0 == 0 goto count_done
	*(u32 *)(r10 - 184) = 0              // the map is full: count the loss (key 0 of lost)
	r1 = map[lost] ll
	r2 = r10
	r2 += -184
	call bpf_map_lookup_elem
	if r0 == 0 goto count_done
	r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	r1 += 1
	*(u64 *)(r0 + 0) = r1
count_done:
out:
	r0 = 0
	exit

// program tcpaccept_enter (BPF_PROG_TYPE_TRACEPOINT, 15 instructions)
// attached to: tracepoint:syscalls:sys_enter_accept4, tracepoint:syscalls:sys_enter_accept
	r6 = r1                              // r6 = tracepoint record
	call bpf_get_current_pid_tgid
	*(u64 *)(r10 - 8) = r0               // key: tgid << 32 | tid, what the exit program looks up
	r1 = *(u64 *)(r6 + 16)               // fd: the listening socket's descriptor
	*(u32 *)(r10 - 16) = r1              // value: the fd (an int)
	r1 = map[listenfds] ll
	r2 = r10
	r2 += -8                             // key
	r3 = r10
	r3 += -16                            // value
	r4 = 0
	call bpf_map_update_elem             // LRU: threads that exit age out
out:
	r0 = 0
	exit
