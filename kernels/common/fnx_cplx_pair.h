/* fnx kernels: complex numbers as (re, im) pairs for the non-elementwise kernels (reductions,
 * scans, scatter, sort, matmul), one source for C and CUDA like fnx_scalar.h (which it needs
 * for FNX_DEV and the fixed-width types).  The layout is numpy's: two floats of the precision,
 * real part first.  Arithmetic is numpy's plain formula (no C99 Annex G recovery of infinities:
 * (inf + 0j) * (1 + 0j) has a NaN imaginary part, as in numpy); the orders are numpy's:
 *  - max / min / argmax / argmin: lexicographic (real part, then imaginary part); a value with a
 *    NaN in either part is the extreme (the first such value wins);
 *  - sort: lexicographic, with the NaN-holding values last, in the order
 *    [R + Rj, R + NaNj, NaN + Rj, NaN + NaNj] (each group ordered by its non-NaN part). */
#ifndef FNX_CPLX_PAIR_H
#define FNX_CPLX_PAIR_H
#include "fnx_scalar.h"

typedef struct { float re, im; } fnx_cpair_f32;
typedef struct { double re, im; } fnx_cpair_f64;

/* X(code, T, C, sfx, K, TMIN, TMAX) in the shape of fnx_scalar.h's lists: T the pair, C its
 * component type, K = C (complex kind); TMIN / TMAX are unused (0). */
#define FNX_CPAIR_TYPES(X)                                 \
  X(FNX_COMPLEX64, fnx_cpair_f32, float, c64, C, 0, 0)     \
  X(FNX_COMPLEX128, fnx_cpair_f64, double, c128, C, 0, 0)

/* type-generic on the fields: any pair type, or any struct with .re / .im */
#define FNX_CPAIR_ISNAN(a) ((a).re != (a).re || (a).im != (a).im)
#define FNX_CPAIR_GT(a, b) ((a).re > (b).re || ((a).re == (b).re && (a).im > (b).im))
#define FNX_CPAIR_LT(a, b) ((a).re < (b).re || ((a).re == (b).re && (a).im < (b).im))

#define FNX_CPAIR_ARITH(code, T, C, sfx, K, TMIN, TMAX)                  \
  FNX_DEV T fnx_cpair_make_##sfx(C re, C im) {                            \
    T z;                                                                  \
    z.re = re;                                                            \
    z.im = im;                                                            \
    return z;                                                             \
  }                                                                       \
  FNX_DEV T fnx_cpair_add_##sfx(T a, T b) {                               \
    return fnx_cpair_make_##sfx(a.re + b.re, a.im + b.im);                \
  }                                                                       \
  FNX_DEV T fnx_cpair_mul_##sfx(T a, T b) {                               \
    return fnx_cpair_make_##sfx(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re); \
  }
FNX_CPAIR_TYPES(FNX_CPAIR_ARITH)
#undef FNX_CPAIR_ARITH

/* numpy's sort order (see the top): a strict weak order, so a stable sort of it is unique.
 * The NaN class 0..3 is the group: no NaN, imaginary NaN, real NaN, both. */
FNX_DEV int fnx_cpair_sort_less(double ar, double ai, double br, double bi) {
  const int ca = 2 * (ar != ar) + (ai != ai), cb = 2 * (br != br) + (bi != bi);
  if (ca != cb) return ca < cb;
  if (ca == 0) return ar < br || (ar == br && ai < bi);
  if (ca == 1) return ar < br;
  if (ca == 2) return ai < bi;
  return 0;
}

#endif /* FNX_CPLX_PAIR_H */
