/* fnx CPU kernels: branch-free elementary functions that gcc can vectorize (private header).
 *
 * Why: glibc's expf/logf/tanhf are scalar calls, and without -ffast-math gcc will not replace
 * them by vector versions, so a unary loop over them runs one element at a time.  The
 * functions here are plain C99 - arithmetic, fmaf/fma (one vfmadd with -march=native),
 * compares that become blends, and integer bit tricks on the IEEE representation - with no
 * branches and no calls, so a loop over them vectorizes under `#pragma omp simd`.  Every
 * special case (NaN, +-inf, +-0, subnormals, overflow, underflow) is handled by the arithmetic
 * itself or by a final select, and matches numpy.
 *
 * Accuracy (measured by tests/test_vmath.py against numpy's float64 / longdouble functions):
 * float32 <= 2 ulp over a strided sweep of all 2^32 bit patterns, float64 <= 2 ulp.
 *
 * Where the polynomial coefficients come from
 * --------------------------------------------
 * Each function is reduced to a short interval, and the smooth remainder is written as
 * "exact leading Taylor terms + x^k * P(x)", so only the correction P is approximated and the
 * leading terms (1, r, r^2/2, ...) stay exact.  P was fitted in numpy as a near-minimax
 * polynomial of the *relative* error of the final function: reference values in np.longdouble,
 * a Chebyshev basis on the interval (well conditioned), and Lawson's iteratively reweighted
 * least squares (each iteration multiplies a node's weight by its current error, which drives
 * the solution to equioscillation), then conversion to monomials.  The sketch:
 *
 *   t = cos(pi (arange(N) + .5) / N); x = mid + half * t            # Chebyshev nodes
 *   A = chebvander(t, deg); u = ones(N) / N
 *   repeat:  s = sqrt(u) * w(x); c = lstsq(A * s[:, None], g(x) * s)
 *            e = |w(x) (A c - g(x))|; u = max(u e, 1e-12 max(u e)); u /= sum(u)
 *   coefficients = cheb2poly(c) composed with t = (x - mid) / half
 *
 * with g the correction (e.g. (expm1(r) - r) / r^2) and w its weight in the relative error of
 * the result (e.g. r^2 / expm1(r)).  The fitted (weighted) errors are quoted at each polynomial;
 * all are well below half an ulp, so the rounding of the last one or two operations dominates.
 *
 * Compiled without -ffast-math and with -ffp-contract=off: every fmaf below is deliberate.
 */
#ifndef FNX_VMATH_H
#define FNX_VMATH_H

#include <stdint.h>
#include <string.h>
#include <math.h>

/* bit casts through memcpy: well defined, and gcc turns them into plain register moves */
static inline uint32_t fnx_asu32(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float fnx_asf32(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
static inline uint64_t fnx_asu64(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double fnx_asf64(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* c ? a : b as a bit blend.  A plain ?: is a branch to gcc until its if-conversion pass, and
 * before that pass it happily sinks the whole computation of `a` into the taken side when `a`
 * is used nowhere else - after which the loop has control flow and does not vectorize.  The
 * blend uses both operands unconditionally. */
static inline float fnx_self32(int c, float a, float b) {
  const uint32_t m = (uint32_t)-(int32_t)(c != 0);
  return fnx_asf32((fnx_asu32(a) & m) | (fnx_asu32(b) & ~m));
}
static inline double fnx_self64(int c, double a, double b) {
  const uint64_t m = (uint64_t)-(int64_t)(c != 0);
  return fnx_asf64((fnx_asu64(a) & m) | (fnx_asu64(b) & ~m));
}

/* ln 2 split in two: hi has its low bits zero, so n * hi is exact for the |n| that occur and
 * x - n * hi - n * lo gives the reduced argument with ~2x working precision (Cody-Waite). */
#define FNX_LN2F_HI 0x1.62e4p-1f          /* 0.693145751953125, 9 trailing zero bits */
#define FNX_LN2F_LO 0x1.7f7d1cp-20f       /* ln 2 - hi */
#define FNX_LN2F 0x1.62e430p-1f           /* ln 2 rounded to float */
#define FNX_LN2_HI 6.93147180369123816490e-01 /* classic fdlibm split: 32 significant bits */
#define FNX_LN2_LO 1.90821492927058770002e-10
#define FNX_LOG2E 1.44269504088896340736

/* ======================================== float32 ========================================= */

/* Shared exp reduction: x = n ln2 + r, |r| <= ln2 / 2 (plus a hair), and q = expm1(r).
 * n = rint(x / ln2) by the 1.5 * 2^23 "shifter": adding it pushes the fraction bits out, so
 * the float sum is rounded to an integer and that integer sits in the low mantissa bits (for
 * |x / ln2| < 2^22).  No float->int conversion, hence no UB for NaN or huge inputs.
 * expm1(r) = r + r^2 P(r), P of degree 4 (fitted weighted error 2^-26.2 relative). */
#define FNX_SHIFTF 0x1.8p23f
static inline float fnx_expm1_core_f32(float x, int32_t *n) {
  const float z = fmaf(x, (float)FNX_LOG2E, FNX_SHIFTF);
  const float nf = z - FNX_SHIFTF;
  *n = (int32_t)(fnx_asu32(z) - fnx_asu32(FNX_SHIFTF));
  float r = fmaf(nf, -FNX_LN2F_HI, x);
  r = fmaf(nf, -FNX_LN2F_LO, r);
  const float r2 = r * r;
  float p = 0.00138825167f;
  p = fmaf(p, r, 0.00836654752f);
  p = fmaf(p, r, 0.0416672006f);
  p = fmaf(p, r, 0.166665435f);
  p = fmaf(p, r, 0.49999997f);
  return fmaf(r2, p, r);
}

/* 2^n as a float for n in [-126, 127]: build the exponent field directly */
static inline float fnx_pow2i_f32(int32_t n) { return fnx_asf32((uint32_t)(n + 127) << 23); }

/* exp(x).  The input is clamped to [-104, 89]: exp(-104) < 2^-150 rounds to 0, exp(89)
 * overflows, so the clamp changes no result but bounds n to [-150, 128].  2^n is applied as
 * 2^(n/2) * 2^(n - n/2): both factors are normal floats, the first product is exact, and the
 * second rounds once - which gives correctly rounded subnormals, +0 below them and +inf above
 * FLT_MAX with no special cases.  NaN passes the clamp (comparisons are false) and the
 * polynomial, so it comes out NaN; -inf clamps to 0, +inf to inf. */
static inline float fnx_vexpf(float x) {
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  int32_t n;
  const float q = fnx_expm1_core_f32(xc, &n);
  const float p = 1.0f + q;
  const int32_t n1 = n >> 1; /* arithmetic shift (gcc): floor(n / 2) */
  return p * fnx_pow2i_f32(n1) * fnx_pow2i_f32(n - n1);
}

/* expm1(x) = 2^n (1 + q) - 1 = 2 (t q + (t - 1/2)) with t = 2^(n-1): the fma rounds once, the
 * doubling is exact, and using 2^(n-1) keeps t finite for n = 128 (x just below the overflow
 * threshold).  For n = 0 the answer is q itself (keeps tiny and subnormal x exact).  Clamp to
 * [-30, 89]: expm1(-30) rounds to -1, 89 overflows.  x == 0 keeps its sign. */
static inline float fnx_vexpm1f(float x) {
  float xc = x < -30.0f ? -30.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  int32_t n;
  const float q = fnx_expm1_core_f32(xc, &n);
  const float t = fnx_pow2i_f32(n - 1);
  float y = 2.0f * fmaf(t, q, t - 0.5f);
  y = fnx_self32(n == 0, q, y);
  return fnx_self32(x == 0.0f, x, y);
}

/* log of a positive finite float (subnormals included).  x = 2^k m with m in [sqrt(1/2),
 * sqrt(2)): subtracting the bits of sqrt(1/2) from the bits of x makes the exponent field
 * floor(log2(x / sqrt(1/2))), which is k; removing k from the exponent gives m (exactly).
 * Subnormals are first scaled by 2^23.  f = m - 1 is exact (Sterbenz) and lies in
 * [-0.2929, 0.4143];  log(1 + f) = f - f^2/2 + f^3 Q(f), Q of degree 7 (fitted weighted error
 * 2^-27.3 relative to log1p(f)).  Then log x = k ln2 + log1p(f): k ln2_hi + f in one fma, the
 * small terms (k ln2_lo and the polynomial part) added last. */
static inline float fnx_log_core_f32(float x) {
  const int sub = x < 0x1p-126f;
  /* scale = 2^23 or 1, built with a mask: written as a select of two constants, gcc turns
   * x * scale into a conditional multiply (x * 1 == x) and then cannot if-convert it */
  const uint32_t msk = (uint32_t)-sub;
  const float xs = x * fnx_asf32(0x3f800000u + (msk & (23u << 23)));
  const uint32_t ix = fnx_asu32(xs);
  const uint32_t t = ix - 0x3f3504f3u; /* bits of sqrt(1/2) */
  const int32_t k = (int32_t)t >> 23;
  const float m = fnx_asf32(ix - ((uint32_t)k << 23));
  const float f = m - 1.0f;
  const float kf = (float)(k - (int32_t)(msk & 23u));
  float q = -0.0763565302f;
  q = fmaf(q, f, 0.127633259f);
  q = fmaf(q, f, -0.131605834f);
  q = fmaf(q, f, 0.142015532f);
  q = fmaf(q, f, -0.166232988f);
  q = fmaf(q, f, 0.200012341f);
  q = fmaf(q, f, -0.250008225f);
  q = fmaf(q, f, 0.333333313f);
  const float f2 = f * f;
  const float lo = fmaf(kf, FNX_LN2F_LO, f2 * fmaf(f, q, -0.5f)); /* -f^2/2 + f^3 Q */
  return fmaf(kf, FNX_LN2F_HI, f) + lo;
}

/* log(x): numpy's specials - log(+-0) = -inf, log(x < 0) = NaN (also -inf), log(inf) = inf,
 * NaN stays NaN.  Note for all of this file: gcc only if-converts a ?: whose arms do no
 * floating-point arithmetic (that could trap, and -ftrapping-math is on), so every arm is a
 * value computed unconditionally before the select; anything else is "control flow in loop"
 * and kills vectorization. */
static inline float fnx_vlogf(float x) {
  const float y = fnx_log_core_f32(x);
  const float spec = x == 0.0f ? -INFINITY : (x < 0.0f ? NAN : x);
  return fnx_self32((x > 0.0f) & (x < INFINITY), y, spec);
}

/* log1p(x) = log(u) + c / u with u = fl(1 + x) and c = (1 + x) - u, the exact rounding error
 * of that sum (Fast2Sum: subtract the larger operand first).  c / u is below half an ulp of
 * log(u)'s scale, so first order suffices.  Specials: log1p(-1) = -inf, x < -1 -> NaN,
 * inf -> inf, NaN -> NaN, +-0 and tiny x returned as x (u == 1, c == x). */
static inline float fnx_vlog1pf(float x) {
  const float u = 1.0f + x;
  const float c1 = 1.0f - (u - x), c2 = x - (u - 1.0f);
  const float c = fnx_self32((x > 1.0f) | (x < -1.0f), c1, c2);
  const float y = fnx_log_core_f32(u) + c / u;
  const float spec = x == -1.0f ? -INFINITY : (x < -1.0f ? NAN : x);
  const float r = fnx_self32((x > -1.0f) & (x < INFINITY), y, spec);
  return fnx_self32(x == 0.0f, x, r);
}

/* tanh(x), on a = |x| with the sign put back at the end (so -0 stays -0):
 *  a < 0.625: tanh(a) = a + a^3 T(a^2), T of degree 4 (fitted on [0, 0.625], weighted error
 *          2^-27.8 relative); exact for tiny and subnormal a, where a^3 underflows.
 *  a >= 0.625: tanh(a) = 1 - 2 / (E + 1), E = exp(2a).  The subtracted term is < 0.45 and one
 *          binade below the result, so its ~1.5 ulp of rounding error reach the result halved.
 *          E only needs the plain exp reduction: 2a is clamped to 40 (2 / (E + 1) < 2^-56
 *          there, so the result is exactly 1, also for a = inf), hence n <= 58 and one 2^n
 *          factor suffices (no subnormal / overflow handling).
 * Both branches are computed and one is selected (no branches); NaN falls to the second,
 * which propagates it.  Exhaustively checked: max 1 ulp (vs tanh in double, rounded). */
static inline float fnx_vtanhf(float x) {
  const float a = fabsf(x);
  const float y = a * a;
  float p = -0.00570498686f;
  p = fmaf(p, y, 0.0206390861f);
  p = fmaf(p, y, -0.0537397154f);
  p = fmaf(p, y, 0.133314416f);
  p = fmaf(p, y, -0.333332807f);
  const float small = fmaf(a * y, p, a);
  float a2 = 2.0f * a;
  a2 = a2 > 40.0f ? 40.0f : a2;
  int32_t n;
  const float q = fnx_expm1_core_f32(a2, &n);
  const float E = (1.0f + q) * fnx_pow2i_f32(n);
  const float big = 1.0f - 2.0f / (E + 1.0f);
  return copysignf(fnx_self32(a < 0.625f, small, big), x);
}

/* logistic(x) = 1 / (1 + exp(-x)).  With e = exp(-|x|) in (0, 1]: x >= 0 -> 1 / (1 + e),
 * x < 0 -> e / (1 + e).  Neither form overflows, and for very negative x the result is e
 * itself to full relative precision (down into the subnormals), not an absolute-error 0.
 * logistic(-inf) = 0, logistic(inf) = 1, NaN -> NaN. */
static inline float fnx_vlogisticf(float x) {
  const float e = fnx_vexpf(-fabsf(x));
  return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

/* ======================================== float64 ========================================= */

#define FNX_SHIFT 0x1.8p52
static inline double fnx_pow2i_f64(int64_t n) { return fnx_asf64((uint64_t)(n + 1023) << 52); }

/* exp(x), same scheme as float32: n = rint(x / ln2) by the 1.5 * 2^52 shifter, Cody-Waite
 * reduction with the fdlibm ln2 split, exp(r) = 1 + (r + r^2 (1/2 + r P(r))), P of degree 8
 * (fitted weighted error 2^-56.2 relative), 2^n applied in two halves.  Clamp to [-746, 710]:
 * exp(-746) rounds to 0, exp(710) overflows. */
static inline double fnx_vexp(double x) {
  double xc = x < -746.0 ? -746.0 : x;
  xc = xc > 710.0 ? 710.0 : xc;
  const double z = fma(xc, FNX_LOG2E, FNX_SHIFT);
  const double nf = z - FNX_SHIFT;
  const int64_t n = (int64_t)(fnx_asu64(z) - fnx_asu64(FNX_SHIFT));
  double r = fma(nf, -FNX_LN2_HI, xc);
  r = fma(nf, -FNX_LN2_LO, r);
  double p = 2.490219821300458e-08;
  p = fma(p, r, 2.7625539382442244e-07);
  p = fma(p, r, 2.7557882454058685e-06);
  p = fma(p, r, 2.4801507677694387e-05);
  p = fma(p, r, 0.00019841269192525513);
  p = fma(p, r, 0.0013888888927738);
  p = fma(p, r, 0.008333333333626595);
  p = fma(p, r, 0.0416666666666012);
  p = fma(p, r, 0.16666666666666252);
  const double q = fma(r * r, fma(r, p, 0.5), r);
  const double e = 1.0 + q;
  const int64_t n1 = n >> 1;
  return e * fnx_pow2i_f64(n1) * fnx_pow2i_f64(n - n1);
}

/* log(x): x = 2^k m, m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), s = f / (2 + f) so
 * log1p(f) = 2 atanh(s) = 2s + s R(s^2) with |s| <= 0.1716.  Writing 2s = f - s f and
 * s f = hfsq (1 - s), hfsq = f^2 / 2, gives log1p(f) = f - (hfsq - s (hfsq + R)), whose
 * corrections are small next to f.  R(z) = z L(z), L of degree 6 fitted to
 * (2 atanh(sqrt z) / sqrt z - 2) / z (weighted error 2^-55.6).  The division is the price of
 * the short polynomial (the direct log1p series on [-0.29, 0.41] would need ~20 terms). */
static inline double fnx_vlog(double x) {
  const int sub = x < 0x1p-1022;
  const uint64_t msk = (uint64_t)-(int64_t)sub;
  const double xs = x * fnx_asf64(0x3ff0000000000000ull + (msk & (52ull << 52)));
  const uint64_t ix = fnx_asu64(xs);
  const uint64_t t = ix - 0x3fe6a09e667f3bcdull; /* bits of sqrt(1/2) */
  const int64_t k = (int64_t)t >> 52;
  const double m = fnx_asf64(ix - ((uint64_t)k << 52));
  const double f = m - 1.0;
  /* int64 -> double through the bits of 2^52 + 2048 + k (|k| < 1100): AVX2 has no vector
   * int64 -> double conversion, which kept this loop scalar there */
  const double kd = fnx_asf64(0x4330000000000000ull + (uint64_t)(k - (int64_t)(msk & 52u) + 2048))
                    - 4503599627372544.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  double l = 0.14771015809291566;
  l = fma(l, z, 0.1531619887582085);
  l = fma(l, z, 0.18183494272030284);
  l = fma(l, z, 0.2222219962489708);
  l = fma(l, z, 0.2857142873543933);
  l = fma(l, z, 0.3999999999942971);
  l = fma(l, z, 0.6666666666666734);
  const double R = z * l;
  const double hfsq = 0.5 * f * f;
  const double y = fma(kd, FNX_LN2_HI, f - (hfsq - fma(s, hfsq + R, kd * FNX_LN2_LO)));
  const double spec = x == 0.0 ? -INFINITY : (x < 0.0 ? NAN : x);
  return fnx_self64((x > 0.0) & (x < INFINITY), y, spec);
}

/* tanh(x) as in float32, with the switch at |x| = 0.625 (tanh(a) = a + a^3 T(a^2), T of degree
 * 10, fitted weighted error ~2^-53: limited by the float64 fit itself) and
 * 1 - 2 / (exp(2a) + 1) above (the subtracted term is < 0.45 there).  Saturates to exactly 1
 * for a > 19.1. */
static inline double fnx_vtanh(double x) {
  const double a = fabs(x);
  const double y = a * a;
  double p = -1.576231429032481e-05;
  p = fma(p, y, 7.652854178975504e-05);
  p = fma(p, y, -0.00022804687691439765);
  p = fma(p, y, 0.0005860771388685439);
  p = fma(p, y, -0.0014548923646062405);
  p = fma(p, y, 0.0035919778419660695);
  p = fma(p, y, -0.008863219843770535);
  p = fma(p, y, 0.02186948750934812);
  p = fma(p, y, -0.05396825392931731);
  p = fma(p, y, 0.13333333333259334);
  p = fma(p, y, -0.3333333333333283);
  const double small = fma(a * y, p, a);
  const double big = 1.0 - 2.0 / (fnx_vexp(2.0 * a) + 1.0);
  return copysign(fnx_self64(a < 0.625, small, big), x);
}

/* logistic in float64, same formulation as float32 */
static inline double fnx_vlogistic(double x) {
  const double e = fnx_vexp(-fabs(x));
  return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}

/* erf(x) for float32, evaluated in double (vectorizes as well: one conversion each way) and
 * rounded once at the end, so the result is within ~0.5 ulp.  With a = |x|:
 *   a < 1:      erf = a P(2 a^2 - 1), P of degree 6 fitted to erf(a) / a over a^2 in [0, 1]
 *               (weighted error 2^-29.7 relative);
 *   1 <= a:     erf = 1 - exp(-a^2) Q((a - 2.5) / 1.5), Q of degree 12 fitted to
 *               erfc(a) exp(a^2) on [1, 4] (absolute error 2^-29.5, times exp(-a^2) <= 0.37);
 *               a is clamped to 4 first: erfc(a) < 2^-26 above 3.92, so float erf is exactly 1
 *               there (and for a = inf).
 * The sign is copied back last (erf(-0) = -0); NaN fails every compare and stays NaN. */
static inline float fnx_verff(float x) {
  const double a = fabs((double)x);
  const double y = a * a;
  const double ts = 2.0 * y - 1.0;
  double ps = 1.2326732700000984e-06;
  ps = fma(ps, ts, -1.7669079460653216e-05);
  ps = fma(ps, ts, 0.00021751044010098717);
  ps = fma(ps, ts, -0.002285419530580532);
  ps = fma(ps, ts, 0.019852498303908193);
  ps = fma(ps, ts, -0.1405360972811153);
  ps = fma(ps, ts, 0.9654687386052678);
  const double small = a * ps;
  const double ab = fnx_self64(a > 4.0, 4.0, a);
  const double tb = (ab - 2.5) * (1.0 / 1.5);
  double pb = 1.4285723781261473e-05;
  pb = fma(pb, tb, -3.692796305914966e-05);
  pb = fma(pb, tb, 5.3547276176682076e-05);
  pb = fma(pb, tb, -0.00014395068399910343);
  pb = fma(pb, tb, 0.0004160831590869434);
  pb = fma(pb, tb, -0.0010171156948003794);
  pb = fma(pb, tb, 0.002400884937286278);
  pb = fma(pb, tb, -0.005567333815619675);
  pb = fma(pb, tb, 0.012489895117044958);
  pb = fma(pb, tb, -0.027005725128810172);
  pb = fma(pb, tb, 0.05611045617264246);
  pb = fma(pb, tb, -0.11152100470336812);
  pb = fma(pb, tb, 0.21080636450391982);
  const double big = 1.0 - fnx_vexp(-ab * ab) * pb;
  return copysignf((float)fnx_self64(a < 1.0, small, big), x);
}

#endif
