/* fnx CPU kernels: select, clamp, convert, copy, fill, iota. */
#include <omp.h>
#include "fnx_internal.h"

/* ---- select: out = pred ? on_true : on_false, by item size ------------------------------- */
/* operands: p[0] pred, p[1] on_false, p[2] on_true, p[3] out */
#define SELECT_LOOP(name, T)                                                                 \
  static void name(int64_t n, char *const *p, const int64_t *s, const void *ctx) {           \
    (void)ctx;                                                                               \
    const int64_t SZ = (int64_t)sizeof(T);                                                   \
    if (s[0] == 1 && s[3] == SZ && (s[1] == SZ || s[1] == 0) && (s[2] == SZ || s[2] == 0)) { \
      const uint8_t *c = (const uint8_t *)p[0];                                              \
      const T *f = (const T *)p[1], *t = (const T *)p[2];                                    \
      T *o = (T *)p[3];                                                                      \
      if (s[1] == SZ && s[2] == SZ) {                                                        \
        for (int64_t i = 0; i < n; i++) o[i] = c[i] ? t[i] : f[i];                           \
      } else {                                                                               \
        const int64_t fs = s[1] ? 1 : 0, ts = s[2] ? 1 : 0;                                  \
        for (int64_t i = 0; i < n; i++) o[i] = c[i] ? t[i * ts] : f[i * fs];                 \
      }                                                                                      \
    } else {                                                                                 \
      for (int64_t i = 0; i < n; i++) {                                                      \
        const char *src = p[0][i * s[0]] ? p[2] + i * s[2] : p[1] + i * s[1];                \
        *(T *)(p[3] + i * s[3]) = *(const T *)src;                                           \
      }                                                                                      \
    }                                                                                        \
  }
SELECT_LOOP(sel_1, uint8_t)
SELECT_LOOP(sel_2, uint16_t)
SELECT_LOOP(sel_4, uint32_t)
SELECT_LOOP(sel_8, uint64_t)

static void sel_any(int64_t n, char *const *p, const int64_t *s, const void *ctx) {
  size_t sz = (size_t) * (const int *)ctx;
  for (int64_t i = 0; i < n; i++) {
    const char *src = p[0][i * s[0]] ? p[2] + i * s[2] : p[1] + i * s[1];
    memcpy(p[3] + i * s[3], src, sz);
  }
}

int fnx_select(int itemsize, int ndim, const int64_t *shape, const char *pred,
               const int64_t *pstrides, const char *on_false, const int64_t *fstrides,
               const char *on_true, const int64_t *tstrides, char *out,
               const int64_t *ostrides) {
  fnx_loop_fn fn;
  switch (itemsize) {
    case 1: fn = sel_1; break;
    case 2: fn = sel_2; break;
    case 4: fn = sel_4; break;
    case 8: fn = sel_8; break;
    default:
      if (itemsize <= 0) return FNX_ERR_UNSUPPORTED;
      fn = sel_any;
  }
  char *base[4] = {(char *)pred, (char *)on_false, (char *)on_true, out};
  const int64_t *st[4] = {pstrides, fstrides, tstrides, ostrides};
  return fnx_nd_iterate(4, ndim, shape, base, st, FNX_PAR_MIN, fn, &itemsize);
}

/* ---- clamp: out = min(max(x, lo), hi), NaN propagating --------------------------------- */
/* operands: p[0] lo, p[1] x, p[2] hi, p[3] out */
#define CLAMP_LOOP(code, T, U, sfx, K, TMIN, TMAX)                                           \
  static inline T clamp1_##sfx(T lo, T x, T hi) {                                            \
    T m = FNX_MAX_##K(x, lo);                                                                \
    return FNX_MIN_##K(m, hi);                                                               \
  }                                                                                          \
  static void clamp_##sfx(int64_t n, char *const *p, const int64_t *s, const void *ctx) {    \
    (void)ctx;                                                                               \
    const int64_t SZ = (int64_t)sizeof(T);                                                   \
    if (s[1] == SZ && s[3] == SZ && s[0] == 0 && s[2] == 0) {                                \
      const T lo = *(const T *)p[0], hi = *(const T *)p[2];                                  \
      const T *x = (const T *)p[1];                                                          \
      T *o = (T *)p[3];                                                                      \
      for (int64_t i = 0; i < n; i++) o[i] = clamp1_##sfx(lo, x[i], hi);                     \
    } else if (s[0] == SZ && s[1] == SZ && s[2] == SZ && s[3] == SZ) {                       \
      const T *lo = (const T *)p[0], *x = (const T *)p[1], *hi = (const T *)p[2];            \
      T *o = (T *)p[3];                                                                      \
      for (int64_t i = 0; i < n; i++) o[i] = clamp1_##sfx(lo[i], x[i], hi[i]);               \
    } else {                                                                                 \
      for (int64_t i = 0; i < n; i++)                                                        \
        *(T *)(p[3] + i * s[3]) = clamp1_##sfx(*(const T *)(p[0] + i * s[0]),                \
                                               *(const T *)(p[1] + i * s[1]),                \
                                               *(const T *)(p[2] + i * s[2]));               \
    }                                                                                        \
  }
FNX_ALL_TYPES(CLAMP_LOOP)

int fnx_clamp(int dtype, int ndim, const int64_t *shape, const char *lo,
              const int64_t *lstrides, const char *x, const int64_t *xstrides, const char *hi,
              const int64_t *hstrides, char *out, const int64_t *ostrides) {
  fnx_loop_fn fn;
  switch (dtype) {
#define CLAMP_CASE(code, T, U, sfx, K, TMIN, TMAX) case code: fn = clamp_##sfx; break;
    FNX_ALL_TYPES(CLAMP_CASE)
    default: return FNX_ERR_UNSUPPORTED;
  }
  char *base[4] = {(char *)lo, (char *)x, (char *)hi, out};
  const int64_t *st[4] = {lstrides, xstrides, hstrides, ostrides};
  return fnx_nd_iterate(4, ndim, shape, base, st, FNX_PAR_MIN, fn, NULL);
}

/* ---- convert ------------------------------------------------------------------------------
 * CVT_<src kind><dst kind>(DT, dsfx, x).  To bool: x != 0 (NaN -> true).  Float to int:
 * NaN -> 0 and saturation at the int32/int64 range (a plain out-of-range cast is C UB; XLA
 * saturates too); int8/uint8 go through the saturated int64 and then wrap, like numpy does
 * for in-range values.  Everything else is the C conversion (int -> int wraps). */
#define CVT_BB(DT, d, x) (DT)((x) != 0)
#define CVT_IB(DT, d, x) (DT)((x) != 0)
#define CVT_FB(DT, d, x) (DT)((x) != 0)
#define CVT_BI(DT, d, x) (DT)(x)
#define CVT_II(DT, d, x) (DT)(x)
#define CVT_BF(DT, d, x) (DT)(x)
#define CVT_IF(DT, d, x) (DT)(x)
#define CVT_FF(DT, d, x) (DT)(x)
#define CVT_FI(DT, d, x) f2i_##d((double)(x))
static inline int8_t f2i_i8(double x) { return (int8_t)fnx_d2i64(x); }
static inline uint8_t f2i_u8(double x) { return (uint8_t)fnx_d2i64(x); }
static inline int32_t f2i_i32(double x) { return fnx_d2i32(x); }
static inline int64_t f2i_i64(double x) { return fnx_d2i64(x); }

#define CVT_LOOP2(scode, ST, SU, ssfx, SK, SMIN, SMAX, dcode, DT, DU, dsfx, DK, DMIN, DMAX) \
  static void cvt_##ssfx##_##dsfx(int64_t n, char *const *p, const int64_t *s,               \
                                  const void *ctx) {                                         \
    (void)ctx;                                                                               \
    if (s[0] == (int64_t)sizeof(ST) && s[1] == (int64_t)sizeof(DT)) {                        \
      const ST *x = (const ST *)p[0];                                                        \
      DT *y = (DT *)p[1];                                                                    \
      for (int64_t i = 0; i < n; i++) y[i] = CVT_##SK##DK(DT, dsfx, x[i]);                   \
    } else {                                                                                 \
      for (int64_t i = 0; i < n; i++)                                                        \
        *(DT *)(p[1] + i * s[1]) = CVT_##SK##DK(DT, dsfx, *(const ST *)(p[0] + i * s[0]));   \
    }                                                                                        \
  }
/* the destination list is spelled out here because an X-macro list cannot be expanded
 * inside its own expansion */
#define CVT_LOOP2_(...) CVT_LOOP2(__VA_ARGS__)
#define CVT_FOR_DST(scode, ST, SU, ssfx, SK, SMIN, SMAX)                                     \
  CVT_LOOP2_(scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_BOOL, uint8_t, uint8_t, b, B, 0, 1)     \
  CVT_LOOP2_(scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT8, int8_t, uint8_t, i8, I, 0, 0)     \
  CVT_LOOP2_(scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_UINT8, uint8_t, uint8_t, u8, I, 0, 0)   \
  CVT_LOOP2_(scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT32, int32_t, uint32_t, i32, I, 0, 0) \
  CVT_LOOP2_(scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_INT64, int64_t, uint64_t, i64, I, 0, 0) \
  CVT_LOOP2_(scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_FLOAT32, float, float, f32, F, 0, 0)    \
  CVT_LOOP2_(scode, ST, SU, ssfx, SK, SMIN, SMAX, FNX_FLOAT64, double, double, f64, F, 0, 0)
FNX_ALL_TYPES(CVT_FOR_DST)

#define CVT_TABLE_ROW(scode, ST, SU, ssfx, SK, SMIN, SMAX) \
  {cvt_##ssfx##_b, cvt_##ssfx##_i8, cvt_##ssfx##_u8, cvt_##ssfx##_i32, cvt_##ssfx##_i64, \
   cvt_##ssfx##_f32, cvt_##ssfx##_f64},
static const fnx_loop_fn cvt_table[7][7] = {FNX_ALL_TYPES(CVT_TABLE_ROW)};

int fnx_convert(int src_dtype, int dst_dtype, int ndim, const int64_t *shape, const char *x,
                const int64_t *xstrides, char *y, const int64_t *ystrides) {
  if (src_dtype < 0 || src_dtype > 6 || dst_dtype < 0 || dst_dtype > 6)
    return FNX_ERR_UNSUPPORTED;
  if (src_dtype == dst_dtype)
    return fnx_copy(fnx_itemsize(src_dtype), ndim, shape, x, xstrides, y, ystrides);
  char *base[2] = {(char *)x, y};
  const int64_t *st[2] = {xstrides, ystrides};
  return fnx_nd_iterate(2, ndim, shape, base, st, FNX_PAR_MIN, cvt_table[src_dtype][dst_dtype],
                        NULL);
}

/* ---- copy ---------------------------------------------------------------------------------- */
#define COPY_LOOP(name, T)                                                           \
  static void name(int64_t n, char *const *p, const int64_t *s, const void *ctx) {   \
    (void)ctx;                                                                       \
    if (s[0] == (int64_t)sizeof(T) && s[1] == (int64_t)sizeof(T)) {                  \
      memcpy(p[1], p[0], (size_t)n * sizeof(T));                                     \
    } else {                                                                         \
      for (int64_t i = 0; i < n; i++) *(T *)(p[1] + i * s[1]) = *(const T *)(p[0] + i * s[0]); \
    }                                                                                \
  }
COPY_LOOP(copy_1, uint8_t)
COPY_LOOP(copy_2, uint16_t)
COPY_LOOP(copy_4, uint32_t)
COPY_LOOP(copy_8, uint64_t)

static void copy_any(int64_t n, char *const *p, const int64_t *s, const void *ctx) {
  const int64_t sz = *(const int *)ctx;
  if (s[0] == sz && s[1] == sz) {
    memcpy(p[1], p[0], (size_t)(n * sz));
  } else {
    for (int64_t i = 0; i < n; i++) memcpy(p[1] + i * s[1], p[0] + i * s[0], (size_t)sz);
  }
}

int fnx_copy(int itemsize, int ndim, const int64_t *shape, const char *x,
             const int64_t *xstrides, char *y, const int64_t *ystrides) {
  fnx_loop_fn fn;
  switch (itemsize) {
    case 1: fn = copy_1; break;
    case 2: fn = copy_2; break;
    case 4: fn = copy_4; break;
    case 8: fn = copy_8; break;
    default:
      if (itemsize <= 0) return FNX_ERR_UNSUPPORTED;
      fn = copy_any;
  }
  char *base[2] = {(char *)x, y};
  const int64_t *st[2] = {xstrides, ystrides};
  /* a plain copy is memory bound; threads only help for large copies */
  return fnx_nd_iterate(2, ndim, shape, base, st, 4 * FNX_PAR_MIN, fn, &itemsize);
}

/* ---- fill / iota ---------------------------------------------------------------------------- */
int fnx_fill(int itemsize, int64_t n, const char *value, char *y) {
  if (itemsize <= 0) return FNX_ERR_UNSUPPORTED;
  int nt = fnx_team(n * itemsize, 16 * FNX_PAR_MIN);
#define FILL_T(T)                                                 \
  {                                                               \
    T v;                                                          \
    memcpy(&v, value, sizeof(T));                                 \
    T *o = (T *)y;                                                \
    _Pragma("omp parallel for num_threads(nt) schedule(static)") \
    for (int64_t i = 0; i < n; i++) o[i] = v;                     \
    return FNX_OK;                                                \
  }
  switch (itemsize) {
    case 1: FILL_T(uint8_t)
    case 2: FILL_T(uint16_t)
    case 4: FILL_T(uint32_t)
    case 8: FILL_T(uint64_t)
    default:
      for (int64_t i = 0; i < n; i++) memcpy(y + i * itemsize, value, (size_t)itemsize);
      return FNX_OK;
  }
#undef FILL_T
}

int fnx_iota(int dtype, int64_t n, char *y) {
  int nt = fnx_team(n, FNX_PAR_MIN);
  switch (dtype) {
#define IOTA_CASE(code, T, U, sfx, K, TMIN, TMAX)                  \
  case code: {                                                     \
    T *o = (T *)y;                                                 \
    _Pragma("omp parallel for num_threads(nt) schedule(static)")  \
    for (int64_t i = 0; i < n; i++) o[i] = (T)i;                   \
    return FNX_OK;                                                 \
  }
    FNX_NUMERIC_TYPES(IOTA_CASE)
    case FNX_BOOL:
      for (int64_t i = 0; i < n; i++) y[i] = i != 0;
      return FNX_OK;
    default: return FNX_ERR_UNSUPPORTED;
  }
}
