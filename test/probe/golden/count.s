// golden: ts-tcpaccept --ebpf -c, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: listenfds (LRU_HASH pid_tgid -> listening fd, 16384 entries); counts (PERCPU_HASH 56-byte key thread/listener/address/port/comm -> count, group, group size; 10240 entries); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 172 instructions)
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
	 25: *(u64 *)(r10 - 192) = r3             // -c: keep the array, for the listening fd's file
	 26: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 27: r3 += r7                             // &fdt->fd[ret]
	 28: r1 = r10
	 29: r1 += -176
	 30: r2 = 8
	 31: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 32: r3 = *(u64 *)(r10 - 176)
	 33: r3 += 24                             // &file->private_data: the struct socket
	 34: r1 = r10
	 35: r1 += -176
	 36: r2 = 8
	 37: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	 38: r3 = *(u64 *)(r10 - 176)
	 39: r3 += 24                             // &socket->sk: the struct sock
	 40: r1 = r10
	 41: r1 += -176
	 42: r2 = 8
	 43: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	 44: r3 = *(u64 *)(r10 - 176)
	 45: r9 = r3                              // r9 = sk; survives helper calls
	 46: r1 = r10
	 47: r1 += -168
	 48: r2 = 88
	 49: call bpf_probe_read_kernel
	 50: if r0 != 0 goto out                  // no readable socket behind this fd
	 51: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 52: if r7 == 2 goto family_ok            // IPv4
	 53: if r7 != 10 goto out                 // neither IPv4 nor IPv6 (AF_UNIX accepts come here too)
family_ok:
	 54: r1 = r10
	 55: r1 += -184
	 56: r2 = 2
	 57: r3 = r9
	 58: r3 += 532                            // &sk->sk_protocol
	 59: call bpf_probe_read_kernel
	 60: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 61: if r1 != 6 goto out
	 62: r1 = r10
	 63: r1 += -54
	 64: r2 = 2
	 65: r3 = r9
	 66: r3 += 814                            // &inet_sk(sk)->inet_sport
	 67: call bpf_probe_read_kernel
	 68: r1 = *(u16 *)(r10 - 54)
	 69: r1 = be16 r1                         // network to host byte order
	 70: *(u16 *)(r10 - 54) = r1
	 71: *(u64 *)(r10 - 240) = 0              // listener unknown until found
	 72: *(u64 *)(r10 - 264) = 0              // no SO_REUSEPORT group until found
	 73: *(u64 *)(r10 - 256) = 0
	 74: *(u64 *)(r10 - 184) = r8             // key: pid_tgid, as the sys_enter program stored it
	 75: r1 = map[listenfds] ll
	 77: r2 = r10
	 78: r2 += -184
	 79: call bpf_map_lookup_elem
	 80: if r0 == 0 goto listener_done        // accept() was entered before tracing started
	 81: r3 = *(u32 *)(r0 + 0)                // r3 = the listening fd
	 82: r3 <<= 3                             // an index into the array of 8-byte pointers
	 83: r1 = *(u64 *)(r10 - 192)
	 84: r3 += r1                             // &fdt->fd[listening fd]
	 85: r1 = r10
	 86: r1 += -176
	 87: r2 = 8
	 88: call bpf_probe_read_kernel           // the listening struct file
	 89: r3 = *(u64 *)(r10 - 176)
	 90: r3 += 24                             // &file->private_data: the listening struct socket
	 91: r1 = r10
	 92: r1 += -176
	 93: r2 = 8
	 94: call bpf_probe_read_kernel           // file->private_data: the listening struct socket (left 0 if unreadable: the walk then ends at the family check)
	 95: r3 = *(u64 *)(r10 - 176)
	 96: r3 += 24                             // &socket->sk: the listening struct sock
	 97: r1 = r10
	 98: r1 += -176
	 99: r2 = 8
	100: call bpf_probe_read_kernel           // socket->sk: the listening struct sock (left 0 if unreadable: the walk then ends at the family check)
	101: r3 = *(u64 *)(r10 - 176)
	102: *(u64 *)(r10 - 240) = r3             // the listener, an opaque id for user space
	103: if r3 == 0 goto listener_done
	104: r3 += 728
	105: r1 = r10
	106: r1 += -264
	107: r2 = 8
	108: call bpf_probe_read_kernel           // sk->sk_reuseport_cb: its SO_REUSEPORT group, NULL when none
	109: r3 = *(u64 *)(r10 - 264)
	110: if r3 == 0 goto listener_done
	111: r3 += 18
	112: r1 = r10
	113: r1 += -256
	114: r2 = 2
	115: call bpf_probe_read_kernel           // reuse->num_socks (u16; the slot's upper bytes stay 0)
listener_done:
	116: *(u64 *)(r10 - 248) = r8
	117: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	118: *(u16 *)(r10 - 214) = r7
	119: r1 = *(u16 *)(r10 - 54)              // the local port, host order, read above
	120: *(u16 *)(r10 - 216) = r1
	121: *(u32 *)(r10 - 212) = 0              // padding: hash keys compare every byte
	122: if r7 == 10 goto count_ipv6
	123: *(u64 *)(r10 - 232) = 0              // IPv4 uses 4 of the 16 address bytes
	124: *(u64 *)(r10 - 224) = 0              // IPv4 uses 4 of the 16 address bytes
	125: r1 = *(u32 *)(r10 - 164)
	126: *(u32 *)(r10 - 232) = r1             // local IPv4 address
	127: goto count_comm
count_ipv6:
	128: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	129: *(u64 *)(r10 - 232) = r1
	130: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	131: *(u64 *)(r10 - 224) = r1
count_comm:
	132: r1 = r10
	133: r1 += -208
	134: r2 = 16
	135: call bpf_get_current_comm            // the server's command name, NUL-padded
	136: r1 = map[counts] ll
	138: r2 = r10
	139: r2 += -248
	140: call bpf_map_lookup_elem
	141: if r0 == 0 goto count_new            // this thread's first accept on this listener
	142: r1 = *(u64 *)(r0 + 0)
	143: r1 += 1                              // per-CPU value: only this CPU writes it, no atomics
	144: *(u64 *)(r0 + 0) = r1
	145: r1 = *(u64 *)(r10 - 264)
	146: *(u64 *)(r0 + 8) = r1                // the group as last seen
	147: r1 = *(u64 *)(r10 - 256)
	148: *(u64 *)(r0 + 16) = r1               // and its size (sockets join and leave)
	149: goto count_done
count_new:
	150: *(u64 *)(r10 - 272) = 1
	151: r1 = map[counts] ll
	153: r2 = r10
	154: r2 += -248
	155: r3 = r10
	156: r3 += -272
	157: r4 = 0                               // exact: it sets this CPU's copy only, others stay
	158: call bpf_map_update_elem
	159: if r0 == 0 goto count_done
	160: *(u32 *)(r10 - 184) = 0              // the map is full: count the loss (key 0 of lost)
	161: r1 = map[lost] ll
	163: r2 = r10
	164: r2 += -184
	165: call bpf_map_lookup_elem
	166: if r0 == 0 goto count_done
	167: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	168: r1 += 1
	169: *(u64 *)(r0 + 0) = r1
count_done:
out:
	170: r0 = 0
	171: exit

// program tcpaccept_enter (BPF_PROG_TYPE_TRACEPOINT, 15 instructions)
// attached to: tracepoint:syscalls:sys_enter_accept4, tracepoint:syscalls:sys_enter_accept
	 0: r6 = r1                              // r6 = tracepoint record
	 1: call bpf_get_current_pid_tgid
	 2: *(u64 *)(r10 - 8) = r0               // key: tgid << 32 | tid, what the exit program looks up
	 3: r1 = *(u64 *)(r6 + 16)               // fd: the listening socket's descriptor
	 4: *(u32 *)(r10 - 16) = r1              // value: the fd (an int)
	 5: r1 = map[listenfds] ll
	 7: r2 = r10
	 8: r2 += -8
	 9: r3 = r10
	10: r3 += -16
	11: r4 = 0
	12: call bpf_map_update_elem             // LRU: threads that exit age out
out:
	13: r0 = 0
	14: exit
