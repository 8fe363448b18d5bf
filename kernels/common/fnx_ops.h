/* fnx: the list of floating-point elementwise ops, one line each -- the single place such an
 * op is declared in native code.
 *
 * Every list below is expanded three times:
 *   - fnx_scalar.h defines each op's scalar functions fnx_s_<name>_f64 / fnx_s_<name>_f32 from
 *     the two formulas (for C and, through kernels/cuda/fnx_cuda.cuh, for CUDA alike);
 *   - fnx_kernels.h numbers the ops: FNX_<NAME> in enum fnx_unary_op / fnx_binary_op (in list
 *     order), which the Python side looks up by name (fnx/backends/cpu.py);
 *   - the eager kernels instantiate one loop per op: kernels/cpu/unary.c / binary.c and
 *     kernels/cuda/elementwise.cu.
 * So adding such an op to the native code is one line here (see docs/architecture.md, §3).
 *
 * Pure macros, no includes and no code: fnx_kernels.h includes this file, and build_kernels.py
 * runs the C preprocessor over fnx_kernels.h to get cffi's declarations.
 *
 * X(NAME, name, heavy, f64 formula, f32 formula)
 *   NAME     the enum constant's suffix (the lax primitive name in capitals)
 *   name     the lax primitive name (the scalar functions are fnx_s_<name>_<f64|f32>)
 *   heavy    1 for a transcendental op (~20-100 cycles per element): the CPU kernels split a
 *            loop over threads at a smaller size (FNX_PAR_MIN_HEAVY)
 *   formulas C expressions in `x` (unary) or `a`, `b` (binary) of type double / float.  The
 *            fnx_m_* names are the elementary functions whose implementation is the platform's
 *            (fnx_scalar.h, "platform"): vmath.h's vectorizable ones on the CPU, CUDA's own on
 *            the GPU.  The float32 erf_inv / lgamma / digamma are computed in double and
 *            rounded.
 */
#ifndef FNX_OPS_H
#define FNX_OPS_H

/* unary ops on floats (enum fnx_unary_op: these in order, then FNX_IS_FINITE, FNX_NOT,
 * FNX_INTEGER_POW, whose signatures or dtypes differ).  neg / abs / sign are defined for the
 * integer dtypes too (fnx_scalar.h). */
#define FNX_FLOAT_UNARY_OPS(X)                                                          \
  X(NEG, neg, 0, -x, -x)                                                                \
  X(EXP, exp, 1, fnx_m_exp(x), fnx_m_expf(x))                                           \
  X(EXP2, exp2, 1, exp2(x), exp2f(x))                                                   \
  X(LOG, log, 1, fnx_m_log(x), fnx_m_logf(x))                                           \
  X(LOG1P, log1p, 1, log1p(x), fnx_m_log1pf(x))                                         \
  X(EXPM1, expm1, 1, expm1(x), fnx_m_expm1f(x))                                         \
  X(SIN, sin, 1, sin(x), sinf(x))                                                       \
  X(COS, cos, 1, cos(x), cosf(x))                                                       \
  X(TAN, tan, 1, tan(x), tanf(x))                                                       \
  X(ASIN, asin, 1, asin(x), asinf(x))                                                   \
  X(ACOS, acos, 1, acos(x), acosf(x))                                                   \
  X(ATAN, atan, 1, atan(x), atanf(x))                                                   \
  X(SINH, sinh, 1, sinh(x), sinhf(x))                                                   \
  X(COSH, cosh, 1, cosh(x), coshf(x))                                                   \
  X(TANH, tanh, 1, fnx_m_tanh(x), fnx_m_tanhf(x))                                       \
  X(ASINH, asinh, 1, asinh(x), asinhf(x))                                               \
  X(ACOSH, acosh, 1, acosh(x), acoshf(x))                                               \
  X(ATANH, atanh, 1, atanh(x), atanhf(x))                                               \
  X(LOGISTIC, logistic, 1, fnx_m_logistic(x), fnx_m_logisticf(x))                       \
  X(SQRT, sqrt, 0, sqrt(x), sqrtf(x))                                                   \
  X(RSQRT, rsqrt, 0, 1.0 / sqrt(x), 1.0f / sqrtf(x))                                    \
  X(CBRT, cbrt, 1, cbrt(x), cbrtf(x))                                                   \
  X(ABS, abs, 0, fabs(x), fabsf(x))                                                     \
  X(SIGN, sign, 0, x > 0 ? 1.0 : (x < 0 ? -1.0 : x + 0.0),                              \
    x > 0 ? 1.0f : (x < 0 ? -1.0f : x + 0.0f))   /* +-0 -> +0 (numpy's), NaN stays */      \
  X(FLOOR, floor, 0, floor(x), floorf(x))                                               \
  X(CEIL, ceil, 0, ceil(x), ceilf(x))                                                   \
  X(ROUND_AWAY, round_away, 0, round(x), roundf(x))                                     \
  X(ROUND_EVEN, round_even, 0, rint(x), rintf(x))                                       \
  X(ERF, erf, 1, erf(x), fnx_m_erff(x))                                                 \
  X(ERF_INV, erf_inv, 1, fnx_m_erfinv(x), fnx_m_erfinv((double)x))                      \
  X(LGAMMA, lgamma, 1, fnx_m_lgamma(x), fnx_m_lgamma((double)x))                        \
  X(DIGAMMA, digamma, 1, fnx_digamma(x), fnx_digamma((double)x))                        \
  X(ERFC, erfc, 1, erfc(x), erfc((double)x))                                            \
  X(BESSEL_I0E, bessel_i0e, 1, fnx_bessel_i0e(x), fnx_bessel_i0e((double)x))            \
  X(BESSEL_I1E, bessel_i1e, 1, fnx_bessel_i1e(x), fnx_bessel_i1e((double)x))

/* binary ops on floats only (enum fnx_binary_op places them after FNX_MAX, FNX_MIN).  The ops
 * of several dtype kinds (add, div, comparisons, shifts ...) have one definition per kind in
 * fnx_scalar.h instead. */
#define FNX_FLOAT_BINARY_OPS(X)                                                         \
  X(ATAN2, atan2, 1, atan2(a, b), atan2f(a, b))                                         \
  X(NEXTAFTER, nextafter, 1, nextafter(a, b), nextafterf(a, b))                          \
  FNX_SPECIAL_BINARY_OPS(X)

/* the incomplete gamma family and Hurwitz zeta (fnx/lax/special.py; scalar code in
 * fnx_special.h): float32 computed in double and rounded */
#define FNX_SPECIAL_BINARY_OPS(X)                                                       \
  X(IGAMMA, igamma, 1, fnx_igamma(a, b), fnx_igamma((double)a, (double)b))              \
  X(IGAMMAC, igammac, 1, fnx_igammac(a, b), fnx_igammac((double)a, (double)b))          \
  X(IGAMMA_GRAD_A, igamma_grad_a, 1, fnx_igamma_grad_a(a, b),                           \
    fnx_igamma_grad_a((double)a, (double)b))                                            \
  X(RANDOM_GAMMA_GRAD, random_gamma_grad, 1, fnx_random_gamma_grad(a, b),               \
    fnx_random_gamma_grad((double)a, (double)b))                                        \
  X(ZETA, zeta, 1, fnx_zeta(a, b), fnx_zeta((double)a, (double)b))

#endif
