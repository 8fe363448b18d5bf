/* fnx CUDA kernels: batched matrix multiply for dot_general.
 * out[b] = a[b] @ b[b] with a (batch, m, k), b (batch, k, n), out (batch, m, n), all C-contiguous
 * (the Python side transposes dot_general's operands into this layout, like the CPU backend).
 * Launch: fnx_gemm_<sfx> with block 256, grid (ceil(m / BM), ceil(n / BN), batch); the tile
 * sizes BM x BN per dtype (FnxTile in fnx_gemm.cuh) are repeated in fnx/backends/cuda.py. */
#include "fnx_gemm.cuh"
#include "fnx_cplx.cuh"

template <class T> struct RowMajor {
  const T *p;
  fnx_int64 ld;
  __device__ T operator()(fnx_int64 r, fnx_int64 c) const { return p[r * ld + c]; }
};
template <class T> struct RowMajorStore {
  T *p;
  fnx_int64 ld;
  __device__ void operator()(fnx_int64 r, fnx_int64 c, T v) const { p[r * ld + c] = v; }
};

#define FNX_K_GEMM(T, sfx)                                                                 \
  extern "C" __global__ void __launch_bounds__(FNX_GEMM_THREADS)                           \
      fnx_gemm_##sfx(fnx_int64 m, fnx_int64 n, fnx_int64 k, const T *a, const T *b, T *c) { \
    const fnx_int64 z = blockIdx.z;                                                        \
    RowMajor<T> la = {a + z * m * k, k};                                                   \
    RowMajor<T> lb = {b + z * k * n, n};                                                   \
    RowMajorStore<T> st = {c + z * m * n, n};                                              \
    typedef FnxTile<T> S;                                                                  \
    fnx_tiled_gemm<T, S::BM, S::BN, S::BK, S::TM, S::TN>(m, n, k, la, lb, st);             \
  }
FNX_K_GEMM(float, f32)
FNX_K_GEMM(double, f64)
FNX_K_GEMM(fnx_int32, i32)
FNX_K_GEMM(fnx_int64, i64)

/* complex (fnx_cplx.cuh: fnx_mac is the complex multiply-add, each part with fma): the
 * 8-byte-type tile for both (complex128's shared tiles: 16 KiB) */
template <> struct FnxTile<fnx_cnum64> { enum { BM = 64, BN = 64, BK = 8, TM = 4, TN = 4 }; };
template <> struct FnxTile<fnx_cnum128> { enum { BM = 64, BN = 64, BK = 8, TM = 4, TN = 4 }; };
FNX_K_GEMM(fnx_cnum64, c64)
FNX_K_GEMM(fnx_cnum128, c128)
