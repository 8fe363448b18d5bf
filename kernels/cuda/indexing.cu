/* fnx CUDA kernels: gather and scatter over the (nb, d, nr) layout of kernels/cpu/indexing.c.
 *
 * gather:  out[b, i, :] = x[b, clamp(idx[b, i], 0, d - 1), :]      (lax.gather clamps)
 * scatter: out[b, idx[b, i], :] op= upd[b, i, :]   (out-of-bounds indices are dropped)
 * The generic scatter gives one thread to each (b, column) and walks the indices in order, so
 * SET is "last write wins" and every mode is deterministic, exactly like the CPU kernel.
 * scatter-add of float32/float64/int32/int64/uint32 and complex also has an atomicAdd version
 * with one thread per update element (all the parallelism of the update; float sums then depend
 * on the order the atomics land in, within rounding).  Complex (fnx_cplx.cuh): gather of 16-byte
 * items (complex128; complex64 is the 8-byte one), scatter set / add / mul. */
#include "fnx_cplx.cuh"

template <class I>
FNX_DEV fnx_int64 fnx_load_index(const I *idx, fnx_int64 t) { return (fnx_int64)idx[t]; }

#define FNX_K_GATHER(bytes, W, I, isfx)                                                      \
  extern "C" __global__ void fnx_gather_##bytes##_##isfx(fnx_int64 nb, fnx_int64 d,          \
                                                         fnx_int64 nr, fnx_int64 ni,          \
                                                         const W *__restrict__ x,             \
                                                         const I *__restrict__ idx,           \
                                                         W *__restrict__ out) {               \
    FNX_GRID_LOOP(t, nb * ni * nr) {                                                         \
      const fnx_int64 c = t % nr, q = t / nr, b = q / ni;                                     \
      fnx_int64 j = fnx_load_index(idx, q);                                                   \
      j = j < 0 ? 0 : (j >= d ? d - 1 : j);                                                   \
      out[t] = x[(b * d + j) * nr + c];                                                       \
    }                                                                                        \
  }
#define FNX_K_GATHER_BOTH(bytes, W)          \
  FNX_K_GATHER(bytes, W, fnx_int32, i32)     \
  FNX_K_GATHER(bytes, W, fnx_int64, i64)
FNX_K_GATHER_BOTH(1, fnx_uint8)
FNX_K_GATHER_BOTH(2, unsigned short)
FNX_K_GATHER_BOTH(4, fnx_uint32)
FNX_K_GATHER_BOTH(8, fnx_uint64)
FNX_K_GATHER_BOTH(16, fnx_cnum128) /* complex128 */

#define FNX_SC_SET(T, U, K, o, u) (u)
#define FNX_SC_ADD(T, U, K, o, u) FNX_WADD(T, U, o, u)
#define FNX_SC_MUL(T, U, K, o, u) FNX_WMUL(T, U, o, u)
#define FNX_SC_MIN(T, U, K, o, u) FNX_MIN_##K(u, o)
#define FNX_SC_MAX(T, U, K, o, u) FNX_MAX_##K(u, o)

#define FNX_K_SCATTER_ONE(mode, STEP, T, U, sfx, K, I, isfx)                                  \
  extern "C" __global__ void fnx_scatter_##mode##_##sfx##_##isfx(                             \
      fnx_int64 nb, fnx_int64 d, fnx_int64 nr, fnx_int64 ni, T *__restrict__ out,             \
      const I *__restrict__ idx, const T *__restrict__ upd) {                                 \
    FNX_GRID_LOOP(t, nb * nr) {                                                               \
      const fnx_int64 b = t / nr, c = t % nr;                                                 \
      for (fnx_int64 i = 0; i < ni; i++) {                                                    \
        const fnx_int64 j = fnx_load_index(idx, b * ni + i);                                  \
        if (j < 0 || j >= d) continue;                                                        \
        T *o = out + (b * d + j) * nr + c;                                                    \
        const T u = upd[(b * ni + i) * nr + c];                                               \
        *o = STEP(T, U, K, *o, u);                                                            \
      }                                                                                       \
    }                                                                                         \
  }
#define FNX_K_SCATTER_MODE(mode, STEP, T, U, sfx, K)               \
  FNX_K_SCATTER_ONE(mode, STEP, T, U, sfx, K, fnx_int32, i32)      \
  FNX_K_SCATTER_ONE(mode, STEP, T, U, sfx, K, fnx_int64, i64)
#define FNX_K_SCATTER_ALL(code, T, U, sfx, K, TMIN, TMAX)                     \
  FNX_K_SCATTER_MODE(set, FNX_SC_SET, T, U, sfx, K)         \
  FNX_K_SCATTER_MODE(min, FNX_SC_MIN, T, U, sfx, K)         \
  FNX_K_SCATTER_MODE(max, FNX_SC_MAX, T, U, sfx, K)
#define FNX_K_SCATTER_NUMERIC(code, T, U, sfx, K, TMIN, TMAX)                 \
  FNX_K_SCATTER_MODE(add, FNX_SC_ADD, T, U, sfx, K)         \
  FNX_K_SCATTER_MODE(mul, FNX_SC_MUL, T, U, sfx, K)
FNX_ALL_TYPES(FNX_K_SCATTER_ALL)
FNX_NUMERIC_TYPES(FNX_K_SCATTER_NUMERIC)
/* complex (fnx_cplx.cuh): set, add, mul (numpy's plain product); no min / max */
#define FNX_K_SCATTER_CNUM(code, T, R, sfx, K, TMIN, TMAX)     \
  FNX_K_SCATTER_MODE(set, FNX_SC_SET, T, T, sfx, K)            \
  FNX_K_SCATTER_MODE(add, FNX_SC_ADD, T, T, sfx, K)            \
  FNX_K_SCATTER_MODE(mul, FNX_SC_MUL, T, T, sfx, K)
FNX_CNUM_TYPES(FNX_K_SCATTER_CNUM)

/* atomic scatter-add: A is the type atomicAdd takes (int64 adds as unsigned: same bits) */
#define FNX_K_SCATTER_ATOMIC_ONE(T, A, sfx, I, isfx)                                          \
  extern "C" __global__ void fnx_scatter_add_atomic_##sfx##_##isfx(                           \
      fnx_int64 nb, fnx_int64 d, fnx_int64 nr, fnx_int64 ni, T *__restrict__ out,             \
      const I *__restrict__ idx, const T *__restrict__ upd) {                                 \
    FNX_GRID_LOOP(t, nb * ni * nr) {                                                          \
      const fnx_int64 c = t % nr, q = t / nr, b = q / ni;                                     \
      const fnx_int64 j = fnx_load_index(idx, q);                                             \
      if (j < 0 || j >= d) continue;                                                          \
      atomicAdd((A *)(out + (b * d + j) * nr + c), (A)upd[t]);                                \
    }                                                                                         \
  }
#define FNX_K_SCATTER_ATOMIC(T, A, sfx)                      \
  FNX_K_SCATTER_ATOMIC_ONE(T, A, sfx, fnx_int32, i32)        \
  FNX_K_SCATTER_ATOMIC_ONE(T, A, sfx, fnx_int64, i64)
FNX_K_SCATTER_ATOMIC(float, float, f32)
FNX_K_SCATTER_ATOMIC(double, double, f64)
FNX_K_SCATTER_ATOMIC(fnx_int32, int, i32)
FNX_K_SCATTER_ATOMIC(fnx_int64, unsigned long long, i64)
FNX_K_SCATTER_ATOMIC(fnx_uint32, unsigned int, u32)

/* complex: one atomicAdd per part (each part's sum is then order-dependent like a float's) */
#define FNX_K_SCATTER_ATOMIC_CNUM_ONE(T, R, sfx, I, isfx)                                     \
  extern "C" __global__ void fnx_scatter_add_atomic_##sfx##_##isfx(                           \
      fnx_int64 nb, fnx_int64 d, fnx_int64 nr, fnx_int64 ni, T *__restrict__ out,             \
      const I *__restrict__ idx, const T *__restrict__ upd) {                                 \
    FNX_GRID_LOOP(t, nb * ni * nr) {                                                          \
      const fnx_int64 c = t % nr, q = t / nr, b = q / ni;                                     \
      const fnx_int64 j = fnx_load_index(idx, q);                                             \
      if (j < 0 || j >= d) continue;                                                          \
      T *o = out + (b * d + j) * nr + c;                                                      \
      atomicAdd(&o->re, upd[t].re);                                                           \
      atomicAdd(&o->im, upd[t].im);                                                           \
    }                                                                                         \
  }
#define FNX_K_SCATTER_ATOMIC_CNUM(code, T, R, sfx, K, TMIN, TMAX)    \
  FNX_K_SCATTER_ATOMIC_CNUM_ONE(T, R, sfx, fnx_int32, i32)          \
  FNX_K_SCATTER_ATOMIC_CNUM_ONE(T, R, sfx, fnx_int64, i64)
FNX_CNUM_TYPES(FNX_K_SCATTER_ATOMIC_CNUM)
