/* bench/stall-probe: what the machine itself allows a real-time thread.
 *
 * Runs SCHED_FIFO priority 5 (as disorder-playrtp's and disorder-speaker's
 * audio threads do, when permitted) and sleeps to an absolute deadline
 * every millisecond for SECONDS.  Each wake-up more than 2 ms late -- the
 * thread could not run although it had the highest priority around: the
 * hypervisor or the kernel held the CPU -- is printed as
 *   stall MONOTONIC_SECONDS LATE_MS
 * and at the end
 *   worst LATE_MS over2 N over5 N over10 N
 * bench/playrtp compiles and runs it next to the listeners, so that an
 * under-run can be told apart from a stall of the whole machine. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: stall-probe SECONDS\n");
    return 2;
  }
  struct sched_param p = {.sched_priority = 5};
  if (sched_setscheduler(0, SCHED_FIFO, &p) != 0)
    fprintf(stderr, "stall-probe: no SCHED_FIFO; stalls include ordinary scheduling\n");
  const long long end = now_ns() + (long long)(atof(argv[1]) * 1e9);
  long long next = now_ns(), worst = 0;
  int over2 = 0, over5 = 0, over10 = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (next < end) {
    next += 1000000;
    struct timespec t = {next / 1000000000, next % 1000000000};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
    const long long late = now_ns() - next;
    if (late > worst) worst = late;
    if (late > 2000000) {
      ++over2;
      over5 += late > 5000000;
      over10 += late > 10000000;
      printf("stall %.3f %.2f\n", next / 1e9, late / 1e6);
      next = now_ns(); /* one report per stall, not one per missed tick */
    }
  }
  printf("worst %.2f over2 %d over5 %d over10 %d\n", worst / 1e6, over2, over5, over10);
  return 0;
}
