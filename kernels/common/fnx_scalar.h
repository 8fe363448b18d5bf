/* fnx: the scalar semantics of every elementwise operation, in one place, for C and CUDA.
 *
 * The eager CPU kernels (kernels/cpu: unary.c, binary.c, elementwise.c) call these functions
 * in their loops, the jit compiler's generated C includes this same header (so a fused loop
 * computes bitwise the same values as the eager kernels), and on the GPU
 * kernels/cuda/fnx_cuda.cuh includes it for the eager CUDA kernels and the jit's generated
 * CUDA.  Nothing else defines what an op does.  (One thing no source can pin down: when two
 * NaNs meet in a commutative op, x86 returns the first operand's, and gcc may order the
 * operands differently in two compilations, so the sign and payload of such a NaN can differ.
 * It is still a NaN.)
 *
 * Two platforms, one set of formulas.  Only the "platform" section below differs:
 *   C     (default)  static inline functions; the elementary functions fnx_m_* are vmath.h's
 *                    branch-free vectorizable ones (plus fnx's own erf_inv and a thread-safe
 *                    lgamma);
 *   CUDA  (FNX_SCALAR_CUDA, defined by fnx_cuda.cuh before it includes this file)
 *                    __device__ __forceinline__ functions; fnx_m_* are CUDA's own, so the
 *                    float32 transcendental functions may differ from the CPU's in the last
 *                    ulp or two.  No standard header is included: NVRTC has none.
 * Integer semantics, NaN rules, conversions and the formulas themselves (fnx_ops.h and the
 * definitions below) are the same on both.
 *
 * Naming (mechanical, so a code generator can form every name):
 *   fnx_s_<op>_<sfx>             <op> is the lax primitive name; the two rounding methods of
 *                                lax.round are round_away and round_even
 *   fnx_s_convert_<from>_<to>    convert_element_type, for all 10 x 10 pairs (same pair:
 *                                identity)
 *   fnx_s_bitcast_<from>_<to>    bitcast_convert_type between real dtypes of one width
 *   <sfx> is the dtype suffix:   b (bool, uint8 0/1), i8, u8, i32, i64, u32, f32 (float),
 *                                f64 (double), c64 (fnx_complex64), c128 (fnx_complex128)
 * Signatures (fnx_int8 ... fnx_uint64 are int8_t ... uint64_t in C, CUDA's types on the GPU):
 *   unary            T fnx_s_<op>_<sfx>(T x)
 *   is_finite        fnx_uint8 fnx_s_is_finite_<sfx>(T x)
 *   integer_pow      T fnx_s_integer_pow_<sfx>(T x, fnx_int64 e)
 *   binary           T fnx_s_<op>_<sfx>(T a, T b)
 *   comparisons      fnx_uint8 fnx_s_<eq|ne|lt|le|gt|ge>_<sfx>(T a, T b)
 *   clamp            T fnx_s_clamp_<sfx>(T lo, T x, T hi)
 *   select           T fnx_s_select_<sfx>(fnx_uint8 pred, T on_false, T on_true)
 *   convert          TO fnx_s_convert_<from>_<to>(TI x)
 * Which (op, dtype) pairs exist follows the dtype rules of fnx/lax/elementwise.py:
 *   floats only:     the FNX_FLOAT_UNARY_OPS of fnx_ops.h except neg abs sign (exp log tanh
 *                    erf_inv ...), is_finite, the FNX_FLOAT_BINARY_OPS (atan2 nextafter)
 *   ints + floats:   neg abs sign integer_pow add sub mul div rem pow
 *   bool + ints:     not and or xor
 *   ints only:       shift_left shift_right_logical shift_right_arithmetic
 *   all 8 real dtypes: max min eq ne lt le gt ge clamp select convert
 * complex64 / complex128 (fnx_complex.h, which lists its own ops): the arithmetic (not rem),
 * the elementary functions, comparisons, max / min, select, convert, and the complex-only
 * real imag conj complex.
 *
 * C: self-contained (needs only <stdint.h>, <string.h>, <math.h>, vmath.h, fnx_ops.h and
 * fnx_complex.h; libm for the complex functions, which it declares itself) and
 * defines only static functions and macros, so any number of translation units may include
 * it.  Compile it exactly like the kernels (build_kernels.py, EXTRA_COMPILE_ARGS):
 *     -O3 -march=native -std=gnu99 -fno-math-errno -ffp-contract=off   (+ -fopenmp -fPIC)
 * -ffp-contract=off matters: with fma contraction (gcc's default in gnu modes) the same source
 * rounds differently.  -ffast-math is refused below.  -std=c11 also works (it implies
 * -ffp-contract=off; lgamma_r is declared here for it).
 */
#ifndef FNX_SCALAR_H
#define FNX_SCALAR_H

/* ==================================== platform ============================================= */
#ifdef FNX_SCALAR_CUDA

/* the ops are instantiated for unsigned types too: "x < 0 is always false" is expected (186);
 * every scalar function is defined, a kernel uses a few ("declared but never referenced", 177) */
#pragma nv_diag_suppress 186
#pragma nv_diag_suppress 177

typedef signed char fnx_int8;
typedef unsigned char fnx_uint8;
typedef int fnx_int32;
typedef unsigned int fnx_uint32;
typedef long long fnx_int64;
typedef unsigned long long fnx_uint64;

#define FNX_DEV static __device__ __forceinline__
#define FNX_DEV_OUTLINE static __device__ /* large: called, not inlined */
#define FNX_INF (__longlong_as_double(0x7ff0000000000000LL))
#define FNX_INFF (__int_as_float(0x7f800000))
#define FNX_NAN (__longlong_as_double(0x7ff8000000000000LL))

/* logistic without overflow: 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) below */
FNX_DEV double fnx_logistic(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  const double e = exp(x);
  return e / (1.0 + e);
}
FNX_DEV float fnx_logisticf(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

/* the elementary functions of fnx_ops.h's formulas: CUDA's */
#define fnx_m_exp exp
#define fnx_m_expf expf
#define fnx_m_log log
#define fnx_m_logf logf
#define fnx_m_log1pf log1pf
#define fnx_m_expm1f expm1f
#define fnx_m_tanh tanh
#define fnx_m_tanhf tanhf
#define fnx_m_logistic fnx_logistic
#define fnx_m_logisticf fnx_logisticf
#define fnx_m_erff erff
#define fnx_m_erfinv erfinv
#define fnx_m_lgamma lgamma
/* pow(a, 0.5) stays pow (see fnx_s_pow_<sfx> below: the rewrite is for gcc's vectorizer) */
#define FNX_POW_HALF_AS_SQRT 0

#else /* C */

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

typedef int8_t fnx_int8;
typedef uint8_t fnx_uint8;
typedef int32_t fnx_int32;
typedef uint32_t fnx_uint32;
typedef int64_t fnx_int64;
typedef uint64_t fnx_uint64;

#define FNX_DEV static inline
#define FNX_DEV_OUTLINE static __attribute__((unused)) /* large: called, not inlined */
#define FNX_INF INFINITY
#define FNX_INFF INFINITY
#define FNX_NAN NAN

/* erf^-1: Giles' single-precision approximation (rel. err ~1e-7) refined by two Halley steps
 * on erf (cubic convergence, so ~1e-16).  For |x| > 0.5 the residual is computed as
 * (1 - |x|) - erfc(y): 1 - |x| is exact there and erfc keeps full relative precision in the
 * tail, where erf(y) - x would cancel. */
FNX_DEV_OUTLINE double fnx_erfinv(double x) {
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
FNX_DEV double fnx_lgamma(double x) {
  int sign;
  return lgamma_r(x, &sign);
}

/* the elementary functions of fnx_ops.h's formulas: vmath.h's vectorizable ones */
#define fnx_m_exp fnx_vexp
#define fnx_m_expf fnx_vexpf
#define fnx_m_log fnx_vlog
#define fnx_m_logf fnx_vlogf
#define fnx_m_log1pf fnx_vlog1pf
#define fnx_m_expm1f fnx_vexpm1f
#define fnx_m_tanh fnx_vtanh
#define fnx_m_tanhf fnx_vtanhf
#define fnx_m_logistic fnx_vlogistic
#define fnx_m_logisticf fnx_vlogisticf
#define fnx_m_erff fnx_verff
#define fnx_m_erfinv fnx_erfinv
#define fnx_m_lgamma fnx_lgamma
#define FNX_POW_HALF_AS_SQRT 1

#endif /* platform */

#include "fnx_ops.h"

/* ---- dtype type map ----------------------------------------------------------------------
 * X(code, T, U, sfx, K, TMIN, TMAX)
 *   code: the FNX_* dtype enum of fnx_kernels.h (only a token here; this header never uses it)
 *   T: storage type, U: type used for wrapping arithmetic (unsigned for ints, T for floats),
 *   K: kind (B bool, I integer, F float), TMIN/TMAX: identities of max/min. */
#define FNX_BOOL_TYPE(X) X(FNX_BOOL, fnx_uint8, fnx_uint8, b, B, 0, 1)
#define FNX_INT_TYPES(X)                                                                    \
  X(FNX_INT8, fnx_int8, fnx_uint8, i8, I, (-127 - 1), 127)                                  \
  X(FNX_UINT8, fnx_uint8, fnx_uint8, u8, I, 0, 255)                                         \
  X(FNX_INT32, fnx_int32, fnx_uint32, i32, I, (-2147483647 - 1), 2147483647)                \
  X(FNX_INT64, fnx_int64, fnx_uint64, i64, I, FNX_INT64_MIN, FNX_INT64_MAX)                 \
  X(FNX_UINT32, fnx_uint32, fnx_uint32, u32, I, 0, 4294967295U)
/* (The lists are in a readable order, not enum order: FNX_UINT32 came last.  Tables indexed by
 * dtype code use designated initializers `[code] = ...`.) */
#define FNX_FLOAT_TYPES(X)                                                                  \
  X(FNX_FLOAT32, float, float, f32, F, -FNX_INFF, FNX_INFF)                                 \
  X(FNX_FLOAT64, double, double, f64, F, -FNX_INF, FNX_INF)
#define FNX_NUMERIC_TYPES(X) FNX_INT_TYPES(X) FNX_FLOAT_TYPES(X)
#define FNX_ALL_TYPES(X) FNX_BOOL_TYPE(X) FNX_NUMERIC_TYPES(X)
#define FNX_INT64_MAX ((fnx_int64)0x7fffffffffffffffLL)
#define FNX_INT64_MIN (-FNX_INT64_MAX - 1)

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
 * (well defined modulo 2^bits) and convert back (gcc and nvcc define that conversion as
 * modulo).  For floats U == T, so the same macros are plain float arithmetic. */
#define FNX_WADD(T, U, a, b) ((T)((U)(a) + (U)(b)))
#define FNX_WSUB(T, U, a, b) ((T)((U)(a) - (U)(b)))
#define FNX_WMUL(T, U, a, b) ((T)((U)(a) * (U)(b)))
#define FNX_WNEG(T, U, a) ((T)((U)0 - (U)(a)))
#define FNX_SIGNED(T) ((T)-1 < (T)0)

/* float -> int64 / int32 that never hits the UB of an out-of-range cast: NaN -> 0, saturate at
 * the ends (this is also what XLA does for float -> int conversion). */
FNX_DEV fnx_int64 fnx_d2i64(double x) {
  if (x != x) return 0;
  if (x >= 9223372036854775808.0) return FNX_INT64_MAX;
  if (x <= -9223372036854775808.0) return FNX_INT64_MIN;
  return (fnx_int64)x;
}
FNX_DEV fnx_int32 fnx_d2i32(double x) {
  if (x != x) return 0;
  if (x >= 2147483647.0) return 2147483647;
  if (x <= -2147483648.0) return (-2147483647 - 1);
  return (fnx_int32)x;
}

/* digamma: reflection for x < 0, recurrence up to x >= 10, then the asymptotic series
 * (truncation error < 1e-17 at x = 10).  Poles follow scipy.special.digamma:
 * psi(+0) = -inf, psi(-0) = +inf, psi(negative integer) = NaN, psi(-inf) = NaN. */
FNX_DEV_OUTLINE double fnx_digamma(double x) {
  const double pi = 3.14159265358979323846;
  if (x != x || x == FNX_INF) return x;
  if (x == 0) return copysign(FNX_INF, -x);
  if (x == -FNX_INF) return FNX_NAN;
  double r = 0.0;
  if (x < 0) {
    double nearest = rint(x);
    if (x == nearest) return FNX_NAN;
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

/* ---- the exponentially scaled modified Bessel functions i0e(x) = e^-|x| I0(x) and
 * i1e(x) = e^-|x| I1(x): Chebyshev series on three pieces of |x| (0..3, 3..8, > 8), summed by
 * Clenshaw's recurrence.  The coefficients come from tools/gen_bessel_chebyshev.py (mpmath;
 * its docstring says which function each piece expands and why the pieces are where they
 * are); they are cut at 1e-18 relative, so the error is the summation's, < 2 ulps. */
#define FNX_I0E_LOW_N 22
#define FNX_I0E_LOW \
    0.9655364374908914, -0.3339722732060553, 0.12643533976483243, -0.04158601740970665, \
    0.011679962353205365, -0.0028268950700116495, 0.0005975538634559793, \
    -0.00011175704426439015, 1.870618331185851e-05, -2.8301218743274267e-06, \
    3.903212160030707e-07, -4.943197366346473e-08, 5.785027837907569e-09, \
    -6.290747586859231e-10, 6.386908297452072e-11, -6.080178533457076e-12, \
    5.447752737205589e-13, -4.609527279733393e-14, 3.694419056838815e-15, \
    -2.812360702021609e-16, 2.0384701794437382e-17, -1.4100131585120178e-18
#define FNX_I0E_MID_N 24
#define FNX_I0E_MID \
    0.36673692398776236, -0.047603992185159705, 0.009339234193314894, \
    -0.0020594399889087415, 0.000479801107686521, -0.00011426895327424021, \
    2.711224657074141e-05, -6.27753051964891e-06, 1.3970901271044229e-06, \
    -2.9592581244921226e-07, 5.932013513699006e-08, -1.1223307931518292e-08, \
    2.0027849135150855e-09, -3.372647922039197e-10, 5.366300547001226e-11, \
    -8.080999462875407e-12, 1.1538422075371152e-12, -1.5651502097710206e-13, \
    2.0208301628830105e-14, -2.4881888539425344e-15, 2.9268532499912824e-16, \
    -3.294809300554868e-17, 3.555331051464735e-18, -3.6831528226533024e-19
#define FNX_I0E_HIGH_N 27
#define FNX_I0E_HIGH \
    0.8044904110141088, 0.0033691164782556943, 6.889758346916825e-05, \
    2.8913705208347567e-06, 2.0489185894690638e-07, 2.266668990498178e-08, \
    3.3962320257083865e-09, 4.94060238822497e-10, 1.1889147107846439e-11, \
    -3.1499165279632416e-11, -1.3215811840447713e-11, -1.7941785315068062e-12, \
    7.180124451383666e-13, 3.8527783827421426e-13, 1.54008621752141e-14, \
    -4.150569347287222e-14, -9.554846698828307e-15, 3.8116806693526224e-15, \
    1.7725601330565263e-15, -3.425485619677219e-16, -2.8276239805165836e-16, \
    3.461222867697461e-17, 4.46562142029676e-17, -4.830504485944182e-18, \
    -7.233180487874754e-18, 9.921475412173699e-19, 1.193650890845982e-18
#define FNX_I1E_LOW_N 21
#define FNX_I1E_LOW \
    0.41955054886302945, -0.19690236672565925, 0.06821022053605816, -0.019294688006808003, \
    0.0046356577677209914, -0.0009683182193855112, 0.00017880068023503967, \
    -2.956230695394644e-05, 4.4221003237623855e-06, -6.036377982625207e-07, \
    7.574245287882964e-08, -8.79068408108963e-09, 9.487895635498947e-10, \
    -9.56819888684889e-11, 9.05335873096005e-12, -8.066995100462552e-13, \
    6.791544822631287e-14, -5.418345232950935e-15, 4.10740828308481e-16, \
    -2.965692689230099e-17, 2.0440981958830367e-18
#define FNX_I1E_MID_N 23
#define FNX_I1E_MID \
    0.06911172422426541, -0.02275914879554615, 0.006239506982538349, -0.001572989769002847, \
    0.00037404649703258225, -8.454434911869344e-05, 1.8193127878180735e-05, \
    -3.725383138535222e-06, 7.251580919121432e-07, -1.3407048599410658e-07, \
    2.3534521984939607e-08, -3.922744722010111e-09, 6.211690523375044e-10, \
    -9.352543154850998e-11, 1.3403482564206237e-11, -1.830670307045519e-12, \
    2.3860805658638243e-13, -2.9719481358838157e-14, 3.5422795234249005e-15, \
    -4.0458446426357004e-16, 4.434118465905403e-17, -4.669247391991336e-18, \
    4.730179507014309e-19
#define FNX_I1E_HIGH_N 27
#define FNX_I1E_HIGH \
    0.7785762350182801, -0.009761097491361469, -0.00011058893876262371, \
    -3.882564808877691e-06, -2.512236237870209e-07, -2.6314688468895196e-08, \
    -3.835380385964237e-09, -5.589743462196584e-10, -1.8974958123505413e-11, \
    3.2526035830154884e-11, 1.4125807436613782e-11, 2.0356285441470896e-12, \
    -7.198551776245908e-13, -4.0835511110921974e-13, -2.1015418427726643e-14, \
    4.272440016711951e-14, 1.0420276984128802e-14, -3.8144030724370075e-15, \
    -1.8803547755107825e-15, 3.3082023109209285e-16, 2.96262899764595e-16, \
    -3.209525921993424e-17, -4.6503053684893586e-17, 4.414348323071708e-18, \
    7.517296310842105e-18, -9.314178867326884e-19, -1.242193275194891e-18

/* sum' c_k T_k(t) for t in [-1, 1] (the first coefficient halved) by Clenshaw's recurrence */
FNX_DEV double fnx_chebyshev(const double *c, int n, double t) {
  const double t2 = t + t;
  double b1 = 0.0, b2 = 0.0;
  for (int k = n - 1; k > 0; k--) {
    const double b0 = t2 * b1 - b2 + c[k];
    b2 = b1;
    b1 = b0;
  }
  return t * b1 - b2 + 0.5 * c[0];
}

/* e^-|x| I0(x): even; -> 1 at 0, ~ 1 / sqrt(2 pi |x|) for large |x|, 0 at +-inf, NaN stays */
FNX_DEV_OUTLINE double fnx_bessel_i0e(double x) {
  const double a = fabs(x);
  if (a <= 3.0) {
    const double c[FNX_I0E_LOW_N] = {FNX_I0E_LOW};
    return fnx_chebyshev(c, FNX_I0E_LOW_N, a / 1.5 - 1.0);
  }
  if (a <= 8.0) {
    const double c[FNX_I0E_MID_N] = {FNX_I0E_MID};
    return fnx_chebyshev(c, FNX_I0E_MID_N, (2.0 * a - 11.0) / 5.0);
  }
  const double c[FNX_I0E_HIGH_N] = {FNX_I0E_HIGH};
  return fnx_chebyshev(c, FNX_I0E_HIGH_N, 16.0 / a - 1.0) / sqrt(a);
}

/* e^-|x| I1(x): odd (-0 -> -0); ~ x / 2 near 0, sign(x) / sqrt(2 pi |x|) for large |x| */
FNX_DEV_OUTLINE double fnx_bessel_i1e(double x) {
  const double a = fabs(x);
  double r;
  if (a <= 3.0) {
    const double c[FNX_I1E_LOW_N] = {FNX_I1E_LOW};
    r = a * fnx_chebyshev(c, FNX_I1E_LOW_N, a / 1.5 - 1.0);
  } else if (a <= 8.0) {
    const double c[FNX_I1E_MID_N] = {FNX_I1E_MID};
    r = a * fnx_chebyshev(c, FNX_I1E_MID_N, (2.0 * a - 11.0) / 5.0);
  } else {
    const double c[FNX_I1E_HIGH_N] = {FNX_I1E_HIGH};
    r = fnx_chebyshev(c, FNX_I1E_HIGH_N, 16.0 / a - 1.0) / sqrt(a);
  }
  return copysign(r, x);
}

/* the binary special functions (igamma, zeta ...) of FNX_FLOAT_BINARY_OPS */
#include "fnx_special.h"

/* ==================================== unary ops ============================================ */

/* floats: every line of FNX_FLOAT_UNARY_OPS (fnx_ops.h) */
#define FNX_S_DEF_FLOAT_UNARY(NAME, op, heavy, E64, E32)                \
  FNX_DEV double fnx_s_##op##_f64(double x) { return (double)(E64); }  \
  FNX_DEV float fnx_s_##op##_f32(float x) { return (float)(E32); }
FNX_FLOAT_UNARY_OPS(FNX_S_DEF_FLOAT_UNARY)

/* is_finite: bool result; NaN and +-inf are not finite */
FNX_DEV fnx_uint8 fnx_s_is_finite_f64(double x) { return (fnx_uint8)isfinite(x); }
FNX_DEV fnx_uint8 fnx_s_is_finite_f32(float x) { return (fnx_uint8)isfinite(x); }

/* integer_pow for floats: x ** e by repeated squaring; negative e gives 1 / x ** |e| */
#define FNX_S_DEF_FLOAT_IPOW(code, T, U, sfx, K, TMIN, TMAX)                     \
  FNX_DEV T fnx_s_integer_pow_##sfx(T x, fnx_int64 e) {                          \
    fnx_uint64 m = e < 0 ? (fnx_uint64)0 - (fnx_uint64)e : (fnx_uint64)e;        \
    T r = 1, b = x;                                                              \
    while (m) {                                                                  \
      if (m & 1) r *= b;                                                         \
      b *= b;                                                                    \
      m >>= 1;                                                                   \
    }                                                                            \
    return e < 0 ? (T)1 / r : r;                                                 \
  }
FNX_FLOAT_TYPES(FNX_S_DEF_FLOAT_IPOW)

/* integers: neg and abs wrap (abs(INT_MIN) == INT_MIN), sign is -1/0/1, not is bitwise;
 * integer_pow by repeated squaring in unsigned arithmetic (wraps like numpy); a negative
 * exponent gives 0 except for bases 1 and -1, where the exact answer is an integer. */
#define FNX_S_DEF_INT_UNARY(code, T, U, sfx, K, TMIN, TMAX)                           \
  FNX_DEV T fnx_s_neg_##sfx(T x) { return FNX_WNEG(T, U, x); }                        \
  FNX_DEV T fnx_s_abs_##sfx(T x) { return x < 0 ? FNX_WNEG(T, U, x) : x; }            \
  FNX_DEV T fnx_s_sign_##sfx(T x) { return (T)((x > 0) - (x < 0)); }                  \
  FNX_DEV T fnx_s_not_##sfx(T x) { return (T)~x; }                                    \
  FNX_DEV T fnx_s_integer_pow_##sfx(T x, fnx_int64 e) {                               \
    if (e < 0) {                                                                      \
      if (x == 1) return 1;                                                           \
      if (FNX_SIGNED(T) && x == (T)-1) return (e & 1) ? (T)-1 : (T)1;                 \
      return 0;                                                                       \
    }                                                                                 \
    U r = 1, b = (U)x;                                                                \
    fnx_uint64 m = (fnx_uint64)e;                                                     \
    while (m) {                                                                       \
      if (m & 1) r = (U)(r * b);                                                      \
      b = (U)(b * b);                                                                 \
      m >>= 1;                                                                        \
    }                                                                                 \
    return (T)r;                                                                      \
  }
FNX_INT_TYPES(FNX_S_DEF_INT_UNARY)

/* bool: logical not of a 0/1 byte */
FNX_DEV fnx_uint8 fnx_s_not_b(fnx_uint8 x) { return (fnx_uint8)(x == 0); }

/* ==================================== binary ops =========================================== */

/* every dtype: comparisons (bool result) and NaN-propagating max / min */
#define FNX_S_DEF_CMP(code, T, U, sfx, K, TMIN, TMAX)                                  \
  FNX_DEV fnx_uint8 fnx_s_eq_##sfx(T a, T b) { return (fnx_uint8)(a == b); }           \
  FNX_DEV fnx_uint8 fnx_s_ne_##sfx(T a, T b) { return (fnx_uint8)(a != b); }           \
  FNX_DEV fnx_uint8 fnx_s_lt_##sfx(T a, T b) { return (fnx_uint8)(a < b); }            \
  FNX_DEV fnx_uint8 fnx_s_le_##sfx(T a, T b) { return (fnx_uint8)(a <= b); }           \
  FNX_DEV fnx_uint8 fnx_s_gt_##sfx(T a, T b) { return (fnx_uint8)(a > b); }            \
  FNX_DEV fnx_uint8 fnx_s_ge_##sfx(T a, T b) { return (fnx_uint8)(a >= b); }           \
  FNX_DEV T fnx_s_max_##sfx(T a, T b) { return FNX_MAX_##K(a, b); }                    \
  FNX_DEV T fnx_s_min_##sfx(T a, T b) { return FNX_MIN_##K(a, b); }
FNX_ALL_TYPES(FNX_S_DEF_CMP)

/* ints and floats: add / sub / mul, wrapping for ints via the unsigned type */
#define FNX_S_DEF_ARITH(code, T, U, sfx, K, TMIN, TMAX)                              \
  FNX_DEV T fnx_s_add_##sfx(T a, T b) { return FNX_WADD(T, U, a, b); }               \
  FNX_DEV T fnx_s_sub_##sfx(T a, T b) { return FNX_WSUB(T, U, a, b); }               \
  FNX_DEV T fnx_s_mul_##sfx(T a, T b) { return FNX_WMUL(T, U, a, b); }
FNX_NUMERIC_TYPES(FNX_S_DEF_ARITH)

/* integers, with the lax semantics: division truncates, x / 0 == 0, x % 0 == 0,
 * INT_MIN / -1 == INT_MIN, INT_MIN % -1 == 0 (so no SIGFPE ever); pow(a, b) is
 * integer_pow(a, b); shift amounts outside [0, bits) are defined (0, or the sign fill for the
 * arithmetic right shift) instead of being C UB; gcc and nvcc define >> of a negative signed
 * value as arithmetic, and for uint8 (never negative) the arithmetic shift is the logical one. */
#define FNX_S_DEF_INT_BINARY(code, T, U, sfx, K, TMIN, TMAX)                                 \
  FNX_DEV T fnx_s_div_##sfx(T a, T b) {                                                     \
    if (b == 0) return 0;                                                                   \
    if (FNX_SIGNED(T) && b == (T)-1) return FNX_WNEG(T, U, a);                              \
    return (T)(a / b);                                                                      \
  }                                                                                         \
  FNX_DEV T fnx_s_rem_##sfx(T a, T b) {                                                     \
    if (b == 0 || (FNX_SIGNED(T) && b == (T)-1)) return 0;                                  \
    return (T)(a % b);                                                                      \
  }                                                                                         \
  FNX_DEV T fnx_s_pow_##sfx(T a, T b) { return fnx_s_integer_pow_##sfx(a, (fnx_int64)b); } \
  FNX_DEV T fnx_s_and_##sfx(T a, T b) { return (T)(a & b); }                                \
  FNX_DEV T fnx_s_or_##sfx(T a, T b) { return (T)(a | b); }                                 \
  FNX_DEV T fnx_s_xor_##sfx(T a, T b) { return (T)(a ^ b); }                                \
  FNX_DEV T fnx_s_shift_left_##sfx(T a, T b) {                                              \
    if ((fnx_int64)b < 0 || (fnx_int64)b >= (fnx_int64)(8 * sizeof(T))) return 0;          \
    return (T)((U)a << b);                                                                  \
  }                                                                                         \
  FNX_DEV T fnx_s_shift_right_logical_##sfx(T a, T b) {                                     \
    if ((fnx_int64)b < 0 || (fnx_int64)b >= (fnx_int64)(8 * sizeof(T))) return 0;          \
    return (T)((U)a >> b);                                                                  \
  }                                                                                         \
  FNX_DEV T fnx_s_shift_right_arithmetic_##sfx(T a, T b) {                                  \
    if ((fnx_int64)b < 0 || (fnx_int64)b >= (fnx_int64)(8 * sizeof(T)))                    \
      return a < 0 ? (T)-1 : 0;                                                             \
    return (T)(a >> b);                                                                     \
  }
FNX_INT_TYPES(FNX_S_DEF_INT_BINARY)

/* bool: logical ops on 0/1 bytes are the bitwise ones */
FNX_DEV fnx_uint8 fnx_s_and_b(fnx_uint8 a, fnx_uint8 b) { return (fnx_uint8)(a & b); }
FNX_DEV fnx_uint8 fnx_s_or_b(fnx_uint8 a, fnx_uint8 b) { return (fnx_uint8)(a | b); }
FNX_DEV fnx_uint8 fnx_s_xor_b(fnx_uint8 a, fnx_uint8 b) { return (fnx_uint8)(a ^ b); }

/* floats: IEEE division (x / 0 is +-inf or NaN), rem is C fmod (sign of the dividend).
 * pow is C's pow; on the CPU b == 0.5 is written out: gcc's vectorizer turns pow(x, 0.5) with
 * a constant 0.5 into sqrt(x) (as -ffast-math would), which gives -0 for -0 and NaN for -inf
 * where pow gives +0 and +inf -- so a jitted x ** 0.5 differed from the eager kernel.
 * sqrt(a) + 0 is pow(a, 0.5) exactly (sqrt is correctly rounded; + 0 turns -0 into +0). */
#define FNX_S_DEF_FLOAT_BINARY(T, sfx, SUF)                                               \
  FNX_DEV T fnx_s_div_##sfx(T a, T b) { return a / b; }                                   \
  FNX_DEV T fnx_s_rem_##sfx(T a, T b) { return fmod##SUF(a, b); }                        \
  FNX_DEV T fnx_s_pow_##sfx(T a, T b) {                                                   \
    if (FNX_POW_HALF_AS_SQRT && b == (T)0.5)                                              \
      return a == -(T)FNX_INF ? (T)FNX_INF : sqrt##SUF(a) + (T)0;                          \
    return pow##SUF(a, b);                                                                \
  }
FNX_S_DEF_FLOAT_BINARY(double, f64, )
FNX_S_DEF_FLOAT_BINARY(float, f32, f)

/* floats only: every line of FNX_FLOAT_BINARY_OPS (fnx_ops.h) */
#define FNX_S_DEF_FLOAT_ONLY_BINARY(NAME, op, heavy, E64, E32)                   \
  FNX_DEV double fnx_s_##op##_f64(double a, double b) { return (double)(E64); } \
  FNX_DEV float fnx_s_##op##_f32(float a, float b) { return (float)(E32); }
FNX_FLOAT_BINARY_OPS(FNX_S_DEF_FLOAT_ONLY_BINARY)

/* ============================ clamp, select, convert, bitcast ============================== */

/* clamp(lo, x, hi) = min(max(x, lo), hi) with the NaN-propagating max / min: a NaN x (or lo,
 * hi) gives NaN; lo > hi gives hi. */
#define FNX_S_DEF_CLAMP(code, T, U, sfx, K, TMIN, TMAX)         \
  FNX_DEV T fnx_s_clamp_##sfx(T lo, T x, T hi) {                 \
    T m = FNX_MAX_##K(x, lo);                                    \
    return FNX_MIN_##K(m, hi);                                   \
  }
FNX_ALL_TYPES(FNX_S_DEF_CLAMP)

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
FNX_DEV fnx_int8 fnx_s_f2i_i8(double x) { return (fnx_int8)fnx_d2i64(x); }
FNX_DEV fnx_uint8 fnx_s_f2i_u8(double x) { return (fnx_uint8)fnx_d2i64(x); }
FNX_DEV fnx_int32 fnx_s_f2i_i32(double x) { return fnx_d2i32(x); }
FNX_DEV fnx_int64 fnx_s_f2i_i64(double x) { return fnx_d2i64(x); }
FNX_DEV fnx_uint32 fnx_s_f2i_u32(double x) { return (fnx_uint32)fnx_d2i64(x); }

#define FNX_S_DEF_CONVERT(scode, ST, SU, ssfx, SK, SMIN, SMAX, dcode, DT, DU, dsfx, DK, DMIN, DMAX) \
  FNX_DEV DT fnx_s_convert_##ssfx##_##dsfx(ST x) { return FNX_S_CVT_##SK##DK(DT, dsfx, x); }
/* The destination list is spelled out because an X-macro list cannot be expanded inside its
 * own expansion.  FNX_CONVERT_TO_ALL(X, <source row>) calls X(<source row>, <dest row>) for
 * the 8 destinations; the kernels use it to instantiate their convert loops too. */
#define FNX_S_X_(X, ...) X(__VA_ARGS__)
#define FNX_CONVERT_TO_ALL(X, scode, ST, SU, ssfx, SK, SMIN, SMAX)                                  \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_BOOL, fnx_uint8, fnx_uint8, b, B, 0, 1)      \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT8, fnx_int8, fnx_uint8, i8, I, 0, 0)      \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_UINT8, fnx_uint8, fnx_uint8, u8, I, 0, 0)    \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT32, fnx_int32, fnx_uint32, i32, I, 0, 0)  \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT64, fnx_int64, fnx_uint64, i64, I, 0, 0)  \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_UINT32, fnx_uint32, fnx_uint32, u32, I, 0, 0) \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_FLOAT32, float, float, f32, F, 0, 0)         \
  FNX_S_X_(X, scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_FLOAT64, double, double, f64, F, 0, 0)
#define FNX_S_CONVERT_FROM(scode, ST, SU, ssfx, SK, SMIN, SMAX) \
  FNX_CONVERT_TO_ALL(FNX_S_DEF_CONVERT, scode, ST, SU, ssfx, SK, SMIN, SMAX)
FNX_ALL_TYPES(FNX_S_CONVERT_FROM)

/* select_n with a bool predicate (any nonzero byte picks on_true) and bitcast_convert_type
 * (the same bits read as another dtype of the same width).  Both move bits, never convert
 * (NaN payloads pass through); each platform writes that its own way. */
#ifdef FNX_SCALAR_CUDA

#define FNX_S_DEF_SELECT(code, T, U, sfx, K, TMIN, TMAX)                      \
  FNX_DEV T fnx_s_select_##sfx(fnx_uint8 pred, T on_false, T on_true) {       \
    return pred ? on_true : on_false;                                         \
  }
FNX_ALL_TYPES(FNX_S_DEF_SELECT)

FNX_DEV fnx_uint8 fnx_s_bitcast_i8_u8(fnx_int8 x) { return (fnx_uint8)x; }
FNX_DEV fnx_int8 fnx_s_bitcast_u8_i8(fnx_uint8 x) { return (fnx_int8)x; }
FNX_DEV fnx_uint32 fnx_s_bitcast_i32_u32(fnx_int32 x) { return (fnx_uint32)x; }
FNX_DEV fnx_int32 fnx_s_bitcast_u32_i32(fnx_uint32 x) { return (fnx_int32)x; }
FNX_DEV float fnx_s_bitcast_i32_f32(fnx_int32 x) { return __int_as_float(x); }
FNX_DEV fnx_int32 fnx_s_bitcast_f32_i32(float x) { return __float_as_int(x); }
FNX_DEV float fnx_s_bitcast_u32_f32(fnx_uint32 x) { return __uint_as_float(x); }
FNX_DEV fnx_uint32 fnx_s_bitcast_f32_u32(float x) { return __float_as_uint(x); }
FNX_DEV double fnx_s_bitcast_i64_f64(fnx_int64 x) { return __longlong_as_double(x); }
FNX_DEV fnx_int64 fnx_s_bitcast_f64_i64(double x) { return __double_as_longlong(x); }

#else /* C */

/* a bit blend rather than ?: so that a loop over it vectorizes (gcc turns
 * `c ? t[i] : f[i]` into masked loads, which it cannot vectorize for 8-byte items under a
 * 1-byte mask, and branches on random masks) */
#define FNX_S_DEF_SELECT_INT(code, T, U, sfx, K, TMIN, TMAX)                        \
  FNX_DEV T fnx_s_select_##sfx(fnx_uint8 pred, T on_false, T on_true) {             \
    const U m = (U)((U)0 - (U)(pred != 0));                                         \
    return (T)(((U)on_true & m) | ((U)on_false & (U)~m));                           \
  }
FNX_BOOL_TYPE(FNX_S_DEF_SELECT_INT)
FNX_INT_TYPES(FNX_S_DEF_SELECT_INT)
FNX_DEV float fnx_s_select_f32(fnx_uint8 pred, float on_false, float on_true) {
  return fnx_self32(pred, on_true, on_false);
}
FNX_DEV double fnx_s_select_f64(fnx_uint8 pred, double on_false, double on_true) {
  return fnx_self64(pred, on_true, on_false);
}

/* memcpy is the defined way to type-pun in C; gcc compiles it to a register move */
#define FNX_S_DEF_BITCAST(a, TA, b, TB)                      \
  FNX_DEV TB fnx_s_bitcast_##a##_##b(TA x) {                 \
    TB y;                                                    \
    memcpy(&y, &x, sizeof y);                                \
    return y;                                                \
  }                                                          \
  FNX_DEV TA fnx_s_bitcast_##b##_##a(TB x) {                 \
    TA y;                                                    \
    memcpy(&y, &x, sizeof y);                                \
    return y;                                                \
  }
FNX_S_DEF_BITCAST(i8, fnx_int8, u8, fnx_uint8)
FNX_S_DEF_BITCAST(i32, fnx_int32, u32, fnx_uint32)
FNX_S_DEF_BITCAST(i32, fnx_int32, f32, float)
FNX_S_DEF_BITCAST(u32, fnx_uint32, f32, float)
FNX_S_DEF_BITCAST(i64, fnx_int64, f64, double)

#pragma GCC diagnostic pop

#endif /* platform */

/* complex64 / complex128: their own file, on everything above */
#include "fnx_complex.h"

#endif
