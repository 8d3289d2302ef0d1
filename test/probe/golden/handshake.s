// golden: ts-tcpaccept --ebpf --handshake, on test/fixtures/kernel
// ts-tcpaccept programs, handshake mode; maps: events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)

// program tcpaccept_hsrep (BPF_PROG_TYPE_TRACEPOINT, 68 instructions)
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
	41: r1 = map[events] ll
	43: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	44: call bpf_ringbuf_query
	45: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	46: if r0 < 65448 goto wakeup_chosen
	47: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	48: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	49: r1 = map[events] ll
	51: r2 = r10
	52: r2 += -80
	53: r3 = 80
	54: call bpf_ringbuf_output
	55: if r0 == 0 goto out                  // delivered
	56: *(u32 *)(r10 - 88) = 0               // the ring is full: count the loss (key 0)
	57: r1 = map[lost] ll
	59: r2 = r10
	60: r2 += -88
	61: call bpf_map_lookup_elem
	62: if r0 == 0 goto out
	63: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	64: r1 += 1
	65: *(u64 *)(r0 + 0) = r1
out:
	66: r0 = 0
	67: exit
