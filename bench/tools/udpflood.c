// udpflood: sends one payload over UDP as fast as sendmmsg allows, for a bounded time and count.
//   udpflood DST_IPV4 PORT PAYLOAD_FILE SECONDS [MAX_PACKETS]
// Refuses any destination outside 10.0.0.0/8 and 127.0.0.0/8 (benchmarks run between network
// namespaces only). Prints {"sent":N,"elapsed":S,"cpu":S} on stdout (cpu: user+sys time).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define HARD_MAX_PACKETS 200000000ULL
#define HARD_MAX_SECONDS 30.0

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: udpflood DST_IPV4 PORT PAYLOAD_FILE SECONDS [MAX_PACKETS]\n");
    return 2;
  }
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
    fprintf(stderr, "udpflood: bad address %s\n", argv[1]);
    return 2;
  }
  unsigned char first = ((unsigned char *)&dst.sin_addr)[0];
  if (first != 10 && first != 127) {
    fprintf(stderr, "udpflood: refused destination %s: only 10.0.0.0/8 and 127.0.0.0/8\n", argv[1]);
    return 2;
  }
  double seconds = atof(argv[4]);
  if (seconds <= 0 || seconds > HARD_MAX_SECONDS) seconds = HARD_MAX_SECONDS;
  unsigned long long max = argc > 5 ? strtoull(argv[5], NULL, 10) : HARD_MAX_PACKETS;
  if (max == 0 || max > HARD_MAX_PACKETS) max = HARD_MAX_PACKETS;

  FILE *f = fopen(argv[3], "rb");
  if (!f) {
    perror("udpflood: payload");
    return 2;
  }
  static char payload[65536];
  size_t len = fread(payload, 1, sizeof payload, f);
  fclose(f);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
    perror("udpflood: socket");
    return 1;
  }
  struct iovec iov = {.iov_base = payload, .iov_len = len};
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0;
  double start = now(), end = start + seconds;
  while (sent < max) {
    unsigned int n = max - sent < BATCH ? (unsigned int)(max - sent) : BATCH;
    int r = sendmmsg(fd, msgs, n, 0);
    if (r < 0) {
      if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) continue;
      perror("udpflood: sendmmsg");
      break;
    }
    sent += (unsigned long long)r;
    if ((sent & 1023) < BATCH && now() >= end) break;
  }
  // CPU time of this process: on a veth pair the receiver's stack (and its firewall) runs in
  // softirq on the sending CPU, mostly charged here, so sent/cpu survives a busy machine.
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  printf("{\"sent\":%llu,\"elapsed\":%.6f,\"cpu\":%.6f}\n", sent, now() - start, cpu);
  return 0;
}
