/* fnx CPU kernels: private helpers shared by the kernel families (not part of the ABI).
 *
 *  - dtype type map as X-macro lists, so every dtype variant is generated, never copy-pasted;
 *  - wrapping / C-semantics integer helpers (no signed-overflow UB, no SIGFPE);
 *  - the N-d strided iterator that collapses dimensions and splits work over OpenMP threads.
 */
#ifndef FNX_INTERNAL_H
#define FNX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "fnx_kernels.h"

/* The generated code instantiates the same expression for signed and unsigned types, so
 * "x < 0 is always false for uint8" is expected there and not a bug. */
#pragma GCC diagnostic ignored "-Wtype-limits"

#define FNX_MAX_NDIM 32
#define FNX_MAX_OPS 4

/* Below these element counts a kernel runs on the calling thread: waking an OpenMP team costs a
 * few microseconds, which is more than a cheap loop over 32k elements takes. */
#define FNX_PAR_MIN 32768
#define FNX_PAR_MIN_HEAVY 2048 /* transcendental ops: ~20-100 cycles per element */

/* ---- dtype type map ----------------------------------------------------------------------
 * X(code, T, U, sfx, K, TMIN, TMAX)
 *   T: storage type, U: type used for wrapping arithmetic (unsigned for ints, T for floats),
 *   K: kind (B bool, I integer, F float), TMIN/TMAX: identities of max/min. */
#define FNX_BOOL_TYPE(X) X(FNX_BOOL, uint8_t, uint8_t, b, B, 0, 1)
#define FNX_INT_TYPES(X)                                                          \
  X(FNX_INT8, int8_t, uint8_t, i8, I, INT8_MIN, INT8_MAX)                         \
  X(FNX_UINT8, uint8_t, uint8_t, u8, I, 0, UINT8_MAX)                             \
  X(FNX_INT32, int32_t, uint32_t, i32, I, INT32_MIN, INT32_MAX)                   \
  X(FNX_INT64, int64_t, uint64_t, i64, I, INT64_MIN, INT64_MAX)
#define FNX_FLOAT_TYPES(X)                                                        \
  X(FNX_FLOAT32, float, float, f32, F, -INFINITY, INFINITY)                       \
  X(FNX_FLOAT64, double, double, f64, F, -INFINITY, INFINITY)
#define FNX_NUMERIC_TYPES(X) FNX_INT_TYPES(X) FNX_FLOAT_TYPES(X)
#define FNX_ALL_TYPES(X) FNX_BOOL_TYPE(X) FNX_NUMERIC_TYPES(X)
static inline int fnx_itemsize(int dtype) {
  static const int sz[7] = {1, 1, 1, 4, 8, 4, 8};
  return (dtype >= 0 && dtype < 7) ? sz[dtype] : 0;
}

/* ---- max / min that propagate NaN like numpy.maximum / numpy.minimum ---------------------
 * `(a > b || a != a) ? a : b`: a NaN a wins through the second test, a NaN b wins because
 * a > NaN is false.  Written as compare + blend so gcc vectorizes it. */
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

/* float -> int64 that never hits the UB of an out-of-range cast: NaN -> 0, saturate at the
 * ends (this is also what XLA does for float -> int conversion). */
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

/* Integer helpers with the lax semantics (see fnx_kernels.h / DESIGN): division truncates,
 * x / 0 == 0, x % 0 == 0, INT_MIN / -1 == INT_MIN, INT_MIN % -1 == 0, so no SIGFPE ever. */
#define FNX_DEF_INT_HELPERS(code, T, U, sfx, K, TMIN, TMAX)                                  \
  static inline T fnx_div_##sfx(T a, T b) {                                                 \
    if (b == 0) return 0;                                                                   \
    if (FNX_SIGNED(T) && b == (T)-1) return FNX_WNEG(T, U, a);                              \
    return (T)(a / b);                                                                      \
  }                                                                                         \
  static inline T fnx_rem_##sfx(T a, T b) {                                                 \
    if (b == 0 || (FNX_SIGNED(T) && b == (T)-1)) return 0;                                  \
    return (T)(a % b);                                                                      \
  }                                                                                         \
  /* repeated squaring in unsigned arithmetic (wraps like numpy); a negative exponent gives  \
   * 0 except for bases 1 and -1, where the exact answer is an integer */                  \
  static inline T fnx_pow_##sfx(T a, int64_t e) {                                           \
    if (e < 0) {                                                                            \
      if (a == 1) return 1;                                                                 \
      if (FNX_SIGNED(T) && a == (T)-1) return (e & 1) ? (T)-1 : (T)1;                       \
      return 0;                                                                             \
    }                                                                                       \
    U r = 1, b = (U)a;                                                                      \
    uint64_t m = (uint64_t)e;                                                               \
    while (m) {                                                                             \
      if (m & 1) r = (U)(r * b);                                                            \
      b = (U)(b * b);                                                                       \
      m >>= 1;                                                                              \
    }                                                                                       \
    return (T)r;                                                                            \
  }                                                                                         \
  /* shift amounts outside [0, bits) are defined here instead of being C UB */              \
  static inline T fnx_shl_##sfx(T a, T b) {                                                 \
    if ((int64_t)b < 0 || (int64_t)b >= (int64_t)(8 * sizeof(T))) return 0;                \
    return (T)((U)a << b);                                                                  \
  }                                                                                         \
  static inline T fnx_shrl_##sfx(T a, T b) {                                                \
    if ((int64_t)b < 0 || (int64_t)b >= (int64_t)(8 * sizeof(T))) return 0;                \
    return (T)((U)a >> b);                                                                  \
  }                                                                                         \
  /* gcc defines >> of a negative signed value as arithmetic; for uint8 (never negative)    \
   * the arithmetic shift is the logical one */                                             \
  static inline T fnx_shra_##sfx(T a, T b) {                                                \
    if ((int64_t)b < 0 || (int64_t)b >= (int64_t)(8 * sizeof(T))) return a < 0 ? (T)-1 : 0; \
    return (T)(a >> b);                                                                     \
  }
FNX_INT_TYPES(FNX_DEF_INT_HELPERS)

/* x ** e for floats by repeated squaring (lax.integer_pow); negative e gives 1 / x ** |e| */
#define FNX_DEF_FIPOW(T, sfx)                                                \
  static inline T fnx_fipow_##sfx(T x, int64_t e) {                          \
    uint64_t m = e < 0 ? (uint64_t)0 - (uint64_t)e : (uint64_t)e;           \
    T r = 1, b = x;                                                          \
    while (m) {                                                              \
      if (m & 1) r *= b;                                                     \
      b *= b;                                                                \
      m >>= 1;                                                               \
    }                                                                        \
    return e < 0 ? (T)1 / r : r;                                             \
  }
FNX_DEF_FIPOW(float, f32)
FNX_DEF_FIPOW(double, f64)

/* 64-byte aligned scratch (posix_memalign: aligned_alloc is C11); release with free() */
static inline void *fnx_aligned_alloc(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL;
  return p;
}

static inline int64_t fnx_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t fnx_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t fnx_cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* ---- threads (threads.c) ------------------------------------------------------------------ */
/* the team size every kernel uses: fnx_set_num_threads, else FNX_NUM_THREADS, else OpenMP's */
int fnx_threads(void);
/* team size for `work` units of work, 1 below `par_min` */
int fnx_team(int64_t work, int64_t par_min);

/* ---- N-d strided iteration (threads.c) ------------------------------------------------------
 * The inner loop gets a run of n elements, the operands' start pointers p[0..nops) and their
 * byte strides s[0..nops) along the run; `ctx` is passed through. */
typedef void (*fnx_loop_fn)(int64_t n, char *const *p, const int64_t *s, const void *ctx);

/* Runs fn over the whole `shape` (ndim <= FNX_MAX_NDIM, else FNX_ERR_NDIM): size-1 dims are
 * dropped, adjacent dims that are contiguous for every operand are merged (a contiguous N-d
 * array becomes one run), and when the element count is >= par_min the rows (split into
 * chunks if there are few of them) are shared out over the thread team. */
int fnx_nd_iterate(int nops, int ndim, const int64_t *shape, char *const *base,
                   const int64_t *const *strides, int64_t par_min, fnx_loop_fn fn,
                   const void *ctx);

#endif
