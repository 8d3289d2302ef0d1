# Every instruction form LLVM can express, one per line. regenerate.sh runs each through
# `llvm-mc -triple bpfel -mcpu=v4 -show-encoding` and writes llvm-vectors.json.
# A line marked `# alias` is an accepted spelling that the disassembler prints differently.
# ALU64: every operation, immediate and register source
r1 += 7
r1 += r2
r1 -= 7
r1 -= r2
r1 *= 7
r1 *= r2
r1 /= 7
r1 /= r2
r1 |= 7
r1 |= r2
r1 &= 7
r1 &= r2
r1 <<= 7
r1 <<= r2
r1 >>= 7
r1 >>= r2
r1 %= 7
r1 %= r2
r1 ^= 7
r1 ^= r2
r1 = 7
r1 = r2
r1 s>>= 7
r1 s>>= r2
r1 s/= 7
r1 s/= r2
r1 s%= 7
r1 s%= r2
r1 += -1
r9 = 2147483647
r0 = -2147483648
r1 &= 0x7fffffff
# ALU32: every operation, immediate and register source
w1 += 7
w1 += w2
w1 -= 7
w1 -= w2
w1 *= 7
w1 *= w2
w1 /= 7
w1 /= w2
w1 |= 7
w1 |= w2
w1 &= 7
w1 &= w2
w1 <<= 7
w1 <<= w2
w1 >>= 7
w1 >>= w2
w1 %= 7
w1 %= w2
w1 ^= 7
w1 ^= w2
w1 = 7
w1 = w2
w1 s>>= 7
w1 s>>= w2
w1 s/= 7
w1 s/= w2
w1 s%= 7
w1 s%= w2
w3 = -1
w3 = 0xffffffff
w4 &= 0xff000000
# negation, sign-extending moves, byte swaps, address-space casts
r3 = -r3
w3 = -w3
r1 = (s8)r2
r1 = (s16)r2
r1 = (s32)r2
w1 = (s8)w2
w1 = (s16)w2
r4 = le16 r4
r4 = le32 r4
r4 = le64 r4
r4 = be16 r4
r4 = be32 r4
r4 = be64 r4
r4 = bswap16 r4
r4 = bswap32 r4
r4 = bswap64 r4
r1 = addr_space_cast(r2, 0, 1)
r1 = addr_space_cast(r2, 1, 0)
# conditional jumps: every condition, 64 and 32 bits, immediate and register
if r1 == 5 goto +1
if r1 == r2 goto -1
if w1 == 5 goto +1
if w1 == w2 goto -1
if r1 != 5 goto +1
if r1 != r2 goto -1
if w1 != 5 goto +1
if w1 != w2 goto -1
if r1 > 5 goto +1
if r1 > r2 goto -1
if w1 > 5 goto +1
if w1 > w2 goto -1
if r1 >= 5 goto +1
if r1 >= r2 goto -1
if w1 >= 5 goto +1
if w1 >= w2 goto -1
if r1 < 5 goto +1
if r1 < r2 goto -1
if w1 < 5 goto +1
if w1 < w2 goto -1
if r1 <= 5 goto +1
if r1 <= r2 goto -1
if w1 <= 5 goto +1
if w1 <= w2 goto -1
if r1 & 5 goto +1
if r1 & r2 goto -1
if w1 & 5 goto +1
if w1 & w2 goto -1
if r1 s> 5 goto +1
if r1 s> r2 goto -1
if w1 s> 5 goto +1
if w1 s> w2 goto -1
if r1 s>= 5 goto +1
if r1 s>= r2 goto -1
if w1 s>= 5 goto +1
if w1 s>= w2 goto -1
if r1 s< 5 goto +1
if r1 s< r2 goto -1
if w1 s< 5 goto +1
if w1 s< w2 goto -1
if r1 s<= 5 goto +1
if r1 s<= r2 goto -1
if w1 s<= 5 goto +1
if w1 s<= w2 goto -1
if r0 == -1 goto +32767
if r0 s< -5 goto -32768
if w0 > 0xffffffff goto +0
# unconditional jumps, calls, exit
goto +5
goto -3
goto +0
gotol +5
gotol -5
may_goto +5
call 1
call 25
call 211
exit
# loads: every size, zero- and sign-extending
r1 = *(u8 *)(r2 + 16)
r1 = *(u16 *)(r2 + 16)
r1 = *(u32 *)(r2 + 16)
r1 = *(u64 *)(r2 + 16)
r1 = *(s8 *)(r2 + 16)
r1 = *(s16 *)(r2 + 16)
r1 = *(s32 *)(r2 + 16)
r0 = *(u64 *)(r10 - 8)
r0 = *(u64 *)(r1 - 32768)
r0 = *(u64 *)(r1 + 32767)
r2 = *(u32 *)(r6 +16)
r2 = *(u32 *)(r6 -4)
w1 = *(u8 *)(r2 + 0)  # alias
w1 = *(u16 *)(r2 + 0)  # alias
w1 = *(u32 *)(r2 + 0)  # alias
# stores: every size, register and immediate
*(u8 *)(r10 - 8) = r3
*(u16 *)(r10 - 8) = r3
*(u32 *)(r10 - 8) = r3
*(u64 *)(r10 - 8) = r3
*(u8 *)(r10 - 8) = -7
*(u16 *)(r10 - 8) = -7
*(u32 *)(r10 - 8) = -7
*(u64 *)(r10 - 8) = -7
*(u32 *)(r1 + 0) = w2  # alias
*(u8 *)(r1 + 0) = w2  # alias
*(u32 *)(r10 - 4) = 0
# atomics: add/or/and/xor with and without fetch, xchg, cmpxchg, 32 and 64 bits
lock *(u64 *)(r1 + 8) += r2
lock *(u64 *)(r1 + 8) |= r2
lock *(u64 *)(r1 + 8) &= r2
lock *(u64 *)(r1 + 8) ^= r2
r2 = atomic_fetch_add((u64 *)(r1 - 8), r2)
r2 = atomic_fetch_or((u64 *)(r1 - 8), r2)
r2 = atomic_fetch_and((u64 *)(r1 - 8), r2)
r2 = atomic_fetch_xor((u64 *)(r1 - 8), r2)
lock *(u32 *)(r1 + 8) += w2
lock *(u32 *)(r1 + 8) |= w2
lock *(u32 *)(r1 + 8) &= w2
lock *(u32 *)(r1 + 8) ^= w2
w2 = atomic_fetch_add((u32 *)(r1 - 8), w2)
w2 = atomic_fetch_or((u32 *)(r1 - 8), w2)
w2 = atomic_fetch_and((u32 *)(r1 - 8), w2)
w2 = atomic_fetch_xor((u32 *)(r1 - 8), w2)
r2 = xchg_64(r1 + 0, r2)
w2 = xchg32_32(r1 + 4, w2)
r0 = cmpxchg_64(r1 - 16, r0, r2)
w0 = cmpxchg32_32(r1 + 0, w0, w2)
lock *(u32 *)(r1 + 0) += r2  # alias
# 64-bit immediates (16 bytes)
r1 = 0 ll
r1 = 1 ll
r1 = -1 ll
r1 = 78187493520 ll
r9 = 0x7fffffffffffffff ll
r2 = -9223372036854775808 ll
r3 = 0xffffffff ll
r3 = 0x100000000 ll
# legacy packet loads
r0 = *(u8 *)skb[1]
r0 = *(u16 *)skb[12]
r0 = *(u32 *)skb[-4]
r0 = *(u8 *)skb[r1]
r0 = *(u16 *)skb[r7]
r0 = *(u32 *)skb[r2]
