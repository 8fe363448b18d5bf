/* fnx CPU kernels: symmetric eigendecomposition and SVD of one row-major matrix, a
 * dtype-generic template included by lapack.c after lapack_tmpl.h (same LT / LSFX / LDT /
 * LEPS, and its helpers: householder, apply_reflector, qr_form_q, dot, axpy).
 *
 * eigh: Householder tridiagonalisation, then implicit QL iteration with Wilkinson shifts;
 * svd: Householder bidiagonalisation, then implicit-shift Golub-Kahan QR sweeps on the
 * bidiagonal (Golub & Van Loan 8.3 and 8.6).  Every plane rotation acts on two rows of a
 * row-major matrix holding the vectors as rows; they are recorded and applied in cache-sized,
 * threaded column blocks (rotseq_tmpl.h).  The Householder Q's are formed blocked (compact WY
 * through qr_form_q's GEMMs).  The input
 * is scaled by its largest magnitude first (no overflow in the squares of the shifts); a
 * non-finite input, or an iteration that does not converge within its cap, gives NaNs. */

#include "rotseq_tmpl.h"

/* largest |x|; NaN when any element is NaN or infinite */
static LT L(max_abs)(int64_t n, const LT *x) {
  LT mx = 0;
  for (int64_t i = 0; i < n; i++) {
    const LT v = (LT)fabs((double)x[i]);
    if (!(v <= (LT)INFINITY) || isinf(v)) return (LT)NAN;
    if (v > mx) mx = v;
  }
  return mx;
}

/* t (n x m, row stride ldt) = a^T for a (m x n, row stride lda), in 32 x 32 tiles */
static void L(transpose_ld)(int64_t m, int64_t n, const LT *a, int64_t lda, LT *t, int64_t ldt) {
  for (int64_t i0 = 0; i0 < m; i0 += 32)
    for (int64_t j0 = 0; j0 < n; j0 += 32)
      for (int64_t i = i0; i < fnx_min64(m, i0 + 32); i++)
        for (int64_t j = j0; j < fnx_min64(n, j0 + 32); j++) t[j * ldt + i] = a[i * lda + j];
}

static void L(transpose)(int64_t m, int64_t n, const LT *a, LT *t) { /* contiguous */
  L(transpose_ld)(m, n, a, n, t, m);
}

/* A row stride >= n that is an odd number of cache lines.  The rotations walk down a column
 * block of the vector matrix; with a power-of-two stride (n = 1024) its rows all fall into the
 * same few cache sets and evict each other, an odd line count spreads them over all sets. */
static int64_t L(padded_ld)(int64_t n) {
  const int64_t per_line = 64 / (int64_t)sizeof(LT), lines = fnx_cdiv(n, per_line);
  return (lines | 1) * per_line;
}

/* Order the n values descending (desc) or ascending, permuting the rows (row strides
 * lx, ly) of up to two row-major matrices alike (NULL: none).  Selection sort: n^2 compares, n row swaps. */
static void L(sort_with_rows)(int64_t n, LT *d, int desc, LT *x, int64_t lx, LT *y, int64_t ly) {
  for (int64_t i = 0; i < n; i++) {
    int64_t p = i;
    for (int64_t j = i + 1; j < n; j++)
      if (desc ? d[j] > d[p] : d[j] < d[p]) p = j;
    if (p == i) continue;
    LT t = d[i];
    d[i] = d[p], d[p] = t;
    if (x) L(swap_rows)(x + i * lx, x + p * lx, lx);
    if (y) L(swap_rows)(y + i * ly, y + p * ly, ly);
  }
}

/* Q (n x n) = H_0 ... H_{nr-1} for reflectors stored in rows: H_k acts on indices
 * k + 1 .. n - 1 with v = (1, r[k][k + 2 ..]) and tau[k].  The reflectors are copied into the
 * columns of a (n - 1) x nr matrix, QR's layout, so the blocked compact-WY accumulation of
 * qr_form_q (GEMMs) builds the trailing (n - 1) x (n - 1) block; row / column 0 are e_0. */
static int L(form_q_rows)(int64_t n, int64_t nr, const LT *r, int64_t ldr, const LT *tau,
                          LT *q, int nt) {
  const int64_t m = n - 1;
  LT *buf = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(m * fnx_max64(nr, 1) + m * m + 1));
  if (!buf) return FNX_ERR_ALLOC;
  LT *wc = buf, *qs = wc + m * fnx_max64(nr, 1);
  for (int64_t i = 0; i < m; i++)
    for (int64_t k = 0; k < nr; k++) wc[i * nr + k] = i > k ? r[k * ldr + i + 1] : (LT)0;
  int err = m > 0 ? L(qr_form_q)(m, nr, wc, tau, qs, m, nt) : FNX_OK;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      q[i * n + j] = i && j ? qs[(i - 1) * m + j - 1] : i == j ? (LT)1 : (LT)0;
  free(buf);
  return err;
}

/* ---- eigh ---------------------------------------------------------------------------------- */

/* One pass over rows lo .. hi - 1 of the trailing block `sub` (stride ld): the symmetric
 * rank-2 update row_i -= x_i p + p_i x (when upd), then the next reflector's matrix-vector
 * product pn[i - shift] = taun (row_i[r - rn ..] . xn) on the freshly updated row (when xn).
 * Fusing the two reads the block once per step instead of twice. */
typedef struct {
  LT *sub;
  int64_t ld, r, rn, shift;
  int upd;
  const LT *x, *p, *xn;
  LT taun, *pn;
} L(tri_pass);

static void L(tri_pass_rows)(int64_t lo, int64_t hi, const void *ctx) {
  const L(tri_pass) *c = (const L(tri_pass) *)ctx;
  for (int64_t i = lo; i < hi; i++) {
    LT *row = c->sub + i * c->ld;
    if (c->upd) {
      const LT xi = c->x[i], pi = c->p[i];
      const LT *x = c->x, *p = c->p;
#pragma omp simd
      for (int64_t j = 0; j < c->r; j++) row[j] -= xi * p[j] + pi * x[j];
    }
    if (c->xn) c->pn[i - c->shift] = c->taun * L(dot)(c->rn, row + c->r - c->rn, c->xn);
  }
}

typedef struct {
  const L(tri_pass) *c;
  int64_t lo;
} L(tri_range);

static void L(tri_pass_range)(int64_t lo, int64_t hi, const void *ctx) {
  const L(tri_range) *t = (const L(tri_range) *)ctx;
  L(tri_pass_rows)(lo + t->lo, hi + t->lo, t->c);
}

/* tri_pass on rows lo .. hi - 1, shared out over the team when nt > 1 and the block is big */
static void L(tri_run)(const L(tri_pass) *c, int64_t lo, int64_t hi, int nt) {
  const L(tri_range) t = {c, lo};
  if (nt > 1)
    fnx_parallel_for(hi - lo, (hi - lo) * c->r, L(tri_pass_range), &t);
  else
    L(tri_pass_rows)(lo, hi, c);
}

/* Householder tridiagonalisation of the full symmetric s (n x n) in place: reflector k maps
 * s[k][k+1:] onto e_1 (v stored there, tau[k]), diagonal into d, off-diagonal into e (the
 * last two of each are set by the caller); s <- H s H on the trailing block.  Step k updates
 * row k + 1 first, so the next reflector is known before the other rows are updated, and
 * their pass also forms the next step's product p = tau S v (tri_pass).  p, pn: n each. */
static void L(tridiagonalise)(int64_t n, LT *s, LT *d, LT *e, LT *tau, LT *p, LT *pn, int nt) {
  int ready = 0; /* reflector k and its product p already formed by step k - 1 */
  for (int64_t k = 0; k + 2 < n; k++) {
    const int64_t r = n - k - 1;
    LT *x = s + k * n + k + 1, *sub = s + (k + 1) * n + k + 1;
    d[k] = s[k * n + k];
    if (!ready) {
      tau[k] = L(householder)(r, x, 1);
      e[k] = x[0];
      if (tau[k] != 0) {
        x[0] = 1;
        L(tri_pass) c = {sub, n, r, r, 0, 0, x, NULL, x, tau[k], p};
        L(tri_run)(&c, 0, r, nt);
        x[0] = e[k];
      }
    }
    ready = 0;
    if (tau[k] == 0) continue;
    x[0] = 1;
    const LT kk = tau[k] / 2 * L(dot)(r, p, x);
    for (int64_t i = 0; i < r; i++) p[i] -= kk * x[i];
    L(tri_pass) c = {sub, n, r, r - 1, 1, 1, x, p, NULL, 0, pn};
    L(tri_pass_rows)(0, 1, &c); /* row k + 1, then its reflector */
    if (k + 3 < n) {
      tau[k + 1] = L(householder)(r - 1, sub + 1, 1);
      e[k + 1] = sub[1];
      ready = 1;
      if (tau[k + 1] != 0) sub[1] = 1, c.xn = sub + 1, c.taun = tau[k + 1];
    }
    L(tri_run)(&c, 1, r, nt);
    if (ready) sub[1] = e[k + 1];
    x[0] = e[k];
    LT *t = p;
    p = pn, pn = t;
  }
}

/* Implicit QL on the symmetric tridiagonal (d[0..n), e[0..n-1) off-diagonal, e[n-1] = 0),
 * recording the rotations of the rows of the vector matrix in zt.  0 on success, -1 when it does not converge. */
static int L(tridiag_ql)(int64_t n, LT *d, LT *e, L(rotseq) *zt) {
  int64_t total = 0;
  const int64_t cap = 40 * n + 40;
  for (int64_t l = 0; l < n; l++) {
    for (;;) {
      int64_t m = l;
      for (; m < n - 1; m++) {
        const LT dd = (LT)(fabs((double)d[m]) + fabs((double)d[m + 1]));
        if (fabs((double)e[m]) <= LEPS * dd) break;
      }
      if (m == l) break;
      if (++total > cap) return -1;
      /* Wilkinson shift from the leading 2 x 2 block (QL chases from the bottom) */
      LT g = (d[l + 1] - d[l]) / (2 * e[l]);
      LT r = (LT)hypot((double)g, 1.0);
      g = d[m] - d[l] + e[l] / (g + (LT)copysign((double)r, (double)g));
      LT s = 1, c = 1, p = 0;
      int64_t i = m - 1;
      int split = 0;
      for (; i >= l; i--) {
        LT f = s * e[i], b = c * e[i];
        r = (LT)hypot((double)f, (double)g);
        e[i + 1] = r;
        if (r == 0) { /* the rotation underflowed: split here */
          d[i + 1] -= p;
          e[m] = 0;
          split = 1;
          break;
        }
        s = f / r, c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        L(rotseq_push)(zt, i + 1, i, c, s);
      }
      if (split) continue;
      d[l] -= p, e[l] = g, e[m] = 0;
    }
  }
  return 0;
}

/* v (n x n, eigenvectors as columns) and w (ascending) of the symmetric matrix whose lower
 * (or upper) triangle a holds */
static int L(eigh)(int64_t n, const LT *a, int lower, LT *v, LT *w, int nt) {
  if (n == 0) return FNX_OK;
  const int64_t ldz = L(padded_ld)(n);
  LT *buf = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(2 * n * n + n * ldz + 4 * n));
  if (!buf) return FNX_ERR_ALLOC;
  LT *s = buf, *q = s + n * n, *zt = q + n * n, *e = zt + n * ldz, *tau = e + n, *p = tau + n;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      s[i * n + j] = (lower ? j <= i : j >= i) ? a[i * n + j] : a[j * n + i];
  const LT scale = L(max_abs)(n * n, s);
  int bad = isnan(scale);
  int err = FNX_OK;
  if (!bad) {
    if (scale > 0)
      for (int64_t i = 0; i < n * n; i++) s[i] /= scale;
    L(tridiagonalise)(n, s, w, e, tau, p, p + n, nt);
    if (n >= 2) w[n - 2] = s[(n - 2) * n + n - 2], e[n - 2] = s[(n - 2) * n + n - 1];
    w[n - 1] = s[(n - 1) * n + n - 1];
    e[n - 1] = 0;
    err = L(form_q_rows)(n, n >= 2 ? n - 2 : 0, s, n, tau, q, nt);
    if (!err) {
      L(transpose_ld)(n, n, q, n, zt, ldz);
      L(rotseq) rz;
      err = L(rotseq_init)(&rz, zt, ldz, n, nt);
      if (!err) bad = L(tridiag_ql)(n, w, e, &rz) != 0;
      L(rotseq_finish)(&rz);
    }
  }
  if (bad || err) {
    for (int64_t i = 0; i < n * n; i++) v[i] = (LT)NAN;
    for (int64_t i = 0; i < n; i++) w[i] = (LT)NAN;
  } else {
    L(sort_with_rows)(n, w, 0, zt, ldz, NULL, 0);
    for (int64_t i = 0; i < n; i++) w[i] *= scale > 0 ? scale : 1;
    L(transpose_ld)(n, n, zt, ldz, v, n);
  }
  free(buf);
  return err;
}

/* ---- svd ----------------------------------------------------------------------------------- */

/* Step k of the bidiagonalisation on the trailing rows k .. m - 1, columns k + 1 .. n - 1 of a
 * (stride n): the left reflector (v = column k below the diagonal, v[0] = 1) is applied as
 * w = v^T A (pass A, split by columns), row_i -= tauq v_i w, and the right reflector x (row k)
 * as row_i -= taup (row_i . x) x; both updates of a row run in one pass (pass B, by rows). */
typedef struct {
  LT *a;
  int64_t n, k, m, nc;
  LT tauq, taup, *w;
  const LT *x;
} L(bid_step);

#define L_BID_COLS 64 /* columns per chunk of pass A */

static void L(bid_pass_a)(int64_t lo, int64_t hi, const void *ctx) {
  const L(bid_step) *c = (const L(bid_step) *)ctx;
  const int64_t j0 = lo * L_BID_COLS, j1 = fnx_min64(hi * L_BID_COLS, c->nc);
  const LT *top = c->a + c->k * c->n + c->k + 1;
  LT *w = c->w;
  for (int64_t j = j0; j < j1; j++) w[j] = top[j];
  for (int64_t i = c->k + 1; i < c->m; i++) {
    const LT vi = c->a[i * c->n + c->k], *row = c->a + i * c->n + c->k + 1;
#pragma omp simd
    for (int64_t j = j0; j < j1; j++) w[j] += vi * row[j];
  }
}

static void L(bid_pass_b)(int64_t lo, int64_t hi, const void *ctx) {
  const L(bid_step) *c = (const L(bid_step) *)ctx;
  for (int64_t i = lo + c->k + 1; i < hi + c->k + 1; i++) {
    LT *row = c->a + i * c->n + c->k + 1;
    if (c->tauq != 0) L(axpy)(c->nc, c->tauq * c->a[i * c->n + c->k], c->w, row);
    if (c->taup != 0) L(axpy)(c->nc, c->taup * L(dot)(c->nc, row, c->x), c->x, row);
  }
}

/* Householder bidiagonalisation of a (m x n, m >= n) in place: left reflectors below the
 * diagonal (tauq), right reflectors right of the superdiagonal (taup); diagonal into d,
 * superdiagonal into e.  w: scratch of n. */
static void L(bidiagonalise)(int64_t m, int64_t n, LT *a, LT *d, LT *e, LT *tauq, LT *taup,
                             LT *w, int nt) {
  for (int64_t k = 0; k < n; k++) {
    const int64_t nc = n - k - 1;
    tauq[k] = L(householder)(m - k, a + k * n + k, n);
    d[k] = a[k * n + k];
    L(bid_step) c = {a, n, k, m, nc, tauq[k], 0, w, NULL};
    const int par = nt > 1 && (m - k) * nc >= FNX_PAR_MIN;
    if (tauq[k] != 0 && nc > 0) {
      const int64_t nch = fnx_cdiv(nc, L_BID_COLS);
      if (par) fnx_parallel_for(nch, (m - k) * nc, L(bid_pass_a), &c);
      else L(bid_pass_a)(0, nch, &c);
      L(axpy)(nc, tauq[k], w, a + k * n + k + 1); /* row k first: it holds x */
    }
    if (nc == 0) continue;
    LT *x = a + k * n + k + 1;
    taup[k] = L(householder)(nc, x, 1);
    e[k] = x[0];
    x[0] = 1;
    c.taup = taup[k], c.x = x;
    if (par) fnx_parallel_for(m - k - 1, (m - k) * nc, L(bid_pass_b), &c);
    else L(bid_pass_b)(0, m - k - 1, &c);
    x[0] = e[k];
  }
}

/* One implicit-shift Golub-Kahan sweep on the unreduced block lo..hi of the upper bidiagonal
 * (d, e): a right rotation starts a bulge that left / right rotations chase down. */
static void L(gk_sweep)(int64_t lo, int64_t hi, LT *d, LT *e, L(rotseq) *ut, L(rotseq) *vt) {
  /* Wilkinson shift: the eigenvalue of the trailing 2 x 2 of B^T B nearer its last entry */
  const LT a = d[hi - 1] * d[hi - 1] + (hi - 1 > lo ? e[hi - 2] * e[hi - 2] : 0);
  const LT b = d[hi - 1] * e[hi - 1];
  const LT cc = d[hi] * d[hi] + e[hi - 1] * e[hi - 1];
  const LT delta = (a - cc) / 2;
  const LT den = delta + (LT)copysign(hypot((double)delta, (double)b), (double)delta);
  const LT mu = den != 0 ? cc - b * b / den : cc - (LT)fabs((double)b);
  LT y = d[lo] * d[lo] - mu, z = d[lo] * e[lo];
  for (int64_t k = lo; k < hi; k++) {
    LT r = (LT)hypot((double)y, (double)z), c = 1, s = 0;
    if (r != 0) c = y / r, s = z / r;
    if (k > lo) e[k - 1] = r;
    LT dk = c * d[k] + s * e[k];
    e[k] = c * e[k] - s * d[k];
    LT bulge = s * d[k + 1];
    d[k + 1] = c * d[k + 1];
    L(rotseq_push)(vt, k, k + 1, c, s);
    r = (LT)hypot((double)dk, (double)bulge), c = 1, s = 0;
    if (r != 0) c = dk / r, s = bulge / r;
    d[k] = r;
    const LT ek = e[k];
    e[k] = c * ek + s * d[k + 1];
    d[k + 1] = c * d[k + 1] - s * ek;
    L(rotseq_push)(ut, k, k + 1, c, s);
    if (k + 1 < hi) {
      y = e[k];
      z = s * e[k + 1];
      e[k + 1] = c * e[k + 1];
    }
  }
}

/* Singular values of the upper bidiagonal (d, e) into d (unsorted, signed), rotating rows of
 * ut / vt (or neither when NULL).  0 on success, -1 when it does not converge. */
static int L(bidiag_qr)(int64_t n, LT *d, LT *e, L(rotseq) *ut, L(rotseq) *vt) {
  LT bnorm = 0;
  for (int64_t i = 0; i < n; i++) {
    bnorm = fmax(bnorm, fabs((double)d[i]));
    if (i + 1 < n) bnorm = fmax(bnorm, fabs((double)e[i]));
  }
  const LT tol = LEPS * bnorm;
  int64_t total = 0, hi = n - 1;
  const int64_t cap = 40 * n + 40;
  while (hi > 0) {
    for (int64_t i = 0; i < hi; i++)
      if (fabs((double)e[i]) <= LEPS * (fabs((double)d[i]) + fabs((double)d[i + 1])) ||
          fabs((double)e[i]) <= LEPS * tol)
        e[i] = 0;
    if (e[hi - 1] == 0) {
      hi--;
      continue;
    }
    int64_t lo = hi - 1;
    while (lo > 0 && e[lo - 1] != 0) lo--;
    int64_t zi = -1;
    for (int64_t i = lo; i <= hi && zi < 0; i++)
      if (fabs((double)d[i]) <= tol) zi = i;
    if (zi >= 0) {
      if (++total > 2 * cap) return -1;
      d[zi] = 0;
      if (zi < hi) { /* row zi: chase e[zi] right with left rotations against rows j */
        LT f = e[zi];
        e[zi] = 0;
        for (int64_t j = zi + 1; j <= hi && f != 0; j++) {
          const LT r = (LT)hypot((double)d[j], (double)f), c = d[j] / r, s = f / r;
          d[j] = r;
          if (j < hi) f = -s * e[j], e[j] = c * e[j];
          L(rotseq_push)(ut, j, zi, c, s);
        }
      } else { /* column hi: chase e[hi-1] up with right rotations against columns j */
        LT f = e[hi - 1];
        e[hi - 1] = 0;
        for (int64_t j = hi - 1; j >= lo && f != 0; j--) {
          const LT r = (LT)hypot((double)d[j], (double)f), c = d[j] / r, s = f / r;
          d[j] = r;
          if (j > lo) f = -s * e[j - 1], e[j - 1] = c * e[j - 1];
          L(rotseq_push)(vt, j, hi, c, s);
        }
      }
      continue;
    }
    if (++total > cap) return -1;
    L(gk_sweep)(lo, hi, d, e, ut, vt);
  }
  return 0;
}

/* SVD of a tall a (m x n, m >= n, overwritten): s (n), u (m x mu, mu = full ? m : n) and
 * vt (n x n) unless !uv. */
static int L(svd_tall)(int64_t m, int64_t n, LT *a, int full, int uv, LT *s, LT *u, LT *vt,
                       int nt) {
  const int64_t mu = full ? m : n;
  if (n == 0) {
    if (uv)
      for (int64_t i = 0; i < m * mu; i++) u[i] = (i / mu == i % mu) ? (LT)1 : (LT)0;
    return FNX_OK;
  }
  const int64_t ldu = L(padded_ld)(m), ldv = L(padded_ld)(n); /* see padded_ld */
  LT *buf = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(4 * n + m + 1 +
                                                          (uv ? mu * ldu + n * ldv : 0)));
  if (!buf) return FNX_ERR_ALLOC;
  LT *e = buf, *tauq = e + n, *taup = tauq + n, *w = taup + n; /* w: m + 1 */
  LT *ut = uv ? w + m + 1 : NULL;                                /* U^T: mu x m, stride ldu */
  LT *vp = uv ? ut + mu * ldu : NULL;                            /* V^T: n x n, stride ldv */
  const LT scale = L(max_abs)(m * n, a);
  int bad = isnan(scale), err = FNX_OK;
  if (!bad) {
    if (scale > 0)
      for (int64_t i = 0; i < m * n; i++) a[i] /= scale;
    L(bidiagonalise)(m, n, a, s, e, tauq, taup, w, nt);
    if (uv) {
      LT *qleft = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(m * mu + n * n));
      if (!qleft) {
        free(buf);
        return FNX_ERR_ALLOC;
      }
      err = L(qr_form_q)(m, n, a, tauq, qleft, mu, nt);
      if (!err) err = L(form_q_rows)(n, n >= 2 ? n - 2 : 0, a, n, taup, qleft + m * mu, nt);
      if (!err) {
        L(transpose_ld)(m, mu, qleft, mu, ut, ldu);
        L(transpose_ld)(n, n, qleft + m * mu, n, vp, ldv);
      }
      free(qleft);
    }
    if (!err) {
      L(rotseq) ru, rv;
      err = L(rotseq_init)(&ru, ut, ldu, m, nt);
      if (!err) err = L(rotseq_init)(&rv, vp, ldv, n, nt);
      if (!err) bad = L(bidiag_qr)(n, s, e, &ru, &rv) != 0;
      if (!err) L(rotseq_finish)(&rv);
      L(rotseq_finish)(&ru);
    }
  }
  if (bad || err) {
    for (int64_t i = 0; i < n; i++) s[i] = (LT)NAN;
    if (uv) {
      for (int64_t i = 0; i < m * mu; i++) u[i] = (LT)NAN;
      for (int64_t i = 0; i < n * n; i++) vt[i] = (LT)NAN;
    }
    free(buf);
    return err;
  }
  for (int64_t i = 0; i < n; i++)
    if (s[i] < 0) {
      s[i] = -s[i];
      if (uv)
        for (int64_t j = 0; j < n; j++) vp[i * ldv + j] = -vp[i * ldv + j];
    }
  L(sort_with_rows)(n, s, 1, ut, ldu, vp, ldv);
  for (int64_t i = 0; i < n; i++) s[i] *= scale > 0 ? scale : 1;
  if (uv) {
    L(transpose_ld)(mu, m, ut, ldu, u, mu);
    for (int64_t i = 0; i < n; i++) memcpy(vt + i * n, vp + i * ldv, sizeof(LT) * (size_t)n);
  }
  free(buf);
  return FNX_OK;
}

/* any shape: a wide matrix is the transpose of a tall one (a^T = U S V^T: a = V S U^T) */
static int L(svd)(int64_t m, int64_t n, const LT *a, int full, int uv, LT *s, LT *u, LT *vt,
                  int nt) {
  const int wide = m < n;
  const int64_t tm = wide ? n : m, tn = wide ? m : n, mu = full ? tm : tn;
  LT *buf = (LT *)fnx_aligned_alloc(sizeof(LT) * (size_t)(m * n + (wide && uv ? tm * mu + tn * tn : 0) + 1));
  if (!buf) return FNX_ERR_ALLOC;
  if (wide) L(transpose)(m, n, a, buf);
  else memcpy(buf, a, sizeof(LT) * (size_t)(m * n));
  int err;
  if (!wide) {
    err = L(svd_tall)(m, n, buf, full, uv, s, u, vt, nt);
  } else {
    LT *tu = buf + m * n, *tvt = tu + tm * mu;
    err = L(svd_tall)(tm, tn, buf, full, uv, s, uv ? tu : NULL, uv ? tvt : NULL, nt);
    if (uv && !err) {
      L(transpose)(tn, tn, tvt, u);   /* u (m x m) = (vt')^T */
      L(transpose)(tm, mu, tu, vt);   /* vt (mu x n) = (u')^T */
    }
  }
  free(buf);
  return err;
}
