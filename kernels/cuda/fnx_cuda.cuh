/* fnx CUDA kernels: the scalar semantics of every elementwise op, on the device.
 *
 * This mirrors kernels/cpu/fnx_scalar.h formula for formula (same names: fnx_s_<op>_<sfx>,
 * fnx_s_convert_<from>_<to>), so the GPU computes what the CPU computes: integer division
 * truncates and x / 0 == 0, INT_MIN / -1 == INT_MIN, shifts outside [0, bits) are defined,
 * max / min propagate NaN, float -> int conversion saturates (NaN -> 0), integer arithmetic
 * wraps (done in the unsigned type).  The float32 transcendental functions are CUDA's
 * (expf, ...), which may differ from the CPU's vectorized ones in the last ulp or two.
 *
 * Every .cu file of kernels/cuda includes this header and is compiled on its own, both by
 * `nvcc -arch=sm_90 -c` (build_kernels.py --check-cuda) and at run time by NVRTC through
 * cupy.RawModule (fnx/backends/cuda.py).  So: no host code, no standard-library headers
 * beyond what NVRTC provides (we define the fixed-width types ourselves).
 *
 * Geometry of strided kernels (`g`): a device array of int64,
 *   g[0:nd]                    the shape
 *   g[nd*(1+k) : nd*(2+k)]     element strides of operand k (0 for a broadcast dimension)
 * nd == 0 means "all operands contiguous with the output": the offset is the linear index.
 */
#ifndef FNX_CUDA_CUH
#define FNX_CUDA_CUH

/* the ops are instantiated for unsigned types too: "x < 0 is always false" is expected */
#pragma nv_diag_suppress 186

typedef signed char fnx_int8;
typedef unsigned char fnx_uint8;
typedef int fnx_int32;
typedef unsigned int fnx_uint32;
typedef long long fnx_int64;
typedef unsigned long long fnx_uint64;

#define FNX_DEV static __device__ __forceinline__
#define FNX_INF (__longlong_as_double(0x7ff0000000000000LL))
#define FNX_NAN (__longlong_as_double(0x7ff8000000000000LL))
#define FNX_INFF (__int_as_float(0x7f800000))

/* grid-stride loop over [0, n): any grid size covers any n */
#define FNX_GRID_LOOP(i, n)                                                          \
  for (fnx_int64 i = (fnx_int64)blockIdx.x * blockDim.x + threadIdx.x; i < (fnx_int64)(n); \
       i += (fnx_int64)blockDim.x * gridDim.x)

/* offsets of K operands for linear output index i (see the geometry note above) */
template <int K>
FNX_DEV void fnx_offsets(fnx_int64 i, int nd, const fnx_int64 *__restrict__ g, fnx_int64 *off) {
#pragma unroll
  for (int k = 0; k < K; k++) off[k] = nd == 0 ? i : 0;
  fnx_int64 rem = i;
  for (int d = nd - 1; d >= 0; d--) {
    const fnx_int64 c = rem % g[d];
    rem /= g[d];
#pragma unroll
    for (int k = 0; k < K; k++) off[k] += c * g[nd * (1 + k) + d];
  }
}

/* ---- dtype type map: X(T, U, sfx, K) (U: wrapping arithmetic type, K: B / I / F) ---------- */
#define FNX_BOOL_TYPE(X) X(fnx_uint8, fnx_uint8, b, B)
#define FNX_INT_TYPES(X)      \
  X(fnx_int8, fnx_uint8, i8, I)   \
  X(fnx_uint8, fnx_uint8, u8, I)  \
  X(fnx_int32, fnx_uint32, i32, I) \
  X(fnx_int64, fnx_uint64, i64, I) \
  X(fnx_uint32, fnx_uint32, u32, I)
#define FNX_FLOAT_TYPES(X) \
  X(float, float, f32, F)  \
  X(double, double, f64, F)
#define FNX_NUMERIC_TYPES(X) FNX_INT_TYPES(X) FNX_FLOAT_TYPES(X)
#define FNX_ALL_TYPES(X) FNX_BOOL_TYPE(X) FNX_NUMERIC_TYPES(X)

/* ---- building blocks (same as fnx_scalar.h) ------------------------------------------------ */
#define FNX_MAX_F(a, b) (((a) > (b) || (a) != (a)) ? (a) : (b))
#define FNX_MIN_F(a, b) (((a) < (b) || (a) != (a)) ? (a) : (b))
#define FNX_MAX_I(a, b) ((a) > (b) ? (a) : (b))
#define FNX_MIN_I(a, b) ((a) < (b) ? (a) : (b))
#define FNX_MAX_B FNX_MAX_I
#define FNX_MIN_B FNX_MIN_I
#define FNX_WADD(T, U, a, b) ((T)((U)(a) + (U)(b)))
#define FNX_WSUB(T, U, a, b) ((T)((U)(a) - (U)(b)))
#define FNX_WMUL(T, U, a, b) ((T)((U)(a) * (U)(b)))
#define FNX_WNEG(T, U, a) ((T)((U)0 - (U)(a)))
#define FNX_SIGNED(T) ((T)-1 < (T)0)

FNX_DEV fnx_int64 fnx_d2i64(double x) {
  if (x != x) return 0;
  if (x >= 9223372036854775808.0) return 9223372036854775807LL;
  if (x <= -9223372036854775808.0) return (-9223372036854775807LL - 1);
  return (fnx_int64)x;
}
FNX_DEV fnx_int32 fnx_d2i32(double x) {
  if (x != x) return 0;
  if (x >= 2147483647.0) return 2147483647;
  if (x <= -2147483648.0) return (-2147483647 - 1);
  return (fnx_int32)x;
}

/* digamma, exactly the algorithm of fnx_scalar.h (CUDA has no digamma) */
static __device__ double fnx_digamma(double x) {
  const double pi = 3.14159265358979323846;
  if (x != x || x == FNX_INF) return x;
  if (x == 0) return copysign(FNX_INF, -x);
  if (x == -FNX_INF) return FNX_NAN;
  double r = 0.0;
  if (x < 0) {
    double nearest = rint(x);
    if (x == nearest) return FNX_NAN;
    if (x > -0.5) {
      r = -1.0 / x;
      x += 1.0;
    } else {
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

/* ==================================== unary ops ============================================ */
#define FNX_S_FLOAT_UNARY(X)                                       \
  X(neg, -x, -x)                                                   \
  X(exp, exp(x), expf(x))                                          \
  X(exp2, exp2(x), exp2f(x))                                       \
  X(log, log(x), logf(x))                                          \
  X(log1p, log1p(x), log1pf(x))                                    \
  X(expm1, expm1(x), expm1f(x))                                    \
  X(sin, sin(x), sinf(x))                                          \
  X(cos, cos(x), cosf(x))                                          \
  X(tan, tan(x), tanf(x))                                          \
  X(asin, asin(x), asinf(x))                                       \
  X(acos, acos(x), acosf(x))                                       \
  X(atan, atan(x), atanf(x))                                       \
  X(sinh, sinh(x), sinhf(x))                                       \
  X(cosh, cosh(x), coshf(x))                                       \
  X(tanh, tanh(x), tanhf(x))                                       \
  X(asinh, asinh(x), asinhf(x))                                    \
  X(acosh, acosh(x), acoshf(x))                                    \
  X(atanh, atanh(x), atanhf(x))                                    \
  X(logistic, fnx_logistic(x), fnx_logisticf(x))                   \
  X(sqrt, sqrt(x), sqrtf(x))                                       \
  X(rsqrt, 1.0 / sqrt(x), 1.0f / sqrtf(x))                         \
  X(cbrt, cbrt(x), cbrtf(x))                                       \
  X(abs, fabs(x), fabsf(x))                                        \
  X(sign, x > 0 ? 1.0 : (x < 0 ? -1.0 : x), x > 0 ? 1.0f : (x < 0 ? -1.0f : x)) \
  X(floor, floor(x), floorf(x))                                    \
  X(ceil, ceil(x), ceilf(x))                                       \
  X(round_away, round(x), roundf(x))                               \
  X(round_even, rint(x), rintf(x))                                 \
  X(erf, erf(x), erff(x))                                          \
  X(erf_inv, erfinv(x), erfinv((double)x))                         \
  X(lgamma, lgamma(x), lgamma((double)x))                          \
  X(digamma, fnx_digamma(x), fnx_digamma((double)x))
#define FNX_S_DEF_FLOAT_UNARY(op, E64, E32)                         \
  FNX_DEV double fnx_s_##op##_f64(double x) { return (double)(E64); } \
  FNX_DEV float fnx_s_##op##_f32(float x) { return (float)(E32); }
FNX_S_FLOAT_UNARY(FNX_S_DEF_FLOAT_UNARY)

FNX_DEV fnx_uint8 fnx_s_is_finite_f64(double x) { return (fnx_uint8)isfinite(x); }
FNX_DEV fnx_uint8 fnx_s_is_finite_f32(float x) { return (fnx_uint8)isfinite(x); }

#define FNX_S_DEF_FLOAT_IPOW(T, U, sfx, K)                                    \
  FNX_DEV T fnx_s_integer_pow_##sfx(T x, fnx_int64 e) {                         \
    fnx_uint64 m = e < 0 ? (fnx_uint64)0 - (fnx_uint64)e : (fnx_uint64)e;             \
    T r = 1, b = x;                                                           \
    while (m) {                                                               \
      if (m & 1) r *= b;                                                      \
      b *= b;                                                                 \
      m >>= 1;                                                                \
    }                                                                         \
    return e < 0 ? (T)1 / r : r;                                              \
  }
FNX_FLOAT_TYPES(FNX_S_DEF_FLOAT_IPOW)

#define FNX_S_DEF_INT_UNARY(T, U, sfx, K)                                         \
  FNX_DEV T fnx_s_neg_##sfx(T x) { return FNX_WNEG(T, U, x); }                    \
  FNX_DEV T fnx_s_abs_##sfx(T x) { return x < 0 ? FNX_WNEG(T, U, x) : x; }        \
  FNX_DEV T fnx_s_sign_##sfx(T x) { return (T)((x > 0) - (x < 0)); }              \
  FNX_DEV T fnx_s_not_##sfx(T x) { return (T)~x; }                                \
  FNX_DEV T fnx_s_integer_pow_##sfx(T x, fnx_int64 e) {                             \
    if (e < 0) {                                                                  \
      if (x == 1) return 1;                                                       \
      if (FNX_SIGNED(T) && x == (T)-1) return (e & 1) ? (T)-1 : (T)1;             \
      return 0;                                                                   \
    }                                                                             \
    U r = 1, b = (U)x;                                                            \
    fnx_uint64 m = (fnx_uint64)e;                                                     \
    while (m) {                                                                   \
      if (m & 1) r = (U)(r * b);                                                  \
      b = (U)(b * b);                                                             \
      m >>= 1;                                                                    \
    }                                                                             \
    return (T)r;                                                                  \
  }
FNX_INT_TYPES(FNX_S_DEF_INT_UNARY)

FNX_DEV fnx_uint8 fnx_s_not_b(fnx_uint8 x) { return (fnx_uint8)(x == 0); }

/* ==================================== binary ops =========================================== */
#define FNX_S_DEF_CMP(T, U, sfx, K)                                           \
  FNX_DEV fnx_uint8 fnx_s_eq_##sfx(T a, T b) { return (fnx_uint8)(a == b); }      \
  FNX_DEV fnx_uint8 fnx_s_ne_##sfx(T a, T b) { return (fnx_uint8)(a != b); }      \
  FNX_DEV fnx_uint8 fnx_s_lt_##sfx(T a, T b) { return (fnx_uint8)(a < b); }       \
  FNX_DEV fnx_uint8 fnx_s_le_##sfx(T a, T b) { return (fnx_uint8)(a <= b); }      \
  FNX_DEV fnx_uint8 fnx_s_gt_##sfx(T a, T b) { return (fnx_uint8)(a > b); }       \
  FNX_DEV fnx_uint8 fnx_s_ge_##sfx(T a, T b) { return (fnx_uint8)(a >= b); }      \
  FNX_DEV T fnx_s_max_##sfx(T a, T b) { return FNX_MAX_##K(a, b); }           \
  FNX_DEV T fnx_s_min_##sfx(T a, T b) { return FNX_MIN_##K(a, b); }
FNX_ALL_TYPES(FNX_S_DEF_CMP)

#define FNX_S_DEF_ARITH(T, U, sfx, K)                                         \
  FNX_DEV T fnx_s_add_##sfx(T a, T b) { return FNX_WADD(T, U, a, b); }        \
  FNX_DEV T fnx_s_sub_##sfx(T a, T b) { return FNX_WSUB(T, U, a, b); }        \
  FNX_DEV T fnx_s_mul_##sfx(T a, T b) { return FNX_WMUL(T, U, a, b); }
FNX_NUMERIC_TYPES(FNX_S_DEF_ARITH)

#define FNX_S_DEF_INT_BINARY(T, U, sfx, K)                                                   \
  FNX_DEV T fnx_s_div_##sfx(T a, T b) {                                                      \
    if (b == 0) return 0;                                                                    \
    if (FNX_SIGNED(T) && b == (T)-1) return FNX_WNEG(T, U, a);                               \
    return (T)(a / b);                                                                       \
  }                                                                                          \
  FNX_DEV T fnx_s_rem_##sfx(T a, T b) {                                                      \
    if (b == 0 || (FNX_SIGNED(T) && b == (T)-1)) return 0;                                   \
    return (T)(a % b);                                                                       \
  }                                                                                          \
  FNX_DEV T fnx_s_pow_##sfx(T a, T b) { return fnx_s_integer_pow_##sfx(a, (fnx_int64)b); }     \
  FNX_DEV T fnx_s_and_##sfx(T a, T b) { return (T)(a & b); }                                 \
  FNX_DEV T fnx_s_or_##sfx(T a, T b) { return (T)(a | b); }                                  \
  FNX_DEV T fnx_s_xor_##sfx(T a, T b) { return (T)(a ^ b); }                                 \
  FNX_DEV T fnx_s_shift_left_##sfx(T a, T b) {                                               \
    if ((fnx_int64)b < 0 || (fnx_int64)b >= (fnx_int64)(8 * sizeof(T))) return 0;                  \
    return (T)((U)a << b);                                                                   \
  }                                                                                          \
  FNX_DEV T fnx_s_shift_right_logical_##sfx(T a, T b) {                                      \
    if ((fnx_int64)b < 0 || (fnx_int64)b >= (fnx_int64)(8 * sizeof(T))) return 0;                  \
    return (T)((U)a >> b);                                                                   \
  }                                                                                          \
  FNX_DEV T fnx_s_shift_right_arithmetic_##sfx(T a, T b) {                                   \
    if ((fnx_int64)b < 0 || (fnx_int64)b >= (fnx_int64)(8 * sizeof(T))) return a < 0 ? (T)-1 : 0; \
    return (T)(a >> b);                                                                      \
  }
FNX_INT_TYPES(FNX_S_DEF_INT_BINARY)

FNX_DEV fnx_uint8 fnx_s_and_b(fnx_uint8 a, fnx_uint8 b) { return (fnx_uint8)(a & b); }
FNX_DEV fnx_uint8 fnx_s_or_b(fnx_uint8 a, fnx_uint8 b) { return (fnx_uint8)(a | b); }
FNX_DEV fnx_uint8 fnx_s_xor_b(fnx_uint8 a, fnx_uint8 b) { return (fnx_uint8)(a ^ b); }

#define FNX_S_DEF_FLOAT_BINARY(T, sfx, SUF)                                   \
  FNX_DEV T fnx_s_div_##sfx(T a, T b) { return a / b; }                       \
  FNX_DEV T fnx_s_rem_##sfx(T a, T b) { return fmod##SUF(a, b); }             \
  FNX_DEV T fnx_s_pow_##sfx(T a, T b) { return pow##SUF(a, b); }              \
  FNX_DEV T fnx_s_atan2_##sfx(T a, T b) { return atan2##SUF(a, b); }          \
  FNX_DEV T fnx_s_nextafter_##sfx(T a, T b) { return nextafter##SUF(a, b); }
FNX_S_DEF_FLOAT_BINARY(double, f64, )
FNX_S_DEF_FLOAT_BINARY(float, f32, f)

/* ============================ clamp, convert ================================================ */
#define FNX_S_DEF_CLAMP(T, U, sfx, K)                     \
  FNX_DEV T fnx_s_clamp_##sfx(T lo, T x, T hi) {          \
    T m = FNX_MAX_##K(x, lo);                             \
    return FNX_MIN_##K(m, hi);                            \
  }
FNX_ALL_TYPES(FNX_S_DEF_CLAMP)

/* convert_element_type: to bool is x != 0 (NaN -> true); float -> int saturates, NaN -> 0,
 * int8 / uint8 through the saturated int64 then wrap; everything else the C conversion. */
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

#define FNX_S_X_(X, ...) X(__VA_ARGS__)
#define FNX_CONVERT_TO_ALL(X, ST, SU, ssfx, SK)                      \
  FNX_S_X_(X, ST, SU, ssfx, SK, fnx_uint8, fnx_uint8, b, B)               \
  FNX_S_X_(X, ST, SU, ssfx, SK, fnx_int8, fnx_uint8, i8, I)               \
  FNX_S_X_(X, ST, SU, ssfx, SK, fnx_uint8, fnx_uint8, u8, I)              \
  FNX_S_X_(X, ST, SU, ssfx, SK, fnx_int32, fnx_uint32, i32, I)            \
  FNX_S_X_(X, ST, SU, ssfx, SK, fnx_int64, fnx_uint64, i64, I)            \
  FNX_S_X_(X, ST, SU, ssfx, SK, fnx_uint32, fnx_uint32, u32, I)           \
  FNX_S_X_(X, ST, SU, ssfx, SK, float, float, f32, F)                 \
  FNX_S_X_(X, ST, SU, ssfx, SK, double, double, f64, F)
#define FNX_S_DEF_CONVERT(ST, SU, ssfx, SK, DT, DU, dsfx, DK) \
  FNX_DEV DT fnx_s_convert_##ssfx##_##dsfx(ST x) { return FNX_S_CVT_##SK##DK(DT, dsfx, x); }
#define FNX_S_CONVERT_FROM(ST, SU, ssfx, SK) FNX_CONVERT_TO_ALL(FNX_S_DEF_CONVERT, ST, SU, ssfx, SK)
FNX_ALL_TYPES(FNX_S_CONVERT_FROM)

/* ============================ warp / block reduction helpers ================================ */
FNX_DEV float fnx_shfl_down(float v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
FNX_DEV double fnx_shfl_down(double v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
FNX_DEV fnx_int32 fnx_shfl_down(fnx_int32 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
FNX_DEV fnx_uint32 fnx_shfl_down(fnx_uint32 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
FNX_DEV fnx_int64 fnx_shfl_down(fnx_int64 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
FNX_DEV fnx_uint64 fnx_shfl_down(fnx_uint64 v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
FNX_DEV fnx_int8 fnx_shfl_down(fnx_int8 v, int o) {
  return (fnx_int8)__shfl_down_sync(0xffffffffu, (fnx_int32)v, o);
}
FNX_DEV fnx_uint8 fnx_shfl_down(fnx_uint8 v, int o) {
  return (fnx_uint8)__shfl_down_sync(0xffffffffu, (fnx_uint32)v, o);
}

#endif /* FNX_CUDA_CUH */
