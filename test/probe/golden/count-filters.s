// golden: ts-tcpaccept --ebpf -c -p 4242 -P 80 -4 --cgroup-exact /sys/fs/cgroup/golden, on test/fixtures/kernel
// ts-tcpaccept programs, accept mode; maps: ports (HASH u16 local port -> u8, the -P list); listenfds (LRU_HASH pid_tgid -> listening fd, 16384 entries); counts (PERCPU_HASH 56-byte key thread/listener/address/port/comm -> count, group, group size; 10240 entries); lost (PERCPU_ARRAY, 1 u64: records the full ring buffer, or keys a full summary map, refused)

// program tcpaccept_exit (BPF_PROG_TYPE_TRACEPOINT, 192 instructions)
// attached to: tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept
	  0: r6 = r1                              // r6 = tracepoint record; survives helper calls
	  1: r7 = *(u64 *)(r6 + 16)               // r7 = accept's return value: the new fd, or -errno
	  2: if r7 s< 0 goto out                  // the accept failed: nothing was accepted
	  3: call bpf_get_current_pid_tgid
	  4: r8 = r0                              // r8 = tgid << 32 | tid of the accepting task
	  5: r1 = r8
	  6: r1 >>= 32                            // r1 = tgid: what users call the PID
	  7: if r1 != 4242 goto out               // -p: another process
	  8: call bpf_get_current_cgroup_id       // r0 = id of the accepting task's cgroup (v2 hierarchy)
	  9: r1 = 4660 ll                         // --cgroup-exact: the directory's inode number, a u64
	 11: if r0 != r1 goto out                 // a task of another cgroup
	 12: call bpf_get_current_task
	 13: r3 = r0                              // r3 = current (struct task_struct *)
	 14: r3 += 1824                           // &current->files
	 15: r1 = r10
	 16: r1 += -176
	 17: r2 = 8
	 18: call bpf_probe_read_kernel           // current->files (left 0 if unreadable: the walk then ends at the family check)
	 19: r3 = *(u64 *)(r10 - 176)
	 20: r3 += 32                             // &files->fdt
	 21: r1 = r10
	 22: r1 += -176
	 23: r2 = 8
	 24: call bpf_probe_read_kernel           // files->fdt (left 0 if unreadable: the walk then ends at the family check)
	 25: r3 = *(u64 *)(r10 - 176)
	 26: r3 += 8                              // &fdt->fd: the array of open files
	 27: r1 = r10
	 28: r1 += -176
	 29: r2 = 8
	 30: call bpf_probe_read_kernel           // fdt->fd: the array of open files (left 0 if unreadable: the walk then ends at the family check)
	 31: r3 = *(u64 *)(r10 - 176)
	 32: *(u64 *)(r10 - 192) = r3             // -c: keep the array, for the listening fd's file
	 33: r7 <<= 3                             // the fd indexes an array of 8-byte pointers
	 34: r3 += r7                             // &fdt->fd[ret]
	 35: r1 = r10
	 36: r1 += -176
	 37: r2 = 8
	 38: call bpf_probe_read_kernel           // fd[ret]: the struct file
	 39: r3 = *(u64 *)(r10 - 176)
	 40: r3 += 24                             // &file->private_data: the struct socket
	 41: r1 = r10
	 42: r1 += -176
	 43: r2 = 8
	 44: call bpf_probe_read_kernel           // file->private_data: the struct socket (left 0 if unreadable: the walk then ends at the family check)
	 45: r3 = *(u64 *)(r10 - 176)
	 46: r3 += 24                             // &socket->sk: the struct sock
	 47: r1 = r10
	 48: r1 += -176
	 49: r2 = 8
	 50: call bpf_probe_read_kernel           // socket->sk: the struct sock (left 0 if unreadable: the walk then ends at the family check)
	 51: r3 = *(u64 *)(r10 - 176)
	 52: r9 = r3                              // r9 = sk; survives helper calls
	 53: r1 = r10
	 54: r1 += -168
	 55: r2 = 88
	 56: call bpf_probe_read_kernel
	 57: if r0 != 0 goto out                  // no readable socket behind this fd
	 58: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	 59: if r7 == 2 goto family_ok            // plain IPv4
	 60: if r7 != 10 goto out                 // neither IPv4 nor IPv6: not ours
	 61: r1 = *(u32 *)(r10 - 112)             // IPv6: is the peer ::ffff:a.b.c.d?
	 62: if w1 != 0 goto out
	 63: r1 = *(u32 *)(r10 - 108)
	 64: if w1 != 0 goto out
	 65: r1 = *(u32 *)(r10 - 104)
	 66: if w1 != -65536 goto out
family_ok:
	 67: r1 = r10
	 68: r1 += -184
	 69: r2 = 2
	 70: r3 = r9
	 71: r3 += 532                            // &sk->sk_protocol
	 72: call bpf_probe_read_kernel
	 73: r1 = *(u16 *)(r10 - 184)             // sk->sk_protocol
	 74: if r1 != 6 goto out
	 75: r1 = r10
	 76: r1 += -54
	 77: r2 = 2
	 78: r3 = r9
	 79: r3 += 814                            // &inet_sk(sk)->inet_sport
	 80: call bpf_probe_read_kernel
	 81: r1 = *(u16 *)(r10 - 54)
	 82: r1 = be16 r1                         // network to host byte order
	 83: *(u16 *)(r10 - 54) = r1
	 84: *(u16 *)(r10 - 184) = r1             // -P: is the local port in the ports map?
	 85: r1 = map[ports] ll
	 87: r2 = r10
	 88: r2 += -184
	 89: call bpf_map_lookup_elem
	 90: if r0 == 0 goto out                  // a port nobody asked for
	 91: *(u64 *)(r10 - 240) = 0              // listener unknown until found
	 92: *(u64 *)(r10 - 264) = 0              // no SO_REUSEPORT group until found
	 93: *(u64 *)(r10 - 256) = 0
	 94: *(u64 *)(r10 - 184) = r8             // key: pid_tgid, as the sys_enter program stored it
	 95: r1 = map[listenfds] ll
	 97: r2 = r10
	 98: r2 += -184
	 99: call bpf_map_lookup_elem
	100: if r0 == 0 goto listener_done        // accept() was entered before tracing started
	101: r3 = *(u32 *)(r0 + 0)                // r3 = the listening fd
	102: r3 <<= 3                             // an index into the array of 8-byte pointers
	103: r1 = *(u64 *)(r10 - 192)
	104: r3 += r1                             // &fdt->fd[listening fd]
	105: r1 = r10
	106: r1 += -176
	107: r2 = 8
	108: call bpf_probe_read_kernel           // the listening struct file
	109: r3 = *(u64 *)(r10 - 176)
	110: r3 += 24                             // &file->private_data: the listening struct socket
	111: r1 = r10
	112: r1 += -176
	113: r2 = 8
	114: call bpf_probe_read_kernel           // file->private_data: the listening struct socket (left 0 if unreadable: the walk then ends at the family check)
	115: r3 = *(u64 *)(r10 - 176)
	116: r3 += 24                             // &socket->sk: the listening struct sock
	117: r1 = r10
	118: r1 += -176
	119: r2 = 8
	120: call bpf_probe_read_kernel           // socket->sk: the listening struct sock (left 0 if unreadable: the walk then ends at the family check)
	121: r3 = *(u64 *)(r10 - 176)
	122: *(u64 *)(r10 - 240) = r3             // the listener, an opaque id for user space
	123: if r3 == 0 goto listener_done
	124: r3 += 728
	125: r1 = r10
	126: r1 += -264
	127: r2 = 8
	128: call bpf_probe_read_kernel           // sk->sk_reuseport_cb: its SO_REUSEPORT group, NULL when none
	129: r3 = *(u64 *)(r10 - 264)
	130: if r3 == 0 goto listener_done
	131: r3 += 18
	132: r1 = r10
	133: r1 += -256
	134: r2 = 2
	135: call bpf_probe_read_kernel           // reuse->num_socks (u16; the slot's upper bytes stay 0)
listener_done:
	136: *(u64 *)(r10 - 248) = r8
	137: r7 = *(u16 *)(r10 - 152)             // r7 = sk->sk_family
	138: *(u16 *)(r10 - 214) = r7
	139: r1 = *(u16 *)(r10 - 54)              // the local port, host order, read above
	140: *(u16 *)(r10 - 216) = r1
	141: *(u32 *)(r10 - 212) = 0              // padding: hash keys compare every byte
	142: if r7 == 10 goto count_ipv6
	143: *(u64 *)(r10 - 232) = 0              // IPv4 uses 4 of the 16 address bytes
	144: *(u64 *)(r10 - 224) = 0              // IPv4 uses 4 of the 16 address bytes
	145: r1 = *(u32 *)(r10 - 164)
	146: *(u32 *)(r10 - 232) = r1             // local IPv4 address
	147: goto count_comm
count_ipv6:
	148: r1 = *(u64 *)(r10 - 96)              // local IPv6 address, bytes 0..7
	149: *(u64 *)(r10 - 232) = r1
	150: r1 = *(u64 *)(r10 - 88)              // local IPv6 address, bytes 8..15
	151: *(u64 *)(r10 - 224) = r1
count_comm:
	152: r1 = r10
	153: r1 += -208
	154: r2 = 16
	155: call bpf_get_current_comm            // the server's command name, NUL-padded
	156: r1 = map[counts] ll
	158: r2 = r10
	159: r2 += -248
	160: call bpf_map_lookup_elem
	161: if r0 == 0 goto count_new            // this thread's first accept on this listener
	162: r1 = *(u64 *)(r0 + 0)
	163: r1 += 1                              // per-CPU value: only this CPU writes it, no atomics
	164: *(u64 *)(r0 + 0) = r1
	165: r1 = *(u64 *)(r10 - 264)
	166: *(u64 *)(r0 + 8) = r1                // the group as last seen
	167: r1 = *(u64 *)(r10 - 256)
	168: *(u64 *)(r0 + 16) = r1               // and its size (sockets join and leave)
	169: goto count_done
count_new:
	170: *(u64 *)(r10 - 272) = 1
	171: r1 = map[counts] ll
	173: r2 = r10
	174: r2 += -248
	175: r3 = r10
	176: r3 += -272
	177: r4 = 0                               // exact: it sets this CPU's copy only, others stay
	178: call bpf_map_update_elem
	179: if r0 == 0 goto count_done
	180: *(u32 *)(r10 - 184) = 0              // the map is full: count the loss (key 0 of lost)
	181: r1 = map[lost] ll
	183: r2 = r10
	184: r2 += -184
	185: call bpf_map_lookup_elem
	186: if r0 == 0 goto count_done
	187: r1 = *(u64 *)(r0 + 0)                // per-CPU slot: no other CPU writes it, no atomics needed
	188: r1 += 1
	189: *(u64 *)(r0 + 0) = r1
count_done:
out:
	190: r0 = 0
	191: exit

// program tcpaccept_enter (BPF_PROG_TYPE_TRACEPOINT, 21 instructions)
// attached to: tracepoint:syscalls:sys_enter_accept4, tracepoint:syscalls:sys_enter_accept
	 0: r6 = r1                              // r6 = tracepoint record
	 1: call bpf_get_current_pid_tgid
	 2: *(u64 *)(r10 - 8) = r0               // key: tgid << 32 | tid, what the exit program looks up
	 3: r0 >>= 32                            // r0 = tgid
	 4: if r0 != 4242 goto out               // -p: another process
	 5: call bpf_get_current_cgroup_id       // r0 = id of the accepting task's cgroup (v2 hierarchy)
	 6: r1 = 4660 ll                         // --cgroup-exact: the directory's inode number, a u64
	 8: if r0 != r1 goto out                 // a task of another cgroup
	 9: r1 = *(u64 *)(r6 + 16)               // fd: the listening socket's descriptor
	10: *(u32 *)(r10 - 16) = r1              // value: the fd (an int)
	11: r1 = map[listenfds] ll
	13: r2 = r10
	14: r2 += -8
	15: r3 = r10
	16: r3 += -16
	17: r4 = 0
	18: call bpf_map_update_elem             // LRU: threads that exit age out
out:
	19: r0 = 0
	20: exit
