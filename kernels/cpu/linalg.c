/* fnx CPU kernels: batched matmul.
 *
 * GotoBLAS-style blocking in plain C: C is computed in NC-column slabs; for each KC-deep slice
 * B is packed into NR-wide panels (shared by the team) and A into MR-tall panels (per thread,
 * per MC-row block); an MR x NR register-tile micro-kernel, written so that gcc unrolls and
 * vectorizes the NR loop, does the flops.  Floats use fma (one rounding per multiply-add, like
 * BLAS) and accumulate in their own precision; ints use unsigned arithmetic so overflow wraps
 * like numpy without C UB.  float32 on AVX-512 machines takes the hand-written path at the end
 * of this file instead (float64 / ints keep this one). */
#include <omp.h>
#include "fnx_internal.h"

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

/* ---- float32 on AVX-512: hand-written register tile ---------------------------------------
 * The MLP/LSTM shapes fnx trains on (m = 16..784, k = 16..784, n = 10..784) are too small for
 * the generic path above: its team-shared packed B costs barriers per KC slice (each one a
 * futex sleep / wake-up of tens of us under OMP_WAIT_POLICY=PASSIVE), and its plain-C tile
 * loses to edge handling.  Here C is cut into work items (a row block of A times a group of
 * SNR-wide column panels) that the threads claim from a shared counter, with no barrier
 * inside: a thread that wakes late just takes fewer items.  Each thread packs its row block
 * of A once over the whole K (SMR-row panels, in L2; skipped when n is narrow and A would be
 * used by only one or two panels) and each KC x SNR panel of B into an L1-resident buffer
 * (skipped for m <= 16, where B is read in place: packing would cost as much as the
 * multiply).  The 8 x 32 register tile keeps 16 zmm accumulators, loads 2 vectors of B and
 * broadcasts 8 values of A per k step; partial tiles use masked loads / stores, so nothing
 * past the operands is read or written, and the zero padding only ever meets discarded
 * lanes (an inf in A never multiplies a padding 0 into a visible NaN). */
#if defined(__AVX512F__)
#include <immintrin.h>
#include <sched.h>

#define SMR 8
#define SNR 32
#define SKC 256
#define SMC 256
#define S_DIRECT_B_MAX_M 16 /* rows of A up to which B is read in place */
#define S_PAR_MIN ((int64_t)6 << 20) /* multiply-adds below which one thread is faster */
#define S_PACK_A_MIN_PANELS 3 /* pack A when it is reused by at least this many B panels */

/* C(r, :) (+)= sum over kc steps of A(r, p) B(p, :): A_AT(r) reads row r's current element,
 * A_STEP / B_STEP advance one k step, B_LOAD0/1 load B's two vectors.  Writes (mr, nr) <=
 * (SMR, SNR) of C; `add` adds to what C holds (the later KC slices). */
#define S_TILE_BODY(A_AT, A_STEP, B_LOAD0, B_LOAD1, B_STEP)                                \
  __m512 c0[SMR], c1[SMR];                                                                      \
  _Pragma("GCC unroll 8") for (int r = 0; r < SMR; r++) c0[r] = c1[r] = _mm512_setzero_ps();    \
  for (int64_t p = 0; p < kc; p++) {                                                            \
    const __m512 b0 = B_LOAD0, b1 = B_LOAD1;                                                    \
    _Pragma("GCC unroll 8") for (int r = 0; r < SMR; r++) {                                     \
      const __m512 av = _mm512_set1_ps(A_AT(r));                                                \
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);                                                   \
      c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);                                                   \
    }                                                                                           \
    B_STEP;                                                                                     \
    A_STEP;                                                                                     \
  }                                                                                             \
  if (mr == SMR && nr == SNR) {                                                                 \
    _Pragma("GCC unroll 8") for (int r = 0; r < SMR; r++) {                                     \
      float *cr = c + r * ldc;                                                                  \
      if (add) {                                                                                \
        c0[r] = _mm512_add_ps(_mm512_loadu_ps(cr), c0[r]);                                      \
        c1[r] = _mm512_add_ps(_mm512_loadu_ps(cr + 16), c1[r]);                                 \
      }                                                                                         \
      _mm512_storeu_ps(cr, c0[r]);                                                              \
      _mm512_storeu_ps(cr + 16, c1[r]);                                                         \
    }                                                                                           \
  } else {                                                                                      \
    const __mmask16 k0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1u);          \
    const __mmask16 k1 = nr >= 32 ? (__mmask16)0xffff                                          \
                         : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : (__mmask16)0;        \
    _Pragma("GCC unroll 8") for (int r = 0; r < SMR; r++) {                                     \
      if (r < mr) {                                                                             \
        float *cr = c + r * ldc;                                                                \
        if (add) {                                                                              \
          c0[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(k0, cr), c0[r]);                          \
          c1[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(k1, cr + 16), c1[r]);                     \
        }                                                                                       \
        _mm512_mask_storeu_ps(cr, k0, c0[r]);                                                   \
        _mm512_mask_storeu_ps(cr + 16, k1, c1[r]);                                              \
      }                                                                                         \
    }                                                                                           \
  }

/* A packed: ap[p * SMR + r] (zero rows past mr) */
static void stile_packed(int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc,
                         int mr, int nr, int add) {
#define S_AP(r) ap[r]
  S_TILE_BODY(S_AP, ap += SMR,
              _mm512_load_ps(bp), _mm512_load_ps(bp + 16), bp += SNR)
}

/* B read in place (row stride ldb; masked for nr < SNR): for few rows of A, where packing B
 * would cost about as much as the multiply */
static void stile_packed_db(int64_t kc, const float *ap, const float *bp, int64_t ldb, float *c,
                            int64_t ldc, int mr, int nr, int add) {
  const __mmask16 kb0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1u);
  const __mmask16 kb1 = nr >= 32 ? (__mmask16)0xffff
                        : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : (__mmask16)0;
  if (nr == SNR) {
    S_TILE_BODY(S_AP, ap += SMR,
                _mm512_loadu_ps(bp), _mm512_loadu_ps(bp + 16), bp += ldb)
  } else {
    S_TILE_BODY(S_AP, ap += SMR,
                _mm512_maskz_loadu_ps(kb0, bp), _mm512_maskz_loadu_ps(kb1, bp + 16), bp += ldb)
  }
}
#undef S_AP

/* A straight from the operand: SMR full rows at stride lda */
static void stile_rows(int64_t kc, const float *a, int64_t lda, const float *bp, float *c,
                       int64_t ldc, int nr, int add) {
  const int mr = SMR;
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda,
              *a5 = a + 5 * lda, *a6 = a + 6 * lda, *a7 = a + 7 * lda;
#define S_AR(r)                                                                      \
  ((r) == 0 ? *a0 : (r) == 1 ? *a1 : (r) == 2 ? *a2 : (r) == 3 ? *a3 : (r) == 4 ? *a4 \
   : (r) == 5 ? *a5 : (r) == 6 ? *a6 : *a7)
  S_TILE_BODY(S_AR, (a0++, a1++, a2++, a3++, a4++, a5++, a6++, a7++),
              _mm512_load_ps(bp), _mm512_load_ps(bp + 16), bp += SNR)
}

static void stile_rows_db(int64_t kc, const float *a, int64_t lda, const float *bp, int64_t ldb,
                          float *c, int64_t ldc, int nr, int add) {
  const int mr = SMR;
  const __mmask16 kb0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1u);
  const __mmask16 kb1 = nr >= 32 ? (__mmask16)0xffff
                        : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : (__mmask16)0;
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda,
              *a5 = a + 5 * lda, *a6 = a + 6 * lda, *a7 = a + 7 * lda;
  if (nr == SNR) {
    S_TILE_BODY(S_AR, (a0++, a1++, a2++, a3++, a4++, a5++, a6++, a7++),
                _mm512_loadu_ps(bp), _mm512_loadu_ps(bp + 16), bp += ldb)
  } else {
    S_TILE_BODY(S_AR, (a0++, a1++, a2++, a3++, a4++, a5++, a6++, a7++),
                _mm512_maskz_loadu_ps(kb0, bp), _mm512_maskz_loadu_ps(kb1, bp + 16), bp += ldb)
  }
}
#undef S_AR

/* B rows [0, kc) x cols [0, nr) (nr <= SNR) -> bp[p * SNR + j], zero padded */
static void spack_b(const float *b, int64_t ldb, int64_t kc, int nr, float *bp) {
  if (nr == SNR) {
    for (int64_t p = 0; p < kc; p++, b += ldb, bp += SNR) {
      _mm512_store_ps(bp, _mm512_loadu_ps(b));
      _mm512_store_ps(bp + 16, _mm512_loadu_ps(b + 16));
    }
  } else {
    const __mmask16 k0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1u);
    const __mmask16 k1 = nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : (__mmask16)0;
    for (int64_t p = 0; p < kc; p++, b += ldb, bp += SNR) {
      _mm512_store_ps(bp, _mm512_maskz_loadu_ps(k0, b));
      _mm512_store_ps(bp + 16, _mm512_maskz_loadu_ps(k1, b + 16));
    }
  }
}

/* A rows [0, mc) x cols [0, kc) -> SMR-row panels ap[panel][p][r], zero padded */
static void spack_a(const float *a, int64_t lda, int64_t mc, int64_t kc, float *ap) {
  for (int64_t ir = 0; ir < mc; ir += SMR, ap += SMR * kc) {
    const int64_t mr = fnx_min64(SMR, mc - ir);
    for (int64_t r = 0; r < SMR; r++) {
      const float *ar = a + (ir + r) * lda;
      if (r < mr)
        for (int64_t p = 0; p < kc; p++) ap[p * SMR + r] = ar[p];
      else
        for (int64_t p = 0; p < kc; p++) ap[p * SMR + r] = 0.0f;
    }
  }
}

/* per-thread scratch, kept between calls (OpenMP threads persist): no malloc/page faults on
 * the hot path.  s_abuf holds one packed row block of A over the whole K. */
static __thread float *s_abuf, *s_bbuf;
static __thread int64_t s_abuf_cap;

typedef struct {
  int64_t m, n, k, rb, gw, nrb, ngr;
  const float *a, *b;
  float *c;
  int pack_a;
} sgemm_job;

/* C[ic:ic+mc, jc:jc+nc] = A[ic:ic+mc, :] @ B[:, jc:jc+nc]; A's row block is packed into `ap`
 * already when job->pack_a (full K, SMR-row panels), else read in place (tails packed here). */
static void sgemm_item(const sgemm_job *jb, int64_t ic, int64_t mc, int64_t jc, int64_t nc,
                       const float *ap, float *bp, float *tail) {
  const int64_t k = jb->k, lda = k, ldb = jb->n, ldc = jb->n;
  const int64_t nks = fnx_cdiv(k, SKC), kcb = fnx_cdiv(k, nks); /* balanced KC slices */
  const int64_t mfull = jb->pack_a ? 0 : mc / SMR * SMR;
  const float *ablk = jb->a + ic * lda;
  for (int64_t pc = 0; pc < k; pc += kcb) {
    const int64_t kc = fnx_min64(kcb, k - pc);
    const int add = pc > 0;
    if (!jb->pack_a && mfull < mc) spack_a(ablk + mfull * lda + pc, lda, mc - mfull, kc, tail);
    for (int64_t jr = jc; jr < jc + nc; jr += SNR) {
      const int nr = (int)fnx_min64(SNR, jc + nc - jr);
      const float *bsrc = jb->b + pc * ldb + jr;
      float *cblk = jb->c + ic * ldc + jr;
      const float *pa = jb->pack_a ? ap + pc * SMR : tail;
      const int64_t pstride = jb->pack_a ? k * SMR : kc * SMR;
      int64_t ir = 0;
      if (mc <= S_DIRECT_B_MAX_M) {
        for (; ir < mfull; ir += SMR)
          stile_rows_db(kc, ablk + ir * lda + pc, lda, bsrc, ldb, cblk + ir * ldc, ldc, nr, add);
        for (; ir < mc; ir += SMR)
          stile_packed_db(kc, pa + ((ir - mfull) / SMR) * pstride, bsrc, ldb, cblk + ir * ldc,
                          ldc, (int)fnx_min64(SMR, mc - ir), nr, add);
        continue;
      }
      spack_b(bsrc, ldb, kc, nr, bp);
      for (; ir < mfull; ir += SMR)
        stile_rows(kc, ablk + ir * lda + pc, lda, bp, cblk + ir * ldc, ldc, nr, add);
      for (; ir < mc; ir += SMR)
        stile_packed(kc, pa + ((ir - mfull) / SMR) * pstride, bp, cblk + ir * ldc, ldc,
                     (int)fnx_min64(SMR, mc - ir), nr, add);
    }
  }
}

/* Work items (row block, column group), claimed from a shared counter so a thread that wakes
 * late (OMP_WAIT_POLICY=PASSIVE: tens of us here) simply takes fewer; no barriers inside. */
static int sgemm_worker(const sgemm_job *jb, int64_t *next, int nt) {
  if (!s_bbuf) s_bbuf = (float *)fnx_aligned_alloc(sizeof(float) * (SKC * SNR + SKC * SMR));
  const int64_t need = jb->pack_a ? fnx_cdiv(jb->rb, SMR) * SMR * jb->k : 0;
  if (need > s_abuf_cap) {
    free(s_abuf);
    s_abuf = (float *)fnx_aligned_alloc(sizeof(float) * (size_t)need);
    s_abuf_cap = s_abuf ? need : 0;
  }
  if (!s_bbuf || (need && !s_abuf)) return FNX_ERR_ALLOC;
  const int64_t nitems = jb->nrb * jb->ngr;
  int64_t packed_rb = -1;
  for (;;) {
    const int64_t it = nt > 1 ? __atomic_fetch_add(next, 1, __ATOMIC_RELAXED) : (*next)++;
    if (it >= nitems) break;
    const int64_t rbi = it / jb->ngr, gi = it % jb->ngr;
    const int64_t ic = rbi * jb->rb, mc = fnx_min64(jb->rb, jb->m - ic);
    const int64_t jc = gi * jb->gw, nc = fnx_min64(jb->gw, jb->n - jc);
    if (jb->pack_a && rbi != packed_rb) {
      spack_a(jb->a + ic * jb->k, jb->k, mc, jb->k, s_abuf);
      packed_rb = rbi;
    }
    sgemm_item(jb, ic, mc, jc, nc, s_abuf, s_bbuf, s_bbuf + SKC * SNR);
  }
  return FNX_OK;
}

/* C = A @ B, all contiguous, on a team of up to nt threads */
static int sgemm(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c,
                 int nt) {
  sgemm_job jb;
  jb.m = m, jb.n = n, jb.k = k, jb.a = a, jb.b = b, jb.c = c;
  const int64_t npanels = fnx_cdiv(n, SNR);
  jb.pack_a = npanels >= S_PACK_A_MIN_PANELS;
  /* row blocks: <= SMC rows, and the packed block (rows x K) within ~1 MiB */
  int64_t rb = fnx_min64(SMC, fnx_max64(SMR, (262144 / k) / SMR * SMR));
  jb.nrb = fnx_cdiv(m, rb);
  jb.rb = rb = fnx_cdiv(fnx_cdiv(m, jb.nrb), SMR) * SMR; /* balanced */
  /* column groups: enough items for the team to balance (>= 4 per thread) */
  int64_t g = npanels;
  if (nt > 1 && jb.nrb < 4 * nt) g = fnx_max64(1, npanels / fnx_cdiv(4 * nt, jb.nrb));
  jb.gw = g * SNR;
  jb.ngr = fnx_cdiv(npanels, g);
  if (nt > jb.nrb * jb.ngr) nt = (int)(jb.nrb * jb.ngr);
  int64_t next = 0;
  if (nt <= 1) return sgemm_worker(&jb, &next, 1);
  int err = FNX_OK, done = 0;
#pragma omp parallel num_threads(nt)
  {
    const int e = sgemm_worker(&jb, &next, nt);
    if (e) err = e;
    __atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
    /* The caller waits for the rest of the team here rather than sleeping in the closing
     * barrier (a futex wake-up costs tens of us on these VMs), so it arrives last and is not
     * woken late.  It yields rather than spins, in case a team thread shares its core (an
     * oversubscribed machine), and gives up after a while (the barrier then waits). */
    if (omp_get_thread_num() == 0) {
      for (int i = 0; i < 4096 && __atomic_load_n(&done, __ATOMIC_ACQUIRE) < omp_get_num_threads();
           i++) {
        if (i < 64) _mm_pause();
        else sched_yield();
      }
    }
  }
  return err;
}

/* n == 1 and m == 1 (a dot product per row, one pass over B) stay on the generic kernels */
static int mmc_f32_fast(int64_t m, int64_t n, int64_t k, const char *a, const char *b, char *c,
                        int nt) {
  if (m <= 0 || n <= 0 || k <= 0 || n == 1 || m == 1) return mmc_f32(m, n, k, a, b, c, nt);
  /* Waking the sleeping second thread costs ~tens of us here, more than it saves below ~6M
   * multiply-adds (~40 us on one core) - measured: 4M ran slower on 2 threads, 6M and up faster
   * (FNX_PAR_MIN_MATMUL, 2M, is tuned for the generic kernels). */
  if (m * n * k < S_PAR_MIN) nt = 1;
  return sgemm(m, n, k, (const float *)a, (const float *)b, (float *)c, nt);
}
#define MMC_F32 mmc_f32_fast
#else
#define MMC_F32 mmc_f32
#endif

int fnx_matmul(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const char *a,
               const char *b, char *c) {
  const int64_t isz = fnx_itemsize(dtype);
  int (*mm)(int64_t, int64_t, int64_t, const char *, const char *, char *, int);
  switch (dtype) {
    case FNX_FLOAT32: mm = MMC_F32; break;
    case FNX_FLOAT64: mm = mmc_f64; break;
    case FNX_INT32: mm = mmc_i32; break;
    case FNX_INT64: mm = mmc_i64; break;
    default: return FNX_ERR_UNSUPPORTED;
  }
  if (batch <= 0 || m <= 0 || n <= 0) return FNX_OK;
  const int64_t work = m * n * (k > 0 ? k : 1); /* multiply-adds per batch item */
  const int nt = fnx_team(batch * work, FNX_PAR_MIN_MATMUL);
  /* many small products: one per thread; otherwise the team works inside each product */
  if (nt > 1 && batch >= nt && work < (int64_t)128 * 128 * 128) {
    int err = FNX_OK;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < batch; t++) {
      int e = mm(m, n, k, a + t * m * k * isz, b + t * k * n * isz, c + t * m * n * isz, 1);
      if (e) err = e;
    }
    return err;
  }
  for (int64_t t = 0; t < batch; t++) {
    int e = mm(m, n, k, a + t * m * k * isz, b + t * k * n * isz, c + t * m * n * isz,
               fnx_team(work, FNX_PAR_MIN_MATMUL));
    if (e) return e;
  }
  return FNX_OK;
}
