/* fnx CUDA: complex numbers for the non-elementwise kernels (reduce, scan, sort, indexing,
 * gemm).  fnx_cnum<R> has the layout of numpy's complex (two R, real part first; the buffers
 * are passed as fnx_cnum<float> * for complex64, fnx_cnum<double> * for complex128) and the
 * operators the real kernels' templates use, so most of them take it as their T unchanged:
 *  - + and * are numpy's plain formulas (fnx_cplx_pair.h); T(0) / (T)x is x + 0j;
 *  - == / != compare both parts, so x != x holds exactly when a part is NaN (the NaN test of
 *    the max / min / arg kernels);
 *  - < and > are lexicographic (real part, then imaginary part), numpy's order for max / min /
 *    argmax / argmin, and false when a part is NaN (as for floats).
 * The sort's NaN-last order is fnx_sort_key_less below. */
#ifndef FNX_CPLX_CUH
#define FNX_CPLX_CUH
#include "fnx_cuda.cuh"
#include "../common/fnx_cplx_pair.h"

template <class R> struct fnx_cnum {
  R re, im;
  fnx_cnum() = default; /* trivial: __shared__ arrays of it are allowed */
  __device__ fnx_cnum(R r) : re(r), im((R)0) {}
  __device__ fnx_cnum(R r, R i) : re(r), im(i) {}
  template <class S>
  __device__ explicit fnx_cnum(const fnx_cnum<S> &z) : re((R)z.re), im((R)z.im) {}
};
typedef fnx_cnum<float> fnx_cnum64;
typedef fnx_cnum<double> fnx_cnum128;
/* X(code, T, R, sfx, K, TMIN, TMAX) in the shape of fnx_scalar.h's lists (R: the part type) */
#define FNX_CNUM_TYPES(X)                         \
  X(FNX_COMPLEX64, fnx_cnum64, float, c64, C, 0, 0)  \
  X(FNX_COMPLEX128, fnx_cnum128, double, c128, C, 0, 0)

template <class R> FNX_DEV fnx_cnum<R> operator+(fnx_cnum<R> a, fnx_cnum<R> b) {
  return fnx_cnum<R>(a.re + b.re, a.im + b.im);
}
template <class R> FNX_DEV fnx_cnum<R> operator*(fnx_cnum<R> a, fnx_cnum<R> b) {
  return fnx_cnum<R>(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}
template <class R> FNX_DEV bool operator==(fnx_cnum<R> a, fnx_cnum<R> b) {
  return a.re == b.re && a.im == b.im;
}
template <class R> FNX_DEV bool operator!=(fnx_cnum<R> a, fnx_cnum<R> b) {
  return a.re != b.re || a.im != b.im;
}
/* false when a part is NaN, like a float comparison: FNX_MAX_F then keeps a NaN accumulator */
template <class R> FNX_DEV bool operator>(fnx_cnum<R> a, fnx_cnum<R> b) {
  return a == a && b == b && FNX_CPAIR_GT(a, b);
}
template <class R> FNX_DEV bool operator<(fnx_cnum<R> a, fnx_cnum<R> b) {
  return a == a && b == b && FNX_CPAIR_LT(a, b);
}

/* acc + a * b of the GEMM (fnx_gemm.cuh's fnx_mac), each part with fma like the real GEMM */
template <class R> FNX_DEV fnx_cnum<R> fnx_mac(fnx_cnum<R> acc, fnx_cnum<R> a, fnx_cnum<R> b) {
  return fnx_cnum<R>(fma(-a.im, b.im, fma(a.re, b.re, acc.re)),
                     fma(a.im, b.re, fma(a.re, b.im, acc.im)));
}

template <class R> FNX_DEV fnx_cnum<R> fnx_shfl_down(fnx_cnum<R> v, int o) {
  return fnx_cnum<R>(fnx_shfl_down(v.re, o), fnx_shfl_down(v.im, o));
}

/* the sort's strict order on keys: ascending, NaN last (numpy's); complex: fnx_cplx_pair.h */
template <class T> FNX_DEV bool fnx_sort_key_less(T a, T b) {
  const bool na = a != a, nb = b != b;
  return na || nb ? !na && nb : a < b;
}
template <class R> FNX_DEV bool fnx_sort_key_less(fnx_cnum<R> a, fnx_cnum<R> b) {
  return fnx_cpair_sort_less(a.re, a.im, b.re, b.im);
}

#endif /* FNX_CPLX_CUH */
