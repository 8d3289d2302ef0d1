// golden: ts-tcpaccept --ebpf -H, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: handshakes (LRU_HASH sock pointer -> handshake time, 16384 entries); hist (PERCPU_HASH u16 port + u32 log2 slot -> u64 count, 8192 entries); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 156 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	  2: if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: call bpf_get_current_task
	  6: r3 = r0                              // r3 = current (struct task_struct *)
	  7: r3 += 1824                           // &current->files
	  8: r1 = r10
	  9: r1 += -176
	 10: r2 = 8
	 11: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 12: r3 = *(u64 *)(r10 - 176)
	 13: r3 += 32                             // &files->fdt
	 14: r1 = r10
	 15: r1 += -176
	 16: r2 = 8
	 17: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 18: r3 = *(u64 *)(r10 - 176)
	 19: r3 += 8                              // &fdt->fd: the array of open files
	 20: r1 = r10
	 21: r1 += -176
	 22: r2 = 8
	 23: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 24: r3 = *(u64 *)(r10 - 176)
	 25: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 26: r3 += r7                             // &fdt->fd[ret]
	 27: r1 = r10
	 28: r1 += -176
	 29: r2 = 8
	 30: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 31: r3 = *(u64 *)(r10 - 176)
	 32: r3 += 24                             // &file->private_data: the struct socket
	 33: r1 = r10
	 34: r1 += -176
	 35: r2 = 8
	 36: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	 37: r3 = *(u64 *)(r10 - 176)
	 38: r3 += 24                             // &socket->sk: the struct sock
	 39: r1 = r10
	 40: r1 += -176
	 41: r2 = 8
	 42: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	 43: r3 = *(u64 *)(r10 - 176)
	 44: r9 = r3                              // r9 = sk; survives helper calls
	 45: r1 = r10
	 46: r1 += -168
	 47: r2 = 88
	 48: call bpf_probe_read_kernel
	 49: if r0 != 0 goto out                  // no readable socket behind this fd
	 50: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 51: if r7 == 2 goto family_ok            // IPv4
	 52: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	 53: r1 = r10
	 54: r1 += -184
	 55: r2 = 2
	 56: r3 = r9
	 57: r3 += 532                            // &sk->sk_protocol
	 58: call bpf_probe_read_kernel
	 59: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 60: if r1 != 6 goto out
	 61: r1 = r10
	 62: r1 += -54
	 63: r2 = 2
	 64: r3 = r9
	 65: r3 += 814                            // &inet_sk(sk)->inet_sport
	 66: call bpf_probe_read_kernel
	 67: r1 = *(u16 *)(r10 - 54)
	 68: r1 = be16 r1                         // network to host byte order
	 69: *(u16 *)(r10 - 54) = r1
	 70: call bpf_ktime_get_ns
	 71: r7 = r0                              // r7 = now
	 72: *(u64 *)(r10 - 184) = r9             // key: the sock pointer, as the handshake program stored it
	 73: r1 = map[handshakes] ll
	 75: r2 = r10
	 76: r2 += -184
	 77: call bpf_map_lookup_elem
	 78: if r0 == 0 goto hist_done            // handshake before tracing started, or evicted: no wait known
	 79: r1 = *(u64 *)(r0 + 0)                // r1 = when the handshake completed
	 80: r7 -= r1                             // r7 = nanoseconds in the accept queue
	 81: r1 = map[handshakes] ll
	 83: r2 = r10
	 84: r2 += -184
	 85: call bpf_map_delete_elem             // accepted: the entry has served
	 86: r7 /= 1000                           // microseconds, bcc's usecs
	 87: r1 = r7
	 88: r2 = 0
	 89: r3 = r1
	 90: r3 >>= 32
	 91: if r3 == 0 goto log2_32              // nothing at or above bit 32
	 92: r2 += 32
	 93: r1 = r3
log2_32:
	 94: r3 = r1
	 95: r3 >>= 16
	 96: if r3 == 0 goto log2_16              // nothing at or above bit 16
	 97: r2 += 16
	 98: r1 = r3
log2_16:
	 99: r3 = r1
	100: r3 >>= 8
	101: if r3 == 0 goto log2_8               // nothing at or above bit 8
	102: r2 += 8
	103: r1 = r3
log2_8:
	104: r3 = r1
	105: r3 >>= 4
	106: if r3 == 0 goto log2_4               // nothing at or above bit 4
	107: r2 += 4
	108: r1 = r3
log2_4:
	109: r3 = r1
	110: r3 >>= 2
	111: if r3 == 0 goto log2_2               // nothing at or above bit 2
	112: r2 += 2
	113: r1 = r3
log2_2:
	114: r3 = r1
	115: r3 >>= 1
	116: if r3 == 0 goto log2_1               // nothing at or above bit 1
	117: r2 += 1
	118: r1 = r3
log2_1:
	119: r2 += 1                              // 0 and 1 us both land in slot 1 ("0 -> 1")
	120: *(u32 *)(r10 - 276) = r2
	121: r1 = *(u16 *)(r10 - 54)              // the local port, host order
	122: *(u16 *)(r10 - 280) = r1
	123: *(u16 *)(r10 - 278) = 0              // padding: hash keys compare every byte
	124: r1 = map[hist] ll
	126: r2 = r10
	127: r2 += -280
	128: call bpf_map_lookup_elem
	129: if r0 == 0 goto hist_new             // first wait of this size on this port
	130: r1 = *(u64 *)(r0 + 0)
	131: r1 += 1                              // per-CPU value: only this CPU writes it
	132: *(u64 *)(r0 + 0) = r1
	133: goto hist_done
hist_new:
	134: *(u64 *)(r10 - 288) = 1
	135: r1 = map[hist] ll
	137: r2 = r10
	138: r2 += -280
	139: r3 = r10
	140: r3 += -288
	141: r4 = 0                               // exact: it sets this CPU's copy only
	142: call bpf_map_update_elem
	143: if r0 == 0 goto hist_done
	144: *(u32 *)(r10 - 184) = 0              // the map is full: count the loss (key 0 of lost)
	145: r1 = map[lost] ll
	147: r2 = r10
	148: r2 += -184
	149: call bpf_map_lookup_elem
	150: if r0 == 0 goto hist_done
	151: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	152: r1 += 1
	153: *(u64 *)(r0 + 0) = r1
hist_done:
out:
	154: r0 = 0
	155: exit

// program tcpaccept_hshk (BPF_PROG_TYPE_TRACEPOINT, 21 instructions)
// attached to: tracepoint:sock:inet_sock_set_state
	 0: r2 = *(u32 *)(r1 + 16)               // oldstate
	 1: if r2 != 3 goto out                  // most transitions are not SYN_RECV -> …: leave early
	 2: r2 = *(u32 *)(r1 + 20)               // newstate
	 3: if r2 != 1 goto out                  // SYN_RECV -> ESTABLISHED: a passive open completed
	 4: r2 = *(u16 *)(r1 + 30)               // protocol (u8 before 5.6, u16 since)
	 5: if r2 != 6 goto out
	 6: r6 = r1                              // r6 = tracepoint record
	 7: r1 = *(u64 *)(r6 + 8)                // skaddr: the child socket accept() will return
	 8: *(u64 *)(r10 - 8) = r1               // key
	 9: call bpf_ktime_get_ns
	10: *(u64 *)(r10 - 16) = r0              // value: handshake completion time
	11: r1 = map[handshakes] ll
	13: r2 = r10
	14: r2 += -8
	15: r3 = r10
	16: r3 += -16
	17: r4 = 0
	18: call bpf_map_update_elem             // LRU: sockets never accepted age out
out:
	19: r0 = 0
	20: exit
