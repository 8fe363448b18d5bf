/* fnx CPU kernels: 2-D convolution and windowed reductions (pooling).
 *
 * Convolution: lhs NHWC, filter HWIO (I = C / groups), output NHWC, all contiguous.  For each
 * group and each chunk of images the input patches are gathered (im2col) into a scratch matrix
 * of (images * OH * OW) rows by (KH * KW * Cg) columns -- padding and lhs-dilation holes become
 * zeros -- and one fnx_matmul multiplies it by the group's (KH * KW * Cg, Og) filter matrix, so
 * the flops run in the blocked GEMM.  The copy is dtype-agnostic (bytes); the GEMM supports
 * int32/int64/float32/float64. */
#include <omp.h>
#include "fnx_internal.h"

/* scratch per chunk of images (im2col matrix) */
#define CONV_CHUNK_BYTES ((int64_t)32 << 20)

typedef struct {
  int64_t h, w, c, kh, kw, cg, oh, ow;
  int64_t sh, sw, ph, pw, ldh, ldw, rdh, rdw;
  int isz;
} conv_geom;

/* n elements of isz bytes: small runs (a few channels) are the common case here, where a
 * memcpy call per run costs more than the copy */
static inline void copy_elems(char *dst, const char *src, int64_t n, int isz) {
  if (isz == 4) {
    uint32_t *d = (uint32_t *)dst;
    const uint32_t *s = (const uint32_t *)src;
    for (int64_t e = 0; e < n; e++) d[e] = s[e];
  } else if (isz == 8) {
    uint64_t *d = (uint64_t *)dst;
    const uint64_t *s = (const uint64_t *)src;
    for (int64_t e = 0; e < n; e++) d[e] = s[e];
  } else {
    memcpy(dst, src, (size_t)(n * isz));
  }
}

/* the row of the im2col matrix for output pixel (oy, ox) of image b of `x`, into dst */
static void im2col_row(const conv_geom *g, int64_t b, int64_t oy, int64_t ox, int64_t c0,
                       int64_t i0, int64_t i1, const char *x, char *dst) {
  const int64_t seg = g->cg * g->isz;
  /* without groups, dilations or clipping, a filter row's kw taps read kw * c consecutive
   * input elements: one copy per filter row instead of one per tap */
  const int whole_rows = g->cg == g->c && g->rdw == 1 && g->ldw == 1;
  const char *img = x + b * g->h * g->w * g->c * g->isz;
  const int64_t px0 = ox * g->sw - g->pw;
  const int row_inside = whole_rows && px0 >= 0 && px0 + g->kw <= g->w;
  for (int64_t i = i0; i < i1; i++) {
    const int64_t py = oy * g->sh + i * g->rdh - g->ph;
    const int64_t iy = py / g->ldh;
    const int ok_y = py >= 0 && py % g->ldh == 0 && iy < g->h;
    if (row_inside && ok_y) {
      copy_elems(dst, img + (iy * g->w + px0) * g->c * g->isz, g->kw * g->c, g->isz);
      dst += g->kw * seg;
      continue;
    }
    for (int64_t j = 0; j < g->kw; j++, dst += seg) {
      const int64_t px = ox * g->sw + j * g->rdw - g->pw;
      const int64_t ix = px / g->ldw;
      if (ok_y && px >= 0 && px % g->ldw == 0 && ix < g->w)
        copy_elems(dst, img + ((iy * g->w + ix) * g->c + c0) * g->isz, g->cg, g->isz);
      else
        memset(dst, 0, (size_t)seg);
    }
  }
}

/* rows [r0, r1) (image-major over the images at `x`) of the im2col matrix, columns of filter
 * rows [i0, i1), into cols; the pixel coordinates step along instead of being divided out of r
 * per row (four integer divisions cost more than a short row's copies) */
static void im2col_rows(const conv_geom *g, int64_t r0, int64_t r1, int64_t c0, int64_t i0,
                        int64_t i1, const char *x, char *cols) {
  const int64_t rowb = (i1 - i0) * g->kw * g->cg * g->isz, p = g->oh * g->ow;
  int64_t b = r0 / p, oy = (r0 % p) / g->ow, ox = r0 % g->ow;
  for (int64_t r = r0; r < r1; r++, cols += rowb) {
    im2col_row(g, b, oy, ox, c0, i0, i1, x, cols);
    if (++ox == g->ow) {
      ox = 0;
      if (++oy == g->oh) {
        oy = 0;
        b++;
      }
    }
  }
}

/* rows [0, rows) of the im2col matrix for images starting at `x`, split over nt threads */
static void im2col(const conv_geom *g, int64_t nimg, int64_t c0, const char *x, char *cols,
                   int nt) {
  const int64_t rows = nimg * g->oh * g->ow, rowb = g->kh * g->kw * g->cg * g->isz;
  const int64_t per = (rows + nt - 1) / nt;
  _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")
  for (int t = 0; t < nt; t++) {
    const int64_t r0 = fnx_min64(rows, t * per), r1 = fnx_min64(rows, r0 + per);
    im2col_rows(g, r0, r1, c0, 0, g->kh, x, cols + r0 * rowb);
  }
}

/* y = the sum of nt partial results (n elements each) at bufs + t * stride + offset */
static void add_partials(int dtype, int nt, int64_t n, const char *bufs, int64_t stride,
                         int64_t offset, char *y) {
#define ADD_PARTIALS(T)                                                       \
  for (int64_t e = 0; e < n; e++) {                                           \
    T acc = ((const T *)(bufs + offset))[e];                                  \
    for (int t = 1; t < nt; t++) acc += ((const T *)(bufs + t * stride + offset))[e]; \
    ((T *)y)[e] = acc;                                                        \
  }
  switch (dtype) {
    case FNX_FLOAT32: ADD_PARTIALS(float) break;
    case FNX_FLOAT64: ADD_PARTIALS(double) break;
    case FNX_INT32: ADD_PARTIALS(uint32_t) break;   /* wrapping, as the GEMM's */
    default: ADD_PARTIALS(uint64_t) break;
  }
#undef ADD_PARTIALS
}

/* Without groups: the output rows in cache-sized chunks, each thread gathering a chunk's
 * patches and multiplying them right away on its own (the patches are still in L2 when the
 * GEMM packs them; the whole-batch im2col streamed them through memory twice).  Returns
 * FNX_ERR_UNSUPPORTED when there are too few chunks to keep every thread busy (the caller then
 * uses the whole-batch path, whose GEMM splits over threads). */
#define CONV_CHUNK_L2_BYTES ((int64_t)256 << 10)
static int conv_row_chunks(int dtype, const conv_geom *g, int64_t rows, int64_t o,
                           const char *x, const char *f, char *y) {
  const int64_t k = g->kh * g->kw * g->cg, rowb = k * g->isz;
  int64_t chunk = fnx_max64(8, CONV_CHUNK_L2_BYTES / rowb / 8 * 8);
  const int64_t nchunks = (rows + chunk - 1) / chunk;
  const int nt = fnx_team(rows * k * o, FNX_PAR_MIN_MATMUL);
  if (nt > 1 && nchunks < 4 * nt) return FNX_ERR_UNSUPPORTED;
  if (nt <= 1 && nchunks < 2) return FNX_ERR_UNSUPPORTED;
  char *bufs = fnx_aligned_alloc((size_t)(nt * chunk * rowb));
  if (!bufs) return FNX_ERR_ALLOC;
  int status = FNX_OK;
  _Pragma("omp parallel for num_threads(nt) schedule(dynamic) if (nt > 1)")
  for (int64_t ci = 0; ci < nchunks; ci++) {
    char *cols = bufs + (int64_t)omp_get_thread_num() * chunk * rowb;
    const int64_t r0 = ci * chunk, r1 = fnx_min64(rows, r0 + chunk);
    im2col_rows(g, r0, r1, 0, 0, g->kh, x, cols);
    const int e = fnx_matmul_threads(dtype, r1 - r0, o, k, cols, f, y + r0 * o * g->isz, 1);
    if (e) status = e;
  }
  free(bufs);
  return status;
}

/* Few output rows and a long reduction (the filter gradient's convolution: a 3x3 "output"
 * reduced over a whole batch of images): the threads split the filter rows instead, each
 * multiplying its part of the patches by its rows of the filter, and the partial products
 * are summed.  FNX_ERR_UNSUPPORTED when there are too few filter rows to share. */
static int conv_filter_rows_split(int dtype, const conv_geom *g, int64_t rows, int64_t o,
                                  const char *x, const char *f, char *y) {
  const int nt = (int)fnx_min64(g->kh, fnx_team(rows * g->kh * g->kw * g->cg * o,
                                                FNX_PAR_MIN_MATMUL));
  if (nt < 2) return FNX_ERR_UNSUPPORTED;
  const int64_t part_rows = (g->kh + nt - 1) / nt, tap_elems = g->kw * g->cg;
  const int64_t part_bytes = rows * part_rows * tap_elems * g->isz, out_bytes = rows * o * g->isz;
  char *bufs = fnx_aligned_alloc((size_t)(nt * (part_bytes + out_bytes)));
  if (!bufs) return FNX_ERR_ALLOC;
  int status = FNX_OK;
  _Pragma("omp parallel for num_threads(nt) schedule(static)")
  for (int t = 0; t < nt; t++) {
    char *cols = bufs + t * (part_bytes + out_bytes), *part = cols + part_bytes;
    const int64_t i0 = fnx_min64(g->kh, t * part_rows), i1 = fnx_min64(g->kh, i0 + part_rows);
    if (i0 == i1) {
      memset(part, 0, (size_t)out_bytes);
      continue;
    }
    im2col_rows(g, 0, rows, 0, i0, i1, x, cols);
    const int e = fnx_matmul_threads(dtype, rows, o, (i1 - i0) * tap_elems, cols,
                                     f + i0 * tap_elems * o * g->isz, part, 1);
    if (e) status = e;
  }
  if (status == FNX_OK) add_partials(dtype, nt, rows * o, bufs, part_bytes + out_bytes,
                                     part_bytes, y);
  free(bufs);
  return status;
}

/* ---- trimming what only meets padding ----------------------------------------------------
 * Late layers of small-image networks run 3x3 convolutions on 1x1 or 2x2 maps (and their
 * weight gradients produce 3x3 outputs from 1x1 inputs): most filter taps then read only
 * padding for every output, and most outputs of a weight gradient see only padding.  im2col
 * would gather those zeros and the GEMM multiply them (8/9 of the work on a 1x1 map).  Along
 * each spatial axis, the taps that read no input at any output and the outputs that read no
 * input at any remaining tap are cut from the edges; the rest is one smaller convolution.
 * Only for filters without NaN / inf, whose products with the padding zeros are all zero. */

/* does tap i (of the dilated filter) read an input element at output position q? */
static int reads_input(int64_t q, int64_t i, int64_t stride, int64_t pad, int64_t ld,
                       int64_t rd, int64_t len) {
  const int64_t pos = q * stride + i * rd - pad;
  return pos >= 0 && pos % ld == 0 && pos / ld < len;
}

/* the useful taps [*t0, *t1) and outputs [*q0, *q1) along one axis (empty: t1 == t0) */
static void useful_ranges(int64_t len, int64_t taps, int64_t outs, int64_t stride, int64_t pad,
                          int64_t ld, int64_t rd, int64_t *t0, int64_t *t1, int64_t *q0,
                          int64_t *q1) {
  *t0 = taps, *t1 = 0;
  for (int64_t i = 0; i < taps; i++)
    for (int64_t q = 0; q < outs; q++)
      if (reads_input(q, i, stride, pad, ld, rd, len)) {
        if (i < *t0) *t0 = i;
        *t1 = i + 1;
        break;
      }
  *q0 = outs, *q1 = 0;
  for (int64_t q = 0; q < outs; q++)
    for (int64_t i = *t0; i < *t1; i++)
      if (reads_input(q, i, stride, pad, ld, rd, len)) {
        if (q < *q0) *q0 = q;
        *q1 = q + 1;
        break;
      }
  if (*t1 <= *t0 || *q1 <= *q0) *t0 = *t1 = *q0 = *q1 = 0;
}

static int conv2d_full(int dtype, int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh,
                       int64_t kw, int64_t o, int64_t groups, int64_t oh, int64_t ow,
                       const int64_t *strides, const int64_t *pad_lo,
                       const int64_t *lhs_dilation, const int64_t *rhs_dilation, const char *x,
                       const char *f, char *y);

/* no NaN / inf among the n elements of a float array (integers: always) */
static int all_finite(int dtype, const char *a, int64_t n) {
  int ok = 1;
  if (dtype == FNX_FLOAT32) {
    const float *v = (const float *)a;
    for (int64_t i = 0; i < n; i++) ok &= (v[i] - v[i]) == 0.0f;
  } else if (dtype == FNX_FLOAT64) {
    const double *v = (const double *)a;
    for (int64_t i = 0; i < n; i++) ok &= (v[i] - v[i]) == 0.0;
  }
  return ok;
}

int fnx_conv2d(int dtype, int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh, int64_t kw,
               int64_t o, int64_t groups, int64_t oh, int64_t ow, const int64_t *strides,
               const int64_t *pad_lo, const int64_t *lhs_dilation, const int64_t *rhs_dilation,
               const char *x, const char *f, char *y) {
  if (dtype != FNX_FLOAT32 && dtype != FNX_FLOAT64 && dtype != FNX_INT32 && dtype != FNX_INT64)
    return FNX_ERR_UNSUPPORTED;
  if (n * oh * ow * o == 0 || h * w == 0 || kh * kw * c == 0)
    return conv2d_full(dtype, n, h, w, c, kh, kw, o, groups, oh, ow, strides, pad_lo,
                       lhs_dilation, rhs_dilation, x, f, y);
  int64_t ti0, ti1, tj0, tj1, qy0, qy1, qx0, qx1;
  useful_ranges(h, kh, oh, strides[0], pad_lo[0], lhs_dilation[0], rhs_dilation[0], &ti0, &ti1,
                &qy0, &qy1);
  useful_ranges(w, kw, ow, strides[1], pad_lo[1], lhs_dilation[1], rhs_dilation[1], &tj0, &tj1,
                &qx0, &qx1);
  const int64_t kh2 = ti1 - ti0, kw2 = tj1 - tj0, oh2 = qy1 - qy0, ow2 = qx1 - qx0;
  /* a trimmed tap or output would have multiplied padding zeros by the filter: exact only
   * for finite filters (0 * inf and 0 * NaN are NaN, as the direct definition gives) */
  if ((kh2 == kh && kw2 == kw && oh2 == oh && ow2 == ow) ||
      !all_finite(dtype, f, kh * kw * (c / groups) * o))
    return conv2d_full(dtype, n, h, w, c, kh, kw, o, groups, oh, ow, strides, pad_lo,
                       lhs_dilation, rhs_dilation, x, f, y);
  const int64_t isz = fnx_itemsize(dtype), io = (c / groups) * o;
  const int64_t ysize = n * oh * ow * o * isz;
  if (kh2 == 0 || kw2 == 0 || oh2 == 0 || ow2 == 0) { /* every output sees only padding */
    memset(y, 0, (size_t)ysize);
    return FNX_OK;
  }
  /* the kept taps of the HWIO filter, and a buffer for the kept outputs when some are cut */
  char *f2 = fnx_buffer_alloc(kh2 * kw2 * io * isz);
  const int cut_out = oh2 != oh || ow2 != ow;
  char *y2 = cut_out ? fnx_buffer_alloc(n * oh2 * ow2 * o * isz) : y;
  int status = FNX_ERR_ALLOC;
  if (f2 && y2) {
    for (int64_t i = 0; i < kh2; i++)
      memcpy(f2 + i * kw2 * io * isz, f + ((ti0 + i) * kw + tj0) * io * isz,
             (size_t)(kw2 * io * isz));
    /* output q2 = q - q0 with tap i2 = i - t0 reads q * s + i * rd - pad: the same position
     * with the padding reduced by q0 * s + t0 * rd (possibly below zero: a crop) */
    const int64_t pad2[2] = {pad_lo[0] - qy0 * strides[0] - ti0 * rhs_dilation[0],
                             pad_lo[1] - qx0 * strides[1] - tj0 * rhs_dilation[1]};
    status = conv2d_full(dtype, n, h, w, c, kh2, kw2, o, groups, oh2, ow2, strides, pad2,
                         lhs_dilation, rhs_dilation, x, f2, y2);
  }
  if (status == FNX_OK && cut_out) {
    memset(y, 0, (size_t)ysize);
    const int64_t run = ow2 * o * isz;
    for (int64_t b = 0; b < n; b++)
      for (int64_t q = 0; q < oh2; q++)
        memcpy(y + ((b * oh + qy0 + q) * ow + qx0) * o * isz,
               y2 + ((b * oh2 + q) * ow2) * o * isz, (size_t)run);
  }
  if (f2) fnx_buffer_free(f2);
  if (cut_out && y2) fnx_buffer_free(y2);
  return status;
}

static int conv2d_full(int dtype, int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh,
                       int64_t kw, int64_t o, int64_t groups, int64_t oh, int64_t ow,
                       const int64_t *strides, const int64_t *pad_lo,
                       const int64_t *lhs_dilation, const int64_t *rhs_dilation, const char *x,
                       const char *f, char *y) {
  const int isz = fnx_itemsize(dtype);
  const int64_t cg = c / groups, og = o / groups, k = kh * kw * cg, p = oh * ow;
  if (n * p * o == 0) return FNX_OK;
  if (k == 0) {
    memset(y, 0, (size_t)(n * p * o * isz));
    return FNX_OK;
  }
  conv_geom g = {h, w, c, kh, kw, cg, oh, ow, strides[0], strides[1], pad_lo[0], pad_lo[1],
                 lhs_dilation[0], lhs_dilation[1], rhs_dilation[0], rhs_dilation[1], isz};
  if (groups == 1) {
    int rc = conv_row_chunks(dtype, &g, n * p, o, x, f, y);
    if (rc == FNX_ERR_UNSUPPORTED) rc = conv_filter_rows_split(dtype, &g, n * p, o, x, f, y);
    if (rc != FNX_ERR_UNSUPPORTED) return rc;
  }
  int64_t chunk = CONV_CHUNK_BYTES / (p * k * isz);
  chunk = fnx_max64(1, fnx_min64(n, chunk));
  char *cols = fnx_aligned_alloc((size_t)(chunk * p * k * isz));
  char *fpack = groups > 1 ? fnx_aligned_alloc((size_t)(k * og * isz)) : NULL;
  char *ypack = groups > 1 ? fnx_aligned_alloc((size_t)(chunk * p * og * isz)) : NULL;
  int status = FNX_OK;
  if (!cols || (groups > 1 && (!fpack || !ypack))) {
    status = FNX_ERR_ALLOC;
    goto done;
  }
  for (int64_t gi = 0; gi < groups && status == FNX_OK; gi++) {
    const char *fg = f;
    if (groups > 1) { /* the group's (k, og) column block of the (k, o) filter matrix */
      for (int64_t r = 0; r < k; r++)
        memcpy(fpack + r * og * isz, f + (r * o + gi * og) * isz, (size_t)(og * isz));
      fg = fpack;
    }
    for (int64_t n0 = 0; n0 < n && status == FNX_OK; n0 += chunk) {
      const int64_t nb = fnx_min64(chunk, n - n0);
      const int64_t rows = nb * p;
      im2col(&g, nb, gi * cg, x + n0 * h * w * c * isz, cols, fnx_team(rows * k, FNX_PAR_MIN));
      char *dst = groups > 1 ? ypack : y + n0 * p * o * isz;
      status = fnx_matmul(dtype, 1, rows, og, k, cols, fg, dst);
      if (groups > 1 && status == FNX_OK)
        for (int64_t r = 0; r < rows; r++)
          memcpy(y + ((n0 * p + r) * o + gi * og) * isz, ypack + r * og * isz,
                 (size_t)(og * isz));
    }
  }
done:
  free(cols);
  free(fpack);
  free(ypack);
  return status;
}

/* ---- windowed reductions ------------------------------------------------------------------
 * x: in_shape + (inner,), y: out_shape + (inner,), contiguous.  out[o] = reduction over the
 * window positions o * stride + k - pad_lo that fall inside the operand (padding contributes
 * the identity).  `inner` is a run of trailing dimensions that the window leaves alone (e.g.
 * the channels of NHWC pooling), handled as contiguous vectors. */
#define RW_SUM(T, U, a, b) a = FNX_WADD(T, U, a, b)
#define RW_MAX_F(T, U, a, b) a = FNX_MAX_F(b, a)
#define RW_MAX_I(T, U, a, b) a = FNX_MAX_I(b, a)
#define RW_MAX_B RW_MAX_I

/* Window geometry shared by the windowed reductions and the max-window selections.  Arrays
 * are in_shape + (inner,); element offsets count elements. */
static void window_in_strides(int nd, const int64_t *in_shape, int64_t inner, int64_t *strides) {
  int64_t acc = inner;
  for (int d = nd - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= in_shape[d];
  }
}

/* the first input position of output window oi (may lie in the padding) */
static void window_start(int nd, int64_t oi, const int64_t *out_shape, const int64_t *str,
                         const int64_t *plo, int64_t *start) {
  for (int d = nd - 1; d >= 0; d--) {
    start[d] = (oi % out_shape[d]) * str[d] - plo[d];
    oi /= out_shape[d];
  }
}

/* the element offset of window position kk (-1 when it falls in the padding), then kk steps
 * to the next position (an odometer over the window) */
static inline int64_t window_next(int nd, const int64_t *start, int64_t *kk, const int64_t *win,
                                  const int64_t *in_shape, const int64_t *in_strides) {
  int64_t off = 0;
  for (int d = 0; d < nd; d++) {
    const int64_t q = start[d] + kk[d];
    if (q < 0 || q >= in_shape[d]) {
      off = -1;
      break;
    }
    off += q * in_strides[d];
  }
  for (int d = nd - 1; d >= 0; d--) {
    if (++kk[d] < win[d]) break;
    kk[d] = 0;
  }
  return off;
}

#define DEF_RW(name, T, U, INIT, STEP)                                                            \
  static void rw_##name(int nd, const int64_t *in_shape, const int64_t *out_shape,              \
                        const int64_t *win, const int64_t *str, const int64_t *plo,             \
                        int64_t inner, const T *x, T *y, int64_t nout, int64_t nwin, int nt) {  \
    int64_t in_strides[FNX_MAX_NDIM];                                                           \
    window_in_strides(nd, in_shape, inner, in_strides);                                         \
    _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")                   \
    for (int64_t oi = 0; oi < nout; oi++) {                                                     \
      int64_t start[FNX_MAX_NDIM], kk[FNX_MAX_NDIM] = {0};                                      \
      window_start(nd, oi, out_shape, str, plo, start);                                         \
      T *yr = y + oi * inner;                                                                   \
      for (int64_t e = 0; e < inner; e++) yr[e] = (T)(INIT);                                    \
      for (int64_t wi = 0; wi < nwin; wi++) {                                                   \
        const int64_t off = window_next(nd, start, kk, win, in_shape, in_strides);              \
        if (off >= 0) {                                                                         \
          const T *xr = x + off;                                                                \
          for (int64_t e = 0; e < inner; e++) STEP(T, U, yr[e], xr[e]);                         \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
  }

#define DEF_RW_TYPE(code, T, U, sfx, K, TMIN, TMAX) \
  DEF_RW(sum_##sfx, T, U, 0, RW_SUM)                 \
  DEF_RW(max_##sfx, T, U, TMIN, RW_MAX_##K)
FNX_NUMERIC_TYPES(DEF_RW_TYPE)

int fnx_reduce_window(int op, int dtype, int ndim, const int64_t *in_shape,
                      const int64_t *out_shape, const int64_t *window, const int64_t *strides,
                      const int64_t *pad_lo, int64_t inner, const char *x, char *y) {
  if (ndim > FNX_MAX_NDIM) return FNX_ERR_NDIM;
  if (op != FNX_RED_SUM && op != FNX_RED_MAX) return FNX_ERR_UNSUPPORTED;
  int64_t nout = 1, nwin = 1;
  for (int d = 0; d < ndim; d++) {
    nout *= out_shape[d];
    nwin *= window[d];
  }
  if (nout * inner == 0) return FNX_OK;
  const int nt = fnx_team(nout * nwin * inner, FNX_PAR_MIN);
#define RW_CASE(code, T, U, sfx, K, TMIN, TMAX)                                             \
  case code:                                                                                \
    if (op == FNX_RED_SUM)                                                                  \
      rw_sum_##sfx(ndim, in_shape, out_shape, window, strides, pad_lo, inner, (const T *)x, \
                   (T *)y, nout, nwin, nt);                                                 \
    else                                                                                    \
      rw_max_##sfx(ndim, in_shape, out_shape, window, strides, pad_lo, inner, (const T *)x, \
                   (T *)y, nout, nwin, nt);                                                 \
    return FNX_OK;
  switch (dtype) {
    FNX_NUMERIC_TYPES(RW_CASE)
    default:
      return FNX_ERR_UNSUPPORTED;
  }
#undef RW_CASE
}

/* ---- max-window selection: the derivative of max pooling -----------------------------------
 * Per window and per inner element: the first inside position holds the running best, a later
 * one takes over when it is larger or NaN (unless the best is already NaN) -- the first
 * maximum, or the first NaN, as argmax picks.  The inner elements run in chunks so the
 * compare-and-select over them vectorizes. */
#define SEL_CHUNK 256

#define DEF_SELECT(sfx, T)                                                                      \
  static void select_##sfx(int op, int nd, const int64_t *in_shape, const int64_t *out_shape,  \
                           const int64_t *win, const int64_t *str, const int64_t *plo,         \
                           int64_t inner, const T *x, const T *src, T *y, int64_t o_lo,        \
                           int64_t o_hi, int64_t nwin) {                                       \
    int64_t in_strides[FNX_MAX_NDIM];                                                           \
    window_in_strides(nd, in_shape, inner, in_strides);                                         \
    T best[SEL_CHUNK];                                                                          \
    int64_t at[SEL_CHUNK];                                                                      \
    for (int64_t oi = o_lo; oi < o_hi; oi++) {                                                  \
      int64_t start[FNX_MAX_NDIM];                                                              \
      window_start(nd, oi, out_shape, str, plo, start);                                         \
      for (int64_t e0 = 0; e0 < inner; e0 += SEL_CHUNK) {                                       \
        const int64_t ne = fnx_min64(SEL_CHUNK, inner - e0);                                    \
        int64_t kk[FNX_MAX_NDIM] = {0};                                                         \
        int found = 0;                                                                          \
        for (int64_t wi = 0; wi < nwin; wi++) {                                                 \
          const int64_t off = window_next(nd, start, kk, win, in_shape, in_strides);            \
          if (off < 0) continue;                                                                \
          const T *xr = x + off + e0;                                                           \
          if (!found) {                                                                         \
            for (int64_t e = 0; e < ne; e++) { best[e] = xr[e]; at[e] = off; }                  \
            found = 1;                                                                          \
            continue;                                                                           \
          }                                                                                     \
          _Pragma("omp simd")                                                                   \
          for (int64_t e = 0; e < ne; e++) {                                                    \
            const T v = xr[e];                                                                  \
            const int take = best[e] == best[e] && (v > best[e] || v != v);                     \
            best[e] = take ? v : best[e];                                                       \
            at[e] = take ? off : at[e];                                                         \
          }                                                                                     \
        }                                                                                       \
        T *yo = y + oi * inner + e0;                                                            \
        const T *so = src + oi * inner + e0;                                                    \
        if (op == FNX_SELECT_GATHER) {                                                          \
          for (int64_t e = 0; e < ne; e++) yo[e] = found ? src[at[e] + e0 + e] : (T)0;          \
        } else if (found) {                                                                     \
          for (int64_t e = 0; e < ne; e++) y[at[e] + e0 + e] += so[e];                          \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
  }
DEF_SELECT(f32, float)
DEF_SELECT(f64, double)

/* Scatters race when windows overlap across threads.  Safe splits: any, when no two windows
 * overlap (stride >= window everywhere); or along the first dimension, when its window is 1
 * wide at stride 1 without padding (each slice then reads and writes only its own slice). */
static int64_t select_split_block(int op, int nd, const int64_t *out_shape,
                                  const int64_t *win, const int64_t *str, const int64_t *plo) {
  if (op == FNX_SELECT_GATHER) return 1;
  int disjoint = 1;
  for (int d = 0; d < nd; d++) disjoint &= str[d] >= win[d];
  if (disjoint) return 1;
  if (win[0] == 1 && str[0] == 1 && plo[0] == 0) {
    int64_t block = 1;
    for (int d = 1; d < nd; d++) block *= out_shape[d];
    return block;
  }
  return 0;
}

int fnx_select_window(int op, int dtype, int ndim, const int64_t *in_shape,
                      const int64_t *out_shape, const int64_t *window, const int64_t *strides,
                      const int64_t *pad_lo, int64_t inner, const char *x, const char *src,
                      char *y) {
  if (ndim > FNX_MAX_NDIM || ndim < 1) return FNX_ERR_NDIM;
  if (op != FNX_SELECT_GATHER && op != FNX_SELECT_SCATTER) return FNX_ERR_UNSUPPORTED;
  if (dtype != FNX_FLOAT32 && dtype != FNX_FLOAT64) return FNX_ERR_UNSUPPORTED;
  const int isz = fnx_itemsize(dtype);
  int64_t nout = 1, nin = 1, nwin = 1;
  for (int d = 0; d < ndim; d++) {
    nout *= out_shape[d];
    nin *= in_shape[d];
    nwin *= window[d];
  }
  if (op == FNX_SELECT_SCATTER) memset(y, 0, (size_t)(nin * inner * isz));
  if (nout * inner == 0) return FNX_OK;
  const int64_t block = select_split_block(op, ndim, out_shape, window, strides, pad_lo);
  const int nt = block ? fnx_team(nout * nwin * inner, FNX_PAR_MIN) : 1;
  const int64_t nblocks = block ? nout / block : 1, bsize = block ? block : nout;
  _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")
  for (int64_t bi = 0; bi < nblocks; bi++) {
    if (dtype == FNX_FLOAT32)
      select_f32(op, ndim, in_shape, out_shape, window, strides, pad_lo, inner, (const float *)x,
                 (const float *)src, (float *)y, bi * bsize, (bi + 1) * bsize, nwin);
    else
      select_f64(op, ndim, in_shape, out_shape, window, strides, pad_lo, inner,
                 (const double *)x, (const double *)src, (double *)y, bi * bsize,
                 (bi + 1) * bsize, nwin);
  }
  return FNX_OK;
}
