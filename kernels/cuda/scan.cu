/* fnx CUDA kernels: cumulative sum / prod / max / min along the middle axis of a contiguous
 * (outer, n, inner) view, forward or reversed, with the CPU kernels' semantics: the running
 * value is kept in the dtype (integer sums and products wrap), max / min propagate NaN, and
 * acc = op(x, acc) keeps the CPU's operand order.  One thread per (outer, inner) column walks
 * the axis in order: loads are coalesced across a warp when inner > 1; for inner == 1 each
 * thread streams its own row (correct, not the fastest: a block-wide scan is future work). */
#include "fnx_cplx.cuh"

#define FNX_CUM_SUM(T, U, K, a, x) FNX_WADD(T, U, x, a)
#define FNX_CUM_PROD(T, U, K, a, x) FNX_WMUL(T, U, x, a)
#define FNX_CUM_MAX(T, U, K, a, x) FNX_MAX_##K(x, a)
#define FNX_CUM_MIN(T, U, K, a, x) FNX_MIN_##K(x, a)

#define FNX_K_CUM(op, STEP, T, U, sfx, K)                                                   \
  extern "C" __global__ void fnx_cum##op##_##sfx(fnx_int64 outer, fnx_int64 n,              \
                                                 fnx_int64 inner, int reverse,              \
                                                 const T *__restrict__ x,                   \
                                                 T *__restrict__ y) {                       \
    FNX_GRID_LOOP(t, outer * inner) {                                                       \
      const fnx_int64 o = t / inner, j = t % inner;                                         \
      const fnx_int64 base = o * n * inner + j;                                             \
      T acc = (T)0;                                                                         \
      for (fnx_int64 s = 0; s < n; s++) {                                                   \
        const fnx_int64 i = reverse ? n - 1 - s : s;                                        \
        const T v = x[base + i * inner];                                                    \
        acc = s == 0 ? v : STEP(T, U, K, acc, v);                                           \
        y[base + i * inner] = acc;                                                          \
      }                                                                                     \
    }                                                                                       \
  }
#define FNX_K_CUM_NUMERIC(code, T, U, sfx, K, TMIN, TMAX)           \
  FNX_K_CUM(sum, FNX_CUM_SUM, T, U, sfx, K)       \
  FNX_K_CUM(prod, FNX_CUM_PROD, T, U, sfx, K)     \
  FNX_K_CUM(max, FNX_CUM_MAX, T, U, sfx, K)       \
  FNX_K_CUM(min, FNX_CUM_MIN, T, U, sfx, K)
FNX_NUMERIC_TYPES(FNX_K_CUM_NUMERIC)
/* complex (fnx_cplx.cuh): sum and product in the dtype's precision, like the CPU and numpy */
#define FNX_K_CUM_CNUM(code, T, R, sfx, K, TMIN, TMAX)  \
  FNX_K_CUM(sum, FNX_CUM_SUM, T, T, sfx, K)             \
  FNX_K_CUM(prod, FNX_CUM_PROD, T, T, sfx, K)
FNX_CNUM_TYPES(FNX_K_CUM_CNUM)
FNX_K_CUM(max, FNX_CUM_MAX, fnx_uint8, fnx_uint8, b, B)
FNX_K_CUM(min, FNX_CUM_MIN, fnx_uint8, fnx_uint8, b, B)
