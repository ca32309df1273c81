/* A stand-in for claude that only records when it started (CLOCK_REALTIME, microseconds) in the
   file named by CCP_BENCH_STAMP and exits: `bun run bench` reads it to time `ccp run` up to the
   moment claude starts. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const char *path = getenv("CCP_BENCH_STAMP");
  if (!path) return 0;
  FILE *f = fopen(path, "w");
  if (!f) return 1;
  fprintf(f, "%lld\n", (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000);
  fclose(f);
  return 0;
}
