/* fnx CPU kernels: reductions and scans over a contiguous (outer, n, inner) view. */
#include <omp.h>
#include "fnx_cplx.h"

#define LANES 32      /* independent accumulators per row: lets gcc vectorize without reassociating */
#define BLOCK 4096    /* a row is summed in blocks of fresh lanes (pairwise-like accuracy) */
#define TILE 256      /* inner > 1: columns accumulated at once (on the stack) */
#define PTILE 1024    /* inner > 1: columns per parallel work item */
#define WIDE_COLS 32768 /* inner > 1: up to this many columns accumulated at once (heap) */

/* partial result of reducing a range of one row; `idx` is the arg index (-1: empty range);
 * complex dtypes keep the real part in v.f and the imaginary part in `im` */
typedef struct {
  union { double f; uint64_t u; int64_t s; } v;
  double im;
  int64_t idx;
} racc;

typedef void (*row_fn)(const char *x, int64_t n, racc *out);
typedef void (*comb_fn)(racc *a, const racc *b); /* a = a (earlier range) op b (later range) */
typedef void (*fin_fn)(const racc *a, char *y, int idt);
/* x: an (n, inner) block; reduce columns [j0, j1) into y[j0:j1] */
typedef void (*cols_fn)(const char *x, int64_t n, int64_t inner, int64_t j0, int64_t j1, char *y,
                        int idt);
typedef struct { row_fn row; comb_fn comb; fin_fn fin; cols_fn cols; } rkernel;

static inline void put_idx(char *y, int idt, int64_t i) {
  if (i < 0) i = 0;
  if (idt == FNX_INT32) *(int32_t *)y = (int32_t)i;
  else *(int64_t *)y = i;
}

/* step macros: acc (lane type L) absorbs x */
#define ST_SUM(a, x) a = (a) + (x)
#define ST_PROD(a, x) a = (a) * (x)
#define ST_MAX_F(a, x) a = FNX_MAX_F(x, a)
#define ST_MIN_F(a, x) a = FNX_MIN_F(x, a)
#define ST_MAX_I(a, x) a = FNX_MAX_I(x, a)
#define ST_MIN_I(a, x) a = FNX_MIN_I(x, a)
#define ST_AND(a, x) a = (a) & (x)
#define ST_OR(a, x) a = (a) | (x)

/* Plain reductions.  L is the accumulation type: double for float sum/prod (so a float32 sum
 * of millions of elements stays accurate to ~1e-7 like numpy's pairwise sum), the unsigned
 * type for integer sum/prod (wraps like numpy, no UB), T otherwise.  FIELD is the racc slot. */
#define DEF_RED(name, T, L, FIELD, INIT, STEP)                                               \
  static void row_##name(const char *xc, int64_t n, racc *out) {                             \
    const T *x = (const T *)xc;                                                              \
    L tot = (L)(INIT);                                                                       \
    for (int64_t b0 = 0; b0 < n; b0 += BLOCK) {                                              \
      const int64_t b1 = fnx_min64(n, b0 + BLOCK);                                           \
      L acc[LANES];                                                                          \
      for (int j = 0; j < LANES; j++) acc[j] = (L)(INIT);                                    \
      int64_t i = b0;                                                                        \
      for (; i + LANES <= b1; i += LANES)                                                    \
        for (int j = 0; j < LANES; j++) STEP(acc[j], (L)x[i + j]);                           \
      for (; i < b1; i++) STEP(tot, (L)x[i]);                                                \
      L r = acc[0];                                                                          \
      for (int j = 1; j < LANES; j++) STEP(r, acc[j]);                                       \
      STEP(tot, r);                                                                          \
    }                                                                                        \
    out->v.FIELD = tot;                                                                      \
    out->idx = 0;                                                                            \
  }                                                                                          \
  static void comb_##name(racc *a, const racc *b) { STEP(a->v.FIELD, b->v.FIELD); }          \
  static void fin_##name(const racc *a, char *y, int idt) {                                  \
    (void)idt;                                                                               \
    *(T *)y = (T)a->v.FIELD;                                                                 \
  }                                                                                          \
  static void cols_##name(const char *xc, int64_t n, int64_t inner, int64_t j0, int64_t j1,  \
                          char *yc, int idt) {                                               \
    (void)idt;                                                                               \
    const T *x = (const T *)xc;                                                              \
    T *y = (T *)yc;                                                                          \
    L stack_acc[TILE];                                                                       \
    /* all the columns at once when their accumulators fit in L1/L2: the rows are then read  \
     * in order (tile by tile, every row is a page-sized stride away from the last) */       \
    L *acc = j1 - j0 <= TILE || j1 - j0 > WIDE_COLS ? NULL : (L *)malloc((j1 - j0) * sizeof(L)); \
    const int64_t step = acc ? j1 - j0 : TILE;                                               \
    if (!acc) acc = stack_acc;                                                               \
    for (int64_t jb = j0; jb < j1; jb += step) {                                             \
      const int64_t w = fnx_min64(step, j1 - jb);                                            \
      for (int64_t j = 0; j < w; j++) acc[j] = (L)(INIT);                                    \
      for (int64_t i = 0; i < n; i++) {                                                      \
        const T *r = x + i * inner + jb;                                                     \
        for (int64_t j = 0; j < w; j++) STEP(acc[j], (L)r[j]);                               \
      }                                                                                      \
      for (int64_t j = 0; j < w; j++) y[jb + j] = (T)acc[j];                                 \
    }                                                                                        \
    if (acc != stack_acc) free(acc);                                                         \
  }

/* arg reductions: first index of the extreme; a NaN is the extreme (the first NaN wins) */
#define DEF_ARG(name, T, K, FIELD, CMP)                                                      \
  static void row_##name(const char *xc, int64_t n, racc *out) {                             \
    const T *x = (const T *)xc;                                                              \
    if (n <= 0) {                                                                            \
      out->idx = -1;                                                                         \
      out->v.FIELD = 0;                                                                      \
      return;                                                                                \
    }                                                                                        \
    T bv = x[0];                                                                             \
    int64_t bi = 0;                                                                          \
    if (!FNX_ISNAN_##K(bv))                                                                  \
      for (int64_t i = 1; i < n; i++) {                                                      \
        const T v = x[i];                                                                    \
        if (FNX_ISNAN_##K(v)) {                                                              \
          bv = v;                                                                            \
          bi = i;                                                                            \
          break;                                                                             \
        }                                                                                    \
        if (v CMP bv) {                                                                      \
          bv = v;                                                                            \
          bi = i;                                                                            \
        }                                                                                    \
      }                                                                                      \
    out->v.FIELD = bv;                                                                       \
    out->idx = bi;                                                                           \
  }                                                                                          \
  static void comb_##name(racc *a, const racc *b) {                                          \
    if (b->idx < 0 || (a->idx >= 0 && FNX_ISNAN_##K(a->v.FIELD))) return;                    \
    if (a->idx < 0 || FNX_ISNAN_##K(b->v.FIELD) || b->v.FIELD CMP a->v.FIELD) *a = *b;       \
  }                                                                                          \
  static void fin_##name(const racc *a, char *y, int idt) { put_idx(y, idt, a->idx); }       \
  static void cols_##name(const char *xc, int64_t n, int64_t inner, int64_t j0, int64_t j1,  \
                          char *y, int idt) {                                                \
    const T *x = (const T *)xc;                                                              \
    const int isz = idt == FNX_INT32 ? 4 : 8;                                                \
    T bv[TILE];                                                                              \
    int64_t bi[TILE];                                                                        \
    for (int64_t jb = j0; jb < j1; jb += TILE) {                                             \
      const int64_t w = fnx_min64(TILE, j1 - jb);                                            \
      if (n <= 0) {                                                                          \
        for (int64_t j = 0; j < w; j++) put_idx(y + (jb + j) * isz, idt, 0);                 \
        continue;                                                                            \
      }                                                                                      \
      for (int64_t j = 0; j < w; j++) {                                                      \
        bv[j] = x[jb + j];                                                                   \
        bi[j] = 0;                                                                           \
      }                                                                                      \
      for (int64_t i = 1; i < n; i++) {                                                      \
        const T *r = x + i * inner + jb;                                                     \
        for (int64_t j = 0; j < w; j++) {                                                    \
          const T v = r[j];                                                                  \
          if (!FNX_ISNAN_##K(bv[j]) && (FNX_ISNAN_##K(v) || v CMP bv[j])) {                  \
            bv[j] = v;                                                                       \
            bi[j] = i;                                                                       \
          }                                                                                  \
        }                                                                                    \
      }                                                                                      \
      for (int64_t j = 0; j < w; j++) put_idx(y + (jb + j) * isz, idt, bi[j]);              \
    }                                                                                        \
  }

#define RK(name) {row_##name, comb_##name, fin_##name, cols_##name}

/* numeric: sum/prod; every dtype: max/min/argmax/argmin; bool+ints: and/or */
#define DEF_RED_F(code, T, U, sfx, K, TMIN, TMAX)        \
  DEF_RED(sum_##sfx, T, double, f, 0, ST_SUM)            \
  DEF_RED(prod_##sfx, T, double, f, 1, ST_PROD)          \
  DEF_RED(max_##sfx, T, T, f, TMIN, ST_MAX_F)            \
  DEF_RED(min_##sfx, T, T, f, TMAX, ST_MIN_F)            \
  DEF_ARG(argmax_##sfx, T, F, f, >)                      \
  DEF_ARG(argmin_##sfx, T, F, f, <)
#define DEF_RED_I(code, T, U, sfx, K, TMIN, TMAX)        \
  DEF_RED(sum_##sfx, T, U, u, 0, ST_SUM)                 \
  DEF_RED(prod_##sfx, T, U, u, 1, ST_PROD)               \
  DEF_RED(max_##sfx, T, T, s, TMIN, ST_MAX_I)            \
  DEF_RED(min_##sfx, T, T, s, TMAX, ST_MIN_I)            \
  DEF_RED(and_##sfx, T, T, s, ~(T)0, ST_AND)             \
  DEF_RED(or_##sfx, T, T, s, 0, ST_OR)                   \
  DEF_ARG(argmax_##sfx, T, I, s, >)                      \
  DEF_ARG(argmin_##sfx, T, I, s, <)
FNX_FLOAT_TYPES(DEF_RED_F)
FNX_INT_TYPES(DEF_RED_I)
DEF_RED(max_b, uint8_t, uint8_t, u, 0, ST_MAX_I)
DEF_RED(min_b, uint8_t, uint8_t, u, 1, ST_MIN_I)
DEF_RED(and_b, uint8_t, uint8_t, u, 1, ST_AND)
DEF_RED(or_b, uint8_t, uint8_t, u, 0, ST_OR)
DEF_ARG(argmax_b, uint8_t, B, u, >)
DEF_ARG(argmin_b, uint8_t, B, u, <)

/* ---- complex: x holds (re, im) pairs of C.  Sums and products accumulate in double like the
 * real float kernels. */

/* sum: the blocked lanes of DEF_RED over the interleaved parts (an even lane count keeps
 * every lane on one part); columns are the real sum over twice as many columns */
#define DEF_CSUM(sfx, C)                                                                     \
  static void row_sum_##sfx(const char *xc, int64_t n, racc *out) {                          \
    const C *x = (const C *)xc;                                                              \
    double tot[2] = {0, 0};                                                                  \
    for (int64_t b0 = 0; b0 < 2 * n; b0 += 2 * BLOCK) {                                      \
      const int64_t b1 = fnx_min64(2 * n, b0 + 2 * BLOCK);                                   \
      double acc[LANES] = {0};                                                               \
      int64_t i = b0;                                                                        \
      for (; i + LANES <= b1; i += LANES)                                                    \
        for (int j = 0; j < LANES; j++) acc[j] += (double)x[i + j];                          \
      for (; i < b1; i++) tot[i & 1] += (double)x[i];                                        \
      double r[2] = {acc[0], acc[1]};                                                        \
      for (int j = 2; j < LANES; j++) r[j & 1] += acc[j];                                    \
      tot[0] += r[0];                                                                        \
      tot[1] += r[1];                                                                        \
    }                                                                                        \
    out->v.f = tot[0];                                                                       \
    out->im = tot[1];                                                                        \
    out->idx = 0;                                                                            \
  }                                                                                          \
  static void comb_sum_##sfx(racc *a, const racc *b) {                                       \
    a->v.f += b->v.f;                                                                        \
    a->im += b->im;                                                                          \
  }                                                                                          \
  static void fin_sum_##sfx(const racc *a, char *y, int idt) {                               \
    (void)idt;                                                                               \
    ((C *)y)[0] = (C)a->v.f;                                                                 \
    ((C *)y)[1] = (C)a->im;                                                                  \
  }                                                                                          \
  static void cols_sum_##sfx(const char *x, int64_t n, int64_t inner, int64_t j0, int64_t j1, \
                             char *y, int idt) {                                             \
    CSUM_REAL_COLS(C)(x, n, 2 * inner, 2 * j0, 2 * j1, y, idt);                             \
  }
#define CSUM_REAL_COLS(C) CSUM_REAL_COLS_##C
#define CSUM_REAL_COLS_float cols_sum_f32
#define CSUM_REAL_COLS_double cols_sum_f64

/* product: one running complex product per row / column, numpy's plain formula in double */
#define CMUL_INTO(ar, ai, br, bi)                                                            \
  do {                                                                                       \
    const double re_ = (ar) * (br) - (ai) * (bi);                                            \
    (ai) = (ar) * (bi) + (ai) * (br);                                                        \
    (ar) = re_;                                                                              \
  } while (0)
#define DEF_CPROD(sfx, C)                                                                    \
  static void row_prod_##sfx(const char *xc, int64_t n, racc *out) {                         \
    const C *x = (const C *)xc;                                                              \
    double re = 1, im = 0;                                                                   \
    for (int64_t i = 0; i < n; i++) CMUL_INTO(re, im, (double)x[2 * i], (double)x[2 * i + 1]); \
    out->v.f = re;                                                                           \
    out->im = im;                                                                            \
    out->idx = 0;                                                                            \
  }                                                                                          \
  static void comb_prod_##sfx(racc *a, const racc *b) { CMUL_INTO(a->v.f, a->im, b->v.f, b->im); } \
  static void fin_prod_##sfx(const racc *a, char *y, int idt) { fin_sum_##sfx(a, y, idt); }  \
  static void cols_prod_##sfx(const char *xc, int64_t n, int64_t inner, int64_t j0,         \
                              int64_t j1, char *yc, int idt) {                               \
    (void)idt;                                                                               \
    const C *x = (const C *)xc;                                                              \
    C *y = (C *)yc;                                                                          \
    double re[TILE], im[TILE];                                                               \
    for (int64_t jb = j0; jb < j1; jb += TILE) {                                             \
      const int64_t w = fnx_min64(TILE, j1 - jb);                                            \
      for (int64_t j = 0; j < w; j++) re[j] = 1, im[j] = 0;                                  \
      for (int64_t i = 0; i < n; i++) {                                                      \
        const C *r = x + 2 * (i * inner + jb);                                               \
        for (int64_t j = 0; j < w; j++)                                                      \
          CMUL_INTO(re[j], im[j], (double)r[2 * j], (double)r[2 * j + 1]);                   \
      }                                                                                      \
      for (int64_t j = 0; j < w; j++) {                                                      \
        y[2 * (jb + j)] = (C)re[j];                                                          \
        y[2 * (jb + j) + 1] = (C)im[j];                                                      \
      }                                                                                      \
    }                                                                                        \
  }

/* max / min / argmax / argmin: the first extreme in lexicographic order (BETTER is
 * FNX_CPAIR_GT or FNX_CPAIR_LT), a value with a NaN part being the extreme (the first one
 * wins); racc keeps the value and its index (-1: empty range, whose value is the identity
 * (INIT_RE, 0), JAX's -inf / +inf). */
#define DEF_CEXT(name, T, BETTER, INIT_RE)                                                   \
  static void cext_scan_##name(const T *x, int64_t n, int64_t stride, T *bv, int64_t *bi) { \
    *bi = n > 0 ? 0 : -1;                                                                    \
    if (n <= 0) return;                                                                      \
    *bv = x[0];                                                                              \
    for (int64_t i = 1; i < n && !FNX_CPAIR_ISNAN(*bv); i++) {                               \
      const T v = x[i * stride];                                                             \
      if (FNX_CPAIR_ISNAN(v) || BETTER(v, *bv)) *bv = v, *bi = i;                            \
    }                                                                                        \
  }                                                                                          \
  static void row_##name(const char *xc, int64_t n, racc *out) {                             \
    T bv;                                                                                    \
    cext_scan_##name((const T *)xc, n, 1, &bv, &out->idx);                                   \
    out->v.f = out->idx < 0 ? 0 : bv.re;                                                     \
    out->im = out->idx < 0 ? 0 : bv.im;                                                      \
  }                                                                                          \
  static void comb_##name(racc *a, const racc *b) {                                          \
    struct { double re, im; } va = {a->v.f, a->im}, vb = {b->v.f, b->im};                    \
    if (b->idx < 0 || (a->idx >= 0 && FNX_CPAIR_ISNAN(va))) return;                          \
    if (a->idx < 0 || FNX_CPAIR_ISNAN(vb) || BETTER(vb, va)) *a = *b;                        \
  }                                                                                          \
  static void fin_##name(const racc *a, char *y, int idt) {                                  \
    (void)idt;                                                                               \
    ((T *)y)->re = a->idx < 0 ? INIT_RE : a->v.f;                                            \
    ((T *)y)->im = a->idx < 0 ? 0 : a->im;                                                   \
  }                                                                                          \
  static void fin_arg##name(const racc *a, char *y, int idt) { put_idx(y, idt, a->idx); }    \
  /* columns one at a time: each one a strided scan (rarely a hot path for complex) */      \
  static void cols_##name(const char *xc, int64_t n, int64_t inner, int64_t j0, int64_t j1,  \
                          char *y, int idt) {                                                \
    for (int64_t j = j0; j < j1; j++) {                                                      \
      racc a;                                                                                \
      T bv;                                                                                  \
      cext_scan_##name((const T *)xc + j, n, inner, &bv, &a.idx);                            \
      a.v.f = a.idx < 0 ? 0 : bv.re;                                                         \
      a.im = a.idx < 0 ? 0 : bv.im;                                                          \
      fin_##name(&a, y + j * (int64_t)sizeof(T), idt);                                       \
    }                                                                                        \
  }                                                                                          \
  static void cols_arg##name(const char *xc, int64_t n, int64_t inner, int64_t j0,          \
                             int64_t j1, char *y, int idt) {                                 \
    const int isz = idt == FNX_INT32 ? 4 : 8;                                                \
    for (int64_t j = j0; j < j1; j++) {                                                      \
      T bv;                                                                                  \
      int64_t bi;                                                                            \
      cext_scan_##name((const T *)xc + j, n, inner, &bv, &bi);                               \
      put_idx(y + j * isz, idt, bi);                                                         \
    }                                                                                        \
  }

#define DEF_RED_C(code, T, C, sfx, K, TMIN, TMAX)                                            \
  DEF_CSUM(sfx, C)                                                                           \
  DEF_CPROD(sfx, C)                                                                          \
  DEF_CEXT(max_##sfx, T, FNX_CPAIR_GT, -FNX_INF)                                             \
  DEF_CEXT(min_##sfx, T, FNX_CPAIR_LT, FNX_INF)
FNX_COMPLEX_TYPES(DEF_RED_C)

static const rkernel *red_kernel(int op, int dtype) {
  /* [op][dtype]; NULL = unsupported */
#define ROW_F(sfx) RK(sum_##sfx), RK(prod_##sfx), RK(max_##sfx), RK(min_##sfx), {0, 0, 0, 0}, \
    {0, 0, 0, 0}, RK(argmax_##sfx), RK(argmin_##sfx)
#define ROW_I(sfx) RK(sum_##sfx), RK(prod_##sfx), RK(max_##sfx), RK(min_##sfx), RK(and_##sfx), \
    RK(or_##sfx), RK(argmax_##sfx), RK(argmin_##sfx)
#define ROW_C(sfx) RK(sum_##sfx), RK(prod_##sfx), RK(max_##sfx), RK(min_##sfx), {0, 0, 0, 0}, \
    {0, 0, 0, 0}, RKA(max_##sfx), RKA(min_##sfx)
#define RKA(name) {row_##name, comb_##name, fin_arg##name, cols_arg##name}
  static const rkernel table[FNX_NUM_DTYPES][8] = {
      [FNX_BOOL] = {{0, 0, 0, 0}, {0, 0, 0, 0}, RK(max_b), RK(min_b), RK(and_b), RK(or_b),
                    RK(argmax_b), RK(argmin_b)},
      [FNX_INT8] = {ROW_I(i8)}, [FNX_UINT8] = {ROW_I(u8)}, [FNX_INT32] = {ROW_I(i32)},
      [FNX_INT64] = {ROW_I(i64)}, [FNX_FLOAT32] = {ROW_F(f32)}, [FNX_FLOAT64] = {ROW_F(f64)},
      [FNX_UINT32] = {ROW_I(u32)}, [FNX_COMPLEX64] = {ROW_C(c64)},
      [FNX_COMPLEX128] = {ROW_C(c128)}};
  if (dtype < 0 || dtype >= FNX_NUM_DTYPES || op < 0 || op > 7 || !table[dtype][op].row)
    return NULL;
  return &table[dtype][op];
}

/* Few column tiles (say one 1024-wide row of columns) would leave threads idle: the threads
 * take blocks of rows instead, each reducing its block to one partial row, and the nt partial
 * rows are reduced the same way (the same op semantics, NaN propagation and wrapping). */
static int reduce_cols_split_rows(const rkernel *k, int nt, int64_t outer, int64_t n,
                                  int64_t inner, int64_t isz, const char *x, char *y) {
  char *part = (char *)malloc((size_t)(nt * inner * isz));
  if (!part) return FNX_ERR_ALLOC;
  const int64_t block = fnx_cdiv(n, nt);
  for (int64_t o = 0; o < outer; o++) {
    const char *xo = x + o * n * inner * isz;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
      const int64_t r0 = fnx_min64(n, t * block), r1 = fnx_min64(n, r0 + block);
      k->cols(xo + r0 * inner * isz, r1 - r0, inner, 0, inner, part + t * inner * isz, 0);
    }
    k->cols(part, nt, inner, 0, inner, y + o * inner * isz, 0);
  }
  free(part);
  return FNX_OK;
}

int fnx_reduce(int op, int dtype, int index_dtype, int64_t outer, int64_t n, int64_t inner,
               const char *x, char *y) {
  const rkernel *k = red_kernel(op, dtype);
  if (!k) return FNX_ERR_UNSUPPORTED;
  const int arg = op == FNX_RED_ARGMAX || op == FNX_RED_ARGMIN;
  if (arg && index_dtype != FNX_INT32 && index_dtype != FNX_INT64) return FNX_ERR_UNSUPPORTED;
  if (outer <= 0 || inner <= 0) return FNX_OK;
  if (n < 0) n = 0;
  const int64_t isz = fnx_itemsize(dtype);
  const int64_t osz = arg ? (index_dtype == FNX_INT32 ? 4 : 8) : isz;
  const int nt = fnx_team(outer * n * inner, FNX_PAR_MIN);

  if (inner > 1 && !arg && nt > 1 && outer * fnx_cdiv(inner, PTILE) < nt && n >= 4 * nt)
    return reduce_cols_split_rows(k, nt, outer, n, inner, isz, x, y);
  if (inner > 1) {
    const int64_t tiles = fnx_cdiv(inner, PTILE), items = outer * tiles;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && items > 1)
    for (int64_t it = 0; it < items; it++) {
      const int64_t o = it / tiles, j0 = (it % tiles) * PTILE;
      k->cols(x + o * n * inner * isz, n, inner, j0, fnx_min64(inner, j0 + PTILE),
              y + o * inner * osz, index_dtype);
    }
    return FNX_OK;
  }
  if (nt <= 1 || outer >= 4 * nt) {
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t o = 0; o < outer; o++) {
      racc a;
      k->row(x + o * n * isz, n, &a);
      k->fin(&a, y + o * osz, index_dtype);
    }
    return FNX_OK;
  }
  /* few long rows: split every row into chunks, reduce them in parallel, combine in order */
  const int64_t nc = fnx_cdiv(4 * nt, outer);
  const int64_t chunk = fnx_cdiv(fnx_cdiv(n, nc), 64) * 64;
  racc *part = (racc *)malloc((size_t)(outer * nc) * sizeof(racc));
  if (!part) return FNX_ERR_ALLOC;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t it = 0; it < outer * nc; it++) {
    const int64_t o = it / nc, lo = fnx_min64(n, (it % nc) * chunk);
    const int64_t hi = fnx_min64(n, lo + chunk);
    k->row(x + (o * n + lo) * isz, hi - lo, &part[it]);
    if (arg && part[it].idx >= 0) part[it].idx += lo;
  }
  for (int64_t o = 0; o < outer; o++) {
    racc a = part[o * nc];
    for (int64_t c = 1; c < nc; c++) k->comb(&a, &part[o * nc + c]);
    k->fin(&a, y + o * osz, index_dtype);
  }
  free(part);
  return FNX_OK;
}

/* ---- cumulative ------------------------------------------------------------------------------
 * Sequential along n for every (outer, inner) lane, in the input's own precision (like
 * numpy.cumsum); rows are vectorized along inner.  The previous output row is the running
 * accumulator, so x == y (in place) is fine. */
#define CUM_OPS(code, T, U, sfx, K, TMIN, TMAX)                                              \
  static inline T cum_sum_##sfx(T a, T b) { return FNX_WADD(T, U, a, b); }                   \
  static inline T cum_prod_##sfx(T a, T b) { return FNX_WMUL(T, U, a, b); }                  \
  static inline T cum_max_##sfx(T a, T b) { return FNX_MAX_##K(b, a); }                      \
  static inline T cum_min_##sfx(T a, T b) { return FNX_MIN_##K(b, a); }                      \
  CUM_LOOP(sum_##sfx, T) CUM_LOOP(prod_##sfx, T) CUM_LOOP(max_##sfx, T) CUM_LOOP(min_##sfx, T)
#define CUM_LOOP(name, T)                                                                    \
  static void cum_loop_##name(const char *xc, char *yc, int64_t n, int64_t inner, int rev,   \
                              int64_t j0, int64_t j1) {                                      \
    const T *x = (const T *)xc;                                                              \
    T *y = (T *)yc;                                                                          \
    for (int64_t t = 0; t < n; t++) {                                                        \
      const int64_t i = rev ? n - 1 - t : t;                                                 \
      const T *xr = x + i * inner;                                                           \
      T *yr = y + i * inner;                                                                 \
      if (t == 0) {                                                                          \
        for (int64_t j = j0; j < j1; j++) yr[j] = xr[j];                                     \
      } else {                                                                               \
        const T *pr = rev ? yr + inner : yr - inner;                                         \
        for (int64_t j = j0; j < j1; j++) yr[j] = cum_##name(pr[j], xr[j]);                  \
      }                                                                                      \
    }                                                                                        \
  }
FNX_NUMERIC_TYPES(CUM_OPS)
/* complex: sum and product (numpy's plain formula) in the dtype's precision, like numpy */
#define CUM_OPS_C(code, T, C, sfx, K, TMIN, TMAX)                                            \
  static inline T cum_sum_##sfx(T a, T b) { return fnx_s_add_##sfx(a, b); }              \
  static inline T cum_prod_##sfx(T a, T b) { return fnx_s_mul_##sfx(a, b); }             \
  CUM_LOOP(sum_##sfx, T) CUM_LOOP(prod_##sfx, T)
FNX_COMPLEX_TYPES(CUM_OPS_C)

typedef void (*cum_fn)(const char *, char *, int64_t, int64_t, int, int64_t, int64_t);

int fnx_cumulative(int op, int dtype, int reverse, int64_t outer, int64_t n, int64_t inner,
                   const char *x, char *y) {
  cum_fn fn = NULL;
  switch (dtype) {
#define CUM_CASE(code, T, U, sfx, K, TMIN, TMAX)                                                 \
  case code:                                                                                     \
    fn = op == FNX_CUM_SUM ? cum_loop_sum_##sfx : op == FNX_CUM_PROD ? cum_loop_prod_##sfx      \
       : op == FNX_CUM_MAX ? cum_loop_max_##sfx : op == FNX_CUM_MIN ? cum_loop_min_##sfx : NULL; \
    break;
    FNX_NUMERIC_TYPES(CUM_CASE)
#define CUM_CASE_C(code, T, C, sfx, K, TMIN, TMAX)                                               \
  case code:                                                                                     \
    fn = op == FNX_CUM_SUM ? cum_loop_sum_##sfx : op == FNX_CUM_PROD ? cum_loop_prod_##sfx : NULL; \
    break;
    FNX_COMPLEX_TYPES(CUM_CASE_C)
    default: return FNX_ERR_UNSUPPORTED;
  }
  if (!fn) return FNX_ERR_UNSUPPORTED;
  if (outer <= 0 || n <= 0 || inner <= 0) return FNX_OK;
  const int64_t isz = fnx_itemsize(dtype);
  const int64_t tw = inner > 1 ? 256 : 1, tiles = fnx_cdiv(inner, tw), items = outer * tiles;
  const int nt = fnx_team(outer * n * inner, FNX_PAR_MIN);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && items > 1)
  for (int64_t it = 0; it < items; it++) {
    const int64_t o = it / tiles, j0 = (it % tiles) * tw;
    fn(x + o * n * inner * isz, y + o * n * inner * isz, n, inner, reverse != 0, j0,
       fnx_min64(inner, j0 + tw));
  }
  return FNX_OK;
}
