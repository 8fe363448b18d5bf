/* fnx CUDA kernels: 2-D convolution (implicit GEMM), windowed reductions (pooling) and the
 * max-window selections that differentiate max pooling.  The contracts are those of
 * kernels/cpu/conv.c.
 *
 * Convolution: lhs NHWC, filter HWIO (I = C / groups), out NHWC, all contiguous.  Per group
 * (grid z) it is the GEMM out[rows, Og] = patches[rows, KH*KW*Cg] @ filter[KH*KW*Cg, Og] with
 * rows = N*OH*OW; the patch matrix is never materialised: the A functor computes each element
 * from the input (padding and lhs-dilation holes read as zero).  Its gradients are
 * convolutions too (fnx/lax/conv.py's transpose rules), so they run here as well. */
#include "fnx_gemm.cuh"

struct ConvGeom {
  fnx_int64 h, w, c, kh, kw, cg, oh, ow, o, og;
  fnx_int64 sh, sw, ph, pw, ldh, ldw, rdh, rdw;
};

FNX_DEV ConvGeom fnx_conv_geom(const fnx_int64 *g) {
  ConvGeom s;
  s.h = g[0]; s.w = g[1]; s.c = g[2]; s.kh = g[3]; s.kw = g[4]; s.cg = g[5];
  s.oh = g[6]; s.ow = g[7]; s.o = g[8]; s.og = g[9];
  s.sh = g[10]; s.sw = g[11]; s.ph = g[12]; s.pw = g[13];
  s.ldh = g[14]; s.ldw = g[15]; s.rdh = g[16]; s.rdw = g[17];
  return s;
}

template <class T> struct ConvPatch {  /* A(row, kidx): the im2col element, computed */
  const T *x;
  ConvGeom s;
  fnx_int64 c0;
  __device__ T operator()(fnx_int64 row, fnx_int64 kidx) const {
    const fnx_int64 b = row / (s.oh * s.ow), rem = row % (s.oh * s.ow);
    const fnx_int64 oy = rem / s.ow, ox = rem % s.ow;
    const fnx_int64 i = kidx / (s.kw * s.cg), j = (kidx / s.cg) % s.kw, c = kidx % s.cg;
    const fnx_int64 py = oy * s.sh + i * s.rdh - s.ph, px = ox * s.sw + j * s.rdw - s.pw;
    if (py < 0 || px < 0 || py % s.ldh != 0 || px % s.ldw != 0) return (T)0;
    const fnx_int64 iy = py / s.ldh, ix = px / s.ldw;
    if (iy >= s.h || ix >= s.w) return (T)0;
    return x[((b * s.h + iy) * s.w + ix) * s.c + c0 + c];
  }
};
template <class T> struct ConvFilter {  /* B(kidx, col): the group's columns of (K, O) */
  const T *f;
  fnx_int64 o, col0;
  __device__ T operator()(fnx_int64 kidx, fnx_int64 col) const { return f[kidx * o + col0 + col]; }
};
template <class T> struct ConvStore {
  T *y;
  fnx_int64 o, col0;
  __device__ void operator()(fnx_int64 r, fnx_int64 c, T v) const { y[r * o + col0 + c] = v; }
};

/* g: the 18 ConvGeom fields (device int64 array); rows = N*OH*OW; grid z = group */
#define FNX_K_CONV(T, sfx)                                                                  \
  extern "C" __global__ void __launch_bounds__(FNX_GEMM_THREADS)                            \
      fnx_conv2d_##sfx(fnx_int64 rows, const fnx_int64 *__restrict__ g, const T *x,         \
                       const T *f, T *y) {                                                  \
    const ConvGeom s = fnx_conv_geom(g);                                                    \
    const fnx_int64 grp = blockIdx.z;                                                       \
    ConvPatch<T> la = {x, s, grp * s.cg};                                                   \
    ConvFilter<T> lb = {f, s.o, grp * s.og};                                                \
    ConvStore<T> st = {y, s.o, grp * s.og};                                                 \
    typedef FnxTile<T> S;                                                                   \
    fnx_tiled_gemm<T, S::BM, S::BN, S::BK, S::TM, S::TN>(rows, s.og, s.kh * s.kw * s.cg,    \
                                                         la, lb, st);                       \
  }
FNX_K_CONV(float, f32)
FNX_K_CONV(double, f64)
FNX_K_CONV(fnx_int32, i32)
FNX_K_CONV(fnx_int64, i64)

/* ---- windowed reductions --------------------------------------------------------------------
 * g = [in_shape(nd), out_shape(nd), window(nd), strides(nd), pad_lo(nd)]; x is in_shape +
 * (inner,), y is out_shape + (inner,), contiguous.  One thread per output element: the window
 * positions inside the operand are reduced (padding contributes the identity). */
/* the identity of max per dtype (overloads on a dummy argument of the type) */
FNX_DEV float fnx_lowest(float) { return -FNX_INFF; }
FNX_DEV double fnx_lowest(double) { return -FNX_INF; }
FNX_DEV fnx_int8 fnx_lowest(fnx_int8) { return -128; }
FNX_DEV fnx_uint8 fnx_lowest(fnx_uint8) { return 0; }
FNX_DEV fnx_int32 fnx_lowest(fnx_int32) { return -2147483647 - 1; }
FNX_DEV fnx_int64 fnx_lowest(fnx_int64) { return -9223372036854775807LL - 1; }
FNX_DEV fnx_uint32 fnx_lowest(fnx_uint32) { return 0; }

/* element offset (without the inner index) of window position wi of output oi, or -1 when it
 * falls in the padding */
FNX_DEV fnx_int64 fnx_window_offset(int nd, const fnx_int64 *g, fnx_int64 inner, fnx_int64 oi,
                                    fnx_int64 wi) {
  const fnx_int64 *in_shape = g, *out_shape = g + nd, *win = g + 2 * nd, *str = g + 3 * nd,
                  *plo = g + 4 * nd;
  fnx_int64 off = 0, stride = inner;
  for (int d = nd - 1; d >= 0; d--) {
    const fnx_int64 o = oi % out_shape[d], k = wi % win[d];
    oi /= out_shape[d];
    wi /= win[d];
    const fnx_int64 q = o * str[d] + k - plo[d];
    if (q < 0 || q >= in_shape[d]) return -1;
    off += q * stride;
    stride *= in_shape[d];
  }
  return off;
}

#define FNX_K_REDUCE_WINDOW(code, T, U, sfx, K, TMIN, TMAX)                                                   \
  extern "C" __global__ void fnx_reduce_window_sum_##sfx(int nd, fnx_int64 nout,            \
                                                         fnx_int64 nwin, fnx_int64 inner,   \
                                                         const fnx_int64 *__restrict__ g,   \
                                                         const T *x, T *y) {                \
    FNX_GRID_LOOP(t, nout * inner) {                                                        \
      const fnx_int64 oi = t / inner, e = t % inner;                                        \
      T acc = (T)0;                                                                         \
      for (fnx_int64 wi = 0; wi < nwin; wi++) {                                             \
        const fnx_int64 off = fnx_window_offset(nd, g, inner, oi, wi);                      \
        if (off >= 0) acc = FNX_WADD(T, U, acc, x[off + e]);                                \
      }                                                                                     \
      y[t] = acc;                                                                           \
    }                                                                                       \
  }                                                                                         \
  extern "C" __global__ void fnx_reduce_window_max_##sfx(int nd, fnx_int64 nout,            \
                                                         fnx_int64 nwin, fnx_int64 inner,   \
                                                         const fnx_int64 *__restrict__ g,   \
                                                         const T *x, T *y) {                \
    FNX_GRID_LOOP(t, nout * inner) {                                                        \
      const fnx_int64 oi = t / inner, e = t % inner;                                        \
      T acc = fnx_lowest((T)0);                                                              \
      for (fnx_int64 wi = 0; wi < nwin; wi++) {                                             \
        const fnx_int64 off = fnx_window_offset(nd, g, inner, oi, wi);                      \
        if (off >= 0) {                                                                     \
          const T v = x[off + e];                                                           \
          acc = FNX_MAX_##K(v, acc);                                                        \
        }                                                                                   \
      }                                                                                     \
      y[t] = acc;                                                                           \
    }                                                                                       \
  }
FNX_NUMERIC_TYPES(FNX_K_REDUCE_WINDOW)

/* ---- max-window selection -------------------------------------------------------------------
 * The first inside position holds the running best; a later one takes over when it is larger
 * or NaN (unless the best is already NaN): the first maximum or the first NaN, as argmax.
 * gather: y[o, e] = src[best(o), e] (0 if the window is all padding), y has the pooled shape.
 * scatter: y (operand shape, zeroed by the launcher) [best(o), e] += src[o, e], with atomicAdd
 * because overlapping windows may pick the same element. */
template <class T>
FNX_DEV fnx_int64 fnx_window_argmax(int nd, const fnx_int64 *g, fnx_int64 inner, fnx_int64 oi,
                                    fnx_int64 nwin, fnx_int64 e, const T *x) {
  fnx_int64 at = -1;
  T best = (T)0;
  for (fnx_int64 wi = 0; wi < nwin; wi++) {
    const fnx_int64 off = fnx_window_offset(nd, g, inner, oi, wi);
    if (off < 0) continue;
    const T v = x[off + e];
    if (at < 0 || (best == best && (v > best || v != v))) {
      best = v;
      at = off;
    }
  }
  return at;
}

#define FNX_K_SELECT(T, sfx)                                                                \
  extern "C" __global__ void fnx_select_gather_##sfx(int nd, fnx_int64 nout, fnx_int64 nwin, \
                                                     fnx_int64 inner,                       \
                                                     const fnx_int64 *__restrict__ g,       \
                                                     const T *x, const T *src, T *y) {      \
    FNX_GRID_LOOP(t, nout * inner) {                                                        \
      const fnx_int64 oi = t / inner, e = t % inner;                                        \
      const fnx_int64 at = fnx_window_argmax<T>(nd, g, inner, oi, nwin, e, x);              \
      y[t] = at < 0 ? (T)0 : src[at + e];                                                   \
    }                                                                                       \
  }                                                                                         \
  extern "C" __global__ void fnx_select_scatter_##sfx(int nd, fnx_int64 nout, fnx_int64 nwin, \
                                                      fnx_int64 inner,                      \
                                                      const fnx_int64 *__restrict__ g,      \
                                                      const T *x, const T *src, T *y) {     \
    FNX_GRID_LOOP(t, nout * inner) {                                                        \
      const fnx_int64 oi = t / inner, e = t % inner;                                        \
      const fnx_int64 at = fnx_window_argmax<T>(nd, g, inner, oi, nwin, e, x);              \
      if (at >= 0) atomicAdd(y + at + e, src[t]);                                           \
    }                                                                                       \
  }
FNX_K_SELECT(float, f32)
FNX_K_SELECT(double, f64)
