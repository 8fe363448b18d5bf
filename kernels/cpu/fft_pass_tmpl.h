/* fnx CPU kernels, FFT: the Stockham butterfly passes of one precision, a template included by
 * fft.c once per precision after defining T (float / double) and FSFX (the name suffix).
 *
 * Pass (p, l1, ido) reads cc as (l1, p, ido) and writes ch as (p, l1, ido): for every group k
 * and offset i it does a length-p DFT of cc[k, :, i], multiplies output q by the twiddle
 * exp(-2 pi i q i / (ido p)) and stores it at ch[q, k, i] (decimation in frequency; the
 * output order needs no bit reversal).  Each element is a vector of V complex numbers (V
 * columns side by side).  Directions: `s` = +1 forward, -1 inverse conjugates the twiddles and
 * the butterflies' rotations.  `sc` scales the outputs (1 except on the last pass).
 *
 * Every radix has one `run` loop over L butterflies with element strides as parameters; the
 * drivers call it with literal strides of 1 so that, once inlined, gcc vectorizes the loop
 * over contiguous data: the offsets i (V = 1, long runs), the groups k (V = 1, short runs),
 * or the V columns. */

#define FCAT2(a, b) a##_##b
#define FCAT(a, b) FCAT2(a, b)
#define F(name) FCAT(name, FSFX)
#define FINLINE static inline __attribute__((always_inline))

/* run arguments: L butterflies; input e at in + 2 e ie, its j-th operand ij further; output e
 * at out + 2 e oe, its q-th result oj further; twiddle of output q at tw + 2 ((q - 1) tj + e te)
 * (te = 0: one twiddle for the whole run) */
#define RUN_ARGS                                                                             \
  int64_t L, const T *restrict in, int64_t ie, int64_t ij, T *restrict out, int64_t oe,       \
      int64_t oj, const T *restrict tw, int64_t te, int64_t tj, T s, T sc
#define RUN_PASS L, in, ie, ij, out, oe, oj, tw, te, tj, s, sc

/* output q of butterfly e: (xr, xi) times twiddle q (conjugated for s = -1), times sc */
#define STORE_TW(q, xr, xi)                                                                  \
  do {                                                                                       \
    const T *w_ = tw + 2 * (((q) - 1) * tj + e * te);                                         \
    const T wr_ = w_[0] * sc, wi_ = s * w_[1] * sc;                                          \
    o[2 * (q) * oj] = (xr) * wr_ - (xi) * wi_;                                               \
    o[2 * (q) * oj + 1] = (xr) * wi_ + (xi) * wr_;                                           \
  } while (0)
#define LOAD(j, xr, xi) const T xr = a[2 * (j) * ij], xi = a[2 * (j) * ij + 1]

FINLINE void F(run2)(RUN_ARGS) {
  for (int64_t e = 0; e < L; e++) {
    const T *a = in + 2 * e * ie;
    T *o = out + 2 * e * oe;
    LOAD(0, ar, ai);
    LOAD(1, br, bi);
    o[0] = (ar + br) * sc, o[1] = (ai + bi) * sc;
    STORE_TW(1, ar - br, ai - bi);
  }
}

FINLINE void F(run4)(RUN_ARGS) {
  for (int64_t e = 0; e < L; e++) {
    const T *a = in + 2 * e * ie;
    T *o = out + 2 * e * oe;
    LOAD(0, a0r, a0i);
    LOAD(1, a1r, a1i);
    LOAD(2, a2r, a2i);
    LOAD(3, a3r, a3i);
    const T t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
    const T t2r = a1r + a3r, t2i = a1i + a3i, t3r = s * (a1r - a3r), t3i = s * (a1i - a3i);
    o[0] = (t0r + t2r) * sc, o[1] = (t0i + t2i) * sc;
    STORE_TW(1, t1r + t3i, t1i - t3r); /* t1 - i s t3 */
    STORE_TW(2, t0r - t2r, t0i - t2i);
    STORE_TW(3, t1r - t3i, t1i + t3r);
  }
}

FINLINE void F(run3)(RUN_ARGS) {
  const T c3 = (T)0.86602540378443864676; /* sin(2 pi / 3) */
  for (int64_t e = 0; e < L; e++) {
    const T *a = in + 2 * e * ie;
    T *o = out + 2 * e * oe;
    LOAD(0, a0r, a0i);
    LOAD(1, a1r, a1i);
    LOAD(2, a2r, a2i);
    const T tr = a1r + a2r, ti = a1i + a2i;
    const T dr = s * c3 * (a1r - a2r), di = s * c3 * (a1i - a2i);
    const T mr = a0r - (T)0.5 * tr, mi = a0i - (T)0.5 * ti;
    o[0] = (a0r + tr) * sc, o[1] = (a0i + ti) * sc;
    STORE_TW(1, mr + di, mi - dr);
    STORE_TW(2, mr - di, mi + dr);
  }
}

FINLINE void F(run5)(RUN_ARGS) {
  const T c1 = (T)0.30901699437494742410, c2 = (T)-0.80901699437494742410; /* cos 2pi/5, 4pi/5 */
  const T s1 = (T)0.95105651629515357212, s2 = (T)0.58778525229247312917;  /* sin */
  for (int64_t e = 0; e < L; e++) {
    const T *a = in + 2 * e * ie;
    T *o = out + 2 * e * oe;
    LOAD(0, a0r, a0i);
    LOAD(1, a1r, a1i);
    LOAD(2, a2r, a2i);
    LOAD(3, a3r, a3i);
    LOAD(4, a4r, a4i);
    const T t1r = a1r + a4r, t1i = a1i + a4i, t2r = a2r + a3r, t2i = a2i + a3i;
    const T d1r = s * (a1r - a4r), d1i = s * (a1i - a4i);
    const T d2r = s * (a2r - a3r), d2i = s * (a2i - a3i);
    const T A1r = a0r + c1 * t1r + c2 * t2r, A1i = a0i + c1 * t1i + c2 * t2i;
    const T A2r = a0r + c2 * t1r + c1 * t2r, A2i = a0i + c2 * t1i + c1 * t2i;
    const T B1r = s1 * d1r + s2 * d2r, B1i = s1 * d1i + s2 * d2i;
    const T B2r = s2 * d1r - s1 * d2r, B2i = s2 * d1i - s1 * d2i;
    o[0] = (a0r + t1r + t2r) * sc, o[1] = (a0i + t1i + t2i) * sc;
    STORE_TW(1, A1r + B1i, A1i - B1r); /* A - i s B */
    STORE_TW(4, A1r - B1i, A1i + B1r);
    STORE_TW(2, A2r + B2i, A2i - B2r);
    STORE_TW(3, A2r - B2i, A2i + B2r);
  }
}

/* generic odd radix p <= FFT_GENERIC_MAX: roots = exp(-2 pi i m / p); pairs j, p - j share
 * their sums and differences, so outputs m and p - m come from one cosine and one sine sum */
static void F(rung)(RUN_ARGS, int64_t p, const T *restrict roots) {
  const int64_t h = p / 2;
  for (int64_t e = 0; e < L; e++) {
    const T *a = in + 2 * e * ie;
    T *o = out + 2 * e * oe;
    T tr[FFT_GENERIC_MAX / 2 + 1], ti[FFT_GENERIC_MAX / 2 + 1];
    T dr[FFT_GENERIC_MAX / 2 + 1], di[FFT_GENERIC_MAX / 2 + 1];
    LOAD(0, a0r, a0i);
    T y0r = a0r, y0i = a0i;
    for (int64_t j = 1; j <= h; j++) {
      LOAD(j, xr, xi);
      LOAD(p - j, zr, zi);
      tr[j] = xr + zr, ti[j] = xi + zi, dr[j] = s * (xr - zr), di[j] = s * (xi - zi);
      y0r += tr[j], y0i += ti[j];
    }
    o[0] = y0r * sc, o[1] = y0i * sc;
    for (int64_t m = 1; m <= h; m++) {
      T Ar = a0r, Ai = a0i, Br = 0, Bi = 0;
      int64_t r = 0; /* j m mod p */
      for (int64_t j = 1; j <= h; j++) {
        r += m;
        if (r >= p) r -= p;
        const T c = roots[2 * r], sn = -roots[2 * r + 1];
        Ar += c * tr[j], Ai += c * ti[j], Br += sn * dr[j], Bi += sn * di[j];
      }
      STORE_TW(m, Ar + Bi, Ai - Br);
      STORE_TW(p - m, Ar - Bi, Ai + Br);
    }
  }
}

/* one run of the radix of pass ip */
FINLINE void F(run_radix)(const fft_plan *P, int ip, RUN_ARGS) {
  switch (P->radix[ip]) {
  case 2: F(run2)(RUN_PASS); break;
  case 3: F(run3)(RUN_PASS); break;
  case 4: F(run4)(RUN_PASS); break;
  case 5: F(run5)(RUN_PASS); break;
  default: F(rung)(RUN_PASS, P->radix[ip], (const T *)P->gen[ip]); break;
  }
}

/* pass ip of P from cc to ch, V columns */
static void F(pass)(const fft_plan *P, int ip, const T *cc, T *ch, int64_t V, T s, T sc) {
  const int64_t p = P->radix[ip], l1 = P->l1[ip], ido = P->n / (l1 * p);
  const T *tw = (const T *)P->tw[ip];
  if (V > 1) { /* vectorized over the columns */
    for (int64_t k = 0; k < l1; k++)
      for (int64_t i = 0; i < ido; i++)
        F(run_radix)(P, ip, V, cc + 2 * V * (i + ido * p * k), 1, ido * V,
                     ch + 2 * V * (i + ido * k), 1, ido * l1 * V, tw + 2 * i, 0, ido, s, sc);
  } else if (ido >= 8 || ido >= l1) { /* over the offsets i within each group */
    for (int64_t k = 0; k < l1; k++)
      F(run_radix)(P, ip, ido, cc + 2 * ido * p * k, 1, ido, ch + 2 * ido * k, 1, ido * l1, tw,
                   1, ido, s, sc);
  } else { /* short runs (the last passes): over the groups k */
    for (int64_t i = 0; i < ido; i++)
      F(run_radix)(P, ip, l1, cc + 2 * i, ido * p, ido, ch + 2 * i, ido, ido * l1, tw + 2 * i,
                   0, ido, s, sc);
  }
}

/* y = sc * DFT(x) by P's passes, ping-ponging between y and work (n V each) so that the last
 * pass lands in y; x is only read */
static void F(run_passes)(const fft_plan *P, T s, T sc, const T *x, T *y, T *work, int64_t V) {
  const int np = P->npass;
  if (np == 0) { /* n = 1 */
    for (int64_t c = 0; c < 2 * V; c++) y[c] = x[c] * sc;
    return;
  }
  const T *src = x;
  for (int ip = 0; ip < np; ip++) {
    T *dst = (np - 1 - ip) % 2 == 0 ? y : work;
    F(pass)(P, ip, src, dst, V, s, ip == np - 1 ? sc : (T)1);
    src = dst;
  }
}

#undef RUN_ARGS
#undef RUN_PASS
#undef STORE_TW
#undef LOAD
