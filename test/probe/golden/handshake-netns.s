// golden: ts-tcpaccept --ebpf --handshake --netns self, on test/fixtures/kernel
// ts-tcpaccept programs, handshake mode; maps: events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)

// program tcpaccept_hsrep (BPF_PROG_TYPE_TRACEPOINT, 82 instructions)
// attached to: tracepoint:sock:inet_sock_set_state
	 0: r2 = *(u32 *)(r1 + 16)               // oldstate
	 1: if r2 != 3 goto out                  // most transitions are not SYN_RECV -> …: leave early
	 2: r2 = *(u32 *)(r1 + 20)               // newstate
	 3: if r2 != 1 goto out                  // SYN_RECV -> ESTABLISHED: a passive open completed
	 4: r2 = *(u16 *)(r1 + 30)               // protocol (u8 before 5.6, u16 since)
	 5: if r2 != 6 goto out
	 6: r6 = r1                              // r6 = tracepoint record
	 7: r3 = *(u64 *)(r6 + 8)                // skaddr: the new socket
	 8: r3 += 48                             // &sk->__sk_common.skc_net.net
	 9: r1 = r10
	10: r1 += -96
	11: r2 = 8
	12: call bpf_probe_read_kernel           // the socket's struct net *
	13: r3 = *(u64 *)(r10 - 96)
	14: r3 += 176                            // &net->ns.inum
	15: r1 = r10
	16: r1 += -96
	17: r2 = 4
	18: call bpf_probe_read_kernel           // net->ns.inum: the namespace's inode (0 if unreadable)
	19: r1 = *(u32 *)(r10 - 96)
	20: if w1 != -268435455 goto out         // --netns net:[4026531841] (a u32, listed signed): a socket of another namespace
	21: r7 = *(u16 *)(r6 + 28)               // r7 = family
	22: r1 = *(u64 *)(r6 + 56)               // daddr_v6, bytes 0..7
	23: *(u64 *)(r10 - 32) = r1
	24: r1 = *(u64 *)(r6 + 64)               // daddr_v6, bytes 8..15
	25: *(u64 *)(r10 - 24) = r1
	26: if r7 == 2 goto family_ok            // IPv4
	27: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	28: r1 = *(u16 *)(r6 + 24)               // sport: the local port, host order
	29: *(u16 *)(r10 - 54) = r1
	30: r1 = *(u16 *)(r6 + 26)               // dport: the remote port, host order
	31: *(u16 *)(r10 - 52) = r1
	32: *(u16 *)(r10 - 56) = r7
	33: *(u8 *)(r10 - 50) = 1
	34: *(u8 *)(r10 - 49) = 2
	35: *(u64 *)(r10 - 72) = 0               // nothing accepted yet: no queue wait
	36: *(u64 *)(r10 - 64) = 0               // pid and tid: softirq context, resolved in user space
	37: *(u64 *)(r10 - 16) = 0               // comm: resolved in user space
	38: *(u64 *)(r10 - 8) = 0                // comm: resolved in user space
	39: if r7 == 10 goto ipv6
	40: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	41: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	42: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	43: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	44: r1 = *(u32 *)(r6 + 32)               // saddr, bytes 0..3
	45: *(u32 *)(r10 - 48) = r1
	46: r1 = *(u32 *)(r6 + 36)               // daddr, bytes 0..3
	47: *(u32 *)(r10 - 32) = r1
	48: goto emit
ipv6:
	49: r1 = *(u64 *)(r6 + 40)               // saddr_v6, bytes 0..7
	50: *(u64 *)(r10 - 48) = r1
	51: r1 = *(u64 *)(r6 + 48)               // saddr_v6, bytes 8..15
	52: *(u64 *)(r10 - 40) = r1
emit:
	53: call bpf_ktime_get_ns
	54: *(u64 *)(r10 - 80) = r0
	55: r1 = map[events] ll
	57: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	58: call bpf_ringbuf_query
	59: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	60: if r0 < 65448 goto wakeup_chosen
	61: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	62: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	63: r1 = map[events] ll
	65: r2 = r10
	66: r2 += -80
	67: r3 = 80
	68: call bpf_ringbuf_output
	69: if r0 == 0 goto out                  // delivered
	70: *(u32 *)(r10 - 88) = 0               // the ring is full: count the loss (key 0)
	71: r1 = map[lost] ll
	73: r2 = r10
	74: r2 += -88
	75: call bpf_map_lookup_elem
	76: if r0 == 0 goto out
	77: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	78: r1 += 1
	79: *(u64 *)(r0 + 0) = r1
out:
	80: r0 = 0
	81: exit
