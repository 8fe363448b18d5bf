/* fnx CPU kernels: Cholesky, triangular solve, LU and QR of one row-major complex matrix, a
 * template included by lapack.c after the real templates of the same precision: LT is the real
 * type (and L() its helpers), ZT the complex type, ZSFX the name suffix (c64 / c128), ZRE / ZIM /
 * ZCONJ / ZABS / ZSQRT the <complex.h> functions of the precision, LEPS the unit roundoff,
 * LMIN the smallest normal number.
 *
 * Unblocked textbook algorithms (Golub & Van Loan ch. 3-5) with LAPACK's complex conventions:
 * zlarfg's reflector H = I - tau v v^H with H^H x = beta e_1 and beta REAL (so R's diagonal,
 * the tridiagonal and the bidiagonal come out real, as numpy / LAPACK return them), LU pivots
 * by |re| + |im| (izamax).  Inner loops run on the interleaved (re, im) floats so gcc
 * vectorizes them (C's complex multiply goes through a NaN-checking libcall). */

#define Z(name) LCAT(name, ZSFX)

static inline ZT Z(mk)(LT re, LT im) {
  ZT z;
  __real__ z = re;
  __imag__ z = im;
  return z;
}

/* |re| + |im|: LAPACK's cabs1, the magnitude of pivot searches and convergence tests */
static inline LT Z(cabs1)(ZT z) { return (LT)(fabs((double)ZRE(z)) + fabs((double)ZIM(z))); }

/* sum conj(x_i) y_i over contiguous x, y */
static ZT Z(dotc)(int64_t n, const ZT *x, const ZT *y) {
  const LT *a = (const LT *)x, *b = (const LT *)y;
  LT sr = 0, si = 0;
#pragma omp simd reduction(+ : sr, si)
  for (int64_t i = 0; i < n; i++) {
    sr += a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
    si += a[2 * i] * b[2 * i + 1] - a[2 * i + 1] * b[2 * i];
  }
  return Z(mk)(sr, si);
}

/* sum x_i y_i over contiguous x, y */
static ZT Z(dotu)(int64_t n, const ZT *x, const ZT *y) {
  const LT *a = (const LT *)x, *b = (const LT *)y;
  LT sr = 0, si = 0;
#pragma omp simd reduction(+ : sr, si)
  for (int64_t i = 0; i < n; i++) {
    sr += a[2 * i] * b[2 * i] - a[2 * i + 1] * b[2 * i + 1];
    si += a[2 * i] * b[2 * i + 1] + a[2 * i + 1] * b[2 * i];
  }
  return Z(mk)(sr, si);
}

/* y -= f x (conj_x: y -= f conj(x)) over contiguous x, y */
static void Z(axpy_any)(int64_t n, ZT f, const ZT *x, ZT *y, int conj_x) {
  const LT fr = ZRE(f), fi = ZIM(f), sg = conj_x ? -1 : 1;
  const LT *a = (const LT *)x;
  LT *b = (LT *)y;
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    const LT xr = a[2 * i], xi = sg * a[2 * i + 1];
    b[2 * i] -= fr * xr - fi * xi;
    b[2 * i + 1] -= fr * xi + fi * xr;
  }
}

static void Z(axpy)(int64_t n, ZT f, const ZT *x, ZT *y) { Z(axpy_any)(n, f, x, y, 0); }
static void Z(axpyc)(int64_t n, ZT f, const ZT *x, ZT *y) { Z(axpy_any)(n, f, x, y, 1); }

static void Z(scal)(int64_t n, ZT f, ZT *x) { /* x *= f */
  const LT fr = ZRE(f), fi = ZIM(f);
  LT *b = (LT *)x;
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    const LT xr = b[2 * i], xi = b[2 * i + 1];
    b[2 * i] = fr * xr - fi * xi, b[2 * i + 1] = fr * xi + fi * xr;
  }
}

static void Z(fill_nan)(int64_t n, ZT *x) {
  for (int64_t i = 0; i < n; i++) x[i] = Z(mk)((LT)NAN, (LT)NAN);
}

/* largest |z| of n values; NaN when any is NaN or infinite */
static LT Z(max_abs)(int64_t n, const ZT *x) {
  LT mx = 0;
  for (int64_t i = 0; i < n; i++) {
    const LT v = (LT)ZABS(x[i]);
    if (!(v <= (LT)INFINITY) || isinf(v)) return (LT)NAN;
    if (v > mx) mx = v;
  }
  return mx;
}

/* sqrt(sum |x_i|^2) over n values of stride inc, scaled against overflow / underflow */
static LT Z(norm2)(int64_t n, const ZT *x, int64_t inc) {
  double scale = 0;
  for (int64_t i = 0; i < n; i++) {
    const double v = fmax(fabs((double)ZRE(x[i * inc])), fabs((double)ZIM(x[i * inc])));
    if (v != v) return (LT)NAN;
    if (v > scale) scale = v;
  }
  if (scale == 0 || isinf(scale)) return (LT)scale;
  double s = 0;
  for (int64_t i = 0; i < n; i++) {
    const double re = (double)ZRE(x[i * inc]) / scale, im = (double)ZIM(x[i * inc]) / scale;
    s += re * re + im * im;
  }
  return (LT)(scale * sqrt(s));
}

/* zlarfg: the reflector H = I - tau v v^H (v[0] = 1) with H^H x = beta e_1, beta real with the
 * sign opposite to re(x[0]), for the n values of x (stride inc); tau = 0 when x is already
 * real times e_1.  x becomes (beta, v[1:]). */
static ZT Z(householder)(int64_t n, ZT *x, int64_t inc) {
  if (n <= 0) return 0;
  const LT xnorm = Z(norm2)(n - 1, x + inc, inc);
  const LT ar = ZRE(x[0]), ai = ZIM(x[0]);
  if (xnorm == 0 && ai == 0) return 0;
  const LT beta = (LT)-copysign(hypot(hypot((double)ar, (double)ai), (double)xnorm), (double)ar);
  const ZT tau = Z(mk)((beta - ar) / beta, -ai / beta);
  const ZT scale = 1 / (x[0] - beta);
  for (int64_t i = 1; i < n; i++) x[i * inc] *= scale;
  x[0] = beta;
  return tau;
}

/* c (mm x nc, row stride ldc) <- (I - tau v v^H) c; v: mm values of stride incv, v[0] = 1
 * implied; w: scratch of nc */
static void Z(reflect_left)(int64_t mm, int64_t nc, const ZT *v, int64_t incv, ZT tau, ZT *c,
                            int64_t ldc, ZT *w) {
  if (tau == 0 || nc <= 0) return;
  memcpy(w, c, sizeof(ZT) * (size_t)nc); /* w = v^H c */
  for (int64_t i = 1; i < mm; i++) Z(axpy)(nc, -ZCONJ(v[i * incv]), c + i * ldc, w);
  Z(axpy)(nc, tau, w, c);
  for (int64_t i = 1; i < mm; i++) Z(axpy)(nc, tau * v[i * incv], w, c + i * ldc);
}

/* c (mr x nn, row stride ldc) <- c (I - tau v v^H) for a contiguous v (v[0] = 1 stored) */
static void Z(reflect_right)(int64_t mr, int64_t nn, const ZT *v, ZT tau, ZT *c, int64_t ldc) {
  if (tau == 0 || nn <= 0) return;
  for (int64_t r = 0; r < mr; r++) {
    ZT *row = c + r * ldc;
    Z(axpyc)(nn, tau * Z(dotu)(nn, row, v), v, row);
  }
}

/* q (n x n) = H_0 ... H_{nr-1}, reflector k acting on indices k + 1 .. n - 1 with v stored from
 * s[k][k + 1] along the row (by_rows) or from s[k + 1][k] down the column (stride ld), v[0] = 1
 * implied; accumulated backwards from the identity.  w: scratch of n. */
static void Z(form_q_reflectors)(int64_t n, int64_t nr, const ZT *s, int64_t ld, int by_rows,
                                 const ZT *tau, ZT *q, ZT *w) {
  for (int64_t i = 0; i < n * n; i++) q[i] = 0;
  for (int64_t i = 0; i < n; i++) q[i * n + i] = 1;
  for (int64_t k = nr - 1; k >= 0; k--) {
    const ZT *v = by_rows ? s + k * ld + k + 1 : s + (k + 1) * ld + k;
    Z(reflect_left)(n - k - 1, n - k - 1, v, by_rows ? 1 : ld, tau[k], q + (k + 1) * n + k + 1,
                    n, w);
  }
}

/* t (n x m, row stride ldt) = a^T (hermitian: a^H) for a (m x n, row stride lda) */
static void Z(transpose_ld)(int64_t m, int64_t n, const ZT *a, int64_t lda, ZT *t, int64_t ldt,
                            int hermitian) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) t[j * ldt + i] = hermitian ? ZCONJ(a[i * lda + j]) : a[i * lda + j];
}

/* ---- Cholesky: a = l l^H, l lower (row-oriented Crout; only a's lower triangle and the real
 * part of its diagonal are read) ---------------------------------------------------------- */
static int Z(cholesky)(int64_t n, const ZT *a, ZT *l, int nt) {
  (void)nt;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) l[i * n + j] = j <= i ? a[i * n + j] : 0;
  for (int64_t j = 0; j < n; j++) {
    ZT *rj = l + j * n;
    const LT s = ZRE(rj[j]) - ZRE(Z(dotc)(j, rj, rj));
    if (!(s > 0)) { /* not positive definite (also NaN) */
      Z(fill_nan)(n * n, l);
      return FNX_OK;
    }
    const LT d = (LT)sqrt((double)s);
    rj[j] = d;
    for (int64_t i = j + 1; i < n; i++) {
      ZT *ri = l + i * n;
      ri[j] = (ri[j] - Z(dotc)(j, rj, ri)) / d;
    }
  }
  return FNX_OK;
}

/* ---- triangular solve -------------------------------------------------------------------- */

/* e x = x in place for the triangular e (m x m; lower or upper), x (m x nc) */
static void Z(trsm_left)(int64_t m, int64_t nc, const ZT *e, int lower, ZT *x) {
  for (int64_t t = 0; t < m; t++) {
    const int64_t i = lower ? t : m - 1 - t;
    ZT *xi = x + i * nc;
    const int64_t p0 = lower ? 0 : i + 1, p1 = lower ? i : m;
    for (int64_t p = p0; p < p1; p++) Z(axpy)(nc, e[i * m + p], x + p * nc, xi);
    Z(scal)(nc, 1 / e[i * m + i], xi);
  }
}

/* op(a) X = b (left) or X op(a) = b, op(a) = a, a^T (trans 1) or a^H (trans 2) of a's lower or
 * upper triangle: an explicit copy e of op(a)'s triangle, then one left substitution (a
 * right-side solve is the left solve of the transposed system, op(a)^T X^T = b^T). */
static int Z(triangular_solve)(int64_t m, int64_t n, const ZT *a, const ZT *b, ZT *x, int left,
                               int lower, int trans, int unit, int nt) {
  (void)nt;
  const int64_t k = left ? m : n;
  ZT *buf = (ZT *)fnx_aligned_alloc(sizeof(ZT) * (size_t)(k * k + (left ? 0 : m * n)));
  if (!buf) return FNX_ERR_ALLOC;
  ZT *e = buf;
  int e_lower = lower ^ (trans != 0);
  for (int64_t i = 0; i < k; i++)
    for (int64_t j = 0; j < k; j++) {
      const int in_tri = e_lower ? j <= i : j >= i;
      const ZT aij = trans ? a[j * k + i] : a[i * k + j];
      const ZT val = trans == 2 ? ZCONJ(aij) : aij;
      /* the right side solves with e^T: store it transposed at once */
      e[left ? i * k + j : j * k + i] = !in_tri ? 0 : (i == j && unit) ? 1 : val;
    }
  if (left) {
    memmove(x, b, sizeof(ZT) * (size_t)(m * n));
    Z(trsm_left)(m, n, e, e_lower, x);
  } else {
    ZT *xt = buf + k * k;
    Z(transpose_ld)(m, n, b, n, xt, m, 0);
    Z(trsm_left)(n, m, e, !e_lower, xt);
    Z(transpose_ld)(n, m, xt, m, x, n, 0);
  }
  free(buf);
  return FNX_OK;
}

/* ---- LU with partial pivoting (right-looking; a (m x n) in place) ------------------------ */
static void Z(swap_rows)(ZT *x, ZT *y, int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    const ZT t = x[j];
    x[j] = y[j], y[j] = t;
  }
}

static int Z(lu)(int64_t m, int64_t n, ZT *a, int32_t *piv, int32_t *perm, int nt) {
  (void)nt;
  const int64_t k = fnx_min64(m, n);
  for (int64_t i = 0; i < m; i++) perm[i] = (int32_t)i;
  for (int64_t j = 0; j < k; j++) {
    int64_t p = j; /* the first largest |re| + |im| (izamax) */
    LT best = Z(cabs1)(a[j * n + j]);
    for (int64_t i = j + 1; i < m; i++) {
      const LT v = Z(cabs1)(a[i * n + j]);
      if (v > best) best = v, p = i;
    }
    piv[j] = (int32_t)p;
    if (p != j) {
      Z(swap_rows)(a + j * n, a + p * n, n);
      const int32_t t = perm[j];
      perm[j] = perm[p], perm[p] = t;
    }
    const ZT d = a[j * n + j];
    if (d == 0) continue; /* singular column: LAPACK leaves it (no division) */
    const ZT r = 1 / d;
    for (int64_t i = j + 1; i < m; i++) {
      a[i * n + j] *= r;
      Z(axpy)(n - j - 1, a[i * n + j], a + j * n + j + 1, a + i * n + j + 1);
    }
  }
  return FNX_OK;
}

/* ---- QR (zgeqrf / zungqr conventions: R's diagonal real) ---------------------------------- */
static int Z(qr)(int64_t m, int64_t n, const ZT *a, int full, ZT *q, ZT *r, int nt) {
  (void)nt;
  const int64_t k = fnx_min64(m, n), mq = full ? m : k;
  ZT *w = (ZT *)fnx_aligned_alloc(sizeof(ZT) * (size_t)(m * n + k + fnx_max64(n, mq) + 1));
  if (!w) return FNX_ERR_ALLOC;
  ZT *tau = w + m * n, *row = tau + k;
  memcpy(w, a, sizeof(ZT) * (size_t)(m * n));
  for (int64_t j = 0; j < k; j++) { /* w <- H_j^H w on the trailing columns */
    tau[j] = Z(householder)(m - j, w + j * n + j, n);
    Z(reflect_left)(m - j, n - j - 1, w + j * n + j, n, ZCONJ(tau[j]), w + j * n + j + 1, n, row);
  }
  for (int64_t i = 0; i < m * mq; i++) q[i] = 0;
  for (int64_t i = 0; i < fnx_min64(m, mq); i++) q[i * mq + i] = 1;
  for (int64_t j = k - 1; j >= 0; j--) /* q = H_0 ... H_{k-1} I, backwards */
    Z(reflect_left)(m - j, mq - j, w + j * n + j, n, tau[j], q + j * mq + j, mq, row);
  for (int64_t i = 0; i < mq; i++)
    for (int64_t j = 0; j < n; j++) r[i * n + j] = (j >= i && i < k) ? w[i * n + j] : 0;
  free(w);
  return FNX_OK;
}
