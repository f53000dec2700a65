/*
 * The simulator's steady fast path (src/sim/core.ts, stepListLean → canIssue + commit) on a synthetic chain: NP
 * stall-all processes stepped from an awake list with their steady and idle-run tables, each reading one beat from FIFO p and writing one to FIFO p + 1 per cycle (depth 2, read
 * latency 1), records in flat int32 arrays laid out as in fifos.ts / pipe.ts. bench/sim-floor.ts runs the same
 * kernel written in TypeScript; this file is built natively (gcc/clang -O2) and, with -DWASM, to WebAssembly
 * (clang --target=wasm32), to measure what a compiled simulator core would gain.
 */
#include <stdint.h>
#define NP 108
#define DEPTH_ 2
enum { FS = 16, WR = 0, RD = 1, LRD = 2, LWR = 3, DEPTH = 4, LAT = 5, BASE = 6, CAP = 7, PEAK = 8, CWF = 9, PWF = 10, REC = 11 };
#define NF (NP + 1)
#define N 4096 /* iterations per invocation */
static int32_t F[NF * FS], ring[NF * 4], S[NP * 8], list[NP];
/* Per process: the steady table (accesses of iteration k) and the idle-run table, as pipe.ts compiles them. */
static uint8_t M[NP * 2 * (N + 1)], awake[NP];

static inline int can_issue(int b, int act, int c) {
  for (int o = b + 3; act; act >>= 1, o += 2) {
    if (!(act & 1)) continue;
    int fo = S[o];
    if (S[o + 1] == 1) {
      if (F[fo + WR] - F[fo + RD] + (F[fo + LRD] == c) >= F[fo + DEPTH]) return 0;
    } else {
      int r = F[fo + RD];
      if (F[fo + WR] <= r || ring[F[fo + BASE] + (r & F[fo + CAP])] > c - F[fo + LAT]) return 0;
    }
  }
  return 1;
}

static inline void commit(int b, int act, int c) {
  for (int o = b + 3; act; o += 2, act >>= 1) {
    if (!(act & 1)) continue;
    int fo = S[o];
    if (S[o + 1] == 1) {
      int n = F[fo + WR];
      ring[F[fo + BASE] + (n & F[fo + CAP])] = c;
      F[fo + WR] = n + 1;
      F[fo + LWR] = c;
      int occ = n + 1 - F[fo + RD] + (F[fo + LRD] == c);
      if (occ > F[fo + PEAK]) F[fo + PEAK] = occ;
      if (F[fo + CWF] || F[fo + REC]) __builtin_trap();
    } else {
      F[fo + RD]++;
      F[fo + LRD] = c;
      if (F[fo + PWF] || F[fo + REC]) __builtin_trap();
    }
  }
}

/* Simulates `cycles` cycles; returns the busy steps (a step per process per cycle). */
#ifdef WASM
__attribute__((export_name("run")))
#endif
int64_t run(int cycles) {
  for (int f = 0; f < NF * FS; f++) F[f] = 0;
  for (int f = 0; f < NF; f++) {
    int o = f * FS;
    F[o + DEPTH] = (f == 0 || f == NP) ? 1 << 30 : DEPTH_;
    F[o + LAT] = 1; F[o + BASE] = f * 4; F[o + CAP] = 3; F[o + LRD] = -1; F[o + LWR] = -1;
  }
  for (int p = 0; p < NP; p++) {
    int b = p * 8;
    S[b] = 1; S[b + 1] = N; S[b + 2] = 2; S[b + 3] = p * FS; S[b + 4] = 0; S[b + 5] = (p + 1) * FS; S[b + 6] = 1;
    S[b + 7] = p * 2 * (N + 1);
    for (int k = 0; k <= N; k++) { M[S[b + 7] + k] = 3; M[S[b + 7] + N + 1 + k] = 0; }
    list[p] = NP - 1 - p; /* the awake list, downstream first */
    awake[p] = 1;
  }
  F[WR] = 1 << 29; /* the source FIFO always holds readable beats */
  int64_t busy = 0;
  for (int c = 0; c < cycles; c++) {
    for (int j = 0; j < NP; j++) {
      int p = list[j], b = p * 8, k = S[b];
      awake[p] = 0;
      if (k >= S[b + 1]) k = S[b] = 1; /* next invocation (the real exit slot is a slow step) */
      int act = M[S[b + 7] + k];
      if (M[S[b + 7] + N + 1 + k + 1] < 4 && can_issue(b, act, c)) { commit(b, act, c); S[b] = k + 1; busy++; }
      awake[p] = 1;
    }
    F[NP * FS + RD] = F[NP * FS + WR]; /* the sink drains */
  }
  return busy;
}

#ifndef WASM
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
  int cycles = argc > 1 ? atoi(argv[1]) : 2000000;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long long busy = run(cycles);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("{\"busy\": %lld, \"steps\": %lld, \"ms\": %.1f}\n", busy, (long long)cycles * NP, ms);
  return 0;
}
#endif
