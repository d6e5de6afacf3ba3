// udpcount: binds a UDP port and counts datagrams with recvmmsg for a bounded time.
//   udpcount BIND_IPV4 PORT SECONDS
// Prints "ready" once bound, then {"received":N,"elapsed":S} at the end.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: udpcount BIND_IPV4 PORT SECONDS\n");
    return 2;
  }
  double seconds = atof(argv[3]);
  if (seconds <= 0 || seconds > 60) seconds = 60;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "udpcount: bad address %s\n", argv[1]);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int size = 16 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    perror("udpcount: bind");
    return 1;
  }
  struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static char bufs[BATCH][2048];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  printf("ready\n");
  fflush(stdout);
  unsigned long long received = 0;
  double start = now(), end = start + seconds;
  while (now() < end) {
    int r = recvmmsg(fd, msgs, BATCH, 0, NULL);
    if (r > 0) received += (unsigned long long)r;
  }
  printf("{\"received\":%llu,\"elapsed\":%.6f}\n", received, now() - start);
  return 0;
}
