// golden: ts-tcpaccept --ebpf --handshake (plan: {"output":"perf"}), on test/fixtures/kernel
// ts-tcpaccept programs, handshake mode; maps: events (PERF_EVENT_ARRAY, one ring per CPU)

// program tcpaccept_hsrep (BPF_PROG_TYPE_TRACEPOINT, 52 instructions)
// attached to: tracepoint:sock:inet_sock_set_state
	r2 = *(u32 *)(r1 + 16)               // oldstate
	if r2 != 3 goto out                  // most transitions are not SYN_RECV -> …: leave early
	r2 = *(u32 *)(r1 + 20)               // newstate
	if r2 != 1 goto out                  // SYN_RECV -> ESTABLISHED: a passive open completed
	r2 = *(u16 *)(r1 + 30)               // protocol (u8 before 5.6, u16 since)
	if r2 != 6 goto out
	r6 = r1                              // r6 = tracepoint record
	r7 = *(u16 *)(r6 + 28)               // r7 = family
	r1 = *(u64 *)(r6 + 56)               // daddr_v6, bytes 0..7
	*(u64 *)(r10 - 32) = r1
	r1 = *(u64 *)(r6 + 64)               // daddr_v6, bytes 8..15
	*(u64 *)(r10 - 24) = r1
	if r7 == 2 goto family_ok            // IPv4
	if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	r1 = *(u16 *)(r6 + 24)               // sport: the local port, host order
	*(u16 *)(r10 - 54) = r1
	r1 = *(u16 *)(r6 + 26)               // dport: the remote port, host order
	*(u16 *)(r10 - 52) = r1
	*(u16 *)(r10 - 56) = r7
	*(u8 *)(r10 - 50) = 1
	*(u8 *)(r10 - 49) = 2
	*(u64 *)(r10 - 72) = 0               // nothing accepted yet: no queue wait
	*(u64 *)(r10 - 64) = 0               // pid and tid: softirq context, resolved in user space
	*(u64 *)(r10 - 16) = 0               // comm: resolved in user space
	*(u64 *)(r10 - 8) = 0                // comm: resolved in user space
	if r7 == 10 goto ipv6
	*(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	r1 = *(u32 *)(r6 + 32)               // saddr, bytes 0..3
	*(u32 *)(r10 - 48) = r1
	r1 = *(u32 *)(r6 + 36)               // daddr, bytes 0..3
	*(u32 *)(r10 - 32) = r1
	goto emit
ipv6:
	r1 = *(u64 *)(r6 + 40)               // saddr_v6, bytes 0..7
	*(u64 *)(r10 - 48) = r1
	r1 = *(u64 *)(r6 + 48)               // saddr_v6, bytes 8..15
	*(u64 *)(r10 - 40) = r1
emit:
	call bpf_ktime_get_ns
	*(u64 *)(r10 - 80) = r0
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
