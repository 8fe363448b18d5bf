/* fnx CUDA kernels: fused row softmax / log_softmax / layer norm (forward), one block per row
 * of a contiguous (rows, n) array, for the jit's row fusion to call.  Every row is read a few
 * times from global memory (L2-resident for the row sizes of typical layers) and written once.
 * softmax: m = max(x) (NaN propagates), s = sum(exp(x - m)), y = exp(x - m) / s;
 * log_softmax: y = (x - m) - log(s);
 * layer norm: mean, then the variance as the mean squared deviation (two passes: no
 * cancellation), y = (x - mean) * rsqrt(var + eps) * gamma + beta (gamma / beta may be null).
 * Sums of float32 rows accumulate in float32 (as the CPU row fusion does). */
#include "fnx_cuda.cuh"

/* block-wide sum / NaN-propagating max, result broadcast to every thread */
template <class T, bool MAX>
__device__ T fnx_row_allreduce(T v) {
  __shared__ T partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const T u = fnx_shfl_down(v, o);
    v = MAX ? FNX_MAX_F(u, v) : v + u;
  }
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const int nwarps = (blockDim.x + 31) >> 5;
    v = lane < nwarps ? partial[lane] : (MAX ? (T)-FNX_INF : (T)0);
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const T u = fnx_shfl_down(v, o);
      v = MAX ? FNX_MAX_F(u, v) : v + u;
    }
    if (lane == 0) partial[0] = v;
  }
  __syncthreads();
  v = partial[0];
  __syncthreads();  /* partial is reused by the next call */
  return v;
}

FNX_DEV float fnx_expT(float x) { return expf(x); }
FNX_DEV double fnx_expT(double x) { return exp(x); }
FNX_DEV float fnx_logT(float x) { return logf(x); }
FNX_DEV double fnx_logT(double x) { return log(x); }
FNX_DEV float fnx_rsqrtT(float x) { return 1.0f / sqrtf(x); }
FNX_DEV double fnx_rsqrtT(double x) { return 1.0 / sqrt(x); }

template <class T>
__device__ void fnx_softmax_rows(fnx_int64 rows, fnx_int64 n, int log_out,
                                 const T *__restrict__ x, T *__restrict__ y) {
  for (fnx_int64 row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *xr = x + row * n;
    T *yr = y + row * n;
    T m = (T)-FNX_INF;
    for (fnx_int64 i = threadIdx.x; i < n; i += blockDim.x) m = FNX_MAX_F(xr[i], m);
    m = fnx_row_allreduce<T, true>(m);
    T s = 0;
    for (fnx_int64 i = threadIdx.x; i < n; i += blockDim.x) s += fnx_expT(xr[i] - m);
    s = fnx_row_allreduce<T, false>(s);
    if (log_out) {
      const T ls = fnx_logT(s);
      for (fnx_int64 i = threadIdx.x; i < n; i += blockDim.x) yr[i] = (xr[i] - m) - ls;
    } else {
      for (fnx_int64 i = threadIdx.x; i < n; i += blockDim.x) yr[i] = fnx_expT(xr[i] - m) / s;
    }
  }
}

template <class T>
__device__ void fnx_layernorm_rows(fnx_int64 rows, fnx_int64 n, double eps,
                                   const T *__restrict__ x, const T *__restrict__ gamma,
                                   const T *__restrict__ beta, T *__restrict__ y) {
  for (fnx_int64 row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *xr = x + row * n;
    T *yr = y + row * n;
    T s = 0;
    for (fnx_int64 i = threadIdx.x; i < n; i += blockDim.x) s += xr[i];
    const T mean = fnx_row_allreduce<T, false>(s) / (T)n;
    T q = 0;
    for (fnx_int64 i = threadIdx.x; i < n; i += blockDim.x) {
      const T d = xr[i] - mean;
      q += d * d;
    }
    const T var = fnx_row_allreduce<T, false>(q) / (T)n;
    const T r = fnx_rsqrtT(var + (T)eps);
    for (fnx_int64 i = threadIdx.x; i < n; i += blockDim.x) {
      T v = (xr[i] - mean) * r;
      if (gamma) v = v * gamma[i];
      if (beta) v = v + beta[i];
      yr[i] = v;
    }
  }
}

#define FNX_K_ROWS(T, sfx)                                                                  \
  extern "C" __global__ void fnx_softmax_rows_##sfx(fnx_int64 rows, fnx_int64 n,            \
                                                    int log_out, const T *x, T *y) {        \
    fnx_softmax_rows<T>(rows, n, log_out, x, y);                                            \
  }                                                                                         \
  extern "C" __global__ void fnx_layernorm_rows_##sfx(fnx_int64 rows, fnx_int64 n,          \
                                                      double eps, const T *x,               \
                                                      const T *gamma, const T *beta, T *y) { \
    fnx_layernorm_rows<T>(rows, n, eps, x, gamma, beta, y);                                 \
  }
FNX_K_ROWS(float, f32)
FNX_K_ROWS(double, f64)
