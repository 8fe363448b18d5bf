/* fnx: the scalar code of the binary special functions of fnx_ops.h (FNX_FLOAT_BINARY_OPS):
 * the regularized incomplete gamma functions P(a, x) / Q(a, x), dP/da, the implicit
 * reparameterization derivative of a Gamma sample, and the Hurwitz zeta function.
 *
 * Included by fnx_scalar.h after its platform section (FNX_DEV_OUTLINE, FNX_INF, FNX_NAN,
 * fnx_m_lgamma and fnx_digamma are defined there), so the same double-precision code runs in
 * the C kernels, the jit's generated C and CUDA.  Plain portable C (also valid C++: the CUDA
 * emulator of the tests compiles it with g++); float32 callers convert to double and round.
 *
 * Incomplete gamma (Numerical Recipes' split, with derivatives carried along):
 *   x < a + 1:  P = exp(a log x - x - lgamma(a + 1)) * S,
 *               S = sum_n x^n / ((a + 1)(a + 2)...(a + n))                 (the series)
 *   otherwise:  Q = exp(a log x - x - lgamma(a)) * F,
 *               F = 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...)))
 *                                                     (continued fraction, modified Lentz)
 * and the other one as 1 minus it, so each is computed where it is not the difference of
 * nearly equal numbers (Q in P's upper tail comes straight from the continued fraction).  The
 * derivatives in a are forward-mode derivatives of the same recurrences (dS/da, dF/da) plus
 * the prefactor's log-derivative (log x - digamma): no cancellation-prone finite difference.
 * The prefactor stays in log space, so the terms never overflow.  Both expansions need
 * O(sqrt(a)) terms where x is near a: they are capped at FNX_IGAMMA_MAXIT terms (accurate up
 * to a ~ 1e6), and an unconverged result is NaN rather than a silently wrong number.
 */
#ifndef FNX_SPECIAL_H
#define FNX_SPECIAL_H

#define FNX_IGAMMA_MAXIT 20000
#define FNX_SPECIAL_EPS 1.1102230246251565e-16 /* 2^-53 */
#define FNX_LENTZ_TINY 1e-300                  /* Lentz's stand-in for a zero denominator */

/* the series: *s = S, *ds = dS/da; returns 0 if it did not converge.  Every dS term is
 * negative (each factor 1/(a + k) decreases in a), so dS sums without cancellation. */
FNX_DEV_OUTLINE int fnx_igamma_series(double a, double x, double *s, double *ds) {
  double term = 1.0, dterm = 0.0, sum = 1.0, dsum = 0.0, ap = a;
  for (int n = 1; n < FNX_IGAMMA_MAXIT; n++) {
    ap += 1.0;
    const double r = x / ap;
    term *= r;                        /* x^n / ((a + 1)...(a + n)) */
    dterm = dterm * r - term / ap;    /* its derivative in a */
    sum += term;
    dsum += dterm;
    if (term <= sum * FNX_SPECIAL_EPS && -dterm <= -dsum * FNX_SPECIAL_EPS) {
      *s = sum;
      *ds = dsum;
      return 1;
    }
  }
  return 0;
}

/* the continued fraction (modified Lentz): *f = F, *df = dF/da; returns 0 if it did not
 * converge.  Its partial numerators are -i (i - a) (d/da: i) and its partial denominators
 * x + 2i + 1 - a (d/da: -1); the derivative of every Lentz quantity rides along. */
FNX_DEV_OUTLINE int fnx_igammac_cf(double a, double x, double *f, double *df) {
  double b = x + 1.0 - a;
  double c = 1.0 / FNX_LENTZ_TINY, dc = 0.0;
  double d = 1.0 / b, dd = d * d; /* d(1/b)/da = -db/b^2 = 1/b^2 */
  double h = d, dh = dd;
  for (int i = 1; i < FNX_IGAMMA_MAXIT; i++) {
    const double an = -i * (i - a), dan = (double)i;
    b += 2.0;
    double dpre = an * d + b, ddpre = dan * d + an * dd - 1.0;
    if (fabs(dpre) < FNX_LENTZ_TINY) {
      dpre = FNX_LENTZ_TINY;
      ddpre = 0.0;
    }
    double cn = b + an / c, dcn = -1.0 + dan / c - an * dc / (c * c);
    if (fabs(cn) < FNX_LENTZ_TINY) {
      cn = FNX_LENTZ_TINY;
      dcn = 0.0;
    }
    c = cn;
    dc = dcn;
    d = 1.0 / dpre;
    dd = -ddpre * d * d;
    const double del = d * c, ddel = dd * c + d * dc;
    dh = dh * del + h * ddel;
    h *= del;
    if (fabs(del - 1.0) <= FNX_SPECIAL_EPS && fabs(h * ddel) <= FNX_SPECIAL_EPS * fabs(dh)) {
      *f = h;
      *df = dh;
      return 1;
    }
  }
  return 0;
}

/* What fnx_igamma_impl returns: P, Q, dP/da, or -(dP/da) / (dP/dx) (the derivative of a
 * Gamma(a, 1) sample in a at a fixed CDF value: implicit reparameterization). */
#define FNX_IGAMMA_P 0
#define FNX_IGAMMA_Q 1
#define FNX_IGAMMA_DA 2
#define FNX_IGAMMA_SAMPLE_DA 3

/* The edge values: NaN for a NaN, a <= 0 or x < 0 (scipy's gammainc) and for a = inf (no
 * derivative there); P = 0 at x = 0, 1 at x = inf.  The derivatives in a are 0 at x = 0 and
 * x = inf; the sample derivative is NaN at x = inf. */
FNX_DEV_OUTLINE double fnx_igamma_edge(double a, double x, int what, int *done) {
  *done = 1;
  if (a != a || x != x || a <= 0.0 || x < 0.0 || a == FNX_INF) return FNX_NAN;
  if (x == 0.0) return what == FNX_IGAMMA_Q ? 1.0 : 0.0;
  if (x == FNX_INF) {
    if (what == FNX_IGAMMA_SAMPLE_DA) return FNX_NAN;
    return what == FNX_IGAMMA_P ? 1.0 : 0.0;
  }
  *done = 0;
  return 0.0;
}

FNX_DEV_OUTLINE double fnx_igamma_impl(double a, double x, int what) {
  int done;
  const double edge = fnx_igamma_edge(a, x, what, &done);
  if (done) return edge;
  const double logx = log(x);
  double v, dv;
  if (x < a + 1.0) {
    if (!fnx_igamma_series(a, x, &v, &dv)) return FNX_NAN;
    /* P = e^L S, L = a log x - x - lgamma(a + 1); dP/da = e^L (S (log x - psi(a + 1)) + dS) */
    const double slope = v * (logx - fnx_digamma(a + 1.0)) + dv;
    if (what == FNX_IGAMMA_SAMPLE_DA) return -slope * x / a; /* dP/dx = e^L a / x */
    const double p = exp(a * logx - x - fnx_m_lgamma(a + 1.0)) * v;
    if (what == FNX_IGAMMA_P) return p;
    if (what == FNX_IGAMMA_Q) return 1.0 - p;
    return exp(a * logx - x - fnx_m_lgamma(a + 1.0)) * slope;
  }
  if (!fnx_igammac_cf(a, x, &v, &dv)) return FNX_NAN;
  /* Q = e^L F, L = a log x - x - lgamma(a); dQ/da = e^L (F (log x - psi(a)) + dF) */
  const double slope = v * (logx - fnx_digamma(a)) + dv;
  if (what == FNX_IGAMMA_SAMPLE_DA) return x * slope; /* dP/dx = e^L / x, dP/da = -dQ/da */
  const double prefactor = exp(a * logx - x - fnx_m_lgamma(a));
  if (what == FNX_IGAMMA_Q) return prefactor * v;
  if (what == FNX_IGAMMA_P) return 1.0 - prefactor * v;
  return -prefactor * slope;
}

FNX_DEV double fnx_igamma(double a, double x) { return fnx_igamma_impl(a, x, FNX_IGAMMA_P); }
FNX_DEV double fnx_igammac(double a, double x) { return fnx_igamma_impl(a, x, FNX_IGAMMA_Q); }
FNX_DEV double fnx_igamma_grad_a(double a, double x) {
  return fnx_igamma_impl(a, x, FNX_IGAMMA_DA);
}
FNX_DEV double fnx_random_gamma_grad(double a, double x) {
  return fnx_igamma_impl(a, x, FNX_IGAMMA_SAMPLE_DA);
}

/* Hurwitz zeta(s, q) = sum_k (q + k)^-s, scipy's semantics: NaN for s < 1 or NaN operands,
 * inf at s == 1 and at the poles q = 0, -1, -2, ...; for other q < 0 only integer s (where
 * (q + k)^-s is real), else NaN.  q < -1e6 (a huge direct sum) is NaN too.
 *
 * Euler-Maclaurin: the first N >= 9 terms directly, until w = q + N >= 9 (stopping early if
 * the terms fall below the rounding of the sum, which is how large s finishes), then
 *   sum_{k>=N} (q + k)^-s ~ w^(1-s) / (s - 1) + w^-s / 2
 *                           + sum_j B_2j / (2j)! s (s + 1)...(s + 2j - 2) w^(-s-2j+1),
 * 12 Bernoulli terms: at w >= 9 the remainder is below 1e-20 of the sum for s up to ~30, and
 * larger s stops early in the direct sum. */
FNX_DEV_OUTLINE double fnx_zeta(double s, double q) {
  /* B_2j / (2j)!, j = 1..12 */
  const double bernoulli_over_factorial[12] = {
      1.0 / 12.0,
      -1.0 / 720.0,
      1.0 / 30240.0,
      -1.0 / 1209600.0,
      1.0 / 47900160.0,
      -691.0 / 1307674368000.0,
      1.0 / 74724249600.0,
      -3617.0 / 10670622842880000.0,
      43867.0 / 5109094217170944000.0,
      -174611.0 / 802857662698291200000.0,
      77683.0 / 14101100039391805440000.0,
      -236364091.0 / 1693824136731743669452800000.0};
  if (s != s || q != q || s < 1.0) return FNX_NAN;
  if (s == 1.0) return FNX_INF;
  if (q <= 0.0) {
    if (q == floor(q)) return FNX_INF;
    if (s != floor(s) || q < -1e6) return FNX_NAN;
  }
  if (s == FNX_INF) return q > 1.0 ? 0.0 : (q == 1.0 ? 1.0 : FNX_INF);
  if (q == FNX_INF) return 0.0;
  double sum = 0.0, w = q;
  for (int n = 0; n < 9 || w < 9.0; n++) {
    const double term = pow(w, -s);
    sum += term;
    w += 1.0;
    if (w > 1.0 && fabs(term) <= FNX_SPECIAL_EPS * fabs(sum)) return sum;
  }
  const double wps = pow(w, -s);
  double tail = w * wps / (s - 1.0) + 0.5 * wps;
  double rising = s * wps / w; /* s (s + 1)...(s + 2j - 2) w^(-s-2j+1) for j = 1 */
  const double inv_w2 = 1.0 / (w * w);
  for (int j = 0; j < 12; j++) {
    tail += bernoulli_over_factorial[j] * rising;
    rising *= (s + 2.0 * j + 1.0) * (s + 2.0 * j + 2.0) * inv_w2;
  }
  return sum + tail;
}

#endif
