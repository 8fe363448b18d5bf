/* fnx kernels: what the non-elementwise kernels (reductions, scans, scatter, sort, matmul) add
 * to fnx_complex.h's complex types (through fnx_scalar.h: the types, numpy's plain-formula
 * arithmetic, the FNX_COMPLEX_TYPES list), one source for C and CUDA: numpy's orders:
 *  - max / min / argmax / argmin: lexicographic (real part, then imaginary part); a value with a
 *    NaN in either part is the extreme (the first such value wins);
 *  - sort: lexicographic, with the NaN-holding values last, in the order
 *    [R + Rj, R + NaNj, NaN + Rj, NaN + NaNj] (each group ordered by its non-NaN part). */
#ifndef FNX_CPLX_PAIR_H
#define FNX_CPLX_PAIR_H
#include "fnx_scalar.h"

/* type-generic on the fields: any struct with .re / .im */
#define FNX_CPAIR_ISNAN(a) ((a).re != (a).re || (a).im != (a).im)
#define FNX_CPAIR_GT(a, b) ((a).re > (b).re || ((a).re == (b).re && (a).im > (b).im))
#define FNX_CPAIR_LT(a, b) ((a).re < (b).re || ((a).re == (b).re && (a).im < (b).im))

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
