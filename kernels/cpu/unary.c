/* fnx CPU kernels: elementwise unary ops (fnx_unary, fnx_unary_contig). */
#include "fnx_internal.h"

/* ---- loop generator ----------------------------------------------------------------------
 * One function per (op, dtype).  EXPR calls the op's scalar function (fnx_scalar.h) on the
 * element `x` (and `e`, the integer exponent of INTEGER_POW).  The contiguous and
 * broadcast-input branches are separate so gcc vectorizes them; the general branch walks
 * byte strides. */
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
        yv[i] = EXPR;                                                                   \
      }                                                                                 \
    } else if (xs == 0) {                                                               \
      const TI x = *(const TI *)xp;                                                     \
      const TO v = EXPR;                                                                \
      for (int64_t i = 0; i < n; i++) *(TO *)(yp + i * ys) = v;                         \
    } else {                                                                            \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TI x = *(const TI *)(xp + i * xs);                                        \
        *(TO *)(yp + i * ys) = EXPR;                                                    \
      }                                                                                 \
    }                                                                                   \
  }

/* The floating-point unary ops: one loop per line of FNX_FLOAT_UNARY_OPS (fnx_ops.h), computing
 * fnx_s_<name>_<sfx> (fnx_scalar.h); the line's "heavy" flag (transcendental, ~20-100 cycles per
 * element) only lowers the size at which the loop is split over threads. */
#define DEF_FLOAT_UNARY(OP, name, H, E64, E32)                          \
  UNARY_LOOP(u_##OP##_f64, double, double, fnx_s_##name##_f64(x))       \
  UNARY_LOOP(u_##OP##_f32, float, float, fnx_s_##name##_f32(x))
FNX_FLOAT_UNARY_OPS(DEF_FLOAT_UNARY)
UNARY_LOOP(u_INTEGER_POW_f64, double, double, fnx_s_integer_pow_f64(x, e))
UNARY_LOOP(u_INTEGER_POW_f32, float, float, fnx_s_integer_pow_f32(x, e))
UNARY_LOOP(u_IS_FINITE_f64, double, uint8_t, fnx_s_is_finite_f64(x))
UNARY_LOOP(u_IS_FINITE_f32, float, uint8_t, fnx_s_is_finite_f32(x))

#define DEF_INT_UNARY(code, T, U, sfx, K, TMIN, TMAX)                     \
  UNARY_LOOP(u_NEG_##sfx, T, T, fnx_s_neg_##sfx(x))                       \
  UNARY_LOOP(u_ABS_##sfx, T, T, fnx_s_abs_##sfx(x))                       \
  UNARY_LOOP(u_SIGN_##sfx, T, T, fnx_s_sign_##sfx(x))                     \
  UNARY_LOOP(u_INTEGER_POW_##sfx, T, T, fnx_s_integer_pow_##sfx(x, e))    \
  UNARY_LOOP(u_NOT_##sfx, T, T, fnx_s_not_##sfx(x))
FNX_INT_TYPES(DEF_INT_UNARY)
UNARY_LOOP(u_NOT_b, uint8_t, uint8_t, fnx_s_not_b(x))

/* complex: the complex -> complex ops of FNX_COMPLEX_UNARY_OPS (fnx_complex.h), and abs / real /
 * imag (the real dtype R of the same precision), is_finite, integer_pow */
#define DEF_COMPLEX_OP(OP, name, H, T, sfx) UNARY_LOOP(u_##OP##_##sfx, T, T, fnx_s_##name##_##sfx(x))
#define DEF_COMPLEX_UNARY(code, T, R, sfx, K, TMIN, TMAX)                 \
  FNX_COMPLEX_UNARY_OPS(DEF_COMPLEX_OP, T, sfx)                           \
  UNARY_LOOP(u_ABS_##sfx, T, R, fnx_s_abs_##sfx(x))                       \
  UNARY_LOOP(u_REAL_##sfx, T, R, fnx_s_real_##sfx(x))                     \
  UNARY_LOOP(u_IMAG_##sfx, T, R, fnx_s_imag_##sfx(x))                     \
  UNARY_LOOP(u_IS_FINITE_##sfx, T, uint8_t, fnx_s_is_finite_##sfx(x))     \
  UNARY_LOOP(u_INTEGER_POW_##sfx, T, T, fnx_s_integer_pow_##sfx(x, e))
FNX_COMPLEX_TYPES(DEF_COMPLEX_UNARY)

/* ---- dispatch ----------------------------------------------------------------------------- */
#define CASE_F64(OP, name, H, E64, E32) case FNX_##OP: *heavy = H; return u_##OP##_f64;
#define CASE_F32(OP, name, H, E64, E32) case FNX_##OP: *heavy = H; return u_##OP##_f32;
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
#define CASE_COMPLEX_OP(OP, name, H, T, sfx) case FNX_##OP: *heavy = H; return u_##OP##_##sfx;
#define CASE_COMPLEX(code, T, R, sfx, K, TMIN, TMAX)    \
  case code:                                            \
    switch (op) {                                       \
      FNX_COMPLEX_UNARY_OPS(CASE_COMPLEX_OP, T, sfx)    \
      case FNX_ABS: return u_ABS_##sfx;                 \
      case FNX_REAL: return u_REAL_##sfx;               \
      case FNX_IMAG: return u_IMAG_##sfx;               \
      case FNX_IS_FINITE: return u_IS_FINITE_##sfx;     \
      case FNX_INTEGER_POW: return u_INTEGER_POW_##sfx; \
      default: return NULL;                             \
    }

static fnx_loop_fn unary_fn(int op, int dtype, int *heavy) {
  *heavy = 0;
  switch (dtype) {
    case FNX_FLOAT64:
      switch (op) {
        FNX_FLOAT_UNARY_OPS(CASE_F64)
        case FNX_INTEGER_POW: return u_INTEGER_POW_f64;
        case FNX_IS_FINITE: return u_IS_FINITE_f64;
        default: return NULL;
      }
    case FNX_FLOAT32:
      switch (op) {
        FNX_FLOAT_UNARY_OPS(CASE_F32)
        case FNX_INTEGER_POW: return u_INTEGER_POW_f32;
        case FNX_IS_FINITE: return u_IS_FINITE_f32;
        default: return NULL;
      }
    FNX_INT_TYPES(CASE_INT)
    FNX_COMPLEX_TYPES(CASE_COMPLEX)
    case FNX_BOOL: return op == FNX_NOT ? u_NOT_b : NULL;
    default: return NULL;
  }
}

int fnx_unary(int op, int dtype, int ndim, const int64_t *shape, const char *x,
              const int64_t *xstrides, char *y, const int64_t *ystrides, int64_t param) {
  int heavy;
  fnx_loop_fn fn = unary_fn(op, dtype, &heavy);
  if (!fn) return FNX_ERR_UNSUPPORTED;
  uctx c = {param};
  char *base[2] = {(char *)x, y};
  const int64_t *st[2] = {xstrides, ystrides};
  return fnx_nd_iterate(2, ndim, shape, base, st, heavy ? FNX_PAR_MIN_HEAVY : FNX_PAR_MIN, fn,
                        &c);
}

/* is_finite writes bool; abs / real / imag of a complex write its real dtype (half the size) */
static int64_t unary_out_itemsize(int op, int dtype) {
  if (op == FNX_IS_FINITE) return 1;
  const int is_complex = dtype == FNX_COMPLEX64 || dtype == FNX_COMPLEX128;
  if (is_complex && (op == FNX_ABS || op == FNX_REAL || op == FNX_IMAG))
    return fnx_itemsize(dtype) / 2;
  return fnx_itemsize(dtype);
}

int fnx_unary_contig(int op, int dtype, int64_t n, const char *x, char *y, int64_t param) {
  int64_t shape[1] = {n};
  int64_t xs[1] = {fnx_itemsize(dtype)};
  int64_t ys[1] = {unary_out_itemsize(op, dtype)};
  return fnx_unary(op, dtype, 1, shape, x, xs, y, ys, param);
}
