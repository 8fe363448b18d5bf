/* fnx CPU kernels: unblocked Cholesky, LU and triangular solve for small matrices (at most
 * L_SMALL_N rows and columns), a dtype-generic template included by lapack_tmpl.h (which
 * defines L()).  A batch of such matrices runs one matrix per thread, so these are plain
 * loops over a cache-resident matrix: no heap allocation, no copies beyond the output, no
 * GEMM set-up, and every inner loop runs over a contiguous row (vectorized axpy / dot). */

#define L_SMALL_N 64
/* the most right-hand-side elements a small triangular solve takes on one thread */
#define L_SMALL_RHS (64 * 256)

/* one 64-byte vector of LT; the stack work matrices below have rows padded to a multiple of
 * it, so their updates run whole vectors from an aligned start (no scalar peel or tail loops,
 * which cost more than the arithmetic at these sizes) */
#define L_VL (64 / (int)sizeof(LT))
#define L_PAD(n) (((n) + L_VL - 1) / L_VL * L_VL)

/* y[c] -= f x[c] for c in [c0, c1), both multiples of L_VL, y and x 64-byte aligned */
static inline void L(axpy_vl)(int64_t c0, int64_t c1, LT f, const LT *restrict x,
                              LT *restrict y) {
  for (int64_t c = c0; c < c1; c += L_VL) {
#pragma omp simd aligned(x, y : 64)
    for (int t = 0; t < L_VL; t++) y[c + t] -= f * x[c + t];
  }
}

/* Cholesky a = l l^T from a's lower triangle (n <= L_SMALL_N).  Right-looking on u = l^T
 * held row-major on the stack: column k of the lower triangle is row k of u, so the trailing
 * update u[i][i:] -= u[k][i] u[k][i:] is a contiguous axpy (run from i's vector start: u's
 * strict lower part is scratch).  Non-positive pivot: all NaN. */
static void L(cholesky_small)(int64_t n, const LT *a, LT *l) {
  LT u[L_SMALL_N * L_SMALL_N] __attribute__((aligned(64)));
  const int64_t ld = L_PAD(n);
  for (int64_t i = 0; i < n; i++) { /* u[j][i] = a[i][j] for j <= i */
    for (int64_t j = 0; j <= i; j++) u[j * ld + i] = a[i * n + j];
    for (int64_t j = 0; j < i; j++) u[i * ld + j] = 0;
    for (int64_t j = n; j < ld; j++) u[i * ld + j] = 0;
  }
  for (int64_t k = 0; k < n; k++) {
    LT *uk = u + k * ld;
    const LT s = uk[k];
    if (!(s > 0)) { /* also NaN */
      for (int64_t i = 0; i < n * n; i++) l[i] = (LT)NAN;
      return;
    }
    const LT d = (LT)sqrt((double)s);
    uk[k] = d;
#pragma omp simd
    for (int64_t j = k + 1; j < n; j++) uk[j] /= d;
    for (int64_t i = k + 1; i < n; i++)
      L(axpy_vl)(i / L_VL * L_VL, ld, uk[i], uk, u + i * ld);
  }
  for (int64_t i = 0; i < n; i++) {
    LT *li = l + i * n;
    for (int64_t j = 0; j <= i; j++) li[j] = u[j * ld + i];
    for (int64_t j = i + 1; j < n; j++) li[j] = 0;
  }
}

/* LU with partial pivoting of a (m x n, in place, max(m, n) <= L_SMALL_N), right-looking:
 * the pivot is the first largest |a[i][j]| (LAPACK's choice), whole rows swap, and each row
 * below takes a contiguous axpy of the pivot row.  A zero pivot leaves its column unscaled. */
static void L(lu_small)(int64_t m, int64_t n, LT *a, int32_t *piv, int32_t *perm) {
  const int64_t k = fnx_min64(m, n);
  for (int64_t i = 0; i < m; i++) perm[i] = (int32_t)i;
  for (int64_t j = 0; j < k; j++) {
    L(pivot_step)(a, m, n, j, piv, perm);
    const LT *aj = a + j * n;
    const LT d = aj[j];
    for (int64_t i = j + 1; i < m; i++) {
      LT *ai = a + i * n;
      if (d != 0) ai[j] /= d;
      const LT f = ai[j];
#pragma omp simd
      for (int64_t c = j + 1; c < n; c++) ai[c] -= f * aj[c];
    }
  }
}

/* x (m x n) op(a) = b row by row, op(a) = a or a^T (n x n), a lower or upper; x holds b on
 * entry.  Untransposed a: the row solve walks a's rows as axpys (x[p] is final once the rows
 * before it (upper) or after it (lower) have been subtracted); transposed: each x[j] is a dot
 * of x with a contiguous part of a's row j. */
static void L(trsm_right_small)(int64_t m, int64_t n, const LT *a, LT *x, int lower, int trans,
                                int unit) {
  for (int64_t r = 0; r < m; r++) {
    LT *xr = x + r * n;
    if (!trans && !lower) { /* x U = b: forward over p */
      for (int64_t p = 0; p < n; p++) {
        const LT *ap = a + p * n;
        if (!unit) xr[p] /= ap[p];
        const LT f = xr[p];
#pragma omp simd
        for (int64_t j = p + 1; j < n; j++) xr[j] -= f * ap[j];
      }
    } else if (!trans) { /* x L = b: backward over p */
      for (int64_t p = n - 1; p >= 0; p--) {
        const LT *ap = a + p * n;
        if (!unit) xr[p] /= ap[p];
        const LT f = xr[p];
#pragma omp simd
        for (int64_t j = 0; j < p; j++) xr[j] -= f * ap[j];
      }
    } else if (lower) { /* x L^T = b: x[j] = (b[j] - x[:j] . a[j][:j]) / a[j][j] */
      for (int64_t j = 0; j < n; j++) {
        const LT v = xr[j] - L(dot)(j, xr, a + j * n);
        xr[j] = unit ? v : v / a[j * n + j];
      }
    } else { /* x U^T = b: x[j] = (b[j] - x[j+1:] . a[j][j+1:]) / a[j][j] */
      for (int64_t j = n - 1; j >= 0; j--) {
        const LT v = xr[j] - L(dot)(n - 1 - j, xr + j + 1, a + j * n + j + 1);
        xr[j] = unit ? v : v / a[j * n + j];
      }
    }
  }
}

/* op(a) x = b for a (m x m), x (m x n) holding b on entry: substitution over x's rows, each
 * step a contiguous axpy of a solved row into the next one (e = op(a) read element-wise). */
static void L(trsm_left_small)(int64_t m, int64_t n, const LT *a, LT *x, int lower, int trans,
                               int unit) {
  if (n == 1) { /* a column: the row-vector solve x^T op(a)^T = b^T */
    L(trsm_right_small)(1, m, a, x, lower, !trans, unit);
    return;
  }
  const int fwd = lower ^ trans; /* op(a) lower: forward substitution */
  for (int64_t s = 0; s < m; s++) {
    const int64_t i = fwd ? s : m - 1 - s;
    LT *xi = x + i * n;
    const int64_t p0 = fwd ? 0 : i + 1, p1 = fwd ? i : m;
    for (int64_t p = p0; p < p1; p++) {
      const LT e = trans ? a[p * m + i] : a[i * m + p];
      const LT *xp = x + p * n;
#pragma omp simd
      for (int64_t j = 0; j < n; j++) xi[j] -= e * xp[j];
    }
    if (!unit) {
      const LT d = a[i * m + i];
#pragma omp simd
      for (int64_t j = 0; j < n; j++) xi[j] /= d;
    }
  }
}
