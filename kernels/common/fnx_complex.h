/* fnx: the scalar semantics of complex64 / complex128, included at the end of fnx_scalar.h
 * (whose header comment, naming scheme and compile rules hold here too).
 *
 * Types: fnx_complex64 = {float re, im}, fnx_complex128 = {double re, im}: numpy's and C99's
 * layout (fnx_kernels.h's FNX_COMPLEX64 / FNX_COMPLEX128), the same struct on C and CUDA.
 * Dtype suffixes c64, c128; the "real dtype" of each is f32 / f64.
 *
 * Functions (numpy is the reference, except log1p near 0, where numpy 2.4 loses digits;
 * special values and branch cuts follow C99 Annex G, as numpy's do):
 *   T fnx_s_<op>_<sfx>(T x)           the FNX_COMPLEX_UNARY_OPS below
 *   R fnx_s_<abs|real|imag>_<sfx>(T x)    R = the real type (abs: inf beats NaN)
 *   fnx_uint8 fnx_s_is_finite_<sfx>(T x)  both parts finite
 *   T fnx_s_integer_pow_<sfx>(T x, fnx_int64 e)
 *   T fnx_s_<add|sub|mul|div|pow|max|min>_<sfx>(T a, T b)
 *   fnx_uint8 fnx_s_<eq|ne|lt|le|gt|ge>_<sfx>(T a, T b)
 *   T fnx_s_select_<sfx>(fnx_uint8 pred, T on_false, T on_true)
 *   T fnx_s_complex_<f32|f64>(R re, R im)   lax.complex: named by its operands' dtype
 *   fnx_s_convert_<from>_<to> for every pair of the 10 dtypes (FNX_CONVERT_TO_EVERY)
 * Not defined for complex (no kernel: FNX_ERR_UNSUPPORTED): rem, clamp, the rounding and
 * special functions, exp2 / cbrt / logistic, the bit and shift ops, and bitcasts (a complex
 * is two numbers, not one word: bitcast_convert_type has no complex case).
 *
 * Arithmetic is numpy's, not Annex G's: mul is the plain (ac - bd, ad + bc) (no recovery of
 * infinities from NaN parts), div is Smith's algorithm with numpy's division by zero.
 * The elementary functions fnx_cm_<fn>_<sfx> are the platform's: glibc's cexp, clog, csqrt ...
 * on the CPU (which follow Annex G), fnx_complex_cuda.h's own formulas on the GPU.
 */
#ifndef FNX_COMPLEX_H
#define FNX_COMPLEX_H

typedef struct { float re, im; } fnx_complex64;
typedef struct { double re, im; } fnx_complex128;

FNX_DEV fnx_complex64 fnx_c64(float re, float im) {
  fnx_complex64 z;
  z.re = re;
  z.im = im;
  return z;
}
FNX_DEV fnx_complex128 fnx_c128(double re, double im) {
  fnx_complex128 z;
  z.re = re;
  z.im = im;
  return z;
}

/* The two complex dtypes as rows of fnx_scalar.h's type map X(code, T, U, sfx, K, TMIN, TMAX):
 * U is the type of each part, K is C; there is no ordering identity (TMIN/TMAX unused).
 * FNX_ALL_TYPES stays the 8 real dtypes: the kernels that order or accumulate (clamp, sort,
 * reductions, scatter) instantiate over it. */
#define FNX_COMPLEX_TYPES(X)                               \
  X(FNX_COMPLEX64, fnx_complex64, float, c64, C, 0, 0)     \
  X(FNX_COMPLEX128, fnx_complex128, double, c128, C, 0, 0)
#define FNX_ALL_TYPES_AND_COMPLEX(X) FNX_ALL_TYPES(X) FNX_COMPLEX_TYPES(X)
/* the same two dtypes for the definitions below: X(T, R, sfx, rsfx, SUF), rsfx the suffix of
 * the real dtype R, SUF the suffix of R's math functions (sqrtf / sqrt) */
#define FNX_COMPLEX_PRECISIONS(X)                  \
  X(fnx_complex64, float, c64, f32, f)             \
  X(fnx_complex128, double, c128, f64, )

/* The complex -> complex unary ops, X(NAME, name, heavy, T, sfx) (NAME: the fnx_unary_op
 * suffix; heavy as in fnx_ops.h).  The eager kernels instantiate one loop per line. */
#define FNX_COMPLEX_UNARY_OPS(X, T, sfx)                                                   \
  X(NEG, neg, 0, T, sfx) X(CONJ, conj, 0, T, sfx) X(SIGN, sign, 0, T, sfx)                 \
  X(SQRT, sqrt, 1, T, sfx) X(RSQRT, rsqrt, 1, T, sfx) X(EXP, exp, 1, T, sfx)               \
  X(LOG, log, 1, T, sfx) X(LOG1P, log1p, 1, T, sfx) X(EXPM1, expm1, 1, T, sfx)             \
  X(SIN, sin, 1, T, sfx) X(COS, cos, 1, T, sfx) X(TAN, tan, 1, T, sfx)                     \
  X(ASIN, asin, 1, T, sfx) X(ACOS, acos, 1, T, sfx) X(ATAN, atan, 1, T, sfx)               \
  X(SINH, sinh, 1, T, sfx) X(COSH, cosh, 1, T, sfx) X(TANH, tanh, 1, T, sfx)               \
  X(ASINH, asinh, 1, T, sfx) X(ACOSH, acosh, 1, T, sfx) X(ATANH, atanh, 1, T, sfx)

/* the elementary functions each platform provides as fnx_cm_<fn>_<sfx>(T z) (C's names are
 * c<fn> / c<fn>f), each also the op fnx_s_<fn>_<sfx> except tanh (whose op fixes one special
 * value, below); X(fn, T, R, sfx, SUF).  pow is fnx_cm_pow_<sfx>(T a, T b). */
#define FNX_COMPLEX_ELEMENTARY(X, T, R, sfx, SUF)                                           \
  X(exp, T, R, sfx, SUF) X(log, T, R, sfx, SUF) X(sqrt, T, R, sfx, SUF)                    \
  X(sin, T, R, sfx, SUF) X(cos, T, R, sfx, SUF) X(tan, T, R, sfx, SUF)                     \
  X(asin, T, R, sfx, SUF) X(acos, T, R, sfx, SUF) X(atan, T, R, sfx, SUF)                  \
  X(sinh, T, R, sfx, SUF) X(cosh, T, R, sfx, SUF)                                          \
  X(asinh, T, R, sfx, SUF) X(acosh, T, R, sfx, SUF) X(atanh, T, R, sfx, SUF)
#define FNX_COMPLEX_PLATFORM(X, T, R, sfx, SUF) \
  FNX_COMPLEX_ELEMENTARY(X, T, R, sfx, SUF) X(tanh, T, R, sfx, SUF)

/* ==================================== platform ============================================= */
#ifdef FNX_SCALAR_CUDA

#include "fnx_complex_cuda.h"
#define FNX_CM_DEF_UNARY_(fn, T, R, sfx, SUF) \
  FNX_DEV T fnx_cm_##fn##_##sfx(T z) { return fnx_ct_##fn<T, R>(z); }
#define FNX_CM_DEF_POW_(T, R, sfx, SUF) \
  FNX_DEV T fnx_cm_pow_##sfx(T a, T b) { return fnx_ct_pow<T, R>(a, b); }

#else /* C: glibc's <complex.h> functions.  The header itself is not included: its macro `I`
       * would replace the kind letter I of fnx_scalar.h's type rows (and any user's `I`). */

#define FNX_CM_DECLARE_(fn, T, R, sfx, SUF)        \
  extern double _Complex c##fn(double _Complex);   \
  extern float _Complex c##fn##f(float _Complex);
FNX_COMPLEX_PLATFORM(FNX_CM_DECLARE_, -, -, -, -)
extern double _Complex cpow(double _Complex, double _Complex);

/* The struct and R _Complex have the same layout (C11 6.2.5: an array of two R); a union
 * converts between them without aliasing UB. */
#define FNX_CM_DEF_UNARY_(fn, T, R, sfx, SUF)    \
  FNX_DEV T fnx_cm_##fn##_##sfx(T z) {           \
    union { T s; R _Complex c; } u;              \
    u.s = z;                                     \
    u.c = c##fn##SUF(u.c);                       \
    return u.s;                                  \
  }
/* pow in double for complex64 too: cpowf's exp(b log a) loses about |b log a| ulps */
#define FNX_CM_DEF_POW_(T, R, sfx, SUF)                      \
  FNX_DEV T fnx_cm_pow_##sfx(T a, T b) {                     \
    union { double d[2]; double _Complex c; } u, v;          \
    u.d[0] = a.re, u.d[1] = a.im, v.d[0] = b.re, v.d[1] = b.im; \
    u.c = cpow(u.c, v.c);                                    \
    return fnx_##sfx((R)u.d[0], (R)u.d[1]);                  \
  }

#endif /* platform */

#define FNX_CM_DEF_ALL_(T, R, sfx, rsfx, SUF)                     \
  FNX_COMPLEX_PLATFORM(FNX_CM_DEF_UNARY_, T, R, sfx, SUF)         \
  FNX_CM_DEF_POW_(T, R, sfx, SUF)
FNX_COMPLEX_PRECISIONS(FNX_CM_DEF_ALL_)

/* ================================ arithmetic, parts ======================================== */

/* |x| without libm's hypot, which does not vectorize: an infinite part gives inf even next to
 * a NaN, 0 for 0; selects, not branches, so a loop over it vectorizes.  complex64: the parts
 * squared and summed in double (exact squares, no overflow or underflow), one square root
 * rounded to float: correctly rounded but for a rare double rounding, as numpy's hypotf.
 * complex128: a sqrt(1 + (b / a)^2) with a >= b the parts' magnitudes (within 2 ulp). */
FNX_DEV float fnx_c_hypot_c64(fnx_complex64 x) {
  const double re = x.re, im = x.im;
  const float h = (float)sqrt(re * re + im * im);
  return (fabsf(x.re) == FNX_INFF || fabsf(x.im) == FNX_INFF) ? FNX_INFF : h;
}
#define FNX_S_DEF_C_HYPOT(T, R, sfx, rsfx, SUF)                                           \
  FNX_DEV R fnx_c_hypot_##sfx(T x) {                                                      \
    const R ax = fabs##SUF(x.re), ay = fabs##SUF(x.im);                                   \
    const R a = ax > ay ? ax : ay, b = ax > ay ? ay : ax, r = b / a;                      \
    const R h = a == 0 ? b : a * sqrt##SUF((R)1 + r * r); /* b: 0, or the NaN part */     \
    return (ax == (R)FNX_INF || ay == (R)FNX_INF) ? (R)FNX_INF : h;                       \
  }
FNX_S_DEF_C_HYPOT(fnx_complex128, double, c128, f64, )

/* numpy's complex division: Smith's algorithm (scale by the larger part of b); b == 0 gives
 * a.re / 0 and a.im / 0 (inf or NaN parts), as numpy does. */
#define FNX_S_DEF_C_ARITH(T, R, sfx, rsfx, SUF)                                           \
  FNX_DEV T fnx_s_complex_##rsfx(R re, R im) { return fnx_##sfx(re, im); }               \
  FNX_DEV R fnx_s_real_##sfx(T x) { return x.re; }                                       \
  FNX_DEV R fnx_s_imag_##sfx(T x) { return x.im; }                                       \
  FNX_DEV R fnx_s_abs_##sfx(T x) { return fnx_c_hypot_##sfx(x); }                        \
  FNX_DEV fnx_uint8 fnx_s_is_finite_##sfx(T x) {                                         \
    return (fnx_uint8)(fnx_s_is_finite_##rsfx(x.re) & fnx_s_is_finite_##rsfx(x.im));     \
  }                                                                                      \
  FNX_DEV T fnx_s_neg_##sfx(T x) { return fnx_##sfx(-x.re, -x.im); }                     \
  FNX_DEV T fnx_s_conj_##sfx(T x) { return fnx_##sfx(x.re, -x.im); }                     \
  FNX_DEV T fnx_s_add_##sfx(T a, T b) { return fnx_##sfx(a.re + b.re, a.im + b.im); }    \
  FNX_DEV T fnx_s_sub_##sfx(T a, T b) { return fnx_##sfx(a.re - b.re, a.im - b.im); }    \
  /* one fused multiply-add per part, written out: gcc's vectorizer turns the plain formula \
   * into fmaddsub instructions even under -ffp-contract=off, so without it a vector loop  \
   * and its scalar remainder would round differently (numpy's SIMD loops fuse the same). */ \
  FNX_DEV T fnx_s_mul_##sfx(T a, T b) {                                                  \
    return fnx_##sfx(fma##SUF(a.re, b.re, -(a.im * b.im)), fma##SUF(a.re, b.im, a.im * b.re)); \
  }                                                                                      \
  FNX_DEV T fnx_s_div_##sfx(T a, T b) {                                                  \
    const R abs_br = fabs##SUF(b.re), abs_bi = fabs##SUF(b.im);                          \
    if (abs_br >= abs_bi) {                                                              \
      if (abs_br == 0) return fnx_##sfx(a.re / abs_br, a.im / abs_br);                   \
      const R rat = b.im / b.re, scl = (R)1 / (b.re + b.im * rat);                       \
      return fnx_##sfx((a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl);            \
    }                                                                                    \
    const R rat = b.re / b.im, scl = (R)1 / (b.im + b.re * rat); /* also for NaN parts */ \
    return fnx_##sfx((a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl);              \
  }                                                                                      \
  FNX_DEV T fnx_s_select_##sfx(fnx_uint8 pred, T on_false, T on_true) {                  \
    return fnx_##sfx(fnx_s_select_##rsfx(pred, on_false.re, on_true.re),                 \
                     fnx_s_select_##rsfx(pred, on_false.im, on_true.im));                \
  }
FNX_COMPLEX_PRECISIONS(FNX_S_DEF_C_ARITH)

/* ================================ comparisons, max / min =================================== */

/* numpy's lexicographic order: the real parts decide unless they are equal, and a NaN
 * anywhere makes every ordered comparison false (CLT & co. in numpy's loops).  maximum /
 * minimum propagate NaN: an operand with a NaN part wins (the first if both have one). */
#define FNX_S_DEF_C_CMP(T, R, sfx, rsfx, SUF)                                              \
  FNX_DEV int fnx_c_nan_##sfx(T x) { return x.re != x.re || x.im != x.im; }                \
  FNX_DEV fnx_uint8 fnx_s_eq_##sfx(T a, T b) { return (fnx_uint8)(a.re == b.re && a.im == b.im); } \
  FNX_DEV fnx_uint8 fnx_s_ne_##sfx(T a, T b) { return (fnx_uint8)(a.re != b.re || a.im != b.im); } \
  FNX_DEV fnx_uint8 fnx_s_lt_##sfx(T a, T b) {                                             \
    return (fnx_uint8)((a.re < b.re && a.im == a.im && b.im == b.im) ||                    \
                       (a.re == b.re && a.im < b.im));                                     \
  }                                                                                        \
  FNX_DEV fnx_uint8 fnx_s_le_##sfx(T a, T b) {                                             \
    return (fnx_uint8)((a.re < b.re && a.im == a.im && b.im == b.im) ||                    \
                       (a.re == b.re && a.im <= b.im));                                    \
  }                                                                                        \
  FNX_DEV fnx_uint8 fnx_s_gt_##sfx(T a, T b) { return fnx_s_lt_##sfx(b, a); }              \
  FNX_DEV fnx_uint8 fnx_s_ge_##sfx(T a, T b) { return fnx_s_le_##sfx(b, a); }              \
  FNX_DEV T fnx_s_max_##sfx(T a, T b) {                                                    \
    return (fnx_c_nan_##sfx(a) || fnx_s_ge_##sfx(a, b)) ? a : b;                           \
  }                                                                                        \
  FNX_DEV T fnx_s_min_##sfx(T a, T b) {                                                    \
    return (fnx_c_nan_##sfx(a) || fnx_s_le_##sfx(a, b)) ? a : b;                           \
  }
FNX_COMPLEX_PRECISIONS(FNX_S_DEF_C_CMP)

/* ==================================== unary ops ============================================ */

/* the platform's elementary functions are the ops of the same name */
#define FNX_S_DEF_C_ELEMENTARY_ONE_(fn, T, R, sfx, SUF) \
  FNX_DEV T fnx_s_##fn##_##sfx(T x) { return fnx_cm_##fn##_##sfx(x); }
#define FNX_S_DEF_C_ELEMENTARY_(T, R, sfx, rsfx, SUF) \
  FNX_COMPLEX_ELEMENTARY(FNX_S_DEF_C_ELEMENTARY_ONE_, T, R, sfx, SUF)
FNX_COMPLEX_PRECISIONS(FNX_S_DEF_C_ELEMENTARY_)

/* sign: numpy 2's x / |x| (0 for 0); an infinite part gives the unit number along it, two
 * infinite parts or a NaN |x| give NaN.
 * rsqrt: 1 / sqrt(x) with numpy's division.
 * log1p: log(1 + x + iy), the 1 + x real so that y's sign of zero picks the side of the cut
 * (numpy's complex 1 + z loses it); near 0 its real part log|1 + z| is log1p(x (2 + x) + y^2)
 * / 2, since log(1 + z) (numpy 2.4's formula) keeps only the digits of 1 + x that survive
 * rounding.
 * expm1: numpy's (expm1(x) cos y - 2 sin^2(y/2), e^x sin y) for finite z; otherwise exp(z) - 1
 * with exp's Annex G special values (the array API's: expm1(inf + 0j) = inf + 0j, expm1(-inf +
 * i inf) = -1 + 0j, where numpy's formula gives NaNs). */
#define FNX_S_DEF_C_UNARY(T, R, sfx, rsfx, SUF)                                           \
  FNX_DEV T fnx_s_sign_##sfx(T x) {                                                       \
    const R a = fnx_c_hypot_##sfx(x);                                                     \
    if (a != a) return fnx_##sfx(a, a);                                                   \
    if (a == (R)FNX_INF) {                                                                \
      const R nan = a - a;                                                                \
      if (fabs##SUF(x.re) == (R)FNX_INF)                                                  \
        return fabs##SUF(x.im) == (R)FNX_INF ? fnx_##sfx(nan, nan)                        \
                                             : fnx_##sfx(x.re > 0 ? (R)1 : (R)-1, (R)0);  \
      return fnx_##sfx((R)0, x.im > 0 ? (R)1 : (R)-1);                                    \
    }                                                                                     \
    if (a == 0) return fnx_##sfx((R)0, (R)0);                                             \
    return fnx_##sfx(x.re / a, x.im / a);                                                 \
  }                                                                                       \
  FNX_DEV T fnx_s_rsqrt_##sfx(T x) {                                                      \
    return fnx_s_div_##sfx(fnx_##sfx((R)1, (R)0), fnx_cm_sqrt_##sfx(x));                  \
  }                                                                                       \
  FNX_DEV T fnx_s_log1p_##sfx(T x) {                                                      \
    const T l = fnx_cm_log_##sfx(fnx_##sfx(x.re + (R)1, x.im)); /* keeps the sign of Im */ \
    if (fabs##SUF(x.re) < (R)0.5 && fabs##SUF(x.im) < (R)0.5)                             \
      return fnx_##sfx((R)0.5 * log1p##SUF(x.re * ((R)2 + x.re) + x.im * x.im), l.im);    \
    return l;                                                                             \
  }                                                                                       \
  FNX_DEV T fnx_s_tanh_##sfx(T x) { /* tanh(+-inf + iy), y finite: +-1 + i0 with y's sign */ \
    if (fabs##SUF(x.re) == (R)FNX_INF && isfinite(x.im))                                  \
      return fnx_##sfx(x.re > 0 ? (R)1 : (R)-1, copysign##SUF((R)0, x.im));               \
    return fnx_cm_tanh_##sfx(x);                                                          \
  }                                                                                       \
  FNX_DEV T fnx_s_expm1_##sfx(T x) {                                                      \
    if (!(isfinite(x.re) && isfinite(x.im))) { /* exp's Annex G cases, minus 1 */          \
      const T e = fnx_cm_exp_##sfx(x);                                                    \
      return fnx_##sfx(e.re - (R)1, e.im);                                                \
    }                                                                                     \
    const R s = sin##SUF(x.im * (R)0.5);                                                  \
    /* + 0: expm1(-0 + 0j) is +0 + 0j (the array API's; the formula gives -0) */          \
    /* a real z keeps its imaginary zero: e^x overflows before expm1's real part does */     \
    return fnx_##sfx(expm1##SUF(x.re) * cos##SUF(x.im) - (R)2 * s * s + (R)0,             \
                     x.im == (R)0 ? x.im : exp##SUF(x.re) * sin##SUF(x.im));              \
  }
FNX_COMPLEX_PRECISIONS(FNX_S_DEF_C_UNARY)

/* ==================================== powers =============================================== */

/* integer_pow: numpy's integer-exponent power (x, x*x, x*(x*x) unrolled for 1, 2, 3, which
 * keeps infinities the 1 * x of the loop would turn into NaN; repeated squaring from 1
 * otherwise; a negative exponent divides 1 by the result).
 * pow(a, b): numpy's rules: b == 0 gives 1 (even for a NaN a), a == 0 gives 0 for
 * Re b > 0 and NaN otherwise, an integral real b with |b| < 100 is integer_pow, anything
 * else the platform's cpow (exp(b log a)). */
#define FNX_S_DEF_C_POW(T, R, sfx, rsfx, SUF)                                             \
  FNX_DEV T fnx_s_integer_pow_##sfx(T x, fnx_int64 e) {                                   \
    if (e == 0) return fnx_##sfx((R)1, (R)0);                                             \
    if (e == 1) return x;                                                                 \
    if (e == 2) return fnx_s_mul_##sfx(x, x);                                             \
    if (e == 3) return fnx_s_mul_##sfx(x, fnx_s_mul_##sfx(x, x));                         \
    fnx_uint64 m = e < 0 ? (fnx_uint64)0 - (fnx_uint64)e : (fnx_uint64)e;                 \
    T r = fnx_##sfx((R)1, (R)0), p = x;                                                   \
    for (;;) {                                                                            \
      if (m & 1) r = fnx_s_mul_##sfx(r, p);                                               \
      m >>= 1;                                                                            \
      if (!m) break;                                                                      \
      p = fnx_s_mul_##sfx(p, p);                                                          \
    }                                                                                     \
    return e < 0 ? fnx_s_div_##sfx(fnx_##sfx((R)1, (R)0), r) : r;                         \
  }                                                                                       \
  FNX_DEV T fnx_s_pow_##sfx(T a, T b) {                                                   \
    if (b.re == 0 && b.im == 0) return fnx_##sfx((R)1, (R)0);                             \
    if (a.re == 0 && a.im == 0) {                                                         \
      const R nan = (R)FNX_NAN;                                                           \
      return b.re > 0 ? fnx_##sfx((R)0, (R)0) : fnx_##sfx(nan, nan);                      \
    }                                                                                     \
    if (b.im == 0 && fabs##SUF(b.re) < (R)100 && b.re == floor##SUF(b.re))                \
      return fnx_s_integer_pow_##sfx(a, (fnx_int64)b.re);                                 \
    return fnx_cm_pow_##sfx(a, b);                                                        \
  }
FNX_COMPLEX_PRECISIONS(FNX_S_DEF_C_POW)

/* ==================================== convert ============================================== */

/* fnx_scalar.h's FNX_S_CVT_<src kind><dst kind> for the pairs with a complex side, as numpy's
 * astype and JAX: real -> complex is (x, 0); complex -> real drops the imaginary part (numpy
 * warns, ComplexWarning) and converts the real part as a float would be (saturating to ints);
 * complex -> bool is "either part nonzero"; complex -> complex converts each part. */
#define FNX_S_CVT_BC(DT, d, x) fnx_##d((x), 0)
#define FNX_S_CVT_IC(DT, d, x) fnx_##d((x), 0)
#define FNX_S_CVT_FC(DT, d, x) fnx_##d((x), 0)
#define FNX_S_CVT_CC(DT, d, x) fnx_##d((x).re, (x).im)
#define FNX_S_CVT_CB(DT, d, x) (DT)((x).re != 0 || (x).im != 0)
#define FNX_S_CVT_CI(DT, d, x) fnx_s_f2i_##d((double)(x).re)
#define FNX_S_CVT_CF(DT, d, x) (DT)((x).re)

/* FNX_CONVERT_TO_COMPLEX(X, <source row>): X(<source row>, <dest row>) for the two complex
 * destinations; FNX_CONVERT_TO_EVERY adds them to FNX_CONVERT_TO_ALL's 8.  Every source of
 * FNX_ALL_TYPES_AND_COMPLEX through FNX_CONVERT_TO_EVERY is every one of the 10 x 10 pairs. */
#define FNX_CONVERT_TO_COMPLEX(X, scode, ST, SU, ssfx, SK, SMIN, SMAX)                           \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_COMPLEX64, fnx_complex64, float, c64, C, 0, 0) \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_COMPLEX128, fnx_complex128, double, c128, C, 0, 0)
#define FNX_CONVERT_TO_EVERY(X, scode, ST, SU, ssfx, SK, SMIN, SMAX) \
  FNX_CONVERT_TO_ALL(X, scode, ST, SU, ssfx, SK, SMIN, SMAX)         \
  FNX_CONVERT_TO_COMPLEX(X, scode, ST, SU, ssfx, SK, SMIN, SMAX)

#define FNX_S_CONVERT_TO_COMPLEX_(scode, ST, SU, ssfx, SK, SMIN, SMAX) \
  FNX_CONVERT_TO_COMPLEX(FNX_S_DEF_CONVERT, scode, ST, SU, ssfx, SK, SMIN, SMAX)
#define FNX_S_CONVERT_FROM_COMPLEX_(scode, ST, SU, ssfx, SK, SMIN, SMAX) \
  FNX_CONVERT_TO_EVERY(FNX_S_DEF_CONVERT, scode, ST, SU, ssfx, SK, SMIN, SMAX)
FNX_ALL_TYPES(FNX_S_CONVERT_TO_COMPLEX_)
FNX_COMPLEX_TYPES(FNX_S_CONVERT_FROM_COMPLEX_)

#endif
