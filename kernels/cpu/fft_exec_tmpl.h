/* fnx CPU kernels, FFT: running a plan on V columns (four-step, Bluestein, the real-input pre-
 * and post-processing) and the batch driver over (outer, n, inner) arrays; a template included
 * by fft.c once per precision after fft_pass_tmpl.h (same T / FSFX). */

static int F(exec)(const fft_plan *P, T s, T sc, const T *x, T *y, T *work, int64_t V, int nt);

/* dst[r, 0:w] = src[r * src_stride + 0:w] for r < rows (T units) */
static void F(copy_rows)(int64_t rows, int64_t w, const T *src, int64_t src_stride, T *dst,
                         int64_t dst_stride) {
  for (int64_t r = 0; r < rows; r++) memcpy(dst + r * dst_stride, src + r * src_stride,
                                             (size_t)w * sizeof(T));
}

/* ---- four-step: x as (n1, n2, V); n2 column DFTs of length n1, twiddle exp(-2 pi i k1 j2 /
 * n), n1 row DFTs of length n2; y[k1 + n1 k2] = row k1's output k2.  Blocks of columns (rows)
 * are transformed in per-thread scratch and the blocks are shared out over nt threads. */

/* columns j2 in [j0, j0 + b) of x into t = (n1, n2, V), twiddled */
static int F(fourstep_cols)(const fft_plan *P, T s, const T *x, T *t, T *buf, int64_t j0,
                            int64_t b, int64_t V) {
  const int64_t n1 = P->n1, n2 = P->n2, W = b * V;
  T *g = buf, *r = buf + 2 * n1 * W, *work = r + 2 * n1 * W;
  F(copy_rows)(n1, 2 * W, x + 2 * j0 * V, 2 * n2 * V, g, 2 * W);
  int rc = F(exec)(P->sub[0], s, 1, g, r, work, W, 1);
  const T *roots = (const T *)P->roots;
  for (int64_t k1 = 0; k1 < n1; k1++)
    for (int64_t jb = 0; jb < b; jb++) {
      const T *w = roots + 2 * (k1 * n2 + j0 + jb);
      const T wr = w[0], wi = s * w[1];
      const T *a = r + 2 * (k1 * W + jb * V);
      T *o = t + 2 * ((k1 * n2 + j0 + jb) * V);
      for (int64_t c = 0; c < V; c++) {
        o[2 * c] = a[2 * c] * wr - a[2 * c + 1] * wi;
        o[2 * c + 1] = a[2 * c] * wi + a[2 * c + 1] * wr;
      }
    }
  return rc;
}

/* rows k1 in [k0, k0 + b) of t, transformed, into y (the transposed order) */
static int F(fourstep_rows)(const fft_plan *P, T s, T sc, const T *t, T *y, T *buf, int64_t k0,
                            int64_t b, int64_t V) {
  const int64_t n1 = P->n1, n2 = P->n2;
  T *work = buf + 2 * b * n2 * V;
  int rc = FNX_OK;
  for (int64_t kb = 0; kb < b; kb++)
    rc |= F(exec)(P->sub[1], s, sc, t + 2 * (k0 + kb) * n2 * V, buf + 2 * kb * n2 * V, work, V,
                  1);
  for (int64_t k2 = 0; k2 < n2; k2++)
    for (int64_t kb = 0; kb < b; kb++)
      memcpy(y + 2 * ((k0 + kb + n1 * k2) * V), buf + 2 * (kb * n2 + k2) * V,
             (size_t)(2 * V) * sizeof(T));
  return rc;
}

static int F(fourstep)(const fft_plan *P, T s, T sc, const T *x, T *y, int64_t V, int nt) {
  const int64_t n1 = P->n1, n2 = P->n2;
  const int64_t bcols = fnx_max64(1, FFT_COL_BLOCK / V), W = bcols * V;
  const int64_t ncol_blocks = fnx_cdiv(n2, bcols), nrow_blocks = fnx_cdiv(n1, bcols);
  const int64_t buf_size = fnx_max64(2 * n1 * W + fft_work_size(P->sub[0], W),
                                     bcols * n2 * V + fft_work_size(P->sub[1], V));
  T *t = fnx_aligned_alloc((size_t)(2 * P->n * V) * sizeof(T));
  if (!t) return FNX_ERR_ALLOC;
  int rc = FNX_OK;
  if (nt > ncol_blocks) nt = (int)ncol_blocks;
#pragma omp parallel num_threads(nt) if (nt > 1) reduction(| : rc)
  {
    T *buf = fnx_aligned_alloc((size_t)(2 * buf_size) * sizeof(T));
    if (!buf) rc |= FNX_ERR_ALLOC;
#pragma omp for schedule(static)
    for (int64_t bk = 0; bk < ncol_blocks; bk++)
      if (buf) rc |= F(fourstep_cols)(P, s, x, t, buf, bk * bcols,
                                      fnx_min64(bcols, n2 - bk * bcols), V);
#pragma omp for schedule(static)
    for (int64_t bk = 0; bk < nrow_blocks; bk++)
      if (buf) rc |= F(fourstep_rows)(P, s, sc, t, y, buf, bk * bcols,
                                      fnx_min64(bcols, n1 - bk * bcols), V);
    free(buf);
  }
  free(t);
  return rc ? FNX_ERR_ALLOC : FNX_OK;
}

/* ---- Bluestein: y_k = c_k sum_j (x_j c_j) conj(c_{k-j}), c_k = exp(-i pi k^2 / n), the sum a
 * circular convolution of length m by FFTs; the inverse conjugates input and output. */
static int F(bluestein)(const fft_plan *P, T s, T sc, const T *x, T *y, T *work, int64_t V,
                        int nt) {
  const int64_t n = P->n, m = P->m;
  const T *chirp = (const T *)P->roots, *filter = (const T *)P->filter;
  T *a = work, *b = work + 2 * m * V, *sub_work = work + 4 * m * V;
  for (int64_t k = 0; k < n; k++) {
    const T cr = chirp[2 * k], ci = chirp[2 * k + 1];
    for (int64_t c = 0; c < V; c++) {
      const T xr = x[2 * (k * V + c)], xi = s * x[2 * (k * V + c) + 1];
      a[2 * (k * V + c)] = xr * cr - xi * ci;
      a[2 * (k * V + c) + 1] = xr * ci + xi * cr;
    }
  }
  memset(a + 2 * n * V, 0, (size_t)(2 * (m - n) * V) * sizeof(T));
  int rc = F(exec)(P->sub[0], 1, 1, a, b, sub_work, V, nt);
  for (int64_t k = 0; k < m; k++) {
    const T fr = filter[2 * k], fi = filter[2 * k + 1];
    for (int64_t c = 0; c < V; c++) {
      const T br = b[2 * (k * V + c)], bi = b[2 * (k * V + c) + 1];
      b[2 * (k * V + c)] = br * fr - bi * fi;
      b[2 * (k * V + c) + 1] = br * fi + bi * fr;
    }
  }
  rc |= F(exec)(P->sub[0], -1, 1, b, a, sub_work, V, nt);
  for (int64_t k = 0; k < n; k++) {
    const T cr = chirp[2 * k] * sc, ci = chirp[2 * k + 1] * sc;
    for (int64_t c = 0; c < V; c++) {
      const T ar = a[2 * (k * V + c)], ai = a[2 * (k * V + c) + 1];
      y[2 * (k * V + c)] = ar * cr - ai * ci;
      y[2 * (k * V + c) + 1] = s * (ar * ci + ai * cr);
    }
  }
  return rc ? FNX_ERR_ALLOC : FNX_OK;
}

/* y (n, V) = sc * DFT(x), complex plan P; work: fft_work_size(P, V) complex */
static int F(exec)(const fft_plan *P, T s, T sc, const T *x, T *y, T *work, int64_t V, int nt) {
  switch (P->method) {
  case FFT_FOURSTEP: return F(fourstep)(P, s, sc, x, y, V, nt);
  case FFT_BLUESTEIN: return F(bluestein)(P, s, sc, x, y, work, V, nt);
  default: F(run_passes)(P, s, sc, x, y, work, V); return FNX_OK;
  }
}

/* ---- real input: for even n, z_k = x_2k + i x_2k+1 has Z = DFT_{n/2}(z) = E + i O (E, O the
 * DFTs of the even and odd samples), and X_k = E_k + exp(-2 pi i k / n) O_k. */

/* X_k = half * (2 E + 2 w O) from zk = Z_k, zc = Z_{h-k}, w = exp(-2 pi i k / n):
 * 2 E = Z_k + conj Z_{h-k}, 2 O = (Z_k - conj Z_{h-k}) / i */
FINLINE void F(r2c_twist)(const T *zk, const T *zc, const T *w, T half, T *o) {
  const T er = zk[0] + zc[0], ei = zk[1] - zc[1], or_ = zk[1] + zc[1], oi = zc[0] - zk[0];
  o[0] = half * (er + w[0] * or_ - w[1] * oi);
  o[1] = half * (ei + w[0] * oi + w[1] * or_);
}

/* the inverse of r2c_twist: sc * 2 (E_k + i O_k) = sc * (S + i conj(w) D) from xk = X_k,
 * xc = X_{h-k}, where S = X_k + conj X_{h-k} = 2 E_k and D = X_k - conj X_{h-k} = 2 w O_k */
FINLINE void F(c2r_twist)(const T *xk, const T *xc, const T *w, T sc, T *o) {
  const T sr = xk[0] + xc[0], si = xk[1] - xc[1], dr = xk[0] - xc[0], di = xk[1] + xc[1];
  o[0] = sc * (sr - (w[0] * di - w[1] * dr));
  o[1] = sc * (si + (w[0] * dr + w[1] * di));
}

/* y (n/2 + 1, V) complex = sc * the forward DFT of the real x (n, V) */
static int F(r2c_cols)(const fft_plan *P, T sc, const T *x, T *y, T *work, int64_t V, int nt) {
  const int64_t n = P->n, h = n / 2;
  if (P->method == FFT_REAL_ODD) { /* through the complex transform of n */
    T *u = work, *U = work + 2 * n * V;
    for (int64_t k = 0; k < n * V; k++) u[2 * k] = x[k], u[2 * k + 1] = 0;
    int rc = F(exec)(P->sub[0], 1, sc, u, U, U + 2 * n * V, V, nt);
    memcpy(y, U, (size_t)(2 * (h + 1) * V) * sizeof(T));
    return rc;
  }
  T *z = work, *Z = work + 2 * h * V;
  if (V == 1) {
    z = (T *)x; /* the real pairs already are z */
  } else {
    for (int64_t k = 0; k < h; k++)
      for (int64_t c = 0; c < V; c++) {
        z[2 * (k * V + c)] = x[2 * k * V + c];
        z[2 * (k * V + c) + 1] = x[(2 * k + 1) * V + c];
      }
  }
  int rc = F(exec)(P->sub[0], 1, 1, z, Z, Z + 2 * h * V, V, nt);
  const T *roots = (const T *)P->roots;
  const T half = (T)0.5 * sc;
  for (int64_t c = 0; c < V; c++) { /* X_0 and X_h: both from Z_0 */
    F(r2c_twist)(Z + 2 * c, Z + 2 * c, roots, half, y + 2 * c);
    F(r2c_twist)(Z + 2 * c, Z + 2 * c, roots + 2 * h, half, y + 2 * (h * V + c));
  }
  if (V == 1) /* vectorized over k */
    for (int64_t k = 1; k < h; k++)
      F(r2c_twist)(Z + 2 * k, Z + 2 * (h - k), roots + 2 * k, half, y + 2 * k);
  else
    for (int64_t k = 1; k < h; k++)
      for (int64_t c = 0; c < V; c++)
        F(r2c_twist)(Z + 2 * (k * V + c), Z + 2 * ((h - k) * V + c), roots + 2 * k, half,
                     y + 2 * (k * V + c));
  return rc;
}

/* y (n, V) real = sc * the inverse DFT of the Hermitian spectrum x (n/2 + 1, V) */
static int F(c2r_cols)(const fft_plan *P, T sc, const T *x, T *y, T *work, int64_t V, int nt) {
  const int64_t n = P->n, h = n / 2;
  if (P->method == FFT_REAL_ODD) { /* the full spectrum, through the complex transform */
    T *u = work, *U = work + 2 * n * V;
    for (int64_t k = 0; k <= h; k++)
      for (int64_t c = 0; c < V; c++) {
        const T xr = x[2 * (k * V + c)], xi = k == 0 ? 0 : x[2 * (k * V + c) + 1];
        u[2 * (k * V + c)] = xr, u[2 * (k * V + c) + 1] = xi;
        if (k > 0) u[2 * ((n - k) * V + c)] = xr, u[2 * ((n - k) * V + c) + 1] = -xi;
      }
    int rc = F(exec)(P->sub[0], -1, sc, u, U, U + 2 * n * V, V, nt);
    for (int64_t k = 0; k < n * V; k++) y[k] = U[2 * k];
    return rc;
  }
  T *Z = work, *z = V == 1 ? y : work + 2 * h * V;
  const T *roots = (const T *)P->roots;
  for (int64_t c = 0; c < V; c++) { /* X_0 and X_h: their real parts only */
    const T x0[2] = {x[2 * c], 0}, xh[2] = {x[2 * (h * V + c)], 0};
    F(c2r_twist)(x0, xh, roots, sc, Z + 2 * c);
  }
  if (V == 1) /* vectorized over k */
    for (int64_t k = 1; k < h; k++)
      F(c2r_twist)(x + 2 * k, x + 2 * (h - k), roots + 2 * k, sc, Z + 2 * k);
  else
    for (int64_t k = 1; k < h; k++)
      for (int64_t c = 0; c < V; c++)
        F(c2r_twist)(x + 2 * (k * V + c), x + 2 * ((h - k) * V + c), roots + 2 * k, sc,
                     Z + 2 * (k * V + c));
  int rc = F(exec)(P->sub[0], -1, 1, Z, z, work + 4 * h * V, V, nt);
  if (V > 1)
    for (int64_t k = 0; k < h; k++)
      for (int64_t c = 0; c < V; c++) {
        y[2 * k * V + c] = z[2 * (k * V + c)];
        y[(2 * k + 1) * V + c] = z[2 * (k * V + c) + 1];
      }
  return rc;
}

/* ---- batches -------------------------------------------------------------------------------- */

static int F(cols)(const fft_plan *P, int op, T s, T sc, const T *x, T *y, T *work, int64_t V,
                   int nt) {
  switch (op) {
  case FFT_OP_R2C: return F(r2c_cols)(P, sc, x, y, work, V, nt);
  case FFT_OP_C2R: return F(c2r_cols)(P, sc, x, y, work, V, nt);
  default: return F(exec)(P, s, sc, x, y, work, V, nt);
  }
}

/* the op on every (outer, :, inner) line of x into y.  inner = 1: each row in place of x / y;
 * else blocks of up to FFT_COL_BLOCK columns are gathered into contiguous (n, V) scratch.
 * Lines (or blocks) are shared out over the threads; a single one gets them all (four-step
 * splits its work). */
static int F(batch)(const fft_plan *P, int op, T s, T sc, int64_t outer, int64_t inner,
                    const T *x, T *y) {
  const int64_t n = P->n;
  const int64_t in_len = op == FFT_OP_C2R ? n / 2 + 1 : n;
  const int64_t out_len = op == FFT_OP_R2C ? n / 2 + 1 : n;
  const int64_t in_w = op == FFT_OP_R2C ? 1 : 2, out_w = op == FFT_OP_C2R ? 1 : 2;
  const int64_t vmax = fnx_min64(inner, FFT_COL_BLOCK), nblk = fnx_cdiv(inner, vmax);
  const int64_t items = outer * nblk;
  const int64_t gather = inner > 1 ? (in_len * in_w + out_len * out_w) * vmax : 0;
  const int64_t buf_size = gather + 2 * fft_work_size(P, vmax);
  const int nt = fnx_team(outer * n * inner, FFT_PAR_MIN);
  const int nt_items = (int)fnx_min64(nt, items), nt_each = items == 1 ? nt : 1;
  int rc = FNX_OK;
#pragma omp parallel num_threads(nt_items) if (nt_items > 1) reduction(| : rc)
  {
    T *buf = fnx_aligned_alloc((size_t)buf_size * sizeof(T));
    if (!buf) rc |= FNX_ERR_ALLOC;
#pragma omp for schedule(static)
    for (int64_t it = 0; it < items; it++) {
      if (!buf) continue;
      const int64_t o = it / nblk, c0 = (it % nblk) * vmax, V = fnx_min64(vmax, inner - c0);
      const T *xo = x + o * in_len * inner * in_w;
      T *yo = y + o * out_len * inner * out_w;
      if (inner == 1) {
        rc |= F(cols)(P, op, s, sc, xo, yo, buf, 1, nt_each);
        continue;
      }
      T *gx = buf, *gy = buf + in_len * in_w * vmax, *work = gy + out_len * out_w * vmax;
      F(copy_rows)(in_len, V * in_w, xo + c0 * in_w, inner * in_w, gx, V * in_w);
      rc |= F(cols)(P, op, s, sc, gx, gy, work, V, nt_each);
      F(copy_rows)(out_len, V * out_w, gy, V * out_w, yo + c0 * out_w, inner * out_w);
    }
    free(buf);
  }
  return rc ? FNX_ERR_ALLOC : FNX_OK;
}
