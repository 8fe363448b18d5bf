/* fnx CUDA: the tiled shared-memory GEMM shared by gemm.cu (dot_general) and conv.cu
 * (implicit-GEMM convolution).
 *
 * C (M x N) = A (M x K) @ B (K x N), where A, B and C are functors: la(r, k), lb(k, n) load an
 * element (the caller's functor maps it to memory, or synthesizes it, e.g. the im2col patch of
 * a convolution) and st(r, c, v) stores one.  A block of 256 threads computes a BM x BN tile of
 * C, stepping through K by BK: the A and B tiles are staged in shared memory, and every thread
 * accumulates a TM x TN register tile.  Thread (ty, tx) owns rows ty + i * (BM / TM) and
 * columns tx + j * (BN / TN): adjacent threads read adjacent shared-memory words (no bank
 * conflicts) and store adjacent columns.  Every load and store is bounds-checked, so any
 * M, N, K works (K == 0 gives zeros).  Grid: x = row tiles, y = column tiles, z = batch. */
#ifndef FNX_GEMM_CUH
#define FNX_GEMM_CUH
#include "fnx_cuda.cuh"

#define FNX_GEMM_THREADS 256

/* acc += a * b: one rounding for floats (fma), wrapping for ints (unsigned arithmetic) */
FNX_DEV float fnx_mac(float acc, float a, float b) { return fmaf(a, b, acc); }
FNX_DEV double fnx_mac(double acc, double a, double b) { return fma(a, b, acc); }
FNX_DEV fnx_int32 fnx_mac(fnx_int32 acc, fnx_int32 a, fnx_int32 b) {
  return (fnx_int32)((fnx_uint32)acc + (fnx_uint32)a * (fnx_uint32)b);
}
FNX_DEV fnx_int64 fnx_mac(fnx_int64 acc, fnx_int64 a, fnx_int64 b) {
  return (fnx_int64)((fnx_uint64)acc + (fnx_uint64)a * (fnx_uint64)b);
}

template <class T, int BM, int BN, int BK, int TM, int TN, class LA, class LB, class ST>
__device__ void fnx_tiled_gemm(fnx_int64 M, fnx_int64 N, fnx_int64 K, const LA &la,
                               const LB &lb, const ST &st) {
  static_assert((BM / TM) * (BN / TN) == FNX_GEMM_THREADS, "one thread per register tile");
  __shared__ T As[BK][BM];
  __shared__ T Bs[BK][BN];
  const int tid = threadIdx.x;
  const int tx = tid % (BN / TN), ty = tid / (BN / TN);
  const fnx_int64 row0 = (fnx_int64)blockIdx.x * BM, col0 = (fnx_int64)blockIdx.y * BN;
  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; i++)
#pragma unroll
    for (int j = 0; j < TN; j++) acc[i][j] = (T)0;

  for (fnx_int64 k0 = 0; k0 < K; k0 += BK) {
    for (int e = tid; e < BM * BK; e += FNX_GEMM_THREADS) {
      const int r = e / BK, kk = e % BK;
      const fnx_int64 gr = row0 + r, gk = k0 + kk;
      As[kk][r] = (gr < M && gk < K) ? la(gr, gk) : (T)0;
    }
    for (int e = tid; e < BK * BN; e += FNX_GEMM_THREADS) {
      const int kk = e / BN, c = e % BN;
      const fnx_int64 gk = k0 + kk, gc = col0 + c;
      Bs[kk][c] = (gk < K && gc < N) ? lb(gk, gc) : (T)0;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      T a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; i++) a[i] = As[kk][ty + i * (BM / TM)];
#pragma unroll
      for (int j = 0; j < TN; j++) b[j] = Bs[kk][tx + j * (BN / TN)];
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = fnx_mac(acc[i][j], a[i], b[j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; i++) {
    const fnx_int64 r = row0 + ty + i * (BM / TM);
    if (r >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; j++) {
      const fnx_int64 c = col0 + tx + j * (BN / TN);
      if (c < N) st(r, c, acc[i][j]);
    }
  }
}

/* Tile shapes per dtype: 128 x 128 x 8 with 8 x 8 per thread for 4-byte types, 64 x 64 x 8
 * with 4 x 4 for 8-byte types (same shared memory, half the registers per accumulator). */
template <class T> struct FnxTile;
template <> struct FnxTile<float> { enum { BM = 128, BN = 128, BK = 8, TM = 8, TN = 8 }; };
template <> struct FnxTile<fnx_int32> { enum { BM = 128, BN = 128, BK = 8, TM = 8, TN = 8 }; };
template <> struct FnxTile<double> { enum { BM = 64, BN = 64, BK = 8, TM = 4, TN = 4 }; };
template <> struct FnxTile<fnx_int64> { enum { BM = 64, BN = 64, BK = 8, TM = 4, TN = 4 }; };

#endif /* FNX_GEMM_CUH */
