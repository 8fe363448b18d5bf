/* fnx CUDA kernels: the device-side common header.
 *
 * The scalar semantics of every elementwise op (fnx_s_<op>_<sfx>, fnx_s_convert_<from>_<to>,
 * the dtype type map FNX_ALL_TYPES & co., the fixed-width types fnx_int8 ... fnx_uint64) are
 * kernels/common/fnx_scalar.h, the header of the C kernels too, here in its CUDA form: integer
 * division truncates and x / 0 == 0, INT_MIN / -1 == INT_MIN, shifts outside [0, bits) are
 * defined, max / min propagate NaN, float -> int conversion saturates (NaN -> 0), integer
 * arithmetic wraps (done in the unsigned type).  The float32 transcendental functions are
 * CUDA's (expf, ...), which may differ from the CPU's vectorized ones in the last ulp or two.
 * This file adds what only kernels need: the grid-stride loop, strided offsets, warp shuffles.
 *
 * Every .cu file of kernels/cuda includes this header and is compiled on its own, both by
 * `nvcc -arch=sm_90 -c` (build_kernels.py --check-cuda) and at run time by NVRTC through
 * cupy.RawModule (fnx/backends/cuda.py), which gets the source with our headers inlined
 * (fnx/_cuda_source.py).  So: no host code, no standard-library headers.
 *
 * Geometry of strided kernels (`g`): a device array of int64,
 *   g[0:nd]                    the shape
 *   g[nd*(1+k) : nd*(2+k)]     element strides of operand k (0 for a broadcast dimension)
 * nd == 0 means "all operands contiguous with the output": the offset is the linear index.
 */
#ifndef FNX_CUDA_CUH
#define FNX_CUDA_CUH

#define FNX_SCALAR_CUDA 1
#include "../common/fnx_scalar.h"

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
