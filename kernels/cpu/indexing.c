/* fnx CPU kernels: gather, scatter, argsort, nonzero. */
#include <omp.h>
#include "fnx_cplx.h"

static inline int64_t load_idx(const char *idx, int idt, int64_t t) {
  return idt == FNX_INT32 ? (int64_t)((const int32_t *)idx)[t] : ((const int64_t *)idx)[t];
}

/* ---- gather ------------------------------------------------------------------------------- */
int fnx_gather(int itemsize, int idx_dtype, int64_t nb, int64_t d, int64_t nr, const char *x,
               int64_t ni, const char *idx, char *out) {
  if (idx_dtype != FNX_INT32 && idx_dtype != FNX_INT64) return FNX_ERR_UNSUPPORTED;
  if (itemsize <= 0) return FNX_ERR_UNSUPPORTED;
  if (nb <= 0 || ni <= 0 || nr <= 0 || d <= 0) return FNX_OK; /* d == 0: nothing to read */
  const int64_t rowb = nr * itemsize;
  const int64_t total = nb * ni;
  const int nt = fnx_team(total * nr, FNX_PAR_MIN);
#define GATHER_LOOP(COPY)                                                       \
  _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")     \
  for (int64_t t = 0; t < total; t++) {                                         \
    int64_t j = load_idx(idx, idx_dtype, t);                                    \
    j = j < 0 ? 0 : (j >= d ? d - 1 : j); /* clamp, like lax.gather */        \
    const char *src = x + ((t / ni) * d + j) * rowb;                            \
    char *dst = out + t * rowb;                                                 \
    COPY;                                                                       \
  }
  /* single items of a machine size: typed moves instead of a memcpy call each */
  switch (rowb) {
    case 1: GATHER_LOOP(*dst = *src) break;
    case 2: GATHER_LOOP(memcpy(dst, src, 2)) break;
    case 4: GATHER_LOOP(memcpy(dst, src, 4)) break;
    case 8: GATHER_LOOP(memcpy(dst, src, 8)) break;
    case 16: GATHER_LOOP(memcpy(dst, src, 16)) break; /* complex128 */
    default: GATHER_LOOP(memcpy(dst, src, (size_t)rowb)) break;
  }
#undef GATHER_LOOP
  return FNX_OK;
}

/* ---- scatter -------------------------------------------------------------------------------
 * out[b, idx[b, i], c0:c1] op= upd[b, i, c0:c1].  Indices run in order (SET: last write wins,
 * the others accumulate); work items are (batch, column chunk) pairs, which never touch the same
 * output element, so threads need no synchronisation. */
typedef void (*sc_fn)(char *dst, const char *src, int64_t w);
#define SC_OPS(code, T, U, sfx, K, TMIN, TMAX)                                                     \
  static void sc_add_##sfx(char *d, const char *s, int64_t w) {                                    \
    T *o = (T *)d;                                                                                 \
    const T *u = (const T *)s;                                                                     \
    for (int64_t c = 0; c < w; c++) o[c] = FNX_WADD(T, U, o[c], u[c]);                            \
  }                                                                                                \
  static void sc_mul_##sfx(char *d, const char *s, int64_t w) {                                    \
    T *o = (T *)d;                                                                                 \
    const T *u = (const T *)s;                                                                     \
    for (int64_t c = 0; c < w; c++) o[c] = FNX_WMUL(T, U, o[c], u[c]);                            \
  }
#define SC_MINMAX(code, T, U, sfx, K, TMIN, TMAX)                                                  \
  static void sc_min_##sfx(char *d, const char *s, int64_t w) {                                    \
    T *o = (T *)d;                                                                                 \
    const T *u = (const T *)s;                                                                     \
    for (int64_t c = 0; c < w; c++) o[c] = FNX_MIN_##K(u[c], o[c]);                               \
  }                                                                                                \
  static void sc_max_##sfx(char *d, const char *s, int64_t w) {                                    \
    T *o = (T *)d;                                                                                 \
    const T *u = (const T *)s;                                                                     \
    for (int64_t c = 0; c < w; c++) o[c] = FNX_MAX_##K(u[c], o[c]);                               \
  }
FNX_NUMERIC_TYPES(SC_OPS)
FNX_ALL_TYPES(SC_MINMAX)
/* complex: add and multiply (numpy's plain formula); no order, so no min / max */
#define SC_OPS_C(code, T, C, sfx, K, TMIN, TMAX)                                                   \
  static void sc_add_##sfx(char *d, const char *s, int64_t w) {                                    \
    T *o = (T *)d;                                                                                 \
    const T *u = (const T *)s;                                                                     \
    for (int64_t c = 0; c < w; c++) o[c] = fnx_s_add_##sfx(o[c], u[c]);                       \
  }                                                                                                \
  static void sc_mul_##sfx(char *d, const char *s, int64_t w) {                                    \
    T *o = (T *)d;                                                                                 \
    const T *u = (const T *)s;                                                                     \
    for (int64_t c = 0; c < w; c++) o[c] = fnx_s_mul_##sfx(o[c], u[c]);                       \
  }
FNX_COMPLEX_TYPES(SC_OPS_C)

int fnx_scatter(int op, int dtype, int idx_dtype, int64_t nb, int64_t d, int64_t nr, char *out,
                int64_t ni, const char *idx, const char *upd) {
  if (idx_dtype != FNX_INT32 && idx_dtype != FNX_INT64) return FNX_ERR_UNSUPPORTED;
  sc_fn fn = NULL;
  switch (dtype) {
#define SC_CASE(code, T, U, sfx, K, TMIN, TMAX)                                  \
  case code:                                                                     \
    fn = op == FNX_SCATTER_MIN ? sc_min_##sfx : op == FNX_SCATTER_MAX ? sc_max_##sfx : NULL; \
    if (K_NUMERIC_##K) fn = op == FNX_SCATTER_ADD ? sc_add_##sfx : op == FNX_SCATTER_MUL ? sc_mul_##sfx : fn; \
    break;
#define K_NUMERIC_B 0
#define K_NUMERIC_I 1
#define K_NUMERIC_F 1
    FNX_NUMERIC_TYPES(SC_CASE)
    case FNX_BOOL:
      fn = op == FNX_SCATTER_MIN ? sc_min_b : op == FNX_SCATTER_MAX ? sc_max_b : NULL;
      break;
#define SC_CASE_C(code, T, C, sfx, K, TMIN, TMAX)                                 \
  case code:                                                                     \
    fn = op == FNX_SCATTER_ADD ? sc_add_##sfx : op == FNX_SCATTER_MUL ? sc_mul_##sfx : NULL; \
    break;
    FNX_COMPLEX_TYPES(SC_CASE_C)
    default: return FNX_ERR_UNSUPPORTED;
  }
  if (op != FNX_SCATTER_SET && !fn) return FNX_ERR_UNSUPPORTED;
  if (nb <= 0 || ni <= 0 || nr <= 0 || d <= 0) return FNX_OK;
  const int64_t isz = fnx_itemsize(dtype);
  const int nt = fnx_team(nb * ni * nr, FNX_PAR_MIN);
  /* columns per item: whole rows unless there are fewer batches than threads */
  int64_t cw = nr;
  if (nt > 1 && nb < 4 * nt) cw = fnx_max64(64, fnx_cdiv(nr, fnx_cdiv(4 * nt, nb)));
  const int64_t nchunks = fnx_cdiv(nr, cw), items = nb * nchunks;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && items > 1)
  for (int64_t it = 0; it < items; it++) {
    const int64_t b = it / nchunks, c0 = (it % nchunks) * cw, w = fnx_min64(cw, nr - c0);
    for (int64_t i = 0; i < ni; i++) {
      const int64_t j = load_idx(idx, idx_dtype, b * ni + i);
      if (j < 0 || j >= d) continue; /* out of bounds: dropped, like lax.scatter */
      char *dst = out + ((b * d + j) * nr + c0) * isz;
      const char *src = upd + ((b * ni + i) * nr + c0) * isz;
      if (fn) fn(dst, src, w);
      else memcpy(dst, src, (size_t)(w * isz));
    }
  }
  return FNX_OK;
}

/* ---- argsort ---------------------------------------------------------------------------------
 * Stable bottom-up merge sort of indices (insertion sort for runs of RUN first).  LESS is a
 * strict order with NaN after everything (numpy's order); -0.0 == 0.0 so they keep input order. */
#define RUN 16
#define LESS_F(a, b) ((a) < (b) || ((b) != (b) && (a) == (a)))
#define LESS_I(a, b) ((a) < (b))
#define LESS_B LESS_I
#define LESS_C(a, b) fnx_cpair_sort_less((a).re, (a).im, (b).re, (b).im) /* fnx_cplx_pair.h */
#define DEF_ARGSORT(code, T, U, sfx, K, TMIN, TMAX)                                           \
  static void argsort_row_##sfx(const char *xc, int64_t n, int64_t *perm, int64_t *tmp) {    \
    const T *x = (const T *)xc;                                                               \
    for (int64_t i = 0; i < n; i++) perm[i] = i;                                              \
    for (int64_t r0 = 0; r0 < n; r0 += RUN) {                                                 \
      const int64_t r1 = fnx_min64(n, r0 + RUN);                                              \
      for (int64_t i = r0 + 1; i < r1; i++) {                                                 \
        const int64_t pi = perm[i];                                                           \
        const T v = x[pi];                                                                    \
        int64_t j = i;                                                                        \
        while (j > r0 && LESS_##K(v, x[perm[j - 1]])) {                                       \
          perm[j] = perm[j - 1];                                                              \
          j--;                                                                                \
        }                                                                                     \
        perm[j] = pi;                                                                         \
      }                                                                                       \
    }                                                                                         \
    int64_t *src = perm, *dst = tmp;                                                          \
    for (int64_t w = RUN; w < n; w *= 2) {                                                    \
      for (int64_t lo = 0; lo < n; lo += 2 * w) {                                             \
        const int64_t mid = fnx_min64(n, lo + w), hi = fnx_min64(n, lo + 2 * w);              \
        int64_t i = lo, j = mid, o = lo;                                                      \
        while (i < mid && j < hi) /* take the right one only if strictly less: stable */     \
          dst[o++] = LESS_##K(x[src[j]], x[src[i]]) ? src[j++] : src[i++];                    \
        while (i < mid) dst[o++] = src[i++];                                                  \
        while (j < hi) dst[o++] = src[j++];                                                   \
      }                                                                                       \
      int64_t *t = src;                                                                       \
      src = dst;                                                                              \
      dst = t;                                                                                \
    }                                                                                         \
    if (src != perm) memcpy(perm, src, (size_t)n * sizeof(int64_t));                         \
  }
FNX_ALL_TYPES(DEF_ARGSORT)
FNX_COMPLEX_TYPES(DEF_ARGSORT)

int fnx_argsort(int dtype, int64_t outer, int64_t n, const char *x, int64_t *perm) {
  void (*fn)(const char *, int64_t, int64_t *, int64_t *);
  switch (dtype) {
#define AS_CASE(code, T, U, sfx, K, TMIN, TMAX) case code: fn = argsort_row_##sfx; break;
    FNX_ALL_TYPES(AS_CASE)
    FNX_COMPLEX_TYPES(AS_CASE)
    default: return FNX_ERR_UNSUPPORTED;
  }
  if (outer <= 0 || n <= 0) return FNX_OK;
  const int64_t isz = fnx_itemsize(dtype);
  const int nt = fnx_team(outer * n, 8192);
  int err = FNX_OK;
#pragma omp parallel num_threads(nt) if (nt > 1 && outer > 1)
  {
    int64_t *tmp = (int64_t *)malloc((size_t)n * sizeof(int64_t));
    if (!tmp) {
#pragma omp atomic write
      err = FNX_ERR_ALLOC;
    }
#pragma omp for schedule(dynamic, 1)
    for (int64_t o = 0; o < outer; o++)
      if (tmp) fn(x + o * n * isz, n, perm + o * n, tmp);
    free(tmp);
  }
  return err;
}

/* ---- nonzero ---------------------------------------------------------------------------------- */
int64_t fnx_count_nonzero(int64_t n, const char *mask) {
  int64_t count = 0;
  const int nt = fnx_team(n, 16 * FNX_PAR_MIN);
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : count) if (nt > 1)
  for (int64_t i = 0; i < n; i++) count += mask[i] != 0;
  return count;
}

int fnx_flatnonzero(int64_t n, const char *mask, int64_t *out) {
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++)
    if (mask[i]) out[k++] = i;
  return FNX_OK;
}
