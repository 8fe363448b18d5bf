/* fnx CPU kernels: elementwise binary ops (fnx_binary, fnx_binary_contig). */
#include "fnx_internal.h"

/* One function per (op, dtype).  EXPR reads `a` and `b`.  Separate branches for "all
 * contiguous" and "one side broadcast (stride 0)" are the common cases after collapsing, and
 * are written as plain indexed loops so gcc vectorizes them. */
#define BINARY_LOOP(name, T, TO, EXPR)                                                      \
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
          ov[i] = (TO)(EXPR);                                                               \
        }                                                                                   \
      } else if (as == 0 && bs == SZ) {                                                     \
        const T a = av[0];                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                   \
          const T b = bv[i];                                                                \
          ov[i] = (TO)(EXPR);                                                               \
        }                                                                                   \
      } else if (as == SZ) {                                                                \
        const T b = bv[0];                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                   \
          const T a = av[i];                                                                \
          ov[i] = (TO)(EXPR);                                                               \
        }                                                                                   \
      } else {                                                                              \
        const T a = av[0], b = bv[0];                                                       \
        const TO v = (TO)(EXPR);                                                            \
        for (int64_t i = 0; i < n; i++) ov[i] = v;                                          \
      }                                                                                     \
    } else {                                                                                \
      for (int64_t i = 0; i < n; i++) {                                                     \
        const T a = *(const T *)(ap + i * as), b = *(const T *)(bp + i * bs);               \
        *(TO *)(op + i * os) = (TO)(EXPR);                                                  \
      }                                                                                     \
    }                                                                                       \
  }

/* comparisons and max/min: every dtype */
#define DEF_CMP(code, T, U, sfx, K, TMIN, TMAX)                  \
  BINARY_LOOP(b_EQ_##sfx, T, uint8_t, a == b)                    \
  BINARY_LOOP(b_NE_##sfx, T, uint8_t, a != b)                    \
  BINARY_LOOP(b_LT_##sfx, T, uint8_t, a < b)                     \
  BINARY_LOOP(b_LE_##sfx, T, uint8_t, a <= b)                    \
  BINARY_LOOP(b_GT_##sfx, T, uint8_t, a > b)                     \
  BINARY_LOOP(b_GE_##sfx, T, uint8_t, a >= b)                    \
  BINARY_LOOP(b_MAX_##sfx, T, T, FNX_MAX_##K(a, b))              \
  BINARY_LOOP(b_MIN_##sfx, T, T, FNX_MIN_##K(a, b))
FNX_ALL_TYPES(DEF_CMP)

/* arithmetic: numeric dtypes; wrapping for ints via the unsigned type */
#define DEF_ARITH(code, T, U, sfx, K, TMIN, TMAX)    \
  BINARY_LOOP(b_ADD_##sfx, T, T, FNX_WADD(T, U, a, b)) \
  BINARY_LOOP(b_SUB_##sfx, T, T, FNX_WSUB(T, U, a, b)) \
  BINARY_LOOP(b_MUL_##sfx, T, T, FNX_WMUL(T, U, a, b))
FNX_NUMERIC_TYPES(DEF_ARITH)

#define DEF_INT_BIN(code, T, U, sfx, K, TMIN, TMAX)                            \
  BINARY_LOOP(b_DIV_##sfx, T, T, fnx_div_##sfx(a, b))                          \
  BINARY_LOOP(b_REM_##sfx, T, T, fnx_rem_##sfx(a, b))                          \
  BINARY_LOOP(b_POW_##sfx, T, T, fnx_pow_##sfx(a, (int64_t)b))                 \
  BINARY_LOOP(b_AND_##sfx, T, T, a & b)                                        \
  BINARY_LOOP(b_OR_##sfx, T, T, a | b)                                         \
  BINARY_LOOP(b_XOR_##sfx, T, T, a ^ b)                                        \
  BINARY_LOOP(b_SHIFT_LEFT_##sfx, T, T, fnx_shl_##sfx(a, b))                   \
  BINARY_LOOP(b_SHIFT_RIGHT_LOGICAL_##sfx, T, T, fnx_shrl_##sfx(a, b))         \
  BINARY_LOOP(b_SHIFT_RIGHT_ARITHMETIC_##sfx, T, T, fnx_shra_##sfx(a, b))
FNX_INT_TYPES(DEF_INT_BIN)

/* bool: logical ops on 0/1 bytes are the bitwise ones */
BINARY_LOOP(b_AND_b, uint8_t, uint8_t, a & b)
BINARY_LOOP(b_OR_b, uint8_t, uint8_t, a | b)
BINARY_LOOP(b_XOR_b, uint8_t, uint8_t, a ^ b)

#define DEF_FLOAT_BIN(T, sfx, SUF)                              \
  BINARY_LOOP(b_DIV_##sfx, T, T, a / b)                         \
  BINARY_LOOP(b_REM_##sfx, T, T, fmod##SUF(a, b))               \
  BINARY_LOOP(b_POW_##sfx, T, T, pow##SUF(a, b))                \
  BINARY_LOOP(b_ATAN2_##sfx, T, T, atan2##SUF(a, b))            \
  BINARY_LOOP(b_NEXTAFTER_##sfx, T, T, nextafter##SUF(a, b))
DEF_FLOAT_BIN(double, f64, )
DEF_FLOAT_BIN(float, f32, f)

/* ---- dispatch ----------------------------------------------------------------------------- */
#define C_(OP, sfx) case FNX_##OP: return b_##OP##_##sfx;
#define CMP_CASES(sfx) C_(EQ, sfx) C_(NE, sfx) C_(LT, sfx) C_(LE, sfx) C_(GT, sfx) C_(GE, sfx) \
  C_(MAX, sfx) C_(MIN, sfx)
#define ARITH_CASES(sfx) C_(ADD, sfx) C_(SUB, sfx) C_(MUL, sfx) C_(DIV, sfx) C_(REM, sfx) \
  C_(POW, sfx)
#define CASE_INT(code, T, U, sfx, K, TMIN, TMAX)                                          \
  case code:                                                                               \
    switch (op) {                                                                          \
      CMP_CASES(sfx) ARITH_CASES(sfx) C_(AND, sfx) C_(OR, sfx) C_(XOR, sfx)                \
      C_(SHIFT_LEFT, sfx) C_(SHIFT_RIGHT_LOGICAL, sfx) C_(SHIFT_RIGHT_ARITHMETIC, sfx)     \
      default: return NULL;                                                                \
    }
#define CASE_FLOAT(code, T, U, sfx, K, TMIN, TMAX)                          \
  case code:                                                                 \
    switch (op) {                                                            \
      CMP_CASES(sfx) ARITH_CASES(sfx) C_(ATAN2, sfx) C_(NEXTAFTER, sfx)      \
      default: return NULL;                                                  \
    }

static fnx_loop_fn binary_fn(int op, int dtype) {
  switch (dtype) {
    case FNX_BOOL:
      switch (op) {
        CMP_CASES(b) C_(AND, b) C_(OR, b) C_(XOR, b)
        default: return NULL;
      }
    FNX_INT_TYPES(CASE_INT)
    FNX_FLOAT_TYPES(CASE_FLOAT)
    default: return NULL;
  }
}

static int binary_heavy(int op, int dtype) {
  if (dtype != FNX_FLOAT32 && dtype != FNX_FLOAT64)
    return op == FNX_DIV || op == FNX_REM || op == FNX_POW; /* scalar integer division */
  return op == FNX_REM || op == FNX_POW || op == FNX_ATAN2 || op == FNX_NEXTAFTER;
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

int fnx_binary_contig(int op, int dtype, int64_t n, const char *a, const char *b, char *out) {
  int64_t shape[1] = {n};
  int64_t is[1] = {fnx_itemsize(dtype)};
  int64_t os[1] = {op >= FNX_EQ && op <= FNX_GE ? 1 : fnx_itemsize(dtype)};
  return fnx_binary(op, dtype, 1, shape, a, is, b, is, out, os);
}

int fnx_binary_scalar(int op, int dtype, int64_t n, const char *a, const char *b, char *out,
                      int scalar_operand) {
  int64_t shape[1] = {n};
  int64_t vs[1] = {fnx_itemsize(dtype)}, zero[1] = {0};
  int64_t os[1] = {op >= FNX_EQ && op <= FNX_GE ? 1 : fnx_itemsize(dtype)};
  return fnx_binary(op, dtype, 1, shape, a, scalar_operand == 0 ? zero : vs, b,
                    scalar_operand == 0 ? vs : zero, out, os);
}
