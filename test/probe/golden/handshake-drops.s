// golden: ts-tcpaccept --ebpf --handshake --drops, on test/fixtures/kernel
// ts-tcpaccept programs, handshake mode; maps: events (RINGBUF, 2048 KiB shared by all CPUs; wake-up when 64 KiB are unread); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)

// program tcpaccept_hsrep (BPF_PROG_TYPE_TRACEPOINT, 68 instructions)
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
	*(u32 *)(r10 - 88) = 0               // the ring is full: count the loss (key 0)
	r1 = map[lost] ll
	r2 = r10
	r2 += -88
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	r1 += 1
	*(u64 *)(r0 + 0) = r1
out:
	r0 = 0
	exit

// program tcpaccept_drop (BPF_PROG_TYPE_TRACEPOINT, 129 instructions)
// attached to: tracepoint:skb:kfree_skb
	r2 = *(u32 *)(r1 + 36)               // reason (enum skb_drop_reason)
	if r2 != 40 goto out                 // SKB_DROP_REASON_TCP_LISTEN_OVERFLOW, from BTF
	r6 = r1                              // r6 = tracepoint record
	r9 = *(u64 *)(r6 + 24)               // rx_sk: the listener whose accept queue was full
	if r9 == 0 goto out
	r3 = r9
	r3 += 14
	r1 = r10
	r1 += -88
	r2 = 2
	call bpf_probe_read_kernel           // rx_sk->__sk_common.skc_num
	if r0 != 0 goto out
	r1 = *(u16 *)(r10 - 88)
	*(u16 *)(r10 - 54) = r1
	r7 = *(u64 *)(r6 + 8)                // r7 = skbaddr
	r3 = r7
	r3 += 192
	r1 = r10
	r1 += -96
	r2 = 8
	call bpf_probe_read_kernel           // skb->head: where the packet buffer starts
	if r0 != 0 goto out
	r8 = *(u64 *)(r10 - 96)              // r8 = head
	r3 = r7
	r3 += 180
	r1 = r10
	r1 += -96
	r2 = 2
	call bpf_probe_read_kernel           // skb->network_header: the IP header, from head
	if r0 != 0 goto out
	r7 = *(u16 *)(r10 - 96)              // r7 = network header offset (r7 is free again)
	r3 = r7
	r3 += r8
	r1 = r10
	r1 += -128
	r2 = 1
	call bpf_probe_read_kernel           // the first byte of the IP header: version << 4 | ihl
	if r0 != 0 goto out
	r1 = *(u8 *)(r10 - 128)
	r1 >>= 4                             // r1 = IP version
	if r1 == 4 goto ipv4
	if r1 != 6 goto out
	r3 = r7
	r3 += r8
	r3 += 8
	r1 = r10
	r1 += -128
	r2 = 32
	call bpf_probe_read_kernel           // ipv6hdr saddr and daddr
	if r0 != 0 goto out
	r1 = *(u64 *)(r10 - 128)             // remote (client) IPv6 address, bytes 0..7
	*(u64 *)(r10 - 32) = r1
	r1 = *(u64 *)(r10 - 120)             // remote (client) IPv6 address, bytes 8..15
	*(u64 *)(r10 - 24) = r1
	r1 = *(u64 *)(r10 - 112)             // local (listener) IPv6 address, bytes 0..7
	*(u64 *)(r10 - 48) = r1
	r1 = *(u64 *)(r10 - 104)             // local (listener) IPv6 address, bytes 8..15
	*(u64 *)(r10 - 40) = r1
	*(u16 *)(r10 - 56) = 10
	goto ports
ipv4:
	r3 = r7
	r3 += r8
	r3 += 12
	r1 = r10
	r1 += -128
	r2 = 8
	call bpf_probe_read_kernel           // iphdr saddr and daddr
	if r0 != 0 goto out
	*(u64 *)(r10 - 48) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 40) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 32) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	*(u64 *)(r10 - 24) = 0               // IPv4 uses 4 of the 16 address bytes: clear both
	r1 = *(u32 *)(r10 - 128)
	*(u32 *)(r10 - 32) = r1              // remote (client) IPv4 address
	r1 = *(u32 *)(r10 - 124)
	*(u32 *)(r10 - 48) = r1              // local (listener) IPv4 address
	*(u16 *)(r10 - 56) = 2
ports:
	r3 = *(u64 *)(r6 + 8)                // skbaddr again
	r3 += 178
	r1 = r10
	r1 += -96
	r2 = 2
	call bpf_probe_read_kernel           // skb->transport_header: the TCP header, from head
	if r0 != 0 goto out
	r3 = *(u16 *)(r10 - 96)
	r3 += r8
	r1 = r10
	r1 += -128
	r2 = 2
	call bpf_probe_read_kernel           // tcphdr source: the client's port
	if r0 != 0 goto out
	r1 = *(u16 *)(r10 - 128)
	r1 = be16 r1                         // network to host byte order
	*(u16 *)(r10 - 52) = r1
	*(u8 *)(r10 - 50) = 10               // the listener's state
	*(u8 *)(r10 - 49) = 3
	*(u64 *)(r10 - 72) = 0               // never queued: that is the point
	*(u64 *)(r10 - 64) = 0               // pid and tid: softirq context, the owner is found in user space
	*(u64 *)(r10 - 16) = 0               // comm: resolved in user space
	*(u64 *)(r10 - 8) = 0                // comm: resolved in user space
	call bpf_ktime_get_ns
	*(u64 *)(r10 - 80) = r0
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
	*(u32 *)(r10 - 88) = 0               // the ring is full: count the loss (key 0)
	r1 = map[lost] ll
	r2 = r10
	r2 += -88
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	r1 += 1
	*(u64 *)(r0 + 0) = r1
out:
	r0 = 0
	exit
