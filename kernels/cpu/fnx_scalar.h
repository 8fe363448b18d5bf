/* fnx: the scalar semantics of every elementwise operation, in one place.
 *
 * The eager CPU kernels (unary.c, binary.c, elementwise.c) call these functions in their loops,
 * and the jit compiler's generated C includes this same header, so a fused loop computes
 * bitwise the same values as the eager kernels.  Nothing else defines what an op does.
 * (One thing no source can pin down: when two NaNs meet in a commutative op, x86 returns the
 * first operand's, and gcc may order the operands differently in two compilations, so the sign
 * and payload of such a NaN can differ.  It is still a NaN.)
 *
 * Naming (mechanical, so a code generator can form every name):
 *   fnx_s_<op>_<sfx>             <op> is the lax primitive name; the two rounding methods of
 *                                lax.round are round_away and round_even
 *   fnx_s_convert_<from>_<to>    convert_element_type, for all 8 x 8 pairs (same pair: identity)
 *   <sfx> is the dtype suffix:   b (bool, uint8_t 0/1), i8, u8, i32, i64, u32, f32 (float),
 *                                f64 (double)
 * Signatures:
 *   unary            T fnx_s_<op>_<sfx>(T x)
 *   is_finite        uint8_t fnx_s_is_finite_<sfx>(T x)
 *   integer_pow      T fnx_s_integer_pow_<sfx>(T x, int64_t e)
 *   binary           T fnx_s_<op>_<sfx>(T a, T b)
 *   comparisons      uint8_t fnx_s_<eq|ne|lt|le|gt|ge>_<sfx>(T a, T b)
 *   clamp            T fnx_s_clamp_<sfx>(T lo, T x, T hi)
 *   select           T fnx_s_select_<sfx>(uint8_t pred, T on_false, T on_true)
 *   convert          TO fnx_s_convert_<from>_<to>(TI x)
 * Which (op, dtype) pairs exist follows the dtype rules of fnx/lax/elementwise.py:
 *   floats only:     exp exp2 log log1p expm1 sin cos tan asin acos atan sinh cosh tanh asinh
 *                    acosh atanh logistic sqrt rsqrt cbrt floor ceil round_away round_even erf
 *                    erf_inv lgamma digamma is_finite atan2 nextafter
 *   ints + floats:   neg abs sign integer_pow add sub mul div rem pow
 *   bool + ints:     not and or xor
 *   ints only:       shift_left shift_right_logical shift_right_arithmetic
 *   all 8 dtypes:    max min eq ne lt le gt ge clamp select convert
 *
 * Self-contained: needs only <stdint.h>, <string.h>, <math.h> and vmath.h (next to this file),
 * and defines only static functions and macros, so any number of translation units may include
 * it.  Compile it exactly like the kernels (build_kernels.py, EXTRA_COMPILE_ARGS):
 *     -O3 -march=native -std=gnu99 -fno-math-errno -ffp-contract=off   (+ -fopenmp -fPIC)
 * -ffp-contract=off matters: with fma contraction (gcc's default in gnu modes) the same source
 * rounds differently.  -ffast-math is refused below.  -std=c11 also works (it implies
 * -ffp-contract=off; lgamma_r is declared here for it).
 */
#ifndef FNX_SCALAR_H
#define FNX_SCALAR_H

#include <stdint.h>
#include <string.h>
#include <math.h>
#include "vmath.h"

#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "fnx_scalar.h must be compiled without -ffast-math / -ffinite-math-only (NaN/inf semantics)"
#endif

/* POSIX, not ISO C: math.h declares it only in gnu/posix modes; this matching redeclaration
 * makes the header work under -std=c11 too.  (lgamma itself writes the global signgam, a data
 * race under OpenMP.) */
extern double lgamma_r(double x, int *sign);

/* The functions are instantiated for signed and unsigned types alike, so "x < 0 is always
 * false for uint8" is expected and not a bug. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"

/* ---- dtype type map ----------------------------------------------------------------------
 * X(code, T, U, sfx, K, TMIN, TMAX)
 *   code: the FNX_* dtype enum of fnx_kernels.h (only a token here; this header never uses it)
 *   T: storage type, U: type used for wrapping arithmetic (unsigned for ints, T for floats),
 *   K: kind (B bool, I integer, F float), TMIN/TMAX: identities of max/min. */
#define FNX_BOOL_TYPE(X) X(FNX_BOOL, uint8_t, uint8_t, b, B, 0, 1)
#define FNX_INT_TYPES(X)                                                          \
  X(FNX_INT8, int8_t, uint8_t, i8, I, INT8_MIN, INT8_MAX)                         \
  X(FNX_UINT8, uint8_t, uint8_t, u8, I, 0, UINT8_MAX)                             \
  X(FNX_INT32, int32_t, uint32_t, i32, I, INT32_MIN, INT32_MAX)                   \
  X(FNX_INT64, int64_t, uint64_t, i64, I, INT64_MIN, INT64_MAX)                   \
  X(FNX_UINT32, uint32_t, uint32_t, u32, I, 0, UINT32_MAX)
/* (The lists are in a readable order, not enum order: FNX_UINT32 came last.  Tables indexed by
 * dtype code use designated initializers `[code] = ...`.) */
#define FNX_FLOAT_TYPES(X)                                                        \
  X(FNX_FLOAT32, float, float, f32, F, -INFINITY, INFINITY)                       \
  X(FNX_FLOAT64, double, double, f64, F, -INFINITY, INFINITY)
#define FNX_NUMERIC_TYPES(X) FNX_INT_TYPES(X) FNX_FLOAT_TYPES(X)
#define FNX_ALL_TYPES(X) FNX_BOOL_TYPE(X) FNX_NUMERIC_TYPES(X)

/* ---- building blocks (also used by the reductions, scatter and matmul kernels) ------------ */

/* max / min that propagate NaN like numpy.maximum / numpy.minimum:
 * `(a > b || a != a) ? a : b`: a NaN a wins through the second test, a NaN b wins because
 * a > NaN is false.  Written as compare + blend so gcc vectorizes it.  On a tie, +0 vs -0
 * included, the result is b: the eager reductions and cummax / cummin compute
 * acc = max(x, acc), so code that must match them bitwise passes the accumulator second. */
#define FNX_MAX_F(a, b) (((a) > (b) || (a) != (a)) ? (a) : (b))
#define FNX_MIN_F(a, b) (((a) < (b) || (a) != (a)) ? (a) : (b))
#define FNX_MAX_I(a, b) ((a) > (b) ? (a) : (b))
#define FNX_MIN_I(a, b) ((a) < (b) ? (a) : (b))
#define FNX_MAX_B FNX_MAX_I
#define FNX_MIN_B FNX_MIN_I
#define FNX_ISNAN_F(a) ((a) != (a))
#define FNX_ISNAN_I(a) 0
#define FNX_ISNAN_B(a) 0

/* Signed overflow is UB in C but must wrap like numpy: do the arithmetic in the unsigned type
 * (well defined modulo 2^bits) and convert back (gcc defines that conversion as modulo).  For
 * floats U == T, so the same macros are plain float arithmetic. */
#define FNX_WADD(T, U, a, b) ((T)((U)(a) + (U)(b)))
#define FNX_WSUB(T, U, a, b) ((T)((U)(a) - (U)(b)))
#define FNX_WMUL(T, U, a, b) ((T)((U)(a) * (U)(b)))
#define FNX_WNEG(T, U, a) ((T)((U)0 - (U)(a)))
#define FNX_SIGNED(T) ((T)-1 < (T)0)

/* float -> int64 / int32 that never hits the UB of an out-of-range cast: NaN -> 0, saturate at
 * the ends (this is also what XLA does for float -> int conversion). */
static inline int64_t fnx_d2i64(double x) {
  if (x != x) return 0;
  if (x >= 9223372036854775808.0) return INT64_MAX;
  if (x <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)x;
}
static inline int32_t fnx_d2i32(double x) {
  if (x != x) return 0;
  if (x >= 2147483647.0) return INT32_MAX;
  if (x <= -2147483648.0) return INT32_MIN;
  return (int32_t)x;
}

/* ---- special functions (double; the float32 ops compute in double and round) -------------- */

/* erf^-1: Giles' single-precision approximation (rel. err ~1e-7) refined by two Halley steps
 * on erf (cubic convergence, so ~1e-16).  For |x| > 0.5 the residual is computed as
 * (1 - |x|) - erfc(y): 1 - |x| is exact there and erfc keeps full relative precision in the
 * tail, where erf(y) - x would cancel.  (Plain static: large, called out of line.) */
static __attribute__((unused)) double fnx_erfinv(double x) {
  double a = fabs(x);
  if (!(a <= 1.0)) return NAN; /* |x| > 1 or NaN */
  if (a == 1.0) return copysign(INFINITY, x);
  if (a == 0.0) return x;
  double w = -log((1.0 - a) * (1.0 + a)), p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double y = p * a;
  if (a <= 0.5) {
    for (int it = 0; it < 2; it++) {
      double f = erf(y) - a;
      double fp = 1.1283791670955126 * exp(-y * y); /* d erf / dy = 2/sqrt(pi) exp(-y^2) */
      double u = f / fp;
      y -= u / (1.0 + y * u); /* Halley: f'' / f' = -2y */
    }
  } else {
    /* Tail: solve log(erfc(y)) = log(1 - a) by Newton.  1 - a is exact here (Sterbenz), and
     * log(erfc) is smooth and nearly quadratic, so Newton converges quadratically even from
     * the few-percent-off initial guess near |x| -> 1, where Halley on erfc itself overshoots. */
    const double target = log(1.0 - a);
    for (int it = 0; it < 6; it++) {
      double ec = erfc(y);
      double g = log(ec) - target;
      double dg = -1.1283791670955126 * exp(-y * y) / ec;
      y -= g / dg;
    }
  }
  return copysign(y, x);
}

/* lgamma_r, not lgamma: lgamma writes the global signgam, a data race under OpenMP. */
static inline double fnx_lgamma(double x) {
  int sign;
  return lgamma_r(x, &sign);
}

/* digamma: reflection for x < 0, recurrence up to x >= 10, then the asymptotic series
 * (truncation error < 1e-17 at x = 10).  Poles follow scipy.special.digamma:
 * psi(+0) = -inf, psi(-0) = +inf, psi(negative integer) = NaN, psi(-inf) = NaN. */
static __attribute__((unused)) double fnx_digamma(double x) {
  const double pi = 3.14159265358979323846;
  if (x != x || x == INFINITY) return x;
  if (x == 0) return copysign(INFINITY, -x);
  if (x == -INFINITY) return NAN;
  double r = 0.0;
  if (x < 0) {
    double nearest = rint(x);
    if (x == nearest) return NAN;
    if (x > -0.5) {
      /* psi(x) = psi(x + 1) - 1/x: exact enough, and keeps tiny |x| (even denormals) right,
       * where the reflection's tan(pi x) would lose x entirely. */
      r = -1.0 / x;
      x += 1.0;
    } else {
      /* psi(x) = psi(1 - x) - pi / tan(pi x); tan has period 1, so reduce x by its nearest
       * integer first (exact in double, |d| <= 1/2) to keep pi * d accurate for large |x| */
      r = -pi / tan(pi * (x - nearest));
      x = 1.0 - x;
    }
  }
  while (x < 10.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  double z = 1.0 / (x * x);
  double s = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
  return r + log(x) - 0.5 / x - s;
}

/* ==================================== unary ops ============================================ */

/* floats: X(op, float64 expression, float32 expression), both in terms of `x`.
 * The float32 erf_inv / lgamma / digamma are computed in double and rounded. */
#define FNX_S_FLOAT_UNARY(X)                                       \
  X(neg, -x, -x)                                                   \
  X(exp, fnx_vexp(x), fnx_vexpf(x))                                \
  X(exp2, exp2(x), exp2f(x))                                       \
  X(log, fnx_vlog(x), fnx_vlogf(x))                                \
  X(log1p, log1p(x), fnx_vlog1pf(x))                               \
  X(expm1, expm1(x), fnx_vexpm1f(x))                               \
  X(sin, sin(x), sinf(x))                                          \
  X(cos, cos(x), cosf(x))                                          \
  X(tan, tan(x), tanf(x))                                          \
  X(asin, asin(x), asinf(x))                                       \
  X(acos, acos(x), acosf(x))                                       \
  X(atan, atan(x), atanf(x))                                       \
  X(sinh, sinh(x), sinhf(x))                                       \
  X(cosh, cosh(x), coshf(x))                                       \
  X(tanh, fnx_vtanh(x), fnx_vtanhf(x))                             \
  X(asinh, asinh(x), asinhf(x))                                    \
  X(acosh, acosh(x), acoshf(x))                                    \
  X(atanh, atanh(x), atanhf(x))                                    \
  X(logistic, fnx_vlogistic(x), fnx_vlogisticf(x))                 \
  X(sqrt, sqrt(x), sqrtf(x))                                       \
  X(rsqrt, 1.0 / sqrt(x), 1.0f / sqrtf(x))                         \
  X(cbrt, cbrt(x), cbrtf(x))                                       \
  X(abs, fabs(x), fabsf(x))                                        \
  X(sign, x > 0 ? 1.0 : (x < 0 ? -1.0 : x), x > 0 ? 1.0f : (x < 0 ? -1.0f : x)) \
  X(floor, floor(x), floorf(x))                                    \
  X(ceil, ceil(x), ceilf(x))                                       \
  X(round_away, round(x), roundf(x))                               \
  X(round_even, rint(x), rintf(x))                                 \
  X(erf, erf(x), fnx_verff(x))                                     \
  X(erf_inv, fnx_erfinv(x), fnx_erfinv((double)x))                 \
  X(lgamma, fnx_lgamma(x), fnx_lgamma((double)x))                  \
  X(digamma, fnx_digamma(x), fnx_digamma((double)x))
#define FNX_S_DEF_FLOAT_UNARY(op, E64, E32)                                   \
  static inline double fnx_s_##op##_f64(double x) { return (double)(E64); }  \
  static inline float fnx_s_##op##_f32(float x) { return (float)(E32); }
FNX_S_FLOAT_UNARY(FNX_S_DEF_FLOAT_UNARY)

/* is_finite: bool result; NaN and +-inf are not finite */
static inline uint8_t fnx_s_is_finite_f64(double x) { return (uint8_t)isfinite(x); }
static inline uint8_t fnx_s_is_finite_f32(float x) { return (uint8_t)isfinite(x); }

/* integer_pow for floats: x ** e by repeated squaring; negative e gives 1 / x ** |e| */
#define FNX_S_DEF_FLOAT_IPOW(code, T, U, sfx, K, TMIN, TMAX)                   \
  static inline T fnx_s_integer_pow_##sfx(T x, int64_t e) {                    \
    uint64_t m = e < 0 ? (uint64_t)0 - (uint64_t)e : (uint64_t)e;             \
    T r = 1, b = x;                                                            \
    while (m) {                                                                \
      if (m & 1) r *= b;                                                       \
      b *= b;                                                                  \
      m >>= 1;                                                                 \
    }                                                                          \
    return e < 0 ? (T)1 / r : r;                                               \
  }
FNX_FLOAT_TYPES(FNX_S_DEF_FLOAT_IPOW)

/* integers: neg and abs wrap (abs(INT_MIN) == INT_MIN), sign is -1/0/1, not is bitwise;
 * integer_pow by repeated squaring in unsigned arithmetic (wraps like numpy); a negative
 * exponent gives 0 except for bases 1 and -1, where the exact answer is an integer. */
#define FNX_S_DEF_INT_UNARY(code, T, U, sfx, K, TMIN, TMAX)                           \
  static inline T fnx_s_neg_##sfx(T x) { return FNX_WNEG(T, U, x); }                  \
  static inline T fnx_s_abs_##sfx(T x) { return x < 0 ? FNX_WNEG(T, U, x) : x; }      \
  static inline T fnx_s_sign_##sfx(T x) { return (T)((x > 0) - (x < 0)); }            \
  static inline T fnx_s_not_##sfx(T x) { return (T)~x; }                              \
  static inline T fnx_s_integer_pow_##sfx(T x, int64_t e) {                           \
    if (e < 0) {                                                                      \
      if (x == 1) return 1;                                                           \
      if (FNX_SIGNED(T) && x == (T)-1) return (e & 1) ? (T)-1 : (T)1;                 \
      return 0;                                                                       \
    }                                                                                 \
    U r = 1, b = (U)x;                                                                \
    uint64_t m = (uint64_t)e;                                                         \
    while (m) {                                                                       \
      if (m & 1) r = (U)(r * b);                                                      \
      b = (U)(b * b);                                                                 \
      m >>= 1;                                                                        \
    }                                                                                 \
    return (T)r;                                                                      \
  }
FNX_INT_TYPES(FNX_S_DEF_INT_UNARY)

/* bool: logical not of a 0/1 byte */
static inline uint8_t fnx_s_not_b(uint8_t x) { return (uint8_t)(x == 0); }

/* ==================================== binary ops =========================================== */

/* every dtype: comparisons (bool result) and NaN-propagating max / min */
#define FNX_S_DEF_CMP(code, T, U, sfx, K, TMIN, TMAX)                              \
  static inline uint8_t fnx_s_eq_##sfx(T a, T b) { return (uint8_t)(a == b); }     \
  static inline uint8_t fnx_s_ne_##sfx(T a, T b) { return (uint8_t)(a != b); }     \
  static inline uint8_t fnx_s_lt_##sfx(T a, T b) { return (uint8_t)(a < b); }      \
  static inline uint8_t fnx_s_le_##sfx(T a, T b) { return (uint8_t)(a <= b); }     \
  static inline uint8_t fnx_s_gt_##sfx(T a, T b) { return (uint8_t)(a > b); }      \
  static inline uint8_t fnx_s_ge_##sfx(T a, T b) { return (uint8_t)(a >= b); }     \
  static inline T fnx_s_max_##sfx(T a, T b) { return FNX_MAX_##K(a, b); }          \
  static inline T fnx_s_min_##sfx(T a, T b) { return FNX_MIN_##K(a, b); }
FNX_ALL_TYPES(FNX_S_DEF_CMP)

/* ints and floats: add / sub / mul, wrapping for ints via the unsigned type */
#define FNX_S_DEF_ARITH(code, T, U, sfx, K, TMIN, TMAX)                              \
  static inline T fnx_s_add_##sfx(T a, T b) { return FNX_WADD(T, U, a, b); }         \
  static inline T fnx_s_sub_##sfx(T a, T b) { return FNX_WSUB(T, U, a, b); }         \
  static inline T fnx_s_mul_##sfx(T a, T b) { return FNX_WMUL(T, U, a, b); }
FNX_NUMERIC_TYPES(FNX_S_DEF_ARITH)

/* integers, with the lax semantics: division truncates, x / 0 == 0, x % 0 == 0,
 * INT_MIN / -1 == INT_MIN, INT_MIN % -1 == 0 (so no SIGFPE ever); pow(a, b) is
 * integer_pow(a, b); shift amounts outside [0, bits) are defined (0, or the sign fill for the
 * arithmetic right shift) instead of being C UB; gcc defines >> of a negative signed value as
 * arithmetic, and for uint8 (never negative) the arithmetic shift is the logical one. */
#define FNX_S_DEF_INT_BINARY(code, T, U, sfx, K, TMIN, TMAX)                                 \
  static inline T fnx_s_div_##sfx(T a, T b) {                                               \
    if (b == 0) return 0;                                                                   \
    if (FNX_SIGNED(T) && b == (T)-1) return FNX_WNEG(T, U, a);                              \
    return (T)(a / b);                                                                      \
  }                                                                                         \
  static inline T fnx_s_rem_##sfx(T a, T b) {                                               \
    if (b == 0 || (FNX_SIGNED(T) && b == (T)-1)) return 0;                                  \
    return (T)(a % b);                                                                      \
  }                                                                                         \
  static inline T fnx_s_pow_##sfx(T a, T b) { return fnx_s_integer_pow_##sfx(a, (int64_t)b); } \
  static inline T fnx_s_and_##sfx(T a, T b) { return (T)(a & b); }                          \
  static inline T fnx_s_or_##sfx(T a, T b) { return (T)(a | b); }                           \
  static inline T fnx_s_xor_##sfx(T a, T b) { return (T)(a ^ b); }                          \
  static inline T fnx_s_shift_left_##sfx(T a, T b) {                                        \
    if ((int64_t)b < 0 || (int64_t)b >= (int64_t)(8 * sizeof(T))) return 0;                \
    return (T)((U)a << b);                                                                  \
  }                                                                                         \
  static inline T fnx_s_shift_right_logical_##sfx(T a, T b) {                               \
    if ((int64_t)b < 0 || (int64_t)b >= (int64_t)(8 * sizeof(T))) return 0;                \
    return (T)((U)a >> b);                                                                  \
  }                                                                                         \
  static inline T fnx_s_shift_right_arithmetic_##sfx(T a, T b) {                            \
    if ((int64_t)b < 0 || (int64_t)b >= (int64_t)(8 * sizeof(T))) return a < 0 ? (T)-1 : 0; \
    return (T)(a >> b);                                                                     \
  }
FNX_INT_TYPES(FNX_S_DEF_INT_BINARY)

/* bool: logical ops on 0/1 bytes are the bitwise ones */
static inline uint8_t fnx_s_and_b(uint8_t a, uint8_t b) { return (uint8_t)(a & b); }
static inline uint8_t fnx_s_or_b(uint8_t a, uint8_t b) { return (uint8_t)(a | b); }
static inline uint8_t fnx_s_xor_b(uint8_t a, uint8_t b) { return (uint8_t)(a ^ b); }

/* floats: IEEE division (x / 0 is +-inf or NaN), rem is C fmod (sign of the dividend).
 * pow is C's pow, with b == 0.5 written out: gcc's vectorizer turns pow(x, 0.5) with a constant
 * 0.5 into sqrt(x) (as -ffast-math would), which gives -0 for -0 and NaN for -inf where pow
 * gives +0 and +inf -- so a jitted x ** 0.5 differed from the eager kernel.  sqrt(a) + 0 is
 * pow(a, 0.5) exactly (sqrt is correctly rounded; + 0 turns -0 into +0). */
#define FNX_S_DEF_FLOAT_BINARY(T, sfx, SUF)                                               \
  static inline T fnx_s_div_##sfx(T a, T b) { return a / b; }                             \
  static inline T fnx_s_rem_##sfx(T a, T b) { return fmod##SUF(a, b); }                  \
  static inline T fnx_s_pow_##sfx(T a, T b) {                                             \
    if (b == (T)0.5) return a == -(T)INFINITY ? (T)INFINITY : sqrt##SUF(a) + (T)0;        \
    return pow##SUF(a, b);                                                                \
  }                                                                                       \
  static inline T fnx_s_atan2_##sfx(T a, T b) { return atan2##SUF(a, b); }                \
  static inline T fnx_s_nextafter_##sfx(T a, T b) { return nextafter##SUF(a, b); }
FNX_S_DEF_FLOAT_BINARY(double, f64, )
FNX_S_DEF_FLOAT_BINARY(float, f32, f)

/* ============================ clamp, select, convert ======================================= */

/* clamp(lo, x, hi) = min(max(x, lo), hi) with the NaN-propagating max / min: a NaN x (or lo,
 * hi) gives NaN; lo > hi gives hi. */
#define FNX_S_DEF_CLAMP(code, T, U, sfx, K, TMIN, TMAX)         \
  static inline T fnx_s_clamp_##sfx(T lo, T x, T hi) {           \
    T m = FNX_MAX_##K(x, lo);                                    \
    return FNX_MIN_##K(m, hi);                                   \
  }
FNX_ALL_TYPES(FNX_S_DEF_CLAMP)

/* select_n with a bool predicate: any nonzero byte picks on_true.  The value is moved, not
 * converted (NaN payloads pass through), and written as a bit blend rather than ?: so that a
 * loop over it vectorizes (gcc turns `c ? t[i] : f[i]` into masked loads, which it cannot
 * vectorize for 8-byte items under a 1-byte mask, and branches on random masks). */
#define FNX_S_DEF_SELECT_INT(code, T, U, sfx, K, TMIN, TMAX)                        \
  static inline T fnx_s_select_##sfx(uint8_t pred, T on_false, T on_true) {         \
    const U m = (U)((U)0 - (U)(pred != 0));                                         \
    return (T)(((U)on_true & m) | ((U)on_false & (U)~m));                           \
  }
FNX_BOOL_TYPE(FNX_S_DEF_SELECT_INT)
FNX_INT_TYPES(FNX_S_DEF_SELECT_INT)
static inline float fnx_s_select_f32(uint8_t pred, float on_false, float on_true) {
  return fnx_self32(pred, on_true, on_false);
}
static inline double fnx_s_select_f64(uint8_t pred, double on_false, double on_true) {
  return fnx_self64(pred, on_true, on_false);
}

/* convert_element_type.  FNX_S_CVT_<src kind><dst kind>(DT, dsfx, x):
 *  - to bool: x != 0 (NaN -> true);
 *  - float to int: NaN -> 0 and saturation at the int32 / int64 range (a plain out-of-range
 *    cast is C UB; XLA saturates too); int8 / uint8 / uint32 go through the saturated int64
 *    and then wrap, like numpy does for in-range values (and on x86 for negative ones);
 *  - everything else is the C conversion (int -> int wraps, int -> float rounds to nearest);
 *  - same dtype (BB, and II / FF with one type): the identity. */
#define FNX_S_CVT_BB(DT, d, x) (x)
#define FNX_S_CVT_IB(DT, d, x) (DT)((x) != 0)
#define FNX_S_CVT_FB(DT, d, x) (DT)((x) != 0)
#define FNX_S_CVT_BI(DT, d, x) (DT)(x)
#define FNX_S_CVT_II(DT, d, x) (DT)(x)
#define FNX_S_CVT_BF(DT, d, x) (DT)(x)
#define FNX_S_CVT_IF(DT, d, x) (DT)(x)
#define FNX_S_CVT_FF(DT, d, x) (DT)(x)
#define FNX_S_CVT_FI(DT, d, x) fnx_s_f2i_##d((double)(x))
static inline int8_t fnx_s_f2i_i8(double x) { return (int8_t)fnx_d2i64(x); }
static inline uint8_t fnx_s_f2i_u8(double x) { return (uint8_t)fnx_d2i64(x); }
static inline int32_t fnx_s_f2i_i32(double x) { return fnx_d2i32(x); }
static inline int64_t fnx_s_f2i_i64(double x) { return fnx_d2i64(x); }
static inline uint32_t fnx_s_f2i_u32(double x) { return (uint32_t)fnx_d2i64(x); }

#define FNX_S_DEF_CONVERT(scode, ST, SU, ssfx, SK, SMIN, SMAX, dcode, DT, DU, dsfx, DK, DMIN, DMAX) \
  static inline DT fnx_s_convert_##ssfx##_##dsfx(ST x) { return FNX_S_CVT_##SK##DK(DT, dsfx, x); }
/* The destination list is spelled out because an X-macro list cannot be expanded inside its
 * own expansion.  FNX_CONVERT_TO_ALL(X, <source row>) calls X(<source row>, <dest row>) for
 * the 8 destinations; the kernels use it to instantiate their convert loops too. */
#define FNX_S_X_(X, ...) X(__VA_ARGS__)
#define FNX_CONVERT_TO_ALL(X, scode, ST, SU, ssfx, SK, SMIN, SMAX)                          \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_BOOL, uint8_t, uint8_t, b, B, 0, 1)   \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT8, int8_t, uint8_t, i8, I, 0, 0)   \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_UINT8, uint8_t, uint8_t, u8, I, 0, 0) \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT32, int32_t, uint32_t, i32, I, 0, 0) \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT64, int64_t, uint64_t, i64, I, 0, 0) \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_UINT32, uint32_t, uint32_t, u32, I, 0, 0) \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_FLOAT32, float, float, f32, F, 0, 0)  \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_FLOAT64, double, double, f64, F, 0, 0)
#define FNX_S_CONVERT_FROM(scode, ST, SU, ssfx, SK, SMIN, SMAX) \
  FNX_CONVERT_TO_ALL(FNX_S_DEF_CONVERT, scode, ST, SU, ssfx, SK, SMIN, SMAX)
FNX_ALL_TYPES(FNX_S_CONVERT_FROM)

/* bitcast_convert_type: the same bits read as another dtype of the same width (memcpy is the
 * defined way to type-pun in C; gcc compiles it to a register move). */
#define FNX_S_DEF_BITCAST(a, TA, b, TB)                      \
  static inline TB fnx_s_bitcast_##a##_##b(TA x) {           \
    TB y;                                                    \
    memcpy(&y, &x, sizeof y);                                \
    return y;                                                \
  }                                                          \
  static inline TA fnx_s_bitcast_##b##_##a(TB x) {           \
    TA y;                                                    \
    memcpy(&y, &x, sizeof y);                                \
    return y;                                                \
  }
FNX_S_DEF_BITCAST(i8, int8_t, u8, uint8_t)
FNX_S_DEF_BITCAST(i32, int32_t, u32, uint32_t)
FNX_S_DEF_BITCAST(i32, int32_t, f32, float)
FNX_S_DEF_BITCAST(u32, uint32_t, f32, float)
FNX_S_DEF_BITCAST(i64, int64_t, f64, double)

#pragma GCC diagnostic pop

#endif
