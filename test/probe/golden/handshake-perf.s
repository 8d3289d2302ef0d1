// golden: ts-tcpaccept --ebpf --handshake (plan: {"output":"perf"}), on test/fixtures/kernel
// ts-tcpaccept programs, handshake mode; maps: events (PERF_EVENT_ARRAY, one ring per CPU)

// program tcpaccept_hsrep (BPF_PROG_TYPE_TRACEPOINT, 52 instructions)
// attached to: tracepoint:sock:inet_sock_set_state
	 0: r2 = *(u32 *)(r1 + 16)               // oldstate
	 1: if r2 != 3 goto out                  // most transitions are not SYN_RECV -> …: leave early
	 2: r2 = *(u32 *)(r1 + 20)               // newstate
	 3: if r2 != 1 goto out                  // SYN_RECV -> ESTABLISHED: a passive open completed
	 4: r2 = *(u16 *)(r1 + 30)               // protocol (u8 before 5.6, u16 since)
	 5: if r2 != 6 goto out
	 6: r6 = r1                              // r6 = tracepoint record
	 7: r7 = *(u16 *)(r6 + 28)               // r7 = family
	 8: r1 = *(u64 *)(r6 + 56)               // daddr_v6, bytes 0..7
	 9: *(u64 *)(r10 - 32) = r1
	10: r1 = *(u64 *)(r6 + 64)               // daddr_v6, bytes 8..15
	11: *(u64 *)(r10 - 24) = r1
	12: if r7 == 2 goto family_ok            // IPv4
	13: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	14: r1 = *(u16 *)(r6 + 24)               // sport: the local port, host order
	15: *(u16 *)(r10 - 54) = r1
	16: r1 = *(u16 *)(r6 + 26)               // dport: the remote port, host order
	17: *(u16 *)(r10 - 52) = r1
	18: *(u16 *)(r10 - 56) = r7
	19: *(u8 *)(r10 - 50) = 1
	20: *(u8 *)(r10 - 49) = 2
	21: *(u64 *)(r10 - 72) = 0               // nothing accepted yet: no queue wait
	22: *(u64 *)(r10 - 64) = 0               // pid and tid: softirq context, resolved in user space
	23: *(u64 *)(r10 - 16) = 0               // comm: resolved in user space
	24: *(u64 *)(r10 - 8) = 0                // comm: resolved in user space
	25: if r7 == 10 goto ipv6
	26: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	27: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	28: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	29: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	30: r1 = *(u32 *)(r6 + 32)               // saddr, bytes 0..3
	31: *(u32 *)(r10 - 48) = r1
	32: r1 = *(u32 *)(r6 + 36)               // daddr, bytes 0..3
	33: *(u32 *)(r10 - 32) = r1
	34: goto emit
ipv6:
	35: r1 = *(u64 *)(r6 + 40)               // saddr_v6, bytes 0..7
	36: *(u64 *)(r10 - 48) = r1
	37: r1 = *(u64 *)(r6 + 48)               // saddr_v6, bytes 8..15
	38: *(u64 *)(r10 - 40) = r1
emit:
	39: call bpf_ktime_get_ns
	40: *(u64 *)(r10 - 80) = r0
	41: r1 = r6                              // ctx
	42: r2 = map[events] ll
	44: r3 = 4294967295 ll                   // BPF_F_CURRENT_CPU: this CPU's ring
	46: r4 = r10
	47: r4 += -80
	48: r5 = 80
	49: call bpf_perf_event_output
out:
	50: r0 = 0
	51: exit
