/* fnx: the complex elementary functions on the GPU, fnx_ct_<fn><T, R>, included by
 * fnx_complex.h under FNX_SCALAR_CUDA (NVRTC has no <complex.h>, CUDA no ccos & co.).
 *
 * Written on CUDA's real functions, once for both precisions (C++ templates over the struct T
 * and its part type R).  Finite arguments get formulas that stay accurate where the textbook
 * ones cancel or overflow: Kahan's ("Branch cuts for complex elementary functions", 1987) for
 * the inverse functions, whose square roots of 1 +- z put the branch cuts and the signs of
 * zero where C99 Annex G wants them.  Infinite and NaN parts follow Annex G's tables (the
 * signs it leaves unspecified may differ from glibc's).
 */
#ifndef FNX_COMPLEX_CUDA_H
#define FNX_COMPLEX_CUDA_H

/* CUDA's real functions under one name for float and double */
#define FNX_CT_REAL1_(fn)                                           \
  FNX_DEV float fnx_r_##fn(float x) { return fn##f(x); }            \
  FNX_DEV double fnx_r_##fn(double x) { return fn(x); }
#define FNX_CT_REAL2_(fn)                                                     \
  FNX_DEV float fnx_r_##fn(float x, float y) { return fn##f(x, y); }          \
  FNX_DEV double fnx_r_##fn(double x, double y) { return fn(x, y); }
FNX_CT_REAL1_(exp) FNX_CT_REAL1_(log) FNX_CT_REAL1_(log1p) FNX_CT_REAL1_(sqrt)
FNX_CT_REAL1_(sin) FNX_CT_REAL1_(cos) FNX_CT_REAL1_(tan) FNX_CT_REAL1_(sinh)
FNX_CT_REAL1_(cosh) FNX_CT_REAL1_(asinh) FNX_CT_REAL1_(fabs)
FNX_CT_REAL2_(hypot) FNX_CT_REAL2_(atan2) FNX_CT_REAL2_(copysign)
/* above this |part|, squares and sums of two parts may overflow (~ max / 4) */
FNX_DEV float fnx_r_big(float) { return 8.5e37f; }
FNX_DEV double fnx_r_big(double) { return 4.4e307; }
/* below this |part|, hypot loses digits to subnormals: such parts are scaled up by an even
 * power of two first */
FNX_DEV float fnx_r_tiny(float) { return 1e-18f; }
FNX_DEV double fnx_r_tiny(double) { return 1e-150; }
FNX_DEV float fnx_r_upscale(float) { return 18446744073709551616.0f; } /* 2^64 */
FNX_DEV double fnx_r_upscale(double) { return 1.3407807929942597e154; } /* 2^512 */
FNX_DEV float fnx_r_sqrt_upscale(float) { return 4294967296.0f; }        /* 2^32 */
FNX_DEV double fnx_r_sqrt_upscale(double) { return 1.157920892373162e77; } /* 2^256 */
/* beyond this |z|, asinh z = log 2z to the last bit (1 / z^2 < ulp) */
FNX_DEV float fnx_r_asym(float) { return 1e4f; }
FNX_DEV double fnx_r_asym(double) { return 1e8; }
/* beyond this |x|, tanh(x + iy) is +-1 to the last bit */
FNX_DEV float fnx_r_tanh_big(float) { return 9.0f; }
FNX_DEV double fnx_r_tanh_big(double) { return 22.0; }

template <typename T, typename R> FNX_DEV T fnx_ct_make(R re, R im) {
  T z;
  z.re = re;
  z.im = im;
  return z;
}
template <typename R> FNX_DEV bool fnx_r_isinf(R x) { return x - x != x - x && x == x; }
template <typename R> FNX_DEV bool fnx_r_finite(R x) { return x - x == x - x; }
/* -i f(i z) and the like: multiplying by +-i swaps the parts exactly, signed zeros included */
template <typename T, typename R> FNX_DEV T fnx_ct_times_i(T z) { return fnx_ct_make<T, R>(-z.im, z.re); }
template <typename T, typename R> FNX_DEV T fnx_ct_times_minus_i(T z) { return fnx_ct_make<T, R>(z.im, -z.re); }

/* e^x (cos y + i sin y); e^x is split in two halves where it alone would overflow */
template <typename T, typename R> FNX_DEV T fnx_ct_exp(T z) {
  const R x = z.re, y = z.im;
  if (y == 0) return fnx_ct_make<T, R>(fnx_r_exp(x), y);
  if (!fnx_r_finite(y)) {
    if (fnx_r_isinf(x)) return x > 0 ? fnx_ct_make<T, R>(x, y - y) : fnx_ct_make<T, R>(0, 0);
    return fnx_ct_make<T, R>(y - y, y - y);
  }
  const R e = fnx_r_exp(x), c = fnx_r_cos(y), s = fnx_r_sin(y);
  if (fnx_r_isinf(e) && fnx_r_finite(x)) {
    const R h = fnx_r_exp(x * R(0.5));
    return fnx_ct_make<T, R>(h * c * h, h * s * h);
  }
  return fnx_ct_make<T, R>(e * c, e * s);
}

/* log|z| + i arg z; near |z| = 1 log|z| = log1p((a - 1)(a + 1) + b^2) / 2 (a >= b the parts'
 * magnitudes), which keeps the digits log(hypot) would cancel; scaled where hypot overflows
 * or meets subnormals */
template <typename T, typename R> FNX_DEV T fnx_ct_log(T z) {
  const R x = z.re, y = z.im, ax = fnx_r_fabs(x), ay = fnx_r_fabs(y);
  const R a = ax > ay ? ax : ay, b = ax > ay ? ay : ax;
  R re;
  if (a >= R(0.5) && a <= R(2))
    re = R(0.5) * fnx_r_log1p((a - R(1)) * (a + R(1)) + b * b);
  else if (a > fnx_r_big(a) && fnx_r_finite(a))
    re = fnx_r_log(fnx_r_hypot(x * R(0.5), y * R(0.5))) + R(0.69314718055994530942);
  else if (a < fnx_r_tiny(a) && a > 0) {
    const R s = fnx_r_upscale(a);
    re = fnx_r_log(fnx_r_hypot(x * s, y * s)) - fnx_r_log(s);
  } else
    re = fnx_r_log(fnx_r_hypot(x, y));
  return fnx_ct_make<T, R>(re, fnx_r_atan2(y, x));
}

/* the principal root: t = sqrt((|x| + |z|) / 2), then the other part is y / 2t (scaled where
 * |x| + |z| overflows or hypot meets subnormals) */
template <typename T, typename R> FNX_DEV T fnx_ct_sqrt(T z) {
  const R x = z.re, y = z.im;
  if (fnx_r_isinf(y)) return fnx_ct_make<T, R>(fnx_r_fabs(y), y);
  if (x != x) return fnx_ct_make<T, R>(x, x);
  if (fnx_r_isinf(x)) {
    if (x > 0) return fnx_ct_make<T, R>(x, y != y ? y : fnx_r_copysign(R(0), y));
    return fnx_ct_make<T, R>(y != y ? y : R(0), fnx_r_copysign(-x, y));
  }
  if (y != y) return fnx_ct_make<T, R>(y, y);
  if (x == 0 && y == 0) return fnx_ct_make<T, R>(R(0), y);
  const R ax = fnx_r_fabs(x), ay = fnx_r_fabs(y);
  R t;
  if (ax > fnx_r_big(ax) || ay > fnx_r_big(ax)) {
    t = R(2) * fnx_r_sqrt((ax * R(0.25) + fnx_r_hypot(x * R(0.25), y * R(0.25))) * R(0.5));
  } else if (ax < fnx_r_tiny(ax) && ay < fnx_r_tiny(ax)) {
    const R s = fnx_r_upscale(ax);
    t = fnx_r_sqrt((ax * s + fnx_r_hypot(x * s, y * s)) * R(0.5)) / fnx_r_sqrt_upscale(ax);
  } else {
    t = fnx_r_sqrt((ax + fnx_r_hypot(x, y)) * R(0.5));
  }
  if (x >= 0) return fnx_ct_make<T, R>(t, y / (R(2) * t));
  return fnx_ct_make<T, R>(fnx_r_fabs(y) / (R(2) * t), fnx_r_copysign(t, y));
}

/* sinh x cos y + i cosh x sin y (an infinite x with a NaN Im: +inf, Annex G leaves the sign
 * open and glibc picks +) */
template <typename T, typename R> FNX_DEV T fnx_ct_sinh(T z) {
  const R x = z.re, y = z.im;
  if (y == 0) return fnx_ct_make<T, R>(fnx_r_sinh(x), y);
  if (!fnx_r_finite(y) && x == 0) return fnx_ct_make<T, R>(x, y - y);
  if (!fnx_r_finite(y) && fnx_r_isinf(x)) return fnx_ct_make<T, R>(fnx_r_fabs(x), y - y);
  return fnx_ct_make<T, R>(fnx_r_sinh(x) * fnx_r_cos(y), fnx_r_cosh(x) * fnx_r_sin(y));
}

/* cosh x cos y + i sinh x sin y */
template <typename T, typename R> FNX_DEV T fnx_ct_cosh(T z) {
  const R x = z.re, y = z.im;
  if (y == 0) return fnx_ct_make<T, R>(fnx_r_cosh(x), fnx_r_copysign(R(1), x) * y);
  if (!fnx_r_finite(y)) {
    if (x == 0) return fnx_ct_make<T, R>(y - y, R(0));
    if (fnx_r_isinf(x)) return fnx_ct_make<T, R>(fnx_r_fabs(x), y - y);
  }
  return fnx_ct_make<T, R>(fnx_r_cosh(x) * fnx_r_cos(y), fnx_r_sinh(x) * fnx_r_sin(y));
}

/* Kahan's tanh: with t = tan y, s = sinh x, rho = sqrt(1 + s^2), beta = 1 + t^2:
 * (beta rho s + i t) / (1 + beta s^2); +-1 + i 0 sin 2y once |x| is large */
template <typename T, typename R> FNX_DEV T fnx_ct_tanh(T z) {
  const R x = z.re, y = z.im;
  if (x != x) return fnx_ct_make<T, R>(x, y == 0 ? y : x);
  if (fnx_r_isinf(x))
    return fnx_ct_make<T, R>(fnx_r_copysign(R(1), x),
                             fnx_r_copysign(R(0), fnx_r_finite(y) ? fnx_r_sin(y) * fnx_r_cos(y) : y));
  if (!fnx_r_finite(y)) return fnx_ct_make<T, R>(x == 0 ? x : y - y, y - y);
  if (fnx_r_fabs(x) >= fnx_r_tanh_big(x)) {
    const R e = fnx_r_exp(-fnx_r_fabs(x));
    return fnx_ct_make<T, R>(fnx_r_copysign(R(1), x), R(4) * fnx_r_sin(y) * fnx_r_cos(y) * e * e);
  }
  const R t = fnx_r_tan(y), beta = R(1) + t * t, s = fnx_r_sinh(x);
  const R rho = fnx_r_sqrt(R(1) + s * s), den = R(1) + beta * s * s;
  return fnx_ct_make<T, R>(beta * rho * s / den, t / den);
}

/* sin z = -i sinh(iz), cos z = cosh(iz), tan z = -i tanh(iz) (Annex G's definitions) */
template <typename T, typename R> FNX_DEV T fnx_ct_sin(T z) {
  return fnx_ct_times_minus_i<T, R>(fnx_ct_sinh<T, R>(fnx_ct_times_i<T, R>(z)));
}
template <typename T, typename R> FNX_DEV T fnx_ct_cos(T z) {
  return fnx_ct_cosh<T, R>(fnx_ct_times_i<T, R>(z));
}
template <typename T, typename R> FNX_DEV T fnx_ct_tan(T z) {
  return fnx_ct_times_minus_i<T, R>(fnx_ct_tanh<T, R>(fnx_ct_times_i<T, R>(z)));
}

/* asinh for an infinite or NaN part (Annex G; odd and conjugate-symmetric) */
template <typename T, typename R> FNX_DEV T fnx_ct_asinh_special(T z) {
  const R x = z.re, y = z.im, pi_2 = R(1.57079632679489661923);
  if (fnx_r_isinf(x) || fnx_r_isinf(y)) {
    if (x != x) return fnx_ct_make<T, R>(y, x);
    if (y != y) return fnx_ct_make<T, R>(x, y);
    const R im = fnx_r_isinf(x) ? (fnx_r_isinf(y) ? pi_2 * R(0.5) : R(0)) : pi_2;
    return fnx_ct_make<T, R>(fnx_r_copysign(fnx_r_fabs(x) + fnx_r_fabs(y), x), fnx_r_copysign(im, y));
  }
  return fnx_ct_make<T, R>(x + y, y == 0 ? y : x + y); /* NaN, but asinh(NaN + i0) keeps 0 */
}

/* Kahan's asin of a finite z: s1 = sqrt(1 - z), s2 = sqrt(1 + z),
 * Re = atan(x / Re(s1 s2)), Im = asinh(Im(conj(s1) s2)) */
template <typename T, typename R> FNX_DEV T fnx_ct_asin_finite(T z) {
  const T s1 = fnx_ct_sqrt<T, R>(fnx_ct_make<T, R>(R(1) - z.re, -z.im));
  const T s2 = fnx_ct_sqrt<T, R>(fnx_ct_make<T, R>(R(1) + z.re, z.im));
  return fnx_ct_make<T, R>(fnx_r_atan2(z.re, s1.re * s2.re - s1.im * s2.im),
                           fnx_r_asinh(s1.re * s2.im - s1.im * s2.re));
}

/* |z| so large that 1 / z^2 is below an ulp */
template <typename T, typename R> FNX_DEV bool fnx_ct_huge(T z) {
  return fnx_r_fabs(z.re) > fnx_r_asym(z.re) || fnx_r_fabs(z.im) > fnx_r_asym(z.re);
}

/* asinh z = i asin(-iz); for huge |z| log 2z on |x| (asinh is odd), where s1 s2 would
 * overflow; asin z = -i asinh(iz) */
template <typename T, typename R> FNX_DEV T fnx_ct_asinh(T z) {
  if (!(fnx_r_finite(z.re) && fnx_r_finite(z.im))) return fnx_ct_asinh_special<T, R>(z);
  if (fnx_ct_huge<T, R>(z)) {
    const T l = fnx_ct_log<T, R>(fnx_ct_make<T, R>(fnx_r_fabs(z.re), z.im));
    return fnx_ct_make<T, R>(fnx_r_copysign(l.re + R(0.69314718055994530942), z.re), l.im);
  }
  return fnx_ct_times_i<T, R>(fnx_ct_asin_finite<T, R>(fnx_ct_times_minus_i<T, R>(z)));
}
template <typename T, typename R> FNX_DEV T fnx_ct_asin(T z) {
  return fnx_ct_times_minus_i<T, R>(fnx_ct_asinh<T, R>(fnx_ct_times_i<T, R>(z)));
}

/* Kahan's acos: Re = 2 atan(Re s1 / Re s2), Im = asinh(Im(conj(s2) s1)) (-Im asin z for huge
 * |z|, where the product overflows); an infinite or NaN part: pi/2 - asin z (Annex G's
 * values) */
template <typename T, typename R> FNX_DEV T fnx_ct_acos(T z) {
  if (!(fnx_r_finite(z.re) && fnx_r_finite(z.im))) {
    const T w = fnx_ct_asin<T, R>(z);
    return fnx_ct_make<T, R>(R(1.57079632679489661923) - w.re, -w.im);
  }
  const T s1 = fnx_ct_sqrt<T, R>(fnx_ct_make<T, R>(R(1) - z.re, -z.im));
  const T s2 = fnx_ct_sqrt<T, R>(fnx_ct_make<T, R>(R(1) + z.re, z.im));
  const R im = fnx_ct_huge<T, R>(z) ? -fnx_ct_asin<T, R>(z).im
                                    : fnx_r_asinh(s2.re * s1.im - s2.im * s1.re);
  return fnx_ct_make<T, R>(R(2) * fnx_r_atan2(s1.re, s2.re), im);
}

/* Kahan's acosh: with s1 = sqrt(z - 1), s2 = sqrt(z + 1): Re = asinh(Re(conj(s1) s2)) (log 2|z|
 * for huge |z|), Im = 2 atan(Im s1 / Re s2); an infinite or NaN part: +-i acos z with
 * Re >= 0 */
template <typename T, typename R> FNX_DEV T fnx_ct_acosh(T z) {
  if (!(fnx_r_finite(z.re) && fnx_r_finite(z.im))) {
    const T w = fnx_ct_acos<T, R>(z);
    return fnx_ct_make<T, R>(fnx_r_fabs(w.im), fnx_r_copysign(w.re, z.im));
  }
  const T s1 = fnx_ct_sqrt<T, R>(fnx_ct_make<T, R>(z.re - R(1), z.im));
  const T s2 = fnx_ct_sqrt<T, R>(fnx_ct_make<T, R>(z.re + R(1), z.im));
  const R re = fnx_ct_huge<T, R>(z) ? fnx_ct_log<T, R>(z).re + R(0.69314718055994530942)
                                    : fnx_r_asinh(s1.re * s2.re + s1.im * s2.im);
  return fnx_ct_make<T, R>(re, R(2) * fnx_r_atan2(s1.im, s2.re));
}

/* Kahan's atanh, on |x| (Re is odd in x, Im even): Re = log1p(4x / ((1 - x)^2 + y^2)) / 4, or
 * near the pole 1 (where that denominator cancels or underflows) the same as
 * (log|1 + z| - log|1 - z|) / 2; Im = atan2(2y, (1 - x)(1 + x) - y^2) / 2; for large |z|:
 * Re = x / |z|^2, Im = +-pi/2 */
template <typename T, typename R> FNX_DEV T fnx_ct_atanh(T z) {
  const R x = z.re, y = z.im, pi_2 = R(1.57079632679489661923);
  if (fnx_r_isinf(y)) return fnx_ct_make<T, R>(fnx_r_copysign(R(0), x), fnx_r_copysign(pi_2, y));
  if (fnx_r_isinf(x))
    return fnx_ct_make<T, R>(fnx_r_copysign(R(0), x), y != y ? y : fnx_r_copysign(pi_2, y));
  if (x != x || y != y) return fnx_ct_make<T, R>(x == 0 ? x : x + y, x + y);
  const R ax = fnx_r_fabs(x), ay = fnx_r_fabs(y), big = R(1) / fnx_r_sqrt(fnx_r_big(x));
  if (ax * big > R(1) || ay * big > R(1)) {
    const R h = fnx_r_hypot(x, y);
    return fnx_ct_make<T, R>(x / h / h, fnx_r_copysign(pi_2, y));
  }
  const R one_minus = R(1) - ax, den = one_minus * one_minus + y * y;
  const R re = den < R(0.25)
                   ? R(0.5) * (fnx_r_log(fnx_r_hypot(R(1) + ax, y)) - fnx_r_log(fnx_r_hypot(one_minus, y)))
                   : R(0.25) * fnx_r_log1p(R(4) * ax / den);
  return fnx_ct_make<T, R>(fnx_r_copysign(re, x),
                           R(0.5) * fnx_r_atan2(R(2) * y, one_minus * (R(1) + ax) - y * y));
}

/* atan z = -i atanh(iz) */
template <typename T, typename R> FNX_DEV T fnx_ct_atan(T z) {
  return fnx_ct_times_minus_i<T, R>(fnx_ct_atanh<T, R>(fnx_ct_times_i<T, R>(z)));
}

/* cpow's fallback: exp(b log a) (fnx_s_pow_<sfx> handles 0, 1 and integral exponents first) */
template <typename T, typename R> FNX_DEV T fnx_ct_pow(T a, T b) {
  const T l = fnx_ct_log<T, R>(a);
  return fnx_ct_exp<T, R>(fnx_ct_make<T, R>(b.re * l.re - b.im * l.im, b.re * l.im + b.im * l.re));
}

#endif
