/* fnx CUDA kernels: the threefry2x32 block cipher (20 rounds), from the Random123 paper
 * (Salmon et al., SC'11): rotations {13, 15, 26, 6, 17, 29, 16, 24}, key schedule
 * ks = (k0, k1, 0x1BD11BDA ^ k0 ^ k1), key injection before the first round and after every
 * 4 rounds (injection s adds ks[s % 3] and ks[(s + 1) % 3] + s).  Known answer:
 * counter (0, 0), key (0, 0) -> (0x6b200159, 0x99ba4efe).
 *
 * fnx_threefry2x32(n, key_stride, k0, k1, x0, x1, y0, y1): y = threefry(key[i * key_stride],
 * x[i]) for i < n; key_stride 0 uses one key for all counters. */
#include "fnx_cuda.cuh"

FNX_DEV fnx_uint32 fnx_rotl32(fnx_uint32 x, int r) { return (x << r) | (x >> (32 - r)); }

FNX_DEV void fnx_threefry2x32_block(fnx_uint32 k0, fnx_uint32 k1, fnx_uint32 &x0,
                                    fnx_uint32 &x1) {
  const int R[8] = {13, 15, 26, 6, 17, 29, 16, 24};
  const fnx_uint32 ks[3] = {k0, k1, 0x1BD11BDAu ^ k0 ^ k1};
  x0 += ks[0];
  x1 += ks[1];
#pragma unroll
  for (int round = 0; round < 20; round++) {
    x0 += x1;
    x1 = fnx_rotl32(x1, R[round % 8]);
    x1 ^= x0;
    if (round % 4 == 3) {
      const int s = round / 4 + 1;
      x0 += ks[s % 3];
      x1 += ks[(s + 1) % 3] + (fnx_uint32)s;
    }
  }
}

extern "C" __global__ void fnx_threefry2x32(fnx_int64 n, fnx_int64 key_stride,
                                            const fnx_uint32 *__restrict__ k0,
                                            const fnx_uint32 *__restrict__ k1,
                                            const fnx_uint32 *__restrict__ x0,
                                            const fnx_uint32 *__restrict__ x1,
                                            fnx_uint32 *__restrict__ y0,
                                            fnx_uint32 *__restrict__ y1) {
  FNX_GRID_LOOP(i, n) {
    fnx_uint32 a = x0[i], b = x1[i];
    fnx_threefry2x32_block(k0[i * key_stride], k1[i * key_stride], a, b);
    y0[i] = a;
    y1[i] = b;
  }
}
