/* fnx CPU kernels: Hermitian eigendecomposition and SVD of one row-major complex matrix, a
 * template included by lapack.c after lapack_complex_tmpl.h (same LT / ZT / Z() / L()).
 *
 * Both reduce to the REAL problem the real kernels already solve: zlarfg's reflectors leave a
 * real tridiagonal (eigh: Q^H A Q = T) or a real bidiagonal (svd: Q^H A P = B), so the real
 * QL / Golub-Kahan iterations of eig_tmpl.h run unchanged.  Their plane rotations have real
 * (c, s), so they rotate the complex vector rows as rows of 2n interleaved floats: the vector
 * matrices are kept transposed (a row per vector) and handed to the real rotseq as LT rows. */

/* a row stride (complex elements) for n complex values: the real padded_ld of 2n floats */
static int64_t Z(padded_ld)(int64_t n) { return L(padded_ld)(2 * n) / 2; }

/* ---- eigh ---------------------------------------------------------------------------------- */

/* zhetd2: the full Hermitian s (n x n) to real tridiagonal (d, e[0 .. n-2]) in place, reflector
 * k (tau[k]) stored below s[k + 1][k]; trailing block <- H^H S H as S - v w^H - w v^H with
 * p = tau S v, w = p - tau (p^H v) / 2 v.  p, v: scratch of n. */
static void Z(hetrd)(int64_t n, ZT *s, LT *d, LT *e, ZT *tau, ZT *p, ZT *v) {
  for (int64_t k = 0; k + 1 < n; k++) {
    const int64_t r = n - k - 1;
    ZT *x = s + (k + 1) * n + k, *sub = s + (k + 1) * n + k + 1;
    tau[k] = Z(householder)(r, x, n);
    d[k] = ZRE(s[k * n + k]);
    e[k] = ZRE(x[0]);
    if (tau[k] == 0) continue;
    v[0] = 1;
    for (int64_t i = 1; i < r; i++) v[i] = x[i * n];
    for (int64_t i = 0; i < r; i++) p[i] = tau[k] * Z(dotu)(r, sub + i * n, v);
    const ZT alpha = -(LT)0.5 * tau[k] * Z(dotc)(r, p, v);
    Z(axpy)(r, -alpha, v, p); /* p is w now */
    for (int64_t i = 0; i < r; i++) {
      Z(axpyc)(r, v[i], p, sub + i * n);
      Z(axpyc)(r, p[i], v, sub + i * n);
    }
  }
  d[n - 1] = ZRE(s[(n - 1) * n + n - 1]);
  e[n - 1] = 0;
}

/* v (n x n, eigenvectors as columns) and w (real, ascending) of the Hermitian matrix whose
 * lower (or upper) triangle a holds; the diagonal's imaginary part is ignored */
static int Z(eigh)(int64_t n, const ZT *a, int lower, ZT *v, LT *w, int nt) {
  if (n == 0) return FNX_OK;
  const int64_t ldz = Z(padded_ld)(n);
  ZT *buf = (ZT *)fnx_aligned_alloc(sizeof(ZT) * (size_t)(2 * n * n + n * ldz + 3 * n) +
                                    sizeof(LT) * (size_t)n);
  if (!buf) return FNX_ERR_ALLOC;
  ZT *s = buf, *q = s + n * n, *zt = q + n * n, *tau = zt + n * ldz, *p = tau + n, *vv = p + n;
  LT *e = (LT *)(vv + n);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      s[i * n + j] = i == j                         ? (ZT)ZRE(a[i * n + i])
                     : (lower ? j < i : j > i) ? a[i * n + j]
                                               : ZCONJ(a[j * n + i]);
  const LT scale = Z(max_abs)(n * n, s);
  int bad = isnan(scale), err = FNX_OK;
  if (!bad) {
    if (scale > 0)
      for (int64_t i = 0; i < n * n; i++) s[i] /= scale;
    Z(hetrd)(n, s, w, e, tau, p, vv);
    Z(form_q_reflectors)(n, n - 1, s, n, 0, tau, q, vv);
    Z(transpose_ld)(n, n, q, n, zt, ldz, 0);
    L(rotseq) rz;
    err = L(rotseq_init)(&rz, (LT *)zt, 2 * ldz, 2 * n, nt);
    if (!err) bad = L(tridiag_ql)(n, w, e, &rz) != 0;
    L(rotseq_finish)(&rz);
  }
  if (bad || err) {
    Z(fill_nan)(n * n, v);
    for (int64_t i = 0; i < n; i++) w[i] = (LT)NAN;
  } else {
    L(sort_with_rows)(n, w, 0, (LT *)zt, 2 * ldz, NULL, 0);
    for (int64_t i = 0; i < n; i++) w[i] *= scale > 0 ? scale : 1;
    Z(transpose_ld)(n, n, zt, ldz, v, n, 0);
  }
  free(buf);
  return err;
}

/* ---- svd ----------------------------------------------------------------------------------- */

/* zgebd2 on a (m x n, m >= n) in place: left reflectors (tauq) down the columns from the
 * diagonal, right reflectors (taup) along the rows from the superdiagonal, stored so that
 * A = Q B P^H with Q = Hq_0 ... Hq_{n-1}, P = G_0 ... G_{n-2}; the real diagonal into d, the
 * real superdiagonal into e.  The right reflector of row k is zlarfg of its conjugate (row G =
 * beta e_1^T); the row keeps that conjugate, P's v.  wk: scratch of n, v: of n. */
static void Z(gebrd)(int64_t m, int64_t n, ZT *a, LT *d, LT *e, ZT *tauq, ZT *taup, ZT *wk,
                     ZT *v) {
  for (int64_t k = 0; k < n; k++) {
    const int64_t nc = n - k - 1;
    tauq[k] = Z(householder)(m - k, a + k * n + k, n);
    d[k] = ZRE(a[k * n + k]);
    Z(reflect_left)(m - k, nc, a + k * n + k, n, ZCONJ(tauq[k]), a + k * n + k + 1, n, wk);
    if (nc == 0) continue;
    ZT *x = a + k * n + k + 1;
    for (int64_t j = 0; j < nc; j++) x[j] = ZCONJ(x[j]);
    taup[k] = Z(householder)(nc, x, 1);
    e[k] = ZRE(x[0]);
    v[0] = 1;
    for (int64_t j = 1; j < nc; j++) v[j] = x[j];
    Z(reflect_right)(m - k - 1, nc, v, taup[k], a + (k + 1) * n + k + 1, n);
  }
}

/* SVD of a tall a (m x n, m >= n, overwritten): s (n), u (m x mu, mu = full ? m : n) and
 * vt (n x n) unless !uv */
static int Z(svd_tall)(int64_t m, int64_t n, ZT *a, int full, int uv, LT *s, ZT *u, ZT *vt,
                       int nt) {
  const int64_t mu = full ? m : n;
  if (n == 0) {
    if (uv)
      for (int64_t i = 0; i < m * mu; i++) u[i] = (i / mu == i % mu) ? 1 : 0;
    return FNX_OK;
  }
  const int64_t ldu = Z(padded_ld)(m), ldv = Z(padded_ld)(n);
  const int64_t nz = 2 * n + 2 * (m + 1) + (uv ? mu * ldu + n * ldv + m * mu + n * n : 0);
  ZT *buf = (ZT *)fnx_aligned_alloc(sizeof(ZT) * (size_t)nz + sizeof(LT) * (size_t)n);
  if (!buf) return FNX_ERR_ALLOC;
  ZT *tauq = buf, *taup = tauq + n, *wk = taup + n, *vv = wk + m + 1;
  ZT *ut = uv ? vv + m + 1 : NULL;  /* U^T: mu x m, stride ldu */
  ZT *vp = uv ? ut + mu * ldu : NULL; /* V^T: n x n, stride ldv */
  LT *e = (LT *)(buf + nz);
  const LT scale = Z(max_abs)(m * n, a);
  int bad = isnan(scale), err = FNX_OK;
  if (!bad) {
    if (scale > 0)
      for (int64_t i = 0; i < m * n; i++) a[i] /= scale;
    Z(gebrd)(m, n, a, s, e, tauq, taup, wk, vv);
    if (uv) {
      ZT *ql = vp + n * ldv, *pr = ql + m * mu;
      for (int64_t i = 0; i < m * mu; i++) ql[i] = 0;
      for (int64_t i = 0; i < mu; i++) ql[i * mu + i] = 1;
      for (int64_t k = n - 1; k >= 0; k--)
        Z(reflect_left)(m - k, mu - k, a + k * n + k, n, tauq[k], ql + k * mu + k, mu, wk);
      Z(form_q_reflectors)(n, n - 1, a, n, 1, taup, pr, wk);
      Z(transpose_ld)(m, mu, ql, mu, ut, ldu, 0);
      Z(transpose_ld)(n, n, pr, n, vp, ldv, 0);
    }
    L(rotseq) ru, rv;
    err = L(rotseq_init)(&ru, (LT *)ut, 2 * ldu, 2 * m, nt);
    if (!err) err = L(rotseq_init)(&rv, (LT *)vp, 2 * ldv, 2 * n, nt);
    if (!err) bad = L(bidiag_qr)(n, s, e, &ru, &rv) != 0;
    if (!err) L(rotseq_finish)(&rv);
    L(rotseq_finish)(&ru);
  }
  if (bad || err) {
    for (int64_t i = 0; i < n; i++) s[i] = (LT)NAN;
    if (uv) Z(fill_nan)(m * mu, u), Z(fill_nan)(n * n, vt);
    free(buf);
    return err;
  }
  for (int64_t i = 0; i < n; i++)
    if (s[i] < 0) {
      s[i] = -s[i];
      if (uv) Z(scal)(n, -1, vp + i * ldv);
    }
  L(sort_with_rows)(n, s, 1, (LT *)ut, 2 * ldu, (LT *)vp, 2 * ldv);
  for (int64_t i = 0; i < n; i++) s[i] *= scale > 0 ? scale : 1;
  if (uv) { /* u = (U^T)^T; vt = V^H = conj(V^T) */
    Z(transpose_ld)(mu, m, ut, ldu, u, mu, 0);
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) vt[i * n + j] = ZCONJ(vp[i * ldv + j]);
  }
  free(buf);
  return FNX_OK;
}

/* any shape: a wide matrix is the conjugate transpose of a tall one (a^H = U S V^H, so
 * a = V S U^H) */
static int Z(svd)(int64_t m, int64_t n, const ZT *a, int full, int uv, LT *s, ZT *u, ZT *vt,
                  int nt) {
  const int wide = m < n;
  const int64_t tm = wide ? n : m, tn = wide ? m : n, mu = full ? tm : tn;
  ZT *buf = (ZT *)fnx_aligned_alloc(sizeof(ZT) *
                                    (size_t)(m * n + (wide && uv ? tm * mu + tn * tn : 0) + 1));
  if (!buf) return FNX_ERR_ALLOC;
  if (wide) Z(transpose_ld)(m, n, a, n, buf, m, 1);
  else memcpy(buf, a, sizeof(ZT) * (size_t)(m * n));
  int err;
  if (!wide) {
    err = Z(svd_tall)(m, n, buf, full, uv, s, u, vt, nt);
  } else {
    ZT *tu = buf + m * n, *tvt = tu + tm * mu;
    err = Z(svd_tall)(tm, tn, buf, full, uv, s, uv ? tu : NULL, uv ? tvt : NULL, nt);
    if (uv && !err) {
      Z(transpose_ld)(tn, tn, tvt, tn, u, tn, 1); /* u (m x m) = vt'^H */
      Z(transpose_ld)(tm, mu, tu, mu, vt, tm, 1); /* vt (mu x n) = u'^H */
    }
  }
  free(buf);
  return err;
}
