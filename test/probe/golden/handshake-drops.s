// golden: ts-tcpaccept --ebpf --handshake --drops, on test/fixtures/kernel
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

// program tcpaccept_drop (BPF_PROG_TYPE_TRACEPOINT, 129 instructions)
// attached to: tracepoint:skb:kfree_skb
	  0: r2 = *(u32 *)(r1 + 36)               // reason (enum skb_drop_reason)
	  1: if r2 != 40 goto out                 // SKB_DROP_REASON_TCP_LISTEN_OVERFLOW, from BTF
	  2: r6 = r1                              // r6 = tracepoint record
	  3: r9 = *(u64 *)(r6 + 24)               // rx_sk: the listener whose accept queue was full
	  4: if r9 == 0 goto out
	  5: r3 = r9
	  6: r3 += 14
	  7: r1 = r10
	  8: r1 += -88
	  9: r2 = 2
	 10: call bpf_probe_read_kernel           // rx_sk->__sk_common.skc_num
	 11: if r0 != 0 goto out
	 12: r1 = *(u16 *)(r10 - 88)
	 13: *(u16 *)(r10 - 54) = r1
	 14: r7 = *(u64 *)(r6 + 8)                // r7 = skbaddr
	 15: r3 = r7
	 16: r3 += 192
	 17: r1 = r10
	 18: r1 += -96
	 19: r2 = 8
	 20: call bpf_probe_read_kernel           // skb->head: where the packet buffer starts
	 21: if r0 != 0 goto out
	 22: r8 = *(u64 *)(r10 - 96)              // r8 = head
	 23: r3 = r7
	 24: r3 += 180
	 25: r1 = r10
	 26: r1 += -96
	 27: r2 = 2
	 28: call bpf_probe_read_kernel           // skb->network_header: the IP header, from head
	 29: if r0 != 0 goto out
	 30: r7 = *(u16 *)(r10 - 96)              // r7 = network header offset (r7 is free again)
	 31: r3 = r7
	 32: r3 += r8
	 33: r1 = r10
	 34: r1 += -128
	 35: r2 = 1
	 36: call bpf_probe_read_kernel           // the first byte of the IP header: version << 4 | ihl
	 37: if r0 != 0 goto out
	 38: r1 = *(u8 *)(r10 - 128)
	 39: r1 >>= 4                             // r1 = IP version
	 40: if r1 == 4 goto ipv4
	 41: if r1 != 6 goto out
	 42: r3 = r7
	 43: r3 += r8
	 44: r3 += 8
	 45: r1 = r10
	 46: r1 += -128
	 47: r2 = 32
	 48: call bpf_probe_read_kernel           // ipv6hdr saddr and daddr
	 49: if r0 != 0 goto out
	 50: r1 = *(u64 *)(r10 - 128)             // remote (client) IPv6 address, bytes 0..7
	 51: *(u64 *)(r10 - 32) = r1
	 52: r1 = *(u64 *)(r10 - 120)             // remote (client) IPv6 address, bytes 8..15
	 53: *(u64 *)(r10 - 24) = r1
	 54: r1 = *(u64 *)(r10 - 112)             // local (listener) IPv6 address, bytes 0..7
	 55: *(u64 *)(r10 - 48) = r1
	 56: r1 = *(u64 *)(r10 - 104)             // local (listener) IPv6 address, bytes 8..15
	 57: *(u64 *)(r10 - 40) = r1
	 58: *(u16 *)(r10 - 56) = 10
	 59: goto ports
ipv4:
	 60: r3 = r7
	 61: r3 += r8
	 62: r3 += 12
	 63: r1 = r10
	 64: r1 += -128
	 65: r2 = 8
	 66: call bpf_probe_read_kernel           // iphdr saddr and daddr
	 67: if r0 != 0 goto out
	 68: *(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 69: *(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 70: *(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 71: *(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	 72: r1 = *(u32 *)(r10 - 128)
	 73: *(u32 *)(r10 - 32) = r1              // remote (client) IPv4 address
	 74: r1 = *(u32 *)(r10 - 124)
	 75: *(u32 *)(r10 - 48) = r1              // local (listener) IPv4 address
	 76: *(u16 *)(r10 - 56) = 2
ports:
	 77: r3 = *(u64 *)(r6 + 8)                // skbaddr again
	 78: r3 += 178
	 79: r1 = r10
	 80: r1 += -96
	 81: r2 = 2
	 82: call bpf_probe_read_kernel           // skb->transport_header: the TCP header, from head
	 83: if r0 != 0 goto out
	 84: r3 = *(u16 *)(r10 - 96)
	 85: r3 += r8
	 86: r1 = r10
	 87: r1 += -128
	 88: r2 = 2
	 89: call bpf_probe_read_kernel           // tcphdr source: the client's port
	 90: if r0 != 0 goto out
	 91: r1 = *(u16 *)(r10 - 128)
	 92: r1 = be16 r1                         // network to host byte order
	 93: *(u16 *)(r10 - 52) = r1
	 94: *(u8 *)(r10 - 50) = 10               // the listener's state
	 95: *(u8 *)(r10 - 49) = 3
	 96: *(u64 *)(r10 - 72) = 0               // never queued: that is the point
	 97: *(u64 *)(r10 - 64) = 0               // pid and tid: softirq context, the owner is found in user space
	 98: *(u64 *)(r10 - 16) = 0               // comm: resolved in user space
	 99: *(u64 *)(r10 - 8) = 0                // comm: resolved in user space
	100: call bpf_ktime_get_ns
	101: *(u64 *)(r10 - 80) = r0
	102: r1 = map[events] ll
	104: r2 = 0                               // BPF_RB_AVAIL_DATA: bytes user space has not read yet
	105: call bpf_ringbuf_query
	106: r4 = 1                               // BPF_RB_NO_WAKEUP: the reader's timer will collect it
	107: if r0 < 65448 goto wakeup_chosen
	108: if r0 >= 65536 goto wakeup_chosen    // past the mark, the reader was woken already
	109: r4 = 2                               // BPF_RB_FORCE_WAKEUP: this record crosses the mark
wakeup_chosen:
	110: r1 = map[events] ll
	112: r2 = r10
	113: r2 += -80
	114: r3 = 80
	115: call bpf_ringbuf_output
	116: if r0 == 0 goto out                  // delivered
	117: *(u32 *)(r10 - 88) = 0               // the ring is full: count the loss (key 0)
	118: r1 = map[lost] ll
	120: r2 = r10
	121: r2 += -88
	122: call bpf_map_lookup_elem
	123: if r0 == 0 goto out
	124: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	125: r1 += 1
	126: *(u64 *)(r0 + 0) = r1
out:
	127: r0 = 0
	128: exit
