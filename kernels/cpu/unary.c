/* fnx CPU kernels: elementwise unary ops (fnx_unary, fnx_unary_contig). */
#include "fnx_internal.h"
#include "vmath.h"

static const double FNX_PI = 3.14159265358979323846;

/* ---- special functions -------------------------------------------------------------------- */

static inline double fnx_sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); }
static inline float fnx_signf(float x) { return x > 0 ? 1.0f : (x < 0 ? -1.0f : x); }

/* erf^-1: Giles' single-precision approximation (rel. err ~1e-7) refined by two Halley steps
 * on erf (cubic convergence, so ~1e-16).  For |x| > 0.5 the residual is computed as
 * (1 - |x|) - erfc(y): 1 - |x| is exact there and erfc keeps full relative precision in the
 * tail, where erf(y) - x would cancel. */
static double fnx_erfinv(double x) {
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
static double fnx_digamma(double x) {
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
      r = -FNX_PI / tan(FNX_PI * (x - nearest));
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

/* ---- loop generator ----------------------------------------------------------------------
 * One function per (op, dtype).  EXPR reads the element `x` (and `e`, the integer exponent of
 * INTEGER_POW).  The contiguous and broadcast-input branches are separate so gcc vectorizes
 * them; the general branch walks byte strides. */
typedef struct { int64_t e; } uctx;

#define UNARY_LOOP(name, TI, TO, EXPR)                                                  \
  static void name(int64_t n, char *const *p, const int64_t *s, const void *ctx_) {     \
    const int64_t e = ((const uctx *)ctx_)->e;                                          \
    (void)e;                                                                            \
    const char *xp = p[0];                                                              \
    char *yp = p[1];                                                                    \
    const int64_t xs = s[0], ys = s[1];                                                 \
    if (xs == (int64_t)sizeof(TI) && ys == (int64_t)sizeof(TO)) {                       \
      const TI *xv = (const TI *)xp;                                                    \
      TO *yv = (TO *)yp;                                                                \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TI x = xv[i];                                                             \
        yv[i] = (TO)(EXPR);                                                             \
      }                                                                                 \
    } else if (xs == 0) {                                                               \
      const TI x = *(const TI *)xp;                                                     \
      const TO v = (TO)(EXPR);                                                          \
      for (int64_t i = 0; i < n; i++) *(TO *)(yp + i * ys) = v;                         \
    } else {                                                                            \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TI x = *(const TI *)(xp + i * xs);                                        \
        *(TO *)(yp + i * ys) = (TO)(EXPR);                                              \
      }                                                                                 \
    }                                                                                   \
  }

/* X(op, float64 expression, float32 expression, heavy) */
#define FLOAT_UNARY_OPS(X)                                                    \
  X(NEG, -x, -x, 0)                                                           \
  X(EXP, fnx_vexp(x), fnx_vexpf(x), 1)                                                  \
  X(EXP2, exp2(x), exp2f(x), 1)                                               \
  X(LOG, fnx_vlog(x), fnx_vlogf(x), 1)                                                  \
  X(LOG1P, log1p(x), fnx_vlog1pf(x), 1)                                            \
  X(EXPM1, expm1(x), fnx_vexpm1f(x), 1)                                            \
  X(SIN, sin(x), sinf(x), 1)                                                  \
  X(COS, cos(x), cosf(x), 1)                                                  \
  X(TAN, tan(x), tanf(x), 1)                                                  \
  X(ASIN, asin(x), asinf(x), 1)                                               \
  X(ACOS, acos(x), acosf(x), 1)                                               \
  X(ATAN, atan(x), atanf(x), 1)                                               \
  X(SINH, sinh(x), sinhf(x), 1)                                               \
  X(COSH, cosh(x), coshf(x), 1)                                               \
  X(TANH, fnx_vtanh(x), fnx_vtanhf(x), 1)                                               \
  X(ASINH, asinh(x), asinhf(x), 1)                                            \
  X(ACOSH, acosh(x), acoshf(x), 1)                                            \
  X(ATANH, atanh(x), atanhf(x), 1)                                            \
  X(LOGISTIC, fnx_vlogistic(x), fnx_vlogisticf(x), 1)                           \
  X(SQRT, sqrt(x), sqrtf(x), 0)                                               \
  X(RSQRT, 1.0 / sqrt(x), 1.0f / sqrtf(x), 0)                                 \
  X(CBRT, cbrt(x), cbrtf(x), 1)                                               \
  X(ABS, fabs(x), fabsf(x), 0)                                                \
  X(SIGN, fnx_sign(x), fnx_signf(x), 0)                                       \
  X(FLOOR, floor(x), floorf(x), 0)                                            \
  X(CEIL, ceil(x), ceilf(x), 0)                                               \
  X(ROUND_AWAY, round(x), roundf(x), 0)                                       \
  X(ROUND_EVEN, rint(x), rintf(x), 0)                                         \
  X(ERF, erf(x), erff(x), 1)                                                  \
  /* the float32 versions of these three are computed in double and rounded */ \
  X(ERF_INV, fnx_erfinv(x), fnx_erfinv((double)x), 1)                        \
  X(LGAMMA, fnx_lgamma(x), fnx_lgamma((double)x), 1)                          \
  X(DIGAMMA, fnx_digamma(x), fnx_digamma((double)x), 1)                       \
  X(INTEGER_POW, fnx_fipow_f64(x, e), fnx_fipow_f32(x, e), 0)

#define DEF_FLOAT_UNARY(OP, E64, E32, H)        \
  UNARY_LOOP(u_##OP##_f64, double, double, E64) \
  UNARY_LOOP(u_##OP##_f32, float, float, E32)
FLOAT_UNARY_OPS(DEF_FLOAT_UNARY)
UNARY_LOOP(u_IS_FINITE_f64, double, uint8_t, isfinite(x))
UNARY_LOOP(u_IS_FINITE_f32, float, uint8_t, isfinite(x))

/* integers: NEG/ABS wrap (abs(INT_MIN) == INT_MIN), NOT is bitwise */
#define DEF_INT_UNARY(code, T, U, sfx, K, TMIN, TMAX)                     \
  UNARY_LOOP(u_NEG_##sfx, T, T, FNX_WNEG(T, U, x))                        \
  UNARY_LOOP(u_ABS_##sfx, T, T, x < 0 ? FNX_WNEG(T, U, x) : x)            \
  UNARY_LOOP(u_SIGN_##sfx, T, T, (T)((x > 0) - (x < 0)))                  \
  UNARY_LOOP(u_INTEGER_POW_##sfx, T, T, fnx_pow_##sfx(x, e))              \
  UNARY_LOOP(u_NOT_##sfx, T, T, (T)~x)
FNX_INT_TYPES(DEF_INT_UNARY)
UNARY_LOOP(u_NOT_b, uint8_t, uint8_t, x == 0) /* logical not of a 0/1 byte */

/* ---- dispatch ----------------------------------------------------------------------------- */
#define CASE_F64(OP, E64, E32, H) case FNX_##OP: *heavy = H; return u_##OP##_f64;
#define CASE_F32(OP, E64, E32, H) case FNX_##OP: *heavy = H; return u_##OP##_f32;
#define CASE_INT(code, T, U, sfx, K, TMIN, TMAX)        \
  case code:                                            \
    switch (op) {                                       \
      case FNX_NEG: return u_NEG_##sfx;                 \
      case FNX_ABS: return u_ABS_##sfx;                 \
      case FNX_SIGN: return u_SIGN_##sfx;               \
      case FNX_INTEGER_POW: return u_INTEGER_POW_##sfx; \
      case FNX_NOT: return u_NOT_##sfx;                 \
      default: return NULL;                             \
    }

static fnx_loop_fn unary_fn(int op, int dtype, int *heavy) {
  *heavy = 0;
  switch (dtype) {
    case FNX_FLOAT64:
      switch (op) {
        FLOAT_UNARY_OPS(CASE_F64)
        case FNX_IS_FINITE: return u_IS_FINITE_f64;
        default: return NULL;
      }
    case FNX_FLOAT32:
      switch (op) {
        FLOAT_UNARY_OPS(CASE_F32)
        case FNX_IS_FINITE: return u_IS_FINITE_f32;
        default: return NULL;
      }
    FNX_INT_TYPES(CASE_INT)
    case FNX_BOOL: return op == FNX_NOT ? u_NOT_b : NULL;
    default: return NULL;
  }
}

int fnx_unary(int op, int dtype, int ndim, const int64_t *shape, const char *x,
              const int64_t *xstrides, char *y, const int64_t *ystrides, double param) {
  int heavy;
  fnx_loop_fn fn = unary_fn(op, dtype, &heavy);
  if (!fn) return FNX_ERR_UNSUPPORTED;
  uctx c = {fnx_d2i64(param)};
  char *base[2] = {(char *)x, y};
  const int64_t *st[2] = {xstrides, ystrides};
  return fnx_nd_iterate(2, ndim, shape, base, st, heavy ? FNX_PAR_MIN_HEAVY : FNX_PAR_MIN, fn,
                        &c);
}

int fnx_unary_contig(int op, int dtype, int64_t n, const char *x, char *y, double param) {
  int64_t shape[1] = {n};
  int64_t xs[1] = {fnx_itemsize(dtype)};
  int64_t ys[1] = {op == FNX_IS_FINITE ? 1 : fnx_itemsize(dtype)};
  return fnx_unary(op, dtype, 1, shape, x, xs, y, ys, param);
}
