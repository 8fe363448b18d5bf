/* fnx CPU kernels: thread-count control and the parallel N-d strided iterator. */
#include <omp.h>
#include "fnx_internal.h"

/* 0 means "not decided yet"; read with relaxed atomics because kernels may be called from
 * several Python threads at once (cffi releases the GIL). */
static int g_threads = 0;

static int default_threads(void) {
  const char *env = getenv("FNX_NUM_THREADS");
  long v = 0;
  if (env && *env) v = strtol(env, NULL, 10);
  if (v <= 0) v = omp_get_max_threads();
  if (v < 1) v = 1;
  if (v > 1024) v = 1024;
  return (int)v;
}

int fnx_threads(void) {
  int n = __atomic_load_n(&g_threads, __ATOMIC_RELAXED);
  if (n > 0) return n;
  /* first use: the environment is read once; a concurrent fnx_set_num_threads wins */
  int expected = 0;
  __atomic_compare_exchange_n(&g_threads, &expected, default_threads(), 0, __ATOMIC_RELAXED,
                              __ATOMIC_RELAXED);
  return __atomic_load_n(&g_threads, __ATOMIC_RELAXED);
}

/* n <= 0 goes back to the default (FNX_NUM_THREADS, else OpenMP's default). */
void fnx_set_num_threads(int n) {
  if (n <= 0) n = default_threads();
  if (n > 1024) n = 1024;
  __atomic_store_n(&g_threads, n, __ATOMIC_RELAXED);
}

int fnx_get_num_threads(void) { return fnx_threads(); }

int fnx_team(int64_t work, int64_t par_min) {
  if (work < par_min) return 1;
  return fnx_threads();
}

int fnx_call_entry(fnx_entry_fn fn, int segment, char **in, char **out, void **fns, int nt) {
  return fn(segment, in, out, fns, nt);
}

int fnx_parallel_for(int64_t n, int64_t work, fnx_range_fn fn, const void *ctx) {
  int nt = fnx_team(work, FNX_PAR_MIN);
  if (nt > n) nt = (int)n;
  if (nt <= 1) {
    if (n > 0) fn(0, n, ctx);
    return FNX_OK;
  }
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t lo = n * t / team, hi = n * (t + 1) / team;
    if (lo < hi) fn(lo, hi, ctx);
  }
  return FNX_OK;
}

/* ---- N-d iteration ------------------------------------------------------------------------ */

typedef struct {
  int nops, nod;                 /* operands, outer dims */
  int64_t oshape[FNX_MAX_NDIM];  /* outer dims (the run dim removed) */
  int64_t ostr[FNX_MAX_NDIM][FNX_MAX_OPS];
  int64_t inner, istr[FNX_MAX_OPS];
  int64_t nchunk, chunk;         /* each row is split into nchunk runs of `chunk` elements */
  char *base[FNX_MAX_OPS];
  fnx_loop_fn fn;
  const void *ctx;
} nd_plan;

/* runs the work items [lo, hi); item = row * nchunk + chunk */
static void nd_run(const nd_plan *P, int64_t lo, int64_t hi) {
  const int nops = P->nops, nod = P->nod;
  int64_t idx[FNX_MAX_NDIM];
  char *p[FNX_MAX_OPS], *q[FNX_MAX_OPS];
  int64_t r0 = lo / P->nchunk, c0 = lo % P->nchunk;
  int64_t r1 = (hi - 1) / P->nchunk, c1 = (hi - 1) % P->nchunk;
  /* position of row r0: one div/mod per outer dim, then counters are incremented */
  for (int o = 0; o < nops; o++) p[o] = P->base[o];
  int64_t r = r0;
  for (int d = nod - 1; d >= 0; d--) {
    idx[d] = r % P->oshape[d];
    r /= P->oshape[d];
    for (int o = 0; o < nops; o++) p[o] += idx[d] * P->ostr[d][o];
  }
  for (int64_t row = r0; row <= r1; row++) {
    int64_t ca = row == r0 ? c0 : 0, cb = row == r1 ? c1 : P->nchunk - 1;
    int64_t e0 = ca * P->chunk, e1 = fnx_min64((cb + 1) * P->chunk, P->inner);
    for (int o = 0; o < nops; o++) q[o] = p[o] + e0 * P->istr[o];
    P->fn(e1 - e0, q, P->istr, P->ctx);
    if (row == r1) break;
    for (int d = nod - 1; d >= 0; d--) {
      for (int o = 0; o < nops; o++) p[o] += P->ostr[d][o];
      if (++idx[d] < P->oshape[d]) break;
      for (int o = 0; o < nops; o++) p[o] -= P->oshape[d] * P->ostr[d][o];
      idx[d] = 0;
    }
  }
}

int fnx_nd_iterate(int nops, int ndim, const int64_t *shape, char *const *base,
                   const int64_t *const *strides, int64_t par_min, fnx_loop_fn fn,
                   const void *ctx) {
  if (ndim < 0 || ndim > FNX_MAX_NDIM) return FNX_ERR_NDIM;
  for (int d = 0; d < ndim; d++)
    if (shape[d] <= 0) return FNX_OK;

  /* collapse: drop size-1 dims, merge dim d into the previous kept dim when, for every
   * operand, stepping the previous dim equals stepping d shape[d] times */
  int64_t cs[FNX_MAX_NDIM], cst[FNX_MAX_NDIM][FNX_MAX_OPS];
  int cd = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    if (cd > 0) {
      int ok = 1;
      for (int o = 0; o < nops; o++)
        if (cst[cd - 1][o] != shape[d] * strides[o][d]) ok = 0;
      if (ok) {
        cs[cd - 1] *= shape[d];
        for (int o = 0; o < nops; o++) cst[cd - 1][o] = strides[o][d];
        continue;
      }
    }
    cs[cd] = shape[d];
    for (int o = 0; o < nops; o++) cst[cd][o] = strides[o][d];
    cd++;
  }
  if (cd == 0) { /* 0-d or all-ones shape: one element */
    cs[0] = 1;
    for (int o = 0; o < nops; o++) cst[0][o] = 0;
    cd = 1;
  }

  nd_plan P;
  P.nops = nops;
  P.nod = cd - 1;
  P.inner = cs[cd - 1];
  for (int o = 0; o < nops; o++) {
    P.istr[o] = cst[cd - 1][o];
    P.base[o] = base[o];
  }
  int64_t nouter = 1;
  for (int d = 0; d < cd - 1; d++) {
    P.oshape[d] = cs[d];
    for (int o = 0; o < nops; o++) P.ostr[d][o] = cst[d][o];
    nouter *= cs[d];
  }
  P.fn = fn;
  P.ctx = ctx;
  P.nchunk = 1;
  P.chunk = P.inner;

  int nt = fnx_team(nouter * P.inner, par_min);
  if (nt <= 1) {
    nd_run(&P, 0, nouter);
    return FNX_OK;
  }
  /* few long rows: cut rows into chunks (multiples of 64 elements, so contiguous chunks start
   * on cache-line boundaries) to give every thread several items */
  int64_t target = 8 * (int64_t)nt;
  if (nouter < target) {
    int64_t want = fnx_cdiv(target, nouter);
    int64_t chunk = fnx_cdiv(fnx_cdiv(P.inner, want), 64) * 64;
    P.chunk = chunk;
    P.nchunk = fnx_cdiv(P.inner, chunk);
  }
  int64_t items = nouter * P.nchunk;
#pragma omp parallel num_threads(nt)
  {
    int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t lo = items * t / T, hi = items * (t + 1) / T;
    if (lo < hi) nd_run(&P, lo, hi);
  }
  return FNX_OK;
}
