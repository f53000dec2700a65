/*
 * The simulator's step, compiled to WebAssembly (src/sim/kernel/index.ts loads it; `npm run build:kernel` rebuilds
 * steady-wasm.ts from this file with clang). It is Scheduler.stepListLean's fast path for every process with a record
 * in the pipe store (pipe.ts): the stall-all loops and the FSM processes' sub-loops (pipe_step), the II = 2 unpackers
 * (unpack_step), the link movers (move_step), the free-running MACs (frp_step), the testbench source (source_step)
 * and the memo's replayers (replay_step), each doing what its JavaScript step (core.ts stepLoop, procs.ts, testbench.ts,
 * memo-cells.ts) does, on the same records and FIFOs, which live in the module's memory. For a pipe record:
 *
 * for every process of the awake loop list, in order: if it is mid-invocation with its pipeline full (k > 0,
 * k < n, k >= depth - 1), the iterations ahead are not an access-free run worth a bulk step, and every access of the
 * steady table can go ahead in cycle c (reads: a beat readable by c; writes: room as the registered full flag
 * sees it), the accesses are committed and k advances. If instead an access is blocked (a read of an empty FIFO, a
 * write to a full one), the process stays awake for up to `patience` consecutive cycles, its stall counted as the
 * JavaScript step would count it (category of the first blocked access), instead of going to sleep and being woken:
 * most stalls last one cycle, and a sleep and a wake cost far more in JavaScript than a check here. What an access
 * leaves to JavaScript — waking the processes sleeping on the FIFO, recording a boundary beat for the memo — and a
 * mover's or the source's beat to count go to the event list (EV), which the scheduler works through after the step.
 * Every other case (a start, an exit, a process going to sleep, a replay that diverges or must look its reference
 * up) is appended to the deferred list, and the scheduler steps it in JavaScript, which handles every case. Both
 * paths make the same decisions on the same data, so results do not depend on which one runs (tested).
 *
 * The constants below must match pipe.ts (P_*, U_*, M_*, FR_*, SR_*, RP_*, KIND_*), fifos.ts (FIFO record fields),
 * core.ts (stall categories) and index.ts (EV_*); index.ts checks them when it loads the module.
 */
#include <stdint.h>

enum { WR = 0, RD = 1, LRD = 2, LWR = 3, DEPTH = 4, LAT = 5, BASE = 6, CAP = 7, PEAK = 8, CWF = 9, PWF = 10, REC = 11 };
enum { P_K = 0, P_N = 1, P_D = 2, P_STEADY = 13, P_IDLE = 14, P_SM = 15, P_ACC = 16, MIN_SKIP = 4 };
/* The II = 2 unpacker's record (procs.ts UnpackProc): next index, count, state 1, index in flight, beat pending,
 * started, input and output FIFO record offsets. */
enum { U_K = 0, U_N = 1, U_S1 = 2, U_CUR = 3, U_PENDING = 4, U_STARTED = 5, U_IN = 6, U_OUT = 7 };
/* A link mover's record (testbench.ts MoverProc): input and output FIFO record offsets, whether it counts its beats. */
enum { M_IN = 0, M_OUT = 1, M_COUNT = 2 };
/* A free-running loop's record (procs.ts FrpProc): next iteration, count, depth, stage ring head, iterations in
 * flight, of which before the read stage, buffered beats, buffer capacity, read and write stages, the write's mask
 * bit, input and output FIFO record offsets, the access mask's offset in M, then the stage ring. */
enum { FR_K = 0, FR_N = 1, FR_D = 2, FR_HEAD = 3, FR_OCC = 4, FR_BEFORE = 5, FR_BUF = 6, FR_BUFCAP = 7, FR_RSTAGE = 8, FR_WSTAGE = 9,
       FR_WBIT = 10, FR_IN = 11, FR_OUT = 12, FR_MASK = 13, FR_PIPE = 14, BUBBLE = -1 };
/* The testbench source's record (testbench.ts SourceProc, offering without end): the input port's record offset. */
enum { SR_OUT = 0 };
/* A replayer's record (memo-cells.ts ReplayProc): boundary FIFO record offsets, the mover its writes stand for (−1:
 * none), then the cycles of its next input and output accesses (buffers of REPLAY_BUFFER from RP_BUF), how many are
 * buffered and how many done. */
enum { RP_IN = 0, RP_OUT = 1, RP_MOVER = 2, RP_INN = 3, RP_INPOS = 4, RP_OUTN = 5, RP_OUTPOS = 6, RP_BUF = 7, REPLAY_BUFFER = 2048 };
/* Process kinds (KIND): a pipe record (loops, FSM sub-loops), an unpacker's, a mover's, a free-running loop's, the
 * testbench source's, a replayer's. */
enum { PIPE = 0, UNPACK = 1, MOVE = 2, FRP = 3, SOURCE = 4, REPLAY = 5 };
/* What JavaScript must do after a step (the event list, in order): report an access to a FIFO the memo records,
 * wake the processes sleeping on a FIFO, count a mover's beat. Each is x · 16 + kind, x a FIFO record offset
 * (f · 16) or, for a count, a process id; EV[0] says how many there are, from EV[1] on. */
enum { EV_READ = 0, EV_WRITE = 1, EV_WAKE_PRODUCERS = 2, EV_WAKE_CONSUMERS = 3, EV_COUNT = 4 };
/* A step's outcome: went ahead, blocked (the stall categories of the scheduler's statistics), not for the kernel, or
 * (free-running loops) went ahead while counted as stalled in or out. */
enum { GO = 0, STALL_IN = 1, STALL_OUT = 2, LOUD = 3, MOVED = 4 };

/* Pipe store, FIFO records, FIFO write-cycle rings, awake loop list, pipe record of each process, deferred list
 * (indices into the awake list), and the loops' access tables (steady and idle-run). */
static int32_t *S, *F, *R, *L, *PO, *DF;
static uint8_t *M;
/* Per process: cycles by category (busy, stalled in, stalled out, idle), non-busy steps of the current awake stretch,
 * consecutive blocked steps taken here (Scheduler's lean accounting); the longest such run. */
static double *ST, *NB;
static uint8_t *BR, *KIND;
static int32_t PATIENCE;
static int32_t *EV;
static int32_t NEV;

__attribute__((export_name("layout"))) int32_t layout(int32_t what) {
  const int32_t v[] = { WR, RD, LRD, LWR, DEPTH, LAT, BASE, CAP, PEAK, CWF, PWF, REC, P_K, P_N, P_D, P_STEADY, P_IDLE, P_SM, P_ACC, MIN_SKIP,
                        U_K, U_N, U_S1, U_CUR, U_PENDING, U_STARTED, U_IN, U_OUT, PIPE, UNPACK, STALL_IN, STALL_OUT,
                        M_IN, M_OUT, M_COUNT, MOVE, EV_READ, EV_WRITE, EV_WAKE_PRODUCERS, EV_WAKE_CONSUMERS, EV_COUNT,
                        FR_K, FR_N, FR_D, FR_HEAD, FR_OCC, FR_BEFORE, FR_BUF, FR_BUFCAP, FR_RSTAGE, FR_WSTAGE, FR_WBIT, FR_IN, FR_OUT,
                        FR_MASK, FR_PIPE, BUBBLE, FRP, SR_OUT, SOURCE, RP_IN, RP_OUT, RP_MOVER, RP_INN, RP_INPOS, RP_OUTN,
                        RP_OUTPOS, RP_BUF, REPLAY_BUFFER, REPLAY };
  return what >= 0 && what < (int32_t)(sizeof v / sizeof v[0]) ? v[what] : -1;
}

__attribute__((export_name("setup"))) void setup(int32_t s, int32_t f, int32_t r, int32_t l, int32_t po, int32_t df, int32_t m, int32_t st,
                                                  int32_t nb, int32_t br, int32_t kind, int32_t ev, int32_t patience) {
  S = (int32_t *)s; F = (int32_t *)f; R = (int32_t *)r; L = (int32_t *)l; PO = (int32_t *)po; DF = (int32_t *)df; M = (uint8_t *)m;
  ST = (double *)st; NB = (double *)nb; BR = (uint8_t *)br; KIND = (uint8_t *)kind; EV = (int32_t *)ev;
  PATIENCE = patience;
}


static inline int32_t full(int32_t fo, int32_t c) { return F[fo + WR] - F[fo + RD] + (F[fo + LRD] == c) >= F[fo + DEPTH]; }
static inline int32_t unreadable(int32_t fo, int32_t c) {
  int32_t r = F[fo + RD];
  return F[fo + WR] <= r || R[F[fo + BASE] + (r & F[fo + CAP])] > c - F[fo + LAT];
}
/* A write and a read (as wake.ts write and read): the wakes and the memo's record are left to JavaScript (events). */
static inline void fifo_write(int32_t fo, int32_t c) {
  int32_t n = F[fo + WR];
  R[F[fo + BASE] + (n & F[fo + CAP])] = c;
  F[fo + WR] = n + 1;
  F[fo + LWR] = c;
  int32_t occ = n + 1 - F[fo + RD] + (F[fo + LRD] == c);
  if (occ > F[fo + PEAK]) F[fo + PEAK] = occ;
  if (F[fo + CWF]) EV[1 + NEV++] = fo * 16 + EV_WAKE_CONSUMERS;
  if (F[fo + REC]) EV[1 + NEV++] = fo * 16 + EV_WRITE;
}
static inline void fifo_read(int32_t fo, int32_t c) {
  F[fo + RD]++;
  F[fo + LRD] = c;
  if (F[fo + PWF]) EV[1 + NEV++] = fo * 16 + EV_WAKE_PRODUCERS;
  if (F[fo + REC]) EV[1 + NEV++] = fo * 16 + EV_READ;
}

/* Whether access bits `act` of the pipe record at b can all go ahead in cycle c: GO, else the category of the first
 * blocked access (as Scheduler.advance). */
static inline int32_t check_issue(int32_t b, int32_t act, int32_t c) {
  int32_t o = b + P_ACC;
  for (int32_t w = act; w; w >>= 1, o += 3) {
    if (!(w & 1)) continue;
    int32_t fo = S[o + 1];
    if (S[o + 2] == 1) {
      if (full(fo, c)) return STALL_OUT;
    } else if (unreadable(fo, c)) return STALL_IN;
  }
  return GO;
}

/* Perform the accesses `act` of the pipe record at b in cycle c (as Scheduler.commit). */
static inline void commit(int32_t b, int32_t act, int32_t c) {
  int32_t o = b + P_ACC;
  for (int32_t w = act; w; w >>= 1, o += 3) {
    if (!(w & 1)) continue;
    if (S[o + 2] == 1) fifo_write(S[o + 1], c);
    else fifo_read(S[o + 1], c);
  }
}

/* One cycle of a pipe record's process in its steady case: GO (stepped), a stall category, or LOUD (not here). */
static inline int32_t pipe_step(int32_t b, int32_t c) {
  int32_t k = S[b + P_K];
  if (!(k > 0 && k < S[b + P_N] && k >= S[b + P_D] - 1 && M[S[b + P_IDLE] + k + 1] < MIN_SKIP)) return LOUD;
  int32_t act = M[S[b + P_STEADY] + k];
  int32_t r = check_issue(b, act, c);
  if (r != GO) return r;
  commit(b, act, c);
  S[b + P_SM] = k + 1;
  S[b + P_K] = k + 1;
  return GO;
}

/* One cycle of a started unpacker (UnpackProc.step): state 0 writes the pending beat and takes the next index (the
 * exit and the start are JavaScript's), state 1 reads a beat for even indices. */
static inline int32_t unpack_step(int32_t u, int32_t c) {
  if (!S[u + U_STARTED]) return LOUD;
  if (!S[u + U_S1]) {
    int32_t fo = S[u + U_OUT];
    if (S[u + U_PENDING] && full(fo, c)) return STALL_OUT;
    if (S[u + U_K] == S[u + U_N]) return LOUD;
    if (S[u + U_PENDING]) {
      fifo_write(fo, c);
      S[u + U_PENDING] = 0;
    }
    S[u + U_CUR] = S[u + U_K]++;
    S[u + U_S1] = 1;
    return GO;
  }
  int32_t cur = S[u + U_CUR];
  if (cur >= 0 && (cur & 1) == 0) {
    int32_t fi = S[u + U_IN];
    if (unreadable(fi, c)) return STALL_IN;
    fifo_read(fi, c);
  }
  S[u + U_PENDING] = 1;
  S[u + U_S1] = 0;
  return GO;
}

/* One cycle of a link mover (MoverProc.step): a beat from its input FIFO to its output FIFO in the same cycle. */
static inline int32_t move_step(int32_t p, int32_t u, int32_t c) {
  int32_t fi = S[u + M_IN], fo = S[u + M_OUT];
  if (unreadable(fi, c)) return STALL_IN;
  if (full(fo, c)) return STALL_OUT;
  fifo_read(fi, c);
  fifo_write(fo, c);
  if (S[u + M_COUNT]) EV[1 + NEV++] = p * 16 + EV_COUNT;
  return GO;
}

/* The iteration in stage s − 1 of a free-running loop's ring (s = 1: the newest). */
static inline int32_t frp_at(int32_t u, int32_t s) {
  int32_t i = S[u + FR_HEAD] - s + 1;
  return S[u + FR_PIPE + (i < 0 ? i + S[u + FR_D] : i)];
}

/* One cycle of a free-running loop mid-invocation (FrpProc.step); the start and the exit (the start controller's)
 * and a step after which nothing would be in flight (it goes to sleep) are JavaScript's. */
static inline int32_t frp_step(int32_t u, int32_t c) {
  int32_t k = S[u + FR_K];
  if (k == 0 || k == S[u + FR_N]) return LOUD;
  int32_t occ = S[u + FR_OCC], fi = S[u + FR_IN], fo = S[u + FR_OUT], buf = S[u + FR_BUF];
  int32_t last = frp_at(u, S[u + FR_D]) >= 0;
  int32_t cand = BUBBLE, r = GO;
  int32_t seen = F[fi + WR] - (F[fi + LWR] == c) - F[fi + RD] + (F[fi + LRD] == c);
  if (seen < S[u + FR_BEFORE] + 1) r = STALL_IN;
  else if (S[u + FR_BUFCAP] - buf < occ - last + 2) r = STALL_OUT;
  else cand = k;
  if (cand < 0 && occ - last == 0) return LOUD;
  int32_t rs = S[u + FR_RSTAGE], ws = S[u + FR_WSTAGE];
  int32_t ri = rs == 0 ? cand : frp_at(u, rs);
  if (ri >= 0 && unreadable(fi, c)) return LOUD;
  int32_t wrote = 0;
  if (buf > 0 && !full(fo, c)) {
    fifo_write(fo, c);
    buf--;
    wrote = 1;
  }
  if (ri >= 0) fifo_read(fi, c);
  int32_t wi = ws == 0 ? cand : frp_at(u, ws);
  if (wi >= 0 && (M[S[u + FR_MASK] + wi] & S[u + FR_WBIT])) {
    if (!wrote && buf == 0 && !full(fo, c)) fifo_write(fo, c);
    else buf++;
  }
  if (rs > 0) S[u + FR_BEFORE] += (cand >= 0) - (ri >= 0);
  int32_t h = S[u + FR_HEAD] + 1 == S[u + FR_D] ? 0 : S[u + FR_HEAD] + 1;
  int32_t old = S[u + FR_PIPE + h];
  S[u + FR_PIPE + h] = cand >= 0 ? cand : BUBBLE;
  S[u + FR_HEAD] = h;
  S[u + FR_OCC] = occ + (cand >= 0) - (old >= 0);
  S[u + FR_BUF] = buf;
  if (cand >= 0) S[u + FR_K] = k + 1;
  return r == GO ? GO : MOVED | r;
}

/* One cycle of the testbench source from cycle 0 on (SourceProc.step): a beat into the input port whenever it has room. */
static inline int32_t source_step(int32_t p, int32_t u, int32_t c) {
  if (c < 0) return LOUD;
  int32_t fo = S[u + SR_OUT];
  if (full(fo, c)) return STALL_OUT;
  fifo_write(fo, c);
  EV[1 + NEV++] = p * 16 + EV_COUNT;
  return GO;
}

/* One cycle of a replayer (ReplayProc.step) while its next accesses are buffered and the FIFOs allow them; anything
 * else (a lookup, a divergence to report) is JavaScript's. */
static inline int32_t replay_step(int32_t u, int32_t c) {
  int32_t ip = S[u + RP_INPOS], op = S[u + RP_OUTPOS];
  if (ip >= S[u + RP_INN] || op >= S[u + RP_OUTN]) return LOUD;
  int32_t ti = S[u + RP_BUF + ip], to = S[u + RP_BUF + REPLAY_BUFFER + op];
  if (ti < c || to < c) return LOUD;
  int32_t fi = S[u + RP_IN], fo = S[u + RP_OUT];
  if ((ti == c && unreadable(fi, c)) || (to == c && full(fo, c))) return LOUD;
  if (ti == c) {
    fifo_read(fi, c);
    S[u + RP_INPOS] = ip + 1;
  }
  if (to == c) {
    fifo_write(fo, c);
    S[u + RP_OUTPOS] = op + 1;
    if (S[u + RP_MOVER] >= 0) EV[1 + NEV++] = S[u + RP_MOVER] * 16 + EV_COUNT;
  }
  return GO;
}


/* Step the first n processes of the awake loop list in cycle c; returns how many were deferred (listed in DF). */
__attribute__((export_name("step"))) int32_t step(int32_t c, int32_t n) {
  int32_t deferred = 0;
  NEV = 0;
  for (int32_t j = 0; j < n; j++) {
    int32_t p = L[j];
    int32_t kind = KIND[p];
    int32_t r = kind == PIPE     ? pipe_step(PO[p], c)
                : kind == MOVE   ? move_step(p, PO[p], c)
                : kind == FRP    ? frp_step(PO[p], c)
                : kind == SOURCE ? source_step(p, PO[p], c)
                : kind == REPLAY ? replay_step(PO[p], c)
                                 : unpack_step(PO[p], c);
    if (r == GO) {
      BR[p] = 0;
      continue;
    }
    if (r & MOVED) {
      // Went ahead, counted in its stall category, as the scheduler's lean accounting counts it (no patience: it moved).
      BR[p] = 0;
      ST[p * 4 + (r & 3)] += 1;
      NB[p] += 1;
      continue;
    }
    if (r != LOUD && BR[p] < PATIENCE) {
      BR[p]++;
      ST[p * 4 + r] += 1;
      NB[p] += 1;
      continue;
    }
    DF[deferred++] = j;
  }
  EV[0] = NEV;
  return deferred;
}
