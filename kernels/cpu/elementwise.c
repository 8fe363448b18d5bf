/* fnx CPU kernels: select, clamp, convert, copy, fill, iota. */
#include <omp.h>
#include "fnx_internal.h"

/* ---- select: out = pred ? on_true : on_false, by item size ------------------------------- */
/* operands: p[0] pred, p[1] on_false, p[2] on_true, p[3] out.  Select only moves bits, so the
 * loops go by item size, each through the fnx_s_select_<sfx> of a dtype of that size. */
#define SELECT_LOOP(name, T, FN)                                                             \
  static void name(int64_t n, char *const *p, const int64_t *s, const void *ctx) {           \
    (void)ctx;                                                                               \
    const int64_t SZ = (int64_t)sizeof(T);                                                   \
    if (s[0] == 1 && s[3] == SZ && (s[1] == SZ || s[1] == 0) && (s[2] == SZ || s[2] == 0)) { \
      const uint8_t *c = (const uint8_t *)p[0];                                              \
      const T *f = (const T *)p[1], *t = (const T *)p[2];                                    \
      T *o = (T *)p[3];                                                                      \
      if (s[1] == SZ && s[2] == SZ) {                                                        \
        for (int64_t i = 0; i < n; i++) o[i] = FN(c[i], f[i], t[i]);                         \
      } else {                                                                               \
        const int64_t fs = s[1] ? 1 : 0, ts = s[2] ? 1 : 0;                                  \
        for (int64_t i = 0; i < n; i++) o[i] = FN(c[i], f[i * fs], t[i * ts]);               \
      }                                                                                      \
    } else {                                                                                 \
      for (int64_t i = 0; i < n; i++)                                                        \
        *(T *)(p[3] + i * s[3]) = FN((uint8_t)p[0][i * s[0]], *(const T *)(p[1] + i * s[1]), \
                                     *(const T *)(p[2] + i * s[2]));                         \
    }                                                                                        \
  }
/* no 16-bit dtype yet (float16 / bfloat16 will bring one) */
static inline uint16_t sel_u16(uint8_t pred, uint16_t on_false, uint16_t on_true) {
  const uint16_t m = (uint16_t)-(pred != 0);
  return (uint16_t)((on_true & m) | (on_false & (uint16_t)~m));
}
SELECT_LOOP(sel_1, uint8_t, fnx_s_select_u8)
SELECT_LOOP(sel_2, uint16_t, sel_u16)
SELECT_LOOP(sel_4, int32_t, fnx_s_select_i32)
SELECT_LOOP(sel_8, int64_t, fnx_s_select_i64)
SELECT_LOOP(sel_16, fnx_complex128, fnx_s_select_c128)

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
    case 16: fn = sel_16; break;
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
  static void clamp_##sfx(int64_t n, char *const *p, const int64_t *s, const void *ctx) {    \
    (void)ctx;                                                                               \
    const int64_t SZ = (int64_t)sizeof(T);                                                   \
    if (s[1] == SZ && s[3] == SZ && s[0] == 0 && s[2] == 0) {                                \
      const T lo = *(const T *)p[0], hi = *(const T *)p[2];                                  \
      const T *x = (const T *)p[1];                                                          \
      T *o = (T *)p[3];                                                                      \
      for (int64_t i = 0; i < n; i++) o[i] = fnx_s_clamp_##sfx(lo, x[i], hi);                \
    } else if (s[0] == SZ && s[1] == SZ && s[2] == SZ && s[3] == SZ) {                       \
      const T *lo = (const T *)p[0], *x = (const T *)p[1], *hi = (const T *)p[2];            \
      T *o = (T *)p[3];                                                                      \
      for (int64_t i = 0; i < n; i++) o[i] = fnx_s_clamp_##sfx(lo[i], x[i], hi[i]);          \
    } else {                                                                                 \
      for (int64_t i = 0; i < n; i++)                                                        \
        *(T *)(p[3] + i * s[3]) = fnx_s_clamp_##sfx(*(const T *)(p[0] + i * s[0]),           \
                                                    *(const T *)(p[1] + i * s[1]),           \
                                                    *(const T *)(p[2] + i * s[2]));          \
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
 * One loop per (source, destination) pair of the 10 dtypes around fnx_s_convert_<src>_<dst>,
 * whose comments in fnx_scalar.h and fnx_complex.h say what each kind of conversion does. */
#define CVT_LOOP(scode, ST, SU, ssfx, SK, SMIN, SMAX, dcode, DT, DU, dsfx, DK, DMIN, DMAX)   \
  static void cvt_##ssfx##_##dsfx(int64_t n, char *const *p, const int64_t *s,               \
                                  const void *ctx) {                                         \
    (void)ctx;                                                                               \
    if (s[0] == (int64_t)sizeof(ST) && s[1] == (int64_t)sizeof(DT)) {                        \
      const ST *x = (const ST *)p[0];                                                        \
      DT *y = (DT *)p[1];                                                                    \
      for (int64_t i = 0; i < n; i++) y[i] = fnx_s_convert_##ssfx##_##dsfx(x[i]);            \
    } else {                                                                                 \
      for (int64_t i = 0; i < n; i++)                                                        \
        *(DT *)(p[1] + i * s[1]) =                                                           \
            fnx_s_convert_##ssfx##_##dsfx(*(const ST *)(p[0] + i * s[0]));                   \
    }                                                                                        \
  }
#define CVT_FROM(scode, ST, SU, ssfx, SK, SMIN, SMAX) \
  FNX_CONVERT_TO_EVERY(CVT_LOOP, scode, ST, SU, ssfx, SK, SMIN, SMAX)
FNX_ALL_TYPES_AND_COMPLEX(CVT_FROM)

/* indexed by dtype code (designated initializers: the type lists are not in enum order) */
#define CVT_TABLE_ENTRY(scode, ST, SU, ssfx, SK, SMIN, SMAX, dcode, DT, DU, dsfx, DK, DMIN, DMAX) \
  [dcode] = cvt_##ssfx##_##dsfx,
#define CVT_TABLE_ROW(scode, ST, SU, ssfx, SK, SMIN, SMAX) \
  [scode] = {FNX_CONVERT_TO_EVERY(CVT_TABLE_ENTRY, scode, ST, SU, ssfx, SK, SMIN, SMAX)},
static const fnx_loop_fn cvt_table[FNX_NUM_DTYPES][FNX_NUM_DTYPES] = {
    FNX_ALL_TYPES_AND_COMPLEX(CVT_TABLE_ROW)};

int fnx_convert(int src_dtype, int dst_dtype, int ndim, const int64_t *shape, const char *x,
                const int64_t *xstrides, char *y, const int64_t *ystrides) {
  if (src_dtype < 0 || src_dtype >= FNX_NUM_DTYPES || dst_dtype < 0 ||
      dst_dtype >= FNX_NUM_DTYPES)
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
COPY_LOOP(copy_16, fnx_complex128)

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
    case 16: fn = copy_16; break;
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
    case 16: FILL_T(fnx_complex128)
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
