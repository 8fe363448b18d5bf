/* fnx CPU kernels, FFT: the plan shared by fft_plan.c (building, caching) and fft.c (running).
 *
 * A plan is immutable once built.  It transforms one length n in one precision by one of:
 *  - FFT_PASSES: mixed-radix Stockham passes (radix 4, 2, 3, 5, a generic odd radix up to
 *    FFT_GENERIC_MAX), pass i butterflies l1 groups of ido-long runs (pocketfft's layout);
 *  - FFT_FOURSTEP: n = n1 * n2 done as n2 column FFTs of length n1, a twiddle, n1 row FFTs of
 *    length n2, each sub-problem small enough to stay in cache (large n);
 *  - FFT_BLUESTEIN: chirp-z, a circular convolution by FFTs of a smooth length m >= 2n - 1
 *    (n with a prime factor above FFT_GENERIC_MAX);
 *  - FFT_REAL: the real-input plan of r2c / c2r, one complex sub-plan of n / 2 plus a pre- /
 *    post-processing pass for even n, the complex plan of n itself for odd n.
 * Complex arrays are interleaved (re, im) pairs of the precision (T[2 * count]); every layout
 * with V columns is (length, V): the V transforms' element k lie side by side. */
#ifndef FNX_FFT_INTERNAL_H
#define FNX_FFT_INTERNAL_H

#include "fnx_internal.h"

#define FFT_MAX_PASSES 64
#define FFT_GENERIC_MAX 31 /* larger prime factors go through Bluestein */

/* column blocks (batches along a non-last axis, four-step): this many complex columns are
 * gathered and transformed together, vectorized across the columns */
#define FFT_COL_BLOCK 16

/* batches go parallel from this many elements on: an FFT costs ~5 log2(n) flops per element,
 * between the cheap elementwise loops (FNX_PAR_MIN) and the transcendental ones */
#define FFT_PAR_MIN 32768

enum fft_op { FFT_OP_C2C, FFT_OP_R2C, FFT_OP_C2R };
enum fft_prec { FFT_F32 = 0, FFT_F64 = 1 };
enum fft_kind { FFT_COMPLEX = 0, FFT_REAL = 1 };
enum fft_method { FFT_PASSES, FFT_FOURSTEP, FFT_BLUESTEIN, FFT_REAL_EVEN, FFT_REAL_ODD };

typedef struct fft_plan fft_plan;
struct fft_plan {
  int64_t n;
  int prec, kind, method;
  /* FFT_PASSES */
  int npass;
  int64_t radix[FFT_MAX_PASSES], l1[FFT_MAX_PASSES];
  void *tw[FFT_MAX_PASSES];    /* (radix - 1, ido) roots exp(-2 pi i q k / (ido radix)) */
  void *gen[FFT_MAX_PASSES];   /* generic radix p: exp(-2 pi i m / p), m < p; else NULL */
  /* FFT_FOURSTEP: sub = (n1 plan, n2 plan), roots = exp(-2 pi i k1 j2 / n), (n1, n2) */
  int64_t n1, n2;
  fft_plan *sub[2];
  /* FFT_BLUESTEIN: m, sub[0] of length m, roots = chirp exp(-i pi k^2 / n) (n),
   * filter = FFT_m of the conjugate chirp, divided by m (m) */
  int64_t m;
  void *filter;
  /* FFT_REAL_EVEN: sub[0] of length n / 2, roots = exp(-2 pi i k / n), k <= n / 2;
   * FFT_REAL_ODD: sub[0] the complex plan of n */
  void *roots;
};

/* the cached plan of (n, prec, kind), NULL when out of memory; hand back with fft_plan_release */
fft_plan *fft_plan_acquire(int64_t n, int prec, int kind);
void fft_plan_release(fft_plan *p);
/* complex elements of scratch that running p on V columns needs (fft.c's cols functions) */
int64_t fft_work_size(const fft_plan *p, int64_t V);

/* the c2c transform of plan p on one (n, V) block (fft.c), for building Bluestein filters:
 * `sign` +1 forward, -1 inverse; x and y of p's precision; FNX_OK or FNX_ERR_ALLOC */
int fft_run_c2c(const fft_plan *p, int sign, double scale, const void *x, void *y, int64_t V);

#endif
