/* fnx CUDA kernels: reductions over a contiguous (outer, n, inner) view.
 *
 * Rows (inner == 1): block b reduces chunk (b % nchunks) of row (b / nchunks) -- a grid-stride
 * loop per thread, then warp shuffles and one shared-memory step across warps.  With
 * nchunks == 1 that is the whole reduction; a long row with few rows runs in two passes:
 * `_part` writes one accumulator per chunk, `_final` reduces those (same kernel, fnx_int64
 * accumulators in, dtype out).  Columns (inner > 1): one thread per output, a sequential loop
 * over n whose loads are coalesced across the warp (adjacent threads, adjacent columns).
 *
 * Accumulators follow the CPU kernels: double for float sum / prod, the unsigned type for
 * integer sum / prod (wraps like numpy), the dtype itself for max / min / and / or.  Max / min
 * propagate NaN.  argmax / argmin return the first index of the extreme, a NaN counting as the
 * extreme (the first NaN wins), like numpy. */
#include "fnx_cplx.cuh"

#define FNX_RED_THREADS 256

template <class A> struct OpSum {
  static __device__ __forceinline__ A init() { return (A)0; }
  static __device__ __forceinline__ A step(A a, A x) { return (A)(a + x); }
};
template <class A> struct OpProd {
  static __device__ __forceinline__ A init() { return (A)1; }
  static __device__ __forceinline__ A step(A a, A x) { return (A)(a * x); }
};
template <class A> struct OpAnd {
  static __device__ __forceinline__ A init() { return (A)~(A)0; }
  static __device__ __forceinline__ A step(A a, A x) { return (A)(a & x); }
};
struct OpAndBool {
  static __device__ __forceinline__ fnx_uint8 init() { return 1; }
  static __device__ __forceinline__ fnx_uint8 step(fnx_uint8 a, fnx_uint8 x) { return a & x; }
};
template <class A> struct OpOr {
  static __device__ __forceinline__ A init() { return (A)0; }
  static __device__ __forceinline__ A step(A a, A x) { return (A)(a | x); }
};
#define FNX_DEF_MINMAX_OP(NAME, INIT, STEP)                                               \
  template <class A> struct NAME {                                                        \
    static __device__ __forceinline__ A init() { return INIT; }                           \
    static __device__ __forceinline__ A step(A a, A x) { return STEP(x, a); }             \
  };
FNX_DEF_MINMAX_OP(OpMaxF, (A)-FNX_INF, FNX_MAX_F)
FNX_DEF_MINMAX_OP(OpMinF, (A)FNX_INF, FNX_MIN_F)

/* integer max / min identities depend on the type: passed as template constants */
template <class A, long long LO> struct OpMaxI {
  static __device__ __forceinline__ A init() { return (A)LO; }
  static __device__ __forceinline__ A step(A a, A x) { return FNX_MAX_I(x, a); }
};
template <class A, long long HI> struct OpMinI {
  static __device__ __forceinline__ A init() { return (A)HI; }
  static __device__ __forceinline__ A step(A a, A x) { return FNX_MIN_I(x, a); }
};
typedef OpMaxI<fnx_uint8, 0> OpMaxB;
typedef OpMinI<fnx_uint8, 1> OpMinB;
typedef OpMaxI<fnx_uint8, 0> OpMaxU8;
typedef OpMinI<fnx_uint8, 255> OpMinU8;
typedef OpMaxI<fnx_uint32, 0> OpMaxU32;
typedef OpMinI<fnx_uint32, 4294967295LL> OpMinU32;
typedef OpMaxI<fnx_int8, -128> OpMaxI8;
typedef OpMinI<fnx_int8, 127> OpMinI8;
typedef OpMaxI<fnx_int32, (-2147483647LL - 1)> OpMaxI32;
typedef OpMinI<fnx_int32, 2147483647LL> OpMinI32;
typedef OpMaxI<fnx_int64, (-9223372036854775807LL - 1)> OpMaxI64;
typedef OpMinI<fnx_int64, 9223372036854775807LL> OpMinI64;

/* block-wide reduction; the result is valid in thread 0.  blockDim.x is a multiple of 32. */
template <class A, class Op>
__device__ A fnx_block_reduce(A v) {
  __shared__ A partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = Op::step(v, fnx_shfl_down(v, o));
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int nwarps = (blockDim.x + 31) >> 5;
  if (warp == 0) {
    v = lane < nwarps ? partial[lane] : Op::init();
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = Op::step(v, fnx_shfl_down(v, o));
  }
  return v;
}

template <class TI, class A, class TO, class Op>
__device__ void fnx_reduce_rows(fnx_int64 rows, fnx_int64 n, fnx_int64 nchunks,
                                fnx_int64 chunk, const TI *__restrict__ x, TO *__restrict__ y) {
  for (fnx_int64 b = blockIdx.x; b < rows * nchunks; b += gridDim.x) {
    const fnx_int64 row = b / nchunks, c = b % nchunks;
    const fnx_int64 lo = c * chunk, hi = lo + chunk < n ? lo + chunk : n;
    const TI *xr = x + row * n;
    A acc = Op::init();
    for (fnx_int64 i = lo + threadIdx.x; i < hi; i += blockDim.x) acc = Op::step(acc, (A)xr[i]);
    acc = fnx_block_reduce<A, Op>(acc);
    if (threadIdx.x == 0) y[b] = (TO)acc;
    __syncthreads();  /* `partial` is reused by the next block-row */
  }
}

template <class T, class A, class Op>
__device__ void fnx_reduce_cols(fnx_int64 outer, fnx_int64 n, fnx_int64 inner,
                                const T *__restrict__ x, T *__restrict__ y) {
  FNX_GRID_LOOP(t, outer * inner) {
    const fnx_int64 o = t / inner, j = t % inner;
    const T *xc = x + o * n * inner + j;
    A acc = Op::init();
    for (fnx_int64 i = 0; i < n; i++) acc = Op::step(acc, (A)xc[i * inner]);
    y[t] = (T)acc;
  }
}

/* Entry points: fnx_reduce_<op>_<sfx> (rows, single pass or the second pass when TI == A),
 * fnx_reduce_<op>_<sfx>_part (rows -> accumulators), fnx_reduce_<op>_<sfx>_final
 * (accumulators -> dtype), fnx_reduce_cols_<op>_<sfx>. */
#define FNX_K_REDUCE(op, sfx, T, A, OP)                                                    \
  extern "C" __global__ void fnx_reduce_##op##_##sfx(fnx_int64 rows, fnx_int64 n,          \
                                                     fnx_int64 nchunks, fnx_int64 chunk,   \
                                                     const T *x, T *y) {                   \
    fnx_reduce_rows<T, A, T, OP>(rows, n, nchunks, chunk, x, y);                           \
  }                                                                                        \
  extern "C" __global__ void fnx_reduce_##op##_##sfx##_part(fnx_int64 rows, fnx_int64 n,   \
                                                            fnx_int64 nchunks,             \
                                                            fnx_int64 chunk, const T *x,   \
                                                            A *y) {                        \
    fnx_reduce_rows<T, A, A, OP>(rows, n, nchunks, chunk, x, y);                           \
  }                                                                                        \
  extern "C" __global__ void fnx_reduce_##op##_##sfx##_final(fnx_int64 rows, fnx_int64 n,  \
                                                             fnx_int64 nchunks,            \
                                                             fnx_int64 chunk, const A *x,  \
                                                             T *y) {                       \
    fnx_reduce_rows<A, A, T, OP>(rows, n, nchunks, chunk, x, y);                           \
  }                                                                                        \
  extern "C" __global__ void fnx_reduce_cols_##op##_##sfx(fnx_int64 outer, fnx_int64 n,    \
                                                          fnx_int64 inner, const T *x,     \
                                                          T *y) {                          \
    fnx_reduce_cols<T, A, OP>(outer, n, inner, x, y);                                      \
  }

/* sum / prod */
FNX_K_REDUCE(sum, f32, float, double, OpSum<double>)
FNX_K_REDUCE(sum, f64, double, double, OpSum<double>)
FNX_K_REDUCE(prod, f32, float, double, OpProd<double>)
FNX_K_REDUCE(prod, f64, double, double, OpProd<double>)
#define FNX_K_INT_SUMPROD(code, T, U, sfx, K, TMIN, TMAX)          \
  FNX_K_REDUCE(sum, sfx, T, U, OpSum<U>)         \
  FNX_K_REDUCE(prod, sfx, T, U, OpProd<U>)       \
  FNX_K_REDUCE(and, sfx, T, T, OpAnd<T>)         \
  FNX_K_REDUCE(or, sfx, T, T, OpOr<T>)
FNX_INT_TYPES(FNX_K_INT_SUMPROD)
FNX_K_REDUCE(and, b, fnx_uint8, fnx_uint8, OpAndBool)
FNX_K_REDUCE(or, b, fnx_uint8, fnx_uint8, OpOr<fnx_uint8>)

/* max / min */
FNX_K_REDUCE(max, f32, float, float, OpMaxF<float>)
FNX_K_REDUCE(max, f64, double, double, OpMaxF<double>)
FNX_K_REDUCE(min, f32, float, float, OpMinF<float>)
FNX_K_REDUCE(min, f64, double, double, OpMinF<double>)
FNX_K_REDUCE(max, b, fnx_uint8, fnx_uint8, OpMaxB)
FNX_K_REDUCE(min, b, fnx_uint8, fnx_uint8, OpMinB)
FNX_K_REDUCE(max, u8, fnx_uint8, fnx_uint8, OpMaxU8)
FNX_K_REDUCE(min, u8, fnx_uint8, fnx_uint8, OpMinU8)
FNX_K_REDUCE(max, u32, fnx_uint32, fnx_uint32, OpMaxU32)
FNX_K_REDUCE(min, u32, fnx_uint32, fnx_uint32, OpMinU32)
FNX_K_REDUCE(max, i8, fnx_int8, fnx_int8, OpMaxI8)
FNX_K_REDUCE(min, i8, fnx_int8, fnx_int8, OpMinI8)
FNX_K_REDUCE(max, i32, fnx_int32, fnx_int32, OpMaxI32)
FNX_K_REDUCE(min, i32, fnx_int32, fnx_int32, OpMinI32)
FNX_K_REDUCE(max, i64, fnx_int64, fnx_int64, OpMaxI64)
FNX_K_REDUCE(min, i64, fnx_int64, fnx_int64, OpMinI64)

/* complex (fnx_cplx.cuh): sum / prod accumulate in complex double like the CPU kernels; max /
 * min are lexicographic, a value with a NaN part winning (which one, when a row holds several,
 * depends on the reduction tree: the arg kernels give numpy's first) */
#define FNX_K_REDUCE_CNUM(code, T, R, sfx, K, TMIN, TMAX)       \
  FNX_K_REDUCE(sum, sfx, T, fnx_cnum128, OpSum<fnx_cnum128>)          \
  FNX_K_REDUCE(prod, sfx, T, fnx_cnum128, OpProd<fnx_cnum128>)        \
  FNX_K_REDUCE(max, sfx, T, T, OpMaxF<T>)                       \
  FNX_K_REDUCE(min, sfx, T, T, OpMinF<T>)
FNX_CNUM_TYPES(FNX_K_REDUCE_CNUM)

/* ---- argmax / argmin ---------------------------------------------------------------------- */

/* (va, ia) := the better of (va, ia) and (vb, ib); index -1 is "nothing yet" */
template <class T, bool IS_MAX>
FNX_DEV void fnx_arg_combine(T &va, fnx_int64 &ia, T vb, fnx_int64 ib) {
  if (ib < 0) return;
  bool take;
  if (ia < 0) {
    take = true;
  } else {
    const bool na = va != va, nb = vb != vb;
    if (na || nb) take = nb && (!na || ib < ia);
    else if (IS_MAX) take = vb > va || (vb == va && ib < ia);
    else take = vb < va || (vb == va && ib < ia);
  }
  if (take) {
    va = vb;
    ia = ib;
  }
}

template <class T, class TI, bool IS_MAX>
__device__ void fnx_argreduce_rows(fnx_int64 rows, fnx_int64 n, const T *__restrict__ x,
                                   TI *__restrict__ y) {
  __shared__ T sv[32];
  __shared__ fnx_int64 si[32];
  for (fnx_int64 row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *xr = x + row * n;
    T v = (T)0;
    fnx_int64 idx = -1;
    for (fnx_int64 i = threadIdx.x; i < n; i += blockDim.x) fnx_arg_combine<T, IS_MAX>(v, idx, xr[i], i);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const T ov = fnx_shfl_down(v, o);
      const fnx_int64 oi = fnx_shfl_down(idx, o);
      fnx_arg_combine<T, IS_MAX>(v, idx, ov, oi);
    }
    if (lane == 0) {
      sv[warp] = v;
      si[warp] = idx;
    }
    __syncthreads();
    if (warp == 0) {
      const int nwarps = (blockDim.x + 31) >> 5;
      v = lane < nwarps ? sv[lane] : (T)0;
      idx = lane < nwarps ? si[lane] : -1;
#pragma unroll
      for (int o = 16; o > 0; o >>= 1) {
        const T ov = fnx_shfl_down(v, o);
        const fnx_int64 oi = fnx_shfl_down(idx, o);
        fnx_arg_combine<T, IS_MAX>(v, idx, ov, oi);
      }
      if (lane == 0) y[row] = (TI)(idx < 0 ? 0 : idx);
    }
    __syncthreads();
  }
}

template <class T, class TI, bool IS_MAX>
__device__ void fnx_argreduce_cols(fnx_int64 outer, fnx_int64 n, fnx_int64 inner,
                                   const T *__restrict__ x, TI *__restrict__ y) {
  FNX_GRID_LOOP(t, outer * inner) {
    const fnx_int64 o = t / inner, j = t % inner;
    const T *xc = x + o * n * inner + j;
    T v = (T)0;
    fnx_int64 idx = -1;
    for (fnx_int64 i = 0; i < n; i++) fnx_arg_combine<T, IS_MAX>(v, idx, xc[i * inner], i);
    y[t] = (TI)(idx < 0 ? 0 : idx);
  }
}

#define FNX_K_ARG_ONE(op, IS_MAX, T, sfx, TI, isfx)                                          \
  extern "C" __global__ void fnx_##op##_##sfx##_##isfx(fnx_int64 rows, fnx_int64 n,         \
                                                       const T *x, TI *y) {                 \
    fnx_argreduce_rows<T, TI, IS_MAX>(rows, n, x, y);                                       \
  }                                                                                         \
  extern "C" __global__ void fnx_##op##_cols_##sfx##_##isfx(fnx_int64 outer, fnx_int64 n,   \
                                                            fnx_int64 inner, const T *x,    \
                                                            TI *y) {                        \
    fnx_argreduce_cols<T, TI, IS_MAX>(outer, n, inner, x, y);                               \
  }
#define FNX_K_ARG(code, T, U, sfx, K, TMIN, TMAX)                                  \
  FNX_K_ARG_ONE(argmax, true, T, sfx, fnx_int32, i32)             \
  FNX_K_ARG_ONE(argmax, true, T, sfx, fnx_int64, i64)             \
  FNX_K_ARG_ONE(argmin, false, T, sfx, fnx_int32, i32)            \
  FNX_K_ARG_ONE(argmin, false, T, sfx, fnx_int64, i64)
FNX_ALL_TYPES(FNX_K_ARG)
FNX_CNUM_TYPES(FNX_K_ARG)
