// A TCP server that accepts only through io_uring, for test/e2e/io-uring.test.ts.
//
// Why C (the only C in the project, test-only, built by the test with Debian's gcc and
// liburing): an io_uring server through the project's FFI would have to mmap the SQ and CQ
// rings, fill SQEs and order the head/tail stores by hand — a second io_uring implementation,
// and then the test would be testing it rather than ts-tcpaccept. liburing is what real C
// servers use, so this server exercises the kernel paths they do.
//
//   io_uring_server MODE PORT COUNT [async] [sqpoll] [v6]
//     MODE   plain            IORING_OP_ACCEPT, a normal fd is installed (res = fd)
//            fixed            accept_direct into an explicit slot (file_index = slot + 1, res = 0)
//            fixed-alloc      accept_direct with IORING_FILE_INDEX_ALLOC (res = the slot chosen)
//            multishot        one multishot accept, a normal fd per completion
//            multishot-fixed  one multishot direct accept (IORING_FILE_INDEX_ALLOC per completion)
//     PORT   0 for any free port
//     COUNT  connections to accept, then exit 0
//     async  IOSQE_ASYNC: the accept runs (and completes) in an io-wq worker, iou-wrk-PID
//     sqpoll IORING_SETUP_SQPOLL: the kernel's thread iou-sqp-PID submits (and completes)
//     v6     listen on [::1] instead of 127.0.0.1
//
// Prints "pid PID" then "ready PORT" once listening, and "accepted N RES" per completion.
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOTS 16

static void die(const char *what, int err) {
  fprintf(stderr, "%s: %s\n", what, strerror(err < 0 ? -err : err));
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s plain|fixed|fixed-alloc|multishot|multishot-fixed PORT COUNT [async] [v6]\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  int port = atoi(argv[2]);
  int count = atoi(argv[3]);
  int async = 0, v6 = 0, sqpoll = 0;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "async") == 0) async = 1;
    else if (strcmp(argv[i], "sqpoll") == 0) sqpoll = 1;
    else if (strcmp(argv[i], "v6") == 0) v6 = 1;
  }
  int multishot = strncmp(mode, "multishot", 9) == 0;
  int fixed = strcmp(mode, "fixed") == 0;
  int direct = fixed || strcmp(mode, "fixed-alloc") == 0 || strcmp(mode, "multishot-fixed") == 0;

  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) die("bind", errno);
  if (listen(fd, 128) < 0) die("listen", errno);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) die("getsockname", errno);
  int bound = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);

  struct io_uring ring;
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  if (sqpoll) {
    params.flags = IORING_SETUP_SQPOLL;
    params.sq_thread_idle = 1000;
  }
  int ret = io_uring_queue_init_params(64, &ring, &params);
  if (ret < 0) die("io_uring_queue_init", ret);
  if (direct) {
    // A sparse table of SLOTS empty direct descriptors for the accepts to fill.
    ret = io_uring_register_files_sparse(&ring, SLOTS);
    if (ret < 0) die("io_uring_register_files_sparse", ret);
  }

  printf("pid %d\nready %d\n", getpid(), bound);
  fflush(stdout);

  int accepted = 0, armed = 0;
  unsigned next_slot = 0;
  while (accepted < count) {
    if (!armed) {
      struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
      if (strcmp(mode, "plain") == 0) io_uring_prep_accept(sqe, fd, NULL, NULL, 0);
      else if (fixed) io_uring_prep_accept_direct(sqe, fd, NULL, NULL, 0, next_slot);
      else if (strcmp(mode, "fixed-alloc") == 0) {
        // Set by hand: liburing 2.3's prep_accept_direct adds 1 to ALLOC too, making it 0 (no slot).
        io_uring_prep_accept(sqe, fd, NULL, NULL, 0);
        sqe->file_index = IORING_FILE_INDEX_ALLOC;
      }
      else if (strcmp(mode, "multishot") == 0) io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, 0);
      else if (strcmp(mode, "multishot-fixed") == 0) io_uring_prep_multishot_accept_direct(sqe, fd, NULL, NULL, 0);
      else { fprintf(stderr, "unknown mode %s\n", mode); return 2; }
      if (async) sqe->flags |= IOSQE_ASYNC;
      io_uring_sqe_set_data64(sqe, 0x5eed0000u + (unsigned)accepted);
      armed = 1;
      ret = io_uring_submit(&ring);
      if (ret < 0) die("io_uring_submit", ret);
    }
    struct io_uring_cqe *cqe;
    ret = io_uring_wait_cqe(&ring, &cqe);
    if (ret == -EINTR) continue;
    if (ret < 0) die("io_uring_wait_cqe", ret);
    int res = cqe->res;
    unsigned flags = cqe->flags;
    io_uring_cqe_seen(&ring, cqe);
    if (!multishot || !(flags & IORING_CQE_F_MORE)) armed = 0;
    if (res < 0) die("accept completion", res);
    accepted++;
    printf("accepted %d %d\n", accepted, res);
    fflush(stdout);
    if (!direct) {
      close(res);
    } else {
      // Free the slot again: explicit slots cycle through the table, allocated ones are freed.
      unsigned slot = fixed ? next_slot : (unsigned)res;
      struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
      io_uring_prep_close_direct(sqe, slot);
      sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
      io_uring_sqe_set_data64(sqe, 0xc105e000u + slot);
      io_uring_submit(&ring);
      if (fixed) next_slot = (next_slot + 1) % SLOTS;
    }
  }
  io_uring_queue_exit(&ring);
  close(fd);
  return 0;
}
