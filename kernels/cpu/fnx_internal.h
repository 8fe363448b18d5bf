/* fnx CPU kernels: private helpers shared by the kernel families (not part of the ABI).
 *
 *  - fnx_scalar.h (+ fnx_complex.h): the dtype type map as X-macro lists (every dtype variant is generated, never
 *    copy-pasted) and the scalar semantics of the elementwise ops;
 *  - the N-d strided iterator that collapses dimensions and splits work over OpenMP threads.
 */
#ifndef FNX_INTERNAL_H
#define FNX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "fnx_kernels.h"
#include "fnx_scalar.h"

/* The generated code instantiates the same expression for signed and unsigned types, so
 * "x < 0 is always false for uint8" is expected there and not a bug. */
#pragma GCC diagnostic ignored "-Wtype-limits"

#define FNX_MAX_NDIM 32
#define FNX_MAX_OPS 4
#define FNX_NUM_DTYPES 10 /* enum fnx_dtype has the codes 0 .. FNX_NUM_DTYPES - 1 */

/* Below these element counts a kernel runs on the calling thread: waking the sleeping OpenMP team
 * (OMP_WAIT_POLICY=PASSIVE, see fnx/backends/cpu.py) costs 15-50 us on the 2-core machines this
 * was measured on, more than a cheap loop over 128k elements takes. */
#define FNX_PAR_MIN 131072
#define FNX_PAR_MIN_HEAVY 8192 /* transcendental ops: ~20-100 cycles per element */
/* Matmuls go parallel above this many multiply-adds (~20 us on one core): below it, waking
 * the sleeping team (OMP_WAIT_POLICY=PASSIVE, 15-50 us here) costs more than it saves. */
#define FNX_PAR_MIN_MATMUL (1 << 21)

/* The dtype type map (FNX_ALL_TYPES & co.; FNX_COMPLEX_TYPES in fnx_complex.h), the
 * NaN-propagating max / min and wrapping arithmetic macros, fnx_d2i64 / fnx_d2i32, and the
 * scalar semantics of every elementwise op (fnx_s_<op>_<sfx>) live in fnx_scalar.h, which the
 * jit's generated code includes too. */
static inline int fnx_itemsize(int dtype) {
  static const int sz[FNX_NUM_DTYPES] = {1, 1, 1, 4, 8, 4, 8, 4, 8, 16};
  return (dtype >= 0 && dtype < FNX_NUM_DTYPES) ? sz[dtype] : 0;
}

/* 64-byte aligned scratch (posix_memalign: aligned_alloc is C11); release with free() */
static inline void *fnx_aligned_alloc(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL;
  return p;
}

static inline int64_t fnx_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t fnx_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t fnx_cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* ---- threads (threads.c) ------------------------------------------------------------------ */
/* the team size every kernel uses: fnx_set_num_threads, else FNX_NUM_THREADS, else OpenMP's */
int fnx_threads(void);
/* team size for `work` units of work, 1 below `par_min` */
int fnx_team(int64_t work, int64_t par_min);
/* one (m, k) @ (k, n) product on exactly nt threads (1: the caller's thread; for kernels that
 * split the work themselves, e.g. the convolution's row chunks) */
int fnx_matmul_threads(int dtype, int64_t m, int64_t n, int64_t k, const char *a, const char *b,
                       char *c, int nt);
/* C (+)= A @ B on row-strided float32 / float64 sub-matrices (linalg.c; accumulate != 0 adds
 * to C), on up to nt threads: the GEMM of the blocked decompositions in lapack.c */
int fnx_gemm_strided(int dtype, int64_t m, int64_t n, int64_t k, const char *a, int64_t lda,
                     const char *b, int64_t ldb, char *c, int64_t ldc, int accumulate, int nt);

/* ---- N-d strided iteration (threads.c) ------------------------------------------------------
 * The inner loop gets a run of n elements, the operands' start pointers p[0..nops) and their
 * byte strides s[0..nops) along the run; `ctx` is passed through. */
typedef void (*fnx_loop_fn)(int64_t n, char *const *p, const int64_t *s, const void *ctx);

/* Runs fn over the whole `shape` (ndim <= FNX_MAX_NDIM, else FNX_ERR_NDIM): size-1 dims are
 * dropped, adjacent dims that are contiguous for every operand are merged (a contiguous N-d
 * array becomes one run), and when the element count is >= par_min the rows (split into
 * chunks if there are few of them) are shared out over the thread team. */
int fnx_nd_iterate(int nops, int ndim, const int64_t *shape, char *const *base,
                   const int64_t *const *strides, int64_t par_min, fnx_loop_fn fn,
                   const void *ctx);

#endif
