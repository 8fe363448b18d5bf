/* fnx CPU kernels: the one header.
 *
 * This file is read three times: by the C compiler (the kernels/cpu C files include it), by the
 * jit's generated C (which calls the kernels through pointers of these types and passes these
 * enums), and by cffi's cdef, which gets it run through the C preprocessor with FNX_CDEF
 * defined (build_kernels.py).  Keep it cffi-parsable after preprocessing: plain prototypes and
 * enums; macros only where they expand to such (the op enums come from fnx_ops.h's lists).
 *
 * Conventions
 *  - Buffers are `char *`; strides are in BYTES and may be 0 (broadcast) or negative (reversed views).
 *  - Kernels validate nothing: the Python side checks shapes/dtypes once before the call.  A return
 *    value of 0 means success; FNX_ERR_UNSUPPORTED means "this op has no kernel for this dtype"
 *    (the Python side turns it into a clear error, never a silent fallback).
 *  - Large loops are parallelised with OpenMP; fnx_set_num_threads controls the team size.
 */
#ifndef FNX_KERNELS_H
#define FNX_KERNELS_H
#ifndef FNX_CDEF /* cffi knows the fixed-width types; <stdint.h>'s definitions would not parse */
#include <stdint.h>
#endif
#include "fnx_ops.h"

enum fnx_status { FNX_OK = 0, FNX_ERR_UNSUPPORTED = -1, FNX_ERR_NDIM = -2, FNX_ERR_ALLOC = -3 };

/* dtype codes; bool is stored as one byte holding 0 or 1; a complex number is two floats of
 * its precision, real part first (numpy's and C99's layout: fnx_complex64 / fnx_complex128 in
 * fnx_scalar.h) */
enum fnx_dtype {
  FNX_BOOL = 0, FNX_INT8 = 1, FNX_UINT8 = 2, FNX_INT32 = 3, FNX_INT64 = 4,
  FNX_FLOAT32 = 5, FNX_FLOAT64 = 6, FNX_UINT32 = 7, FNX_COMPLEX64 = 8, FNX_COMPLEX128 = 9
};

/* elementwise op codes: the ops of fnx_ops.h's lists get consecutive codes in list order */
#define FNX_OP_ENUM_ENTRY(NAME, name, heavy, E64, E32) FNX_##NAME,
enum fnx_unary_op {
  FNX_FLOAT_UNARY_OPS(FNX_OP_ENUM_ENTRY)
  FNX_IS_FINITE, FNX_NOT, FNX_INTEGER_POW,
  /* complex only: REAL / IMAG write the real dtype of the same precision (so does ABS on a
   * complex input) */
  FNX_REAL, FNX_IMAG, FNX_CONJ
};

enum fnx_binary_op {
  FNX_ADD, FNX_SUB, FNX_MUL, FNX_DIV, FNX_REM, FNX_POW, FNX_MAX, FNX_MIN,
  FNX_FLOAT_BINARY_OPS(FNX_OP_ENUM_ENTRY)
  FNX_EQ, FNX_NE, FNX_LT, FNX_LE, FNX_GT, FNX_GE, /* consecutive: the comparisons */
  FNX_AND, FNX_OR, FNX_XOR, FNX_SHIFT_LEFT, FNX_SHIFT_RIGHT_LOGICAL, FNX_SHIFT_RIGHT_ARITHMETIC,
  /* out (complex) = a + i b for a, b of the real dtype `dtype` (float32 -> complex64) */
  FNX_COMPLEX
};

enum fnx_reduce_op {
  FNX_RED_SUM = 0, FNX_RED_PROD = 1, FNX_RED_MAX = 2, FNX_RED_MIN = 3,
  FNX_RED_AND = 4, FNX_RED_OR = 5, FNX_RED_ARGMAX = 6, FNX_RED_ARGMIN = 7
};

enum fnx_act { FNX_ACT_NONE = 0, FNX_ACT_RELU = 1 };

enum fnx_cumulative_op { FNX_CUM_SUM = 0, FNX_CUM_PROD = 1, FNX_CUM_MAX = 2, FNX_CUM_MIN = 3 };

enum fnx_scatter_op {
  FNX_SCATTER_SET = 0, FNX_SCATTER_ADD = 1, FNX_SCATTER_MUL = 2,
  FNX_SCATTER_MIN = 3, FNX_SCATTER_MAX = 4
};

/* ---- threads ---------------------------------------------------------------------------- */
void fnx_set_num_threads(int n);
int fnx_get_num_threads(void);

/* Runs fn(lo, hi, ctx) over a split of [0, n) across the thread team (one call on the calling
 * thread when `work`, the loop's element count, is below the parallel threshold).  Generated
 * jit code parallelizes its loops through this, so it needs no OpenMP runtime of its own. */
typedef void (*fnx_range_fn)(int64_t lo, int64_t hi, const void *ctx);
int fnx_parallel_for(int64_t n, int64_t work, fnx_range_fn fn, const void *ctx);

/* Calls the entry point of a jit-generated library (loaded separately, passed by address), so
 * Python reaches it through this module's cffi types and cached buffer pointers. */
typedef int (*fnx_entry_fn)(int segment, char **in, char **out, void **fns, int nt);
int fnx_call_entry(fnx_entry_fn fn, int segment, char **in, char **out, void **fns, int nt);

/* ---- elementwise ------------------------------------------------------------------------ */
/* y = op(x).  `dtype` is the input dtype; the output dtype is the same, except FNX_IS_FINITE
 * (bool output).  `param` carries the exponent of FNX_INTEGER_POW (an integer: a double
 * would round exponents above 2**53). */
int fnx_unary_contig(int op, int dtype, int64_t n, const char *x, char *y, int64_t param);
int fnx_unary(int op, int dtype, int ndim, const int64_t *shape,
              const char *x, const int64_t *xstrides, char *y, const int64_t *ystrides,
              int64_t param);

/* out = a op b; a and b share `dtype`; comparisons write bool. */
int fnx_binary_contig(int op, int dtype, int64_t n, const char *a, const char *b, char *out);
int fnx_binary(int op, int dtype, int ndim, const int64_t *shape,
               const char *a, const int64_t *astrides, const char *b, const int64_t *bstrides,
               char *out, const int64_t *ostrides);

/* Like fnx_binary_contig, but one operand is a single element broadcast over n
 * (scalar_operand 0: `a` is the scalar, 1: `b` is). */
int fnx_binary_scalar(int op, int dtype, int64_t n, const char *a, const char *b, char *out,
                      int scalar_operand);

/* out = pred ? on_true : on_false, pred is bool; any dtype of `itemsize` bytes (1, 2, 4, 8). */
int fnx_select(int itemsize, int ndim, const int64_t *shape,
               const char *pred, const int64_t *pstrides,
               const char *on_false, const int64_t *fstrides,
               const char *on_true, const int64_t *tstrides,
               char *out, const int64_t *ostrides);

/* out = min(max(x, lo), hi) with NaN propagating from x. */
int fnx_clamp(int dtype, int ndim, const int64_t *shape,
              const char *lo, const int64_t *lstrides, const char *x, const int64_t *xstrides,
              const char *hi, const int64_t *hstrides, char *out, const int64_t *ostrides);

/* y = (dst_dtype) x for every pair of dtypes (same-dtype is a strided copy). */
int fnx_convert(int src_dtype, int dst_dtype, int ndim, const int64_t *shape,
                const char *x, const int64_t *xstrides, char *y, const int64_t *ystrides);

/* strided copy of raw items of `itemsize` bytes */
int fnx_copy(int itemsize, int ndim, const int64_t *shape,
             const char *x, const int64_t *xstrides, char *y, const int64_t *ystrides);

/* y[0:n] = value (one item of `itemsize` bytes) */
int fnx_fill(int itemsize, int64_t n, const char *value, char *y);

/* y[i] = i for i in [0, n) */
int fnx_iota(int dtype, int64_t n, char *y);

/* ---- reductions and scans over a contiguous (outer, n, inner) view ----------------------- */
/* y has shape (outer, inner) and the input dtype, except ARGMAX/ARGMIN which write indices of
 * `index_dtype` (FNX_INT32 or FNX_INT64). */
int fnx_reduce(int op, int dtype, int index_dtype, int64_t outer, int64_t n, int64_t inner,
               const char *x, char *y);
/* y has the shape and dtype of x; reverse != 0 scans from the end. */
int fnx_cumulative(int op, int dtype, int reverse, int64_t outer, int64_t n, int64_t inner,
                   const char *x, char *y);

/* ---- linear algebra --------------------------------------------------------------------- */
/* c[b] = a[b] @ b[b]; a: (batch, m, k), b: (batch, k, n), c: (batch, m, n), all contiguous. */
int fnx_matmul(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k,
               const char *a, const char *b, char *c);
/* c[b] = act(a[b] @ b[b] + bias): the matmul with its bias add and activation fused into the
 * store of each C tile.  bias: (n,) of the same dtype, broadcast over rows and batch, or NULL;
 * act: an fnx_act.  Same layout as fnx_matmul; the bias is added to the finished sum. */
int fnx_matmul_epilogue(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k,
                        const char *a, const char *b, const char *bias, int act, char *c);
/* c[b] = act(op(a[b]) @ op(b[b]) + bias), as fnx_matmul_epilogue, with either operand given
 * transposed (contiguous): trans_a != 0: a is (batch, k, m); trans_b != 0: b is (batch, n, k).
 * The GEMM reads a transposed operand while packing it, with no transpose pass. */
int fnx_matmul_ex(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const char *a,
                  int trans_a, const char *b, int trans_b, const char *bias, int act, char *c);

/* ---- decompositions (lapack.c) -----------------------------------------------------------
 * Each over `batch` contiguous row-major matrices (the last two axes), float32 / float64 /
 * complex64 / complex128 (complex: the Hermitian / unitary meaning, as LAPACK and numpy; eigh's
 * w and svd's s are then of the real dtype of the precision);
 * numerical failure is data (NaN / inf results), as in JAX; the status only reports a missing
 * dtype or memory.  l = cholesky(a) (n x n, only a's lower triangle read; a matrix that is not
 * positive definite gives all NaN; complex: a = l l^H, the diagonal's imaginary part
 * ignored). */
int fnx_cholesky(int dtype, int64_t batch, int64_t n, const char *a, char *l);
/* op(a) x = b (left_side) or x op(a) = b; a: (batch, k, k), k = m (left) or n; b, x:
 * (batch, m, n); op(a) = a (transpose_a 0), a^T (1) or a^H (2; for real dtypes the same as
 * 1) of a's lower or upper triangle. */
int fnx_triangular_solve(int dtype, int64_t batch, int64_t m, int64_t n, const char *a,
                         const char *b, char *x, int left_side, int lower, int transpose_a,
                         int unit_diagonal);
/* P a = L U: lu (batch, m, n), pivots (batch, min(m, n)) int32 (LAPACK's ipiv, 0-based),
 * permutation (batch, m) int32 (the resulting row order). */
int fnx_lu(int dtype, int64_t batch, int64_t m, int64_t n, const char *a, char *lu,
           char *pivots, char *permutation);
/* a = q r (Householder, LAPACK's signs): q (batch, m, mq), r (batch, mq, n), mq = m when
 * full_matrices else min(m, n). */
int fnx_qr(int dtype, int64_t batch, int64_t m, int64_t n, int full_matrices, const char *a,
           char *q, char *r);
/* a = v diag(w) v^T of the symmetric matrix in a's lower (or upper) triangle: v (batch, n, n)
 * eigenvectors as columns, w (batch, n) ascending. */
int fnx_eigh(int dtype, int64_t batch, int64_t n, int lower, const char *a, char *v, char *w);
/* a = u diag(s) vt: s (batch, k) descending, k = min(m, n); with compute_uv u (batch, m, mu)
 * and vt (batch, nv, n), (mu, nv) = (m, n) when full_matrices else (k, k); else u, vt unused. */
int fnx_svd(int dtype, int64_t batch, int64_t m, int64_t n, int full_matrices, int compute_uv,
            const char *a, char *s, char *u, char *vt);
/* a v = v diag(w) for a general (non-symmetric) a (batch, n, n) of any of the four dtypes: w
 * (batch, n) and, when compute_v, v (batch, n, n) right eigenvectors as columns, both complex
 * of the precision (complex64 for float32 input); each column has unit 2-norm and its largest
 * component real positive (LAPACK zgeev's normalization); v unused when !compute_v.  No
 * convergence: all NaN. */
int fnx_eig(int dtype, int64_t batch, int64_t n, int compute_v, const char *a, char *w,
            char *v);

/* ---- FFT (fft.c) ----------------------------------------------------------------------------
 * Batched 1-D discrete Fourier transforms along the middle axis of a contiguous
 * (outer, n, inner) array (inner = 1: the last axis), every output scaled by `scale` (1, 1/n or
 * 1/sqrt(n): numpy's norm= folded into the kernel).  Mixed radix for lengths with factors
 * 2, 3, 4, 5 (any other factor: a generic radix while small, Bluestein's chirp-z otherwise);
 * plans (twiddles) are cached per (length, precision); batches run across threads.
 *   c2c: x, y complex (outer, n, inner) of `dtype` (FNX_COMPLEX64 / FNX_COMPLEX128);
 *        y_k = scale * sum_j x_j exp(-+2 pi i jk / n), sign + when `inverse`.
 *   r2c: x real (outer, n, inner) of `dtype` (FNX_FLOAT32 / FNX_FLOAT64), y complex
 *        (outer, n / 2 + 1, inner): the non-negative frequencies of the forward transform.
 *   c2r: x complex (outer, n / 2 + 1, inner) of `dtype` (FNX_COMPLEX64 / FNX_COMPLEX128), y
 *        real (outer, n, inner): the inverse (sign +) of the Hermitian-symmetric spectrum x;
 *        the imaginary parts of x_0 and, for even n, x_{n/2} are ignored (as numpy).
 * n = 0 is the caller's error (never passed); x and y never alias. */
int fnx_fft_c2c(int dtype, int inverse, int64_t outer, int64_t n, int64_t inner, double scale,
                const char *x, char *y);
int fnx_fft_r2c(int dtype, int64_t outer, int64_t n, int64_t inner, double scale, const char *x,
                char *y);
int fnx_fft_c2r(int dtype, int64_t outer, int64_t n, int64_t inner, double scale, const char *x,
                char *y);

/* ---- convolution and windowed reductions (conv.c) ----------------------------------------- */
/* y = conv(x, f): x (n, h, w, c) NHWC, f (kh, kw, c / groups, o) HWIO, y (n, oh, ow, o) NHWC,
 * all contiguous.  strides / pad_lo / lhs_dilation / rhs_dilation hold two entries (H, W);
 * pad_lo may be negative; the caller computes oh / ow (the high padding is implied by them).
 * dtypes: float32, float64, int32, int64. */
int fnx_conv2d(int dtype, int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh, int64_t kw,
               int64_t o, int64_t groups, int64_t oh, int64_t ow, const int64_t *strides,
               const int64_t *pad_lo, const int64_t *lhs_dilation, const int64_t *rhs_dilation,
               const char *x, const char *f, char *y);
/* op FNX_RED_SUM or FNX_RED_MAX over windows; x: in_shape + (inner,), y: out_shape + (inner,),
 * contiguous; padding contributes the identity (0 / the dtype's minimum or -inf). */
int fnx_reduce_window(int op, int dtype, int ndim, const int64_t *in_shape,
                      const int64_t *out_shape, const int64_t *window, const int64_t *strides,
                      const int64_t *pad_lo, int64_t inner, const char *x, char *y);
/* Max-window selection, the derivative of max pooling.  Every window (geometry as in
 * fnx_reduce_window) selects the position of its maximum in x: the first maximum, or the first
 * NaN; padding is never selected.  op FNX_SELECT_GATHER: y (out_shape + (inner,)) = src (x's
 * shape) at the selected positions; FNX_SELECT_SCATTER: y (x's shape) = zeros plus, at every
 * window's selected position, src (out_shape + (inner,)).  float32 / float64. */
enum fnx_select_op { FNX_SELECT_GATHER = 0, FNX_SELECT_SCATTER = 1 };
int fnx_select_window(int op, int dtype, int ndim, const int64_t *in_shape,
                      const int64_t *out_shape, const int64_t *window, const int64_t *strides,
                      const int64_t *pad_lo, int64_t inner, const char *x, const char *src,
                      char *y);

/* ---- indexing --------------------------------------------------------------------------- */
/* x: (nb, d, nr) items of `itemsize` bytes, idx: (nb, ni) of idx_dtype (FNX_INT32/FNX_INT64),
 * out: (nb, ni, nr).  out[b, i, :] = x[b, clamp(idx[b, i], 0, d - 1), :]. */
int fnx_gather(int itemsize, int idx_dtype, int64_t nb, int64_t d, int64_t nr, const char *x,
               int64_t ni, const char *idx, char *out);
/* out: (nb, d, nr), already holding a copy of the operand; idx: (nb, ni); upd: (nb, ni, nr).
 * out[b, idx[b, i], :] (op)= upd[b, i, :]; indices outside [0, d) are dropped. */
int fnx_scatter(int op, int dtype, int idx_dtype, int64_t nb, int64_t d, int64_t nr, char *out,
                int64_t ni, const char *idx, const char *upd);

/* perm[o, :] = stable ascending argsort of the row x[o, :] (NaN last); x: (outer, n). */
int fnx_argsort(int dtype, int64_t outer, int64_t n, const char *x, int64_t *perm);

/* number of nonzero bytes in mask[0:n], and their positions */
int64_t fnx_count_nonzero(int64_t n, const char *mask);
int fnx_flatnonzero(int64_t n, const char *mask, int64_t *out);

/* ---- random bits (random.c) -------------------------------------------------------------- */
/* (out0, out1)[i] = Threefry-2x32-20 of the counter (ctr0, ctr1)[i] under the key
 * (key0, key1)[i]; all uint32.  Bit j of scalar_mask set: operand j (key0, key1, ctr0, ctr1) is
 * one element broadcast over all n, else it holds n contiguous elements. */
int fnx_threefry2x32(int64_t n, const char *key0, const char *key1, const char *ctr0,
                     const char *ctr1, int scalar_mask, char *out0, char *out1);

/* ---- large buffers ---------------------------------------------------------------------- */
/* A 64-byte-aligned buffer of nbytes (NULL when out of memory), from a bounded cache of
 * recently freed blocks of the same size; fnx_buffer_free returns it to the cache. */
char *fnx_buffer_alloc(int64_t nbytes);
void fnx_buffer_free(char *data);
void fnx_buffer_cache_clear(void);
int64_t fnx_buffer_cache_bytes(void);

#endif
