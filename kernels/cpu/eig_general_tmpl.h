/* fnx CPU kernels: the eigendecomposition of a general (non-symmetric) square matrix, a
 * template included by lapack.c after lapack_complex_tmpl.h (same LT / ZT / Z() / LEPS / LMIN).
 *
 * Always in complex arithmetic (a real input is converted: its complex eigenvalue pairs come out
 * conjugate to rounding, not exactly).  As LAPACK's zgeev without balancing (Golub & Van Loan
 * 7.4-7.6): scale by the largest |a_ij|, Householder reduction to upper Hessenberg form, the
 * single-shift complex QR iteration (zlahqr: Wilkinson shifts, Ahues-Tisseur deflation test,
 * exceptional shifts every 10 iterations without deflation) on Givens rotations, accumulating
 * the Schur vectors Z (A = Z T Z^H); eigenvectors by back substitution on the triangular T
 * (ztrevc: a divisor T_ii - T_kk below eps |T_kk| is replaced by that bound, so (near-)equal
 * eigenvalues give finite vectors), times Z, each normalized to unit 2-norm with its largest
 * component real and positive (zgeev's normalization).  No convergence within 30 max(10, n)
 * iterations per eigenvalue: all results NaN. */

/* zlahqr's deflation test: is the subdiagonal h[k][k-1] (k >= 1) negligible? */
static int Z(negligible)(int64_t n, const ZT *h, int64_t k) {
  const LT ulp = LEPS, smlnum = (LT)LMIN * ((LT)n / ulp);
  const LT hk = Z(cabs1)(h[k * n + k - 1]);
  if (hk <= smlnum) return 1;
  LT tst = Z(cabs1)(h[(k - 1) * n + k - 1]) + Z(cabs1)(h[k * n + k]);
  if (tst == 0) {
    if (k >= 2) tst += (LT)fabs((double)ZRE(h[(k - 1) * n + k - 2]));
    if (k + 1 < n) tst += (LT)fabs((double)ZRE(h[(k + 1) * n + k]));
  }
  if (!(hk <= ulp * tst)) return 0;
  const LT up = Z(cabs1)(h[(k - 1) * n + k]);
  const LT ab = fmax(hk, up), ba = fmin(hk, up);
  const LT d0 = Z(cabs1)(h[k * n + k]), d1 = Z(cabs1)(h[(k - 1) * n + k - 1] - h[k * n + k]);
  const LT aa = fmax(d0, d1), bb = fmin(d0, d1), s = aa + ab;
  return ba * (ab / s) <= fmax(smlnum, ulp * (bb * (aa / s)));
}

/* the shift of an iteration on the active block l .. i: the eigenvalue of the trailing 2 x 2
 * nearer h[i][i] (Wilkinson), or an exceptional shift when kdefl iterations went by without a
 * deflation */
static ZT Z(qr_shift)(int64_t n, const ZT *h, int64_t l, int64_t i, int64_t kdefl) {
  if (kdefl % 20 == 0) return (LT)0.75 * Z(cabs1)(h[i * n + i - 1]) + h[i * n + i];
  if (kdefl % 10 == 0) return (LT)0.75 * Z(cabs1)(h[(l + 1) * n + l]) + h[l * n + l];
  ZT t = h[i * n + i];
  const ZT u = ZSQRT(h[(i - 1) * n + i]) * ZSQRT(h[i * n + i - 1]);
  LT s = Z(cabs1)(u);
  if (s == 0) return t;
  const ZT x = (LT)0.5 * (h[(i - 1) * n + i - 1] - t);
  const LT sx = Z(cabs1)(x);
  s = fmax(s, sx);
  ZT y = s * ZSQRT((x / s) * (x / s) + (u / s) * (u / s));
  if (sx > 0 && ZRE(x / sx) * ZRE(y) + ZIM(x / sx) * ZIM(y) < 0) y = -y;
  return t - u * (u / (x + y));
}

/* the rotation G = [c s; -conj(s) c] (c real) with G (f, g)^T = (r, 0)^T; returns r */
static ZT Z(givens)(ZT f, ZT g, LT *c, ZT *s) {
  if (g == 0) {
    *c = 1, *s = 0;
    return f;
  }
  const LT ga = (LT)ZABS(g);
  if (f == 0) {
    *c = 0, *s = ZCONJ(g) / ga;
    return ga;
  }
  const LT fa = (LT)ZABS(f), nrm = (LT)hypot((double)fa, (double)ga);
  const ZT alpha = f / fa;
  *c = fa / nrm, *s = alpha * ZCONJ(g) / nrm;
  return alpha * nrm;
}

/* (x, y) <- (c x + s y, -conj(s) x + c y) on n values of strides incx / incy (real
 * arithmetic: C's complex multiply checks every product for NaN) */
static void Z(rotate)(int64_t n, ZT *x, int64_t incx, ZT *y, int64_t incy, LT c, ZT s) {
  const LT sr = ZRE(s), si = ZIM(s);
  LT *xp = (LT *)x, *yp = (LT *)y;
  for (int64_t j = 0; j < n; j++) {
    LT *xj = xp + 2 * j * incx, *yj = yp + 2 * j * incy;
    const LT ar = xj[0], ai = xj[1], br = yj[0], bi = yj[1];
    xj[0] = c * ar + (sr * br - si * bi), xj[1] = c * ai + (sr * bi + si * br);
    yj[0] = c * br - (sr * ar + si * ai), yj[1] = c * bi - (sr * ai - si * ar);
  }
}

/* One single-shift QR sweep on the active block l .. i of the Hessenberg h: the rotation that
 * the shifted first column asks for starts a bulge that rotations chase down the subdiagonal.
 * Rows are rotated over columns k .. i2, columns over rows i1 .. min(k + 2, i) (G^H from the
 * right), and the rows of zt = Z^T (the Schur vectors as rows) like h's columns. */
static void Z(qr_sweep)(int64_t n, ZT *h, ZT *zt, int64_t l, int64_t i, int64_t i1,
                        int64_t i2, ZT shift) {
  for (int64_t k = l; k < i; k++) {
    LT c;
    ZT s;
    if (k == l) {
      Z(givens)(h[l * n + l] - shift, h[(l + 1) * n + l], &c, &s);
    } else {
      h[k * n + k - 1] = Z(givens)(h[k * n + k - 1], h[(k + 1) * n + k - 1], &c, &s);
      h[(k + 1) * n + k - 1] = 0;
    }
    Z(rotate)(i2 - k + 1, h + k * n + k, 1, h + (k + 1) * n + k, 1, c, s);
    const int64_t r1 = fnx_min64(k + 2, i);
    Z(rotate)(r1 - i1 + 1, h + i1 * n + k, n, h + i1 * n + k + 1, n, c, ZCONJ(s));
    if (zt) Z(rotate)(n, zt + k * n, 1, zt + (k + 1) * n, 1, c, ZCONJ(s));
  }
}

/* The Hessenberg h (n x n) to upper triangular T in place (only its active diagonal blocks
 * when !zt), rotating zt's rows alike.  0, or -1 when an eigenvalue does not converge. */
static int Z(schur)(int64_t n, ZT *h, ZT *zt) {
  const int64_t itmax = 30 * fnx_max64(10, n);
  for (int64_t i = n - 1; i >= 0;) {
    int64_t l = 0, kdefl = 0, its = 0;
    for (;; its++) {
      if (its > itmax) return -1;
      int64_t k = i;
      while (k > l && !Z(negligible)(n, h, k)) k--;
      l = k;
      if (l > 0) h[l * n + l - 1] = 0;
      if (l >= i) break;
      kdefl++;
      const int64_t i1 = zt ? 0 : l, i2 = zt ? n - 1 : i;
      Z(qr_sweep)(n, h, zt, l, i, i1, i2, Z(qr_shift)(n, h, l, i, kdefl));
    }
    i = l - 1;
  }
  return 0;
}

/* zgehd2: h (n x n) to upper Hessenberg in place, H_k^H h H_k with reflector k (tau[k]) stored
 * below h[k + 1][k]; v, wk: scratch of n */
static void Z(gehrd)(int64_t n, ZT *h, ZT *tau, ZT *v, ZT *wk) {
  for (int64_t k = 0; k + 2 < n; k++) {
    const int64_t r = n - k - 1;
    ZT *x = h + (k + 1) * n + k;
    tau[k] = Z(householder)(r, x, n);
    if (tau[k] == 0) continue;
    v[0] = 1;
    for (int64_t i = 1; i < r; i++) v[i] = x[i * n];
    Z(reflect_right)(n, r, v, tau[k], h + k + 1, n);
    Z(reflect_left)(r, r, x, n, ZCONJ(tau[k]), h + (k + 1) * n + k + 1, n, wk);
  }
}

/* x (k + 1 values) with (T - T_kk I) x = 0, x_k = 1 before rescaling: back substitution up
 * from row k - 1, tiny divisors raised to smin, x rescaled so |x_i| stays <= 1 (no overflow
 * for the (near-)defective T whose solution grows like 1 / smin^j) */
static void Z(trevc_one)(int64_t n, const ZT *t, int64_t k, ZT *x) {
  const ZT lam = t[k * n + k];
  const LT smin = fmax(LEPS * Z(cabs1)(lam), (LT)LMIN * ((LT)n / LEPS));
  x[k] = 1;
  for (int64_t i = k - 1; i >= 0; i--) {
    const ZT num = -Z(dotu)(k - i, t + i * n + i + 1, x + i + 1); /* x_k rescaled too */
    ZT d = t[i * n + i] - lam;
    if (Z(cabs1)(d) < smin) d = smin;
    x[i] = num / d;
    const LT big = Z(cabs1)(x[i]);
    if (big > 1) Z(scal)(k - i + 1, 1 / big, x + i);
  }
}

/* y (n) = the unit eigenvector Z x for the trevc_one x of column k, its largest component made
 * real positive */
static void Z(eigvec)(int64_t n, const ZT *zt, int64_t k, const ZT *x, ZT *y) {
  for (int64_t r = 0; r < n; r++) y[r] = 0;
  for (int64_t j = 0; j <= k; j++) Z(axpy)(n, -x[j], zt + j * n, y);
  const LT nrm = Z(norm2)(n, y, 1);
  int64_t p = 0;
  LT best = -1;
  for (int64_t r = 0; r < n; r++) {
    const LT m2 = ZRE(y[r]) * ZRE(y[r]) + ZIM(y[r]) * ZIM(y[r]);
    if (m2 > best) best = m2, p = r;
  }
  Z(scal)(n, ZCONJ(y[p]) / ((LT)ZABS(y[p]) * nrm), y);
  y[p] = ZRE(y[p]);
}

/* w (n) eigenvalues, v (n x n) unit right eigenvectors as columns (when compute_v) of a (n x n,
 * of LT when a_real, else of ZT) */
static int Z(eig)(int64_t n, const void *a, int a_real, int compute_v, ZT *w, ZT *v) {
  if (n == 0) return FNX_OK;
  ZT *buf = (ZT *)fnx_aligned_alloc(sizeof(ZT) * (size_t)(n * n * (compute_v ? 2 : 1) + 4 * n));
  if (!buf) return FNX_ERR_ALLOC;
  ZT *h = buf, *tau = h + n * n, *x = tau + n, *y = x + n, *wk = y + n;
  ZT *zt = compute_v ? wk + n : NULL;
  for (int64_t i = 0; i < n * n; i++) h[i] = a_real ? (ZT)((const LT *)a)[i] : ((const ZT *)a)[i];
  const LT scale = Z(max_abs)(n * n, h);
  int bad = isnan(scale);
  if (!bad) {
    if (scale > 0)
      for (int64_t i = 0; i < n * n; i++) h[i] /= scale;
    Z(gehrd)(n, h, tau, x, wk);
    if (zt) { /* Q into v (free until the end), zt = Q^T */
      Z(form_q_reflectors)(n, n >= 2 ? n - 2 : 0, h, n, 0, tau, v, wk);
      Z(transpose_ld)(n, n, v, n, zt, n, 0);
    }
    for (int64_t i = 2; i < n; i++)
      for (int64_t j = 0; j + 1 < i; j++) h[i * n + j] = 0;
    bad = Z(schur)(n, h, zt) != 0;
  }
  if (bad) {
    Z(fill_nan)(n, w);
    if (compute_v) Z(fill_nan)(n * n, v);
    free(buf);
    return FNX_OK;
  }
  for (int64_t i = 0; i < n; i++) w[i] = h[i * n + i] * (scale > 0 ? scale : 1);
  for (int64_t k = 0; zt && k < n; k++) {
    Z(trevc_one)(n, h, k, x);
    Z(eigvec)(n, zt, k, x, y);
    for (int64_t r = 0; r < n; r++) v[r * n + k] = y[r];
  }
  free(buf);
  return FNX_OK;
}
