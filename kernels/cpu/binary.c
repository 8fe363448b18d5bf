/* fnx CPU kernels: elementwise binary ops (fnx_binary, fnx_binary_contig). */
#include "fnx_internal.h"

/* One function per (op, dtype).  FN is the op's scalar function (fnx_scalar.h), called on the
 * elements `a` and `b`.  Separate branches for "all contiguous" and "one side broadcast
 * (stride 0)" are the common cases after collapsing, and are written as plain indexed loops so
 * gcc vectorizes them. */
#define BINARY_LOOP(name, T, TO, FN)                                                        \
  static void name(int64_t n, char *const *p, const int64_t *s, const void *ctx) {          \
    (void)ctx;                                                                              \
    const char *ap = p[0], *bp = p[1];                                                      \
    char *op = p[2];                                                                        \
    const int64_t as = s[0], bs = s[1], os = s[2], SZ = (int64_t)sizeof(T);                 \
    if (os == (int64_t)sizeof(TO) && (as == SZ || as == 0) && (bs == SZ || bs == 0)) {      \
      const T *av = (const T *)ap, *bv = (const T *)bp;                                     \
      TO *ov = (TO *)op;                                                                    \
      if (as == SZ && bs == SZ) {                                                           \
        for (int64_t i = 0; i < n; i++) {                                                   \
          const T a = av[i], b = bv[i];                                                     \
          ov[i] = FN(a, b);                                                                 \
        }                                                                                   \
      } else if (as == 0 && bs == SZ) {                                                     \
        const T a = av[0];                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                   \
          const T b = bv[i];                                                                \
          ov[i] = FN(a, b);                                                                 \
        }                                                                                   \
      } else if (as == SZ) {                                                                \
        const T b = bv[0];                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                   \
          const T a = av[i];                                                                \
          ov[i] = FN(a, b);                                                                 \
        }                                                                                   \
      } else {                                                                              \
        const T a = av[0], b = bv[0];                                                       \
        const TO v = FN(a, b);                                                              \
        for (int64_t i = 0; i < n; i++) ov[i] = v;                                          \
      }                                                                                     \
    } else {                                                                                \
      for (int64_t i = 0; i < n; i++) {                                                     \
        const T a = *(const T *)(ap + i * as), b = *(const T *)(bp + i * bs);               \
        *(TO *)(op + i * os) = FN(a, b);                                                    \
      }                                                                                     \
    }                                                                                       \
  }

/* The ops of each dtype kind, as X(sfx, T, enum op, lax name, output type): one table drives
 * both the loop definitions and the dispatch.  What each op computes is fnx_s_<name>_<sfx>. */
#define CMP_OPS(X, sfx, T)                                                                    \
  X(sfx, T, EQ, eq, uint8_t) X(sfx, T, NE, ne, uint8_t) X(sfx, T, LT, lt, uint8_t)            \
  X(sfx, T, LE, le, uint8_t) X(sfx, T, GT, gt, uint8_t) X(sfx, T, GE, ge, uint8_t)            \
  X(sfx, T, MAX, max, T) X(sfx, T, MIN, min, T)
#define ARITH_OPS(X, sfx, T)                                                                  \
  X(sfx, T, ADD, add, T) X(sfx, T, SUB, sub, T) X(sfx, T, MUL, mul, T)                        \
  X(sfx, T, DIV, div, T) X(sfx, T, REM, rem, T) X(sfx, T, POW, pow, T)
#define LOGIC_OPS(X, sfx, T) X(sfx, T, AND, and, T) X(sfx, T, OR, or, T) X(sfx, T, XOR, xor, T)
#define SHIFT_OPS(X, sfx, T)                                                                  \
  X(sfx, T, SHIFT_LEFT, shift_left, T) X(sfx, T, SHIFT_RIGHT_LOGICAL, shift_right_logical, T) \
  X(sfx, T, SHIFT_RIGHT_ARITHMETIC, shift_right_arithmetic, T)
/* lax.complex(re, im), dtype = the parts' real dtype: writes the complex of that precision */
#define COMPLEX_OF_f32 fnx_complex64
#define COMPLEX_OF_f64 fnx_complex128
#define COMPLEX_CTOR_OP(X, sfx, T) X(sfx, T, COMPLEX, complex, COMPLEX_OF_##sfx)
/* complex: no rem (numpy has none) */
#define COMPLEX_ARITH_OPS(X, sfx, T)                                                          \
  X(sfx, T, ADD, add, T) X(sfx, T, SUB, sub, T) X(sfx, T, MUL, mul, T)                        \
  X(sfx, T, DIV, div, T) X(sfx, T, POW, pow, T)
/* by kind K of the type map: bool, integers, floats, complex */
#define OPS_B(X, sfx, T) CMP_OPS(X, sfx, T) LOGIC_OPS(X, sfx, T)
#define OPS_I(X, sfx, T) CMP_OPS(X, sfx, T) ARITH_OPS(X, sfx, T) LOGIC_OPS(X, sfx, T) SHIFT_OPS(X, sfx, T)
#define OPS_F(X, sfx, T) CMP_OPS(X, sfx, T) ARITH_OPS(X, sfx, T) COMPLEX_CTOR_OP(X, sfx, T)
#define OPS_C(X, sfx, T) CMP_OPS(X, sfx, T) COMPLEX_ARITH_OPS(X, sfx, T)

#define DEF_LOOP(sfx, T, OP, name, TO) BINARY_LOOP(b_##OP##_##sfx, T, TO, fnx_s_##name##_##sfx)
#define DEF_LOOPS(code, T, U, sfx, K, TMIN, TMAX) OPS_##K(DEF_LOOP, sfx, T)
FNX_ALL_TYPES_AND_COMPLEX(DEF_LOOPS)

/* The float-only ops: one loop per line of FNX_FLOAT_BINARY_OPS (fnx_ops.h). */
#define DEF_FLOAT_ONLY(OP, name, H, E64, E32)                          \
  BINARY_LOOP(b_##OP##_f64, double, double, fnx_s_##name##_f64)        \
  BINARY_LOOP(b_##OP##_f32, float, float, fnx_s_##name##_f32)
FNX_FLOAT_BINARY_OPS(DEF_FLOAT_ONLY)

/* ---- dispatch ----------------------------------------------------------------------------- */
#define CASE_OP(sfx, T, OP, name, TO) case FNX_##OP: return b_##OP##_##sfx;
#define CASE_FLOAT_ONLY_f64(OP, name, H, E64, E32) case FNX_##OP: return b_##OP##_f64;
#define CASE_FLOAT_ONLY_f32(OP, name, H, E64, E32) case FNX_##OP: return b_##OP##_f32;
#define FLOAT_ONLY_CASES_B(sfx)
#define FLOAT_ONLY_CASES_I(sfx)
#define FLOAT_ONLY_CASES_F(sfx) FNX_FLOAT_BINARY_OPS(CASE_FLOAT_ONLY_##sfx)
#define FLOAT_ONLY_CASES_C(sfx)
#define CASE_DTYPE(code, T, U, sfx, K, TMIN, TMAX) \
  case code:                                        \
    switch (op) {                                   \
      OPS_##K(CASE_OP, sfx, T)                      \
      FLOAT_ONLY_CASES_##K(sfx)                     \
      default: return NULL;                         \
    }

static fnx_loop_fn binary_fn(int op, int dtype) {
  switch (dtype) {
    FNX_ALL_TYPES_AND_COMPLEX(CASE_DTYPE)
    default: return NULL;
  }
}

#define OR_HEAVY_FLOAT_ONLY(OP, name, H, E64, E32) || (H && op == FNX_##OP)
static int is_complex(int dtype) { return dtype == FNX_COMPLEX64 || dtype == FNX_COMPLEX128; }

static int binary_heavy(int op, int dtype) {
  if (is_complex(dtype)) return op == FNX_DIV || op == FNX_POW;
  if (dtype != FNX_FLOAT32 && dtype != FNX_FLOAT64)
    return op == FNX_DIV || op == FNX_REM || op == FNX_POW; /* scalar integer division */
  return op == FNX_REM || op == FNX_POW FNX_FLOAT_BINARY_OPS(OR_HEAVY_FLOAT_ONLY);
}

int fnx_binary(int op, int dtype, int ndim, const int64_t *shape, const char *a,
               const int64_t *astrides, const char *b, const int64_t *bstrides, char *out,
               const int64_t *ostrides) {
  fnx_loop_fn fn = binary_fn(op, dtype);
  if (!fn) return FNX_ERR_UNSUPPORTED;
  char *base[3] = {(char *)a, (char *)b, out};
  const int64_t *st[3] = {astrides, bstrides, ostrides};
  int64_t par = binary_heavy(op, dtype) ? FNX_PAR_MIN_HEAVY : FNX_PAR_MIN;
  return fnx_nd_iterate(3, ndim, shape, base, st, par, fn, NULL);
}

/* comparisons write bool, complex(re, im) the complex of twice its operands' size */
static int64_t binary_out_itemsize(int op, int dtype) {
  if (op >= FNX_EQ && op <= FNX_GE) return 1;
  return op == FNX_COMPLEX ? 2 * fnx_itemsize(dtype) : fnx_itemsize(dtype);
}

int fnx_binary_contig(int op, int dtype, int64_t n, const char *a, const char *b, char *out) {
  int64_t shape[1] = {n};
  int64_t is[1] = {fnx_itemsize(dtype)};
  int64_t os[1] = {binary_out_itemsize(op, dtype)};
  return fnx_binary(op, dtype, 1, shape, a, is, b, is, out, os);
}

int fnx_binary_scalar(int op, int dtype, int64_t n, const char *a, const char *b, char *out,
                      int scalar_operand) {
  int64_t shape[1] = {n};
  int64_t vs[1] = {fnx_itemsize(dtype)}, zero[1] = {0};
  int64_t os[1] = {binary_out_itemsize(op, dtype)};
  return fnx_binary(op, dtype, 1, shape, a, scalar_operand == 0 ? zero : vs, b,
                    scalar_operand == 0 ? vs : zero, out, os);
}
