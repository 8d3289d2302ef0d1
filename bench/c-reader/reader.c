// The floor for ts-tcpaccept's user space: a C reader of the same BPF ring buffer, doing the
// same formatting (the default table row: PID COMM IP RADDR RPORT LADDR LPORT, BCC's widths)
// and writing to stdout the same way (one write per drain). Test-only: bench/c-reader/build.ts
// compiles it with gcc at bench time; bench/c-reader/host.ts loads ts-tcpaccept's own planned
// programs and maps, then runs this with the ring buffer map's fd inherited.
//
//   reader FD DATA_BYTES     (FD: a BPF_MAP_TYPE_RINGBUF fd; DATA_BYTES: its max_entries)
//
// Ring buffer protocol as in the kernel's Documentation/bpf/ringbuf.rst and libbpf's
// ringbuf.c: a writable consumer page, then (read-only) the producer page and the data, mapped
// twice in a row so that no record wraps; an acquire load of each header (BUSY bit: not yet
// committed), a release store of consumer_pos once per drain. Wake-ups: epoll on the map fd,
// with the same 50 ms flush timeout as the CLI (RING_FLUSH_INTERVAL_MS in cli/main.ts).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#define BPF_RINGBUF_BUSY_BIT (1U << 31)
#define BPF_RINGBUF_DISCARD_BIT (1U << 30)
#define BPF_RINGBUF_HDR_SZ 8
#define FLUSH_INTERVAL_MS 50

// src/probe/record.ts: the 80-byte record the programs write.
#define OFF_PID 16
#define OFF_FAMILY 24
#define OFF_LPORT 26
#define OFF_RPORT 28
#define OFF_LADDR 32
#define OFF_RADDR 48
#define OFF_COMM 64
#define RECORD_SIZE 80
#define AF_INET6_ 10

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static char out[1 << 20];
static size_t used;

static void flush_out(void) {
  size_t done = 0;
  while (done < used) {
    ssize_t n = write(1, out + done, used - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(errno == EPIPE ? 0 : 1);
    }
    done += (size_t)n;
  }
  used = 0;
}

static inline char *pad(char *p, char *start, int width) {
  while (p - start < width) *p++ = ' ';
  return p;
}

static inline char *decimal(char *p, uint32_t v) {
  char tmp[10];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *p++ = tmp[--n];
  return p;
}

static char octet_text[256][4];
static uint8_t octet_len[256];

static inline char *ipv4(char *p, const uint8_t *a) {
  for (int i = 0; i < 4; i++) {
    if (i) *p++ = '.';
    memcpy(p, octet_text[a[i]], 4);
    p += octet_len[a[i]];
  }
  return p;
}

static inline int v4_mapped(const uint8_t *a) {
  for (int i = 0; i < 10; i++) if (a[i]) return 0;
  return a[10] == 0xff && a[11] == 0xff;
}

// RFC 5952, as formatIpv6 in src/probe/record.ts: the first longest run of >= 2 zero groups is "::".
static char *ipv6(char *p, const uint8_t *a) {
  static const char hex[] = "0123456789abcdef";
  unsigned g[8];
  for (int i = 0; i < 8; i++) g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i]) { i++; continue; }
    int j = i;
    while (j < 8 && !g[j]) j++;
    if (j - i > best_len && j - i >= 2) { best = i; best_len = j - i; }
    i = j;
  }
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      *p++ = ':';
      if (i == 0) *p++ = ':';
      i += best_len - 1;
      continue;
    }
    unsigned v = g[i];
    int started = 0;
    for (int s = 12; s >= 0; s -= 4) {
      unsigned d = (v >> s) & 0xf;
      if (d || started || s == 0) { *p++ = hex[d]; started = 1; }
    }
    if (i < 7) *p++ = ':';
  }
  return p;
}

static inline char *address(char *p, const uint8_t *a, int v6) {
  if (!v6) return ipv4(p, a);
  return v4_mapped(a) ? ipv4(p, a + 12) : ipv6(p, a);
}

static inline uint16_t u16(const uint8_t *r, int off) { return (uint16_t)(r[off] | r[off + 1] << 8); }
static inline uint32_t u32(const uint8_t *r, int off) {
  return (uint32_t)r[off] | (uint32_t)r[off + 1] << 8 | (uint32_t)r[off + 2] << 16 | (uint32_t)r[off + 3] << 24;
}

// "%-7u %-12.12s %-2d %-16s %-5u %-16s %-5u\n", as TableFormatter.writeRow writes it.
static void row(const uint8_t *r) {
  if (used + 128 > sizeof out) flush_out();
  char *p = out + used, *f;
  int family6 = u16(r, OFF_FAMILY) == AF_INET6_;
  const uint8_t *laddr = r + OFF_LADDR, *raddr = r + OFF_RADDR;
  int ip = family6 && !(v4_mapped(raddr) && v4_mapped(laddr)) ? 6 : 4;
  f = p; p = decimal(p, u32(r, OFF_PID)); p = pad(p, f, 7); *p++ = ' ';
  f = p;
  const char *comm = (const char *)r + OFF_COMM;
  size_t n = strnlen(comm, 16);
  if (n == 0) *p++ = '-';
  else { if (n > 12) n = 12; memcpy(p, comm, n); p += n; }
  p = pad(p, f, 12); *p++ = ' ';
  *p++ = (char)('0' + ip); *p++ = ' '; *p++ = ' ';
  f = p; p = address(p, raddr, family6); p = pad(p, f, 16); *p++ = ' ';
  f = p; p = decimal(p, u16(r, OFF_RPORT)); p = pad(p, f, 5); *p++ = ' ';
  f = p; p = address(p, laddr, family6); p = pad(p, f, 16); *p++ = ' ';
  f = p; p = decimal(p, u16(r, OFF_LPORT)); p = pad(p, f, 5);
  *p++ = '\n';
  used = (size_t)(p - out);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s RINGBUF_FD DATA_BYTES\n", argv[0]);
    return 2;
  }
  int fd = atoi(argv[1]);
  size_t size = strtoul(argv[2], NULL, 10);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  for (int i = 0; i < 256; i++) octet_len[i] = (uint8_t)snprintf(octet_text[i], 4, "%d", i);

  uint64_t *consumer = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (consumer == MAP_FAILED) { perror("mmap consumer page"); return 1; }
  uint8_t *producer_area = mmap(NULL, page + 2 * size, PROT_READ, MAP_SHARED, fd, (off_t)page);
  if (producer_area == MAP_FAILED) { perror("mmap producer and data"); return 1; }
  uint64_t *producer = (uint64_t *)producer_area;
  uint8_t *data = producer_area + page;
  uint64_t mask = size - 1;

  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN };
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { perror("epoll"); return 1; }
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  static const char header[] = "PID     COMM         IP RADDR            RPORT LADDR            LPORT\n";
  memcpy(out, header, sizeof header - 1);
  used = sizeof header - 1;
  flush_out();

  while (!stop) {
    struct epoll_event got;
    int n = epoll_wait(ep, &got, 1, FLUSH_INTERVAL_MS);
    if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
    uint64_t cons = __atomic_load_n(consumer, __ATOMIC_ACQUIRE);
    uint64_t prod = __atomic_load_n(producer, __ATOMIC_ACQUIRE);
    while (cons < prod) {
      uint32_t *hdr = (uint32_t *)(data + (cons & mask));
      uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
      if (len & BPF_RINGBUF_BUSY_BIT) break;
      int discard = (len & BPF_RINGBUF_DISCARD_BIT) != 0;
      len &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      if (!discard && len >= RECORD_SIZE) row((const uint8_t *)hdr + BPF_RINGBUF_HDR_SZ);
      cons += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
    }
    __atomic_store_n(consumer, cons, __ATOMIC_RELEASE);
    if (used) flush_out();
  }
  flush_out();
  return 0;
}
