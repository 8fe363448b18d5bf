/* fnx CPU kernels: Cholesky, triangular solve, LU and QR of one row-major matrix, a
 * dtype-generic template (not a header of its own).  lapack.c includes it once per dtype after
 * defining LT (element type), LSFX (name suffix), LDT (fnx dtype code), LEPS (unit roundoff).
 *
 * Big matrices run blocked: the diagonal blocks are factored (or inverted) by short loops and
 * every trailing update is one call of the threaded AVX-512 GEMM (fnx_gemm_strided) on the
 * sub-matrices in place.  Written from the textbook algorithms (Golub & Van Loan ch. 3-5). */

#define LCAT2(a, b) a##_##b
#define LCAT(a, b) LCAT2(a, b)
#define L(name) LCAT(name, LSFX)

/* products below this many multiply-adds run as plain loops (no copies, no GEMM set-up) */
#define L_SMALL_GEMM 16384

static LT L(dot)(int64_t n, const LT *x, const LT *y) {
  LT s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

static void L(axpy)(int64_t n, LT a, const LT *x, LT *y) { /* y -= a x */
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] -= a * x[i];
}

static void L(swap_rows)(LT *x, LT *y, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) {
    const LT t = x[j];
    x[j] = y[j], y[j] = t;
  }
}

/* LU's pivoting at column j of the (m x n) row-major a: the row of the first largest |a[i][j]|
 * (i >= j; LAPACK's choice) is recorded in piv[j] and swapped, whole, with row j (perm
 * follows).  Shared by the small and the blocked LU. */
static void L(pivot_step)(LT *a, int64_t m, int64_t n, int64_t j, int32_t *piv, int32_t *perm) {
  int64_t p = j;
  LT best = (LT)fabs((double)a[j * n + j]);
  for (int64_t i = j + 1; i < m; i++) {
    const LT v = (LT)fabs((double)a[i * n + j]);
    if (v > best) best = v, p = i;
  }
  piv[j] = (int32_t)p;
  if (p == j) return;
  L(swap_rows)(a + j * n, a + p * n, n);
  const int32_t t = perm[j];
  perm[j] = perm[p], perm[p] = t;
}

#include "lapack_small_tmpl.h"

/* C -= A @ B (bt: A @ B^T, B given as n x k); A m x k.  Big: a negated copy of A (and B^T
 * when bt) feeds the accumulating GEMM, which works on C in place. */
static int L(gemm_sub)(int64_t m, int64_t n, int64_t k, const LT *a, int64_t lda, const LT *b,
                       int64_t ldb, int bt, LT *c, int64_t ldc, int nt) {
  if (m <= 0 || n <= 0 || k <= 0) return FNX_OK;
  if (m * n * k <= L_SMALL_GEMM) {
    for (int64_t i = 0; i < m; i++) {
      LT *cr = c + i * ldc;
      if (bt) {
        for (int64_t j = 0; j < n; j++) cr[j] -= L(dot)(k, a + i * lda, b + j * ldb);
      } else {
        for (int64_t p = 0; p < k; p++) L(axpy)(n, a[i * lda + p], b + p * ldb, cr);
      }
    }
    return FNX_OK;
  }
  LT *na = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(m * k + (bt ? k * n : 0)));
  if (!na) return FNX_ERR_ALLOC;
  for (int64_t i = 0; i < m; i++)
    for (int64_t p = 0; p < k; p++) na[i * k + p] = -a[i * lda + p];
  const LT *bb = b;
  int64_t lb = ldb;
  if (bt) {
    LT *tb = na + m * k;
    for (int64_t j = 0; j < n; j++)
      for (int64_t p = 0; p < k; p++) tb[p * n + j] = b[j * ldb + p];
    bb = tb, lb = n;
  }
  int err = fnx_gemm_strided(LDT, m, n, k, (const char *)na, k, (const char *)bb, lb,
                             (char *)c, ldc, 1, nt);
  free(na);
  return err;
}

/* inv (n x n, contiguous) = the inverse of the lower triangle of a (unit: ones on its
 * diagonal), row by row: inv[i] = (e_i - sum_{p<i} a[i][p] inv[p]) / a[i][i] */
static void L(trinv_lower)(int64_t n, const LT *a, int64_t lda, int unit, LT *inv) {
  for (int64_t i = 0; i < n; i++) {
    LT *row = inv + i * n;
    for (int64_t j = 0; j < n; j++) row[j] = 0;
    row[i] = 1;
    for (int64_t p = 0; p < i; p++) L(axpy)(p + 1, a[i * lda + p], inv + p * n, row);
    if (!unit) {
      const LT d = a[i * lda + i];
      for (int64_t j = 0; j <= i; j++) row[j] /= d;
    }
  }
}

/* x (r x n, ldx) = x @ inv^T for inv (n x n): a copy of x times inv^T through the GEMM */
static int L(times_inv_t)(int64_t r, int64_t n, const LT *inv, LT *x, int64_t ldx, int nt) {
  LT *w = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(r * n + n * n));
  if (!w) return FNX_ERR_ALLOC;
  LT *invt = w + r * n;
  for (int64_t i = 0; i < r; i++) memcpy(w + i * n, x + i * ldx, sizeof(LT) * (size_t)n);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) invt[j * n + i] = inv[i * n + j];
  int err = fnx_gemm_strided(LDT, r, n, n, (const char *)w, n, (const char *)invt, n,
                             (char *)x, ldx, 0, nt);
  free(w);
  return err;
}

/* x (n x nc, ldx) = inv @ x for inv (n x n) */
static int L(inv_times)(int64_t n, int64_t nc, const LT *inv, LT *x, int64_t ldx, int nt) {
  LT *w = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(n * nc));
  if (!w) return FNX_ERR_ALLOC;
  for (int64_t i = 0; i < n; i++) memcpy(w + i * nc, x + i * ldx, sizeof(LT) * (size_t)nc);
  int err = fnx_gemm_strided(LDT, n, nc, n, (const char *)inv, n, (const char *)w, nc,
                             (char *)x, ldx, 0, nt);
  free(w);
  return err;
}

/* ---- triangular solve: e X = B for lower-triangular e (m x m), X (m x n) in place -------- */
#define L_TRSM_NB 64

static int L(trsm_lower)(int64_t m, int64_t n, const LT *e, int64_t lde, int unit, LT *x,
                         int64_t ldx, int nt) {
  LT *inv = NULL;
  int err = FNX_OK;
  for (int64_t i0 = 0; i0 < m && !err; i0 += L_TRSM_NB) {
    const int64_t bs = fnx_min64(L_TRSM_NB, m - i0);
    LT *xb = x + i0 * ldx;
    /* left-looking: subtract what the rows solved so far contribute (one GEMM, k = i0) */
    err = L(gemm_sub)(bs, n, i0, e + i0 * lde, lde, x, ldx, 0, xb, ldx, nt);
    if (err) break;
    if (n * bs <= 4 * L_TRSM_NB) { /* few columns: substitution */
      for (int64_t i = 0; i < bs; i++) {
        LT *xi = xb + i * ldx;
        const LT *ei = e + (i0 + i) * lde + i0;
        for (int64_t p = 0; p < i; p++) L(axpy)(n, ei[p], xb + p * ldx, xi);
        if (!unit)
          for (int64_t j = 0; j < n; j++) xi[j] /= ei[i];
      }
      continue;
    }
    if (!inv && !(inv = (LT *)fnx_aligned_alloc(sizeof(LT) * L_TRSM_NB * L_TRSM_NB)))
      return FNX_ERR_ALLOC;
    L(trinv_lower)(bs, e + i0 * lde + i0, lde, unit, inv);
    err = L(inv_times)(bs, n, inv, xb, ldx, nt);
  }
  free(inv);
  return err;
}

/* op(a) X = b (left) or X op(a) = b (right), op(a) = a or a^T, a lower or upper: every case
 * becomes a lower-triangular left solve on an explicit copy e of op(a)'s triangle (reversed
 * in both axes when op(a) is upper, with b's rows reversed to match).  A right-side solve is
 * the left solve of the transposed system. */
static int L(triangular_solve)(int64_t m, int64_t n, const LT *a, const LT *b, LT *x, int left,
                               int lower, int trans, int unit, int nt) {
  if (m == 0 || n == 0) return FNX_OK;
  /* a small triangle and a right-hand side that is small too: substitution on x in place (a
   * wide right-hand side keeps the blocked path, whose GEMM updates use every thread) */
  if ((left ? m : n) <= L_SMALL_N && m * n <= L_SMALL_RHS) {
    if (x != b) memmove(x, b, sizeof(LT) * (size_t)(m * n));
    if (left)
      L(trsm_left_small)(m, n, a, x, lower, trans, unit);
    else
      L(trsm_right_small)(m, n, a, x, lower, trans, unit);
    return FNX_OK;
  }
  if (!left) { /* X op(a) = b  <=>  op(a)^T X^T = b^T */
    LT *w = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(2 * m * n));
    if (!w) return FNX_ERR_ALLOC;
    LT *bt = w, *xt = w + m * n;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) bt[j * m + i] = b[i * n + j];
    int err = L(triangular_solve)(n, m, a, bt, xt, 1, lower, !trans, unit, nt);
    for (int64_t i = 0; i < m && !err; i++)
      for (int64_t j = 0; j < n; j++) x[i * n + j] = xt[j * m + i];
    free(w);
    return err;
  }
  const int eff_lower = lower ^ trans;
  LT *e = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(m * m));
  if (!e) return FNX_ERR_ALLOC;
  for (int64_t i = 0; i < m; i++) {
    const int64_t oi = eff_lower ? i : m - 1 - i;
    for (int64_t j = 0; j <= i; j++) {
      const int64_t oj = eff_lower ? j : m - 1 - j;
      e[i * m + j] = (i == j && unit) ? (LT)1 : trans ? a[oj * m + oi] : a[oi * m + oj];
    }
    for (int64_t j = i + 1; j < m; j++) e[i * m + j] = 0;
    memcpy(x + i * n, b + oi * n, sizeof(LT) * (size_t)n);
  }
  int err = L(trsm_lower)(m, n, e, m, 0, x, n, nt);
  if (!eff_lower) /* undo the row reversal */
    for (int64_t i = 0; i < m / 2; i++) {
      LT *r0 = x + i * n, *r1 = x + (m - 1 - i) * n;
      for (int64_t j = 0; j < n; j++) {
        LT t = r0[j];
        r0[j] = r1[j], r1[j] = t;
      }
    }
  free(e);
  return err;
}

/* ---- Cholesky: a = l l^T, l lower ---------------------------------------------------------- */
#define L_CHOL_NB 128

/* the n x n diagonal block at a (row stride lda), its earlier columns already subtracted:
 * row-oriented Crout (dot products of contiguous rows).  -1 on a non-positive pivot. */
static int L(chol_block)(int64_t n, LT *a, int64_t lda) {
  for (int64_t j = 0; j < n; j++) {
    LT *rj = a + j * lda;
    const LT s = rj[j] - L(dot)(j, rj, rj);
    if (!(s > 0)) return -1; /* also NaN */
    const LT d = (LT)sqrt((double)s);
    rj[j] = d;
    for (int64_t i = j + 1; i < n; i++) {
      LT *ri = a + i * lda;
      ri[j] = (ri[j] - L(dot)(j, ri, rj)) / d;
    }
  }
  return 0;
}

/* l (n x n) from a's lower triangle; left-looking blocked: each block column first takes the
 * GEMM update by all earlier columns, then its diagonal block is factored and the rows below
 * are multiplied by the block's inverse transpose (a GEMM again). */
static int L(cholesky)(int64_t n, const LT *a, LT *l, int nt) {
  if (n <= L_SMALL_N) {
    L(cholesky_small)(n, a, l);
    return FNX_OK;
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) l[i * n + j] = j <= i ? a[i * n + j] : (LT)0;
  int bad = 0, err = FNX_OK;
  LT *inv = NULL;
  for (int64_t j0 = 0; j0 < n && !bad && !err; j0 += L_CHOL_NB) {
    const int64_t jb = fnx_min64(L_CHOL_NB, n - j0), below = n - j0 - jb;
    LT *blk = l + j0 * n + j0;
    err = L(gemm_sub)(n - j0, jb, j0, l + j0 * n, n, l + j0 * n, n, 1, l + j0 * n + j0, n, nt);
    if (err) break;
    if (L(chol_block)(jb, blk, n)) {
      bad = 1;
      break;
    }
    if (below == 0) break;
    if (below * jb * jb <= L_SMALL_GEMM) { /* substitution row by row */
      for (int64_t i = j0 + jb; i < n; i++) {
        LT *ri = l + i * n + j0;
        for (int64_t j = 0; j < jb; j++) ri[j] = (ri[j] - L(dot)(j, ri, blk + j * n)) / blk[j * n + j];
      }
      continue;
    }
    if (!inv && !(inv = (LT *)fnx_aligned_alloc(sizeof(LT) * L_CHOL_NB * L_CHOL_NB))) {
      err = FNX_ERR_ALLOC;
      break;
    }
    L(trinv_lower)(jb, blk, n, 0, inv);
    err = L(times_inv_t)(below, jb, inv, l + (j0 + jb) * n + j0, n, nt);
  }
  free(inv);
  if (bad) {
    for (int64_t i = 0; i < n * n; i++) l[i] = (LT)NAN;
    return err;
  }
  for (int64_t i = 0; i < n; i++) /* the GEMM updates wrote above the diagonal blocks' diagonal */
    for (int64_t j = i + 1; j < n; j++) l[i * n + j] = 0;
  return err;
}

/* ---- LU with partial pivoting --------------------------------------------------------------- */
#define L_LU_NB 128
#define L_LU_LEAF 8

/* columns [c0, c0 + cw) over rows [c0, m), recursively (left half, its U block row by a
 * triangular solve, the right half's GEMM update, the right half); pivoting swaps whole rows
 * of the (m x n) matrix, so the other columns follow at once. */
static int L(lu_panel)(LT *a, int64_t m, int64_t n, int64_t c0, int64_t cw, int32_t *piv,
                       int32_t *perm, int nt) {
  if (cw <= L_LU_LEAF) {
    const int64_t c1 = c0 + cw;
    for (int64_t j = c0; j < c1; j++) {
      L(pivot_step)(a, m, n, j, piv, perm);
      const LT d = a[j * n + j];
      if (d != 0)
        for (int64_t i = j + 1; i < m; i++) a[i * n + j] /= d;
      for (int64_t i = j + 1; i < m; i++) L(axpy)(c1 - j - 1, a[i * n + j], a + j * n + j + 1, a + i * n + j + 1);
    }
    return FNX_OK;
  }
  const int64_t h = cw / 2;
  int err = L(lu_panel)(a, m, n, c0, h, piv, perm, nt);
  if (!err) err = L(trsm_lower)(h, cw - h, a + c0 * n + c0, n, 1, a + c0 * n + c0 + h, n, nt);
  if (!err)
    err = L(gemm_sub)(m - c0 - h, cw - h, h, a + (c0 + h) * n + c0, n, a + c0 * n + c0 + h, n, 0,
                      a + (c0 + h) * n + c0 + h, n, nt);
  if (!err) err = L(lu_panel)(a, m, n, c0 + h, cw - h, piv, perm, nt);
  return err;
}

/* lu (m x n) holds a's copy on entry; right-looking blocked LU */
static int L(lu)(int64_t m, int64_t n, LT *a, int32_t *piv, int32_t *perm, int nt) {
  if (m <= L_SMALL_N && n <= L_SMALL_N) {
    L(lu_small)(m, n, a, piv, perm);
    return FNX_OK;
  }
  const int64_t k = fnx_min64(m, n);
  for (int64_t i = 0; i < m; i++) perm[i] = (int32_t)i;
  int err = FNX_OK;
  for (int64_t j0 = 0; j0 < k && !err; j0 += L_LU_NB) {
    const int64_t jb = fnx_min64(L_LU_NB, k - j0), j1 = j0 + jb;
    err = L(lu_panel)(a, m, n, j0, jb, piv, perm, nt);
    if (err || j1 >= n) break;
    err = L(trsm_lower)(jb, n - j1, a + j0 * n + j0, n, 1, a + j0 * n + j1, n, nt);
    if (!err && j1 < m)
      err = L(gemm_sub)(m - j1, n - j1, jb, a + j1 * n + j0, n, a + j0 * n + j1, n, 0,
                        a + j1 * n + j1, n, nt);
  }
  return err;
}

/* ---- QR (Householder, compact WY) ---------------------------------------------------------- */
#define L_QR_NB 32

/* sqrt(sum x_i^2) over n values of stride inc, scaled so it neither overflows nor underflows */
static LT L(norm2)(int64_t n, const LT *x, int64_t inc) {
  double scale = 0;
  for (int64_t i = 0; i < n; i++) {
    const double v = fabs((double)x[i * inc]);
    if (v != v) return (LT)NAN;
    if (v > scale) scale = v;
  }
  if (scale == 0 || isinf(scale)) return (LT)scale;
  double s = 0;
  for (int64_t i = 0; i < n; i++) {
    const double v = (double)x[i * inc] / scale;
    s += v * v;
  }
  return (LT)(scale * sqrt(s));
}

/* The reflector H = I - tau v v^T (v[0] = 1) with H x = beta e_1 for the n values of x
 * (stride inc); beta = -sign(alpha) ||x|| (LAPACK's sign, so R's diagonal matches numpy),
 * tau = 0 when x[1:] is zero.  x becomes (beta, v[1:]). */
static LT L(householder)(int64_t n, LT *x, int64_t inc) {
  if (n <= 1) return 0;
  const LT xnorm = L(norm2)(n - 1, x + inc, inc);
  if (xnorm == 0) return 0;
  const LT alpha = x[0];
  const LT beta = -copysign((LT)hypot((double)alpha, (double)xnorm), alpha);
  const LT tau = (beta - alpha) / beta, scale = 1 / (alpha - beta);
  for (int64_t i = 1; i < n; i++) x[i * inc] *= scale;
  x[0] = beta;
  return tau;
}

/* apply H = I - tau v v^T (v: stride incv, v[0] = 1 implied) from the left to c (mm x nc) */
static void L(apply_reflector)(int64_t mm, int64_t nc, const LT *v, int64_t incv, LT tau, LT *c,
                               int64_t ldc, LT *w) {
  if (tau == 0 || nc <= 0) return;
  memcpy(w, c, sizeof(LT) * (size_t)nc);
  for (int64_t i = 1; i < mm; i++) L(axpy)(nc, -v[i * incv], c + i * ldc, w);
  L(axpy)(nc, tau, w, c);
  for (int64_t i = 1; i < mm; i++) L(axpy)(nc, tau * v[i * incv], w, c + i * ldc);
}

/* Apply the jb reflectors stored below the diagonal of the panel p (mm x jb, stride ldp) to c
 * (mm x nc): their product Q = H_1 ... H_jb as Q^T c (transpose) or Q c.  Big: compact WY,
 * Q = I - V T V^T with T upper triangular, two GEMMs; small: one reflector at a time. */
static int L(apply_panel)(int64_t mm, int64_t jb, const LT *p, int64_t ldp, const LT *tau,
                          LT *c, int64_t ldc, int64_t nc, int transpose, int nt) {
  if (nc <= 0 || mm <= 0) return FNX_OK;
  if (mm * nc * jb <= 8 * L_SMALL_GEMM) {
    LT *w = (LT *)malloc(sizeof(LT) * (size_t)nc);
    if (!w) return FNX_ERR_ALLOC;
    for (int64_t t = 0; t < jb; t++) {
      const int64_t j = transpose ? t : jb - 1 - t;
      L(apply_reflector)(mm - j, nc, p + j * ldp + j, ldp, tau[j], c + j * ldc, ldc, w);
    }
    free(w);
    return FNX_OK;
  }
  LT *buf = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(2 * mm * jb + jb * jb + jb * nc));
  if (!buf) return FNX_ERR_ALLOC;
  LT *v = buf, *vt = v + mm * jb, *t = vt + mm * jb, *z = t + jb * jb;
  for (int64_t i = 0; i < mm; i++)
    for (int64_t j = 0; j < jb; j++) {
      const LT x = i > j ? p[i * ldp + j] : i == j ? (LT)1 : (LT)0;
      v[i * jb + j] = x, vt[j * mm + i] = x;
    }
  /* T: T[j][j] = tau_j, T[0:j, j] = -tau_j T[0:j, 0:j] (V[:, 0:j]^T v_j) */
  for (int64_t j = 0; j < jb; j++) {
    for (int64_t i = 0; i < jb; i++) t[i * jb + j] = 0;
    for (int64_t i = 0; i < j; i++) z[i] = L(dot)(mm, vt + i * mm, vt + j * mm);
    for (int64_t i = 0; i < j; i++) {
      LT s = 0;
      for (int64_t q = i; q < j; q++) s += t[i * jb + q] * z[q];
      t[i * jb + j] = -tau[j] * s;
    }
    t[j * jb + j] = tau[j];
  }
  int err = fnx_gemm_strided(LDT, jb, nc, mm, (const char *)vt, mm, (const char *)c, ldc,
                             (char *)z, nc, 0, nt); /* z = V^T c */
  if (transpose) { /* z = T^T z, bottom row first (row i reads rows <= i) */
    for (int64_t i = jb - 1; i >= 0; i--) {
      LT *zi = z + i * nc;
      const LT d = t[i * jb + i];
      for (int64_t j = 0; j < nc; j++) zi[j] *= d;
      for (int64_t q = 0; q < i; q++) L(axpy)(nc, -t[q * jb + i], z + q * nc, zi);
    }
  } else { /* z = T z, top row first (row i reads rows >= i) */
    for (int64_t i = 0; i < jb; i++) {
      LT *zi = z + i * nc;
      const LT d = t[i * jb + i];
      for (int64_t j = 0; j < nc; j++) zi[j] *= d;
      for (int64_t q = i + 1; q < jb; q++) L(axpy)(nc, -t[i * jb + q], z + q * nc, zi);
    }
  }
  if (!err) err = L(gemm_sub)(mm, nc, jb, v, jb, z, nc, 0, c, ldc, nt); /* c -= V z */
  free(buf);
  return err;
}

/* Householder QR of w (m x n, overwritten: R on and above the diagonal, the reflectors
 * below); tau gets min(m, n) values. */
static int L(qr_factor)(int64_t m, int64_t n, LT *w, LT *tau, int nt) {
  const int64_t k = fnx_min64(m, n);
  LT *row = (LT *)malloc(sizeof(LT) * (size_t)(n + 1));
  if (!row) return FNX_ERR_ALLOC;
  int err = FNX_OK;
  for (int64_t j0 = 0; j0 < k && !err; j0 += L_QR_NB) {
    const int64_t jb = fnx_min64(L_QR_NB, k - j0), j1 = j0 + jb;
    for (int64_t j = j0; j < j1; j++) {
      tau[j] = L(householder)(m - j, w + j * n + j, n);
      L(apply_reflector)(m - j, j1 - j - 1, w + j * n + j, n, tau[j], w + j * n + j + 1, n, row);
    }
    err = L(apply_panel)(m - j0, jb, w + j0 * n + j0, n, tau + j0, w + j0 * n + j1, n, n - j1,
                         1, nt);
  }
  free(row);
  return err;
}

/* q (m x mq) = the first mq columns of H_1 ... H_k, accumulated backwards from the identity */
static int L(qr_form_q)(int64_t m, int64_t n, const LT *w, const LT *tau, LT *q, int64_t mq,
                        int nt) {
  const int64_t k = fnx_min64(m, n);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < mq; j++) q[i * mq + j] = i == j ? (LT)1 : (LT)0;
  int err = FNX_OK;
  for (int64_t j0 = (k - 1) / L_QR_NB * L_QR_NB; j0 >= 0 && k > 0 && !err; j0 -= L_QR_NB) {
    const int64_t jb = fnx_min64(L_QR_NB, k - j0);
    err = L(apply_panel)(m - j0, jb, w + j0 * n + j0, n, tau + j0, q + j0 * mq + j0, mq,
                         mq - j0, 0, nt);
  }
  return err;
}

static int L(qr)(int64_t m, int64_t n, const LT *a, int full, LT *q, LT *r, int nt) {
  const int64_t k = fnx_min64(m, n), mq = full ? m : k;
  LT *w = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(m * n + k + 1));
  if (!w) return FNX_ERR_ALLOC;
  LT *tau = w + m * n;
  memcpy(w, a, sizeof(LT) * (size_t)(m * n));
  int err = L(qr_factor)(m, n, w, tau, nt);
  if (!err) err = L(qr_form_q)(m, n, w, tau, q, mq, nt);
  for (int64_t i = 0; i < mq; i++)
    for (int64_t j = 0; j < n; j++) r[i * n + j] = (j >= i && i < k) ? w[i * n + j] : (LT)0;
  free(w);
  return err;
}
