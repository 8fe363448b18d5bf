/* fnx CUDA kernels: stable argsort of the rows of a contiguous (outer, n) array.
 *
 * Stability comes for free: the sort orders (key, original index) pairs under a strict total
 * order -- keys ascending with NaN after everything (numpy's order; complex keys in numpy's
 * order of fnx_cplx_pair.h), -0.0 == 0.0, ties broken by the index -- so the sorted order is
 * unique and equals the stable sort.  Rows are padded to a power of two P; pad slots have
 * index >= n and sort after every real element.
 *  - P <= 2048: one block per row runs the whole bitonic network in shared memory
 *    (fnx_argsort_small_<sfx>).
 *  - longer rows: the launcher allocates (outer, P) key / index buffers, fills them with
 *    fnx_argsort_init_<sfx>, runs one fnx_argsort_step_<sfx> launch per (k, j) stage of the
 *    bitonic network (log2(P) * (log2(P) + 1) / 2 launches), and keeps the first n indices. */
#include "fnx_cplx.cuh"

#define FNX_SORT_SMALL 2048

template <class T>
FNX_DEV bool fnx_sort_less(T ka, fnx_int64 ia, T kb, fnx_int64 ib, fnx_int64 n) {
  const bool pa = ia >= n, pb = ib >= n;
  if (pa || pb) return pa == pb ? ia < ib : pb;
  if (fnx_sort_key_less(ka, kb)) return true;
  if (fnx_sort_key_less(kb, ka)) return false;
  return ia < ib;
}

template <class T>
__device__ void fnx_argsort_small(fnx_int64 outer, fnx_int64 n, int P, const T *__restrict__ x,
                                  fnx_int64 *__restrict__ perm) {
  __shared__ T sk[FNX_SORT_SMALL];
  __shared__ int si[FNX_SORT_SMALL];
  for (fnx_int64 row = blockIdx.x; row < outer; row += gridDim.x) {
    for (int i = threadIdx.x; i < P; i += blockDim.x) {
      si[i] = i;
      sk[i] = i < n ? x[row * n + i] : (T)0;
    }
    __syncthreads();
    for (int k = 2; k <= P; k <<= 1) {
      for (int j = k >> 1; j > 0; j >>= 1) {
        for (int i = threadIdx.x; i < P; i += blockDim.x) {
          const int l = i ^ j;
          if (l > i) {
            const bool up = (i & k) == 0;
            const bool swap = up ? fnx_sort_less<T>(sk[l], si[l], sk[i], si[i], n)
                                 : fnx_sort_less<T>(sk[i], si[i], sk[l], si[l], n);
            if (swap) {
              const T tk = sk[i];
              sk[i] = sk[l];
              sk[l] = tk;
              const int ti = si[i];
              si[i] = si[l];
              si[l] = ti;
            }
          }
        }
        __syncthreads();
      }
    }
    for (int i = threadIdx.x; i < n; i += blockDim.x) perm[row * n + i] = si[i];
    __syncthreads();
  }
}

#define FNX_K_SORT(code, T, U, sfx, K, TMIN, TMAX)                                                             \
  extern "C" __global__ void fnx_argsort_small_##sfx(fnx_int64 outer, fnx_int64 n, int P,    \
                                                     const T *x, fnx_int64 *perm) {          \
    fnx_argsort_small<T>(outer, n, P, x, perm);                                              \
  }                                                                                          \
  extern "C" __global__ void fnx_argsort_init_##sfx(fnx_int64 outer, fnx_int64 n,            \
                                                    fnx_int64 P, const T *__restrict__ x,    \
                                                    T *__restrict__ keys,                    \
                                                    fnx_int64 *__restrict__ idx) {           \
    FNX_GRID_LOOP(t, outer * P) {                                                            \
      const fnx_int64 row = t / P, i = t % P;                                                \
      idx[t] = i;                                                                            \
      keys[t] = i < n ? x[row * n + i] : (T)0;                                               \
    }                                                                                        \
  }                                                                                          \
  extern "C" __global__ void fnx_argsort_step_##sfx(fnx_int64 outer, fnx_int64 n,            \
                                                    fnx_int64 P, fnx_int64 j, fnx_int64 k,   \
                                                    T *__restrict__ keys,                    \
                                                    fnx_int64 *__restrict__ idx) {           \
    FNX_GRID_LOOP(t, outer * P) {                                                            \
      const fnx_int64 row = t / P, i = t % P, l = i ^ j;                                     \
      if (l <= i) continue;                                                                  \
      T *kr = keys + row * P;                                                                \
      fnx_int64 *ir = idx + row * P;                                                         \
      const bool up = (i & k) == 0;                                                          \
      const bool swap = up ? fnx_sort_less<T>(kr[l], ir[l], kr[i], ir[i], n)                 \
                           : fnx_sort_less<T>(kr[i], ir[i], kr[l], ir[l], n);                \
      if (swap) {                                                                            \
        const T tk = kr[i];                                                                  \
        kr[i] = kr[l];                                                                       \
        kr[l] = tk;                                                                          \
        const fnx_int64 ti = ir[i];                                                          \
        ir[i] = ir[l];                                                                       \
        ir[l] = ti;                                                                          \
      }                                                                                      \
    }                                                                                        \
  }
FNX_ALL_TYPES(FNX_K_SORT)
FNX_CNUM_TYPES(FNX_K_SORT)
