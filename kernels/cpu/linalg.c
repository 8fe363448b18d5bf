/* fnx CPU kernels: batched matmul.
 *
 * GotoBLAS-style blocking in plain C: C is computed in NC-column slabs; for each KC-deep slice
 * B is packed into NR-wide panels (shared by the team) and A into MR-tall panels (per thread,
 * per MC-row block); an MR x NR register-tile micro-kernel, written so that gcc unrolls and
 * vectorizes the NR loop, does the flops.  Floats use fma (one rounding per multiply-add, like
 * BLAS) and accumulate in their own precision; ints use unsigned arithmetic so overflow wraps
 * like numpy without C UB.  float32 / float64 on AVX-512 or AVX2 machines take the register-tile
 * path further down instead (ints keep this one). */
#include <omp.h>
#include "fnx_cplx.h"

/* the fused epilogue of fnx_matmul_epilogue: c = act(a @ b + bias), bias (n,) or NULL */
typedef struct {
  const void *bias;
  int act;
} fnx_epilogue;

#define MC 96
#define SMALL_M 32
#define KC 256
#define NC 3072

#define FMA_F32(a, b, c) fmaf(a, b, c)
#define FMA_F64(a, b, c) fma(a, b, c)
#define FMA_I32(a, b, c) ((int32_t)((uint32_t)(a) * (uint32_t)(b) + (uint32_t)(c)))
#define FMA_I64(a, b, c) ((int64_t)((uint64_t)(a) * (uint64_t)(b) + (uint64_t)(c)))

#define DEF_MATMUL(sfx, T, U, MR, NR, MADD)                                                        \
  /* A block rows [0, mc) x cols [0, kc) -> panels of MR rows: ap[panel][p][r], zero padded */ \
  static void pack_a_##sfx(const T *a, int64_t lda, int64_t mc, int64_t kc, T *ap) {           \
    for (int64_t ir = 0; ir < mc; ir += MR) {                                                   \
      const int64_t mr = fnx_min64(MR, mc - ir);                                                \
      for (int64_t p = 0; p < kc; p++)                                                          \
        for (int64_t r = 0; r < MR; r++) *ap++ = r < mr ? a[(ir + r) * lda + p] : (T)0;         \
    }                                                                                           \
  }                                                                                             \
  /* one NR-wide panel of B: bp[p][c], zero padded */                                           \
  static void pack_b_##sfx(const T *b, int64_t ldb, int64_t kc, int64_t nr, T *bp) {           \
    for (int64_t p = 0; p < kc; p++) {                                                          \
      const T *row = b + p * ldb;                                                               \
      if (nr == NR) {                                                                           \
        for (int64_t c = 0; c < NR; c++) bp[p * NR + c] = row[c];                               \
      } else {                                                                                  \
        for (int64_t c = 0; c < NR; c++) bp[p * NR + c] = c < nr ? row[c] : (T)0;               \
      }                                                                                         \
    }                                                                                           \
  }                                                                                             \
  static void micro_##sfx(int64_t kc, const T *ap, const T *bp, T *c, int64_t ldc,             \
                          int64_t mr, int64_t nr, int first) {                                  \
    T acc[MR][NR];                                                                              \
    for (int r = 0; r < MR; r++)                                                                \
      for (int j = 0; j < NR; j++) acc[r][j] = 0;                                               \
    for (int64_t p = 0; p < kc; p++) {                                                          \
      const T *bq = bp + p * NR, *aq = ap + p * MR;                                             \
      for (int r = 0; r < MR; r++) {                                                            \
        const T av = aq[r];                                                                     \
        /* omp simd pins vectorization to j (without it gcc may vectorize across r and         \
         * shuffle the accumulators every step) */                                              \
        _Pragma("omp simd")                                                                     \
        for (int j = 0; j < NR; j++) acc[r][j] = MADD(av, bq[j], acc[r][j]);                    \
      }                                                                                         \
    }                                                                                           \
    for (int64_t r = 0; r < mr; r++) {                                                          \
      T *cr = c + r * ldc;                                                                      \
      if (first)                                                                                \
        for (int64_t j = 0; j < nr; j++) cr[j] = acc[r][j];                                     \
      else                                                                                      \
        for (int64_t j = 0; j < nr; j++) cr[j] = FNX_WADD(T, U, cr[j], acc[r][j]);              \
    }                                                                                           \
  }                                                                                             \
  /* small problems and m == 1: i-k-j loops, the j loop vectorizes, no packing */              \
  static void naive_##sfx(int64_t m, int64_t n, int64_t k, const T *a, const T *b, T *c,       \
                          int nt) {                                                             \
    _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")                   \
    for (int64_t i = 0; i < m; i++) {                                                           \
      T *cr = c + i * n;                                                                        \
      for (int64_t j = 0; j < n; j++) cr[j] = 0;                                                \
      for (int64_t p = 0; p < k; p++) {                                                         \
        const T av = a[i * k + p];                                                              \
        const T *br = b + p * n;                                                                \
        for (int64_t j = 0; j < n; j++) cr[j] = MADD(av, br[j], cr[j]);                         \
      }                                                                                         \
    }                                                                                           \
  }                                                                                             \
  /* n == 1: one dot product per row */                                                        \
  static void gemv_##sfx(int64_t m, int64_t k, const T *a, const T *b, T *c, int nt) {         \
    _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")                   \
    for (int64_t i = 0; i < m; i++) {                                                           \
      T acc[16] = {0};                                                                          \
      const T *ar = a + i * k;                                                                  \
      int64_t p = 0;                                                                            \
      for (; p + 16 <= k; p += 16)                                                              \
        for (int j = 0; j < 16; j++) acc[j] = MADD(ar[p + j], b[p + j], acc[j]);               \
      T s = 0;                                                                                  \
      for (; p < k; p++) s = MADD(ar[p], b[p], s);                                              \
      for (int j = 0; j < 16; j++) s = FNX_WADD(T, U, s, acc[j]);                               \
      c[i] = s;                                                                                 \
    }                                                                                           \
  }                                                                                             \
  /* few rows (m <= SMALL_M): no packing.  B's rows are already contiguous, and with so few   \
   * rows of A each B panel is used only a few times, so copying it would cost about as much   \
   * as the multiply; an MR x NR register tile streams B straight from memory instead. */      \
  static void small_m_##sfx(int64_t m, int64_t n, int64_t k, const T *a, const T *b, T *c) {   \
    for (int64_t j0 = 0; j0 < n; j0 += NR) {                                                    \
      const int64_t nr = fnx_min64(NR, n - j0);                                                 \
      for (int64_t i0 = 0; i0 < m; i0 += MR) {                                                  \
        const int64_t mr = fnx_min64(MR, m - i0);                                               \
        T acc[MR][NR];                                                                          \
        for (int r = 0; r < MR; r++)                                                            \
          for (int j = 0; j < NR; j++) acc[r][j] = 0;                                           \
        if (nr == NR && mr == MR) {                                                             \
          for (int64_t p = 0; p < k; p++) {                                                     \
            const T *bq = b + p * n + j0;                                                       \
            for (int r = 0; r < MR; r++) {                                                      \
              const T av = a[(i0 + r) * k + p];                                                 \
              _Pragma("omp simd")                                                               \
              for (int j = 0; j < NR; j++) acc[r][j] = MADD(av, bq[j], acc[r][j]);              \
            }                                                                                   \
          }                                                                                     \
        } else {                                                                                \
          for (int64_t p = 0; p < k; p++) {                                                     \
            const T *bq = b + p * n + j0;                                                       \
            for (int64_t r = 0; r < mr; r++) {                                                  \
              const T av = a[(i0 + r) * k + p];                                                 \
              for (int64_t j = 0; j < nr; j++) acc[r][j] = MADD(av, bq[j], acc[r][j]);         \
            }                                                                                   \
          }                                                                                     \
        }                                                                                       \
        for (int64_t r = 0; r < mr; r++)                                                        \
          for (int64_t j = 0; j < nr; j++) c[(i0 + r) * n + j0 + j] = acc[r][j];                \
      }                                                                                         \
    }                                                                                           \
  }                                                                                             \
  static int gemm_##sfx(int64_t m, int64_t n, int64_t k, const T *a, const T *b, T *c,         \
                        int nt) {                                                               \
    const int64_t ncb = fnx_min64(NC, fnx_cdiv(n, NR) * NR);                                    \
    const int64_t kcb = fnx_min64(KC, k);                                                       \
    T *bpack = (T *)fnx_aligned_alloc((size_t)(fnx_cdiv(kcb * ncb * (int64_t)sizeof(T), 64) * 64)); \
    const int64_t abytes = nt * fnx_cdiv(MC, MR) * MR * kcb * (int64_t)sizeof(T);              \
    T *apack = (T *)fnx_aligned_alloc((size_t)(fnx_cdiv(abytes, 64) * 64));                     \
    if (!bpack || !apack) {                                                                     \
      free(bpack);                                                                              \
      free(apack);                                                                              \
      return FNX_ERR_ALLOC;                                                                     \
    }                                                                                           \
    /* few row blocks: split the NC slab into column groups too, so every thread has work */   \
    const int64_t mblocks = fnx_cdiv(m, MC);                                                    \
    int64_t ngw = ncb;                                                                          \
    if (nt > 1 && mblocks < 4 * nt)                                                             \
      ngw = fnx_max64(NR, fnx_cdiv(fnx_cdiv(ncb, fnx_cdiv(4 * nt, mblocks)), NR) * NR);         \
    _Pragma("omp parallel num_threads(nt) if (nt > 1)")                                         \
    {                                                                                           \
      T *ap = apack + (size_t)omp_get_thread_num() * (size_t)(fnx_cdiv(MC, MR) * MR * kcb);     \
      for (int64_t jc = 0; jc < n; jc += NC) {                                                  \
        const int64_t nc = fnx_min64(NC, n - jc);                                               \
        const int64_t npanels = fnx_cdiv(nc, NR), ngroups = fnx_cdiv(nc, ngw);                  \
        for (int64_t pc = 0; pc < k; pc += KC) {                                                \
          const int64_t kc = fnx_min64(KC, k - pc);                                             \
          _Pragma("omp for schedule(static)")                                                   \
          for (int64_t jp = 0; jp < npanels; jp++)                                              \
            pack_b_##sfx(b + pc * n + jc + jp * NR, n, kc, fnx_min64(NR, nc - jp * NR),         \
                         bpack + jp * NR * kc);                                                 \
          int64_t packed_ic = -1;                                                               \
          _Pragma("omp for schedule(static)")                                                   \
          for (int64_t it = 0; it < mblocks * ngroups; it++) {                                  \
            const int64_t ic = (it / ngroups) * MC, g0 = (it % ngroups) * ngw;                  \
            const int64_t mc = fnx_min64(MC, m - ic), g1 = fnx_min64(nc, g0 + ngw);             \
            if (ic != packed_ic) { /* consecutive items share the row block */                  \
              pack_a_##sfx(a + ic * k + pc, k, mc, kc, ap);                                     \
              packed_ic = ic;                                                                   \
            }                                                                                   \
            for (int64_t jr = g0; jr < g1; jr += NR)                                            \
              for (int64_t ir = 0; ir < mc; ir += MR)                                           \
                micro_##sfx(kc, ap + ir * kc, bpack + jr * kc, c + (ic + ir) * n + jc + jr, n,  \
                            fnx_min64(MR, mc - ir), fnx_min64(NR, nc - jr), pc == 0);           \
          }                                                                                     \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
    free(bpack);                                                                                \
    free(apack);                                                                                \
    return FNX_OK;                                                                              \
  }                                                                                             \
  static int mm_##sfx(int64_t m, int64_t n, int64_t k, const T *a, const T *b, T *c, int nt) { \
    if (m <= 0 || n <= 0) return FNX_OK;                                                        \
    if (k <= 0) {                                                                               \
      memset(c, 0, (size_t)(m * n) * sizeof(T));                                                \
      return FNX_OK;                                                                            \
    }                                                                                           \
    if (n == 1) gemv_##sfx(m, k, a, b, c, nt);                                                  \
    else if (m == 1 || m * n * k <= 32768 || n < NR / 2) naive_##sfx(m, n, k, a, b, c, nt);     \
    else if (m <= SMALL_M && nt == 1) small_m_##sfx(m, n, k, a, b, c);                          \
    else return gemm_##sfx(m, n, k, a, b, c, nt);                                               \
    return FNX_OK;                                                                              \
  }                                                                                             \
  static int mmc_##sfx(int64_t m, int64_t n, int64_t k, const char *a, const char *b, char *c, \
                       int nt) {                                                                \
    return mm_##sfx(m, n, k, (const T *)a, (const T *)b, (T *)c, nt);                           \
  }

DEF_MATMUL(f32, float, float, 8, 32, FMA_F32)
DEF_MATMUL(f64, double, double, 8, 16, FMA_F64)
DEF_MATMUL(i32, int32_t, uint32_t, 8, 32, FMA_I32)
DEF_MATMUL(i64, int64_t, uint64_t, 4, 16, FMA_I64)

/* ---- float32 / float64 with SIMD register tiles (AVX-512 or AVX2 + FMA) --------------------
 * The MLP/LSTM shapes fnx trains on (m = 16..784, k = 16..784, n = 10..784) are too small for
 * the generic path above: its team-shared packed B costs barriers per KC slice (each one a
 * futex sleep / wake-up of tens of us under OMP_WAIT_POLICY=PASSIVE), and its plain-C tile
 * loses to edge handling (and reaches ~40% of the FMA peak on large products).  gemm_tiles.h is
 * the BLIS-style driver and micro-kernel, written once over a vector width; gemm_isa_avx512.h
 * and gemm_isa_avx2.h instantiate it per dtype and register tile (their tile sizes and why) and
 * define FNX_GEMM_TILES.  Machines with neither keep the generic path for everything. */
#if defined(__AVX512F__)
#include "gemm_isa_avx512.h"
#elif defined(__AVX2__) && defined(__FMA__)
#include "gemm_isa_avx2.h"
#endif

#if defined(FNX_GEMM_TILES)
/* The fast paths take m >= 2 and k >= 1 (m == 1 is one pass over B: the generic kernels) and
 * return FNX_ERR_UNSUPPORTED otherwise.  n <= DOTS_N runs as dot products along k (A read in
 * place: not for a transposed operand, which goes to the narrow tile instead). */
static int mm_fast(int dtype, int64_t m, int64_t n, int64_t k, const char *a, int ta,
                   const char *b, int tb, char *c, int nt, const fnx_epilogue *ep) {
  if (m <= 1 || n <= 0 || k <= 0) return FNX_ERR_UNSUPPORTED;
  const int dots = n <= DOTS_N && !ta && !tb;
  if (dtype == FNX_FLOAT32) {
    const float *fa = (const float *)a, *fb = (const float *)b;
    if (dots) return gemm_dots_s(m, n, k, fa, fb, (float *)c, nt, ep);
    return (n <= S_NARROW_N ? gemm_sn : gemm_s)(m, n, k, fa, ta, fb, tb, (float *)c, nt, ep);
  }
  if (dtype == FNX_FLOAT64) {
    const double *da = (const double *)a, *db = (const double *)b;
    if (dots) return gemm_dots_d(m, n, k, da, db, (double *)c, nt, ep);
    return (n <= D_NARROW_N ? gemm_dn : gemm_d)(m, n, k, da, ta, db, tb, (double *)c, nt, ep);
  }
  return FNX_ERR_UNSUPPORTED;
}
#else
static int mm_fast(int dtype, int64_t m, int64_t n, int64_t k, const char *a, int ta,
                   const char *b, int tb, char *c, int nt, const fnx_epilogue *ep) {
  (void)dtype, (void)m, (void)n, (void)k, (void)a, (void)ta, (void)b, (void)tb, (void)c;
  (void)nt, (void)ep;
  return FNX_ERR_UNSUPPORTED;
}
#endif

/* dst (cols, rows) = src (rows, cols)^T for elements of isz bytes, in 16 x 16 tiles */
static void transpose_copy(int64_t isz, int64_t rows, int64_t cols, const char *src, char *dst) {
  enum { T = 16 };
  for (int64_t i0 = 0; i0 < rows; i0 += T)
    for (int64_t j0 = 0; j0 < cols; j0 += T) {
      const int64_t i1 = fnx_min64(rows, i0 + T), j1 = fnx_min64(cols, j0 + T);
      for (int64_t j = j0; j < j1; j++)
        for (int64_t i = i0; i < i1; i++)
          memcpy(dst + (j * rows + i) * isz, src + (i * cols + j) * isz, (size_t)isz);
    }
}

/* `batch` (rows, cols) matrices transposed into a buffer from fnx_buffer_alloc (NULL: out of
 * memory), for the kernels that read their operands in the standard layout only */
static char *transposed_copy(int64_t isz, int64_t batch, int64_t rows, int64_t cols,
                             const char *src) {
  char *dst = fnx_buffer_alloc(fnx_max64(1, batch * rows * cols) * isz);
  if (!dst) return NULL;
  for (int64_t t = 0; t < batch; t++)
    transpose_copy(isz, rows, cols, src + t * rows * cols * isz, dst + t * rows * cols * isz);
  return dst;
}

/* the rows that the generic kernels wrote: c = act(c + bias) */
#define DEF_EPILOGUE(sfx, T, U, K)                                                             \
  static void epilogue_##sfx(int64_t m, int64_t n, T *c, const T *bias, int act) {             \
    for (int64_t i = 0; i < m; i++, c += n) {                                                   \
      if (bias)                                                                                 \
        for (int64_t j = 0; j < n; j++) c[j] = FNX_WADD(T, U, c[j], bias[j]);                   \
      if (act == FNX_ACT_RELU)                                                                  \
        for (int64_t j = 0; j < n; j++) c[j] = FNX_MAX_##K(c[j], (T)0);                         \
    }                                                                                           \
  }
DEF_EPILOGUE(f32, float, float, F)
DEF_EPILOGUE(f64, double, double, F)
DEF_EPILOGUE(i32, int32_t, uint32_t, I)
DEF_EPILOGUE(i64, int64_t, uint64_t, I)

static int matmul_one(int dtype, int64_t m, int64_t n, int64_t k, const char *a, int ta,
                      const char *b, int tb, char *c, int nt, const fnx_epilogue *ep);

/* a product with a transposed operand that the register tiles do not take (ints, m == 1, no
 * SIMD GEMM on this machine): the operand transposed into a scratch buffer first */
static int matmul_one_transposing(int dtype, int64_t m, int64_t n, int64_t k, const char *a,
                                  int ta, const char *b, int tb, char *c, int nt,
                                  const fnx_epilogue *ep) {
  const int64_t isz = fnx_itemsize(dtype);
  char *at = ta ? transposed_copy(isz, 1, k, m, a) : NULL;
  char *bt = tb ? transposed_copy(isz, 1, n, k, b) : NULL;
  int err = FNX_ERR_ALLOC;
  if ((!ta || at) && (!tb || bt))
    err = matmul_one(dtype, m, n, k, ta ? at : a, 0, tb ? bt : b, 0, c, nt, ep);
  if (at) fnx_buffer_free(at);
  if (bt) fnx_buffer_free(bt);
  return err;
}

/* one product: the register-tile path where it applies, else the generic kernel + epilogue
 * pass.  ta / tb: A given as (k, m), B as (n, k) (transposed, contiguous). */
static int matmul_one(int dtype, int64_t m, int64_t n, int64_t k, const char *a, int ta,
                      const char *b, int tb, char *c, int nt, const fnx_epilogue *ep) {
  int err = mm_fast(dtype, m, n, k, a, ta, b, tb, c, nt, ep);
  if (err != FNX_ERR_UNSUPPORTED) return err;
  if ((ta || tb) && k > 0) return matmul_one_transposing(dtype, m, n, k, a, ta, b, tb, c, nt, ep);
  switch (dtype) {
    case FNX_FLOAT32: err = mmc_f32(m, n, k, a, b, c, nt); break;
    case FNX_FLOAT64: err = mmc_f64(m, n, k, a, b, c, nt); break;
    case FNX_INT32: err = mmc_i32(m, n, k, a, b, c, nt); break;
    case FNX_INT64: err = mmc_i64(m, n, k, a, b, c, nt); break;
    default: return FNX_ERR_UNSUPPORTED;
  }
  if (err || !ep) return err;
  switch (dtype) {
    case FNX_FLOAT32: epilogue_f32(m, n, (float *)c, (const float *)ep->bias, ep->act); break;
    case FNX_FLOAT64: epilogue_f64(m, n, (double *)c, (const double *)ep->bias, ep->act); break;
    case FNX_INT32: epilogue_i32(m, n, (int32_t *)c, (const int32_t *)ep->bias, ep->act); break;
    default: epilogue_i64(m, n, (int64_t *)c, (const int64_t *)ep->bias, ep->act); break;
  }
  return FNX_OK;
}

static int matmul_batched(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k,
                          const char *a, int ta, const char *b, int tb, char *c,
                          const fnx_epilogue *ep) {
  const int64_t isz = fnx_itemsize(dtype);
  if (dtype != FNX_FLOAT32 && dtype != FNX_FLOAT64 && dtype != FNX_INT32 && dtype != FNX_INT64)
    return FNX_ERR_UNSUPPORTED;
  if (batch <= 0 || m <= 0 || n <= 0) return FNX_OK;
  const int64_t work = m * n * (k > 0 ? k : 1); /* multiply-adds per batch item */
  const int nt = fnx_team(batch * work, FNX_PAR_MIN_MATMUL);
  /* many small products: one per thread; otherwise the team works inside each product */
  if (nt > 1 && batch >= nt && work < (int64_t)128 * 128 * 128) {
    int err = FNX_OK;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < batch; t++) {
      int e = matmul_one(dtype, m, n, k, a + t * m * k * isz, ta, b + t * k * n * isz, tb,
                         c + t * m * n * isz, 1, ep);
      if (e) err = e;
    }
    return err;
  }
  for (int64_t t = 0; t < batch; t++) {
    int e = matmul_one(dtype, m, n, k, a + t * m * k * isz, ta, b + t * k * n * isz, tb,
                       c + t * m * n * isz, fnx_team(work, FNX_PAR_MIN_MATMUL), ep);
    if (e) return e;
  }
  return FNX_OK;
}

/* ---- complex64 / complex128: the 1m method (Van Zee & Smith, "Implementing high-performance
 * complex matrix multiplication via the 1m method", 2017) on the real kernels above.  Read as
 * a real matrix, a's complex (m, k) rows are (m, 2k) rows of interleaved parts; multiplied by
 * the real (2k, 2n) matrix b2 whose row 2p is b's row p as (re, im) parts and row 2p + 1 is
 * (-im, re) of it, they give c's complex (m, n) rows as (m, 2n) interleaved parts:
 *   c.re = sum_p a.re b.re - a.im b.im,   c.im = sum_p a.re b.im + a.im b.re.
 * One real GEMM with every real-path feature (tiles, threads, batching, the fused bias, which
 * is (2n,) real as it stands) at the 4 real multiplies per complex one of the textbook (4M)
 * method, and its accuracy: no Gauss/3M trick, whose a.re b.re + a.im b.im - ... cancellation
 * loses digits when the parts differ in magnitude.  Only b2 is built (2x b's size); a and c are
 * used in place. */
#define DEF_CPLX_EXPAND_B(C, name)                                                             \
  static void name(int64_t rows, int64_t n, const C *b, C *b2, int nt) {                       \
    _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")                   \
    for (int64_t p = 0; p < rows; p++) {                                                        \
      const C *src = b + 2 * p * n;                                                             \
      C *r0 = b2 + 4 * p * n, *r1 = r0 + 2 * n;                                                \
      memcpy(r0, src, (size_t)(2 * n) * sizeof(C));                                             \
      for (int64_t j = 0; j < n; j++) {                                                         \
        r1[2 * j] = -src[2 * j + 1];                                                            \
        r1[2 * j + 1] = src[2 * j];                                                             \
      }                                                                                         \
    }                                                                                           \
  }
DEF_CPLX_EXPAND_B(float, expand_b_c64)
DEF_CPLX_EXPAND_B(double, expand_b_c128)

static int matmul_complex(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k,
                          const char *a, const char *b, char *c, const fnx_epilogue *ep) {
  if (ep && ep->act != FNX_ACT_NONE) return FNX_ERR_UNSUPPORTED;
  const int rdt = fnx_complex_part_dtype(dtype);
  if (batch <= 0 || m <= 0 || n <= 0 || k <= 0) /* k == 0: zeros (+ bias) */
    return matmul_batched(rdt, batch, m, 2 * n, 0, a, 0, b, 0, c, ep);
  const int64_t rows = batch * k, rsz = fnx_itemsize(rdt);
  /* from the buffer cache: repeated products of one shape then skip the page faults of a
   * fresh allocation */
  char *b2 = fnx_buffer_alloc(rows * 4 * n * rsz);
  if (!b2) return FNX_ERR_ALLOC;
  const int nt = fnx_team(rows * n, FNX_PAR_MIN);
  if (rdt == FNX_FLOAT32) expand_b_c64(rows, n, (const float *)b, (float *)b2, nt);
  else expand_b_c128(rows, n, (const double *)b, (double *)b2, nt);
  const int err = matmul_batched(rdt, batch, m, 2 * n, 2 * k, a, 0, b2, 0, c, ep);
  fnx_buffer_free(b2);
  return err;
}

/* op(a) @ op(b) for any dtype; complex operands given transposed are transposed into scratch
 * first (the 1m expansion wants b's rows) */
static int matmul_any(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const char *a,
                      int ta, const char *b, int tb, char *c, const fnx_epilogue *ep) {
  if (!fnx_is_complex(dtype)) return matmul_batched(dtype, batch, m, n, k, a, ta, b, tb, c, ep);
  if (!ta && !tb) return matmul_complex(dtype, batch, m, n, k, a, b, c, ep);
  const int64_t isz = fnx_itemsize(dtype);
  char *at = ta ? transposed_copy(isz, batch, k, m, a) : NULL;
  char *bt = tb ? transposed_copy(isz, batch, n, k, b) : NULL;
  int err = FNX_ERR_ALLOC;
  if ((!ta || at) && (!tb || bt))
    err = matmul_complex(dtype, batch, m, n, k, ta ? at : a, tb ? bt : b, c, ep);
  if (at) fnx_buffer_free(at);
  if (bt) fnx_buffer_free(bt);
  return err;
}

int fnx_matmul_threads(int dtype, int64_t m, int64_t n, int64_t k, const char *a, const char *b,
                       char *c, int nt) {
  if (dtype != FNX_FLOAT32 && dtype != FNX_FLOAT64 && dtype != FNX_INT32 && dtype != FNX_INT64)
    return FNX_ERR_UNSUPPORTED;
  if (m <= 0 || n <= 0) return FNX_OK;
  return matmul_one(dtype, m, n, k, a, 0, b, 0, c, nt, NULL);
}

int fnx_matmul(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const char *a,
               const char *b, char *c) {
  return matmul_any(dtype, batch, m, n, k, a, 0, b, 0, c, NULL);
}

int fnx_matmul_ex(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const char *a,
                  int trans_a, const char *b, int trans_b, const char *bias, int act, char *c) {
  if (act != FNX_ACT_NONE && act != FNX_ACT_RELU) return FNX_ERR_UNSUPPORTED;
  trans_a = trans_a != 0, trans_b = trans_b != 0;
  if (!bias && act == FNX_ACT_NONE)
    return matmul_any(dtype, batch, m, n, k, a, trans_a, b, trans_b, c, NULL);
  fnx_epilogue ep;
  ep.bias = bias;
  ep.act = act;
  return matmul_any(dtype, batch, m, n, k, a, trans_a, b, trans_b, c, &ep);
}

int fnx_matmul_epilogue(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k,
                        const char *a, const char *b, const char *bias, int act, char *c) {
  return fnx_matmul_ex(dtype, batch, m, n, k, a, 0, b, 0, bias, act, c);
}

/* C (+)= A @ B on row-strided float32 / float64 matrices (lda, ldb, ldc >= the row lengths),
 * for the blocked decompositions of lapack.c: their trailing updates run in place on
 * sub-matrices of the factor.  AVX-512 / AVX2: the tile kernels above; else plain loops. */
int fnx_gemm_strided(int dtype, int64_t m, int64_t n, int64_t k, const char *a, int64_t lda,
                     const char *b, int64_t ldb, char *c, int64_t ldc, int accumulate, int nt) {
  if (m <= 0 || n <= 0) return FNX_OK;
#if defined(FNX_GEMM_TILES)
  if (k > 0 && dtype == FNX_FLOAT32)
    return gemm_ld_s(m, n, k, (const float *)a, lda, 0, (const float *)b, ldb, 0, (float *)c,
                     ldc, accumulate, nt, NULL);
  if (k > 0 && dtype == FNX_FLOAT64)
    return gemm_ld_d(m, n, k, (const double *)a, lda, 0, (const double *)b, ldb, 0, (double *)c,
                     ldc, accumulate, nt, NULL);
#endif
#define GEMM_STRIDED_LOOPS(T)                                                                  \
  for (int64_t i = 0; i < m; i++) {                                                            \
    T *cr = (T *)c + i * ldc;                                                                  \
    if (!accumulate)                                                                           \
      for (int64_t j = 0; j < n; j++) cr[j] = 0;                                               \
    for (int64_t p = 0; p < k; p++) {                                                          \
      const T av = ((const T *)a)[i * lda + p], *br = (const T *)b + p * ldb;                  \
      for (int64_t j = 0; j < n; j++) cr[j] += av * br[j];                                     \
    }                                                                                          \
  }
  (void)nt;
  if (dtype == FNX_FLOAT32) {
    GEMM_STRIDED_LOOPS(float)
  } else if (dtype == FNX_FLOAT64) {
    GEMM_STRIDED_LOOPS(double)
  } else {
    return FNX_ERR_UNSUPPORTED;
  }
#undef GEMM_STRIDED_LOOPS
  return FNX_OK;
}
